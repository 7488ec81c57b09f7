/* hw/: the door. Device models, one per file, each described by one hw_ops, and the
 * bus that maps them into guest-physical space. A device never trusts the guest:
 * a bad access is a log line and a defined value, never a crash. */
#ifndef PERCORE_HW_H
#define PERCORE_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_ops {
    const char *name;
    /* offset is from the window's base; size is 1, 2, 4 or 8. Returns false when the
     * access is not one the device answers (the vCPU then takes an external abort). */
    bool (*read)(void *opaque, uint64_t offset, unsigned size, uint64_t *value);
    bool (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
    void (*reset)(void *opaque);
    void (*destroy)(void *opaque);
    /* The largest access the device takes (0: 8 bytes). The bus splits a larger one
     * into accesses of this size, lowest address first (little-endian), as a 32-bit
     * APB device sees a 64-bit access. */
    unsigned max_size;
    /* The device's interrupt output now (NULL: it has none). */
    bool (*irq_level)(void *opaque);
    /* When that output may next change by itself (a timer inside the device): true
     * with *delay_ns from now; false when only an access can change it. */
    bool (*irq_deadline)(void *opaque, int64_t *delay_ns);
};

#define HW_MAX_REGIONS 16u

struct hw_region {
    uint64_t base, size;
    const struct hw_ops *ops;
    void *opaque;
    unsigned irq;   /* the interrupt controller input its output drives (0: none) */
    bool irq_level; /* that output as last passed on */
    /* Accesses that reached the window (refused ones too), for the control socket's
     * statistics; a reset keeps them. */
    uint64_t reads, writes;
};

struct hw_bus {
    struct hw_region region[HW_MAX_REGIONS];
    unsigned n;
};

void hw_bus_init(struct hw_bus *bus);
/* Maps a device; 0, or -EEXIST (overlap), -ENOSPC (table full), -EINVAL (empty window,
 * or one that wraps past the end of the address space). */
int hw_bus_map(struct hw_bus *bus, uint64_t base, uint64_t size, const struct hw_ops *ops,
               void *opaque);
const struct hw_region *hw_bus_find(const struct hw_bus *bus, uint64_t addr, unsigned size);
/* False when no device answers: nothing mapped there, an access that straddles a
 * window's end, a size other than 1, 2, 4 or 8, or the device refused. As on a real
 * bus, only the access's bytes travel: a read's value and a write's value are cut to
 * size bytes. */
bool hw_bus_read(struct hw_bus *bus, uint64_t addr, unsigned size, uint64_t *value);
bool hw_bus_write(struct hw_bus *bus, uint64_t addr, unsigned size, uint64_t value);
/* Wires the device mapped at base to interrupt controller input irq (non-zero). */
int hw_bus_connect_irq(struct hw_bus *bus, uint64_t base, unsigned irq);
/* Passes on every wired device output that changed since the last call:
 * set(arg, irq, level) for each. Called after anything that may change one (an
 * access, input arriving, a reset). A set that returns false did not take the change:
 * it is offered again by the next call, and this one returns false. */
bool hw_bus_sync_irqs(struct hw_bus *bus, bool (*set)(void *arg, unsigned irq, bool level),
                      void *arg);
/* The earliest irq_deadline of the wired devices: true with *delay_ns, or false. */
bool hw_bus_next_deadline(struct hw_bus *bus, int64_t *delay_ns);
/* Resets (destroys) every mapped device once, even one mapped in several windows. */
void hw_bus_reset(struct hw_bus *bus);
void hw_bus_destroy(struct hw_bus *bus);

/* PL011 UART (hw/pl011.c), as qemu-system-arm 7.2's "pl011": every byte the guest
 * writes to UARTDR goes to tx(arg, byte). Its window is PL011_SIZE bytes. */
#define PL011_SIZE 0x1000u
extern const struct hw_ops pl011_ops;
void *pl011_create(void (*tx)(void *arg, uint8_t byte), void *arg);
/* Receive side, for the serial backend: how many bytes the RX FIFO takes now (0 when
 * full), and pl011_receive, which queues up to that many of buf's n bytes and returns
 * how many it took; the rest stay with the caller (nothing is dropped). rx_ready(arg)
 * is called whenever room appears again (the guest read UARTDR, a FIFO flush, a
 * reset); it runs inside a guest access, so it should only schedule work. */
size_t pl011_can_receive(void *dev);
size_t pl011_receive(void *dev, const uint8_t *buf, size_t n);
void pl011_set_rx_ready(void *dev, void (*rx_ready)(void *arg), void *arg);

/* PL031 real-time clock (hw/pl031.c), as qemu-system-arm 7.2's "pl031" with -rtc
 * base=utc: RTCDR is clock_ns(arg) in whole seconds plus the offset a write to RTCLR
 * sets. The board passes pl031_clock_realtime (the host's CLOCK_REALTIME, arg unused);
 * tests pass a clock they move by hand. Its window is PL031_SIZE bytes. */
#define PL031_SIZE 0x1000u
extern const struct hw_ops pl031_ops;
int64_t pl031_clock_realtime(void *arg);
void *pl031_create(int64_t (*clock_ns)(void *arg), void *arg);

#endif

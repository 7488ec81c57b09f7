/* hw/gic.h: the GICv2 interrupt controller of the virt board (ARM IHI 0048B), without the
 * Security Extensions, as qemu-system-arm 7.2's arm_gic (revision 2) shows it to the guest;
 * docs/gic.md says where it follows qemu and where the spec.
 *
 * The whole state is one struct gic_state of plain data in POSIX shared memory, mapped by
 * every process at its own address: no pointers inside, fixed layout. Every process calls
 * these functions directly on its mapping: a vCPU process for its own CPU interface, the
 * distributor and SGIs; the coordinator for device SPIs. Each call takes the state's spin
 * lock as owner `who`, works, recomputes every CPU's output line, releases the lock and
 * returns the CPUs to kick. */
#ifndef PERCORE_HW_GIC_H
#define PERCORE_HW_GIC_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GIC_MAX_CPUS 8
#define GIC_NR_IRQS  288 /* 32 private + 256 SPIs, as qemu virt's GIC */
#define GIC_NR_SGIS  16
#define GIC_NR_PRIV  32 /* SGIs and PPIs: banked per CPU */
#define GIC_NR_SPIS  (GIC_NR_IRQS - GIC_NR_PRIV)

#define GIC_DIST_BASE 0x08000000u
#define GIC_DIST_SIZE 0x10000u
#define GIC_CPU_BASE  0x08010000u
#define GIC_CPU_SIZE  0x10000u
/* What qemu 7.2 decodes inside those windows: its distributor region is 4 KiB and its CPU
 * interface 8 KiB; an access beyond is an external abort there (here it reads 0 and is
 * logged, so the board should refuse it before calling in, to look the same). */
#define GIC_DIST_DECODED 0x1000u
#define GIC_CPU_DECODED  0x2000u

/* Bits of a CPU's output line word. */
#define GIC_LINE_IRQ 1u
#define GIC_LINE_FIQ 2u

/* Lock owners: vCPU endpoint 0..7, and the coordinator. */
#define GIC_WHO_COORD 8u

/* GICC_IAR/GICC_HPPIR values that are no interrupt (IHI 0048B 3.2, special interrupt numbers). */
#define GIC_SPURIOUS      1023u
#define GIC_SPURIOUS_GRP1 1022u /* a Group 1 interrupt is highest and GICC_CTLR.AckCtl is 0 */

#define GIC_LAYOUT_VERSION 1u

/* Everything below is the model's private state; it is in the header only so that the
 * coordinator can size the shared object and gic_line() can be inline. */
#define GIC_NR_BITMAPS   6 /* enabled, pending latch, active, line level, edge, group */
#define GIC_NR_SPI_WORDS (GIC_NR_SPIS / 32)
#define GIC_NR_APRS      4 /* 128 preemption levels (priority bits [7:1]) */

/* One CPU: its banked distributor state for interrupts 0..31 and its CPU interface. */
struct gic_cpu {
    uint32_t bits[GIC_NR_BITMAPS];    /* bit n: interrupt n */
    uint32_t route[GIC_NR_SPI_WORDS]; /* SPIs whose ITARGETSR names this CPU (derived) */
    uint8_t prio[GIC_NR_PRIV];
    uint8_t sgi_src[GIC_NR_SGIS]; /* per SGI: the source CPUs it is pending from */
    uint32_t ctlr, pmr, bpr, abpr;
    uint32_t apr[GIC_NR_APRS];   /* GICC_APRn: active Group 0 preemption levels */
    uint32_t nsapr[GIC_NR_APRS]; /* GICC_NSAPRn: active Group 1 preemption levels */
    uint32_t rpr;                /* running priority (derived from the APRs), 0x100 idle */
};

/* A CPU's output: read by its vCPU at every block boundary without the lock, so it has a
 * cache line of its own and is written (with release) only when it changes. */
struct gic_line_word {
    alignas(64) _Atomic uint32_t line; /* GIC_LINE_IRQ | GIC_LINE_FIQ */
};

struct gic_state {
    alignas(64) _Atomic uint32_t lock; /* 0 free, owner + 1 while held */
    uint32_t version;                  /* GIC_LAYOUT_VERSION */
    uint32_t ncpus;
    uint32_t ctlr; /* GICD_CTLR */
    alignas(64) uint32_t spi_bits[GIC_NR_BITMAPS][GIC_NR_SPI_WORDS];
    uint8_t spi_prio[GIC_NR_SPIS];
    uint8_t spi_target[GIC_NR_SPIS];
    struct gic_cpu cpu[GIC_MAX_CPUS];
    struct gic_line_word out[GIC_MAX_CPUS];
};

_Static_assert(sizeof(struct gic_line_word) == 64, "one line word per cache line");
_Static_assert(sizeof(struct gic_state) == 2560, "gic_state layout (bump GIC_LAYOUT_VERSION)");
_Static_assert(offsetof(struct gic_state, spi_bits) == 64 &&
                   offsetof(struct gic_state, out) == 2048,
               "gic_state layout: the lock and each line word alone in their cache lines");
_Static_assert(sizeof(struct gic_state) < 16384, "gic_state stays under 16 KiB");

/* Power-on state for ncpus (1..8) CPUs, as qemu 7.2 resets its GIC. Also the first
 * initialisation of a fresh mapping: it writes every byte, the lock included, so call it
 * only while no other process uses the state. Every line is low afterwards: a device whose
 * line is high must raise it again. */
void gic_reset(struct gic_state *g, unsigned ncpus);

/* The output line of a CPU: GIC_LINE_IRQ and/or GIC_LINE_FIQ. No lock; the acquire pairs
 * with the release of the writer, so what an IAR read then sees is at least as new. */
static inline uint32_t gic_line(const struct gic_state *g, unsigned cpu)
{
    return atomic_load_explicit(&g->out[cpu].line, memory_order_acquire);
}

/* Every call below takes the state's lock as owner `who` (0..7: vCPU endpoint, 8 =
 * GIC_WHO_COORD), does its work, recomputes the output lines, releases the lock, and
 * returns the mask of CPUs (bit n = CPU n) whose line gained a bit (0 -> IRQ, or FIQ newly
 * set): the caller kicks exactly those CPUs. `cpu` is the CPU making the access (banked
 * registers, SGI source, which CPU interface). offset is from the window's base; size is
 * 1, 2 or 4 (the distributor is byte-addressable throughout, as in qemu; a CPU interface
 * register answers 1- and 2-byte accesses at its offset with its low bytes). Accesses
 * never fail: bad offsets and sizes read 0, writes to them are ignored, and both are logged
 * under -d guest_errors. The calls are not reentrant: never call one while holding the
 * lock. */
uint32_t gic_dist_read(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                       unsigned size, uint32_t *value);
uint32_t gic_dist_write(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                        unsigned size, uint32_t value);
/* A read of GICC_IAR acknowledges: it changes state and may lower lines. */
uint32_t gic_cpu_read(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                      unsigned size, uint32_t *value);
uint32_t gic_cpu_write(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                       unsigned size, uint32_t value);
/* A device's interrupt line: intid 32..287 (SPI n is INTID 32 + n). Only a change of level
 * does anything: a rising edge latches an edge-triggered SPI pending, and a level-sensitive
 * one is pending while the line is high. */
uint32_t gic_set_spi(struct gic_state *g, unsigned who, unsigned intid, bool level);
/* gic_set_spi for the coordinator, which must never wait for ever: the process holding
 * the lock may have died, and the coordinator is the one to recover it (on its event
 * loop). False when the lock stayed held for a few milliseconds; nothing changed then,
 * and the caller tries again after handling its events. */
bool gic_try_set_spi(struct gic_state *g, unsigned who, unsigned intid, bool level,
                     uint32_t *raised);
/* A CPU's private peripheral line (generic timer): intid 16..31 of that CPU. */
uint32_t gic_set_ppi(struct gic_state *g, unsigned who, unsigned cpu, unsigned intid, bool level);

/* The coordinator calls this when process `dead` (a vCPU endpoint, or 8) died. If `dead`
 * holds the lock, the coordinator takes it over, repairs the derived state (SGI pending
 * bits from their source sets, running priorities from the APRs, SPI routes from
 * ITARGETSR), recomputes every line and releases it; a lock held by anyone else is left
 * alone. What the dead holder was doing may stay half done: a multi-byte distributor write
 * applied to its first bytes only, an SGI sent to some of its targets only, an IAR read
 * that set the active priority but not the active bit (or the other way round), an EOI
 * that dropped the priority without deactivating. All of it concerns the dead CPU or the
 * one access it was making; the state stays well formed. Lines may have risen: kick every
 * live vCPU afterwards. */
void gic_lock_recover(struct gic_state *g, unsigned dead);

#endif

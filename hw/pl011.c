/* ARM PrimeCell UART PL011 (TRM: ARM DDI 0183), the virt board's console at 0x09000000.
 *
 * Modelled on what qemu-system-arm 7.2's "pl011" shows the guest, because percore's
 * guest tests compare transcripts with qemu's: registers keep the value written (no
 * masking to their architected width), UARTDR transmits whatever UARTCR says (7.2 does
 * not check UARTEN/TXE), an access inside a register reaches that register, and an
 * 8-byte access is two 4-byte ones. Transmission is instant: the TX FIFO is never full
 * and the UART never busy.
 *
 * Receive, as 7.2 does it: the serial backend offers bytes with pl011_receive (as many
 * as pl011_can_receive says fit) into a 16-entry RX FIFO, one entry deep while
 * LCR_H.FEN is clear; changing FEN empties it. A read of UARTDR pops the oldest byte
 * (bits 11:8, the error flags, are always 0: no framing, parity, break or overrun
 * errors are modelled) and a read of an empty FIFO returns 0. RXRIS rises when the
 * FIFO goes from empty to one byte and falls when a read empties it (7.2 fixes the
 * trigger level at 1 whatever IFLS says, "so that Linux works"); like 7.2, the
 * receive timeout (RTRIS) is never raised, and a cleared RXRIS stays clear until the
 * FIFO has been emptied and refilled. Neither UARTEN nor RXE gates reception (7.2
 * does not check them either).
 *
 * The interrupt output UARTINTR is MIS = RIS & IMSC (TXRIS rises on each transmitted
 * byte, RXRIS as above); the board samples it after every access and every input and
 * drives SPI 1 (level) with it.
 *
 * Not here yet, on purpose (later issues; nothing is faked meanwhile):
 *  - DMA (UARTDMACR is stored; turning DMA on is logged under -d unimp), break
 *    (LCR_H.BRK) and the modem lines. */
#include <glib.h>

#include "hw/hw.h"
#include "util/util.h"

/* Register offsets (TRM 3.2). */
#define PL011_DR      0x000
#define PL011_RSR     0x004 /* read: UARTRSR; write: UARTECR */
#define PL011_FR      0x018
#define PL011_ILPR    0x020
#define PL011_IBRD    0x024
#define PL011_FBRD    0x028
#define PL011_LCR_H   0x02c
#define PL011_CR      0x030
#define PL011_IFLS    0x034
#define PL011_IMSC    0x038
#define PL011_RIS     0x03c
#define PL011_MIS     0x040
#define PL011_ICR     0x044
#define PL011_DMACR   0x048
#define PL011_ID_BASE 0xfe0 /* PeriphID0-3, PCellID0-3: one byte per word up to 0xffc */

#define PL011_FR_RXFE   0x10u
#define PL011_FR_RXFF   0x40u
#define PL011_FR_TXFE   0x80u
#define PL011_LCR_H_FEN 0x10u
#define PL011_INT_RX    0x10u /* RXRIS */
#define PL011_INT_TX    0x20u /* TXRIS */
#define PL011_FIFO_SIZE 16u

/* Reset values (TRM 3.3; as qemu resets them). */
#define PL011_CR_RESET   0x300u /* TXE | RXE, UART disabled */
#define PL011_IFLS_RESET 0x12u  /* both FIFOs at half */

/* UARTPeriphID0-3 (part 0x011, designer ARM, revision r1p5) and the PrimeCell IDs. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

struct pl011 {
    void (*tx)(void *arg, uint8_t byte);
    void *tx_arg;
    void (*rx_ready)(void *arg); /* room again in the RX FIFO; may be NULL */
    void *rx_ready_arg;
    uint8_t rx_fifo[PL011_FIFO_SIZE];
    unsigned rx_pos, rx_count; /* oldest byte's slot; bytes waiting */
    uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
};

/* The RX FIFO's depth now: 16 with LCR_H.FEN set, 1 (a holding register) without. */
static unsigned pl011_rx_depth(const struct pl011 *s)
{
    return (s->lcr_h & PL011_LCR_H_FEN) ? PL011_FIFO_SIZE : 1;
}

/* Tells the backend there is room: bytes it holds back can come in. */
static void pl011_rx_room(struct pl011 *s)
{
    if (s->rx_ready && s->rx_count < pl011_rx_depth(s))
        s->rx_ready(s->rx_ready_arg);
}

static void pl011_rx_flush(struct pl011 *s)
{
    s->rx_pos = s->rx_count = 0;
}

static void pl011_reset(void *opaque)
{
    struct pl011 *s = opaque;
    s->rsr = s->ilpr = s->ibrd = s->fbrd = s->lcr_h = 0;
    s->imsc = s->ris = s->dmacr = 0;
    s->cr = PL011_CR_RESET;
    s->ifls = PL011_IFLS_RESET;
    pl011_rx_flush(s);
    pl011_rx_room(s);
}

/* UARTFR: the RX FIFO's state; nothing waiting to go out, never busy. */
static uint32_t pl011_flags(const struct pl011 *s)
{
    uint32_t fr = PL011_FR_TXFE;
    if (s->rx_count == 0)
        fr |= PL011_FR_RXFE;
    if (s->rx_count >= pl011_rx_depth(s))
        fr |= PL011_FR_RXFF;
    return fr;
}

size_t pl011_can_receive(void *dev)
{
    struct pl011 *s = dev;
    unsigned depth = pl011_rx_depth(s);
    return s->rx_count < depth ? depth - s->rx_count : 0;
}

size_t pl011_receive(void *dev, const uint8_t *buf, size_t n)
{
    struct pl011 *s = dev;
    size_t taken = 0;
    for (; taken < n && pl011_can_receive(s); taken++) {
        s->rx_fifo[(s->rx_pos + s->rx_count) % PL011_FIFO_SIZE] = buf[taken];
        if (++s->rx_count == 1) /* 7.2's trigger level: the first byte */
            s->ris |= PL011_INT_RX;
    }
    return taken;
}

/* A read of UARTDR: the oldest byte, error bits 11:8 clear; 0 when nothing is there. */
static uint32_t pl011_read_dr(struct pl011 *s)
{
    if (s->rx_count == 0)
        return 0;
    uint32_t c = s->rx_fifo[s->rx_pos];
    s->rx_pos = (s->rx_pos + 1) % PL011_FIFO_SIZE;
    if (--s->rx_count == 0)
        s->ris &= ~PL011_INT_RX;
    s->rsr = 0; /* the popped byte's error bits */
    pl011_rx_room(s);
    return c;
}

/* LCR_H: turning the FIFOs on or off empties them, as on the PL011 and in qemu. */
static void pl011_write_lcr_h(struct pl011 *s, uint32_t value)
{
    bool flush = (s->lcr_h ^ value) & PL011_LCR_H_FEN;
    s->lcr_h = value;
    if (flush) {
        pl011_rx_flush(s);
        pl011_rx_room(s);
    }
}

/* The offset of the register an access falls in (a byte at 0x19 is UARTFR's). */
static uint64_t pl011_reg(uint64_t offset)
{
    return offset & ~3ull;
}

static bool pl011_is_id(uint64_t reg)
{
    return reg >= PL011_ID_BASE && reg < PL011_SIZE;
}

/* One register read; false for an offset with nothing readable there. */
static bool pl011_read_reg(struct pl011 *s, uint64_t reg, uint32_t *v)
{
    switch (reg) {
    case PL011_DR: *v = pl011_read_dr(s); return true;
    case PL011_RSR: *v = s->rsr; return true;
    case PL011_FR: *v = pl011_flags(s); return true;
    case PL011_ILPR: *v = s->ilpr; return true;
    case PL011_IBRD: *v = s->ibrd; return true;
    case PL011_FBRD: *v = s->fbrd; return true;
    case PL011_LCR_H: *v = s->lcr_h; return true;
    case PL011_CR: *v = s->cr; return true;
    case PL011_IFLS: *v = s->ifls; return true;
    case PL011_IMSC: *v = s->imsc; return true;
    case PL011_RIS: *v = s->ris; return true;
    case PL011_MIS: *v = s->ris & s->imsc; return true;
    case PL011_DMACR: *v = s->dmacr; return true;
    }
    if (pl011_is_id(reg)) {
        *v = pl011_id[(reg - PL011_ID_BASE) >> 2];
        return true;
    }
    return false;
}

static void pl011_transmit(struct pl011 *s, uint32_t value)
{
    s->tx(s->tx_arg, (uint8_t)value);
    /* The byte left at once, so the TX FIFO is below its trigger level again. */
    s->ris |= PL011_INT_TX;
}

static void pl011_write_dmacr(struct pl011 *s, uint32_t value)
{
    s->dmacr = value;
    if (value & 3)
        log_item(LOG_UNIMP, "pl011: DMA (UARTDMACR=0x%x) is not implemented", value);
}

/* One register write; false for an offset with nothing writable there. */
static bool pl011_write_reg(struct pl011 *s, uint64_t reg, uint32_t value)
{
    switch (reg) {
    case PL011_DR: pl011_transmit(s, value); return true;
    case PL011_RSR: s->rsr = 0; return true; /* UARTECR: any write clears the errors */
    case PL011_ILPR: s->ilpr = value; return true;
    case PL011_IBRD: s->ibrd = value; return true;
    case PL011_FBRD: s->fbrd = value; return true;
    case PL011_LCR_H: pl011_write_lcr_h(s, value); return true;
    case PL011_CR: s->cr = value; return true;
    case PL011_IFLS: s->ifls = value; return true;
    case PL011_IMSC: s->imsc = value; return true;
    case PL011_ICR: s->ris &= ~value; return true;
    case PL011_DMACR: pl011_write_dmacr(s, value); return true;
    }
    return false;
}

/* Offsets are checked by the bus; one that falls on no register reads 0 and ignores
 * writes, with a line under -d guest_errors, as qemu does (no external abort). */
static uint32_t pl011_read32(struct pl011 *s, uint64_t offset)
{
    uint32_t v = 0;
    if (!pl011_read_reg(s, pl011_reg(offset), &v))
        log_item(LOG_GUEST_ERRORS, "pl011: read of offset 0x%03llx: no readable register",
                 (unsigned long long)offset);
    return v;
}

static void pl011_write32(struct pl011 *s, uint64_t offset, uint32_t value)
{
    if (!pl011_write_reg(s, pl011_reg(offset), value))
        log_item(LOG_GUEST_ERRORS,
                 "pl011: write of 0x%x to offset 0x%03llx ignored: "
                 "no writable register",
                 value, (unsigned long long)offset);
}

static bool pl011_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct pl011 *s = opaque;
    *value = pl011_read32(s, offset);
    return true;
}

static bool pl011_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pl011 *s = opaque;
    pl011_write32(s, offset, (uint32_t)value);
    return true;
}

static void pl011_destroy(void *opaque)
{
    g_free(opaque);
}

/* UARTINTR, the combined interrupt (SPI 1 on the virt board): MIS != 0. */
static bool pl011_irq_level(void *opaque)
{
    const struct pl011 *s = opaque;
    return (s->ris & s->imsc) != 0;
}

const struct hw_ops pl011_ops = {
    .name = "pl011",
    .read = pl011_read,
    .write = pl011_write,
    .reset = pl011_reset,
    .destroy = pl011_destroy,
    .max_size = 4, /* a 32-bit APB device: the bus splits 8-byte accesses */
    .irq_level = pl011_irq_level,
};

void *pl011_create(void (*tx)(void *arg, uint8_t byte), void *arg)
{
    struct pl011 *s = g_new0(struct pl011, 1);
    s->tx = tx;
    s->tx_arg = arg;
    pl011_reset(s);
    return s;
}

void pl011_set_rx_ready(void *dev, void (*rx_ready)(void *arg), void *arg)
{
    struct pl011 *s = dev;
    s->rx_ready = rx_ready;
    s->rx_ready_arg = arg;
}

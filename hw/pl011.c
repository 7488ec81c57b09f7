/* ARM PrimeCell UART PL011 (TRM: ARM DDI 0183), the virt board's console at 0x09000000.
 *
 * Modelled on what qemu-system-arm 7.2's "pl011" shows the guest, because percore's
 * guest tests compare transcripts with qemu's: registers keep the value written (no
 * masking to their architected width), UARTDR transmits whatever UARTCR says (7.2 does
 * not check UARTEN/TXE), an access inside a register reaches that register, and an
 * 8-byte access is two 4-byte ones. Transmission is instant: the TX FIFO is never full
 * and the UART never busy.
 *
 * Not here yet, on purpose (later issues; nothing is faked meanwhile):
 *  - receive: the RX FIFO is always empty (UARTFR.RXFE set), a read of UARTDR returns
 *    0, and no receive, timeout or error interrupt is ever raised;
 *  - the interrupt line: RIS and IMSC are kept exactly (TXRIS rises on each transmitted
 *    byte, as in qemu), but MIS = RIS & IMSC drives nothing until the GIC exists
 *    (SPI 1, level);
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

#define PL011_FR_RXFE 0x10u
#define PL011_FR_TXFE 0x80u
#define PL011_INT_TX  0x20u /* TXRIS */

/* Reset values (TRM 3.3; as qemu resets them). */
#define PL011_CR_RESET   0x300u /* TXE | RXE, UART disabled */
#define PL011_IFLS_RESET 0x12u  /* both FIFOs at half */

/* UARTPeriphID0-3 (part 0x011, designer ARM, revision r1p5) and the PrimeCell IDs. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

struct pl011 {
    void (*tx)(void *arg, uint8_t byte);
    void *tx_arg;
    uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
};

static void pl011_reset(void *opaque)
{
    struct pl011 *s = opaque;
    s->rsr = s->ilpr = s->ibrd = s->fbrd = s->lcr_h = 0;
    s->imsc = s->ris = s->dmacr = 0;
    s->cr = PL011_CR_RESET;
    s->ifls = PL011_IFLS_RESET;
}

/* UARTFR: nothing to receive, nothing waiting to go out, never busy. */
static uint32_t pl011_flags(void)
{
    return PL011_FR_RXFE | PL011_FR_TXFE;
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
    case PL011_DR: *v = 0; return true; /* RX FIFO empty: see the top of the file */
    case PL011_RSR: *v = s->rsr; return true;
    case PL011_FR: *v = pl011_flags(); return true;
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
    case PL011_LCR_H: s->lcr_h = value; return true; /* FIFO flush on FEN: nothing queued */
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
    if (size == 8 && offset + 4 < PL011_SIZE)
        *value |= (uint64_t)pl011_read32(s, offset + 4) << 32;
    return true;
}

static bool pl011_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pl011 *s = opaque;
    pl011_write32(s, offset, (uint32_t)value);
    if (size == 8 && offset + 4 < PL011_SIZE)
        pl011_write32(s, offset + 4, (uint32_t)(value >> 32));
    return true;
}

static void pl011_destroy(void *opaque)
{
    g_free(opaque);
}

const struct hw_ops pl011_ops = {
    .name = "pl011",
    .read = pl011_read,
    .write = pl011_write,
    .reset = pl011_reset,
    .destroy = pl011_destroy,
};

void *pl011_create(void (*tx)(void *arg, uint8_t byte), void *arg)
{
    struct pl011 *s = g_new0(struct pl011, 1);
    s->tx = tx;
    s->tx_arg = arg;
    pl011_reset(s);
    return s;
}

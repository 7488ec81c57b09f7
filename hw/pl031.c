/* ARM PrimeCell real-time clock PL031 (TRM: ARM DDI 0224), the virt board's RTC at
 * 0x09010000.
 *
 * Modelled on what qemu-system-arm 7.2's "pl031" shows the guest with its default
 * -rtc base=utc: RTCDR counts the seconds of a clock (the host's CLOCK_REALTIME on the
 * board) plus an offset, 0 at creation, that a write to RTCLR moves so that RTCDR
 * reads the value written at that instant. RTCCR reads 1 (always enabled) and ignores
 * writes; RTCIMSC keeps bit 0 only. Registers are matched at their exact offsets (a
 * byte inside RTCDR other than its first is a bad offset, as in qemu), except the ID
 * bytes at 0xfe0-0xfff, and an 8-byte access is two 4-byte ones. As in qemu the device
 * has no reset: the count, the offset and the registers survive a system reset.
 *
 * The match: a write to RTCMR or RTCLR arms a one-shot alarm for the moment the count
 * next equals RTCMR (at once when it does already; modulo 2^32, as qemu's uint32_t
 * count wraps), and when it goes off RTCRIS bit 0 is set. It goes off as the count
 * turns to RTCMR; qemu's timer is up to a second late (it runs whole seconds from the
 * write, not to the second's edge), which no guest can rely on. The alarm is caught up
 * at the start of every access and whenever the board samples the interrupt output
 * (RTCINTR = RTCMIS, SPI 2 on the virt board); irq_deadline tells the board when an
 * armed, unmasked alarm goes off, so the coordinator's event loop samples it then and
 * the interrupt rises without the guest touching the RTC. */
#include <time.h>

#include <glib.h>

#include "hw/hw.h"
#include "util/util.h"

/* Register offsets (TRM 3.2). */
#define PL031_DR      0x000 /* data: the count, read-only */
#define PL031_MR      0x004 /* match */
#define PL031_LR      0x008 /* load */
#define PL031_CR      0x00c /* control: bit 0 enable */
#define PL031_IMSC    0x010
#define PL031_RIS     0x014
#define PL031_MIS     0x018
#define PL031_ICR     0x01c /* write-only */
#define PL031_ID_BASE 0xfe0 /* PeriphID0-3, PCellID0-3: one byte per word up to 0xffc */

#define PL031_INT_MATCH 1u
#define PL031_NS_PER_S  1000000000ll

/* RTCPeriphID0-3 (part 0x031, designer ARM, revision r1p0) and the PrimeCell IDs. */
static const uint8_t pl031_id[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

struct pl031 {
    int64_t (*clock_ns)(void *arg);
    void *clock_arg;
    uint32_t offset; /* count = offset + clock seconds, modulo 2^32 */
    uint32_t mr, lr, imsc, ris;
    bool armed;         /* an alarm is pending... */
    int64_t deadline_s; /* ...and goes off when the clock's seconds reach this */
};

int64_t pl031_clock_realtime(void *arg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * PL031_NS_PER_S + ts.tv_nsec;
}

static int64_t pl031_seconds(int64_t now)
{
    return now / PL031_NS_PER_S;
}

static uint32_t pl031_count(const struct pl031 *s, int64_t now)
{
    return s->offset + (uint32_t)pl031_seconds(now);
}

/* qemu's pl031_set_alarm: the count equals RTCMR in ticks seconds (0: now). */
static void pl031_arm(struct pl031 *s, int64_t now)
{
    uint32_t ticks = s->mr - pl031_count(s, now);
    s->armed = ticks != 0;
    if (ticks == 0)
        s->ris = PL031_INT_MATCH;
    else
        s->deadline_s = pl031_seconds(now) + ticks;
}

/* What a timer would have done by now. */
static void pl031_catch_up(struct pl031 *s, int64_t now)
{
    if (s->armed && pl031_seconds(now) >= s->deadline_s) {
        s->armed = false;
        s->ris = PL031_INT_MATCH;
    }
}

/* One register read; false for an offset with nothing readable there. */
static bool pl031_read_reg(struct pl031 *s, uint64_t offset, int64_t now, uint32_t *v)
{
    switch (offset) {
    case PL031_DR: *v = pl031_count(s, now); return true;
    case PL031_MR: *v = s->mr; return true;
    case PL031_LR: *v = s->lr; return true;
    case PL031_CR: *v = 1; return true; /* always counting */
    case PL031_IMSC: *v = s->imsc; return true;
    case PL031_RIS: *v = s->ris; return true;
    case PL031_MIS: *v = s->ris & s->imsc; return true;
    }
    if (offset >= PL031_ID_BASE && offset < PL031_SIZE) {
        *v = pl031_id[(offset - PL031_ID_BASE) >> 2];
        return true;
    }
    return false;
}

/* One register write; false for an offset with nothing writable there. */
static bool pl031_write_reg(struct pl031 *s, uint64_t offset, int64_t now, uint32_t value)
{
    switch (offset) {
    case PL031_MR:
        s->mr = value;
        pl031_arm(s, now);
        return true;
    case PL031_LR:
        s->lr = value;
        s->offset += value - pl031_count(s, now);
        pl031_arm(s, now);
        return true;
    case PL031_CR: return true; /* the RTC cannot be stopped: ignored, as in qemu */
    case PL031_IMSC: s->imsc = value & PL031_INT_MATCH; return true;
    case PL031_ICR: s->ris &= ~value; return true;
    }
    return false;
}

/* Offsets are checked by the bus; one that falls on no register reads 0 and ignores
 * writes, with a line under -d guest_errors, as qemu does (no external abort). */
static uint32_t pl031_read32(struct pl031 *s, uint64_t offset, int64_t now)
{
    uint32_t v = 0;
    if (!pl031_read_reg(s, offset, now, &v))
        log_item(LOG_GUEST_ERRORS, "pl031: read of offset 0x%03llx: no readable register",
                 (unsigned long long)offset);
    return v;
}

static void pl031_write32(struct pl031 *s, uint64_t offset, int64_t now, uint32_t value)
{
    if (!pl031_write_reg(s, offset, now, value))
        log_item(LOG_GUEST_ERRORS,
                 "pl031: write of 0x%x to offset 0x%03llx ignored: "
                 "no writable register",
                 value, (unsigned long long)offset);
}

/* One clock reading per access: a load and the alarm it arms see the same instant.
 * (An 8-byte access reaches the device as two 4-byte ones, each with its reading.) */
static int64_t pl031_now(struct pl031 *s)
{
    int64_t now = s->clock_ns(s->clock_arg);
    pl031_catch_up(s, now);
    return now;
}

static bool pl031_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct pl031 *s = opaque;
    int64_t now = pl031_now(s);
    *value = pl031_read32(s, offset, now);
    return true;
}

static bool pl031_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pl031 *s = opaque;
    int64_t now = pl031_now(s);
    pl031_write32(s, offset, now, (uint32_t)value);
    return true;
}

static void pl031_destroy(void *opaque)
{
    g_free(opaque);
}

/* RTCINTR (SPI 2 on the virt board): RTCMIS, with the match caught up to now. */
static bool pl031_irq_level(void *opaque)
{
    struct pl031 *s = opaque;
    pl031_catch_up(s, s->clock_ns(s->clock_arg));
    return (s->ris & s->imsc) != 0;
}

/* An armed, unmasked match raises RTCINTR when the clock's seconds reach it. */
static bool pl031_irq_deadline(void *opaque, int64_t *delay_ns)
{
    struct pl031 *s = opaque;
    if (!s->armed || !(s->imsc & PL031_INT_MATCH))
        return false;
    int64_t d = s->deadline_s * PL031_NS_PER_S - s->clock_ns(s->clock_arg);
    *delay_ns = d > 0 ? d : 0;
    return true;
}

const struct hw_ops pl031_ops = {
    .name = "pl031",
    .read = pl031_read,
    .write = pl031_write,
    .reset = NULL, /* none in qemu either: the clock keeps its time across a reset */
    .destroy = pl031_destroy,
    .max_size = 4, /* a 32-bit APB device: the bus splits 8-byte accesses */
    .irq_level = pl031_irq_level,
    .irq_deadline = pl031_irq_deadline,
};

void *pl031_create(int64_t (*clock_ns)(void *arg), void *arg)
{
    struct pl031 *s = g_new0(struct pl031, 1);
    s->clock_ns = clock_ns;
    s->clock_arg = arg;
    return s;
}

/* hw/: the PL031 RTC as the guest sees it, on a clock the test moves by hand (nothing
 * here depends on the host's time). */
#include <glib.h>

#include "hw/hw.h"

#define RTC 0x09010000ull
#define S   1000000000ll /* one second of the fake clock, in ns */

struct rtc_fixture {
    struct hw_bus bus;
    int64_t now_ns;
};

static int64_t fake_clock(void *arg)
{
    return ((struct rtc_fixture *)arg)->now_ns;
}

static void rtc_setup(struct rtc_fixture *f, gconstpointer data)
{
    f->now_ns = 1000 * S + S / 2; /* 1000.5 s */
    hw_bus_init(&f->bus);
    g_assert_cmpint(hw_bus_map(&f->bus, RTC, PL031_SIZE, &pl031_ops, pl031_create(fake_clock, f)),
                    ==, 0);
}

static void rtc_teardown(struct rtc_fixture *f, gconstpointer data)
{
    hw_bus_destroy(&f->bus);
}

static uint64_t rd(struct rtc_fixture *f, uint64_t off, unsigned size)
{
    uint64_t v = 0xdead;
    g_assert_true(hw_bus_read(&f->bus, RTC + off, size, &v));
    return v;
}

static void wr(struct rtc_fixture *f, uint64_t off, unsigned size, uint64_t v)
{
    g_assert_true(hw_bus_write(&f->bus, RTC + off, size, v));
}

#define DR   0x000
#define MR   0x004
#define LR   0x008
#define CR   0x00c
#define IMSC 0x010
#define RIS  0x014
#define MIS  0x018
#define ICR  0x01c

static void test_rtc_ids(struct rtc_fixture *f, gconstpointer data)
{
    static const uint8_t id[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmphex(rd(f, 0xfe0 + 4 * i, 4), ==, id[i]);
        g_assert_cmphex(rd(f, 0xfe0 + 4 * i + 3, 1), ==, id[i]); /* any byte of the word */
    }
    g_assert_cmphex(rd(f, 0xff8, 8), ==, 0x000000b100000005ull);
}

static void test_rtc_count(struct rtc_fixture *f, gconstpointer data)
{
    g_assert_cmphex(rd(f, DR, 4), ==, 1000); /* whole seconds of the clock, offset 0 */
    f->now_ns = 1001 * S - 1;
    g_assert_cmphex(rd(f, DR, 4), ==, 1000);
    f->now_ns = 1001 * S;
    g_assert_cmphex(rd(f, DR, 4), ==, 1001);
    f->now_ns += 3600 * S;
    g_assert_cmphex(rd(f, DR, 4), ==, 4601);
    g_assert_cmphex(rd(f, DR, 1), ==, 4601 & 0xff);
    g_assert_cmphex(rd(f, CR, 4), ==, 1); /* always enabled... */
    wr(f, CR, 4, 0);
    g_assert_cmphex(rd(f, CR, 4), ==, 1); /* ...and a write cannot stop it */
    f->now_ns += S;
    g_assert_cmphex(rd(f, DR, 4), ==, 4602);
    /* The 64-bit host clock is cut to the 32-bit count. */
    f->now_ns = (0x100000000ll + 7) * S;
    g_assert_cmphex(rd(f, DR, 4), ==, 7);
}

static void test_rtc_load(struct rtc_fixture *f, gconstpointer data)
{
    wr(f, LR, 4, 0x12345678);
    g_assert_cmphex(rd(f, DR, 4), ==, 0x12345678);
    g_assert_cmphex(rd(f, LR, 4), ==, 0x12345678);
    f->now_ns += S / 2; /* the clock's second turns: 1001.0 s */
    g_assert_cmphex(rd(f, DR, 4), ==, 0x12345679);
    f->now_ns += 10 * S;
    g_assert_cmphex(rd(f, DR, 4), ==, 0x12345683);
    g_assert_cmphex(rd(f, LR, 4), ==, 0x12345678); /* LR keeps what was written */
    wr(f, LR, 4, 0xffffffff);                      /* the count wraps */
    f->now_ns += 2 * S;
    g_assert_cmphex(rd(f, DR, 4), ==, 1);
    wr(f, LR, 4, 0);
    g_assert_cmphex(rd(f, DR, 4), ==, 0);
    /* The RTC has no reset, as in qemu: the count and the registers stay. */
    wr(f, MR, 4, 0x99);
    wr(f, IMSC, 4, 1);
    hw_bus_reset(&f->bus);
    g_assert_cmphex(rd(f, DR, 4), ==, 0);
    g_assert_cmphex(rd(f, MR, 4), ==, 0x99);
    g_assert_cmphex(rd(f, IMSC, 4), ==, 1);
}

static void test_rtc_match(struct rtc_fixture *f, gconstpointer data)
{
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    wr(f, MR, 4, 1005); /* the count is 1000 until 1001.0 s: 1005 at 1005.0 s */
    g_assert_cmphex(rd(f, MR, 4), ==, 1005);
    f->now_ns = 1005 * S - 1;
    g_assert_cmphex(rd(f, DR, 4), ==, 1004);
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    f->now_ns = 1005 * S; /* the count turns to RTCMR */
    g_assert_cmphex(rd(f, DR, 4), ==, 1005);
    g_assert_cmphex(rd(f, RIS, 4), ==, 1);
    g_assert_cmphex(rd(f, MIS, 4), ==, 0); /* masked */
    wr(f, IMSC, 4, 0xffffffff);
    g_assert_cmphex(rd(f, IMSC, 4), ==, 1); /* only the match bit */
    g_assert_cmphex(rd(f, MIS, 4), ==, 1);
    wr(f, ICR, 4, 1);
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    g_assert_cmphex(rd(f, MIS, 4), ==, 0);
    f->now_ns += 100 * S; /* one-shot: the alarm does not rise again */
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);

    /* A match with the count as it is: at once. */
    wr(f, MR, 4, rd(f, DR, 4));
    g_assert_cmphex(rd(f, MIS, 4), ==, 1);
    wr(f, ICR, 4, 0xffffffff);
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    /* A load that makes the count equal RTCMR: at once too. */
    wr(f, MR, 4, 0x5000);
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    wr(f, LR, 4, 0x5000);
    g_assert_cmphex(rd(f, RIS, 4), ==, 1);
    wr(f, ICR, 4, 1);

    /* An alarm that went off before ICR is written is cleared by it. */
    wr(f, MR, 4, 0x5002);
    f->now_ns += 2 * S;
    wr(f, ICR, 4, 1);
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);

    /* A match already passed comes only after the 32-bit count wraps. */
    wr(f, MR, 4, 0x4fff);
    f->now_ns += 0x7fffffffll * S;
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    f->now_ns += 0x7ffffffell * S; /* 2^32 - 3 s after RTCMR was written */
    g_assert_cmphex(rd(f, DR, 4), ==, 0x4fff);
    g_assert_cmphex(rd(f, RIS, 4), ==, 1);

    /* A load moves a pending alarm: armed again from the new count. */
    wr(f, ICR, 4, 1);
    wr(f, MR, 4, 100);
    wr(f, LR, 4, 90);
    f->now_ns += 9 * S;
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    f->now_ns += S;
    g_assert_cmphex(rd(f, RIS, 4), ==, 1);
}

/* Reserved offsets and bytes inside a register other than its first read 0 (qemu
 * matches exact offsets); writes there and to read-only registers change nothing. */
static bool irq_record(void *arg, unsigned irq, bool level)
{
    *(int *)arg = level;
    return true;
}

/* The interrupt output (RTCINTR): wired to an input, it rises on its own when the
 * match time comes (the board's timer asks for the deadline), only while unmasked. */
static void test_rtc_irq(struct rtc_fixture *f, gconstpointer data)
{
    int level = -1;
    int64_t d;
    g_assert_cmpint(hw_bus_connect_irq(&f->bus, RTC, 34), ==, 0);
    wr(f, MR, 4, 1003);
    g_assert_false(hw_bus_next_deadline(&f->bus, &d)); /* masked: nothing to wait for */
    wr(f, IMSC, 4, 1);
    g_assert_true(hw_bus_next_deadline(&f->bus, &d));
    g_assert_cmpint(d, ==, 1003 * S - f->now_ns);
    hw_bus_sync_irqs(&f->bus, irq_record, &level);
    g_assert_cmpint(level, ==, -1); /* still low: not passed on */
    f->now_ns = 1003 * S;           /* no access: the deadline alone raises it */
    hw_bus_sync_irqs(&f->bus, irq_record, &level);
    g_assert_cmpint(level, ==, 1);
    g_assert_false(hw_bus_next_deadline(&f->bus, &d)); /* fired: one-shot */
    wr(f, ICR, 4, 1);
    hw_bus_sync_irqs(&f->bus, irq_record, &level);
    g_assert_cmpint(level, ==, 0);
}

static void test_rtc_bad_offsets(struct rtc_fixture *f, gconstpointer data)
{
    const uint64_t reserved[] = {0x001, 0x006, 0x020, 0x024, 0x100, 0xfdc};
    for (unsigned i = 0; i < G_N_ELEMENTS(reserved); i++) {
        g_assert_cmphex(rd(f, reserved[i], (reserved[i] & 3) ? 1 : 4), ==, 0);
        wr(f, reserved[i], 1, 0xff);
        g_assert_cmphex(rd(f, reserved[i], 1), ==, 0);
    }
    g_assert_cmphex(rd(f, MR, 4), ==, 0);  /* the byte at 0x006 did not reach RTCMR */
    g_assert_cmphex(rd(f, ICR, 4), ==, 0); /* write-only */
    wr(f, DR, 4, 5);                       /* read-only: no load */
    g_assert_cmphex(rd(f, DR, 4), ==, 1000);
    wr(f, RIS, 4, 1);
    wr(f, MIS, 4, 1);
    g_assert_cmphex(rd(f, RIS, 4), ==, 0);
    wr(f, 0xfe0, 4, 0);
    g_assert_cmphex(rd(f, 0xfe0, 4), ==, 0x31);
    /* An 8-byte access is two 4-byte ones: RTCDR then RTCMR. */
    wr(f, MR, 4, 0xabc);
    g_assert_cmphex(rd(f, DR, 8), ==, 0x00000abc000003e8ull);
    wr(f, 0x008, 8, 0x0000000100002000ull); /* RTCLR, then RTCCR (ignored) */
    g_assert_cmphex(rd(f, DR, 4), ==, 0x2000);
    uint64_t v;
    g_assert_false(hw_bus_read(&f->bus, RTC + PL031_SIZE, 4, &v)); /* past the window */
    g_assert_false(hw_bus_read(&f->bus, RTC + 0xffe, 4, &v));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/hw/pl031/ids", struct rtc_fixture, NULL, rtc_setup, test_rtc_ids, rtc_teardown);
    g_test_add("/hw/pl031/count", struct rtc_fixture, NULL, rtc_setup, test_rtc_count,
               rtc_teardown);
    g_test_add("/hw/pl031/load", struct rtc_fixture, NULL, rtc_setup, test_rtc_load, rtc_teardown);
    g_test_add("/hw/pl031/match", struct rtc_fixture, NULL, rtc_setup, test_rtc_match,
               rtc_teardown);
    g_test_add("/hw/pl031/irq", struct rtc_fixture, NULL, rtc_setup, test_rtc_irq, rtc_teardown);
    g_test_add("/hw/pl031/bad-offsets", struct rtc_fixture, NULL, rtc_setup, test_rtc_bad_offsets,
               rtc_teardown);
    return g_test_run();
}

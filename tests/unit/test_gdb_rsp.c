/* The GDB remote protocol layer (util/rsp.c) and the stub's engine (util/gdb.c) against
 * a fake target: checksums, escaping, acknowledgements, malformed packets answered with
 * '-' or an error and never a crash, and the replies GDB relies on. */
#include <glib.h>
#include <string.h>

#include "util/gdb.h"

static void test_frame(void)
{
    GString *s = g_string_new(NULL);
    rsp_frame(s, "OK", 2);
    g_assert_cmpstr(s->str, ==, "$OK#9a");
    g_string_truncate(s, 0);
    rsp_frame(s, "", 0);
    g_assert_cmpstr(s->str, ==, "$#00");
    g_string_truncate(s, 0);
    rsp_frame(s, "a$b#c}d*", 8); /* each special byte escaped: '}' then byte ^ 0x20 */
    g_assert_cmpstr(s->str, ==, "$a}\x04" "b}\x03" "c}]d}\x0a#ec");
    g_string_free(s, TRUE);
}

/* Feeds a string; returns the last event that was not RSP_NONE. */
static enum rsp_event feed(struct rsp_parser *p, const char *s, size_t n)
{
    enum rsp_event last = RSP_NONE;
    for (size_t i = 0; i < n; i++) {
        enum rsp_event e = rsp_feed(p, (uint8_t)s[i]);
        if (e != RSP_NONE)
            last = e;
    }
    return last;
}

static void test_parse(void)
{
    struct rsp_parser *p = g_new0(struct rsp_parser, 1); /* 16 KiB: not on the stack */
    size_t len;
    rsp_parser_init(p);
    g_assert_cmpint(feed(p, "$OK#9a", 6), ==, RSP_PACKET);
    g_assert_cmpstr(rsp_payload(p, &len), ==, "OK");
    g_assert_cmpint(feed(p, "$OK#9b", 6), ==, RSP_BAD);  /* checksum */
    g_assert_cmpint(feed(p, "$OK#9z", 6), ==, RSP_BAD);  /* not hex */
    g_assert_cmpint(feed(p, "+", 1), ==, RSP_ACK);
    g_assert_cmpint(feed(p, "-", 1), ==, RSP_NAK);
    g_assert_cmpint(feed(p, "\x03", 1), ==, RSP_INTERRUPT);
    g_assert_cmpint(feed(p, "garbage", 7), ==, RSP_NONE);
    /* A packet cut short by a new '$' starts over. */
    g_assert_cmpint(feed(p, "$mx$OK#9a", 9), ==, RSP_PACKET);
    g_assert_cmpstr(rsp_payload(p, &len), ==, "OK");
    /* Round trip of escaped binary data, NUL included. */
    GString *s = g_string_new(NULL);
    const char bin[] = {'X', '}', '#', 0, '$', '*', 'z'};
    rsp_frame(s, bin, sizeof(bin));
    g_assert_cmpint(feed(p, s->str, s->len), ==, RSP_PACKET);
    const char *got = rsp_payload(p, &len);
    g_assert_cmpuint(len, ==, sizeof(bin));
    g_assert_cmpint(memcmp(got, bin, sizeof(bin)), ==, 0);
    /* Too long: '-', and the parser goes on afterwards. */
    g_string_assign(s, "$");
    for (unsigned i = 0; i < RSP_MAX_PAYLOAD + 10; i++)
        g_string_append_c(s, 'a');
    g_string_append(s, "#00");
    g_assert_cmpint(feed(p, s->str, s->len), ==, RSP_BAD);
    g_assert_cmpint(feed(p, "$OK#9a", 6), ==, RSP_PACKET);
    g_string_free(s, TRUE);
    g_free(p);
}

static void test_hex(void)
{
    const char *s = "1f,";
    uint32_t v;
    g_assert_true(rsp_get_u32(&s, &v));
    g_assert_cmphex(v, ==, 0x1f);
    g_assert_cmpstr(s, ==, ",");
    s = "123456789";
    g_assert_false(rsp_get_u32(&s, &v)); /* 36 bits */
    s = "x";
    g_assert_false(rsp_get_u32(&s, &v));
    uint8_t b[2];
    g_assert_true(rsp_get_hex("a0FF", 4, b));
    g_assert_cmphex(b[0], ==, 0xa0);
    g_assert_cmphex(b[1], ==, 0xff);
    g_assert_false(rsp_get_hex("a0F", 3, b));
    g_assert_false(rsp_get_hex("g0", 2, b));
}

/* ---- the engine against a fake two-thread target ---- */
struct fake {
    GString *sent;
    uint32_t regs[2][GDB_NREGS];
    uint8_t mem[64]; /* at 0x1000 */
    struct arm_debug_set set;
    enum gdb_action last[GDB_MAX_THREADS];
    int resumes, interrupts, detaches;
};

static unsigned fake_threads(void *ctx)
{
    return 2;
}

static bool fake_alive(void *ctx, unsigned tid)
{
    return tid == 1 || tid == 2;
}

static bool fake_read_regs(void *ctx, unsigned tid, uint32_t regs[GDB_NREGS])
{
    struct fake *f = ctx;
    memcpy(regs, f->regs[tid - 1], sizeof(f->regs[0]));
    return true;
}

static bool fake_write_reg(void *ctx, unsigned tid, unsigned index, uint32_t value)
{
    struct fake *f = ctx;
    f->regs[tid - 1][index] = value;
    return true;
}

static size_t fake_access(void *ctx, unsigned tid, uint32_t addr, uint8_t *buf, size_t len,
                          bool write)
{
    struct fake *f = ctx;
    size_t n = 0;
    for (; n < len && addr + n >= 0x1000 && addr + n < 0x1000 + sizeof(f->mem); n++) {
        if (write)
            f->mem[addr + n - 0x1000] = buf[n];
        else
            buf[n] = f->mem[addr + n - 0x1000];
    }
    return n;
}

static bool fake_point(void *ctx, bool insert, unsigned type, uint32_t addr, uint32_t len)
{
    struct fake *f = ctx;
    return insert ? arm_debug_add(&f->set, type, addr, len)
                  : arm_debug_remove(&f->set, type, addr, len);
}

static void fake_resume(void *ctx, const enum gdb_action action[GDB_MAX_THREADS])
{
    struct fake *f = ctx;
    memcpy(f->last, action, sizeof(f->last));
    f->resumes++;
}

static void fake_interrupt(void *ctx)
{
    ((struct fake *)ctx)->interrupts++;
}

static void fake_detach(void *ctx)
{
    ((struct fake *)ctx)->detaches++;
}

static void fake_write(void *ctx, const void *data, size_t len)
{
    struct fake *f = ctx;
    g_string_append_len(f->sent, data, (gssize)len);
}

static const struct gdb_ops fake_ops = {
    .threads = fake_threads,
    .alive = fake_alive,
    .read_regs = fake_read_regs,
    .write_reg = fake_write_reg,
    .access = fake_access,
    .point = fake_point,
    .resume = fake_resume,
    .interrupt = fake_interrupt,
    .detach = fake_detach,
    .kill = fake_detach,
    .write = fake_write,
};

/* Sends one packet; returns the reply's payload (without the ack), g_free it. */
static char *ask(struct gdb *g, struct fake *f, const char *payload)
{
    GString *s = g_string_new(NULL);
    rsp_frame(s, payload, strlen(payload));
    g_string_truncate(f->sent, 0);
    gdb_input(g, (const uint8_t *)s->str, s->len);
    g_string_free(s, TRUE);
    const char *d = strchr(f->sent->str, '$');
    if (!d)
        return g_strdup(f->sent->str);
    const char *h = strrchr(d, '#');
    g_assert_nonnull(h);
    return g_strndup(d + 1, (gsize)(h - d - 1));
}

static void expect(struct gdb *g, struct fake *f, const char *payload, const char *want)
{
    char *r = ask(g, f, payload);
    g_assert_cmpstr(r, ==, want);
    g_free(r);
}

static void test_engine(void)
{
    struct fake f = {.sent = g_string_new(NULL)};
    struct gdb *gp = g_new0(struct gdb, 1); /* its parser is 16 KiB: not on the stack */
#define g (*gp)
    gdb_init(&g, &fake_ops, &f, 1);
    for (unsigned i = 0; i < GDB_NREGS; i++)
        f.regs[0][i] = i;
    f.regs[0][16] = 0x600001d3;
    f.regs[1][15] = 0x40000288;
    memcpy(f.mem, "\x01\x02\x03\x04", 4);

    expect(&g, &f, "?", "T05thread:1;");
    g_assert_true(f.sent->str[0] == '+'); /* acknowledged */
    char *sup = ask(&g, &f, "qSupported:multiprocess+;swbreak+;hwbreak+");
    g_assert_nonnull(strstr(sup, "qXfer:features:read+"));
    g_assert_nonnull(strstr(sup, "PacketSize=4000"));
    g_free(sup);
    char *xml = ask(&g, &f, "qXfer:features:read:target.xml:0,ffff");
    g_assert_true(xml[0] == 'l');
    g_assert_nonnull(strstr(xml, "org.gnu.gdb.arm.core"));
    g_free(xml);
    expect(&g, &f, "qXfer:features:read:other.xml:0,10", "E02");
    expect(&g, &f, "qfThreadInfo", "m1,2");
    expect(&g, &f, "qsThreadInfo", "l");
    expect(&g, &f, "qC", "QC1");
    expect(&g, &f, "qAttached", "1");
    expect(&g, &f, "qThreadExtraInfo,2", "764350552031"); /* "vCPU 1" in hex */
    expect(&g, &f, "p19", "d3010060");
    expect(&g, &f, "p1", "01000000");
    expect(&g, &f, "p11", "E16"); /* no register 17 */
    expect(&g, &f, "Hg2", "OK");
    expect(&g, &f, "p f", "E16");
    expect(&g, &f, "pf", "88020040");
    expect(&g, &f, "Hg9", "E16");
    expect(&g, &f, "Hg0", "OK");
    char *regs = ask(&g, &f, "g");
    g_assert_cmpuint(strlen(regs), ==, GDB_NREGS * 8);
    g_assert_true(g_str_has_prefix(regs, "0000000001000000"));
    g_free(regs);
    expect(&g, &f, "P3=78563412", "OK");
    g_assert_cmphex(f.regs[0][3], ==, 0x12345678);
    expect(&g, &f, "m1000,4", "01020304");
    expect(&g, &f, "m103e,8", "0000"); /* partial: two bytes readable */
    expect(&g, &f, "m0,4", "E0e");
    expect(&g, &f, "mzz", "E16");
    expect(&g, &f, "m1000", "E16");
    expect(&g, &f, "M1000,2:aabb", "OK");
    g_assert_cmphex(f.mem[1], ==, 0xbb);
    expect(&g, &f, "M1000,2:aab", "E16");
    expect(&g, &f, "M1000,2:zzzz", "E16");
    expect(&g, &f, "M0,1:00", "E0e");
    expect(&g, &f, "X1004,1:}", "OK"); /* framed as "}]": binary data comes back whole */
    g_assert_cmphex(f.mem[4], ==, '}');
    expect(&g, &f, "X1004,2:*", "E16"); /* a length that is not the data's */
    expect(&g, &f, "X1004,1:*", "OK");
    g_assert_cmphex(f.mem[4], ==, '*');
    expect(&g, &f, "Z0,40000288,4", "OK");
    expect(&g, &f, "Z2,1000,4", "OK");
    expect(&g, &f, "Z9,1000,4", "");
    expect(&g, &f, "Z0,zz", "E16");
    g_assert_cmpuint(f.set.n_break, ==, 1);
    g_assert_cmpuint(f.set.n_watch, ==, 1);
    expect(&g, &f, "z0,40000288,4", "OK");
    expect(&g, &f, "z0,40000288,4", "OK"); /* idempotent */
    g_assert_cmpuint(f.set.n_break, ==, 0);
    expect(&g, &f, "vCont?", "vCont;c;C;s;S");
    expect(&g, &f, "vMustReplyEmpty", "");
    expect(&g, &f, "vCont;x", "E16");

    /* vCont;s:2;c: thread 2 steps, thread 1 continues; the stop reply comes later. */
    expect(&g, &f, "vCont;s:2;c", "+");
    g_assert_cmpint(f.resumes, ==, 1);
    g_assert_cmpint(f.last[0], ==, GDB_CONTINUE);
    g_assert_cmpint(f.last[1], ==, GDB_STEP);
    g_string_truncate(f.sent, 0);
    gdb_input(&g, (const uint8_t *)"\x03", 1);
    g_assert_cmpint(f.interrupts, ==, 1);
    struct gdb_stop st = {.signal = GDB_SIGTRAP, .tid = 2,
                          .why = {.cause = ARM_DEBUG_WATCH, .type = ARM_POINT_WRITE, .addr = 0x1000}};
    gdb_stopped(&g, &st);
    g_assert_nonnull(strstr(f.sent->str, "$T05thread:2;watch:1000;#"));
    g_string_truncate(f.sent, 0);
    st.why = (struct arm_debug_stop){.cause = ARM_DEBUG_BREAK, .type = ARM_POINT_SW};
    gdb_stopped(&g, &st); /* not running: nothing is sent */
    g_assert_cmpuint(f.sent->len, ==, 0);
    expect(&g, &f, "?", "T05thread:2;swbreak:;");
    expect(&g, &f, "s", "+");
    g_assert_cmpint(f.last[0], ==, GDB_STAY);
    g_assert_cmpint(f.last[1], ==, GDB_STEP);

    /* Bad checksum: '-'; a '-' from GDB: the last packet again. */
    g_string_truncate(f.sent, 0);
    gdb_input(&g, (const uint8_t *)"$g#00", 5);
    g_assert_cmpstr(f.sent->str, ==, "-");
    expect(&g, &f, "qC", "QC2");
    g_string_truncate(f.sent, 0);
    gdb_input(&g, (const uint8_t *)"-", 1);
    g_assert_cmpstr(f.sent->str, ==, "$QC2#c6");
    expect(&g, &f, "QStartNoAckMode", "OK");
    char *r = ask(&g, &f, "qC");
    g_assert_true(f.sent->str[0] == '$'); /* no '+' any more */
    g_free(r);
    /* D ends the session. */
    g_string_truncate(f.sent, 0);
    g_assert_false(gdb_input(&g, (const uint8_t *)"$D#44", 5));
    g_assert_cmpint(f.detaches, ==, 1);
    gdb_free(&g);
#undef g
    g_free(gp);
    g_string_free(f.sent, TRUE);
}

/* Random bytes and random mutations of real packets: replies only, never a crash. */
static void test_fuzz(void)
{
    static const char *const seeds[] = {"g", "m1000,40", "M1000,2:0102", "X1000,2:ab", "Z0,1,4",
                                        "vCont;s:1;c", "qXfer:features:read:target.xml:10,20",
                                        "p19", "P19=00000000", "Hc-1", "G00", "T2"};
    struct fake f = {.sent = g_string_new(NULL)};
    struct gdb *gp = g_new0(struct gdb, 1);
#define g (*gp)
    gdb_init(&g, &fake_ops, &f, 1);
    GRand *rnd = g_rand_new_with_seed(1234);
    GString *s = g_string_new(NULL);
    for (unsigned round = 0; round < 20000; round++) {
        g_string_truncate(s, 0);
        if (g_rand_boolean(rnd)) {
            unsigned n = (unsigned)g_rand_int_range(rnd, 1, 64);
            for (unsigned i = 0; i < n; i++)
                g_string_append_c(s, (char)g_rand_int_range(rnd, 0, 256));
        } else {
            const char *p = seeds[g_rand_int_range(rnd, 0, G_N_ELEMENTS(seeds))];
            GString *m = g_string_new(p);
            unsigned edits = (unsigned)g_rand_int_range(rnd, 0, 4);
            for (unsigned e = 0; e < edits && m->len; e++)
                m->str[g_rand_int_range(rnd, 0, (gint32)m->len)] =
                    (char)g_rand_int_range(rnd, 32, 127);
            rsp_frame(s, m->str, m->len);
            g_string_free(m, TRUE);
        }
        g_string_truncate(f.sent, 0);
        if (!gdb_input(&g, (const uint8_t *)s->str, s->len)) { /* D, k: a new session */
            gdb_free(&g);
            gdb_init(&g, &fake_ops, &f, 1);
        }
        g.running = false; /* as if each resume had stopped at once */
    }
    g_string_free(s, TRUE);
    g_rand_free(rnd);
    gdb_free(&g);
#undef g
    g_free(gp);
    g_string_free(f.sent, TRUE);
}

static void test_debug_set(void)
{
    struct arm_debug_set s = {0};
    for (unsigned i = 0; i < ARM_DEBUG_MAX_BREAK; i++)
        g_assert_true(arm_debug_add(&s, ARM_POINT_SW, 4 * i, 4));
    g_assert_false(arm_debug_add(&s, ARM_POINT_SW, 0x10000, 4)); /* full */
    g_assert_true(arm_debug_add(&s, ARM_POINT_SW, 0, 4));        /* already there */
    g_assert_true(arm_debug_remove(&s, ARM_POINT_SW, 8, 4));
    g_assert_false(arm_debug_remove(&s, ARM_POINT_SW, 8, 4));
    g_assert_false(arm_debug_add(&s, ARM_POINT_WRITE, 0xfffffffe, 4)); /* wraps */
    g_assert_false(arm_debug_add(&s, ARM_POINT_READ, 0x1000, 0));
    g_assert_false(arm_debug_add(&s, 7, 0x1000, 4));
    g_assert_true(arm_debug_add(&s, ARM_POINT_ACCESS, 0x1000, 8));
    g_assert_cmpuint(s.n_watch, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gdb/rsp/frame", test_frame);
    g_test_add_func("/gdb/rsp/parse", test_parse);
    g_test_add_func("/gdb/rsp/hex", test_hex);
    g_test_add_func("/gdb/engine/packets", test_engine);
    g_test_add_func("/gdb/engine/fuzz", test_fuzz);
    g_test_add_func("/gdb/debug-set", test_debug_set);
    return g_test_run();
}

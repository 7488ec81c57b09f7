/* The GDB stub's protocol engine (util/gdb.h). References: the GDB manual's appendix
 * "Remote Serial Protocol" ("Packets", "Stop Reply Packets", "General Query Packets",
 * "Target Description Format"). */
#include "util/gdb.h"

#include <stdio.h>
#include <string.h>

/* The register layout GDB gets instead of the legacy one (with FPA registers): the core
 * feature only; VFP is not implemented by this CPU yet. */
static const char gdb_target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>arm</architecture>\n"
    "<feature name=\"org.gnu.gdb.arm.core\">\n"
    "<reg name=\"r0\" bitsize=\"32\"/>\n<reg name=\"r1\" bitsize=\"32\"/>\n"
    "<reg name=\"r2\" bitsize=\"32\"/>\n<reg name=\"r3\" bitsize=\"32\"/>\n"
    "<reg name=\"r4\" bitsize=\"32\"/>\n<reg name=\"r5\" bitsize=\"32\"/>\n"
    "<reg name=\"r6\" bitsize=\"32\"/>\n<reg name=\"r7\" bitsize=\"32\"/>\n"
    "<reg name=\"r8\" bitsize=\"32\"/>\n<reg name=\"r9\" bitsize=\"32\"/>\n"
    "<reg name=\"r10\" bitsize=\"32\"/>\n<reg name=\"r11\" bitsize=\"32\"/>\n"
    "<reg name=\"r12\" bitsize=\"32\"/>\n"
    "<reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"lr\" bitsize=\"32\"/>\n"
    "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"cpsr\" bitsize=\"32\" regnum=\"25\"/>\n"
    "</feature>\n"
    "</target>\n";

void gdb_init(struct gdb *g, const struct gdb_ops *ops, void *ctx, unsigned first_tid)
{
    memset(g, 0, sizeof(*g));
    g->ops = ops;
    g->ctx = ctx;
    rsp_parser_init(&g->rx);
    g->out = g_string_new(NULL);
    g->last = g_string_new(NULL);
    g->stop = (struct gdb_stop){.signal = GDB_SIGTRAP, .tid = first_tid};
}

void gdb_free(struct gdb *g)
{
    if (g->out)
        g_string_free(g->out, TRUE);
    if (g->last)
        g_string_free(g->last, TRUE);
    g->out = g->last = NULL;
}

static void gdb_reply_bin(struct gdb *g, const void *data, size_t len)
{
    g_string_truncate(g->last, 0);
    rsp_frame(g->last, data, len);
    g_string_append_len(g->out, g->last->str, (gssize)g->last->len);
}

static void gdb_reply(struct gdb *g, const char *s)
{
    gdb_reply_bin(g, s, strlen(s));
}

static void gdb_reply_error(struct gdb *g, unsigned code)
{
    char e[8];
    snprintf(e, sizeof(e), "E%02x", code & 0xff);
    gdb_reply(g, e);
}

#define GDB_EINVAL 0x16 /* errno numbers, as stubs conventionally give them */
#define GDB_EFAULT 0x0e
#define GDB_ENOENT 0x02

static bool gdb_valid_tid(struct gdb *g, unsigned tid)
{
    return tid >= 1 && tid <= g->ops->threads(g->ctx) && tid <= GDB_MAX_THREADS &&
           g->ops->alive(g->ctx, tid);
}

/* The thread a register or memory packet is about (H g), else the stopped one. */
static unsigned gdb_tid(struct gdb *g, unsigned selected)
{
    return gdb_valid_tid(g, selected) ? selected : g->stop.tid;
}

static void gdb_stop_reply(struct gdb *g)
{
    const struct gdb_stop *s = &g->stop;
    GString *r = g_string_new(NULL);
    g_string_append_printf(r, "T%02xthread:%x;", s->signal, s->tid);
    if (s->signal == GDB_SIGTRAP && s->why.cause == ARM_DEBUG_BREAK) {
        bool hw = s->why.type == ARM_POINT_HW;
        if (hw ? g->hwbreak : g->swbreak)
            g_string_append(r, hw ? "hwbreak:;" : "swbreak:;");
    } else if (s->signal == GDB_SIGTRAP && s->why.cause == ARM_DEBUG_WATCH) {
        const char *kind = s->why.type == ARM_POINT_READ     ? "rwatch"
                           : s->why.type == ARM_POINT_ACCESS ? "awatch"
                                                             : "watch";
        g_string_append_printf(r, "%s:%x;", kind, s->why.addr);
    }
    gdb_reply(g, r->str);
    g_string_free(r, TRUE);
}

void gdb_stopped(struct gdb *g, const struct gdb_stop *s)
{
    g->stop = *s;
    /* GDB takes the stopped thread as the one H g and H c select from now on (it sends
     * no H packet for it), as qemu's stub makes it. */
    g->g_tid = g->c_tid = s->tid;
    if (!g->running)
        return;
    g->running = false;
    gdb_stop_reply(g);
    g->ops->write(g->ctx, g->out->str, g->out->len);
    g_string_truncate(g->out, 0);
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH (m: more follows, l: the last part). */
static void gdb_xfer_features(struct gdb *g, const char *args)
{
    static const char annex[] = "target.xml:";
    uint32_t off, len;
    if (strncmp(args, annex, strlen(annex)) != 0) {
        gdb_reply_error(g, GDB_ENOENT);
        return;
    }
    const char *p = args + strlen(annex);
    if (!rsp_get_u32(&p, &off) || *p++ != ',' || !rsp_get_u32(&p, &len) || *p) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    size_t total = sizeof(gdb_target_xml) - 1;
    if (off > total)
        off = (uint32_t)total;
    if (len > RSP_MAX_PAYLOAD / 2)
        len = RSP_MAX_PAYLOAD / 2; /* escaping may double it */
    size_t n = total - off < len ? total - off : len;
    GString *r = g_string_new(off + n < total ? "m" : "l");
    g_string_append_len(r, gdb_target_xml + off, (gssize)n);
    gdb_reply_bin(g, r->str, r->len);
    g_string_free(r, TRUE);
}

static void gdb_thread_info(struct gdb *g)
{
    GString *r = g_string_new("m");
    unsigned n = g->ops->threads(g->ctx);
    for (unsigned t = 1; t <= n && t <= GDB_MAX_THREADS; t++)
        if (g->ops->alive(g->ctx, t))
            g_string_append_printf(r, "%s%x", r->len > 1 ? "," : "", t);
    gdb_reply(g, r->len > 1 ? r->str : "l");
    g_string_free(r, TRUE);
}

static void gdb_query(struct gdb *g, const char *q)
{
    if (g_str_has_prefix(q, "qSupported")) {
        g->swbreak = strstr(q, "swbreak+") != NULL;
        g->hwbreak = strstr(q, "hwbreak+") != NULL;
        char r[160];
        snprintf(r, sizeof(r),
                 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"
                 "QStartNoAckMode+",
                 RSP_MAX_PAYLOAD);
        gdb_reply(g, r);
    } else if (g_str_has_prefix(q, "qXfer:features:read:")) {
        gdb_xfer_features(g, q + strlen("qXfer:features:read:"));
    } else if (strcmp(q, "qAttached") == 0 || g_str_has_prefix(q, "qAttached:")) {
        gdb_reply(g, "1"); /* attached to a running machine: detach leaves it running */
    } else if (strcmp(q, "qC") == 0) {
        char r[16];
        snprintf(r, sizeof(r), "QC%x", g->stop.tid);
        gdb_reply(g, r);
    } else if (strcmp(q, "qfThreadInfo") == 0) {
        gdb_thread_info(g);
    } else if (strcmp(q, "qsThreadInfo") == 0) {
        gdb_reply(g, "l");
    } else if (g_str_has_prefix(q, "qThreadExtraInfo,")) {
        const char *p = q + strlen("qThreadExtraInfo,");
        uint32_t tid;
        if (!rsp_get_u32(&p, &tid) || !gdb_valid_tid(g, tid)) {
            gdb_reply_error(g, GDB_EINVAL);
            return;
        }
        char name[32];
        GString *r = g_string_new(NULL);
        int n = snprintf(name, sizeof(name), "vCPU %u", g->first_cpu + tid - 1);
        rsp_put_hex(r, (const uint8_t *)name, (size_t)n);
        gdb_reply(g, r->str);
        g_string_free(r, TRUE);
    } else {
        gdb_reply(g, "");
    }
}

/* H op tid: -1 (all) and 0 (any) select the stopped thread. */
static void gdb_set_thread(struct gdb *g, const char *p)
{
    char op = *p++;
    uint32_t tid = 0;
    if (strcmp(p, "-1") != 0 && !(rsp_get_u32(&p, &tid) && !*p)) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    if (tid && !gdb_valid_tid(g, tid)) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    if (op == 'g')
        g->g_tid = tid;
    else if (op == 'c')
        g->c_tid = tid;
    else {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    gdb_reply(g, "OK");
}

static void gdb_read_regs(struct gdb *g)
{
    uint32_t regs[GDB_NREGS];
    if (!g->ops->read_regs(g->ctx, gdb_tid(g, g->g_tid), regs)) {
        gdb_reply_error(g, GDB_EFAULT);
        return;
    }
    GString *r = g_string_new(NULL);
    for (unsigned i = 0; i < GDB_NREGS; i++) {
        uint8_t le[4] = {(uint8_t)regs[i], (uint8_t)(regs[i] >> 8), (uint8_t)(regs[i] >> 16),
                         (uint8_t)(regs[i] >> 24)};
        rsp_put_hex(r, le, 4);
    }
    gdb_reply(g, r->str);
    g_string_free(r, TRUE);
}

static uint32_t gdb_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The index in 'g' order of register number n in 'p'/'P', or -1. */
static int gdb_reg_index(uint32_t n)
{
    return n < 16 ? (int)n : n == GDB_CPSR_REGNUM ? 16 : -1;
}

static void gdb_write_regs(struct gdb *g, const char *hex, size_t len)
{
    uint8_t b[GDB_NREGS * 4];
    unsigned tid = gdb_tid(g, g->g_tid);
    if (len != 2 * sizeof(b) || !rsp_get_hex(hex, len, b)) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    for (unsigned i = 0; i < GDB_NREGS; i++)
        if (!g->ops->write_reg(g->ctx, tid, i, gdb_le32(b + 4 * i))) {
            gdb_reply_error(g, GDB_EFAULT);
            return;
        }
    gdb_reply(g, "OK");
}

static void gdb_read_reg(struct gdb *g, const char *p)
{
    uint32_t n, regs[GDB_NREGS];
    int i;
    if (!rsp_get_u32(&p, &n) || *p || (i = gdb_reg_index(n)) < 0) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    if (!g->ops->read_regs(g->ctx, gdb_tid(g, g->g_tid), regs)) {
        gdb_reply_error(g, GDB_EFAULT);
        return;
    }
    uint8_t le[4] = {(uint8_t)regs[i], (uint8_t)(regs[i] >> 8), (uint8_t)(regs[i] >> 16),
                     (uint8_t)(regs[i] >> 24)};
    GString *r = g_string_new(NULL);
    rsp_put_hex(r, le, 4);
    gdb_reply(g, r->str);
    g_string_free(r, TRUE);
}

static void gdb_write_reg(struct gdb *g, const char *p)
{
    uint32_t n;
    uint8_t b[4];
    int i;
    if (!rsp_get_u32(&p, &n) || *p++ != '=' || strlen(p) != 8 || !rsp_get_hex(p, 8, b) ||
        (i = gdb_reg_index(n)) < 0) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    if (!g->ops->write_reg(g->ctx, gdb_tid(g, g->g_tid), (unsigned)i, gdb_le32(b)))
        gdb_reply_error(g, GDB_EFAULT);
    else
        gdb_reply(g, "OK");
}

/* "ADDR,LEN" at *p; *p moves past it. */
static bool gdb_addr_len(const char **p, uint32_t *addr, uint32_t *len)
{
    return rsp_get_u32(p, addr) && *(*p)++ == ',' && rsp_get_u32(p, len);
}

static void gdb_read_mem(struct gdb *g, const char *p)
{
    uint32_t addr, len;
    if (!gdb_addr_len(&p, &addr, &len) || *p) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    if (len > RSP_MAX_PAYLOAD / 2)
        len = RSP_MAX_PAYLOAD / 2; /* a partial read is allowed */
    uint8_t *buf = g_malloc(len ? len : 1);
    size_t n = g->ops->access(g->ctx, gdb_tid(g, g->g_tid), addr, buf, len, false);
    if (!n && len) {
        gdb_reply_error(g, GDB_EFAULT);
    } else {
        GString *r = g_string_new(NULL);
        rsp_put_hex(r, buf, n);
        gdb_reply(g, r->str);
        g_string_free(r, TRUE);
    }
    g_free(buf);
}

/* M addr,len:HEX and X addr,len:BINARY. */
static void gdb_write_mem(struct gdb *g, const char *p, size_t plen, bool binary)
{
    const char *start = p;
    uint32_t addr, len;
    if (!gdb_addr_len(&p, &addr, &len) || *p++ != ':') {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    size_t data = plen - (size_t)(p - start);
    if (binary ? data != len : data != 2 * (size_t)len) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    uint8_t *buf = g_malloc(len ? len : 1);
    bool ok = binary ? (memcpy(buf, p, len), true) : rsp_get_hex(p, data, buf);
    if (!ok)
        gdb_reply_error(g, GDB_EINVAL);
    else if (g->ops->access(g->ctx, gdb_tid(g, g->g_tid), addr, buf, len, true) != len)
        gdb_reply_error(g, GDB_EFAULT);
    else
        gdb_reply(g, "OK");
    g_free(buf);
}

/* Z/z TYPE,ADDR,KIND: KIND is the breakpoint's length in bytes or the watched length. */
static void gdb_point(struct gdb *g, const char *p, bool insert)
{
    uint32_t type, addr, kind;
    if (!rsp_get_u32(&p, &type) || *p++ != ',' || !gdb_addr_len(&p, &addr, &kind)) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    /* Conditions and commands (";X...") are evaluated by GDB itself: ignored here. */
    if (*p && *p != ';') {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    if (type > ARM_POINT_ACCESS) {
        gdb_reply(g, ""); /* not supported */
        return;
    }
    if (g->ops->point(g->ctx, insert, type, addr, kind) || !insert)
        gdb_reply(g, "OK"); /* removal is idempotent, as the protocol asks */
    else
        gdb_reply_error(g, GDB_EINVAL);
}

static void gdb_resume(struct gdb *g, const enum gdb_action action[GDB_MAX_THREADS])
{
    g->running = true;
    g->ops->resume(g->ctx, action);
}

/* c [ADDR] and s [ADDR]: the legacy forms. c resumes every thread; s steps the H c
 * thread and leaves the others stopped. */
static void gdb_continue(struct gdb *g, const char *p, bool step)
{
    unsigned tid = gdb_tid(g, g->c_tid);
    if (*p) {
        uint32_t pc;
        if (!rsp_get_u32(&p, &pc) || *p || !g->ops->write_reg(g->ctx, tid, 15, pc)) {
            gdb_reply_error(g, GDB_EINVAL);
            return;
        }
    }
    enum gdb_action action[GDB_MAX_THREADS];
    for (unsigned t = 0; t < GDB_MAX_THREADS; t++)
        action[t] = step ? GDB_STAY : GDB_CONTINUE;
    if (step)
        action[tid - 1] = GDB_STEP;
    gdb_resume(g, action);
}

/* vCont;ACTION[:TID];...: the first action that names a thread (or none) applies. */
static void gdb_vcont(struct gdb *g, const char *p)
{
    enum gdb_action action[GDB_MAX_THREADS];
    bool set[GDB_MAX_THREADS] = {false};
    for (unsigned t = 0; t < GDB_MAX_THREADS; t++)
        action[t] = GDB_STAY;
    while (*p == ';') {
        p++;
        char a = *p++;
        enum gdb_action act;
        if (a == 'c' || a == 'C')
            act = GDB_CONTINUE;
        else if (a == 's' || a == 'S')
            act = GDB_STEP;
        else {
            gdb_reply_error(g, GDB_EINVAL);
            return;
        }
        uint32_t sig;
        if ((a == 'C' || a == 'S') && !rsp_get_u32(&p, &sig)) { /* the signal is dropped */
            gdb_reply_error(g, GDB_EINVAL);
            return;
        }
        uint32_t tid = 0;
        if (*p == ':') {
            p++;
            if (strncmp(p, "-1", 2) == 0)
                p += 2;
            else if (!rsp_get_u32(&p, &tid) || !gdb_valid_tid(g, tid)) {
                gdb_reply_error(g, GDB_EINVAL);
                return;
            }
        }
        for (unsigned t = 1; t <= GDB_MAX_THREADS; t++)
            if ((!tid || t == tid) && !set[t - 1]) {
                action[t - 1] = act;
                set[t - 1] = true;
            }
    }
    if (*p) {
        gdb_reply_error(g, GDB_EINVAL);
        return;
    }
    gdb_resume(g, action);
}

static bool gdb_v_packet(struct gdb *g, const char *p)
{
    if (strcmp(p, "vCont?") == 0)
        gdb_reply(g, "vCont;c;C;s;S");
    else if (g_str_has_prefix(p, "vCont;"))
        gdb_vcont(g, p + strlen("vCont"));
    else if (g_str_has_prefix(p, "vKill")) {
        gdb_reply(g, "OK");
        g->ops->kill(g->ctx);
        return false;
    } else
        gdb_reply(g, ""); /* vMustReplyEmpty and everything else */
    return true;
}

/* One packet; false when the session ends. */
static bool gdb_packet(struct gdb *g, const char *p, size_t len)
{
    switch (p[0]) {
    case '?': gdb_stop_reply(g); break;
    case 'q': gdb_query(g, p); break;
    case 'Q':
        if (strcmp(p, "QStartNoAckMode") == 0) {
            gdb_reply(g, "OK"); /* acknowledged itself; none from now on */
            g->no_ack = true;
        } else
            gdb_reply(g, "");
        break;
    case 'H': gdb_set_thread(g, p + 1); break;
    case 'T': {
        const char *t = p + 1;
        uint32_t tid;
        if (rsp_get_u32(&t, &tid) && !*t && gdb_valid_tid(g, tid))
            gdb_reply(g, "OK");
        else
            gdb_reply_error(g, GDB_ENOENT);
        break;
    }
    case 'g': gdb_read_regs(g); break;
    case 'G': gdb_write_regs(g, p + 1, len - 1); break;
    case 'p': gdb_read_reg(g, p + 1); break;
    case 'P': gdb_write_reg(g, p + 1); break;
    case 'm': gdb_read_mem(g, p + 1); break;
    case 'M': gdb_write_mem(g, p + 1, len - 1, false); break;
    case 'X': gdb_write_mem(g, p + 1, len - 1, true); break;
    case 'Z':
    case 'z': gdb_point(g, p + 1, p[0] == 'Z'); break;
    case 'c':
    case 's': gdb_continue(g, p + 1, p[0] == 's'); break;
    case 'v': return gdb_v_packet(g, p);
    case 'D':
        gdb_reply(g, "OK");
        g->ops->detach(g->ctx);
        return false;
    case 'k': g->ops->kill(g->ctx); return false;
    default: gdb_reply(g, ""); break;
    }
    return true;
}

bool gdb_input(struct gdb *g, const uint8_t *data, size_t len)
{
    bool more = true;
    for (size_t i = 0; i < len && more; i++) {
        switch (rsp_feed(&g->rx, data[i])) {
        case RSP_PACKET: {
            size_t plen;
            const char *p = rsp_payload(&g->rx, &plen);
            if (!g->no_ack)
                g_string_append_c(g->out, '+');
            more = plen ? gdb_packet(g, p, plen) : (gdb_reply(g, ""), true);
            break;
        }
        case RSP_BAD:
            if (!g->no_ack)
                g_string_append_c(g->out, '-');
            break;
        case RSP_NAK:
            if (!g->no_ack)
                g_string_append_len(g->out, g->last->str, (gssize)g->last->len);
            break;
        case RSP_INTERRUPT:
            if (g->running)
                g->ops->interrupt(g->ctx);
            break;
        default: break;
        }
    }
    if (g->out->len)
        g->ops->write(g->ctx, g->out->str, g->out->len);
    g_string_truncate(g->out, 0);
    return more;
}

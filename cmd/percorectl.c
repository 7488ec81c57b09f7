/* percorectl: a client of percore's control socket (docs/operations.md). One command per
 * run, printed for a human; `top` refreshes a per-vCPU view. Exit status: 0, 1 when the
 * machine answers with an error (or cannot be reached), 2 for a usage error. */
#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "coordinator/control.h"

#define EXIT_FAIL  1
#define EXIT_USAGE 2
/* A reply can carry RAM and crash reports: far more than a request, still bounded. */
#define CTL_REPLY_MAX (16u << 20)

typedef Percore__Control__Request Request;
typedef Percore__Control__Reply Reply;

static const char *ctl_socket;
static int ctl_fd = -1;

static G_NORETURN void ctl_die(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static G_NORETURN void ctl_die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("percorectl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

/* ---- the connection ---- */

static void ctl_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(ctl_socket) >= sizeof(sa.sun_path))
        ctl_die(EXIT_USAGE, "socket path '%s' is too long", ctl_socket);
    strcpy(sa.sun_path, ctl_socket);
    ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ctl_fd < 0 || connect(ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        ctl_die(EXIT_FAIL, "cannot connect to '%s': %s", ctl_socket, strerror(errno));
}

static void ctl_write_all(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(ctl_fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            ctl_die(EXIT_FAIL, "lost the machine: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

static void ctl_read_all(uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(ctl_fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            ctl_die(EXIT_FAIL, "lost the machine: %s", r ? strerror(errno) : "connection closed");
        p += r;
        n -= (size_t)r;
    }
}

/* Sends rq and returns its reply; an error reply ends percorectl with status 1. */
static Reply *ctl_call(const Request *rq)
{
    size_t n = percore__control__request__get_packed_size(rq);
    uint8_t *out = g_malloc(n + 4);
    control_frame_header(out, (uint32_t)n);
    percore__control__request__pack(rq, out + 4);
    ctl_write_all(out, n + 4);
    g_free(out);
    uint8_t hdr[4];
    ctl_read_all(hdr, sizeof(hdr));
    uint32_t len = control_frame_length(hdr);
    if (len > CTL_REPLY_MAX)
        ctl_die(EXIT_FAIL, "a reply of %u bytes: not a percore control socket?", len);
    uint8_t *body = g_malloc(len ? len : 1);
    ctl_read_all(body, len);
    Reply *r = percore__control__reply__unpack(NULL, len, body);
    g_free(body);
    if (!r)
        ctl_die(EXIT_FAIL, "a reply that does not unpack: not a percore control socket?");
    if (!r->ok) {
        char why[1024]; /* freed before exit: nothing left for a leak checker */
        g_strlcpy(why, r->error && r->error[0] ? r->error : "failed", sizeof(why));
        percore__control__reply__free_unpacked(r, NULL);
        ctl_die(EXIT_FAIL, "%s", why);
    }
    return r;
}

static Reply *ctl_simple(Percore__Control__Command cmd)
{
    Request rq = PERCORE__CONTROL__REQUEST__INIT;
    rq.command = cmd;
    return ctl_call(&rq);
}

static Reply *ctl_on_cpu(Percore__Control__Command cmd, unsigned cpu)
{
    Request rq = PERCORE__CONTROL__REQUEST__INIT;
    rq.command = cmd;
    rq.target_case = PERCORE__CONTROL__REQUEST__TARGET_CPU;
    rq.cpu = cpu;
    return ctl_call(&rq);
}

static void ctl_done(Reply *r)
{
    percore__control__reply__free_unpacked(r, NULL);
}

/* A reply must carry its command's payload: otherwise this is not a percore machine. */
static void ctl_require(Reply *r, bool present)
{
    if (!present) {
        ctl_done(r);
        ctl_die(EXIT_FAIL, "a reply without what was asked for: not a percore control socket?");
    }
}

/* ---- arguments ---- */

static uint64_t ctl_number(const char *s, const char *what, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 0) : 0;
    if (!s || !*s || *end || errno || v > max || s[0] == '-')
        ctl_die(EXIT_USAGE, "%s: '%s' is not a number (0-%llu; 0x for hex)", what, s ? s : "",
                (unsigned long long)max);
    return v;
}

static unsigned ctl_cpu_arg(const char *s)
{
    return (unsigned)ctl_number(s, "CPU", 255);
}

/* "deadbeef", "de ad be ef" or "de:ad:be:ef": the bytes, in order; NULL when s is not
 * that. */
static GByteArray *ctl_hex_bytes(const char *s)
{
    GByteArray *b = g_byte_array_new();
    const char *p = s;
    while (*p) {
        if (*p == ' ' || *p == ':') {
            p++;
            continue;
        }
        int hi = g_ascii_xdigit_value(p[0]), lo = p[1] ? g_ascii_xdigit_value(p[1]) : -1;
        if (hi < 0 || lo < 0)
            break;
        g_byte_array_append(b, &(uint8_t){(uint8_t)(hi << 4 | lo)}, 1);
        p += 2;
    }
    if (*p || !b->len) {
        g_byte_array_free(b, TRUE);
        return NULL;
    }
    return b;
}

/* ---- the commands ---- */

static const char *ctl_yes(bool b)
{
    return b ? "yes" : "no";
}

static const char *ctl_hold_word(bool held, bool parked)
{
    return !held ? "-" : parked ? "stopped" : "stopping";
}

static void ctl_cmd_status(void)
{
    Reply *r = ctl_simple(PERCORE__CONTROL__COMMAND__STATUS);
    const Percore__Control__Status *s = r->status;
    ctl_require(r, s);
    printf("machine %s: %u vCPU%s, %llu MiB RAM at 0x%08llx, up %.1f s\n", s->state, s->ncpus,
           s->ncpus == 1 ? "" : "s", (unsigned long long)(s->ram_size >> 20),
           (unsigned long long)s->ram_base, (double)s->uptime_ns / 1e9);
    printf("cpu  state    power        pid alive  pc          cpsr        restarts  hold\n");
    for (size_t i = 0; i < s->n_cpu; i++) {
        const Percore__Control__CpuStatus *c = s->cpu[i];
        printf("%3u  %-8s %-10s %6d %-5s  0x%08x  0x%08x  %8llu  %s\n", c->index, c->state,
               c->power, c->pid, ctl_yes(c->alive), c->pc, c->cpsr, (unsigned long long)c->restarts,
               ctl_hold_word(c->held, c->parked));
    }
    ctl_done(r);
}

static void ctl_cmd_hold(Percore__Control__Command cmd, int argc, char **argv)
{
    bool stop = cmd == PERCORE__CONTROL__COMMAND__STOP;
    if (argc > 1) {
        unsigned cpu = ctl_cpu_arg(argv[1]);
        ctl_done(ctl_on_cpu(cmd, cpu));
        printf("vCPU %u %s\n", cpu, stop ? "stopped" : "continues");
    } else {
        ctl_done(ctl_simple(cmd));
        printf("machine %s\n", stop ? "stopped" : "continues");
    }
}

static void ctl_print_flags(uint32_t cpsr)
{
    printf("  [%c%c%c%c%c %c%c%c%c]", cpsr & (1u << 31) ? 'N' : 'n', cpsr & (1u << 30) ? 'Z' : 'z',
           cpsr & (1u << 29) ? 'C' : 'c', cpsr & (1u << 28) ? 'V' : 'v',
           cpsr & (1u << 27) ? 'Q' : 'q', cpsr & (1u << 8) ? 'A' : 'a',
           cpsr & (1u << 7) ? 'I' : 'i', cpsr & (1u << 6) ? 'F' : 'f',
           cpsr & (1u << 5) ? 'T' : 't');
}

static void ctl_print_words(const char *label, const uint32_t *w, size_t n, unsigned first)
{
    printf("%s", label);
    for (size_t i = 0; i < n; i++)
        printf("  r%-2u %08x", first + (unsigned)i, w[i]);
    printf("\n");
}

static void ctl_cmd_regs(int argc, char **argv)
{
    if (argc != 2)
        ctl_die(EXIT_USAGE, "usage: regs CPU");
    Reply *r = ctl_on_cpu(PERCORE__CONTROL__COMMAND__REGS, ctl_cpu_arg(argv[1]));
    const Percore__Control__Regs *g = r->regs;
    ctl_require(r, g && g->n_r == 16);
    printf("vCPU %u, %s mode\n", g->cpu, g->mode);
    static const char *const names[16] = {"r0", "r1", "r2",  "r3",  "r4",  "r5", "r6", "r7",
                                          "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc"};
    for (unsigned i = 0; i < 16; i++)
        printf("%-4s 0x%08x%s", names[i], g->r[i], i % 4 == 3 ? "\n" : "   ");
    printf("cpsr 0x%08x", g->cpsr);
    ctl_print_flags(g->cpsr);
    printf("   spsr 0x%08x   elr_hyp 0x%08x\n", g->spsr, g->elr_hyp);
    printf("banked   r13 (sp)    r14 (lr)    spsr\n");
    for (size_t i = 0; i < g->n_banked; i++)
        printf("  %-4s   0x%08x  0x%08x  0x%08x\n", g->banked[i]->mode, g->banked[i]->r13,
               g->banked[i]->r14, g->banked[i]->spsr);
    if (g->n_usr_r8_12 == 5 && g->n_fiq_r8_12 == 5) {
        ctl_print_words("r8-r12 kept for usr (while in fiq):", g->usr_r8_12, 5, 8);
        ctl_print_words("r8-r12 kept for fiq (while not):   ", g->fiq_r8_12, 5, 8);
    }
    ctl_done(r);
}

/* One line of a hexdump, as xxd prints it: address, 16 bytes, their characters. */
static void ctl_hexdump_line(uint64_t addr, const uint8_t *p, size_t n)
{
    printf("0x%08llx:", (unsigned long long)addr);
    for (size_t i = 0; i < 16; i++)
        printf(i < n ? " %02x" : "   ", i < n ? p[i] : 0);
    printf("  ");
    for (size_t i = 0; i < n; i++)
        putchar(g_ascii_isprint(p[i]) ? p[i] : '.');
    putchar('\n');
}

static void ctl_cmd_read(int argc, char **argv)
{
    if (argc != 3)
        ctl_die(EXIT_USAGE, "usage: x ADDR LEN");
    uint64_t addr = ctl_number(argv[1], "ADDR", UINT32_MAX);
    uint64_t len = ctl_number(argv[2], "LEN", UINT32_MAX);
    if (!len)
        ctl_die(EXIT_USAGE, "x: LEN must not be 0");
    /* Whole lines per request, so every line but the last is full. */
    for (uint64_t done = 0; done < len;) {
        Request rq = PERCORE__CONTROL__REQUEST__INIT;
        rq.command = PERCORE__CONTROL__COMMAND__READ;
        rq.addr = addr + done;
        rq.length = (uint32_t)MIN(len - done, CONTROL_XFER_MAX);
        Reply *r = ctl_call(&rq);
        size_t got = r->data.len;
        if (got != rq.length) {
            ctl_done(r);
            ctl_die(EXIT_FAIL, "asked for %u bytes, got %zu", rq.length, got);
        }
        for (size_t i = 0; i < r->data.len; i += 16)
            ctl_hexdump_line(rq.addr + i, r->data.data + i, MIN(16, r->data.len - i));
        done += rq.length;
        ctl_done(r);
    }
}

static void ctl_cmd_write(int argc, char **argv)
{
    if (argc != 3)
        ctl_die(EXIT_USAGE, "usage: w ADDR HEXBYTES");
    uint64_t addr = ctl_number(argv[1], "ADDR", UINT32_MAX);
    GByteArray *b = ctl_hex_bytes(argv[2]);
    if (!b)
        ctl_die(EXIT_USAGE, "w: '%s' is not hex bytes (e.g. deadbeef)", argv[2]);
    for (size_t done = 0; done < b->len;) {
        Request rq = PERCORE__CONTROL__REQUEST__INIT;
        rq.command = PERCORE__CONTROL__COMMAND__WRITE;
        rq.addr = addr + done;
        rq.data.len = MIN(b->len - done, CONTROL_XFER_MAX);
        rq.data.data = b->data + done;
        ctl_done(ctl_call(&rq));
        done += rq.data.len;
    }
    printf("wrote %u byte%s at 0x%08llx\n", b->len, b->len == 1 ? "" : "s",
           (unsigned long long)addr);
    g_byte_array_free(b, TRUE);
}

static void ctl_cmd_crash(int argc, char **argv)
{
    static const struct {
        const char *name;
        Percore__Control__CrashKind kind;
    } kinds[] = {
        {"exec", PERCORE__CONTROL__CRASH_KIND__CRASH_EXEC},
        {"translate", PERCORE__CONTROL__CRASH_KIND__CRASH_TRANSLATE},
        {"translate-sticky", PERCORE__CONTROL__CRASH_KIND__CRASH_TRANSLATE_STICKY},
        {"exec-sticky", PERCORE__CONTROL__CRASH_KIND__CRASH_EXEC_STICKY},
        {"none", PERCORE__CONTROL__CRASH_KIND__CRASH_NONE},
    };
    if (argc != 2 && argc != 3)
        ctl_die(EXIT_USAGE, "usage: crash CPU [exec|translate|translate-sticky|exec-sticky|none]");
    const char *name = argc == 3 ? argv[2] : "exec";
    Request rq = PERCORE__CONTROL__REQUEST__INIT;
    rq.command = PERCORE__CONTROL__COMMAND__CRASH;
    rq.target_case = PERCORE__CONTROL__REQUEST__TARGET_CPU;
    rq.cpu = ctl_cpu_arg(argv[1]);
    unsigned i = 0;
    while (i < G_N_ELEMENTS(kinds) && strcmp(kinds[i].name, name) != 0)
        i++;
    if (i == G_N_ELEMENTS(kinds))
        ctl_die(EXIT_USAGE,
                "crash: unknown kind '%s' (exec, translate, translate-sticky, "
                "exec-sticky, none)",
                name);
    rq.crash_kind = kinds[i].kind;
    ctl_done(ctl_call(&rq));
    if (rq.crash_kind == PERCORE__CONTROL__CRASH_KIND__CRASH_NONE)
        printf("vCPU %u: crash injection disarmed\n", rq.cpu);
    else
        printf("vCPU %u: %s crash armed\n", rq.cpu, name);
}

static void ctl_cmd_crashes(void)
{
    Reply *r = ctl_simple(PERCORE__CONTROL__COMMAND__CRASHES);
    if (!r->n_crash_reports)
        printf("no crash reports\n");
    for (size_t i = 0; i < r->n_crash_reports; i++) {
        const char *text = r->crash_reports[i];
        size_t len = strlen(text);
        printf("%s--- crash report %zu of %zu\n%s%s", i ? "\n" : "", i + 1, r->n_crash_reports,
               text, len && text[len - 1] == '\n' ? "" : "\n");
    }
    ctl_done(r);
}

static void ctl_cmd_stats(void)
{
    Reply *r = ctl_simple(PERCORE__CONTROL__COMMAND__STATS);
    const Percore__Control__Stats *s = r->stats;
    ctl_require(r, s);
    printf("up %.1f s\n", (double)s->uptime_ns / 1e9);
    printf("cpu  state          insns       blocks  translations  tlb_misses  code_inval"
           "   msgs_in  msgs_out   wakeups     exits  shootdowns  restarts\n");
    for (size_t i = 0; i < s->n_cpu; i++) {
        const Percore__Control__CpuStats *c = s->cpu[i];
        printf("%3u  %-8s %12llu %12llu %13llu %11llu %11llu %9llu %9llu %9llu %9llu %11llu "
               "%9llu\n",
               c->index, c->state, (unsigned long long)c->insns, (unsigned long long)c->blocks,
               (unsigned long long)c->translations, (unsigned long long)c->tlb_misses,
               (unsigned long long)c->code_invalidations, (unsigned long long)c->msgs_in,
               (unsigned long long)c->msgs_out, (unsigned long long)c->wakeups,
               (unsigned long long)c->exits, (unsigned long long)c->watch_shootdowns,
               (unsigned long long)c->restarts);
    }
    printf("exits by cause:\n");
    for (size_t i = 0; i < s->n_cpu; i++) {
        const Percore__Control__CpuStats *c = s->cpu[i];
        printf("%3u ", c->index);
        for (size_t e = 0; e < c->n_exit_cause; e++)
            printf(" %s=%llu", c->exit_cause[e]->name, (unsigned long long)c->exit_cause[e]->count);
        printf("\n");
    }
    printf("device   address         reads      writes\n");
    for (size_t i = 0; i < s->n_device; i++)
        printf("%-8s 0x%08llx %11llu %11llu\n", s->device[i]->name,
               (unsigned long long)s->device[i]->address, (unsigned long long)s->device[i]->reads,
               (unsigned long long)s->device[i]->writes);
    ctl_done(r);
}

/* ---- top ---- */

static double ctl_rate(uint64_t now, uint64_t before, double seconds)
{
    return now >= before && seconds > 0 ? (double)(now - before) / seconds : 0;
}

static void ctl_top_frame(const Percore__Control__Stats *now, const Percore__Control__Stats *was,
                          const char *state, gboolean batch)
{
    double secs = (double)(now->uptime_ns - was->uptime_ns) / 1e9;
    if (!batch)
        printf("\033[H\033[2J");
    printf("percore top: machine %s, %zu vCPUs, up %.1f s\n\n", state, now->n_cpu,
           (double)now->uptime_ns / 1e9);
    printf("cpu  state     hold        MIPS   TLB miss/s     exits/s  restarts\n");
    for (size_t i = 0; i < now->n_cpu && i < was->n_cpu; i++) {
        const Percore__Control__CpuStats *c = now->cpu[i], *p = was->cpu[i];
        printf("%3u  %-8s  %-7s %9.2f %12.1f %11.1f %9llu\n", c->index, c->state,
               c->held ? "held" : "-", ctl_rate(c->insns, p->insns, secs) / 1e6,
               ctl_rate(c->tlb_misses, p->tlb_misses, secs), ctl_rate(c->exits, p->exits, secs),
               (unsigned long long)c->restarts);
    }
    if (batch)
        printf("\n");
    fflush(stdout);
}

static void ctl_cmd_top(gint iterations, gboolean batch, double delay)
{
    Reply *was = ctl_simple(PERCORE__CONTROL__COMMAND__STATS);
    for (gint i = 0; iterations <= 0 || i < iterations; i++) {
        g_usleep((gulong)(delay * 1e6));
        Reply *st = ctl_simple(PERCORE__CONTROL__COMMAND__STATUS);
        Reply *now = ctl_simple(PERCORE__CONTROL__COMMAND__STATS);
        ctl_require(st, st->status);
        ctl_require(now, now->stats && was->stats);
        ctl_top_frame(now->stats, was->stats, st->status->state, batch);
        ctl_done(st);
        ctl_done(was);
        was = now;
    }
    ctl_done(was);
}

/* ---- main ---- */

static const char ctl_usage[] =
    "COMMAND [ARGS] - talk to a percore machine's control socket\n\n"
    "Commands:\n"
    "  status                 the machine and each vCPU\n"
    "  stop [CPU]             hold the machine, or one vCPU, at a block boundary\n"
    "  cont [CPU]             let it run again\n"
    "  regs CPU               a vCPU's registers\n"
    "  x ADDR LEN             hexdump guest RAM\n"
    "  w ADDR HEXBYTES        write guest RAM (e.g. w 0x40100000 deadbeef)\n"
    "  crash CPU [KIND]       inject a crash: exec (default), translate, translate-sticky,\n"
    "                         exec-sticky; none disarms\n"
    "  restart CPU            replace a vCPU's process\n"
    "  crashes                the crash reports so far\n"
    "  stats                  counters per vCPU and accesses per device\n"
    "  top [-n N] [-b] [-d S] a live per-vCPU view\n"
    "  reset                  system reset\n"
    "  quit                   stop the machine";

static void ctl_run(int argc, char **argv, gint iterations, gboolean batch, double delay)
{
    const char *cmd = argv[0];
    bool bare = argc == 1;
    if (strcmp(cmd, "status") == 0 && bare)
        ctl_cmd_status();
    else if ((strcmp(cmd, "stop") == 0 || strcmp(cmd, "cont") == 0) && argc <= 2)
        ctl_cmd_hold(cmd[0] == 's' ? PERCORE__CONTROL__COMMAND__STOP
                                   : PERCORE__CONTROL__COMMAND__CONT,
                     argc, argv);
    else if (strcmp(cmd, "regs") == 0)
        ctl_cmd_regs(argc, argv);
    else if (strcmp(cmd, "x") == 0)
        ctl_cmd_read(argc, argv);
    else if (strcmp(cmd, "w") == 0)
        ctl_cmd_write(argc, argv);
    else if (strcmp(cmd, "crash") == 0)
        ctl_cmd_crash(argc, argv);
    else if (strcmp(cmd, "restart") == 0 && argc == 2) {
        unsigned cpu = ctl_cpu_arg(argv[1]);
        ctl_done(ctl_on_cpu(PERCORE__CONTROL__COMMAND__RESTART, cpu));
        printf("vCPU %u restarted\n", cpu);
    } else if (strcmp(cmd, "crashes") == 0 && bare)
        ctl_cmd_crashes();
    else if (strcmp(cmd, "stats") == 0 && bare)
        ctl_cmd_stats();
    else if (strcmp(cmd, "top") == 0 && bare)
        ctl_cmd_top(iterations, batch, delay);
    else if (strcmp(cmd, "reset") == 0 && bare) {
        ctl_done(ctl_simple(PERCORE__CONTROL__COMMAND__RESET));
        printf("machine resetting\n");
    } else if (strcmp(cmd, "quit") == 0 && bare) {
        ctl_done(ctl_simple(PERCORE__CONTROL__COMMAND__QUIT));
        printf("machine stopping\n");
    } else
        ctl_die(EXIT_USAGE, "unknown command or wrong arguments: '%s' (try --help)", cmd);
}

int main(int argc, char **argv)
{
    gchar *socket_path = NULL;
    gint iterations = 0;
    gboolean batch = FALSE;
    gdouble delay = 1.0;
    GOptionEntry entries[] = {
        {"socket", 'c', 0, G_OPTION_ARG_FILENAME, &socket_path,
         "the machine's control socket (percore -control unix:PATH)", "PATH"},
        {"iterations", 'n', 0, G_OPTION_ARG_INT, &iterations, "top: refresh N times, then exit",
         "N"},
        {"batch", 'b', 0, G_OPTION_ARG_NONE, &batch, "top: plain text, no screen control", NULL},
        {"delay", 'd', 0, G_OPTION_ARG_DOUBLE, &delay, "top: seconds between refreshes (1)", "S"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *ctx = g_option_context_new(ctl_usage);
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    if (!parsed) {
        fprintf(stderr, "percorectl: %s\n", err->message);
        g_error_free(err);
        return EXIT_USAGE;
    }
    if (!socket_path)
        ctl_die(EXIT_USAGE, "no socket: -c PATH (percore -control unix:PATH) (try --help)");
    if (argc < 2)
        ctl_die(EXIT_USAGE, "no command (try --help)");
    if (delay < 0.01 || delay > 3600)
        ctl_die(EXIT_USAGE, "-d: %g seconds is out of range (0.01-3600)", delay);
    ctl_socket = socket_path;
    ctl_connect();
    ctl_run(argc - 1, argv + 1, iterations, batch, delay);
    close(ctl_fd);
    g_free(socket_path);
    return 0;
}

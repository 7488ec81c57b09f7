/* bench/ring: the cross-process message path, measured through percore's own code.
 * The parent plays the coordinator, a forked child plays vCPU 0; both share one
 * control region and the doorbell eventfds, as the real processes do. Figures:
 * ring throughput, ping-pong round trips woken by doorbells and by spin-polling,
 * and a pipe pair as the baseline. Prints figures only: no verdict. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm.h"
#include "util/util.h"

#define BENCH_CHILD_EP     0u
#define BENCH_WARMUP       1000u /* untimed first rounds: page faults, cold caches */
#define BENCH_DRAIN_BUDGET 64u   /* as core-proc's loop */
#define BENCH_STALL_MS     10000 /* silence this long means a lost message or wake-up */
#define BENCH_SPIN_CHECK   4096u /* spins between liveness checks */

struct bench_opts {
    gint64 count;
    gint rounds;
    gboolean quick;
};

/* Everything made before the fork, so that both processes share it. */
struct bench_setup {
    struct shm_region rgn;
    struct ctrl *ctrl;
    int fds[CTRL_MAX_EPS];
    int to_child[2], to_parent[2]; /* the pipe baseline */
    int parent_pidfd;
    uint64_t *samples;
};

/* One process's side of the conversation. */
struct bench_end {
    struct mbox mbox;
    unsigned peer;
    int peer_pidfd;
    int pipe_in, pipe_out;
    char why[160];
};

struct bench_stats {
    uint64_t median, p99;
    double mean;
};

/* Where the throughput run's receiver is in the sequence. */
struct bench_flow {
    uint64_t next;
    bool bad;
};

static bool bench_fail(struct bench_end *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records why, for the one line printed at the end; always false. */
static bool bench_fail(struct bench_end *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->why, sizeof(e->why), fmt, ap);
    va_end(ap);
    return false;
}

static inline void bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ volatile("yield");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

static int bench_pidfd(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void bench_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---- options ---- */

static bool bench_parse(int argc, char **argv, struct bench_opts *o)
{
    o->count = -1; /* -1: not given, so --quick may choose */
    o->rounds = -1;
    o->quick = FALSE;
    GOptionEntry entries[] = {
        {"count", 0, 0, G_OPTION_ARG_INT64, &o->count,
         "messages in the throughput run (default 10000000)", "N"},
        {"rounds", 0, 0, G_OPTION_ARG_INT, &o->rounds,
         "round trips per latency run (default 100000)", "N"},
        {"quick", 0, 0, G_OPTION_ARG_NONE, &o->quick, "--count 1000000 --rounds 10000", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!util_parse_options(argc, argv, "- percore's cross-process message path", entries))
        return false;
    if (o->count == -1)
        o->count = o->quick ? 1000000 : 10000000;
    if (o->rounds == -1)
        o->rounds = o->quick ? 10000 : 100000;
    if (o->count < 1 || o->rounds < 1) {
        log_notice("--count and --rounds take a number of at least 1");
        return false;
    }
    return true;
}

/* ---- setup and teardown ---- */

static void bench_setup_clear(struct bench_setup *s)
{
    memset(s, 0, sizeof(*s));
    s->rgn.fd = -1;
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        s->fds[i] = -1;
    s->to_child[0] = s->to_child[1] = s->to_parent[0] = s->to_parent[1] = -1;
    s->parent_pidfd = -1;
}

/* 0, or -errno with *what naming the step that failed. */
static int bench_setup(struct bench_setup *s, unsigned rounds, const char **what)
{
    static const unsigned eps[] = {BENCH_CHILD_EP, CTRL_EP_COORD};
    *what = "creating the control region";
    int err = shm_region_create(&s->rgn, "bench-ring", ctrl_region_size());
    if (err)
        return err;
    s->ctrl = s->rgn.base;
    ctrl_init(s->ctrl, 1, 0, 0);
    s->ctrl->hdr.coord_pid = getpid();
    *what = "creating a doorbell";
    for (unsigned i = 0; i < G_N_ELEMENTS(eps); i++) {
        if ((s->fds[eps[i]] = doorbell_create()) < 0)
            return s->fds[eps[i]];
        atomic_store(&s->ctrl->ep[eps[i]].alive, 1);
    }
    /* The child's pid is stored once fork has told us what it is. */
    atomic_store(&s->ctrl->ep[CTRL_EP_COORD].pid, getpid());
    *what = "creating the pipes";
    if (pipe2(s->to_child, O_CLOEXEC) < 0 || pipe2(s->to_parent, O_CLOEXEC) < 0)
        return -errno;
    /* Opened before the fork: the child watches it for the parent's death. */
    *what = "opening a pidfd";
    if ((s->parent_pidfd = bench_pidfd(getpid())) < 0)
        return -errno;
    *what = "allocating the samples";
    s->samples = g_try_new(uint64_t, rounds);
    return s->samples ? 0 : -ENOMEM;
}

static void bench_teardown(struct bench_setup *s)
{
    shm_region_unlink(&s->rgn);
    shm_region_unmap(&s->rgn);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        bench_close(&s->fds[i]);
    bench_close(&s->to_child[0]);
    bench_close(&s->to_child[1]);
    bench_close(&s->to_parent[0]);
    bench_close(&s->to_parent[1]);
    bench_close(&s->parent_pidfd);
    g_free(s->samples);
    s->samples = NULL;
}

/* Takes this process's side; closing the other side's pipe ends makes a dead peer
 * show up as end-of-file. */
static void bench_end_init(struct bench_end *e, struct bench_setup *s, bool child, int peer_pidfd)
{
    memset(e, 0, sizeof(*e));
    e->peer = child ? CTRL_EP_COORD : BENCH_CHILD_EP;
    e->peer_pidfd = peer_pidfd;
    e->pipe_in = child ? s->to_child[0] : s->to_parent[0];
    e->pipe_out = child ? s->to_parent[1] : s->to_child[1];
    bench_close(child ? &s->to_child[1] : &s->to_child[0]);
    bench_close(child ? &s->to_parent[0] : &s->to_parent[1]);
    mbox_init(&e->mbox, s->ctrl, child ? BENCH_CHILD_EP : CTRL_EP_COORD, s->fds);
}

/* ---- receiving ---- */

static bool bench_has_work(void *mbox)
{
    return mbox_pending(mbox);
}

static void bench_keep(void *out, unsigned src, const union msg_slot *s)
{
    memcpy(out, s, sizeof(*s));
}

static bool bench_peer_exited(const struct bench_end *e)
{
    struct pollfd p = {.fd = e->peer_pidfd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Blocks on this endpoint's doorbell until a message may be waiting. */
static bool bench_sleep(struct bench_end *e)
{
    unsigned self = e->mbox.self;
    enum doorbell_wait_result w =
        doorbell_wait(&e->mbox.ctrl->ep[self], e->mbox.fd[self], bench_has_work, &e->mbox,
                      e->peer_pidfd, BENCH_STALL_MS);
    /* A peer may send its last message and exit: take what it left first. */
    if (w == DOORBELL_WATCHED && !mbox_pending(&e->mbox))
        return bench_fail(e, "the peer process exited");
    if (w == DOORBELL_TIMEOUT && mbox_pending(&e->mbox))
        return bench_fail(e, "lost wake-up: a message waited %d ms, doorbell silent",
                          BENCH_STALL_MS);
    if (w == DOORBELL_TIMEOUT)
        return bench_fail(e, "lost message: nothing arrived for %d ms", BENCH_STALL_MS);
    return true;
}

/* Spins until a message waits, never sleeping; the clock is read only at the
 * periodic checks so that it stays out of the measured path. */
static bool bench_spin(struct bench_end *e)
{
    uint64_t deadline = 0;
    for (unsigned i = 1; !mbox_pending(&e->mbox); i++) {
        bench_pause();
        if (i % BENCH_SPIN_CHECK)
            continue;
        uint64_t now = util_now_ns();
        if (!deadline)
            deadline = now + (uint64_t)BENCH_STALL_MS * 1000000u;
        if (bench_peer_exited(e))
            return bench_fail(e, "the peer process exited");
        if (now > deadline)
            return bench_fail(e, "lost message: nothing arrived for %d ms", BENCH_STALL_MS);
    }
    return true;
}

/* One message, waiting by doorbell or by spinning. */
static bool bench_recv(struct bench_end *e, bool spin, union msg_slot *out)
{
    while (mbox_drain(&e->mbox, bench_keep, out, 1) == 0)
        if (!(spin ? bench_spin(e) : bench_sleep(e)))
            return false;
    /* A vCPU takes its exit request with its messages, as core-proc's loop does. */
    if (e->mbox.self < CTRL_MAX_CPUS)
        atomic_exchange_explicit(&e->mbox.ctrl->cpu[e->mbox.self].exit_request, 0,
                                 memory_order_acq_rel);
    if (e->mbox.rejected)
        return bench_fail(e, "%" PRIu64 " malformed messages", e->mbox.rejected);
    return true;
}

static bool bench_send(struct bench_end *e, struct msg_hdr *msg)
{
    int err = mbox_send(&e->mbox, e->peer, msg);
    return err == 0 || bench_fail(e, "sending %s: %s", msg_info(msg->type)->name, strerror(-err));
}

/* ---- 1. throughput ---- */

static void bench_on_test(void *arg, unsigned src, const union msg_slot *s)
{
    struct bench_flow *f = arg;
    struct msg_test t;
    if (f->bad)
        return;
    memcpy(&t, s, sizeof(t)); /* a slot is only 4-byte aligned, msg_test wants 8 */
    if (msg_test_check(&t, f->next))
        f->next++;
    else
        f->bad = true;
}

/* The child: waits for the parent's go, then floods the ring. */
static bool bench_flood(struct bench_end *e, uint64_t n)
{
    union msg_slot go;
    if (!bench_recv(e, false, &go))
        return false;
    if (go.hdr.type != MSG_PING)
        return bench_fail(e, "expected the go ping, got %s", msg_info(go.hdr.type)->name);
    for (uint64_t i = 0; i < n; i++) {
        struct msg_test t;
        msg_test_fill(&t, i);
        if (!bench_send(e, &t.hdr))
            return false;
    }
    return true;
}

/* The parent: says go, then drains and checks every message. */
static bool bench_drain_flood(struct bench_end *e, uint64_t n, double *secs)
{
    struct bench_flow f = {0, false};
    struct msg_ping go;
    msg_init(&go.hdr, MSG_PING);
    go.token = n;
    uint64_t t0 = util_now_ns();
    go.sent_ns = t0;
    if (!bench_send(e, &go.hdr))
        return false;
    while (f.next < n && !f.bad)
        if (mbox_drain(&e->mbox, bench_on_test, &f, BENCH_DRAIN_BUDGET) == 0 && !bench_sleep(e))
            return false;
    *secs = (double)(util_now_ns() - t0) / 1e9;
    if (f.bad)
        return bench_fail(e, "message %" PRIu64 " of %" PRIu64 " lost, torn or out of order",
                          f.next, n);
    if (e->mbox.rejected)
        return bench_fail(e, "%" PRIu64 " malformed messages", e->mbox.rejected);
    return true;
}

/* ---- 2. ping-pong through the rings ---- */

static bool bench_ping(struct bench_end *e, bool spin, uint64_t token, uint64_t *rtt)
{
    struct msg_ping p;
    struct msg_pong r;
    union msg_slot s;
    msg_init(&p.hdr, MSG_PING);
    p.token = token;
    uint64_t t0 = util_now_ns();
    p.sent_ns = t0;
    if (!bench_send(e, &p.hdr) || !bench_recv(e, spin, &s))
        return false;
    *rtt = util_now_ns() - t0;
    memcpy(&r, &s, sizeof(r));
    if (r.hdr.type != MSG_PONG || r.token != token)
        return bench_fail(e, "round %" PRIu64 ": expected pong %" PRIu64 ", got %s %" PRIu64, token,
                          token, msg_info(r.hdr.type)->name, r.token);
    return true;
}

static bool bench_ping_rounds(struct bench_end *e, bool spin, uint64_t *samples, unsigned n)
{
    for (unsigned i = 0; i < BENCH_WARMUP + n; i++) {
        uint64_t rtt;
        if (!bench_ping(e, spin, i, &rtt))
            return false;
        if (i >= BENCH_WARMUP)
            samples[i - BENCH_WARMUP] = rtt;
    }
    return true;
}

/* The child: answers each ping with a pong carrying its token. */
static bool bench_echo(struct bench_end *e, bool spin, unsigned n)
{
    for (unsigned i = 0; i < BENCH_WARMUP + n; i++) {
        union msg_slot s;
        struct msg_ping p;
        struct msg_pong r;
        if (!bench_recv(e, spin, &s))
            return false;
        memcpy(&p, &s, sizeof(p));
        if (p.hdr.type != MSG_PING || p.token != i)
            return bench_fail(e, "round %u: expected ping %u, got %s %" PRIu64, i, i,
                              msg_info(p.hdr.type)->name, p.token);
        msg_pong_for(&r, &p);
        if (!bench_send(e, &r.hdr))
            return false;
    }
    return true;
}

/* ---- 3. the pipe baseline ---- */

static bool bench_pipe_put(struct bench_end *e, unsigned char c)
{
    ssize_t n;
    do
        n = write(e->pipe_out, &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1 || bench_fail(e, "pipe write: %s", n < 0 ? strerror(errno) : "short");
}

static bool bench_pipe_get(struct bench_end *e, unsigned char want)
{
    unsigned char c;
    ssize_t n;
    do
        n = read(e->pipe_in, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return bench_fail(e, "pipe read: %s", strerror(errno));
    if (n == 0)
        return bench_fail(e, "the peer process closed its pipe");
    return c == want || bench_fail(e, "pipe: expected byte %u, got %u", want, c);
}

static bool bench_pipe_rounds(struct bench_end *e, uint64_t *samples, unsigned n)
{
    for (unsigned i = 0; i < BENCH_WARMUP + n; i++) {
        uint64_t t0 = util_now_ns();
        if (!bench_pipe_put(e, (unsigned char)i) || !bench_pipe_get(e, (unsigned char)i))
            return false;
        if (i >= BENCH_WARMUP)
            samples[i - BENCH_WARMUP] = util_now_ns() - t0;
    }
    return true;
}

static bool bench_pipe_echo(struct bench_end *e, unsigned n)
{
    for (unsigned i = 0; i < BENCH_WARMUP + n; i++)
        if (!bench_pipe_get(e, (unsigned char)i) || !bench_pipe_put(e, (unsigned char)i))
            return false;
    return true;
}

/* ---- statistics and output ---- */

static int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static struct bench_stats bench_stats(uint64_t *s, size_t n)
{
    struct bench_stats st;
    double sum = 0;
    qsort(s, n, sizeof(*s), bench_cmp_u64);
    for (size_t i = 0; i < n; i++)
        sum += (double)s[i];
    st.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    st.p99 = s[(99 * n + 99) / 100 - 1]; /* nearest rank: ceil(0.99 n) */
    st.mean = sum / (double)n;
    return st;
}

static void bench_print_rtt(const char *label, struct bench_stats st, unsigned n)
{
    printf("round trip (%s): median %" PRIu64 " ns, p99 %" PRIu64 " ns, mean %.0f ns (%u rounds)\n",
           label, st.median, st.p99, st.mean, n);
    fflush(stdout);
}

/* ---- the two processes ---- */

static int bench_child(struct bench_setup *s, const struct bench_opts *o)
{
    struct bench_end e;
    unsigned n = (unsigned)o->rounds;
    atomic_store(&s->ctrl->ep[BENCH_CHILD_EP].pid, getpid());
    bench_end_init(&e, s, true, s->parent_pidfd);
    bool ok = bench_flood(&e, (uint64_t)o->count) && bench_echo(&e, false, n) &&
              bench_echo(&e, true, n) && bench_pipe_echo(&e, n);
    if (!ok)
        log_notice("child: %s", e.why);
    return ok ? 0 : 1;
}

static bool bench_parent_run(struct bench_end *e, const struct bench_opts *o, uint64_t *samples)
{
    unsigned n = (unsigned)o->rounds;
    uint64_t count = (uint64_t)o->count;
    double secs;
    if (!bench_drain_flood(e, count, &secs))
        return false;
    printf("ring throughput: %" PRIu64 " msgs in %.2f s = %.1f M msgs/s (%.1f ns/msg)\n", count,
           secs, (double)count / secs / 1e6, secs * 1e9 / (double)count);
    /* Each write is a syscall on the sending side: it explains a slow run. */
    struct ctrl_endpoint *ep = e->mbox.ctrl->ep;
    printf("ring throughput doorbell writes: %" PRIu64 " to the receiver, %" PRIu64
           " to the sender\n",
           (uint64_t)atomic_load(&ep[CTRL_EP_COORD].doorbells),
           (uint64_t)atomic_load(&ep[BENCH_CHILD_EP].doorbells));
    fflush(stdout);
    if (!bench_ping_rounds(e, false, samples, n))
        return false;
    struct bench_stats bell = bench_stats(samples, n);
    bench_print_rtt("doorbell wake-up", bell, n);
    if (!bench_ping_rounds(e, true, samples, n))
        return false;
    bench_print_rtt("spin-polling", bench_stats(samples, n), n);
    if (!bench_pipe_rounds(e, samples, n))
        return false;
    struct bench_stats pipe = bench_stats(samples, n);
    bench_print_rtt("pipe pair, baseline", pipe, n);
    printf("doorbell/pipe round-trip ratio: %.2f (medians)\n",
           (double)bell.median / (double)pipe.median);
    return true;
}

/* Runs the parent's side, then reaps the child. A child that failed has printed
 * its own line (exit status 1), so each failure prints exactly one. */
static int bench_parent(struct bench_setup *s, const struct bench_opts *o, pid_t child)
{
    struct bench_end e;
    int pidfd = bench_pidfd(child);
    bench_end_init(&e, s, false, pidfd);
    bool ok = pidfd >= 0 ? bench_parent_run(&e, o, s->samples)
                         : bench_fail(&e, "pidfd_open of the child: %s", strerror(errno));
    if (!ok)
        kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    bench_close(&pidfd);
    bool child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    bool child_said = WIFEXITED(status) && WEXITSTATUS(status) == 1;
    if (!ok && !child_said)
        log_notice("%s", e.why);
    else if (ok && !child_ok && !child_said)
        log_notice("the child process ended abnormally (wait status %#x)", (unsigned)status);
    return ok && child_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    struct bench_setup s;
    const char *what;

    log_init("ring", 0, NULL);
    if (!bench_parse(argc, argv, &o))
        return 1;
    /* A dead pipe reader must be an error to report, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    bench_setup_clear(&s);
    int err = bench_setup(&s, (unsigned)o.rounds, &what);
    if (err) {
        log_notice("%s: %s", what, strerror(-err));
        bench_teardown(&s);
        return 1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0)
        _exit(bench_child(&s, &o)); /* _exit: the parent owns the names and the buffers */
    if (child < 0) {
        log_notice("fork: %s", strerror(errno));
        bench_teardown(&s);
        return 1;
    }
    atomic_store(&s.ctrl->ep[BENCH_CHILD_EP].pid, child);
    int status = bench_parent(&s, &o, child);
    bench_teardown(&s);
    return status;
}

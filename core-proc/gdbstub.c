/* The vCPU's side of the guest debugger (docs/debugging.md, "Guest gdbstub").
 *
 * -gdb-cpu N: this process has its own GDB stub. GDB attaches to this core alone;
 * while it holds the core stopped the other vCPUs, separate processes, run on, and this
 * process keeps serving what they need from it (its exit-request word, maintenance
 * acknowledgements, code invalidations, PINGs), as a parked vCPU does (shm/stw.h). A
 * watcher thread polls the socket while the vCPU runs guest code: input (a connection,
 * Ctrl-C) sets EXIT_REQ_DEBUG and rings the doorbell, so the run loop comes here within
 * one block; the main thread then reads the socket itself and re-arms the watcher. While
 * stopped, the main thread waits on its doorbell, which the watcher rings for GDB too:
 * one wait for both.
 *
 * -gdb (all-stop, coordinator/gdb.c): no stub here. The coordinator writes this vCPU's
 * breakpoints, watchpoints and step request into the control region (struct
 * gdb_cpu_area) and sets EXIT_REQ_DEBUG; a debug stop is reported to it with
 * MSG_DEBUG_STOP, and the vCPU runs no guest code until the coordinator lets the report
 * go (it stops the world meanwhile). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/gdb.h"
#include "util/util.h"

struct core_gdb {
    struct core *core;
    int listen_fd, conn_fd;
    /* The watcher: it polls watch_fd once re-armed (rearm_fd), then reports input. */
    int rearm_fd;
    _Atomic int watch_fd;
    _Atomic bool input;
    pthread_t watcher;
    struct gdb engine;
    bool stopped;                 /* held for GDB */
    bool interrupted;             /* Ctrl-C while running: stop with SIGINT */
    bool attached;                /* a new connection: stop, GDB asks '?' */
    struct arm_debug_set set;     /* the points GDB inserted */
};

static void *core_gdb_watch(void *arg)
{
    struct core_gdb *g = arg;
    struct core *c = g->core;
    for (;;) {
        uint64_t v;
        if (read(g->rearm_fd, &v, sizeof(v)) < 0 && errno != EINTR && errno != EAGAIN)
            return NULL;
        struct pollfd p = {.fd = atomic_load(&g->watch_fd), .events = POLLIN};
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
        atomic_store(&g->input, true);
        atomic_fetch_or_explicit(&c->cpu->exit_request, EXIT_REQ_DEBUG, memory_order_release);
        doorbell_ring(c->self, c->mbox.fd[c->index]);
    }
}

static void core_gdb_rearm(struct core_gdb *g)
{
    uint64_t one = 1;
    if (write(g->rearm_fd, &one, sizeof(one)) < 0)
        log_notice("gdbstub: cannot re-arm the socket watcher: %s", strerror(errno));
}

/* ---- the engine's backend: this vCPU is thread 1 ---- */
static unsigned core_gdb_threads(void *ctx)
{
    return 1;
}

static bool core_gdb_alive(void *ctx, unsigned tid)
{
    return tid == 1;
}

static bool core_gdb_read_regs(void *ctx, unsigned tid, uint32_t regs[GDB_NREGS])
{
    struct core_gdb *g = ctx;
    gdb_regs_get(&g->core->cpu->regs, regs);
    return true;
}

static bool core_gdb_write_reg(void *ctx, unsigned tid, unsigned index, uint32_t value)
{
    struct core_gdb *g = ctx;
    gdb_reg_set(&g->core->cpu->regs, index, value);
    if (index == 16)
        arm_cpu_flush_tlb(g->core->arm); /* a mode change may change the translation */
    return true;
}

static size_t core_gdb_access(void *ctx, unsigned tid, uint32_t addr, uint8_t *buf, size_t len,
                              bool write)
{
    struct core_gdb *g = ctx;
    return arm_cpu_debug_access(g->core->arm, addr, buf, len, write);
}

static bool core_gdb_point(void *ctx, bool insert, unsigned type, uint32_t addr, uint32_t len)
{
    struct core_gdb *g = ctx;
    return insert ? arm_debug_add(&g->set, type, addr, len)
                  : arm_debug_remove(&g->set, type, addr, len);
}

static void core_gdb_resume(void *ctx, const enum gdb_action action[GDB_MAX_THREADS])
{
    struct core_gdb *g = ctx;
    g->set.step = action[0] == GDB_STEP;
    if (action[0] == GDB_STAY) { /* nothing of ours to run: report at once */
        struct gdb_stop s = {.signal = GDB_SIGTRAP, .tid = 1};
        gdb_stopped(&g->engine, &s);
        return;
    }
    arm_cpu_set_debug(g->core->arm, &g->set);
    g->set.step = 0;
    g->stopped = false;
}

static void core_gdb_interrupt(void *ctx)
{
    struct core_gdb *g = ctx;
    g->interrupted = true;
}

static void core_gdb_hang_up(struct core_gdb *g)
{
    if (g->conn_fd >= 0)
        close(g->conn_fd);
    g->conn_fd = -1;
    gdb_free(&g->engine);
    memset(&g->set, 0, sizeof(g->set));
    arm_cpu_set_debug(g->core->arm, &g->set);
    g->stopped = g->interrupted = false;
    atomic_store(&g->watch_fd, g->listen_fd);
}

/* The engine's caller hangs up once its answer is out (core_gdb_take_input): every point
 * removed, not stopped any more. */
static void core_gdb_detach(void *ctx)
{
    struct core_gdb *g = ctx;
    log_notice("gdbstub: vCPU %u: GDB detached; the vCPU runs on", g->core->index);
}

static void core_gdb_kill(void *ctx)
{
    /* k: GDB ends the session; the machine is the coordinator's to stop, and the other
     * vCPUs are not this stub's. Treated as a detach that leaves the vCPU running. */
    core_gdb_detach(ctx);
}

static void core_gdb_write(void *ctx, const void *data, size_t len)
{
    struct core_gdb *g = ctx;
    if (g->conn_fd >= 0)
        gdb_send_all(g->conn_fd, data, len); /* a peer that is gone: the reader notices */
}

static const struct gdb_ops core_gdb_ops = {
    .threads = core_gdb_threads,
    .alive = core_gdb_alive,
    .read_regs = core_gdb_read_regs,
    .write_reg = core_gdb_write_reg,
    .access = core_gdb_access,
    .point = core_gdb_point,
    .resume = core_gdb_resume,
    .interrupt = core_gdb_interrupt,
    .detach = core_gdb_detach,
    .kill = core_gdb_kill,
    .write = core_gdb_write,
};

int core_gdb_open(struct core *c, const char *host, const char *port)
{
    struct core_gdb *g = g_new0(struct core_gdb, 1);
    char *why = NULL;
    unsigned bound = 0;
    g->core = c;
    g->conn_fd = -1;
    g->listen_fd = gdb_listen(host && *host ? host : NULL, port, &bound, &why);
    if (g->listen_fd < 0) {
        log_notice("gdbstub: vCPU %u: %s", c->index, why);
        g_free(why);
        g_free(g);
        return -1;
    }
    g->rearm_fd = eventfd(1, EFD_CLOEXEC); /* armed from the start */
    atomic_store(&g->watch_fd, g->listen_fd);
    if (g->rearm_fd < 0 || pthread_create(&g->watcher, NULL, core_gdb_watch, g) != 0) {
        log_notice("gdbstub: vCPU %u: cannot start the socket watcher", c->index);
        return -1;
    }
    c->gdb = g;
    /* The line a user (and tests/system/gdbstub.sh) reads the port from. */
    log_notice("gdbstub: vCPU %u waits for GDB on %s:%u", c->index,
               host && *host ? host : "127.0.0.1", bound);
    return 0;
}

/* Reads what the watcher saw: a connection, or GDB's bytes. */
static void core_gdb_take_input(struct core_gdb *g)
{
    atomic_store(&g->input, false);
    if (g->conn_fd < 0) {
        int fd = accept4(g->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            g->conn_fd = fd;
            gdb_init(&g->engine, &core_gdb_ops, g, 1);
            g->engine.first_cpu = g->core->index;
            g->attached = true;
            atomic_store(&g->watch_fd, fd);
            log_notice("gdbstub: vCPU %u: GDB attached; the vCPU is stopped", g->core->index);
        }
        core_gdb_rearm(g);
        return;
    }
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(g->conn_fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            log_notice("gdbstub: vCPU %u: GDB went away; the vCPU runs on", g->core->index);
            core_gdb_hang_up(g);
            break;
        }
        if (!gdb_input(&g->engine, buf, (size_t)n)) {
            core_gdb_hang_up(g); /* D or k: the engine has answered */
            break;
        }
    }
    core_gdb_rearm(g);
}

static bool core_gdb_has_work(void *arg)
{
    struct core *c = arg;
    return atomic_load(&c->gdb->input) ||
           atomic_load_explicit(&c->cpu->exit_request, memory_order_acquire) ||
           mbox_pending(&c->mbox);
}

/* Held for GDB until it resumes, detaches or goes away, serving meanwhile what the other
 * processes need from this one. s: the stop to report (NULL: a new connection, which
 * asks with '?'). */
static void core_gdb_session(struct core *c, const struct gdb_stop *s)
{
    struct core_gdb *g = c->gdb;
    g->stopped = true;
    if (s)
        gdb_stopped(&g->engine, s);
    while (g->stopped && g->conn_fd >= 0) {
        if (core_serve_parked(c)) {
            c->quit = true;
            return;
        }
        /* A stop-the-world while GDB holds us: we are at a block boundary and stay
         * there, so it is acknowledged at once (shm/stw.h); the loop parks properly
         * once GDB lets go, if the hold is still on. */
        uint32_t hold = atomic_load_explicit(&c->cpu->hold, memory_order_acquire);
        if (hold)
            atomic_store_explicit(&c->cpu->held, hold, memory_order_release);
        if (atomic_load(&g->input)) {
            core_gdb_take_input(g);
            continue;
        }
        if (doorbell_wait(c->self, c->mbox.fd[c->index], core_gdb_has_work, c, c->coord_pidfd,
                          -1) == DOORBELL_WATCHED) {
            log_notice("the coordinator died: vCPU %u stops", c->index);
            exit(1);
        }
    }
}

void core_gdb_turn(struct core *c)
{
    struct core_gdb *g = c->gdb;
    if (!g || !atomic_load(&g->input))
        return;
    core_gdb_take_input(g);
    if (g->attached) {
        g->attached = false;
        core_gdb_session(c, NULL);
    } else if (g->interrupted) {
        g->interrupted = false;
        struct gdb_stop s = {.signal = GDB_SIGINT, .tid = 1};
        core_gdb_session(c, &s);
    }
}

/* The all-stop stub's set, from the control region. */
void core_gdb_request(struct core *c)
{
    if (c->gdb)
        return; /* the local stub: core_gdb_turn reads the socket */
    struct arm_debug_set set;
    gdb_area_read(gdb_area(c->cpu), &set);
    arm_cpu_set_debug(c->arm, &set);
}

void core_gdb_debug_exit(struct core *c)
{
    struct arm_debug_stop why = arm_cpu_debug_stop(c->arm);
    if (c->gdb) {
        if (c->gdb->conn_fd < 0)
            return; /* GDB went away after the run began */
        struct gdb_stop s = {.signal = GDB_SIGTRAP, .tid = 1, .why = why};
        core_gdb_session(c, &s);
        return;
    }
    struct gdb_cpu_area *a = gdb_area(c->cpu);
    uint32_t report = atomic_load(&a->reported) + 1;
    atomic_store_explicit(&a->reported, report, memory_order_release);
    struct msg_debug_stop m;
    msg_init(&m.hdr, MSG_DEBUG_STOP);
    m.index = c->index;
    m.report = report;
    m.cause = why.cause;
    m.type = why.type;
    m.addr = why.addr;
    m.pc = c->cpu->regs.r[15];
    if (mbox_send(&c->mbox, CTRL_EP_COORD, &m.hdr) == 0)
        atomic_fetch_add_explicit(&c->cpu->counters.msgs_out, 1, memory_order_relaxed);
}

bool core_gdb_waiting(struct core *c)
{
    if (c->gdb)
        return false;
    struct gdb_cpu_area *a = gdb_area(c->cpu);
    return atomic_load_explicit(&a->resumed, memory_order_acquire) !=
           atomic_load_explicit(&a->reported, memory_order_relaxed);
}

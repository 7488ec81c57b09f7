/* The all-stop GDB stub of the whole machine (-gdb tcp::PORT, -s; docs/debugging.md):
 * each vCPU is a thread. When GDB attaches, presses Ctrl-C or a vCPU stops at a
 * breakpoint, watchpoint or step, the world is stopped (shm/stw.h: every vCPU held at a
 * block boundary) and only then is the stop reported; a resume lets every vCPU go again.
 * While the vCPUs are held their register files in the control region are exact, so
 * registers are read and written there, and memory through a page-table walk with the
 * selected thread's registers (target-arm's arm_debug_access). Breakpoints, watchpoints
 * and step requests reach the vCPU processes through their control-region debug areas
 * (struct gdb_cpu_area) and EXIT_REQ_DEBUG; a vCPU reports its debug stop with
 * MSG_DEBUG_STOP and runs no guest code until that report is let go at the next resume. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "util/gdb.h"
#include "util/util.h"

enum { GDB_RUNNING, GDB_STOPPING, GDB_STOPPED };

struct machine_gdb {
    struct machine *m;
    int listen_fd, conn_fd;
    struct event *ev_listen, *ev_conn;
    struct gdb engine;
    unsigned state;
    struct gdb_stop pending;   /* reported once the world has stopped */
    GByteArray *deferred;      /* GDB's bytes that came while the world was stopping */
    struct arm_debug_set set;  /* every vCPU's points */
    bool hang_up;              /* D or k: close once the answer is out */
};

static struct ctrl_cpu *gdb_cpu(struct machine_gdb *g, unsigned tid)
{
    return &g->m->ctrl->cpu[tid - 1];
}

/* ---- the engine's backend ---- */
static unsigned machine_gdb_threads(void *ctx)
{
    struct machine_gdb *g = ctx;
    return g->m->cfg->ncpus;
}

static bool machine_gdb_alive(void *ctx, unsigned tid)
{
    struct machine_gdb *g = ctx;
    return tid >= 1 && tid <= g->m->cfg->ncpus && g->m->cpu[tid - 1].running;
}

static bool machine_gdb_read_regs(void *ctx, unsigned tid, uint32_t regs[GDB_NREGS])
{
    gdb_regs_get(&gdb_cpu(ctx, tid)->regs, regs);
    return true;
}

static bool machine_gdb_write_reg(void *ctx, unsigned tid, unsigned index, uint32_t value)
{
    gdb_reg_set(&gdb_cpu(ctx, tid)->regs, index, value); /* (the vCPU's TLB: at its next flush) */
    return true;
}

/* A RAM page the debugger wrote: every vCPU holding code from it drops it (the held
 * vCPUs take the message where they are parked). */
static void machine_gdb_written(void *opaque, uint32_t ram_page)
{
    struct machine *m = opaque;
    if (ram_page >= CTRL_MAX_RAM_PAGES)
        return;
    uint32_t holders = atomic_exchange(&m->ctrl->excl.code[ram_page], 0);
    for (unsigned i = 0; i < m->cfg->ncpus; i++)
        if (holders & (1u << i)) {
            struct msg_code_inval inv;
            msg_init(&inv.hdr, MSG_CODE_INVAL);
            inv.ram_page = ram_page;
            machine_send(m, i, &inv.hdr);
        }
}

static size_t machine_gdb_access(void *ctx, unsigned tid, uint32_t addr, uint8_t *buf, size_t len,
                                 bool write)
{
    struct machine_gdb *g = ctx;
    const struct arm_debug_mem mem = {
        .ram = g->m->ram.base,
        .ram_base = g->m->ctrl->hdr.ram_base,
        .ram_size = g->m->ctrl->hdr.ram_size,
        .written = machine_gdb_written,
        .opaque = g->m,
    };
    return arm_debug_access(&gdb_cpu(g, tid)->regs, &mem, addr, buf, len, write);
}

static bool machine_gdb_point(void *ctx, bool insert, unsigned type, uint32_t addr, uint32_t len)
{
    struct machine_gdb *g = ctx;
    return insert ? arm_debug_add(&g->set, type, addr, len)
                  : arm_debug_remove(&g->set, type, addr, len);
}

/* Hands each vCPU its set (with its step request) and lets its reports go, then lets go
 * of the vCPUs that do not stay (a vCPU told to stay stays held). */
static void machine_gdb_release(struct machine_gdb *g, const enum gdb_action action[GDB_MAX_THREADS])
{
    struct machine *m = g->m;
    uint32_t all = 0, go = 0;
    for (unsigned i = 0; i < m->cfg->ncpus && i < GDB_MAX_THREADS; i++) {
        if (!m->cpu[i].running)
            continue;
        struct arm_debug_set s = g->set;
        s.step = action[i] == GDB_STEP;
        struct gdb_cpu_area *a = gdb_area(&m->ctrl->cpu[i]);
        gdb_area_write(a, &s);
        atomic_store_explicit(&a->resumed, atomic_load(&a->reported), memory_order_release);
        all |= 1u << i;
        if (action[i] != GDB_STAY)
            go |= 1u << i;
    }
    doorbell_kick_cpus(m->ctrl, m->doorbell, all, EXIT_REQ_DEBUG, CTRL_EP_COORD);
    g->state = GDB_RUNNING;
    if (go == all)
        machine_start_world(m);
    else
        stw_release(m->ctrl, m->doorbell, go);
}

static void machine_gdb_resume(void *ctx, const enum gdb_action action[GDB_MAX_THREADS])
{
    machine_gdb_release(ctx, action);
}

static void machine_gdb_world_stopped(struct machine *m, uint32_t stuck);

static void machine_gdb_stop(struct machine_gdb *g, const struct gdb_stop *why)
{
    g->pending = *why;
    g->state = GDB_STOPPING;
    machine_stop_world(g->m, machine_gdb_world_stopped);
}

static void machine_gdb_interrupt(void *ctx)
{
    struct machine_gdb *g = ctx;
    if (g->state == GDB_RUNNING)
        machine_gdb_stop(g, &(struct gdb_stop){.signal = GDB_SIGINT, .tid = g->engine.stop.tid});
}

static void machine_gdb_detach(void *ctx)
{
    struct machine_gdb *g = ctx;
    g->hang_up = true;
}

static void machine_gdb_kill(void *ctx)
{
    struct machine_gdb *g = ctx;
    log_notice("gdbstub: GDB killed the machine");
    g->hang_up = true;
    machine_stop(g->m, 0);
}

static void machine_gdb_write(void *ctx, const void *data, size_t len)
{
    struct machine_gdb *g = ctx;
    if (g->conn_fd >= 0)
        gdb_send_all(g->conn_fd, data, len); /* a peer that is gone: the reader notices */
}

static const struct gdb_ops machine_gdb_ops = {
    .threads = machine_gdb_threads,
    .alive = machine_gdb_alive,
    .read_regs = machine_gdb_read_regs,
    .write_reg = machine_gdb_write_reg,
    .access = machine_gdb_access,
    .point = machine_gdb_point,
    .resume = machine_gdb_resume,
    .interrupt = machine_gdb_interrupt,
    .detach = machine_gdb_detach,
    .kill = machine_gdb_kill,
    .write = machine_gdb_write,
};

/* ---- the connection ---- */
static void machine_gdb_close_conn(struct machine_gdb *g)
{
    if (g->conn_fd < 0)
        return;
    event_free(g->ev_conn);
    g->ev_conn = NULL;
    close(g->conn_fd);
    g->conn_fd = -1;
    gdb_free(&g->engine);
    g_byte_array_set_size(g->deferred, 0);
    /* Every point goes and every vCPU runs on (a detach, or GDB went away). */
    memset(&g->set, 0, sizeof(g->set));
    enum gdb_action go[GDB_MAX_THREADS];
    for (unsigned i = 0; i < GDB_MAX_THREADS; i++)
        go[i] = GDB_CONTINUE;
    if (g->state != GDB_STOPPING) /* (a stopping world is let go once it has stopped) */
        machine_gdb_release(g, go);
    event_add(g->ev_listen, NULL);
    log_notice("gdbstub: GDB detached; the machine runs on");
}

static void machine_gdb_feed(struct machine_gdb *g, const uint8_t *data, size_t len)
{
    if (!gdb_input(&g->engine, data, len) || g->hang_up) {
        g->hang_up = false;
        machine_gdb_close_conn(g);
    }
}

static void machine_gdb_world_stopped(struct machine *m, uint32_t stuck)
{
    struct machine_gdb *g = m->gdb;
    if (!g || g->state != GDB_STOPPING)
        return;
    g->state = GDB_STOPPED;
    if (g->conn_fd < 0) { /* GDB went away meanwhile */
        enum gdb_action go[GDB_MAX_THREADS];
        for (unsigned i = 0; i < GDB_MAX_THREADS; i++)
            go[i] = GDB_CONTINUE;
        machine_gdb_release(g, go);
        return;
    }
    gdb_stopped(&g->engine, &g->pending);
    if (g->deferred->len) {
        GByteArray *d = g_byte_array_new();
        g_byte_array_append(d, g->deferred->data, g->deferred->len);
        g_byte_array_set_size(g->deferred, 0);
        machine_gdb_feed(g, d->data, d->len);
        g_byte_array_free(d, TRUE);
    }
}

static void machine_gdb_on_conn(evutil_socket_t fd, short what, void *arg)
{
    struct machine_gdb *g = arg;
    uint8_t buf[4096];
    ssize_t n = recv(g->conn_fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        machine_gdb_close_conn(g);
        return;
    }
    if (g->state == GDB_STOPPING) /* answered once every vCPU is held */
        g_byte_array_append(g->deferred, buf, (guint)n);
    else
        machine_gdb_feed(g, buf, (size_t)n);
}

static void machine_gdb_on_listen(evutil_socket_t fd, short what, void *arg)
{
    struct machine_gdb *g = arg;
    int c = accept4(g->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0 || g->conn_fd >= 0) {
        if (c >= 0)
            close(c); /* one debugger at a time */
        return;
    }
    g->conn_fd = c;
    gdb_init(&g->engine, &machine_gdb_ops, g, 1);
    g->ev_conn = event_new(g->m->base, c, EV_READ | EV_PERSIST, machine_gdb_on_conn, g);
    event_add(g->ev_conn, NULL);
    event_del(g->ev_listen);
    log_notice("gdbstub: GDB attached; stopping the machine");
    /* GDB expects a stopped target: it asks '?' and the answer waits for the world. */
    machine_gdb_stop(g, &(struct gdb_stop){.signal = GDB_SIGTRAP, .tid = 1});
}

void machine_gdb_on_stop(struct machine *m, unsigned src, const struct msg_debug_stop *s)
{
    struct machine_gdb *g = m->gdb;
    struct gdb_cpu_area *a = gdb_area(&m->ctrl->cpu[src]);
    if (!g || g->conn_fd < 0) { /* nobody to tell: let it go at once */
        atomic_store_explicit(&a->resumed, s->report, memory_order_release);
        doorbell_kick_cpus(m->ctrl, m->doorbell, 1u << src, EXIT_REQ_DEBUG, CTRL_EP_COORD);
        return;
    }
    /* Stopping or stopped already: this report waits for the next resume, which lets it
     * go; the vCPU's pc has not moved past its breakpoint, so it hits it again then. */
    if (g->state != GDB_RUNNING)
        return;
    log_item(LOG_SUP, "gdbstub: vCPU %u stopped (cause %u) at pc 0x%08x", src, s->cause, s->pc);
    machine_gdb_stop(g, &(struct gdb_stop){
                            .signal = GDB_SIGTRAP,
                            .tid = src + 1,
                            .why = {.cause = s->cause, .type = s->type, .addr = s->addr},
                        });
}

int machine_gdb_open(struct machine *m)
{
    char *why = NULL;
    unsigned bound = 0;
    int fd = gdb_listen(m->cfg->gdb_host, m->cfg->gdb_port, &bound, &why);
    if (fd < 0) {
        log_notice("-gdb: %s", why);
        g_free(why);
        return fd;
    }
    struct machine_gdb *g = g_new0(struct machine_gdb, 1);
    g->m = m;
    g->listen_fd = fd;
    g->conn_fd = -1;
    g->state = GDB_RUNNING;
    g->deferred = g_byte_array_new();
    g->ev_listen = event_new(m->base, fd, EV_READ | EV_PERSIST, machine_gdb_on_listen, g);
    event_add(g->ev_listen, NULL);
    m->gdb = g;
    /* The line a user (and tests/system/gdbstub.sh) reads the port from. */
    log_notice("gdbstub: the machine waits for GDB on %s:%u",
               m->cfg->gdb_host ? m->cfg->gdb_host : "127.0.0.1", bound);
    return 0;
}

void machine_gdb_close(struct machine *m)
{
    struct machine_gdb *g = m->gdb;
    if (!g)
        return;
    if (g->conn_fd >= 0) {
        event_free(g->ev_conn);
        close(g->conn_fd);
        gdb_free(&g->engine);
    }
    event_free(g->ev_listen);
    close(g->listen_fd);
    g_byte_array_free(g->deferred, TRUE);
    g_free(g);
    m->gdb = NULL;
}

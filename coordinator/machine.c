/* The machine's life cycle: shared memory, doorbells, the event loop, the vCPU
 * processes, and a clean stop on every path (signal, poweroff policy, failure). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "util/util.h"

#define STOP_GRACE_SECONDS 3
#define COORD_BACKLOG_MAX  1024u
/* Messages taken per doorbell callback: a vCPU that keeps sending cannot starve
 * signals and process exits of the loop. */
#define COORD_DRAIN_MAX 4096u

static void machine_flush_backlog(struct machine *m)
{
    for (unsigned dst = 0; dst < CTRL_MAX_EPS; dst++) {
        GQueue *q = &m->backlog[dst];
        while (!g_queue_is_empty(q)) {
            struct msg_hdr *msg = g_queue_peek_head(q);
            int err = mbox_try_send(&m->mbox, dst, msg);
            if (err == -EAGAIN) {
                /* Ask the consumer to ring us when it frees a slot, then retry: it
                 * either sees the flag after draining, or we see the free slot. */
                struct ring *r = ctrl_ring(m->ctrl, CTRL_EP_COORD, dst);
                atomic_store(&r->producer_waiting, 1);
                atomic_thread_fence(memory_order_seq_cst);
                err = mbox_try_send(&m->mbox, dst, msg);
                if (err == -EAGAIN)
                    break;
                atomic_store(&r->producer_waiting, 0);
            }
            g_free(g_queue_pop_head(q));
        }
    }
}

int machine_send(struct machine *m, unsigned dst, struct msg_hdr *msg)
{
    if (dst >= CTRL_MAX_EPS)
        return -EINVAL;
    if (g_queue_is_empty(&m->backlog[dst])) {
        int err = mbox_try_send(&m->mbox, dst, msg);
        if (err != -EAGAIN)
            return err;
    }
    /* A receiver that never drains must not grow the coordinator without bound. */
    if (g_queue_get_length(&m->backlog[dst]) >= COORD_BACKLOG_MAX) {
        log_notice("endpoint %u does not take its messages (%u waiting): dropping %s", dst,
                   COORD_BACKLOG_MAX, msg_info(msg->type)->name);
        return -ENOBUFS;
    }
    g_queue_push_tail(&m->backlog[dst], g_memdup2(msg, msg->size));
    machine_flush_backlog(m);
    return 0;
}

static void machine_on_msg(void *arg, unsigned src, const union msg_slot *s)
{
    struct machine *m = arg;
    switch (s->hdr.type) {
    case MSG_CPU_STARTED: {
        const struct msg_cpu_started *st = (const void *)s;
        if (src < m->cfg->ncpus) {
            m->cpu[src].started = true;
            log_item(LOG_SUP, "vCPU %u: process %d is up", src, st->pid);
        }
        break;
    }
    case MSG_PING: {
        struct msg_pong r;
        msg_pong_for(&r, (const struct msg_ping *)s);
        machine_send(m, src, &r.hdr);
        break;
    }
    default:
        log_notice("endpoint %u sent %s, which the coordinator does not take", src,
                   msg_info(s->hdr.type)->name);
    }
}

static void machine_on_doorbell(evutil_socket_t fd, short what, void *arg)
{
    struct machine *m = arg;
    struct ctrl_endpoint *self = &m->ctrl->ep[CTRL_EP_COORD];
    unsigned taken = 0;
    doorbell_clear(fd);
    for (;;) {
        atomic_store(&self->sleeping, 0);
        machine_flush_backlog(m);
        unsigned n;
        while (taken < COORD_DRAIN_MAX && (n = mbox_drain(&m->mbox, machine_on_msg, m, 256)))
            taken += n;
        if (taken >= COORD_DRAIN_MAX) {
            doorbell_ring(self, fd); /* more later: let other events run first */
            return;
        }
        /* Back to the loop with the flag up: senders ring us from now on. */
        atomic_store(&self->sleeping, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (!mbox_pending(&m->mbox))
            break;
    }
}

static void machine_on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
    struct machine *m = arg;
    vcpu_kill_all(m);
}

void machine_stop(struct machine *m, int exit_status)
{
    if (m->stopping)
        return;
    m->stopping = true;
    m->exit_status = exit_status;
    log_item(LOG_SUP, "stopping the machine (%u vCPU processes to stop)", m->live);
    for (unsigned i = 0; i < m->cfg->ncpus; i++) {
        if (!m->cpu[i].running)
            continue;
        atomic_fetch_or(&m->ctrl->cpu[i].exit_request, EXIT_REQ_QUIT);
        doorbell_ring(&m->ctrl->ep[i], m->doorbell[i]);
    }
    if (m->live == 0) {
        event_base_loopbreak(m->base);
        return;
    }
    struct timeval grace = {STOP_GRACE_SECONDS, 0};
    m->ev_stop_timer = evtimer_new(m->base, machine_on_stop_timer, m);
    evtimer_add(m->ev_stop_timer, &grace);
}

static void machine_on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct machine *m = arg;
    if (!m->stopping)
        log_notice("terminating on signal %d (SIG%s)", (int)sig, sigabbrev_np((int)sig));
    machine_stop(m, 0);
}

static int machine_setup_shm(struct machine *m)
{
    const struct machine_config *cfg = m->cfg;
    unsigned swept = shm_sweep_stale("/dev/shm");
    if (swept)
        log_item(LOG_SHM, "removed %u shared-memory objects left by dead machines", swept);
    int err = shm_region_create(&m->ram, "ram", cfg->ram_size);
    if (err) {
        log_notice("cannot create guest RAM (%llu bytes): %s", (unsigned long long)cfg->ram_size,
                   strerror(-err));
        return err;
    }
    err = shm_region_create(&m->ctrl_rgn, "ctrl", ctrl_region_size());
    if (err) {
        log_notice("cannot create the control region: %s", strerror(-err));
        return err;
    }
    m->ctrl = m->ctrl_rgn.base;
    ctrl_init(m->ctrl, cfg->ncpus, VIRT_RAM_BASE, cfg->ram_size);
    m->ctrl->hdr.coord_pid = getpid();
    atomic_store(&m->ctrl->ep[CTRL_EP_COORD].pid, getpid());
    atomic_store(&m->ctrl->ep[CTRL_EP_COORD].alive, 1);
    atomic_store(&m->ctrl->ep[CTRL_EP_COORD].sleeping, 1);
    return 0;
}

static void machine_reset_cpus(struct machine *m)
{
    for (unsigned i = 0; i < m->cfg->ncpus; i++) {
        struct ctrl_cpu *c = &m->ctrl->cpu[i];
        /* Reset state (ARM ARM B1.9.2): SVC mode, A, I and F masked, ARM state. */
        arm_regs_set_cpsr_bits(&c->regs, 0x1d3);
        c->regs.cp15.midr = 0x414fc0f0;
        c->regs.cp15.mpidr = 0x80000000u | i;
        /* The boot CPU runs (or waits for the debugger with -S); the others
         * stay powered off until PSCI CPU_ON, as on the virt board. */
        unsigned state = i ? CPU_OFF : m->cfg->start_stopped ? CPU_STOPPED : CPU_RUNNING;
        atomic_store(&c->run_state, state);
    }
}

static int machine_setup_loop(struct machine *m)
{
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++) {
        m->doorbell[i] = doorbell_create();
        if (m->doorbell[i] < 0)
            return m->doorbell[i];
    }
    mbox_init(&m->mbox, m->ctrl, CTRL_EP_COORD, m->doorbell);
    m->base = event_base_new();
    if (!m->base)
        return -ENOMEM;
    m->ev_doorbell = event_new(m->base, m->doorbell[CTRL_EP_COORD], EV_READ | EV_PERSIST,
                               machine_on_doorbell, m);
    m->ev_sigint = evsignal_new(m->base, SIGINT, machine_on_signal, m);
    m->ev_sigterm = evsignal_new(m->base, SIGTERM, machine_on_signal, m);
    m->ev_sighup = evsignal_new(m->base, SIGHUP, machine_on_signal, m);
    event_add(m->ev_doorbell, NULL);
    event_add(m->ev_sigint, NULL);
    event_add(m->ev_sigterm, NULL);
    event_add(m->ev_sighup, NULL);
    return 0;
}

static void machine_teardown(struct machine *m)
{
    vcpu_release(m);
    struct event *evs[] = {m->ev_doorbell, m->ev_sigint, m->ev_sigterm, m->ev_sighup,
                           m->ev_stop_timer};
    for (unsigned i = 0; i < G_N_ELEMENTS(evs); i++)
        if (evs[i])
            event_free(evs[i]);
    if (m->base)
        event_base_free(m->base);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++) {
        g_queue_clear_full(&m->backlog[i], g_free);
        if (m->doorbell[i] >= 0)
            close(m->doorbell[i]);
    }
    shm_region_unlink(&m->ram);
    shm_region_unlink(&m->ctrl_rgn);
    shm_region_unmap(&m->ram);
    shm_region_unmap(&m->ctrl_rgn);
}

static int machine_start(struct machine *m)
{
    int err = machine_setup_shm(m);
    if (!err)
        err = machine_setup_loop(m);
    if (err)
        return err;
    machine_reset_cpus(m);
    for (unsigned i = 0; i < m->cfg->ncpus; i++) {
        err = vcpu_spawn(m, i);
        if (err) {
            log_notice("cannot start vCPU %u process '%s': %s", i, m->cfg->cpu_binary,
                       strerror(-err));
            return err;
        }
    }
    return 0;
}

int coordinator_run(const struct machine_config *cfg)
{
    struct machine m = {.cfg = cfg};
    m.ram.fd = m.ctrl_rgn.fd = -1;
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++) {
        m.doorbell[i] = -1;
        g_queue_init(&m.backlog[i]);
    }
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++)
        m.cpu[i].pidfd = -1;
    prctl(PR_SET_NAME, "percore-coord");
    /* A closed stdout or stderr (percore | head) is an EPIPE, not a death. */
    signal(SIGPIPE, SIG_IGN);
    if (machine_start(&m) < 0) {
        machine_teardown(&m);
        return 1;
    }
    log_notice("machine up: %u vCPU processes, %llu MiB RAM. No CPU execution engine yet: "
               "the vCPUs wait for work; stop with Ctrl-C",
               cfg->ncpus, (unsigned long long)(cfg->ram_size >> 20));
    event_base_dispatch(m.base);
    machine_teardown(&m);
    return m.exit_status;
}

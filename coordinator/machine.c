/* The machine's life cycle: shared memory, doorbells, the event loop, the vCPU
 * processes, and a clean stop on every path (signal, poweroff policy, failure). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "coordinator/control.h"
#include "coordinator/coord.h"
#include "target-arm/arm.h"
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

/* Tells the CPUs in mask that their GIC output rose (as core_kick does in a vCPU). */
void machine_kick(struct machine *m, uint32_t mask)
{
    doorbell_kick_cpus(m->ctrl, m->doorbell, mask, EXIT_REQ_IRQ, CTRL_EP_COORD);
}

static bool machine_set_spi(void *arg, unsigned irq, bool level)
{
    struct machine *m = arg;
    uint32_t raised;
    if (!gic_try_set_spi(machine_gic(m), CTRL_EP_COORD, irq, level, &raised))
        return false;
    machine_kick(m, raised);
    return true;
}

/* Passes on the device outputs that changed, and sets the device timer for the next
 * moment one may change by itself (the RTC's match). */
void machine_sync_irqs(struct machine *m)
{
    int64_t d;
    /* The GIC's lock stayed held: its holder may have died, which this loop must see
     * before the lock is freed. Try again in a millisecond. */
    if (!hw_bus_sync_irqs(&m->bus, machine_set_spi, m)) {
        evtimer_add(m->ev_device_timer, &(struct timeval){.tv_usec = 1000});
        return;
    }
    if (!hw_bus_next_deadline(&m->bus, &d)) {
        evtimer_del(m->ev_device_timer);
        return;
    }
    int64_t us = d / 1000 + 1; /* never early: the device rounds to its own seconds */
    struct timeval tv = {.tv_sec = us / 1000000, .tv_usec = us % 1000000};
    evtimer_add(m->ev_device_timer, &tv);
}

static void machine_on_device_timer(evutil_socket_t fd, short what, void *arg)
{
    machine_sync_irqs(arg);
}

/* A device read for a vCPU: the reply carries the token back; ok = 0 when no device
 * answered, and the vCPU takes an external abort. */
static void machine_on_mmio_read(struct machine *m, unsigned src, const struct msg_mmio_read *r)
{
    struct msg_mmio_data d;
    msg_init(&d.hdr, MSG_MMIO_DATA);
    d.token = r->token;
    d.ok = hw_bus_read(&m->bus, r->addr, r->size, &d.value);
    if (!d.ok)
        log_item(LOG_GUEST_ERRORS, "vCPU %u: read of %u bytes at 0x%08llx: no device answers", src,
                 r->size, (unsigned long long)r->addr);
    machine_sync_irqs(m);         /* a read can clear an interrupt (the UART's RX) */
    machine_send(m, src, &d.hdr); /* a vCPU that died meanwhile does not need it */
}

/* Writes are posted: a refused one cannot fault the vCPU any more; the guest goes on. */
static void machine_on_mmio_write(struct machine *m, unsigned src, const struct msg_mmio_write *w)
{
    if (!hw_bus_write(&m->bus, w->addr, w->size, w->value))
        log_item(LOG_GUEST_ERRORS,
                 "vCPU %u: write of %u bytes (0x%llx) at 0x%08llx: no device answers", src, w->size,
                 (unsigned long long)w->value, (unsigned long long)w->addr);
    machine_sync_irqs(m);
}

/* PSCI SYSTEM_OFF and SYSTEM_RESET, as qemu-system-arm does them: off ends percore with
 * status 0; reset restarts the machine, or ends it with 0 under -no-reboot. */
static void machine_on_system_event(struct machine *m, unsigned src,
                                    const struct msg_system_event *e)
{
    switch (e->event) {
    case SYSTEM_EVENT_OFF:
        log_item(LOG_SUP, "vCPU %u: system off (PC=0x%08x)", src, e->pc);
        machine_stop(m, 0);
        break;
    case SYSTEM_EVENT_RESET:
        log_item(LOG_SUP, "vCPU %u: system reset (PC=0x%08x)%s", src, e->pc,
                 m->cfg->no_reboot ? ": -no-reboot, stopping" : "");
        machine_system_reset(m);
        break;
    default: log_notice("vCPU %u sent an unknown system event %u: ignored", src, e->event);
    }
}

/* Messages only a vCPU sends; true when it was one of them. */
static bool machine_on_vcpu_msg(struct machine *m, unsigned src, const union msg_slot *s)
{
    switch (s->hdr.type) {
    case MSG_MMIO_READ: machine_on_mmio_read(m, src, (const void *)s); return true;
    case MSG_MMIO_WRITE: machine_on_mmio_write(m, src, (const void *)s); return true;
    case MSG_SYSTEM_EVENT: machine_on_system_event(m, src, (const void *)s); return true;
    case MSG_DEBUG_STOP: machine_gdb_on_stop(m, src, (const void *)s); return true;
    case MSG_CPU_STARTED:
        m->cpu[src].started = true;
        log_item(LOG_SUP, "vCPU %u: process %d is up", src,
                 ((const struct msg_cpu_started *)s)->pid);
        return true;
    }
    return false;
}

static void machine_on_msg(void *arg, unsigned src, const union msg_slot *s)
{
    struct machine *m = arg;
    if (src < m->cfg->ncpus && machine_on_vcpu_msg(m, src, s))
        return;
    if (s->hdr.type == MSG_PING) {
        struct msg_pong r;
        msg_pong_for(&r, (const struct msg_ping *)s);
        machine_send(m, src, &r.hdr);
        return;
    }
    log_notice("endpoint %u sent %s, which the coordinator does not take", src,
               msg_info(s->hdr.type)->name);
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

/* Asks every vCPU process to exit at its next loop turn; one that has not after the
 * grace period is killed (invariant 5). Stop and reset both start this way. */
static void machine_quit_all(struct machine *m)
{
    for (unsigned i = 0; i < m->cfg->ncpus; i++) {
        if (!m->cpu[i].running)
            continue;
        atomic_fetch_or(&m->ctrl->cpu[i].exit_request, EXIT_REQ_QUIT);
        doorbell_ring(&m->ctrl->ep[i], m->doorbell[i]);
    }
    struct timeval grace = {STOP_GRACE_SECONDS, 0};
    if (m->live)
        evtimer_add(m->ev_stop_timer, &grace);
}

void machine_stop(struct machine *m, int exit_status)
{
    if (m->stopping)
        return;
    m->stopping = true;
    m->exit_status = exit_status;
    log_item(LOG_SUP, "stopping the machine (%u vCPU processes to stop)", m->live);
    machine_quit_all(m);
    if (m->live == 0)
        event_base_loopbreak(m->base);
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

/* Every vCPU as it comes out of reset: the register file exactly as a fresh control
 * region holds it, then the reset state. -S holds the boot vCPU at power-on only: a
 * guest reset later runs on, as qemu's does. */
static void machine_reset_cpus(struct machine *m, bool power_on)
{
    gic_reset(machine_gic(m), m->cfg->ncpus);
    /* No process runs: the monitor's marks and watched pages start afresh. */
    memset(&m->ctrl->excl, 0, sizeof(m->ctrl->excl));
    m->stw_mask = 0; /* the world stopped for the reset is gone with its processes */
    for (unsigned i = 0; i < m->cfg->ncpus; i++) {
        struct ctrl_cpu *c = &m->ctrl->cpu[i];
        atomic_store(&c->exit_request, 0);
        arm_regs_reset(&c->regs, 0x80000000u | i);
        /* qemu-system-arm's reset leaves Z set: start as it does. */
        arm_regs_set_cpsr_bits(&c->regs, BOOT_CPSR);
        /* The boot CPU runs (or waits for the debugger with -S); the others
         * stay powered off until PSCI CPU_ON, as on the virt board. */
        bool hold = power_on && m->cfg->start_stopped;
        unsigned state = i ? CPU_OFF : hold ? CPU_STOPPED : CPU_RUNNING;
        atomic_store(&c->run_state, state);
        atomic_store(&c->power, i ? CPU_POWER_OFF : CPU_POWER_ON);
        atomic_store(&c->event, 0);
        /* Nothing of the last processes' coherence protocols survives them. */
        /* ...but a vCPU the control socket holds stays held, as qemu's stop survives a
         * system_reset: its new process parks before it runs. */
        atomic_store(&c->hold, m->user_held & (1u << i) ? m->stw_gen : 0);
        atomic_store(&c->held, 0);
        atomic_store(&c->inside, 0);
        atomic_store(&c->maint_req, 0);
    }
}

/* The kernel into RAM and the boot vCPU's registers, at start and at every reset. */
static void machine_boot(struct machine *m)
{
    const struct boot_image *img = m->cfg->kernel_image;
    if (!img)
        return;
    boot_image_load(img, m->ram.base);
    boot_image_set_regs(img, &m->ctrl->cpu[0].regs);
}

/* Tells the vCPUs which guest-physical windows are the coordinator's devices: an
 * access there becomes a MSG_MMIO_READ or MSG_MMIO_WRITE to us. */
static void machine_publish_windows(struct machine *m)
{
    struct ctrl_header *h = &m->ctrl->hdr;
    _Static_assert(HW_MAX_REGIONS <= CTRL_MAX_MMIO, "every bus window fits the table");
    for (unsigned i = 0; i < m->bus.n; i++)
        h->mmio[i] = (struct ctrl_mmio_window){
            .base = m->bus.region[i].base,
            .size = m->bus.region[i].size,
            .owner = CTRL_EP_COORD,
        };
    h->n_mmio = m->bus.n;
}

/* The devices the coordinator owns (../shared/reference/virt-board.md). */
static int machine_setup_board(struct machine *m)
{
    hw_bus_init(&m->bus);
    void *uart = pl011_create(serial_tx, &m->serial);
    int err = hw_bus_map(&m->bus, VIRT_UART_BASE, PL011_SIZE, &pl011_ops, uart);
    if (err) { /* the layout is fixed: only an emulator bug gets here */
        log_notice("cannot map the UART at 0x%08llx: %s", VIRT_UART_BASE, strerror(-err));
        pl011_ops.destroy(uart);
        return err;
    }
    _Static_assert(VIRT_RTC_SIZE == PL031_SIZE, "the RTC's window is the device tree's");
    void *rtc = pl031_create(pl031_clock_realtime, NULL);
    err = hw_bus_map(&m->bus, VIRT_RTC_BASE, PL031_SIZE, &pl031_ops, rtc);
    if (err) {
        log_notice("cannot map the RTC at 0x%08llx: %s", VIRT_RTC_BASE, strerror(-err));
        pl031_ops.destroy(rtc);
        return err;
    }
    /* The devices' interrupt outputs into the GIC (SPI n is INTID 32 + n). */
    if (hw_bus_connect_irq(&m->bus, VIRT_UART_BASE, 32 + VIRT_UART_SPI) ||
        hw_bus_connect_irq(&m->bus, VIRT_RTC_BASE, 32 + VIRT_RTC_SPI)) {
        log_notice("cannot wire the UART's and RTC's interrupts");
        return -EINVAL;
    }
    machine_publish_windows(m);
    return serial_start_input(&m->serial, m, m->base, uart);
}

/* The boot vCPU last: every other vCPU is then alive when it runs, so a PSCI CPU_ON
 * at once finds its target's process there (no INTERNAL_FAILURE, as on qemu). */
static int machine_spawn_all(struct machine *m)
{
    for (unsigned i = m->cfg->ncpus; i-- > 0;) {
        int err = vcpu_spawn(m, i);
        if (err) {
            log_notice("cannot start vCPU %u process '%s': %s", i, m->cfg->cpu_binary,
                       strerror(-err));
            return err;
        }
    }
    return 0;
}

/* A guest reset (PSCI SYSTEM_RESET) is a fresh machine in the same RAM, as qemu's
 * system reset is: every vCPU process is asked to exit (their code caches go with
 * them), and once the last one is gone machine_on_reset reloads the kernel, resets the
 * devices and the register files and starts new processes. RAM is not cleared (it is
 * not on qemu either); the kernel image is copied in again. */
/* The world has stopped for the reset: nothing runs guest code any more; now every
 * vCPU process exits (a held one takes the quit request while it is parked). */
static void machine_reset_stopped(struct machine *m, uint32_t stuck)
{
    if (m->stopping)
        return;
    log_item(LOG_SUP, "resetting the machine (%u vCPU processes to stop)", m->live);
    machine_quit_all(m);
    machine_vcpu_gone(m);
}

static void machine_reset_begin(struct machine *m)
{
    if (m->stopping || m->resetting)
        return;
    m->resetting = true;
    machine_stop_world(m, machine_reset_stopped);
}

void machine_system_reset(struct machine *m)
{
    if (m->cfg->no_reboot)
        machine_stop(m, 0);
    else
        machine_reset_begin(m);
}

void machine_vcpu_gone(struct machine *m)
{
    if (m->stopping && m->live == 0)
        event_base_loopbreak(m->base);
    else if (m->resetting && m->live == 0)
        event_active(m->ev_reset, EV_TIMEOUT, 0); /* not from inside a ring drain */
}

/* With every vCPU process gone, the rings to and from the vCPUs are nobody's: take
 * what the old processes sent (their last UART bytes), then start them empty, with
 * fresh sequence numbers. */
static void machine_reset_rings(struct machine *m)
{
    while (mbox_drain(&m->mbox, machine_on_msg, m, 256))
        ;
    for (unsigned s = 0; s < CTRL_MAX_EPS; s++)
        for (unsigned d = 0; d < CTRL_MAX_EPS; d++)
            if (s != d && (s < CTRL_MAX_CPUS || d < CTRL_MAX_CPUS))
                ring_init(ctrl_ring(m->ctrl, s, d), CTRL_RING_SLOTS);
    mbox_init(&m->mbox, m->ctrl, CTRL_EP_COORD, m->doorbell);
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
        g_queue_clear_full(&m->backlog[i], g_free);
        atomic_store(&m->ctrl->ep[i].sleeping, 0);
        if (m->doorbell[i] >= 0)
            doorbell_clear(m->doorbell[i]);
        m->cpu[i].started = false;
    }
}

static void machine_on_reset(evutil_socket_t fd, short what, void *arg)
{
    struct machine *m = arg;
    if (!m->resetting || m->stopping || m->live)
        return;
    evtimer_del(m->ev_stop_timer);
    machine_reset_rings(m);
    if (m->stopping)
        return; /* the old processes' last messages included a SYSTEM_OFF */
    hw_bus_reset(&m->bus);
    machine_reset_cpus(m, false);
    machine_sync_irqs(m); /* a device output still high goes into the fresh GIC */
    machine_boot(m);
    m->resetting = false;
    if (machine_spawn_all(m) < 0)
        machine_stop(m, 1);
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
    m->ev_stop_timer = evtimer_new(m->base, machine_on_stop_timer, m);
    m->ev_reset = event_new(m->base, -1, 0, machine_on_reset, m);
    m->ev_device_timer = evtimer_new(m->base, machine_on_device_timer, m);
    if (!m->ev_doorbell || !m->ev_sigint || !m->ev_sigterm || !m->ev_sighup || !m->ev_stop_timer ||
        !m->ev_reset || !m->ev_device_timer || machine_world_init(m) < 0)
        return -ENOMEM;
    event_add(m->ev_doorbell, NULL);
    event_add(m->ev_sigint, NULL);
    event_add(m->ev_sigterm, NULL);
    event_add(m->ev_sighup, NULL);
    return 0;
}

static void machine_teardown(struct machine *m)
{
    vcpu_release(m);
    control_close(m); /* removes the socket file on every way out */
    machine_gdb_close(m);
    serial_stop_input(&m->serial);
    machine_world_free(m);
    struct event *evs[] = {m->ev_doorbell,   m->ev_sigint, m->ev_sigterm,     m->ev_sighup,
                           m->ev_stop_timer, m->ev_reset,  m->ev_device_timer};
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
    hw_bus_destroy(&m->bus);
    serial_close(&m->serial);
    g_ptr_array_unref(m->crash_reports);
    shm_region_unlink(&m->ram);
    shm_region_unlink(&m->ctrl_rgn);
    shm_region_unmap(&m->ram);
    shm_region_unmap(&m->ctrl_rgn);
}

/* The -serial backend first: a socket that cannot be reached stops percore before
 * anything else exists. */
static int machine_open_serial(struct machine *m)
{
    char *why = NULL;
    int err = serial_open(&m->serial, m->cfg, &why);
    if (err) {
        log_notice("%s", why);
        g_free(why);
    }
    return err;
}

static int machine_start(struct machine *m)
{
    int err = machine_open_serial(m);
    if (!err)
        err = machine_setup_shm(m);
    if (!err)
        err = machine_setup_loop(m);
    if (!err)
        err = machine_setup_board(m);
    if (!err)
        err = control_open(m);
    if (!err && m->cfg->gdb_port && m->cfg->gdb_cpu < 0) /* -gdb: the all-stop stub */
        err = machine_gdb_open(m);
    if (err)
        return err;
    machine_reset_cpus(m, true);
    machine_boot(m);
    return machine_spawn_all(m);
}

int coordinator_run(const struct machine_config *cfg)
{
    struct machine m = {.cfg = cfg};
    m.ram.fd = m.ctrl_rgn.fd = m.serial.fd = -1;
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++) {
        m.doorbell[i] = -1;
        g_queue_init(&m.backlog[i]);
    }
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++)
        m.cpu[i].pidfd = -1;
    m.crash_reports = g_ptr_array_new_with_free_func(g_free);
    prctl(PR_SET_NAME, "percore-coord");
    /* A closed stdout or stderr (percore | head) is an EPIPE, not a death. */
    signal(SIGPIPE, SIG_IGN);
    if (machine_start(&m) < 0) {
        machine_teardown(&m);
        return 1;
    }
    log_item(LOG_SUP, "machine up: %u vCPU processes, %llu MiB RAM", cfg->ncpus,
             (unsigned long long)(cfg->ram_size >> 20));
    event_base_dispatch(m.base);
    machine_teardown(&m);
    return m.exit_status;
}

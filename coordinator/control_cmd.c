/* The control socket's commands (docs/operations.md): each reply is built from the
 * control region, the machine and its devices. Everything a reply points to is a copy
 * taken before packing: shared memory may change between sizing a message and packing
 * it. */
#include <errno.h>
#include <string.h>

#include "coordinator/control.h"
#include "coordinator/control_cmd.h"
#include "coordinator/coord.h"
#include "target-arm/arm.h"
#include "util/util.h"

typedef Percore__Control__Request Request;
typedef Percore__Control__Reply Reply;

static uint32_t ctl_all_cpus(const struct machine *m)
{
    return (1u << m->cfg->ncpus) - 1;
}

static void ctl_reply_ok(struct ctl_conn *k)
{
    Reply r = PERCORE__CONTROL__REPLY__INIT;
    r.ok = true;
    ctl_send(k, &r);
}

/* The request's vCPU: true with *index, or false after an error reply. */
static bool ctl_cpu(struct ctl_conn *k, const Request *rq, unsigned *index)
{
    struct machine *m = ctl_machine(k);
    if (rq->target_case != PERCORE__CONTROL__REQUEST__TARGET_CPU) {
        ctl_reply_error(k, "this command needs a vCPU");
        return false;
    }
    if (rq->cpu >= m->cfg->ncpus) {
        ctl_reply_error(k, "no vCPU %u (the machine has %u)", rq->cpu, m->cfg->ncpus);
        return false;
    }
    *index = rq->cpu;
    return true;
}

/* STOP and CONT: the request's vCPU or, without one, the whole machine. */
static bool ctl_cpu_mask(struct ctl_conn *k, const Request *rq, uint32_t *mask)
{
    unsigned i;
    if (rq->target_case == PERCORE__CONTROL__REQUEST__TARGET__NOT_SET) {
        *mask = ctl_all_cpus(ctl_machine(k));
        return true;
    }
    if (!ctl_cpu(k, rq, &i))
        return false;
    *mask = 1u << i;
    return true;
}

static uint64_t ctl_uptime_ns(const struct machine *m)
{
    return util_now_ns() - m->ctrl->hdr.counter_epoch_ns;
}

/* ---- status ---- */

static const char *ctl_machine_state(const struct machine *m)
{
    uint32_t all = ctl_all_cpus(m);
    if (m->stopping)
        return "stopping";
    if (m->resetting)
        return "resetting";
    if ((m->user_held & all) == all)
        return "stopped";
    return m->user_held ? "partly stopped" : "running";
}

static const char *ctl_power_name(uint32_t power)
{
    static const char *const names[] = {
        [CPU_POWER_ON] = "on",
        [CPU_POWER_OFF] = "off",
        [CPU_POWER_ON_PENDING] = "on-pending",
    };
    return power < G_N_ELEMENTS(names) ? names[power] : "invalid";
}

static bool ctl_parked(const struct ctrl_cpu *c)
{
    uint32_t hold = atomic_load(&c->hold);
    return hold && atomic_load(&c->held) == hold;
}

static Percore__Control__CpuStatus *ctl_cpu_status(struct ctl_conn *k, unsigned i)
{
    struct machine *m = ctl_machine(k);
    const struct ctrl_cpu *c = &m->ctrl->cpu[i];
    Percore__Control__CpuStatus *s = ctl_alloc(k, sizeof(*s));
    percore__control__cpu_status__init(s);
    s->index = i;
    s->state = (char *)cpu_state_name(atomic_load(&c->run_state));
    s->power = (char *)ctl_power_name(atomic_load(&c->power));
    s->alive = atomic_load(&m->ctrl->ep[i].alive) != 0;
    s->pid = s->alive ? atomic_load(&m->ctrl->ep[i].pid) : 0;
    s->pc = c->regs.r[15];
    s->cpsr = arm_regs_cpsr(&c->regs);
    s->restarts = atomic_load(&c->counters.restarts);
    s->held = (m->user_held >> i) & 1;
    s->parked = ctl_parked(c);
    return s;
}

static void ctl_cmd_status(struct ctl_conn *k)
{
    struct machine *m = ctl_machine(k);
    Percore__Control__Status *st = ctl_alloc(k, sizeof(*st));
    percore__control__status__init(st);
    st->state = (char *)ctl_machine_state(m);
    st->ncpus = m->cfg->ncpus;
    st->ram_base = VIRT_RAM_BASE;
    st->ram_size = m->cfg->ram_size;
    st->uptime_ns = ctl_uptime_ns(m);
    st->n_cpu = m->cfg->ncpus;
    st->cpu = ctl_alloc(k, st->n_cpu * sizeof(*st->cpu));
    for (unsigned i = 0; i < st->n_cpu; i++)
        st->cpu[i] = ctl_cpu_status(k, i);
    Reply r = PERCORE__CONTROL__REPLY__INIT;
    r.ok = true;
    r.status = st;
    ctl_send(k, &r);
}

/* ---- stop and continue ---- */

static void ctl_cmd_stop(struct ctl_conn *k, const Request *rq)
{
    uint32_t mask;
    if (!ctl_cpu_mask(k, rq, &mask))
        return;
    struct machine *m = ctl_machine(k);
    if (m->stopping) {
        ctl_reply_error(k, "the machine is stopping");
        return;
    }
    machine_hold_cpus(m, mask);
    ctl_wait_start(k, CTL_WAIT_HOLD, mask); /* the reply once they have parked */
}

/* The vCPUs that did not park: still held, they park at their next block boundary. */
static void ctl_reply_hold(struct ctl_conn *k, uint32_t stuck)
{
    struct machine *m = ctl_machine(k);
    if (!stuck) {
        ctl_reply_ok(k);
        return;
    }
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < m->cfg->ncpus; i++)
        if (stuck & (1u << i))
            g_string_append_printf(s, "%s%u (pid %d)", s->len ? ", " : "", i,
                                   (int)atomic_load(&m->ctrl->ep[i].pid));
    ctl_reply_error(k, "vCPU %s did not stop within the deadline; held, it stops when it can",
                    s->str);
    g_string_free(s, TRUE);
}

static void ctl_cmd_cont(struct ctl_conn *k, const Request *rq)
{
    uint32_t mask;
    if (!ctl_cpu_mask(k, rq, &mask))
        return;
    machine_release_cpus(ctl_machine(k), mask);
    ctl_reply_ok(k);
}

/* ---- registers ---- */

static const char *ctl_mode_name(uint32_t cpsr)
{
    static const struct {
        uint32_t mode;
        const char *name;
    } modes[] = {
        {ARM_MODE_USR, "usr"}, {ARM_MODE_FIQ, "fiq"}, {ARM_MODE_IRQ, "irq"},
        {ARM_MODE_SVC, "svc"}, {ARM_MODE_MON, "mon"}, {ARM_MODE_ABT, "abt"},
        {ARM_MODE_HYP, "hyp"}, {ARM_MODE_UND, "und"}, {ARM_MODE_SYS, "sys"},
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++)
        if (modes[i].mode == (cpsr & 0x1f))
            return modes[i].name;
    return "invalid";
}

static uint32_t *ctl_words(struct ctl_conn *k, const uint32_t *src, size_t n)
{
    uint32_t *w = ctl_alloc(k, n * sizeof(*w));
    memcpy(w, src, n * sizeof(*w));
    return w;
}

static void ctl_cmd_regs(struct ctl_conn *k, const Request *rq)
{
    static const char *const banks[BANK_COUNT] = {
        [BANK_USR] = "usr", [BANK_SVC] = "svc", [BANK_ABT] = "abt", [BANK_UND] = "und",
        [BANK_IRQ] = "irq", [BANK_FIQ] = "fiq", [BANK_HYP] = "hyp", [BANK_MON] = "mon",
    };
    unsigned i;
    if (!ctl_cpu(k, rq, &i))
        return;
    struct arm_regs g = ctl_machine(k)->ctrl->cpu[i].regs; /* one copy: see the top */
    Percore__Control__Regs *x = ctl_alloc(k, sizeof(*x));
    percore__control__regs__init(x);
    x->cpu = i;
    x->n_r = 16;
    x->r = ctl_words(k, g.r, 16);
    x->cpsr = arm_regs_cpsr(&g);
    x->spsr = g.spsr;
    x->mode = (char *)ctl_mode_name(g.cpsr);
    x->n_banked = BANK_COUNT;
    x->banked = ctl_alloc(k, BANK_COUNT * sizeof(*x->banked));
    for (unsigned b = 0; b < BANK_COUNT; b++) {
        Percore__Control__BankedRegs *br = ctl_alloc(k, sizeof(*br));
        percore__control__banked_regs__init(br);
        br->mode = (char *)banks[b];
        br->r13 = g.banked_r13[b];
        br->r14 = g.banked_r14[b];
        br->spsr = g.banked_spsr[b];
        x->banked[b] = br;
    }
    x->n_usr_r8_12 = x->n_fiq_r8_12 = 5;
    x->usr_r8_12 = ctl_words(k, g.usr_r8_12, 5);
    x->fiq_r8_12 = ctl_words(k, g.fiq_r8_12, 5);
    x->elr_hyp = g.elr_hyp;
    Reply r = PERCORE__CONTROL__REPLY__INIT;
    r.ok = true;
    r.regs = x;
    ctl_send(k, &r);
}

/* ---- guest RAM ---- */

/* [addr, addr + len) inside RAM and at most CONTROL_XFER_MAX bytes: true with its
 * offset in RAM, or false after an error reply. */
static bool ctl_ram_range(struct ctl_conn *k, uint64_t addr, uint64_t len, uint64_t *off)
{
    uint64_t size = ctl_machine(k)->cfg->ram_size;
    if (len == 0 || len > CONTROL_XFER_MAX) {
        ctl_reply_error(k, "%llu bytes: a transfer is 1 to %u bytes", (unsigned long long)len,
                        CONTROL_XFER_MAX);
        return false;
    }
    if (addr < VIRT_RAM_BASE || addr - VIRT_RAM_BASE > size ||
        len > size - (addr - VIRT_RAM_BASE)) {
        ctl_reply_error(k, "0x%llx-0x%llx is not RAM (0x%llx-0x%llx)", (unsigned long long)addr,
                        (unsigned long long)(addr + len - 1), VIRT_RAM_BASE,
                        (unsigned long long)(VIRT_RAM_BASE + size - 1));
        return false;
    }
    *off = addr - VIRT_RAM_BASE;
    return true;
}

static void ctl_cmd_read(struct ctl_conn *k, const Request *rq)
{
    uint64_t off;
    if (!ctl_ram_range(k, rq->addr, rq->length, &off))
        return;
    Reply r = PERCORE__CONTROL__REPLY__INIT;
    r.ok = true;
    r.data.len = rq->length;
    r.data.data = ctl_alloc(k, rq->length);
    memcpy(r.data.data, (const uint8_t *)ctl_machine(k)->ram.base + off, rq->length);
    ctl_send(k, &r);
}

/* As a store by another vCPU does (docs/memory-model.md): every vCPU drops what it
 * translated from the pages written. The exclusive monitor does not see these writes. */
static void ctl_cmd_write(struct ctl_conn *k, const Request *rq)
{
    uint64_t off;
    if (!ctl_ram_range(k, rq->addr, rq->data.len, &off))
        return;
    struct machine *m = ctl_machine(k);
    memcpy((uint8_t *)m->ram.base + off, rq->data.data, rq->data.len);
    for (uint64_t page = off >> 12; page <= (off + rq->data.len - 1) >> 12; page++)
        for (unsigned i = 0; i < m->cfg->ncpus; i++) {
            struct msg_code_inval inval = {.ram_page = (uint32_t)page};
            msg_init(&inval.hdr, MSG_CODE_INVAL);
            if (m->cpu[i].running)
                machine_send(m, i, &inval.hdr);
        }
    ctl_reply_ok(k);
}

/* ---- crash recovery ---- */

static void ctl_reply_errno(struct ctl_conn *k, int err, unsigned i)
{
    if (!err)
        ctl_reply_ok(k);
    else if (err == -EBUSY)
        ctl_reply_error(k, "vCPU %u: the machine is stopping or resetting", i);
    else
        ctl_reply_error(k, "vCPU %u: %s", i, strerror(-err));
}

static void ctl_cmd_crash(struct ctl_conn *k, const Request *rq)
{
    unsigned i, kind;
    if (!ctl_cpu(k, rq, &i))
        return;
    switch (rq->crash_kind) {
    case PERCORE__CONTROL__CRASH_KIND__CRASH_KIND_UNSPECIFIED:
    case PERCORE__CONTROL__CRASH_KIND__CRASH_EXEC: kind = INJECT_EXEC; break;
    case PERCORE__CONTROL__CRASH_KIND__CRASH_TRANSLATE: kind = INJECT_TRANSLATE; break;
    case PERCORE__CONTROL__CRASH_KIND__CRASH_TRANSLATE_STICKY:
        kind = INJECT_TRANSLATE_STICKY;
        break;
    case PERCORE__CONTROL__CRASH_KIND__CRASH_EXEC_STICKY: kind = INJECT_EXEC_STICKY; break;
    case PERCORE__CONTROL__CRASH_KIND__CRASH_NONE: kind = INJECT_NONE; break;
    default: ctl_reply_error(k, "unknown crash kind %d", (int)rq->crash_kind); return;
    }
    ctl_reply_errno(k, vcpu_inject_crash(ctl_machine(k), i, kind), i);
}

static void ctl_cmd_restart(struct ctl_conn *k, const Request *rq)
{
    unsigned i;
    if (ctl_cpu(k, rq, &i))
        ctl_reply_errno(k, vcpu_restart(ctl_machine(k), i), i);
}

static void ctl_cmd_crashes(struct ctl_conn *k)
{
    const GPtrArray *reports = machine_crash_reports(ctl_machine(k));
    Reply r = PERCORE__CONTROL__REPLY__INIT;
    r.ok = true;
    r.n_crash_reports = reports ? reports->len : 0;
    r.crash_reports = reports ? (char **)reports->pdata : NULL;
    ctl_send(k, &r);
}

/* ---- statistics ---- */

/* The bits of enum cpu_exit_request, by name. */
static const char *const ctl_exit_names[] = {
    "msg", "quit", "self", "irq", "timer", "power", "tlb", "maint", "hold", "crash", "debug",
};

static Percore__Control__CpuStats *ctl_cpu_stats(struct ctl_conn *k, unsigned i)
{
    struct machine *m = ctl_machine(k);
    const struct cpu_counters *c = &m->ctrl->cpu[i].counters;
    Percore__Control__CpuStats *s = ctl_alloc(k, sizeof(*s));
    percore__control__cpu_stats__init(s);
    s->index = i;
    s->state = (char *)cpu_state_name(atomic_load(&m->ctrl->cpu[i].run_state));
    s->held = (m->user_held >> i) & 1;
    s->blocks = atomic_load(&c->blocks);
    s->insns = atomic_load(&c->insns);
    s->translations = atomic_load(&c->translations);
    s->tlb_misses = atomic_load(&c->tlb_misses);
    s->code_invalidations = atomic_load(&c->code_invalidations);
    s->msgs_in = atomic_load(&c->msgs_in);
    s->msgs_out = atomic_load(&c->msgs_out);
    s->wakeups = atomic_load(&c->wakeups);
    s->exits = atomic_load(&c->exits);
    s->watch_shootdowns = atomic_load(&c->watch_shootdowns);
    s->restarts = atomic_load(&c->restarts);
    s->exit_cause = ctl_alloc(k, CPU_EXIT_CAUSES * sizeof(*s->exit_cause));
    for (unsigned b = 0; b < CPU_EXIT_CAUSES; b++) {
        uint64_t n = atomic_load(&c->exit_cause[b]);
        if (b >= G_N_ELEMENTS(ctl_exit_names) && !n)
            continue;
        Percore__Control__ExitCause *e = ctl_alloc(k, sizeof(*e));
        percore__control__exit_cause__init(e);
        e->name = b < G_N_ELEMENTS(ctl_exit_names) ? (char *)ctl_exit_names[b]
                                                   : ctl_strdup_printf(k, "bit%u", b);
        e->count = n;
        s->exit_cause[s->n_exit_cause++] = e;
    }
    return s;
}

static void ctl_reply_stats(struct ctl_conn *k)
{
    struct machine *m = ctl_machine(k);
    Percore__Control__Stats *st = ctl_alloc(k, sizeof(*st));
    percore__control__stats__init(st);
    st->uptime_ns = ctl_uptime_ns(m);
    st->n_cpu = m->cfg->ncpus;
    st->cpu = ctl_alloc(k, st->n_cpu * sizeof(*st->cpu));
    for (unsigned i = 0; i < st->n_cpu; i++)
        st->cpu[i] = ctl_cpu_stats(k, i);
    st->n_device = m->bus.n;
    st->device = ctl_alloc(k, m->bus.n * sizeof(*st->device));
    for (unsigned i = 0; i < m->bus.n; i++) {
        const struct hw_region *w = &m->bus.region[i];
        Percore__Control__DeviceStats *d = ctl_alloc(k, sizeof(*d));
        percore__control__device_stats__init(d);
        d->name = (char *)w->ops->name;
        d->address = w->base;
        d->reads = w->reads;
        d->writes = w->writes;
        st->device[i] = d;
    }
    Reply r = PERCORE__CONTROL__REPLY__INIT;
    r.ok = true;
    r.stats = st;
    ctl_send(k, &r);
}

/* The counters are fresh once every vCPU that runs has been out of guest code. */
static void ctl_cmd_stats(struct ctl_conn *k)
{
    struct machine *m = ctl_machine(k);
    uint32_t live = 0;
    for (unsigned i = 0; i < m->cfg->ncpus; i++)
        if (m->cpu[i].running)
            live |= 1u << i;
    ctl_wait_start(k, CTL_WAIT_SYNC, live);
}

void ctl_wait_done(struct ctl_conn *k, enum ctl_wait w, uint32_t left)
{
    if (w == CTL_WAIT_HOLD)
        ctl_reply_hold(k, left);
    else
        ctl_reply_stats(k); /* a vCPU that did not answer: its counters as they are */
}

/* ---- the machine ---- */

static void ctl_cmd_reset(struct ctl_conn *k)
{
    struct machine *m = ctl_machine(k);
    if (m->stopping) {
        ctl_reply_error(k, "the machine is stopping");
        return;
    }
    log_notice("system reset asked through the control socket%s",
               m->cfg->no_reboot ? ": -no-reboot, stopping" : "");
    machine_system_reset(m);
    ctl_reply_ok(k);
}

static void ctl_cmd_quit(struct ctl_conn *k)
{
    struct machine *m = ctl_machine(k);
    if (!m->stopping)
        log_notice("quit asked through the control socket: stopping the machine");
    ctl_reply_ok(k); /* before the stop: the loop writes it while the vCPUs exit */
    machine_stop(m, 0);
}

bool ctl_dispatch(struct ctl_conn *k, const Request *rq)
{
    switch (rq->command) {
    case PERCORE__CONTROL__COMMAND__STATUS: ctl_cmd_status(k); break;
    case PERCORE__CONTROL__COMMAND__STOP: ctl_cmd_stop(k, rq); break;
    case PERCORE__CONTROL__COMMAND__CONT: ctl_cmd_cont(k, rq); break;
    case PERCORE__CONTROL__COMMAND__REGS: ctl_cmd_regs(k, rq); break;
    case PERCORE__CONTROL__COMMAND__READ: ctl_cmd_read(k, rq); break;
    case PERCORE__CONTROL__COMMAND__WRITE: ctl_cmd_write(k, rq); break;
    case PERCORE__CONTROL__COMMAND__CRASH: ctl_cmd_crash(k, rq); break;
    case PERCORE__CONTROL__COMMAND__RESTART: ctl_cmd_restart(k, rq); break;
    case PERCORE__CONTROL__COMMAND__CRASHES: ctl_cmd_crashes(k); break;
    case PERCORE__CONTROL__COMMAND__STATS: ctl_cmd_stats(k); break;
    case PERCORE__CONTROL__COMMAND__RESET: ctl_cmd_reset(k); break;
    case PERCORE__CONTROL__COMMAND__QUIT: ctl_cmd_quit(k); break;
    default: return false;
    }
    return true;
}

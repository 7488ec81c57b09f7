/* What a vCPU's CPU sees of the machine from inside its process: guest RAM mapped
 * directly, the GIC on shared state (board.c), other devices through their owner's
 * ring (reads wait for the reply, writes are posted), and the board's firmware: PSCI
 * over HVC (../shared/reference), CPU_ON included, with no coordinator hop. */
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "hw/gic.h"
#include "shm/doorbell.h"
#include "util/util.h"

/* PSCI function ids (DEN 0022, 5.1) and return codes (5.2.2). */
#define PSCI_VERSION           0x84000000u
#define PSCI_CPU_SUSPEND       0x84000001u
#define PSCI_CPU_OFF           0x84000002u
#define PSCI_CPU_ON            0x84000003u
#define PSCI_AFFINITY_INFO     0x84000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES          0x8400000au
#define PSCI_SUCCESS           0u
#define PSCI_NOT_SUPPORTED     0xffffffffu /* -1 */
#define PSCI_INVALID_PARAMS    0xfffffffeu /* -2 */
#define PSCI_ALREADY_ON        0xfffffffcu /* -4 */
#define PSCI_ON_PENDING        0xfffffffbu /* -5 */
#define PSCI_INTERNAL_FAILURE  0xfffffffau /* -6 */
#define PSCI_SPIN_WAITS        20000       /* polls before sleeping on a device reply */
/* MPIDR affinity fields a CPU_ON target names (bit 31 and the U bit are not
 * affinity); the virt board numbers CPUs 0..n-1 in Aff0, as qemu-system-arm's. */
#define MPIDR_AFF_MASK 0x00ffffffu

/* The window holding pa, from the table the coordinator published. */
static const struct ctrl_mmio_window *core_window(struct core *c, uint64_t pa, unsigned size)
{
    unsigned n = c->ctrl->hdr.n_mmio;
    if (n > CTRL_MAX_MMIO)
        n = CTRL_MAX_MMIO; /* the table is shared memory: never trust its count */
    for (unsigned i = 0; i < n; i++) {
        const struct ctrl_mmio_window *w = &c->ctrl->hdr.mmio[i];
        if (pa >= w->base && pa - w->base + size <= w->size && w->owner < CTRL_MAX_EPS)
            return w;
    }
    return NULL;
}

void core_on_mmio_data(struct core *c, const struct msg_mmio_data *d)
{
    if (d->token != c->io_token || c->io_done)
        return; /* a reply to a read that was given up: drop it */
    c->io_value = d->value;
    c->io_ok = d->ok;
    c->io_done = true;
}

/* Waits for the reply that sets c->io_done: a round trip through the owner's event
 * loop, usually microseconds, so spin a little, then sleep on the doorbell. */
static void core_await_reply(struct core *c)
{
    for (unsigned spin = 0; !c->io_done; spin++) {
        core_drain(c);
        if (c->io_done || c->quit)
            break;
        if (spin > PSCI_SPIN_WAITS)
            core_wait_io(c);
    }
}

static bool core_io_read(void *opaque, uint64_t pa, unsigned size, uint64_t *value)
{
    struct core *c = opaque;
    if (core_gic_window(pa))
        return core_gic_access(c, pa, size, value, false);
    const struct ctrl_mmio_window *w = core_window(c, pa, size);
    if (!w)
        return false;
    struct msg_mmio_read r;
    msg_init(&r.hdr, MSG_MMIO_READ);
    r.addr = pa;
    r.size = size;
    r.token = ++c->io_token;
    c->io_done = false;
    if (mbox_send(&c->mbox, w->owner, &r.hdr) != 0)
        return false;
    core_await_reply(c);
    if (!c->io_done)
        return false;
    c->posted = false; /* the owner has taken every earlier write too (ring order) */
    *value = c->io_value;
    return c->io_ok;
}

static bool core_io_write(void *opaque, uint64_t pa, unsigned size, uint64_t value)
{
    struct core *c = opaque;
    if (core_gic_window(pa))
        return core_gic_access(c, pa, size, &value, true);
    const struct ctrl_mmio_window *w = core_window(c, pa, size);
    if (!w)
        return false;
    struct msg_mmio_write m;
    msg_init(&m.hdr, MSG_MMIO_WRITE);
    m.addr = pa;
    m.value = value;
    m.size = size;
    if (mbox_send(&c->mbox, w->owner, &m.hdr) != 0)
        return false;
    c->posted = true;
    return true;
}

void core_on_pong(struct core *c, const struct msg_pong *p)
{
    if (p->token == c->io_token && !c->io_done)
        c->io_done = true;
}

void core_sync_devices(struct core *c)
{
    if (!c->posted)
        return;
    struct msg_ping p = {0};
    msg_init(&p.hdr, MSG_PING);
    p.token = ++c->io_token;
    c->io_done = false;
    if (mbox_send(&c->mbox, CTRL_EP_COORD, &p.hdr) == 0)
        core_await_reply(c);
    c->posted = false;
}

static void core_system_event(struct core *c, uint32_t event, uint32_t pc)
{
    struct msg_system_event e;
    msg_init(&e.hdr, MSG_SYSTEM_EVENT);
    e.event = event;
    e.pc = pc;
    mbox_send(&c->mbox, CTRL_EP_COORD, &e.hdr);
    /* This vCPU runs no further: the coordinator stops or resets the machine. */
    atomic_store(&c->cpu->run_state, CPU_STOPPED);
    atomic_fetch_or(&c->cpu->exit_request, EXIT_REQ_SELF);
}

/* The functions PSCI_FEATURES reports, as qemu-system-arm 7.2 (32-bit ids). */
static bool core_psci_supported(uint32_t fid)
{
    switch (fid) {
    case PSCI_VERSION:
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_OFF:
    case PSCI_CPU_ON:
    case PSCI_AFFINITY_INFO:
    case PSCI_MIGRATE_INFO_TYPE:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES: return true;
    default: return false;
    }
}

/* The vCPU an MPIDR value names, or -1. */
static int core_cpu_by_mpidr(struct core *c, uint32_t mpidr)
{
    uint32_t aff = mpidr & MPIDR_AFF_MASK;
    return aff < c->ctrl->hdr.ncpus ? (int)aff : -1;
}

/* CPU_ON (DEN 0022, 5.6): claims the target's power state OFF -> ON_PENDING, gives it
 * the entry point and context id, and rings it; the target's own process resets its
 * CPU and starts there (core_power_on), so no other process touches its state. */
static uint32_t core_psci_cpu_on(struct core *c, uint32_t mpidr, uint32_t entry, uint32_t ctx)
{
    int t = core_cpu_by_mpidr(c, mpidr);
    if (t < 0)
        return PSCI_INVALID_PARAMS;
    struct ctrl_cpu *tc = &c->ctrl->cpu[t];
    uint32_t expect = CPU_POWER_OFF;
    if (!atomic_compare_exchange_strong(&tc->power, &expect, CPU_POWER_ON_PENDING))
        return expect == CPU_POWER_ON_PENDING ? PSCI_ON_PENDING : PSCI_ALREADY_ON;
    if (!atomic_load(&c->ctrl->ep[t].alive)) { /* its process crashed: nobody to start */
        atomic_store(&tc->power, CPU_POWER_OFF);
        return PSCI_INTERNAL_FAILURE;
    }
    tc->boot_entry = entry;
    tc->boot_ctx = ctx;
    atomic_fetch_or_explicit(&tc->exit_request, EXIT_REQ_POWER, memory_order_release);
    doorbell_notify(&c->ctrl->ep[t], c->mbox.fd[t]);
    return PSCI_SUCCESS;
}

void core_power_on(struct core *c)
{
    if (atomic_load(&c->cpu->power) != CPU_POWER_ON_PENDING)
        return;
    uint32_t entry = c->cpu->boot_entry, ctx = c->cpu->boot_ctx;
    /* A powered-up core: the reset state, no translations or TLB entries of its last
     * life; started at entry (bit 0: Thumb) with the context id in r0 (5.6.2). */
    arm_cpu_reset(c->arm, 0x80000000u | c->index);
    struct arm_regs *r = &c->cpu->regs;
    r->r[0] = ctx;
    r->r[15] = entry & ~1u;
    if (entry & 1)
        r->cpsr |= 1u << 5;
    atomic_store(&c->cpu->event, 0);
    atomic_store(&c->cpu->power, CPU_POWER_ON);
    atomic_store(&c->cpu->run_state, CPU_RUNNING);
    core_timer_update(c); /* the timers of its last life drop their PPIs */
    log_item(LOG_SUP, "vCPU %u: powered on at 0x%08x (context 0x%08x)", c->index, entry, ctx);
}

/* CPU_OFF (5.5): this CPU stops until a CPU_ON; the call does not return. */
static void core_psci_cpu_off(struct core *c)
{
    atomic_store(&c->cpu->run_state, CPU_OFF);
    atomic_store(&c->cpu->power, CPU_POWER_OFF);
    atomic_fetch_or(&c->cpu->exit_request, EXIT_REQ_SELF);
    log_item(LOG_SUP, "vCPU %u: powered off (PSCI CPU_OFF)", c->index);
}

/* AFFINITY_INFO (5.8): levels above 0 are always on, as qemu-system-arm says. */
static uint32_t core_psci_affinity_info(struct core *c, uint32_t mpidr, uint32_t level)
{
    if (level != 0)
        return CPU_POWER_ON;
    int t = core_cpu_by_mpidr(c, mpidr);
    return t < 0 ? PSCI_INVALID_PARAMS : atomic_load(&c->ctrl->cpu[t].power);
}

/* PSCI 1.1 as qemu-system-arm 7.2 reports it. CPU_SUSPEND is a standby: a WFI. */
static bool core_firmware(void *opaque, struct arm_regs *regs, bool smc)
{
    struct core *c = opaque;
    uint32_t fid = regs->r[0];
    switch (fid) {
    case PSCI_VERSION: regs->r[0] = 0x00010001u; break;
    case PSCI_FEATURES:
        regs->r[0] = core_psci_supported(regs->r[1]) ? 0 : PSCI_NOT_SUPPORTED;
        break;
    case PSCI_CPU_ON: regs->r[0] = core_psci_cpu_on(c, regs->r[1], regs->r[2], regs->r[3]); break;
    case PSCI_CPU_OFF: core_psci_cpu_off(c); break;
    case PSCI_AFFINITY_INFO: regs->r[0] = core_psci_affinity_info(c, regs->r[1], regs->r[2]); break;
    case PSCI_CPU_SUSPEND:
        regs->r[0] = (regs->r[1] & 0xfffe0000u) ? PSCI_INVALID_PARAMS : PSCI_SUCCESS;
        if (regs->r[0] == PSCI_SUCCESS)
            atomic_store(&c->cpu->run_state, CPU_WFI);
        atomic_fetch_or(&c->cpu->exit_request, EXIT_REQ_SELF);
        break;
    case PSCI_MIGRATE_INFO_TYPE: regs->r[0] = 2; break; /* no Trusted OS to migrate */
    case PSCI_SYSTEM_OFF: core_system_event(c, SYSTEM_EVENT_OFF, regs->r[15]); break;
    case PSCI_SYSTEM_RESET: core_system_event(c, SYSTEM_EVENT_RESET, regs->r[15]); break;
    default:
        log_item(LOG_UNIMP, "PSCI function 0x%08x is not supported", fid);
        regs->r[0] = PSCI_NOT_SUPPORTED;
    }
    return true;
}

struct arm_cpu *core_cpu_new(struct core *c)
{
    snprintf(c->tag, sizeof(c->tag), "percore-cpu%u", c->index);
    struct arm_cpu_env env = {
        .regs = &c->cpu->regs,
        .ram = c->ram.base,
        .ram_base = c->ctrl->hdr.ram_base,
        .ram_size = c->ctrl->hdr.ram_size,
        .io_read = core_io_read,
        .io_write = core_io_write,
        .firmware_call = core_firmware,
        .opaque = c,
        .exit_request = &c->cpu->exit_request,
        .irq_line = &c->gic->out[c->index].line,
        .counter = core_counter,
        .timer_changed = core_timer_changed,
        .event = &c->cpu->event,
        .send_event = core_send_event,
        .excl = &c->ctrl->excl,
        .excl_owner = c->index,
        .watch_page = core_watch_page,
        .maintain = core_maintain,
        .dsb = core_dsb,
        .code_page = core_code_page,
        .code_written = core_code_written,
        .translate_begin = core_translate_begin,
        .translate_end = core_translate_end,
        .log_tag = c->tag,
    };
    return arm_cpu_new(&env);
}

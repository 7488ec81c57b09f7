/* What a vCPU's CPU sees of the machine from inside its process: guest RAM mapped
 * directly, devices through their owner's ring (reads wait for the reply, writes are
 * posted), and the board's firmware: PSCI over HVC (../shared/reference). */
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/util.h"

#define PSCI_VERSION           0x84000000u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES          0x8400000au
#define PSCI_NOT_SUPPORTED     0xffffffffu /* -1 */
#define PSCI_SPIN_WAITS        20000       /* polls before sleeping on a device reply */

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

static bool core_io_read(void *opaque, uint64_t pa, unsigned size, uint64_t *value)
{
    struct core *c = opaque;
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
    /* A device read is a round trip: spin a little (the owner usually answers in
     * microseconds), then sleep on the doorbell. */
    for (unsigned spin = 0; !c->io_done; spin++) {
        core_drain(c);
        if (c->io_done || c->quit)
            break;
        if (spin > PSCI_SPIN_WAITS)
            core_wait_io(c);
    }
    if (!c->io_done)
        return false;
    *value = c->io_value;
    return c->io_ok;
}

static bool core_io_write(void *opaque, uint64_t pa, unsigned size, uint64_t value)
{
    struct core *c = opaque;
    const struct ctrl_mmio_window *w = core_window(c, pa, size);
    if (!w)
        return false;
    struct msg_mmio_write m;
    msg_init(&m.hdr, MSG_MMIO_WRITE);
    m.addr = pa;
    m.value = value;
    m.size = size;
    return mbox_send(&c->mbox, w->owner, &m.hdr) == 0;
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

static bool core_psci_supported(uint32_t fid)
{
    return fid == PSCI_VERSION || fid == PSCI_FEATURES || fid == PSCI_MIGRATE_INFO_TYPE ||
           fid == PSCI_SYSTEM_OFF || fid == PSCI_SYSTEM_RESET;
}

/* PSCI 1.1 as qemu-system-arm 7.2 reports it. CPU_ON, CPU_OFF, AFFINITY_INFO and
 * CPU_SUSPEND come with SMP bring-up (the board issue): until then NOT_SUPPORTED. */
static bool core_firmware(void *opaque, struct arm_regs *regs, bool smc)
{
    struct core *c = opaque;
    uint32_t fid = regs->r[0];
    switch (fid) {
    case PSCI_VERSION: regs->r[0] = 0x00010001u; break;
    case PSCI_FEATURES:
        regs->r[0] = core_psci_supported(regs->r[1]) ? 0 : PSCI_NOT_SUPPORTED;
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
        .log_tag = c->tag,
    };
    return arm_cpu_new(&env);
}

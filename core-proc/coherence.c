/* What keeps the vCPU processes coherent without stopping the world
 * (docs/memory-model.md): the exclusive monitor's page watch, and broadcast TLB and
 * I-cache maintenance.
 *
 * The page watch (target-arm/excl.c): making a RAM page "watched".
 *
 * When an LDREX is the first on a page, every other vCPU must stop storing there through
 * its TLB's fast path before that LDREX reads. The marking vCPU moves the shared watch
 * epoch on and waits until each live vCPU either is outside guest code (its `inside`
 * word is 0: it flushes its TLB before it runs again) or has flushed for the new epoch.
 * A vCPU sets `inside` and then reads the epoch; the marker moves the epoch and then
 * reads `inside` (both with full fences), so one of them always sees the other. Running
 * vCPUs are asked out of guest code (EXIT_REQ_TLB) so the wait is about one block; a
 * sleeping one costs nothing; a dead one is not waited for. */
#include <sched.h>
#include <stdatomic.h>

#include "core-proc/core.h"
#include "shm/doorbell.h"
#include "util/util.h"

void core_enter(struct core *c)
{
    atomic_store_explicit(&c->cpu->inside, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t e = atomic_load_explicit(&c->ctrl->hdr.watch_epoch, memory_order_acquire);
    if (e != c->seen_epoch) {
        arm_cpu_flush_tlb(c->arm);
        c->seen_epoch = e;
        atomic_store_explicit(&c->cpu->seen_epoch, e, memory_order_release);
    }
}

void core_leave(struct core *c)
{
    atomic_store_explicit(&c->cpu->inside, 0, memory_order_release);
}

/* Whether vCPU i can no longer store to a newly watched page through a stale entry. */
static bool core_acked(struct core *c, unsigned i, uint32_t epoch)
{
    if (!atomic_load_explicit(&c->ctrl->ep[i].alive, memory_order_acquire))
        return true;
    if (!atomic_load_explicit(&c->ctrl->cpu[i].inside, memory_order_acquire))
        return true;
    return (int32_t)(atomic_load_explicit(&c->ctrl->cpu[i].seen_epoch, memory_order_acquire) -
                     epoch) >= 0;
}

void core_watch_page(void *opaque, uint32_t ram_page)
{
    struct core *c = opaque;
    unsigned n = c->ctrl->hdr.ncpus;
    uint32_t others = ((1u << n) - 1) & ~(1u << c->index);
    /* Outside guest code while waiting: another vCPU marking a page at the same time
     * waits for this one too. */
    core_leave(c);
    uint32_t epoch =
        atomic_fetch_add_explicit(&c->ctrl->hdr.watch_epoch, 1, memory_order_seq_cst) + 1;
    atomic_thread_fence(memory_order_seq_cst);
    doorbell_kick_cpus(c->ctrl, c->mbox.fd, others, EXIT_REQ_TLB, c->index);
    for (unsigned i = 0; i < n; i++)
        while (i != c->index && !core_acked(c, i, epoch)) {
            core_maint_take(c); /* a vCPU waiting in its DSB may be waiting for us */
            sched_yield();
        }
    atomic_fetch_add_explicit(&c->cpu->counters.watch_shootdowns, 1, memory_order_relaxed);
    log_item(LOG_INT, "vCPU %u: RAM page 0x%x watched for exclusives (epoch %u)", c->index,
             ram_page, epoch);
    core_enter(c);
}

/* ---- broadcast maintenance (ICIALLUIS, ICIMVAU, TLBI...IS) ----
 * The issuer sets the bits in each other vCPU's maint_req, then moves that vCPU's
 * maint_seq on (in this order: a vCPU that sees the new count sees the bits) and kicks
 * it; its next DSB waits until each has acknowledged that count (maint_ack) or died.
 * A vCPU acts wherever it is: between blocks, asleep (the kick wakes it), or waiting in
 * its own DSB or page watch — there it drops its code at the next block boundary, which
 * is as good: the instructions of its running block were fetched before the request,
 * and only a context synchronization (which ends a block) promises new ones. */
void core_maint_take(struct core *c)
{
    uint32_t seq = atomic_load_explicit(&c->cpu->maint_seq, memory_order_acquire);
    uint32_t what = atomic_exchange_explicit(&c->cpu->maint_req, 0, memory_order_acq_rel);
    if (what & MAINT_CODE)
        arm_cpu_flush_code_soon(c->arm);
    if (what & MAINT_TLB)
        arm_cpu_flush_tlb(c->arm);
    atomic_store_explicit(&c->cpu->maint_ack, seq, memory_order_release);
}

/* Asks vCPU i to drop what, and kicks it; this vCPU's next DSB waits for it. */
static void core_maint_post(struct core *c, unsigned i, uint32_t what)
{
    struct ctrl_cpu *t = &c->ctrl->cpu[i];
    atomic_fetch_or_explicit(&t->maint_req, what, memory_order_release);
    c->maint_wait[i] = atomic_fetch_add_explicit(&t->maint_seq, 1, memory_order_acq_rel) + 1;
    c->maint_pending |= 1u << i;
    doorbell_kick_cpus(c->ctrl, c->mbox.fd, 1u << i, EXIT_REQ_MAINT, c->index);
}

void core_maintain(void *opaque, uint32_t what)
{
    struct core *c = opaque;
    for (unsigned i = 0; i < c->ctrl->hdr.ncpus; i++)
        if (i != c->index && atomic_load(&c->ctrl->ep[i].alive))
            core_maint_post(c, i, what);
}

void core_dsb(void *opaque)
{
    struct core *c = opaque;
    while (c->maint_pending) {
        for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
            if (!(c->maint_pending & (1u << i)))
                continue;
            uint32_t ack = atomic_load_explicit(&c->ctrl->cpu[i].maint_ack, memory_order_acquire);
            if ((int32_t)(ack - c->maint_wait[i]) >= 0 ||
                !atomic_load_explicit(&c->ctrl->ep[i].alive, memory_order_acquire))
                c->maint_pending &= ~(1u << i);
        }
        if (!c->maint_pending)
            break;
        core_maint_take(c); /* two vCPUs in a DSB, each waiting for the other */
        sched_yield();
    }
}

/* ---- the shared code map ----
 * A vCPU that starts holding code from a page moves the watch epoch on and asks the
 * others out of guest code, as a page watch does but without waiting: their TLBs then
 * send stores to that page through the slow path, which tells it to drop its code. */
void core_code_page(void *opaque, uint32_t ram_page)
{
    struct core *c = opaque;
    unsigned n = c->ctrl->hdr.ncpus;
    if (n < 2)
        return;
    atomic_fetch_add_explicit(&c->ctrl->hdr.watch_epoch, 1, memory_order_seq_cst);
    uint32_t others = ((1u << n) - 1) & ~(1u << c->index);
    doorbell_kick_cpus(c->ctrl, c->mbox.fd, others, EXIT_REQ_TLB, c->index);
}

/* This vCPU stored into a page the vCPUs of mask hold code from: a message to each
 * (taken at its next block boundary); a full ring degrades to dropping all its code. */
void core_code_written(void *opaque, uint32_t ram_page, uint32_t mask)
{
    struct core *c = opaque;
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
        if (!(mask & (1u << i)) || i == c->index)
            continue;
        struct msg_code_inval m = {.ram_page = ram_page};
        msg_init(&m.hdr, MSG_CODE_INVAL);
        if (mbox_try_send(&c->mbox, i, &m.hdr) != 0)
            core_maint_post(c, i, MAINT_CODE);
    }
}

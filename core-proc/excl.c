/* The vCPU process's side of the exclusive monitor (target-arm/excl.c,
 * docs/memory-model.md): making a RAM page "watched" without stopping the world.
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
        while (i != c->index && !core_acked(c, i, epoch))
            sched_yield();
    atomic_fetch_add_explicit(&c->cpu->counters.watch_shootdowns, 1, memory_order_relaxed);
    log_item(LOG_INT, "vCPU %u: RAM page 0x%x watched for exclusives (epoch %u)", c->index,
             ram_page, epoch);
    core_enter(c);
}

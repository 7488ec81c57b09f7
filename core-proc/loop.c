/* The vCPU run loop: exit requests, then messages, then execution, then a wait on
 * the doorbell when there is nothing to run (powered off, stopped, or in WFI). */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/util.h"

#define CORE_WAIT_POLLS 32 /* polls of has_work before sleeping (about 1 us each) */

static void core_on_msg(void *arg, unsigned src, const union msg_slot *s)
{
    struct core *c = arg;
    atomic_fetch_add_explicit(&c->cpu->counters.msgs_in, 1, memory_order_relaxed);
    switch (s->hdr.type) {
    case MSG_PING: {
        struct msg_pong r;
        msg_pong_for(&r, (const struct msg_ping *)s);
        if (mbox_send(&c->mbox, src, &r.hdr) == 0)
            atomic_fetch_add_explicit(&c->cpu->counters.msgs_out, 1, memory_order_relaxed);
        break;
    }
    case MSG_MMIO_DATA: core_on_mmio_data(c, (const struct msg_mmio_data *)s); break;
    case MSG_PONG: core_on_pong(c, (const struct msg_pong *)s); break;
    case MSG_CODE_INVAL:
        arm_cpu_invalidate_code_page(c->arm, ((const struct msg_code_inval *)s)->ram_page);
        break;
    default:
        log_notice("endpoint %u sent %s, which a vCPU does not take", src,
                   msg_info(s->hdr.type)->name);
    }
}

void core_drain(struct core *c)
{
    while (mbox_drain(&c->mbox, core_on_msg, c, 64))
        ;
}

/* Whether a CPU waiting in WFI or WFE has been woken (and, for WFE, the event that
 * woke it consumed). */
static bool core_woken(struct core *c)
{
    switch (atomic_load(&c->cpu->run_state)) {
    case CPU_WFI: return core_wfi_wakes(c);
    case CPU_WFE: return core_wfe_wakes(c);
    default: return false;
    }
}

static bool core_has_work(void *arg)
{
    struct core *c = arg;
    return atomic_load_explicit(&c->cpu->exit_request, memory_order_acquire) != 0 ||
           mbox_pending(&c->mbox) || core_woken(c);
}

static bool core_has_io_work(void *arg)
{
    struct core *c = arg;
    return (atomic_load_explicit(&c->cpu->exit_request, memory_order_acquire) & EXIT_REQ_QUIT) ||
           mbox_pending(&c->mbox);
}

/* Sleeps on the doorbell until has_work says so or it rings; the coordinator's death
 * ends the process. A device read waits with core_has_io_work: other exit-request
 * bits are for the run loop, which takes them after the read. */
static void core_wait_for(struct core *c, bool (*has_work)(void *))
{
    /* Sleeping on the doorbell costs a host context switch each way; an IPI, a device
     * reply or a lock release often comes sooner. Poll a little first, yielding the
     * host CPU between polls so that a runnable peer is not kept waiting. */
    for (unsigned i = 0; i < CORE_WAIT_POLLS; i++) {
        if (has_work(c))
            return;
        sched_yield();
    }
    enum doorbell_wait_result w =
        doorbell_wait(c->self, c->mbox.fd[c->index], has_work, c, c->coord_pidfd, -1);
    atomic_fetch_add_explicit(&c->cpu->counters.wakeups, 1, memory_order_relaxed);
    if (w == DOORBELL_WATCHED) {
        log_notice("the coordinator died: vCPU %u stops", c->index);
        exit(1);
    }
    if (atomic_load(&c->cpu->exit_request) & EXIT_REQ_QUIT)
        c->quit = true;
}

void core_wait(struct core *c)
{
    core_wait_for(c, core_has_work);
}

void core_wait_io(struct core *c)
{
    core_wait_for(c, core_has_io_work);
}

/* Takes the exit-request word; true when the process must end. A GIC kick needs
 * nothing here: arm_cpu_run looks at the line before every block. */
static bool core_take_exit_requests(struct core *c)
{
    uint32_t req = atomic_exchange_explicit(&c->cpu->exit_request, 0, memory_order_acq_rel);
    if (req)
        atomic_fetch_add_explicit(&c->cpu->counters.exits, 1, memory_order_relaxed);
    for (uint32_t bits = req; bits; bits &= bits - 1) {
        unsigned cause = (unsigned)__builtin_ctz(bits);
        if (cause < CPU_EXIT_CAUSES)
            atomic_fetch_add_explicit(&c->cpu->counters.exit_cause[cause], 1,
                                      memory_order_relaxed);
    }
    if (req & EXIT_REQ_CRASH)
        core_take_crash_request(c);
    if (req & EXIT_REQ_MAINT)
        core_maint_take(c);
    if (req & EXIT_REQ_DEBUG)
        core_gdb_request(c);
    if (req & EXIT_REQ_POWER)
        core_power_on(c);
    else if (req & EXIT_REQ_TIMER)
        core_timer_update(c); /* (a power-on updates the timer itself) */
    return (req & EXIT_REQ_QUIT) || c->quit;
}

static void core_announce(struct core *c)
{
    struct msg_cpu_started m;
    msg_init(&m.hdr, MSG_CPU_STARTED);
    m.index = c->index;
    m.pid = getpid();
    if (mbox_send(&c->mbox, CTRL_EP_COORD, &m.hdr) == 0)
        atomic_fetch_add_explicit(&c->cpu->counters.msgs_out, 1, memory_order_relaxed);
}

/* The CPU's own statistics into the shared counters, on top of what earlier processes
 * of this vCPU counted (a restarted process starts its statistics at 0). */
static void core_publish_stats(struct core *c)
{
    struct arm_cpu_stats st;
    arm_cpu_stats(c->arm, &st);
    struct cpu_counters *k = &c->cpu->counters;
    const struct arm_cpu_stats *b = &c->stats_base;
    atomic_store_explicit(&k->blocks, b->blocks + st.blocks, memory_order_relaxed);
    atomic_store_explicit(&k->insns, b->insns + st.insns, memory_order_relaxed);
    atomic_store_explicit(&k->translations, b->translations + st.translations,
                          memory_order_relaxed);
    atomic_store_explicit(&k->tlb_misses, b->tlb_misses + st.tlb_misses, memory_order_relaxed);
    atomic_store_explicit(&k->code_invalidations, b->code_invalidations + st.code_invalidations,
                          memory_order_relaxed);
}

/* Runs guest code until something needs the loop; false when the vCPU waits. */
static bool core_execute(struct core *c)
{
    if (atomic_load(&c->cpu->run_state) != CPU_RUNNING)
        return false;
    core_enter(c);
    enum arm_exit_reason why = arm_cpu_run(c->arm, 0);
    core_leave(c);
    core_publish_stats(c);
    switch (why) {
    case ARM_EXIT_WFI: atomic_store(&c->cpu->run_state, CPU_WFI); return false;
    case ARM_EXIT_WFE: atomic_store(&c->cpu->run_state, CPU_WFE); return false;
    case ARM_EXIT_HALTED: atomic_store(&c->cpu->run_state, CPU_STOPPED); return false;
    case ARM_EXIT_DEBUG: core_gdb_debug_exit(c); return true;
    default: return true;
    }
}

/* What a parked vCPU still does (shm/stw.h): the exit-request word, its messages. */
bool core_serve_parked(void *arg)
{
    struct core *c = arg;
    if (core_take_exit_requests(c))
        return true;
    core_drain(c);
    return c->quit;
}

/* Stop-the-world: parked at this block boundary until the coordinator lets go. */
static void core_park(struct core *c)
{
    log_item(LOG_SUP, "vCPU %u: stopped by the coordinator", c->index);
    switch (
        stw_park(c->ctrl, c->index, c->mbox.fd[c->index], c->coord_pidfd, core_serve_parked, c)) {
    case STW_ORPHANED: log_notice("the coordinator died: vCPU %u stops", c->index); exit(1);
    case STW_QUIT: c->quit = true; break;
    case STW_RELEASED: log_item(LOG_SUP, "vCPU %u: released", c->index); break;
    }
}

int core_run(struct core *c)
{
    if (core_board_init(c) < 0)
        return 1;
    c->arm = core_cpu_new(c);
    struct cpu_counters *k = &c->cpu->counters;
    c->stats_base = (struct arm_cpu_stats){
        .blocks = atomic_load(&k->blocks),
        .insns = atomic_load(&k->insns),
        .translations = atomic_load(&k->translations),
        .tlb_misses = atomic_load(&k->tlb_misses),
        .code_invalidations = atomic_load(&k->code_invalidations),
    };
    /* A restarted process: the timer's deadline and outputs from the registers, and the
     * coordinator's answer awaited before the first GIC access (posted writes of the
     * process before may still be on their way). */
    core_this = c;
    core_timer_update(c);
    c->posted = true;
    if (core_crash_init(c) < 0)
        log_notice("vCPU %u: cannot install the crash handler: %s", c->index, strerror(errno));
    core_announce(c);
    log_item(LOG_SUP, "vCPU %u up (state %s, pc 0x%08x)", c->index,
             cpu_state_name(atomic_load(&c->cpu->run_state)), c->cpu->regs.r[15]);
    if (c->wait_attach)
        core_wait_attach(c, core_serve_parked);
    for (;;) {
        if (core_take_exit_requests(c))
            break;
        core_drain(c);
        if (stw_requested(c->cpu)) {
            core_park(c);
            if (c->quit)
                break;
            continue;
        }
        core_gdb_turn(c); /* GDB's input: may hold the vCPU until GDB resumes it */
        if (c->quit)
            break;
        if (core_gdb_waiting(c)) { /* a debug stop the coordinator has not let go */
            core_wait(c);
            continue;
        }
        if (core_execute(c))
            continue;
        if (!core_woken(c))
            core_wait(c);
        if (core_woken(c)) {
            if (atomic_load(&c->cpu->run_state) == CPU_WFE)
                atomic_store(&c->cpu->event, 0); /* the event that ended it is consumed */
            atomic_store(&c->cpu->run_state, CPU_RUNNING);
        }
    }
    log_item(LOG_SUP, "vCPU %u: quit requested", c->index);
    arm_cpu_free(c->arm);
    return 0;
}

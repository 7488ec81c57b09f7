/* The board as one vCPU process drives it without the coordinator (design brief,
 * invariant 8: the hot interrupt paths stay inside each vCPU process):
 *  - the GICv2's distributor and this CPU's interface, on the shared state (hw/gic.h);
 *    an SGI to another CPU is a state update and one doorbell;
 *  - this CPU's generic timer: the counter every process reads, the timer PPIs, and a
 *    host timerfd armed for the next deadline, watched by a small thread that turns
 *    its expiry into an exit request and a doorbell (so neither running code nor a
 *    WFI sleep misses it);
 *  - SEV's event broadcast. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "hw/gic.h"
#include "shm/doorbell.h"
#include "util/util.h"

#define NS_PER_TICK 16u /* 62.5 MHz */

/* Tells the CPUs in mask that their GIC output rose: each leaves translated code at
 * its next block boundary (or wakes from WFI) and looks. */
void core_kick(struct core *c, uint32_t mask)
{
    doorbell_kick_cpus(c->ctrl, c->mbox.fd, mask, EXIT_REQ_IRQ, c->index);
}

bool core_gic_window(uint64_t pa)
{
    return (pa >= GIC_DIST_BASE && pa - GIC_DIST_BASE < GIC_DIST_SIZE) ||
           (pa >= GIC_CPU_BASE && pa - GIC_CPU_BASE < GIC_CPU_SIZE);
}

/* A GIC register access. As on qemu-system-arm, only the first 4 KiB of the
 * distributor's window and 8 KiB of the CPU interface's decode: an access past them
 * is an external abort (false). */
bool core_gic_access(struct core *c, uint64_t pa, unsigned size, uint64_t *value, bool write)
{
    uint32_t v = (uint32_t)*value, raised;
    bool dist = pa >= GIC_DIST_BASE && pa - GIC_DIST_BASE < GIC_DIST_SIZE;
    uint32_t off = (uint32_t)(pa - (dist ? GIC_DIST_BASE : GIC_CPU_BASE));
    if (off + size > (dist ? GIC_DIST_DECODED : GIC_CPU_DECODED) || size > 4)
        return false;
    core_sync_devices(c);
    if (dist)
        raised = write ? gic_dist_write(c->gic, c->index, c->index, off, size, v)
                       : gic_dist_read(c->gic, c->index, c->index, off, size, &v);
    else
        raised = write ? gic_cpu_write(c->gic, c->index, c->index, off, size, v)
                       : gic_cpu_read(c->gic, c->index, c->index, off, size, &v);
    if (!write)
        *value = v;
    core_kick(c, raised);
    return true;
}

uint64_t core_counter(void *opaque)
{
    struct core *c = opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return (ns - c->ctrl->hdr.counter_epoch_ns) / NS_PER_TICK;
}

/* Arms the timerfd for counter value deadline (UINT64_MAX: disarms it). */
static void core_timer_arm(struct core *c, uint64_t deadline)
{
    if (deadline == c->timer_armed)
        return;
    struct itimerspec its = {0};
    uint64_t epoch = c->ctrl->hdr.counter_epoch_ns;
    /* Deadlines past a century away never fire: leave those disarmed. */
    if (deadline != UINT64_MAX && deadline < (UINT64_MAX - epoch) / NS_PER_TICK / 2) {
        uint64_t ns = epoch + deadline * NS_PER_TICK;
        its.it_value.tv_sec = (time_t)(ns / 1000000000u);
        its.it_value.tv_nsec = (long)(ns % 1000000000u);
    } else {
        deadline = UINT64_MAX;
    }
    if (timerfd_settime(c->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        log_notice("vCPU %u: timerfd_settime: %s", c->index, strerror(errno));
    c->timer_armed = deadline;
}

/* The timers' outputs now, into their PPIs (level-sensitive), and the host timer
 * armed for the earliest one still to come. */
void core_timer_update(struct core *c)
{
    static const unsigned ppi[ARM_TIMER_COUNT] = {ARM_TIMER_PPI_PHYS, ARM_TIMER_PPI_VIRT};
    uint64_t now = core_counter(c), next = UINT64_MAX;
    for (unsigned t = 0; t < ARM_TIMER_COUNT; t++) {
        uint64_t deadline;
        bool level = arm_timer_output(&c->cpu->regs, t, now, &deadline);
        if (deadline < next)
            next = deadline;
        if (level == c->timer_level[t])
            continue;
        c->timer_level[t] = level;
        core_kick(c, gic_set_ppi(c->gic, c->index, c->index, ppi[t], level));
    }
    core_timer_arm(c, next);
}

void core_timer_changed(void *opaque)
{
    core_timer_update(opaque);
}

/* The timerfd's watcher: the only other thread of a vCPU process. It touches nothing
 * but the exit-request word and the doorbell, both made for concurrent use. */
static void *core_timer_thread(void *arg)
{
    struct core *c = arg;
    for (;;) {
        uint64_t n;
        ssize_t r = read(c->timer_fd, &n, sizeof(n));
        if (r < 0 && errno != EINTR && errno != EAGAIN)
            return NULL;
        if (r != (ssize_t)sizeof(n))
            continue;
        atomic_fetch_or_explicit(&c->cpu->exit_request, EXIT_REQ_TIMER, memory_order_release);
        doorbell_notify(c->self, c->mbox.fd[c->index]);
    }
}

/* SEV: every CPU's event register set, sleepers in WFE woken (B1.8.13). */
void core_send_event(void *opaque)
{
    struct core *c = opaque;
    unsigned n = c->ctrl->hdr.ncpus;
    for (unsigned i = 0; i < n && i < CTRL_MAX_CPUS; i++) {
        atomic_store_explicit(&c->ctrl->cpu[i].event, 1, memory_order_release);
        if (i != c->index)
            doorbell_notify(&c->ctrl->ep[i], c->mbox.fd[i]);
    }
}

/* What ends a WFI (B1.8.13): any interrupt the GIC signals, masked or not. */
bool core_wfi_wakes(struct core *c)
{
    return gic_line(c->gic, c->index) != 0;
}

/* What ends a WFE: an event, or an interrupt the CPSR does not mask. */
bool core_wfe_wakes(struct core *c)
{
    if (atomic_load_explicit(&c->cpu->event, memory_order_acquire))
        return true;
    uint32_t line = gic_line(c->gic, c->index), cpsr = c->cpu->regs.cpsr;
    return ((line & GIC_LINE_IRQ) && !(cpsr & ARM_CPSR_I)) ||
           ((line & GIC_LINE_FIQ) && !(cpsr & ARM_CPSR_F));
}

int core_board_init(struct core *c)
{
    c->gic = (struct gic_state *)c->ctrl->gic;
    c->timer_armed = UINT64_MAX;
    c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (c->timer_fd < 0) {
        log_notice("vCPU %u: timerfd_create: %s", c->index, strerror(errno));
        return -errno;
    }
    int err = pthread_create(&c->timer_thread, NULL, core_timer_thread, c);
    if (err) {
        log_notice("vCPU %u: cannot start the timer thread: %s", c->index, strerror(err));
        return -err;
    }
    return 0;
}

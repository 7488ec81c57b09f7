/* Stop-the-world (shm/stw.h). */
#include "shm/stw.h"

#include <stdatomic.h>

#include "shm/doorbell.h"

void stw_request(struct ctrl *c, const int fd[CTRL_MAX_EPS], uint32_t mask, uint32_t gen)
{
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++)
        if (mask & (1u << i))
            atomic_store_explicit(&c->cpu[i].hold, gen, memory_order_release);
    doorbell_kick_cpus(c, fd, mask, EXIT_REQ_HOLD, CTRL_EP_COORD);
}

uint32_t stw_unacked(struct ctrl *c, uint32_t mask, uint32_t gen)
{
    uint32_t left = 0;
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
        if (!(mask & (1u << i)) || !atomic_load_explicit(&c->ep[i].alive, memory_order_acquire))
            continue;
        if (atomic_load_explicit(&c->cpu[i].held, memory_order_acquire) != gen)
            left |= 1u << i;
    }
    return left;
}

void stw_release(struct ctrl *c, const int fd[CTRL_MAX_EPS], uint32_t mask)
{
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
        if (!(mask & (1u << i)))
            continue;
        atomic_store_explicit(&c->cpu[i].hold, 0, memory_order_release);
        doorbell_notify(&c->ep[i], fd[i]);
    }
}

bool stw_requested(const struct ctrl_cpu *cpu)
{
    return atomic_load_explicit(&cpu->hold, memory_order_acquire) != 0;
}

/* Wake for a release, a quit, or anything else to serve. */
static bool stw_has_work(void *arg)
{
    struct ctrl_cpu *cpu = arg;
    return !stw_requested(cpu) ||
           atomic_load_explicit(&cpu->exit_request, memory_order_acquire) != 0;
}

enum stw_park_result stw_park(struct ctrl *c, unsigned index, int fd, int watch_fd,
                              bool (*serve)(void *arg), void *arg)
{
    struct ctrl_cpu *cpu = &c->cpu[index];
    for (;;) {
        uint32_t gen = atomic_load_explicit(&cpu->hold, memory_order_acquire);
        atomic_store_explicit(&cpu->held, gen, memory_order_release);
        if (!gen)
            return STW_RELEASED;
        if (serve && serve(arg))
            return STW_QUIT;
        if (doorbell_wait(&c->ep[index], fd, stw_has_work, cpu, watch_fd, -1) == DOORBELL_WATCHED)
            return STW_ORPHANED;
    }
}

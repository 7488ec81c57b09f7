/* Stop-the-world from the coordinator's event loop (shm/stw.h): every live vCPU brought
 * to a block boundary and held there, then let go. The loop never blocks on it: the
 * acknowledgements are polled every millisecond while the loop goes on serving device
 * accesses (a vCPU waiting for a device read reaches its block boundary only once it is
 * answered). A vCPU that has not stopped by the deadline is named, and the caller goes
 * on without it; a dead one counts as stopped. */
#include <stdint.h>

#include "coordinator/coord.h"
#include "util/util.h"

#define STW_DEADLINE_MS 1000u

static uint32_t machine_live_mask(struct machine *m)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < m->cfg->ncpus; i++)
        if (m->cpu[i].running)
            mask |= 1u << i;
    return mask;
}

static void machine_stw_poll(evutil_socket_t fd, short what, void *arg)
{
    struct machine *m = arg;
    uint32_t left = stw_unacked(m->ctrl, m->stw_mask, m->stw_gen);
    if (left && ++m->stw_polls < STW_DEADLINE_MS) {
        evtimer_add(m->ev_stw, &(struct timeval){.tv_usec = 1000});
        return;
    }
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++)
        if (left & (1u << i))
            log_notice("vCPU %u (pid %d) did not stop within %u ms: reported, not waited on", i,
                       (int)m->cpu[i].pid, STW_DEADLINE_MS);
    log_item(LOG_SUP, "world stopped (generation %u)%s", m->stw_gen, left ? ", not all" : "");
    void (*then)(struct machine *, uint32_t) = m->stw_then;
    m->stw_then = NULL;
    if (then)
        then(m, left);
}

/* One generation for every hold: a new request re-asks every vCPU that is held or
 * being held (the world's and the control socket's) for it, so whoever polls waits for
 * the current generation and a parked vCPU just acknowledges again. */
static void machine_request_holds(struct machine *m)
{
    m->stw_gen = m->stw_gen + 1 ? m->stw_gen + 1 : 1;
    stw_request(m->ctrl, m->doorbell, m->stw_mask | m->user_held, m->stw_gen);
}

void machine_stop_world(struct machine *m, void (*then)(struct machine *m, uint32_t stuck))
{
    m->stw_mask = machine_live_mask(m);
    m->stw_polls = 0;
    m->stw_then = then;
    machine_request_holds(m);
    log_item(LOG_SUP, "stopping the world (generation %u)", m->stw_gen);
    machine_stw_poll(-1, 0, m);
}

/* Those the control socket holds stay held. */
void machine_start_world(struct machine *m)
{
    evtimer_del(m->ev_stw);
    stw_release(m->ctrl, m->doorbell, m->stw_mask & ~m->user_held);
    m->stw_mask = 0;
    log_item(LOG_SUP, "world released (generation %u)", m->stw_gen);
}

void machine_hold_cpus(struct machine *m, uint32_t mask)
{
    m->user_held |= mask;
    machine_request_holds(m);
    log_item(LOG_SUP, "holding vCPUs 0x%x (generation %u)", m->user_held, m->stw_gen);
}

uint32_t machine_hold_unacked(struct machine *m, uint32_t mask)
{
    return stw_unacked(m->ctrl, mask, m->stw_gen);
}

/* Those the world's own stop holds stay held until machine_start_world. */
void machine_release_cpus(struct machine *m, uint32_t mask)
{
    m->user_held &= ~mask;
    stw_release(m->ctrl, m->doorbell, mask & ~m->stw_mask);
    log_item(LOG_SUP, "released vCPUs 0x%x", mask);
}

int machine_world_init(struct machine *m)
{
    m->ev_stw = evtimer_new(m->base, machine_stw_poll, m);
    return m->ev_stw ? 0 : -1;
}

void machine_world_free(struct machine *m)
{
    if (m->ev_stw)
        event_free(m->ev_stw);
    m->ev_stw = NULL;
}

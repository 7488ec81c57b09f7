/* The vCPU run loop: exit requests, then messages, then execution, then a wait on
 * the doorbell when there is nothing to run. There is no execution engine yet (the
 * CPU core is its own issue), so a vCPU only ever takes messages and waits. */
#include <errno.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/util.h"

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
    default:
        log_notice("endpoint %u sent %s, which a vCPU does not take", src,
                   msg_info(s->hdr.type)->name);
    }
}

static bool core_has_work(void *arg)
{
    struct core *c = arg;
    return atomic_load_explicit(&c->cpu->exit_request, memory_order_acquire) != 0 ||
           mbox_pending(&c->mbox);
}

/* Takes the exit-request word; true when the process must end. */
static bool core_take_exit_requests(struct core *c)
{
    uint32_t req = atomic_exchange_explicit(&c->cpu->exit_request, 0, memory_order_acq_rel);
    if (req)
        atomic_fetch_add_explicit(&c->cpu->counters.exits, 1, memory_order_relaxed);
    return (req & EXIT_REQ_QUIT) != 0;
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

int core_run(struct core *c)
{
    core_announce(c);
    log_item(LOG_SUP, "vCPU %u up (state %s); no execution engine yet: waiting for messages",
             c->index, cpu_state_name(atomic_load(&c->cpu->run_state)));
    for (;;) {
        if (core_take_exit_requests(c))
            break;
        while (mbox_drain(&c->mbox, core_on_msg, c, 64))
            ;
        /* Execution goes here once target-arm exists; until then nothing runs. */
        enum doorbell_wait_result w =
            doorbell_wait(c->self, c->mbox.fd[c->index], core_has_work, c, c->coord_pidfd, -1);
        atomic_fetch_add_explicit(&c->cpu->counters.wakeups, 1, memory_order_relaxed);
        if (w == DOORBELL_WATCHED) {
            log_notice("the coordinator died: vCPU %u stops", c->index);
            return 1;
        }
    }
    log_item(LOG_SUP, "vCPU %u: quit requested", c->index);
    return 0;
}

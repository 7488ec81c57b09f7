/* Mailboxes over the ring matrix. */
#include "shm/mbox.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "util/util.h"

/* The sequence number of the last message pushed (or popped) on r; 0 for none. */
static uint32_t mbox_ring_last_seq(const struct ring *r, bool pushed)
{
    uint64_t i = atomic_load(pushed ? &r->head : &r->tail);
    if (!i || r->slots == 0 || r->slots > RING_MAX_SLOTS || (r->slots & (r->slots - 1)))
        return 0;
    return r->slot[(i - 1) & (r->slots - 1)].hdr.seq;
}

void mbox_init(struct mbox *m, struct ctrl *c, unsigned self, const int fds[CTRL_MAX_EPS])
{
    memset(m, 0, sizeof(*m));
    m->ctrl = c;
    m->self = self;
    memcpy(m->fd, fds, sizeof(m->fd));
    /* A process that replaces a dead one (crash recovery) goes on with the sequence
     * numbers the rings hold: the last message pushed on each outbound ring, the last
     * one taken from each inbound ring (slots are never cleared). Fresh rings give 0. */
    for (unsigned ep = 0; ep < CTRL_MAX_EPS; ep++) {
        if (ep == self || !mbox_ep_in_use(m, ep))
            continue;
        m->seq_out[ep] = mbox_ring_last_seq(ctrl_ring(c, self, ep), true);
        m->seq_in[ep] = mbox_ring_last_seq(ctrl_ring(c, ep, self), false);
    }
}

bool mbox_ep_in_use(const struct mbox *m, unsigned ep)
{
    return ep == CTRL_EP_COORD || ep < m->ctrl->hdr.ncpus;
}

bool mbox_peer_alive(const struct mbox *m, unsigned ep)
{
    struct ctrl_endpoint *e = &m->ctrl->ep[ep];
    return atomic_load_explicit(&e->alive, memory_order_acquire) != 0;
}

static int mbox_status_errno(enum ring_status st)
{
    switch (st) {
    case RING_OK: return 0;
    case RING_FULL: return -EAGAIN;
    case RING_INVALID: return -EINVAL;
    default: return -EIO;
    }
}

int mbox_try_send(struct mbox *m, unsigned dst, struct msg_hdr *msg)
{
    if (dst >= CTRL_MAX_EPS || dst == m->self || !mbox_ep_in_use(m, dst))
        return -EINVAL;
    if (!mbox_peer_alive(m, dst))
        return -EPIPE;
    msg->src = (uint16_t)m->self;
    msg->seq = m->seq_out[dst] + 1;
    int err = mbox_status_errno(ring_try_push(ctrl_ring(m->ctrl, m->self, dst), msg));
    if (err)
        return err;
    m->seq_out[dst]++;
    m->sent++;
    /* Always a read-modify-write: it is ordered against the vCPU's exchange of the
     * word, so either the vCPU sees the bit or its exchange synchronises with this
     * release and its drain sees the message. A plain "already set?" load first
     * would let both miss each other (store-buffer reordering). */
    if (dst < CTRL_MAX_CPUS)
        atomic_fetch_or_explicit(&m->ctrl->cpu[dst].exit_request, EXIT_REQ_MSG,
                                 memory_order_release);
    doorbell_notify(&m->ctrl->ep[dst], m->fd[dst]);
    log_item(LOG_RING, "sent %s #%u to endpoint %u", msg_info(msg->type)->name, msg->seq, dst);
    return 0;
}

int mbox_send(struct mbox *m, unsigned dst, struct msg_hdr *msg)
{
    int err = mbox_try_send(m, dst, msg);
    if (err != -EAGAIN)
        return err;
    struct ring *r = ctrl_ring(m->ctrl, m->self, dst);
    for (;;) {
        /* Tell the consumer we wait, then retry: it either sees the flag after
         * freeing a slot, or we see the slot (fences on both sides). */
        atomic_store_explicit(&r->producer_waiting, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        err = mbox_try_send(m, dst, msg);
        if (err != -EAGAIN) {
            atomic_store_explicit(&r->producer_waiting, 0, memory_order_relaxed);
            return err;
        }
        /* Bounded wait: the coordinator rings everybody when a process dies, the
         * timeout is a second line of defence against a missed death notice. */
        doorbell_wait(&m->ctrl->ep[m->self], m->fd[m->self], NULL, NULL, -1, 100);
        int32_t pid = atomic_load(&m->ctrl->ep[dst].pid);
        if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
            return -EPIPE;
    }
}

static void mbox_release_producer(struct mbox *m, struct ring *r, unsigned src)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->producer_waiting, memory_order_relaxed) &&
        atomic_exchange(&r->producer_waiting, 0))
        doorbell_ring(&m->ctrl->ep[src], m->fd[src]);
}

static bool mbox_accept(struct mbox *m, unsigned src, const union msg_slot *s)
{
    if (!msg_valid(&s->hdr) || s->hdr.src != src) {
        log_notice("rejected a malformed message on ring %u->%u (type %u, size %u)", src, m->self,
                   s->hdr.type, s->hdr.size);
        m->rejected++;
        return false;
    }
    if (s->hdr.seq != m->seq_in[src] + 1)
        log_notice("ring %u->%u: sequence %u after %u", src, m->self, s->hdr.seq, m->seq_in[src]);
    m->seq_in[src] = s->hdr.seq;
    m->received++;
    log_item(LOG_RING, "received %s #%u from endpoint %u", msg_info(s->hdr.type)->name, s->hdr.seq,
             src);
    return true;
}

unsigned mbox_drain(struct mbox *m, mbox_handler fn, void *arg, unsigned budget)
{
    unsigned done = 0;
    for (unsigned src = 0; src < CTRL_MAX_EPS && done < budget; src++) {
        if (src == m->self || !mbox_ep_in_use(m, src))
            continue;
        struct ring *r = ctrl_ring(m->ctrl, src, m->self);
        if (atomic_load_explicit(&r->broken, memory_order_relaxed))
            continue;
        unsigned got = 0;
        union msg_slot s;
        enum ring_status st = RING_OK;
        while (got < budget - done && (st = ring_try_pop(r, &s)) == RING_OK) {
            got++;
            if (mbox_accept(m, src, &s))
                fn(arg, src, &s);
        }
        if (st == RING_CORRUPT)
            log_notice("ring %u->%u is corrupt: ignoring it from now on", src, m->self);
        if (got)
            mbox_release_producer(m, r, src);
        done += got;
    }
    return done;
}

bool mbox_pending(struct mbox *m)
{
    for (unsigned src = 0; src < CTRL_MAX_EPS; src++) {
        if (src == m->self || !mbox_ep_in_use(m, src))
            continue;
        struct ring *r = ctrl_ring(m->ctrl, src, m->self);
        if (!atomic_load_explicit(&r->broken, memory_order_relaxed) && !ring_empty(r))
            return true;
    }
    return false;
}

void mbox_ring_all(struct mbox *m)
{
    for (unsigned ep = 0; ep < CTRL_MAX_EPS; ep++)
        if (ep != m->self && mbox_ep_in_use(m, ep) && m->fd[ep] >= 0)
            doorbell_ring(&m->ctrl->ep[ep], m->fd[ep]);
}

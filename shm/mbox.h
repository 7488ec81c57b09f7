/* Mailboxes: a process's view of the ring matrix. Sending puts a message on the ring
 * (self -> dst), raises EXIT_REQ_MSG when dst is a vCPU (so it leaves translated code
 * within one block), and notifies dst's doorbell. A full ring is back-pressure: the
 * blocking send waits on its own doorbell until the consumer frees a slot, watching
 * dst's liveness; nothing is ever dropped except on a dead receiver. */
#ifndef PERCORE_SHM_MBOX_H
#define PERCORE_SHM_MBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/ctrl.h"
#include "shm/doorbell.h"

struct mbox {
    struct ctrl *ctrl;
    unsigned self;
    int fd[CTRL_MAX_EPS]; /* every endpoint's doorbell eventfd (-1: none) */
    uint32_t seq_out[CTRL_MAX_EPS];
    uint32_t seq_in[CTRL_MAX_EPS];
    uint64_t sent, received, rejected;
};

/* One received message; src is the ring it came from. */
typedef void (*mbox_handler)(void *arg, unsigned src, const union msg_slot *msg);

void mbox_init(struct mbox *m, struct ctrl *c, unsigned self, const int fds[CTRL_MAX_EPS]);
/* Whether endpoint ep exists in this machine (a vCPU below ncpus, or the coordinator). */
bool mbox_ep_in_use(const struct mbox *m, unsigned ep);
bool mbox_peer_alive(const struct mbox *m, unsigned ep);
/* 0; -EAGAIN (full); -EPIPE (dst dead); -EINVAL (fails its size check); -EIO (ring corrupt). */
int mbox_try_send(struct mbox *m, unsigned dst, struct msg_hdr *msg);
/* As mbox_try_send, but waits while the ring is full. */
int mbox_send(struct mbox *m, unsigned dst, struct msg_hdr *msg);
/* Takes up to budget waiting messages from the inbound rings and hands the valid
 * ones to fn; returns how many it took (malformed ones included, so that a loop
 * "while (mbox_drain(...))" empties the rings). */
unsigned mbox_drain(struct mbox *m, mbox_handler fn, void *arg, unsigned budget);
/* True when any inbound ring holds a message. */
bool mbox_pending(struct mbox *m);
/* Rings every other endpoint's doorbell: "re-check the world" (a peer died). */
void mbox_ring_all(struct mbox *m);

#endif

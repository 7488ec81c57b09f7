/* Doorbells: one eventfd per endpoint says "look at your rings". A receiver that is
 * about to block raises its sleeping flag, re-checks for work, then blocks; a sender
 * publishes its message, then writes the eventfd only if the flag is up. Each side
 * puts a full fence between its write and its read, so one of them always sees the
 * other (no lost wake-up), and a busy receiver costs its senders no syscall. */
#ifndef PERCORE_SHM_DOORBELL_H
#define PERCORE_SHM_DOORBELL_H

#include <stdbool.h>

#include "shm/ctrl.h"

/* Creates an eventfd for a doorbell (non-blocking, close-on-exec). -errno on failure. */
int doorbell_create(void);
/* Unconditionally rings: one eventfd write. */
void doorbell_ring(struct ctrl_endpoint *ep, int fd);
/* Rings only if the receiver sleeps (after a full fence), lowering its flag so that
 * one write wakes it however many senders follow: the sender's side. */
void doorbell_notify(struct ctrl_endpoint *ep, int fd);
/* Sets the exit-request bits in every vCPU of mask (bit n: vCPU n) and notifies each
 * one's doorbell (fd[n]); a vCPU process leaves out its own (self; CTRL_EP_COORD for the
 * coordinator), which needs no doorbell to see its own word. */
void doorbell_kick_cpus(struct ctrl *c, const int fd[CTRL_MAX_EPS], uint32_t mask, uint32_t bits,
                        unsigned self);
/* Empties the eventfd counter. */
void doorbell_clear(int fd);

enum doorbell_wait_result {
    DOORBELL_WORK,    /* has_work() said so before blocking */
    DOORBELL_RUNG,    /* the doorbell rang */
    DOORBELL_WATCHED, /* the watched fd became readable (a peer died) */
    DOORBELL_TIMEOUT,
};

/* The receiver's side: raise the flag, re-check has_work, block on the doorbell and
 * on watch_fd (a pidfd, or -1) for at most timeout_ms (-1: no limit), lower the flag. */
enum doorbell_wait_result doorbell_wait(struct ctrl_endpoint *self, int fd,
                                        bool (*has_work)(void *), void *arg, int watch_fd,
                                        int timeout_ms);

#endif

/* Stop-the-world: the coordinator brings every live vCPU to a block boundary, holds it
 * there, and lets it go (reset, the control socket's stop/continue, snapshots).
 *
 * The coordinator writes a generation into each vCPU's `hold` word and kicks it
 * (EXIT_REQ_HOLD and a doorbell); the vCPU, at its next block boundary or at once if it
 * sleeps, writes the generation into `held` and parks on its doorbell until `hold` is 0
 * again, still answering messages and maintenance meanwhile (so no other vCPU's DSB waits
 * on it). The coordinator polls `held` with a deadline: a dead vCPU counts as stopped and
 * a hung one is reported once the deadline passes, never waited on for ever. */
#ifndef PERCORE_SHM_STW_H
#define PERCORE_SHM_STW_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/ctrl.h"

/* Coordinator side. Asks the vCPUs in mask to stop, as generation gen (non-zero). */
void stw_request(struct ctrl *c, const int fd[CTRL_MAX_EPS], uint32_t mask, uint32_t gen);
/* The vCPUs of mask that are alive and have not acknowledged gen yet. */
uint32_t stw_unacked(struct ctrl *c, uint32_t mask, uint32_t gen);
/* Lets the vCPUs of mask go. */
void stw_release(struct ctrl *c, const int fd[CTRL_MAX_EPS], uint32_t mask);

/* vCPU side. True when the coordinator asks this vCPU to stop. */
bool stw_requested(const struct ctrl_cpu *cpu);
enum stw_park_result {
    STW_RELEASED, /* hold is 0 again: run on */
    STW_QUIT,     /* serve said the process must end */
    STW_ORPHANED, /* watch_fd fired: the coordinator died */
};
/* Acknowledges, then waits on the doorbell (fd) and watch_fd (the coordinator's pidfd)
 * until released. serve(arg) takes the exit-request word and whatever woke the vCPU
 * (messages, maintenance) each time round, and returns true when the process must end. */
enum stw_park_result stw_park(struct ctrl *c, unsigned index, int fd, int watch_fd,
                              bool (*serve)(void *arg), void *arg);

#endif

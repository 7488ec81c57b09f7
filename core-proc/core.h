/* core-proc/: one vCPU process. Its door is the command line the coordinator
 * gives it (see core_parse_args); inside, a run loop over the shared state. */
#ifndef PERCORE_CORE_H
#define PERCORE_CORE_H

#include <stdbool.h>

#include "shm/shm.h"

struct core {
    unsigned index;
    struct shm_region ram, ctrl_rgn;
    struct ctrl *ctrl;
    struct ctrl_cpu *cpu;
    struct ctrl_endpoint *self;
    struct mbox mbox;
    int coord_pidfd; /* watched while waiting: the coordinator's death ends us */
    bool quit;
};

/* loop.c: exit requests -> messages -> execute -> wait. Returns the exit status. */
int core_run(struct core *c);

#endif

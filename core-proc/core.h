/* core-proc/: one vCPU process. Its door is the command line the coordinator
 * gives it (see core_parse_args); inside, a run loop over the shared state. */
#ifndef PERCORE_CORE_H
#define PERCORE_CORE_H

#include <stdbool.h>

#include "shm/shm.h"
#include "target-arm/arm.h"

struct core {
    unsigned index;
    struct shm_region ram, ctrl_rgn;
    struct ctrl *ctrl;
    struct ctrl_cpu *cpu;
    struct ctrl_endpoint *self;
    struct mbox mbox;
    int coord_pidfd; /* watched while waiting: the coordinator's death ends us */
    bool quit;
    struct arm_cpu *arm;
    char tag[32];
    /* A device read on its way: the reply's token, and what came back. */
    uint32_t io_token;
    bool io_done, io_ok;
    uint64_t io_value;
};

/* loop.c: exit requests -> messages -> execute -> wait. Returns the exit status. */
int core_run(struct core *c);
/* Takes the messages waiting on every inbound ring. */
void core_drain(struct core *c);
/* Waits for a doorbell, an exit request or the coordinator's death (then exits). */
void core_wait(struct core *c);
void core_wait_io(struct core *c);

/* vcpu.c: the CPU's window on the machine: device accesses over the rings, PSCI. */
struct arm_cpu *core_cpu_new(struct core *c);
void core_on_mmio_data(struct core *c, const struct msg_mmio_data *d);

#endif

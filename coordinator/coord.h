/* Coordinator internals shared by its files; other folders use coordinator.h. */
#ifndef PERCORE_COORD_INTERNAL_H
#define PERCORE_COORD_INTERNAL_H

#include <event2/event.h>
#include <glib.h>
#include <sys/types.h>

#include "coordinator/coordinator.h"
#include "shm/shm.h"

struct machine;

struct vcpu_proc {
    struct machine *machine;
    unsigned index;
    pid_t pid;
    int pidfd;
    struct event *ev_exit;
    bool running; /* process exists and has not been reaped */
    bool started; /* MSG_CPU_STARTED received */
};

struct machine {
    const struct machine_config *cfg;
    struct shm_region ram, ctrl_rgn;
    struct ctrl *ctrl;
    int doorbell[CTRL_MAX_EPS];
    struct mbox mbox;
    GQueue backlog[CTRL_MAX_EPS]; /* messages waiting for ring space, per destination */
    struct event_base *base;
    struct event *ev_doorbell, *ev_sigint, *ev_sigterm, *ev_sighup, *ev_stop_timer;
    struct vcpu_proc cpu[CTRL_MAX_CPUS];
    unsigned live;
    bool stopping;
    int exit_status;
};

/* vcpu.c: process life cycle and supervision. */
int vcpu_spawn(struct machine *m, unsigned index);
void vcpu_kill_all(struct machine *m);
void vcpu_release(struct machine *m);

/* machine.c */
void machine_stop(struct machine *m, int exit_status);
/* Sends without blocking the loop: a full ring queues the message until the
 * consumer frees a slot. 0 or -EPIPE (receiver dead), -EINVAL. */
int machine_send(struct machine *m, unsigned dst, struct msg_hdr *msg);

#endif

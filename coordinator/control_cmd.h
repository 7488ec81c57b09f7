/* The control socket's commands (control_cmd.c) and what they use of its server
 * (control.c): both halves of coordinator/control.h's module. Needs the generated
 * control.pb-c.h (build/gen). */
#ifndef PERCORE_COORD_CONTROL_CMD_H
#define PERCORE_COORD_CONTROL_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "control.pb-c.h"

/* One client. A reply that waits for the vCPUs holds back its later requests. */
struct ctl_conn;
enum ctl_wait {
    CTL_WAIT_NONE,
    CTL_WAIT_HOLD, /* the vCPUs of the mask parked (machine_hold_cpus) */
    CTL_WAIT_SYNC, /* the vCPUs of the mask published their counters */
};
struct machine *ctl_machine(struct ctl_conn *k);
/* Takes one request and replies now or through ctl_wait_start; false when its command
 * is unknown (the server then replies and closes the connection). */
bool ctl_dispatch(struct ctl_conn *k, const Percore__Control__Request *rq);
/* Polls every millisecond, up to a deadline, then calls ctl_wait_done with the vCPUs
 * still not done (0: all of them). */
void ctl_wait_start(struct ctl_conn *k, enum ctl_wait w, uint32_t mask);
void ctl_wait_done(struct ctl_conn *k, enum ctl_wait w, uint32_t left);
/* Queues a reply; what ctl_alloc and ctl_strdup_printf gave is freed once it is packed. */
void ctl_send(struct ctl_conn *k, const Percore__Control__Reply *r);
void ctl_reply_error(struct ctl_conn *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void *ctl_alloc(struct ctl_conn *k, size_t size);
char *ctl_strdup_printf(struct ctl_conn *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif

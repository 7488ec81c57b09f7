/* Coordinator internals shared by its files; other folders use coordinator.h. */
#ifndef PERCORE_COORD_INTERNAL_H
#define PERCORE_COORD_INTERNAL_H

#include <event2/event.h>
#include <glib.h>
#include <sys/types.h>

#include "coordinator/boot.h"
#include "coordinator/coordinator.h"
#include "hw/gic.h"
#include "hw/hw.h"
#include "shm/shm.h"

/* The virt board's memory map and interrupt lines (../shared/reference/virt-board.md):
 * the console UART, and what the device tree describes (coordinator/fdt.c). */
#define VIRT_GIC_DIST_BASE 0x08000000ull
#define VIRT_GIC_CPU_BASE  0x08010000ull
#define VIRT_GIC_SIZE      0x10000ull /* each of the two GICv2 regions */
#define VIRT_UART_BASE     0x09000000ull
#define VIRT_UART_SPI      1u
#define VIRT_RTC_BASE      0x09010000ull
#define VIRT_RTC_SIZE      0x1000ull
#define VIRT_RTC_SPI       2u

/* serial.c: the -serial backend the console UART writes to. */
struct serial {
    enum serial_kind kind;
    int fd;       /* -1: output discarded (-serial none) */
    bool owns_fd; /* a socket we opened (stdout is not ours to close) */
    bool broken;  /* a write failed: output is dropped from then on */
    char *name;   /* for messages: "stdout", "unix:PATH" */
    /* Input to the UART (serial_start_input): stdin for stdio and mon:stdio, the
     * socket for unix:. */
    struct machine *machine;
    void *uart;
    int in_fd;             /* -1: no (more) input */
    bool in_file;          /* a regular file: always readable, not pollable */
    bool mux;              /* mon:stdio: Ctrl-A keys are percore's */
    bool got_escape;       /* the last key was Ctrl-A */
    struct event *ev_read; /* in_fd readable (or, for a file, "read more") */
    struct event *ev_feed; /* the UART has room: feed it what is held back */
    size_t held;           /* bytes read for the guest, waiting for FIFO room */
    uint8_t hold[4096];
};

/* 0, or -errno with *why set (one line naming the backend; g_free it). */
int serial_open(struct serial *s, const struct machine_config *cfg, char **why);
void serial_write(struct serial *s, const uint8_t *buf, size_t len);
/* The UART's transmit callback: arg is the struct serial. */
void serial_tx(void *arg, uint8_t byte);
/* Starts reading the backend's input into the UART, on base; for mon:stdio (and
 * stdio) on a terminal, puts it in raw mode, restored by serial_close or at exit. */
int serial_start_input(struct serial *s, struct machine *m, struct event_base *base, void *uart);
/* Frees the input events (before the event base goes). */
void serial_stop_input(struct serial *s);
void serial_close(struct serial *s);

struct machine;

struct vcpu_proc {
    struct machine *machine;
    unsigned index;
    pid_t pid;
    int pidfd;
    struct event *ev_exit;
    bool running; /* process exists and has not been reaped */
    bool started; /* MSG_CPU_STARTED received */
    /* Crash recovery (recovery.c): a restart asked for (the kill that follows is not a
     * crash), the run state it died in, when it was restarted lately, and the pc whose
     * translation crashed it last and how many times in a row. */
    bool restart_asked;
    uint32_t state_before;
    int64_t restart_at[16];
    unsigned n_restarts;
    uint32_t xlate_crash_pc;
    unsigned xlate_crashes;
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
    struct event *ev_reset;        /* runs the second half of a reset, outside any drain */
    struct event *ev_device_timer; /* a device output may change by itself (the RTC) */
    /* Stop-the-world (world.c): the generation asked, of which vCPUs, polls so far, and
     * what to do once they have stopped (or the deadline passed). */
    struct event *ev_stw;
    uint32_t stw_gen, stw_mask;
    unsigned stw_polls;
    void (*stw_then)(struct machine *m, uint32_t stuck);
    uint32_t user_held;      /* vCPUs the control socket holds (machine_hold_cpus) */
    struct control *control; /* the control socket (control.h), NULL without -control */
    struct vcpu_proc cpu[CTRL_MAX_CPUS];
    GPtrArray *crash_reports; /* strings, oldest first (recovery.c) */
    struct hw_bus bus; /* the coordinator's devices */
    struct serial serial;
    struct machine_gdb *gdb; /* the all-stop GDB stub (gdb.c), or NULL */
    unsigned live;
    bool stopping;
    bool resetting; /* a guest reset waits for every vCPU process to exit */
    int exit_status;
};

/* gdb.c: the all-stop GDB stub (-gdb, -s; docs/debugging.md). machine_gdb_open listens
 * (0, or -errno after a line saying why); machine_gdb_on_stop takes a vCPU's
 * MSG_DEBUG_STOP. */
struct machine_gdb;
struct msg_debug_stop;
int machine_gdb_open(struct machine *m);
void machine_gdb_close(struct machine *m);
void machine_gdb_on_stop(struct machine *m, unsigned src, const struct msg_debug_stop *s);

/* vcpu.c: process life cycle and supervision. */
int vcpu_spawn(struct machine *m, unsigned index);
void vcpu_kill_all(struct machine *m);
/* Crash recovery (docs/operations.md). vcpu_restart ends vCPU index's process (if it
 * lives) and starts a new one that takes the architectural state from the control
 * region: 0, or -errno (-ESRCH: no such vCPU; -EBUSY: the machine is stopping or
 * resetting). vcpu_inject_crash arms a fault in vCPU index (enum cpu_inject): 0 or
 * -errno. machine_crash_reports: the crash reports so far, oldest first (at most
 * MACHINE_CRASH_REPORTS; each a multi-line text), owned by the machine. */
int vcpu_restart(struct machine *m, unsigned index);
int vcpu_inject_crash(struct machine *m, unsigned index, unsigned kind);
#define MACHINE_CRASH_REPORTS 16u
const GPtrArray *machine_crash_reports(struct machine *m);
/* recovery.c: the report and the policy for a process that died unasked (how: "killed
 * by signal 11 (SIGSEGV)"); true when a new process was started. vcpu_respawn starts a
 * new process for a vCPU whose process is gone, in the run state it died in. */
bool recovery_on_crash(struct machine *m, struct vcpu_proc *v, const char *how,
                       uint32_t state_before);
int vcpu_respawn(struct machine *m, unsigned index);
void vcpu_release(struct machine *m);

/* machine.c */
void machine_stop(struct machine *m, int exit_status);
/* Called when a vCPU process has been reaped: a reset goes on once none is left. */
void machine_vcpu_gone(struct machine *m);
/* A system reset, as the guest's PSCI SYSTEM_RESET (with -no-reboot: a stop, status 0). */
void machine_system_reset(struct machine *m);
/* Sends without blocking the loop: a full ring queues the message until the
 * consumer frees a slot. 0 or -EPIPE (receiver dead), -EINVAL. */
int machine_send(struct machine *m, unsigned dst, struct msg_hdr *msg);
/* world.c: stop-the-world. then(m, stuck) runs once every live vCPU is held at a block
 * boundary, or the deadline passed with those of stuck still running (each is named). */
void machine_stop_world(struct machine *m, void (*then)(struct machine *m, uint32_t stuck));
void machine_start_world(struct machine *m);
/* The control socket's holds, kept apart from the world's: neither releases the other's.
 * machine_hold_unacked: the vCPUs of mask, alive, that have not parked yet. */
void machine_hold_cpus(struct machine *m, uint32_t mask);
uint32_t machine_hold_unacked(struct machine *m, uint32_t mask);
void machine_release_cpus(struct machine *m, uint32_t mask);
int machine_world_init(struct machine *m);
void machine_world_free(struct machine *m);

/* Tells the vCPUs in mask that their GIC output line rose. */
void machine_kick(struct machine *m, uint32_t mask);
/* Passes the devices' interrupt outputs that changed on to the GIC. */
void machine_sync_irqs(struct machine *m);
/* The interrupt controller's shared state, in the control region. */
static inline struct gic_state *machine_gic(struct machine *m)
{
    return (struct gic_state *)m->ctrl->gic;
}

#endif

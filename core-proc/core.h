/* core-proc/: one vCPU process. Its door is the command line the coordinator
 * gives it (see core_parse_args); inside, a run loop over the shared state. */
#ifndef PERCORE_CORE_H
#define PERCORE_CORE_H

#include <pthread.h>
#include <stdbool.h>

#include "shm/shm.h"
#include "target-arm/arm.h"

struct gic_state;

struct core {
    unsigned index;
    struct shm_region ram, ctrl_rgn;
    struct ctrl *ctrl;
    struct ctrl_cpu *cpu;
    struct ctrl_endpoint *self;
    struct mbox mbox;
    int coord_pidfd; /* watched while waiting: the coordinator's death ends us */
    bool quit;
    bool wait_attach; /* --cpu-wait-attach: wait for a debugger before running */
    struct arm_cpu *arm;
    char tag[32];
    /* A device read on its way: the reply's token, and what came back. */
    uint32_t io_token;
    bool io_done, io_ok;
    bool posted; /* device writes were posted since the owner last answered */
    uint64_t io_value;
    /* board.c: the shared GIC, and this CPU's generic-timer outputs and host timer. */
    struct gic_state *gic;
    int timer_fd;
    pthread_t timer_thread;
    bool timer_level[ARM_TIMER_COUNT];
    uint64_t timer_armed;   /* the counter value the timerfd is set for (UINT64_MAX: none) */
    uint32_t seen_epoch;    /* the watch epoch this vCPU's TLB was last flushed for */
    uint32_t maint_pending; /* vCPUs whose acknowledgement a DSB awaits */
    uint32_t maint_wait[CTRL_MAX_CPUS]; /* the maint_seq each must acknowledge */
    struct arm_cpu_stats stats_base;    /* the counters earlier processes left */
    struct core_gdb *gdb;               /* -gdb-cpu: this vCPU's own GDB stub (gdbstub.c) */
};

/* loop.c: exit requests -> messages -> execute -> wait. Returns the exit status. */
int core_run(struct core *c);
/* Takes the messages waiting on every inbound ring. */
void core_drain(struct core *c);
/* Waits for a doorbell, an exit request or the coordinator's death (then exits). */
void core_wait(struct core *c);
void core_wait_io(struct core *c);

/* What a parked vCPU still does (the exit-request word, messages); true when the process
 * must end. The gdbstub's wait serves the same. */
bool core_serve_parked(void *arg);

/* gdbstub.c: the guest debugger (docs/debugging.md). core_gdb_open starts this vCPU's
 * own stub on host:port (-gdb-cpu); core_gdb_turn serves its socket when the watcher saw
 * input (a connection, Ctrl-C), holding the vCPU for GDB as long as GDB says;
 * core_gdb_request takes EXIT_REQ_DEBUG (the all-stop stub's set from the control
 * region); core_gdb_debug_exit reports an ARM_EXIT_DEBUG (to the local GDB, or to the
 * coordinator); core_gdb_waiting: a report to the coordinator is not let go yet (run no
 * guest code). */
int core_gdb_open(struct core *c, const char *host, const char *port);
void core_gdb_turn(struct core *c);
void core_gdb_request(struct core *c);
void core_gdb_debug_exit(struct core *c);
bool core_gdb_waiting(struct core *c);

/* board.c: the GIC, the generic timer and events, from inside the vCPU process. */
int core_board_init(struct core *c);
void core_kick(struct core *c, uint32_t mask);
/* Whether pa is in one of the GIC's windows, and an access there (false: the CPU
 * takes an external abort). */
bool core_gic_window(uint64_t pa);
bool core_gic_access(struct core *c, uint64_t pa, unsigned size, uint64_t *value, bool write);
uint64_t core_counter(void *opaque);
void core_timer_update(struct core *c);
void core_timer_changed(void *opaque);
void core_send_event(void *opaque);
bool core_wfi_wakes(struct core *c);
bool core_wfe_wakes(struct core *c);

/* coherence.c: this vCPU's side of the exclusive monitor's page watch and of broadcast
 * maintenance. core_enter before running guest code (flushes the TLB if a watch
 * happened since), core_leave after; core_watch_page is target-arm's env.watch_page
 * (the shootdown); core_maintain and core_dsb are env.maintain and env.dsb;
 * core_maint_take acts on the maintenance other vCPUs asked of this one. */
void core_enter(struct core *c);
void core_leave(struct core *c);
void core_watch_page(void *opaque, uint32_t ram_page);
void core_maintain(void *opaque, uint32_t what);
void core_dsb(void *opaque);
void core_maint_take(struct core *c);
void core_code_page(void *opaque, uint32_t ram_page);
void core_code_written(void *opaque, uint32_t ram_page, uint32_t mask);

/* crash.c: crash recovery (docs/operations.md). core_crash_init installs the
 * fatal-signal handler that leaves the report's facts in the control region;
 * core_take_crash_request acts on EXIT_REQ_CRASH (fault injection); the translate
 * hooks mark a translation in progress and choose step mode for pcs that crashed it. */
int core_crash_init(struct core *c);
void core_take_crash_request(struct core *c);
bool core_translate_begin(void *opaque, uint32_t pc, uint32_t phys_pc);
void core_translate_end(void *opaque);

/* hostdebug.c: host gdb on this process (docs/debugging.md). core_this is the
 * process's vCPU (for the crash handler and gdb); core_wait_attach waits, serving what
 * other vCPUs need through serve (true: the process must end), until a debugger
 * attaches or sets core_attach_go; core_debug_block_text is for gdb to call. */
extern struct core *core_this;
extern volatile int core_attach_go;
void core_wait_attach(struct core *c, bool (*serve)(void *arg));
const char *core_debug_block_text(void);

/* vcpu.c: the CPU's window on the machine: device accesses over the rings, PSCI. */
struct arm_cpu *core_cpu_new(struct core *c);
void core_on_mmio_data(struct core *c, const struct msg_mmio_data *d);
/* Device writes are posted; an interrupt they lower or raise must be seen by the GIC
 * before this CPU's next GIC access, as on qemu where a write is done when it returns.
 * Waits, if writes were posted since the last reply, for the coordinator to answer a
 * PING (ring order: it has then taken them all and passed their interrupts on). */
void core_sync_devices(struct core *c);
void core_on_pong(struct core *c, const struct msg_pong *p);
/* PSCI CPU_ON reached this CPU (EXIT_REQ_POWER): start at the entry it was given. */
void core_power_on(struct core *c);

#endif

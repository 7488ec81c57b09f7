/* The GDB stub's protocol engine (docs/debugging.md), shared by the per-vCPU stub in a
 * vCPU process (core-proc/gdbstub.c) and the all-stop stub of the whole machine in the
 * coordinator (coordinator/gdb.c). It takes the bytes GDB sends (util/rsp.h framing),
 * answers the packets it can from what its backend gives it (registers, memory, points,
 * run control), and formats stop replies. Packets: ?, qSupported, qXfer:features:read
 * (target.xml: org.gnu.gdb.arm.core, so 'g' is r0-r15 and cpsr), qAttached, qC,
 * qfThreadInfo/qsThreadInfo, qThreadExtraInfo, QStartNoAckMode, H, T, g, G, p, P, m, M,
 * X, Z0-Z4, z0-z4, c, s, vCont, D, k, vKill; anything else gets the empty reply. Threads
 * are the vCPUs, numbered from 1. */
#ifndef PERCORE_UTIL_GDB_H
#define PERCORE_UTIL_GDB_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "target-arm/arm.h"
#include "util/rsp.h"

#define GDB_NREGS       17u /* r0-r15, cpsr: the order of 'g' */
#define GDB_CPSR_REGNUM 25u /* cpsr's number in 'p'/'P' (as in GDB's arm-core.xml) */
#define GDB_MAX_THREADS 8u
#define GDB_SIGINT      2u
#define GDB_SIGTRAP     5u

/* A thread's part in a resume (vCont): stays stopped, continues, or steps. */
enum gdb_action { GDB_STAY, GDB_CONTINUE, GDB_STEP };

/* Why the target stopped: signal (SIGTRAP, SIGINT), thread, and for SIGTRAP the CPU's
 * debug stop (breakpoint type, watchpoint type and data address). */
struct gdb_stop {
    unsigned signal, tid;
    struct arm_debug_stop why;
};

struct gdb_ops {
    /* How many threads there are (ids 1..n) and whether one is alive. */
    unsigned (*threads)(void *ctx);
    bool (*alive)(void *ctx, unsigned tid);
    /* A thread's registers, in 'g' order; writes one (index in 'g' order). */
    bool (*read_regs)(void *ctx, unsigned tid, uint32_t regs[GDB_NREGS]);
    bool (*write_reg)(void *ctx, unsigned tid, unsigned index, uint32_t value);
    /* Memory as thread tid sees it: the bytes done. */
    size_t (*access)(void *ctx, unsigned tid, uint32_t addr, uint8_t *buf, size_t len,
                     bool write);
    /* Inserts or removes a point (enum arm_point_type): false on failure. */
    bool (*point)(void *ctx, bool insert, unsigned type, uint32_t addr, uint32_t len);
    /* Resumes: action[tid - 1] for each thread. The backend later calls gdb_stopped. */
    void (*resume)(void *ctx, const enum gdb_action action[GDB_MAX_THREADS]);
    /* 0x03 while the target runs: stop it (then gdb_stopped with GDB_SIGINT). */
    void (*interrupt)(void *ctx);
    /* D: every point removed, the target runs on, the connection is closed by the
     * caller of gdb_input. k: the machine (or this vCPU's stub) goes away. */
    void (*detach)(void *ctx);
    void (*kill)(void *ctx);
    /* Bytes to GDB. */
    void (*write)(void *ctx, const void *data, size_t len);
};

struct gdb {
    const struct gdb_ops *ops;
    void *ctx;
    struct rsp_parser rx;
    GString *out, *last; /* what goes out at the end of gdb_input; the last packet sent */
    bool running;        /* resumed, no stop reported since */
    bool no_ack;         /* QStartNoAckMode */
    bool swbreak, hwbreak; /* GDB takes these stop reasons (qSupported) */
    unsigned g_tid, c_tid; /* H g / H c: 0 means the stopped thread */
    unsigned first_cpu;    /* the vCPU index of thread 1 (for qThreadExtraInfo) */
    struct gdb_stop stop;  /* the last stop */
};

void gdb_init(struct gdb *g, const struct gdb_ops *ops, void *ctx, unsigned first_tid);
void gdb_free(struct gdb *g);
/* Bytes from GDB. False when the session is over (D, k): the caller closes. */
bool gdb_input(struct gdb *g, const uint8_t *data, size_t len);
/* The target stopped: the stop reply goes out if GDB waits for one (it resumed). */
void gdb_stopped(struct gdb *g, const struct gdb_stop *s);

/* A register file in 'g' order, and a write of one register of it (index in 'g' order; the
 * pc stays word aligned, a CPSR write switches the banks as arm_debug_write_cpsr does). */
void gdb_regs_get(const struct arm_regs *r, uint32_t regs[GDB_NREGS]);
void gdb_reg_set(struct arm_regs *r, unsigned index, uint32_t value);
/* Writes all of data to a stream socket (waiting for room if it is non-blocking); false
 * when the peer is gone. */
bool gdb_send_all(int fd, const void *data, size_t len);

/* The option's address: "tcp::PORT" or "tcp:HOST:PORT" (qemu's -gdb syntax). *host is
 * NULL for the loopback address; both are g_free'd by the caller. False: not that form. */
bool gdb_parse_tcp(const char *spec, char **host, char **port);
/* A listening TCP socket (non-blocking, close-on-exec, SO_REUSEADDR) on host (NULL:
 * 127.0.0.1) and port (0: any free one); *bound is the port it got. -errno, *why set
 * (g_free it). */
int gdb_listen(const char *host, const char *port, unsigned *bound, char **why);
/* The stop the all-stop stub's vCPUs pass through the control region: the debugger's
 * set for this vCPU (written by the coordinator under a sequence lock: odd while it
 * writes), and the count of debug stops the vCPU reported and of those the coordinator
 * let go (a vCPU that reported waits until they are equal). Lives in struct ctrl_cpu's
 * debug[] area. */
struct gdb_cpu_area {
    _Atomic uint32_t seq;
    _Atomic uint32_t reported;
    _Atomic uint32_t resumed;
    uint32_t pad;
    struct arm_debug_set set;
};
_Static_assert(sizeof(struct gdb_cpu_area) <= CPU_DEBUG_AREA, "gdb area fits the vCPU block");
static inline struct gdb_cpu_area *gdb_area(struct ctrl_cpu *cpu)
{
    return (struct gdb_cpu_area *)(void *)cpu->debug;
}
/* Coordinator: writes set into the area (the vCPU takes it at EXIT_REQ_DEBUG). */
void gdb_area_write(struct gdb_cpu_area *a, const struct arm_debug_set *set);
/* vCPU: a consistent copy of the area's set. */
void gdb_area_read(struct gdb_cpu_area *a, struct arm_debug_set *set);

#endif

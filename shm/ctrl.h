/* The control region: one shared-memory object per machine that every process maps.
 * It holds the header, the endpoint table (one entry per process: the vCPUs, then
 * the coordinator), one block per vCPU (run state, exit-request word, architectural
 * register file, counters) and the ring matrix (one SPSC ring per ordered pair of
 * endpoints). The layout is fixed for CTRL_MAX_CPUS and pinned by assertions below;
 * any change to it bumps CTRL_LAYOUT_VERSION. */
#ifndef PERCORE_SHM_CTRL_H
#define PERCORE_SHM_CTRL_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/ring.h"

#define CTRL_MAGIC          0x45524f4352455000ull /* "\0PERCORE" little-endian */
#define CTRL_LAYOUT_VERSION 5u
#define CTRL_MAX_CPUS       8u
/* Endpoints 0..CTRL_MAX_CPUS-1 are vCPUs; the coordinator is the last one. */
#define CTRL_EP_COORD   CTRL_MAX_CPUS
#define CTRL_MAX_EPS    (CTRL_MAX_CPUS + 1u)
#define CTRL_RING_SLOTS RING_MAX_SLOTS

/* vCPU run states: X(enum suffix, name). */
#define CPU_STATES(X)                                                                              \
    X(OFF, "off")                                                                                  \
    X(RUNNING, "running")                                                                          \
    X(WFI, "wfi")                                                                                  \
    X(WFE, "wfe")                                                                                  \
    X(STOPPED, "stopped")                                                                          \
    X(CRASHED, "crashed")

enum cpu_run_state {
#define CPU_STATE_ENUM(id, name) CPU_##id,
    CPU_STATES(CPU_STATE_ENUM)
#undef CPU_STATE_ENUM
        CPU_STATE_COUNT
};
const char *cpu_state_name(unsigned state);

/* Bits of a vCPU's exit-request word: why it must leave translated code at the
 * next block boundary. Whoever sets a bit then notifies the vCPU's doorbell. */
enum cpu_exit_request {
    EXIT_REQ_MSG = 1u << 0,   /* messages are waiting on its rings */
    EXIT_REQ_QUIT = 1u << 1,  /* the machine is stopping: exit the process */
    EXIT_REQ_SELF = 1u << 2,  /* the vCPU itself leaves its run loop (PSCI, I/O wait) */
    EXIT_REQ_IRQ = 1u << 3,   /* its GIC output line rose: check for an interrupt */
    EXIT_REQ_TIMER = 1u << 4, /* a generic-timer deadline passed: update the timer PPIs */
    EXIT_REQ_POWER = 1u << 5, /* PSCI CPU_ON for it: power on at boot_entry */
    EXIT_REQ_TLB = 1u << 6,   /* the watch epoch moved: leave guest code (and flush) */
    EXIT_REQ_MAINT = 1u << 7, /* broadcast maintenance (maint_req) to act on */
    EXIT_REQ_HOLD = 1u << 8,  /* stop-the-world: park at the block boundary (hold) */
    EXIT_REQ_CRASH = 1u << 9, /* fault injection armed (crash.inject): a test's crash */
    EXIT_REQ_DEBUG = 1u << 10, /* the guest debugger changed this vCPU's debug state */
};

/* What broadcast maintenance asks a vCPU to drop (its maint_req word). */
enum cpu_maint {
    MAINT_CODE = 1u << 0, /* translated code: ICIALLUIS, ICIMVAU */
    MAINT_TLB = 1u << 1,  /* TLB entries: TLBIALLIS, TLBIMVAIS, TLBIASIDIS, TLBIMVAAIS */
};

/* PSCI power states of a vCPU, the values AFFINITY_INFO returns (DEN 0022, 5.7). */
enum cpu_power {
    CPU_POWER_ON = 0,
    CPU_POWER_OFF = 1,
    CPU_POWER_ON_PENDING = 2,
};

/* ARM banked-register sets (ARM ARM B1.3.2): USR/SYS share one. */
enum arm_bank {
    BANK_USR,
    BANK_SVC,
    BANK_ABT,
    BANK_UND,
    BANK_IRQ,
    BANK_FIQ,
    BANK_HYP,
    BANK_MON,
    BANK_COUNT
};

/* CP15 system registers (ARM ARM B4.1). Grows with the CPU core; the spare words
 * keep the block size fixed while it does. */
struct arm_cp15 {
    uint32_t midr, mpidr;
    uint32_t sctlr, actlr, cpacr;
    uint32_t ttbr0_lo, ttbr0_hi, ttbr1_lo, ttbr1_hi, ttbcr, dacr;
    uint32_t dfsr, ifsr, dfar, ifar;
    uint32_t prrr, nmrr, vbar, contextidr;
    uint32_t tpidrurw, tpidruro, tpidrprw;
    uint32_t csselr, mvbar, scr, nsacr;
    uint32_t pmcr, pmcntenset, pmovsr, pmselr, pmuserenr, pmintenset;
    uint32_t par, par_hi;
    uint32_t mrrc_hi; /* the high word of the last MRRC read (a helper returns one word) */
    /* The generic timer (ARM ARM B8): frequency, PL0 controls, the physical and
     * virtual timers' controls and 64-bit compare values, the virtual offset. */
    uint32_t cntfrq, cntkctl, cntp_ctl, cntv_ctl;
    uint32_t cntp_cval_lo, cntp_cval_hi, cntv_cval_lo, cntv_cval_hi;
    uint32_t cntvoff_lo, cntvoff_hi;
    uint32_t teecr, teehbr; /* ThumbEE (CP14, opc1 6): ID_PFR0 advertises it */
    uint32_t dbgdscr;       /* DBGDSCRext, the debug status and control register */
    uint32_t spare[80];
};
_Static_assert(sizeof(struct arm_cp15) == 512, "cp15 block size");

/* The architectural register file, exact at every block boundary (invariant 2).
 * r[] is the view of the current mode; the banked copies hold the other modes'.
 * The condition flags live in their own words, in the form the translator computes
 * them cheaply (N = bit 31 of nf, Z = (zf == 0), C = cf, V = bit 31 of vf, Q = qf,
 * GE = ge[3:0]); cpsr holds every other CPSR bit. arm_regs_cpsr() puts them together. */
struct arm_regs {
    uint32_t r[16];
    uint32_t cpsr; /* mode, T, E, A, I, F, IT, J; the flag bits are kept clear */
    uint32_t spsr; /* the current mode's SPSR (unused in USR/SYS) */
    uint32_t nf, zf, cf, vf, qf, ge;
    /* The local exclusive monitor (ARM ARM A3.4): address and size of the marked
     * block, the value LDREX read (for LDREXD, two words), open or exclusive. */
    uint32_t excl_addr, excl_size, excl_val_lo, excl_val_hi, excl_open;
    uint32_t banked_r13[BANK_COUNT];
    uint32_t banked_r14[BANK_COUNT];
    uint32_t banked_spsr[BANK_COUNT];
    uint32_t usr_r8_12[5]; /* r8-r12 of every mode but FIQ, while in FIQ */
    uint32_t fiq_r8_12[5]; /* FIQ's r8-r12, while not in FIQ */
    uint32_t elr_hyp;
    uint32_t fpscr, fpexc; /* VFP system registers (the D registers come with VFP) */
    uint32_t excl_seq;     /* the global monitor's sequence number LDREX saw */
    uint32_t spare[61];
    struct arm_cp15 cp15;
};
_Static_assert(offsetof(struct arm_regs, cp15) == 512, "arm_regs layout");
_Static_assert(sizeof(struct arm_regs) == 1024, "arm_regs size");

#define CPSR_FLAG_BITS 0xf80f0000u /* N Z C V Q and GE[3:0] */

/* The CPSR as the architecture defines it. */
static inline uint32_t arm_regs_cpsr(const struct arm_regs *r)
{
    return (r->cpsr & ~CPSR_FLAG_BITS) | (r->nf & 0x80000000u) | ((r->zf == 0) << 30) |
           ((r->cf & 1) << 29) | ((r->vf >> 31) << 28) | ((r->qf & 1) << 27) |
           ((r->ge & 0xf) << 16);
}

/* Stores a whole CPSR value's flags and other bits (no mode change: see target-arm). */
static inline void arm_regs_set_cpsr_bits(struct arm_regs *r, uint32_t v)
{
    r->cpsr = v & ~CPSR_FLAG_BITS;
    r->nf = v & 0x80000000u;
    r->zf = !(v & 0x40000000u);
    r->cf = (v >> 29) & 1;
    r->vf = (v & 0x10000000u) << 3;
    r->qf = (v >> 27) & 1;
    r->ge = (v >> 16) & 0xf;
}

/* Exit-request causes counted per bit of the word (enum cpu_exit_request). */
#define CPU_EXIT_CAUSES 16u

struct cpu_counters {
    _Atomic uint64_t blocks;
    _Atomic uint64_t insns;
    _Atomic uint64_t translations; /* blocks translated */
    _Atomic uint64_t tlb_misses;
    _Atomic uint64_t code_invalidations; /* blocks dropped because their code changed */
    _Atomic uint64_t msgs_in;
    _Atomic uint64_t msgs_out;
    _Atomic uint64_t wakeups;          /* returns from a doorbell wait */
    _Atomic uint64_t exits;            /* exit requests taken */
    _Atomic uint64_t watch_shootdowns; /* pages this vCPU's LDREX marked (a TLB shootdown) */
    _Atomic uint64_t restarts;         /* new processes started for this vCPU after a crash */
    uint64_t spare[5];
    _Atomic uint64_t exit_cause[CPU_EXIT_CAUSES]; /* exit requests taken, per bit */
};
_Static_assert(sizeof(struct cpu_counters) == 256, "counters size");

/* Crash recovery (docs/operations.md). The vCPU process marks a translation in progress
 * (translating, translating_pc) so that a crash there is known to have happened before
 * the block ran; its fatal-signal handler leaves the signal, the faulting host address
 * and a host backtrace here for the coordinator's report. The coordinator arms fault
 * injection (inject, with EXIT_REQ_CRASH) and lists the guest pcs a restarted process
 * must step through instead of translating as blocks (a translation that crashed twice). */
#define CPU_CRASH_BT      24u
#define CPU_CRASH_STEPPCS 8u
enum cpu_inject {
    INJECT_NONE = 0,
    INJECT_EXEC = 1,             /* SIGSEGV at the next block boundary */
    INJECT_TRANSLATE = 2,        /* SIGSEGV in the next translation, before its block runs */
    INJECT_TRANSLATE_STICKY = 3, /* every translation of that block's pc, in every process */
    INJECT_EXEC_STICKY = 4,      /* at every block boundary, in every process: a crash loop */
};
struct cpu_crash {
    _Atomic uint32_t translating; /* 1 while a block is being translated */
    uint32_t translating_pc;
    _Atomic uint32_t inject;  /* enum cpu_inject, armed by the coordinator */
    uint32_t inject_pc;       /* INJECT_TRANSLATE_STICKY: the pc it fires on (set on first) */
    uint32_t n_step;          /* step_pc[0..n_step) are never translated as blocks */
    uint32_t step_pc[CPU_CRASH_STEPPCS];
    int32_t signal;           /* the fatal signal the handler saw (0: none recorded) */
    uint32_t n_bt;            /* host backtrace frames */
    uint32_t spare0;
    uint64_t fault_addr;      /* si_addr */
    uint64_t host_pc;         /* where the host faulted */
    uint64_t exe_base;        /* percore-cpu's load address, to resolve bt[] offline */
    uint64_t bt[CPU_CRASH_BT];
    /* The guest block the crash happened in: the one being translated or the last one
     * run (block_insns 0: not known yet, the translation had not finished). */
    uint32_t block_pc, block_phys, block_insns;
    uint32_t spare1;
    uint64_t exe_end; /* the end of percore-cpu's text: bt[] beyond it are libraries' */
    char spare[80];
};
_Static_assert(sizeof(struct cpu_crash) == 384, "crash block size");

/* The guest debugger's per-vCPU state (docs/debugging.md) lives in the last 2 KiB of the
 * vCPU block: see core-proc's gdbstub. */
#define CPU_DEBUG_AREA 2048u

struct ctrl_cpu {
    alignas(64) _Atomic uint32_t run_state;
    _Atomic uint32_t exit_request;
    uint32_t index;
    _Atomic uint32_t power; /* enum cpu_power: who may power it on (PSCI CPU_ON) */
    _Atomic uint32_t event; /* the WFE event register (ARM ARM B1.8.13): SEV sets it */
    uint32_t boot_entry;    /* CPU_ON's entry point and context id, for the target */
    uint32_t boot_ctx;
    /* The exclusive monitor's page watch (docs/memory-model.md): inside is 1 while the
     * vCPU runs guest code; seen_epoch is the watch epoch its TLB was last flushed for. */
    _Atomic uint32_t inside;
    _Atomic uint32_t seen_epoch;
    /* Broadcast maintenance for this vCPU (docs/memory-model.md): what to drop
     * (enum cpu_maint bits), the requests' count, and the last count it has acted on. */
    _Atomic uint32_t maint_req;
    _Atomic uint32_t maint_seq;
    _Atomic uint32_t maint_ack;
    /* Stop-the-world (shm/stw.h): the coordinator's hold request (a generation, 0: none)
     * and the generation this vCPU acknowledged, parked at a block boundary. */
    _Atomic uint32_t hold;
    _Atomic uint32_t held;
    char pad0[8];
    alignas(64) struct arm_regs regs;
    struct cpu_counters counters;
    struct cpu_crash crash;
    char pad1[4096 - 64 - 1024 - 256 - 384 - CPU_DEBUG_AREA];
    alignas(64) uint8_t debug[CPU_DEBUG_AREA];
};
_Static_assert(sizeof(struct ctrl_cpu) == 4096, "vCPU block is one page");
_Static_assert(offsetof(struct ctrl_cpu, regs) == 64, "vCPU block layout");

/* One per process. sleeping is the doorbell protocol's flag (doorbell.h);
 * alive is cleared by the coordinator when the process dies, so nobody waits on it. */
struct ctrl_endpoint {
    _Atomic int32_t pid;
    _Atomic uint32_t alive;
    _Atomic uint32_t sleeping;
    uint32_t spare0;
    _Atomic uint64_t doorbells; /* doorbell writes aimed at this endpoint */
    char pad[40];
};
_Static_assert(sizeof(struct ctrl_endpoint) == 64, "endpoint size");

/* A window of guest-physical space served by a device model, and by whom. A vCPU
 * sends accesses inside a window to its owner; an access outside RAM and outside
 * every window is an external abort, decided locally. */
#define CTRL_MAX_MMIO 16u
struct ctrl_mmio_window {
    uint64_t base, size;
    uint32_t owner; /* endpoint index: CTRL_EP_COORD for the coordinator's devices */
    uint32_t flags;
};

struct ctrl_header {
    uint64_t magic;
    uint32_t version;
    uint32_t ncpus;
    uint64_t ram_base;
    uint64_t ram_size;
    uint64_t region_size;
    int32_t coord_pid;
    uint32_t ring_slots;
    uint64_t ring_offset; /* of ring (0, 0); ring (s, d) at + (s * MAX_EPS + d) * stride */
    uint64_t ring_stride;
    uint32_t n_mmio;
    _Atomic uint32_t watch_epoch; /* bumped by each page-watch shootdown */
    /* CLOCK_MONOTONIC at machine start: the generic timer's count is the time since,
     * so every process reads the same counter (62.5 MHz: one tick per 16 ns). */
    uint64_t counter_epoch_ns;
    struct ctrl_mmio_window mmio[CTRL_MAX_MMIO];
    char pad[4096 - 80 - CTRL_MAX_MMIO * 24];
};
_Static_assert(sizeof(struct ctrl_header) == 4096, "header is one page");

/* Bytes kept for the interrupt controller's shared state (hw/gic.h's struct gic_state,
 * which asserts that it fits). */
#define CTRL_GIC_BYTES 16384u

/* The global exclusive monitor (docs/memory-model.md): a word per bucket of reservation
 * granules, its low half a sequence number (even: free; odd: a store in progress, by the
 * vCPU whose index + 1 is in the high half), and per RAM page whether exclusives use it
 * (stores there take the slow path, which bumps the sequence). */
#define CTRL_EXCL_BUCKETS  4096u
#define CTRL_EXCL_GRANULE  6u         /* log2 bytes: the Cortex-A15's ERG (CTR.ERG = 4 words) */
#define CTRL_MAX_RAM_PAGES (3u << 18) /* 3 GiB of 4 KiB pages: the most -m allows */
enum ctrl_watch { WATCH_NONE, WATCH_STARTING, WATCH_ON };
struct ctrl_excl {
    _Atomic uint64_t seq[CTRL_EXCL_BUCKETS];
    _Atomic uint8_t watch[CTRL_MAX_RAM_PAGES];
    /* Per RAM page, the vCPUs (bit n: vCPU n) that may hold translations of its code: a
     * store there by another vCPU has them dropped (docs/memory-model.md). */
    _Atomic uint8_t code[CTRL_MAX_RAM_PAGES];
};

struct ctrl {
    struct ctrl_header hdr;
    struct ctrl_endpoint ep[CTRL_MAX_EPS];
    alignas(4096) struct ctrl_cpu cpu[CTRL_MAX_CPUS];
    alignas(4096) unsigned char gic[CTRL_GIC_BYTES];
    alignas(4096) struct ctrl_excl excl;
    /* The ring matrix follows, page aligned. */
};
_Static_assert(offsetof(struct ctrl, ep) == 4096, "endpoint table offset");
_Static_assert(offsetof(struct ctrl, cpu) == 8192, "vCPU blocks offset");

/* Bytes of the whole control region (header, endpoints, vCPUs, rings). */
size_t ctrl_region_size(void);
/* Formats a fresh region of ctrl_region_size() bytes. */
void ctrl_init(struct ctrl *c, uint32_t ncpus, uint64_t ram_base, uint64_t ram_size);
/* Checks a mapped region (magic, version, sizes); 0 or -EPROTO with *why set. */
int ctrl_check(const struct ctrl *c, size_t mapped, const char **why);
/* Frees the exclusive-monitor buckets a dead vCPU held (a store it was making counts as
 * made: every reservation on them fails). Returns how many. */
unsigned ctrl_excl_recover(struct ctrl *c, unsigned dead);
/* The ring that carries messages from endpoint src to endpoint dst (src != dst). */
struct ring *ctrl_ring(struct ctrl *c, unsigned src, unsigned dst);

#endif

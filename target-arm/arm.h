/* target-arm/: the door. An ARMv7-A (Cortex-A15) vCPU: A32 decoded from pattern
 * tables into a small IR, blocks cached per process, run by the IR interpreter.
 * The architectural state is a struct arm_regs the caller owns (in a vCPU process,
 * the control region's copy, so it is exact at every block boundary); everything
 * else hangs off struct arm_cpu: there are no globals in target-arm/. */
#ifndef PERCORE_ARM_H
#define PERCORE_ARM_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/ctrl.h"

struct arm_cpu;

/* What the CPU needs from its process: memory and devices, firmware calls. */
struct arm_cpu_env {
    struct arm_regs *regs;
    uint8_t *ram;      /* host address of guest RAM */
    uint64_t ram_base; /* guest-physical address of ram[0] */
    uint64_t ram_size;
    /* A device access outside RAM. Returns false when nothing answers there
     * (the CPU takes an external abort). NULL: every such access aborts. */
    bool (*io_read)(void *opaque, uint64_t pa, unsigned size, uint64_t *value);
    bool (*io_write)(void *opaque, uint64_t pa, unsigned size, uint64_t value);
    /* HVC and SMC from a mode where the board's firmware takes them (PSCI).
     * Returns true when handled (r0-r3 updated); false makes the call UNDEFINED. */
    bool (*firmware_call)(void *opaque, struct arm_regs *regs, bool smc);
    void *opaque;
    _Atomic uint32_t *exit_request; /* non-zero: leave at the next block boundary */
    /* The interrupt controller's output for this CPU (ARM_LINE_IRQ | ARM_LINE_FIQ),
     * read at every block boundary; NULL: no interrupts. */
    const _Atomic uint32_t *irq_line;
    /* The generic timer: the system counter (CNTPCT) now, and a call after every
     * write to a timer register so that the board can update the timer's interrupt
     * and its host deadline. NULL counter: the count stays 0. */
    uint64_t (*counter)(void *opaque);
    void (*timer_changed)(void *opaque);
    /* WFE/SEV (B1.8.13): this CPU's event register, and SEV's broadcast (which
     * sets every CPU's, this one's included). NULL: WFE waits like WFI. */
    _Atomic uint32_t *event;
    void (*send_event)(void *opaque);
    /* The global exclusive monitor (A3.4), shared by every vCPU of the machine (the
     * control region's struct ctrl_excl); NULL: this CPU keeps a private one. excl_owner
     * is this vCPU's index. watch_page is called when this CPU's LDREX is the first on a
     * RAM page (ram_page counts from the RAM base) and returns once no other vCPU can
     * store there without the slow path; NULL: there is nobody else. */
    struct ctrl_excl *excl;
    unsigned excl_owner;
    void (*watch_page)(void *opaque, uint32_t ram_page);
    /* Broadcast maintenance (B2.2.4, B3.10.3): maintain(opaque, what) asks every other
     * vCPU to drop what (MAINT_CODE, MAINT_TLB); dsb(opaque) returns once every such
     * request this vCPU made has been acted on (a DSB's completion). NULL: no others. */
    void (*maintain)(void *opaque, uint32_t what);
    void (*dsb)(void *opaque);
    /* The shared code map (excl->code): code_page when this vCPU starts holding code
     * from a RAM page (the others must route their stores there through the slow path),
     * code_written when it stored into a page the vCPUs of mask hold code from (they
     * must drop it). NULL: there are no others. */
    void (*code_page)(void *opaque, uint32_t ram_page);
    void (*code_written)(void *opaque, uint32_t ram_page, uint32_t mask);
    /* Crash recovery: translate_begin(opaque, pc, phys_pc) before a block is translated,
     * returning true when the block must be built in step mode (one instruction, for a
     * pc whose translation crashed the process before); translate_end after. NULL: none. */
    bool (*translate_begin)(void *opaque, uint32_t pc, uint32_t phys_pc);
    void (*translate_end)(void *opaque);
    const char *log_tag;
};

enum arm_exit_reason {
    ARM_EXIT_REQUEST, /* *exit_request became non-zero */
    ARM_EXIT_WFI,     /* the vCPU executed WFI and waits for an interrupt */
    ARM_EXIT_WFE,     /* the vCPU executed WFE with its event register clear */
    ARM_EXIT_HALTED,  /* the vCPU cannot go on (reason logged) until reset */
    ARM_EXIT_BUDGET,  /* ran the requested number of blocks */
    ARM_EXIT_DEBUG,   /* a breakpoint, watchpoint or step stopped it (arm_cpu_debug_stop) */
};

struct arm_cpu *arm_cpu_new(const struct arm_cpu_env *env);
void arm_cpu_free(struct arm_cpu *cpu);
/* Architectural reset of the register file (ARM ARM B1.9.2): what a powered-on
 * Cortex-A15 holds. Needs no vCPU object: the coordinator resets register files too. */
void arm_regs_reset(struct arm_regs *r, uint32_t mpidr);
/* arm_regs_reset, and every cache of the vCPU dropped. */
void arm_cpu_reset(struct arm_cpu *cpu, uint32_t mpidr);
/* Runs blocks until an exit reason; max_blocks 0 means no limit. */
enum arm_exit_reason arm_cpu_run(struct arm_cpu *cpu, uint64_t max_blocks);
/* Drops every translation (I-cache invalidation, reset, code writes by others). */
void arm_cpu_flush_code(struct arm_cpu *cpu);
/* Drops every TLB entry: the next access to each page looks at its mapping (and its
 * watch state) again. Safe between blocks and from inside a helper. */
void arm_cpu_flush_tlb(struct arm_cpu *cpu);
/* Drops the translations of one RAM page (another vCPU wrote it). Safe from anywhere:
 * a block that is running finishes. */
void arm_cpu_invalidate_code_page(struct arm_cpu *cpu, uint32_t ram_page);
/* Drops every translation at the next block boundary (safe from inside a helper: the
 * running block finishes, as fetched instructions do until a context synchronization). */
void arm_cpu_flush_code_soon(struct arm_cpu *cpu);

struct arm_cpu_stats {
    uint64_t blocks, insns, translations, tlb_misses, code_invalidations, chained;
};
void arm_cpu_stats(const struct arm_cpu *cpu, struct arm_cpu_stats *out);
/* The block the CPU ran last (or runs now): its virtual and physical pc and length.
 * False before the first block. For crash reports: it only reads the CPU. */
bool arm_cpu_last_block(const struct arm_cpu *cpu, uint32_t *pc, uint32_t *phys_pc,
                        unsigned *n_insns);

/* A32 disassembly (capstone) of n_insns little-endian words at pc, one line of text
 * each ("0x%08x:  WORD  mnemonic operands") to line(arg, text); *handle is opened on
 * first use (0 before) and freed by arm_disas_close. The name of a CPSR mode. */
void arm_disas(uintptr_t *handle, uint32_t pc, const uint8_t *code, unsigned n_insns,
               void (*line)(void *arg, const char *text), void *arg);
void arm_disas_close(uintptr_t *handle);
/* The same for code in guest RAM (ram holds [ram_base, ram_base + ram_size)): n_insns
 * words at physical phys, shown at pc, appended to out one line each after indent.
 * False (nothing appended) when they are not all in RAM. For crash reports and gdb. */
struct _GString;
bool arm_disas_ram(struct _GString *out, const char *indent, const uint8_t *ram,
                   uint64_t ram_base, uint64_t ram_size, uint32_t pc, uint32_t phys,
                   unsigned n_insns);
const char *arm_mode_name(uint32_t mode);

/* The guest debugger (target-arm/debug.c; docs/debugging.md). A set of breakpoints
 * (pcs, checked before each instruction), watchpoints (data address ranges, checked by
 * every access once it is done) and a single-step request. While a set is not empty the
 * CPU runs one-instruction blocks (cached apart from the normal ones) and stops with
 * ARM_EXIT_DEBUG; with an empty set the normal blocks run untouched. Point types are the
 * GDB remote protocol's Z types. The set is plain data, so that it can live in the
 * control region too (the all-stop stub hands it to every vCPU there). */
#define ARM_DEBUG_MAX_BREAK 64u
#define ARM_DEBUG_MAX_WATCH 16u
enum arm_point_type {
    ARM_POINT_SW = 0,     /* software breakpoint (Z0), kept as a pc check, not a BKPT */
    ARM_POINT_HW = 1,     /* hardware breakpoint (Z1): the same mechanism */
    ARM_POINT_WRITE = 2,  /* write watchpoint (Z2) */
    ARM_POINT_READ = 3,   /* read watchpoint (Z3) */
    ARM_POINT_ACCESS = 4, /* access watchpoint (Z4) */
};
struct arm_point {
    uint32_t type, addr, len;
};
struct arm_debug_set {
    uint32_t n_break, n_watch;
    uint32_t step; /* non-zero: stop after the next instruction */
    uint32_t pad;
    struct arm_point brk[ARM_DEBUG_MAX_BREAK];
    struct arm_point watch[ARM_DEBUG_MAX_WATCH];
};
/* Adds or removes a point: false when the set is full, the type or length is not one
 * this CPU takes, or (removal) there is no such point. */
bool arm_debug_add(struct arm_debug_set *s, unsigned type, uint32_t addr, uint32_t len);
bool arm_debug_remove(struct arm_debug_set *s, unsigned type, uint32_t addr, uint32_t len);
/* Makes s the CPU's set (copied); between blocks only. */
void arm_cpu_set_debug(struct arm_cpu *cpu, const struct arm_debug_set *s);
/* Why the CPU last stopped with ARM_EXIT_DEBUG. A step request is spent by its stop. */
enum arm_debug_cause { ARM_DEBUG_NONE, ARM_DEBUG_BREAK, ARM_DEBUG_WATCH, ARM_DEBUG_STEP };
struct arm_debug_stop {
    uint32_t cause; /* enum arm_debug_cause */
    uint32_t type;  /* the point's type (BREAK, WATCH) */
    uint32_t addr;  /* the pc (BREAK), the data address in the watched range (WATCH) */
};
struct arm_debug_stop arm_cpu_debug_stop(const struct arm_cpu *cpu);
/* The debugger's view of memory: len bytes at va as the guest sees them with the
 * registers r, privileged, through a page-table walk that takes no fault and fills no
 * TLB; RAM only (a device is not touched). Returns the bytes done: it stops at the first
 * one that is unmapped or not RAM. A write calls written(opaque, ram_page) for each RAM
 * page it changed, so that translations of it go. */
struct arm_debug_mem {
    uint8_t *ram;
    uint64_t ram_base, ram_size;
    void (*written)(void *opaque, uint32_t ram_page);
    void *opaque;
};
size_t arm_debug_access(const struct arm_regs *r, const struct arm_debug_mem *m, uint32_t va,
                        uint8_t *buf, size_t len, bool write);
/* The same for this CPU (its registers and RAM; a write drops the page's translations
 * here and in every other vCPU holding them). */
size_t arm_cpu_debug_access(struct arm_cpu *cpu, uint32_t va, uint8_t *buf, size_t len,
                            bool write);

/* A debugger's write of the CPSR: a valid mode change switches the banked registers as
 * an exception would; an invalid mode field leaves the mode as it was. */
void arm_debug_write_cpsr(struct arm_regs *r, uint32_t value);

/* VMSAv7 short-descriptor translation (mmu.c) of va with the registers r, walking tables
 * in ram (ram_size bytes at guest-physical ram_base). 0, or the fault's FSR value. */
struct mmu_result {
    uint32_t pa;
    bool read, write, exec;
    uint8_t domain;
    bool section;
};
int mmu_walk(const struct arm_regs *r, const uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
             uint32_t va, bool user, struct mmu_result *out);

/* Interrupt lines into the CPU. */
#define ARM_LINE_IRQ 1u
#define ARM_LINE_FIQ 2u
/* CPSR mask bits (B1.3.3) the board looks at to know what wakes a WFE. */
#define ARM_CPSR_F (1u << 6)
#define ARM_CPSR_I (1u << 7)

/* The generic timer's two timers a PL1-only core has (B8.1.5), and their PPIs on the
 * virt board's GIC. */
enum arm_timer { ARM_TIMER_PHYS, ARM_TIMER_VIRT, ARM_TIMER_COUNT };
#define ARM_TIMER_FREQ     62500000u /* CNTFRQ at reset, as qemu-system-arm's */
#define ARM_TIMER_PPI_PHYS 30u       /* non-secure physical timer */
#define ARM_TIMER_PPI_VIRT 27u
/* A timer's interrupt output with the system counter at cntpct: enabled, not masked
 * and its count at or past the compare value. *deadline is the counter value at which
 * it will assert (UINT64_MAX: never, or it already does). */
bool arm_timer_output(const struct arm_regs *r, enum arm_timer t, uint64_t cntpct,
                      uint64_t *deadline);

/* CPSR modes (ARM ARM B1.3.1). */
enum arm_mode {
    ARM_MODE_USR = 0x10,
    ARM_MODE_FIQ = 0x11,
    ARM_MODE_IRQ = 0x12,
    ARM_MODE_SVC = 0x13,
    ARM_MODE_MON = 0x16,
    ARM_MODE_ABT = 0x17,
    ARM_MODE_HYP = 0x1a,
    ARM_MODE_UND = 0x1b,
    ARM_MODE_SYS = 0x1f,
};

#endif

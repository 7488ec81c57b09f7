/* target-arm internals: the vCPU context, the IR, blocks, the softmmu TLB. */
#ifndef PERCORE_ARM_INTERNAL_H
#define PERCORE_ARM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target-arm/arm.h"

/* ---- IR ----
 * A block is a straight list of ops over 32-bit temporaries; guest registers are
 * loaded from and stored to the register file by offset (LDENV/STENV). Flag-setting
 * arithmetic is one op each (ADDS...), so the interpreter dispatches once per ARM
 * operation rather than once per bit of flag logic. */
#define IR_OPS(X)                                                                                  \
    X(MOVI) /* d = imm */                                                                          \
    X(MOV)  /* d = a */                                                                            \
    X(ADDI)                                                                                        \
    X(ANDI)                                                                                        \
    X(ORI)                                                                                         \
    X(XORI) /* d = a op imm */                                                                     \
    X(SHLI)                                                                                        \
    X(SHRI)                                                                                        \
    X(SARI)                                                                                        \
    X(RORI)  /* d = a shifted by imm, 1 <= imm <= 31 */                                            \
    X(LDENV) /* d = regs word at byte offset aux */                                                \
    X(STENV) /* regs word at byte offset aux = a */                                                \
    X(ADD)                                                                                         \
    X(SUB)                                                                                         \
    X(AND)                                                                                         \
    X(OR)                                                                                          \
    X(XOR)                                                                                         \
    X(BIC)                                                                                         \
    X(MUL)                                                                                         \
    X(NOT)                                                                                         \
    X(LSL) X(LSR) X(ASR) X(ROR) /* d = a shifted by b[7:0], ARM register-shift rules */            \
        X(LSL_C) X(LSR_C) X(ASR_C) X(ROR_C) /* as above, c = carry out (C if b[7:0] == 0) */       \
        X(RRX)                              /* d = C:a[31:1] */                                    \
        X(RRX_C)                            /* d = a[0] */                                         \
        X(ADC) X(SBC)                       /* d = a + b + C, a - b - !C */                        \
        X(ADDS) X(SUBS) X(ADCS) X(SBCS)     /* as ADD/SUB/ADC/SBC, setting N Z C V */              \
        X(SETNZ)                            /* N, Z from a */                                      \
        X(SETNZC)                           /* N, Z from a; C from c */                            \
        X(SETNZ64)                          /* N, Z from the 64-bit value a (low), b (high) */     \
        X(MULU64)                           /* d:c = a * b unsigned (d low, c high) */             \
        X(MULS64)                           /* d:c = a * b signed */                               \
        X(ADD64)                            /* d:c = d:c + a:b */                                  \
        X(UDIV) X(SDIV) X(CLZ) X(REV) X(REV16) X(REVSH) X(RBIT) X(SEXT8) X(SEXT16) X(ZEXT8)        \
            X(ZEXT16) X(UBFX) X(SBFX) /* d = a[imm + aux - 1 : imm], zero or sign extended */      \
        X(BFI)                        /* d = a with bits [imm + aux - 1 : imm] from b */           \
        X(LD)                         /* d = memory at a; flags: MEMF_* */                         \
        X(ST)                         /* memory at a = b */                                        \
        X(BRCOND)                     /* when ARM condition (flags) fails, go to label aux */      \
        X(JMP)                        /* go to label aux */                                        \
        X(LABEL)                      /* label aux (no effect) */                                  \
        X(CALL)                       /* d = fn(cpu, a, b, c, imm); the helper may raise */        \
        X(INSN)                       /* a guest instruction at imm starts here */                 \
        X(EXIT)                       /* leave the block; regs.r[15] holds the next pc */          \
        X(GOTO)                       /* regs.r[15] = imm, then follow chain slot aux */

enum ir_opc {
#define IR_ENUM(name) IR_##name,
    IR_OPS(IR_ENUM)
#undef IR_ENUM
        IR_OPC_COUNT
};
const char *ir_opc_name(unsigned opc);

#define IR_NONE 0xff /* no temp */

/* Memory-op flags. */
enum {
    MEMF_SIZE_MASK = 3, /* log2 bytes: 0, 1, 2 */
    MEMF_SIGN = 1 << 2,
    MEMF_ALIGN = 1 << 3,   /* always aligned (LDM, LDRD, LDREX...): fault otherwise */
    MEMF_ALIGN_A = 1 << 4, /* aligned when SCTLR.A is set */
    MEMF_BE = 1 << 5,      /* big-endian data (CPSR.E) */
    MEMF_USER = 1 << 6,    /* unprivileged access (LDRT, or user mode) */
};

typedef uint32_t ir_helper_fn(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c,
                              uint32_t imm);

struct ir_op {
    uint8_t opc, d, a, b, c, flags;
    uint16_t aux;
    uint32_t imm;
    ir_helper_fn *fn;
};

#define IR_MAX_TEMPS  255 /* block-wide temps (IR_NONE is 255): blocks end before they run out */
#define IR_MAX_LABELS 128

/* ---- blocks ---- */
#define TB_MAX_INSNS   64
#define TB_FLUSH_LIMIT 65536 /* blocks before a full flush bounds the memory */
#define TB_HASH_BITS   14
#define TB_JMP_BITS    12

struct tb {
    uint32_t pc, phys_pc, flags;
    uint32_t size; /* guest bytes */
    uint16_t n_insns, n_ops;
    bool valid;
    struct ir_op *ops;
    struct tb *chain[2]; /* the next block, once found, for GOTO slot 0 and 1 */
    struct tb *hash_next, *page_next;
};

/* Translation-relevant state: the block cache key besides the pc. */
#define TBF_MODE_MASK 0x1fu
#define TBF_THUMB     (1u << 5)
#define TBF_BE        (1u << 6)
#define TBF_ONE       (1u << 7) /* a one-instruction block, for the debugger (debug.c) */

/* ---- softmmu TLB ---- */
#define PAGE_BITS 12
#define PAGE_SIZE (1u << PAGE_BITS)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define TLB_BITS  8
#define TLB_SIZE  (1u << TLB_BITS)
/* Low bits of a tag that force the slow path; a fast-path hit compares the whole tag. */
enum {
    TLB_INVALID = 1 << 0,
    TLB_IO = 1 << 1,    /* a device: every access goes to its owner */
    TLB_CODE = 1 << 2,  /* translated code lives here: writes invalidate it */
    TLB_WATCH = 1 << 3, /* watched page (exclusive monitor) */
    TLB_DEBUG = 1 << 4, /* a debugger's watchpoint covers part of the page (debug.c) */
};
enum { MMU_IDX_PRIV, MMU_IDX_USER, MMU_IDX_COUNT };

struct tlb_entry {
    uint32_t addr_read, addr_write, addr_code;
    uint32_t pad;
    uintptr_t addend; /* host address = guest address + addend */
};

/* ---- the vCPU context ---- */
struct arm_cpu {
    struct arm_cpu_env env;
    struct arm_regs *regs;
    struct tlb_entry tlb[MMU_IDX_COUNT][TLB_SIZE];
    /* Blocks: every one lives until the next full flush (invalidated ones stay
     * allocated, marked invalid, so a chain pointer is never left dangling). */
    struct tb *tb_hash[1u << TB_HASH_BITS];
    struct tb *tb_jmp[1u << TB_JMP_BITS];
    struct tb **page_tbs; /* per RAM page: blocks translated from it */
    uint32_t n_pages;
    void *arena; /* GPtrArray of every allocated block and op array */
    uint64_t n_tbs;
    bool flush_pending;   /* drop all code at the next block boundary */
    bool stop_at_insn;    /* leave the block at the next INSN (code was overwritten) */
    bool exception_taken; /* a helper changed the pc: leave the block now */
    bool halted;
    bool wfi;               /* WFI/WFE executed: leave the run loop and wait */
    bool wfe;               /* ... and it was WFE */
    uint32_t insn_pc;       /* pc of the instruction being executed */
    int chain_slot;         /* the GOTO slot the last block left by, or -1 */
    struct tb *last_tb;     /* the block the interpreter last ran (it follows chains) */
    uint64_t blocks_left;   /* the run's block budget: chains are followed within it */
    uintptr_t cs_handle;    /* capstone, for -d in_asm (disas.c) */
    bool log_exec, log_cpu; /* -d exec, -d cpu: checked once per block */
    struct arm_cpu_stats stats;
    struct ctrl_excl *excl; /* the global monitor (env's, or a private one it owns) */
    bool excl_owned;
    /* The guest debugger (debug.c): debug_on while its set is not empty (arm_cpu_run then
     * runs debug_run), debug_watch while it has watchpoints (slow-path accesses are
     * checked); the first watchpoint an instruction hit, and why the CPU last stopped. */
    bool debug_on, debug_watch, watch_hit;
    struct arm_debug_set debug;
    struct arm_debug_stop debug_stop;
};

/* ---- interfaces between the files ---- */
/* cpu.c: what every block boundary checks (exit request, WFI, interrupts when irqs,
 * halt, code flushes, pc alignment). An exit reason, or -1 to run on; *drop when the pc
 * or the code changed (the caller forgets the block it was going to run or chain). */
int arm_cpu_boundary(struct arm_cpu *cpu, bool irqs, bool *drop);
/* debug.c: the run loop while the debugger's set is not empty; the TLB flag of a page a
 * watchpoint covers; the check of a slow-path access that is done. */
enum arm_exit_reason debug_run(struct arm_cpu *cpu, uint64_t max_blocks);
void debug_tlb_mark(const struct arm_cpu *cpu, uint32_t page, struct tlb_entry *e);
void debug_watch_check(struct arm_cpu *cpu, uint32_t va, unsigned bytes, bool write);
/* translate.c */
struct tb *arm_translate(struct arm_cpu *cpu, uint32_t pc, uint32_t phys_pc, uint32_t flags);
uint32_t arm_tb_flags(const struct arm_regs *r);
/* interp.c: runs tb; returns the next block when chained directly, else NULL. */
struct tb *ir_interp_run(struct arm_cpu *cpu, struct tb *tb);
/* tb.c */
struct tb *tb_lookup(struct arm_cpu *cpu, uint32_t pc, uint32_t flags);
void tb_invalidate_page(struct arm_cpu *cpu, uint32_t page);
void tb_flush_all(struct arm_cpu *cpu);
/* mem.c */
bool mem_load(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t *value);
bool mem_store(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t value);
/* Host address of the RAM bytes at pa for an atomic read-modify-write (STREX, SWP);
 * NULL when pa is not RAM. The caller has translated and checked the alignment, and
 * calls code_page_written after its store. */
uint8_t *mem_atomic_ptr(struct arm_cpu *cpu, uint32_t pa, unsigned bytes);
enum mem_access { MEM_READ, MEM_WRITE, MEM_EXEC };
/* The physical address of va for this access, or false after raising its fault. */
bool mem_translate(struct arm_cpu *cpu, uint32_t va, int idx, enum mem_access acc, uint32_t *pa);
/* mmu.c: VMSAv7 short-descriptor translation. 0, or the fault's FSR value. */
bool mmu_enabled(const struct arm_regs *r);
int mmu_translate(struct arm_cpu *cpu, uint32_t va, bool user, struct mmu_result *out);
uint32_t mmu_permission_fsr(const struct mmu_result *m);
/* Whether the bytes pa .. pa + bytes - 1 are all guest RAM. */
static inline bool arm_ram_holds(const struct arm_cpu *cpu, uint32_t pa, unsigned bytes)
{
    return pa >= cpu->env.ram_base && pa - cpu->env.ram_base + bytes <= cpu->env.ram_size;
}

/* excl.c: the global exclusive monitor. A store to RAM pages exclusives use takes the
 * slow path, which holds the granules' buckets around it (excl_hold_begin/end). */
struct excl_hold {
    _Atomic uint64_t *w[2];
    uint32_t seq[2];
    unsigned n;
};
/* Holds the buckets of the store's first and last bytes (physical). */
void excl_hold_begin(struct arm_cpu *cpu, uint32_t pa_first, uint32_t pa_last, struct excl_hold *h);
void excl_hold_end(struct excl_hold *h);
bool excl_page_watched(const struct arm_cpu *cpu, uint32_t ram_page);
/* The shared code map: other vCPUs that may hold code from ram_page. */
uint32_t code_others(const struct arm_cpu *cpu, uint32_t ram_page);
/* This vCPU's first block on ram_page since it last held none there. */
void code_page_taken(struct arm_cpu *cpu, uint32_t ram_page);
/* A store into ram_page: this vCPU's translations there go (stop_at_insn), and the
 * other vCPUs holding code there are told to drop theirs. */
void code_page_written(struct arm_cpu *cpu, uint32_t ram_page);
/* Host pointer to the code word at va, or NULL after raising a prefetch abort. */
const uint8_t *mem_code_ptr(struct arm_cpu *cpu, uint32_t va, uint32_t *phys);
void tlb_flush(struct arm_cpu *cpu);
void tlb_mark_code(struct arm_cpu *cpu, uint32_t phys_page);
int arm_mmu_idx(const struct arm_regs *r);
/* exception.c (ARM ARM B1.8) */
enum arm_exception {
    EXC_RESET,
    EXC_UNDEF,
    EXC_SVC,
    EXC_PREFETCH_ABORT,
    EXC_DATA_ABORT,
    EXC_IRQ,
    EXC_FIQ,
};
void arm_take_exception(struct arm_cpu *cpu, enum arm_exception exc, uint32_t insn_pc);
void arm_data_abort(struct arm_cpu *cpu, uint32_t va, uint32_t fsr, bool write);
void arm_prefetch_abort(struct arm_cpu *cpu, uint32_t va, uint32_t fsr);
void arm_switch_mode(struct arm_regs *r, uint32_t new_mode);
bool arm_mode_valid(uint32_t mode);
/* Writes CPSR bits under mask the way MSR does from the current mode (B1.3.3). */
void arm_write_cpsr(struct arm_cpu *cpu, uint32_t value, uint32_t mask, bool exception_return);
uint32_t arm_spsr_read(struct arm_regs *r);
void arm_spsr_write(struct arm_regs *r, uint32_t value, uint32_t mask);
/* ConditionPassed (A8.3.1), from the flag words. */
static inline bool arm_cond_passed(const struct arm_regs *r, unsigned cond)
{
    bool n = r->nf >> 31, z = r->zf == 0, c = r->cf & 1, v = r->vf >> 31;
    bool result;
    switch (cond >> 1) {
    case 0: result = z; break;
    case 1: result = c; break;
    case 2: result = n; break;
    case 3: result = v; break;
    case 4: result = c && !z; break;
    case 5: result = n == v; break;
    case 6: result = n == v && !z; break;
    default: return true; /* AL (and 0b1111, handled by the decoder) */
    }
    return (cond & 1) ? !result : result;
}
/* disas.c: -d logging */
void arm_log_in_asm(struct arm_cpu *cpu, uint32_t pc, const uint8_t *code, unsigned n_insns);
void arm_log_exec(struct arm_cpu *cpu, const struct tb *tb);
void arm_log_ops(const struct ir_op *ops, unsigned n);
void arm_log_cpu(struct arm_cpu *cpu);
void arm_log_exception(struct arm_cpu *cpu, unsigned exc, uint32_t from, uint32_t to);
void arm_log_close(struct arm_cpu *cpu);
/* cp15.c: 0 ok, -1 UNDEFINED. */
int arm_cp15_read(struct arm_cpu *cpu, uint32_t key, uint32_t *value);
int arm_cp15_write(struct arm_cpu *cpu, uint32_t key, uint32_t value);
/* timer.c: the generic timer's registers; 0 ok, -1 UNDEFINED. 64-bit keys are
 * opc1 << 4 | CRm. */
int arm_timer_read(struct arm_cpu *cpu, uint32_t key, uint32_t *value);
int arm_timer_write(struct arm_cpu *cpu, uint32_t key, uint32_t value);
bool arm_timer_key64(uint32_t key);
int arm_timer_read64(struct arm_cpu *cpu, uint32_t key, uint64_t *value);
int arm_timer_write64(struct arm_cpu *cpu, uint32_t key, uint64_t value);
#define CP15_KEY(opc1, crn, crm, opc2) (((opc1) << 12) | ((crn) << 8) | ((crm) << 4) | (opc2))

/* Fault status codes (short-descriptor format, B3.13.3). */
#define FSR_ALIGNMENT     0x001u
#define FSR_SYNC_EXTERNAL 0x008u
#define FSR_WNR           (1u << 11)

#endif

/* The A32 front end's shared pieces: the translation context and IR emission.
 * trans-*.c hold one trans_NAME function per pattern of a32.decode. */
#ifndef PERCORE_ARM_TRANSLATE_H
#define PERCORE_ARM_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target-arm/internal.h"

/* How an instruction ends the block. */
enum a32_end {
    END_NEXT,   /* go on with the next instruction */
    END_JUMP,   /* it emitted its own exit (branch, exception) */
    END_UPDATE, /* it changed state translation depends on: exit with pc = next */
};

struct a32_ctx {
    struct arm_cpu *cpu;
    struct ir_op *ops;
    unsigned n_ops, cap;
    unsigned n_temps;
    uint16_t label_at[IR_MAX_LABELS];
    unsigned n_labels;
    uint32_t pc;    /* this instruction's address */
    uint32_t flags; /* TBF_* of the block */
    bool user;      /* unprivileged mode */
    enum a32_end end;
    unsigned insn_op; /* index of this instruction's INSN op */
    /* The temp holding each guest register's current value, or IR_NONE: loads are
     * forwarded from it. Stores still go to the register file at once (the state
     * stays exact); a helper call or a join point forgets everything. */
    uint8_t reg_temp[16];
    bool overflow; /* this instruction ran out of temps or labels (translate.c) */
};

#include "a32-decode.h"

#define ENV_OFF(field) ((uint16_t)offsetof(struct arm_regs, field))
#define ENV_R(n)       ((uint16_t)(offsetof(struct arm_regs, r) + 4 * (n)))

unsigned tmp_new(struct a32_ctx *s);
void emit(struct a32_ctx *s, unsigned opc, unsigned d, unsigned a, unsigned b, unsigned c,
          uint32_t imm, unsigned aux, unsigned flags);
unsigned emit_movi(struct a32_ctx *s, uint32_t imm);
unsigned emit_op2(struct a32_ctx *s, unsigned opc, unsigned a, unsigned b);
unsigned emit_op1(struct a32_ctx *s, unsigned opc, unsigned a);
/* d = a op imm, for ADDI/ANDI/ORI/XORI and the shifts by 1-31. */
unsigned emit_opi(struct a32_ctx *s, unsigned opc, unsigned a, uint32_t imm);
unsigned emit_call(struct a32_ctx *s, ir_helper_fn *fn, unsigned a, unsigned b, unsigned c,
                   uint32_t imm);
unsigned label_new(struct a32_ctx *s);
void label_set(struct a32_ctx *s, unsigned label);

/* Guest registers: reading r15 gives this instruction's address + 8 (A2.3). */
unsigned load_reg(struct a32_ctx *s, unsigned n);
void store_reg(struct a32_ctx *s, unsigned n, unsigned t); /* n < 15 */
/* Writes to the pc end the block. BXWritePC (interworking) for loads and, in
 * ARMv7, for ALU results (A2.3.2); BranchWritePC for branches. */
void gen_bx_write_pc(struct a32_ctx *s, unsigned t);
void gen_branch(struct a32_ctx *s, uint32_t target);
void gen_exception(struct a32_ctx *s, enum arm_exception exc);
bool gen_undef(struct a32_ctx *s);
/* Memory access of the current mode (or user with MEMF_USER). */
unsigned gen_load(struct a32_ctx *s, unsigned addr, unsigned memf);
void gen_store(struct a32_ctx *s, unsigned addr, unsigned value, unsigned memf);
unsigned mem_flags(struct a32_ctx *s, unsigned memf);

/* ARM rotate of an 8-bit immediate (A5.2.4). */
static inline uint32_t a32_expand_imm(uint32_t rot, uint32_t imm8)
{
    unsigned r = 2 * rot;
    return r ? (imm8 >> r) | (imm8 << (32 - r)) : imm8;
}

/* The modes where an SPSR exists. */
static inline bool a32_has_spsr(struct a32_ctx *s)
{
    uint32_t m = s->flags & TBF_MODE_MASK;
    return m != ARM_MODE_USR && m != ARM_MODE_SYS;
}

/* helpers.c: runtime helpers called from blocks. */
ir_helper_fn helper_exception, helper_bx, helper_exception_return, helper_cpsr_read,
    helper_cpsr_write, helper_spsr_write, helper_user_reg_read, helper_user_reg_write, helper_wfi,
    helper_sev, helper_barrier, helper_cp15_read, helper_cp15_write, helper_firmware, helper_ldrex,
    helper_strex, helper_clrex, helper_sel, helper_xtb16, helper_bkpt, helper_set_nzcv, helper_swp,
    helper_srs, helper_rfe;
ir_helper_fn helper_vmrs, helper_vmsr;                /* trans-vfp.c */
ir_helper_fn helper_cp15_read64, helper_cp15_write64; /* cp15.c */
ir_helper_fn helper_cp14_read, helper_cp14_write;     /* cp14.c */
ir_helper_fn helper_banked_read, helper_banked_write; /* helpers.c */
/* helpers-media.c: saturating, parallel and DSP multiply arithmetic (trans-media.c). */
ir_helper_fn helper_qaddsub, helper_ssat, helper_usat, helper_ssat16, helper_usat16,
    helper_parallel, helper_smlaxy, helper_smlaw, helper_smlad, helper_smlald, helper_smmla,
    helper_usad8;

#endif

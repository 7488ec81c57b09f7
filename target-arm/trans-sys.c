/* A32 branches (A8.8.18, 25-27), status-register access (B9.3), exception-generating
 * instructions, hints, barriers and coprocessor access (A5.6, B4). */
#include "target-arm/translate.h"

static int32_t sext24(uint32_t v)
{
    return (int32_t)(v << 8) >> 8;
}

bool trans_B(struct a32_ctx *s, const struct a32_args *a)
{
    gen_branch(s, s->pc + 8 + (uint32_t)(sext24(a->imm) * 4));
    return true;
}

bool trans_BL(struct a32_ctx *s, const struct a32_args *a)
{
    store_reg(s, 14, emit_movi(s, s->pc + 4));
    gen_branch(s, s->pc + 8 + (uint32_t)(sext24(a->imm) * 4));
    return true;
}

/* BLX (immediate): always to Thumb state (A8.8.25). */
bool trans_BLX_IMM(struct a32_ctx *s, const struct a32_args *a)
{
    store_reg(s, 14, emit_movi(s, s->pc + 4));
    uint32_t target = s->pc + 8 + (uint32_t)(sext24(a->imm) * 4) + (a->h << 1);
    gen_bx_write_pc(s, emit_movi(s, target | 1));
    return true;
}

/* BX, and BXJ: this core's Jazelle is the trivial implementation, so BXJ is BX. */
bool trans_BX(struct a32_ctx *s, const struct a32_args *a)
{
    gen_bx_write_pc(s, load_reg(s, a->rm));
    return true;
}

bool trans_BLX_REG(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rm == 15)
        return gen_undef(s);
    unsigned target = load_reg(s, a->rm);
    store_reg(s, 14, emit_movi(s, s->pc + 4));
    gen_bx_write_pc(s, target);
    return true;
}

bool trans_SVC(struct a32_ctx *s, const struct a32_args *a)
{
    gen_exception(s, EXC_SVC);
    return true;
}

bool trans_UDF(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_undef(s);
}

/* BKPT is a Prefetch Abort debug event (B1.8.x); it is unconditional. */
bool trans_BKPT(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->cond != 0xe)
        return gen_undef(s);
    emit_call(s, helper_bkpt, IR_NONE, IR_NONE, IR_NONE, 0);
    emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
    s->end = END_JUMP;
    return true;
}

/* HVC and SMC reach the board's firmware (PSCI); from user mode, or when the
 * firmware does not take the call, they are UNDEFINED. */
static bool gen_firmware(struct a32_ctx *s, const struct a32_args *a, bool smc)
{
    if (s->user || (!smc && a->cond != 0xe))
        return gen_undef(s);
    emit_call(s, helper_firmware, IR_NONE, IR_NONE, IR_NONE, smc);
    s->end = END_UPDATE;
    return true;
}

bool trans_HVC(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_firmware(s, a, false);
}

bool trans_SMC(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_firmware(s, a, true);
}

bool trans_MRS(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rd == 15 || (a->r && !a32_has_spsr(s)))
        return gen_undef(s);
    unsigned v;
    if (a->r) {
        v = tmp_new(s);
        emit(s, IR_LDENV, v, IR_NONE, IR_NONE, IR_NONE, 0, ENV_OFF(spsr), 0);
    } else {
        v = emit_call(s, helper_cpsr_read, IR_NONE, IR_NONE, IR_NONE, 0);
    }
    store_reg(s, a->rd, v);
    return true;
}

/* MSR: the field mask's bytes (f s x c) select what is written (B9.3.12). */
static uint32_t msr_mask(uint32_t fields)
{
    uint32_t m = 0;
    for (int i = 0; i < 4; i++)
        if (fields & (1u << i))
            m |= 0xffu << (8 * i);
    return m;
}

static bool gen_msr(struct a32_ctx *s, const struct a32_args *a, unsigned v)
{
    uint32_t mask = msr_mask(a->mask);
    if (a->mask == 0)
        return gen_undef(s); /* UNPREDICTABLE */
    if (a->r) {
        if (!a32_has_spsr(s))
            return gen_undef(s);
        emit_call(s, helper_spsr_write, v, IR_NONE, IR_NONE, mask);
        return true;
    }
    emit_call(s, helper_cpsr_write, v, IR_NONE, IR_NONE, mask);
    if (mask & 0x00ffffffu) /* mode, masks or E may change: translation depends on them */
        s->end = END_UPDATE;
    return true;
}

bool trans_MSR_REG(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rn == 15)
        return gen_undef(s);
    return gen_msr(s, a, load_reg(s, a->rn));
}

bool trans_MSR_IMM(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_msr(s, a, emit_movi(s, a32_expand_imm(a->rot, a->imm)));
}

/* MRS and MSR (banked register), B9.3.9-10: another mode's register by SYSm. */
bool trans_MRS_BANKED(struct a32_ctx *s, const struct a32_args *a)
{
    if (s->user || a->rd == 15)
        return gen_undef(s);
    uint32_t sysm = (a->m << 4) | a->m1 | (a->r << 5);
    store_reg(s, a->rd, emit_call(s, helper_banked_read, IR_NONE, IR_NONE, IR_NONE, sysm));
    return true;
}

bool trans_MSR_BANKED(struct a32_ctx *s, const struct a32_args *a)
{
    if (s->user || a->rn == 15)
        return gen_undef(s);
    uint32_t sysm = (a->m << 4) | a->m1 | (a->r << 5);
    emit_call(s, helper_banked_write, load_reg(s, a->rn), IR_NONE, IR_NONE, sysm);
    return true;
}

/* CPS (B9.3.2): a no-op in user mode. */
bool trans_CPS(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->imod == 1 || (a->imod == 0 && !a->m) || (a->imod >= 2 && !(a->a | a->i | a->f)) ||
        (!a->m && a->mode) || (a->imod == 0 && (a->a | a->i | a->f)))
        return gen_undef(s); /* UNPREDICTABLE encodings */
    if (s->user)
        return true;
    uint32_t mask = 0, value = 0;
    uint32_t bits = (a->a << 8) | (a->i << 7) | (a->f << 6);
    if (a->imod >= 2) {
        mask |= bits;
        value |= a->imod == 3 ? bits : 0;
    }
    if (a->m) {
        mask |= 0x1f;
        value |= a->mode;
    }
    emit_call(s, helper_cpsr_write, emit_movi(s, value), IR_NONE, IR_NONE, mask);
    s->end = END_UPDATE;
    return true;
}

bool trans_SETEND(struct a32_ctx *s, const struct a32_args *a)
{
    emit_call(s, helper_cpsr_write, emit_movi(s, a->e << 9), IR_NONE, IR_NONE, 1u << 9);
    s->end = END_UPDATE;
    return true;
}

/* NOP, YIELD, WFE, WFI, SEV and DBG (A8.8.x); unallocated hints are NOPs. */
bool trans_HINT(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->op == 2 || a->op == 3) { /* WFE, WFI: wait until an event or interrupt */
        emit_call(s, helper_wfi, IR_NONE, IR_NONE, IR_NONE, a->op == 2);
        s->end = END_UPDATE;
    } else if (a->op == 4) { /* SEV */
        emit_call(s, helper_sev, IR_NONE, IR_NONE, IR_NONE, 0);
    }
    return true;
}

bool trans_CLREX(struct a32_ctx *s, const struct a32_args *a)
{
    emit_call(s, helper_clrex, IR_NONE, IR_NONE, IR_NONE, 0);
    return true;
}

bool trans_DMB(struct a32_ctx *s, const struct a32_args *a)
{
    emit_call(s, helper_barrier, IR_NONE, IR_NONE, IR_NONE, 0);
    return true;
}

bool trans_DSB(struct a32_ctx *s, const struct a32_args *a)
{
    emit_call(s, helper_barrier, IR_NONE, IR_NONE, IR_NONE, 1);
    return true;
}

/* ISB: the next instruction is fetched and translated afresh, with the context
 * (CPSR, CP15) as it is now. */
bool trans_ISB(struct a32_ctx *s, const struct a32_args *a)
{
    s->end = END_UPDATE;
    return true;
}

bool trans_PRELOAD(struct a32_ctx *s, const struct a32_args *a)
{
    return true; /* PLD, PLDW, PLI: hints with no architectural effect */
}

/* ---- coprocessors: CP15, and CP14 (cp14.c); CP10/11 are VFP's ---- */
bool trans_MRC(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->cp != 15 && a->cp != 14)
        return false;
    uint32_t key = CP15_KEY(a->opc1, a->crn, a->crm, a->opc2);
    unsigned v = emit_call(s, a->cp == 14 ? helper_cp14_read : helper_cp15_read, IR_NONE, IR_NONE,
                           IR_NONE, key);
    if (a->rt == 15)
        emit_call(s, helper_set_nzcv, v, IR_NONE, IR_NONE, 0);
    else
        store_reg(s, a->rt, v);
    return true;
}

bool trans_MCR(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->cp != 15 && a->cp != 14)
        return false;
    if (a->rt == 15)
        return gen_undef(s);
    uint32_t key = CP15_KEY(a->opc1, a->crn, a->crm, a->opc2);
    emit_call(s, a->cp == 14 ? helper_cp14_write : helper_cp15_write, load_reg(s, a->rt), IR_NONE,
              IR_NONE, key);
    s->end = END_UPDATE; /* SCTLR, TLB and cache maintenance change what runs next */
    return true;
}

/* 64-bit CP15 registers (B4.1: TTBR0, TTBR1 and PAR as 64-bit with LPAE's format).
 * The generic timer's (CNTPCT, CNTVCT, CNTP_CVAL, CNTV_CVAL) are in timer.c. */
bool trans_MCRR(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->cp != 15)
        return false;
    if (a->rt == 15 || a->rt2 == 15)
        return gen_undef(s);
    emit_call(s, helper_cp15_write64, load_reg(s, a->rt), load_reg(s, a->rt2), IR_NONE,
              (a->opc1 << 4) | a->crm);
    s->end = END_UPDATE;
    return true;
}

bool trans_MRRC(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->cp != 15)
        return false;
    if (a->rt == 15 || a->rt2 == 15 || a->rt == a->rt2)
        return gen_undef(s);
    unsigned lo =
        emit_call(s, helper_cp15_read64, IR_NONE, IR_NONE, IR_NONE, (a->opc1 << 4) | a->crm);
    store_reg(s, a->rt, lo);
    unsigned hi = tmp_new(s);
    emit(s, IR_LDENV, hi, IR_NONE, IR_NONE, IR_NONE, 0, ENV_OFF(cp15.mrrc_hi), 0);
    store_reg(s, a->rt2, hi);
    return true;
}

/* SRS and RFE (B9.3.16, B9.3.13). */
bool trans_SRS(struct a32_ctx *s, const struct a32_args *a)
{
    /* From User or System mode (no SPSR to store) it is UNPREDICTABLE: UNDEFINED. */
    if (s->user || !a32_has_spsr(s) || !arm_mode_valid(a->mode))
        return gen_undef(s);
    emit_call(s, helper_srs, IR_NONE, IR_NONE, IR_NONE,
              a->mode | (a->p << 8) | (a->u << 9) | (a->w << 10) |
                  (s->flags & TBF_BE ? 1u << 11 : 0));
    return true;
}

bool trans_RFE(struct a32_ctx *s, const struct a32_args *a)
{
    if (s->user || a->rn == 15)
        return gen_undef(s);
    emit_call(s, helper_rfe, IR_NONE, IR_NONE, IR_NONE,
              a->rn | (a->p << 8) | (a->u << 9) | (a->w << 10) |
                  (s->flags & TBF_BE ? 1u << 11 : 0));
    emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
    s->end = END_JUMP;
    return true;
}

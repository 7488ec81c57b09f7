/* A32 loads and stores (A5.3, A5.2.8, A5.5, A5.2.10; A8.8). Addresses are computed
 * from the base before any register is written; a load writes its base (writeback)
 * before its destination, so when they are the same register (UNPREDICTABLE) the
 * loaded value wins, as on the Cortex-A15 and in qemu. */
#include "target-arm/translate.h"

/* Base + or - offset, pre- or post-indexed, with writeback (A8.5.x addressing). */
static unsigned ldst_address(struct a32_ctx *s, const struct a32_args *a, unsigned offset,
                             unsigned *wb_value)
{
    unsigned base = a->rn == 15 ? emit_movi(s, (s->pc + 8) & ~3u) : load_reg(s, a->rn);
    unsigned moved = emit_op2(s, a->u ? IR_ADD : IR_SUB, base, offset);
    *wb_value = moved;
    return a->p ? moved : base;
}

static bool ldst_writeback(const struct a32_args *a)
{
    return !a->p || a->w;
}

/* One load or store of rt at the computed address, then writeback. */
static bool ldst_emit(struct a32_ctx *s, const struct a32_args *a, unsigned offset, unsigned memf,
                      bool is_load, unsigned rt2_extra)
{
    bool wb = ldst_writeback(a);
    if (wb && (a->rn == 15 || (!is_load && (a->rn == a->rt || (rt2_extra && a->rn == a->rt + 1)))))
        return gen_undef(s); /* UNPREDICTABLE: pc base with writeback; store of the base */
    if (!a->p && a->w)
        memf |= MEMF_USER; /* LDRT/STRT and friends: post-indexed, unprivileged */
    unsigned wbv;
    unsigned addr = ldst_address(s, a, offset, &wbv);
    if (is_load) {
        unsigned v = gen_load(s, addr, memf);
        unsigned v2 = IR_NONE;
        if (rt2_extra) /* LDRD: the second word */
            v2 = gen_load(s, emit_op2(s, IR_ADD, addr, emit_movi(s, 4)), memf);
        if (wb)
            store_reg(s, a->rn, wbv);
        if (v2 != IR_NONE)
            store_reg(s, a->rt + 1, v2);
        if (a->rt == 15)
            gen_bx_write_pc(s, v);
        else
            store_reg(s, a->rt, v);
    } else {
        /* A stored pc reads as this instruction + 8 on the Cortex-A15. */
        gen_store(s, addr, load_reg(s, a->rt), memf);
        if (rt2_extra)
            gen_store(s, emit_op2(s, IR_ADD, addr, emit_movi(s, 4)), load_reg(s, a->rt + 1), memf);
        if (wb)
            store_reg(s, a->rn, wbv);
    }
    return true;
}

bool trans_LDST_IMM(struct a32_ctx *s, const struct a32_args *a)
{
    unsigned memf = a->b ? 0 : (2 | MEMF_ALIGN_A);
    if (a->b && a->rt == 15)
        return gen_undef(s);
    return ldst_emit(s, a, emit_movi(s, a->imm), memf, a->l, 0);
}

bool trans_LDST_REG(struct a32_ctx *s, const struct a32_args *a)
{
    static const unsigned shift[] = {IR_LSL, IR_LSR, IR_ASR, IR_ROR};
    unsigned memf = a->b ? 0 : (2 | MEMF_ALIGN_A);
    if (a->rm == 15 || (a->b && a->rt == 15))
        return gen_undef(s);
    static const unsigned by_imm[] = {IR_SHLI, IR_SHRI, IR_SARI, IR_RORI};
    unsigned m = load_reg(s, a->rm);
    unsigned amount = a->imm;
    if (a->stype == 3 && amount == 0)
        m = emit_op1(s, IR_RRX, m);
    else if (amount)
        m = emit_opi(s, by_imm[a->stype], m, amount);
    else if (a->stype) /* LSR #0 and ASR #0: by 32 */
        m = emit_op2(s, shift[a->stype], m, emit_movi(s, 32));
    return ldst_emit(s, a, m, memf, a->l, 0);
}

/* Halfword, signed byte and doubleword forms (A5.2.8): op is bits 6:5. */
static bool ldst_x(struct a32_ctx *s, const struct a32_args *a, unsigned offset)
{
    bool dual = !a->l && a->op >= 2; /* LDRD (op 2) and STRD (op 3) have L = 0 */
    if (dual) {
        struct a32_args b = *a;
        bool load = a->op == 2;
        if ((a->rt & 1) || a->rt == 14 || (!a->p && a->w))
            return gen_undef(s);
        if (load && ldst_writeback(a) && (a->rn == a->rt || a->rn == a->rt + 1))
            return gen_undef(s);
        b.l = load;
        return ldst_emit(s, &b, offset, 2 | MEMF_ALIGN, load, 1);
    }
    if (a->rt == 15)
        return gen_undef(s);
    unsigned memf = a->op == 1   ? (1 | MEMF_ALIGN_A)              /* LDRH/STRH */
                    : a->op == 2 ? (0 | MEMF_SIGN)                 /* LDRSB */
                                 : (1 | MEMF_SIGN | MEMF_ALIGN_A); /* LDRSH */
    return ldst_emit(s, a, offset, memf, a->l, 0);
}

bool trans_LDST_X_I(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->op == 0)
        return false;
    return ldst_x(s, a, emit_movi(s, a->imm));
}

bool trans_LDST_X_R(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->op == 0)
        return false;
    if (a->rm == 15)
        return gen_undef(s);
    return ldst_x(s, a, load_reg(s, a->rm));
}

/* ---- LDM/STM (A8.8.57-58, B9.3.5-6): all four modes, user-register and
 * exception-return forms ---- */
bool trans_LDM_STM(struct a32_ctx *s, const struct a32_args *a)
{
    unsigned n = (unsigned)__builtin_popcount(a->list);
    bool user_regs = a->s && !(a->l && (a->list & 0x8000));
    bool exc_return = a->s && a->l && (a->list & 0x8000);
    if (a->rn == 15 || n == 0 || (a->s && !a32_has_spsr(s) && (user_regs || exc_return)) ||
        (user_regs && a->w))
        return gen_undef(s);
    unsigned base = load_reg(s, a->rn);
    int32_t start = a->u ? (a->p ? 4 : 0) : (a->p ? -4 * (int)n : -4 * (int)n + 4);
    unsigned addr = emit_op2(s, IR_ADD, base, emit_movi(s, (uint32_t)start));
    unsigned four = emit_movi(s, 4);
    unsigned memf = 2 | MEMF_ALIGN;
    unsigned vals[16];
    for (unsigned r = 0; r < 16; r++) {
        if (!(a->list & (1u << r)))
            continue;
        if (a->l) {
            vals[r] = gen_load(s, addr, memf);
        } else {
            unsigned v = user_regs
                             ? emit_call(s, helper_user_reg_read, IR_NONE, IR_NONE, IR_NONE, r)
                             : load_reg(s, r);
            gen_store(s, addr, v, memf);
        }
        addr = emit_op2(s, IR_ADD, addr, four);
    }
    if (a->w)
        store_reg(s, a->rn, emit_op2(s, a->u ? IR_ADD : IR_SUB, base, emit_movi(s, 4 * n)));
    if (!a->l)
        return true;
    for (unsigned r = 0; r < 15; r++) {
        if (!(a->list & (1u << r)))
            continue;
        if (user_regs)
            emit_call(s, helper_user_reg_write, vals[r], IR_NONE, IR_NONE, r);
        else
            store_reg(s, r, vals[r]);
    }
    if (exc_return) {
        emit_call(s, helper_exception_return, vals[15], IR_NONE, IR_NONE, 0);
        emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
        s->end = END_JUMP;
    } else if (a->list & 0x8000) {
        gen_bx_write_pc(s, vals[15]);
    }
    return true;
}

/* ---- exclusives (A8.8.75-78, A8.8.210-213) with the local monitor; their
 * cross-core exactness is the memory-model issue's ---- */
static bool gen_ldrex(struct a32_ctx *s, const struct a32_args *a)
{
    bool dual = a->op == 3;
    if (a->rt == 15 || a->rn == 15 || (dual && ((a->rt & 1) || a->rt == 14)))
        return gen_undef(s);
    unsigned v = emit_call(s, helper_ldrex, load_reg(s, a->rn), IR_NONE, IR_NONE,
                           a->op | (s->flags & TBF_BE ? 4 : 0));
    store_reg(s, a->rt, v);
    if (dual) {
        unsigned hi = tmp_new(s);
        emit(s, IR_LDENV, hi, IR_NONE, IR_NONE, IR_NONE, 0, ENV_OFF(excl_val_hi), 0);
        store_reg(s, a->rt + 1, hi);
    }
    return true;
}

static bool gen_strex(struct a32_ctx *s, const struct a32_args *a)
{
    bool dual = a->op == 3;
    if (a->rd == 15 || a->rt == 15 || a->rn == 15 || a->rd == a->rn || a->rd == a->rt ||
        (dual && ((a->rt & 1) || a->rt == 14 || a->rd == a->rt + 1)))
        return gen_undef(s);
    unsigned hi = dual ? load_reg(s, a->rt + 1) : IR_NONE;
    unsigned st = emit_call(s, helper_strex, load_reg(s, a->rn), load_reg(s, a->rt), hi,
                            a->op | (s->flags & TBF_BE ? 4 : 0));
    store_reg(s, a->rd, st);
    return true;
}

bool trans_LDREX(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_ldrex(s, a);
}

bool trans_STREX(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_strex(s, a);
}

/* SWP/SWPB (A8.8.229): UNDEFINED unless SCTLR.SW enables them (B4.1.130). */
bool trans_SWP(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rt == 15 || a->rt2 == 15 || a->rn == 15 || a->rn == a->rt || a->rn == a->rt2)
        return gen_undef(s);
    unsigned old = emit_call(s, helper_swp, load_reg(s, a->rn), load_reg(s, a->rt2), IR_NONE,
                             (a->b ? 0 : 2) | (s->flags & TBF_BE ? 4 : 0));
    store_reg(s, a->rt, old);
    return true;
}

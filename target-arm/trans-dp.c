/* A32 data processing (A5.2.1-3, A8.8), multiplies (A5.2.5), MOVW/MOVT and the
 * media instructions implemented so far (A5.4). */
#include "target-arm/translate.h"

enum dp_op { AND, EOR, SUB, RSB, ADD, ADC, SBC, RSC, TST, TEQ, CMP, CMN, ORR, MOV, BIC, MVN };

static bool dp_is_logical(unsigned op)
{
    return op == AND || op == EOR || op == TST || op == TEQ || op == ORR || op == MOV ||
           op == BIC || op == MVN;
}

static bool dp_is_test(unsigned op)
{
    return op >= TST && op <= CMN;
}

/* Shift by an immediate (A8.4.1): *carry gets the shifter carry temp, or IR_NONE when
 * the shift leaves C as it is. */
static unsigned gen_shift_imm(struct a32_ctx *s, unsigned v, unsigned type, unsigned amount,
                              unsigned *carry, bool need_carry)
{
    static const unsigned with_c[] = {IR_LSL_C, IR_LSR_C, IR_ASR_C, IR_ROR_C};
    static const unsigned by_imm[] = {IR_SHLI, IR_SHRI, IR_SARI, IR_RORI};
    *carry = IR_NONE;
    if (type == 0 && amount == 0)
        return v;
    if (type == 3 && amount == 0) { /* RRX */
        if (need_carry)
            *carry = emit_op1(s, IR_RRX_C, v);
        return emit_op1(s, IR_RRX, v);
    }
    if (!need_carry && amount != 0) /* no flag wants the carry: one plain op */
        return emit_opi(s, by_imm[type], v, amount);
    if ((type == 1 || type == 2) && amount == 0)
        amount = 32; /* LSR #0 and ASR #0 encode shifts by 32 */
    unsigned d = tmp_new(s), c = tmp_new(s);
    emit(s, with_c[type], d, v, emit_movi(s, amount), c, 0, 0, 0);
    *carry = c;
    return d;
}

static unsigned gen_shift_reg(struct a32_ctx *s, unsigned v, unsigned type, unsigned amount,
                              unsigned *carry)
{
    static const unsigned with_c[] = {IR_LSL_C, IR_LSR_C, IR_ASR_C, IR_ROR_C};
    unsigned d = tmp_new(s), c = tmp_new(s);
    emit(s, with_c[type], d, v, amount, c, 0, 0, 0);
    *carry = c;
    return d;
}

static unsigned dp_compute(struct a32_ctx *s, const struct a32_args *a, unsigned n, unsigned m)
{
    bool f = a->s;
    switch (a->op) {
    case AND:
    case TST: return emit_op2(s, IR_AND, n, m);
    case EOR:
    case TEQ: return emit_op2(s, IR_XOR, n, m);
    case SUB:
    case CMP: return emit_op2(s, f ? IR_SUBS : IR_SUB, n, m);
    case RSB: return emit_op2(s, f ? IR_SUBS : IR_SUB, m, n);
    case ADD:
    case CMN: return emit_op2(s, f ? IR_ADDS : IR_ADD, n, m);
    case ADC: return emit_op2(s, f ? IR_ADCS : IR_ADC, n, m);
    case SBC: return emit_op2(s, f ? IR_SBCS : IR_SBC, n, m);
    case RSC: return emit_op2(s, f ? IR_SBCS : IR_SBC, m, n);
    case ORR: return emit_op2(s, IR_OR, n, m);
    case MOV: return m;
    case BIC: return emit_op2(s, IR_BIC, n, m);
    default: return emit_op1(s, IR_NOT, m); /* MVN */
    }
}

/* The test ops need S: without it these encodings are the miscellaneous space. */
static bool dp_valid(const struct a32_args *a)
{
    return !(dp_is_test(a->op) && !a->s);
}

/* Rd = result, with the flag and pc rules of data processing (A8.8): an S-suffixed
 * op writing the pc is an exception return (SUBS pc, lr; B9.3.20), which restores the
 * CPSR from the SPSR instead of setting flags. */
static bool dp_emit(struct a32_ctx *s, const struct a32_args *a, unsigned n, unsigned m,
                    unsigned carry)
{
    /* The (0) fields: Rd of the tests, Rn of MOV/MVN. Non-zero is UNPREDICTABLE. */
    if ((dp_is_test(a->op) && a->rd) || ((a->op == MOV || a->op == MVN) && a->rn))
        return gen_undef(s);
    bool exc_return = a->s && a->rd == 15 && !dp_is_test(a->op);
    struct a32_args b = *a;
    if (exc_return)
        b.s = 0;
    unsigned res = dp_compute(s, &b, n, m);
    if (exc_return) {
        emit_call(s, helper_exception_return, res, IR_NONE, IR_NONE, 0);
        emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
        s->end = END_JUMP;
        return true;
    }
    if (a->s && dp_is_logical(a->op))
        emit(s, carry == IR_NONE ? IR_SETNZ : IR_SETNZC, IR_NONE, res, IR_NONE, carry, 0, 0, 0);
    if (dp_is_test(a->op))
        return true;
    if (a->rd == 15)
        gen_bx_write_pc(s, res);
    else
        store_reg(s, a->rd, res);
    return true;
}

bool trans_DP_REG(struct a32_ctx *s, const struct a32_args *a)
{
    if (!dp_valid(a))
        return false;
    unsigned carry;
    unsigned m = gen_shift_imm(s, load_reg(s, a->rm), a->stype, a->imm, &carry,
                               a->s && dp_is_logical(a->op));
    unsigned n = (a->op == MOV || a->op == MVN) ? IR_NONE : load_reg(s, a->rn);
    return dp_emit(s, a, n, m, carry);
}

bool trans_DP_RSR(struct a32_ctx *s, const struct a32_args *a)
{
    if (!dp_valid(a))
        return false;
    /* Any of pc as Rd, Rn, Rm or Rs is UNPREDICTABLE (A8.8.x, register-shifted). */
    if (a->rd == 15 || a->rn == 15 || a->rm == 15 || a->rs == 15)
        return gen_undef(s);
    unsigned carry;
    unsigned m = gen_shift_reg(s, load_reg(s, a->rm), a->stype, load_reg(s, a->rs), &carry);
    unsigned n = (a->op == MOV || a->op == MVN) ? IR_NONE : load_reg(s, a->rn);
    return dp_emit(s, a, n, m, carry);
}

/* The common flag-less immediate forms as one op: ADD/SUB/AND/BIC/ORR/EOR #imm. */
static bool dp_imm_fast(struct a32_ctx *s, const struct a32_args *a, uint32_t v)
{
    static const struct {
        uint8_t op, opc;
    } fast[] = {
        {ADD, IR_ADDI}, {SUB, IR_ADDI}, {AND, IR_ANDI},
        {BIC, IR_ANDI}, {ORR, IR_ORI},  {EOR, IR_XORI},
    };
    if (a->s || a->rd == 15 || a->rn == 15)
        return false;
    for (unsigned i = 0; i < sizeof(fast) / sizeof(fast[0]); i++) {
        if (fast[i].op != a->op)
            continue;
        uint32_t imm = a->op == SUB ? -v : a->op == BIC ? ~v : v;
        store_reg(s, a->rd, emit_opi(s, fast[i].opc, load_reg(s, a->rn), imm));
        return true;
    }
    return false;
}

bool trans_DP_IMM(struct a32_ctx *s, const struct a32_args *a)
{
    if (!dp_valid(a))
        return false;
    if ((a->op != MOV && a->op != MVN) && dp_imm_fast(s, a, a32_expand_imm(a->rot, a->imm)))
        return true;
    uint32_t v = a32_expand_imm(a->rot, a->imm);
    unsigned carry = a->rot ? emit_movi(s, v >> 31) : IR_NONE;
    unsigned m = emit_movi(s, v);
    unsigned n = (a->op == MOV || a->op == MVN) ? IR_NONE : load_reg(s, a->rn);
    return dp_emit(s, a, n, m, carry);
}

bool trans_MOVW(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rd == 15)
        return gen_undef(s);
    store_reg(s, a->rd, emit_movi(s, a->imm));
    return true;
}

bool trans_MOVT(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rd == 15)
        return gen_undef(s);
    unsigned lo = emit_op2(s, IR_AND, load_reg(s, a->rd), emit_movi(s, 0xffff));
    store_reg(s, a->rd, emit_op2(s, IR_OR, lo, emit_movi(s, a->imm << 16)));
    return true;
}

/* ---- multiplies (A8.8.100 MUL, A8.8.99 MLA, ...): any pc operand is UNPREDICTABLE ---- */
static bool mul_bad(unsigned r1, unsigned r2, unsigned r3, unsigned r4)
{
    return r1 == 15 || r2 == 15 || r3 == 15 || r4 == 15;
}

static bool gen_mul(struct a32_ctx *s, const struct a32_args *a, int acc_sign)
{
    if (mul_bad(a->rd, a->rm, a->rs, acc_sign ? a->ra : 0))
        return gen_undef(s);
    unsigned p = emit_op2(s, IR_MUL, load_reg(s, a->rm), load_reg(s, a->rs));
    if (acc_sign > 0)
        p = emit_op2(s, IR_ADD, p, load_reg(s, a->ra));
    else if (acc_sign < 0)
        p = emit_op2(s, IR_SUB, load_reg(s, a->ra), p);
    if (a->s) /* C and V are unchanged in ARMv7 */
        emit(s, IR_SETNZ, IR_NONE, p, IR_NONE, IR_NONE, 0, 0, 0);
    store_reg(s, a->rd, p);
    return true;
}

bool trans_MUL(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mul(s, a, 0);
}

bool trans_MLA(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mul(s, a, 1);
}

bool trans_MLS(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mul(s, a, -1);
}

static bool gen_mull(struct a32_ctx *s, const struct a32_args *a, bool sign, bool acc, bool aa)
{
    if (mul_bad(a->rdhi, a->rdlo, a->rm, a->rs) || a->rdhi == a->rdlo)
        return gen_undef(s);
    unsigned lo = tmp_new(s), hi = tmp_new(s);
    emit(s, sign ? IR_MULS64 : IR_MULU64, lo, load_reg(s, a->rm), load_reg(s, a->rs), hi, 0, 0, 0);
    unsigned zero = (acc || aa) ? emit_movi(s, 0) : IR_NONE;
    if (acc)
        emit(s, IR_ADD64, lo, load_reg(s, a->rdlo), load_reg(s, a->rdhi), hi, 0, 0, 0);
    if (aa) { /* UMAAL: + RdLo + RdHi, each zero-extended */
        emit(s, IR_ADD64, lo, load_reg(s, a->rdlo), zero, hi, 0, 0, 0);
        emit(s, IR_ADD64, lo, load_reg(s, a->rdhi), zero, hi, 0, 0, 0);
    }
    if (a->s)
        emit(s, IR_SETNZ64, IR_NONE, lo, hi, IR_NONE, 0, 0, 0);
    store_reg(s, a->rdlo, lo);
    store_reg(s, a->rdhi, hi);
    return true;
}

bool trans_UMULL(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mull(s, a, false, false, false);
}

bool trans_SMULL(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mull(s, a, true, false, false);
}

bool trans_UMLAL(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mull(s, a, false, true, false);
}

bool trans_SMLAL(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mull(s, a, true, true, false);
}

bool trans_UMAAL(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_mull(s, a, false, false, true);
}

static bool gen_div(struct a32_ctx *s, const struct a32_args *a, unsigned opc)
{
    if (mul_bad(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    store_reg(s, a->rd, emit_op2(s, opc, load_reg(s, a->rn), load_reg(s, a->rm)));
    return true;
}

bool trans_SDIV(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_div(s, a, IR_SDIV);
}

bool trans_UDIV(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_div(s, a, IR_UDIV);
}

/* ---- bit fields, reversal, counting, extension (A8.8) ---- */
static bool gen_unary(struct a32_ctx *s, const struct a32_args *a, unsigned opc)
{
    if (a->rd == 15 || a->rm == 15)
        return gen_undef(s);
    store_reg(s, a->rd, emit_op1(s, opc, load_reg(s, a->rm)));
    return true;
}

bool trans_CLZ(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_unary(s, a, IR_CLZ);
}

bool trans_REV(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_unary(s, a, IR_REV);
}

bool trans_REV16(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_unary(s, a, IR_REV16);
}

bool trans_REVSH(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_unary(s, a, IR_REVSH);
}

bool trans_RBIT(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_unary(s, a, IR_RBIT);
}

static bool gen_bfx(struct a32_ctx *s, const struct a32_args *a, unsigned opc)
{
    if (a->rd == 15 || a->rn == 15 || a->lsb + a->widthm1 > 31)
        return gen_undef(s);
    unsigned d = tmp_new(s);
    emit(s, opc, d, load_reg(s, a->rn), IR_NONE, IR_NONE, a->lsb, a->widthm1 + 1, 0);
    store_reg(s, a->rd, d);
    return true;
}

bool trans_SBFX(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_bfx(s, a, IR_SBFX);
}

bool trans_UBFX(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_bfx(s, a, IR_UBFX);
}

/* BFC (Rn = pc) and BFI (A8.8.20-21). */
bool trans_BFCI(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rd == 15 || a->msb < a->lsb)
        return gen_undef(s);
    unsigned src = a->rn == 15 ? emit_movi(s, 0) : load_reg(s, a->rn);
    unsigned d = tmp_new(s);
    emit(s, IR_BFI, d, load_reg(s, a->rd), src, IR_NONE, a->lsb, a->msb - a->lsb + 1, 0);
    store_reg(s, a->rd, d);
    return true;
}

/* SXTAB16, SXTAB, SXTAH, UXTAB16, UXTAB, UXTAH and the forms without add (Rn = pc). */
bool trans_XTEND(struct a32_ctx *s, const struct a32_args *a)
{
    static const unsigned ext[8] = {0, 0, IR_SEXT8, IR_SEXT16, 0, 0, IR_ZEXT8, IR_ZEXT16};
    if (a->op == 1 || a->op == 5)
        return false;
    if (a->rd == 15 || a->rm == 15)
        return gen_undef(s);
    unsigned v = load_reg(s, a->rm);
    if (a->rot)
        v = emit_op2(s, IR_ROR, v, emit_movi(s, 8 * a->rot));
    unsigned r;
    if (a->op == 0 || a->op == 4) { /* the dual 8-to-16-bit forms */
        unsigned n = a->rn == 15 ? emit_movi(s, 0) : load_reg(s, a->rn);
        r = emit_call(s, helper_xtb16, v, n, IR_NONE, a->op == 0);
    } else {
        r = emit_op1(s, ext[a->op], v);
        if (a->rn != 15)
            r = emit_op2(s, IR_ADD, r, load_reg(s, a->rn));
    }
    store_reg(s, a->rd, r);
    return true;
}

bool trans_SEL(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rd == 15 || a->rn == 15 || a->rm == 15)
        return gen_undef(s);
    store_reg(s, a->rd,
              emit_call(s, helper_sel, load_reg(s, a->rn), load_reg(s, a->rm), IR_NONE, 0));
    return true;
}

/* A32 saturating and DSP instructions: saturating add/subtract (A5.2.6), halfword
 * multiplies (A5.2.7), parallel add/subtract (A5.4.1), packing and saturation
 * (A5.4.3), signed multiplies and USAD8 (A5.4.4). The arithmetic is one CALL of a
 * helper of helpers-media.c (two for SMLALD/SMLSLD, whose 64-bit sum a helper returns
 * half by half; PKH is a BFI op); an UNPREDICTABLE register choice (the pc as an
 * operand, RdHi == RdLo) is UNDEFINED, percore's documented treatment (gen_undef). */
#include "target-arm/translate.h"

/* In the encodings with an optional accumulator, Ra = pc selects the form without
 * it (SMUAD, SMMUL, USAD8...); a helper gets 0 for it. */
#define NO_ACC 15

static bool pc_in(unsigned r1, unsigned r2, unsigned r3, unsigned r4)
{
    return r1 == 15 || r2 == 15 || r3 == 15 || r4 == 15;
}

/* Rd = fn(R[x], R[y], R[z] or 0 when z is NO_ACC, imm). */
static bool gen_call_rd(struct a32_ctx *s, unsigned d, ir_helper_fn *fn, unsigned x, unsigned y,
                        unsigned z, uint32_t imm)
{
    unsigned tz = z == NO_ACC ? IR_NONE : load_reg(s, z);
    store_reg(s, d, emit_call(s, fn, load_reg(s, x), load_reg(s, y), tz, imm));
    return true;
}

/* RdHi:RdLo += hi:lo (the 64-bit accumulation of SMLAL<x><y>, SMLALD, SMLSLD). */
static bool gen_acc64(struct a32_ctx *s, const struct a32_args *a, unsigned lo, unsigned hi)
{
    emit(s, IR_ADD64, lo, load_reg(s, a->rdlo), load_reg(s, a->rdhi), hi, 0, 0, 0);
    store_reg(s, a->rdlo, lo);
    store_reg(s, a->rdhi, hi);
    return true;
}

/* The long forms: any pc, or RdHi == RdLo, is UNPREDICTABLE. */
static bool long_bad(const struct a32_args *a)
{
    return pc_in(a->rdlo, a->rdhi, a->rn, a->rm) || a->rdlo == a->rdhi;
}

/* ---- saturating add and subtract (A5.2.6; A8.8 QADD, QSUB, QDADD, QDSUB) ----
 * Rd = sat(Rm +/- [sat(2 * Rn)]); the helper's imm is the encoding's op field. */
static bool gen_qaddsub(struct a32_ctx *s, const struct a32_args *a, uint32_t op)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_qaddsub, a->rm, a->rn, NO_ACC, op);
}

bool trans_QADD(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_qaddsub(s, a, 0);
}

bool trans_QSUB(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_qaddsub(s, a, 1);
}

bool trans_QDADD(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_qaddsub(s, a, 2);
}

bool trans_QDSUB(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_qaddsub(s, a, 3);
}

/* ---- halfword multiplies (A5.2.7; A8.8 SMLA<x><y>, SMLAW<y>, SMULW<y>,
 * SMLAL<x><y>, SMUL<x><y>) ---- */
bool trans_SMLAXY(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, a->ra))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smlaxy, a->rn, a->rm, a->ra, a->nhi | a->mhi << 1);
}

bool trans_SMULXY(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smlaxy, a->rn, a->rm, NO_ACC, a->nhi | a->mhi << 1);
}

bool trans_SMLAWY(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, a->ra))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smlaw, a->rn, a->rm, a->ra, a->mhi);
}

bool trans_SMULWY(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smlaw, a->rn, a->rm, NO_ACC, a->mhi);
}

/* RdHi:RdLo += the 32-bit product, sign-extended. */
bool trans_SMLALXY(struct a32_ctx *s, const struct a32_args *a)
{
    if (long_bad(a))
        return gen_undef(s);
    unsigned p = emit_call(s, helper_smlaxy, load_reg(s, a->rn), load_reg(s, a->rm), IR_NONE,
                           a->nhi | a->mhi << 1);
    return gen_acc64(s, a, p, emit_op2(s, IR_ASR, p, emit_movi(s, 31)));
}

/* ---- parallel add and subtract (A5.4.1; A8.8 SADD16 ... UHSUB8): op is the kind
 * (S, Q, SH, U, UQ, UH), op2 the operation; S and U set GE ---- */
bool trans_PARALLEL(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->op2 == 5 || a->op2 == 6)
        return false;
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_parallel, a->rn, a->rm, NO_ACC, a->op << 3 | a->op2);
}

/* ---- packing (A5.4.3; A8.8 PKH): PKHBT Rd = (Rm LSL imm)<31:16> : Rn<15:0>,
 * PKHTB Rd = Rn<31:16> : (Rm ASR imm)<15:0>, imm = 0 meaning ASR #32 ---- */
static bool gen_pkh(struct a32_ctx *s, const struct a32_args *a, bool tb)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    unsigned m = load_reg(s, a->rm), n = load_reg(s, a->rn), d = tmp_new(s);
    if (tb)
        m = emit_op2(s, IR_ASR, m, emit_movi(s, a->imm ? a->imm : 32));
    else if (a->imm)
        m = emit_op2(s, IR_LSL, m, emit_movi(s, a->imm));
    /* d = the top half's source with bits 15:0 from the bottom half's */
    emit(s, IR_BFI, d, tb ? n : m, tb ? m : n, IR_NONE, 0, 16, 0);
    store_reg(s, a->rd, d);
    return true;
}

bool trans_PKHBT(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_pkh(s, a, false);
}

bool trans_PKHTB(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_pkh(s, a, true);
}

/* ---- saturation (A5.4.3; A8.8 SSAT, USAT, SSAT16, USAT16): SSAT saturates to
 * sat + 1 bits, USAT to sat bits, of Rn shifted by LSL #imm or ASR #imm (0: 32) ---- */
static bool gen_sat(struct a32_ctx *s, const struct a32_args *a, ir_helper_fn *fn, uint32_t to,
                    bool shifted)
{
    if (pc_in(a->rd, a->rn, 0, 0))
        return gen_undef(s);
    unsigned v = load_reg(s, a->rn);
    if (shifted && a->sh)
        v = emit_op2(s, IR_ASR, v, emit_movi(s, a->imm ? a->imm : 32));
    else if (shifted && a->imm)
        v = emit_op2(s, IR_LSL, v, emit_movi(s, a->imm));
    store_reg(s, a->rd, emit_call(s, fn, v, IR_NONE, IR_NONE, to));
    return true;
}

bool trans_SSAT(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_sat(s, a, helper_ssat, a->sat + 1, true);
}

bool trans_USAT(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_sat(s, a, helper_usat, a->sat, true);
}

bool trans_SSAT16(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_sat(s, a, helper_ssat16, a->sat + 1, false);
}

bool trans_USAT16(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_sat(s, a, helper_usat16, a->sat, false);
}

/* ---- signed multiplies (A5.4.4; A8.8 SMLAD, SMLSD, SMUAD, SMUSD, SMLALD, SMLSLD,
 * SMMLA, SMMLS, SMMUL) and USAD8, USADA8 (A8.8) ---- */
bool trans_SMLAD(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smlad, a->rn, a->rm, a->ra, a->x);
}

bool trans_SMLSD(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smlad, a->rn, a->rm, a->ra, a->x | 2);
}

/* RdHi:RdLo += the 64-bit sum of the products: its two halves, one call each. */
static bool gen_smlald(struct a32_ctx *s, const struct a32_args *a, uint32_t imm)
{
    if (long_bad(a))
        return gen_undef(s);
    unsigned n = load_reg(s, a->rn), m = load_reg(s, a->rm);
    unsigned lo = emit_call(s, helper_smlald, n, m, IR_NONE, imm);
    return gen_acc64(s, a, lo, emit_call(s, helper_smlald, n, m, IR_NONE, imm | 4));
}

bool trans_SMLALD(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_smlald(s, a, a->x);
}

bool trans_SMLSLD(struct a32_ctx *s, const struct a32_args *a)
{
    return gen_smlald(s, a, a->x | 2);
}

bool trans_SMMLA(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smmla, a->rn, a->rm, a->ra, a->round);
}

/* SMMLS has no form without accumulate: Ra = pc is UNPREDICTABLE. */
bool trans_SMMLS(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, a->ra))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_smmla, a->rn, a->rm, a->ra, a->round | 2);
}

bool trans_USADA8(struct a32_ctx *s, const struct a32_args *a)
{
    if (pc_in(a->rd, a->rn, a->rm, 0))
        return gen_undef(s);
    return gen_call_rd(s, a->rd, helper_usad8, a->rn, a->rm, a->ra, 0);
}

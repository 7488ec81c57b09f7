/* Runtime helpers of the media and DSP instructions (trans-media.c): saturating
 * arithmetic, parallel add/subtract, the signed multiplies, USAD8. Each follows the
 * ARM ARM pseudocode (DDI 0406C, A8.8) on 64-bit integers, where every intermediate
 * value of that pseudocode is exact. The uniform shape (cpu, a, b, c, imm): an operand
 * the instruction does not have (Ra of the forms without accumulate) arrives as 0. */
#include "target-arm/translate.h"

/* SignedSatQ(v, n) and UnsignedSatQ(v, n) (A2.2.1): v clamped to n bits; *sat is set
 * when it was clamped. */
static int64_t signed_sat(int64_t v, unsigned n, bool *sat)
{
    int64_t max = ((int64_t)1 << (n - 1)) - 1, min = -max - 1;
    if (v > max || v < min) {
        *sat = true;
        return v > max ? max : min;
    }
    return v;
}

static int64_t unsigned_sat(int64_t v, unsigned n, bool *sat)
{
    int64_t max = ((int64_t)1 << n) - 1;
    if (v > max || v < 0) {
        *sat = true;
        return v > max ? max : 0;
    }
    return v;
}

/* APSR.Q is sticky: set by a saturation or an overflow, cleared only by MSR. */
static void set_q(struct arm_cpu *cpu, bool sat)
{
    if (sat)
        cpu->regs->qf = 1;
}

/* Bits 63:32 of a 64-bit result (the pseudocode's result<63:32>). */
static uint32_t high_word(int64_t v)
{
    return (uint32_t)((uint64_t)v >> 32);
}

/* ---- saturating add and subtract (A5.2.6): QADD, QSUB, QDADD, QDSUB (A8.8) ----
 * imm is the encoding's op field (bits 22:21): bit 0 subtracts, bit 1 doubles Rn
 * (saturating, and setting Q) first. Rd = SignedSatQ(Rm +/- Rn', 32). */
uint32_t helper_qaddsub(struct arm_cpu *cpu, uint32_t m, uint32_t n, uint32_t c, uint32_t op)
{
    bool sat = false;
    int64_t b = (int32_t)n;
    if (op & 2)
        b = signed_sat(2 * b, 32, &sat);
    int64_t r = signed_sat((op & 1) ? (int32_t)m - b : (int32_t)m + b, 32, &sat);
    set_q(cpu, sat);
    return (uint32_t)r;
}

/* ---- saturate (A5.4.3): SSAT, USAT on the shifted operand v; imm: saturate_to ---- */
uint32_t helper_ssat(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t to)
{
    bool sat = false;
    int64_t r = signed_sat((int32_t)v, to, &sat);
    set_q(cpu, sat);
    return (uint32_t)r;
}

uint32_t helper_usat(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t to)
{
    bool sat = false;
    int64_t r = unsigned_sat((int32_t)v, to, &sat);
    set_q(cpu, sat);
    return (uint32_t)r;
}

/* SSAT16, USAT16: each halfword on its own; Q when either saturates. */
uint32_t helper_ssat16(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t to)
{
    bool sat = false;
    int64_t lo = signed_sat((int16_t)v, to, &sat), hi = signed_sat((int16_t)(v >> 16), to, &sat);
    set_q(cpu, sat);
    return ((uint32_t)lo & 0xffff) | ((uint32_t)hi << 16);
}

uint32_t helper_usat16(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t to)
{
    bool sat = false;
    int64_t lo = unsigned_sat((int16_t)v, to, &sat),
            hi = unsigned_sat((int16_t)(v >> 16), to, &sat);
    set_q(cpu, sat);
    return (uint32_t)lo | ((uint32_t)hi << 16);
}

/* ---- parallel add and subtract (A5.4.1) ----
 * imm = kind << 3 | op2, the encoding's fields: kind (bits 22:20) is 1 S, 2 Q, 3 SH,
 * 5 U, 6 UQ, 7 UH; op2 (bits 7:5) is 0 ADD16, 1 ASX, 2 SAX, 3 SUB16, 4 ADD8, 7 SUB8.
 * ASX: low = Rn.lo - Rm.hi, high = Rn.hi + Rm.lo; SAX: low = Rn.lo + Rm.hi, high =
 * Rn.hi - Rm.lo. Each lane is computed exactly from the lanes sign- (S) or zero- (U)
 * extended, then truncated (S, U), saturated (Q, UQ) or halved (SH, UH). Only S and U
 * write GE: per lane, the result >= 0, or for an unsigned add, >= 2^width (carry). */
enum { PAR_S = 1, PAR_Q = 2, PAR_SH = 3, PAR_U = 5, PAR_UQ = 6, PAR_UH = 7 };

static int32_t par_lane(uint32_t v, unsigned shift, unsigned width, bool u)
{
    uint32_t x = (v >> shift) & ((1u << width) - 1);
    return u ? (int32_t)x : (int32_t)(x << (32 - width)) >> (32 - width);
}

/* A lane's exact sum or difference, reduced to the lane as the kind says. */
static int64_t par_reduce(unsigned kind, int64_t r, unsigned width)
{
    bool unused = false; /* these forms do not set Q */
    if (kind == PAR_Q)
        return signed_sat(r, width, &unused);
    if (kind == PAR_UQ)
        return unsigned_sat(r, width, &unused);
    if (kind == PAR_SH || kind == PAR_UH)
        return r >> 1; /* arithmetic: the pseudocode's sum<width:1> */
    return r;
}

uint32_t helper_parallel(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t c, uint32_t imm)
{
    unsigned kind = imm >> 3, op2 = imm & 7, width = op2 >= 4 ? 8 : 16;
    bool u = kind & 4, cross = op2 == 1 || op2 == 2;
    uint32_t res = 0, ge = 0;
    for (unsigned sh = 0; sh < 32; sh += width) {
        bool sub = op2 == 3 || op2 == 7 || (op2 == 1 && sh == 0) || (op2 == 2 && sh == 16);
        int64_t x = par_lane(n, sh, width, u), y = par_lane(m, cross ? 16 - sh : sh, width, u);
        int64_t r = sub ? x - y : x + y;
        if (r >= (u && !sub ? (int64_t)1 << width : 0))
            ge |= (width == 8 ? 1u : 3u) << (sh / 8);
        res |= ((uint32_t)par_reduce(kind, r, width) & ((1u << width) - 1)) << sh;
    }
    if (kind == PAR_S || kind == PAR_U)
        cpu->regs->ge = ge;
    return res;
}

/* ---- halfword multiplies (A5.2.7) ----
 * SMLA<x><y>, SMUL<x><y> (a = 0), and the product of SMLAL<x><y>: imm bit 0 takes
 * Rn's top half, bit 1 Rm's (the encoding's N and M). Q on a signed overflow of
 * the accumulation; the product alone (|p| <= 2^30) cannot overflow. */
uint32_t helper_smlaxy(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t a, uint32_t imm)
{
    int64_t x = (int16_t)((imm & 1) ? n >> 16 : n), y = (int16_t)((imm & 2) ? m >> 16 : m);
    int64_t r = x * y + (int32_t)a;
    set_q(cpu, r != (int32_t)r);
    return (uint32_t)r;
}

/* SMLAW<y>, SMULW<y> (a = 0): result = Rn * Rm.half + (Ra << 16), Rd = result<47:16>;
 * Q when result >> 16 does not fit. imm selects Rm's top half (M). */
uint32_t helper_smlaw(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t a, uint32_t imm)
{
    int64_t r = (int64_t)(int32_t)n * (int16_t)(imm ? m >> 16 : m) + (int64_t)(int32_t)a * 65536;
    int64_t top = r >> 16;
    set_q(cpu, top != (int32_t)top);
    return (uint32_t)top;
}

/* ---- signed multiplies (A5.4.4) ----
 * The dual 16 x 16 products: imm bit 0 (X) swaps Rm's halves, bit 1 subtracts the
 * top product from the bottom one (SMLSD, SMUSD, SMLSLD). */
static int64_t dual_product(uint32_t n, uint32_t m, uint32_t imm)
{
    if (imm & 1)
        m = (m >> 16) | (m << 16);
    int64_t lo = (int64_t)(int16_t)n * (int16_t)m,
            hi = (int64_t)(int16_t)(n >> 16) * (int16_t)(m >> 16);
    return (imm & 2) ? lo - hi : lo + hi;
}

/* SMLAD, SMLSD, SMUAD, SMUSD (a = 0): Q when the whole sum overflows 32 bits. */
uint32_t helper_smlad(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t a, uint32_t imm)
{
    int64_t r = dual_product(n, m, imm) + (int32_t)a;
    set_q(cpu, r != (int32_t)r);
    return (uint32_t)r;
}

/* SMLALD, SMLSLD: the 64-bit sum of the products, its bits 31:0, or 63:32 when imm
 * bit 2 is set; the translator adds it to RdHi:RdLo. No flags. */
uint32_t helper_smlald(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t c, uint32_t imm)
{
    int64_t r = dual_product(n, m, imm);
    return (imm & 4) ? high_word(r) : (uint32_t)r;
}

/* SMMLA, SMMLS, SMMUL (a = 0): ((Ra << 32) +/- Rn * Rm [+ 0x80000000])<63:32>;
 * imm bit 0 rounds (R), bit 1 subtracts. Computed modulo 2^64, which keeps bits 63:32. */
uint32_t helper_smmla(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t a, uint32_t imm)
{
    uint64_t p = (uint64_t)((int64_t)(int32_t)n * (int32_t)m), acc = (uint64_t)a << 32;
    uint64_t r = (imm & 2) ? acc - p : acc + p;
    if (imm & 1)
        r += 0x80000000u;
    return (uint32_t)(r >> 32);
}

/* USAD8, USADA8 (a = 0): the sum of the absolute differences of the four bytes. */
uint32_t helper_usad8(struct arm_cpu *cpu, uint32_t n, uint32_t m, uint32_t a, uint32_t imm)
{
    uint32_t sum = a;
    for (unsigned sh = 0; sh < 32; sh += 8) {
        int32_t d = (int32_t)((n >> sh) & 0xff) - (int32_t)((m >> sh) & 0xff);
        sum += (uint32_t)(d < 0 ? -d : d);
    }
    return sum;
}

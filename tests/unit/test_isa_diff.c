/* ISA differential test: random A32 sequences run on percore's translator (in this
 * process, interpreter backend) and on Unicorn (an independent implementation, test
 * only) from the same registers, flags and memory; every register, NZCV, Q, GE and
 * the data memory must match. Seeded and reproducible: a mismatch prints the seed,
 * the sequence and both states. PERCORE_ISA_SEQS sets the count (default 100000).
 *
 * Register roles keep the sequences inside memory: r0-r3 point into the data area,
 * r12 is a small index, and only r4-r11 and r14 are written. */
#include <glib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "target-arm/arm.h"

#define RAM_BASE  0x40000000u
#define RAM_SIZE  (2u << 20)
#define CODE_ADDR RAM_BASE
#define DATA_ADDR (RAM_BASE + 0x100000u)
#define DATA_SIZE 0x10000u
#define SEQ_LEN   6
#define VECTORS   (RAM_BASE + 0x1000u) /* VBAR: eight HVCs, so an exception ends the run */

static int uc_reg_id(int n)
{
    return n < 13    ? UC_ARM_REG_R0 + n
           : n == 13 ? UC_ARM_REG_SP
           : n == 14 ? UC_ARM_REG_LR
                     : UC_ARM_REG_PC;
}

struct rng {
    uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->s >> 32);
}

static uint32_t rnd_in(struct rng *r, uint32_t n)
{
    return rnd(r) % n;
}

/* Values that hit the corner cases of shifts, carries and overflow, also of halfword
 * and byte lanes. */
static uint32_t rnd_value(struct rng *r)
{
    static const uint32_t special[] = {0,          1,          2,          31,
                                       32,         33,         255,        256,
                                       0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
                                       0x80000001, 0x80008000, 0x7fff7fff, 0x80ff007f};
    return rnd_in(r, 3) ? rnd(r) : special[rnd_in(r, G_N_ELEMENTS(special))];
}

static uint32_t rnd_cond(struct rng *r)
{
    return rnd_in(r, 3) ? 0xe : rnd_in(r, 15);
}

static uint32_t rnd_dst(struct rng *r) /* r4-r11, r14 */
{
    uint32_t v = 4 + rnd_in(r, 9);
    return v == 12 ? 14 : v;
}

static uint32_t rnd_src(struct rng *r) /* any register but pc */
{
    return rnd_in(r, 15);
}

static uint32_t rnd_ptr(struct rng *r)
{
    return rnd_in(r, 4);
}

/* ---- instruction generators, one per encoding class of a32.decode ---- */
static uint32_t gen_dp(struct rng *r)
{
    uint32_t op = rnd_in(r, 16), s = rnd_in(r, 2);
    if (op >= 8 && op <= 11)
        s = 1;
    uint32_t rn = (op == 13 || op == 15) ? 0 : rnd_src(r); /* MOV, MVN: Rn is (0) */
    uint32_t rd = (op >= 8 && op <= 11) ? 0 : rnd_dst(r);  /* tests: Rd is (0) */
    uint32_t base = (rnd_cond(r) << 28) | (op << 21) | (s << 20) | (rn << 16) | (rd << 12);
    switch (rnd_in(r, 3)) {
    case 0: return base | (1u << 25) | (rnd_in(r, 16) << 8) | rnd_in(r, 256);
    case 1: return base | (rnd_in(r, 32) << 7) | (rnd_in(r, 4) << 5) | rnd_src(r);
    default: /* register-shifted register: no pc anywhere */
        return base | ((4 + rnd_in(r, 8)) << 8) | (rnd_in(r, 4) << 5) | (1u << 4) | rnd_src(r);
    }
}

static uint32_t gen_mov16(struct rng *r)
{
    return (rnd_cond(r) << 28) | (rnd_in(r, 2) ? 0x03400000u : 0x03000000u) |
           (rnd_in(r, 16) << 16) | (rnd_dst(r) << 12) | rnd_in(r, 4096);
}

static uint32_t gen_mul(struct rng *r)
{
    uint32_t c = rnd_cond(r) << 28, rm = rnd_src(r), rs = rnd_src(r);
    switch (rnd_in(r, 5)) {
    case 0: return c | (rnd_in(r, 2) << 20) | (rnd_dst(r) << 16) | (rs << 8) | 0x90 | rm;
    case 1:
        return c | 0x00200000u | (rnd_in(r, 2) << 20) | (rnd_dst(r) << 16) | (rnd_src(r) << 12) |
               (rs << 8) | 0x90 | rm;
    case 2:
        return c | 0x00600000u | (rnd_dst(r) << 16) | (rnd_src(r) << 12) | (rs << 8) | 0x90 | rm;
    default: { /* UMULL UMLAL SMULL SMLAL UMAAL with RdHi != RdLo */
        uint32_t hi = rnd_dst(r), lo;
        do
            lo = rnd_dst(r);
        while (lo == hi);
        uint32_t kind = rnd_in(r, 5);
        uint32_t opbits =
            kind == 4 ? 0x00400000u : (0x00800000u | (kind << 21) | (rnd_in(r, 2) << 20));
        return c | opbits | (hi << 16) | (lo << 12) | (rs << 8) | 0x90 | rm;
    }
    }
}

static uint32_t gen_misc(struct rng *r)
{
    uint32_t c = rnd_cond(r) << 28, d = rnd_dst(r), m = rnd_src(r);
    switch (rnd_in(r, 8)) {
    case 0: return c | 0x016f0f10u | (d << 12) | m; /* CLZ */
    case 1: return c | 0x06bf0f30u | (d << 12) | m; /* REV */
    case 2: return c | 0x06bf0fb0u | (d << 12) | m; /* REV16 */
    case 3: return c | 0x06ff0fb0u | (d << 12) | m; /* REVSH */
    case 4: return c | 0x06ff0f30u | (d << 12) | m; /* RBIT */
    case 5: {                                       /* SBFX/UBFX */
        uint32_t lsb = rnd_in(r, 32), w = rnd_in(r, 32 - lsb);
        return c | (rnd_in(r, 2) ? 0x07e00050u : 0x07a00050u) | (w << 16) | (d << 12) | (lsb << 7) |
               m;
    }
    case 6: { /* BFI / BFC */
        uint32_t lsb = rnd_in(r, 32), msb = lsb + rnd_in(r, 32 - lsb);
        return c | 0x07c00010u | (msb << 16) | (d << 12) | (lsb << 7) | (rnd_in(r, 4) ? m : 15);
    }
    default: { /* SXT[A]B/H, UXT[A]B/H and the 16-bit dual forms */
        static const uint32_t ops[] = {0, 2, 3, 4, 6, 7};
        uint32_t n = rnd_in(r, 3) ? rnd_src(r) : 15;
        return c | 0x06800070u | (ops[rnd_in(r, 6)] << 20) | (n << 16) | (d << 12) |
               (rnd_in(r, 4) << 10) | m;
    }
    }
}

static uint32_t gen_div(struct rng *r)
{
    return (rnd_cond(r) << 28) | (rnd_in(r, 2) ? 0x0730f010u : 0x0710f010u) | (rnd_dst(r) << 16) |
           (rnd_src(r) << 8) | rnd_src(r);
}

static uint32_t rnd_other_dst(struct rng *r, uint32_t other) /* RdLo != RdHi */
{
    uint32_t v;
    do
        v = rnd_dst(r);
    while (v == other);
    return v;
}

/* Saturating add/subtract (A5.2.6), halfword multiplies (A5.2.7), parallel
 * add/subtract (A5.4.1), packing and saturation (A5.4.3), signed multiplies and USAD8
 * (A5.4.4). Ra = pc picks the forms without accumulate (SMUAD, SMMUL, USAD8...). */
static uint32_t gen_media(struct rng *r)
{
    uint32_t c = rnd_cond(r) << 28, d = rnd_dst(r), n = rnd_src(r), m = rnd_src(r);
    uint32_t a = rnd_in(r, 4) ? rnd_src(r) : 15, xr = rnd_in(r, 4) << 5; /* bits 6:5 */
    switch (rnd_in(r, 10)) {
    case 0: /* QADD QSUB QDADD QDSUB */
        return c | 0x01000050u | (rnd_in(r, 4) << 21) | (n << 16) | (d << 12) | m;
    case 1: { /* SMLA<x><y>, SMLAW<y> / SMULW<y> (bit 5), SMLAL<x><y>, SMUL<x><y> */
        uint32_t op1 = rnd_in(r, 4), lo = op1 == 2 ? rnd_other_dst(r, d) : a == 15 ? 0 : a;
        if (op1 == 3 || (op1 == 1 && (xr & 0x20)))
            lo = 0; /* SMUL<x><y>, SMULW<y>: (0) */
        return c | 0x01000080u | (op1 << 21) | (d << 16) | (lo << 12) | (m << 8) | xr | n;
    }
    case 2:
    case 3: { /* S, Q, SH, U, UQ, UH x ADD16 ASX SAX SUB16 ADD8 SUB8 */
        static const uint32_t kinds[] = {1, 2, 3, 5, 6, 7}, ops[] = {0, 1, 2, 3, 4, 7};
        return c | 0x06000f10u | (kinds[rnd_in(r, 6)] << 20) | (n << 16) | (d << 12) |
               (ops[rnd_in(r, 6)] << 5) | m;
    }
    case 4: /* PKHBT, PKHTB */
        return c | 0x06800010u | (n << 16) | (d << 12) | (rnd_in(r, 32) << 7) | (xr & 0x40) | m;
    case 5: /* SSAT, USAT: sat_imm, LSL or ASR #imm5 */
        return c | (rnd_in(r, 2) ? 0x06e00010u : 0x06a00010u) | (rnd_in(r, 32) << 16) | (d << 12) |
               (rnd_in(r, 32) << 7) | (xr & 0x40) | n;
    case 6: /* SSAT16, USAT16 */
        return c | (rnd_in(r, 2) ? 0x06e00f30u : 0x06a00f30u) | (rnd_in(r, 16) << 16) | (d << 12) |
               n;
    case 7: /* SMLAD SMLSD SMUAD SMUSD, X */
        /* Unicorn 2.0.1 (qemu 5.0) adds SMLAD's products with a Q check, then Ra with
         * another: with all four halves -0x8000 the products' sum is 2^31 and it sets Q
         * even when Ra < 0 brings the result back into range, where the ARM ARM sets Q
         * only if the whole sum overflows (SMLAD pseudocode; fixed in qemu 5.2). With
         * Rn one of r0-r3 or r12 (data pointers 0x401xxxxx and a small index: top half
         * never 0x8000), p1 + p2 < 2^31 and the two agree, so SMLAD with accumulate
         * takes its Rn from there. */
        if (!(xr & 0x40) && a != 15)
            n = rnd_in(r, 5) == 4 ? 12 : rnd_ptr(r);
        return c | 0x07000010u | (d << 16) | (a << 12) | (m << 8) | xr | n;
    case 8: /* SMLALD SMLSLD, X */
        return c | 0x07400010u | (d << 16) | (rnd_other_dst(r, d) << 12) | (m << 8) | xr | n;
    default: /* SMMLA SMMUL SMMLS (Ra = pc is UNPREDICTABLE), R; USAD8 USADA8 */
        if (rnd_in(r, 3) == 0)
            return c | 0x07800010u | (d << 16) | (a << 12) | (m << 8) | n;
        if (xr & 0x40)
            return c | 0x075000d0u | (d << 16) | (rnd_src(r) << 12) | (m << 8) | (xr & 0x20) | n;
        return c | 0x07500010u | (d << 16) | (a << 12) | (m << 8) | (xr & 0x20) | n;
    }
}

/* Loads and stores through r0-r3 (the data pointers), index r12, no writeback of a
 * pointer except by small amounts that keep it word aligned: an unaligned LDRD/STRD
 * must take an Alignment fault (ARM ARM A3.2.1; percore and qemu 7.2 do), but Unicorn
 * 2.0.1, built on qemu 5.0, performs it; and an unaligned STREXD must fault before the
 * monitor is looked at (ExclusiveMonitorsPass, A3.4.5), where Unicorn just fails it. So
 * every writeback moves a pointer by a multiple of 8, and unaligned doublewords are
 * left to the guest tests, which run under qemu-system-arm 7.2 instead. */
static uint32_t gen_ldst(struct rng *r)
{
    uint32_t c = rnd_cond(r) << 28, n = rnd_ptr(r), t = rnd_dst(r);
    uint32_t p = 1, w = rnd_in(r, 4) == 0, u = rnd_in(r, 2);
    if (rnd_in(r, 4) == 0)
        p = 0, w = 0; /* post-indexed */
    uint32_t pw = (p << 24) | (u << 23) | (w << 21);
    uint32_t l = rnd_in(r, 2) << 20;
    bool store = !l;
    if (store)
        t = rnd_src(r) == 15 ? 4 : (rnd_src(r) % 12) + (rnd_in(r, 2) ? 0 : 0);
    if (store && t == n && (w || !p))
        t = (n + 1) & 3; /* storing a written-back base is UNPREDICTABLE */
    switch (rnd_in(r, 4)) {
    case 0: /* LDR/STR word or byte, immediate */
        return c | 0x04000000u | pw | l | (rnd_in(r, 2) << 22) | (n << 16) | (t << 12) |
               ((w || !p) ? rnd_in(r, 32) * 8 : rnd_in(r, 64) * 4);
    case 1: /* register offset: r12 (small) shifted left by 0-2 */
        return c | 0x06000000u | pw | l | (rnd_in(r, 2) << 22) | (n << 16) | (t << 12) |
               (rnd_in(r, 3) << 7) | 12;
    case 2: { /* halfword and signed forms, immediate; a multiple of 4 when written back */
        uint32_t op = l ? 1 + rnd_in(r, 3) : 1;
        uint32_t off = (w || !p) ? 8 * rnd_in(r, 32) : 2 * rnd_in(r, 128);
        return c | 0x00400090u | pw | l | (n << 16) | (t << 12) | (op << 5) | ((off & 0xf0) << 4) |
               (off & 0xf);
    }
    default: { /* LDRD/STRD, even pair below r12 */
        uint32_t t2 = 4 + 2 * rnd_in(r, 4);
        return c | 0x004000d0u | (p << 24) | (u << 23) | (store ? 0x20u : 0) | (n << 16) |
               (t2 << 12) | ((rnd_in(r, 16) * 8 & 0xf0) << 4) | (rnd_in(r, 16) * 8 & 0xf);
    }
    }
}

static uint32_t gen_ldm(struct rng *r)
{
    uint32_t n = rnd_ptr(r), l = rnd_in(r, 2), w = rnd_in(r, 2);
    uint32_t list = (rnd(r) & 0x0ff0) | (rnd_in(r, 2) ? 0x4000 : 0);
    if (!l) /* STM may store anything but the pc; a written-back base is UNPREDICTABLE */
        list = (list | (rnd(r) & 0x100f)) & ~(w ? 1u << n : 0);
    if (w && (__builtin_popcount(list) & 1)) /* writeback by a multiple of 8 */
        list ^= 0x0010;
    if (!list)
        list = 0x30;
    return (rnd_cond(r) << 28) | 0x08000000u | (rnd_in(r, 2) << 24) | (rnd_in(r, 2) << 23) |
           (w << 21) | (l << 20) | (n << 16) | list;
}

static uint32_t gen_branch(struct rng *r)
{
    /* B/BL over the next instruction: imm24 = 0 is pc + 8, the one after it. */
    return (rnd_cond(r) << 28) | 0x0a000000u | (rnd_in(r, 2) << 24);
}

/* LDREX/STREX of one size on the same pointer (the STREX passes), or after a CLREX
 * or on another address (it fails); status in r4-r11. */
static void gen_exclusive(struct rng *r, uint32_t *code, unsigned *k)
{
    static const uint32_t ld[] = {0xe1d00f9fu, 0xe1f00f9fu, 0xe1900f9fu, 0xe1b00f9fu};
    static const uint32_t st[] = {0xe1c00f90u, 0xe1e00f90u, 0xe1800f90u, 0xe1a00f90u};
    unsigned size = rnd_in(r, 4); /* B H W D */
    uint32_t n = rnd_ptr(r), t = 4 + 2 * rnd_in(r, 3), d = size == 3 ? 10 : rnd_dst(r);
    if (size != 3 && d == t)
        d = t + 1;
    code[(*k)++] = ld[size] | (n << 16) | (t << 12);
    if (rnd_in(r, 4) == 0)
        code[(*k)++] = 0xf57ff01fu; /* CLREX: the STREX must fail */
    uint32_t n2 = rnd_in(r, 4) ? n : (n + 1) & 3;
    /* Rd must differ from Rt (and Rt+1) and Rn: UNPREDICTABLE otherwise. */
    uint32_t src;
    if (size == 3)
        src = t == 6 ? 8 : 6;
    else
        do
            src = rnd_src(r) % 12;
        while (src == d || src == n2);
    code[(*k)++] = st[size] | (n2 << 16) | (d << 12) | src;
}

/* The pc as an operand (reads as this instruction + 8) and as a destination of data
 * processing and loads (interworking writes: here always to ARM state). */
static uint32_t gen_pc(struct rng *r, uint32_t index)
{
    uint32_t c = rnd_cond(r) << 28;
    switch (rnd_in(r, 4)) {
    case 0: /* add/sub/eor rd, pc, #imm */
        return c | 0x02000000u | ((rnd_in(r, 2) ? 4u : 2u) << 21) | (15u << 16) |
               (rnd_dst(r) << 12) | rnd_in(r, 256);
    case 1: /* orr rd, rn, pc (lsl #n) */
        return c | 0x01800000u | (rnd_src(r) << 16) | (rnd_dst(r) << 12) | (rnd_in(r, 4) << 7) | 15;
    case 2: /* ldr rd, [pc, #-off]: a literal in the code just written */
        return c | 0x05100000u | (15u << 16) | (rnd_dst(r) << 12) | (8 + 4 * rnd_in(r, index + 1));
    default: /* add pc, pc, #0 or mov pc, pc: skips the next instruction */
        return c | (rnd_in(r, 2) ? 0x028ff000u : 0x01a0f00fu);
    }
}

/* System instructions that need no exception: the flags through MRS/MSR, barriers,
 * hints, preloads, a CP15 thread register through MCR/MRC. */
static uint32_t gen_system(struct rng *r)
{
    uint32_t c = rnd_cond(r) << 28;
    switch (rnd_in(r, 8)) {
    case 0: return c | 0x010f0000u | (rnd_dst(r) << 12);                    /* mrs rd, apsr */
    case 1: return c | 0x0128f000u | rnd_src(r);                            /* msr apsr_nzcvq, rn */
    case 2: return c | 0x0328f000u | (rnd_in(r, 16) << 8) | rnd_in(r, 256); /* msr apsr, #imm */
    case 3:
        return 0xf57ff040u | (0x10u * rnd_in(r, 3)) | 0xfu; /* dsb/dmb/isb sy */
    /* NOP only: Unicorn 2.0.1 reports YIELD, a valid hint, as an invalid instruction
     * (qemu raises an internal yield exception that Unicorn does not take). */
    case 4: return c | 0x0320f000u;                                    /* nop */
    case 5: return 0xf5d0f000u | (rnd_ptr(r) << 16) | rnd_in(r, 4096); /* pld [rn, #imm] */
    case 6: return c | 0x0e0d0f50u | (rnd_src(r) << 12);               /* mcr tpidrurw */
    default: return c | 0x0e1d0f50u | (rnd_dst(r) << 12);              /* mrc tpidrurw */
    }
}

static uint32_t gen_insn(struct rng *r)
{
    switch (rnd_in(r, 23)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5: return gen_dp(r);
    case 6: return gen_mov16(r);
    case 7:
    case 8: return gen_mul(r);
    case 9:
    case 10: return gen_misc(r);
    case 11: return gen_div(r);
    case 12:
    case 13:
    case 14:
    case 15: return gen_ldst(r);
    case 16:
    case 17: return gen_ldm(r);
    case 18:
    case 19:
    case 20: return gen_media(r);
    default: return gen_branch(r);
    }
}

/* ---- the two machines ---- */
struct state {
    uint32_t r[16];
    uint32_t cpsr;
    uint32_t tpidrurw; /* the CP15 thread register the system class reads and writes */
    uint8_t data[DATA_SIZE];
};

struct harness {
    uint8_t *ram;
    struct arm_regs regs;
    _Atomic uint32_t exit_req;
    struct arm_cpu *cpu;
    uc_engine *uc;
};

static bool h_firmware(void *opaque, struct arm_regs *regs, bool smc)
{
    struct harness *h = opaque;
    atomic_store(&h->exit_req, 1); /* the sequence's closing HVC */
    return true;
}

static void h_init(struct harness *h)
{
    h->ram = g_malloc0(RAM_SIZE);
    struct arm_cpu_env env = {.regs = &h->regs,
                              .ram = h->ram,
                              .ram_base = RAM_BASE,
                              .ram_size = RAM_SIZE,
                              .firmware_call = h_firmware,
                              .opaque = h,
                              .exit_request = &h->exit_req,
                              .log_tag = "isa-diff"};
    h->cpu = arm_cpu_new(&env);
    g_assert_cmpint(uc_open(UC_ARCH_ARM, UC_MODE_ARM, &h->uc), ==, UC_ERR_OK);
    uc_ctl_set_cpu_model(h->uc, UC_CPU_ARM_CORTEX_A15);
    g_assert_cmpint(uc_mem_map(h->uc, RAM_BASE, RAM_SIZE, UC_PROT_ALL), ==, UC_ERR_OK);
}

static void h_load(struct harness *h, const struct state *st, const uint32_t *code, unsigned n)
{
    memcpy(h->ram + (DATA_ADDR - RAM_BASE), st->data, DATA_SIZE);
    memcpy(h->ram, code, 4 * n);
    for (unsigned v = 0; v < 8; v++) {
        uint32_t hvc = 0xe1400070u | v;
        memcpy(h->ram + (VECTORS - RAM_BASE) + 4 * v, &hvc, 4);
    }
    arm_cpu_reset(h->cpu, 0x80000000u);
    h->regs.cp15.vbar = VECTORS;
    memcpy(h->regs.r, st->r, sizeof(st->r));
    arm_regs_set_cpsr_bits(&h->regs, st->cpsr);
    h->regs.cp15.tpidrurw = st->tpidrurw;
    h->regs.r[15] = CODE_ADDR;
    atomic_store(&h->exit_req, 0);

    uc_mem_write(h->uc, DATA_ADDR, st->data, DATA_SIZE);
    uc_mem_write(h->uc, CODE_ADDR, code, 4 * n);
    uc_ctl_remove_cache(h->uc, CODE_ADDR, CODE_ADDR + 4 * n);
    for (int i = 0; i < 15; i++)
        uc_reg_write(h->uc, uc_reg_id(i), &st->r[i]);
    uc_reg_write(h->uc, UC_ARM_REG_CPSR, &st->cpsr);
    /* TPIDRURW is banked by security state in qemu: write both copies. */
    for (uint32_t sec = 0; sec < 2; sec++) {
        uc_arm_cp_reg cp = {
            .cp = 15, .crn = 13, .crm = 0, .opc1 = 0, .opc2 = 2, .sec = sec, .val = st->tpidrurw};
        uc_reg_write(h->uc, UC_ARM_REG_CP_REG, &cp);
    }
}

static void h_run(struct harness *h, unsigned n, struct state *pc_out, struct state *uc_out)
{
    enum arm_exit_reason why = arm_cpu_run(h->cpu, 1000);
    g_assert_cmpint(why, ==, ARM_EXIT_REQUEST);
    memcpy(pc_out->r, h->regs.r, sizeof(pc_out->r));
    pc_out->cpsr = arm_regs_cpsr(&h->regs);
    memcpy(pc_out->data, h->ram + (DATA_ADDR - RAM_BASE), DATA_SIZE);
    pc_out->r[15] = h->regs.r[15] - 4; /* the HVC's own address, where Unicorn stops */
    if (pc_out->r[15] >= VECTORS && pc_out->r[15] < VECTORS + 32)
        g_printerr("percore took the exception at vector 0x%x (lr 0x%08x)\n",
                   pc_out->r[15] - VECTORS, h->regs.r[14]);

    uc_err err = uc_emu_start(h->uc, CODE_ADDR, CODE_ADDR + 4 * (n - 1), 0, 1000);
    if (err != UC_ERR_OK) {
        uint32_t pc;
        uc_reg_read(h->uc, UC_ARM_REG_PC, &pc);
        g_printerr("unicorn: %s at 0x%08x\n", uc_strerror(err), pc);
    }
    g_assert_cmpint(err, ==, UC_ERR_OK);
    for (int i = 0; i < 16; i++)
        uc_reg_read(h->uc, uc_reg_id(i), &uc_out->r[i]);
    uc_reg_read(h->uc, UC_ARM_REG_CPSR, &uc_out->cpsr);
    uc_mem_read(h->uc, DATA_ADDR, uc_out->data, DATA_SIZE);
}

static void random_state(struct rng *r, struct state *st)
{
    for (int i = 0; i < 15; i++)
        st->r[i] = rnd_value(r);
    for (int i = 0; i < 4; i++) /* data pointers, 8-aligned, away from the edges */
        st->r[i] = DATA_ADDR + 0x1000 + 8 * rnd_in(r, (DATA_SIZE - 0x2000) / 8);
    st->r[12] = rnd_in(r, 32) * 8;
    st->cpsr = 0x1d3 | (rnd(r) & 0xf80f0000u);
    st->tpidrurw = rnd(r);
    for (unsigned i = 0; i < DATA_SIZE; i += 4) {
        uint32_t v = rnd(r);
        memcpy(st->data + i, &v, 4);
    }
}

#define FLAG_MASK 0xf80f0000u /* N Z C V Q GE */

static bool states_equal(const struct state *a, const struct state *b)
{
    return memcmp(a->r, b->r, sizeof(a->r)) == 0 &&
           (a->cpsr & (FLAG_MASK | 0x1ff)) == (b->cpsr & (FLAG_MASK | 0x1ff)) &&
           memcmp(a->data, b->data, DATA_SIZE) == 0;
}

static void report(uint64_t seed, const uint32_t *code, unsigned n, const struct state *in,
                   const struct state *p, const struct state *u)
{
    g_printerr("mismatch: seed %" G_GUINT64_FORMAT "\n", seed);
    csh cs;
    bool have_cs = cs_open(CS_ARCH_ARM, CS_MODE_ARM, &cs) == CS_ERR_OK;
    for (unsigned i = 0; i < n; i++) {
        cs_insn *insn = NULL;
        size_t got =
            have_cs ? cs_disasm(cs, (const uint8_t *)&code[i], 4, CODE_ADDR + 4 * i, 1, &insn) : 0;
        g_printerr("  %08x: %08x  %s %s\n", CODE_ADDR + 4 * i, code[i], got ? insn->mnemonic : "?",
                   got ? insn->op_str : "");
        if (got)
            cs_free(insn, got);
    }
    if (have_cs)
        cs_close(&cs);
    g_printerr("  reg   initial   percore   unicorn\n");
    for (int i = 0; i < 16; i++)
        g_printerr("  r%-2d  %08x  %08x  %08x%s\n", i, in->r[i], p->r[i], u->r[i],
                   p->r[i] != u->r[i] ? "  <--" : "");
    g_printerr("  cpsr %08x  %08x  %08x\n", in->cpsr, p->cpsr, u->cpsr);
    for (unsigned i = 0; i < DATA_SIZE; i += 4)
        if (memcmp(p->data + i, u->data + i, 4))
            g_printerr("  mem %08x: percore %08x unicorn %08x\n", DATA_ADDR + i,
                       *(const uint32_t *)(p->data + i), *(const uint32_t *)(u->data + i));
}

static void test_random_sequences(void)
{
    struct harness h;
    h_init(&h);
    const char *env = g_getenv("PERCORE_ISA_SEQS");
    uint64_t count = env ? g_ascii_strtoull(env, NULL, 10) : 100000;
    uint64_t base_seed = g_test_rand_int();
    static struct state in, p, u;
    unsigned mismatches = 0;
    for (uint64_t i = 0; i < count && mismatches < 3; i++) {
        uint64_t seed = base_seed * 1000003ull + i;
        struct rng r = {seed};
        uint32_t code[SEQ_LEN + 1];
        for (unsigned k = 0; k < SEQ_LEN;) {
            unsigned kind = rnd_in(&r, 16);
            if (kind == 0 && k + 3 <= SEQ_LEN) {
                gen_exclusive(&r, code, &k);
                continue;
            }
            /* A branch or pc write skips one instruction: never the last one. */
            do
                code[k] = kind == 1 ? gen_pc(&r, k) : kind == 2 ? gen_system(&r) : gen_insn(&r);
            while (k == SEQ_LEN - 1 &&
                   ((code[k] & 0x0e000000u) == 0x0a000000u || ((code[k] >> 12) & 0xf) == 15));
            k++;
        }
        code[SEQ_LEN] = 0xe1400070u; /* HVC #0: percore's end of sequence */
        random_state(&r, &in);
        h_load(&h, &in, code, SEQ_LEN + 1);
        if (g_test_verbose())
            for (unsigned k = 0; k < SEQ_LEN; k++)
                g_printerr("%" G_GUINT64_FORMAT " %08x\n", seed, code[k]);
        h_run(&h, SEQ_LEN + 1, &p, &u);
        if (!states_equal(&p, &u)) {
            report(seed, code, SEQ_LEN, &in, &p, &u);
            mismatches++;
        }
    }
    g_test_message("%" G_GUINT64_FORMAT " sequences, %u mismatches", count, mismatches);
    g_assert_cmpuint(mismatches, ==, 0);
    uc_close(h.uc);
    arm_cpu_free(h.cpu);
    g_free(h.ram);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/isa-diff/a32-random", test_random_sequences);
    return g_test_run();
}

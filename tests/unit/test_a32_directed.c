/* Directed A32 cases: shifter corner cases, interworking writes to the pc, exception
 * returns, self-modifying code inside one block, alignment, and each UNPREDICTABLE
 * encoding's documented treatment (docs/target-arm.md). Expected values come from
 * the ARM ARM pseudocode, written out here, not from another emulator. */
#include <glib.h>
#include <stdatomic.h>
#include <string.h>

#include "target-arm/arm.h"

#define RAM_BASE 0x40000000u
#define RAM_SIZE (1u << 20)
#define VBAR     (RAM_BASE + 0x8000u) /* vectors: eight HVCs, so any exception ends a run */
#define DATA     (RAM_BASE + 0x10000u)
#define HVC      0xe1400070u

struct t {
    uint8_t *ram;
    struct arm_regs regs;
    _Atomic uint32_t exit_req;
    struct arm_cpu *cpu;
    /* The board as the CPU sees it: a counter moved by hand, an interrupt line, the
     * event register, and what the CPU told the board. */
    uint64_t now;
    _Atomic uint32_t line, event;
    unsigned timer_writes, events_sent;
    bool owns_ram;
    struct t *peer; /* the other CPU of a two-CPU test */
};

/* The shootdown of a first LDREX on a page, as core-proc does it between processes. */
static void t_watch_page(void *opaque, uint32_t ram_page)
{
    struct t *t = opaque;
    if (t->peer)
        arm_cpu_flush_tlb(t->peer->cpu);
}

static uint64_t t_counter(void *opaque)
{
    return ((struct t *)opaque)->now;
}

static void t_timer_changed(void *opaque)
{
    ((struct t *)opaque)->timer_writes++;
}

static void t_send_event(void *opaque)
{
    struct t *t = opaque;
    t->events_sent++;
    atomic_store(&t->event, 1);
}

static bool t_firmware(void *opaque, struct arm_regs *regs, bool smc)
{
    atomic_store(&((struct t *)opaque)->exit_req, 1);
    return true;
}

/* A CPU on its own RAM, or (ram and excl given) one that shares RAM and the global
 * exclusive monitor with another, as two vCPUs of one machine do. */
static struct t *t_new_on(uint8_t *ram, struct ctrl_excl *excl, unsigned index)
{
    struct t *t = g_new0(struct t, 1);
    t->ram = ram ? ram : g_malloc0(RAM_SIZE);
    t->owns_ram = !ram;
    struct arm_cpu_env env = {.regs = &t->regs,
                              .excl = excl,
                              .excl_owner = index,
                              .watch_page = t_watch_page,
                              .ram = t->ram,
                              .ram_base = RAM_BASE,
                              .ram_size = RAM_SIZE,
                              .firmware_call = t_firmware,
                              .opaque = t,
                              .exit_request = &t->exit_req,
                              .irq_line = &t->line,
                              .counter = t_counter,
                              .timer_changed = t_timer_changed,
                              .event = &t->event,
                              .send_event = t_send_event,
                              .log_tag = "directed"};
    t->cpu = arm_cpu_new(&env);
    arm_cpu_reset(t->cpu, 0x80000000u);
    t->regs.cp15.vbar = VBAR;
    for (unsigned v = 0; v < 8; v++) {
        uint32_t insn = HVC | v;
        memcpy(t->ram + (VBAR - RAM_BASE) + 4 * v, &insn, 4);
    }
    t->regs.r[15] = RAM_BASE;
    return t;
}

static struct t *t_new(void)
{
    return t_new_on(NULL, NULL, 0);
}

static void t_free(struct t *t)
{
    arm_cpu_free(t->cpu);
    if (t->owns_ram)
        g_free(t->ram);
    g_free(t);
}

/* Places code (then an HVC) at RAM_BASE and runs until an HVC or a halt. */
static enum arm_exit_reason t_run(struct t *t, const uint32_t *code, unsigned n)
{
    memcpy(t->ram, code, 4 * n);
    uint32_t end = HVC;
    memcpy(t->ram + 4 * n, &end, 4);
    arm_cpu_flush_code(t->cpu);
    atomic_store(&t->exit_req, 0);
    return arm_cpu_run(t->cpu, 10000);
}

/* The exception vector the run ended in, or -1 when it reached the final HVC. */
static int t_vector(struct t *t)
{
    uint32_t pc = t->regs.r[15] - 4; /* after the HVC */
    return pc >= VBAR && pc < VBAR + 32 ? (int)(pc - VBAR) : -1;
}

static uint32_t t_flags(struct t *t)
{
    return arm_regs_cpsr(&t->regs) >> 28; /* NZCV */
}

/* Register-controlled shifts by 0, 32 and more than 32 (A8.4.3). */
static void test_shift_corners(void)
{
    struct t *t = t_new();
    static const struct {
        uint32_t insn, rs, expect, c;
    } cases[] = {
        {0xe1b00211u, 32, 0, 1},              /* movs r0, r1, lsl r2: C = r1[0] */
        {0xe1b00211u, 33, 0, 0},              /* lsl by 33: C = 0 */
        {0xe1b00211u, 0, 0x80000003u, 1},     /* by 0: value and C unchanged (C set before) */
        {0xe1b00231u, 32, 0, 1},              /* lsr by 32: C = r1[31] */
        {0xe1b00251u, 40, 0xffffffffu, 1},    /* asr by 40: all sign, C = sign */
        {0xe1b00271u, 32, 0x80000003u, 1},    /* ror by 32: value, C = bit 31 */
        {0xe1b00271u, 0x100, 0x80000003u, 1}, /* ror by 256: amount byte 0: C unchanged */
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        t->regs.r[15] = RAM_BASE;
        t->regs.r[1] = 0x80000003u;
        t->regs.r[2] = cases[i].rs;
        t->regs.cf = 1;
        uint32_t code[] = {cases[i].insn};
        g_assert_cmpint(t_run(t, code, 1), ==, ARM_EXIT_REQUEST);
        g_assert_cmpint(t_vector(t), ==, -1);
        g_assert_cmphex(t->regs.r[0], ==, cases[i].expect);
        g_assert_cmpuint(t_flags(t) >> 1 & 1, ==, cases[i].c);
    }
    /* RRX: C into bit 31, bit 0 into C. */
    t->regs.r[15] = RAM_BASE;
    t->regs.r[1] = 0x00000003u;
    t->regs.cf = 0;
    uint32_t rrx[] = {0xe1b00061u}; /* movs r0, r1, rrx */
    t_run(t, rrx, 1);
    g_assert_cmphex(t->regs.r[0], ==, 1);
    g_assert_cmpuint(t_flags(t) >> 1 & 1, ==, 1);
    t_free(t);
}

/* ALUWritePC and LoadWritePC interwork in ARMv7 (A2.3.2): bit 0 selects Thumb, which
 * this core does not run yet: the vCPU halts with T set and the pc at the target. */
static void test_interworking(void)
{
    struct t *t = t_new();
    uint32_t mov_pc[] = {0xe1a0f000u}; /* mov pc, r0 */
    t->regs.r[0] = RAM_BASE + 0x101;
    g_assert_cmpint(t_run(t, mov_pc, 1), ==, ARM_EXIT_HALTED);
    g_assert_cmphex(t->regs.r[15], ==, RAM_BASE + 0x100);
    g_assert_cmpuint(arm_regs_cpsr(&t->regs) & 0x20, ==, 0x20);
    t_free(t);

    t = t_new(); /* BX to an ARM address with bit 1 set: UNPREDICTABLE, percore aligns */
    uint32_t bx[] = {0xe12fff10u};    /* bx r0 */
    t->regs.r[0] = RAM_BASE + 0x8006; /* VBAR + 6 -> VBAR + 4: the undef-vector HVC */
    g_assert_cmpint(t_run(t, bx, 1), ==, ARM_EXIT_REQUEST);
    g_assert_cmphex(t->regs.r[15], ==, VBAR + 8);
    t_free(t);
}

/* SUBS pc, lr restores the CPSR from the SPSR (B9.3.20); from System mode, which has
 * no SPSR, percore makes it UNDEFINED. */
static void test_exception_return(void)
{
    struct t *t = t_new();
    uint32_t code[] = {0xe25ef004u}; /* subs pc, lr, #4 */
    t->regs.r[14] = RAM_BASE + 0x14; /* -> RAM_BASE + 0x10: an HVC we place there */
    t->regs.spsr = 0x600001df;       /* System mode, Z C set */
    uint32_t hvc = HVC;
    memcpy(t->ram + 0x10, &hvc, 4);
    memcpy(t->ram, code, 4);
    arm_cpu_flush_code(t->cpu);
    atomic_store(&t->exit_req, 0);
    g_assert_cmpint(arm_cpu_run(t->cpu, 100), ==, ARM_EXIT_REQUEST);
    g_assert_cmphex(arm_regs_cpsr(&t->regs), ==, 0x600001df);
    g_assert_cmphex(t->regs.r[15], ==, RAM_BASE + 0x14);
    /* Now in System mode: the same instruction is UNDEFINED. */
    t->regs.r[15] = RAM_BASE;
    g_assert_cmpint(t_run(t, code, 1), ==, ARM_EXIT_REQUEST);
    g_assert_cmpint(t_vector(t), ==, 4);
    t_free(t);
}

/* The UNPREDICTABLE encodings percore makes UNDEFINED (docs/target-arm.md). */
static void test_unpredictable_undefined(void)
{
    static const uint32_t cases[] = {
        0xe08f0211u,              /* add r0, pc, r1, lsl r2: the pc in a register-shifted form */
        0xe1150001u | (1u << 12), /* tst r5, r1 with Rd = 1: a (0) field set */
        0xe5a00004u,              /* str r0, [r0, #4]!: stores its written-back base */
        0xe0811392u,              /* umull r1, r1, r2, r3: RdHi == RdLo */
        0xe8bd0000u,              /* ldm sp!, {}: an empty register list */
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct t *t = t_new();
        t->regs.r[0] = DATA;
        t->regs.r[13] = DATA;
        g_assert_cmpint(t_run(t, &cases[i], 1), ==, ARM_EXIT_REQUEST);
        g_assert_cmpint(t_vector(t), ==, 4);
        g_assert_cmphex(t->regs.r[14], ==, RAM_BASE + 4); /* UND: lr = insn + 4 */
        t_free(t);
    }
}

/* LDM with its base in the list and writeback (UNPREDICTABLE in ARMv7): the loaded
 * value wins, as on the Cortex-A15 and in qemu. */
static void test_ldm_base_in_list(void)
{
    struct t *t = t_new();
    uint32_t vals[2] = {0x11111111u, 0x22222222u};
    memcpy(t->ram + (DATA - RAM_BASE), vals, 8);
    t->regs.r[0] = DATA;
    uint32_t code[] = {0xe8b00003u}; /* ldmia r0!, {r0, r1} */
    g_assert_cmpint(t_run(t, code, 1), ==, ARM_EXIT_REQUEST);
    g_assert_cmpint(t_vector(t), ==, -1);
    g_assert_cmphex(t->regs.r[0], ==, 0x11111111u);
    g_assert_cmphex(t->regs.r[1], ==, 0x22222222u);
    t_free(t);
}

/* A store that overwrites the next instruction of the running block: the new
 * instruction runs (the block stops at the instruction boundary and is retranslated). */
static void test_self_modifying_same_block(void)
{
    struct t *t = t_new();
    uint32_t code[] = {
        0xe59f1008u,              /* ldr r1, [pc, #8]  -> the word after the HVC: mov r0, #0x42 */
        0xe50f1004u,              /* str r1, [pc, #-4] -> overwrites the mov below */
        0xe3a00011u,              /* mov r0, #0x11      (replaced before it runs) */
        HVC,         0xe3a00042u, /* mov r0, #0x42 */
    };
    memcpy(t->ram, code, sizeof(code));
    arm_cpu_flush_code(t->cpu);
    g_assert_cmpint(arm_cpu_run(t->cpu, 100), ==, ARM_EXIT_REQUEST);
    g_assert_cmphex(t->regs.r[0], ==, 0x42);
    t_free(t);
}

/* Unaligned LDR works with SCTLR.A clear and faults with it set; LDRD always needs
 * word alignment (A3.2.1). DFSR 0x001 = alignment fault, DFAR the address. */
static void test_alignment(void)
{
    struct t *t = t_new();
    uint32_t words[2] = {0x44332211u, 0x88776655u};
    memcpy(t->ram + (DATA - RAM_BASE), words, 8);
    t->regs.r[0] = DATA + 1;
    uint32_t ldr[] = {0xe5901000u}; /* ldr r1, [r0] */
    t_run(t, ldr, 1);
    g_assert_cmphex(t->regs.r[1], ==, 0x55443322u);
    t->regs.r[15] = RAM_BASE;
    t->regs.cp15.sctlr |= 2;
    t_run(t, ldr, 1);
    g_assert_cmpint(t_vector(t), ==, 0x10);
    g_assert_cmphex(t->regs.cp15.dfsr, ==, 0x001);
    g_assert_cmphex(t->regs.cp15.dfar, ==, DATA + 1);
    t_free(t);

    t = t_new();
    t->regs.r[0] = DATA + 2;
    uint32_t ldrd[] = {0xe1c020d0u}; /* ldrd r2, r3, [r0] */
    t_run(t, ldrd, 1);
    g_assert_cmpint(t_vector(t), ==, 0x10);
    g_assert_cmphex(t->regs.cp15.dfsr, ==, 0x001);
    t_free(t);
}

/* SWP is UNDEFINED unless SCTLR.SW is set (B4.1.130). */
static void test_swp(void)
{
    struct t *t = t_new();
    uint32_t word = 0xaabbccddu;
    memcpy(t->ram + (DATA - RAM_BASE), &word, 4);
    t->regs.r[0] = DATA;
    t->regs.r[2] = 0x12345678u;
    uint32_t swp[] = {0xe1001092u}; /* swp r1, r2, [r0] */
    t_run(t, swp, 1);
    g_assert_cmpint(t_vector(t), ==, 4);
    t->regs.r[15] = RAM_BASE;
    t->regs.cp15.sctlr |= 1u << 10;
    t_run(t, swp, 1);
    g_assert_cmpint(t_vector(t), ==, -1);
    g_assert_cmphex(t->regs.r[1], ==, 0xaabbccddu);
    memcpy(&word, t->ram + (DATA - RAM_BASE), 4);
    g_assert_cmphex(word, ==, 0x12345678u);
    t_free(t);
}

/* MCRR/MRRC of the 64-bit TTBR0 (B4.1.155); an unknown one is UNDEFINED. */
static void test_cp15_64bit(void)
{
    struct t *t = t_new();
    t->regs.r[0] = 0x12345000u;
    t->regs.r[1] = 0x000000abu;
    uint32_t code[] = {
        0xec410f02u, /* mcrr p15, 0, r0, r1, c2 */
        0xec532f02u, /* mrrc p15, 0, r2, r3, c2 */
    };
    g_assert_cmpint(t_run(t, code, 2), ==, ARM_EXIT_REQUEST);
    g_assert_cmpint(t_vector(t), ==, -1);
    g_assert_cmphex(t->regs.r[2], ==, 0x12345000u);
    g_assert_cmphex(t->regs.r[3], ==, 0xabu);
    g_assert_cmphex(t->regs.cp15.ttbr0_hi, ==, 0xabu);
    t->regs.r[15] = RAM_BASE;
    uint32_t unknown[] = {0xec532f0du}; /* mrrc p15, 0, r2, r3, c13: no such register */
    t_run(t, unknown, 1);
    g_assert_cmpint(t_vector(t), ==, 4);
    t_free(t);
}

/* MRS/MSR (banked register), B9.3.9-10: from SVC, User's SP; the current mode's own
 * registers through it are UNPREDICTABLE, which percore makes UNDEFINED. */
static void test_banked_mrs_msr(void)
{
    struct t *t = t_new();
    t->regs.r[0] = 0x4000abcdu;
    uint32_t code[] = {
        0xe125f200u, /* msr sp_usr, r0 */
        0xe1051200u, /* mrs r1, sp_usr */
    };
    g_assert_cmpint(t_run(t, code, 2), ==, ARM_EXIT_REQUEST);
    g_assert_cmpint(t_vector(t), ==, -1);
    g_assert_cmphex(t->regs.r[1], ==, 0x4000abcdu);
    g_assert_cmphex(t->regs.banked_r13[BANK_USR], ==, 0x4000abcdu);
    t->regs.r[15] = RAM_BASE;
    uint32_t own[] = {0xe1002200u}; /* mrs r2, r8_usr from SVC: SVC's own r8 */
    t_run(t, own, 1);
    g_assert_cmpint(t_vector(t), ==, 4);
    t_free(t);
}

/* A block whose instructions would need more temps than a block has (LDM ^ of 15
 * registers after many LDMs): the block is cut before it, nothing asserts. */
static void test_temp_exhaustion(void)
{
    struct t *t = t_new();
    uint32_t code[12];
    for (unsigned i = 0; i < 7; i++)
        code[i] = 0xe89d5ffeu; /* ldm sp, {r1-r12, lr} */
    for (unsigned i = 7; i < 10; i++)
        code[i] = 0xe3001000u; /* movw r1, #0 */
    code[10] = 0xe8d07fffu;    /* ldm r0, {r0-r14}^ */
    code[11] = 0xe3a00001u;    /* mov r0, #1 (after the LDM ^ loaded r0) */
    t->regs.r[13] = DATA;
    t->regs.r[0] = DATA;
    g_assert_cmpint(t_run(t, code, 12), ==, ARM_EXIT_REQUEST);
    g_assert_cmpint(t_vector(t), ==, -1);
    g_assert_cmphex(t->regs.r[0], ==, 1);
    t_free(t);
}

/* arm_cpu_run's block budget holds even when blocks are chained to themselves. */
static void test_block_budget(void)
{
    struct t *t = t_new();
    uint32_t loop[] = {0xeafffffeu}; /* b . */
    memcpy(t->ram, loop, 4);
    arm_cpu_flush_code(t->cpu);
    g_assert_cmpint(arm_cpu_run(t->cpu, 1000), ==, ARM_EXIT_BUDGET);
    g_assert_cmphex(t->regs.r[15], ==, RAM_BASE);
    t_free(t);
}

/* More distinct blocks than the cache keeps (65536): the full flush happens between
 * blocks and nothing refers to a freed one (run under MODE=asan to see it). */
static void test_cache_flush_limit(void)
{
    struct t *t = t_new();
    enum { N = 65540, AT = 0x20000 };
    uint32_t b_next = 0xeaffffffu; /* b .+4: every instruction is a block */
    for (unsigned i = 0; i < N; i++)
        memcpy(t->ram + AT + 4 * i, &b_next, 4);
    uint32_t hvc = HVC;
    memcpy(t->ram + AT + 4 * N, &hvc, 4);
    t->regs.r[15] = RAM_BASE + AT;
    arm_cpu_flush_code(t->cpu);
    g_assert_cmpint(arm_cpu_run(t->cpu, 0), ==, ARM_EXIT_REQUEST);
    g_assert_cmphex(t->regs.r[15], ==, RAM_BASE + AT + 4 * N + 4);
    struct arm_cpu_stats st;
    arm_cpu_stats(t->cpu, &st);
    g_assert_cmpuint(st.translations, >, N);
    t_free(t);
}

/* Encodings used below. */
#define MRRC_CNTPCT_R0_R1  0xec510f0eu /* mrrc p15, 0, r0, r1, c14 */
#define MRRC_CNTVCT_R0_R1  0xec510f1eu /* mrrc p15, 1, r0, r1, c14 */
#define MCRR_CNTPCVAL_R0R1 0xec410f2eu /* mcrr p15, 2, r0, r1, c14 */
#define MRRC_CNTVOFF_R0_R1 0xec510f4eu /* mrrc p15, 4, r0, r1, c14 (Hyp only) */
#define MRC_CNTFRQ_R0      0xee1e0f10u /* mrc p15, 0, r0, c14, c0, 0 */
#define MCR_CNTKCTL_R0     0xee0e0f11u /* mcr p15, 0, r0, c14, c1, 0 */
#define MCR_CNTP_TVAL_R0   0xee0e0f12u /* mcr p15, 0, r0, c14, c2, 0 */
#define MRC_CNTP_TVAL_R0   0xee1e0f12u
#define MCR_CNTP_CTL_R0    0xee0e0f32u /* mcr p15, 0, r0, c14, c2, 1 */
#define MRC_CNTP_CTL_R0    0xee1e0f32u
#define CPS_USR            0xf1020010u /* cps #16 */

static uint32_t t_one(struct t *t, uint32_t insn, uint32_t r0)
{
    t->regs.r[15] = RAM_BASE;
    t->regs.r[0] = r0;
    uint32_t code[] = {insn};
    t_run(t, code, 1);
    return t->regs.r[0];
}

/* The generic timer's registers (B8.1, B4.1.21-33) against a counter moved by hand:
 * CNTFRQ, the counters, TVAL as CVAL - count (signed), CTL's ISTATUS, the output
 * the board sees, and that every write is reported to the board. */
static void test_generic_timer(void)
{
    struct t *t = t_new();
    t->now = 1000;
    g_assert_cmpuint(t_one(t, MRC_CNTFRQ_R0, 0), ==, 62500000u);
    t->now = 0x123456789ull;
    g_assert_cmphex(t_one(t, MRRC_CNTPCT_R0_R1, 0), ==, 0x23456789u);
    g_assert_cmphex(t->regs.r[1], ==, 1);
    g_assert_cmphex(t_one(t, MRRC_CNTVCT_R0_R1, 0), ==, 0x23456789u); /* CNTVOFF is 0 */
    t->now = 1000;
    unsigned writes = t->timer_writes;
    t_one(t, MCR_CNTP_TVAL_R0, 100); /* CVAL = 1100 */
    g_assert_cmpuint(t->timer_writes, ==, writes + 1);
    t->now = 1050;
    g_assert_cmpuint(t_one(t, MRC_CNTP_TVAL_R0, 0), ==, 50);
    uint64_t deadline;
    g_assert_false(arm_timer_output(&t->regs, ARM_TIMER_PHYS, t->now, &deadline));
    g_assert_cmpuint(deadline, ==, UINT64_MAX); /* disabled */
    t_one(t, MCR_CNTP_CTL_R0, 1);
    g_assert_cmphex(t_one(t, MRC_CNTP_CTL_R0, 0), ==, 1); /* enabled, condition not met */
    g_assert_false(arm_timer_output(&t->regs, ARM_TIMER_PHYS, t->now, &deadline));
    g_assert_cmpuint(deadline, ==, 1100);
    t->now = 1100;
    g_assert_cmphex(t_one(t, MRC_CNTP_CTL_R0, 0), ==, 5); /* ISTATUS */
    g_assert_true(arm_timer_output(&t->regs, ARM_TIMER_PHYS, t->now, &deadline));
    t_one(t, MCR_CNTP_CTL_R0, 3); /* IMASK: the status stays, the output drops */
    g_assert_cmphex(t_one(t, MRC_CNTP_CTL_R0, 0), ==, 7);
    g_assert_false(arm_timer_output(&t->regs, ARM_TIMER_PHYS, t->now, &deadline));
    t->now = 1200;
    g_assert_cmphex(t_one(t, MRC_CNTP_TVAL_R0, 0), ==, (uint32_t)-100);
    /* A negative TVAL is in the past: the condition holds at once. */
    t_one(t, MCR_CNTP_CTL_R0, 1);
    t_one(t, MCR_CNTP_TVAL_R0, (uint32_t)-5);
    g_assert_true(arm_timer_output(&t->regs, ARM_TIMER_PHYS, t->now, &deadline));
    /* CVAL through MCRR, and the virtual timer left alone. */
    t->regs.r[1] = 0;
    t_one(t, MCRR_CNTPCVAL_R0R1, 5000);
    g_assert_false(arm_timer_output(&t->regs, ARM_TIMER_PHYS, t->now, &deadline));
    g_assert_cmpuint(deadline, ==, 5000);
    g_assert_false(arm_timer_output(&t->regs, ARM_TIMER_VIRT, t->now, &deadline));
    /* CNTVOFF is Hyp's: UNDEFINED from SVC. */
    t_one(t, MRRC_CNTVOFF_R0_R1, 0);
    g_assert_cmpint(t_vector(t), ==, 0x04);
    t_free(t);
}

/* PL0 reaches the counters and timers only as CNTKCTL allows (B4.1.26). */
static void test_generic_timer_pl0(void)
{
    struct t *t = t_new();
    t->now = 77;
    /* The run ends in the Undefined vector either way (HVC is UNDEFINED at PL0):
     * LR_und tells which instruction took it. */
    uint32_t code[] = {CPS_USR, MRRC_CNTPCT_R0_R1};
    t_run(t, code, 2);
    g_assert_cmpint(t_vector(t), ==, 0x04); /* PL0PCTEN clear: the MRRC is UNDEFINED */
    g_assert_cmphex(t->regs.r[14], ==, RAM_BASE + 8);
    arm_cpu_reset(t->cpu, 0x80000000u);
    t->regs.cp15.vbar = VBAR;
    t_one(t, MCR_CNTKCTL_R0, 1); /* PL0PCTEN */
    t->regs.r[15] = RAM_BASE;
    t->regs.r[0] = 0;
    t_run(t, code, 2);
    g_assert_cmphex(t->regs.r[14], ==, RAM_BASE + 12); /* the HVC after it */
    g_assert_cmpuint(t->regs.r[0], ==, 77);
    t_free(t);
}

/* Interrupts (B1.8.6-7) are taken between blocks when the CPSR lets them: the line
 * masked by CPSR.I is left pending; unmasked, IRQ enters IRQ mode at 0x18 with LR =
 * the next instruction + 4; FIQ wins over IRQ. */
static void test_interrupt_entry(void)
{
    struct t *t = t_new();
    uint32_t nop[] = {0xe320f000u};
    atomic_store(&t->line, ARM_LINE_IRQ);
    t_run(t, nop, 1); /* reset state: I and F masked */
    g_assert_cmpint(t_vector(t), ==, -1);
    t->regs.r[15] = RAM_BASE;
    t->regs.cpsr &= ~ARM_CPSR_I;
    t_run(t, nop, 1);
    g_assert_cmpint(t_vector(t), ==, 0x18);
    g_assert_cmphex(t->regs.cpsr & 0x1f, ==, ARM_MODE_IRQ);
    g_assert_cmphex(t->regs.r[14], ==, RAM_BASE + 4);
    g_assert_true(t->regs.cpsr & ARM_CPSR_I);
    /* CPSIE i opens the window at once: the block ends there. */
    arm_cpu_reset(t->cpu, 0x80000000u);
    t->regs.cp15.vbar = VBAR;
    t->regs.r[15] = RAM_BASE;
    uint32_t window[] = {0xf1080080u /* cpsie i */, 0xf10c0080u /* cpsid i */};
    t_run(t, window, 2);
    g_assert_cmpint(t_vector(t), ==, 0x18);
    g_assert_cmphex(t->regs.r[14], ==, RAM_BASE + 8); /* taken after the CPSIE */
    /* FIQ first when both are pending and unmasked. */
    arm_cpu_reset(t->cpu, 0x80000000u);
    t->regs.cp15.vbar = VBAR;
    t->regs.cpsr &= ~(ARM_CPSR_I | ARM_CPSR_F);
    atomic_store(&t->line, ARM_LINE_IRQ | ARM_LINE_FIQ);
    t->regs.r[15] = RAM_BASE;
    t_run(t, nop, 1);
    g_assert_cmpint(t_vector(t), ==, 0x1c);
    g_assert_cmphex(t->regs.cpsr & 0x1f, ==, ARM_MODE_FIQ);
    t_free(t);
}

/* WFE with the event register set clears it and goes on; clear, it waits (B1.8.13).
 * SEV sets every CPU's event register through the board, this one's included. */
static void test_wfe_sev(void)
{
    struct t *t = t_new();
    uint32_t wfe[] = {0xe320f002u};
    atomic_store(&t->event, 1);
    g_assert_cmpint(t_run(t, wfe, 1), ==, ARM_EXIT_REQUEST); /* reached the HVC */
    g_assert_cmpuint(atomic_load(&t->event), ==, 0);
    t->regs.r[15] = RAM_BASE;
    g_assert_cmpint(t_run(t, wfe, 1), ==, ARM_EXIT_WFE);
    g_assert_cmphex(t->regs.r[15], ==, RAM_BASE + 4);
    uint32_t wfi[] = {0xe320f003u};
    t->regs.r[15] = RAM_BASE;
    atomic_store(&t->event, 1);
    g_assert_cmpint(t_run(t, wfi, 1), ==, ARM_EXIT_WFI); /* WFI ignores events */
    uint32_t sev_wfe[] = {0xe320f004u, 0xe320f002u};
    atomic_store(&t->event, 0);
    t->regs.r[15] = RAM_BASE;
    g_assert_cmpint(t_run(t, sev_wfe, 2), ==, ARM_EXIT_REQUEST); /* its own event */
    g_assert_cmpuint(t->events_sent, ==, 1);
    t_free(t);
}

/* A prefetch abort whose own vector cannot be fetched would repeat for ever: the vCPU
 * halts, saying so, instead. */
static void test_abort_loop_halts(void)
{
    struct t *t = t_new();
    t->regs.cp15.vbar = 0x10000000u; /* no RAM, no device there */
    uint32_t code[] = {0xe3a0f201u}; /* mov pc, #0x10000000 */
    g_assert_cmpint(t_run(t, code, 1), ==, ARM_EXIT_HALTED);
    g_assert_cmphex(t->regs.r[15], ==, 0x1000000cu);
    g_assert_cmphex(t->regs.cpsr & 0x1f, ==, ARM_MODE_ABT);
    t_free(t);
}

/* Two CPUs of one machine: shared RAM and a shared global monitor. */
static struct ctrl_excl *t_pair_new(struct t **a, struct t **b)
{
    struct ctrl_excl *excl = g_new0(struct ctrl_excl, 1);
    *a = t_new_on(NULL, excl, 0);
    *b = t_new_on((*a)->ram, excl, 1);
    (*a)->peer = *b;
    (*b)->peer = *a;
    return excl;
}

static void t_pair_free(struct t *a, struct t *b, struct ctrl_excl *excl)
{
    t_free(b);
    t_free(a);
    g_free(excl);
}

/* The global monitor (A3.4): after A's LDREX, any store by B to the reservation granule,
 * even of the value already there, fails A's STREX — the ABA case a compare-and-swap
 * STREX misses; a store to another granule does not (unless it shares a bucket, which
 * these addresses do not). */
static void test_exclusive_aba(void)
{
    struct t *a, *b;
    struct ctrl_excl *excl = t_pair_new(&a, &b);
    /* B stores to the page before anyone marks it: its TLB has a fast write entry, which
     * A's first LDREX there must take away (the shootdown). */
    b->regs.r[0] = DATA;
    uint32_t warm[] = {0xe5802000u}; /* str r2, [r0] */
    t_run(b, warm, 1);
    static const struct {
        uint32_t insn, offset, value; /* B's store: str/strb r2, [r0, #offset] */
        uint32_t fails;
    } cases[] = {
        {0, 0, 0, 0},                /* no store: A's STREX succeeds */
        {0xe5802000u, 0, 0x1234, 1}, /* str r2, [r0]: the value already there */
        {0xe5c02002u, 2, 0x12, 1},   /* strb r2, [r0, #2]: one byte of the word */
        {0xe580203cu, 60, 7, 1},     /* str r2, [r0, #60]: the same 64-byte granule */
        {0xe5802040u, 64, 7, 0},     /* str r2, [r0, #64]: the next granule */
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint32_t word = 0x1234;
        memcpy(a->ram + (DATA - RAM_BASE), &word, 4);
        a->regs.r[15] = RAM_BASE;
        a->regs.r[0] = DATA;
        uint32_t ldrex[] = {0xe1901f9fu}; /* ldrex r1, [r0] */
        t_run(a, ldrex, 1);
        g_assert_cmphex(a->regs.r[1], ==, 0x1234);
        if (cases[i].insn) {
            b->regs.r[15] = RAM_BASE;
            b->regs.r[0] = DATA;
            b->regs.r[2] = cases[i].insn == 0xe5802000u ? 0x1234 : cases[i].value;
            uint32_t store[] = {cases[i].insn};
            t_run(b, store, 1);
        }
        a->regs.r[15] = RAM_BASE;
        a->regs.r[2] = 0x5678;
        uint32_t strex[] = {0xe1803f92u}; /* strex r3, r2, [r0] */
        t_run(a, strex, 1);
        g_assert_cmpuint(a->regs.r[3], ==, cases[i].fails);
        memcpy(&word, a->ram + (DATA - RAM_BASE), 4);
        g_assert_cmphex(word == 0x5678, ==, !cases[i].fails);
    }
    /* B's own LDREX/STREX writing the same value back fails A's too. */
    a->regs.r[15] = RAM_BASE;
    uint32_t ldrex[] = {0xe1901f9fu};
    t_run(a, ldrex, 1);
    b->regs.r[15] = RAM_BASE;
    b->regs.r[0] = DATA;
    uint32_t swap_same[] = {0xe1901f9fu, 0xe1803f91u}; /* ldrex r1; strex r3, r1, [r0] */
    t_run(b, swap_same, 2);
    g_assert_cmpuint(b->regs.r[3], ==, 0);
    a->regs.r[15] = RAM_BASE;
    uint32_t strex[] = {0xe1803f92u};
    t_run(a, strex, 1);
    g_assert_cmpuint(a->regs.r[3], ==, 1);
    t_pair_free(a, b, excl);
}

/* Runs the code at RAM_BASE + off without dropping the CPU's caches (its TLB stays). */
static void t_run_warm(struct t *t, uint32_t off, const uint32_t *code, unsigned n)
{
    uint32_t end = HVC;
    memcpy(t->ram + off, code, 4 * n);
    memcpy(t->ram + off + 4 * n, &end, 4);
    t->regs.r[15] = RAM_BASE + off;
    atomic_store(&t->exit_req, 0);
    arm_cpu_run(t->cpu, 10000);
}

/* The first LDREX on a page takes the other CPUs' fast write entries for it away
 * (env.watch_page): B, whose TLB already maps the page for fast stores, stores the same
 * value after A's LDREX, and A's STREX must still fail. */
static void test_exclusive_watch_shootdown(void)
{
    struct t *a, *b;
    struct ctrl_excl *excl = t_pair_new(&a, &b);
    uint32_t word = 0x1234;
    memcpy(a->ram + (DATA - RAM_BASE), &word, 4);
    b->regs.r[0] = a->regs.r[0] = DATA;
    b->regs.r[2] = 0x1234;
    uint32_t store[] = {0xe5802000u}; /* str r2, [r0] */
    t_run_warm(b, 0x200, store, 1);   /* B's TLB: a fast write entry for DATA's page */
    uint32_t ldrex[] = {0xe1901f9fu}; /* ldrex r1, [r0] */
    t_run_warm(a, 0x100, ldrex, 1);
    t_run_warm(b, 0x200, store, 1); /* the same value, through B's TLB */
    a->regs.r[2] = 0x5678;
    uint32_t strex[] = {0xe1803f92u}; /* strex r3, r2, [r0] */
    t_run_warm(a, 0x300, strex, 1);
    g_assert_cmpuint(a->regs.r[3], ==, 1);
    t_pair_free(a, b, excl);
}

/* With the MMU on, the monitor works on physical addresses for STREX as for LDREX
 * (A3.4): A reaches DATA through an alias section at VA 0x80000000, B stores the same
 * value through the identity map, and A's STREX must fail. (It succeeded when STREX
 * took the virtual address for a physical one: outside RAM, a plain store. Linux's
 * linear map is such an alias; its atomics lost updates with -smp 4.) A STREX through
 * a read-only mapping takes a permission fault. */
#define ALIAS_VA 0x80000000u
#define TTB      (RAM_BASE + 0x40000u) /* 16 KiB aligned */
static void t_mmu_alias(struct t *t)
{
    uint32_t sect_rw = RAM_BASE | 3u << 10 | 2u;            /* AP = 011 */
    uint32_t sect_ro = RAM_BASE | 1u << 15 | 1u << 10 | 2u; /* AP = 101 */
    uint8_t *ttb = t->ram + (TTB - RAM_BASE);
    memcpy(ttb + 4 * (RAM_BASE >> 20), &sect_rw, 4); /* code, vectors */
    memcpy(ttb + 4 * (ALIAS_VA >> 20), &sect_rw, 4);
    memcpy(ttb + 4 * ((ALIAS_VA >> 20) + 1), &sect_ro, 4); /* VA 0x80100000 */
    t->regs.cp15.ttbr0_lo = TTB;
    t->regs.cp15.ttbcr = 0;
    t->regs.cp15.dacr = 1; /* domain 0: client */
    t->regs.cp15.sctlr |= 1;
    arm_cpu_flush_tlb(t->cpu);
}

static void test_exclusive_mmu_alias(void)
{
    struct t *a, *b;
    struct ctrl_excl *excl = t_pair_new(&a, &b);
    t_mmu_alias(a);
    t_mmu_alias(b);
    uint32_t ldrex[] = {0xe1901f9fu}; /* ldrex r1, [r0] */
    uint32_t strex[] = {0xe1803f92u}; /* strex r3, r2, [r0] */
    uint32_t store[] = {0xe5802000u}; /* str r2, [r0] */
    for (unsigned stored = 0; stored < 2; stored++) {
        uint32_t word = 0x1234;
        memcpy(a->ram + (DATA - RAM_BASE), &word, 4);
        a->regs.r[0] = ALIAS_VA + (DATA - RAM_BASE);
        t_run_warm(a, 0x100, ldrex, 1);
        g_assert_cmphex(a->regs.r[1], ==, 0x1234);
        if (stored) {
            b->regs.r[0] = DATA;
            b->regs.r[2] = 0x1234;
            t_run_warm(b, 0x200, store, 1);
        }
        a->regs.r[2] = 0x5678;
        t_run_warm(a, 0x300, strex, 1);
        g_assert_cmpint(t_vector(a), ==, -1);
        g_assert_cmpuint(a->regs.r[3], ==, stored);
        memcpy(&word, a->ram + (DATA - RAM_BASE), 4);
        g_assert_cmphex(word, ==, stored ? 0x1234 : 0x5678);
    }
    /* The same word through the read-only section: LDREX reads, STREX aborts (WnR). */
    a->regs.r[0] = ALIAS_VA + (1u << 20) + (DATA - RAM_BASE);
    t_run_warm(a, 0x100, ldrex, 1);
    g_assert_cmpint(t_vector(a), ==, -1);
    t_run_warm(a, 0x300, strex, 1);
    g_assert_cmpint(t_vector(a), ==, 0x10);
    g_assert_cmphex(a->regs.cp15.dfsr, ==, 1u << 11 | 0x0d); /* write, permission, section */
    g_assert_cmphex(a->regs.cp15.dfar, ==, a->regs.r[0]);
    t_pair_free(a, b, excl);
}

/* CP14 as a Cortex-A15 without an external debugger shows it (cp14.c). */
static void test_cp14(void)
{
    struct t *t = t_new();
    g_assert_cmphex(t_one(t, 0xee100e10u, 0), ==, 0x3515f021u); /* mrc p14,0,r0,c0,c0,0 DBGDIDR */
    g_assert_cmpint(t_vector(t), ==, -1);
    t_one(t, 0xeec10e10u, 0x40001000u);                         /* mcr p14,6,r0,c1,c0,0: TEEHBR */
    g_assert_cmphex(t_one(t, 0xeed10e10u, 0), ==, 0x40001000u); /* mrc p14,6,r0,c1,c0,0 */
    g_assert_cmphex(t_one(t, 0xeef10e10u, 5), ==, 0);           /* mrc p14,7,r0,c1,c0,0: JOSCR */
    g_assert_cmphex(t_one(t, 0xee110e91u, 7), ==, 0);           /* mrc p14,0,r0,c1,c1,4: DBGOSLSR */
    t_one(t, 0xee300e10u, 0); /* mrc p14,1,...: no such register */
    g_assert_cmpint(t_vector(t), ==, 0x04);
    t_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/a32/shift-corners", test_shift_corners);
    g_test_add_func("/a32/interworking", test_interworking);
    g_test_add_func("/a32/exception-return", test_exception_return);
    g_test_add_func("/a32/unpredictable-undefined", test_unpredictable_undefined);
    g_test_add_func("/a32/ldm-base-in-list", test_ldm_base_in_list);
    g_test_add_func("/a32/self-modifying-same-block", test_self_modifying_same_block);
    g_test_add_func("/a32/alignment", test_alignment);
    g_test_add_func("/a32/swp", test_swp);
    g_test_add_func("/a32/cp15-64bit", test_cp15_64bit);
    g_test_add_func("/a32/banked-mrs-msr", test_banked_mrs_msr);
    g_test_add_func("/a32/temp-exhaustion", test_temp_exhaustion);
    g_test_add_func("/a32/block-budget", test_block_budget);
    g_test_add_func("/a32/cache-flush-limit", test_cache_flush_limit);
    g_test_add_func("/a32/generic-timer", test_generic_timer);
    g_test_add_func("/a32/generic-timer-pl0", test_generic_timer_pl0);
    g_test_add_func("/a32/interrupt-entry", test_interrupt_entry);
    g_test_add_func("/a32/wfe-sev", test_wfe_sev);
    g_test_add_func("/a32/abort-loop-halts", test_abort_loop_halts);
    g_test_add_func("/a32/exclusive-aba", test_exclusive_aba);
    g_test_add_func("/a32/cp14", test_cp14);
    g_test_add_func("/a32/exclusive-watch-shootdown", test_exclusive_watch_shootdown);
    g_test_add_func("/a32/exclusive-mmu-alias", test_exclusive_mmu_alias);
    return g_test_run();
}

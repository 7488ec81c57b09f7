/* Runtime helpers: the operations blocks call rather than spell out in IR. Each has
 * the uniform shape (cpu, a, b, c, imm); one that takes an exception sets
 * cpu->exception_taken and the interpreter leaves the block. */
#include <stdatomic.h>

#include "target-arm/translate.h"

#define CPSR_T (1u << 5)

uint32_t helper_exception(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t exc)
{
    arm_take_exception(cpu, (enum arm_exception)exc, cpu->insn_pc);
    return 0;
}

/* A debug event: Prefetch Abort with IFSR "debug event" (B3.13.3). */
uint32_t helper_bkpt(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    cpu->regs->cp15.ifsr = 0x2;
    arm_take_exception(cpu, EXC_PREFETCH_ABORT, cpu->insn_pc);
    return 0;
}

/* BXWritePC (A2.3.2): bit 0 selects Thumb state. In ARM state an address with
 * bit 1 set is UNPREDICTABLE: percore clears it. */
uint32_t helper_bx(struct arm_cpu *cpu, uint32_t target, uint32_t b, uint32_t c, uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    if (target & 1) {
        r->cpsr |= CPSR_T;
        r->r[15] = target & ~1u;
    } else {
        r->cpsr &= ~CPSR_T;
        r->r[15] = target & ~3u;
    }
    return 0;
}

/* CPSR <- SPSR, then branch (B9.3.x exception return). In User and System modes,
 * which have no SPSR, it is UNPREDICTABLE: percore makes it UNDEFINED. */
uint32_t helper_exception_return(struct arm_cpu *cpu, uint32_t target, uint32_t b, uint32_t c,
                                 uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    uint32_t mode = r->cpsr & 0x1f;
    if (mode == ARM_MODE_USR || mode == ARM_MODE_SYS) {
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
        return 0;
    }
    arm_write_cpsr(cpu, r->spsr, 0xffffffffu, true);
    r->r[15] = (r->cpsr & CPSR_T) ? target & ~1u : target & ~3u;
    r->excl_open = 0;
    return 0;
}

uint32_t helper_cpsr_read(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    /* MRS of the CPSR reads the execution-state bits (T, J, IT) as zero (B9.3.8). */
    return arm_regs_cpsr(cpu->regs) & ~0x0700fc20u;
}

uint32_t helper_cpsr_write(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t mask)
{
    arm_write_cpsr(cpu, v, mask, false);
    return 0;
}

uint32_t helper_spsr_write(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t mask)
{
    arm_spsr_write(cpu->regs, v, mask);
    return 0;
}

uint32_t helper_set_nzcv(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    arm_regs_set_cpsr_bits(r, (arm_regs_cpsr(r) & ~0xf0000000u) | (v & 0xf0000000u));
    return 0;
}

/* The User-mode copy of register n from a privileged mode (LDM/STM with ^). */
static uint32_t *user_reg(struct arm_regs *r, unsigned n)
{
    uint32_t mode = r->cpsr & 0x1f;
    if (n >= 8 && n <= 12 && mode == ARM_MODE_FIQ)
        return &r->usr_r8_12[n - 8];
    if ((n == 13 || n == 14) && mode != ARM_MODE_USR && mode != ARM_MODE_SYS)
        return n == 13 ? &r->banked_r13[BANK_USR] : &r->banked_r14[BANK_USR];
    return &r->r[n];
}

uint32_t helper_user_reg_read(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t n)
{
    return n == 15 ? cpu->insn_pc + 8 : *user_reg(cpu->regs, n);
}

uint32_t helper_user_reg_write(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t n)
{
    *user_reg(cpu->regs, n) = v;
    return 0;
}

/* WFI and WFE: the vCPU leaves the run loop and its process waits for an event
 * (a doorbell; the interrupt controller and timer come with the board). */
/* WFI and WFE (B1.8.13): the run loop returns and the board waits. WFE with the
 * event register set clears it and goes on. */
uint32_t helper_wfi(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t is_wfe)
{
    if (is_wfe && cpu->env.event &&
        atomic_exchange_explicit(cpu->env.event, 0, memory_order_acq_rel))
        return 0;
    cpu->wfi = true;
    cpu->wfe = is_wfe;
    return 0;
}

/* SEV: an event for every CPU of the system, this one's included (B1.8.13). The
 * stores before it are visible first: the unlock-then-SEV idiom depends on it. */
uint32_t helper_sev(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (cpu->env.send_event)
        cpu->env.send_event(cpu->env.opaque);
    return 0;
}

/* DMB and DSB (A8.8.43, A8.8.44): a full host fence (docs/memory-model.md says why that
 * is enough); a DSB also completes the broadcast maintenance this CPU issued (B2.2.6:
 * it waits until every other vCPU has acted on it). */
uint32_t helper_barrier(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t dsb)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (dsb && cpu->env.dsb) /* broadcast maintenance this CPU issued completes here */
        cpu->env.dsb(cpu->env.opaque);
    return 0;
}

uint32_t helper_cp15_read(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t key)
{
    uint32_t v = 0;
    if (arm_cp15_read(cpu, key, &v) < 0)
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
    return v;
}

uint32_t helper_cp15_write(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t key)
{
    if (arm_cp15_write(cpu, key, v) < 0)
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
    return 0;
}

uint32_t helper_firmware(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t smc)
{
    if (!cpu->env.firmware_call || !cpu->env.firmware_call(cpu->env.opaque, cpu->regs, smc))
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
    return 0;
}

/* SEL (A8.8, "SEL"): each byte from a or b as GE says. */
uint32_t helper_sel(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    uint32_t r = 0, ge = cpu->regs->ge;
    for (int i = 0; i < 4; i++)
        r |= ((ge >> i) & 1 ? a : b) & (0xffu << (8 * i));
    return r;
}

/* SXTAB16/UXTAB16 and the forms without add: two bytes to two halfwords. */
uint32_t helper_xtb16(struct arm_cpu *cpu, uint32_t v, uint32_t n, uint32_t c, uint32_t sign)
{
    uint32_t lo = v & 0xff, hi = (v >> 16) & 0xff;
    if (sign) {
        lo = (uint32_t)(int32_t)(int8_t)lo;
        hi = (uint32_t)(int32_t)(int8_t)hi;
    }
    lo = (lo + n) & 0xffff;
    hi = (hi + (n >> 16)) & 0xffff;
    return lo | (hi << 16);
}

/* SRS (B9.3.16): store LR and SPSR to the stack of mode imm[4:0]. */
static uint32_t *banked_sp(struct arm_regs *r, uint32_t mode)
{
    if ((r->cpsr & 0x1f) == mode || (mode == ARM_MODE_SYS && (r->cpsr & 0x1f) == ARM_MODE_USR))
        return &r->r[13];
    static const uint8_t bank_of[32] = {
        [ARM_MODE_USR] = BANK_USR, [ARM_MODE_SYS] = BANK_USR, [ARM_MODE_FIQ] = BANK_FIQ,
        [ARM_MODE_IRQ] = BANK_IRQ, [ARM_MODE_SVC] = BANK_SVC, [ARM_MODE_ABT] = BANK_ABT,
        [ARM_MODE_UND] = BANK_UND,
    };
    return &r->banked_r13[bank_of[mode & 0x1f]];
}

uint32_t helper_srs(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    uint32_t mode = imm & 0x1f;
    bool p = imm & (1u << 8), u = imm & (1u << 9), w = imm & (1u << 10);
    unsigned memf = 2 | MEMF_ALIGN | ((imm & (1u << 11)) ? MEMF_BE : 0);
    uint32_t *sp = banked_sp(r, mode);
    uint32_t base = *sp;
    uint32_t addr = u ? (p ? base + 4 : base) : (p ? base - 8 : base - 4);
    if (!mem_store(cpu, addr, memf, r->r[14]) || !mem_store(cpu, addr + 4, memf, r->spsr))
        return 0;
    if (w)
        *sp = u ? base + 8 : base - 8;
    return 0;
}

uint32_t helper_rfe(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    unsigned rn = imm & 0xf;
    bool p = imm & (1u << 8), u = imm & (1u << 9), w = imm & (1u << 10);
    unsigned memf = 2 | MEMF_ALIGN | ((imm & (1u << 11)) ? MEMF_BE : 0);
    uint32_t base = r->r[rn];
    uint32_t addr = u ? (p ? base + 4 : base) : (p ? base - 8 : base - 4);
    uint32_t pc, psr;
    if (!mem_load(cpu, addr, memf, &pc) || !mem_load(cpu, addr + 4, memf, &psr))
        return 0;
    if (w)
        r->r[rn] = u ? base + 8 : base - 8;
    arm_write_cpsr(cpu, psr, 0xffffffffu, true);
    r->r[15] = (r->cpsr & CPSR_T) ? pc & ~1u : pc & ~3u;
    r->excl_open = 0;
    return 0;
}

/* The register MRS/MSR (banked) name by SYSm (bit 5: the R bit, an SPSR), ARM ARM
 * table B9-2, or NULL for what is UNPREDICTABLE here and so UNDEFINED: the current
 * mode's own register (which the plain name already reaches), Monitor and Hyp
 * registers (this core has neither mode), reserved encodings. */
static uint32_t *banked_reg(struct arm_regs *r, uint32_t sysm)
{
    uint32_t mode = r->cpsr & 0x1f;
    bool fiq = mode == ARM_MODE_FIQ, usr = mode == ARM_MODE_USR || mode == ARM_MODE_SYS;
    static const struct {
        uint8_t mode, bank;
    } pair[8] = {
        [0] = {ARM_MODE_IRQ, BANK_IRQ},
        [1] = {ARM_MODE_SVC, BANK_SVC},
        [2] = {ARM_MODE_ABT, BANK_ABT},
        [3] = {ARM_MODE_UND, BANK_UND},
    };
    uint32_t n = sysm & 0x1f;
    if (sysm & 0x20) { /* SPSR_<mode> */
        if (n == 0x0e)
            return fiq ? NULL : &r->banked_spsr[BANK_FIQ];
        if (n >= 0x10 && n <= 0x16 && !(n & 1))
            return mode == pair[(n - 0x10) / 2].mode ? NULL
                                                     : &r->banked_spsr[pair[(n - 0x10) / 2].bank];
        return NULL;
    }
    if (n <= 4) /* R8_usr-R12_usr: banked only while in FIQ mode */
        return fiq ? &r->usr_r8_12[n] : NULL;
    if (n == 5 || n == 6) /* SP_usr, LR_usr */
        return usr ? NULL : n == 5 ? &r->banked_r13[BANK_USR] : &r->banked_r14[BANK_USR];
    if (n >= 8 && n <= 12) /* R8_fiq-R12_fiq */
        return fiq ? NULL : &r->fiq_r8_12[n - 8];
    if (n == 13 || n == 14) /* SP_fiq, LR_fiq */
        return fiq ? NULL : n == 13 ? &r->banked_r13[BANK_FIQ] : &r->banked_r14[BANK_FIQ];
    if (n >= 0x10 && n <= 0x17) { /* LR_/SP_ of irq, svc, abt, und */
        unsigned i = (n - 0x10) / 2;
        if (mode == pair[i].mode)
            return NULL;
        return (n & 1) ? &r->banked_r13[pair[i].bank] : &r->banked_r14[pair[i].bank];
    }
    return NULL;
}

uint32_t helper_banked_read(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t sysm)
{
    uint32_t *p = banked_reg(cpu->regs, sysm);
    if (!p) {
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
        return 0;
    }
    return *p;
}

uint32_t helper_banked_write(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t sysm)
{
    uint32_t *p = banked_reg(cpu->regs, sysm);
    if (!p)
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
    else
        *p = v;
    return 0;
}

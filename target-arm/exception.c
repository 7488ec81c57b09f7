/* Processor modes, banked registers, CPSR/SPSR writes and exception entry
 * (ARM ARM B1.3, B1.8). This core has no Security Extensions and no EL2 visible to
 * software: it boots, like qemu's virt without secure=on, in SVC mode, and HVC/SMC
 * go to the board's firmware (PSCI). */
#include "target-arm/internal.h"
#include "util/util.h"

#define CPSR_T   (1u << 5)
#define CPSR_F   (1u << 6)
#define CPSR_I   (1u << 7)
#define CPSR_A   (1u << 8)
#define CPSR_E   (1u << 9)
#define CPSR_J   (1u << 24)
#define CPSR_IT  (0x0600fc00u)
#define SCTLR_V  (1u << 13)
#define SCTLR_EE (1u << 25)
#define SCTLR_TE (1u << 30)

static int arm_bank(uint32_t mode)
{
    switch (mode) {
    case ARM_MODE_USR:
    case ARM_MODE_SYS: return BANK_USR;
    case ARM_MODE_FIQ: return BANK_FIQ;
    case ARM_MODE_IRQ: return BANK_IRQ;
    case ARM_MODE_SVC: return BANK_SVC;
    case ARM_MODE_ABT: return BANK_ABT;
    case ARM_MODE_UND: return BANK_UND;
    case ARM_MODE_MON: return BANK_MON;
    case ARM_MODE_HYP: return BANK_HYP;
    default: return -1;
    }
}

/* Modes this core implements: no Monitor (no Security Extensions), no Hyp (no EL2). */
bool arm_mode_valid(uint32_t mode)
{
    return arm_bank(mode) >= 0 && mode != ARM_MODE_MON && mode != ARM_MODE_HYP;
}

/* Moves r8-r14 and the SPSR between the current view and the banks (B1.3.2). */
void arm_switch_mode(struct arm_regs *r, uint32_t new_mode)
{
    uint32_t old_mode = r->cpsr & 0x1f;
    int ob = arm_bank(old_mode), nb = arm_bank(new_mode);
    if (old_mode == new_mode || ob < 0 || nb < 0)
        return;
    r->banked_r13[ob] = r->r[13];
    r->banked_r14[ob] = r->r[14];
    r->banked_spsr[ob] = r->spsr;
    if (old_mode == ARM_MODE_FIQ && new_mode != ARM_MODE_FIQ) {
        for (int i = 0; i < 5; i++) {
            r->fiq_r8_12[i] = r->r[8 + i];
            r->r[8 + i] = r->usr_r8_12[i];
        }
    } else if (new_mode == ARM_MODE_FIQ && old_mode != ARM_MODE_FIQ) {
        for (int i = 0; i < 5; i++) {
            r->usr_r8_12[i] = r->r[8 + i];
            r->r[8 + i] = r->fiq_r8_12[i];
        }
    }
    r->r[13] = r->banked_r13[nb];
    r->r[14] = r->banked_r14[nb];
    r->spsr = r->banked_spsr[nb];
    r->cpsr = (r->cpsr & ~0x1fu) | new_mode;
}

uint32_t arm_spsr_read(struct arm_regs *r)
{
    return r->spsr;
}

void arm_spsr_write(struct arm_regs *r, uint32_t value, uint32_t mask)
{
    r->spsr = (r->spsr & ~mask) | (value & mask);
}

/* CPSRWriteByInstr (B1.3.3) for MSR, CPS and exception returns. */
void arm_write_cpsr(struct arm_cpu *cpu, uint32_t value, uint32_t mask, bool exception_return)
{
    struct arm_regs *r = cpu->regs;
    uint32_t cur = arm_regs_cpsr(r);
    bool priv = (cur & 0x1f) != ARM_MODE_USR;
    uint32_t writable = CPSR_FLAG_BITS | CPSR_E;
    if (priv)
        writable |= CPSR_A | CPSR_I | CPSR_F | 0x1f;
    if (exception_return)
        writable |= CPSR_T | CPSR_J | CPSR_IT;
    mask &= writable;
    uint32_t next = (cur & ~mask) | (value & mask);
    /* A change to a mode this core does not have is UNPREDICTABLE: percore keeps the
     * current mode (and the rest of the write). */
    if (!arm_mode_valid(next & 0x1f))
        next = (next & ~0x1fu) | (cur & 0x1f);
    arm_switch_mode(r, next & 0x1f);
    arm_regs_set_cpsr_bits(r, next);
}

static const struct {
    uint32_t mode, vector, lr_offset, mask;
} arm_exc_table[] = {
    [EXC_RESET] = {ARM_MODE_SVC, 0x00, 0, CPSR_A | CPSR_I | CPSR_F},
    [EXC_UNDEF] = {ARM_MODE_UND, 0x04, 4, CPSR_I},
    [EXC_SVC] = {ARM_MODE_SVC, 0x08, 4, CPSR_I},
    [EXC_PREFETCH_ABORT] = {ARM_MODE_ABT, 0x0c, 4, CPSR_A | CPSR_I},
    [EXC_DATA_ABORT] = {ARM_MODE_ABT, 0x10, 8, CPSR_A | CPSR_I},
    [EXC_IRQ] = {ARM_MODE_IRQ, 0x18, 4, CPSR_A | CPSR_I},
    [EXC_FIQ] = {ARM_MODE_FIQ, 0x1c, 4, CPSR_A | CPSR_I | CPSR_F},
};

/* Exception entry (B1.8.3), from ARM state. insn_pc is the instruction that took
 * it (for IRQ/FIQ: the next one to run). Clears the local exclusive monitor. */
void arm_take_exception(struct arm_cpu *cpu, enum arm_exception exc, uint32_t insn_pc)
{
    struct arm_regs *r = cpu->regs;
    uint32_t old = arm_regs_cpsr(r);
    uint32_t sctlr = r->cp15.sctlr;
    uint32_t vbase = (sctlr & SCTLR_V) ? 0xffff0000u : (r->cp15.vbar & ~0x1fu);
    arm_switch_mode(r, arm_exc_table[exc].mode);
    r->spsr = old;
    r->r[14] = insn_pc + arm_exc_table[exc].lr_offset;
    uint32_t next = (old & ~(0x1fu | CPSR_T | CPSR_E | CPSR_J | CPSR_IT)) |
                    arm_exc_table[exc].mode | arm_exc_table[exc].mask;
    if (sctlr & SCTLR_TE)
        next |= CPSR_T;
    if (sctlr & SCTLR_EE)
        next |= CPSR_E;
    arm_regs_set_cpsr_bits(r, next);
    r->r[15] = vbase + arm_exc_table[exc].vector;
    r->excl_open = 0;
    if (log_enabled(LOG_INT))
        arm_log_exception(cpu, exc, insn_pc, r->r[15]);
    cpu->exception_taken = true;
}

void arm_data_abort(struct arm_cpu *cpu, uint32_t va, uint32_t fsr, bool write)
{
    cpu->regs->cp15.dfsr = fsr | (write ? FSR_WNR : 0);
    cpu->regs->cp15.dfar = va;
    arm_take_exception(cpu, EXC_DATA_ABORT, cpu->insn_pc);
}

void arm_prefetch_abort(struct arm_cpu *cpu, uint32_t va, uint32_t fsr)
{
    uint32_t vbase =
        (cpu->regs->cp15.sctlr & SCTLR_V) ? 0xffff0000u : (cpu->regs->cp15.vbar & ~0x1fu);
    if (va == vbase + arm_exc_table[EXC_PREFETCH_ABORT].vector) {
        /* The abort's own vector cannot be fetched: the guest would abort there for ever.
         * Say so and stop this vCPU rather than spin silently. */
        log_notice("%s: prefetch abort at the prefetch-abort vector 0x%08x: the guest cannot "
                   "go on%s; vCPU halted",
                   cpu->env.log_tag ? cpu->env.log_tag : "cpu", va,
                   (cpu->regs->cp15.sctlr & 1)
                       ? " (the MMU is on: percore does not translate page tables yet)"
                       : "");
        cpu->halted = true;
        cpu->exception_taken = true;
        return;
    }
    cpu->regs->cp15.ifsr = fsr;
    cpu->regs->cp15.ifar = va;
    arm_take_exception(cpu, EXC_PREFETCH_ABORT, va);
}

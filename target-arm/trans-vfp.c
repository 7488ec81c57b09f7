/* VFP and Advanced SIMD system registers: VMRS and VMSR (A8.8.348-349, B6.1), with
 * the enables of B1.11.1 (CPACR.cp10/cp11, FPEXC.EN). The data-processing part of
 * VFP (and its register file) is not implemented yet: those encodings stay
 * UNDEFINED, which a guest sees as a coprocessor without VFP. */
#include "target-arm/translate.h"

#define FPSID_A15 0x410430f0u
#define MVFR0_A15 0x10110222u
#define MVFR1_A15 0x11111111u
#define FPEXC_EN  (1u << 30)
/* FPSCR bits that hold what is written on the A15 (no short vectors, no trapped
 * exceptions): N Z C V QC AHP DN FZ RMode, IDC and the cumulative flags. */
#define FPSCR_MASK 0xffc0009fu

enum vfp_sysreg { FPSID = 0, FPSCR = 1, MVFR1 = 6, MVFR0 = 7, FPEXC = 8 };

bool trans_VMRS(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rt == 15 && a->reg != FPSCR)
        return gen_undef(s); /* only FPSCR may go to APSR_nzcv */
    unsigned v = emit_call(s, helper_vmrs, IR_NONE, IR_NONE, IR_NONE, a->reg);
    if (a->rt == 15)
        emit_call(s, helper_set_nzcv, v, IR_NONE, IR_NONE, 0);
    else
        store_reg(s, a->rt, v);
    return true;
}

bool trans_VMSR(struct a32_ctx *s, const struct a32_args *a)
{
    if (a->rt == 15)
        return gen_undef(s);
    emit_call(s, helper_vmsr, load_reg(s, a->rt), IR_NONE, IR_NONE, a->reg);
    s->end = END_UPDATE; /* FPEXC.EN decides what the next instructions may do */
    return true;
}

/* Whether this access is allowed now; false means UNDEFINED (B1.11.1, B6.1.5). */
static bool vfp_access_ok(struct arm_cpu *cpu, uint32_t reg)
{
    struct arm_regs *r = cpu->regs;
    bool user = (r->cpsr & 0x1f) == ARM_MODE_USR;
    uint32_t cp10 = (r->cp15.cpacr >> 20) & 3, cp11 = (r->cp15.cpacr >> 22) & 3;
    if (cp10 != cp11 || cp10 == 0 || cp10 == 2 || (user && cp10 != 3))
        return false;
    if (reg != FPSCR && user)
        return false; /* FPSID, FPEXC and the MVFRs are PL1 only */
    if (reg == FPSCR && !(r->fpexc & FPEXC_EN))
        return false;
    return reg == FPSID || reg == FPSCR || reg == MVFR0 || reg == MVFR1 || reg == FPEXC;
}

uint32_t helper_vmrs(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t reg)
{
    if (!vfp_access_ok(cpu, reg)) {
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
        return 0;
    }
    switch (reg) {
    case FPSID: return FPSID_A15;
    case FPSCR: return cpu->regs->fpscr;
    case MVFR0: return MVFR0_A15;
    case MVFR1: return MVFR1_A15;
    default: return cpu->regs->fpexc;
    }
}

uint32_t helper_vmsr(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t reg)
{
    if (!vfp_access_ok(cpu, reg)) {
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
        return 0;
    }
    if (reg == FPSCR)
        cpu->regs->fpscr = v & FPSCR_MASK;
    else if (reg == FPEXC)
        cpu->regs->fpexc = v & FPEXC_EN; /* EX and the rest are RAZ/WI here */
    /* FPSID and the MVFRs are read-only: writes are ignored (B6.1.4) */
    return 0;
}

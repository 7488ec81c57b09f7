/* CP14 (ARM ARM C6, A2.10 ThumbEE, A2.11 Jazelle): what a Cortex-A15 without an
 * external debugger shows. The debug ID (DBGDIDR as qemu-system-arm's cortex-a15:
 * v7.1 debug, 6 breakpoints, 4 watchpoints, 2 context comparators), DBGDSCRext kept,
 * every other debug register (breakpoints, watchpoints, the OS lock...) reads as zero
 * and ignores writes, since no debug event is ever generated here. ThumbEE's TEECR and
 * TEEHBR are plain registers; trivial Jazelle's JIDR, JOSCR and JMCR read as zero.
 * Linux touches these at boot (arch_hw_breakpoint_init, thumbee_init). */
#include "target-arm/translate.h"
#include "util/util.h"

#define DBGDIDR_A15 0x3515f021u

/* A CP14 register: opc1, CRn, CRm, opc2 as CP15_KEY builds them. */
static uint32_t *cp14_field(struct arm_cpu *cpu, uint32_t key)
{
    switch (key) {
    case CP15_KEY(0, 0, 2, 2): return &cpu->regs->cp15.dbgdscr; /* DBGDSCRext */
    case CP15_KEY(6, 0, 0, 0): return &cpu->regs->cp15.teecr;
    case CP15_KEY(6, 1, 0, 0): return &cpu->regs->cp15.teehbr;
    default: return NULL;
    }
}

static bool cp14_user_ok(struct arm_cpu *cpu, uint32_t key)
{
    if ((cpu->regs->cpsr & 0x1f) != ARM_MODE_USR)
        return true;
    /* TEEHBR at PL0 unless TEECR.XED (bit 0); DBGDIDR and DBGDSCRint are PL0-readable. */
    if (key == CP15_KEY(6, 1, 0, 0))
        return !(cpu->regs->cp15.teecr & 1);
    return key == CP15_KEY(0, 0, 0, 0) || key == CP15_KEY(0, 0, 1, 0);
}

static bool cp14_known(uint32_t key)
{
    unsigned opc1 = key >> 12;
    return opc1 == 0 || opc1 == 6 || opc1 == 7;
}

static uint32_t cp14_undef(struct arm_cpu *cpu, uint32_t key, const char *what)
{
    if (log_enabled(LOG_UNIMP))
        log_item(LOG_UNIMP, "cp14 %s of p14, %u, <Rt>, c%u, c%u, %u at pc 0x%08x: UNDEFINED", what,
                 key >> 12, (key >> 8) & 15, (key >> 4) & 15, key & 15, cpu->insn_pc);
    arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
    return 0;
}

uint32_t helper_cp14_read(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t key)
{
    if (!cp14_known(key) || !cp14_user_ok(cpu, key))
        return cp14_undef(cpu, key, "read");
    if (key == CP15_KEY(0, 0, 0, 0))
        return DBGDIDR_A15;
    uint32_t *f = cp14_field(cpu, key);
    if (key == CP15_KEY(0, 0, 1, 0)) /* DBGDSCRint: the read-only view of DBGDSCR */
        f = cp14_field(cpu, CP15_KEY(0, 0, 2, 2));
    return f ? *f : 0;
}

uint32_t helper_cp14_write(struct arm_cpu *cpu, uint32_t v, uint32_t b, uint32_t c, uint32_t key)
{
    if (!cp14_known(key) || !cp14_user_ok(cpu, key) || key == CP15_KEY(0, 0, 0, 0))
        return cp14_undef(cpu, key, "write");
    uint32_t *f = cp14_field(cpu, key);
    if (f)
        *f = key == CP15_KEY(6, 0, 0, 0) ? v & 1 : v;
    return 0;
}

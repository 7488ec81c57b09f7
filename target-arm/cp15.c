/* CP15 system registers (ARM ARM B4.1, B3.17), as a table: each register's encoding,
 * where its value lives, who may access it and how. Identification values are the
 * Cortex-A15's as qemu-system-arm's cortex-a15 model reports them. An access to
 * anything else is UNDEFINED, with a log line under -d unimp. */
#include <stdatomic.h>
#include <stdio.h>

#include "target-arm/translate.h"
#include "util/util.h"

enum cp15_kind {
    CP15_CONST,  /* read-only constant */
    CP15_FIELD,  /* a word of struct arm_cp15 */
    CP15_RAZWI,  /* reads as zero, writes ignored */
    CP15_OP,     /* write-only operation (maintenance) */
    CP15_CCSIDR, /* indexed by CSSELR */
    CP15_PAR_OP, /* address translation (ATS1C*) into PAR */
    CP15_TIMER,  /* the generic timer's (timer.c, with its own PL0 rules) */
};

/* _IS: broadcast to the Inner Shareable domain, every vCPU (B2.2.5; ICIMVAU too: the
 * A15's ID_MMFR3.MaintBcst says maintenance by address is broadcast). */
enum cp15_op { OP_NONE, OP_ICACHE, OP_ICACHE_IS, OP_TLB, OP_TLB_IS, OP_BARRIER, OP_DSB };

#define PL0_R 1 /* readable from User mode */
#define PL0_W 2
#define RO    4 /* writes UNDEFINED */

struct cp15_reg {
    uint32_t key;
    const char *name;
    uint8_t kind, access, op;
    uint16_t offset; /* CP15_FIELD: byte offset in struct arm_cp15 */
    uint32_t value;  /* CP15_CONST */
};

#define K        CP15_KEY
#define F(field) ((uint16_t)offsetof(struct arm_cp15, field))

static const struct cp15_reg cp15_table[] = {
    {K(0, 0, 0, 0), "MIDR", CP15_FIELD, RO, 0, F(midr), 0},
    {K(0, 0, 0, 1), "CTR", CP15_CONST, RO, 0, 0, 0x8444c004},
    {K(0, 0, 0, 2), "TCMTR", CP15_CONST, RO, 0, 0, 0},
    {K(0, 0, 0, 3), "TLBTR", CP15_CONST, RO, 0, 0, 0},
    {K(0, 0, 0, 5), "MPIDR", CP15_FIELD, RO, 0, F(mpidr), 0},
    {K(0, 0, 0, 6), "REVIDR", CP15_CONST, RO, 0, 0, 0},
    {K(0, 0, 1, 0), "ID_PFR0", CP15_CONST, RO, 0, 0, 0x00001131},
    {K(0, 0, 1, 1), "ID_PFR1", CP15_CONST, RO, 0, 0, 0x00011011},
    {K(0, 0, 1, 2), "ID_DFR0", CP15_CONST, RO, 0, 0, 0x02010555},
    {K(0, 0, 1, 3), "ID_AFR0", CP15_CONST, RO, 0, 0, 0},
    {K(0, 0, 1, 4), "ID_MMFR0", CP15_CONST, RO, 0, 0, 0x10201105},
    {K(0, 0, 1, 5), "ID_MMFR1", CP15_CONST, RO, 0, 0, 0x20000000},
    {K(0, 0, 1, 6), "ID_MMFR2", CP15_CONST, RO, 0, 0, 0x01240000},
    {K(0, 0, 1, 7), "ID_MMFR3", CP15_CONST, RO, 0, 0, 0x02102211},
    {K(0, 0, 2, 0), "ID_ISAR0", CP15_CONST, RO, 0, 0, 0x02101110},
    {K(0, 0, 2, 1), "ID_ISAR1", CP15_CONST, RO, 0, 0, 0x13112111},
    {K(0, 0, 2, 2), "ID_ISAR2", CP15_CONST, RO, 0, 0, 0x21232041},
    {K(0, 0, 2, 3), "ID_ISAR3", CP15_CONST, RO, 0, 0, 0x11112131},
    {K(0, 0, 2, 4), "ID_ISAR4", CP15_CONST, RO, 0, 0, 0x10011142},
    {K(0, 0, 2, 5), "ID_ISAR5", CP15_CONST, RO, 0, 0, 0},
    {K(1, 0, 0, 0), "CCSIDR", CP15_CCSIDR, RO, 0, 0, 0},
    {K(1, 0, 0, 1), "CLIDR", CP15_CONST, RO, 0, 0, 0x0a200023},
    {K(1, 0, 0, 7), "AIDR", CP15_CONST, RO, 0, 0, 0},
    {K(2, 0, 0, 0), "CSSELR", CP15_FIELD, 0, 0, F(csselr), 0},
    {K(0, 1, 0, 0), "SCTLR", CP15_FIELD, 0, 0, F(sctlr), 0},
    {K(0, 1, 0, 1), "ACTLR", CP15_FIELD, 0, 0, F(actlr), 0},
    {K(0, 1, 0, 2), "CPACR", CP15_FIELD, 0, 0, F(cpacr), 0},
    {K(0, 2, 0, 0), "TTBR0", CP15_FIELD, 0, 0, F(ttbr0_lo), 0},
    {K(0, 2, 0, 1), "TTBR1", CP15_FIELD, 0, 0, F(ttbr1_lo), 0},
    {K(0, 2, 0, 2), "TTBCR", CP15_FIELD, 0, 0, F(ttbcr), 0},
    {K(0, 3, 0, 0), "DACR", CP15_FIELD, 0, 0, F(dacr), 0},
    {K(0, 5, 0, 0), "DFSR", CP15_FIELD, 0, 0, F(dfsr), 0},
    {K(0, 5, 0, 1), "IFSR", CP15_FIELD, 0, 0, F(ifsr), 0},
    {K(0, 5, 1, 0), "ADFSR", CP15_RAZWI, 0, 0, 0, 0},
    {K(0, 5, 1, 1), "AIFSR", CP15_RAZWI, 0, 0, 0, 0},
    {K(0, 6, 0, 0), "DFAR", CP15_FIELD, 0, 0, F(dfar), 0},
    {K(0, 6, 0, 2), "IFAR", CP15_FIELD, 0, 0, F(ifar), 0},
    {K(0, 7, 0, 4), "NOP/WFI(v6)", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 1, 0), "ICIALLUIS", CP15_OP, 0, OP_ICACHE_IS, 0, 0},
    {K(0, 7, 1, 6), "BPIALLIS", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 4, 0), "PAR", CP15_FIELD, 0, 0, F(par), 0},
    {K(0, 7, 5, 0), "ICIALLU", CP15_OP, 0, OP_ICACHE, 0, 0},
    {K(0, 7, 5, 1), "ICIMVAU", CP15_OP, 0, OP_ICACHE_IS, 0, 0},
    {K(0, 7, 5, 4), "CP15ISB", CP15_OP, PL0_W, OP_BARRIER, 0, 0},
    {K(0, 7, 5, 6), "BPIALL", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 5, 7), "BPIMVA", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 6, 1), "DCIMVAC", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 6, 2), "DCISW", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 8, 0), "ATS1CPR", CP15_PAR_OP, 0, 0, 0, 0},
    {K(0, 7, 8, 1), "ATS1CPW", CP15_PAR_OP, 0, 0, 0, 0},
    {K(0, 7, 8, 2), "ATS1CUR", CP15_PAR_OP, 0, 0, 0, 0},
    {K(0, 7, 8, 3), "ATS1CUW", CP15_PAR_OP, 0, 0, 0, 0},
    {K(0, 7, 10, 1), "DCCMVAC", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 10, 2), "DCCSW", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 10, 4), "CP15DSB", CP15_OP, PL0_W, OP_DSB, 0, 0},
    {K(0, 7, 10, 5), "CP15DMB", CP15_OP, PL0_W, OP_BARRIER, 0, 0},
    {K(0, 7, 11, 1), "DCCMVAU", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 14, 1), "DCCIMVAC", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 7, 14, 2), "DCCISW", CP15_OP, 0, OP_NONE, 0, 0},
    {K(0, 8, 3, 0), "TLBIALLIS", CP15_OP, 0, OP_TLB_IS, 0, 0},
    {K(0, 8, 3, 1), "TLBIMVAIS", CP15_OP, 0, OP_TLB_IS, 0, 0},
    {K(0, 8, 3, 2), "TLBIASIDIS", CP15_OP, 0, OP_TLB_IS, 0, 0},
    {K(0, 8, 3, 3), "TLBIMVAAIS", CP15_OP, 0, OP_TLB_IS, 0, 0},
    {K(0, 8, 5, 0), "ITLBIALL", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 5, 1), "ITLBIMVA", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 5, 2), "ITLBIASID", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 6, 0), "DTLBIALL", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 6, 1), "DTLBIMVA", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 6, 2), "DTLBIASID", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 7, 0), "TLBIALL", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 7, 1), "TLBIMVA", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 7, 2), "TLBIASID", CP15_OP, 0, OP_TLB, 0, 0},
    {K(0, 8, 7, 3), "TLBIMVAA", CP15_OP, 0, OP_TLB, 0, 0},
    /* A minimal PMU: no event counters (PMCR.N = 0), registers hold what is written. */
    {K(0, 9, 12, 0), "PMCR", CP15_FIELD, 0, 0, F(pmcr), 0},
    {K(0, 9, 12, 1), "PMCNTENSET", CP15_FIELD, 0, 0, F(pmcntenset), 0},
    {K(0, 9, 12, 2), "PMCNTENCLR", CP15_FIELD, 0, 0, F(pmcntenset), 0},
    {K(0, 9, 12, 3), "PMOVSR", CP15_FIELD, 0, 0, F(pmovsr), 0},
    {K(0, 9, 12, 5), "PMSELR", CP15_FIELD, 0, 0, F(pmselr), 0},
    {K(0, 9, 13, 0), "PMCCNTR", CP15_RAZWI, 0, 0, 0, 0},
    {K(0, 9, 14, 0), "PMUSERENR", CP15_FIELD, PL0_R, 0, F(pmuserenr), 0},
    {K(0, 9, 14, 1), "PMINTENSET", CP15_FIELD, 0, 0, F(pmintenset), 0},
    {K(0, 9, 14, 2), "PMINTENCLR", CP15_FIELD, 0, 0, F(pmintenset), 0},
    {K(0, 10, 2, 0), "PRRR", CP15_FIELD, 0, 0, F(prrr), 0},
    {K(0, 10, 2, 1), "NMRR", CP15_FIELD, 0, 0, F(nmrr), 0},
    {K(0, 12, 0, 0), "VBAR", CP15_FIELD, 0, 0, F(vbar), 0},
    {K(0, 13, 0, 0), "FCSEIDR", CP15_RAZWI, 0, 0, 0, 0},
    {K(0, 13, 0, 1), "CONTEXTIDR", CP15_FIELD, 0, 0, F(contextidr), 0},
    {K(0, 13, 0, 2), "TPIDRURW", CP15_FIELD, PL0_R | PL0_W, 0, F(tpidrurw), 0},
    {K(0, 13, 0, 3), "TPIDRURO", CP15_FIELD, PL0_R, 0, F(tpidruro), 0},
    {K(0, 13, 0, 4), "TPIDRPRW", CP15_FIELD, 0, 0, F(tpidrprw), 0},
    {K(0, 14, 0, 0), "CNTFRQ", CP15_TIMER, 0, 0, 0, 0},
    {K(0, 14, 1, 0), "CNTKCTL", CP15_TIMER, 0, 0, 0, 0},
    {K(0, 14, 2, 0), "CNTP_TVAL", CP15_TIMER, 0, 0, 0, 0},
    {K(0, 14, 2, 1), "CNTP_CTL", CP15_TIMER, 0, 0, 0, 0},
    {K(0, 14, 3, 0), "CNTV_TVAL", CP15_TIMER, 0, 0, 0, 0},
    {K(0, 14, 3, 1), "CNTV_CTL", CP15_TIMER, 0, 0, 0, 0},
};

static const struct cp15_reg *cp15_find(uint32_t key)
{
    for (unsigned i = 0; i < sizeof(cp15_table) / sizeof(cp15_table[0]); i++)
        if (cp15_table[i].key == key)
            return &cp15_table[i];
    return NULL;
}

static uint32_t *cp15_field(struct arm_cpu *cpu, const struct cp15_reg *r)
{
    return (uint32_t *)((char *)&cpu->regs->cp15 + r->offset);
}

static int cp15_unimp(struct arm_cpu *cpu, uint32_t key, const char *what)
{
    if (log_enabled(LOG_UNIMP))
        log_item(LOG_UNIMP, "cp15 %s of p15, %u, <Rt>, c%u, c%u, %u at pc 0x%08x: UNDEFINED", what,
                 key >> 12, (key >> 8) & 15, (key >> 4) & 15, key & 15, cpu->insn_pc);
    return -1;
}

static bool cp15_user(struct arm_cpu *cpu)
{
    return (cpu->regs->cpsr & 0x1f) == ARM_MODE_USR;
}

int arm_cp15_read(struct arm_cpu *cpu, uint32_t key, uint32_t *value)
{
    const struct cp15_reg *r = cp15_find(key);
    if (r && r->kind == CP15_TIMER)
        return arm_timer_read(cpu, key, value) < 0 ? cp15_unimp(cpu, key, "read") : 0;
    if (!r || r->kind == CP15_OP || r->kind == CP15_PAR_OP ||
        (cp15_user(cpu) && !(r->access & PL0_R)))
        return cp15_unimp(cpu, key, "read");
    switch (r->kind) {
    case CP15_CONST: *value = r->value; break;
    case CP15_FIELD: *value = *cp15_field(cpu, r); break;
    case CP15_CCSIDR: /* L1 D, L1 I, L2 as the A15 reports them */
        *value = cpu->regs->cp15.csselr == 0   ? 0x701fe00a
                 : cpu->regs->cp15.csselr == 1 ? 0x201fe00a
                 : cpu->regs->cp15.csselr == 2 ? 0x711fe07a
                                               : 0;
        break;
    default: *value = 0; break;
    }
    return 0;
}

static void cp15_operation(struct arm_cpu *cpu, const struct cp15_reg *r, uint32_t v)
{
    switch (r->op) {
    case OP_ICACHE: cpu->flush_pending = true; break; /* at the end of this block */
    case OP_TLB: tlb_flush(cpu); break;
    case OP_ICACHE_IS:
        cpu->flush_pending = true;
        if (cpu->env.maintain)
            cpu->env.maintain(cpu->env.opaque, MAINT_CODE);
        break;
    case OP_TLB_IS:
        tlb_flush(cpu);
        if (cpu->env.maintain)
            cpu->env.maintain(cpu->env.opaque, MAINT_TLB);
        break;
    case OP_BARRIER: atomic_thread_fence(memory_order_seq_cst); break;
    case OP_DSB: helper_barrier(cpu, 0, 0, 0, 1); break;
    default: break;
    }
}

/* ATS1CPR/W, ATS1CUR/W (B4.1.113, B4.2.5): the translation into PAR, or the fault
 * (F = 1, FS). Without Security Extensions every access is Non-secure (NS, bit 9, set
 * as qemu sets it); the memory attributes are not modelled and read as Non-cacheable. */
static void cp15_ats1c(struct arm_cpu *cpu, uint32_t key, uint32_t va)
{
    bool user = (key & 15) >= 2, write = key & 1;
    struct mmu_result m;
    int fsr = mmu_translate(cpu, va, user, &m);
    if (!fsr && !(write ? m.write : m.read))
        fsr = (int)mmu_permission_fsr(&m);
    uint32_t fs = ((uint32_t)fsr & 0xfu) | (((uint32_t)fsr >> 6) & 0x10u);
    cpu->regs->cp15.par = fsr ? 1u | (fs << 1) : (m.pa & PAGE_MASK) | (1u << 9);
    cpu->regs->cp15.par_hi = 0;
}

int arm_cp15_write(struct arm_cpu *cpu, uint32_t key, uint32_t v)
{
    const struct cp15_reg *r = cp15_find(key);
    if (r && r->kind == CP15_TIMER)
        return arm_timer_write(cpu, key, v) < 0 ? cp15_unimp(cpu, key, "write") : 0;
    if (!r || (r->access & RO) || (cp15_user(cpu) && !(r->access & PL0_W)))
        return cp15_unimp(cpu, key, "write");
    switch (r->kind) {
    case CP15_FIELD:
        if (key == K(0, 9, 12, 2) || key == K(0, 9, 14, 2)) /* the CLR halves of the SET regs */
            *cp15_field(cpu, r) &= ~v;
        else if (key == K(0, 9, 12, 1) || key == K(0, 9, 14, 1))
            *cp15_field(cpu, r) |= v;
        else
            *cp15_field(cpu, r) = v;
        /* SCTLR.M/A/EE, the tables, the domains and the ASID change what the TLB holds. */
        if (key == K(0, 1, 0, 0) || key == K(0, 2, 0, 0) || key == K(0, 2, 0, 1) ||
            key == K(0, 2, 0, 2) || key == K(0, 3, 0, 0) || key == K(0, 13, 0, 1))
            tlb_flush(cpu);
        break;
    case CP15_OP: cp15_operation(cpu, r, v); break;
    case CP15_PAR_OP: cp15_ats1c(cpu, key, v); break;
    default: break;
    }
    return 0;
}

/* The 64-bit registers MCRR/MRRC reach (B4.1.155 TTBR0, B4.1.156 TTBR1, B4.1.113 PAR),
 * by (opc1 << 4 | CRm). */
static uint32_t *cp15_reg64(struct arm_cpu *cpu, uint32_t key, uint32_t **hi)
{
    struct arm_cp15 *c = &cpu->regs->cp15;
    switch (key) {
    case 0x02: *hi = &c->ttbr0_hi; return &c->ttbr0_lo;
    case 0x12: *hi = &c->ttbr1_hi; return &c->ttbr1_lo;
    case 0x07: *hi = &c->par_hi; return &c->par;
    default: return NULL;
    }
}

static uint32_t cp15_undef64(struct arm_cpu *cpu, uint32_t key, const char *what)
{
    cp15_unimp(cpu, key << 4, what);
    arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
    return 0;
}

uint32_t helper_cp15_read64(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t key)
{
    if (arm_timer_key64(key)) {
        uint64_t v;
        if (arm_timer_read64(cpu, key, &v) < 0)
            return cp15_undef64(cpu, key, "64-bit read");
        cpu->regs->cp15.mrrc_hi = (uint32_t)(v >> 32);
        return (uint32_t)v;
    }
    uint32_t *hi, *lo = cp15_reg64(cpu, key, &hi);
    if (!lo || cp15_user(cpu))
        return cp15_undef64(cpu, key, "64-bit read");
    cpu->regs->cp15.mrrc_hi = *hi;
    return *lo;
}

uint32_t helper_cp15_write64(struct arm_cpu *cpu, uint32_t lo, uint32_t hi, uint32_t c,
                             uint32_t key)
{
    if (arm_timer_key64(key)) {
        if (arm_timer_write64(cpu, key, (uint64_t)hi << 32 | lo) < 0)
            return cp15_undef64(cpu, key, "64-bit write");
        return 0;
    }
    uint32_t *phi, *plo = cp15_reg64(cpu, key, &phi);
    if (!plo || cp15_user(cpu))
        return cp15_undef64(cpu, key, "64-bit write");
    *plo = lo;
    *phi = hi;
    tlb_flush(cpu);
    return 0;
}

/* The vCPU object and its run loop: look up (or translate) the block at the pc,
 * run it, follow chains, and come back to the caller at an exit request, WFI, or
 * a state this core cannot run. */
#include <glib.h>
#include <stdatomic.h>
#include <string.h>

#include "target-arm/internal.h"
#include "util/util.h"

#define CPSR_T (1u << 5)

struct arm_cpu *arm_cpu_new(const struct arm_cpu_env *env)
{
    struct arm_cpu *cpu = g_new0(struct arm_cpu, 1);
    cpu->env = *env;
    cpu->regs = env->regs;
    cpu->n_pages = (uint32_t)(env->ram_size >> PAGE_BITS);
    cpu->page_tbs = g_new0(struct tb *, cpu->n_pages ? cpu->n_pages : 1);
    cpu->arena = g_ptr_array_new_with_free_func(g_free);
    cpu->excl = env->excl;
    if (!cpu->excl) { /* a machine of one: a private monitor */
        cpu->excl = g_new0(struct ctrl_excl, 1);
        cpu->excl_owned = true;
    }
    cpu->log_exec = log_enabled(LOG_EXEC);
    cpu->log_cpu = log_enabled(LOG_CPU);
    tlb_flush(cpu);
    return cpu;
}

void arm_cpu_free(struct arm_cpu *cpu)
{
    if (!cpu)
        return;
    arm_log_close(cpu);
    g_ptr_array_free(cpu->arena, TRUE);
    g_free(cpu->page_tbs);
    if (cpu->excl_owned)
        g_free(cpu->excl);
    g_free(cpu);
}

void arm_cpu_flush_code(struct arm_cpu *cpu)
{
    tb_flush_all(cpu);
}

void arm_cpu_flush_tlb(struct arm_cpu *cpu)
{
    tlb_flush(cpu);
}

void arm_cpu_invalidate_code_page(struct arm_cpu *cpu, uint32_t ram_page)
{
    if (ram_page < cpu->n_pages && cpu->page_tbs[ram_page])
        tb_invalidate_page(cpu, ram_page);
}

void arm_cpu_flush_code_soon(struct arm_cpu *cpu)
{
    cpu->flush_pending = true;
}

/* Reset (B1.9.2, B4.1.130 SCTLR reset value for the A15): SVC mode, A, I, F set,
 * ARM state, little-endian, MMU and caches off, vectors at 0. */
void arm_regs_reset(struct arm_regs *r, uint32_t mpidr)
{
    memset(r, 0, sizeof(*r));
    arm_regs_set_cpsr_bits(r, 0x1d3);
    r->cp15.midr = 0x414fc0f0; /* Cortex-A15 r4p0, as qemu-system-arm reports it */
    r->cp15.mpidr = mpidr;
    r->cp15.sctlr = 0x00c50078;
    r->cp15.pmcr = 0x410f3000; /* IMP 0x41 (ARM), IDCODE 0x0f (A15), N = 0 counters */
    r->cp15.cntfrq = ARM_TIMER_FREQ;
}

void arm_cpu_reset(struct arm_cpu *cpu, uint32_t mpidr)
{
    arm_regs_reset(cpu->regs, mpidr);
    tb_flush_all(cpu);
    tlb_flush(cpu);
    cpu->halted = cpu->wfi = cpu->wfe = false;
}

void arm_cpu_stats(const struct arm_cpu *cpu, struct arm_cpu_stats *out)
{
    *out = cpu->stats;
}

bool arm_cpu_last_block(const struct arm_cpu *cpu, uint32_t *pc, uint32_t *phys_pc,
                        unsigned *n_insns)
{
    const struct tb *tb = cpu->last_tb;
    if (!tb)
        return false;
    *pc = tb->pc;
    *phys_pc = tb->phys_pc;
    *n_insns = tb->n_insns;
    return true;
}

static bool arm_cpu_runnable(struct arm_cpu *cpu)
{
    if (!(cpu->regs->cpsr & CPSR_T))
        return true;
    /* No T32 decoder yet: say so once and stop this vCPU instead of faking it. */
    log_notice("%s: Thumb state at pc 0x%08x: T32 is not implemented yet; vCPU halted",
               cpu->env.log_tag ? cpu->env.log_tag : "cpu", cpu->regs->r[15]);
    cpu->halted = true;
    return false;
}

/* Takes a pending interrupt the CPSR does not mask (B1.8.6, B1.8.7): FIQ before IRQ.
 * Asynchronous exceptions are taken between instructions; percore takes them between
 * blocks, which an interrupt cannot tell from a slightly later arrival. Writes that
 * unmask (CPS, MSR, exception return) end their block, so an open window is seen. */
static bool arm_cpu_interrupt(struct arm_cpu *cpu)
{
    uint32_t line = atomic_load_explicit(cpu->env.irq_line, memory_order_acquire);
    if (!line)
        return false;
    uint32_t cpsr = cpu->regs->cpsr;
    if ((line & ARM_LINE_FIQ) && !(cpsr & ARM_CPSR_F))
        arm_take_exception(cpu, EXC_FIQ, cpu->regs->r[15]);
    else if ((line & ARM_LINE_IRQ) && !(cpsr & ARM_CPSR_I))
        arm_take_exception(cpu, EXC_IRQ, cpu->regs->r[15]);
    else
        return false;
    cpu->exception_taken = false;
    return true;
}

/* The checks of every block boundary, inlined into the run loop (arm_cpu_boundary is
 * the same for debug.c's loop). */
static inline __attribute__((always_inline)) int arm_cpu_boundary_inline(struct arm_cpu *cpu,
                                                                         bool irqs, bool *drop)
{
    if (cpu->env.exit_request && atomic_load_explicit(cpu->env.exit_request, memory_order_relaxed))
        return ARM_EXIT_REQUEST;
    if (cpu->wfi) {
        cpu->wfi = false;
        return cpu->wfe ? ARM_EXIT_WFE : ARM_EXIT_WFI;
    }
    if (irqs && cpu->env.irq_line && arm_cpu_interrupt(cpu))
        *drop = true;
    if (cpu->halted || !arm_cpu_runnable(cpu))
        return ARM_EXIT_HALTED;
    /* Full flushes happen only here, between blocks, where no block is running and
     * nothing points at one but the caller's, which it drops. */
    if (cpu->flush_pending || cpu->n_tbs >= TB_FLUSH_LIMIT) {
        tb_flush_all(cpu);
        *drop = true;
    }
    if (!(cpu->regs->cpsr & CPSR_T) && (cpu->regs->r[15] & 3)) {
        /* Only a boot entry with bit 1 set gets here (every write to the pc
         * aligns it): an ARM-state pc is word aligned, and percore makes it so. */
        cpu->regs->r[15] &= ~3u;
        *drop = true;
    }
    return -1;
}

int arm_cpu_boundary(struct arm_cpu *cpu, bool irqs, bool *drop)
{
    return arm_cpu_boundary_inline(cpu, irqs, drop);
}

enum arm_exit_reason arm_cpu_run(struct arm_cpu *cpu, uint64_t max_blocks)
{
    /* The debugger's set changes only between runs: one test per run, none per block. */
    if (__builtin_expect(cpu->debug_on, 0))
        return debug_run(cpu, max_blocks);
    struct tb *tb = NULL, *from = NULL;
    uint64_t start = cpu->stats.blocks;
    for (;;) {
        uint64_t n = cpu->stats.blocks - start; /* chained blocks count too */
        bool drop = false;
        int why = arm_cpu_boundary_inline(cpu, true, &drop);
        if (why >= 0)
            return (enum arm_exit_reason)why;
        if (drop)
            tb = from = NULL;
        if (max_blocks && n >= max_blocks)
            return ARM_EXIT_BUDGET;
        if (!tb) {
            tb = tb_lookup(cpu, cpu->regs->r[15], arm_tb_flags(cpu->regs));
            if (!tb) { /* a prefetch abort was taken: go on at its vector */
                cpu->exception_taken = false;
                from = NULL;
                continue;
            }
            /* Chain the block that ended with a GOTO to this one for next time. */
            /* With the MMU on, only within a virtual page: a chain across pages would
             * outlive a change of the second page's mapping. */
            if (from && from->valid && cpu->chain_slot >= 0 && tb->flags == from->flags &&
                (!mmu_enabled(cpu->regs) || !((from->pc ^ tb->pc) & PAGE_MASK)))
                from->chain[cpu->chain_slot] = tb;
        } else {
            cpu->stats.chained++;
        }
        cpu->chain_slot = -1;
        cpu->last_tb = tb;
        cpu->blocks_left = max_blocks ? max_blocks - n : UINT64_MAX;
        if (cpu->log_exec)
            arm_log_exec(cpu, tb);
        if (cpu->log_cpu)
            arm_log_cpu(cpu);
        struct tb *next = ir_interp_run(cpu, tb);
        cpu->exception_taken = false;
        cpu->stats.blocks++;
        cpu->stats.insns += tb->n_insns; /* a block left early by an exception counts whole */
        from = cpu->last_tb;             /* where a chain slot may need filling */
        tb = next;
    }
}

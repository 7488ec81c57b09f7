/* Crash recovery, the coordinator's side (docs/operations.md): the crash report, the
 * --on-core-crash=restart policy with its crash-loop limit, an explicit restart, and
 * fault injection for tests. A new process for a vCPU takes the architectural state
 * from the control region, where the dead one left it at its last block boundary (or,
 * for a crash in the middle of a block, partly updated: see the docs). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "coordinator/coord.h"
#include "target-arm/arm.h"
#include "util/util.h"

/* A translation that crashed the vCPU's processes this often is built in step mode. */
#define RECOVERY_STEP_AFTER 2u

static void recovery_report_regs(GString *r, const struct arm_regs *g)
{
    uint32_t cpsr = arm_regs_cpsr(g);
    g_string_append_printf(r, "  guest: PC=0x%08x CPSR=0x%08x (%s, %s)\n", g->r[15], cpsr,
                           arm_mode_name(cpsr & 0x1f), (cpsr & (1u << 5)) ? "Thumb" : "ARM");
    for (unsigned i = 0; i < 16; i += 4)
        g_string_append_printf(r, "    r%-2u=%08x r%-2u=%08x r%-2u=%08x r%-2u=%08x\n", i, g->r[i],
                               i + 1, g->r[i + 1], i + 2, g->r[i + 2], i + 3, g->r[i + 3]);
}

/* The guest block the crash happened in, disassembled from RAM by its physical pc (the
 * process recorded it: no page-table walk needed). */
static void recovery_report_code(struct machine *m, GString *r, const char *what, uint32_t pc,
                                 uint32_t phys, unsigned n_insns)
{
    unsigned n = n_insns ? n_insns : 8; /* unknown length: show 8 */
    uint64_t page_left = (0x1000 - (phys & 0xfff)) / 4;
    if (n > page_left)
        n = (unsigned)page_left;
    g_string_append_printf(r, "  %s at 0x%08x (physical 0x%08x)%s:\n", what, pc, phys,
                           n_insns ? "" : ", its first instructions");
    if (!arm_disas_ram(r, "    ", m->ram.base, VIRT_RAM_BASE, m->cfg->ram_size, pc, phys, n))
        g_string_append(r, "    (not in RAM: not shown)\n");
}

/* The block being translated, the one running when the fatal signal came, or (for a
 * process that left no record: SIGKILL) the code at the PC when the MMU is off. */
static void recovery_report_block(struct machine *m, GString *r, const struct ctrl_cpu *c,
                                  bool translating)
{
    const struct cpu_crash *k = &c->crash;
    if (translating)
        recovery_report_code(m, r, "the block", k->block_pc, k->block_phys, 0);
    else if (k->signal)
        recovery_report_code(m, r, "the block", k->block_pc, k->block_phys, k->block_insns);
    else if (!(c->regs.cp15.sctlr & 1))
        recovery_report_code(m, r, "the code", c->regs.r[15], c->regs.r[15], 0);
    else
        g_string_append(r, "  (the MMU is on and the process left no record of its block)\n");
}

static void recovery_report_backtrace(GString *r, const struct cpu_crash *k,
                                      const struct machine *m)
{
    if (!k->signal || !k->n_bt) {
        g_string_append(r, "  host backtrace: none (the process could not record one)\n");
        return;
    }
    g_string_append_printf(r, "  host: fault address 0x%llx, pc %s+0x%llx\n",
                           (unsigned long long)k->fault_addr, m->cfg->cpu_binary,
                           (unsigned long long)(k->host_pc - k->exe_base));
    g_string_append_printf(r, "  host backtrace (addr2line -f -e %s OFFSET):\n",
                           m->cfg->cpu_binary);
    for (unsigned i = 0; i < k->n_bt && i < CPU_CRASH_BT; i++)
        if (k->bt[i] >= k->exe_base && k->bt[i] < k->exe_end)
            g_string_append_printf(r, "    #%-2u +0x%llx\n", i,
                                   (unsigned long long)(k->bt[i] - k->exe_base));
        else
            g_string_append_printf(r, "    #%-2u 0x%llx (a shared library)\n", i,
                                   (unsigned long long)k->bt[i]);
}

static void recovery_keep_report(struct machine *m, GString *r)
{
    if (m->crash_reports->len >= MACHINE_CRASH_REPORTS)
        g_ptr_array_remove_index(m->crash_reports, 0);
    g_ptr_array_add(m->crash_reports, g_string_free(r, FALSE));
}

const GPtrArray *machine_crash_reports(struct machine *m)
{
    return m->crash_reports;
}

/* Whether a restart is allowed now: at most crash_limit in crash_window seconds. */
static bool recovery_within_limit(struct machine *m, struct vcpu_proc *v)
{
    int64_t now = g_get_monotonic_time();
    int64_t window = (int64_t)m->cfg->crash_window * G_USEC_PER_SEC;
    unsigned recent = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(v->restart_at); i++)
        if (v->restart_at[i] && now - v->restart_at[i] < window)
            recent++;
    if (recent >= m->cfg->crash_limit)
        return false;
    v->restart_at[v->n_restarts++ % G_N_ELEMENTS(v->restart_at)] = now;
    return true;
}

/* A crash in the translator: the block had not run. Twice at the same pc and that pc is
 * built in step mode by every later process of the vCPU. */
static const char *recovery_note_translation(struct vcpu_proc *v, struct cpu_crash *k)
{
    uint32_t pc = k->translating_pc;
    v->xlate_crashes = v->xlate_crash_pc == pc ? v->xlate_crashes + 1 : 1;
    v->xlate_crash_pc = pc;
    if (v->xlate_crashes < RECOVERY_STEP_AFTER)
        return "";
    for (unsigned i = 0; i < k->n_step; i++)
        if (k->step_pc[i] == pc)
            return "";
    if (k->n_step >= CPU_CRASH_STEPPCS)
        return "; no room left for another step-mode pc";
    k->step_pc[k->n_step++] = pc;
    return "; that translation crashed twice: step mode for that pc from now on";
}

/* "halt: vCPUs 0,1,3 keep running" */
static void recovery_halt_words(struct machine *m, GString *r)
{
    GString *others = g_string_new(NULL);
    for (unsigned i = 0; i < m->cfg->ncpus; i++)
        if (m->cpu[i].running)
            g_string_append_printf(others, "%s%u", others->len ? "," : "", i);
    if (others->len)
        g_string_append_printf(r, "halt: vCPUs %s keep running", others->str);
    else
        g_string_append(r, "halt: no vCPU is left running");
    g_string_free(others, TRUE);
}

/* The process of v died with no one asking (or killed for a requested restart). Reports
 * it, to the log and to the reports the control socket serves; restarts it when asked,
 * or when the policy and the crash-loop limit allow. True when a new process started. */
bool recovery_on_crash(struct machine *m, struct vcpu_proc *v, const char *how,
                       uint32_t state_before)
{
    struct ctrl_cpu *c = &m->ctrl->cpu[v->index];
    struct cpu_crash *k = &c->crash;
    bool translating = atomic_load(&k->translating) != 0;
    bool asked = v->restart_asked;
    const char *step = translating && !asked ? recovery_note_translation(v, k) : "";
    bool restart = asked || (m->cfg->on_crash == CRASH_RESTART && recovery_within_limit(m, v));

    GString *r = g_string_new(NULL);
    g_string_append_printf(r, "vCPU %u (pid %d) %s; last PC=0x%08x CPSR=0x%08x; on-core-crash=",
                           v->index, (int)v->pid, how, c->regs.r[15], arm_regs_cpsr(&c->regs));
    if (asked)
        g_string_append(r, "(a restart was requested): starting a new process");
    else if (restart)
        g_string_append_printf(r, "restart: starting a new process%s", step);
    else if (m->cfg->on_crash == CRASH_POWEROFF)
        g_string_append(r, "poweroff: stopping the machine");
    else {
        if (m->cfg->on_crash == CRASH_RESTART)
            g_string_append_printf(r, "restart: %u restarts within %u s, a crash loop: falling "
                                      "back to ",
                                   m->cfg->crash_limit, m->cfg->crash_window);
        recovery_halt_words(m, r);
    }
    if (translating && !asked)
        g_string_append_printf(r, "\n  crashed in the translator, translating the block at "
                                  "0x%08x: the block had not run, the state is exact",
                               k->translating_pc);
    else if (k->signal && !asked)
        g_string_append(r, "\n  crashed while running guest code: the registers and memory "
                           "hold what the block had done so far");
    g_string_append_c(r, '\n');
    recovery_report_regs(r, &c->regs);
    recovery_report_block(m, r, c, translating);
    if (!asked)
        recovery_report_backtrace(r, k, m);
    if (r->str[r->len - 1] == '\n')
        g_string_truncate(r, r->len - 1);
    log_notice("%s", r->str);
    recovery_keep_report(m, r);

    v->restart_asked = false;
    v->state_before = state_before;
    /* What the dead process recorded was for this report only. */
    atomic_store(&k->translating, 0);
    k->signal = 0;
    k->n_bt = 0;
    return restart && vcpu_respawn(m, v->index) == 0;
}

/* A new process for a vCPU whose process is gone: the state it died in, as it left it. */
int vcpu_respawn(struct machine *m, unsigned index)
{
    struct vcpu_proc *v = &m->cpu[index];
    struct ctrl_cpu *c = &m->ctrl->cpu[index];
    /* It runs from where the register file says, in the run state it had (a WFI sleeper
     * sleeps on), acknowledging whatever maintenance it was asked for. */
    atomic_store(&c->run_state, v->state_before);
    atomic_store(&c->inside, 0);
    atomic_store(&c->maint_ack, atomic_load(&c->maint_seq));
    atomic_fetch_add(&c->counters.restarts, 1);
    int err = vcpu_spawn(m, index);
    if (err) {
        atomic_store(&c->run_state, CPU_CRASHED);
        log_notice("vCPU %u: cannot start a new process: %s", index, strerror(-err));
    }
    return err;
}

int vcpu_restart(struct machine *m, unsigned index)
{
    if (index >= m->cfg->ncpus)
        return -ESRCH;
    if (m->stopping || m->resetting)
        return -EBUSY;
    struct vcpu_proc *v = &m->cpu[index];
    if (v->running) {
        /* Its exit is seen by the loop, which restarts it whatever the policy. */
        v->restart_asked = true;
        return kill(v->pid, SIGKILL) < 0 ? -errno : 0;
    }
    log_notice("vCPU %u: restart requested", index);
    return vcpu_respawn(m, index);
}

int vcpu_inject_crash(struct machine *m, unsigned index, unsigned kind)
{
    if (index >= m->cfg->ncpus)
        return -ESRCH;
    if (kind > INJECT_EXEC_STICKY)
        return -EINVAL;
    struct cpu_crash *k = &m->ctrl->cpu[index].crash;
    k->inject_pc = UINT32_MAX; /* a sticky translation crash picks its pc when it fires */
    atomic_store(&k->inject, kind);
    doorbell_kick_cpus(m->ctrl, m->doorbell, 1u << index, EXIT_REQ_CRASH, CTRL_EP_COORD);
    log_item(LOG_SUP, "vCPU %u: crash injection %u armed", index, kind);
    return 0;
}

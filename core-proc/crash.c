/* Crash recovery, the vCPU process's side (docs/operations.md): what a fatal signal
 * leaves in the control region for the coordinator's crash report, the translation
 * marks that tell a crash in the translator from one in a running block, step mode for
 * the pcs whose translation crashed twice, and the fault injection tests use. */
#include <execinfo.h>
#include <glib.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/util.h"

extern char __executable_start, etext; /* the linker's: percore-cpu's text */

static void crash_write(const char *s)
{
    if (write(STDERR_FILENO, s, strlen(s)) < 0)
        return;
}

/* Async-signal-safe apart from reading the CPU's last block (a crash inside the CPU can
 * have left it inconsistent): the signal and the backtrace are recorded first. */
static void crash_handler(int sig, siginfo_t *si, void *ucv)
{
    struct core *c = core_this;
    struct cpu_crash *k = &c->cpu->crash;
    k->signal = sig;
    k->fault_addr = (uintptr_t)si->si_addr;
#if defined(__x86_64__)
    const ucontext_t *uc = ucv;
    k->host_pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#endif
    void *bt[CPU_CRASH_BT];
    int n = backtrace(bt, CPU_CRASH_BT);
    for (int i = 0; i < n; i++)
        k->bt[i] = (uintptr_t)bt[i];
    k->n_bt = (uint32_t)(n > 0 ? n : 0);
    uint32_t pc, phys;
    unsigned insns;
    if (!atomic_load(&k->translating) && c->arm && arm_cpu_last_block(c->arm, &pc, &phys, &insns)) {
        k->block_pc = pc;
        k->block_phys = phys;
        k->block_insns = insns;
    }
    crash_write(c->tag);
    crash_write(": fatal signal ");
    crash_write(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    crash_write(atomic_load(&k->translating) ? " in the translator" : "");
    crash_write("; host backtrace:\n");
    backtrace_symbols_fd(bt, n, STDERR_FILENO);
    /* The default action ends the process with this signal, which the coordinator sees. */
    signal(sig, SIG_DFL);
    raise(sig);
}

int core_crash_init(struct core *c)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    struct cpu_crash *k = &c->cpu->crash;
    k->exe_base = (uintptr_t)&__executable_start;
    k->exe_end = (uintptr_t)&etext;
    void *prime[1];
    backtrace(prime, 1); /* loads the unwinder now, not inside the handler */
    /* Its own stack, so that a stack overflow is reported too. */
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    if (sigaltstack(&ss, NULL) < 0)
        return -1;
    struct sigaction sa = {.sa_sigaction = crash_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    for (unsigned i = 0; i < G_N_ELEMENTS(fatal); i++)
        if (sigaction(fatal[i], &sa, NULL) < 0)
            return -1;
    /* A crash loop under test: every process of this vCPU crashes at its first boundary. */
    if (atomic_load(&k->inject) == INJECT_EXEC_STICKY)
        atomic_fetch_or(&c->cpu->exit_request, EXIT_REQ_CRASH);
    return 0;
}

/* A real invalid access (not raise()): the handler, the backtrace and the report see
 * what a translator bug would give them. */
static void crash_now(void)
{
    volatile uintptr_t bad = 8;
    *(volatile int *)bad = 1;
}

void core_take_crash_request(struct core *c)
{
    struct cpu_crash *k = &c->cpu->crash;
    switch (atomic_load(&k->inject)) {
    case INJECT_EXEC:
        atomic_store(&k->inject, INJECT_NONE);
        crash_now();
        break;
    case INJECT_EXEC_STICKY: crash_now(); break;
    case INJECT_TRANSLATE:
    case INJECT_TRANSLATE_STICKY:
        /* Translate again at once: the next block is the one that crashes. */
        arm_cpu_flush_code(c->arm);
        break;
    default: break;
    }
}

bool core_translate_begin(void *opaque, uint32_t pc, uint32_t phys_pc)
{
    struct core *c = opaque;
    struct cpu_crash *k = &c->cpu->crash;
    bool step = false;
    for (uint32_t i = 0; i < k->n_step && i < CPU_CRASH_STEPPCS; i++)
        step |= k->step_pc[i] == pc;
    k->translating_pc = pc;
    k->block_pc = pc;
    k->block_phys = phys_pc;
    k->block_insns = 0;
    atomic_store(&k->translating, 1);
    if (step)
        return true; /* injection models a bug of the block builder, which this avoids */
    switch (atomic_load(&k->inject)) {
    case INJECT_TRANSLATE:
        atomic_store(&k->inject, INJECT_NONE);
        crash_now();
        break;
    case INJECT_TRANSLATE_STICKY:
        if (k->inject_pc == UINT32_MAX)
            k->inject_pc = pc;
        if (k->inject_pc == pc)
            crash_now();
        break;
    default: break;
    }
    return false;
}

void core_translate_end(void *opaque)
{
    struct core *c = opaque;
    atomic_store(&c->cpu->crash.translating, 0);
}

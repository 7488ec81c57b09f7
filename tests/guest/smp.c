/*
 * smp: PSCI CPU_ON, CPU_OFF and AFFINITY_INFO (Arm Power State Coordination Interface,
 * DEN 0022, 5.1.4-5.1.5, 5.1.8) and the MPIDR of every CPU. Run with -smp 1, 2, 4 and 8:
 * the number of CPUs is found, not compiled in: CPU 0 calls CPU_ON for CPU 1, 2, ...
 * until one returns INVALID_PARAMETERS (a target_cpu that is not a CPU of the system).
 *
 * CPU 0 starts the secondaries one at a time and waits for each to print its MPIDR and
 * the context id it found in r0, so the lines come in order. Each secondary then waits
 * (WFE; CPU 0 sends SEV) until CPU 0 lets it return, which powers it off (CPU_OFF, in
 * smp_secondary_main).
 *
 * While they are all on: CPU_ON of a CPU that is on (every one, CPU 0 included) returns
 * ALREADY_ON, and AFFINITY_INFO says ON; CPU_ON and AFFINITY_INFO of a CPU that does
 * not exist (the first index past the last, an Aff1 and an Aff2 value) return
 * INVALID_PARAMETERS. After they return, AFFINITY_INFO of each says OFF: CPU_OFF takes
 * effect some time after the call, so CPU 0 polls until the answer is not ON (and
 * prints what it then is, OFF). PSCI_FEATURES says CPU_ON, CPU_OFF and AFFINITY_INFO are
 * implemented (0), and NOT_SUPPORTED for the SMC64 CPU_ON on this AArch32-only CPU.
 *
 * Left out: ON_PENDING. A CPU is ON_PENDING from a successful CPU_ON until it starts to
 * run; nothing the caller can do makes that window observable every time (it may have
 * closed before the next instruction), so neither AFFINITY_INFO's ON_PENDING nor
 * CPU_ON's ON_PENDING error can be in a transcript. Each CPU_ON here is made on a CPU
 * that has arrived (so is ON) or is OFF.
 * MPIDR is 0x80000000 | the CPU index on the virt board (bit 31 reads 1; U, bit 30, is
 * 0 even with one CPU, as the Cortex-A15 with its Multiprocessing Extensions reports).
 */
#include "guest.h"

#define CONTEXT(cpu) (0x5e000000u | (cpu) << 8 | 0xc1u)

static volatile uint32_t printed[SMP_MAX_CPUS];
static volatile uint32_t release;

static void secondary(uint32_t context)
{
    unsigned cpu = smp_cpu_id();
    uint32_t r0 = smp_entry_state[cpu].context;

    printf("cpu %u mpidr 0x%08x, r0 at entry 0x%08x (%s)\n", cpu, read_mpidr(), r0,
           r0 == CONTEXT(cpu) && context == r0 ? "its context id" : "WRONG");
    dsb();
    printed[cpu] = 1;
    while (!release)
        wfe();
}

/* what: "cpu" (then the target is that CPU's index) or a description. */
static void on_result(uint32_t target, const char *what, int32_t ret)
{
    printf("CPU_ON 0x%08x (%s", target, what);
    if (what[0] == 'c')
        printf(" %u", target);
    printf("): %s (%d)\n", psci_ret_name(ret, 0), ret);
}

static void affinity(uint32_t target, const char *what)
{
    int32_t ret = psci_affinity_info(target, 0);

    printf("AFFINITY_INFO 0x%08x level 0 (%s", target, what);
    if (what[0] == 'c')
        printf(" %u", target);
    printf("): %s (%d)\n", psci_ret_name(ret, 1), ret);
}

static void feature(const char *name, uint32_t fn)
{
    int32_t ret = psci_features(fn);

    printf("PSCI_FEATURES %s 0x%08x: %d\n", name, fn, ret);
}

int main(void)
{
    unsigned ncpus;
    int32_t ret;

    smp_init();
    printf("smp: CPU_ON of each secondary CPU in turn\n");
    printf("cpu 0 mpidr 0x%08x\n", read_mpidr());
    for (ncpus = 1;; ncpus++) {
        ret = smp_start(ncpus, secondary, CONTEXT(ncpus));
        if (ret != PSCI_SUCCESS)
            break;
        if (ncpus >= SMP_MAX_CPUS || !WAIT_UNTIL(printed[ncpus], 5000)) {
            printf("FAIL: cpu %u did not arrive\n", ncpus);
            return 0;
        }
    }
    on_result(smp_mpidr(ncpus), "past the last CPU", ret);
    printf("cpus: %u\n", ncpus);

    printf("all on:\n");
    for (unsigned cpu = 0; cpu < ncpus; cpu++)
        on_result(smp_mpidr(cpu), "cpu", smp_start(cpu, secondary, CONTEXT(cpu)));
    on_result(0x100u, "Aff1 = 1", psci_cpu_on(0x100u, (uint32_t)smp_secondary_entry, 0));
    on_result(0x10000u, "Aff2 = 1", psci_cpu_on(0x10000u, (uint32_t)smp_secondary_entry, 0));
    for (unsigned cpu = 0; cpu < ncpus; cpu++)
        affinity(smp_mpidr(cpu), "cpu");
    affinity(smp_mpidr(ncpus), "past the last CPU");
    affinity(0x100u, "Aff1 = 1");

    printf("the secondaries return (CPU_OFF)\n");
    dsb();
    release = 1;
    dsb();
    sev();
    for (unsigned cpu = 1; cpu < ncpus; cpu++) {
        if (!WAIT_UNTIL(psci_affinity_info(smp_mpidr(cpu), 0) != PSCI_AFF_ON, 5000))
            printf("FAIL: cpu %u stays ON\n", cpu);
        affinity(smp_mpidr(cpu), "cpu");
    }
    affinity(smp_mpidr(0), "cpu");

    feature("CPU_ON", PSCI_CPU_ON);
    feature("CPU_OFF", PSCI_CPU_OFF);
    feature("AFFINITY_INFO", PSCI_AFFINITY_INFO);
    feature("CPU_ON (SMC64)", PSCI_CPU_ON_64);
    printf("system off\n");
    return 0;
}

/* Starting secondary CPUs, the barrier and the console lock (smp.h). */
#include <stdarg.h>
#include "mmu.h"
#include "psci.h"
#include "smp.h"
#include "uart.h"

volatile struct smp_entry_state smp_entry_state[SMP_MAX_CPUS];
static smp_fn volatile start_fn[SMP_MAX_CPUS];
static volatile uint32_t shared_mmu;
static spinlock_t print_lock;
volatile uint32_t smp_ncpus;
static smp_fn volatile all_fn;

void smp_init(void)
{
    mmu_enable_flat_shared();
    shared_mmu = 1;
}

int32_t smp_start_at(unsigned cpu, void (*entry)(void), smp_fn fn, uint32_t context)
{
    if (cpu < SMP_MAX_CPUS)
        start_fn[cpu] = fn;
    return psci_cpu_on(smp_mpidr(cpu), (uint32_t)entry, context);
}

int32_t smp_start(unsigned cpu, smp_fn fn, uint32_t context)
{
    return smp_start_at(cpu, smp_secondary_entry, fn, context);
}

static void start_all_entry(uint32_t context)
{
    while (!smp_ncpus)
        wfe();
    dmb();
    all_fn(context);
}

unsigned smp_start_all(smp_fn fn, uint32_t context)
{
    unsigned cpu;

    all_fn = fn;
    for (cpu = 1; cpu < SMP_MAX_CPUS; cpu++) {
        uint32_t arrived = smp_entry_state[cpu].count;

        if (smp_start(cpu, start_all_entry, context) != PSCI_SUCCESS)
            break;
        if (!WAIT_UNTIL(smp_entry_state[cpu].count != arrived, 5000)) {
            uart_printf("FAIL: cpu %u did not arrive\n", cpu);
            psci_system_off();
        }
    }
    dmb();
    smp_ncpus = cpu;
    dsb();
    sev();
    return cpu;
}

/* Called by smp_secondary_entry on the CPU's own SVC stack, IRQs masked. */
void smp_secondary_main(uint32_t context, unsigned cpu) __attribute__((noreturn));
void smp_secondary_main(uint32_t context, unsigned cpu)
{
    smp_fn fn;

    if (shared_mmu)
        mmu_enable_cpu();
    fn = start_fn[cpu];
    smp_entry_state[cpu].count++;
    dsb();
    sev();
    if (fn)
        fn(context);
    psci_cpu_off();
}

void smp_barrier_wait(struct smp_barrier *b, unsigned n)
{
    uint32_t sense = b->sense;

    if (atomic_add(&b->count, 1) == n) {
        b->count = 0;
        dmb();
        b->sense = !sense;
        dsb();
        sev();
        return;
    }
    while (b->sense == sense)
        wfe();
    dmb();
}

void smp_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    spin_lock(&print_lock);
    uart_vprintf(fmt, ap);
    spin_unlock(&print_lock);
    va_end(ap);
}

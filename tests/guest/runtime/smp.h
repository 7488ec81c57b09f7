/*
 * Several CPUs: starting the secondary CPUs with PSCI CPU_ON, atomics, a spinlock, a
 * barrier and a console lock (ARM ARM DDI 0406C, A3.4 "Synchronization and semaphores",
 * B1.8.13 "Wait For Event and Send Event").
 *
 * A secondary CPU enters at smp_secondary_entry (smp_entry.S), which records the CPSR,
 * SCTLR and r0 it arrived with in smp_entry_state[cpu], gives it its own stacks (guest.ld:
 * CPU 0's layout, __stack_cpu_stride bytes higher per CPU), VBAR and the CPSR and SCTLR
 * bits of _start (cpu_setup in start.S), then runs smp_secondary_main: that turns on the
 * CPU's MMU if CPU 0 called smp_init(), counts the arrival in smp_arrived[cpu] and calls
 * the function given to smp_start() with the context id it arrived with in r0. When the
 * function returns, the CPU powers itself off (CPU_OFF).
 *
 * The CPU index is MPIDR.Aff0: the virt board with its GICv2 puts up to 8 CPUs in
 * cluster 0 (Aff1 = Aff2 = 0), and so does this runtime; PSCI takes the affinity fields
 * (smp_mpidr()), without MPIDR's bit 31.
 *
 * The atomics, the lock and the barrier use LDREX/STREX, which between CPUs need Normal,
 * Shareable memory: smp_init() turns the MMU on with such a map first (mmu.h).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>
#include "arm.h"
#include "timer.h"

#define SMP_MAX_CPUS 8 /* guest.ld's __smp_max_cpus */

typedef void (*smp_fn)(uint32_t context);

/* CPU 0, before it starts any other: the MMU on with a Shareable flat map (mmu.h), which
   each secondary CPU then turns on for itself before its function runs. */
void smp_init(void);

/* PSCI CPU_ON of CPU cpu at smp_secondary_entry, to run fn(context); the PSCI result. */
int32_t smp_start(unsigned cpu, smp_fn fn, uint32_t context);
/* The same at another entry point, which must end by branching to smp_secondary_entry
   with r0 as it found it. */
int32_t smp_start_at(unsigned cpu, void (*entry)(void), smp_fn fn, uint32_t context);

/*
 * Starts CPU 1, 2, ... with smp_start(cpu, fn, context) until CPU_ON fails (with
 * INVALID_PARAMETERS past the last CPU), waiting up to 5 s for each to arrive (else it
 * says so and powers off). Sets smp_ncpus and returns it (CPU 0 included); fn runs on
 * each once smp_ncpus is set.
 */
unsigned smp_start_all(smp_fn fn, uint32_t context);
extern volatile uint32_t smp_ncpus;

/* The PSCI entry point of secondary CPUs (r0 = the context id). */
void smp_secondary_entry(void);

/* What smp_secondary_entry found on arrival, before it changed anything. */
struct smp_entry_state {
    uint32_t context; /* r0 */
    uint32_t cpsr;
    uint32_t sctlr;
    uint32_t count; /* arrivals so far */
};
extern volatile struct smp_entry_state smp_entry_state[SMP_MAX_CPUS];

static inline unsigned smp_cpu_id(void)
{
    return read_mpidr() & 0xffu;
}

/* The target_cpu argument of CPU_ON and AFFINITY_INFO for CPU cpu. */
static inline uint32_t smp_mpidr(unsigned cpu)
{
    return cpu;
}

/* Adds v to *p atomically (LDREX/ADD/STREX until the STREX succeeds) and returns the
   new value; no barrier. */
static inline uint32_t atomic_add_relaxed(volatile uint32_t *p, uint32_t v)
{
    uint32_t res, fail;

    __asm__ volatile("1:	ldrex	%0, [%2]\n\t"
                     "add	%0, %0, %3\n\t"
                     "strex	%1, %0, [%2]\n\t"
                     "teq	%1, #0\n\t"
                     "bne	1b"
                     : "=&r"(res), "=&r"(fail)
                     : "r"(p), "r"(v)
                     : "cc", "memory");
    return res;
}

/* The same with a full barrier (DMB) on each side. */
static inline uint32_t atomic_add(volatile uint32_t *p, uint32_t v)
{
    dmb();
    uint32_t res = atomic_add_relaxed(p, v);
    dmb();
    return res;
}

/*
 * A test-and-set spinlock, unlocked when zero-initialised. spin_lock waits with WFE
 * while the lock is held; spin_unlock stores 0 after a DMB, then DSB and SEV wake the
 * waiters.
 */
typedef struct {
    volatile uint32_t locked;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
    uint32_t tmp;

    __asm__ volatile("1:	ldrex	%0, [%1]\n\t"
                     "teq	%0, #0\n\t"
                     "wfene\n\t"
                     "strexeq	%0, %2, [%1]\n\t"
                     "teqeq	%0, #0\n\t"
                     "bne	1b\n\t"
                     "dmb"
                     : "=&r"(tmp)
                     : "r"(&l->locked), "r"(1u)
                     : "cc", "memory");
}

static inline void spin_unlock(spinlock_t *l)
{
    dmb();
    l->locked = 0;
    dsb();
    sev();
}

/* A sense-reversing barrier for n CPUs (zero-initialised); waits with WFE. */
struct smp_barrier {
    volatile uint32_t count;
    volatile uint32_t sense;
};
void smp_barrier_wait(struct smp_barrier *b, unsigned n);

/* uart_printf under a lock, so that lines from different CPUs do not mix. */
void smp_printf(const char *fmt, ...);

#endif

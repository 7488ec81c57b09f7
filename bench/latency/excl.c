/*
 * excl: the cost of LDREX/STREX and of broadcast maintenance as the guest sees it
 * (CNTVCT, 16 ns ticks). Run with -smp 4 (bench-smp: 4).
 *
 *  - excl-uncontended-ns: one LDREX/ADD/STREX increment loop on CPU 0 alone, per pair;
 *  - excl-contended-Ncpu-ns: N CPUs (1, 2, 4) each add COUNT to one shared counter with
 *    LDREX/STREX; the time per successful increment over all of them (lower is better);
 *  - tlbiallis-dsb-ns: TLBIALLIS; DSB on CPU 0 while CPU 1 runs a loop and CPUs 2 and 3
 *    sleep in WFI: the broadcast and its completion (every vCPU must have acted on it).
 * Each prints "NAME samples=N median=X p90=Y min=Z" (ns) for bench/board.sh; the counter
 * totals are checked and a wrong one is printed as FAIL.
 */
#include "guest.h"

#define COUNT   20000u
#define PAIRS   100000u
#define FLUSHES 2000u
#define NS      16u

static volatile uint32_t counter __attribute__((aligned(64)));
static volatile uint32_t go, done, spin_phase;
static volatile uint32_t workers;
static uint32_t samples[FLUSHES];

static void add_many(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        atomic_add_relaxed(&counter, 1);
}

/* UDIV (the Cortex-A15 has it; the runtime has no division helper). */
static uint32_t udiv(uint32_t n, uint32_t d)
{
    uint32_t q;
    __asm__(".arch_extension idiv\n\tudiv %0, %1, %2" : "=r"(q) : "r"(n), "r"(d));
    return q;
}

static void one(const char *name, uint64_t ticks, uint32_t ops)
{
    uint32_t ns = udiv((uint32_t)ticks * NS, ops); /* runs are well under 2^28 ticks */
    printf("%s samples=1 median=%u p90=%u min=%u\n", name, ns, ns, ns);
}

/* CPUs 1..3: take part in a contended round when their index is below `workers`; in
 * the last phase CPU 1 spins (a broadcast finds it running) and the others sleep. */
static void helper(uint32_t context)
{
    unsigned me = smp_cpu_id();
    uint32_t seen = 0;
    for (;;) {
        uint32_t g;
        while ((g = go) == seen && !spin_phase)
            ;
        if (spin_phase)
            break;
        seen = g; /* a round this CPU missed while it sat one out is simply skipped */
        dmb();
        if (me < workers) {
            add_many(COUNT);
            atomic_add(&done, 1);
        }
    }
    while (me == 1)
        counter++;
    for (;;)
        wfi();
}

static void contended(unsigned n)
{
    static uint32_t round;
    counter = 0;
    done = 0;
    workers = n;
    dmb();
    uint64_t t0 = timer_cntvct();
    go = ++round;
    add_many(COUNT);
    while (done < n - 1)
        ;
    uint64_t t1 = timer_cntvct();
    char name[40] = "excl-contended-Ncpu-ns";
    name[15] = (char)('0' + n);
    if (counter != n * COUNT)
        printf("FAIL %s: counter %u, expected %u\n", name, counter, n * COUNT);
    one(name, t1 - t0, n * COUNT);
}

int main(void)
{
    smp_init();
    smp_start_all(helper, 0);
    timer_delay_ms(5);
    add_many(1); /* the first LDREX on the page marks it (a one-off shootdown): not timed */
    counter = 0;
    uint64_t t0 = timer_cntvct();
    add_many(PAIRS);
    one("excl-uncontended-ns", timer_cntvct() - t0, PAIRS);
    contended(1);
    contended(2);
    contended(4);
    spin_phase = 1;
    timer_delay_ms(5);
    for (unsigned i = 0; i < FLUSHES; i++) {
        uint64_t a = timer_cntvct();
        CP15_WRITE(0, c8, c3, 0, 0); /* TLBIALLIS */
        dsb();
        samples[i] = (uint32_t)(timer_cntvct() - a);
    }
    sort_u32(samples, FLUSHES);
    printf("tlbiallis-dsb-ns samples=%u median=%u p90=%u min=%u\n", FLUSHES,
           samples[FLUSHES / 2] * NS, samples[FLUSHES * 9 / 10] * NS, samples[0] * NS);
    return 0;
}

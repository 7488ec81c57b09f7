/*
 * llsc: what the exclusive monitors must do on one CPU, and LDREX/STREX counting on all
 * of them (ARM ARM DDI 0406C, A3.4 "Synchronization and semaphores"). Run with -smp 4
 * (llsc-4) and -smp 8 (llsc-8). The MMU is on with RAM Normal and Shareable (smp_init),
 * so that both the local and the global monitor take part (A3.4.2). The cases where
 * another CPU's store must make a STREX fail (the ABA cases, which qemu-system-arm gets
 * wrong) are in llscaba.c.
 *
 * A STREX may always fail (A3.4.5: an implementation may clear a monitor for its own
 * reasons), so only failures are required here, never a success, except that the
 * counter must reach its total.
 *
 * Every CPU runs each case ITER times at once, on its own 64-byte granule: x is a word
 * set to a known value first; each case ends with "STREX st, v, [x]" (v never the old
 * value), which must fail: st = 1 (A8.8.210) and x (w) still holds the old value. Each
 * sequence from its LDREX to that STREX is one asm statement, so that no store of the
 * compiler's comes between them.
 *  E5 (the local monitor's state machine, A3.4.1):
 *   - LDREX x; CLREX; STREX x: CLREX puts the local monitor in Open Access.
 *   - CLREX; STREX w, w a word no LDREX ever marked: a STREX in Open Access fails.
 *   - LDREX x; STREX x; STREX x: whatever the first STREX did, the monitor is then Open,
 *     and the second fails.
 *   - LDREX x; STREX y; STREX x: a STREX to an address other than the one last loaded
 *     exclusively may or may not store (IMPLEMENTATION DEFINED, so y is scratch and not
 *     looked at), "but in all cases the local monitor is reset to its Open Access
 *     state" (the dummy STREX of A3.4.4): the STREX x fails.
 *  E6 (an exception between LDREX and STREX): ARMv7 does not require taking an
 *   exception or returning from one to clear the local monitor (ARMv8 makes ERET do it,
 *   and percore clears it on exception entry, which ARMv7 allows); A3.4.4
 *   "Context switch support" makes that software's job: CLREX (or a dummy STREX) on a
 *   context switch. So E6 checks that pattern, not exception entry itself:
 *   - LDREX x; SVC; STREX x, the SVC handler doing CLREX before it returns;
 *   - LDREX x; an SGI to itself taken with IRQs unmasked, whose handler does an
 *     LDREX/STREX increment of its own counter (atomic_add); the STREX x waits for the
 *     handler's count, then must fail: the handler's STREX left the monitor Open.
 *  E7 / E9 (progress under contention, A3.4.5): every CPU increments one shared word
 *   with LDREX/ADD/STREX, retrying on failure, TOTAL / n times; the word must end at
 *   TOTAL (no increment lost) and every CPU must finish (with 8 CPUs on one word: no
 *   livelock; the test's timeout bounds the wait).
 * qemu-system-arm 7.2 passes all of this: its CLREX and any STREX reset the monitor.
 */
#include "guest.h"

#define ITER     1000
#define TOTAL    1000000u
#define SGI_SELF_ID 5
#define IRQ_WAIT 100000000u /* polls of the handler's count before giving up */

enum {
    CLREX_BETWEEN,
    NEVER_MARKED,
    SECOND_STREX,
    OTHER_ADDRESS,
    SVC_CLREX,
    IRQ_STREX,
    NCASES
};

static const char *const case_names[NCASES] = {
    "E5 LDREX x; CLREX; STREX x",
    "E5 CLREX; STREX to a word never marked",
    "E5 LDREX x; STREX x; STREX x (the second)",
    "E5 LDREX x; STREX y; STREX x",
    "E6 LDREX x; SVC (handler: CLREX); STREX x",
    "E6 LDREX x; SGI to self (handler: LDREX/STREX); STREX x",
};

/* Per CPU, each in its own granules. */
struct granule {
    volatile uint32_t w[16];
} __attribute__((aligned(64)));
static struct granule xs[SMP_MAX_CPUS], ys[SMP_MAX_CPUS], nevers[SMP_MAX_CPUS];
static volatile uint32_t irq_count[SMP_MAX_CPUS], svc_count[SMP_MAX_CPUS];
static volatile uint32_t failed[NCASES][SMP_MAX_CPUS], kept[NCASES][SMP_MAX_CPUS];
static volatile uint32_t irq_late[SMP_MAX_CPUS];

static volatile uint32_t counter;
static volatile uint32_t done[SMP_MAX_CPUS];
static struct smp_barrier barrier;

static void on_svc(struct exc_frame *f, enum exc_kind kind)
{
    svc_count[smp_cpu_id()]++;
    clrex();
    exc_skip(f);
}

static void on_sgi(uint32_t iar)
{
    atomic_add(&irq_count[smp_cpu_id()], 1);
}

/* "LDREX %1, [x]; between; STREX st, v, [x]" in one asm statement; between may use %1
   (the value read), %2 (scratch), %3 (x) and %4 (y); extra clobbers after it. */
#define LDREX_BETWEEN_STREX(between, ...)                                                          \
    __asm__ volatile("ldrex	%1, [%3]\n\t" between "\n\t"                                            \
                     "strex	%0, %5, [%3]"                                                        \
                     : "=&r"(st), "=&r"(tmp), "=&r"(tmp2)                                          \
                     : "r"(x), "r"(y), "r"(v)                                                      \
                     : "memory", ##__VA_ARGS__)

/* One run of case c on this CPU: the status of the last STREX, to x (or w). */
static uint32_t run_case(unsigned c, unsigned me, uint32_t old)
{
    volatile uint32_t *x = &xs[me].w[0], *y = &ys[me].w[0], *w = &nevers[me].w[0];
    uint32_t v = ~old, st, tmp, tmp2;

    *x = old;
    *w = old;
    dmb();
    switch (c) {
    case CLREX_BETWEEN:
        LDREX_BETWEEN_STREX("clrex");
        break;
    case NEVER_MARKED:
        __asm__ volatile("clrex\n\t"
                         "strex	%0, %2, [%1]"
                         : "=&r"(st)
                         : "r"(w), "r"(v)
                         : "memory");
        x = w;
        break;
    case SECOND_STREX:
        LDREX_BETWEEN_STREX("strex	%2, %1, [%3]");
        break;
    case OTHER_ADDRESS:
        LDREX_BETWEEN_STREX("strex	%2, %1, [%4]");
        break;
    case SVC_CLREX:
        LDREX_BETWEEN_STREX("svc	#0x11", "lr"); /* taken in SVC mode: LR_svc is lost */
        break;
    case IRQ_STREX: {
        /* The SGI is sent between the LDREX and the STREX (a store to GICD_SGIR); the
           STREX waits until the handler has run (or IRQ_WAIT polls have gone by). */
        uint32_t polls = IRQ_WAIT;

        st = ldrex_handoff_strex(x, v, gicd(GICD_SGIR), GIC_SGI_SELF << 24 | SGI_SELF_ID,
                                 &irq_count[me], irq_count[me] + 1, &polls, &tmp);
        if (!polls)
            irq_late[me]++;
        break;
    }
    }
    if (*x == old)
        kept[c][me]++;
    return st;
}

/* LDREX/ADD/STREX until the STREX stores. */
static void increment(volatile uint32_t *p)
{
    uint32_t v, st;

    __asm__ volatile("1:	ldrex	%0, [%2]\n\t"
                     "add	%0, %0, #1\n\t"
                     "strex	%1, %0, [%2]\n\t"
                     "teq	%1, #0\n\t"
                     "bne	1b"
                     : "=&r"(v), "=&r"(st)
                     : "r"(p)
                     : "cc", "memory");
}

/* TOTAL / n (ARMv7-A without the division instructions has no divide). */
static uint32_t share(unsigned n)
{
    uint32_t q = 0, r = TOTAL;

    while (r >= n) {
        r -= n;
        q++;
    }
    return q;
}

static void run(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = smp_ncpus;
    uint32_t my_share = share(n);

    gic_init_cpu();
    gic_enable(SGI_SELF_ID);
    irq_unmask();
    smp_barrier_wait(&barrier, n);
    for (unsigned c = 0; c < NCASES; c++) {
        for (uint32_t i = 0; i < ITER; i++)
            if (run_case(c, me, 0x5a000000u + (me << 16) + i) == 1)
                failed[c][me]++;
        smp_barrier_wait(&barrier, n);
    }
    for (uint32_t i = 0; i < my_share; i++) {
        increment(&counter);
        done[me]++;
    }
    smp_barrier_wait(&barrier, n);
}

static uint32_t sum(volatile uint32_t *per_cpu, unsigned n)
{
    uint32_t s = 0;

    for (unsigned cpu = 0; cpu < n; cpu++)
        s += per_cpu[cpu];
    return s;
}

int main(void)
{
    unsigned n;

    smp_init();
    gic_init_dist();
    irq_init();
    irq_set_handler(SGI_SELF_ID, on_sgi);
    exc_set_hook(EXC_SVC, on_svc);
    n = smp_start_all(run, 0);
    printf("llsc: %u cpus, each case %u times on each\n", n, ITER);
    run(0);
    for (unsigned c = 0; c < NCASES; c++)
        printf("%s: STREX failed %u/%u, memory unchanged %u/%u\n", case_names[c], sum(failed[c], n),
               n * ITER, sum(kept[c], n), n * ITER);
    printf("E6 handlers run: SVC %u, SGI %u (expected %u each), SGI late %u\n", sum(svc_count, n),
           sum(irq_count, n), n * ITER, sum(irq_late, n));
    printf("%s counter: %u cpus x %u LDREX/ADD/STREX increments = %u (expected %u)\n",
           n > 4 ? "E9" : "E7", n, share(n), counter, TOTAL);
    printf("  increments done per cpu:");
    for (unsigned cpu = 0; cpu < n; cpu++)
        printf(" %u", done[cpu]);
    printf("\nsystem off\n");
    return 0;
}

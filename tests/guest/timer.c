/*
 * timer: the generic timer (ARM ARM DDI 0406C, chapter B8) and its interrupts through
 * the GIC's PPIs (virtual timer INTID 27, Non-secure physical timer INTID 30, both
 * level-sensitive). Run with -smp 2: every CPU has its own timers.
 *
 *  - CNTFRQ, the same on every CPU (the board's firmware sets it: 62.5 MHz on virt).
 *  - CNTVCT = CNTPCT: without EL2 the virtual offset is 0, so a virtual read between
 *    two physical reads lies between them.
 *  - TVAL: writing it sets CVAL = the count + TVAL; reading it gives CVAL - count (signed
 *    32 bits), so it counts down, and goes negative once the count passes CVAL.
 *  - ISTATUS is set once the count reaches CVAL whatever IMASK says; IMASK = 1 keeps the
 *    interrupt signal low (the PPI is not pending), IMASK = 0 raises it, and as the
 *    signal is a level, setting IMASK again takes the pending state away.
 *  - Periodic interrupts on every CPU, both timers at once (virtual every 1 ms,
 *    physical every 2 ms), the handler moving CVAL on by one period each time. The
 *    handler checks that the count has reached CVAL (an interrupt is never early) and
 *    ignores a call with ISTATUS clear (the GIC may see the level fall a little after
 *    CVAL moves: not counted, not printed). At the end, with IRQs masked and every
 *    interrupt due taken (count < CVAL), CVAL - period <= count < CVAL, so the number
 *    of interrupts taken must be exactly (count - start) / period: an exact check that
 *    does not depend on how late any interrupt was taken (a late one makes the next
 *    ones come at once).
 *  - CNTVCT never goes back between CPUs: the CPUs pass a token round 100 times, each
 *    reading the count after it sees the token (DSB, ISB) and checking it is not below
 *    the one the previous holder read before it passed the token on.
 * Only "ok" / "FAIL" is printed for what depends on time.
 *
 * Not relied on, because qemu-system-arm 7.2 departs from the architecture: ISTATUS
 * as soon as the count reaches CVAL. QEMU recomputes ISTATUS (and the interrupt
 * signal) on a write to CTL, CVAL or TVAL and when its own host timer for CVAL fires,
 * which may be a while later; until then ISTATUS reads 0. So ISTATUS is read here only
 * after a write that put CVAL in the past, or once the interrupt has arrived.
 */
#include "guest.h"

#define TICKS_PER_MS 62500u /* at CNTFRQ = 62.5 MHz: checked first */
#define VIRT_PERIOD  (1 * TICKS_PER_MS)
#define PHYS_PERIOD  (2 * TICKS_PER_MS)
#define VIRT_TARGET  30
#define PHYS_TARGET  15
#define TOKEN_ROUNDS 100

struct periodic {
    uint64_t start, cval;
    uint32_t period;
    volatile uint32_t count, early;
};
static struct periodic periodic[SMP_MAX_CPUS][2]; /* [cpu][enum timer_which] */
static volatile uint32_t cntfrq[SMP_MAX_CPUS];
static volatile uint32_t ok_periodic[SMP_MAX_CPUS][2];
static volatile uint64_t token_count;
static volatile uint32_t token, token_back;
static struct smp_barrier barrier;

static const char *okfail(int ok)
{
    return ok ? "ok" : "FAIL";
}

static uint64_t count_of(enum timer_which t)
{
    return t == TIMER_VIRT ? timer_cntvct() : timer_cntpct();
}

static void on_timer(uint32_t iar)
{
    enum timer_which t = GIC_IAR_ID(iar) == TIMER_VIRT_INTID ? TIMER_VIRT : TIMER_PHYS;
    struct periodic *p = &periodic[smp_cpu_id()][t];

    if (!(timer_ctl(t) & TIMER_ISTATUS))
        return;
    if (count_of(t) < p->cval)
        p->early++;
    p->count++;
    p->cval += p->period;
    timer_set_cval(t, p->cval);
}

static void periodic_start(enum timer_which t, uint32_t period)
{
    struct periodic *p = &periodic[smp_cpu_id()][t];

    p->period = period;
    p->count = p->early = 0;
    p->start = count_of(t);
    p->cval = p->start + period;
    timer_set_cval(t, p->cval);
    timer_set_ctl(t, TIMER_ENABLE);
}

/* IRQs unmasked on entry and exit. */
static int periodic_check(enum timer_which t)
{
    struct periodic *p = &periodic[smp_cpu_id()][t];
    uint64_t now, elapsed;
    uint32_t count;

    for (;;) {
        irq_mask();
        count = p->count;
        now = count_of(t);
        if (now < p->cval)
            break;
        /* an interrupt still to take: CVAL has been reached */
        irq_unmask();
        if (!WAIT_UNTIL(p->count != count, 2000))
            return 0;
    }
    timer_set_ctl(t, 0);
    irq_unmask();
    elapsed = now - p->start;
    return !p->early && (uint64_t)count * p->period <= elapsed &&
           elapsed < (uint64_t)(count + 1) * p->period;
}

static void periodic_both(void)
{
    unsigned me = smp_cpu_id();
    int done;

    gic_enable(TIMER_VIRT_INTID);
    gic_enable(TIMER_PHYS_INTID);
    periodic_start(TIMER_VIRT, VIRT_PERIOD);
    periodic_start(TIMER_PHYS, PHYS_PERIOD);
    done = WAIT_UNTIL(periodic[me][TIMER_VIRT].count >= VIRT_TARGET &&
                          periodic[me][TIMER_PHYS].count >= PHYS_TARGET,
                      5000);
    ok_periodic[me][TIMER_VIRT] = periodic_check(TIMER_VIRT) && done;
    ok_periodic[me][TIMER_PHYS] = periodic_check(TIMER_PHYS) && done;
    gic_disable(TIMER_VIRT_INTID);
    gic_disable(TIMER_PHYS_INTID);
}

/* The token goes 0 -> 1 -> ... -> n-1 -> 0, TOKEN_ROUNDS times round. */
static void token_pass(unsigned n)
{
    unsigned me = smp_cpu_id();

    for (uint32_t round = 0; round < TOKEN_ROUNDS; round++) {
        uint32_t mine = round * n + me;
        uint64_t now;

        while (token != mine)
            ;
        dsb(); /* the token seen before the count is read (timer_cntvct's ISB) */
        now = timer_cntvct();
        if (now < token_count)
            token_back++;
        token_count = now;
        dmb();
        token = mine + 1; /* the next CPU's turn */
    }
}

static void run(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = smp_ncpus;

    gic_init_cpu();
    cntfrq[me] = timer_cntfrq();
    irq_unmask();
    smp_barrier_wait(&barrier, n);
    periodic_both();
    smp_barrier_wait(&barrier, n);
    token_pass(n);
    smp_barrier_wait(&barrier, n);
}

/* With ENABLE = 1 (a disabled timer's TVAL may read UNKNOWN) and IMASK = 1. */
static void tval_and_cval(void)
{
    uint64_t before, after, cval, c1;
    int32_t t1, t2;

    printf("virtual timer, ENABLE IMASK: TVAL := 1000000\n");
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE | TIMER_IMASK);
    before = timer_cntvct();
    timer_set_tval(TIMER_VIRT, 1000000);
    after = timer_cntvct();
    cval = timer_cval(TIMER_VIRT);
    printf("  CVAL = the count at the write + 1000000: %s\n",
           okfail(cval >= before + 1000000 && cval <= after + 1000000));
    before = timer_cntvct();
    t1 = timer_tval(TIMER_VIRT);
    after = timer_cntvct();
    printf(
        "  TVAL = CVAL - the count at the read: %s\n",
        okfail((int64_t)t1 <= (int64_t)(cval - before) && (int64_t)t1 >= (int64_t)(cval - after)));
    c1 = timer_cntvct();
    while (timer_cntvct() < c1 + 10000)
        ;
    t2 = timer_tval(TIMER_VIRT);
    printf("  TVAL counts down (by at least 10000 after 10000 ticks): %s\n",
           okfail(t2 < t1 && t1 - t2 >= 10000));
    timer_set_tval(TIMER_VIRT, 100);
    c1 = timer_cntvct();
    while (timer_cntvct() < c1 + 1000)
        ;
    printf("  TVAL := 100, 1000 ticks later: TVAL negative: %s\n",
           okfail(timer_tval(TIMER_VIRT) < 0));
    timer_set_tval(TIMER_VIRT, -1);
    printf("  TVAL := -1: CTL 0x%x (ISTATUS set)\n", timer_ctl(TIMER_VIRT));
    timer_set_ctl(TIMER_VIRT, 0);
}

static int wait_pending(int want)
{
    return WAIT_UNTIL(gic_pending(TIMER_VIRT_INTID) == want, 2000);
}

static void istatus_imask(void)
{
    printf("virtual timer, IRQs masked, PPI 27 disabled at the GIC:\n");
    irq_mask();
    gic_disable(TIMER_VIRT_INTID);
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE | TIMER_IMASK);
    timer_set_cval(TIMER_VIRT, timer_cntvct() + 1000000000u);
    printf("  ENABLE IMASK, CVAL 16 s ahead: CTL 0x%x\n", timer_ctl(TIMER_VIRT));
    timer_set_cval(TIMER_VIRT, 0);
    printf("  ENABLE IMASK, CVAL 0: CTL 0x%x (ISTATUS set)\n", timer_ctl(TIMER_VIRT));
    timer_delay_ms(10);
    printf("  INTID 27 pending: %u\n", gic_pending(TIMER_VIRT_INTID));
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE);
    printf("  ENABLE, CVAL 0: CTL 0x%x\n", timer_ctl(TIMER_VIRT));
    printf("  INTID 27 pending: %s\n", wait_pending(1) ? "1" : "0 (FAIL)");
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE | TIMER_IMASK);
    printf("  IMASK again: INTID 27 pending: %s (a level)\n", wait_pending(0) ? "0" : "1 (FAIL)");
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE);
    wait_pending(1);
    timer_set_cval(TIMER_VIRT, timer_cntvct() + 1000000000u);
    printf("  IMASK clear, CVAL moved 16 s ahead: CTL 0x%x, INTID 27 pending: %s\n",
           timer_ctl(TIMER_VIRT), wait_pending(0) ? "0" : "1 (FAIL)");
    timer_set_ctl(TIMER_VIRT, 0);
    irq_unmask();
}

int main(void)
{
    unsigned n;
    uint64_t p1, v, p2;
    int same = 1;

    smp_init();
    gic_init_dist();
    irq_init();
    irq_set_handler(TIMER_VIRT_INTID, on_timer);
    irq_set_handler(TIMER_PHYS_INTID, on_timer);
    gic_init_cpu();
    printf("timer: CNTFRQ %u\n", timer_cntfrq());
    if (timer_cntfrq() != TICKS_PER_MS * 1000)
        printf("FAIL: the periods below assume 62.5 MHz\n");
    p1 = timer_cntpct();
    v = timer_cntvct();
    p2 = timer_cntpct();
    printf("CNTPCT <= CNTVCT <= CNTPCT: %s\n", okfail(p1 <= v && v <= p2));
    tval_and_cval();
    istatus_imask();

    n = smp_start_all(run, 0);
    printf("%u cpus: virtual timer every %u ticks, physical every %u, at once\n", n, VIRT_PERIOD,
           PHYS_PERIOD);
    run(0);
    for (unsigned cpu = 0; cpu < n; cpu++)
        same &= cntfrq[cpu] == cntfrq[0];
    printf("CNTFRQ the same on every cpu: %s\n", okfail(same));
    for (unsigned cpu = 0; cpu < n; cpu++) {
        printf("cpu %u virtual timer: %s\n", cpu, okfail(ok_periodic[cpu][TIMER_VIRT]));
        printf("cpu %u physical timer: %s\n", cpu, okfail(ok_periodic[cpu][TIMER_PHYS]));
    }
    printf("CNTVCT never went back between cpus (%u passes): %s\n", TOKEN_ROUNDS * n,
           okfail(!token_back));
    printf("system off\n");
    return 0;
}

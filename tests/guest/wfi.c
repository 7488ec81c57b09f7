/*
 * wfi: Wait For Interrupt (ARM ARM DDI 0406C, B1.8.13 "Wait For Interrupt"). Run with
 * -smp 2. WFI waits until a WFI wake-up event: an IRQ or FIQ that the CPU would take
 * if CPSR.I / CPSR.F did not mask it, among others. So an interrupt wakes it even
 * while CPSR.I masks it; the interrupt is then taken when CPSR.I is cleared.
 *
 * Each CPU in turn is the waiter, the other the helper, in four cases:
 *  1. SGI, IRQs unmasked: the waiter loops "WFI until my SGI handler has run"; the helper
 *     sends the SGI every 10 ms until the waiter says it woke (so that an SGI taken
 *     just before the WFI cannot leave it asleep); a last one still in flight is taken
 *     after the case, before the next one starts.
 *  2. SGI, IRQs masked: the waiter masks IRQs and loops "WFI until the SGI is pending
 *     at the distributor"; the helper sends it once, 10 ms after the waiter said it was
 *     about to wait. Then the handler has not run; it runs once IRQs are unmasked.
 *  3. Timer, IRQs unmasked: the waiter's virtual timer fires 5 ms later; WFI until its
 *     handler has run (the handler turns the timer's output off with IMASK).
 *  4. Timer, IRQs masked: the same with CPSR.I set, WFI until PPI 27 is pending.
 * A WFI may also complete for other reasons, so every WFI is in a loop that tests its
 * condition; what is printed does not depend on how many times the loop ran. If the
 * waiter never wakes, the helper says so after 5 s and powers the machine off.
 */
#include "guest.h"

#define SGI_WAKE 9

enum { SGI_UNMASKED, SGI_MASKED, TIMER_UNMASKED, TIMER_MASKED, NCASES };

static volatile uint32_t ready, woken;
static volatile uint32_t sgi_taken, sgi_from;
static volatile uint32_t timer_taken, timer_on_time;
static uint64_t timer_cval_set[SMP_MAX_CPUS];
static struct smp_barrier barrier;

static void on_sgi(uint32_t iar)
{
    sgi_from = GIC_IAR_CPU(iar);
    dmb();
    sgi_taken++;
}

static void on_timer(uint32_t iar)
{
    timer_on_time = timer_cntvct() >= timer_cval_set[smp_cpu_id()];
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE | TIMER_IMASK);
    dmb();
    timer_taken++;
}

static void timer_arm(void)
{
    uint64_t cval = timer_cntvct() + 5 * (timer_cntfrq() / 1000u);

    timer_cval_set[smp_cpu_id()] = cval;
    timer_set_cval(TIMER_VIRT, cval);
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE);
}

static void announce(void)
{
    dsb();
    ready = 1;
    dsb();
    sev();
}

static void waiter(int c)
{
    unsigned me = smp_cpu_id();

    sgi_taken = timer_taken = 0;
    switch (c) {
    case SGI_UNMASKED:
        announce();
        while (!sgi_taken)
            wfi();
        smp_printf("cpu %u: WFI, IRQs unmasked: SGI %u from cpu %u taken\n", me, SGI_WAKE,
                   sgi_from);
        break;
    case SGI_MASKED:
        irq_mask();
        announce();
        while (!gic_pending(SGI_WAKE))
            wfi();
        smp_printf("cpu %u: WFI, IRQs masked: woke with SGI %u pending, taken %u\n", me, SGI_WAKE,
                   sgi_taken);
        irq_unmask();
        WAIT_UNTIL(sgi_taken, 2000); /* the GIC may signal it a little later */
        smp_printf("  IRQs unmasked: taken %u, from cpu %u\n", sgi_taken, sgi_from);
        break;
    case TIMER_UNMASKED:
        timer_arm();
        announce();
        while (!timer_taken)
            wfi();
        smp_printf("cpu %u: WFI, IRQs unmasked: virtual timer interrupt taken, not early: %s\n", me,
                   timer_on_time ? "yes" : "NO");
        break;
    case TIMER_MASKED:
        irq_mask();
        timer_arm();
        announce();
        while (!gic_pending(TIMER_VIRT_INTID))
            wfi();
        smp_printf("cpu %u: WFI, IRQs masked: woke with INTID %u pending, ISTATUS %u, taken %u\n",
                   me, TIMER_VIRT_INTID, (timer_ctl(TIMER_VIRT) & TIMER_ISTATUS) >> 2, timer_taken);
        irq_unmask();
        WAIT_UNTIL(timer_taken, 2000);
        smp_printf("  IRQs unmasked: taken %u, not early: %s\n", timer_taken,
                   timer_on_time ? "yes" : "NO");
        break;
    }
    timer_set_ctl(TIMER_VIRT, 0);
    dsb();
    woken = 1;
}

static void helper(int c, unsigned to)
{
    uint64_t deadline;
    int sent = 0;

    while (!ready)
        wfe();
    deadline = timer_deadline_ms(5000);
    while (!woken) {
        if (timer_passed(deadline)) {
            smp_printf("FAIL: cpu %u did not wake from WFI in 5 s\n", to);
            psci_system_off();
        }
        if (c == SGI_UNMASKED || (c == SGI_MASKED && !sent)) {
            timer_delay_ms(10);
            if (!woken) {
                gic_send_sgi(SGI_WAKE, GIC_SGI_LIST, 1u << to);
                sent = 1;
            }
        }
    }
    dsb(); /* the last GICD_SGIR write done before the barrier */
}

static void run(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = smp_ncpus;

    gic_init_cpu();
    gic_set_priority(SGI_WAKE, 0x80);
    gic_set_priority(TIMER_VIRT_INTID, 0x80);
    gic_enable(SGI_WAKE);
    gic_enable(TIMER_VIRT_INTID);
    irq_unmask();
    for (unsigned w = 0; w < 2; w++) {
        for (int c = 0; c < NCASES; c++) {
            smp_barrier_wait(&barrier, n);
            if (me == 0) {
                ready = woken = 0;
                dsb();
            }
            smp_barrier_wait(&barrier, n);
            if (me == w)
                waiter(c);
            else
                helper(c, w);
            smp_barrier_wait(&barrier, n);
            /* The helper may have sent one SGI more than needed: take it now. */
            if (me == w && !WAIT_UNTIL(!gic_pending(SGI_WAKE) && !gic_active(SGI_WAKE), 2000))
                smp_printf("FAIL: SGI %u stays pending on cpu %u\n", SGI_WAKE, me);
        }
    }
    smp_barrier_wait(&barrier, n);
}

int main(void)
{
    smp_init();
    gic_init_dist();
    irq_init();
    irq_set_handler(SGI_WAKE, on_sgi);
    irq_set_handler(TIMER_VIRT_INTID, on_timer);
    if (smp_start_all(run, 0) != 2) {
        printf("FAIL: wfi needs -smp 2\n");
        return 0;
    }
    printf("wfi: 2 cpus\n");
    run(0);
    printf("system off\n");
    return 0;
}

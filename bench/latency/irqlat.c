/*
 * irqlat: interrupt latencies as the guest sees them, measured with the virtual count
 * (CNTVCT, 62.5 MHz: 16 ns a tick). Run with -smp 2. Both measure a wake-up from WFI,
 * the case an idle OS lives in (bench-smp: 2):
 *
 *  - IPI round trip: CPU 0 sends SGI 1 to CPU 1 (asleep in WFI); CPU 1's handler sends
 *    SGI 2 back; CPU 0 (asleep in WFI) reads CNTVCT in its handler. One sample is the
 *    time from before the first GICD_SGIR write to that read.
 *  - Timer: CPU 0 sets the virtual timer TIMER_DELAY ticks ahead and sleeps in WFI; its
 *    handler reads CNTVCT. One sample is that count minus the compare value: how late
 *    the interrupt arrived.
 *
 * Prints, for each, "NAME samples=N median=X p90=Y min=Z" in nanoseconds; bench/board.sh
 * reads those lines. The numbers change from run to run: there is no transcript.
 */
#include "guest.h"

#define SGI_PING    1
#define SGI_PONG    2
#define SAMPLES     2000
#define WARMUP      50
#define TIMER_DELAY 6250u /* ticks: 100 us */
#define NS_PER_TICK 16u

static volatile uint32_t pongs, ticks_seen;
static volatile uint64_t pong_at, timer_at;
static uint32_t samples[SAMPLES];

static void on_ping(uint32_t iar)
{
    gic_send_sgi(SGI_PONG, GIC_SGI_LIST, 1u << GIC_IAR_CPU(iar));
}

static void on_pong(uint32_t iar)
{
    pong_at = timer_cntvct();
    pongs++;
}

static void on_timer(uint32_t iar)
{
    timer_at = timer_cntvct();
    timer_set_ctl(TIMER_VIRT, TIMER_IMASK); /* the line drops before the EOI */
    ticks_seen++;
}

/* CPU 1: takes pings until the machine is off. */
static void responder(uint32_t context)
{
    gic_init_cpu();
    gic_enable(SGI_PING);
    irq_unmask();
    for (;;)
        wfi();
}

/* Sleeps until *counter moves past seen (WFI wakes even while IRQs are masked). */
static void wait_for(volatile uint32_t *counter, uint32_t seen)
{
    irq_mask();
    while (*counter == seen) {
        wfi();
        irq_unmask();
        irq_mask();
    }
    irq_unmask();
}

static void report(const char *name, unsigned n)
{
    sort_u32(samples, n);
    printf("%s samples=%u median=%u p90=%u min=%u\n", name, n, samples[n / 2] * NS_PER_TICK,
           samples[n * 9 / 10] * NS_PER_TICK, samples[0] * NS_PER_TICK);
}

static void bench_ipi(void)
{
    for (unsigned i = 0; i < WARMUP + SAMPLES; i++) {
        uint32_t seen = pongs;
        uint64_t t0 = timer_cntvct();
        gic_send_sgi(SGI_PING, GIC_SGI_LIST, 1u << 1);
        wait_for(&pongs, seen);
        if (i >= WARMUP)
            samples[i - WARMUP] = (uint32_t)(pong_at - t0);
    }
    report("ipi-roundtrip-ns", SAMPLES);
}

static void bench_timer(void)
{
    gic_enable(TIMER_VIRT_INTID);
    for (unsigned i = 0; i < WARMUP + SAMPLES; i++) {
        uint32_t seen = ticks_seen;
        uint64_t due = timer_cntvct() + TIMER_DELAY;
        timer_set_cval(TIMER_VIRT, due);
        timer_set_ctl(TIMER_VIRT, TIMER_ENABLE);
        wait_for(&ticks_seen, seen);
        if (i >= WARMUP)
            samples[i - WARMUP] = (uint32_t)(timer_at - due);
    }
    timer_set_ctl(TIMER_VIRT, 0);
    report("timer-latency-ns", SAMPLES);
}

int main(void)
{
    smp_init();
    gic_init_dist();
    irq_init();
    irq_set_handler(SGI_PING, on_ping);
    irq_set_handler(SGI_PONG, on_pong);
    irq_set_handler(TIMER_VIRT_INTID, on_timer);
    gic_init_cpu();
    gic_enable(SGI_PONG);
    irq_unmask();
    if (smp_start(1, responder, 0) != 0) {
        printf("irqlat: CPU 1 did not start (run with -smp 2)\n");
        return 1;
    }
    while (!smp_entry_state[1].count)
        ;
    timer_delay_ms(5); /* CPU 1 reaches its WFI */
    bench_ipi();
    bench_timer();
    return 0;
}

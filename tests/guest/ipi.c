/*
 * ipi: software-generated interrupts between CPUs (GICv2, ARM IHI 0048B: 3.2.2 "Software
 * generated interrupts", 4.3.15 GICD_SGIR, 4.4.4 GICC_IAR). Run with -smp 4.
 *
 *  1. Ping-pong: every CPU sends SGI 1 (filter 0, a target list of one CPU) to every
 *     other CPU, ROUNDS times each, waiting for the SGI 2 the receiver's handler sends
 *     back to the source CPU named in its GICC_IAR (bits [12:10]) before the next. All
 *     CPUs do it at once, so each also answers the others' pings meanwhile.
 *  2. Broadcast: each CPU in turn sends SGI 3 with filter 1 (every CPU but itself); every
 *     other CPU must take it exactly once, with the sender in IAR.CPUID.
 *  3. Self: each CPU in turn sends SGI 4 with filter 2 (only itself).
 * Each handler counts by (receiver, IAR.CPUID); CPU 0 prints the tables at the end.
 *
 * The counts are exact whatever the timing: an SGI is pending per (source, target) pair,
 * and no source sends an SGI to a target while the previous one from it may still be
 * pending (each ping waits for its pong; each pong answers one ping; a broadcast or
 * self SGI is sent once per round, between barriers), so none merge.
 * A CPU waits for an SGI with IRQs masked between its test of the count and WFI, so an
 * SGI taken just before the WFI cannot leave it asleep: WFI wakes on a pending IRQ even
 * while CPSR.I masks it, and the IRQ is taken when unmasked.
 */
#include "guest.h"

#define SGI_PING 1
#define SGI_PONG 2
#define SGI_ALL  3
#define SGI_SELF 4
#define ROUNDS   200

/* [receiver][source from GICC_IAR] */
static volatile uint32_t pings[SMP_MAX_CPUS][SMP_MAX_CPUS];
static volatile uint32_t pongs[SMP_MAX_CPUS][SMP_MAX_CPUS];
static volatile uint32_t alls[SMP_MAX_CPUS][SMP_MAX_CPUS];
static volatile uint32_t selfs[SMP_MAX_CPUS][SMP_MAX_CPUS];
static struct smp_barrier barrier;

/* Waits with WFI until cond holds (see the header comment). */
#define WAIT_IRQ(cond)                                                                             \
    do {                                                                                           \
        irq_mask();                                                                                \
        while (!(cond)) {                                                                          \
            wfi();                                                                                 \
            irq_unmask();                                                                          \
            irq_mask();                                                                            \
        }                                                                                          \
        irq_unmask();                                                                              \
    } while (0)

static void on_ping(uint32_t iar)
{
    pings[smp_cpu_id()][GIC_IAR_CPU(iar)]++;
    gic_send_sgi(SGI_PONG, GIC_SGI_LIST, 1u << GIC_IAR_CPU(iar));
}

static void on_pong(uint32_t iar)
{
    pongs[smp_cpu_id()][GIC_IAR_CPU(iar)]++;
}

static void on_all(uint32_t iar)
{
    alls[smp_cpu_id()][GIC_IAR_CPU(iar)]++;
}

static void on_self(uint32_t iar)
{
    selfs[smp_cpu_id()][GIC_IAR_CPU(iar)]++;
}

/* Every CPU, CPU 0 included. */
static void run(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = smp_ncpus;

    gic_init_cpu();
    for (uint32_t id = SGI_PING; id <= SGI_SELF; id++)
        gic_enable(id);
    irq_unmask();
    smp_barrier_wait(&barrier, n);

    /* Targets in a different order on each CPU: me + 1, me + 2, ... */
    for (unsigned k = 1; k < n; k++) {
        unsigned to = me + k < n ? me + k : me + k - n;

        for (uint32_t r = 1; r <= ROUNDS; r++) {
            gic_send_sgi(SGI_PING, GIC_SGI_LIST, 1u << to);
            WAIT_IRQ(pongs[me][to] == r);
        }
    }
    smp_barrier_wait(&barrier, n);

    for (unsigned from = 0; from < n; from++) {
        if (from == me)
            gic_send_sgi(SGI_ALL, GIC_SGI_OTHERS, 0);
        else
            WAIT_IRQ(alls[me][from] != 0);
        smp_barrier_wait(&barrier, n);
    }
    for (unsigned from = 0; from < n; from++) {
        if (from == me) {
            gic_send_sgi(SGI_SELF, GIC_SGI_SELF, 0);
            WAIT_IRQ(selfs[me][me] != 0);
        }
        smp_barrier_wait(&barrier, n);
    }
    /* Let any stray SGI arrive before the counts are printed. */
    timer_delay_ms(10);
    smp_barrier_wait(&barrier, n);
}

static void table(const char *what, volatile uint32_t (*t)[SMP_MAX_CPUS], unsigned n)
{
    printf("%s (row: receiving cpu; column: GICC_IAR.CPUID 0..%u):\n", what, n - 1);
    for (unsigned to = 0; to < n; to++) {
        printf("  cpu %u:", to);
        for (unsigned from = 0; from < n; from++)
            printf(" %3u", t[to][from]);
        printf("\n");
    }
}

int main(void)
{
    unsigned n;

    smp_init();
    gic_init_dist();
    irq_init();
    irq_set_handler(SGI_PING, on_ping);
    irq_set_handler(SGI_PONG, on_pong);
    irq_set_handler(SGI_ALL, on_all);
    irq_set_handler(SGI_SELF, on_self);
    n = smp_start_all(run, 0);
    printf("ipi: %u cpus, %u pings from every cpu to every other\n", n, ROUNDS);
    run(0);
    table("SGI 1 (ping, filter 0) taken", pings, n);
    table("SGI 2 (pong, filter 0, to the ping's IAR.CPUID) taken", pongs, n);
    table("SGI 3 (filter 1: all but self) taken", alls, n);
    table("SGI 4 (filter 2: self) taken", selfs, n);
    printf("system off\n");
    return 0;
}

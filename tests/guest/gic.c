/*
 * gic: the GICv2 distributor and CPU interface (ARM IHI 0048B). Run with -smp 2 (CPU 1
 * takes part in the last section).
 *
 * Most of it acknowledges by polling GICC_IAR with IRQs masked at the CPU (CPSR.I),
 * which the GIC does not see: it still signals, and IAR still acknowledges, the highest
 * priority pending interrupt that is enabled, targeted at this CPU, of higher priority
 * than GICC_PMR and whose group priority is higher than the running priority; else IAR
 * reads 1023 (spurious). A pending state set by a write (GICD_SGIR, ISPENDR) reaches
 * the CPU interface some time after the write: every positive read is polled for (up
 * to 2 s), and a negative one (1023) is read once the distributor shows the interrupt
 * pending, so both are the same whatever the timing.
 *
 * Printed, as the architecture fixes them:
 *  - GICD_TYPER (ITLinesNumber: 288 IDs on virt, CPUNumber = CPUs - 1, SecurityExtn 0 as
 *    qemu's virt board without secure=on gives it), GICD_IIDR and GICC_IIDR (ARM's
 *    JEP106 code 0x43b; GICC_IIDR.ArchitectureVersion 2); ICFGR0 (SGIs: always edge,
 *    0xaaaaaaaa); ITARGETSR0 (each CPU reads its own CPU interface's bit in every byte).
 *  - Priorities: only values whose low 4 bits are 0, because an implementation may keep
 *    as few as 4 priority bits (16 levels, GICv2 without the Security Extensions); a
 *    byte write to IPRIORITYR (byte-accessible) read back through the word. GICC_BPR is
 *    set to 3 (group priority = bits [7:4]: the whole priority) except in the BPR test;
 *    its reset value and minimum are IMPLEMENTATION DEFINED and not printed.
 *  - RPR (0xff when idle, else the running priority), HPPIR, IAR (with an SGI's source
 *    CPU in bits [12:10]), IAR 1023 when nothing can be acknowledged.
 *  - PMR masking (an interrupt must be of strictly higher priority), running priority
 *    masking, BPR 3 vs 4 (4: bits [7:5] only, so 0x40 does not preempt 0x50).
 *  - Preemption with real exceptions: SGI 5 (priority 0xa0) runs its handler with IRQs
 *    unmasked (irq_call_nested: System mode); SGI 6 (0x80) sent from there is taken
 *    inside it, SGI 7 (0xa0, the same priority) stays pending until SGI 5's EOI.
 *  - Level and edge: the virtual timer's PPI 27 (level: its input follows the timer's
 *    condition) stays pending while active if the input is still high, and is taken
 *    again after EOI; an SPI made edge-triggered (ICFGR) and set pending by ISPENDR is
 *    no longer pending once acknowledged, becomes active and pending if set again, and
 *    is taken again after EOI; a level-sensitive SPI set pending by ISPENDR (input low)
 *    is not pending once acknowledged (IAR clears the software pending latch).
 *    ICENABLER: a disabled interrupt stays pending and is not acknowledged; ICPENDR.
 *  - Between CPUs: an SPI targeted (ITARGETSR) at CPU 1 only is not acknowledged by
 *    CPU 0; an SGI pending from two sources at once shows in GICD_SPENDSGIR and is
 *    acknowledged twice, once per source.
 * Not printed, being IMPLEMENTATION DEFINED: whether SGIs can be disabled, the number
 * of priority bits, the order of two pending interrupts of equal priority (the two
 * acknowledges of SGI 8 are printed sorted).
 *
 * Left out because qemu-system-arm 7.2 departs from GICv2: GICC_HPPIR of an SGI lacks
 * the source CPU in bits [12:10] (it reads 0x008 for SGI 8 from CPU 1, while IAR reads
 * 0x408), so HPPIR is printed only for an SGI from CPU 0, where both agree.
 */
#include "guest.h"

#define SPI_EDGE  44 /* SPIs 12-14: nothing drives them on the virt board */
#define SPI_LEVEL 45
#define SPI_CPU1  46

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

/* IAR, polled until it is not 1023 (2 s at most). */
static uint32_t ack_wait(void)
{
    uint32_t iar = GIC_SPURIOUS;

    WAIT_UNTIL((iar = gic_ack()) != GIC_SPURIOUS, 2000);
    return iar;
}

static void state(const char *what, uint32_t id)
{
    printf("  %s: INTID %u pending %u, active %u\n", what, id, gic_pending(id), gic_active(id));
}

static int pending_wait(uint32_t id, int want)
{
    return WAIT_UNTIL(gic_pending(id) == want, 2000);
}

static void sgi_self(uint32_t id)
{
    gic_send_sgi(id, GIC_SGI_SELF, 0);
    if (!pending_wait(id, 1))
        printf("FAIL: SGI %u not pending\n", id);
}

static void print_ids(void)
{
    uint32_t typer = *gicd(GICD_TYPER), iidr = *gicd(GICD_IIDR), ciidr = *gicc(GICC_IIDR);

    printf("GICD_TYPER 0x%08x: ITLinesNumber %u (%u IDs), CPUNumber %u, SecurityExtn %u\n", typer,
           typer & 0x1fu, ((typer & 0x1fu) + 1) * 32, (typer >> 5) & 7u, (typer >> 10) & 1u);
    printf("GICD_IIDR 0x%08x: ProductID 0x%02x, Variant %u, Revision %u, Implementer 0x%03x\n",
           iidr, iidr >> 24, (iidr >> 16) & 0xfu, (iidr >> 12) & 0xfu, iidr & 0xfffu);
    printf("GICC_IIDR 0x%08x: ProductID 0x%03x, ArchitectureVersion %u, Revision %u, "
           "Implementer 0x%03x\n",
           ciidr, ciidr >> 20, (ciidr >> 16) & 0xfu, (ciidr >> 12) & 0xfu, ciidr & 0xfffu);
    printf("GICD_CTLR 0x%x, GICC_CTLR 0x%x\n", *gicd(GICD_CTLR), *gicc(GICC_CTLR));
    printf("GICD_ICFGR0 (SGIs) 0x%08x\n", *gicd(GICD_ICFGR));
    printf("GICD_ITARGETSR0 on cpu 0: 0x%08x\n", *gicd(GICD_ITARGETSR));
}

static void idle(void)
{
    printf("idle: RPR 0x%02x, HPPIR 0x%03x, IAR 0x%03x\n", *gicc(GICC_RPR), *gicc(GICC_HPPIR),
           gic_ack());
}

static void priorities(void)
{
    *gicc(GICC_PMR) = 0xff;
    printf("PMR := 0xff: bits [7:4] read back set: %s\n",
           yesno((*gicc(GICC_PMR) & 0xf0u) == 0xf0u));
    *gicc(GICC_PMR) = 0xf0;
    printf("PMR := 0xf0: 0x%02x\n", *gicc(GICC_PMR));
    for (uint32_t id = 0; id < 4; id++)
        gic_set_priority(id, 0xa0);
    *(volatile uint8_t *)(GICD_BASE + GICD_IPRIORITYR + 1) = 0x40;
    printf("byte write 0x40 to INTID 1's priority: IPRIORITYR0 0x%08x\n", *gicd(GICD_IPRIORITYR));
    for (uint32_t id = 1; id <= 8; id++)
        gic_set_priority(id, 0x80);
}

/* An SGI to self, acknowledged by polling. */
static void sgi_poll(void)
{
    uint32_t iar;

    printf("SGI 1 (priority 0x80) to self, polled:\n");
    gic_send_sgi(1, GIC_SGI_SELF, 0);
    WAIT_UNTIL(*gicc(GICC_HPPIR) != GIC_SPURIOUS, 2000);
    printf("  HPPIR 0x%03x\n", *gicc(GICC_HPPIR));
    iar = ack_wait();
    printf("  IAR 0x%03x, RPR 0x%02x, HPPIR 0x%03x\n", iar, *gicc(GICC_RPR), *gicc(GICC_HPPIR));
    state("acknowledged", 1);
    gic_eoi(iar);
    state("after EOI", 1);
    printf("  RPR 0x%02x\n", *gicc(GICC_RPR));
}

static void pmr_masking(void)
{
    uint32_t iar;

    printf("PMR masking:\n");
    *gicc(GICC_PMR) = 0x80;
    sgi_self(1);
    printf("  PMR 0x80, SGI 1 at 0x80 pending: IAR 0x%03x\n", gic_ack());
    *gicc(GICC_PMR) = 0x90;
    iar = ack_wait();
    printf("  PMR 0x90: IAR 0x%03x\n", iar);
    gic_eoi(iar);
    *gicc(GICC_PMR) = 0xf0;
}

static void running_priority(void)
{
    uint32_t outer, iar;

    printf("running priority (SGI 1 at 0x80 active):\n");
    gic_set_priority(3, 0x90);
    gic_set_priority(4, 0x70);
    sgi_self(1);
    outer = ack_wait();
    printf("  IAR 0x%03x, RPR 0x%02x\n", outer, *gicc(GICC_RPR));
    sgi_self(2);
    sgi_self(3);
    printf("  SGI 2 (0x80) and SGI 3 (0x90) pending: IAR 0x%03x\n", gic_ack());
    sgi_self(4);
    iar = ack_wait();
    printf("  SGI 4 (0x70) pending: IAR 0x%03x, RPR 0x%02x\n", iar, *gicc(GICC_RPR));
    gic_eoi(iar);
    printf("  EOI 4: RPR 0x%02x, IAR 0x%03x\n", *gicc(GICC_RPR), gic_ack());
    gic_eoi(outer);
    printf("  EOI 1: RPR 0x%02x", *gicc(GICC_RPR));
    iar = ack_wait();
    printf("; IAR 0x%03x (the higher of 2 and 3)\n", iar);
    gic_eoi(iar);
    iar = ack_wait();
    printf("  EOI: IAR 0x%03x\n", iar);
    gic_eoi(iar);
    printf("  EOI: RPR 0x%02x, IAR 0x%03x\n", *gicc(GICC_RPR), gic_ack());
}

/* SGI 1 at 0x50 active, SGI 2 at 0x40 pending, with BPR bpr. */
static void bpr_case(uint32_t bpr)
{
    uint32_t outer, iar;

    *gicc(GICC_BPR) = bpr;
    sgi_self(1);
    outer = ack_wait();
    sgi_self(2);
    if (bpr == 3)
        iar = ack_wait();
    else
        iar = gic_ack();
    printf("  BPR %u (reads %u): SGI 1 (0x50) active, SGI 2 (0x40) pending: IAR 0x%03x\n", bpr,
           *gicc(GICC_BPR), iar);
    if (iar != GIC_SPURIOUS)
        gic_eoi(iar);
    gic_eoi(outer);
    if (iar == GIC_SPURIOUS) {
        iar = ack_wait();
        printf("  after EOI of SGI 1: IAR 0x%03x\n", iar);
        gic_eoi(iar);
    }
}

static void binary_point(void)
{
    printf("binary point:\n");
    gic_set_priority(1, 0x50);
    gic_set_priority(2, 0x40);
    bpr_case(3);
    bpr_case(4);
    *gicc(GICC_BPR) = 3;
    gic_set_priority(1, 0x80);
    gic_set_priority(2, 0x80);
}

/* ---- preemption, with handlers ---- */

static char order[16];
static volatile unsigned norder;
static volatile uint32_t rpr_in[8], active_in[8];
static volatile uint32_t same_taken_inside;

static void log_event(char c)
{
    if (norder < sizeof(order) - 1)
        order[norder++] = c;
}

static void nested_body(uint32_t arg)
{
    gic_send_sgi(6, GIC_SGI_SELF, 0);
    if (!WAIT_UNTIL(rpr_in[6] != 0, 2000))
        printf("FAIL: SGI 6 not taken inside SGI 5's handler\n");
    gic_send_sgi(7, GIC_SGI_SELF, 0);
    pending_wait(7, 1);
    timer_delay_ms(20);
    same_taken_inside = rpr_in[7] != 0;
}

static void on_sgi(uint32_t iar)
{
    uint32_t id = GIC_IAR_ID(iar);

    log_event('0' + id);
    rpr_in[id] = *gicc(GICC_RPR);
    active_in[id] = *gicd(GICD_ISACTIVER) & 0xe0u;
    if (id == 5)
        irq_call_nested(nested_body, 0);
    log_event('/');
}

static void preemption(void)
{
    printf("preemption (handlers; SGI 5 at 0xa0 unmasks IRQs in its handler):\n");
    gic_set_priority(5, 0xa0);
    gic_set_priority(6, 0x80);
    gic_set_priority(7, 0xa0);
    for (uint32_t id = 5; id <= 7; id++)
        irq_set_handler(id, on_sgi);
    irq_unmask();
    gic_send_sgi(5, GIC_SGI_SELF, 0);
    if (!WAIT_UNTIL(rpr_in[7] != 0, 2000))
        printf("FAIL: SGI 7 not taken\n");
    irq_mask();
    order[norder] = 0;
    printf("  handler entries (n) and exits (/): %s\n", order);
    for (uint32_t id = 5; id <= 7; id++)
        printf("  in SGI %u's handler: RPR 0x%02x, ISACTIVER0[7:5] 0x%x\n", id, rpr_in[id],
               active_in[id] >> 5);
    printf("  SGI 7 (same priority) taken inside SGI 5's handler: %s\n", yesno(same_taken_inside));
}

/* ---- level and edge ---- */

static void level_ppi(void)
{
    uint32_t iar;

    printf("level: PPI 27 (virtual timer), ICFGR1 field 0x%x\n",
           (*gicd(GICD_ICFGR + 4) >> (2 * (27 - 16))) & 3u);
    gic_set_priority(27, 0x80);
    gic_enable(27);
    timer_set_cval(TIMER_VIRT, 0);
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE); /* the timer's output goes high */
    pending_wait(27, 1);
    state("timer condition met", 27);
    iar = ack_wait();
    printf("  IAR 0x%03x\n", iar);
    state("acknowledged, input still high", 27);
    gic_eoi(iar);
    state("after EOI", 27);
    iar = ack_wait();
    printf("  IAR 0x%03x again\n", iar);
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE | TIMER_IMASK); /* the output goes low */
    pending_wait(27, 0);
    state("input low (IMASK)", 27);
    gic_eoi(iar);
    state("after EOI", 27);
    printf("  IAR 0x%03x\n", gic_ack());
    timer_set_ctl(TIMER_VIRT, 0);
    gic_disable(27);
}

static void spi_setup(uint32_t id, int edge)
{
    gic_disable(id);
    gic_set_edge(id, edge);
    gic_set_priority(id, 0x80);
    gic_set_target(id, 1);
    gic_enable(id);
}

static void edge_spi(void)
{
    uint32_t iar;

    spi_setup(SPI_EDGE, 1);
    printf("edge: SPI INTID %u, ICFGR field 0x%x, set pending by ISPENDR\n", SPI_EDGE,
           (*gicd(GICD_ICFGR + 4 * (SPI_EDGE / 16)) >> (2 * (SPI_EDGE % 16))) & 3u);
    gic_set_pending(SPI_EDGE);
    iar = ack_wait();
    printf("  IAR 0x%03x\n", iar);
    state("acknowledged", SPI_EDGE);
    gic_set_pending(SPI_EDGE);
    state("ISPENDR again", SPI_EDGE);
    gic_eoi(iar);
    state("after EOI", SPI_EDGE);
    iar = ack_wait();
    printf("  IAR 0x%03x again\n", iar);
    gic_eoi(iar);
    state("after EOI", SPI_EDGE);
    printf("  IAR 0x%03x\n", gic_ack());
}

static void level_spi(void)
{
    uint32_t iar;

    spi_setup(SPI_LEVEL, 0);
    printf("level: SPI INTID %u (input low), ICFGR field 0x%x, set pending by ISPENDR\n", SPI_LEVEL,
           (*gicd(GICD_ICFGR + 4 * (SPI_LEVEL / 16)) >> (2 * (SPI_LEVEL % 16))) & 3u);
    gic_set_pending(SPI_LEVEL);
    state("ISPENDR", SPI_LEVEL);
    iar = ack_wait();
    printf("  IAR 0x%03x\n", iar);
    state("acknowledged", SPI_LEVEL);
    gic_eoi(iar);
    state("after EOI", SPI_LEVEL);
    printf("  IAR 0x%03x\n", gic_ack());
}

static void enable_bits(void)
{
    uint32_t iar;

    printf("ICENABLER / ISENABLER / ICPENDR: SPI INTID %u\n", SPI_EDGE);
    gic_disable(SPI_EDGE);
    gic_set_pending(SPI_EDGE);
    printf("  disabled, pending: enabled %u, pending %u, IAR 0x%03x\n", gic_enabled(SPI_EDGE),
           gic_pending(SPI_EDGE), gic_ack());
    gic_enable(SPI_EDGE);
    iar = ack_wait();
    printf("  enabled: IAR 0x%03x\n", iar);
    gic_eoi(iar);
    gic_disable(SPI_EDGE);
    gic_set_pending(SPI_EDGE);
    gic_clear_pending(SPI_EDGE);
    printf("  ISPENDR then ICPENDR: pending %u\n", gic_pending(SPI_EDGE));
}

/* ---- CPU 1 ---- */

static void (*volatile cpu1_fn)(void);
static volatile uint32_t cpu1_seq, cpu1_done;
static volatile uint32_t cpu1_val[4];

static void cpu1_main(uint32_t context)
{
    uint32_t seen = 0;

    gic_init_cpu();
    *gicc(GICC_PMR) = 0xf0;
    for (uint32_t id = 0; id < 16; id++)
        gic_set_priority(id, 0x80);
    for (;;) {
        while (cpu1_seq == seen)
            ;
        dmb();
        seen = cpu1_seq;
        if (!cpu1_fn)
            return;
        cpu1_fn();
        dmb();
        cpu1_done = seen;
    }
}

static void on_cpu1(void (*fn)(void))
{
    cpu1_fn = fn;
    dmb();
    cpu1_seq++;
    if (!WAIT_UNTIL(cpu1_done == cpu1_seq, 5000))
        printf("FAIL: cpu 1 did not answer\n");
}

static void cpu1_targets(void)
{
    cpu1_val[0] = *gicd(GICD_ITARGETSR);
}

static void cpu1_ack(void)
{
    uint32_t iar = ack_wait();

    cpu1_val[0] = iar;
    if (iar != GIC_SPURIOUS)
        gic_eoi(iar);
}

static void cpu1_sgi8_to_cpu0(void)
{
    gic_send_sgi(8, GIC_SGI_LIST, 1);
}

static void two_cpus(void)
{
    uint32_t a, b;

    printf("cpu 1:\n");
    on_cpu1(cpu1_targets);
    printf("  GICD_ITARGETSR0 on cpu 1: 0x%08x\n", cpu1_val[0]);

    spi_setup(SPI_CPU1, 0);
    gic_set_target(SPI_CPU1, 2);
    gic_set_pending(SPI_CPU1);
    pending_wait(SPI_CPU1, 1);
    printf(
        "  SPI INTID %u targeted at cpu 1 (ITARGETSR byte 0x%02x), pending: IAR on cpu 0 0x%03x\n",
        SPI_CPU1, (*gicd(GICD_ITARGETSR + (SPI_CPU1 & ~3u)) >> (8 * (SPI_CPU1 & 3u))) & 0xffu,
        gic_ack());
    on_cpu1(cpu1_ack);
    printf("  IAR on cpu 1 0x%03x\n", cpu1_val[0]);

    on_cpu1(cpu1_sgi8_to_cpu0);
    gic_send_sgi(8, GIC_SGI_SELF, 0);
    WAIT_UNTIL((*gicd(GICD_SPENDSGIR + 8) & 0xffu) == 3u, 2000);
    printf("  SGI 8 from cpu 1 and from cpu 0: GICD_SPENDSGIR2 byte 0 0x%02x\n",
           *gicd(GICD_SPENDSGIR + 8) & 0xffu);
    a = ack_wait();
    gic_eoi(a);
    b = ack_wait();
    gic_eoi(b);
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    printf("  acknowledged twice: IAR 0x%03x and 0x%03x\n", a, b);
    printf("  then IAR 0x%03x, SPENDSGIR2 0x%08x\n", gic_ack(), *gicd(GICD_SPENDSGIR + 8));

    on_cpu1(cpu1_sgi8_to_cpu0);
    a = ack_wait();
    printf("  SGI 8 from cpu 1: IAR 0x%03x (CPUID %u)\n", a, GIC_IAR_CPU(a));
    gic_eoi(a);

    cpu1_fn = 0;
    dmb();
    cpu1_seq++;
}

int main(void)
{
    smp_init();
    gic_init_dist();
    gic_init_cpu();
    irq_init();
    smp_start_all(cpu1_main, 0);
    printf("gic: %u cpus\n", smp_ncpus);
    print_ids();
    priorities();
    idle();
    sgi_poll();
    pmr_masking();
    running_priority();
    binary_point();
    preemption();
    level_ppi();
    edge_spi();
    level_spi();
    enable_bits();
    if (smp_ncpus > 1)
        two_cpus();
    idle();
    printf("system off\n");
    return 0;
}

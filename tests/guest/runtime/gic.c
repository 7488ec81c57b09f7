/* GICv2 helpers and the IRQ dispatcher (gic.h). */
#include "arm.h"
#include "exc.h"
#include "gic.h"
#include "psci.h"
#include "smp.h"
#include "uart.h"

#define DEFAULT_PRIORITY 0xa0u

volatile uint32_t irq_spurious[8];
static irq_handler volatile handlers[GIC_MAX_INTID];

/* Interrupts first..last-1: disabled, not pending, inactive, the default priority. */
static void reset_range(uint32_t first, uint32_t last)
{
    for (uint32_t id = first; id < last; id += 32) {
        *gicd(GICD_ICENABLER + id / 8) = ~0u;
        *gicd(GICD_ICPENDR + id / 8) = ~0u;
        *gicd(GICD_ICACTIVER + id / 8) = ~0u;
    }
    for (uint32_t id = first; id < last; id += 4)
        *gicd(GICD_IPRIORITYR + id) = DEFAULT_PRIORITY * 0x01010101u;
}

static uint32_t nr_irqs(void)
{
    uint32_t n = ((*gicd(GICD_TYPER) & 0x1fu) + 1) * 32;

    return n > GIC_MAX_INTID ? GIC_MAX_INTID : n;
}

void gic_init_dist(void)
{
    *gicd(GICD_CTLR) = 0;
    reset_range(32, nr_irqs());
    for (uint32_t id = 32; id < nr_irqs(); id += 4)
        *gicd(GICD_ITARGETSR + id) = 0x01010101u;
    *gicd(GICD_CTLR) = 1; /* EnableGrp0 */
}

void gic_init_cpu(void)
{
    reset_range(0, 32);
    *gicc(GICC_PMR) = 0xff;
    *gicc(GICC_BPR) = 3;
    *gicc(GICC_CTLR) = 1; /* EnableGrp0, FIQEn = 0: Group 0 as IRQ */
}

/* Replaces the byte of INTID id in a byte-per-interrupt register bank. */
static void set_byte(uint32_t reg, uint32_t id, uint32_t v)
{
    volatile uint32_t *r = gicd(reg + (id & ~3u));
    uint32_t shift = 8 * (id & 3u);

    *r = (*r & ~(0xffu << shift)) | (v & 0xffu) << shift;
}

void gic_set_priority(uint32_t id, uint32_t prio)
{
    set_byte(GICD_IPRIORITYR, id, prio);
}

uint32_t gic_priority(uint32_t id)
{
    return (*gicd(GICD_IPRIORITYR + (id & ~3u)) >> (8 * (id & 3u))) & 0xffu;
}

void gic_set_target(uint32_t id, uint32_t cpumask)
{
    set_byte(GICD_ITARGETSR, id, cpumask);
}

void gic_set_edge(uint32_t id, int edge)
{
    volatile uint32_t *r = gicd(GICD_ICFGR + 4 * (id / 16));
    uint32_t bit = 2u << (2 * (id % 16)); /* Int_config[1] */

    *r = edge ? *r | bit : *r & ~bit;
}

static void irq_dispatch(struct exc_frame *f, enum exc_kind kind)
{
    uint32_t iar = gic_ack();
    uint32_t id = GIC_IAR_ID(iar);
    irq_handler h;

    if (id == GIC_SPURIOUS) {
        irq_spurious[smp_cpu_id() & 7u]++;
        return;
    }
    h = id < GIC_MAX_INTID ? handlers[id] : 0;
    if (!h) {
        smp_printf("\nUNEXPECTED irq: IAR 0x%08x on cpu %u, pc=0x%08x\n", iar, smp_cpu_id(), f->pc);
        psci_system_off();
    }
    h(iar);
    gic_eoi(iar);
}

void irq_init(void)
{
    exc_set_hook(EXC_IRQ, irq_dispatch);
}

void irq_set_handler(uint32_t id, irq_handler h)
{
    if (id < GIC_MAX_INTID)
        handlers[id] = h;
}

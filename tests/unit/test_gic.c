/* hw/: the GICv2 model through its public interface, on a gic_state allocated here (and,
 * for the concurrency test, one shared object mapped at three addresses). The expected
 * values are qemu-system-arm 7.2's where docs/gic.md says the model follows it. */
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "hw/gic.h"

/* Distributor offsets (IHI 0048B 4.3). */
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICD_CPENDSGIR  0xf10
#define GICD_SPENDSGIR  0xf20
/* CPU interface offsets (4.4). */
#define GICC_CTLR  0x000
#define GICC_PMR   0x004
#define GICC_BPR   0x008
#define GICC_IAR   0x00c
#define GICC_EOIR  0x010
#define GICC_RPR   0x014
#define GICC_HPPIR 0x018
#define GICC_ABPR  0x01c
#define GICC_APR0  0x0d0
#define GICC_NSAPR 0x0e0
#define GICC_IIDR  0x0fc
#define GICC_DIR   0x1000

#define IRQ GIC_LINE_IRQ
#define FIQ GIC_LINE_FIQ

static struct gic_state *gic_new(unsigned ncpus)
{
    struct gic_state *g = aligned_alloc(64, sizeof *g);
    g_assert_nonnull(g);
    gic_reset(g, ncpus);
    return g;
}

/* Accesses as CPU cpu from its own vCPU process (who == cpu); they return the raised mask. */
static uint32_t drd(struct gic_state *g, unsigned cpu, uint32_t off)
{
    uint32_t v = 0xdead;
    g_assert_cmphex(gic_dist_read(g, cpu, cpu, off, 4, &v), ==, 0);
    return v;
}

static uint32_t dwr(struct gic_state *g, unsigned cpu, uint32_t off, uint32_t v)
{
    return gic_dist_write(g, cpu, cpu, off, 4, v);
}

static uint32_t drd_n(struct gic_state *g, unsigned cpu, uint32_t off, unsigned size)
{
    uint32_t v = 0xdead;
    gic_dist_read(g, cpu, cpu, off, size, &v);
    return v;
}

static uint32_t crd(struct gic_state *g, unsigned cpu, uint32_t off)
{
    uint32_t v = 0xdead;
    gic_cpu_read(g, cpu, cpu, off, 4, &v);
    return v;
}

static uint32_t cwr(struct gic_state *g, unsigned cpu, uint32_t off, uint32_t v)
{
    return gic_cpu_write(g, cpu, cpu, off, 4, v);
}

static uint32_t iar(struct gic_state *g, unsigned cpu)
{
    return crd(g, cpu, GICC_IAR);
}

static uint32_t eoi(struct gic_state *g, unsigned cpu, uint32_t v)
{
    return cwr(g, cpu, GICC_EOIR, v);
}

static uint32_t sgi(struct gic_state *g, unsigned from, unsigned id, unsigned filter, unsigned list)
{
    return dwr(g, from, GICD_SGIR, filter << 24 | list << 16 | id);
}

static void set_byte(struct gic_state *g, unsigned cpu, uint32_t off, uint8_t v)
{
    gic_dist_write(g, cpu, cpu, off, 1, v);
}

/* Distributor and every CPU interface on for Group 0, nothing masked. */
static void enable_all(struct gic_state *g, unsigned ncpus)
{
    dwr(g, 0, GICD_CTLR, 1);
    for (unsigned c = 0; c < ncpus; c++) {
        cwr(g, c, GICC_CTLR, 1);
        cwr(g, c, GICC_PMR, 0xff);
    }
}

static void enable_irq(struct gic_state *g, unsigned cpu, unsigned irq)
{
    dwr(g, cpu, GICD_ISENABLER + irq / 32 * 4, 1u << (irq % 32));
}

static bool bit(struct gic_state *g, unsigned cpu, uint32_t base, unsigned irq)
{
    return drd(g, cpu, base + irq / 32 * 4) >> (irq % 32) & 1;
}

static void test_reset_1cpu(void)
{
    struct gic_state *g = gic_new(1);
    g_assert_cmphex(drd(g, 0, GICD_CTLR), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_TYPER), ==, 0x8); /* 9 x 32 interrupts, one CPU */
    g_assert_cmphex(drd(g, 0, GICD_IIDR), ==, 0x43b);
    g_assert_cmphex(drd(g, 0, GICD_IGROUPR), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_ISENABLER), ==, 0xffff); /* SGIs always enabled */
    g_assert_cmphex(drd(g, 0, GICD_ISENABLER + 4), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_ICFGR), ==, 0xaaaaaaaa); /* SGIs edge */
    g_assert_cmphex(drd(g, 0, GICD_ICFGR + 4), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_ITARGETSR), ==, 0); /* uniprocessor: RAZ */
    g_assert_cmphex(drd(g, 0, GICD_IPRIORITYR + 32), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_CTLR), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_PMR), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_BPR), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_ABPR), ==, 1);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0xff);
    g_assert_cmphex(crd(g, 0, GICC_IIDR), ==, 0x2043b);
    g_assert_cmphex(crd(g, 0, GICC_HPPIR), ==, 1023);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    free(g);
}

static void test_reset_4cpu(void)
{
    struct gic_state *g = gic_new(4);
    g_assert_cmphex(drd(g, 0, GICD_TYPER), ==, 0x68);
    for (unsigned c = 0; c < 4; c++) /* 0..31: the reader's own bit */
        g_assert_cmphex(drd(g, c, GICD_ITARGETSR + 28), ==, 0x01010101u << c);
    g_assert_cmphex(drd(g, 0, GICD_ITARGETSR + 32), ==, 0);
    g_assert_cmphex(crd(g, 3, GICC_RPR), ==, 0xff);
    g_assert_cmphex(iar(g, 3), ==, 1023);
    /* PMR 0 masks everything even with both sides enabled. */
    dwr(g, 0, GICD_CTLR, 1);
    cwr(g, 1, GICC_CTLR, 1);
    g_assert_cmphex(sgi(g, 0, 1, 0, 2), ==, 0);
    g_assert_cmphex(iar(g, 1), ==, 1023);
    free(g);
}

static void test_ids(void)
{
    static const uint8_t id[12] = {0x04, 0x00, 0x00, 0x00, 0x90, 0xb4,
                                   0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    struct gic_state *g = gic_new(2);
    for (unsigned i = 0; i < 12; i++) {
        g_assert_cmphex(drd(g, 1, 0xfd0 + 4 * i), ==, id[i]);
        g_assert_cmphex(drd_n(g, 1, 0xfd0 + 4 * i + 1, 1), ==, 0);
    }
    g_assert_cmphex(drd_n(g, 0, 0xfe0, 2), ==, 0x90);
    free(g);
}

static void test_control_masks(void)
{
    struct gic_state *g = gic_new(2);
    dwr(g, 0, GICD_CTLR, 0xffffffff);
    g_assert_cmphex(drd(g, 1, GICD_CTLR), ==, 3);
    cwr(g, 1, GICC_CTLR, 0xffffffff);
    g_assert_cmphex(crd(g, 1, GICC_CTLR), ==, 0x21f);
    g_assert_cmphex(crd(g, 0, GICC_CTLR), ==, 0); /* each CPU its own interface */
    cwr(g, 1, GICC_PMR, 0x1ab);
    g_assert_cmphex(crd(g, 1, GICC_PMR), ==, 0xab);
    cwr(g, 1, GICC_BPR, 0xf);
    g_assert_cmphex(crd(g, 1, GICC_BPR), ==, 7);
    cwr(g, 1, GICC_BPR, 0);
    g_assert_cmphex(crd(g, 1, GICC_BPR), ==, 0);
    cwr(g, 1, GICC_ABPR, 0);
    g_assert_cmphex(crd(g, 1, GICC_ABPR), ==, 1); /* its minimum */
    cwr(g, 1, GICC_ABPR, 5);
    g_assert_cmphex(crd(g, 1, GICC_ABPR), ==, 5);
    free(g);
}

static void test_enable(void)
{
    struct gic_state *g = gic_new(2);
    dwr(g, 0, GICD_ISENABLER + 4, 0x80000101);
    dwr(g, 1, GICD_ISENABLER + 4, 0x00000010);
    g_assert_cmphex(drd(g, 1, GICD_ICENABLER + 4), ==, 0x80000111);
    dwr(g, 0, GICD_ICENABLER + 4, 0x80000001);
    g_assert_cmphex(drd(g, 0, GICD_ISENABLER + 4), ==, 0x110);
    /* Banked below 32; SGI bits RAO/WI. */
    dwr(g, 0, GICD_ISENABLER, 0xffffffff);
    g_assert_cmphex(drd(g, 0, GICD_ISENABLER), ==, 0xffffffff);
    g_assert_cmphex(drd(g, 1, GICD_ISENABLER), ==, 0x0000ffff);
    dwr(g, 0, GICD_ICENABLER, 0xffffffff);
    g_assert_cmphex(drd(g, 0, GICD_ICENABLER), ==, 0x0000ffff);
    free(g);
}

static void test_sgi_filter_list(void)
{
    struct gic_state *g = gic_new(4);
    enable_all(g, 4);
    g_assert_cmphex(sgi(g, 0, 3, 0, 0x06), ==, 0x6);
    for (unsigned c = 0; c < 4; c++)
        g_assert_cmpint(bit(g, c, GICD_ISPENDR, 3), ==, c == 1 || c == 2);
    g_assert_cmphex(gic_line(g, 1), ==, IRQ);
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    /* Target bits of CPUs that do not exist are ignored. */
    g_assert_cmphex(sgi(g, 0, 4, 0, 0xf0), ==, 0);
    free(g);
}

static void test_sgi_filter_others_self(void)
{
    struct gic_state *g = gic_new(4);
    enable_all(g, 4);
    g_assert_cmphex(sgi(g, 1, 9, 1, 0x02), ==, 0xd); /* the list is ignored */
    g_assert_cmphex(sgi(g, 2, 10, 2, 0x01), ==, 0);  /* CPU 2's line is up already */
    g_assert_cmphex(iar(g, 2), ==, 9 | 1u << 10);
    eoi(g, 2, 9 | 1u << 10);
    g_assert_cmphex(iar(g, 2), ==, 10 | 2u << 10);
    eoi(g, 2, 10 | 2u << 10);
    g_assert_cmphex(iar(g, 1), ==, 1023);
    g_assert_cmphex(iar(g, 3), ==, 9 | 1u << 10);
    free(g);
}

static void test_sgi_filter_reserved(void)
{
    struct gic_state *g = gic_new(4);
    enable_all(g, 4);
    g_assert_cmphex(sgi(g, 0, 2, 3, 0xff), ==, 0);
    for (unsigned c = 0; c < 4; c++) {
        g_assert_cmphex(drd(g, c, GICD_ISPENDR), ==, 0);
        g_assert_cmphex(gic_line(g, c), ==, 0);
    }
    /* Only a whole-word write sends an SGI. */
    g_assert_cmphex(gic_dist_write(g, 0, 0, GICD_SGIR, 2, 0x0002), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_ISPENDR), ==, 0);
    free(g);
}

static void test_sgi_two_sources(void)
{
    struct gic_state *g = gic_new(4);
    enable_all(g, 4);
    g_assert_cmphex(sgi(g, 3, 7, 0, 1), ==, 1);
    g_assert_cmphex(sgi(g, 1, 7, 0, 1), ==, 0); /* the line is up already */
    g_assert_cmphex(drd(g, 0, GICD_SPENDSGIR + 4), ==, 0x0a000000);
    g_assert_cmphex(iar(g, 0), ==, 7 | 1u << 10); /* lowest source first */
    /* Active and still pending from CPU 3: not signalled again until deactivated. */
    g_assert_true(bit(g, 0, GICD_ISPENDR, 7));
    g_assert_true(bit(g, 0, GICD_ISACTIVER, 7));
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_cmphex(eoi(g, 0, 7 | 1u << 10), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 7 | 3u << 10);
    g_assert_false(bit(g, 0, GICD_ISPENDR, 7));
    g_assert_cmphex(eoi(g, 0, 7 | 3u << 10), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    free(g);
}

static void test_sgi_pend_registers(void)
{
    struct gic_state *g = gic_new(4);
    enable_all(g, 4);
    g_assert_cmphex(dwr(g, 2, GICD_SPENDSGIR, 0x00000500), ==, 0x4); /* SGI 1 from 0, 2 */
    g_assert_cmphex(drd(g, 2, GICD_SPENDSGIR), ==, 0x00000500);
    g_assert_cmphex(drd(g, 1, GICD_SPENDSGIR), ==, 0); /* banked */
    dwr(g, 2, GICD_CPENDSGIR, 0x00000100);
    g_assert_cmphex(drd(g, 2, GICD_CPENDSGIR), ==, 0x00000400);
    g_assert_cmphex(iar(g, 2), ==, 1 | 2u << 10);
    eoi(g, 2, 1 | 2u << 10);
    /* A byte of zeros sets nothing pending (qemu 7.2 would, with no source). */
    dwr(g, 2, GICD_SPENDSGIR, 0);
    g_assert_cmphex(drd(g, 2, GICD_ISPENDR), ==, 0);
    g_assert_cmphex(gic_line(g, 2), ==, 0);
    /* Clearing the last source ends the pending state and lowers the line. */
    sgi(g, 0, 5, 0, 4);
    g_assert_cmphex(gic_line(g, 2), ==, IRQ);
    dwr(g, 2, GICD_CPENDSGIR + 4, 0xff00);
    g_assert_cmphex(gic_line(g, 2), ==, 0);
    g_assert_cmphex(iar(g, 2), ==, 1023);
    free(g);
}

static void test_ppi_banking(void)
{
    struct gic_state *g = gic_new(2);
    enable_all(g, 2);
    enable_irq(g, 0, 27);
    enable_irq(g, 1, 27);
    g_assert_cmphex(gic_set_ppi(g, 1, 1, 27, true), ==, 0x2);
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_false(bit(g, 0, GICD_ISPENDR, 27));
    g_assert_cmphex(iar(g, 1), ==, 27);
    /* Priority, enable and configuration are banked too. */
    set_byte(g, 0, GICD_IPRIORITYR + 30, 0x40);
    g_assert_cmphex(drd_n(g, 1, GICD_IPRIORITYR + 30, 1), ==, 0);
    dwr(g, 0, GICD_ICFGR + 4, 0x20000000); /* PPI 30 edge on CPU 0 */
    g_assert_cmphex(drd(g, 0, GICD_ICFGR + 4), ==, 0x20000000);
    g_assert_cmphex(drd(g, 1, GICD_ICFGR + 4), ==, 0);
    g_assert_cmphex(gic_set_ppi(g, 0, 0, 30, true), ==, 0); /* disabled on CPU 0 */
    g_assert_true(bit(g, 0, GICD_ISPENDR, 30));
    g_assert_false(bit(g, 1, GICD_ISPENDR, 30));
    free(g);
}

static void test_spi_routing(void)
{
    struct gic_state *g = gic_new(4);
    enable_all(g, 4);
    enable_irq(g, 0, 40);
    g_assert_cmphex(dwr(g, 0, GICD_ISPENDR + 4, 1u << 8), ==, 0); /* no target yet */
    g_assert_true(bit(g, 3, GICD_ISPENDR, 40));
    g_assert_cmphex(gic_dist_write(g, 0, 0, GICD_ITARGETSR + 40, 1, 0x04), ==, 0x4);
    g_assert_cmphex(drd(g, 1, GICD_ITARGETSR + 40), ==, 0x04);
    /* Re-targeting moves it: CPU 2's line falls, CPU 3's rises. */
    g_assert_cmphex(gic_dist_write(g, 1, 1, GICD_ITARGETSR + 40, 1, 0x08), ==, 0x8);
    g_assert_cmphex(gic_line(g, 2), ==, 0);
    g_assert_cmphex(gic_line(g, 3), ==, IRQ);
    g_assert_cmphex(iar(g, 2), ==, 1023);
    g_assert_cmphex(iar(g, 3), ==, 40);
    eoi(g, 3, 40);
    /* Writes to the read-only 0..31 targets are ignored. */
    dwr(g, 1, GICD_ITARGETSR, 0xffffffff);
    g_assert_cmphex(drd(g, 1, GICD_ITARGETSR), ==, 0x02020202);
    free(g);
}

static void test_spi_multi_target(void)
{
    struct gic_state *g = gic_new(2);
    enable_all(g, 2);
    enable_irq(g, 0, 33);
    dwr(g, 0, GICD_ICFGR + 8, 0x8); /* SPI 33 edge */
    set_byte(g, 0, GICD_ITARGETSR + 33, 0x03);
    g_assert_cmphex(gic_set_spi(g, GIC_WHO_COORD, 33, true), ==, 0x3);
    gic_set_spi(g, GIC_WHO_COORD, 33, false);
    /* 1-N: the first to acknowledge takes it from both. */
    g_assert_cmphex(iar(g, 1), ==, 33);
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_false(bit(g, 0, GICD_ISPENDR, 33));
    g_assert_true(bit(g, 0, GICD_ISACTIVER, 33)); /* SPI state is one for all */
    g_assert_cmphex(eoi(g, 1, 33), ==, 0);
    g_assert_false(bit(g, 0, GICD_ISACTIVER, 33));
    g_assert_cmphex(iar(g, 0), ==, 1023);
    free(g);
}

static void test_level_lowered_before_ack(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    enable_irq(g, 0, 33);
    g_assert_cmphex(gic_set_spi(g, GIC_WHO_COORD, 33, true), ==, 1);
    g_assert_cmphex(gic_set_spi(g, GIC_WHO_COORD, 33, true), ==, 0); /* no change */
    g_assert_true(bit(g, 0, GICD_ISPENDR, 33));
    g_assert_cmphex(gic_set_spi(g, GIC_WHO_COORD, 33, false), ==, 0);
    g_assert_false(bit(g, 0, GICD_ISPENDR, 33));
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    /* Pending while high even when disabled; enabling it signals it. */
    dwr(g, 0, GICD_ICENABLER + 4, 2);
    gic_set_spi(g, GIC_WHO_COORD, 33, true);
    g_assert_true(bit(g, 0, GICD_ISPENDR, 33));
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(dwr(g, 0, GICD_ISENABLER + 4, 2), ==, 1);
    free(g);
}

static void test_level_high_after_eoi(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    enable_irq(g, 0, 34);
    gic_set_spi(g, GIC_WHO_COORD, 34, true);
    g_assert_cmphex(iar(g, 0), ==, 34);
    g_assert_true(bit(g, 0, GICD_ISPENDR, 34)); /* active and pending */
    g_assert_true(bit(g, 0, GICD_ISACTIVER, 34));
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(eoi(g, 0, 34), ==, 1); /* still high: pending again */
    g_assert_cmphex(iar(g, 0), ==, 34);
    gic_set_spi(g, GIC_WHO_COORD, 34, false); /* the handler quiets the device */
    g_assert_false(bit(g, 0, GICD_ISPENDR, 34));
    g_assert_cmphex(eoi(g, 0, 34), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    free(g);
}

static void test_edge_latches(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    enable_irq(g, 0, 48);
    dwr(g, 0, GICD_ICFGR + 12, 0x2); /* SPI 48 edge */
    g_assert_cmphex(drd(g, 0, GICD_ICFGR + 12), ==, 0x2);
    g_assert_cmphex(gic_set_spi(g, GIC_WHO_COORD, 48, true), ==, 1);
    gic_set_spi(g, GIC_WHO_COORD, 48, false);
    g_assert_true(bit(g, 0, GICD_ISPENDR, 48)); /* latched */
    g_assert_cmphex(iar(g, 0), ==, 48);
    g_assert_false(bit(g, 0, GICD_ISPENDR, 48));
    /* A second edge while active: active and pending, taken after the EOI. */
    gic_set_spi(g, GIC_WHO_COORD, 48, true);
    g_assert_true(bit(g, 0, GICD_ISPENDR, 48));
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(eoi(g, 0, 48), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 48);
    g_assert_cmphex(eoi(g, 0, 48), ==, 0); /* the line stayed high: no new edge */
    g_assert_cmphex(iar(g, 0), ==, 1023);
    free(g);
}

static void test_priority_order(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    dwr(g, 0, GICD_ISENABLER + 4, 0xffffffff);
    set_byte(g, 0, GICD_IPRIORITYR + 35, 0x60);
    set_byte(g, 0, GICD_IPRIORITYR + 36, 0x20);
    set_byte(g, 0, GICD_IPRIORITYR + 37, 0x20);
    set_byte(g, 0, GICD_IPRIORITYR + 2, 0xa0);
    sgi(g, 0, 2, 2, 0);
    dwr(g, 0, GICD_ISPENDR + 4, 0x38); /* 35, 36, 37 */
    g_assert_cmphex(crd(g, 0, GICC_HPPIR), ==, 36);
    g_assert_cmphex(iar(g, 0), ==, 36); /* equal priority: lowest ID */
    eoi(g, 0, 36);
    g_assert_cmphex(iar(g, 0), ==, 37);
    eoi(g, 0, 37);
    g_assert_cmphex(iar(g, 0), ==, 35);
    eoi(g, 0, 35);
    g_assert_cmphex(iar(g, 0), ==, 2);
    eoi(g, 0, 2);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    free(g);
}

static void test_pmr_masking(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    set_byte(g, 0, GICD_IPRIORITYR + 4, 0x80);
    g_assert_cmphex(cwr(g, 0, GICC_PMR, 0x80), ==, 0);
    g_assert_cmphex(sgi(g, 0, 4, 2, 0), ==, 0); /* priority must be below the mask */
    g_assert_cmphex(crd(g, 0, GICC_HPPIR), ==, 1023);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_true(bit(g, 0, GICD_ISPENDR, 4));
    g_assert_cmphex(cwr(g, 0, GICC_PMR, 0x81), ==, 1);
    g_assert_cmphex(gic_line(g, 0), ==, IRQ);
    g_assert_cmphex(cwr(g, 0, GICC_PMR, 0), ==, 0);
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    free(g);
}

static void test_preemption_bpr(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    set_byte(g, 0, GICD_IPRIORITYR + 1, 0x40);
    set_byte(g, 0, GICD_IPRIORITYR + 2, 0x41);
    set_byte(g, 0, GICD_IPRIORITYR + 3, 0x3e);
    sgi(g, 0, 1, 2, 0);
    g_assert_cmphex(iar(g, 0), ==, 1);
    /* BPR 0: group priority is bits [7:1]; 0x41 is in 0x40's group. */
    g_assert_cmphex(sgi(g, 0, 2, 2, 0), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_HPPIR), ==, 2); /* pending, but cannot preempt */
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_cmphex(sgi(g, 0, 3, 2, 0), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 3);
    eoi(g, 0, 3);
    eoi(g, 0, 1);
    g_assert_cmphex(iar(g, 0), ==, 2);
    eoi(g, 0, 2);
    /* BPR 3: group priority is bits [7:4]. */
    cwr(g, 0, GICC_BPR, 3);
    set_byte(g, 0, GICD_IPRIORITYR + 4, 0x58);
    set_byte(g, 0, GICD_IPRIORITYR + 5, 0x52);
    set_byte(g, 0, GICD_IPRIORITYR + 6, 0x4f);
    sgi(g, 0, 4, 2, 0);
    g_assert_cmphex(iar(g, 0), ==, 4);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0x50);
    g_assert_cmphex(sgi(g, 0, 5, 2, 0), ==, 0); /* 0x52: same group 0x50 */
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_cmphex(sgi(g, 0, 6, 2, 0), ==, 1); /* 0x4f: group 0x40 */
    g_assert_cmphex(iar(g, 0), ==, 6);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0x40);
    free(g);
}

static void test_running_priority_nested(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    set_byte(g, 0, GICD_IPRIORITYR + 8, 0x80);
    set_byte(g, 0, GICD_IPRIORITYR + 9, 0x40);
    sgi(g, 0, 8, 2, 0);
    g_assert_cmphex(iar(g, 0), ==, 8);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0x80);
    g_assert_cmphex(crd(g, 0, GICC_APR0 + 8), ==, 1); /* preemption level 64 */
    g_assert_cmphex(sgi(g, 0, 9, 2, 0), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 9);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0x40);
    g_assert_cmphex(crd(g, 0, GICC_APR0 + 4), ==, 1); /* level 32 */
    eoi(g, 0, 9);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0x80);
    g_assert_cmphex(crd(g, 0, GICC_APR0 + 4), ==, 0);
    eoi(g, 0, 8);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0xff);
    g_assert_cmphex(drd(g, 0, GICD_ISACTIVER), ==, 0);
    /* An EOI with nothing active, or of a spurious ID, does nothing. */
    dwr(g, 0, GICD_ISACTIVER, 1u << 8);
    eoi(g, 0, 8);
    eoi(g, 0, 1023);
    g_assert_cmphex(drd(g, 0, GICD_ISACTIVER), ==, 1u << 8);
    /* APR writes move the running priority. */
    cwr(g, 0, GICC_APR0 + 12, 0x80000000);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0xfe);
    cwr(g, 0, GICC_APR0 + 12, 0);
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0xff);
    free(g);
}

static void test_split_eoi(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    cwr(g, 0, GICC_CTLR, 0x201); /* EOImode 1 */
    sgi(g, 0, 1, 2, 0);
    g_assert_cmphex(iar(g, 0), ==, 1);
    g_assert_cmphex(eoi(g, 0, 1), ==, 0); /* priority drop only */
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0xff);
    g_assert_true(bit(g, 0, GICD_ISACTIVER, 1));
    g_assert_cmphex(sgi(g, 0, 1, 2, 0), ==, 0); /* still active: not signalled */
    g_assert_cmphex(crd(g, 0, GICC_HPPIR), ==, 1023);
    g_assert_cmphex(cwr(g, 0, GICC_DIR, 1), ==, 1);
    g_assert_false(bit(g, 0, GICD_ISACTIVER, 1));
    g_assert_cmphex(iar(g, 0), ==, 1);
    eoi(g, 0, 1);
    /* GICC_DIR is ignored in EOImode 0. */
    cwr(g, 0, GICC_CTLR, 0x001);
    cwr(g, 0, GICC_DIR, 1);
    g_assert_true(bit(g, 0, GICD_ISACTIVER, 1));
    free(g);
}

static void test_pending_registers(void)
{
    struct gic_state *g = gic_new(2);
    enable_all(g, 2);
    enable_irq(g, 0, 50);
    set_byte(g, 0, GICD_ITARGETSR + 50, 0x02);
    g_assert_cmphex(dwr(g, 0, GICD_ISPENDR + 4, 1u << 18), ==, 0x2);
    g_assert_true(bit(g, 1, GICD_ISPENDR, 50));
    g_assert_cmphex(dwr(g, 0, GICD_ICPENDR + 4, 1u << 18), ==, 0);
    g_assert_false(bit(g, 1, GICD_ICPENDR, 50));
    g_assert_cmphex(gic_line(g, 1), ==, 0);
    /* PPIs: banked. SGI bits: WI. */
    enable_irq(g, 1, 20);
    g_assert_cmphex(dwr(g, 1, GICD_ISPENDR, 0xffff0000u), ==, 0x2);
    g_assert_cmphex(drd(g, 1, GICD_ISPENDR), ==, 0xffff0000u);
    g_assert_cmphex(drd(g, 0, GICD_ISPENDR), ==, 0);
    sgi(g, 0, 3, 0, 2);
    dwr(g, 1, GICD_ICPENDR, 0xffffffff);
    g_assert_cmphex(drd(g, 1, GICD_ISPENDR), ==, 1u << 3);
    /* A level line still high keeps an interrupt pending through ICPENDR. */
    gic_set_spi(g, GIC_WHO_COORD, 50, true);
    dwr(g, 0, GICD_ICPENDR + 4, 1u << 18);
    g_assert_true(bit(g, 0, GICD_ISPENDR, 50));
    free(g);
}

static void test_active_registers(void)
{
    struct gic_state *g = gic_new(1);
    enable_all(g, 1);
    g_assert_cmphex(dwr(g, 0, GICD_ISACTIVER, 1u << 6), ==, 0);
    g_assert_cmphex(sgi(g, 0, 6, 2, 0), ==, 0); /* active: not signalled */
    g_assert_cmphex(crd(g, 0, GICC_RPR), ==, 0xff);
    g_assert_cmphex(drd(g, 0, GICD_ICACTIVER), ==, 1u << 6);
    g_assert_cmphex(dwr(g, 0, GICD_ICACTIVER, 1u << 6), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 6);
    dwr(g, 0, GICD_ISACTIVER + 8, 0x80000000);
    g_assert_true(bit(g, 0, GICD_ISACTIVER, 95));
    free(g);
}

static void test_groups_fiq(void)
{
    struct gic_state *g = gic_new(1);
    dwr(g, 0, GICD_CTLR, 3);
    cwr(g, 0, GICC_PMR, 0xff);
    cwr(g, 0, GICC_CTLR, 0x0b); /* both groups, FIQEn */
    g_assert_cmphex(sgi(g, 0, 1, 2, 0), ==, 1);
    g_assert_cmphex(gic_line(g, 0), ==, FIQ);           /* Group 0 as FIQ */
    g_assert_cmphex(cwr(g, 0, GICC_CTLR, 0x03), ==, 1); /* FIQ -> IRQ: IRQ is new */
    g_assert_cmphex(gic_line(g, 0), ==, IRQ);
    g_assert_cmphex(cwr(g, 0, GICC_CTLR, 0x0b), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 1);
    eoi(g, 0, 1);
    /* Group 1: IRQ even with FIQEn; 1022 without AckCtl; its level goes to NSAPR. */
    dwr(g, 0, GICD_IGROUPR, 1u << 2);
    g_assert_cmphex(drd(g, 0, GICD_IGROUPR), ==, 1u << 2);
    g_assert_cmphex(sgi(g, 0, 2, 2, 0), ==, 1);
    g_assert_cmphex(gic_line(g, 0), ==, IRQ);
    g_assert_cmphex(crd(g, 0, GICC_HPPIR), ==, 1022);
    g_assert_cmphex(iar(g, 0), ==, 1022);
    cwr(g, 0, GICC_CTLR, 0x0f); /* AckCtl */
    g_assert_cmphex(iar(g, 0), ==, 2);
    g_assert_cmphex(crd(g, 0, GICC_NSAPR), ==, 1);
    g_assert_cmphex(crd(g, 0, GICC_APR0), ==, 0);
    eoi(g, 0, 2);
    g_assert_cmphex(crd(g, 0, GICC_NSAPR), ==, 0);
    /* A group disabled at the distributor is not forwarded. */
    dwr(g, 0, GICD_CTLR, 2);
    g_assert_cmphex(sgi(g, 0, 1, 2, 0), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1023);
    g_assert_cmphex(dwr(g, 0, GICD_CTLR, 3), ==, 1);
    g_assert_cmphex(gic_line(g, 0), ==, FIQ);
    free(g);
}

static void test_raised_exact(void)
{
    struct gic_state *g = gic_new(2);
    enable_all(g, 2);
    g_assert_cmphex(sgi(g, 0, 1, 0, 3), ==, 3);
    g_assert_cmphex(sgi(g, 0, 2, 0, 3), ==, 0); /* up already: not reported again */
    g_assert_cmphex(sgi(g, 1, 1, 0, 3), ==, 0);
    g_assert_cmphex(iar(g, 0), ==, 1);
    g_assert_cmphex(gic_line(g, 0), ==, 0); /* 2 and the second 1 cannot preempt */
    g_assert_cmphex(eoi(g, 0, 1), ==, 1);   /* back up: reported */
    g_assert_cmphex(iar(g, 0), ==, 1 | 1u << 10);
    g_assert_cmphex(eoi(g, 0, 1 | 1u << 10), ==, 1);
    g_assert_cmphex(iar(g, 0), ==, 2);
    g_assert_cmphex(eoi(g, 0, 2), ==, 0); /* nothing left: stays down */
    g_assert_cmphex(gic_line(g, 0), ==, 0);
    g_assert_cmphex(gic_line(g, 1), ==, IRQ);
    /* Turning the distributor off and on reports CPU 1 once. */
    g_assert_cmphex(dwr(g, 0, GICD_CTLR, 0), ==, 0);
    g_assert_cmphex(gic_line(g, 1), ==, 0);
    g_assert_cmphex(dwr(g, 0, GICD_CTLR, 1), ==, 2);
    g_assert_cmphex(dwr(g, 0, GICD_CTLR, 1), ==, 0);
    free(g);
}

static void test_read_only_reserved(void)
{
    struct gic_state *g = gic_new(2);
    const uint32_t bad[] = {0x00c, 0x07c, 0x0a4, 0x124, 0x520,  0x920, 0xc48,
                            0xe00, 0xf04, 0xf30, 0xfcc, 0x1000, 0xfffc};
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        dwr(g, 0, bad[i], 0xffffffff);
        g_assert_cmphex(drd(g, 0, bad[i]), ==, 0);
    }
    dwr(g, 0, GICD_TYPER, 0);
    dwr(g, 0, GICD_IIDR, 0);
    dwr(g, 0, 0xfe0, 0);
    dwr(g, 0, GICD_ICFGR, 0);
    g_assert_cmphex(drd(g, 0, GICD_TYPER), ==, 0x28);
    g_assert_cmphex(drd(g, 0, GICD_IIDR), ==, 0x43b);
    g_assert_cmphex(drd(g, 0, 0xfe0), ==, 0x90);
    g_assert_cmphex(drd(g, 0, GICD_ICFGR), ==, 0xaaaaaaaa);
    g_assert_cmphex(drd(g, 0, GICD_SGIR), ==, 0); /* write-only */
    /* No neighbour was touched. */
    g_assert_cmphex(drd(g, 0, GICD_CTLR), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_ISENABLER + 4), ==, 0);
    g_assert_cmphex(drd(g, 0, GICD_IPRIORITYR + 284), ==, 0);
    /* CPU interface: read-only, write-only and undecoded offsets (GICC_AIAR, AEOIR, AHPPIR
     * as qemu 7.2), bad sizes. */
    enable_all(g, 2);
    sgi(g, 0, 1, 2, 0);
    cwr(g, 0, GICC_IAR, 0);
    cwr(g, 0, GICC_RPR, 0);
    cwr(g, 0, GICC_HPPIR, 0);
    cwr(g, 0, 0x24, 1); /* GICC_AEOIR */
    g_assert_cmphex(crd(g, 0, GICC_EOIR), ==, 0);
    g_assert_cmphex(crd(g, 0, 0x20), ==, 0);
    g_assert_cmphex(crd(g, 0, 0x28), ==, 0);
    g_assert_cmphex(crd(g, 0, 0x1ffc), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_DIR), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_CTLR + 1), ==, 0);
    g_assert_cmphex(crd(g, 0, GICC_IIDR), ==, 0x2043b);
    uint32_t v = 0xdead;
    g_assert_cmphex(gic_cpu_read(g, 0, 0, GICC_IAR, 8, &v), ==, 0);
    g_assert_cmphex(v, ==, 0);
    gic_dist_read(g, 0, 0, GICD_CTLR, 3, &v);
    g_assert_cmphex(v, ==, 0);
    gic_cpu_write(g, 0, 0, GICC_PMR, 8, 0);
    g_assert_cmphex(crd(g, 0, GICC_PMR), ==, 0xff);
    g_assert_cmphex(iar(g, 0), ==, 1); /* nothing above acknowledged it */
    free(g);
}

static void test_byte_access(void)
{
    struct gic_state *g = gic_new(4);
    set_byte(g, 1, GICD_IPRIORITYR + 41, 0xa5);
    set_byte(g, 1, GICD_IPRIORITYR + 43, 0x5a);
    g_assert_cmphex(drd(g, 0, GICD_IPRIORITYR + 40), ==, 0x5a00a500);
    g_assert_cmphex(drd_n(g, 0, GICD_IPRIORITYR + 41, 2), ==, 0x00a5);
    g_assert_cmphex(drd_n(g, 0, GICD_IPRIORITYR + 42, 2), ==, 0x5a00);
    gic_dist_write(g, 2, 2, GICD_IPRIORITYR + 40, 2, 0x1122);
    g_assert_cmphex(drd(g, 0, GICD_IPRIORITYR + 40), ==, 0x5a001122);
    set_byte(g, 0, GICD_ITARGETSR + 34, 0x05);
    g_assert_cmphex(drd(g, 3, GICD_ITARGETSR + 32), ==, 0x00050000);
    gic_dist_write(g, 0, 0, GICD_ITARGETSR + 33, 2, 0x0201);
    g_assert_cmphex(drd(g, 3, GICD_ITARGETSR + 32), ==, 0x00020100);
    /* Targets keep all 8 bits, as qemu, though only 4 CPUs exist. */
    set_byte(g, 0, GICD_ITARGETSR + 35, 0xff);
    g_assert_cmphex(drd_n(g, 0, GICD_ITARGETSR + 35, 1), ==, 0xff);
    /* A byte of a bitmap register and of GICC_CTLR. */
    set_byte(g, 0, GICD_ISENABLER + 5, 0x80);
    g_assert_true(bit(g, 0, GICD_ISENABLER, 47));
    gic_cpu_write(g, 0, 0, GICC_PMR, 1, 0xf0);
    uint32_t v;
    gic_cpu_read(g, 0, 0, GICC_PMR, 1, &v);
    g_assert_cmphex(v, ==, 0xf0);
    free(g);
}

/* ---- the lock ---- */

struct blocked_read {
    struct gic_state *g;
    _Atomic int done;
};

static gpointer blocked_read_thread(gpointer arg)
{
    struct blocked_read *b = arg;
    uint32_t v;
    gic_dist_read(b->g, 1, 1, GICD_TYPER, 4, &v);
    g_assert_cmphex(v, ==, 0x68);
    atomic_store(&b->done, 1);
    return NULL;
}

static void test_lock_recover(void)
{
    struct blocked_read b = {.g = gic_new(4)};
    /* What a holder that died looks like: vCPU endpoint 3 owns the lock word. */
    atomic_store(&b.g->lock, 3 + 1);
    GThread *t = g_thread_new("reader", blocked_read_thread, &b);
    g_usleep(50000);
    g_assert_cmpint(atomic_load(&b.done), ==, 0);
    gic_lock_recover(b.g, 2); /* not the holder: left alone */
    g_assert_cmpuint(atomic_load(&b.g->lock), ==, 3 + 1);
    g_usleep(50000);
    g_assert_cmpint(atomic_load(&b.done), ==, 0);
    gic_lock_recover(b.g, 3);
    g_thread_join(t);
    g_assert_cmpint(atomic_load(&b.done), ==, 1);
    g_assert_cmpuint(atomic_load(&b.g->lock), ==, 0);
    gic_lock_recover(b.g, 3); /* a free lock stays free */
    g_assert_cmpuint(atomic_load(&b.g->lock), ==, 0);
    free(b.g);
}

/* The coordinator's SPI update gives up on a lock a dead vCPU holds (so that its event
 * loop can reap that vCPU and recover the lock), changing nothing; then goes through. */
static void test_try_set_spi(void)
{
    struct gic_state *g = gic_new(2);
    uint32_t raised = 0xdead;
    atomic_store(&g->lock, 1 + 1); /* vCPU 1 died holding it */
    g_assert_false(gic_try_set_spi(g, GIC_WHO_COORD, 40, true, &raised));
    g_assert_cmphex(raised, ==, 0xdead);
    gic_lock_recover(g, 1);
    g_assert_true(gic_try_set_spi(g, GIC_WHO_COORD, 40, true, &raised));
    uint32_t v = 0;
    gic_dist_read(g, GIC_WHO_COORD, 0, 0x200 + 40 / 8, 1, &v); /* ISPENDR: level high */
    g_assert_cmphex(v & (1u << (40 % 8)), !=, 0);
    g_assert_cmpuint(atomic_load(&g->lock), ==, 0);
    free(g);
}

static void test_lock_recover_repairs(void)
{
    struct gic_state *g = gic_new(2);
    enable_all(g, 2);
    /* CPU 0 died inside an SGIR write to CPU 1: the source bit is in, the pending bit and
     * CPU 1's line are not. */
    atomic_store(&g->lock, 0 + 1);
    g->cpu[1].sgi_src[5] = 1;
    g_assert_cmphex(gic_line(g, 1), ==, 0);
    gic_lock_recover(g, 0);
    g_assert_cmphex(gic_line(g, 1), ==, IRQ);
    g_assert_cmphex(iar(g, 1), ==, 5);
    free(g);
}

/* ---- concurrency: two vCPUs hammer SGIs at each other, the coordinator pulses a shared
 * edge SPI, each side through its own mapping of one shared object. Every SGI (target,
 * source, ID) is pending at most once, so a sender waits for its previous SGI of the same
 * ID to be acknowledged before sending it again; then every send must arrive exactly once,
 * and every SPI edge must be acknowledged by exactly one CPU. */

#define CONC_ROUNDS 200000u
#define CONC_PULSES 50000u
#define CONC_SPI    45u
#define CONC_STALL  (5 * G_USEC_PER_SEC) /* no interrupt taken for this long: one was lost */

struct conc {
    struct gic_state *map[3];              /* CPU 0, CPU 1, the coordinator */
    _Atomic uint32_t sent[2][GIC_NR_SGIS]; /* by sender */
    _Atomic uint32_t recv[2][GIC_NR_SGIS]; /* by receiver */
    _Atomic uint32_t pulses, spi_recv[2];
    _Atomic uint32_t bad;      /* duplicates, wrong sources, spurious IDs */
    _Atomic uint32_t low_line; /* an SGI pending for an idle CPU whose line was low */
    _Atomic int stalled;
    _Atomic gint64 progress; /* when an interrupt was last taken */
};

struct conc_cpu {
    struct conc *c;
    unsigned cpu;
};

static bool conc_stalled(struct conc *c)
{
    if (atomic_load(&c->stalled))
        return true;
    if (g_get_monotonic_time() - atomic_load(&c->progress) < CONC_STALL)
        return false;
    atomic_store(&c->stalled, 1);
    return true;
}

static void conc_take(struct conc *c, unsigned cpu)
{
    struct gic_state *g = c->map[cpu];
    uint32_t v;
    gic_cpu_read(g, cpu, cpu, GICC_IAR, 4, &v);
    unsigned id = v & 0x3ff, src = v >> 10 & 7;
    if (id == 1023)
        return;
    atomic_store(&c->progress, g_get_monotonic_time());
    if (id < GIC_NR_SGIS) {
        uint32_t n = atomic_fetch_add(&c->recv[cpu][id], 1) + 1;
        if (src != 1 - cpu || n > atomic_load(&c->sent[1 - cpu][id]))
            atomic_fetch_add(&c->bad, 1);
    } else if (id == CONC_SPI) {
        uint32_t n = atomic_fetch_add(&c->spi_recv[cpu], 1) + 1;
        if (n + atomic_load(&c->spi_recv[1 - cpu]) > atomic_load(&c->pulses))
            atomic_fetch_add(&c->bad, 1);
    } else {
        atomic_fetch_add(&c->bad, 1);
    }
    gic_cpu_write(g, cpu, cpu, GICC_EOIR, 4, v);
}

static uint32_t conc_received(struct conc *c, unsigned cpu)
{
    uint32_t n = 0;
    for (unsigned id = 0; id < GIC_NR_SGIS; id++)
        n += atomic_load(&c->recv[cpu][id]);
    return n;
}

/* With nothing active on this CPU, an SGI pending for it (only it can take that away)
 * must have its line up from the moment the state shows it: a line published out of
 * order with the state would be seen low here. The state is read through the
 * distributor, whose reads do not recompute lines (which would hide a stale one). */
static void conc_check_line(struct conc *c, unsigned cpu)
{
    uint32_t v;
    gic_dist_read(c->map[cpu], cpu, cpu, GICD_ISPENDR, 4, &v);
    if ((v & 0xffff) && !(gic_line(c->map[cpu], cpu) & GIC_LINE_IRQ))
        atomic_fetch_add(&c->low_line, 1);
}

static uint32_t conc_sent(struct conc *c, unsigned cpu)
{
    uint32_t n = 0;
    for (unsigned id = 0; id < GIC_NR_SGIS; id++)
        n += atomic_load(&c->sent[cpu][id]);
    return n;
}

static gpointer conc_cpu_thread(gpointer arg)
{
    struct conc_cpu *me = arg;
    struct conc *c = me->c;
    unsigned cpu = me->cpu, other = 1 - cpu;
    struct gic_state *g = c->map[cpu];
    uint32_t nsent = 0;
    while (!conc_stalled(c)) {
        unsigned id = nsent % GIC_NR_SGIS;
        if (nsent < CONC_ROUNDS &&
            atomic_load(&c->recv[other][id]) == atomic_load(&c->sent[cpu][id])) {
            atomic_fetch_add(&c->sent[cpu][id], 1);
            gic_dist_write(g, cpu, cpu, GICD_SGIR, 4, 1u << (16 + other) | id);
            nsent++;
        }
        if (gic_line(g, cpu) & GIC_LINE_IRQ)
            conc_take(c, cpu);
        else
            conc_check_line(c, cpu);
        if (nsent == CONC_ROUNDS && conc_received(c, cpu) == CONC_ROUNDS &&
            atomic_load(&c->spi_recv[0]) + atomic_load(&c->spi_recv[1]) == CONC_PULSES)
            break;
    }
    return NULL;
}

static gpointer conc_coord_thread(gpointer arg)
{
    struct conc *c = arg;
    struct gic_state *g = c->map[2];
    while (atomic_load(&c->pulses) < CONC_PULSES && !conc_stalled(c)) {
        if (atomic_load(&c->spi_recv[0]) + atomic_load(&c->spi_recv[1]) !=
            atomic_load(&c->pulses)) {
            sched_yield();
            continue;
        }
        atomic_fetch_add(&c->pulses, 1);
        gic_set_spi(g, GIC_WHO_COORD, CONC_SPI, true);
        gic_set_spi(g, GIC_WHO_COORD, CONC_SPI, false);
    }
    return NULL;
}

static void test_concurrency(void)
{
    static struct conc c; /* big, and zero */
    int fd = memfd_create("test-gic", MFD_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, sizeof(struct gic_state)), ==, 0);
    for (unsigned i = 0; i < 3; i++) {
        c.map[i] = mmap(NULL, sizeof(struct gic_state), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        g_assert_true(c.map[i] != MAP_FAILED);
    }
    close(fd);
    g_assert_true(c.map[0] != c.map[1] && c.map[1] != c.map[2]);
    gic_reset(c.map[2], 2);
    enable_all(c.map[2], 2);
    enable_irq(c.map[2], 0, CONC_SPI);
    dwr(c.map[2], 0, GICD_ICFGR + CONC_SPI / 16 * 4, 2u << (CONC_SPI % 16 * 2));
    set_byte(c.map[2], 0, GICD_ITARGETSR + CONC_SPI, 0x03);
    c.progress = g_get_monotonic_time();

    struct conc_cpu cpu[2] = {{&c, 0}, {&c, 1}};
    GThread *t0 = g_thread_new("cpu0", conc_cpu_thread, &cpu[0]);
    GThread *t1 = g_thread_new("cpu1", conc_cpu_thread, &cpu[1]);
    GThread *tc = g_thread_new("coord", conc_coord_thread, &c);
    g_thread_join(t0);
    g_thread_join(t1);
    g_thread_join(tc);

    g_test_message("SGIs sent %u and %u, received %u and %u; SPI edges %u, taken by CPU 0 "
                   "%u times, by CPU 1 %u times; bad acknowledges %u; low lines %u%s",
                   conc_sent(&c, 0), conc_sent(&c, 1), conc_received(&c, 1), conc_received(&c, 0),
                   atomic_load(&c.pulses), atomic_load(&c.spi_recv[0]), atomic_load(&c.spi_recv[1]),
                   atomic_load(&c.bad), atomic_load(&c.low_line),
                   atomic_load(&c.stalled) ? "; stalled: an interrupt was lost" : "");
    g_assert_cmpint(atomic_load(&c.stalled), ==, 0);
    g_assert_cmpuint(atomic_load(&c.bad), ==, 0);
    g_assert_cmpuint(atomic_load(&c.low_line), ==, 0);
    for (unsigned s = 0; s < 2; s++) {
        for (unsigned id = 0; id < GIC_NR_SGIS; id++)
            g_assert_cmpuint(atomic_load(&c.recv[1 - s][id]), ==, atomic_load(&c.sent[s][id]));
        g_assert_cmpuint(conc_received(&c, s), ==, CONC_ROUNDS);
    }
    g_assert_cmpuint(atomic_load(&c.spi_recv[0]) + atomic_load(&c.spi_recv[1]), ==, CONC_PULSES);
    g_test_message("SPI taken by CPU 0 %u times, by CPU 1 %u times", atomic_load(&c.spi_recv[0]),
                   atomic_load(&c.spi_recv[1]));
    /* Quiet at the end: nothing pending or active, both lines down, the lock free. */
    for (unsigned cpu_i = 0; cpu_i < 2; cpu_i++) {
        g_assert_cmphex(gic_line(c.map[2], cpu_i), ==, 0);
        g_assert_cmphex(drd(c.map[cpu_i], cpu_i, GICD_ISPENDR), ==, 0);
        g_assert_cmphex(drd(c.map[cpu_i], cpu_i, GICD_ISACTIVER), ==, 0);
        g_assert_cmphex(crd(c.map[cpu_i], cpu_i, GICC_RPR), ==, 0xff);
    }
    g_assert_cmpuint(atomic_load(&c.map[0]->lock), ==, 0);
    for (unsigned i = 0; i < 3; i++)
        munmap(c.map[i], sizeof(struct gic_state));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/gic/reset-1cpu", test_reset_1cpu);
    g_test_add_func("/hw/gic/reset-4cpu", test_reset_4cpu);
    g_test_add_func("/hw/gic/ids", test_ids);
    g_test_add_func("/hw/gic/control-masks", test_control_masks);
    g_test_add_func("/hw/gic/enable", test_enable);
    g_test_add_func("/hw/gic/sgi-filter-list", test_sgi_filter_list);
    g_test_add_func("/hw/gic/sgi-filter-others-self", test_sgi_filter_others_self);
    g_test_add_func("/hw/gic/sgi-filter-reserved", test_sgi_filter_reserved);
    g_test_add_func("/hw/gic/sgi-two-sources", test_sgi_two_sources);
    g_test_add_func("/hw/gic/sgi-pend-registers", test_sgi_pend_registers);
    g_test_add_func("/hw/gic/ppi-banking", test_ppi_banking);
    g_test_add_func("/hw/gic/spi-routing", test_spi_routing);
    g_test_add_func("/hw/gic/spi-multi-target", test_spi_multi_target);
    g_test_add_func("/hw/gic/level-lowered-before-ack", test_level_lowered_before_ack);
    g_test_add_func("/hw/gic/level-high-after-eoi", test_level_high_after_eoi);
    g_test_add_func("/hw/gic/edge-latches", test_edge_latches);
    g_test_add_func("/hw/gic/priority-order", test_priority_order);
    g_test_add_func("/hw/gic/pmr-masking", test_pmr_masking);
    g_test_add_func("/hw/gic/preemption-bpr", test_preemption_bpr);
    g_test_add_func("/hw/gic/running-priority-nested", test_running_priority_nested);
    g_test_add_func("/hw/gic/split-eoi", test_split_eoi);
    g_test_add_func("/hw/gic/pending-registers", test_pending_registers);
    g_test_add_func("/hw/gic/active-registers", test_active_registers);
    g_test_add_func("/hw/gic/groups-fiq", test_groups_fiq);
    g_test_add_func("/hw/gic/raised-exact", test_raised_exact);
    g_test_add_func("/hw/gic/read-only-reserved", test_read_only_reserved);
    g_test_add_func("/hw/gic/byte-access", test_byte_access);
    g_test_add_func("/hw/gic/lock-recover", test_lock_recover);
    g_test_add_func("/hw/gic/lock-recover-repairs", test_lock_recover_repairs);
    g_test_add_func("/hw/gic/try-set-spi", test_try_set_spi);
    g_test_add_func("/hw/gic/concurrency", test_concurrency);
    return g_test_run();
}

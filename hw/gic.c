/* GICv2 distributor and CPU interfaces (ARM IHI 0048B) without the Security Extensions,
 * as qemu-system-arm 7.2's arm_gic (revision 2) shows them on the virt board.
 *
 * The state is plain data in shared memory (hw/gic.h); every entry point takes its spin
 * lock, works, recomputes the output line of every CPU and returns the CPUs whose line
 * rose. Interrupt state is kept as bitmaps: for interrupts 0..31 in each CPU's bank, for
 * SPIs once. A level-sensitive interrupt is pending while its line is high or its
 * software latch is set; an edge-triggered one while its latch is set (IHI 0048B 3.2,
 * the interrupt handling state machine). docs/gic.md lists where this follows qemu and
 * where the spec. */
#include <assert.h>
#include <sched.h>
#include <string.h>

#include "hw/gic.h"
#include "util/util.h"

enum gic_bitmap {
    GIC_BM_ENABLED,
    GIC_BM_LATCH, /* pending latched: edge seen, GICD_ISPENDR, or an SGI from some source */
    GIC_BM_ACTIVE,
    GIC_BM_LEVEL, /* the input line is high */
    GIC_BM_EDGE,  /* GICD_ICFGR: edge-triggered */
    GIC_BM_GROUP, /* GICD_IGROUPR: Group 1 */
    GIC_BM_COUNT
};
_Static_assert(GIC_BM_COUNT == GIC_NR_BITMAPS, "bitmap count");

/* GICD_CTLR and GICC_CTLR bits (IHI 0048B 4.3.1, 4.4.1). */
#define GICD_CTLR_GRP0  (1u << 0)
#define GICD_CTLR_GRP1  (1u << 1)
#define GICC_CTLR_GRP0  (1u << 0)
#define GICC_CTLR_GRP1  (1u << 1)
#define GICC_CTLR_ACK   (1u << 2)
#define GICC_CTLR_FIQEN (1u << 3)
#define GICC_CTLR_CBPR  (1u << 4)
#define GICC_CTLR_EOI   (1u << 9) /* EOImode: EOIR drops priority only, DIR deactivates */
#define GICC_CTLR_MASK  0x21fu    /* what qemu keeps without the Security Extensions */

#define GIC_IDLE_PRIO 0x100u
#define GICD_IIDR     0x0000043bu /* implementer ARM, as qemu 7.2 */
#define GICC_IIDR     0x0002043bu /* architecture v2, implementer ARM, as qemu 7.2 */
#define GIC_MIN_ABPR  1u
#define GIC_SPIN      128u  /* pauses before the lock waiter starts yielding its core */
#define GIC_TRY_SPINS 4096u /* gic_try_set_spi's attempts (milliseconds of yields) */

/* What went wrong in an access, logged after the lock is released. */
enum gic_err {
    GIC_OK,
    GIC_BAD_OFFSET,
    GIC_BAD_SIZE,
    GIC_READ_ONLY,
    GIC_WRITE_ONLY,
    GIC_SGIR_FILTER,
    GIC_DIR_IGNORED,
};

static const char *const gic_err_text[] = {
    [GIC_OK] = "",
    [GIC_BAD_OFFSET] = "no register there",
    [GIC_BAD_SIZE] = "bad access size",
    [GIC_READ_ONLY] = "read-only register",
    [GIC_WRITE_ONLY] = "write-only register",
    [GIC_SGIR_FILTER] = "GICD_SGIR TargetListFilter 0b11 is reserved: no SGI sent",
    [GIC_DIR_IGNORED] = "GICC_DIR write with GICC_CTLR.EOImode 0 ignored",
};

/* PeriphID4-7, PeriphID0-3, ComponentID0-3 at 0xfd0-0xffc, one byte a word, as qemu 7.2. */
static const uint8_t gic_id[12] = {0x04, 0x00, 0x00, 0x00, 0x90, 0xb4,
                                   0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* ---- the lock ---- */

static void gic_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ volatile("yield");
#endif
}

/* Spins, then yields: the holder may be a descheduled process (9 processes, few cores).
 * With max_spins non-zero, gives up (false) after that many attempts. */
static bool gic_lock_for(struct gic_state *g, unsigned who, unsigned max_spins)
{
    assert(who <= GIC_WHO_COORD);
    for (unsigned spins = 0; !max_spins || spins < max_spins; spins++) {
        uint32_t expected = 0;
        if (atomic_load_explicit(&g->lock, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&g->lock, &expected, who + 1,
                                                  memory_order_acquire, memory_order_relaxed))
            return true;
        if (spins < GIC_SPIN)
            gic_pause();
        else
            sched_yield();
    }
    return false;
}

static void gic_lock(struct gic_state *g, unsigned who)
{
    gic_lock_for(g, who, 0);
}

static void gic_unlock(struct gic_state *g)
{
    atomic_store_explicit(&g->lock, 0, memory_order_release);
}

/* ---- interrupt state ---- */

/* The word of bitmap b holding interrupt irq, as CPU cpu sees it (banked below 32). */
static uint32_t *gic_word(struct gic_state *g, unsigned cpu, enum gic_bitmap b, unsigned irq)
{
    if (irq < GIC_NR_PRIV)
        return &g->cpu[cpu].bits[b];
    return &g->spi_bits[b][irq / 32 - 1];
}

static bool gic_test(struct gic_state *g, unsigned cpu, enum gic_bitmap b, unsigned irq)
{
    return *gic_word(g, cpu, b, irq) >> (irq % 32) & 1;
}

static void gic_assign(struct gic_state *g, unsigned cpu, enum gic_bitmap b, unsigned irq, bool on)
{
    uint32_t *w = gic_word(g, cpu, b, irq);
    uint32_t bit = 1u << (irq % 32);
    *w = on ? *w | bit : *w & ~bit;
}

/* Pending: latched, or level-sensitive with its line high (IHI 0048B 3.2, state machine). */
static uint32_t gic_pending_word(struct gic_state *g, unsigned cpu, unsigned irq)
{
    return *gic_word(g, cpu, GIC_BM_LATCH, irq) |
           (*gic_word(g, cpu, GIC_BM_LEVEL, irq) & ~*gic_word(g, cpu, GIC_BM_EDGE, irq));
}

static uint8_t *gic_prio(struct gic_state *g, unsigned cpu, unsigned irq)
{
    return irq < GIC_NR_PRIV ? &g->cpu[cpu].prio[irq] : &g->spi_prio[irq - GIC_NR_PRIV];
}

/* Group priority: the priority's bits above the binary point, GICC_ABPR's (minus one, as
 * the NS BPR) for Group 1 unless CBPR (IHI 0048B 3.3, priority grouping; 4.4.3). */
static unsigned gic_group_prio(struct gic_state *g, unsigned cpu, unsigned irq)
{
    const struct gic_cpu *c = &g->cpu[cpu];
    bool grp1 = gic_test(g, cpu, GIC_BM_GROUP, irq);
    unsigned bpr = grp1 && !(c->ctlr & GICC_CTLR_CBPR) ? c->abpr - 1 : c->bpr;
    return *gic_prio(g, cpu, irq) & (0xffu << (bpr + 1)) & 0xffu;
}

/* SPI routes of every CPU from ITARGETSR; a uniprocessor GIC sends them all to CPU 0. */
static void gic_route_spi(struct gic_state *g, unsigned irq)
{
    unsigned n = irq - GIC_NR_PRIV;
    uint32_t targets = g->ncpus == 1 ? 1u : g->spi_target[n];
    for (unsigned c = 0; c < g->ncpus; c++) {
        uint32_t *w = &g->cpu[c].route[n / 32];
        uint32_t bit = 1u << (n % 32);
        *w = targets >> c & 1 ? *w | bit : *w & ~bit;
    }
}

/* Interrupts of word w that CPU cpu may be signalled: enabled, pending, not active,
 * routed to it, in a group both the distributor and its interface enable (3.2, 4.3.1). */
static uint32_t gic_candidates(struct gic_state *g, unsigned cpu, unsigned w)
{
    const struct gic_cpu *c = &g->cpu[cpu];
    unsigned irq = w * 32;
    uint32_t grp1 = *gic_word(g, cpu, GIC_BM_GROUP, irq);
    bool grp0_on = (g->ctlr & GICD_CTLR_GRP0) && (c->ctlr & GICC_CTLR_GRP0);
    bool grp1_on = (g->ctlr & GICD_CTLR_GRP1) && (c->ctlr & GICC_CTLR_GRP1);
    uint32_t ok = (grp0_on ? ~grp1 : 0) | (grp1_on ? grp1 : 0);
    uint32_t route = w == 0 ? ~0u : c->route[w - 1];
    return *gic_word(g, cpu, GIC_BM_ENABLED, irq) & gic_pending_word(g, cpu, irq) &
           ~*gic_word(g, cpu, GIC_BM_ACTIVE, irq) & ok & route;
}

/* The highest-priority candidate, the lowest ID among equals (3.3), or GIC_SPURIOUS. */
static unsigned gic_best(struct gic_state *g, unsigned cpu)
{
    unsigned best = GIC_SPURIOUS, best_prio = GIC_IDLE_PRIO;
    for (unsigned w = 0; w < GIC_NR_IRQS / 32; w++) {
        for (uint32_t m = gic_candidates(g, cpu, w); m; m &= m - 1) {
            unsigned irq = w * 32 + (unsigned)__builtin_ctz(m);
            if (*gic_prio(g, cpu, irq) < best_prio) {
                best = irq;
                best_prio = *gic_prio(g, cpu, irq);
            }
        }
    }
    return best;
}

/* GICC_HPPIR: the best candidate if it passes the priority mask, 1022 for a Group 1 one
 * without AckCtl (4.4.7; the running priority does not matter here, as in qemu). */
static unsigned gic_hppi(struct gic_state *g, unsigned cpu)
{
    unsigned irq = gic_best(g, cpu);
    if (irq == GIC_SPURIOUS || *gic_prio(g, cpu, irq) >= g->cpu[cpu].pmr)
        return GIC_SPURIOUS;
    if (gic_test(g, cpu, GIC_BM_GROUP, irq) && !(g->cpu[cpu].ctlr & GICC_CTLR_ACK))
        return GIC_SPURIOUS_GRP1;
    return irq;
}

/* A CPU's line: its best candidate passes the mask and preempts the running priority;
 * Group 0 signals FIQ when FIQEn (3.3, 4.4.1). */
static uint32_t gic_compute_line(struct gic_state *g, unsigned cpu)
{
    const struct gic_cpu *c = &g->cpu[cpu];
    unsigned irq = gic_best(g, cpu);
    if (irq == GIC_SPURIOUS || *gic_prio(g, cpu, irq) >= c->pmr ||
        gic_group_prio(g, cpu, irq) >= c->rpr)
        return 0;
    if (!gic_test(g, cpu, GIC_BM_GROUP, irq) && (c->ctlr & GICC_CTLR_FIQEN))
        return GIC_LINE_FIQ;
    return GIC_LINE_IRQ;
}

/* Publishes every CPU's line; returns the CPUs whose line gained a bit. */
static uint32_t gic_update_lines(struct gic_state *g)
{
    uint32_t raised = 0;
    for (unsigned cpu = 0; cpu < g->ncpus; cpu++) {
        _Atomic uint32_t *line = &g->out[cpu].line;
        uint32_t old = atomic_load_explicit(line, memory_order_relaxed);
        uint32_t now = gic_compute_line(g, cpu);
        if (now != old)
            atomic_store_explicit(line, now, memory_order_release);
        if (now & ~old)
            raised |= 1u << cpu;
    }
    return raised;
}

/* ---- CPU interface: acknowledge, priority drop, deactivate ---- */

/* The running priority is the highest active preemption level of either group (3.3,
 * preemption; 4.4.6). */
static void gic_update_rpr(struct gic_cpu *c)
{
    c->rpr = GIC_IDLE_PRIO;
    for (unsigned i = 0; i < GIC_NR_APRS; i++) {
        uint32_t a = c->apr[i] | c->nsapr[i];
        if (a) {
            c->rpr = (i * 32 + (unsigned)__builtin_ctz(a)) << 1;
            return;
        }
    }
}

static void gic_activate(struct gic_state *g, unsigned cpu, unsigned irq)
{
    struct gic_cpu *c = &g->cpu[cpu];
    unsigned level = gic_group_prio(g, cpu, irq) >> 1;
    uint32_t *apr = gic_test(g, cpu, GIC_BM_GROUP, irq) ? c->nsapr : c->apr;
    apr[level / 32] |= 1u << (level % 32);
    gic_update_rpr(c);
    gic_assign(g, cpu, GIC_BM_ACTIVE, irq, true);
}

/* Takes one source of an SGI (the lowest, as qemu); the SGI stays pending from the others. */
static unsigned gic_take_sgi_source(struct gic_state *g, unsigned cpu, unsigned irq)
{
    uint8_t *src = &g->cpu[cpu].sgi_src[irq];
    unsigned from = *src ? (unsigned)__builtin_ctz(*src) : 0;
    *src &= (uint8_t) ~(1u << from);
    if (!*src)
        gic_assign(g, cpu, GIC_BM_LATCH, irq, false);
    return from;
}

/* GICC_IAR (4.4.4): the highest pending interrupt becomes active (active and pending if a
 * level-sensitive line is still high; an SPI stops being pending for every CPU it
 * targets, the 1-N model of 1.4). SGIs carry their source CPU in bits [12:10]. */
static uint32_t gic_acknowledge(struct gic_state *g, unsigned cpu)
{
    unsigned irq = gic_hppi(g, cpu);
    if (irq >= GIC_SPURIOUS_GRP1)
        return irq;
    if (gic_group_prio(g, cpu, irq) >= g->cpu[cpu].rpr)
        return GIC_SPURIOUS;
    gic_activate(g, cpu, irq);
    if (irq < GIC_NR_SGIS)
        return irq | gic_take_sgi_source(g, cpu, irq) << 10;
    gic_assign(g, cpu, GIC_BM_LATCH, irq, false);
    return irq;
}

/* Priority drop (3.2, priority drop and deactivation): clears the highest active level of the
 * interrupt's group. The architecture requires EOIs in the reverse order of acknowledges, so that
 * is the level of the interrupt named; out of order the result is UNPREDICTABLE (here: as qemu). */
static void gic_drop_prio(struct gic_state *g, unsigned cpu, unsigned irq)
{
    struct gic_cpu *c = &g->cpu[cpu];
    uint32_t *apr = gic_test(g, cpu, GIC_BM_GROUP, irq) ? c->nsapr : c->apr;
    for (unsigned i = 0; i < GIC_NR_APRS; i++) {
        if (apr[i]) {
            apr[i] &= apr[i] - 1;
            break;
        }
    }
    gic_update_rpr(c);
}

/* GICC_EOIR (4.4.5): IDs that are no interrupt, and an EOI with nothing active, are
 * ignored; the SGI source bits are not checked (SGI active state is per target). */
static void gic_end_of_interrupt(struct gic_state *g, unsigned cpu, uint32_t value)
{
    unsigned irq = value & 0x3ffu;
    if (irq >= GIC_NR_IRQS || g->cpu[cpu].rpr == GIC_IDLE_PRIO)
        return;
    gic_drop_prio(g, cpu, irq);
    if (!(g->cpu[cpu].ctlr & GICC_CTLR_EOI))
        gic_assign(g, cpu, GIC_BM_ACTIVE, irq, false);
}

/* GICC_DIR (4.4.15): deactivates, only in EOImode 1. */
static enum gic_err gic_deactivate(struct gic_state *g, unsigned cpu, uint32_t value)
{
    unsigned irq = value & 0x3ffu;
    if (irq >= GIC_NR_IRQS)
        return GIC_OK;
    if (!(g->cpu[cpu].ctlr & GICC_CTLR_EOI))
        return GIC_DIR_IGNORED;
    gic_assign(g, cpu, GIC_BM_ACTIVE, irq, false);
    return GIC_OK;
}

/* ---- CPU interface registers (IHI 0048B 4.4), by exact offset ---- */

static uint32_t gicc_ctlr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].ctlr;
}

static enum gic_err gicc_ctlr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    g->cpu[cpu].ctlr = v & GICC_CTLR_MASK;
    return GIC_OK;
}

static uint32_t gicc_pmr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].pmr;
}

static enum gic_err gicc_pmr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    g->cpu[cpu].pmr = v & 0xffu; /* 8 priority bits, as qemu */
    return GIC_OK;
}

static uint32_t gicc_bpr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].bpr;
}

static enum gic_err gicc_bpr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    g->cpu[cpu].bpr = v & 7u; /* minimum 0 with 8 priority bits */
    return GIC_OK;
}

static uint32_t gicc_abpr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].abpr;
}

static enum gic_err gicc_abpr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    g->cpu[cpu].abpr = (v & 7u) < GIC_MIN_ABPR ? GIC_MIN_ABPR : (v & 7u);
    return GIC_OK;
}

static uint32_t gicc_iar_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return gic_acknowledge(g, cpu);
}

static enum gic_err gicc_eoir_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    gic_end_of_interrupt(g, cpu, v);
    return GIC_OK;
}

static uint32_t gicc_rpr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].rpr > 0xffu ? 0xffu : g->cpu[cpu].rpr;
}

static uint32_t gicc_hppir_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return gic_hppi(g, cpu);
}

static uint32_t gicc_apr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].apr[i];
}

/* Writing the APRs moves the running priority (4.4.12); meant for power management. */
static enum gic_err gicc_apr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    g->cpu[cpu].apr[i] = v;
    gic_update_rpr(&g->cpu[cpu]);
    return GIC_OK;
}

static uint32_t gicc_nsapr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return g->cpu[cpu].nsapr[i];
}

static enum gic_err gicc_nsapr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    g->cpu[cpu].nsapr[i] = v;
    gic_update_rpr(&g->cpu[cpu]);
    return GIC_OK;
}

static uint32_t gicc_iidr_rd(struct gic_state *g, unsigned cpu, unsigned i)
{
    return GICC_IIDR;
}

static enum gic_err gicc_dir_wr(struct gic_state *g, unsigned cpu, unsigned i, uint32_t v)
{
    return gic_deactivate(g, cpu, v);
}

struct gicc_reg {
    uint32_t start, end; /* word registers at start, start + 4, ... below end */
    uint32_t (*read)(struct gic_state *g, unsigned cpu, unsigned index);
    enum gic_err (*write)(struct gic_state *g, unsigned cpu, unsigned index, uint32_t v);
};

/* GICC_AIAR, GICC_AEOIR and GICC_AHPPIR (0x20-0x28) are not decoded, as in qemu 7.2. */
static const struct gicc_reg gicc_regs[] = {
    {0x000, 0x004, gicc_ctlr_rd, gicc_ctlr_wr}, {0x004, 0x008, gicc_pmr_rd, gicc_pmr_wr},
    {0x008, 0x00c, gicc_bpr_rd, gicc_bpr_wr},   {0x00c, 0x010, gicc_iar_rd, NULL},
    {0x010, 0x014, NULL, gicc_eoir_wr},         {0x014, 0x018, gicc_rpr_rd, NULL},
    {0x018, 0x01c, gicc_hppir_rd, NULL},        {0x01c, 0x020, gicc_abpr_rd, gicc_abpr_wr},
    {0x0d0, 0x0e0, gicc_apr_rd, gicc_apr_wr},   {0x0e0, 0x0f0, gicc_nsapr_rd, gicc_nsapr_wr},
    {0x0fc, 0x100, gicc_iidr_rd, NULL},         {0x1000, 0x1004, NULL, gicc_dir_wr},
};

static const struct gicc_reg *gicc_find(uint32_t offset)
{
    if (offset & 3u)
        return NULL;
    for (unsigned i = 0; i < sizeof gicc_regs / sizeof gicc_regs[0]; i++) {
        if (offset >= gicc_regs[i].start && offset < gicc_regs[i].end)
            return &gicc_regs[i];
    }
    return NULL;
}

static bool gic_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4;
}

/* ---- the distributor's registers (IHI 0048B 4.3), one byte at a time as in qemu ---- */

static uint8_t gicd_ctlr_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return i == 0 ? (uint8_t)g->ctlr : 0;
}

static enum gic_err gicd_ctlr_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v, int b)
{
    if (i == 0)
        g->ctlr = v & (GICD_CTLR_GRP0 | GICD_CTLR_GRP1);
    return GIC_OK;
}

static uint8_t gicd_typer_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    /* ITLinesNumber, CPUNumber; SecurityExtn 0, LSPI 0 (4.3.2). */
    uint32_t typer = (GIC_NR_IRQS / 32 - 1) | (g->ncpus - 1) << 5;
    return (uint8_t)(typer >> (8 * i));
}

static uint8_t gicd_iidr_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return (uint8_t)(GICD_IIDR >> (8 * i));
}

/* Eight interrupts of bitmap b: byte i of the register block. */
static uint8_t gicd_bits_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return (uint8_t)(*gic_word(g, cpu, b, i * 8) >> (i % 4 * 8));
}

static void gic_bits_change(struct gic_state *g, unsigned cpu, int b, unsigned i, uint8_t set,
                            uint8_t clear)
{
    uint32_t *w = gic_word(g, cpu, b, i * 8);
    unsigned shift = i % 4 * 8;
    *w = (*w & ~((uint32_t)clear << shift)) | (uint32_t)set << shift;
}

static enum gic_err gicd_group_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v, int b)
{
    gic_bits_change(g, cpu, GIC_BM_GROUP, i, v, 0xff);
    return GIC_OK;
}

/* SGIs are always enabled, their ISENABLER/ICENABLER bits RAO/WI, as qemu (4.3.5). */
static enum gic_err gicd_enable_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v,
                                   int set)
{
    if (i * 8 >= GIC_NR_SGIS)
        gic_bits_change(g, cpu, GIC_BM_ENABLED, i, set ? v : 0, set ? 0 : v);
    return GIC_OK;
}

static uint8_t gicd_pending_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return (uint8_t)(gic_pending_word(g, cpu, i * 8) >> (i % 4 * 8));
}

/* ISPENDR/ICPENDR move the latch; a level-sensitive interrupt stays pending while its
 * line is high (4.3.7, 4.3.8). SGI bits are WI: GICD_SPENDSGIR/CPENDSGIR do that. */
static enum gic_err gicd_pending_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v,
                                    int set)
{
    if (i * 8 >= GIC_NR_SGIS)
        gic_bits_change(g, cpu, GIC_BM_LATCH, i, set ? v : 0, set ? 0 : v);
    return GIC_OK;
}

static enum gic_err gicd_active_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v,
                                   int set)
{
    gic_bits_change(g, cpu, GIC_BM_ACTIVE, i, set ? v : 0, set ? 0 : v);
    return GIC_OK;
}

static uint8_t gicd_prio_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return *gic_prio(g, cpu, i);
}

static enum gic_err gicd_prio_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v, int b)
{
    *gic_prio(g, cpu, i) = v;
    return GIC_OK;
}

/* ITARGETSR (4.3.12): RAZ/WI on a uniprocessor GIC; for 0..31 the accessing CPU's own bit,
 * read-only; for SPIs all 8 bits kept, as qemu. */
static uint8_t gicd_target_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    if (g->ncpus == 1)
        return 0;
    return i < GIC_NR_PRIV ? (uint8_t)(1u << cpu) : g->spi_target[i - GIC_NR_PRIV];
}

static enum gic_err gicd_target_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v, int b)
{
    if (g->ncpus == 1 || i < GIC_NR_PRIV)
        return GIC_OK;
    g->spi_target[i - GIC_NR_PRIV] = v;
    gic_route_spi(g, i);
    return GIC_OK;
}

/* ICFGR (4.3.13): two bits an interrupt, bit 1 edge; bit 0 reads 0. SGIs are edge, RO. */
static uint8_t gicd_cfg_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    uint8_t v = 0;
    for (unsigned k = 0; k < 4; k++)
        v |= (uint8_t)(gic_test(g, cpu, GIC_BM_EDGE, i * 4 + k) << (2 * k + 1));
    return v;
}

static enum gic_err gicd_cfg_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v, int b)
{
    if (i * 4 < GIC_NR_SGIS)
        return GIC_OK;
    for (unsigned k = 0; k < 4; k++)
        gic_assign(g, cpu, GIC_BM_EDGE, i * 4 + k, v >> (2 * k + 1) & 1);
    return GIC_OK;
}

/* CPENDSGIR/SPENDSGIR (4.3.16, 4.3.17): byte i is SGI i, bit n its source CPU n. */
static uint8_t gicd_sgi_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return g->cpu[cpu].sgi_src[i];
}

static enum gic_err gicd_sgi_wr(struct gic_state *g, unsigned cpu, unsigned i, uint8_t v, int set)
{
    uint8_t *src = &g->cpu[cpu].sgi_src[i];
    *src = set ? *src | v : *src & (uint8_t)~v;
    gic_assign(g, cpu, GIC_BM_LATCH, i, *src != 0);
    return GIC_OK;
}

static uint8_t gicd_id_rd(struct gic_state *g, unsigned cpu, unsigned i, int b)
{
    return i % 4 ? 0 : gic_id[i / 4];
}

struct gicd_reg {
    uint32_t start, end; /* byte offsets [start, end) */
    uint8_t (*read)(struct gic_state *g, unsigned cpu, unsigned index, int arg);
    enum gic_err (*write)(struct gic_state *g, unsigned cpu, unsigned index, uint8_t v, int arg);
    int rarg; /* for read: the bitmap */
    int warg; /* for write: 1 for a set register, 0 for its clear twin */
};

#define GIC_BYTES_1BIT (GIC_NR_IRQS / 8)
#define GIC_BYTES_2BIT (GIC_NR_IRQS / 4)

/* GICD_SGIR (0xf00) takes only whole-word writes: gic_dist_write handles it first. */
static const struct gicd_reg gicd_regs[] = {
    {0x000, 0x004, gicd_ctlr_rd, gicd_ctlr_wr, 0, 0},
    {0x004, 0x008, gicd_typer_rd, NULL, 0, 0},
    {0x008, 0x00c, gicd_iidr_rd, NULL, 0, 0},
    {0x080, 0x080 + GIC_BYTES_1BIT, gicd_bits_rd, gicd_group_wr, GIC_BM_GROUP, 0},
    {0x100, 0x100 + GIC_BYTES_1BIT, gicd_bits_rd, gicd_enable_wr, GIC_BM_ENABLED, 1},
    {0x180, 0x180 + GIC_BYTES_1BIT, gicd_bits_rd, gicd_enable_wr, GIC_BM_ENABLED, 0},
    {0x200, 0x200 + GIC_BYTES_1BIT, gicd_pending_rd, gicd_pending_wr, 0, 1},
    {0x280, 0x280 + GIC_BYTES_1BIT, gicd_pending_rd, gicd_pending_wr, 0, 0},
    {0x300, 0x300 + GIC_BYTES_1BIT, gicd_bits_rd, gicd_active_wr, GIC_BM_ACTIVE, 1},
    {0x380, 0x380 + GIC_BYTES_1BIT, gicd_bits_rd, gicd_active_wr, GIC_BM_ACTIVE, 0},
    {0x400, 0x400 + GIC_NR_IRQS, gicd_prio_rd, gicd_prio_wr, 0, 0},
    {0x800, 0x800 + GIC_NR_IRQS, gicd_target_rd, gicd_target_wr, 0, 0},
    {0xc00, 0xc00 + GIC_BYTES_2BIT, gicd_cfg_rd, gicd_cfg_wr, 0, 0},
    {0xf00, 0xf04, NULL, NULL, 0, 0},
    {0xf10, 0xf20, gicd_sgi_rd, gicd_sgi_wr, 0, 0},
    {0xf20, 0xf30, gicd_sgi_rd, gicd_sgi_wr, 0, 1},
    {0xfd0, 0x1000, gicd_id_rd, NULL, 0, 0},
};

static const struct gicd_reg *gicd_find(uint32_t offset)
{
    for (unsigned i = 0; i < sizeof gicd_regs / sizeof gicd_regs[0]; i++) {
        if (offset >= gicd_regs[i].start && offset < gicd_regs[i].end)
            return &gicd_regs[i];
    }
    return NULL;
}

static enum gic_err gicd_read_byte(struct gic_state *g, unsigned cpu, uint32_t offset, uint8_t *v)
{
    const struct gicd_reg *r = gicd_find(offset);
    *v = 0;
    if (!r)
        return GIC_BAD_OFFSET;
    if (!r->read)
        return GIC_WRITE_ONLY;
    *v = r->read(g, cpu, offset - r->start, r->rarg);
    return GIC_OK;
}

static enum gic_err gicd_write_byte(struct gic_state *g, unsigned cpu, uint32_t offset, uint8_t v)
{
    const struct gicd_reg *r = gicd_find(offset);
    if (!r)
        return GIC_BAD_OFFSET;
    if (!r->write)
        return r->read ? GIC_READ_ONLY : GIC_BAD_SIZE;
    return r->write(g, cpu, offset - r->start, v, r->warg);
}

/* GICD_SGIR (4.3.15): SGI pending is per (target, source) pair. */
static enum gic_err gicd_sgir_wr(struct gic_state *g, unsigned cpu, uint32_t v)
{
    unsigned irq = v & 0xfu;
    uint32_t all = (1u << g->ncpus) - 1, targets;
    switch (v >> 24 & 3u) {
    case 0: targets = v >> 16 & all; break;
    case 1: targets = all & ~(1u << cpu); break;
    case 2: targets = 1u << cpu; break;
    default: return GIC_SGIR_FILTER;
    }
    for (unsigned t = 0; t < g->ncpus; t++) {
        if (targets >> t & 1) {
            g->cpu[t].sgi_src[irq] |= (uint8_t)(1u << cpu);
            gic_assign(g, t, GIC_BM_LATCH, irq, true);
        }
    }
    return GIC_OK;
}

/* ---- entry points ---- */

static void gic_log(const char *what, enum gic_err err, unsigned cpu, uint32_t offset,
                    unsigned size, uint32_t value)
{
    if (err != GIC_OK)
        log_item(LOG_GUEST_ERRORS, "gic: cpu%u %s at offset 0x%03x, %u bytes, value 0x%x: %s", cpu,
                 what, offset, size, value, gic_err_text[err]);
}

/* A multi-byte distributor access is its bytes, each decoded alone as qemu does: the
 * good ones take effect, the first bad one is logged. */
static enum gic_err gic_first_err(enum gic_err first, enum gic_err now)
{
    return first != GIC_OK ? first : now;
}

static void gic_check(struct gic_state *g, unsigned cpu)
{
    assert(g->version == GIC_LAYOUT_VERSION);
    assert(cpu < g->ncpus);
}

uint32_t gic_dist_read(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                       unsigned size, uint32_t *value)
{
    enum gic_err err = gic_size_ok(size) ? GIC_OK : GIC_BAD_SIZE;
    gic_check(g, cpu);
    *value = 0;
    gic_lock(g, who);
    for (unsigned i = 0; err != GIC_BAD_SIZE && i < size; i++) {
        uint8_t b;
        err = gic_first_err(err, gicd_read_byte(g, cpu, offset + i, &b));
        *value |= (uint32_t)b << (8 * i);
    }
    gic_unlock(g);
    gic_log("distributor read", err, cpu, offset, size, *value);
    return 0; /* reads change no distributor state */
}

uint32_t gic_dist_write(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                        unsigned size, uint32_t value)
{
    enum gic_err err = gic_size_ok(size) ? GIC_OK : GIC_BAD_SIZE;
    gic_check(g, cpu);
    gic_lock(g, who);
    if (err == GIC_OK && offset == 0xf00 && size == 4) {
        err = gicd_sgir_wr(g, cpu, value);
    } else {
        for (unsigned i = 0; err != GIC_BAD_SIZE && i < size; i++)
            err = gic_first_err(err,
                                gicd_write_byte(g, cpu, offset + i, (uint8_t)(value >> (8 * i))));
    }
    uint32_t raised = gic_update_lines(g);
    gic_unlock(g);
    gic_log("distributor write", err, cpu, offset, size, value);
    return raised;
}

uint32_t gic_cpu_read(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                      unsigned size, uint32_t *value)
{
    const struct gicc_reg *r = gicc_find(offset);
    enum gic_err err = !gic_size_ok(size) ? GIC_BAD_SIZE
                       : !r               ? GIC_BAD_OFFSET
                       : !r->read         ? GIC_WRITE_ONLY
                                          : GIC_OK;
    uint32_t raised = 0;
    gic_check(g, cpu);
    *value = 0;
    if (err == GIC_OK) {
        gic_lock(g, who);
        *value = r->read(g, cpu, (offset - r->start) / 4);
        raised = gic_update_lines(g);
        gic_unlock(g);
        if (size < 4)
            *value &= (1u << (8 * size)) - 1;
    }
    gic_log("CPU interface read", err, cpu, offset, size, *value);
    return raised;
}

uint32_t gic_cpu_write(struct gic_state *g, unsigned who, unsigned cpu, uint32_t offset,
                       unsigned size, uint32_t value)
{
    const struct gicc_reg *r = gicc_find(offset);
    enum gic_err err = !gic_size_ok(size) ? GIC_BAD_SIZE
                       : !r               ? GIC_BAD_OFFSET
                       : !r->write        ? GIC_READ_ONLY
                                          : GIC_OK;
    uint32_t raised = 0;
    gic_check(g, cpu);
    if (err == GIC_OK) {
        if (size < 4)
            value &= (1u << (8 * size)) - 1;
        gic_lock(g, who);
        err = r->write(g, cpu, (offset - r->start) / 4, value);
        raised = gic_update_lines(g);
        gic_unlock(g);
    }
    gic_log("CPU interface write", err, cpu, offset, size, value);
    return raised;
}

/* An input line: a rising edge latches an edge-triggered interrupt (IHI 0048B 3.2). */
/* The line change, under the lock the caller holds. */
static uint32_t gic_set_line_locked(struct gic_state *g, unsigned cpu, unsigned irq, bool level)
{
    if (gic_test(g, cpu, GIC_BM_LEVEL, irq) != level) {
        gic_assign(g, cpu, GIC_BM_LEVEL, irq, level);
        if (level && gic_test(g, cpu, GIC_BM_EDGE, irq))
            gic_assign(g, cpu, GIC_BM_LATCH, irq, true);
    }
    return gic_update_lines(g);
}

static uint32_t gic_set_line(struct gic_state *g, unsigned who, unsigned cpu, unsigned irq,
                             bool level)
{
    gic_lock(g, who);
    uint32_t raised = gic_set_line_locked(g, cpu, irq, level);
    gic_unlock(g);
    return raised;
}

bool gic_try_set_spi(struct gic_state *g, unsigned who, unsigned intid, bool level,
                     uint32_t *raised)
{
    assert(intid >= GIC_NR_PRIV && intid < GIC_NR_IRQS);
    gic_check(g, 0);
    if (!gic_lock_for(g, who, GIC_TRY_SPINS))
        return false;
    *raised = gic_set_line_locked(g, 0, intid, level);
    gic_unlock(g);
    return true;
}

uint32_t gic_set_spi(struct gic_state *g, unsigned who, unsigned intid, bool level)
{
    assert(intid >= GIC_NR_PRIV && intid < GIC_NR_IRQS);
    gic_check(g, 0);
    return gic_set_line(g, who, 0, intid, level);
}

uint32_t gic_set_ppi(struct gic_state *g, unsigned who, unsigned cpu, unsigned intid, bool level)
{
    assert(intid >= GIC_NR_SGIS && intid < GIC_NR_PRIV);
    gic_check(g, cpu);
    return gic_set_line(g, who, cpu, intid, level);
}

/* qemu 7.2's reset: everything 0 (Group 0, disabled, priority 0, level-sensitive, PMR 0
 * masking everything), SGIs enabled and edge, ABPR at its minimum 1, idle priority. */
void gic_reset(struct gic_state *g, unsigned ncpus)
{
    assert(ncpus >= 1 && ncpus <= GIC_MAX_CPUS);
    memset(g, 0, sizeof *g);
    g->version = GIC_LAYOUT_VERSION;
    g->ncpus = ncpus;
    for (unsigned c = 0; c < GIC_MAX_CPUS; c++) {
        struct gic_cpu *cpu = &g->cpu[c];
        cpu->bits[GIC_BM_ENABLED] = cpu->bits[GIC_BM_EDGE] = (1u << GIC_NR_SGIS) - 1;
        cpu->abpr = GIC_MIN_ABPR;
        cpu->rpr = GIC_IDLE_PRIO;
    }
    for (unsigned irq = GIC_NR_PRIV; irq < GIC_NR_IRQS; irq++)
        gic_route_spi(g, irq);
}

/* Recomputes what is derived from other state, so that a holder's death between the two
 * leaves nothing inconsistent behind. */
static void gic_repair(struct gic_state *g)
{
    for (unsigned c = 0; c < g->ncpus; c++) {
        for (unsigned irq = 0; irq < GIC_NR_SGIS; irq++)
            gic_assign(g, c, GIC_BM_LATCH, irq, g->cpu[c].sgi_src[irq] != 0);
        gic_update_rpr(&g->cpu[c]);
    }
    for (unsigned irq = GIC_NR_PRIV; irq < GIC_NR_IRQS; irq++)
        gic_route_spi(g, irq);
}

void gic_lock_recover(struct gic_state *g, unsigned dead)
{
    uint32_t expected = dead + 1;
    assert(dead <= GIC_WHO_COORD);
    /* Take the lock over in one step, so no one sees the half-done state unrepaired. */
    if (!atomic_compare_exchange_strong_explicit(&g->lock, &expected, GIC_WHO_COORD + 1,
                                                 memory_order_acquire, memory_order_relaxed))
        return;
    log_item(LOG_SUP, "gic: lock of dead owner %u recovered", dead);
    gic_repair(g);
    gic_update_lines(g);
    gic_unlock(g);
}

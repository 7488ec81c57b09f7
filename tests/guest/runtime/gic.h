/*
 * The virt board's GICv2 (ARM IHI 0048B): the distributor at 0x08000000 and the CPU
 * interface at 0x08010000, their registers, a few helpers, and an IRQ dispatcher on the
 * runtime's EXC_IRQ hook.
 *
 * Everything stays in Group 0 (the reset state), which the CPU interface signals as IRQ
 * while GICC_CTLR.FIQEn = 0. SGIs (INTID 0-15) and PPIs (16-31) are banked per CPU:
 * each CPU enables and prioritises its own.
 */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include <stdint.h>

#define GICD_BASE 0x08000000u
#define GICC_BASE 0x08010000u

#define GICD_CTLR       0x000u
#define GICD_TYPER      0x004u
#define GICD_IIDR       0x008u
#define GICD_IGROUPR    0x080u
#define GICD_ISENABLER  0x100u
#define GICD_ICENABLER  0x180u
#define GICD_ISPENDR    0x200u
#define GICD_ICPENDR    0x280u
#define GICD_ISACTIVER  0x300u
#define GICD_ICACTIVER  0x380u
#define GICD_IPRIORITYR 0x400u
#define GICD_ITARGETSR  0x800u
#define GICD_ICFGR      0xc00u
#define GICD_SGIR       0xf00u
#define GICD_CPENDSGIR  0xf10u
#define GICD_SPENDSGIR  0xf20u

#define GICC_CTLR  0x00u
#define GICC_PMR   0x04u
#define GICC_BPR   0x08u
#define GICC_IAR   0x0cu
#define GICC_EOIR  0x10u
#define GICC_RPR   0x14u
#define GICC_HPPIR 0x18u
#define GICC_ABPR  0x1cu
#define GICC_IIDR  0xfcu

#define GIC_SPURIOUS     1023u
#define GIC_MAX_INTID    1020u
#define GIC_IAR_ID(iar)  ((iar)&0x3ffu)
#define GIC_IAR_CPU(iar) (((iar) >> 10) & 7u) /* the source CPU of an SGI */

/* GICD_SGIR.TargetListFilter */
#define GIC_SGI_LIST   0u /* the CPUs in the target list */
#define GIC_SGI_OTHERS 1u /* every CPU but the one that writes */
#define GIC_SGI_SELF   2u /* only the one that writes */

static inline volatile uint32_t *gicd(uint32_t off)
{
    return (volatile uint32_t *)(GICD_BASE + off);
}
static inline volatile uint32_t *gicc(uint32_t off)
{
    return (volatile uint32_t *)(GICC_BASE + off);
}

/* The bit of INTID id in a one-bit-per-interrupt register bank (ISENABLER, ...). */
static inline int gic_test_bit(uint32_t reg, uint32_t id)
{
    return (*gicd(reg + 4 * (id / 32)) >> (id % 32)) & 1;
}
static inline void gic_write_bit(uint32_t reg, uint32_t id)
{
    *gicd(reg + 4 * (id / 32)) = 1u << (id % 32);
}

/* CPU 0, once: the distributor off, every SPI disabled, inactive, not pending,
   priority 0xa0 and targeted at CPU 0, the distributor on. */
void gic_init_dist(void);
/* Every CPU: its SGIs and PPIs disabled, inactive, not pending, priority 0xa0;
   GICC_PMR 0xff (nothing masked), GICC_BPR 3 (group priority bits [7:4]), the CPU
   interface on. */
void gic_init_cpu(void);

static inline void gic_enable(uint32_t id)
{
    gic_write_bit(GICD_ISENABLER, id);
}
static inline void gic_disable(uint32_t id)
{
    gic_write_bit(GICD_ICENABLER, id);
}
static inline void gic_set_pending(uint32_t id)
{
    gic_write_bit(GICD_ISPENDR, id);
}
static inline void gic_clear_pending(uint32_t id)
{
    gic_write_bit(GICD_ICPENDR, id);
}
static inline int gic_pending(uint32_t id)
{
    return gic_test_bit(GICD_ISPENDR, id);
}
static inline int gic_active(uint32_t id)
{
    return gic_test_bit(GICD_ISACTIVER, id);
}
static inline int gic_enabled(uint32_t id)
{
    return gic_test_bit(GICD_ISENABLER, id);
}

/* One byte of IPRIORITYR / ITARGETSR, and the two bits of ICFGR, changed by a word
   read-modify-write. */
void gic_set_priority(uint32_t id, uint32_t prio);
uint32_t gic_priority(uint32_t id);
void gic_set_target(uint32_t id, uint32_t cpumask);
void gic_set_edge(uint32_t id, int edge); /* 1: edge-triggered, 0: level-sensitive */

/* GICD_SGIR: filter is GIC_SGI_LIST (to the CPUs in targets), _OTHERS or _SELF. */
static inline void gic_send_sgi(uint32_t id, uint32_t filter, uint32_t targets)
{
    __asm__ volatile("dsb" ::: "memory"); /* what the receiver reads is written first */
    *gicd(GICD_SGIR) = filter << 24 | (targets & 0xffu) << 16 | (id & 0xfu);
}

static inline uint32_t gic_ack(void)
{
    return *gicc(GICC_IAR);
}
static inline void gic_eoi(uint32_t iar)
{
    *gicc(GICC_EOIR) = iar;
}

/*
 * The IRQ dispatcher: irq_init() installs it as the EXC_IRQ hook. It acknowledges
 * (GICC_IAR), calls the handler of the INTID with the IAR value, then writes that value
 * to GICC_EOIR. A spurious acknowledge (1023) is counted in irq_spurious[cpu] and
 * nothing else; an INTID without a handler is reported as unexpected (power off).
 */
typedef void (*irq_handler)(uint32_t iar);
void irq_init(void);
void irq_set_handler(uint32_t id, irq_handler h);
extern volatile uint32_t irq_spurious[8];

/*
 * From a handler (IRQ mode, IRQs masked): runs fn(arg) in System mode with IRQs
 * unmasked, so that an interrupt of higher priority than the one being handled can be
 * taken while fn runs; returns in IRQ mode, IRQs masked. (Unmasking IRQs in IRQ mode
 * itself would let the nested exception overwrite LR_irq while it is in use.) The
 * System mode stack and r14 are saved and restored around fn.
 */
void irq_call_nested(void (*fn)(uint32_t), uint32_t arg);

#endif

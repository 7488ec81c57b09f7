/* System registers, barriers and maintenance operations of ARMv7-A (CP15). */
#ifndef GUEST_ARM_H
#define GUEST_ARM_H

#include <stdint.h>

#define MODE_USR  0x10u
#define MODE_FIQ  0x11u
#define MODE_IRQ  0x12u
#define MODE_SVC  0x13u
#define MODE_ABT  0x17u
#define MODE_UND  0x1bu
#define MODE_SYS  0x1fu
#define MODE_MASK 0x1fu

#define PSR_N (1u << 31)
#define PSR_Z (1u << 30)
#define PSR_C (1u << 29)
#define PSR_V (1u << 28)
#define PSR_Q (1u << 27)
#define PSR_E (1u << 9)
#define PSR_A (1u << 8)
#define PSR_I (1u << 7)
#define PSR_F (1u << 6)
#define PSR_T (1u << 5)

#define SCTLR_M (1u << 0)
#define SCTLR_A (1u << 1)
#define SCTLR_C (1u << 2)
#define SCTLR_I (1u << 12)
#define SCTLR_V (1u << 13)

/* CP15 register accessors: CP15_READ(0, c0, c0, 0) is MIDR. */
#define CP15_READ(op1, crn, crm, op2)                                                              \
    ({                                                                                             \
        uint32_t v_;                                                                               \
        __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(v_));           \
        v_;                                                                                        \
    })
#define CP15_WRITE(op1, crn, crm, op2, v)                                                          \
    __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 ::"r"((uint32_t)(v))       \
                     : "memory")

static inline uint32_t read_midr(void)
{
    return CP15_READ(0, c0, c0, 0);
}
static inline uint32_t read_mpidr(void)
{
    return CP15_READ(0, c0, c0, 5);
}
static inline uint32_t read_sctlr(void)
{
    return CP15_READ(0, c1, c0, 0);
}
static inline void write_sctlr(uint32_t v)
{
    CP15_WRITE(0, c1, c0, 0, v);
    __asm__ volatile("isb" ::: "memory");
}
static inline uint32_t read_dfsr(void)
{
    return CP15_READ(0, c5, c0, 0);
}
static inline uint32_t read_ifsr(void)
{
    return CP15_READ(0, c5, c0, 1);
}
static inline uint32_t read_dfar(void)
{
    return CP15_READ(0, c6, c0, 0);
}
static inline uint32_t read_ifar(void)
{
    return CP15_READ(0, c6, c0, 2);
}
static inline uint32_t read_cpacr(void)
{
    return CP15_READ(0, c1, c0, 2);
}
static inline void write_cpacr(uint32_t v)
{
    CP15_WRITE(0, c1, c0, 2, v);
    __asm__ volatile("isb" ::: "memory");
}

static inline uint32_t read_cpsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, cpsr" : "=r"(v));
    return v;
}

/* Barriers and hints, each a compiler barrier too: dsb(), isb(), dmb(), wfi(), wfe(),
   sev(). */
#define ARM_INSN_FN(name)                                                                          \
    static inline void name(void)                                                                  \
    {                                                                                              \
        __asm__ volatile(#name ::: "memory");                                                      \
    }
ARM_INSN_FN(dsb)
ARM_INSN_FN(isb)
ARM_INSN_FN(dmb)
ARM_INSN_FN(wfi)
ARM_INSN_FN(wfe)
ARM_INSN_FN(sev)
#undef ARM_INSN_FN

/* CPSR.I: IRQs masked at the CPU. irq_unmask() ends with an ISB, so that the change is
   in effect for the code after it (an IRQ that the CPU sees pending is taken then). */
static inline void irq_mask(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
}
static inline void irq_unmask(void)
{
    __asm__ volatile("cpsie i\n\tisb" ::: "memory");
}

/* Cache and branch-predictor maintenance (ARM ARM B4.2.1, c7). */
static inline void dccmvau(const void *va) /* clean D line by VA to PoU */
{
    CP15_WRITE(0, c7, c11, 1, (uint32_t)va);
}
static inline void iciallu(void) /* invalidate all I-cache to PoU */
{
    CP15_WRITE(0, c7, c5, 0, 0);
}
static inline void icimvau(const void *va) /* invalidate I line by VA to PoU */
{
    CP15_WRITE(0, c7, c5, 1, (uint32_t)va);
}
static inline void bpiall(void) /* invalidate all branch predictors */
{
    CP15_WRITE(0, c7, c5, 6, 0);
}

#endif

/*
 * The generic timer (ARM ARM DDI 0406C, chapter B8): the counter frequency, the
 * physical and virtual counts (64-bit, read with MRRC) and the two PL1 timers, each with
 * its control, 64-bit compare value (MCRR/MRRC) and signed 32-bit timer value.
 *
 * A read of a count may be performed early (out of order): the reads here are preceded
 * by an ISB so that they happen after the code before them. Without EL2 (the virt board
 * as qemu-system-arm gives it) CNTVOFF is 0, so the virtual count equals the physical one.
 */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include <stdint.h>
#include "arm.h"

/* The timers' PPIs on the virt board, as GIC INTIDs (PPI + 16). */
#define TIMER_VIRT_INTID 27
#define TIMER_PHYS_INTID 30 /* the Non-secure physical timer */

/* CNTP_CTL / CNTV_CTL */
#define TIMER_ENABLE  (1u << 0)
#define TIMER_IMASK   (1u << 1)
#define TIMER_ISTATUS (1u << 2) /* read-only: the timer condition is met */

enum timer_which { TIMER_PHYS, TIMER_VIRT };

static inline uint32_t timer_cntfrq(void)
{
    return CP15_READ(0, c14, c0, 0);
}

static inline uint64_t timer_cntpct(void)
{
    uint32_t lo, hi;

    __asm__ volatile("isb\n\tmrrc p15, 0, %0, %1, c14" : "=r"(lo), "=r"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t timer_cntvct(void)
{
    uint32_t lo, hi;

    __asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
}

/* A 32-bit register of timer t: (c14, c3, op2) for the virtual one, (c14, c2, op2) for
   the physical one. A write is followed by an ISB. */
#define TIMER_READ(t, op2)                                                                         \
    ((t) == TIMER_VIRT ? CP15_READ(0, c14, c3, op2) : CP15_READ(0, c14, c2, op2))
#define TIMER_WRITE(t, op2, v)                                                                     \
    do {                                                                                           \
        if ((t) == TIMER_VIRT)                                                                     \
            CP15_WRITE(0, c14, c3, op2, v);                                                        \
        else                                                                                       \
            CP15_WRITE(0, c14, c2, op2, v);                                                        \
        isb();                                                                                     \
    } while (0)

static inline uint32_t timer_ctl(enum timer_which t)
{
    return TIMER_READ(t, 1);
}

static inline void timer_set_ctl(enum timer_which t, uint32_t v)
{
    TIMER_WRITE(t, 1, v);
}

/* The timer value: CVAL - count, as a signed 32-bit number. Writing it sets
   CVAL = count + sign-extended value. */
static inline int32_t timer_tval(enum timer_which t)
{
    isb();
    return (int32_t)TIMER_READ(t, 0);
}

static inline void timer_set_tval(enum timer_which t, int32_t v)
{
    TIMER_WRITE(t, 0, v);
}

static inline uint64_t timer_cval(enum timer_which t)
{
    uint32_t lo, hi;

    if (t == TIMER_VIRT)
        __asm__ volatile("mrrc p15, 3, %0, %1, c14" : "=r"(lo), "=r"(hi));
    else
        __asm__ volatile("mrrc p15, 2, %0, %1, c14" : "=r"(lo), "=r"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void timer_set_cval(enum timer_which t, uint64_t v)
{
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);

    if (t == TIMER_VIRT)
        __asm__ volatile("mcrr p15, 3, %0, %1, c14" ::"r"(lo), "r"(hi) : "memory");
    else
        __asm__ volatile("mcrr p15, 2, %0, %1, c14" ::"r"(lo), "r"(hi) : "memory");
    isb();
}

/* Deadlines on the virtual count, for bounded waits: now + ms milliseconds. */
static inline uint64_t timer_deadline_ms(uint32_t ms)
{
    return timer_cntvct() + (uint64_t)ms * (timer_cntfrq() / 1000u);
}

static inline int timer_passed(uint64_t deadline)
{
    return timer_cntvct() >= deadline;
}

/* Busy-waits for ms milliseconds of the virtual count. */
static inline void timer_delay_ms(uint32_t ms)
{
    uint64_t d = timer_deadline_ms(ms);

    while (!timer_passed(d))
        ;
}

/*
 * Spins (IRQs as they are) until cond is true or ms milliseconds of the virtual count
 * have passed; the value is cond's last value (non-zero: it came true in time). A
 * deadline only turns a hang into a failure: it never decides a correct result.
 */
#define WAIT_UNTIL(cond, ms)                                                                       \
    ({                                                                                             \
        uint64_t wait_deadline_ = timer_deadline_ms(ms);                                           \
        int wait_ok_;                                                                              \
        while (!(wait_ok_ = !!(cond)) && !timer_passed(wait_deadline_))                            \
            ;                                                                                      \
        wait_ok_;                                                                                  \
    })

#endif

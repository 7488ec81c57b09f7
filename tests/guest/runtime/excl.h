/*
 * The exclusive-access instructions one at a time (ARM ARM DDI 0406C, A3.4
 * "Synchronization and semaphores"; A8.8.75 LDREX, A8.8.210 STREX, CLREX), for
 * tests that put other work between a Load-Exclusive and its Store-Exclusive. Each is a
 * compiler barrier. The compiler may place its own loads and stores between two of
 * them, which can only make a Store-Exclusive fail: a loop that must make progress is
 * better written as one asm statement (as atomic_add in smp.h is).
 */
#ifndef GUEST_EXCL_H
#define GUEST_EXCL_H

#include <stdint.h>

/* LDREX: loads *p and marks its address for exclusive access. */
static inline uint32_t ldrex(volatile uint32_t *p)
{
    uint32_t v;

    __asm__ volatile("ldrex	%0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

/* STREX: stores v to *p if the monitors allow it; the status, 0 if it stored, 1 if not. */
static inline uint32_t strex(volatile uint32_t *p, uint32_t v)
{
    uint32_t status;

    __asm__ volatile("strex	%0, %2, [%1]" : "=&r"(status) : "r"(p), "r"(v) : "memory");
    return status;
}

/* CLREX: the local monitor back to Open Access. */
static inline void clrex(void)
{
    __asm__ volatile("clrex" ::: "memory");
}

/*
 * A hand-off between a LDREX and its STREX, in one asm statement (no compiler access
 * between them): LDREX *x (the value read goes to *loaded); DSB; *sig = sigval (to
 * start another CPU, or an interrupt); then polls *flag until it equals want, at most
 * *polls times (*polls is left 0 if it never did); DMB; STREX v to *x. Returns the
 * STREX status. What another CPU or a handler did between the LDREX and the STREX is
 * ordered before the STREX: it wrote *flag after its own stores and a barrier.
 */
static inline uint32_t ldrex_handoff_strex(volatile uint32_t *x, uint32_t v, volatile uint32_t *sig,
                                           uint32_t sigval, volatile uint32_t *flag, uint32_t want,
                                           uint32_t *polls, uint32_t *loaded)
{
    uint32_t status, seen, left = *polls, old;

    __asm__ volatile("ldrex	%1, [%4]\n\t"
                     "dsb\n\t"
                     "str	%5, [%6]\n"
                     "1:	ldr	%2, [%7]\n\t"
                     "cmp	%2, %8\n\t"
                     "beq	2f\n\t"
                     "subs	%3, %3, #1\n\t"
                     "bne	1b\n"
                     "2:	dmb\n\t"
                     "strex	%0, %9, [%4]"
                     : "=&r"(status), "=&r"(old), "=&r"(seen), "+r"(left)
                     : "r"(x), "r"(sigval), "r"(sig), "r"(flag), "r"(want), "r"(v)
                     : "cc", "memory");
    *polls = left;
    *loaded = old;
    return status;
}

#endif

/* A flat (VA == PA) short-descriptor translation table of 1 MiB sections. */
#ifndef GUEST_MMU_H
#define GUEST_MMU_H

#include <stdint.h>

/*
 * Turns the MMU on with every address mapped to itself, read/write at PL0 and PL1:
 * 0x00000000-0x3fffffff (flash and devices) as Device, execute-never;
 * 0x40000000-0xffffffff (RAM and above) as Normal, non-cacheable (so that no cache
 * maintenance is ever needed). TTBCR = 0, every domain Client, TEX remap and the
 * access flag off. The caches stay off.
 */
void mmu_enable_flat(void);
/* The same map with RAM Shareable, for memory that several CPUs use: what exclusive
   accesses (LDREX/STREX) between CPUs need (they are UNPREDICTABLE on the
   Strongly-ordered memory that every data access is with the MMU off). */
void mmu_enable_flat_shared(void);
/* Turns this CPU's MMU on with the table that one of the above built (on another CPU). */
void mmu_enable_cpu(void);
void mmu_disable(void);
/* The table the above build (4096 first-level entries, one per MiB): tests that change
   a mapping edit it, then do the TLB maintenance themselves. */
volatile uint32_t *mmu_table(void);

#endif

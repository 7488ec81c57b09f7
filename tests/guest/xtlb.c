/*
 * xtlb: one core changes a translation another core uses (ARM ARM DDI 0406C, B3.10.1
 * "General TLB maintenance requirements", B3.10.3 and B2.2.6 on broadcast maintenance
 * completing at a DSB). Run with -smp 2.
 *
 * Virtual section 0x80000000 maps, in turn, the physical sections 0x46000000 and
 * 0x46100000 (RAM). Each round CPU 0 writes the round's number into the section that
 * is not mapped, rewrites the first-level entry to map it, and follows the sequence
 * for a translation other cores use:
 *     STR entry; DSB; TLBIMVAIS va; DSB; ISB; DMB; flag
 * CPU 1, which reads through 0x80000000 in every round (so its TLB holds the old
 * translation), waits for the flag, executes DMB and ISB, and reads again: it must see
 * the new section's value every time. Without the broadcast invalidation it may keep
 * the old translation, which percore's TLB does (the test fails if the broadcast is
 * dropped).
 */
#include "guest.h"

#define ROUNDS 500
#define VA     0x80000000u
#define PA_A   0x46000000u
#define PA_B   0x46100000u

static volatile uint32_t flag, seen, wrong;
static struct smp_barrier barrier;

static void tlbimvais(uint32_t va)
{
    CP15_WRITE(0, c8, c3, 1, va);
}

static void map(uint32_t pa)
{
    volatile uint32_t *t = mmu_table();
    t[VA >> 20] = pa | (t[pa >> 20] & 0xfffffu); /* pa's own attributes */
    dsb();
    tlbimvais(VA);
    dsb();
    isb();
}

static void reader(uint32_t context)
{
    volatile uint32_t *p = (volatile uint32_t *)VA;
    smp_barrier_wait(&barrier, 2);
    for (uint32_t k = 1; k <= ROUNDS; k++) {
        (void)*p; /* the old translation, into the TLB */
        while (flag != k)
            ;
        dmb();
        isb();
        if (*p != k)
            wrong++;
        dmb();
        seen = k;
    }
}

int main(void)
{
    smp_init();
    map(PA_A);
    *(volatile uint32_t *)PA_A = 0;
    if (smp_start(1, reader, 0) != 0) {
        printf("xtlb: CPU 1 did not start (run with -smp 2)\n");
        return 1;
    }
    smp_barrier_wait(&barrier, 2);
    printf("xtlb: CPU 0 remaps a section CPU 1 reads through, %u rounds\n", ROUNDS);
    for (uint32_t k = 1; k <= ROUNDS; k++) {
        uint32_t pa = (k & 1) ? PA_B : PA_A;
        *(volatile uint32_t *)pa = k;
        map(pa);
        dmb();
        flag = k;
        while (seen != k)
            ;
    }
    printf("STR; DSB; TLBIMVAIS; DSB; ISB; flag / DMB; ISB: old translation used %u of %u\n", wrong,
           ROUNDS);
    return 0;
}

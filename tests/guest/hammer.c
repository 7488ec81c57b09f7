/*
 * hammer: every CPU works the cross-CPU protocols at once — LDREX/STREX on one word,
 * plain stores to the same granule, TLBIALLIS and ICIALLUIS each followed by a DSB —
 * and CPU 0 finishes on its own: it waits for nobody. Run with -smp 4.
 *
 * Under qemu and percore it prints the same two lines. tests/system/coherence.sh also
 * runs it under percore while killing vCPU processes in the middle (percore's
 * --on-core-crash=halt keeps the machine going): CPU 0 must still finish, so a dead
 * vCPU must not keep an exclusive-monitor bucket, a DSB or a stop-the-world waiting.
 * ARM ARM DDI 0406C: A3.4 (exclusives), B2.2.6 and B3.10.3 (broadcast maintenance).
 */
#include "guest.h"

#define OWN 2000000u

static volatile uint32_t word __attribute__((aligned(64)));
static volatile uint32_t neighbour[15]; /* the rest of word's 64-byte granule */

static void round_of_work(uint32_t i)
{
    atomic_add_relaxed(&word, 1);
    neighbour[i % 15] = i; /* a plain store in the marked granule */
    if ((i & 255) == 0) {
        CP15_WRITE(0, c8, c3, 0, 0); /* TLBIALLIS */
        dsb();
    }
    if ((i & 1023) == 0) {
        CP15_WRITE(0, c7, c1, 0, 0); /* ICIALLUIS */
        dsb();
        isb();
    }
}

static void worker(uint32_t context)
{
    for (uint32_t i = 1;; i++)
        round_of_work(i);
}

int main(void)
{
    smp_init();
    unsigned n = smp_start_all(worker, 0);
    printf("hammer: %u cpus\n", n);
    for (uint32_t i = 1; i <= OWN; i++)
        round_of_work(i);
    printf("cpu 0 done: %u increments of its own\n", OWN);
    return 0;
}

/*
 * restart: every CPU counts with LDREX/ADD/STREX on one shared word and keeps its own
 * count of the increments it made, in a loop written so that a vCPU process killed at
 * any moment and restarted from the control region (percore --on-core-crash=restart,
 * docs/operations.md) leaves the program able to finish. Run with -smp 4.
 *
 * A restarted vCPU goes on from the start of the block it was killed in, with the
 * registers that block had already written (the control region is exact at block
 * boundaries only). So each block of the loop below is written to be re-run safely:
 * every register it reads it either reloads from memory or never writes (the pointers),
 * and nothing it writes feeds its own inputs ("add r12, r1, #1", not "add r1, r1, #1").
 * One re-run is not harmless, and it is the residual inexactness tests/system/recovery.sh
 * tolerates: a kill after the STREX succeeded and before its block ended makes the
 * block run again, and the shared word counts that increment twice (at most once per
 * kill). Everything else must come out exact: each CPU's own count is N, and it is
 * stored after the increment, so the shared word is never below the sum.
 *
 * Secondaries only mark themselves ready (plain stores, safe to re-run) and count;
 * CPU 0 waits for the counts with plain loads, not a barrier, since a re-run atomic
 * increment would miscount one. Under qemu, and under percore with no kill, the shared
 * word is exactly the sum. ARM ARM DDI 0406C A3.4 (exclusives).
 */
#include "guest.h"

#define N 5000000u

static volatile uint32_t total __attribute__((aligned(64)));
/* Each CPU's count and ready flag in a granule of its own. */
static volatile struct {
    uint32_t done, ready;
} __attribute__((aligned(64))) own[SMP_MAX_CPUS];

/* Counts own->done up to N, adding 1 to total for each (blocks end at each branch). */
static void count(volatile uint32_t *done)
{
    __asm__ volatile("1:	ldr	r1, [%0]\n\t"
                     "cmp	r1, %2\n\t"
                     "bhs	3f\n"
                     "2:	ldrex	r2, [%1]\n\t"
                     "add	r2, r2, #1\n\t"
                     "strex	r3, r2, [%1]\n\t"
                     "cmp	r3, #0\n\t"
                     "bne	2b\n\t"
                     "add	r12, r1, #1\n\t"
                     "str	r12, [%0]\n\t"
                     "b	1b\n"
                     "3:\n"
                     :
                     : "r"(done), "r"(&total), "r"(N)
                     : "r1", "r2", "r3", "r12", "cc", "memory");
}

static void worker(uint32_t context)
{
    unsigned cpu = smp_cpu_id();
    own[cpu].ready = 1;
    count(&own[cpu].done);
}

int main(void)
{
    smp_init();
    unsigned n = smp_start_all(worker, 0);
    printf("restart: %u cpus\n", n);
    for (unsigned i = 1; i < n; i++)
        while (!own[i].ready)
            ;
    printf("counting\n");
    own[0].ready = 1;
    count(&own[0].done);
    uint32_t sum = 0;
    for (unsigned i = 0; i < n; i++) {
        while (own[i].done < N)
            ;
        sum += own[i].done;
    }
    dmb();
    for (unsigned i = 0; i < n; i++)
        printf("cpu %u: %u increments\n", i, own[i].done);
    uint32_t t = total;
    if (t == sum)
        printf("shared word: %u, the sum of the CPUs' counts\n", t);
    else if (t > sum)
        printf("shared word: %u, %u above the sum of the CPUs' counts\n", t, t - sum);
    else
        printf("shared word: %u, %u BELOW the sum of the CPUs' counts: increments lost\n", t,
               sum - t);
    return 0;
}

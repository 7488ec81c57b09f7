/*
 * Shared helpers of the CPU benchmark guests (bench/guest/): a PRNG, the scale knob,
 * and the one result line each guest prints. Built with the guest runtime of
 * tests/guest/runtime/ (ARM state, soft float, no libc); see bench/README.md.
 */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#include "guest.h"

/*
 * Every guest repeats its kernel BENCH_ROUNDS times; the default of each program sizes
 * it to about a second under qemu-system-arm 7.2 on a current x86-64 host. Override
 * with `make bench-guests BENCH_GUEST_DEFS=-DBENCH_ROUNDS=n` (the checksums change).
 */

/* xorshift32 (Marsaglia): a deterministic stream that any model can reproduce. */
static inline uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/*
 * The MMU on, with the flat map of the runtime (RAM Normal memory), as an operating
 * system runs: the benchmarks then measure the translated-access path, not the
 * MMU-off special case. -DBENCH_MMU_OFF leaves it off, for comparison.
 */
static inline void bench_start(void)
{
#ifndef BENCH_MMU_OFF
    mmu_enable_flat();
#endif
}

#endif

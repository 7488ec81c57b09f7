/*
 * The litmus harness: runs the test that tests/litmus/gen.py generated (litmus.h) for
 * litmus_test.iterations iterations on litmus_test.nthreads CPUs and prints a
 * litmus7-like log on the UART from CPU 0 (docs/litmus.md); main() then returns and the
 * runtime powers the machine off (PSCI SYSTEM_OFF).
 *
 * Iterations run in batches of LITMUS_BATCH (litmus7 style). Iteration i of a batch has
 * its own slot: every location on its own 64-byte line, then every thread's register
 * block on its own line. Per batch:
 *
 *  1. CPU 0 gives every slot its initial values (locations, register blocks) and draws
 *     which CPU runs which thread in it (a random permutation per iteration);
 *  2. all CPUs meet at a barrier (smp_barrier_wait: LDREX/STREX, DMB, WFE);
 *  3. each CPU runs, for each iteration in turn, the thread it was given there, after a
 *     rendezvous with the other CPUs (below);
 *  4. all CPUs meet at the barrier again, and CPU 0 reads every slot's outcome into the
 *     histogram.
 *
 * The rendezvous only makes the threads of one iteration run at the same time, which is
 * what makes relaxed outcomes show: each CPU stores the time it arrived and the
 * iteration's sequence number in its own line, waits until every CPU's number has
 * reached it, then until a common start time (the last arrival plus LITMUS_DELAY_NS),
 * so that the last to arrive has no head start. Nothing depends on it for correctness
 * (an outcome is whatever the threads did), so a CPU that waits longer than
 * LITMUS_WAIT_NS goes on without the others: with more vCPUs than host CPUs the
 * waited-for one may be descheduled for milliseconds. A CPU that finds another one
 * already past the iteration goes on at once, to catch up.
 *
 * Memory: the slots, the rendezvous lines and the placements live in RAM above the
 * stacks (LITMUS_SLOTS etc. below), on pages no LDREX ever touches, so that percore's
 * stores to them stay on its fast path (docs/memory-model.md: a page an LDREX has used
 * sends every store through the exclusive monitor, which would add ordering). The
 * barrier, which uses LDREX, has a page of its own.
 */
#include "guest.h"
#include "litmus.h"

#ifndef LITMUS_BATCH
#define LITMUS_BATCH 1000
#endif
#ifndef LITMUS_SEED
#define LITMUS_SEED 0x2545f491u
#endif
/* How long after the last CPU arrives the threads of an iteration start. */
#ifndef LITMUS_DELAY_NS
#define LITMUS_DELAY_NS 2000
#endif
/* How long a CPU waits for the others at an iteration before it goes on alone. */
#ifndef LITMUS_WAIT_NS
#define LITMUS_WAIT_NS 20000
#endif
#define LITMUS_MAX_OUTCOMES 256
#define LINE_WORDS          16 /* a 64-byte line */

/* Above the stacks (guest.ld: they end at 0x40180000), below the default 128 MiB. */
#define LITMUS_ARRIVE 0x40180000u /* LITMUS_MAX_THREADS lines */
#define LITMUS_PLACE  0x40190000u /* LITMUS_BATCH x LITMUS_MAX_THREADS bytes */
#define LITMUS_SLOTS  0x40200000u /* LITMUS_BATCH x (nlocs + nthreads) lines */

_Static_assert(LITMUS_BATCH >= 1 && LITMUS_BATCH <= 8192, "LITMUS_BATCH out of range");
_Static_assert(LITMUS_PLACE + LITMUS_BATCH * LITMUS_MAX_THREADS <= LITMUS_SLOTS,
               "the placements overlap the slots");
_Static_assert(LITMUS_SLOTS + LITMUS_BATCH * (LITMUS_MAX_LOCS + LITMUS_MAX_THREADS) * 64 <=
                   0x48000000u,
               "the slots do not fit in the default 128 MiB of RAM");

#define ARRIVE ((volatile uint32_t *)LITMUS_ARRIVE)
#define PLACE  ((volatile uint8_t *)LITMUS_PLACE)

static union {
    struct smp_barrier b;
    uint8_t page[4096];
} barrier __attribute__((aligned(4096)));

struct outcome {
    uint32_t v[LITMUS_MAX_OBS];
    uint32_t count;
};
static struct outcome hist[LITMUS_MAX_OUTCOMES];
static unsigned nhist;
static uint32_t lost;     /* outcomes past LITMUS_MAX_OUTCOMES (a malformed log) */
static uint32_t positive; /* iterations that satisfy the exists clause */
static uint32_t forbidden_seen;
static uint32_t rng; /* in .bss, away from the code's pages (set by main) */

static const struct litmus_test *const T = &litmus_test;

static uint32_t slot_words(void)
{
    return (T->nlocs + T->nthreads) * LINE_WORDS;
}

static volatile uint32_t *slot(unsigned i)
{
    return (volatile uint32_t *)LITMUS_SLOTS + i * slot_words();
}

static volatile uint32_t *loc(unsigned i, unsigned k)
{
    return slot(i) + k * LINE_WORDS;
}

static volatile uint32_t *regs(unsigned i, unsigned t)
{
    return slot(i) + (T->nlocs + t) * LINE_WORDS;
}

static uint32_t random32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* A random number below n, without a division. */
static uint32_t random_below(uint32_t n)
{
    return (uint32_t)(((uint64_t)random32() * n) >> 32);
}

/* CPU 0: the initial state of iterations 0 .. count-1 of a batch. */
static void prepare(unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint8_t perm[LITMUS_MAX_THREADS];

        for (unsigned k = 0; k < T->nlocs; k++)
            *loc(i, k) = T->loc_init[k];
        for (unsigned t = 0; t < T->nthreads; t++)
            for (unsigned r = 0; r < LITMUS_NREGS; r++)
                regs(i, t)[r] = 0;
        for (unsigned j = 0; j < T->ninits; j++) {
            const struct litmus_init *in = &T->inits[j];
            uint32_t v = in->kind == LITMUS_INIT_ADDR ? (uint32_t)loc(i, in->value) : in->value;
            regs(i, in->thread)[in->reg] = v;
        }
        for (unsigned t = 0; t < T->nthreads; t++)
            perm[t] = (uint8_t)t;
        for (unsigned t = T->nthreads - 1; t > 0; t--) { /* Fisher-Yates */
            unsigned j = random_below(t + 1);
            uint8_t tmp = perm[t];
            perm[t] = perm[j];
            perm[j] = tmp;
        }
        for (unsigned cpu = 0; cpu < T->nthreads; cpu++)
            PLACE[i * LITMUS_MAX_THREADS + cpu] = perm[cpu];
    }
}

static void count_outcome(const uint32_t *v)
{
    static unsigned last;
    unsigned n = T->nobs, h;

    for (unsigned k = 0; k < nhist; k++) {
        h = last + k;
        if (h >= nhist)
            h -= nhist;
        if (!memcmp(hist[h].v, v, n * sizeof(uint32_t))) {
            hist[h].count++;
            last = h;
            return;
        }
    }
    if (nhist == LITMUS_MAX_OUTCOMES) {
        lost++;
        return;
    }
    memcpy(hist[nhist].v, v, n * sizeof(uint32_t));
    hist[nhist].count = 1;
    last = nhist++;
}

/* CPU 0: the outcomes of iterations 0 .. count-1 of a batch. */
static void collect(unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint32_t v[LITMUS_MAX_OBS];

        for (unsigned j = 0; j < T->nobs; j++) {
            const struct litmus_obs *o = &T->obs[j];
            v[j] = o->kind == LITMUS_OBS_REG ? regs(i, o->thread)[o->index] : *loc(i, o->index);
        }
        count_outcome(v);
        if (T->exists(v))
            positive++;
        if (T->forbidden(v))
            forbidden_seen++;
    }
}

static uint32_t now(void)
{
    return (uint32_t)timer_cntvct();
}

/*
 * The rendezvous before iteration seq: each CPU publishes the time it arrived, then seq,
 * and waits (at most `wait` counter ticks) until every CPU has reached seq. Then all of
 * them wait until the same moment, the last arrival plus `delta` ticks, so that no CPU
 * has a head start (the last to arrive would otherwise always start first). A CPU that
 * finds another one already past seq goes on at once, to catch up.
 */
static void rendezvous(unsigned me, uint32_t seq, uint32_t wait, uint32_t delta)
{
    volatile uint32_t *mine = ARRIVE + me * LINE_WORDS;
    unsigned n = T->nthreads, d, ahead;
    uint32_t arrived = now(), start;

    mine[1] = arrived;
    dmb();
    mine[0] = seq;
    for (;;) {
        ahead = 0;
        for (d = 0; d < n; d++) {
            int32_t diff = (int32_t)(ARRIVE[d * LINE_WORDS] - seq);
            if (diff < 0)
                break;
            ahead |= diff > 0;
        }
        if (d == n)
            break;
        if (now() - arrived > wait) { /* a CPU is late (descheduled?): go on without it */
            mine[2]++;
            return;
        }
    }
    if (ahead) {
        mine[3]++;
        return;
    }
    dmb();
    start = arrived;
    for (d = 0; d < n; d++)
        if ((int32_t)(ARRIVE[d * LINE_WORDS + 1] - start) > 0)
            start = ARRIVE[d * LINE_WORDS + 1];
    start += delta;
    while ((int32_t)(now() - start) < 0)
        ;
}

/* Every CPU, CPU 0 included: all the batches. */
static void worker(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = T->nthreads;
    uint32_t seq = 0, done, count;
    uint32_t delta = timer_cntfrq() / (1000000000u / LITMUS_DELAY_NS);
    uint32_t wait = timer_cntfrq() / (1000000000u / LITMUS_WAIT_NS);

    if (smp_ncpus != n)
        return;
    for (done = 0; done < T->iterations; done += count) {
        count = T->iterations - done < LITMUS_BATCH ? T->iterations - done : LITMUS_BATCH;
        if (me == 0)
            prepare(count);
        smp_barrier_wait(&barrier.b, n);
        for (unsigned i = 0; i < count; i++) {
            unsigned t;

            /* the first waits longer: the others may still be waking up from the barrier */
            rendezvous(me, ++seq, i ? wait : 50 * wait, delta);
            t = PLACE[i * LITMUS_MAX_THREADS + me];
            T->threads[t]((uint32_t *)regs(i, t));
        }
        smp_barrier_wait(&barrier.b, n);
        if (me == 0)
            collect(count);
    }
}

/* a / b for a 64-bit a, by shifts (no library division). */
static uint64_t div64(uint64_t a, uint32_t b)
{
    uint64_t q = 0, r = 0;

    for (int bit = 63; bit >= 0; bit--) {
        r = r << 1 | ((a >> bit) & 1);
        if (r >= b) {
            r -= b;
            q |= (uint64_t)1 << bit;
        }
    }
    return q;
}

static int outcome_before(const struct outcome *a, const struct outcome *b)
{
    for (unsigned j = 0; j < T->nobs; j++)
        if (a->v[j] != b->v[j])
            return a->v[j] < b->v[j];
    return 0;
}

static void report(uint64_t ticks)
{
    uint32_t iters = T->iterations, cs = (uint32_t)div64(ticks, timer_cntfrq() / 100);
    uint32_t alone = 0, behind = 0;
    const char *seen = !positive ? "Never" : positive == iters ? "Always" : "Sometimes";

    for (unsigned a = 1; a < nhist; a++) /* insertion sort by value */
        for (unsigned b = a; b > 0 && outcome_before(&hist[b], &hist[b - 1]); b--) {
            struct outcome tmp = hist[b];
            hist[b] = hist[b - 1];
            hist[b - 1] = tmp;
        }
    printf("%% Results for %s (%u iterations, %u CPUs, batches of %u) %%\n", T->name, iters,
           T->nthreads, LITMUS_BATCH);
    printf("Test %s %s\n", T->name, T->exists_forbidden ? "Forbidden" : "Allowed");
    printf("Histogram (%u states)\n", nhist);
    for (unsigned h = 0; h < nhist; h++) {
        char mark = T->exists(hist[h].v) ? '*' : T->forbidden(hist[h].v) ? '!' : ':';

        printf("%8u%c>", hist[h].count, mark);
        for (unsigned j = 0; j < T->nobs; j++)
            printf("%s=%d; ", T->obs[j].name, (int32_t)hist[h].v[j]);
        printf("\n");
    }
    if (lost)
        printf("Lost %u outcomes past %u states\n", lost, LITMUS_MAX_OUTCOMES);
    printf("%s\n", positive ? "Ok" : "No");
    printf("Witnesses\n");
    printf("Positive: %u, Negative: %u\n", positive, iters - positive);
    printf("Condition exists (%s) is %svalidated\n", T->exists_text, positive ? "" : "NOT ");
    printf("Observation %s %s %u %u\n", T->name, seen, positive, iters - positive);
    printf("Time %s %u.%02u\n", T->name, cs / 100, cs % 100);
    for (unsigned c = 0; c < T->nthreads; c++) {
        alone += ARRIVE[c * LINE_WORDS + 2];
        behind += ARRIVE[c * LINE_WORDS + 3];
    }
    printf("Rendezvous %s: %u CPU-iterations: %u together, %u alone, %u catching up\n", T->name,
           iters * T->nthreads, iters * T->nthreads - alone - behind, alone, behind);
    if (forbidden_seen)
        printf("Result %s: FORBIDDEN outcome observed %u times in %u iterations\n", T->name,
               forbidden_seen, iters);
    else
        printf("Result %s: no forbidden outcome in %u iterations\n", T->name, iters);
}

int main(void)
{
    unsigned n;
    uint64_t start;

    if (T->nthreads < 1 || T->nthreads > LITMUS_MAX_THREADS || T->nlocs > LITMUS_MAX_LOCS ||
        T->nobs > LITMUS_MAX_OBS) {
        printf("Error %s: too many threads, locations or observed values\n", T->name);
        return 0;
    }
    for (unsigned w = 0; w < LITMUS_MAX_THREADS * LINE_WORDS; w++)
        ARRIVE[w] = 0;
    rng = LITMUS_SEED;
    smp_init();
    n = smp_start_all(worker, 0);
    if (n != T->nthreads) {
        printf("Error %s: needs %u CPUs (-smp %u), found %u\n", T->name, T->nthreads,
               T->nthreads, n);
        return 0;
    }
    start = timer_cntvct();
    worker(0);
    report(timer_cntvct() - start);
    return 0;
}

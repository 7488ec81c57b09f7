/*
 * xmodify: one core rewrites code another core runs (ARM ARM DDI 0406C, B2.2.7
 * "Ordering of cache and branch predictor maintenance operations", and its example of
 * cross-modifying code; A3.8.3 for DMB/DSB). Run with -smp 2.
 *
 * CPU 1 calls a small function, `target`, in a loop. CPU 0, the writer, rewrites its
 * first instruction to `mov r0, #k` and then follows the architectural sequence for code
 * another core is to run:
 *     STR; DCCMVAU; DSB; ICIMVAU or ICIALLUIS; BPIALLIS; DSB; then a flag (DMB, STR)
 * CPU 1, the reader, waits for the flag, executes ISB, and calls `target`: it must get k
 * every time — the inner-shareable invalidation completed at the writer's DSB, and the
 * reader's ISB makes it fetch anew. Each round uses a new k, so a stale translation
 * anywhere shows at once. Both the by-address form (ICIMVAU, which the Cortex-A15
 * broadcasts: ID_MMFR3.MaintBcst) and the whole-cache one (ICIALLUIS) are checked.
 * Without the maintenance the architecture lets the reader run either version. qemu and
 * percore both go further: a store into code another core has translated drops that
 * translation before the flag that follows the store can be seen (percore: the shared
 * code map, docs/memory-model.md), so the third form, STR; DMB; flag with no
 * maintenance, checks that guarantee of the two emulators, not the architecture.
 */
#include "guest.h"

#define ROUNDS    500
#define MOV_R0(k) (0xe3a00000u | ((k)&0xffu)) /* mov r0, #k */

uint32_t target(void);
__asm__(".pushsection .text.xmodify, \"ax\"\n"
        ".balign 64\n"
        ".global target\n"
        ".type target, %function\n"
        "target:\n"
        "    mov    r0, #0\n" /* rewritten */
        "    bx     lr\n"
        ".size target, . - target\n"
        ".popsection\n");

static volatile uint32_t posted, seen, wrong, mode;
static struct smp_barrier barrier;

static void icialluis(void)
{
    CP15_WRITE(0, c7, c1, 0, 0);
}

static void bpiallis(void)
{
    CP15_WRITE(0, c7, c1, 6, 0);
}

enum form { BY_VA, WHOLE, STORES_ONLY };

static void rewrite(uint32_t k, enum form form)
{
    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)target;
    *p = MOV_R0(k);
    if (form != STORES_ONLY) {
        dccmvau((const void *)p);
        dsb();
        if (form == BY_VA)
            icimvau((const void *)p);
        else
            icialluis();
        bpiallis();
        dsb();
    }
    dmb();
    posted = k; /* the flag */
}

/* CPU 1: for each round, wait for the flag, ISB, run the code, report. */
static void reader(uint32_t context)
{
    smp_barrier_wait(&barrier, 2);
    for (uint32_t r = 1; r <= 3 * ROUNDS; r++) {
        uint32_t k = (r % 250) + 1;
        while (posted != k)
            ;
        dmb();
        isb();
        if (target() != k)
            wrong++;
        dmb();
        seen = k;
    }
}

static unsigned run(enum form form, uint32_t first)
{
    unsigned before = wrong;
    for (uint32_t r = first; r < first + ROUNDS; r++) {
        uint32_t k = (r % 250) + 1;
        rewrite(k, form);
        while (seen != k)
            ;
    }
    return wrong - before;
}

int main(void)
{
    smp_init();
    if (smp_start(1, reader, 0) != 0) {
        printf("xmodify: CPU 1 did not start (run with -smp 2)\n");
        return 1;
    }
    smp_barrier_wait(&barrier, 2);
    printf("xmodify: CPU 0 rewrites code CPU 1 runs, %u rounds each form\n", ROUNDS);
    unsigned bad = run(BY_VA, 1);
    printf("STR; DCCMVAU; DSB; ICIMVAU; BPIALLIS; DSB; flag / ISB: stale runs %u of %u\n", bad,
           ROUNDS);
    bad = run(WHOLE, ROUNDS + 1);
    printf("STR; DCCMVAU; DSB; ICIALLUIS; BPIALLIS; DSB; flag / ISB: stale runs %u of %u\n", bad,
           ROUNDS);
    bad = run(STORES_ONLY, 2 * ROUNDS + 1);
    printf("STR; DMB; flag / ISB, no maintenance (qemu's and percore's guarantee): stale runs "
           "%u of %u\n",
           bad, ROUNDS);
    return 0;
}

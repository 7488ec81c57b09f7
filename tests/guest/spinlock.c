/*
 * spinlock: LDREX/STREX, WFE and SEV between CPUs (ARM ARM DDI 0406C, A3.4
 * "Synchronization and semaphores", B1.8.13 "Wait For Event and Send Event"). Run with
 * -smp 4. The MMU is on with RAM Normal and Shareable (smp_init): exclusive accesses
 * between CPUs need it.
 *
 *  1. Every CPU increments a shared counter COUNT times under the runtime's spinlock
 *     (smp.h: LDREX/STREX, WFE while the lock is held, DMB; DSB and SEV on release),
 *     with a plain load and store, and checks the lock's owner field is its own while it
 *     holds it. The total must be exact.
 *  2. The same with atomic_add (LDREX/STREX without a lock).
 *  3. SEV wakes a CPU waiting in WFE: every pair of CPUs passes a token back and forth
 *     ROUNDS times, each waiting for its turn with "while (not my turn) WFE" and handing
 *     the turn over with a store, DSB and SEV. If a SEV did not end the other CPU's WFE
 *     (or set its event register, when it was not waiting yet), the exchange would
 *     stop; each side gives up after 5 s and says so. The pairs are made at the same
 *     time, so that no CPU is left idle: in step k (1 .. n-1) CPU i's partner is
 *     i XOR k (n = 4: 0-1 2-3, then 0-2 1-3, then 0-3 1-2).
 * qemu-system-arm 7.2 treats WFE as a hint it may ignore (it yields the host thread),
 * which the architecture allows: so under qemu part 3 shows only that the protocol
 * and counts are right, not that WFE waited. Nothing printed depends on it.
 */
#include "guest.h"

#define COUNT  20000
#define ROUNDS 25

static spinlock_t lock;
static volatile uint32_t counter, owner, owner_wrong;
static volatile uint32_t atomic_counter;
static volatile uint32_t turn[SMP_MAX_CPUS][SMP_MAX_CPUS], stuck; /* [lower cpu][higher] */
static volatile uint32_t turns_taken[SMP_MAX_CPUS][SMP_MAX_CPUS]; /* [cpu][partner] */
static struct smp_barrier barrier;

static void locked_increments(unsigned me)
{
    for (uint32_t i = 0; i < COUNT; i++) {
        spin_lock(&lock);
        owner = me + 1;
        counter = counter + 1;
        if (owner != me + 1)
            owner_wrong++;
        owner = 0;
        spin_unlock(&lock);
    }
}

/* Waits in WFE until *turn == want (5 s at most). */
static int wait_turn(volatile uint32_t *t, uint32_t want)
{
    uint64_t deadline = timer_deadline_ms(5000);

    while (*t != want) {
        if (stuck || timer_passed(deadline))
            return 0;
        wfe();
    }
    dmb();
    return 1;
}

/* Turns 2r are the lower CPU's, 2r + 1 the higher one's, r < ROUNDS. */
static void ping_pong(unsigned me, unsigned partner)
{
    volatile uint32_t *t = me < partner ? &turn[me][partner] : &turn[partner][me];

    for (uint32_t r = 0; r < ROUNDS; r++) {
        uint32_t mine = 2 * r + (me > partner);

        if (!wait_turn(t, mine)) {
            stuck = 1;
            smp_printf("FAIL: cpu %u waited 5 s for turn %u with cpu %u\n", me, mine, partner);
            return;
        }
        turns_taken[me][partner]++;
        dmb();
        *t = mine + 1;
        dsb();
        sev();
    }
}

static void run(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = smp_ncpus;

    smp_barrier_wait(&barrier, n);
    locked_increments(me);
    smp_barrier_wait(&barrier, n);
    for (uint32_t i = 0; i < COUNT; i++)
        atomic_add(&atomic_counter, 1);
    smp_barrier_wait(&barrier, n);
    for (unsigned k = 1; k < n; k++) {
        if ((me ^ k) < n)
            ping_pong(me, me ^ k);
        smp_barrier_wait(&barrier, n);
    }
}

int main(void)
{
    unsigned n;

    smp_init();
    n = smp_start_all(run, 0);
    printf("spinlock: %u cpus, %u increments each\n", n, COUNT);
    run(0);
    printf("under the spinlock: counter %u (expected %u), owner changed while held: %u\n", counter,
           n * COUNT, owner_wrong);
    printf("atomic_add: counter %u (expected %u)\n", atomic_counter, n * COUNT);
    printf("WFE/SEV turns taken (row: cpu; column: partner 0..%u):\n", n - 1);
    for (unsigned cpu = 0; cpu < n; cpu++) {
        printf("  cpu %u:", cpu);
        for (unsigned partner = 0; partner < n; partner++)
            printf(" %3u", turns_taken[cpu][partner]);
        printf("\n");
    }
    printf("system off\n");
    return 0;
}

/*
 * llscaba: another CPU's store between a LDREX and its STREX makes the STREX fail, even
 * when it leaves the old value in memory (ABA) (ARM ARM DDI 0406C, A3.4 "Synchronization
 * and semaphores"). Run with -smp 4. The MMU is on with RAM Normal and Shareable
 * (smp_init), so the global monitor takes part (A3.4.2).
 *
 * What the architecture requires (A3.4): a Store-Exclusive "succeeds in writing back to
 * memory address x only if no other observer, process, or thread has performed a more
 * recent store of address x"; in the global monitor of a CPU that marked an address, a
 * store to the marked block by another CPU moves it to Open Access (A3.4.2), and the
 * marked block, the tagged address, is the LDREX's address with its low a bits dropped,
 * a IMPLEMENTATION DEFINED from 3 to 11 (A3.4.3): at least the aligned doubleword, at
 * most the Exclusives Reservation Granule that CTR.ERG gives, 16 words on the
 * Cortex-A15 (CTR.ERG = 4, printed first). A store to the same value is a store.
 *
 * E1-E4: CPU pairs (0, 1) and (2, 3) at once, each on its own granule; the even CPU is
 * A, the odd one B. ITER times per case and pair:
 *   A: x = 0; LDREX x; DSB; go = seq; waits for done == seq; DMB; STREX x (a new value)
 *   B: waits for go == seq; DMB; its store(s) to x's granule; DMB; done = seq
 * (ldrex_handoff_strex, one asm statement from LDREX to STREX; go and done are in other
 * granules). The barriers order B's stores after A's LDREX and before A's STREX, so every
 * one of A's STREXes must fail. B's stores, each leaving the memory as it was:
 *   E1 STR x = 1, then STR x = 0;
 *   E2 STR of the value x holds; SWP of that value (SCTLR.SW set: on an ARMv7 with the
 *      Multiprocessing Extensions SWP is UNDEFINED otherwise, B4.1.130);
 *   E3 its own LDREX x / STREX x of the same value, retried until it stores;
 *   E4 STRB of byte 1 of x; STRH of the upper halfword of x; STRB of byte 5 (the other
 *      word of x's doubleword: inside the tagged block whatever a is); STR of the word
 *      32 bytes on, outside the doubleword but inside the 16-word granule: this one
 *      relies on the Cortex-A15 tagging its whole ERG (a = 6, the granule its TRM gives
 *      for CTR.ERG, and the one percore's monitor uses); the architecture alone
 *      requires it only of an implementation with a = 6.
 * E8: a Treiber stack (a singly linked LIFO list with its head popped and pushed by
 *   LDREX/STREX): pop is "h = LDREX head; n = h->next; STREX head = n", push is
 *   "h = LDREX head; node->next = h; DMB; STREX head = node".
 *   Scripted, per pair and ITER times: A builds its stack n0 > n1 > n2 > n3, reads
 *   n = n0->next (n1), then with the hand-off above does LDREX head (n0) and tries
 *   STREX head = n1, while B pops
 *   n0, pops n1 and pushes n0 back (head is n0 again, with next n2). The STREX must fail
 *   (head was stored); A then pops n0 properly and pushes it back, B pushes n1 back, and
 *   the stack must hold the four nodes once each. A STREX that succeeded would have put
 *   n1, which B holds, on top: when B pushes it, the list loops.
 *   Free-running: the 4 CPUs pop two nodes and push them back, STRESS times each, on one
 *   stack of NODES nodes, with a delay between reading head->next and the STREX of a
 *   pop so that the ABA window is wide; at the end the stack must hold every node once.
 *
 * qemu-system-arm 7.2 gets E1-E4 and E8 wrong: its STREX is a compare-and-swap against
 * the value that LDREX read, so a store of the same value in between goes unnoticed
 * (llscaba-4.qemu-differs has what it prints). So guest.sh does not run this under qemu.
 */
#include "guest.h"

#define ITER    1000
#define POLLS   0x40000000u /* polls of a flag before giving up */
#define NODES   16          /* on the free-running stack; scripted stacks have 4 */
#define STRESS  10000
#define WINDOW  20          /* delay loops between reading head->next and the STREX */
#define NPAIRS  (SMP_MAX_CPUS / 2)
#define SCTLR_SW (1u << 10)

struct granule {
    volatile uint32_t w[16];
} __attribute__((aligned(64)));

struct node {
    struct node *volatile next;
    uint32_t id;
} __attribute__((aligned(64)));

/* A Treiber stack: the head alone in its granule. */
struct stack {
    struct node *volatile head;
} __attribute__((aligned(64)));

struct pair {
    struct granule target;
    struct granule go;   /* A to B: the step A has reached */
    struct granule done; /* B to A */
    struct stack stack;
    struct node nodes[4];
};

enum { E1_TWO_STORES, E2_SAME_WORD, E2_SWP, E3_EXCLUSIVE, E4_BYTE, E4_HALF, E4_DOUBLEWORD, E4_GRANULE, NCASES };

static const char *const case_names[NCASES] = {
    "E1 ABA by two plain stores (STR x = 1, STR x = 0)",
    "E2 STR of the same value to x",
    "E2 SWP of the same value to x",
    "E3 LDREX/STREX of the same value to x by the other cpu",
    "E4 STRB of the same byte inside x",
    "E4 STRH of the same halfword inside x",
    "E4 STRB of the same byte in the other word of x's doubleword",
    "E4 STR of the same word 32 bytes on, in x's 64-byte granule",
};

static struct pair pairs[NPAIRS];
static struct stack shared;
static struct node shared_nodes[NODES];
/* Counts over all pairs (atomic_add). */
static volatile uint32_t failed[NCASES], late, stuck;
static volatile uint32_t aba_failed, aba_intact;
static volatile uint32_t starved;
static struct smp_barrier barrier;

/* B's stores to the granule of x (= g->w[0], 0 before), leaving it as it was. */
static void interfere(unsigned c, struct granule *g)
{
    volatile uint32_t *x = &g->w[0];
    volatile uint8_t *bytes = (volatile uint8_t *)g->w;
    volatile uint16_t *halves = (volatile uint16_t *)g->w;
    uint32_t v = *x, st;

    switch (c) {
    case E1_TWO_STORES:
        *x = 1;
        *x = 0;
        break;
    case E2_SAME_WORD:
        *x = v;
        break;
    case E2_SWP:
        /* swp r2, r2, [r3], encoded (the assembler warns that SWP is deprecated) */
        __asm__ volatile("mov	r2, %0\n\t"
                         "mov	r3, %1\n\t"
                         ".inst	0xe1032092"
                         :
                         : "r"(v), "r"(x)
                         : "r2", "r3", "memory");
        break;
    case E3_EXCLUSIVE:
        do
            st = strex(x, ldrex(x));
        while (st);
        break;
    case E4_BYTE:
        bytes[1] = bytes[1];
        break;
    case E4_HALF:
        halves[1] = halves[1];
        break;
    case E4_DOUBLEWORD:
        bytes[5] = bytes[5];
        break;
    case E4_GRANULE:
        g->w[8] = g->w[8];
        break;
    }
}

/* Waits (5 s at most) for *flag == want; on a timeout every CPU stops waiting. */
static int await(volatile uint32_t *flag, uint32_t want)
{
    if (!WAIT_UNTIL(*flag == want || stuck, 5000) || stuck) {
        stuck = 1;
        return 0;
    }
    dmb();
    return 1;
}

static void signal(volatile uint32_t *flag, uint32_t v)
{
    dmb();
    *flag = v;
}

/* A's side of the hand-off: LDREX x; go = seq; wait for done == seq; STREX x. */
static uint32_t handoff(struct pair *p, volatile uint32_t *x, uint32_t v, uint32_t seq, uint32_t *loaded)
{
    uint32_t polls = POLLS, st;

    st = ldrex_handoff_strex(x, v, &p->go.w[0], seq, &p->done.w[0], seq, &polls, loaded);
    if (!polls) {
        atomic_add(&late, 1);
        stuck = 1;
    }
    return st;
}

/* Pop and push, each one asm statement from LDREX to STREX. pop waits `window` loops
   between reading head->next and the STREX; on an empty stack it returns 0. */
static struct node *pop(struct stack *s, uint32_t window)
{
    struct node *h, *n;
    uint32_t st, k;

    __asm__ volatile("1:	ldrex	%0, [%4]\n\t"
                     "cmp	%0, #0\n\t"
                     "bne	4f\n\t"
                     "clrex\n\t"
                     "b	3f\n"
                     "4:	ldr	%1, [%0]\n\t"
                     "movs	%3, %5\n\t"
                     "beq	5f\n"
                     "2:	subs	%3, %3, #1\n\t"
                     "bne	2b\n"
                     "5:	"
                     "strex	%2, %1, [%4]\n\t"
                     "cmp	%2, #0\n\t"
                     "bne	1b\n"
                     "3:	dmb"
                     : "=&r"(h), "=&r"(n), "=&r"(st), "=&r"(k)
                     : "r"(&s->head), "r"(window)
                     : "cc", "memory");
    return h;
}

static void push(struct stack *s, struct node *node)
{
    struct node *h;
    uint32_t st;

    __asm__ volatile("1:	ldrex	%0, [%2]\n\t"
                     "str	%0, [%3]\n\t"
                     "dmb\n\t"
                     "strex	%1, %3, [%2]\n\t"
                     "cmp	%1, #0\n\t"
                     "bne	1b"
                     : "=&r"(h), "=&r"(st)
                     : "r"(&s->head), "r"(node)
                     : "cc", "memory");
}

/* Builds head > nodes[0] > ... > nodes[n - 1]. */
static void build(struct stack *s, struct node *nodes, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        nodes[i].id = i;
        nodes[i].next = i + 1 < n ? &nodes[i + 1] : 0;
    }
    s->head = &nodes[0];
    dmb();
}

/* Whether the stack holds nodes[0 .. n-1] once each and nothing else. */
static int intact(struct stack *s, struct node *nodes, unsigned n)
{
    uint32_t seen = 0;
    unsigned count = 0;

    for (struct node *p = s->head; p; p = p->next) {
        unsigned i;

        if (p < nodes || p >= nodes + n)
            return 0;
        i = p - nodes;
        if ((seen >> i & 1) || ++count > n)
            return 0;
        seen |= 1u << i;
    }
    return count == n;
}

/* The cases E1-E4 and the scripted E8, as A (even cpu) or B (odd cpu) of pair k. */
static void scripted(unsigned me)
{
    struct pair *p = &pairs[me / 2];
    volatile uint32_t *x = &p->target.w[0];
    uint32_t seq = 0, loaded;

    for (unsigned c = 0; c < NCASES; c++)
        for (uint32_t i = 0; i < ITER && !stuck; i++) {
            seq++;
            if (me & 1) {
                if (!await(&p->go.w[0], seq))
                    return;
                interfere(c, &p->target);
                signal(&p->done.w[0], seq);
                continue;
            }
            *x = 0;
            dmb();
            if (handoff(p, x, 0x5a, seq, &loaded) == 1)
                atomic_add(&failed[c], 1);
        }
    for (uint32_t i = 0; i < ITER && !stuck; i++) {
        struct node *n0 = &p->nodes[0], *n1 = &p->nodes[1], *got;

        seq++;
        if (me & 1) {
            if (!await(&p->go.w[0], seq))
                return;
            got = pop(&p->stack, 0); /* n0 */
            n1 = pop(&p->stack, 0);
            push(&p->stack, got);
            signal(&p->done.w[0], seq);
            if (!await(&p->go.w[0], seq | 1u << 31))
                return;
            push(&p->stack, n1);
            signal(&p->done.w[0], seq | 1u << 31);
            continue;
        }
        build(&p->stack, p->nodes, 4);
        /* A pops n0 with the STREX head = n1 after B's pop, pop, push. */
        if (handoff(p, (volatile uint32_t *)&p->stack.head, (uint32_t)n0->next, seq, &loaded) == 1) {
            atomic_add(&aba_failed, 1);
            got = pop(&p->stack, 0);
        } else {
            got = n0;
        }
        push(&p->stack, got);
        signal(&p->go.w[0], seq | 1u << 31);
        if (!await(&p->done.w[0], seq | 1u << 31))
            return;
        if (loaded == (uint32_t)n0 && intact(&p->stack, p->nodes, 4))
            atomic_add(&aba_intact, 1);
    }
}

/* A pop from the shared stack, retried while it is empty (1 s at most: it never is
   unless the stack is corrupt). */
static struct node *pop_shared(void)
{
    uint64_t deadline = timer_deadline_ms(1000);
    struct node *h;

    while (!(h = pop(&shared, WINDOW)) && !starved)
        if (timer_passed(deadline))
            starved = 1;
    return h;
}

/* E8 free-running: pop two, push them back, STRESS times. */
static void stress(void)
{
    for (uint32_t i = 0; i < STRESS && !starved; i++) {
        struct node *a = pop_shared(), *b = pop_shared();

        if (a)
            push(&shared, a);
        if (b)
            push(&shared, b);
    }
}

static void run(uint32_t context)
{
    unsigned me = smp_cpu_id(), n = smp_ncpus;

    write_sctlr(read_sctlr() | SCTLR_SW);
    smp_barrier_wait(&barrier, n);
    if ((me | 1) < n)
        scripted(me);
    smp_barrier_wait(&barrier, n);
    stress();
    smp_barrier_wait(&barrier, n);
}

int main(void)
{
    unsigned n, np;
    uint32_t ctr = CP15_READ(0, c0, c0, 1);

    smp_init();
    build(&shared, shared_nodes, NODES);
    n = smp_start_all(run, 0);
    np = n / 2;
    printf("llscaba: %u cpus, %u pairs, each case %u times per pair\n", n, np, ITER);
    printf("CTR.ERG 0x%x: a %u-byte reservation granule at most\n", ctr >> 20 & 0xfu, 4u << (ctr >> 20 & 0xfu));
    run(0);
    for (unsigned c = 0; c < NCASES; c++)
        printf("%s: STREX failed %u/%u\n", case_names[c], failed[c], np * ITER);
    printf("E8 scripted ABA pop: STREX failed %u/%u, stack intact %u/%u\n", aba_failed, np * ITER,
           aba_intact, np * ITER);
    printf("E8 free-running: %u cpus x %u pop, pop, push, push on %u nodes: %s%s\n", n, STRESS, NODES,
           intact(&shared, shared_nodes, NODES) ? "every node on the stack once" : "FAIL: stack corrupt",
           starved ? ", FAIL: a pop found the stack empty for 1 s" : "");
    printf("hand-offs late: %u%s\n", late, stuck ? " (FAIL: a cpu waited 5 s)" : "");
    printf("system off\n");
    return 0;
}

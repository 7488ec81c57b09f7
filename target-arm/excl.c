/* LDREX/STREX/CLREX and SWP (ARM ARM A3.4, A8.8.75-78, A8.8.210-213, A8.8.229) with an
 * exact global monitor shared by every vCPU process (docs/memory-model.md).
 *
 * The monitor is a table of words, one per bucket of 64-byte reservation granules (the
 * Cortex-A15's ERG): a sequence number, even while free and odd while a store to one of
 * its granules is in progress, with the storing vCPU's index + 1 in the high half (so
 * the coordinator can free a dead holder's buckets). LDREX records the bucket's sequence;
 * STREX succeeds only if it can move the sequence on from exactly that value, with its
 * store made while it holds the bucket. Every other store to the granule moves the
 * sequence too — whatever value it writes: no ABA hole — so it makes the STREX fail.
 *
 * Stores only pay for this on RAM pages some LDREX has used ("watched" pages): their TLB
 * write entries send stores to the slow path, which holds the bucket around the store.
 * The first LDREX on a page marks it and has every other vCPU drop its TLB entries
 * (env.watch_page) before it reads, so no fast-path store can slip past the monitor.
 * Buckets are shared by many granules: a store to another granule of the same bucket can
 * fail a STREX too, which the architecture allows (a STREX may always fail). */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "target-arm/translate.h"

#define SCTLR_SW  (1u << 10)
#define EXCL_SPIN 64u /* pauses before a bucket waiter yields its host CPU */

static uint32_t excl_ram_page(const struct arm_cpu *cpu, uint32_t pa)
{
    return (uint32_t)((pa - cpu->env.ram_base) >> PAGE_BITS);
}

static _Atomic uint64_t *excl_bucket(const struct arm_cpu *cpu, uint32_t pa)
{
    uint32_t g = pa >> CTRL_EXCL_GRANULE;
    return &cpu->excl->seq[(g ^ (g >> 12)) % CTRL_EXCL_BUCKETS];
}

bool excl_page_watched(const struct arm_cpu *cpu, uint32_t ram_page)
{
    return ram_page < CTRL_MAX_RAM_PAGES &&
           atomic_load_explicit(&cpu->excl->watch[ram_page], memory_order_acquire) != WATCH_NONE;
}

static void excl_pause(unsigned spins)
{
    if (spins < EXCL_SPIN)
        __builtin_ia32_pause();
    else
        sched_yield(); /* the holder may be a descheduled process */
}

/* The bucket's sequence once it is free (even). */
static uint32_t excl_settled(_Atomic uint64_t *w)
{
    for (unsigned spins = 0;; spins++) {
        uint64_t v = atomic_load_explicit(w, memory_order_acquire);
        if (!(v & 1))
            return (uint32_t)v;
        excl_pause(spins);
    }
}

/* Takes the bucket if its sequence is still seq: true when taken. */
static bool excl_take(struct arm_cpu *cpu, _Atomic uint64_t *w, uint32_t seq)
{
    uint64_t expect = seq;
    uint64_t held = (uint64_t)(cpu->env.excl_owner + 1u) << 32 | (seq + 1u);
    return atomic_compare_exchange_strong_explicit(w, &expect, held, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

static void excl_release(_Atomic uint64_t *w, uint32_t seq)
{
    atomic_store_explicit(w, (uint64_t)(uint32_t)(seq + 2u), memory_order_release);
}

static uint32_t excl_take_any(struct arm_cpu *cpu, _Atomic uint64_t *w)
{
    for (;;) {
        uint32_t seq = excl_settled(w);
        if (excl_take(cpu, w, seq))
            return seq;
    }
}

void excl_hold_begin(struct arm_cpu *cpu, uint32_t pa_first, uint32_t pa_last, struct excl_hold *h)
{
    h->n = 0;
    uint32_t first = excl_ram_page(cpu, pa_first), last = excl_ram_page(cpu, pa_last);
    if (!excl_page_watched(cpu, first) && !excl_page_watched(cpu, last))
        return;
    _Atomic uint64_t *a = excl_bucket(cpu, pa_first), *b = excl_bucket(cpu, pa_last);
    if (b < a) { /* one order for everybody: two holders cannot wait on each other */
        _Atomic uint64_t *t = a;
        a = b;
        b = t;
    }
    h->w[h->n] = a;
    h->seq[h->n++] = excl_take_any(cpu, a);
    if (b != a) {
        h->w[h->n] = b;
        h->seq[h->n++] = excl_take_any(cpu, b);
    }
}

void excl_hold_end(struct excl_hold *h)
{
    while (h->n) {
        h->n--;
        excl_release(h->w[h->n], h->seq[h->n]);
    }
}

/* Makes ram_page watched before this CPU relies on it. If another vCPU is marking it
 * at the same time, this one does the shootdown too rather than wait for that one: a
 * vCPU waiting inside guest code would hold up the other's shootdown (which waits for
 * every vCPU inside guest code), while two shootdowns at once wait for each other
 * outside it. */
static void excl_watch(struct arm_cpu *cpu, uint32_t rp)
{
    _Atomic uint8_t *w = &cpu->excl->watch[rp];
    if (atomic_load_explicit(w, memory_order_acquire) == WATCH_ON)
        return;
    uint8_t expect = WATCH_NONE;
    atomic_compare_exchange_strong(w, &expect, WATCH_STARTING);
    if (cpu->env.watch_page)
        cpu->env.watch_page(cpu->env.opaque, rp);
    tlb_flush(cpu); /* this CPU's own fast entries for the page too */
    atomic_store_explicit(w, WATCH_ON, memory_order_release);
}

/* imm: size log2 (3 = doubleword), 4 = big-endian data. */
static unsigned excl_memf(uint32_t imm)
{
    unsigned sz = imm & 3;
    return (sz == 3 ? 2 : sz) | MEMF_ALIGN | ((imm & 4) ? MEMF_BE : 0);
}

/* LDREX (A3.4.1, A3.4.2): marks the address for this CPU, with the bucket's sequence. */
uint32_t helper_ldrex(struct arm_cpu *cpu, uint32_t addr, uint32_t b, uint32_t c, uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    uint32_t lo = 0, hi = 0;
    bool dual = (imm & 3) == 3;
    unsigned size = dual ? 8 : 1u << (imm & 3);
    if (addr & (size - 1)) { /* exclusives are always aligned, LDREXD to 8 */
        arm_data_abort(cpu, addr, FSR_ALIGNMENT, false);
        return 0;
    }
    uint32_t pa, seq = 0;
    if (!mem_translate(cpu, addr, arm_mmu_idx(r), MEM_READ, &pa))
        return 0;
    if (arm_ram_holds(cpu, pa, size)) {
        excl_watch(cpu, excl_ram_page(cpu, pa));
        seq = excl_settled(excl_bucket(cpu, pa));
    }
    if (!mem_load(cpu, addr, excl_memf(imm), &lo) ||
        (dual && !mem_load(cpu, addr + 4, excl_memf(imm), &hi)))
        return 0;
    r->excl_addr = addr;
    r->excl_size = size;
    r->excl_val_lo = lo;
    r->excl_val_hi = hi;
    r->excl_seq = seq;
    r->excl_open = 1;
    return lo;
}

/* The value as the bytes memory holds (each word in the data endianness). */
static void excl_image(uint8_t *out, uint32_t lo, uint32_t hi, unsigned size, bool be)
{
    if (be) {
        lo = size == 2 ? __builtin_bswap16((uint16_t)lo) : size >= 4 ? __builtin_bswap32(lo) : lo;
        hi = __builtin_bswap32(hi);
    }
    memcpy(out, &lo, size < 4 ? size : 4);
    if (size == 8)
        memcpy(out + 4, &hi, 4);
}

/* STREX (A3.4.5): 0 when the store was made, 1 when not: this CPU's mark is not on this
 * address, or another store reached the granule's bucket since the LDREX. */
uint32_t helper_strex(struct arm_cpu *cpu, uint32_t addr, uint32_t lo, uint32_t hi, uint32_t imm)
{
    struct arm_regs *r = cpu->regs;
    bool dual = (imm & 3) == 3;
    unsigned size = dual ? 8 : 1u << (imm & 3);
    if (addr & (size - 1)) { /* the alignment fault comes before the monitor is looked at */
        arm_data_abort(cpu, addr, FSR_ALIGNMENT, true);
        return 0;
    }
    bool pass = r->excl_open && r->excl_addr == addr && r->excl_size == size;
    r->excl_open = 0;
    if (!pass)
        return 1;
    /* The monitor is on physical addresses, as LDREX's was: with the MMU on, the
     * virtual address is not RAM's and the STREX would bypass the monitor. */
    uint32_t pa;
    if (!mem_translate(cpu, addr, arm_mmu_idx(r), MEM_WRITE, &pa))
        return 0;
    if (!arm_ram_holds(cpu, pa, size)) { /* a device: the store as a plain one */
        if (!mem_store(cpu, addr, excl_memf(imm), lo) ||
            (dual && !mem_store(cpu, addr + 4, excl_memf(imm), hi)))
            return 0;
        return 0;
    }
    _Atomic uint64_t *w = excl_bucket(cpu, pa);
    if (!excl_take(cpu, w, r->excl_seq))
        return 1;
    uint8_t bytes[8];
    excl_image(bytes, lo, hi, size, imm & 4);
    memcpy(mem_atomic_ptr(cpu, pa, size), bytes, size);
    excl_release(w, r->excl_seq);
    code_page_written(cpu, excl_ram_page(cpu, pa));
    if (cpu->debug_watch) /* as mem_store reports a watched store */
        debug_watch_check(cpu, addr, size, true);
    return 0;
}

uint32_t helper_clrex(struct arm_cpu *cpu, uint32_t a, uint32_t b, uint32_t c, uint32_t imm)
{
    cpu->regs->excl_open = 0;
    return 0;
}

/* SWP/SWPB (A8.8.229): one atomic read-modify-write for every other vCPU, and a store
 * the monitor sees. */
uint32_t helper_swp(struct arm_cpu *cpu, uint32_t addr, uint32_t v, uint32_t c, uint32_t imm)
{
    if (!(cpu->regs->cp15.sctlr & SCTLR_SW)) {
        arm_take_exception(cpu, EXC_UNDEF, cpu->insn_pc);
        return 0;
    }
    unsigned memf = (imm & 3) | ((imm & 3) ? MEMF_ALIGN : 0) | ((imm & 4) ? MEMF_BE : 0);
    unsigned size = (imm & 3) ? 4 : 1;
    uint32_t old, pa;
    if (!mem_load(cpu, addr, memf, &old) || /* faults (alignment, abort) first */
        !mem_translate(cpu, addr, arm_mmu_idx(cpu->regs), MEM_WRITE, &pa))
        return 0;
    uint8_t *p = mem_atomic_ptr(cpu, pa, size);
    if (!p)
        return mem_store(cpu, addr, memf, v) ? old : 0;
    struct excl_hold h;
    excl_hold_begin(cpu, pa, pa + size - 1, &h);
    uint32_t m = (imm & 4) && size == 4 ? __builtin_bswap32(v) : v;
    if (size == 4)
        m = __atomic_exchange_n((uint32_t *)p, m, __ATOMIC_SEQ_CST);
    else
        m = __atomic_exchange_n(p, (uint8_t)m, __ATOMIC_SEQ_CST);
    excl_hold_end(&h);
    code_page_written(cpu, excl_ram_page(cpu, pa));
    return (imm & 4) && size == 4 ? __builtin_bswap32(m) : m;
}

/* The block cache: a hash table by (physical pc, flags), a direct-mapped jump cache
 * by virtual pc, and per-RAM-page lists for invalidation. Blocks are never freed one
 * at a time: an invalidated block is marked invalid (chain pointers to it are checked
 * before they are followed) and memory returns at the next full flush, which runs
 * only between blocks. */
#include <stdatomic.h>
#include <glib.h>

#include "target-arm/internal.h"

static unsigned tb_hash(uint32_t pc, uint32_t flags)
{
    uint32_t h = (pc >> 2) ^ (flags * 0x9e3779b1u);
    h ^= h >> 15;
    return h & ((1u << TB_HASH_BITS) - 1);
}

static unsigned tb_jmp_index(uint32_t pc)
{
    return (pc >> 2) & ((1u << TB_JMP_BITS) - 1);
}

static struct tb *tb_find(struct arm_cpu *cpu, uint32_t phys_pc, uint32_t flags)
{
    for (struct tb *tb = cpu->tb_hash[tb_hash(phys_pc, flags)]; tb; tb = tb->hash_next)
        if (tb->phys_pc == phys_pc && tb->flags == flags && tb->valid)
            return tb;
    return NULL;
}

static void tb_insert(struct arm_cpu *cpu, struct tb *tb)
{
    unsigned h = tb_hash(tb->phys_pc, tb->flags);
    tb->hash_next = cpu->tb_hash[h];
    cpu->tb_hash[h] = tb;
    uint32_t first = (tb->phys_pc - (uint32_t)cpu->env.ram_base) >> PAGE_BITS;
    /* A block never crosses a page (translate.c stops at the end of one). */
    tb->page_next = cpu->page_tbs[first];
    if (!cpu->page_tbs[first]) {
        tlb_mark_code(cpu, tb->phys_pc & PAGE_MASK);
        code_page_taken(cpu, first);
    }
    cpu->page_tbs[first] = tb;
    g_ptr_array_add(cpu->arena, tb);
    g_ptr_array_add(cpu->arena, tb->ops);
    cpu->n_tbs++;
}

struct tb *tb_lookup(struct arm_cpu *cpu, uint32_t pc, uint32_t flags)
{
    struct tb *tb = cpu->tb_jmp[tb_jmp_index(pc)];
    if (tb && tb->pc == pc && tb->flags == flags && tb->valid)
        return tb;
    uint32_t phys;
    if (!mem_code_ptr(cpu, pc, &phys)) /* it raised the prefetch abort */
        return NULL;
    tb = tb_find(cpu, phys, flags);
    if (!tb) {
        tb = arm_translate(cpu, pc, phys, flags);
        if (!tb)
            return NULL;
        tb_insert(cpu, tb);
    }
    cpu->tb_jmp[tb_jmp_index(pc)] = tb;
    return tb;
}

void tb_invalidate_page(struct arm_cpu *cpu, uint32_t page)
{
    for (struct tb *tb = cpu->page_tbs[page]; tb; tb = tb->page_next) {
        tb->valid = false;
        unsigned j = tb_jmp_index(tb->pc);
        if (cpu->tb_jmp[j] == tb)
            cpu->tb_jmp[j] = NULL;
    }
    cpu->page_tbs[page] = NULL;
    cpu->stats.code_invalidations++;
    /* The page holds no code of ours now: its stores may take the fast path again,
     * unless another vCPU holds code there. */
    if (code_others(cpu, page) || mmu_enabled(cpu->regs)) /* (virtual pages unknown) */
        return;
    uint32_t va = (uint32_t)cpu->env.ram_base + (page << PAGE_BITS);
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        struct tlb_entry *e = &cpu->tlb[i][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
        if ((e->addr_write & PAGE_MASK) == va)
            e->addr_write &= ~(uint32_t)TLB_CODE;
    }
}

void tb_flush_all(struct arm_cpu *cpu)
{
    g_ptr_array_set_size(cpu->arena, 0); /* frees every block and op array */
    memset(cpu->tb_hash, 0, sizeof(cpu->tb_hash));
    memset(cpu->tb_jmp, 0, sizeof(cpu->tb_jmp));
    memset(cpu->page_tbs, 0, sizeof(*cpu->page_tbs) * cpu->n_pages);
    cpu->n_tbs = 0;
    cpu->last_tb = NULL; /* freed with the rest */
    cpu->flush_pending = false;
    tlb_flush(cpu);
}

/* ---- the shared code map (docs/memory-model.md, "Code written by another vCPU") ---- */
static uint8_t code_self(const struct arm_cpu *cpu)
{
    return (uint8_t)(1u << cpu->env.excl_owner);
}

uint32_t code_others(const struct arm_cpu *cpu, uint32_t ram_page)
{
    if (ram_page >= CTRL_MAX_RAM_PAGES)
        return 0;
    return atomic_load_explicit(&cpu->excl->code[ram_page], memory_order_acquire) & ~code_self(cpu);
}

void code_page_taken(struct arm_cpu *cpu, uint32_t ram_page)
{
    if (ram_page >= CTRL_MAX_RAM_PAGES)
        return;
    uint8_t old =
        atomic_fetch_or_explicit(&cpu->excl->code[ram_page], code_self(cpu), memory_order_acq_rel);
    if (!(old & code_self(cpu)) && cpu->env.code_page)
        cpu->env.code_page(cpu->env.opaque, ram_page);
}

void code_page_written(struct arm_cpu *cpu, uint32_t ram_page)
{
    if (cpu->page_tbs[ram_page]) {
        tb_invalidate_page(cpu, ram_page);
        cpu->stop_at_insn = true; /* the running block may be stale too */
    }
    uint32_t others = code_others(cpu, ram_page);
    if (!others)
        return;
    /* Told once: each clears its bit by dropping its code and sets it again when it
     * translates there anew (an extra drop is harmless; a missed one is not, and the
     * receiver's bit is cleared here, before it can translate again, so none is). */
    atomic_fetch_and_explicit(&cpu->excl->code[ram_page], (uint8_t)~others, memory_order_acq_rel);
    if (cpu->env.code_written)
        cpu->env.code_written(cpu->env.opaque, ram_page, others);
}

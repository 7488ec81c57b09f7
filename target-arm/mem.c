/* The softmmu: a direct-mapped TLB per MMU index with read, write and execute tags.
 * With the MMU off (the only case until VMSA lands) virtual equals physical: RAM
 * pages get a host addend, device windows the IO flag, anything else aborts.
 * Pages holding translated code carry TLB_CODE on their write tag, so a store there
 * takes the slow path and invalidates the translations first. */
#include <string.h>

#include "target-arm/internal.h"

#define SCTLR_A (1u << 1)

int arm_mmu_idx(const struct arm_regs *r)
{
    return (r->cpsr & 0x1f) == ARM_MODE_USR ? MMU_IDX_USER : MMU_IDX_PRIV;
}

void tlb_flush(struct arm_cpu *cpu)
{
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++)
        for (unsigned j = 0; j < TLB_SIZE; j++) {
            struct tlb_entry *e = &cpu->tlb[i][j];
            e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
            e->addend = 0;
        }
}

static bool mem_is_ram(const struct arm_cpu *cpu, uint32_t pa)
{
    return pa >= cpu->env.ram_base && pa - cpu->env.ram_base < cpu->env.ram_size;
}

/* Fills the entry for va's page; false if nothing is mapped there (an abort). */
static struct tlb_entry *tlb_fill(struct arm_cpu *cpu, uint32_t va, int idx)
{
    struct tlb_entry *e = &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    uint32_t page = va & PAGE_MASK;
    cpu->stats.tlb_misses++;
    if (mem_is_ram(cpu, page)) {
        uint32_t rp = (page - (uint32_t)cpu->env.ram_base) >> PAGE_BITS;
        e->addend = (uintptr_t)cpu->env.ram - (uintptr_t)cpu->env.ram_base;
        e->addr_read = e->addr_code = page;
        e->addr_write = page | (cpu->page_tbs[rp] || code_others(cpu, rp) ? TLB_CODE : 0) |
                        (excl_page_watched(cpu, rp) ? TLB_WATCH : 0);
    } else {
        e->addend = 0;
        e->addr_read = e->addr_write = page | TLB_IO;
        e->addr_code = page | TLB_IO; /* no code runs from devices: prefetch abort */
    }
    return e;
}

void tlb_mark_code(struct arm_cpu *cpu, uint32_t phys_page)
{
    /* Flat mapping: the page's entries are found by its address in every index. */
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++) {
        struct tlb_entry *e = &cpu->tlb[i][(phys_page >> PAGE_BITS) & (TLB_SIZE - 1)];
        if ((e->addr_write & PAGE_MASK) == phys_page)
            e->addr_write |= TLB_CODE;
    }
}

static uint32_t mem_bswap(uint32_t v, unsigned size_log2)
{
    if (size_log2 == 2)
        return __builtin_bswap32(v);
    if (size_log2 == 1)
        return __builtin_bswap16((uint16_t)v);
    return v;
}

static uint32_t mem_extend(uint32_t v, unsigned flags)
{
    unsigned sz = flags & MEMF_SIZE_MASK;
    if (!(flags & MEMF_SIGN) || sz == 2)
        return v;
    return sz == 0 ? (uint32_t)(int32_t)(int8_t)v : (uint32_t)(int32_t)(int16_t)v;
}

static bool mem_check_align(struct arm_cpu *cpu, uint32_t va, unsigned flags, bool write)
{
    unsigned bytes = 1u << (flags & MEMF_SIZE_MASK);
    if (!(va & (bytes - 1)))
        return true;
    if ((flags & MEMF_ALIGN) || ((flags & MEMF_ALIGN_A) && (cpu->regs->cp15.sctlr & SCTLR_A))) {
        arm_data_abort(cpu, va, FSR_ALIGNMENT, write);
        return false;
    }
    return true;
}

/* An access the fast path could not take: device, page-crossing, or code page. */
static bool mem_load_slow(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t *value)
{
    unsigned bytes = 1u << (flags & MEMF_SIZE_MASK);
    if (mem_is_ram(cpu, va) && mem_is_ram(cpu, va + bytes - 1)) {
        uint32_t v = 0;
        for (unsigned i = 0; i < bytes; i++)
            v |= (uint32_t)cpu->env.ram[va + i - cpu->env.ram_base] << (8 * i);
        *value = v;
        return true;
    }
    uint64_t v64;
    if (!mem_is_ram(cpu, va) && cpu->env.io_read &&
        cpu->env.io_read(cpu->env.opaque, va, bytes, &v64)) {
        *value = (uint32_t)v64;
        return true;
    }
    arm_data_abort(cpu, va, FSR_SYNC_EXTERNAL, false);
    return false;
}

bool mem_load(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t *value)
{
    if (!mem_check_align(cpu, va, flags, false))
        return false;
    unsigned sz = flags & MEMF_SIZE_MASK, bytes = 1u << sz;
    int idx = (flags & MEMF_USER) ? MMU_IDX_USER : arm_mmu_idx(cpu->regs);
    struct tlb_entry *e = &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    if (e->addr_read != (va & PAGE_MASK))
        e = tlb_fill(cpu, va, idx);
    uint32_t v;
    if (e->addr_read == (va & PAGE_MASK) && (va & ~PAGE_MASK) + bytes <= PAGE_SIZE) {
        const uint8_t *p = (const uint8_t *)(va + e->addend);
        switch (sz) {
        case 0: v = *p; break;
        case 1: {
            uint16_t h;
            memcpy(&h, p, 2);
            v = h;
            break;
        }
        default: memcpy(&v, p, 4); break;
        }
    } else if (!mem_load_slow(cpu, va, flags, &v)) {
        return false;
    }
    if (flags & MEMF_BE)
        v = mem_bswap(v, sz);
    *value = mem_extend(v, flags);
    return true;
}

static bool mem_store_slow(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t v)
{
    unsigned bytes = 1u << (flags & MEMF_SIZE_MASK);
    if (mem_is_ram(cpu, va) && mem_is_ram(cpu, va + bytes - 1)) {
        struct excl_hold h; /* a store other vCPUs' reservations must see */
        excl_hold_begin(cpu, va, bytes, &h);
        for (unsigned i = 0; i < bytes; i++)
            cpu->env.ram[va + i - cpu->env.ram_base] = (uint8_t)(v >> (8 * i));
        /* After the store: a vCPU that drops its code on our word translates it anew. */
        uint32_t first = (va - (uint32_t)cpu->env.ram_base) >> PAGE_BITS;
        uint32_t last = (va + bytes - 1 - (uint32_t)cpu->env.ram_base) >> PAGE_BITS;
        for (uint32_t rp = first; rp <= last; rp++)
            code_page_written(cpu, rp);
        excl_hold_end(&h);
        return true;
    }
    if (!mem_is_ram(cpu, va) && cpu->env.io_write &&
        cpu->env.io_write(cpu->env.opaque, va, bytes, v))
        return true;
    arm_data_abort(cpu, va, FSR_SYNC_EXTERNAL, true);
    return false;
}

bool mem_store(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t value)
{
    if (!mem_check_align(cpu, va, flags, true))
        return false;
    unsigned sz = flags & MEMF_SIZE_MASK, bytes = 1u << sz;
    if (flags & MEMF_BE)
        value = mem_bswap(value, sz);
    int idx = (flags & MEMF_USER) ? MMU_IDX_USER : arm_mmu_idx(cpu->regs);
    struct tlb_entry *e = &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    if ((e->addr_write & ~(uint32_t)(TLB_CODE | TLB_WATCH)) != (va & PAGE_MASK))
        e = tlb_fill(cpu, va, idx);
    if (e->addr_write == (va & PAGE_MASK) && (va & ~PAGE_MASK) + bytes <= PAGE_SIZE) {
        uint8_t *p = (uint8_t *)(va + e->addend);
        switch (sz) {
        case 0: *p = (uint8_t)value; break;
        case 1: {
            uint16_t h = (uint16_t)value;
            memcpy(p, &h, 2);
            break;
        }
        default: memcpy(p, &value, 4); break;
        }
        return true;
    }
    return mem_store_slow(cpu, va, flags, value);
}

uint8_t *mem_atomic_ptr(struct arm_cpu *cpu, uint32_t va, unsigned bytes)
{
    uint32_t pa = va; /* flat */
    if (!mem_is_ram(cpu, pa) || !mem_is_ram(cpu, pa + bytes - 1))
        return NULL;
    return cpu->env.ram + (pa - cpu->env.ram_base);
}

const uint8_t *mem_code_ptr(struct arm_cpu *cpu, uint32_t va, uint32_t *phys)
{
    int idx = arm_mmu_idx(cpu->regs);
    struct tlb_entry *e = &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    if (e->addr_code != (va & PAGE_MASK))
        e = tlb_fill(cpu, va, idx);
    if (e->addr_code != (va & PAGE_MASK))
        return NULL;
    *phys = va; /* flat */
    return (const uint8_t *)(va + e->addend);
}

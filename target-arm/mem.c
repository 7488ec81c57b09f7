/* The softmmu: a direct-mapped TLB per MMU index with read, write and execute tags,
 * filled from the translation (mmu.c; with the MMU off virtual equals physical). RAM
 * pages get a host addend, device windows the IO flag; a tag the permissions deny is
 * invalid, so the access takes the slow path, which translates again and raises the
 * fault. Pages holding translated code carry TLB_CODE on their write tag, so a store
 * there takes the slow path and invalidates the translations first. */
#include <string.h>

#include "target-arm/internal.h"

#define SCTLR_A (1u << 1)

int arm_mmu_idx(const struct arm_regs *r)
{
    return (r->cpsr & 0x1f) == ARM_MODE_USR ? MMU_IDX_USER : MMU_IDX_PRIV;
}

void tlb_flush(struct arm_cpu *cpu)
{
    /* The jump cache maps virtual pcs to blocks: a mapping may have changed. */
    memset(cpu->tb_jmp, 0, sizeof(cpu->tb_jmp));
    for (unsigned i = 0; i < MMU_IDX_COUNT; i++)
        for (unsigned j = 0; j < TLB_SIZE; j++) {
            struct tlb_entry *e = &cpu->tlb[i][j];
            e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
            e->addend = 0;
        }
}

/* Fills the entry for va's page from its translation. A fault leaves every tag invalid:
 * the slow path translates again and raises it. */
static struct tlb_entry *tlb_fill(struct arm_cpu *cpu, uint32_t va, int idx)
{
    struct tlb_entry *e = &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    uint32_t page = va & PAGE_MASK;
    struct mmu_result m;
    cpu->stats.tlb_misses++;
    e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
    e->addend = 0;
    if (mmu_translate(cpu, page, idx == MMU_IDX_USER, &m))
        return e;
    uint32_t pa = m.pa & PAGE_MASK;
    if (arm_ram_holds(cpu, pa, 1)) {
        uint32_t rp = (pa - (uint32_t)cpu->env.ram_base) >> PAGE_BITS;
        e->addend = (uintptr_t)cpu->env.ram + (pa - (uint32_t)cpu->env.ram_base) - page;
        e->addr_read = m.read ? page : TLB_INVALID;
        e->addr_code = m.exec ? page : TLB_INVALID;
        e->addr_write = !m.write
                            ? TLB_INVALID
                            : page | (cpu->page_tbs[rp] || code_others(cpu, rp) ? TLB_CODE : 0) |
                                  (excl_page_watched(cpu, rp) ? TLB_WATCH : 0);
    } else {
        e->addr_read = m.read ? page | TLB_IO : TLB_INVALID;
        e->addr_write = m.write ? page | TLB_IO : TLB_INVALID;
        e->addr_code = TLB_INVALID; /* no code runs from devices: prefetch abort */
    }
    if (cpu->debug_watch)
        debug_tlb_mark(cpu, page, e);
    return e;
}

bool mem_translate(struct arm_cpu *cpu, uint32_t va, int idx, enum mem_access acc, uint32_t *pa)
{
    struct mmu_result m;
    int fsr = mmu_translate(cpu, va, idx == MMU_IDX_USER, &m);
    bool ok = !fsr && (acc == MEM_READ ? m.read : acc == MEM_WRITE ? m.write : m.exec);
    if (!fsr && !ok)
        fsr = (int)mmu_permission_fsr(&m);
    if (fsr) {
        if (acc == MEM_EXEC)
            arm_prefetch_abort(cpu, va, (uint32_t)fsr);
        else
            arm_data_abort(cpu, va, (uint32_t)fsr, acc == MEM_WRITE);
        return false;
    }
    *pa = m.pa;
    return true;
}

void tlb_mark_code(struct arm_cpu *cpu, uint32_t phys_page)
{
    if (mmu_enabled(cpu->regs)) { /* any virtual page may map it */
        tlb_flush(cpu);
        return;
    }
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

/* The physical address of each byte of an access (pa[0..bytes-1]); false after raising
 * the fault of the first byte that has none. */
static bool mem_translate_bytes(struct arm_cpu *cpu, uint32_t va, unsigned bytes, unsigned flags,
                                enum mem_access acc, uint32_t *pa)
{
    int idx = (flags & MEMF_USER) ? MMU_IDX_USER : arm_mmu_idx(cpu->regs);
    for (unsigned i = 0; i < bytes; i++) {
        if (i && ((va + i) & ~PAGE_MASK)) {
            pa[i] = pa[i - 1] + 1;
            continue;
        }
        if (!mem_translate(cpu, va + i, idx, acc, &pa[i]))
            return false;
    }
    return true;
}

static bool mem_bytes_in_ram(const struct arm_cpu *cpu, const uint32_t *pa, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        if (!arm_ram_holds(cpu, pa[i], 1))
            return false;
    return true;
}

/* An access the fast path could not take: device, page-crossing, code page, fault. */
static bool mem_load_slow(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t *value)
{
    unsigned bytes = 1u << (flags & MEMF_SIZE_MASK);
    uint32_t pa[4];
    if (!mem_translate_bytes(cpu, va, bytes, flags, MEM_READ, pa))
        return false;
    if (mem_bytes_in_ram(cpu, pa, bytes)) {
        uint32_t v = 0;
        for (unsigned i = 0; i < bytes; i++)
            v |= (uint32_t)cpu->env.ram[pa[i] - cpu->env.ram_base] << (8 * i);
        *value = v;
        return true;
    }
    uint64_t v64;
    if (!arm_ram_holds(cpu, pa[0], 1) && pa[bytes - 1] == pa[0] + bytes - 1 && cpu->env.io_read &&
        cpu->env.io_read(cpu->env.opaque, pa[0], bytes, &v64)) {
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
    } else {
        if (!mem_load_slow(cpu, va, flags, &v))
            return false;
        if (cpu->debug_watch) /* watched pages come this way (TLB_DEBUG) */
            debug_watch_check(cpu, va, bytes, false);
    }
    if (flags & MEMF_BE)
        v = mem_bswap(v, sz);
    *value = mem_extend(v, flags);
    return true;
}

static bool mem_store_slow(struct arm_cpu *cpu, uint32_t va, unsigned flags, uint32_t v)
{
    unsigned bytes = 1u << (flags & MEMF_SIZE_MASK);
    uint32_t pa[4];
    if (!mem_translate_bytes(cpu, va, bytes, flags, MEM_WRITE, pa))
        return false;
    if (mem_bytes_in_ram(cpu, pa, bytes)) {
        struct excl_hold h; /* a store other vCPUs' reservations must see */
        excl_hold_begin(cpu, pa[0], pa[bytes - 1], &h);
        for (unsigned i = 0; i < bytes; i++)
            cpu->env.ram[pa[i] - cpu->env.ram_base] = (uint8_t)(v >> (8 * i));
        excl_hold_end(&h);
        /* After the store: a vCPU that drops its code on our word translates it anew. */
        uint32_t base = (uint32_t)cpu->env.ram_base;
        code_page_written(cpu, (pa[0] - base) >> PAGE_BITS);
        if ((pa[bytes - 1] ^ pa[0]) & PAGE_MASK)
            code_page_written(cpu, (pa[bytes - 1] - base) >> PAGE_BITS);
        return true;
    }
    if (!arm_ram_holds(cpu, pa[0], 1) && pa[bytes - 1] == pa[0] + bytes - 1 && cpu->env.io_write &&
        cpu->env.io_write(cpu->env.opaque, pa[0], bytes, v))
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
    if (!mem_store_slow(cpu, va, flags, value))
        return false;
    if (cpu->debug_watch)
        debug_watch_check(cpu, va, bytes, true);
    return true;
}

uint8_t *mem_atomic_ptr(struct arm_cpu *cpu, uint32_t pa, unsigned bytes)
{
    if (!arm_ram_holds(cpu, pa, bytes))
        return NULL;
    return cpu->env.ram + (pa - cpu->env.ram_base);
}

const uint8_t *mem_code_ptr(struct arm_cpu *cpu, uint32_t va, uint32_t *phys)
{
    int idx = arm_mmu_idx(cpu->regs);
    struct tlb_entry *e = &cpu->tlb[idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    if (e->addr_code != (va & PAGE_MASK))
        e = tlb_fill(cpu, va, idx);
    if (e->addr_code != (va & PAGE_MASK)) {
        uint32_t pa;
        if (mem_translate(cpu, va, idx, MEM_EXEC, &pa)) /* translated: not RAM */
            arm_prefetch_abort(cpu, va, FSR_SYNC_EXTERNAL);
        return NULL;
    }
    const uint8_t *host = (const uint8_t *)(va + e->addend);
    *phys = (uint32_t)(host - cpu->env.ram) + (uint32_t)cpu->env.ram_base;
    return host;
}

/* VMSAv7 short-descriptor translation (ARM ARM B3.5-B3.7, B3.12-B3.13) for a core
 * without Security Extensions and without EL2: TTBR0/TTBR1 split by TTBCR.N (and its
 * PD0/PD1 walk disables), first-level sections, supersections and page tables,
 * second-level large and small pages, domains (DACR), the access permissions AP[2:0]
 * with SCTLR.AFE = 0, XN and PXN. Memory attributes (TEX, C, B, S) only matter for
 * caches and ordering, which this emulator does not model; walks read RAM directly.
 * With SCTLR.M clear, the address is the physical one (B3.2.1). */
#include <string.h>

#include "target-arm/internal.h"

#define SCTLR_M   (1u << 0)
#define SCTLR_AFE (1u << 29)

/* Fault status codes (B3.13.3, short-descriptor DFSR/IFSR FS[4:0]). */
enum {
    FS_TRANSLATION_SECTION = 0x05,
    FS_TRANSLATION_PAGE = 0x07,
    FS_DOMAIN_SECTION = 0x09,
    FS_DOMAIN_PAGE = 0x0b,
    FS_PERMISSION_SECTION = 0x0d,
    FS_PERMISSION_PAGE = 0x0f,
    FS_WALK_EXTERNAL_L1 = 0x0c,
    FS_WALK_EXTERNAL_L2 = 0x0e,
};

bool mmu_enabled(const struct arm_regs *r)
{
    return r->cp15.sctlr & SCTLR_M;
}

/* Where the tables are read from: guest RAM. */
struct mmu_ram {
    const uint8_t *ram;
    uint64_t base, size;
};

/* A translation-table word (walks are little-endian here: SCTLR.EE is not modelled). */
static bool mmu_read_desc(const struct mmu_ram *m, uint32_t pa, uint32_t *desc)
{
    if (pa < m->base || pa - m->base + 4 > m->size)
        return false;
    memcpy(desc, m->ram + (pa - m->base), 4);
    return true;
}

/* The FSR value: status in FS[3:0] and FS[4] (bit 10), the domain in [7:4]. */
static uint32_t mmu_fsr(unsigned fs, unsigned domain)
{
    return (fs & 0xfu) | ((fs & 0x10u) << 6) | (domain << 4);
}

/* AP[2:0] with AFE = 0 (B3.7.1): may this privilege read / write? */
static void mmu_ap(unsigned ap2, unsigned ap10, bool user, bool *rd, bool *wr)
{
    static const uint8_t priv[8] = {0, 3, 3, 3, 0, 1, 1, 1}; /* bit 0 read, bit 1 write */
    static const uint8_t usr[8] = {0, 0, 1, 3, 0, 0, 1, 1};
    unsigned ap = (ap2 << 2) | ap10;
    unsigned p = user ? usr[ap] : priv[ap];
    *rd = p & 1;
    *wr = p & 2;
}

/* The first-level table and index for va (B3.5.4, TTBCR.N). False: a walk disabled by
 * TTBCR.PD0/PD1, a translation fault. */
static bool mmu_l1_addr(const struct arm_regs *r, uint32_t va, uint32_t *addr)
{
    unsigned n = r->cp15.ttbcr & 7;
    if (n == 0 || (va >> (32 - n)) == 0) {
        if (r->cp15.ttbcr & (1u << 4)) /* PD0 */
            return false;
        uint32_t base = r->cp15.ttbr0_lo & (0xffffffffu << (14 - n));
        *addr = base | ((va >> 20) << 2 & ~(0xffffffffu << (14 - n)));
        return true;
    }
    if (r->cp15.ttbcr & (1u << 5)) /* PD1 */
        return false;
    *addr = (r->cp15.ttbr1_lo & 0xffffc000u) | ((va >> 20) << 2);
    return true;
}

int mmu_translate(struct arm_cpu *cpu, uint32_t va, bool user, struct mmu_result *out)
{
    return mmu_walk(cpu->regs, cpu->env.ram, cpu->env.ram_base, cpu->env.ram_size, va, user, out);
}

/* A pure function of the registers and RAM: the coordinator's debugger walks with a held
 * vCPU's registers (docs/debugging.md). */
int mmu_walk(const struct arm_regs *r, const uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
             uint32_t va, bool user, struct mmu_result *out)
{
    const struct mmu_ram tables = {ram, ram_base, ram_size};
    if (!mmu_enabled(r)) {
        *out = (struct mmu_result){.pa = va, .read = true, .write = true, .exec = true};
        return 0;
    }
    uint32_t l1a, l1, domain, ap2, ap10, pa;
    bool xn, pxn, section;
    if (!mmu_l1_addr(r, va, &l1a))
        return mmu_fsr(FS_TRANSLATION_SECTION, 0);
    if (!mmu_read_desc(&tables, l1a, &l1))
        return mmu_fsr(FS_WALK_EXTERNAL_L1, 0);
    switch (l1 & 3) {
    case 0: return mmu_fsr(FS_TRANSLATION_SECTION, 0);
    case 1: { /* a second-level table (B3.5.1) */
        uint32_t l2;
        domain = (l1 >> 5) & 15;
        pxn = l1 & (1u << 2);
        if (!mmu_read_desc(&tables, (l1 & 0xfffffc00u) | (((va >> 12) & 0xff) << 2), &l2))
            return mmu_fsr(FS_WALK_EXTERNAL_L2, domain);
        if (!(l2 & 3))
            return mmu_fsr(FS_TRANSLATION_PAGE, domain);
        ap2 = (l2 >> 9) & 1;
        ap10 = (l2 >> 4) & 3;
        if (l2 & 2) { /* small page, 4 KiB */
            xn = l2 & 1;
            pa = (l2 & 0xfffff000u) | (va & 0xfffu);
        } else { /* large page, 64 KiB */
            xn = l2 & (1u << 15);
            pa = (l2 & 0xffff0000u) | (va & 0xffffu);
        }
        section = false;
        break;
    }
    default: /* a section or supersection; bits[1:0] = 0b11 adds PXN */
        pxn = l1 & 1;
        xn = l1 & (1u << 4);
        ap2 = (l1 >> 15) & 1;
        ap10 = (l1 >> 10) & 3;
        if (l1 & (1u << 18)) { /* supersection, 16 MiB, domain 0 (B3.5.1) */
            domain = 0;
            pa = (l1 & 0xff000000u) | (va & 0x00ffffffu);
        } else {
            domain = (l1 >> 5) & 15;
            pa = (l1 & 0xfff00000u) | (va & 0x000fffffu);
        }
        section = true;
    }
    unsigned dacr = (r->cp15.dacr >> (2 * domain)) & 3;
    if (dacr == 0 || dacr == 2) /* no access, reserved */
        return mmu_fsr(section ? FS_DOMAIN_SECTION : FS_DOMAIN_PAGE, domain);
    bool rd = true, wr = true;
    if (dacr == 1) /* client: the permissions are checked (manager: they are not) */
        mmu_ap(ap2, ap10, user, &rd, &wr);
    *out = (struct mmu_result){
        .pa = pa,
        .read = rd,
        .write = wr,
        .exec = rd && (dacr == 3 || (!xn && !(pxn && !user))),
        .domain = domain,
        .section = section,
    };
    return 0;
}

uint32_t mmu_permission_fsr(const struct mmu_result *m)
{
    return mmu_fsr(m->section ? FS_PERMISSION_SECTION : FS_PERMISSION_PAGE, m->domain);
}

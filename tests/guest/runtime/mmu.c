/* Short-descriptor translation (ARM ARM B3.5): first-level section descriptors. */
#include <stdint.h>
#include "arm.h"
#include "mmu.h"

#define SECTION    0x2u /* bits [1:0] = 0b10 */
#define SEC_B      (1u << 2)
#define SEC_XN     (1u << 4)
#define SEC_AP_RW  (3u << 10) /* AP[2:0] = 0b011: read/write, any privilege */
#define SEC_TEX(t) ((uint32_t)(t) << 12)
#define SEC_S      (1u << 16)

#define SCTLR_TRE (1u << 28)
#define SCTLR_AFE (1u << 29)

static uint32_t ttb[4096] __attribute__((aligned(16384)));

/* Fills the table; normal is the attributes of RAM (from 0x40000000). */
static void build_flat(uint32_t normal)
{
    for (uint32_t i = 0; i < 4096; i++) {
        uint32_t base = i << 20;
        uint32_t attr = base < 0x40000000u ? SEC_B | SEC_XN /* Shareable Device */
                                           : normal;
        ttb[i] = base | attr | SEC_AP_RW | SECTION;
    }
    dsb();
}

void mmu_enable_cpu(void)
{
    CP15_WRITE(0, c3, c0, 0, 0x55555555u);   /* DACR: every domain Client */
    CP15_WRITE(0, c2, c0, 2, 0);             /* TTBCR: N = 0, short descriptors */
    CP15_WRITE(0, c2, c0, 0, (uint32_t)ttb); /* TTBR0: non-cacheable table walks */
    CP15_WRITE(0, c8, c7, 0, 0);             /* TLBIALL */
    bpiall();
    dsb();
    isb();
    write_sctlr((read_sctlr() & ~(SCTLR_TRE | SCTLR_AFE)) | SCTLR_M);
}

void mmu_enable_flat(void)
{
    build_flat(SEC_TEX(1)); /* Normal, non-cacheable */
    mmu_enable_cpu();
}

void mmu_enable_flat_shared(void)
{
    build_flat(SEC_TEX(1) | SEC_S); /* Normal, non-cacheable, Shareable */
    mmu_enable_cpu();
}

void mmu_disable(void)
{
    write_sctlr(read_sctlr() & ~SCTLR_M);
    CP15_WRITE(0, c8, c7, 0, 0); /* TLBIALL */
    dsb();
    isb();
}

volatile uint32_t *mmu_table(void)
{
    return ttb;
}

/*
 * mmu: short-descriptor translation (ARM ARM DDI 0406C, B3.5 formats, B3.7 access
 * permissions and domains, B3.12-B3.13 faults and their DFSR/IFSR/DFAR/IFAR, B4.2.5
 * ATS1CPR/ATS1CPW into PAR), on the flat map of the runtime with a few entries changed:
 *  - a section remapped to another physical section (the data seen through it);
 *  - a second-level table with a small page mapped elsewhere, and a fault entry in it;
 *  - a translation fault in a first-level entry (DFSR 0x005, DFAR);
 *  - a read-only section written (permission fault, 0x00d, WnR) and a read-only small
 *    page written (0x00f);
 *  - a section in a domain with no access (domain fault, 0x009 with the domain);
 *  - an execute-never section branched to (prefetch abort, IFSR 0x00d, IFAR);
 *  - ATS1CPR and ATS1CPW: the physical address, or F = 1 and the fault status.
 * Every value printed is architectural; none depends on where the program is loaded.
 */
#include "guest.h"

#define SECTION    0x2u
#define SEC_XN     (1u << 4)
#define SEC_AP_RW  (3u << 10)
#define SEC_AP_RO  ((1u << 15) | (1u << 10)) /* AP[2:0] = 0b101: read-only at PL1 */
#define SEC_DOM(d) ((uint32_t)(d) << 5)
#define SEC_TEX1   (1u << 12)
#define L1_TABLE   0x1u
#define SMALL      0x2u
#define SP_AP_RW   (3u << 4)
#define SP_AP_RO   ((1u << 9) | (1u << 4))

#define VA_REMAP 0x81000000u /* -> PA_DATA */
#define VA_PAGES 0x82000000u /* a second-level table */
#define VA_NONE  0x83000000u /* fault */
#define VA_RO    0x84000000u /* read-only section */
#define VA_DOM   0x85000000u /* domain 3: no access */
#define VA_XN    0x86000000u /* execute-never, maps the code */
#define PA_DATA  0x46200000u
#define PA_PAGE  0x46300000u

static uint32_t l2[256] __attribute__((aligned(1024)));

static void refresh(void)
{
    dsb();
    CP15_WRITE(0, c8, c7, 0, 0); /* TLBIALL */
    dsb();
    isb();
}

static uint32_t ats1c(uint32_t va, int write)
{
    if (write)
        CP15_WRITE(0, c7, c8, 1, va);
    else
        CP15_WRITE(0, c7, c8, 0, va);
    isb();
    return CP15_READ(0, c7, c4, 0);
}

static void probe_store(const char *what, uint32_t va)
{
    exc_record_on(EXC_DABT);
    *(volatile uint32_t *)va = 1;
    printf("%s: data aborts %u, DFSR 0x%03x, DFAR 0x%08x\n", what, exc_last.count, exc_last.fsr,
           exc_last.far);
}

static void probe_load(const char *what, uint32_t va)
{
    exc_record_on(EXC_DABT);
    (void)*(volatile uint32_t *)va;
    printf("%s: data aborts %u, DFSR 0x%03x, DFAR 0x%08x\n", what, exc_last.count, exc_last.fsr,
           exc_last.far);
}

/* A function of one instruction, called through its execute-never alias. */
void ret_only(void);
__asm__(".pushsection .text\n.global ret_only\n.type ret_only, %function\n"
        "ret_only: bx lr\n.popsection\n");

static uint32_t xn_alias(void)
{
    return VA_XN | ((uint32_t)(uintptr_t)ret_only & 0xfffffu);
}

static volatile uint32_t pabt_count, pabt_ifsr, pabt_ifar;

/* The prefetch abort: record it and go on at the same instruction's executable address
 * (the flat one), which returns to the caller. */
static void on_pabt(struct exc_frame *f, enum exc_kind kind)
{
    pabt_count++;
    pabt_ifsr = read_ifsr();
    pabt_ifar = read_ifar();
    f->pc = (uint32_t)(uintptr_t)ret_only;
}

int main(void)
{
    mmu_enable_flat();
    volatile uint32_t *t = mmu_table();
    uint32_t ram_attr = t[PA_DATA >> 20] & 0xfffffu;
    *(volatile uint32_t *)PA_DATA = 0x5eca11ed;
    *(volatile uint32_t *)(PA_PAGE + 0x5000) = 0x9a9e0005;
    t[VA_REMAP >> 20] = PA_DATA | ram_attr;
    for (unsigned i = 0; i < 256; i++)
        l2[i] = 0; /* translation faults */
    l2[3] = (PA_PAGE + 0x5000) | SP_AP_RW | SMALL;
    l2[4] = (PA_PAGE + 0x5000) | SP_AP_RO | SMALL;
    t[VA_PAGES >> 20] = (uint32_t)(uintptr_t)l2 | L1_TABLE;
    t[VA_NONE >> 20] = 0;
    t[VA_RO >> 20] = PA_DATA | SEC_TEX1 | SEC_AP_RO | SECTION;
    t[VA_DOM >> 20] = PA_DATA | SEC_TEX1 | SEC_AP_RW | SEC_DOM(3) | SECTION;
    uint32_t code_pa = (uint32_t)(uintptr_t)ret_only & 0xfff00000u;
    t[VA_XN >> 20] = code_pa | SEC_TEX1 | SEC_AP_RW | SEC_XN | SECTION;
    CP15_WRITE(0, c3, c0, 0, 0x55555515u); /* domain 3: no access, the rest Client */
    refresh();

    printf("remapped section: 0x%08x\n", *(volatile uint32_t *)VA_REMAP);
    printf("small page 3: 0x%08x\n", *(volatile uint32_t *)(VA_PAGES + 0x3000));
    printf("small page 4 (read-only): 0x%08x\n", *(volatile uint32_t *)(VA_PAGES + 0x4000));
    probe_load("second-level fault entry", VA_PAGES + 0x7abc);
    probe_load("first-level fault entry", VA_NONE + 0x1234);
    probe_store("store to a read-only section", VA_RO + 0x40);
    probe_store("store to a read-only small page", VA_PAGES + 0x4008);
    probe_load("load in a no-access domain", VA_DOM + 0x20);

    exc_set_hook(EXC_PABT, on_pabt);
    ((void (*)(void))xn_alias())();
    printf("call into an execute-never section: prefetch aborts %u, IFSR 0x%03x, IFAR ok %u\n",
           pabt_count, pabt_ifsr, pabt_ifar == xn_alias());

    printf("ATS1CPR remapped: PAR 0x%08x\n", ats1c(VA_REMAP + 0x123, 0));
    printf("ATS1CPR small page 3: PAR 0x%08x\n", ats1c(VA_PAGES + 0x3abc, 0));
    printf("ATS1CPR fault entry: PAR 0x%08x\n", ats1c(VA_NONE, 0));
    printf("ATS1CPW read-only: PAR 0x%08x\n", ats1c(VA_RO, 1));
    mmu_disable();
    return 0;
}

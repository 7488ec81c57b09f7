/*
 * align: unaligned data accesses and alignment faults (ARM ARM DDI 0406C: "Unaligned
 * data access" and its table of alignment requirements, "Memory access restrictions",
 * "Alignment faults", and the DFSR).
 *
 * With SCTLR.A = 0 (and SCTLR.U = 1, fixed on ARMv7), LDR, STR, LDRH, STRH and LDRSH
 * work at any address, little-endian byte by byte; LDRD, STRD, LDM, STM, LDREX and
 * LDREXH still need their alignment (word, except LDREXH halfword, LDREXD doubleword)
 * and take an Alignment fault otherwise. With SCTLR.A = 1 every access must be aligned
 * to its size, except that LDRD/STRD need only word alignment.
 *
 * The MMU is turned on first (flat map, RAM Normal): with the MMU off every data
 * access is Strongly-ordered, and an unaligned access to Strongly-ordered or Device
 * memory is UNPREDICTABLE in ARMv7 ("Memory access restrictions"; ARMv8's AArch32 makes
 * it an Alignment fault). qemu-system-arm 7.2 performs unaligned accesses with the MMU
 * off as if to Normal memory (its gitlab issue 1204 is the AArch64 form of this). That
 * is one of the behaviours UNPREDICTABLE allows, so no transcript may depend on it
 * either way; the guests are compiled with -mno-unaligned-access for the same reason.
 *
 * An alignment fault is a Data Abort with DFSR.FS = 0b00001, WnR = 1 for a write,
 * ExT = CM = 0 and (short-descriptor format) DFSR[9] = 0; DFSR.Domain is UNKNOWN for it,
 * so the transcript prints DFSR & 0x3e0f. DFAR is the faulting address: for LDM/STM the
 * lowest address of the transfer. A Data Abort restores the base register of an
 * instruction with writeback (ARMv7 uses the base-restored abort model), and an aborted
 * store writes nothing.
 *
 * Not in the transcript, because qemu-system-arm 7.2 gets it wrong: STREX to an
 * unaligned address must take an Alignment fault (ExclusiveMonitorsPass checks the
 * alignment before anything else); QEMU compares the address with its monitor first,
 * fails the store (Rd = 1) and takes no fault.
 */
#include "guest.h"

#define DFSR_STATUS 0x3e0fu

static uint8_t buf[32] __attribute__((aligned(16)));
static uint8_t dst[16] __attribute__((aligned(16)));
static uint8_t page[8192] __attribute__((aligned(4096)));

static const char *yes(int b)
{
    return b ? "yes" : "NO";
}

/* One instruction that should abort; AT gets its address. */
#define DTRAP(at, insn, ...) __asm__ volatile("adr %0, 1f\n1:\t" insn : "=&r"(at)__VA_ARGS__)

static void show_abort(const char *what, uint32_t at, const uint8_t *base, const char *bname)
{
    printf("%s: dabt count 0x%x, at the instruction: %s, DFSR 0x%03x, DFAR %s+0x%x\n", what,
           exc_last.count, yes(exc_last.pc == at), exc_last.fsr & DFSR_STATUS, bname,
           exc_last.far - (uint32_t)base);
    exc_last.count = 0;
}

static uint32_t word_at(const uint8_t *p)
{
    return *(const volatile uint32_t *)p;
}

static void fill(void)
{
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(i * 0x11);
    memset(dst, 0, sizeof(dst));
}

static void unaligned_ok(void)
{
    uint32_t v[8];

    __asm__ volatile("ldr   %0, [%[b], #1]\n\t"
                     "ldr   %1, [%[b], #2]\n\t"
                     "ldr   %2, [%[b], #3]\n\t"
                     "ldrh  %3, [%[b], #1]\n\t"
                     "ldrh  %4, [%[b], #3]\n\t"
                     "ldrsh %5, [%[b], #7]\n\t"
                     "ldrsh %6, [%[b], #5]\n\t"
                     "ldrsh %7, [%[b], #9]"
                     : "=&r"(v[0]), "=&r"(v[1]), "=&r"(v[2]), "=&r"(v[3]), "=&r"(v[4]), "=&r"(v[5]),
                       "=&r"(v[6]), "=&r"(v[7])
                     : [b] "r"(buf)
                     : "memory");
    printf("buf[i] = 0x11 * i\n");
    printf("ldr   [buf+0x1] 0x%08x  [buf+0x2] 0x%08x  [buf+0x3] 0x%08x\n", v[0], v[1], v[2]);
    printf("ldrh  [buf+0x1] 0x%08x  [buf+0x3] 0x%08x\n", v[3], v[4]);
    printf("ldrsh [buf+0x7] 0x%08x  [buf+0x5] 0x%08x  [buf+0x9] 0x%08x\n", v[5], v[6], v[7]);

    __asm__ volatile("str   %[w], [%[d], #1]\n\t"
                     "strh  %[h], [%[d], #7]"
                     :
                     : [w] "r"(0xa1b2c3d4u), [h] "r"(0xbeefu), [d] "r"(dst)
                     : "memory");
    printf("str 0xa1b2c3d4 at dst+0x1, strh 0xbeef at dst+0x7: dst words 0x%08x 0x%08x 0x%08x\n",
           word_at(dst), word_at(dst + 4), word_at(dst + 8));

    /* Across a 4 KiB page boundary. */
    page[4094] = 0xde;
    page[4095] = 0xad;
    page[4096] = 0xbe;
    page[4097] = 0xef;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v[0]) : "r"(page + 4094) : "memory");
    __asm__ volatile("str %0, [%1]" : : "r"(0x01020304u), "r"(page + 4095) : "memory");
    printf("across a page: ldr [page+0xffe] 0x%08x; str 0x01020304 at page+0xfff: "
           "bytes 0x%02x 0x%02x 0x%02x 0x%02x\n",
           v[0], page[4095], page[4096], page[4097], page[4098]);

    /* LDRD needs only word alignment. */
    __asm__ volatile("ldrd r2, r3, [%2, #4]\n\tmov %0, r2\n\tmov %1, r3"
                     : "=&r"(v[0]), "=&r"(v[1])
                     : "r"(buf)
                     : "r2", "r3", "memory");
    printf("ldrd [buf+0x4] 0x%08x 0x%08x\n", v[0], v[1]);
}

static void faults_a0(void)
{
    uint32_t at, base;

    DTRAP(at, "ldrd r2, r3, [%1]", : "r"(buf + 1) : "r2", "r3", "memory");
    show_abort("ldrd r2, r3 [buf+0x1]", at, buf, "buf");

    DTRAP(at, "strd r2, r3, [%1]", : "r"(dst + 2) : "r2", "r3", "memory");
    show_abort("strd r2, r3 [dst+0x2]", at, dst, "dst");

    base = (uint32_t)(buf + 2);
    DTRAP(at, "ldmia %1!, {r2, r3}", , "+r"(base) : : "r2", "r3", "memory");
    show_abort("ldmia rN!, {r2, r3} at buf+0x2", at, buf, "buf");
    printf("  base register restored: %s\n", yes(base == (uint32_t)(buf + 2)));

    DTRAP(at, "stmdb %1, {r2, r3}", : "r"(dst + 0xb) : "r2", "r3", "memory");
    show_abort("stmdb rN, {r2, r3} with rN = dst+0xb", at, dst, "dst");

    DTRAP(at, "ldrex r2, [%1]", : "r"(buf + 3) : "r2", "memory");
    show_abort("ldrex r2 [buf+0x3]", at, buf, "buf");

    DTRAP(at, "ldrexh r2, [%1]", : "r"(buf + 1) : "r2", "memory");
    show_abort("ldrexh r2 [buf+0x1]", at, buf, "buf");

    DTRAP(at, "ldrexd r2, r3, [%1]", : "r"(buf + 4) : "r2", "r3", "memory");
    show_abort("ldrexd r2, r3 [buf+0x4]", at, buf, "buf");
    __asm__ volatile("clrex" ::: "memory");

    printf("  dst words 0x%08x 0x%08x 0x%08x 0x%08x (no aborted store wrote)\n", word_at(dst),
           word_at(dst + 4), word_at(dst + 8), word_at(dst + 12));
}

static void faults_a1(void)
{
    uint32_t at, v0, v1;

    write_sctlr(read_sctlr() | SCTLR_A);
    printf("SCTLR.A 0x1\n");
    DTRAP(at, "ldr r2, [%1]", : "r"(buf + 1) : "r2", "memory");
    show_abort("ldr r2 [buf+0x1]", at, buf, "buf");
    DTRAP(at, "ldrh r2, [%1]", : "r"(buf + 3) : "r2", "memory");
    show_abort("ldrh r2 [buf+0x3]", at, buf, "buf");
    DTRAP(at, "str r2, [%1]", : "r"(dst + 2) : "r2", "memory");
    show_abort("str r2 [dst+0x2]", at, dst, "dst");
    DTRAP(at, "strh r2, [%1]", : "r"(dst + 5) : "r2", "memory");
    show_abort("strh r2 [dst+0x5]", at, dst, "dst");

    __asm__ volatile("ldrb %0, [%2, #1]\n\tldr %1, [%2, #4]"
                     : "=&r"(v0), "=&r"(v1)
                     : "r"(buf)
                     : "memory");
    printf("ldrb [buf+0x1] 0x%08x, ldr [buf+0x4] 0x%08x\n", v0, v1);
    __asm__ volatile("ldrd r2, r3, [%2, #4]\n\tmov %0, r2\n\tmov %1, r3"
                     : "=&r"(v0), "=&r"(v1)
                     : "r"(buf)
                     : "r2", "r3", "memory");
    printf("ldrd [buf+0x4] 0x%08x 0x%08x, dabt count 0x%x\n", v0, v1, exc_last.count);
    write_sctlr(read_sctlr() & ~SCTLR_A);
}

int main(void)
{
    printf("align: start\n");
    fill();
    exc_record_on(EXC_DABT);
    mmu_enable_flat();
    printf("MMU on (flat map, RAM Normal), SCTLR.A 0x%x\n", (read_sctlr() & SCTLR_A) >> 1);
    unaligned_ok();
    fill();
    faults_a0();
    faults_a1();
    mmu_disable();
    exc_set_hook(EXC_DABT, 0);
    printf("align: done\n");
    return 0;
}

/*
 * bigendian: SETEND BE / SETEND LE and data accesses in both (ARM ARM DDI 0406C,
 * "Endian support": ARMv7 big-endian is BE-8, byte-invariant).
 *
 * With CPSR.E = 1 a byte access is unchanged; a halfword or word access reads and
 * writes its bytes most significant first: LDR at A gives [A]<<24 | [A+1]<<16 |
 * [A+2]<<8 | [A+3]. LDRD, LDM and their stores are word accesses, each word in that
 * order, the first register at the lowest address. Instruction fetches stay
 * little-endian. Exception entry sets CPSR.E from SCTLR.EE (0 here), and the return
 * restores it from the SPSR.
 *
 * Every SETEND BE region is one asm statement that returns to SETEND LE before the
 * compiler's code (stack accesses included) runs again; the console is only written in
 * little-endian state.
 */
#include "guest.h"

static uint8_t src[16] __attribute__((aligned(8))) = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x80,
};
static uint8_t dst[24] __attribute__((aligned(8)));

static void show_dst(const char *what, int n)
{
    printf("%s", what);
    for (int i = 0; i < n; i++)
        printf(" 0x%02x", dst[i]);
    printf("\n");
}

static void test_loads(void)
{
    uint32_t w0, w1, h0, h1, sh0, sh1, b0, sb0, e;

    __asm__ volatile(
        "setend be\n\t"
        "mrs   %[e], cpsr\n\t"
        "ldr   %[w0], [%[s]]\n\t"
        "ldr   %[w1], [%[s], #4]\n\t"
        "ldrh  %[h0], [%[s], #2]\n\t"
        "ldrh  %[h1], [%[s], #6]\n\t"
        "ldrsh %[sh0], [%[s], #14]\n\t"
        "ldrsh %[sh1], [%[s], #8]\n\t"
        "ldrb  %[b0], [%[s], #1]\n\t"
        "ldrsb %[sb0], [%[s], #8]\n\t"
        "setend le"
        : [w0] "=&r"(w0), [w1] "=&r"(w1), [h0] "=&r"(h0), [h1] "=&r"(h1), [sh0] "=&r"(sh0),
          [sh1] "=&r"(sh1), [b0] "=&r"(b0), [sb0] "=&r"(sb0), [e] "=&r"(e)
        : [s] "r"(src)
        : "memory");
    printf(
        "src = 0x11 0x22 0x33 0x44 0x55 0x66 0x77 0x88 0x99 0xaa 0xbb 0xcc 0xdd 0xee 0xff 0x80\n");
    printf("BE: CPSR.E 0x%x\n", (e & PSR_E) >> 9);
    printf("BE: ldr [src] 0x%08x, [src+0x4] 0x%08x\n", w0, w1);
    printf("BE: ldrh [src+0x2] 0x%08x, [src+0x6] 0x%08x\n", h0, h1);
    printf("BE: ldrsh [src+0xe] 0x%08x, [src+0x8] 0x%08x\n", sh0, sh1);
    printf("BE: ldrb [src+0x1] 0x%08x, ldrsb [src+0x8] 0x%08x\n", b0, sb0);

    __asm__ volatile("ldr   %[w0], [%[s]]\n\t"
                     "ldr   %[w1], [%[s], #4]\n\t"
                     "ldrh  %[h0], [%[s], #2]\n\t"
                     "ldrh  %[h1], [%[s], #6]\n\t"
                     "ldrsh %[sh0], [%[s], #14]\n\t"
                     "ldrsh %[sh1], [%[s], #8]\n\t"
                     "mrs   %[e], cpsr"
                     : [w0] "=&r"(w0), [w1] "=&r"(w1), [h0] "=&r"(h0), [h1] "=&r"(h1),
                       [sh0] "=&r"(sh0), [sh1] "=&r"(sh1), [e] "=&r"(e)
                     : [s] "r"(src)
                     : "memory");
    printf("LE: CPSR.E 0x%x\n", (e & PSR_E) >> 9);
    printf("LE: ldr [src] 0x%08x, [src+0x4] 0x%08x\n", w0, w1);
    printf("LE: ldrh [src+0x2] 0x%08x, [src+0x6] 0x%08x\n", h0, h1);
    printf("LE: ldrsh [src+0xe] 0x%08x, [src+0x8] 0x%08x\n", sh0, sh1);
}

static void test_pairs(void)
{
    uint32_t d0, d1, m0, m1, x0;

    __asm__ volatile(
        "setend be\n\t"
        "ldrd  r2, r3, [%[s]]\n\t"
        "mov   %[d0], r2\n\t"
        "mov   %[d1], r3\n\t"
        "add   r2, %[s], #8\n\t"
        "ldmia r2, {r2, r3}\n\t"
        "mov   %[m0], r2\n\t"
        "mov   %[m1], r3\n\t"
        "add   r2, %[s], #4\n\t"
        "ldrex %[x0], [r2]\n\t"
        "clrex\n\t"
        "setend le"
        : [d0] "=&r"(d0), [d1] "=&r"(d1), [m0] "=&r"(m0), [m1] "=&r"(m1), [x0] "=&r"(x0)
        : [s] "r"(src)
        : "r2", "r3", "memory");
    printf("BE: ldrd [src] 0x%08x 0x%08x\n", d0, d1);
    printf("BE: ldmia src+0x8, {r2, r3}: 0x%08x 0x%08x\n", m0, m1);
    printf("BE: ldrex [src+0x4] 0x%08x\n", x0);
    __asm__ volatile("ldrd r2, r3, [%[s]]\n\tmov %[d0], r2\n\tmov %[d1], r3"
                     : [d0] "=&r"(d0), [d1] "=&r"(d1)
                     : [s] "r"(src)
                     : "r2", "r3", "memory");
    printf("LE: ldrd [src] 0x%08x 0x%08x\n", d0, d1);
}

static void test_stores(void)
{
    uint32_t status, back;

    memset(dst, 0, sizeof(dst));
    __asm__ volatile("setend be\n\t"
                     "movw  r2, #0xc3d4\n\t"
                     "movt  r2, #0xa1b2\n\t"
                     "str   r2, [%[d]]\n\t"
                     "movw  r2, #0xbeef\n\t"
                     "strh  r2, [%[d], #4]\n\t"
                     "mov   r2, #0x5a\n\t"
                     "strb  r2, [%[d], #6]\n\t"
                     "movw  r2, #0x0304\n\t"
                     "movt  r2, #0x0102\n\t"
                     "movw  r3, #0x0708\n\t"
                     "movt  r3, #0x0506\n\t"
                     "strd  r2, r3, [%[d], #8]\n\t"
                     "setend le"
                     :
                     : [d] "r"(dst)
                     : "r2", "r3", "memory");
    show_dst("BE: str 0xa1b2c3d4 at dst+0x0, strh 0xbeef at +0x4, strb 0x5a at +0x6, "
             "strd 0x01020304 0x05060708 at +0x8; dst =",
             16);

    memset(dst, 0, sizeof(dst));
    __asm__ volatile("setend be\n\t"
                     "movw  r2, #0xf00d\n\t"
                     "movt  r2, #0xcafe\n\t"
                     "movw  r3, #0x5678\n\t"
                     "movt  r3, #0x1234\n\t"
                     "stmia %[d], {r2, r3}\n\t"
                     "add   r2, %[d], #8\n\t"
                     "movw  r3, #0xbeef\n\t"
                     "movt  r3, #0xdead\n\t"
                     "1:\n\t"
                     "ldrex %[bk], [r2]\n\t"
                     "strex %[st], r3, [r2]\n\t"
                     "cmp   %[st], #0\n\t"
                     "bne   1b\n\t"
                     "ldr   %[bk], [%[d]]\n\t"
                     "setend le"
                     : [st] "=&r"(status), [bk] "=&r"(back)
                     : [d] "r"(dst)
                     : "r2", "r3", "memory", "cc");
    show_dst("BE: stmia {0xcafef00d, 0x12345678} at dst+0x0, ldrex/strex 0xdeadbeef at +0x8; dst =",
             12);
    printf("BE: ldr [dst] 0x%08x; LE: ldr [dst] 0x%08x\n", back, *(volatile uint32_t *)dst);

    /* Stored little-endian, loaded big-endian. */
    *(volatile uint32_t *)dst = 0x11223344u;
    *(volatile uint16_t *)(dst + 4) = 0x5566u;
    __asm__ volatile("setend be\n\tldr %0, [%2]\n\tldrh %1, [%2, #4]\n\tsetend le"
                     : "=&r"(back), "=&r"(status)
                     : "r"(dst)
                     : "memory");
    printf("LE str 0x11223344, strh 0x5566; BE ldr 0x%08x, ldrh 0x%08x\n", back, status);
}

/* SVC taken in big-endian state. */
static uint32_t svc_spsr, svc_cpsr;

static void svc_hook(struct exc_frame *f, enum exc_kind kind)
{
    svc_spsr = f->spsr;
    svc_cpsr = read_cpsr();
    exc_skip(f);
}

static void test_exception(void)
{
    uint32_t after, v;

    exc_set_hook(EXC_SVC, svc_hook);
    __asm__ volatile("setend be\n\t"
                     "msr   APSR_nzcvq, #0\n\t"
                     "svc   #0\n\t"
                     "mrs   %0, cpsr\n\t"
                     "ldr   %1, [%2]\n\t"
                     "setend le"
                     : "=&r"(after), "=&r"(v)
                     : "r"(src)
                     : "lr", "memory", "cc");
    exc_set_hook(EXC_SVC, 0);
    printf("svc in BE: SPSR 0x%08x (E 0x%x), handler CPSR.E 0x%x, after return CPSR.E 0x%x, "
           "ldr [src] 0x%08x\n",
           svc_spsr, (svc_spsr & PSR_E) >> 9, (svc_cpsr & PSR_E) >> 9, (after & PSR_E) >> 9, v);
}

int main(void)
{
    printf("bigendian: start\n");
    test_loads();
    test_pairs();
    test_stores();
    test_exception();
    printf("bigendian: CPSR.E at the end 0x%x\n", (read_cpsr() & PSR_E) >> 9);
    printf("bigendian: done\n");
    return 0;
}

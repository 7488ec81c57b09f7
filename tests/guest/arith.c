/*
 * arith: a deterministic integer workload, and one line per ALU instruction form with
 * its result and flags. Every value here follows from the ARM ARM's pseudocode for the
 * instruction (DDI 0406C, chapter A8) and was checked against an independent model
 * (Python: zlib.crc32, sorted(), and the pseudocode written out), not only against
 * qemu-system-arm.
 *
 * Flags are printed as NZCV (a nibble), Q, and GE[3:0]; each flag-setting sequence
 * starts from known flags.
 */
#include "guest.h"

/* ---- helpers ---------------------------------------------------------------------- */

static uint32_t xs_state;

static uint32_t xorshift32(void)
{
    uint32_t x = xs_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return xs_state = x;
}

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib) -------------------------------------- */

static uint8_t data[4096];
static uint32_t crc_table[256];

static uint32_t crc32_bitwise(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xffffffffu;

    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
    }
    return ~crc;
}

static uint32_t crc32_table(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xffffffffu;

    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

static void test_crc(void)
{
    static const char check[] = "123456789";

    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        crc_table[i] = c;
    }
    xs_state = 0x12345678u;
    for (uint32_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(xorshift32() >> 24);
    printf("crc32(\"123456789\") 0x%08x\n", crc32_bitwise((const uint8_t *)check, 9));
    printf("crc32(0x1000 xorshift32 bytes, seed 0x12345678): bitwise 0x%08x, table 0x%08x\n",
           crc32_bitwise(data, sizeof(data)), crc32_table(data, sizeof(data)));
    printf("crc32(first 0x3e8 bytes) 0x%08x\n", crc32_table(data, 1000));
}

/* ---- sorting ---------------------------------------------------------------------- */

#define NSORT 256
static uint32_t keys[NSORT];

static void heapsort_u32(uint32_t *a, uint32_t n)
{
    for (uint32_t start = n / 2; start-- > 0;) {
        for (uint32_t root = start;;) {
            uint32_t child = 2 * root + 1;
            if (child >= n)
                break;
            if (child + 1 < n && a[child] < a[child + 1])
                child++;
            if (a[root] >= a[child])
                break;
            uint32_t t = a[root];
            a[root] = a[child];
            a[child] = t;
            root = child;
        }
    }
    for (uint32_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        for (uint32_t root = 0;;) {
            uint32_t child = 2 * root + 1;
            if (child >= end)
                break;
            if (child + 1 < end && a[child] < a[child + 1])
                child++;
            if (a[root] >= a[child])
                break;
            t = a[root];
            a[root] = a[child];
            a[child] = t;
            root = child;
        }
    }
}

static void insertion_sort_s32(int32_t *a, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        int32_t v = a[i];
        uint32_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void fill_keys(void)
{
    uint32_t x = 0xcafef00du;

    for (int i = 0; i < NSORT; i++) {
        x = x * 1664525u + 1013904223u; /* Numerical Recipes LCG */
        keys[i] = x;
    }
}

static void show_keys(int is_signed)
{
    const char *what = is_signed ? "signed" : "unsigned";
    uint32_t weighted = 0, ordered = 1;

    for (uint32_t i = 0; i < NSORT; i++) {
        weighted += keys[i] * (i + 1);
        if (i && (is_signed ? (int32_t)keys[i - 1] > (int32_t)keys[i] : keys[i - 1] > keys[i]))
            ordered = 0;
    }
    printf("sort %s: first 0x%08x, [128] 0x%08x, last 0x%08x, sum of key*(i+1) 0x%08x, "
           "in order %s\n",
           what, keys[0], keys[128], keys[NSORT - 1], weighted, ordered ? "yes" : "NO");
}

static void test_sort(void)
{
    fill_keys();
    heapsort_u32(keys, NSORT);
    show_keys(0);
    fill_keys();
    insertion_sort_s32((int32_t *)keys, NSORT);
    show_keys(1);
}

/* ---- a sieve ---------------------------------------------------------------------- */

static uint8_t composite[10001];

static void test_sieve(void)
{
    uint32_t count = 0, sum = 0, last = 0;

    for (uint32_t i = 2; i * i <= 10000; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j <= 10000; j += i)
                composite[j] = 1;
    for (uint32_t i = 2; i <= 10000; i++)
        if (!composite[i]) {
            count++;
            sum += i;
            last = i;
        }
    printf("primes <= 0x2710: count 0x%x, sum 0x%08x, largest 0x%x\n", count, sum, last);
}

/* ---- multiply and divide ---------------------------------------------------------- */

#define ASM_IDIV ".arch_extension idiv\n\t"

static uint32_t udiv(uint32_t n, uint32_t d)
{
    uint32_t q;

    __asm__(ASM_IDIV "udiv %0, %1, %2" : "=r"(q) : "r"(n), "r"(d));
    return q;
}

static uint32_t sdiv(uint32_t n, uint32_t d)
{
    uint32_t q;

    __asm__(ASM_IDIV "sdiv %0, %1, %2" : "=r"(q) : "r"(n), "r"(d));
    return q;
}

static void test_muldiv(void)
{
    uint32_t lo, hi, r, fl;

    __asm__("mul %0, %1, %2" : "=&r"(r) : "r"(0x12345678u), "r"(0x9abcdef0u));
    printf("mul 0x12345678 0x9abcdef0 -> 0x%08x\n", r);
    __asm__("mla %0, %1, %2, %3" : "=&r"(r) : "r"(0x12345678u), "r"(0x9abcdef0u), "r"(0x11111111u));
    printf("mla 0x12345678 0x9abcdef0 + 0x11111111 -> 0x%08x\n", r);
    __asm__("mls %0, %1, %2, %3" : "=&r"(r) : "r"(0x12345678u), "r"(0x9abcdef0u), "r"(0x11111111u));
    printf("mls 0x11111111 - 0x12345678 * 0x9abcdef0 -> 0x%08x\n", r);
    __asm__("umull %0, %1, %2, %3" : "=&r"(lo), "=&r"(hi) : "r"(0xffffffffu), "r"(0xffffffffu));
    printf("umull 0xffffffff 0xffffffff -> 0x%08x_%08x\n", hi, lo);
    __asm__("smull %0, %1, %2, %3" : "=&r"(lo), "=&r"(hi) : "r"(0xffffffffu), "r"(0x7fffffffu));
    printf("smull 0xffffffff 0x7fffffff -> 0x%08x_%08x\n", hi, lo);
    __asm__("smull %0, %1, %2, %3" : "=&r"(lo), "=&r"(hi) : "r"(0x80000000u), "r"(0x80000000u));
    printf("smull 0x80000000 0x80000000 -> 0x%08x_%08x\n", hi, lo);
    lo = 0xffffffffu;
    hi = 0x00000001u;
    __asm__("umlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(0xffffffffu), "r"(0x00000002u));
    printf("umlal 0x00000001_ffffffff + 0xffffffff * 0x2 -> 0x%08x_%08x\n", hi, lo);
    lo = 0x00000010u;
    hi = 0x00000000u;
    __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(0xfffffff0u), "r"(0x00000003u));
    printf("smlal 0x00000000_00000010 + 0xfffffff0 * 0x3 -> 0x%08x_%08x\n", hi, lo);
    lo = 0xffffffffu;
    hi = 0xffffffffu;
    __asm__("umaal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(0xffffffffu), "r"(0xffffffffu));
    printf("umaal 0xffffffff * 0xffffffff + 0xffffffff + 0xffffffff -> 0x%08x_%08x\n", hi, lo);

    /* MULS sets N and Z and leaves C and V alone. */
    __asm__("msr APSR_nzcvq, #0x30000000\n\tmuls %0, %2, %3\n\tmrs %1, apsr"
            : "=&r"(r), "=&r"(fl)
            : "r"(0x10000u), "r"(0x10000u)
            : "cc");
    printf("muls 0x10000 0x10000 with C V set -> 0x%08x, NZCV 0x%x\n", r, fl >> 28);
    __asm__("msr APSR_nzcvq, #0\n\tumulls %0, %1, %3, %4\n\tmrs %2, apsr"
            : "=&r"(lo), "=&r"(hi), "=&r"(fl)
            : "r"(0x80000000u), "r"(0x00000002u)
            : "cc");
    printf("umulls 0x80000000 0x2 -> 0x%08x_%08x, NZCV 0x%x\n", hi, lo, fl >> 28);

    printf("udiv 0xffffffff / 0x3 -> 0x%08x\n", udiv(0xffffffffu, 3));
    printf("udiv 0x80000000 / 0x10 -> 0x%08x\n", udiv(0x80000000u, 0x10));
    printf("udiv 0x7 / 0x0 -> 0x%08x\n", udiv(7, 0));
    printf("sdiv 0xfffffff9 / 0x2 -> 0x%08x\n", sdiv((uint32_t)-7, 2));
    printf("sdiv 0x7 / 0xfffffffe -> 0x%08x\n", sdiv(7, (uint32_t)-2));
    printf("sdiv 0xfffffff9 / 0xfffffffe -> 0x%08x\n", sdiv((uint32_t)-7, (uint32_t)-2));
    printf("sdiv 0x80000000 / 0xffffffff -> 0x%08x\n", sdiv(0x80000000u, 0xffffffffu));
    printf("sdiv 0x64 / 0x0 -> 0x%08x\n", sdiv(100, 0));

    uint32_t us = 0, ss = 0;
    for (uint32_t i = 1; i <= 1000; i++) {
        us += udiv(0xdeadbeefu, i) ^ i;
        ss += sdiv(0xdeadbeefu, i) * (i | 1u);
    }
    printf(
        "sum over i = 0x1..0x3e8 of (0xdeadbeef udiv i) ^ i 0x%08x, of (sdiv) * (i | 1) 0x%08x\n",
        us, ss);
}

/* ---- one instruction at a time ---------------------------------------------------- */

/* Prints an asm template as "adds rd, ra, rb; adcs ...". */
static void show_insn(const char *t)
{
    while (*t) {
        if (t[0] == '%' && t[1] == '[' && t[2] && t[3] == ']') {
            uart_putc('r');
            uart_putc(t[2] == 'r' ? 'd' : t[2]);
            t += 4;
        } else if (t[0] == '\n' && t[1] == '\t') {
            uart_puts("; ");
            t += 2;
        } else {
            uart_putc(*t++);
        }
    }
}

static void show_result(uint32_t pre, uint32_t a, uint32_t b, uint32_t r, uint32_t f)
{
    printf(": flags 0x%x, ra 0x%08x, rb 0x%08x -> rd 0x%08x, NZCV 0x%x Q 0x%x GE 0x%x\n", pre >> 28,
           a, b, r, f >> 28, (f >> 27) & 1u, (f >> 16) & 0xfu);
}

/* TEXT with rd = %[r], ra = %[a], rb = %[b], after APSR := PRE (NZCVQ and GE);
   prints the instructions, rd and the APSR flags after. */
#define FLAGOP(text, pre_, a_, b_)                                                                 \
    do {                                                                                           \
        uint32_t r_, f_;                                                                           \
        __asm__ volatile("msr APSR_nzcvqg, %[p]\n\t" text "\n\tmrs %[f], apsr"                     \
                         : [r] "=&r"(r_), [f] "=&r"(f_)                                            \
                         : [a] "r"(a_), [b] "r"(b_), [p] "r"(pre_)                                 \
                         : "cc");                                                                  \
        show_insn(text);                                                                           \
        show_result(pre_, a_, b_, r_, f_);                                                         \
    } while (0)

#define C_SET    0x20000000u
#define NZCV_SET 0xf0000000u

static void test_flags(void)
{
    FLAGOP("adds %[r], %[a], %[b]", 0, 0x7fffffffu, 1u);
    FLAGOP("adds %[r], %[a], %[b]", 0, 0xffffffffu, 1u);
    FLAGOP("subs %[r], %[a], %[b]", 0, 0u, 1u);
    FLAGOP("subs %[r], %[a], %[b]", 0, 5u, 5u);
    FLAGOP("subs %[r], %[a], %[b]", 0, 0x80000000u, 1u);
    FLAGOP("adcs %[r], %[a], %[b]", C_SET, 0xffffffffu, 0u);
    FLAGOP("adcs %[r], %[a], %[b]", 0, 0x7fffffffu, 0u);
    FLAGOP("sbcs %[r], %[a], %[b]", 0, 5u, 3u);
    FLAGOP("sbcs %[r], %[a], %[b]", C_SET, 3u, 5u);
    FLAGOP("rscs %[r], %[a], %[b]", 0, 3u, 5u);
    FLAGOP("rsbs %[r], %[a], #0", 0, 0x80000000u, 0u);
    FLAGOP("cmn %[a], %[b]\n\tmov %[r], #0", 0, 0xfffffffeu, 2u);
    FLAGOP("cmp %[a], %[b]\n\tmov %[r], #0", 0, 0x7fffffffu, 0xffffffffu);
    FLAGOP("tst %[a], #0xff000000\n\tmov %[r], #0", 0, 0x0f000000u, 0u);
    FLAGOP("teq %[a], %[b]\n\tmov %[r], #0", C_SET, 0x80000001u, 0x80000001u);
    FLAGOP("bics %[r], %[a], %[b]", 0, 0xf000000fu, 0x0000000fu);
    FLAGOP("mvns %[r], %[a]", 0, 0x0000ffffu, 0u);
    FLAGOP("ands %[r], %[a], %[b], lsl #1", 0, 0xffffffffu, 0x80000001u);
    FLAGOP("orrs %[r], %[a], %[b], lsr #1", 0, 0u, 0x00000001u);
    FLAGOP("eors %[r], %[a], %[b], asr #31", 0, 0x0000ffffu, 0x80000000u);
    FLAGOP("movs %[r], %[a], lsr #32", 0, 0x80000000u, 0u);
    FLAGOP("movs %[r], %[a], asr #32", 0, 0x80000000u, 0u);
    FLAGOP("movs %[r], %[a], ror #4", 0, 0x0000000fu, 0u);
    FLAGOP("movs %[r], %[a], rrx", C_SET, 0x00000002u, 0u);
    FLAGOP("movs %[r], %[a], rrx", 0, 0x00000003u, 0u);
    FLAGOP("movs %[r], %[a], lsl %[b]", 0, 1u, 32u);
    FLAGOP("movs %[r], %[a], lsl %[b]", C_SET, 1u, 33u);
    FLAGOP("movs %[r], %[a], lsr %[b]", 0, 0x80000000u, 32u);
    FLAGOP("movs %[r], %[a], asr %[b]", 0, 0x80000000u, 40u);
    FLAGOP("movs %[r], %[a], ror %[b]", 0, 0x12345678u, 36u);
    FLAGOP("movs %[r], %[a], ror %[b]", 0, 0x12345678u, 32u);
    FLAGOP("movs %[r], %[a], lsl %[b]", C_SET, 0x12345678u, 0x100u);
    FLAGOP("movs %[r], %[a], lsr %[b]", NZCV_SET, 0x12345678u, 0xffffff00u);
    FLAGOP("adds %[r], %[a], %[b], lsl #31", 0, 0x80000000u, 1u);
    FLAGOP("add %[r], %[a], %[b], ror #8", NZCV_SET, 0x10u, 0x000000ffu);
    /* 64-bit add and subtract chains */
    FLAGOP("adds %[r], %[a], %[b]\n\tadcs %[r], %[a], %[a]", 0, 0xffffffffu, 1u);
    FLAGOP("subs %[r], %[a], %[b]\n\tsbcs %[r], %[b], %[b]", 0, 0u, 1u);
}

static void test_saturate(void)
{
    FLAGOP("usat %[r], #8, %[a]", 0, 0x1ffu, 0u);
    FLAGOP("usat %[r], #8, %[a]", 0, 0xfffffffbu, 0u);
    FLAGOP("usat %[r], #8, %[a]", 0, 0x7fu, 0u);
    FLAGOP("ssat %[r], #16, %[a]", 0, 0x12345u, 0u);
    FLAGOP("ssat %[r], #16, %[a]", 0, 0x1234u, 0u);
    FLAGOP("ssat %[r], #16, %[a], lsl #4", 0, 0xf0000000u, 0u);
    FLAGOP("qadd %[r], %[a], %[b]", 0, 0x7fffffffu, 1u);
    FLAGOP("qsub %[r], %[a], %[b]", 0, 0x80000000u, 1u);
    FLAGOP("qadd %[r], %[a], %[b]", 0, 0x10u, 0x20u);
    FLAGOP("qdadd %[r], %[a], %[b]", 0, 1u, 0x40000000u);
    FLAGOP("qdsub %[r], %[a], %[b]", 0, 0u, 0xc0000000u);
    FLAGOP("ssat16 %[r], #8, %[a]", 0, 0x0100ff00u, 0u);
    FLAGOP("usat16 %[r], #4, %[a]", 0, 0x0005fff0u, 0u);
    FLAGOP("smlabb %[r], %[a], %[a], %[b]", 0, 0x00000001u, 0x7fffffffu);
}

static void test_bits(void)
{
    FLAGOP("clz %[r], %[a]", 0, 0x00f00000u, 0u);
    FLAGOP("clz %[r], %[a]", 0, 0u, 0u);
    FLAGOP("rbit %[r], %[a]", 0, 0x12345678u, 0u);
    FLAGOP("rev %[r], %[a]", 0, 0x12345678u, 0u);
    FLAGOP("rev16 %[r], %[a]", 0, 0x12345678u, 0u);
    FLAGOP("revsh %[r], %[a]", 0, 0x12345680u, 0u);
    FLAGOP("ubfx %[r], %[a], #8, #12", 0, 0xdeadbeefu, 0u);
    FLAGOP("sbfx %[r], %[a], #4, #8", 0, 0xdeadbeefu, 0u);
    FLAGOP("sbfx %[r], %[a], #0, #32", 0, 0x80000000u, 0u);
    FLAGOP("mov %[r], %[a]\n\tbfi %[r], %[b], #8, #8", 0, 0xffffffffu, 0x12u);
    FLAGOP("mov %[r], %[a]\n\tbfc %[r], #4, #12", 0, 0xffffffffu, 0u);
    FLAGOP("uxtb %[r], %[a]", 0, 0x12345678u, 0u);
    FLAGOP("uxtb %[r], %[a], ror #8", 0, 0x12345678u, 0u);
    FLAGOP("sxtb %[r], %[a]", 0, 0x12345680u, 0u);
    FLAGOP("uxth %[r], %[a]", 0, 0x12348001u, 0u);
    FLAGOP("sxth %[r], %[a]", 0, 0x12348001u, 0u);
    FLAGOP("sxth %[r], %[a], ror #16", 0, 0x80011234u, 0u);
    FLAGOP("uxtab %[r], %[a], %[b]", 0, 0x100u, 0x12345678u);
    FLAGOP("sxtah %[r], %[a], %[b]", 0, 0x100u, 0x0000fff0u);
    FLAGOP("uxtb16 %[r], %[a]", 0, 0x12345678u, 0u);
    FLAGOP("pkhbt %[r], %[a], %[b], lsl #16", 0, 0x1111aaaau, 0x2222bbbbu);
    FLAGOP("pkhtb %[r], %[a], %[b], asr #16", 0, 0x1111aaaau, 0x2222bbbbu);
    FLAGOP("smulbb %[r], %[a], %[b]", 0, 0x0000ffffu, 0x00000002u);
    FLAGOP("smultt %[r], %[a], %[b]", 0, 0x80000000u, 0x80000000u);
    FLAGOP("smulwb %[r], %[a], %[b]", 0, 0x12345678u, 0x00008000u);
    FLAGOP("smmul %[r], %[a], %[b]", 0, 0x40000000u, 0x40000000u);
    FLAGOP("smmulr %[r], %[a], %[b]", 0, 0x7fffffffu, 0x00000003u);
    FLAGOP("smuad %[r], %[a], %[b]", 0, 0x80008000u, 0x80008000u);
    FLAGOP("smusd %[r], %[a], %[b]", 0, 0x00030002u, 0x00050007u);
}

static void test_simd(void)
{
    FLAGOP("uadd8 %[r], %[a], %[b]", 0, 0x80ff7f01u, 0x80010101u);
    FLAGOP("uadd8 %[r], %[a], %[b]\n\tsel %[r], %[a], %[b]", 0, 0x80ff7f01u, 0x80010101u);
    FLAGOP("usub8 %[r], %[a], %[b]", 0, 0x01020304u, 0x02020202u);
    FLAGOP("sadd16 %[r], %[a], %[b]", 0, 0x7fff8000u, 0x0001ffffu);
    FLAGOP("ssub16 %[r], %[a], %[b]", 0, 0x00010005u, 0x00020003u);
    FLAGOP("uqadd8 %[r], %[a], %[b]", 0, 0xf0107f80u, 0x20f00180u);
    FLAGOP("uqsub8 %[r], %[a], %[b]", 0, 0x10203040u, 0x20102050u);
    FLAGOP("qadd16 %[r], %[a], %[b]", 0, 0x7fff8000u, 0x0001ffffu);
    FLAGOP("shadd16 %[r], %[a], %[b]", 0, 0x7fff8000u, 0x0001ffffu);
    FLAGOP("uhsub8 %[r], %[a], %[b]", 0, 0x00ff1020u, 0x01012010u);
    FLAGOP("usad8 %[r], %[a], %[b]", 0, 0x01020304u, 0x04030201u);
    FLAGOP("uasx %[r], %[a], %[b]", 0, 0x00050003u, 0x00020004u);
}

int main(void)
{
    printf("arith: start\n");
    test_crc();
    test_sort();
    test_sieve();
    test_muldiv();
    test_flags();
    test_saturate();
    test_bits();
    test_simd();
    printf("arith: done\n");
    return 0;
}

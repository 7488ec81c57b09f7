/*
 * selfmod: self-modifying code on one core (ARM ARM DDI 0406C, "Ordering of cache and
 * branch predictor maintenance operations" and its example of code modification).
 *
 * After a store of new instructions, the architecture requires
 *     DCCMVAU  (clean the written line to the point of unification)
 *     DSB      (the clean completes)
 *     ICIALLU or ICIMVAU, and BPIALL or BPIMVA (invalidate stale instructions and
 *              predictions)
 *     DSB      (the invalidations complete)
 *     ISB      (instructions after this are fetched again)
 * before the new instructions are guaranteed to run. The MMU and the data cache are off
 * here, so the clean has nothing to do, but the sequence is the one that is right in
 * every configuration; an emulator must treat each step as at least a no-op, and must
 * run the new instructions once the ISB has executed, including instructions that
 * follow the ISB in the very block that made the store.
 *
 * Every printed value is the result of code written at run time; none depends on
 * addresses.
 */
#include "guest.h"

#define LINE 64u /* smallest cache line of a Cortex-A15 */

#define MOV_R0(imm8)    (0xe3a00000u | (imm8)) /* mov r0, #imm8 */
#define MVN_R0(imm8)    (0xe3e00000u | (imm8)) /* mvn r0, #imm8 */
#define MOVW_R0(imm16)  (0xe3000000u | (((imm16)&0xf000u) << 4) | ((imm16)&0xfffu))
#define MOVT_R0(imm16)  (0xe3400000u | (((imm16)&0xf000u) << 4) | ((imm16)&0xfffu))
#define ADD_R0_R0(imm8) (0xe2800000u | (imm8)) /* add r0, r0, #imm8 */
#define BX_LR           0xe12fff1eu

static uint32_t code[16] __attribute__((aligned(64)));

typedef uint32_t (*fn_t)(void);

static void clean_lines(const void *p, uint32_t n)
{
    uint32_t a = (uint32_t)p & ~(LINE - 1);

    for (; a < (uint32_t)p + n; a += LINE)
        dccmvau((const void *)a);
    dsb();
}

/* The whole-cache form: DCCMVAU; DSB; ICIALLU; BPIALL; DSB; ISB. */
static void sync_all(const void *p, uint32_t n)
{
    clean_lines(p, n);
    iciallu();
    bpiall();
    dsb();
    isb();
}

/* The by-address form: DCCMVAU; DSB; ICIMVAU; BPIMVA (each line); DSB; ISB. */
static void sync_by_va(const void *p, uint32_t n)
{
    uint32_t a;

    clean_lines(p, n);
    for (a = (uint32_t)p & ~(LINE - 1); a < (uint32_t)p + n; a += LINE) {
        icimvau((const void *)a);
        CP15_WRITE(0, c7, c5, 7, a); /* BPIMVA */
    }
    dsb();
    isb();
}

static uint32_t run(void)
{
    return ((fn_t)(uintptr_t)code)();
}

static void test_buffer(void)
{
    uint32_t sum = 0;

    code[0] = MOV_R0(0x11);
    code[1] = BX_LR;
    sync_all(code, 8);
    printf("buffer: mov r0, #0x11 -> 0x%08x\n", run());

    code[0] = MOV_R0(0x22);
    sync_all(code, 4);
    printf("buffer: mov r0, #0x22 (iciallu) -> 0x%08x\n", run());

    code[0] = MOV_R0(0x33);
    sync_by_va(code, 4);
    printf("buffer: mov r0, #0x33 (icimvau, bpimva) -> 0x%08x\n", run());

    code[0] = MOVW_R0(0x1234u);
    code[1] = MOVT_R0(0x5678u);
    code[2] = BX_LR;
    sync_all(code, 12);
    printf("buffer: movw r0, #0x1234; movt r0, #0x5678 -> 0x%08x\n", run());

    code[1] = MOVT_R0(0x9abcu);
    sync_all(code + 1, 4);
    printf("buffer: second instruction now movt r0, #0x9abc -> 0x%08x\n", run());

    /* A buffer that grows: each round appends an add, so the function gets longer. */
    code[0] = MOV_R0(0);
    code[1] = BX_LR;
    for (int i = 1; i <= 8; i++) {
        code[i] = ADD_R0_R0((uint32_t)i);
        code[i + 1] = BX_LR;
        sync_all(code, 4 * (uint32_t)(i + 2));
        sum = (sum << 4) | (run() & 0xfu);
    }
    printf("buffer: 0x8 rounds appending add r0, r0, #i: low nibbles of results 0x%08x\n", sum);

    sum = 0;
    code[1] = BX_LR;
    for (uint32_t n = 1; n <= 64; n++) {
        code[0] = MOV_R0(n);
        sync_all(code, 4);
        sum += run();
    }
    printf("buffer: 0x40 rewrites of mov r0, #n, n = 0x1..0x40: sum 0x%08x\n", sum);
}

/*
 * In the same page as running code: patch_caller(insn) writes insn over the first
 * instruction of patch_target, which sits right after it, and calls it.
 * own_block(insn) writes insn into its own instruction stream, just after the ISB that
 * ends the maintenance sequence, and falls into it.
 */
uint32_t patch_caller(uint32_t insn);
uint32_t own_block(uint32_t insn);
__asm__(".pushsection .text.selfmod, \"ax\"\n"
        ".balign 256\n" /* all of it in one 4 KiB page */
        ".global patch_caller\n"
        ".type patch_caller, %function\n"
        "patch_caller:\n"
        "    push   {r4, lr}\n"
        "    adr    r1, patch_target\n"
        "    str    r0, [r1]\n"
        "    mcr    p15, 0, r1, c7, c11, 1\n" /* DCCMVAU */
        "    dsb\n"
        "    mcr    p15, 0, r0, c7, c5, 0\n" /* ICIALLU */
        "    mcr    p15, 0, r0, c7, c5, 6\n" /* BPIALL */
        "    dsb\n"
        "    isb\n"
        "    bl     patch_target\n"
        "    pop    {r4, pc}\n"
        ".size patch_caller, . - patch_caller\n"
        "patch_target:\n"
        "    mov    r0, #0\n"
        "    bx     lr\n"
        ".global own_block\n"
        ".type own_block, %function\n"
        "own_block:\n"
        "    adr    r1, 1f\n"
        "    str    r0, [r1]\n"
        "    mcr    p15, 0, r1, c7, c11, 1\n" /* DCCMVAU */
        "    dsb\n"
        "    mcr    p15, 0, r0, c7, c5, 0\n" /* ICIALLU */
        "    mcr    p15, 0, r0, c7, c5, 6\n" /* BPIALL */
        "    dsb\n"
        "    isb\n"
        "1:  mov    r0, #0\n" /* rewritten */
        "    bx     lr\n"
        ".size own_block, . - own_block\n"
        ".popsection\n");

static void test_same_page(void)
{
    printf("same page: patch_target <- mov r0, #0x5a -> 0x%08x\n", patch_caller(MOV_R0(0x5a)));
    printf("same page: patch_target <- mvn r0, #0x5a -> 0x%08x\n", patch_caller(MVN_R0(0x5a)));
    printf("same page: patch_target <- mov r0, #0x77 -> 0x%08x\n", patch_caller(MOV_R0(0x77)));
    printf("own block: after the isb <- mov r0, #0xa5 -> 0x%08x\n", own_block(MOV_R0(0xa5)));
    printf("own block: after the isb <- mvn r0, #0x0f -> 0x%08x\n", own_block(MVN_R0(0x0f)));
    printf("own block: after the isb <- mov r0, #0x3c -> 0x%08x\n", own_block(MOV_R0(0x3c)));
}

int main(void)
{
    printf("selfmod: start\n");
    test_buffer();
    test_same_page();
    printf("selfmod: done\n");
    return 0;
}

/*
 * exceptions: processor modes, banked registers, exception entry and return (ARM ARM
 * DDI 0406C, chapter B1: "ARM processor modes and ARM core registers", "Exception
 * handling", and the pseudocode of CPS, MSR, SRS, RFE, LDM (exception return) and
 * SUBS pc, lr).
 *
 * The transcript relies only on architectural behaviour:
 *  - r13 and r14 are banked per mode, User and System share theirs, FIQ also banks
 *    r8-r12, and each exception mode has its own SPSR (System mode has none). The stack
 *    tops are guest.ld's fixed addresses.
 *  - Exception entry: LR = the preferred return address + 4 for UND, SVC and prefetch
 *    abort (ARM state), SPSR = the old CPSR, CPSR.I = 1; CPSR.A is unchanged on UND and
 *    SVC entry and set on abort entry; CPSR.F is unchanged except on FIQ and reset;
 *    T = SCTLR.TE = 0, E = SCTLR.EE = 0, IT and J cleared.
 *  - UNDEFINED: UDF; an access to a coprocessor that is not implemented (p5 on a
 *    Cortex-A15); a CP10/CP11 access while CPACR denies it; a CP15 register that needs
 *    PL1 read at PL0; a VFP access other than to FPSID, FPEXC and MVFRn while
 *    FPEXC.EN = 0. The destination of an UNDEFINED MRC/VMRS is not written.
 *  - BKPT with debug disabled (neither halting nor monitor debug-mode) is a debug
 *    exception, taken as a Prefetch Abort with IFSR.FS = 0b00010 (IFAR is UNKNOWN
 *    then and is not printed).
 *  - RFE, MOVS pc, lr and LDM {.., pc}^ all write the CPSR from the SPSR.
 *  - In User mode CPS is a NOP, and MSR CPSR writes only N Z C V Q, GE and E
 *    (CPSRWriteByInstr): the mode, A, I and F stay as they are.
 * qemu-system-arm 7.2 agrees with all of it.
 */
#include "guest.h"

static const char *mode_name(uint32_t m)
{
    switch (m & MODE_MASK) {
    case MODE_USR: return "usr";
    case MODE_FIQ: return "fiq";
    case MODE_IRQ: return "irq";
    case MODE_SVC: return "svc";
    case MODE_ABT: return "abt";
    case MODE_UND: return "und";
    case MODE_SYS: return "sys";
    default: return "???";
    }
}

static const char *yes(int b)
{
    return b ? "yes" : "NO";
}

/* ---- the SVC hook ---------------------------------------------------------------- */

#define SVC_ADD        0x42 /* r0 += immediate */
#define SVC_REGS       0x44 /* r0-r12 := REG_PATTERN(i), flags := N V */
#define SVC_TO_SYSTEM  0xff /* return to System mode, A I F masked */
#define REG_PATTERN(i) (0x01010101u * (uint32_t)((i) + 0x10))

/* Every SVC the hook saw, in order. */
static struct {
    uint32_t imm, spsr, cpsr;
} svc_log[8];
static unsigned svc_count;

static void svc_hook(struct exc_frame *f, enum exc_kind kind)
{
    /* SVC imm24: bits [23:0] of the instruction that took the exception. */
    uint32_t imm = *(const volatile uint32_t *)f->pc & 0xffffffu;

    if (svc_count < 8) {
        svc_log[svc_count].imm = imm;
        svc_log[svc_count].spsr = f->spsr;
        svc_log[svc_count].cpsr = read_cpsr();
    }
    svc_count++;
    switch (imm) {
    case SVC_REGS:
        for (int i = 0; i < 13; i++)
            f->r[i] = REG_PATTERN(i);
        f->spsr = (f->spsr & 0x0fffffffu) | PSR_N | PSR_V;
        break;
    case SVC_TO_SYSTEM: f->spsr = (f->spsr & ~0x3ffu) | PSR_A | PSR_I | PSR_F | MODE_SYS; break;
    default: f->r[0] += imm; break;
    }
    exc_skip(f);
}

/* ---- 1. modes and banked registers ---------------------------------------------- */

static const uint32_t modes[6] = {MODE_FIQ, MODE_IRQ, MODE_ABT, MODE_UND, MODE_SYS, MODE_SVC};

/* Writes r14 (and the SPSR, r8) in every mode, then reads them all back. */
#define SET(mode, spsr_hi)                                                                         \
    "cps #" #mode "\n\t"                                                                           \
    "mov lr, #" #mode "\n\t"                                                                       \
    "movw r2, #" #mode "\n\t"                                                                      \
    "movt r2, #" #spsr_hi "\n\t"                                                                   \
    "msr spsr_fsxc, r2\n\t"
#define GET(cpsr_c, i)                                                                             \
    "msr cpsr_c, #" #cpsr_c "\n\t"                                                                 \
    "str sp, [r0, #4 * " #i "]\n\t"                                                                \
    "str lr, [r0, #4 * (6 + " #i ")]\n\t"
#define GET_SPSR(i) "mrs r2, spsr\n\tstr r2, [r0, #4 * (12 + " #i ")]\n\t"

static void test_banked(void)
{
    /* r13 by mode, r14 by mode, SPSR by mode (not System's: it has none), r8 in FIQ and
       in SVC mode; modes in the order of modes[]. */
    uint32_t out[19];
    register uint32_t *o __asm__("r0") = out;

    /* Written with CPS, read back with MSR; r0-r2 are not banked in any mode. */
    /* clang-format off */
    __asm__ volatile("mrs r1, cpsr\n\t"
                     SET(0x11, 0x1000) "mov r8, #0xf1\n\t"
                     SET(0x12, 0x2000)
                     SET(0x17, 0x3000)
                     SET(0x1b, 0x4000)
                     "cps #0x1f\n\tmov lr, #0x1f\n\t"
                     SET(0x13, 0x5000) "mov r8, #0x5c\n\t"
                     GET(0xd1, 0) GET_SPSR(0) "str r8, [r0, #4 * 17]\n\t"
                     GET(0xd2, 1) GET_SPSR(1)
                     GET(0xd7, 2) GET_SPSR(2)
                     GET(0xdb, 3) GET_SPSR(3)
                     GET(0xdf, 4)
                     GET(0xd3, 5) GET_SPSR(4) "str r8, [r0, #4 * 18]\n\t"
                     "msr cpsr_fsxc, r1"
                     :
                     : "r"(o)
                     : "r1", "r2", "r8", "lr", "memory", "cc");
    /* clang-format on */
    printf("banked registers, written after CPS, read back after MSR:\n");
    for (int i = 0; i < 6; i++) {
        uint32_t sp = out[i];

        printf("  %s: r13 ", mode_name(modes[i]));
        if (modes[i] == MODE_SVC)
            printf("%s", sp >= 0x40100000u && sp < 0x40104000u ? "(in the svc stack)"
                                                               : "(NOT in the svc stack)");
        else
            printf("0x%08x", sp);
        printf(" r14 0x%08x", out[6 + i]);
        if (modes[i] != MODE_SYS)
            printf(" SPSR 0x%08x", out[12 + i - (i > 4)]);
        printf("\n");
    }
    printf("  r8: fiq 0x%08x, svc 0x%08x\n", out[17], out[18]);
}

/* ---- 2. SVC round trip ---------------------------------------------------------- */

static void test_svc(void)
{
    register uint32_t r0 __asm__("r0") = 0x1000;
    uint32_t after;

    svc_count = 0;
    __asm__ volatile("msr   APSR_nzcvq, #0x60000000\n\t"
                     "svc   #0x42\n\t"
                     "mrs   %[c], cpsr"
                     : "+r"(r0), [c] "=r"(after)
                     :
                     : "lr", "memory", "cc");
    printf("svc #0x%06x from svc with Z C set: r0 0x00001000 -> 0x%08x\n", svc_log[0].imm, r0);
    printf("  SPSR_svc 0x%08x, handler CPSR[9:0] 0x%03x, CPSR after 0x%08x\n", svc_log[0].spsr,
           svc_log[0].cpsr & 0x3ffu, after);
}

/* ---- 3. the three exception returns --------------------------------------------- */

/* Sets r0-r12 to 0xa0+i, clears the flags, SVC #0x44, stores r0-r12 and the CPSR. */
void svc_regs(uint32_t *out);
__asm__(".pushsection .text.svc_regs, \"ax\"\n"
        ".global svc_regs\n"
        ".type svc_regs, %function\n"
        "svc_regs:\n"
        "    push   {r4-r11, lr}\n"
        "    push   {r0}\n"
        "    mov r0, #0xa0\n    mov r1, #0xa1\n    mov r2, #0xa2\n    mov r3, #0xa3\n"
        "    mov r4, #0xa4\n    mov r5, #0xa5\n    mov r6, #0xa6\n    mov r7, #0xa7\n"
        "    mov r8, #0xa8\n    mov r9, #0xa9\n    mov r10, #0xaa\n   mov r11, #0xab\n"
        "    mov r12, #0xac\n"
        "    msr    APSR_nzcvq, #0\n"
        "    svc    #0x44\n"
        "    mrs    lr, cpsr\n"
        "    push   {lr}\n"
        "    ldr    lr, [sp, #4]\n"
        "    stmia  lr, {r0-r12}\n"
        "    pop    {r0}\n"
        "    str    r0, [lr, #52]\n"
        "    add    sp, sp, #4\n"
        "    pop    {r4-r11, pc}\n"
        ".size svc_regs, . - svc_regs\n"
        ".popsection\n");

static void test_returns(void)
{
    static const char *const how[3] = {"rfeia sp!", "movs pc, lr", "ldmia lr, {r0-r12, pc}^"};

    printf("exception returns: the hook sets r0-r12 and SPSR.NZCV := 1001\n");
    for (uint32_t style = EXC_RET_RFE; style <= EXC_RET_LDM; style++) {
        uint32_t out[14];
        int match = 1;

        exc_return_style = style;
        svc_regs(out);
        exc_return_style = EXC_RET_RFE;
        for (int i = 0; i < 13; i++)
            match &= out[i] == REG_PATTERN(i);
        printf("  %s: r0 0x%08x r12 0x%08x, r0-r12 all the hook's: %s, CPSR 0x%08x\n", how[style],
               out[0], out[12], yes(match), out[13]);
    }
}

/* ---- 4. UDF, 5. coprocessors, 6. BKPT ------------------------------------------- */

static void show_und(const char *what, uint32_t at)
{
    printf("%s: und count 0x%x, at the instruction: %s, insn 0x%08x, SPSR 0x%08x, "
           "handler CPSR[9:0] 0x%03x\n",
           what, exc_last.count, yes(exc_last.pc == at), exc_last.insn, exc_last.spsr,
           exc_last.cpsr & 0x3ffu);
}

/* Runs one instruction that should trap, with the flags cleared first so that the SPSR
   is known and r1 = 0x5a5a5a5a; AT gets its address. Every use clobbers r1. */
#define TRAP(at, insn, ...)                                                                        \
    __asm__ volatile("movw r1, #0x5a5a\n\tmovt r1, #0x5a5a\n\t"                                    \
                     "msr APSR_nzcvq, #0\n\tadr %0, 1f\n1:\t" insn                                 \
                     : "=&r"(at)__VA_ARGS__)

static void test_udf(void)
{
    uint32_t at;

    exc_record_on(EXC_UND);
    TRAP(at, "udf #0x1234", : : "r1", "memory", "cc");
    show_und("udf #0x1234", at);
    printf("  imm16 from the instruction 0x%04x, resumed after it\n",
           ((exc_last.insn >> 4) & 0xfff0u) | (exc_last.insn & 0xfu));
}

static void test_coproc(void)
{
    uint32_t at, fpsid, cpacr, r1;

    /* Coprocessor 5 is not implemented on a Cortex-A15. */
    exc_record_on(EXC_UND);
    TRAP(at, "mrc p5, 0, r1, c0, c0, 0\n\tmov %1, r1", , "=r"(r1) : : "r1", "memory", "cc");
    show_und("mrc p5, 0, r1, c0, c0, 0", at);
    printf("  coprocessor 0x%x, r1 unchanged: %s\n", (exc_last.insn >> 8) & 0xfu,
           yes(r1 == 0x5a5a5a5a));

    /* VMRS r1, FPSID (CP10) with CPACR.cp10/cp11 = 00: access denied. */
    write_cpacr(0);
    exc_record_on(EXC_UND);
    TRAP(at, ".inst 0xeef01a10 @ vmrs r1, fpsid\n\tmov %1, r1", , "=r"(r1)
         :
         : "r1", "memory", "cc");
    show_und("vmrs r1, fpsid with CPACR 0x00000000", at);
    printf("  r1 unchanged: %s\n", yes(r1 == 0x5a5a5a5a));

    /* Full access to CP10/CP11: FPSID and FPEXC are readable while FPEXC.EN = 0;
       FPSCR is not. */
    write_cpacr(0x00f00000u);
    cpacr = read_cpacr();
    exc_record_on(EXC_UND);
    __asm__ volatile(".inst 0xeef00a10 @ vmrs r0, fpsid\n\tmov %0, r0" : "=r"(fpsid) : : "r0");
    printf("CPACR[23:20] 0x%x: vmrs r0, fpsid: 0x%08x, und count 0x%x\n", (cpacr >> 20) & 0xfu,
           fpsid, exc_last.count);
    __asm__ volatile(".inst 0xeef80a10 @ vmrs r0, fpexc\n\t"
                     "bic r0, r0, #0x40000000\n\t"
                     ".inst 0xeee80a10 @ vmsr fpexc, r0\n\t"
                     "isb"
                     :
                     :
                     : "r0", "memory");
    TRAP(at, ".inst 0xeef10a10 @ vmrs r0, fpscr", : : "r0", "r1", "memory", "cc");
    show_und("vmrs r0, fpscr with FPEXC.EN 0", at);
    exc_record_on(EXC_UND);
    __asm__ volatile(".inst 0xeef80a10 @ vmrs r0, fpexc\n\t"
                     "orr r0, r0, #0x40000000\n\t"
                     ".inst 0xeee80a10 @ vmsr fpexc, r0\n\t"
                     "isb\n\t"
                     ".inst 0xeef10a10 @ vmrs r0, fpscr\n\t"
                     ".inst 0xeef80a10 @ vmrs r0, fpexc\n\t"
                     "bic r0, r0, #0x40000000\n\t"
                     ".inst 0xeee80a10 @ vmsr fpexc, r0\n\t"
                     "isb"
                     :
                     :
                     : "r0", "memory");
    printf("vmrs r0, fpscr with FPEXC.EN 1: und count 0x%x\n", exc_last.count);
    write_cpacr(0);
    exc_set_hook(EXC_UND, 0);
}

static void test_bkpt(void)
{
    uint32_t at;

    exc_record_on(EXC_PABT);
    TRAP(at, "bkpt #0x5", : : "r1", "memory", "cc");
    printf("bkpt #0x5: pabt count 0x%x, at the instruction: %s, insn 0x%08x\n", exc_last.count,
           yes(exc_last.pc == at), *(const uint32_t *)at);
    printf("  IFSR[10,3:0] 0x%03x, SPSR 0x%08x, handler CPSR[9:0] 0x%03x\n", exc_last.fsr & 0x40fu,
           exc_last.spsr, exc_last.cpsr & 0x3ffu);
    exc_set_hook(EXC_PABT, 0);
}

/* ---- 7. User mode --------------------------------------------------------------- */

/*
 * out[0] r0 after SVC #0x45 (r0 was 7)       out[1] CPSR after it
 * out[2] r13 and out[3] r14 in User mode     out[4] r1 after an MRC of SCTLR (UNDEFINED)
 * out[5] CPSR after CPS #0x13 (a NOP)        out[6] CPSR after MSR CPSR_fsxc, #0x1d3
 * out[7] CPSR after SVC #0xff (returns to System mode)
 */
void user_trip(uint32_t *out);
__asm__(".pushsection .text.user_trip, \"ax\"\n"
        ".global user_trip\n"
        ".type user_trip, %function\n"
        "user_trip:\n"
        "    push   {r4-r11, lr}\n"
        "    mov    r4, r0\n"
        "    mrs    r5, cpsr\n"
        "    mov    r0, #0x10\n" /* User, A I F clear, flags clear */
        "    msr    cpsr_fsxc, r0\n"
        "    mov    r0, #7\n"
        "    msr    APSR_nzcvq, #0x80000000\n"
        "    svc    #0x45\n"
        "    str    r0, [r4, #0]\n"
        "    mrs    r0, cpsr\n"
        "    str    r0, [r4, #4]\n"
        "    str    sp, [r4, #8]\n"
        "    str    lr, [r4, #12]\n"
        "    ldr    r1, =0x5a5a5a5a\n"
        "    mrc    p15, 0, r1, c1, c0, 0\n" /* SCTLR at PL0: UNDEFINED */
        "    str    r1, [r4, #16]\n"
        "    cps    #0x13\n"
        "    mrs    r0, cpsr\n"
        "    str    r0, [r4, #20]\n"
        "    ldr    r0, =0x1d3\n"
        "    msr    cpsr_fsxc, r0\n"
        "    mrs    r0, cpsr\n"
        "    str    r0, [r4, #24]\n"
        "    svc    #0xff\n"
        "    mrs    r0, cpsr\n"
        "    str    r0, [r4, #28]\n"
        "    msr    cpsr_fsxc, r5\n" /* back to SVC as we were */
        "    pop    {r4-r11, pc}\n"
        "    .ltorg\n"
        ".size user_trip, . - user_trip\n"
        ".popsection\n");

static void test_user(void)
{
    uint32_t out[8];

    exc_record_on(EXC_UND);
    svc_count = 0;
    user_trip(out);
    printf("user mode (entered with MSR, A I F clear):\n");
    printf("  svc #0x%02x: r0 0x00000007 -> 0x%08x, SPSR 0x%08x, handler CPSR[9:0] 0x%03x, "
           "CPSR after 0x%08x\n",
           svc_log[0].imm, out[0], svc_log[0].spsr, svc_log[0].cpsr & 0x3ffu, out[1]);
    printf("  r13 0x%08x r14 0x%08x (System mode's)\n", out[2], out[3]);
    printf("  mrc p15, 0, r1, c1, c0, 0 (SCTLR): und count 0x%x, insn 0x%08x, SPSR 0x%08x, "
           "handler CPSR[9:0] 0x%03x, r1 0x%08x\n",
           exc_last.count, exc_last.insn, exc_last.spsr, exc_last.cpsr & 0x3ffu, out[4]);
    printf("  cps #0x13: CPSR 0x%08x\n", out[5]);
    printf("  msr cpsr_fsxc, 0x000001d3: CPSR 0x%08x\n", out[6]);
    printf("  svc #0x%02x: SPSR 0x%08x, handler CPSR[9:0] 0x%03x, returned to CPSR 0x%08x\n",
           svc_log[1].imm, svc_log[1].spsr, svc_log[1].cpsr & 0x3ffu, out[7]);
    printf("  svc count 0x%x\n", svc_count);
    exc_set_hook(EXC_UND, 0);
}

int main(void)
{
    printf("exceptions: start\n");
    exc_set_hook(EXC_SVC, svc_hook);
    test_banked();
    test_svc();
    test_returns();
    test_udf();
    test_coproc();
    test_bkpt();
    test_user();
    printf("exceptions: done\n");
    return 0;
}

/*
 * cpuoff: PSCI CPU_OFF and a second CPU_ON of the same CPU (Arm DEN 0022: CPU_OFF,
 * CPU_ON, AFFINITY_INFO). Run with -smp 2.
 *
 * CPU 1 is started (context id A), turns its MMU on (smp_secondary_main does, for
 * smp_init), changes VBAR and calls CPU_OFF from System mode with A, I and F unmasked.
 * CPU_OFF takes effect some time after the call: CPU 0 polls AFFINITY_INFO until it is
 * no longer ON, then it must be OFF. CPU 1 is then started again, at another entry point
 * (second_entry, below: it records that it ran, then goes on to the runtime's entry) and
 * with context id B. A CPU that CPU_ON starts begins as from a reset into the caller's
 * mode: r0 = the context id, SVC mode (no EL2 here), A, I and F masked, ARM state (bit 0
 * of the entry address is 0), MMU and data cache off (SCTLR.M = SCTLR.C = 0), whatever
 * it did before CPU_OFF. While it is on, CPU_ON of it returns ALREADY_ON; after its
 * second CPU_OFF it is OFF again. Only what the specification fixes is printed: the
 * other registers, VBAR and SCTLR's other bits are UNKNOWN or IMPLEMENTATION DEFINED at
 * entry. ON_PENDING is left out (see smp.c).
 */
#include "guest.h"

#define CONTEXT_A 0xa0a0a001u
#define CONTEXT_B 0xb0b0b002u

static volatile uint32_t sctlr_in_fn, context_in_fn, runs, hold;
/* What second_entry found: r0, CPSR, SCTLR and a count, stored with the MMU off. */
volatile uint32_t second_state[4];

void second_entry(void);
__asm__(".text\n"
        ".global second_entry\n"
        ".type second_entry, %function\n"
        ".balign 4\n"
        "second_entry:\n"
        "	ldr	r1, =second_state\n"
        "	mrs	r2, cpsr\n"
        "	mrc	p15, 0, r3, c1, c0, 0\n"
        "	ldr	r4, [r1, #12]\n"
        "	add	r4, r4, #1\n"
        "	stmia	r1, {r0, r2, r3, r4}\n"
        "	b	smp_secondary_entry\n"
        ".ltorg\n");

/* CPU_OFF from System mode, A, I and F unmasked. */
void off_from_system(void) __attribute__((noreturn));
__asm__(".text\n"
        ".arch_extension virt\n"
        ".global off_from_system\n"
        ".type off_from_system, %function\n"
        ".balign 4\n"
        "off_from_system:\n"
        "	cpsie	aif, #0x1f\n"
        "	ldr	r0, =0x84000002\n"
        "	hvc	#0\n"
        "1:	b	1b\n"
        ".ltorg\n");

static void secondary(uint32_t context)
{
    sctlr_in_fn = read_sctlr();
    context_in_fn = context;
    dmb();
    runs++;
    while (hold)
        ;
    if (context == CONTEXT_A && runs == 1) {
        CP15_WRITE(0, c12, c0, 0, 0x40000800u); /* VBAR */
        off_from_system();
    }
}

static void wait_off(void)
{
    int32_t ret;

    if (!WAIT_UNTIL(psci_affinity_info(smp_mpidr(1), 0) != PSCI_AFF_ON, 5000))
        printf("FAIL: cpu 1 stays ON\n");
    ret = psci_affinity_info(smp_mpidr(1), 0);
    printf("AFFINITY_INFO cpu 1: %s (%d)\n", psci_ret_name(ret, 1), ret);
}

static void entry_state(const char *how, uint32_t r0, uint32_t cpsr, uint32_t sctlr)
{
    printf("  %s: r0 0x%08x, CPSR[9:0] 0x%03x (mode 0x%02x, A I F 0x%03x, T %u, E %u), "
           "SCTLR.M %u, SCTLR.C %u\n",
           how, r0, cpsr & 0x3ffu, cpsr & MODE_MASK, cpsr & (PSR_A | PSR_I | PSR_F),
           (cpsr >> 5) & 1u, (cpsr >> 9) & 1u, sctlr & SCTLR_M, (sctlr & SCTLR_C) >> 2);
}

/* CPU_ON of CPU 1 at entry with context; waits for its function's run'th run and
   prints the state it arrived in. */
static int start(void (*entry)(void), uint32_t context, uint32_t run)
{
    int32_t ret;

    printf("CPU_ON cpu 1 at %s, context id 0x%08x: ",
           entry == second_entry ? "second_entry" : "smp_secondary_entry", context);
    ret = smp_start_at(1, entry, secondary, context);
    printf("%s (%d)\n", psci_ret_name(ret, 0), ret);
    if (!WAIT_UNTIL(runs == run, 5000)) {
        printf("FAIL: cpu 1 did not run\n");
        return 0;
    }
    if (entry == second_entry)
        entry_state("at second_entry", second_state[0], second_state[1], second_state[2]);
    else
        entry_state("at smp_secondary_entry", smp_entry_state[1].context, smp_entry_state[1].cpsr,
                    smp_entry_state[1].sctlr);
    return 1;
}

int main(void)
{
    int32_t ret;

    smp_init();
    printf("cpuoff: CPU_OFF, then CPU_ON again, of cpu 1\n");
    if (!start(smp_secondary_entry, CONTEXT_A, 1))
        return 0;
    printf("  in its function: context 0x%08x, SCTLR.M %u; CPU_OFF from System mode, A I F "
           "unmasked\n",
           context_in_fn, sctlr_in_fn & SCTLR_M);
    wait_off();

    hold = 1;
    if (!start(second_entry, CONTEXT_B, 2))
        return 0;
    printf("  second_entry ran %u time(s); the runtime's entry saw r0 0x%08x\n", second_state[3],
           smp_entry_state[1].context);
    printf("  in its function: context 0x%08x, SCTLR.M %u\n", context_in_fn, sctlr_in_fn & SCTLR_M);
    ret = smp_start(1, secondary, CONTEXT_A);
    printf("CPU_ON cpu 1 while it is on: %s (%d)\n", psci_ret_name(ret, 0), ret);
    ret = psci_affinity_info(smp_mpidr(1), 0);
    printf("AFFINITY_INFO cpu 1: %s (%d)\n", psci_ret_name(ret, 1), ret);
    printf("its function returns: CPU_OFF\n");
    dmb();
    hold = 0;
    wait_off();

    if (!start(smp_secondary_entry, CONTEXT_A, 3))
        return 0;
    printf("  smp_secondary_entry arrivals: %u, second_entry runs: %u\n", smp_entry_state[1].count,
           second_state[3]);
    wait_off();
    printf("system off\n");
    return 0;
}

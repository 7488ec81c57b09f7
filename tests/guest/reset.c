/*
 * reset: PSCI SYSTEM_RESET (Arm DEN 0022, 5.1.10) and what the virt board does on a
 * reset. Run with -smp 2 and without -no-reboot (reset.args), so that the reset
 * restarts the machine instead of ending the emulator.
 *
 * A boot counter with a magic number lives at BOOT_AREA, in RAM above anything loaded
 * (the default 128 MiB of RAM end at 0x48000000; the image and the stacks end below
 * 0x40180000). A system reset does not clear RAM on the virt board; it resets every
 * CPU and loads the ELF image again. So:
 *   boot 1: no magic yet: counter 1. Writes a .data word, starts CPU 1 (which waits
 *           with WFE), turns the MMU on (smp_init) and calls SYSTEM_RESET, which must
 *           not return.
 *   boot 2: counter 2. The .data word has its initial value again (the image was
 *           reloaded); CPU 0 entered in SVC mode, A I F masked, MMU off as from a cold
 *           reset; CPU 1 is OFF again (AFFINITY_INFO) and starts with CPU_ON. Clears
 *           the magic and powers off.
 *   boot 3 or more would mean SYSTEM_RESET came back: FAIL, power off.
 */
#include "guest.h"

#define BOOT_AREA 0x47f00000u
#define MAGIC     0x52e5e7b0u
#define DATA_INIT 0x0da7a000u

static volatile uint32_t data_word = DATA_INIT;
static volatile uint32_t cpu1_arrived;

static void cpu1(uint32_t context)
{
    cpu1_arrived = context;
    dsb();
    for (;;)
        wfe();
}

int main(void)
{
    volatile uint32_t *area = (volatile uint32_t *)BOOT_AREA;
    uint32_t boot, sctlr = guest_entry_sctlr, cpsr = guest_entry_cpsr;
    int32_t ret;

    if (area[0] != MAGIC || area[2] != ~area[1]) {
        area[0] = MAGIC;
        area[1] = 0;
    }
    boot = area[1] + 1;
    area[1] = boot;
    area[2] = ~boot;
    printf("boot %u\n", boot);
    printf("  entry CPSR[9:0] 0x%03x, SCTLR.M %u, .data word 0x%08x\n", cpsr & 0x3ffu,
           sctlr & SCTLR_M, data_word);
    ret = psci_affinity_info(smp_mpidr(1), 0);
    printf("  AFFINITY_INFO cpu 1: %s (%d)\n", psci_ret_name(ret, 1), ret);
    smp_init();
    ret = smp_start(1, cpu1, 0xc0ffee00u | boot);
    printf("  CPU_ON cpu 1: %s (%d)", psci_ret_name(ret, 0), ret);
    if (!WAIT_UNTIL(cpu1_arrived == (0xc0ffee00u | boot), 5000))
        printf(", FAIL: it did not arrive");
    printf("\n");
    if (boot == 1) {
        data_word = 0xbad0da7au;
        printf("  .data word := 0x%08x, MMU on\n", data_word);
        printf("SYSTEM_RESET\n");
        psci_system_reset();
    }
    area[0] = 0;
    if (boot != 2)
        printf("FAIL: boot %u\n", boot);
    printf("system off\n");
    return 0;
}

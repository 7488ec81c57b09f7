/*
 * hello: the first guest. Prints who the CPU says it is, the state it was entered in,
 * the PSCI version, and powers off.
 *
 * What is architectural here: a bare ELF is entered in the CPU's reset state, where
 * CPSR.M = SVC, A = I = F = 1, T = SCTLR.TE = 0 and E = SCTLR.EE = 0, so CPSR[9:0] is
 * 0x1d3; the flags are UNKNOWN and not printed. MIDR and MPIDR are those of the
 * Cortex-A15 r4p0 that the board gives CPU 0 (MPIDR bit 31 reads 1 with the
 * Multiprocessing Extensions, U = 0, Aff0 = the CPU index).
 * PSCI_VERSION is the board firmware's choice: qemu-system-arm 7.2 reports 1.1 (while
 * its device tree says "arm,psci-1.0"), and percore must report the same.
 * (qemu-system-arm 7.2 enters a bare ELF linked at the RAM base with r0 = r1 = r2 = 0
 * and puts the DTB at address 0, in flash, not with the Linux boot registers; no guest
 * here depends on either.)
 */
#include "guest.h"

int main(void)
{
    uint32_t midr = read_midr();
    uint32_t mpidr = read_mpidr();
    uint32_t cpsr = guest_entry_cpsr & 0x3ffu;
    uint32_t psci = psci_version();

    printf("hello from a percore guest\n");
    printf("MIDR 0x%08x: implementer 0x%02x, part 0x%03x, r%xp%x\n", midr, midr >> 24,
           (midr >> 4) & 0xfffu, (midr >> 20) & 0xfu, midr & 0xfu);
    printf("MPIDR 0x%08x: Aff2 0x%02x, Aff1 0x%02x, Aff0 0x%02x\n", mpidr, (mpidr >> 16) & 0xffu,
           (mpidr >> 8) & 0xffu, mpidr & 0xffu);
    printf("entry CPSR[9:0] 0x%03x: mode 0x%02x (%s), A I F masked 0x%03x, T 0x%x, E 0x%x\n", cpsr,
           cpsr & MODE_MASK, (cpsr & MODE_MASK) == MODE_SVC ? "svc" : "not svc",
           cpsr & (PSR_A | PSR_I | PSR_F), (cpsr >> 5) & 1u, (cpsr >> 9) & 1u);
    printf("PSCI_VERSION 0x%08x: %x.%x\n", psci, psci >> 16, psci & 0xffffu);
    printf("system off\n");
    return 0;
}

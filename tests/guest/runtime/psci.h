/* PSCI calls through the board's conduit, HVC (PSCI 1.0, ARM DEN 0022). */
#ifndef GUEST_PSCI_H
#define GUEST_PSCI_H

#include <stdint.h>

#define PSCI_VERSION           0x84000000u
#define PSCI_CPU_SUSPEND       0x84000001u
#define PSCI_CPU_OFF           0x84000002u
#define PSCI_CPU_ON            0x84000003u
#define PSCI_AFFINITY_INFO     0x84000004u
#define PSCI_MIGRATE           0x84000005u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES          0x8400000au
#define PSCI_CPU_ON_64         0xc4000003u /* the SMC64 form: not on an AArch32-only PE */

/* Return codes (int32_t). */
#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED             (-3)
#define PSCI_ALREADY_ON         (-4)
#define PSCI_ON_PENDING         (-5)
#define PSCI_INTERNAL_FAILURE   (-6)
#define PSCI_NOT_PRESENT        (-7)
#define PSCI_DISABLED           (-8)
#define PSCI_INVALID_ADDRESS    (-9)

/* AFFINITY_INFO results. */
#define PSCI_AFF_ON         0
#define PSCI_AFF_OFF        1
#define PSCI_AFF_ON_PENDING 2

/* HVC #0 with r0 = fn, r1-r3 = args; returns r0. */
uint32_t psci_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3);
uint32_t psci_version(void); /* major << 16 | minor */
/* target: the affinity fields of the target's MPIDR (smp_mpidr()), not bit 31. */
int32_t psci_cpu_on(uint32_t target, uint32_t entry, uint32_t context);
int32_t psci_affinity_info(uint32_t target, uint32_t level);
int32_t psci_features(uint32_t fn);
/* The name of a return code ("ALREADY_ON"), or of an AFFINITY_INFO state when
   affinity is non-zero ("ON", "OFF", "ON_PENDING"). */
const char *psci_ret_name(int32_t ret, int affinity);
/* CPU_OFF does not return; if it does, it says so on the console and waits forever. */
void psci_cpu_off(void) __attribute__((noreturn));
/* Neither returns; if the call does, they say so on the console and wait forever. */
void psci_system_off(void) __attribute__((noreturn));
void psci_system_reset(void) __attribute__((noreturn));

#endif

/* PSCI calls through the board's conduit, HVC (PSCI 1.0, ARM DEN 0022). */
#ifndef GUEST_PSCI_H
#define GUEST_PSCI_H

#include <stdint.h>

#define PSCI_VERSION      0x84000000u
#define PSCI_CPU_OFF      0x84000002u
#define PSCI_CPU_ON       0x84000003u
#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES     0x8400000au

/* HVC #0 with r0 = fn, r1-r3 = args; returns r0. */
uint32_t psci_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3);
uint32_t psci_version(void); /* major << 16 | minor */
/* Neither returns; if the call does, they say so on the console and wait forever. */
void psci_system_off(void) __attribute__((noreturn));
void psci_system_reset(void) __attribute__((noreturn));

#endif

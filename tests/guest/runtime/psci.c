#include "arm.h"
#include "psci.h"
#include "uart.h"

uint32_t psci_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3)
{
    register uint32_t r0 __asm__("r0") = fn;
    register uint32_t r1 __asm__("r1") = a1;
    register uint32_t r2 __asm__("r2") = a2;
    register uint32_t r3 __asm__("r3") = a3;

    /* SMC Calling Convention: r0-r3 results, r4-r14 preserved. HVC is in the
       Virtualization Extensions: tell the assembler. */
    __asm__ volatile(".arch_extension virt\n\thvc #0"
                     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)
                     :
                     : "memory");
    return r0;
}

uint32_t psci_version(void)
{
    return psci_call(PSCI_VERSION, 0, 0, 0);
}

int32_t psci_cpu_on(uint32_t target, uint32_t entry, uint32_t context)
{
    dsb(); /* what the new CPU reads is in memory first */
    return (int32_t)psci_call(PSCI_CPU_ON, target, entry, context);
}

int32_t psci_affinity_info(uint32_t target, uint32_t level)
{
    return (int32_t)psci_call(PSCI_AFFINITY_INFO, target, level, 0);
}

int32_t psci_features(uint32_t fn)
{
    return (int32_t)psci_call(PSCI_FEATURES, fn, 0, 0);
}

const char *psci_ret_name(int32_t ret, int affinity)
{
    static const char *const errors[] = {
        "SUCCESS",    "NOT_SUPPORTED",    "INVALID_PARAMETERS", "DENIED",   "ALREADY_ON",
        "ON_PENDING", "INTERNAL_FAILURE", "NOT_PRESENT",        "DISABLED", "INVALID_ADDRESS",
    };
    static const char *const states[] = {"ON", "OFF", "ON_PENDING"};

    if (affinity && ret >= 0 && ret <= 2)
        return states[ret];
    if (ret <= 0 && ret >= -9)
        return errors[-ret];
    return "?";
}

static void __attribute__((noreturn)) stuck(const char *what, uint32_t ret)
{
    uart_printf("psci: %s returned 0x%08x\n", what, ret);
    for (;;)
        __asm__ volatile("wfi");
}

void psci_cpu_off(void)
{
    stuck("CPU_OFF", psci_call(PSCI_CPU_OFF, 0, 0, 0));
}

void psci_system_off(void)
{
    stuck("SYSTEM_OFF", psci_call(PSCI_SYSTEM_OFF, 0, 0, 0));
}

void psci_system_reset(void)
{
    stuck("SYSTEM_RESET", psci_call(PSCI_SYSTEM_RESET, 0, 0, 0));
}

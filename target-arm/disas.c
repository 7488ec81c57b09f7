/* -d logging of the CPU: in_asm (each block's guest code as translated, disassembled
 * by capstone), exec (each block run), cpu (registers before each block), int
 * (exceptions taken). The capstone handle hangs off the vCPU, opened on first use. */
#include <capstone/capstone.h>
#include <glib.h>
#include <stdio.h>

#include "target-arm/internal.h"
#include "util/util.h"

static bool disas_open(uintptr_t *handle)
{
    if (*handle)
        return true;
    csh h;
    if (cs_open(CS_ARCH_ARM, CS_MODE_ARM, &h) != CS_ERR_OK)
        return false;
    *handle = (uintptr_t)h;
    return true;
}

void arm_disas(uintptr_t *handle, uint32_t pc, const uint8_t *code, unsigned n_insns,
               void (*line)(void *arg, const char *text), void *arg)
{
    cs_insn *insn = NULL;
    size_t got = disas_open(handle) ? cs_disasm((csh)*handle, code, 4 * n_insns, pc, 0, &insn) : 0;
    for (unsigned i = 0; i < n_insns; i++) {
        uint32_t word = (uint32_t)code[4 * i] | (uint32_t)code[4 * i + 1] << 8 |
                        (uint32_t)code[4 * i + 2] << 16 | (uint32_t)code[4 * i + 3] << 24;
        char text[256 + 64];
        /* capstone stops at the first word it cannot decode: say so for the rest */
        if (i < got)
            snprintf(text, sizeof(text), "0x%08x:  %08x  %s %s", pc + 4 * i, word,
                     insn[i].mnemonic, insn[i].op_str);
        else
            snprintf(text, sizeof(text), "0x%08x:  %08x  (capstone: undecodable)", pc + 4 * i,
                     word);
        line(arg, text);
    }
    if (insn)
        cs_free(insn, got);
}

void arm_disas_close(uintptr_t *handle)
{
    if (*handle) {
        csh h = (csh)*handle;
        cs_close(&h);
        *handle = 0;
    }
}

struct disas_to_string {
    GString *out;
    const char *indent;
};

static void disas_string_line(void *arg, const char *text)
{
    struct disas_to_string *d = arg;
    g_string_append_printf(d->out, "%s%s\n", d->indent, text);
}

bool arm_disas_ram(GString *out, const char *indent, const uint8_t *ram, uint64_t ram_base,
                   uint64_t ram_size, uint32_t pc, uint32_t phys, unsigned n_insns)
{
    uint64_t off = (uint64_t)phys - ram_base;
    if (phys < ram_base || off + 4ull * n_insns > ram_size)
        return false;
    struct disas_to_string d = {out, indent};
    uintptr_t cs = 0;
    arm_disas(&cs, pc, ram + off, n_insns, disas_string_line, &d);
    arm_disas_close(&cs);
    return true;
}

static void disas_log_line(void *arg, const char *text)
{
    log_item(LOG_IN_ASM, "%s", text);
}

void arm_log_in_asm(struct arm_cpu *cpu, uint32_t pc, const uint8_t *code, unsigned n_insns)
{
    log_item(LOG_IN_ASM, "IN: 0x%08x, %u instructions", pc, n_insns);
    arm_disas(&cpu->cs_handle, pc, code, n_insns, disas_log_line, NULL);
}

void arm_log_ops(const struct ir_op *ops, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct ir_op *o = &ops[i];
        log_item(LOG_OP, "  %3u %-8s d=%u a=%u b=%u c=%u imm=0x%x aux=%u flags=0x%x", i,
                 ir_opc_name(o->opc), o->d, o->a, o->b, o->c, o->imm, o->aux, o->flags);
    }
}

void arm_log_exec(struct arm_cpu *cpu, const struct tb *tb)
{
    log_item(LOG_EXEC, "Trace [pc 0x%08x flags 0x%02x] %u instructions", tb->pc, tb->flags,
             tb->n_insns);
}

const char *arm_mode_name(uint32_t mode)
{
    switch (mode) {
    case ARM_MODE_USR: return "usr";
    case ARM_MODE_FIQ: return "fiq";
    case ARM_MODE_IRQ: return "irq";
    case ARM_MODE_SVC: return "svc";
    case ARM_MODE_ABT: return "abt";
    case ARM_MODE_UND: return "und";
    case ARM_MODE_SYS: return "sys";
    default: return "???";
    }
}

void arm_log_cpu(struct arm_cpu *cpu)
{
    const struct arm_regs *r = cpu->regs;
    for (int i = 0; i < 16; i += 4)
        log_item(LOG_CPU, "R%02d=%08x R%02d=%08x R%02d=%08x R%02d=%08x", i, r->r[i], i + 1,
                 r->r[i + 1], i + 2, r->r[i + 2], i + 3, r->r[i + 3]);
    uint32_t psr = arm_regs_cpsr(r);
    log_item(LOG_CPU, "PSR=%08x %c%c%c%c %c %s32", psr, psr >> 31 ? 'N' : '-',
             (psr >> 30) & 1 ? 'Z' : '-', (psr >> 29) & 1 ? 'C' : '-', (psr >> 28) & 1 ? 'V' : '-',
             (psr >> 5) & 1 ? 'T' : 'A', arm_mode_name(psr & 0x1f));
}

void arm_log_exception(struct arm_cpu *cpu, unsigned exc, uint32_t from, uint32_t to)
{
    static const char *const names[] = {
        "Reset", "Undefined Instruction", "Supervisor Call", "Prefetch Abort", "Data Abort", "IRQ",
        "FIQ"};
    log_item(LOG_INT, "Taking exception %u [%s] from 0x%08x to 0x%08x", exc,
             exc < 7 ? names[exc] : "?", from, to);
}

void arm_log_close(struct arm_cpu *cpu)
{
    arm_disas_close(&cpu->cs_handle);
}

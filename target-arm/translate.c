/* The A32 front end: decodes guest instructions with the generated tables and emits
 * IR until the block ends (branch, exception, state change, page end or the block
 * size limit). Conditional execution is a branch over the instruction's ops. */
#include <glib.h>
#include <string.h>

#include "target-arm/translate.h"
#include "util/util.h"

#include "a32-decode.inc"

#define CPSR_T (1u << 5)
#define CPSR_E (1u << 9)

uint32_t arm_tb_flags(const struct arm_regs *r)
{
    return (r->cpsr & TBF_MODE_MASK) | ((r->cpsr & CPSR_T) ? TBF_THUMB : 0) |
           ((r->cpsr & CPSR_E) ? TBF_BE : 0);
}

/* Temps and labels are block-wide. When an instruction would run out of them it is
 * marked overflowed (its ops use a scratch slot and are thrown away) and the block is
 * cut before it: a guest can never exhaust them (translate loop). */
unsigned tmp_new(struct a32_ctx *s)
{
    if (s->n_temps >= IR_MAX_TEMPS - 1) {
        s->overflow = true;
        return IR_MAX_TEMPS - 1;
    }
    return s->n_temps++;
}

void emit(struct a32_ctx *s, unsigned opc, unsigned d, unsigned a, unsigned b, unsigned c,
          uint32_t imm, unsigned aux, unsigned flags)
{
    if (s->n_ops == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->ops = g_renew(struct ir_op, s->ops, s->cap);
    }
    s->ops[s->n_ops++] = (struct ir_op){.opc = (uint8_t)opc,
                                        .d = (uint8_t)d,
                                        .a = (uint8_t)a,
                                        .b = (uint8_t)b,
                                        .c = (uint8_t)c,
                                        .flags = (uint8_t)flags,
                                        .aux = (uint16_t)aux,
                                        .imm = imm};
}

unsigned emit_movi(struct a32_ctx *s, uint32_t imm)
{
    unsigned t = tmp_new(s);
    emit(s, IR_MOVI, t, IR_NONE, IR_NONE, IR_NONE, imm, 0, 0);
    return t;
}

unsigned emit_op2(struct a32_ctx *s, unsigned opc, unsigned a, unsigned b)
{
    unsigned t = tmp_new(s);
    emit(s, opc, t, a, b, IR_NONE, 0, 0, 0);
    return t;
}

unsigned emit_opi(struct a32_ctx *s, unsigned opc, unsigned a, uint32_t imm)
{
    unsigned t = tmp_new(s);
    emit(s, opc, t, a, IR_NONE, IR_NONE, imm, 0, 0);
    return t;
}

unsigned emit_op1(struct a32_ctx *s, unsigned opc, unsigned a)
{
    return emit_op2(s, opc, a, IR_NONE);
}

static void reg_cache_forget(struct a32_ctx *s)
{
    memset(s->reg_temp, IR_NONE, sizeof(s->reg_temp));
}

unsigned emit_call(struct a32_ctx *s, ir_helper_fn *fn, unsigned a, unsigned b, unsigned c,
                   uint32_t imm)
{
    unsigned t = tmp_new(s);
    emit(s, IR_CALL, t, a, b, c, imm, 0, 0);
    s->ops[s->n_ops - 1].fn = fn;
    reg_cache_forget(s); /* helpers may write registers (exceptions, banking, CPSR) */
    return t;
}

unsigned label_new(struct a32_ctx *s)
{
    if (s->n_labels >= IR_MAX_LABELS - 1) {
        s->overflow = true;
        return IR_MAX_LABELS - 1;
    }
    s->label_at[s->n_labels] = 0xffff;
    return s->n_labels++;
}

void label_set(struct a32_ctx *s, unsigned label)
{
    reg_cache_forget(s); /* paths join here: what each wrote is not known */
    s->label_at[label] = (uint16_t)s->n_ops;
    emit(s, IR_LABEL, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, label, 0);
}

unsigned load_reg(struct a32_ctx *s, unsigned n)
{
    if (n == 15)
        return emit_movi(s, s->pc + 8);
    if (s->reg_temp[n] != IR_NONE)
        return s->reg_temp[n];
    unsigned t = tmp_new(s);
    emit(s, IR_LDENV, t, IR_NONE, IR_NONE, IR_NONE, 0, ENV_R(n), 0);
    s->reg_temp[n] = (uint8_t)t;
    return t;
}

void store_reg(struct a32_ctx *s, unsigned n, unsigned t)
{
    g_assert(n < 15);
    emit(s, IR_STENV, IR_NONE, t, IR_NONE, IR_NONE, 0, ENV_R(n), 0);
    s->reg_temp[n] = (uint8_t)t;
}

void gen_bx_write_pc(struct a32_ctx *s, unsigned t)
{
    emit_call(s, helper_bx, t, IR_NONE, IR_NONE, 0);
    emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
    s->end = END_JUMP;
}

void gen_branch(struct a32_ctx *s, uint32_t target)
{
    emit(s, IR_GOTO, IR_NONE, IR_NONE, IR_NONE, IR_NONE, target & ~3u, 0, 0);
    s->end = END_JUMP;
}

void gen_exception(struct a32_ctx *s, enum arm_exception exc)
{
    emit_call(s, helper_exception, IR_NONE, IR_NONE, IR_NONE, (uint32_t)exc);
    emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
    s->end = END_JUMP;
}

/* UNDEFINED, and the one documented way percore treats UNPREDICTABLE encodings it
 * does not give a natural meaning: the Undefined Instruction exception. */
bool gen_undef(struct a32_ctx *s)
{
    gen_exception(s, EXC_UNDEF);
    return true;
}

unsigned mem_flags(struct a32_ctx *s, unsigned memf)
{
    if (s->flags & TBF_BE)
        memf |= MEMF_BE;
    if (s->user) /* blocks are per mode: the TLB to use is known here */
        memf |= MEMF_USER;
    return memf;
}

unsigned gen_load(struct a32_ctx *s, unsigned addr, unsigned memf)
{
    unsigned t = tmp_new(s);
    emit(s, IR_LD, t, addr, IR_NONE, IR_NONE, 0, 0, mem_flags(s, memf));
    return t;
}

void gen_store(struct a32_ctx *s, unsigned addr, unsigned value, unsigned memf)
{
    emit(s, IR_ST, IR_NONE, addr, value, IR_NONE, 0, 0, mem_flags(s, memf));
}

/* Turns label numbers into op indices. */
static void a32_resolve_labels(struct a32_ctx *s)
{
    for (unsigned i = 0; i < s->n_ops; i++) {
        struct ir_op *op = &s->ops[i];
        if (op->opc == IR_BRCOND || op->opc == IR_JMP) {
            g_assert(s->label_at[op->aux] != 0xffff);
            op->aux = s->label_at[op->aux];
        }
    }
}

/* An instruction needs its INSN op only if it can fault or call out (the op gives
 * aborts their pc), or if the one before stored to memory (a store into this block's
 * own code stops the block there). Others lose it: one dispatch less each. */
static void a32_mark_insn(struct a32_ctx *s, unsigned first, bool *prev_stored)
{
    bool touches = false, stores = false;
    for (unsigned i = first + 1; i < s->n_ops; i++) {
        unsigned opc = s->ops[i].opc;
        touches |= opc == IR_LD || opc == IR_ST || opc == IR_CALL;
        stores |= opc == IR_ST || opc == IR_CALL;
    }
    if (!touches && !*prev_stored)
        s->ops[first].flags = 1; /* removable */
    *prev_stored = stores;
}

/* Drops the removable INSN ops, then turns label numbers into op indices. */
static void a32_compact(struct a32_ctx *s)
{
    unsigned *map = g_new(unsigned, s->n_ops + 1);
    unsigned n = 0;
    for (unsigned i = 0; i < s->n_ops; i++) {
        map[i] = n;
        if (!(s->ops[i].opc == IR_INSN && s->ops[i].flags))
            s->ops[n++] = s->ops[i];
    }
    map[s->n_ops] = n;
    for (unsigned l = 0; l < s->n_labels; l++)
        if (s->label_at[l] != 0xffff)
            s->label_at[l] = (uint16_t)map[s->label_at[l]];
    s->n_ops = n;
    g_free(map);
    a32_resolve_labels(s);
}

/* One instruction; returns false when the block must end after it. */
static bool a32_translate_insn(struct a32_ctx *s, uint32_t insn)
{
    unsigned cond = insn >> 28;
    int skip = -1;
    s->end = END_NEXT;
    s->insn_op = s->n_ops;
    emit(s, IR_INSN, IR_NONE, IR_NONE, IR_NONE, IR_NONE, s->pc, 0, 0);
    if (cond == 0xf) {
        if (!a32_decode_uncond(s, insn))
            gen_undef(s);
    } else {
        if (cond != 0xe) {
            skip = (int)label_new(s);
            emit(s, IR_BRCOND, IR_NONE, IR_NONE, IR_NONE, IR_NONE, cond, (unsigned)skip, 0);
        }
        if (!a32_decode_cond(s, insn))
            gen_undef(s);
    }
    if (s->end == END_UPDATE) {
        if (skip >= 0)
            label_set(s, (unsigned)skip);
        unsigned t = emit_movi(s, s->pc + 4);
        emit(s, IR_STENV, IR_NONE, t, IR_NONE, IR_NONE, 0, ENV_R(15), 0);
        emit(s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
        return false;
    }
    if (s->end == END_JUMP) {
        if (skip >= 0) { /* the condition failed: on to the next instruction */
            label_set(s, (unsigned)skip);
            emit(s, IR_GOTO, IR_NONE, IR_NONE, IR_NONE, IR_NONE, s->pc + 4, 1, 0);
        }
        return false;
    }
    if (skip >= 0)
        label_set(s, (unsigned)skip);
    return true;
}

struct tb *arm_translate(struct arm_cpu *cpu, uint32_t pc, uint32_t phys_pc, uint32_t flags)
{
    struct a32_ctx s = {.cpu = cpu, .flags = flags};
    memset(s.reg_temp, IR_NONE, sizeof(s.reg_temp));
    s.user = (flags & TBF_MODE_MASK) == ARM_MODE_USR;
    uint32_t phys;
    const uint8_t *code = mem_code_ptr(cpu, pc, &phys);
    g_assert(code && phys == phys_pc);
    /* Step mode: a block of one instruction, for a pc whose translation crashed a
     * process of this vCPU twice (docs/operations.md, crash recovery). */
    bool step = cpu->env.translate_begin && cpu->env.translate_begin(cpu->env.opaque, pc, phys_pc);
    unsigned max_insns = step ? 1 : TB_MAX_INSNS;
    if (flags & TBF_ONE) /* the debugger's blocks: a pc check before each instruction */
        max_insns = 1;
    unsigned n = 0;
    bool prev_stored = false;
    s.pc = pc;
    for (;;) {
        uint32_t insn;
        memcpy(&insn, code + 4 * n, 4); /* instructions are little-endian (A3.3.1) */
        struct a32_ctx before = s;      /* to undo an instruction that does not fit */
        bool more = a32_translate_insn(&s, insn);
        if (s.overflow) {
            /* Out of temps or labels (never on a block's first instruction, which
             * starts with all of them): end the block before this one instead. */
            g_assert(n > 0);
            s.n_ops = before.n_ops;
            s.n_temps = before.n_temps;
            s.n_labels = before.n_labels;
            memcpy(s.reg_temp, before.reg_temp, sizeof(s.reg_temp));
            s.overflow = false;
            emit(&s, IR_GOTO, IR_NONE, IR_NONE, IR_NONE, IR_NONE, s.pc, 0, 0);
            break;
        }
        n++;
        a32_mark_insn(&s, s.insn_op, &prev_stored);
        s.pc += 4;
        if (!more)
            break;
        if (n >= max_insns || (s.pc & ~PAGE_MASK) == 0) {
            emit(&s, IR_GOTO, IR_NONE, IR_NONE, IR_NONE, IR_NONE, s.pc, 0, 0);
            break;
        }
    }
    /* Every path already ends in GOTO or EXIT; this one makes running off the end
     * impossible for the threaded interpreter. */
    emit(&s, IR_EXIT, IR_NONE, IR_NONE, IR_NONE, IR_NONE, 0, 0, 0);
    a32_compact(&s);
    if (log_enabled(LOG_IN_ASM))
        arm_log_in_asm(cpu, pc, code, n);
    if (log_enabled(LOG_OP))
        arm_log_ops(s.ops, s.n_ops);
    struct tb *tb = g_new0(struct tb, 1);
    tb->pc = pc;
    tb->phys_pc = phys_pc;
    tb->flags = flags;
    tb->size = 4 * n;
    tb->n_insns = (uint16_t)n;
    tb->n_ops = (uint16_t)s.n_ops;
    tb->ops = g_renew(struct ir_op, s.ops, s.n_ops);
    tb->valid = true;
    cpu->stats.translations++;
    if (cpu->env.translate_end)
        cpu->env.translate_end(cpu->env.opaque);
    return tb;
}

/* The portable IR interpreter: the reference backend. One dispatch per op over an
 * array of 32-bit temporaries; guest state is read and written in the register file
 * directly, so it is exact whenever a block ends. */
#include <stdatomic.h>
#include <string.h>

#include "target-arm/internal.h"

static const char *const ir_names[] = {
#define IR_NAME(name) #name,
    IR_OPS(IR_NAME)
#undef IR_NAME
};

const char *ir_opc_name(unsigned opc)
{
    return opc < IR_OPC_COUNT ? ir_names[opc] : "?";
}

#define ENV32(regs, off) (*(uint32_t *)((char *)(regs) + (off)))

/* Register-controlled shifts (A8.4.3): amount is the bottom byte. */
static uint32_t ir_shift(unsigned opc, uint32_t v, uint32_t amount, uint32_t cin, uint32_t *cout)
{
    amount &= 0xff;
    *cout = cin;
    if (amount == 0)
        return v;
    switch (opc) {
    case IR_LSL:
    case IR_LSL_C:
        *cout = amount <= 32 ? (amount == 32 ? v & 1 : (v >> (32 - amount)) & 1) : 0;
        return amount >= 32 ? 0 : v << amount;
    case IR_LSR:
    case IR_LSR_C:
        *cout = amount <= 32 ? (v >> (amount - 1)) & 1 : 0;
        return amount >= 32 ? 0 : v >> amount;
    case IR_ASR:
    case IR_ASR_C:
        if (amount >= 32) {
            *cout = v >> 31;
            return (uint32_t)((int32_t)v >> 31);
        }
        *cout = (v >> (amount - 1)) & 1;
        return (uint32_t)((int32_t)v >> amount);
    default: { /* ROR */
        unsigned r = amount & 31;
        uint32_t res = r ? (v >> r) | (v << (32 - r)) : v;
        *cout = res >> 31;
        return res;
    }
    }
}

static void ir_flags_add(struct arm_regs *r, uint32_t a, uint32_t b, uint32_t carry)
{
    uint64_t wide = (uint64_t)a + b + carry;
    uint32_t res = (uint32_t)wide;
    r->nf = r->zf = res;
    r->cf = (uint32_t)(wide >> 32);
    r->vf = (res ^ a) & ~(a ^ b);
}

static uint32_t ir_rbit(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++)
        r |= ((v >> i) & 1) << (31 - i);
    return r;
}

static uint32_t ir_sdiv(uint32_t a, uint32_t b)
{
    /* A8.8.165: division by zero gives 0 (no trap: SCTLR.DZ is RAZ on the A15);
     * INT_MIN / -1 overflows to INT_MIN. */
    if (b == 0)
        return 0;
    if (a == 0x80000000u && b == 0xffffffffu)
        return a;
    return (uint32_t)((int32_t)a / (int32_t)b);
}

static uint32_t ir_extract(uint32_t v, unsigned lsb, unsigned width, bool sign)
{
    uint32_t x = v >> lsb;
    if (width >= 32)
        return x;
    x &= (1u << width) - 1;
    if (sign && (x >> (width - 1)))
        x |= ~((1u << width) - 1);
    return x;
}

struct tb *ir_interp_run(struct arm_cpu *cpu, struct tb *tb)
{
    uint32_t t[IR_MAX_TEMPS];
    struct arm_regs *r = cpu->regs;
    const struct ir_op *ops = tb->ops;
    unsigned n = tb->n_ops;
    /* Threaded dispatch: each op jumps to the next op's code itself, so the host
     * predicts each transition on its own instead of through one shared jump. */
    static const void *const dispatch[IR_OPC_COUNT] = {
#define IR_LABEL_ADDR(name) [IR_##name] = &&op_##name,
        IR_OPS(IR_LABEL_ADDR)
#undef IR_LABEL_ADDR
    };
    unsigned pc = 0;
    const struct ir_op *op = &ops[0];
    uint32_t cout;
#define NEXT()                                                                                     \
    do {                                                                                           \
        op = &ops[++pc];                                                                           \
        goto *dispatch[op->opc];                                                                   \
    } while (0)
    (void)n;
    goto *dispatch[op->opc];
    {
        {
        op_MOVI:
            t[op->d] = op->imm;
            NEXT();
        op_MOV:
            t[op->d] = t[op->a];
            NEXT();
        op_ADDI:
            t[op->d] = t[op->a] + op->imm;
            NEXT();
        op_ANDI:
            t[op->d] = t[op->a] & op->imm;
            NEXT();
        op_ORI:
            t[op->d] = t[op->a] | op->imm;
            NEXT();
        op_XORI:
            t[op->d] = t[op->a] ^ op->imm;
            NEXT();
        op_SHLI:
            t[op->d] = t[op->a] << op->imm;
            NEXT();
        op_SHRI:
            t[op->d] = t[op->a] >> op->imm;
            NEXT();
        op_SARI:
            t[op->d] = (uint32_t)((int32_t)t[op->a] >> op->imm);
            NEXT();
        op_RORI:
            t[op->d] = (t[op->a] >> op->imm) | (t[op->a] << (32 - op->imm));
            NEXT();
        op_LDENV:
            t[op->d] = ENV32(r, op->aux);
            NEXT();
        op_STENV:
            ENV32(r, op->aux) = t[op->a];
            NEXT();
        op_ADD:
            t[op->d] = t[op->a] + t[op->b];
            NEXT();
        op_SUB:
            t[op->d] = t[op->a] - t[op->b];
            NEXT();
        op_AND:
            t[op->d] = t[op->a] & t[op->b];
            NEXT();
        op_OR:
            t[op->d] = t[op->a] | t[op->b];
            NEXT();
        op_XOR:
            t[op->d] = t[op->a] ^ t[op->b];
            NEXT();
        op_BIC:
            t[op->d] = t[op->a] & ~t[op->b];
            NEXT();
        op_MUL:
            t[op->d] = t[op->a] * t[op->b];
            NEXT();
        op_NOT:
            t[op->d] = ~t[op->a];
            NEXT();
        op_LSL:
        op_LSR:
        op_ASR:
        op_ROR:
            t[op->d] = ir_shift(op->opc, t[op->a], t[op->b], r->cf, &cout);
            NEXT();
        op_LSL_C:
        op_LSR_C:
        op_ASR_C:
        op_ROR_C : {
            uint32_t v = ir_shift(op->opc, t[op->a], t[op->b], r->cf, &cout);
            t[op->c] = cout;
            t[op->d] = v;
            NEXT();
        }
        op_RRX:
            t[op->d] = (r->cf << 31) | (t[op->a] >> 1);
            NEXT();
        op_RRX_C:
            t[op->d] = t[op->a] & 1;
            NEXT();
        op_ADC:
            t[op->d] = t[op->a] + t[op->b] + r->cf;
            NEXT();
        op_SBC:
            t[op->d] = t[op->a] - t[op->b] - !r->cf;
            NEXT();
        op_ADDS : {
            uint32_t a = t[op->a], b = t[op->b];
            ir_flags_add(r, a, b, 0);
            t[op->d] = a + b;
            NEXT();
        }
        op_SUBS : {
            uint32_t a = t[op->a], b = t[op->b];
            ir_flags_add(r, a, ~b, 1);
            t[op->d] = a - b;
            NEXT();
        }
        op_ADCS : {
            uint32_t a = t[op->a], b = t[op->b], c = r->cf;
            ir_flags_add(r, a, b, c);
            t[op->d] = a + b + c;
            NEXT();
        }
        op_SBCS : {
            uint32_t a = t[op->a], b = t[op->b], c = r->cf;
            ir_flags_add(r, a, ~b, c);
            t[op->d] = a + ~b + c;
            NEXT();
        }
        op_SETNZ:
            r->nf = r->zf = t[op->a];
            NEXT();
        op_SETNZC:
            r->nf = r->zf = t[op->a];
            r->cf = t[op->c];
            NEXT();
        op_SETNZ64:
            r->nf = t[op->b];
            r->zf = t[op->a] | t[op->b];
            NEXT();
        op_MULU64 : {
            uint64_t p = (uint64_t)t[op->a] * t[op->b];
            t[op->d] = (uint32_t)p;
            t[op->c] = (uint32_t)(p >> 32);
            NEXT();
        }
        op_MULS64 : {
            int64_t p = (int64_t)(int32_t)t[op->a] * (int32_t)t[op->b];
            t[op->d] = (uint32_t)p;
            t[op->c] = (uint32_t)((uint64_t)p >> 32);
            NEXT();
        }
        op_ADD64 : {
            uint64_t s =
                (((uint64_t)t[op->c] << 32) | t[op->d]) + (((uint64_t)t[op->b] << 32) | t[op->a]);
            t[op->d] = (uint32_t)s;
            t[op->c] = (uint32_t)(s >> 32);
            NEXT();
        }
        op_UDIV:
            t[op->d] = t[op->b] ? t[op->a] / t[op->b] : 0;
            NEXT();
        op_SDIV:
            t[op->d] = ir_sdiv(t[op->a], t[op->b]);
            NEXT();
        op_CLZ:
            t[op->d] = t[op->a] ? (uint32_t)__builtin_clz(t[op->a]) : 32;
            NEXT();
        op_REV:
            t[op->d] = __builtin_bswap32(t[op->a]);
            NEXT();
        op_REV16 : {
            uint32_t v = t[op->a];
            t[op->d] = ((v & 0x00ff00ffu) << 8) | ((v >> 8) & 0x00ff00ffu);
            NEXT();
        }
        op_REVSH:
            t[op->d] = (uint32_t)(int32_t)(int16_t)__builtin_bswap16((uint16_t)t[op->a]);
            NEXT();
        op_RBIT:
            t[op->d] = ir_rbit(t[op->a]);
            NEXT();
        op_SEXT8:
            t[op->d] = (uint32_t)(int32_t)(int8_t)t[op->a];
            NEXT();
        op_SEXT16:
            t[op->d] = (uint32_t)(int32_t)(int16_t)t[op->a];
            NEXT();
        op_ZEXT8:
            t[op->d] = t[op->a] & 0xff;
            NEXT();
        op_ZEXT16:
            t[op->d] = t[op->a] & 0xffff;
            NEXT();
        op_UBFX:
            t[op->d] = ir_extract(t[op->a], op->imm, op->aux, false);
            NEXT();
        op_SBFX:
            t[op->d] = ir_extract(t[op->a], op->imm, op->aux, true);
            NEXT();
        op_BFI : {
            uint32_t mask = (op->aux >= 32 ? 0xffffffffu : ((1u << op->aux) - 1)) << op->imm;
            t[op->d] = (t[op->a] & ~mask) | ((t[op->b] << op->imm) & mask);
            NEXT();
        }
        op_LD : {
            /* The RAM hit of an aligned little-endian access, inline; everything else
             * (miss, device, unaligned, big-endian, sign) through mem_load. */
            uint32_t va = t[op->a];
            unsigned f = op->flags;
            const struct tlb_entry *e = &cpu->tlb[(f & MEMF_USER) ? MMU_IDX_USER : MMU_IDX_PRIV]
                                                 [(va >> PAGE_BITS) & (TLB_SIZE - 1)];
            if (__builtin_expect(e->addr_read == (va & PAGE_MASK) && !(f & (MEMF_BE | MEMF_SIGN)) &&
                                     !(va & ((1u << (f & MEMF_SIZE_MASK)) - 1)),
                                 1)) {
                const uint8_t *p = (const uint8_t *)(uintptr_t)(va + e->addend);
                uint32_t v;
                if ((f & MEMF_SIZE_MASK) == 2)
                    memcpy(&v, p, 4);
                else if ((f & MEMF_SIZE_MASK) == 1) {
                    uint16_t h;
                    memcpy(&h, p, 2);
                    v = h;
                } else
                    v = *p;
                t[op->d] = v;
                NEXT();
            }
            if (!mem_load(cpu, va, f, &t[op->d]))
                return NULL; /* the abort set the pc */
            NEXT();
        }
        op_ST : {
            uint32_t va = t[op->a];
            unsigned f = op->flags;
            const struct tlb_entry *e = &cpu->tlb[(f & MEMF_USER) ? MMU_IDX_USER : MMU_IDX_PRIV]
                                                 [(va >> PAGE_BITS) & (TLB_SIZE - 1)];
            if (__builtin_expect(e->addr_write == (va & PAGE_MASK) && !(f & MEMF_BE) &&
                                     !(va & ((1u << (f & MEMF_SIZE_MASK)) - 1)),
                                 1)) {
                uint8_t *p = (uint8_t *)(uintptr_t)(va + e->addend);
                uint32_t v = t[op->b];
                if ((f & MEMF_SIZE_MASK) == 2)
                    memcpy(p, &v, 4);
                else if ((f & MEMF_SIZE_MASK) == 1) {
                    uint16_t h = (uint16_t)v;
                    memcpy(p, &h, 2);
                } else
                    *p = (uint8_t)v;
                NEXT();
            }
            if (!mem_store(cpu, va, f, t[op->b]))
                return NULL;
            NEXT();
        }
        op_BRCOND:
            if (!arm_cond_passed(r, op->imm))
                pc = op->aux - 1u; /* aux: op index of the label */
            NEXT();
        op_JMP:
            pc = op->aux - 1u;
            NEXT();
        op_LABEL:
            NEXT();
        op_CALL : {
            uint32_t v =
                op->fn(cpu, op->a != IR_NONE ? t[op->a] : 0, op->b != IR_NONE ? t[op->b] : 0,
                       op->c != IR_NONE ? t[op->c] : 0, op->imm);
            if (op->d != IR_NONE)
                t[op->d] = v;
            if (cpu->exception_taken) {
                cpu->exception_taken = false;
                return NULL;
            }
            NEXT();
        }
        op_INSN:
            if (cpu->stop_at_insn) {
                /* A store in this block overwrote translated code: what follows
                 * may be stale, so stop before it and translate again. */
                cpu->stop_at_insn = false;
                r->r[15] = op->imm;
                return NULL;
            }
            cpu->insn_pc = op->imm;
            NEXT();
        op_EXIT:
            return NULL;
        op_GOTO : {
            r->r[15] = op->imm;
            if (cpu->stop_at_insn) {
                cpu->stop_at_insn = false;
                return NULL;
            }
            struct tb *next = tb->chain[op->aux];
            if (!next || !next->valid) {
                cpu->chain_slot = op->aux; /* the run loop links the block it finds */
                return NULL;
            }
            /* Chained: go straight on, unless the run loop has something to do
             * (an exit request: invariant 3; logging of each block). */
            if (--cpu->blocks_left == 0 || cpu->log_exec || cpu->log_cpu ||
                (cpu->env.exit_request &&
                 atomic_load_explicit(cpu->env.exit_request, memory_order_relaxed)))
                return next;
            cpu->stats.blocks++;
            cpu->stats.insns += next->n_insns;
            cpu->stats.chained++;
            tb = next;
            cpu->last_tb = tb;
            ops = tb->ops;
            pc = 0;
            op = &ops[0];
            goto *dispatch[op->opc];
        }
        }
    }
#undef NEXT
}

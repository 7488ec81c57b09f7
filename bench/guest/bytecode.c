/*
 * bytecode: a stack-machine bytecode interpreter running a small program. The loop an
 * interpreter (or an emulator without a JIT) spends its time in: fetch, an indirect
 * branch through a jump table (switch), a few loads and stores on the operand stack.
 *
 * The machine: 32-bit words, an operand stack, a call stack of (return pc, frame
 * pointer), frames whose first slots are the arguments, and a word-addressed data
 * memory. The program (assembled at start-up by the little assembler below) calls
 *   fib(20)          recursive Fibonacci: 6765, 21891 calls
 *   sieve(8192)      Eratosthenes over the data memory: 1028 primes below 8192
 *   gcdsum(2000, 360)  sum of gcd(i, 360) for 1 <= i < 2000 by Euclid (MOD: UDIV, MLS)
 * and halts with the three results on its stack. Each round runs it once; the result
 * line gives the three results of the last round, the number of bytecode instructions
 * executed per round, and a checksum over all rounds.
 */
#include "bench.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 80
#endif

enum op {
    OP_HALT,
    OP_PUSH,
    OP_LOAD,
    OP_STORE,
    OP_INC,
    OP_GLOAD,
    OP_GSTORE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_MOD,
    OP_LT,
    OP_JMP,
    OP_JZ,
    OP_CALL,
    OP_RET,
    OP_ENTER,
    OP_DROP,
};

#define MEM_WORDS   8192u
#define STACK_WORDS 1024u
#define CALL_DEPTH  256u

static int32_t code[512];
static uint32_t ncode;
static int32_t mem[MEM_WORDS];
static int32_t stack[STACK_WORDS];
static uint32_t call_pc[CALL_DEPTH], call_fp[CALL_DEPTH];
static uint32_t executed;

/* ---- the assembler: labels are small integers, patched at the end ---------------- */

#define MAX_LABELS 32
#define MAX_FIXUPS 64
static uint32_t label_at[MAX_LABELS];
static uint32_t fixup_at[MAX_FIXUPS], fixup_label[MAX_FIXUPS], nfixups;

static void e(int32_t w)
{
    code[ncode++] = w;
}
static void e1(enum op op, int32_t a)
{
    e(op);
    e(a);
}
static void label(uint32_t l)
{
    label_at[l] = ncode;
}
static void ref(enum op op, uint32_t l) /* JMP, JZ, CALL: the target is a label */
{
    e(op);
    fixup_at[nfixups] = ncode;
    fixup_label[nfixups++] = l;
    e(0);
}
static void link(void)
{
    for (uint32_t i = 0; i < nfixups; i++)
        code[fixup_at[i]] = (int32_t)label_at[fixup_label[i]];
}

enum {
    L_FIB,
    L_FIB_REC,
    L_SIEVE,
    L_FILL,
    L_FILL_END,
    L_OUTER,
    L_INNER,
    L_NEXT,
    L_COUNT,
    L_CLOOP,
    L_DONE,
    L_GCDSUM,
    L_GLOOP,
    L_EUCLID,
    L_EUCLID_END,
    L_GDONE,
};

static void assemble(void)
{
    /* main: fib(20); sieve(8192); gcdsum(2000, 360); halt */
    e1(OP_PUSH, 20);
    ref(OP_CALL, L_FIB), e(1);
    e1(OP_PUSH, MEM_WORDS);
    ref(OP_CALL, L_SIEVE), e(1);
    e1(OP_PUSH, 2000);
    e1(OP_PUSH, 360);
    ref(OP_CALL, L_GCDSUM), e(2);
    e(OP_HALT);

    /* fib(n): n < 2 ? n : fib(n - 1) + fib(n - 2) */
    label(L_FIB);
    e1(OP_LOAD, 0), e1(OP_PUSH, 2), e(OP_LT), ref(OP_JZ, L_FIB_REC);
    e1(OP_LOAD, 0), e(OP_RET);
    label(L_FIB_REC);
    e1(OP_LOAD, 0), e1(OP_PUSH, 1), e(OP_SUB), ref(OP_CALL, L_FIB), e(1);
    e1(OP_LOAD, 0), e1(OP_PUSH, 2), e(OP_SUB), ref(OP_CALL, L_FIB), e(1);
    e(OP_ADD), e(OP_RET);

    /* sieve(n): locals 0 n, 1 i, 2 j, 3 count; returns the primes below n */
    label(L_SIEVE);
    e1(OP_ENTER, 3);
    e1(OP_PUSH, 2), e1(OP_STORE, 1);
    label(L_FILL); /* mem[i] = 1 for 2 <= i < n */
    e1(OP_LOAD, 1), e1(OP_LOAD, 0), e(OP_LT), ref(OP_JZ, L_FILL_END);
    e1(OP_LOAD, 1), e1(OP_PUSH, 1), e(OP_GSTORE), e1(OP_INC, 1), ref(OP_JMP, L_FILL);
    label(L_FILL_END);
    e1(OP_PUSH, 2), e1(OP_STORE, 1);
    label(L_OUTER); /* while i * i < n */
    e1(OP_LOAD, 1), e1(OP_LOAD, 1), e(OP_MUL), e1(OP_LOAD, 0), e(OP_LT), ref(OP_JZ, L_COUNT);
    e1(OP_LOAD, 1), e(OP_GLOAD), ref(OP_JZ, L_NEXT);
    e1(OP_LOAD, 1), e1(OP_LOAD, 1), e(OP_MUL), e1(OP_STORE, 2);
    label(L_INNER); /* for j = i * i; j < n; j += i: mem[j] = 0 */
    e1(OP_LOAD, 2), e1(OP_LOAD, 0), e(OP_LT), ref(OP_JZ, L_NEXT);
    e1(OP_LOAD, 2), e1(OP_PUSH, 0), e(OP_GSTORE);
    e1(OP_LOAD, 2), e1(OP_LOAD, 1), e(OP_ADD), e1(OP_STORE, 2), ref(OP_JMP, L_INNER);
    label(L_NEXT);
    e1(OP_INC, 1), ref(OP_JMP, L_OUTER);
    label(L_COUNT);
    e1(OP_PUSH, 2), e1(OP_STORE, 1);
    label(L_CLOOP); /* count += mem[i] for 2 <= i < n */
    e1(OP_LOAD, 1), e1(OP_LOAD, 0), e(OP_LT), ref(OP_JZ, L_DONE);
    e1(OP_LOAD, 3), e1(OP_LOAD, 1), e(OP_GLOAD), e(OP_ADD), e1(OP_STORE, 3);
    e1(OP_INC, 1), ref(OP_JMP, L_CLOOP);
    label(L_DONE);
    e1(OP_LOAD, 3), e(OP_RET);

    /* gcdsum(m, k): locals 0 m, 1 k, 2 i, 3 sum, 4 a, 5 b, 6 t */
    label(L_GCDSUM);
    e1(OP_ENTER, 5);
    e1(OP_PUSH, 1), e1(OP_STORE, 2);
    label(L_GLOOP);
    e1(OP_LOAD, 2), e1(OP_LOAD, 0), e(OP_LT), ref(OP_JZ, L_GDONE);
    e1(OP_LOAD, 2), e1(OP_STORE, 4), e1(OP_LOAD, 1), e1(OP_STORE, 5);
    label(L_EUCLID); /* while b: t = a % b; a = b; b = t */
    e1(OP_LOAD, 5), ref(OP_JZ, L_EUCLID_END);
    e1(OP_LOAD, 4), e1(OP_LOAD, 5), e(OP_MOD), e1(OP_STORE, 6);
    e1(OP_LOAD, 5), e1(OP_STORE, 4), e1(OP_LOAD, 6), e1(OP_STORE, 5), ref(OP_JMP, L_EUCLID);
    label(L_EUCLID_END);
    e1(OP_LOAD, 3), e1(OP_LOAD, 4), e(OP_ADD), e1(OP_STORE, 3);
    e1(OP_INC, 2), ref(OP_JMP, L_GLOOP);
    label(L_GDONE);
    e1(OP_LOAD, 3), e(OP_RET);

    link();
}

/* ---- the interpreter ---------------------------------------------------------------- */

static inline uint32_t udiv(uint32_t n, uint32_t d)
{
    uint32_t q;

    __asm__(".arch_extension idiv\n\tudiv %0, %1, %2" : "=r"(q) : "r"(n), "r"(d));
    return q;
}

/* Runs from pc 0 to HALT; returns the stack depth (the results are stack[0..depth)). */
static uint32_t run(void)
{
    uint32_t pc = 0, sp = 0, fp = 0, csp = 0, n = 0;
    int32_t a, b;

    for (;;) {
        n++;
        switch ((enum op)code[pc++]) {
        case OP_HALT: executed = n; return sp;
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = stack[fp + (uint32_t)code[pc++]]; break;
        case OP_STORE: stack[fp + (uint32_t)code[pc++]] = stack[--sp]; break;
        case OP_INC: stack[fp + (uint32_t)code[pc++]]++; break;
        case OP_GLOAD: stack[sp - 1] = mem[(uint32_t)stack[sp - 1] & (MEM_WORDS - 1)]; break;
        case OP_GSTORE: /* addr value -- */
            b = stack[--sp];
            a = stack[--sp];
            mem[(uint32_t)a & (MEM_WORDS - 1)] = b;
            break;
        case OP_ADD:
            b = stack[--sp];
            stack[sp - 1] += b;
            break;
        case OP_SUB:
            b = stack[--sp];
            stack[sp - 1] -= b;
            break;
        case OP_MUL:
            b = stack[--sp];
            stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] * (uint32_t)b);
            break;
        case OP_MOD: /* unsigned; x % 0 = x */
            b = stack[--sp];
            a = stack[sp - 1];
            stack[sp - 1] = (int32_t)((uint32_t)a - udiv((uint32_t)a, (uint32_t)b) * (uint32_t)b);
            break;
        case OP_LT:
            b = stack[--sp];
            stack[sp - 1] = stack[sp - 1] < b;
            break;
        case OP_JMP: pc = (uint32_t)code[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? (uint32_t)code[pc] : pc + 1; break;
        case OP_CALL: /* target nargs: the arguments become the callee's first slots */
            call_pc[csp] = pc + 2;
            call_fp[csp++] = fp;
            fp = sp - (uint32_t)code[pc + 1];
            pc = (uint32_t)code[pc];
            break;
        case OP_RET: /* the top of the stack replaces the callee's frame */
            a = stack[sp - 1];
            sp = fp;
            stack[sp++] = a;
            fp = call_fp[--csp];
            pc = call_pc[csp];
            break;
        case OP_ENTER: /* n more zeroed locals */
            for (uint32_t i = (uint32_t)code[pc++]; i > 0; i--)
                stack[sp++] = 0;
            break;
        case OP_DROP: sp--; break;
        default: printf("bytecode: bad opcode %d at %u\n", code[pc - 1], pc - 1); return 0;
        }
    }
}

int main(void)
{
    uint32_t acc = 0, depth = 0;

    bench_start();
    assemble();
    for (uint32_t r = 0; r < BENCH_ROUNDS; r++) {
        depth = run();
        for (uint32_t i = 0; i < depth; i++)
            acc = ((acc << 7) | (acc >> 25)) ^ (uint32_t)stack[i] ^ r;
        acc ^= executed;
    }
    if (depth != 3) {
        printf("bytecode: the program left %u words on the stack, not 3\n", depth);
        return 0;
    }
    printf("bytecode: %u rounds of %u instructions: fib(20) %d, primes below 8192 %d, "
           "gcdsum(2000, 360) %d, checksum 0x%08x\n",
           (uint32_t)BENCH_ROUNDS, executed, stack[0], stack[1], stack[2], acc);
    return 0;
}

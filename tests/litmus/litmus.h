/*
 * The litmus harness (harness.c) and the tables tests/litmus/gen.py generates for one
 * test (docs/litmus.md). A generated NAME.c defines `litmus_test` and one assembly
 * function per thread; harness.c runs it on nthreads CPUs and prints the log.
 *
 * A thread function gets r0 = its register block: 13 words, the initial r0 .. r12. It
 * loads them all (LDM), runs the test's code, stores r0 .. r12 back into the block
 * (STM) and returns; the block is the only memory it touches besides the test's
 * locations.
 */
#ifndef LITMUS_H
#define LITMUS_H

#include <stdint.h>

#define LITMUS_MAX_THREADS 8 /* SMP_MAX_CPUS */
#define LITMUS_MAX_LOCS    8
#define LITMUS_MAX_OBS     12
#define LITMUS_NREGS       13 /* r0 .. r12 */

typedef void (*litmus_thread_fn)(uint32_t *regs);

/* An initial register value: a constant, or the address of a location. */
enum litmus_init_kind { LITMUS_INIT_CONST, LITMUS_INIT_ADDR };
struct litmus_init {
    uint8_t thread, reg, kind;
    uint32_t value; /* the constant, or the location's index */
};

/* Something the outcome records: a register of a thread at its end, or a location's
   final value. */
enum litmus_obs_kind { LITMUS_OBS_REG, LITMUS_OBS_LOC };
struct litmus_obs {
    uint8_t kind, thread, index; /* index: the register, or the location */
    const char *name;            /* "1:r0", "x" */
};

struct litmus_test {
    const char *name;
    unsigned nthreads, nlocs, ninits, nobs;
    uint32_t iterations;
    const litmus_thread_fn *threads;
    const uint32_t *loc_init;
    const struct litmus_init *inits;
    const struct litmus_obs *obs;
    const char *exists_text; /* the exists clause, as written */
    int exists_forbidden;    /* ARMv7 forbids the exists clause */
    /* Over the nobs observed values: the exists clause; any forbidden outcome (the
       exists clause if it is forbidden, or one of the extra forbidden clauses). */
    int (*exists)(const uint32_t *v);
    int (*forbidden)(const uint32_t *v);
};

extern const struct litmus_test litmus_test;

#endif

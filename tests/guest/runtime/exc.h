/* Exception hooks of the guest runtime. Guests run in ARM state (not Thumb). */
#ifndef GUEST_EXC_H
#define GUEST_EXC_H

#include <stdint.h>

/* The vector an exception came through (its order is the vector table's, start.S). */
enum exc_kind {
    EXC_RESET,
    EXC_UND,
    EXC_SVC,
    EXC_PABT,
    EXC_DABT,
    EXC_HYP,
    EXC_IRQ,
    EXC_FIQ,
    EXC_KINDS
};

/*
 * The registers of the interrupted code, saved on the stack of the mode that took the
 * exception (start.S). The exception returns to pc with CPSR = spsr, with r0-r12 from
 * here: a hook may change any of them.
 *   pc: UND, SVC, PABT, DABT: the address of the instruction that took the exception
 *       (returning there retries it; exc_skip() steps over it);
 *       IRQ, FIQ: the address of the next instruction to run.
 *   r8-r12 of an FIQ frame are the FIQ mode's banked ones.
 */
struct exc_frame {
    uint32_t r[13];
    uint32_t pc;
    uint32_t spsr;
};

typedef void (*exc_hook)(struct exc_frame *f, enum exc_kind kind);

/* Installs a hook for one kind (NULL: back to the default, which reports the
   exception as unexpected and powers the machine off). */
void exc_set_hook(enum exc_kind kind, exc_hook hook);

/* Steps the return address over the (ARM, 4-byte) instruction at f->pc. */
void exc_skip(struct exc_frame *f);

/* How the vectors return (start.S): all three restore CPSR from SPSR. */
enum exc_return {
    EXC_RET_RFE,  /* RFEIA sp! */
    EXC_RET_MOVS, /* MOVS pc, lr */
    EXC_RET_LDM,  /* LDMIA lr, {r0-r12, pc}^ */
};
extern volatile uint32_t exc_return_style;

/*
 * The recording hook: counts the exception, records what the interrupted code did and
 * steps over the instruction (exc_skip). exc_record_on(kind) installs it.
 */
struct exc_record {
    uint32_t count; /* exceptions recorded since exc_record_on() */
    uint32_t kind;
    uint32_t pc; /* the frame's pc (before the skip) */
    uint32_t spsr;
    uint32_t cpsr; /* the CPSR the hook ran with (the exception mode's) */
    uint32_t insn; /* the instruction at pc (UND, SVC, DABT), 0 otherwise */
    uint32_t fsr;  /* DFSR (data abort) or IFSR (prefetch abort), 0 otherwise */
    uint32_t far;  /* DFAR (data abort) or IFAR (prefetch abort), 0 otherwise */
};
extern volatile struct exc_record exc_last;
void exc_record_on(enum exc_kind kind);
void exc_record_hook(struct exc_frame *f, enum exc_kind kind);

/* Names for messages: "und", "svc", ... */
const char *exc_name(enum exc_kind kind);

/* The CPSR the guest was entered with (saved by start.S before it changed anything). */
extern uint32_t guest_entry_cpsr;
/* And SCTLR. */
extern uint32_t guest_entry_sctlr;

#endif

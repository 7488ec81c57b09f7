/* Exception dispatch, the default and recording hooks, and the C side of start-up. */
#include "arm.h"
#include "exc.h"
#include "psci.h"
#include "uart.h"

int main(void);

uint32_t guest_entry_cpsr;
uint32_t guest_entry_sctlr;
volatile uint32_t exc_return_style = EXC_RET_RFE;
volatile struct exc_record exc_last;
static exc_hook hooks[EXC_KINDS];

static const char *const names[EXC_KINDS] = {
    "reset", "und", "svc", "pabt", "dabt", "hyp", "irq", "fiq",
};

const char *exc_name(enum exc_kind kind)
{
    return (unsigned)kind < EXC_KINDS ? names[kind] : "?";
}

void exc_set_hook(enum exc_kind kind, exc_hook hook)
{
    if ((unsigned)kind < EXC_KINDS)
        hooks[kind] = hook;
}

void exc_skip(struct exc_frame *f)
{
    f->pc += 4;
}

void exc_record_hook(struct exc_frame *f, enum exc_kind kind)
{
    exc_last.count++;
    exc_last.kind = kind;
    exc_last.pc = f->pc;
    exc_last.spsr = f->spsr;
    exc_last.cpsr = read_cpsr();
    exc_last.insn = 0;
    exc_last.fsr = 0;
    exc_last.far = 0;
    if (kind == EXC_UND || kind == EXC_SVC || kind == EXC_DABT)
        exc_last.insn = *(const volatile uint32_t *)f->pc;
    if (kind == EXC_DABT) {
        exc_last.fsr = read_dfsr();
        exc_last.far = read_dfar();
    } else if (kind == EXC_PABT) {
        exc_last.fsr = read_ifsr();
        exc_last.far = read_ifar();
    }
    exc_skip(f);
}

void exc_record_on(enum exc_kind kind)
{
    exc_last.count = 0;
    exc_set_hook(kind, exc_record_hook);
}

static void __attribute__((noreturn)) unexpected(struct exc_frame *f, enum exc_kind kind)
{
    uart_printf("\nUNEXPECTED %s exception: pc=0x%08x spsr=0x%08x", exc_name(kind), f->pc, f->spsr);
    if (kind == EXC_DABT)
        uart_printf(" dfsr=0x%08x dfar=0x%08x", read_dfsr(), read_dfar());
    if (kind == EXC_PABT)
        uart_printf(" ifsr=0x%08x ifar=0x%08x", read_ifsr(), read_ifar());
    uart_printf("\n");
    for (int i = 0; i < 13; i++)
        uart_printf("r%d=0x%08x%s", i, f->r[i], (i % 4 == 3 || i == 12) ? "\n" : " ");
    psci_system_off();
}

/* Called by every vector (start.S) with the frame on the exception mode's stack. */
void exc_dispatch(struct exc_frame *f, enum exc_kind kind);
void exc_dispatch(struct exc_frame *f, enum exc_kind kind)
{
    exc_hook h = (unsigned)kind < EXC_KINDS ? hooks[kind] : 0;

    if (!h)
        unexpected(f, kind);
    h(f, kind);
}

/* Called by _start once the stacks, VBAR and .bss are set up. */
void guest_start(void) __attribute__((noreturn));
void guest_start(void)
{
    uart_init();
    main();
    psci_system_off();
}

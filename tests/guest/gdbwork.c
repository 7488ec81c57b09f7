/*
 * gdbwork: the target of tests/system/gdbstub.sh (run with -smp 2). CPU 1 loops over
 * gdbwork_step(), a function GDB can break on, and stores each result in
 * gdbwork_result, a word GDB can watch; CPU 0 prints a numbered progress line every
 * 10 ms of the virtual count, so that a test can see it go on while CPU 1 sits in its own
 * debugger. The mode is the first console byte: 's' (short, what guest.sh feeds from
 * gdbwork.input) prints 20 lines, then stops CPU 1, checks it worked, and powers off;
 * 'l' (long, the debugger test's) goes on until the machine is stopped.
 * Nothing printed depends on timing: only CPU 0 prints, after CPU 1 has stopped.
 */
#include "guest.h"

#define UART_DR  0x000u
#define UART_FR  0x018u
#define FR_RXFE  (1u << 4)
#define SHORT_RUN 20u

volatile uint32_t gdbwork_result; /* watched by the test */
static volatile uint32_t stop_worker, worker_rounds, worker_done;

/* noinline: a function of its own, whose first instruction is not a branch (the test
 * steps one instruction from its entry and expects the next word). */
__attribute__((noinline)) uint32_t gdbwork_step(uint32_t x)
{
    return x * 3u + 1u;
}

static void worker(uint32_t context)
{
    uint32_t x = context;
    while (!stop_worker) {
        x = gdbwork_step(x);
        gdbwork_result = x;
        worker_rounds++;
    }
    dmb();
    worker_done = 1;
}

static char read_mode(void)
{
    volatile uint32_t *fr = (volatile uint32_t *)(UART_BASE + UART_FR);
    volatile uint32_t *dr = (volatile uint32_t *)(UART_BASE + UART_DR);
    while (*fr & FR_RXFE)
        ;
    return (char)(*dr & 0xff);
}

int main(void)
{
    uart_init();
    char mode = read_mode();
    printf("gdbwork: mode %c\n", mode == 'l' ? 'l' : 's');
    smp_init();
    if (smp_start(1, worker, 1) != PSCI_SUCCESS) {
        printf("gdbwork: CPU_ON of CPU 1 failed\n");
        return 0;
    }
    for (uint32_t n = 1; mode == 'l' || n <= SHORT_RUN; n++) {
        printf("gdbwork: progress %u\n", n);
        timer_delay_ms(10);
    }
    stop_worker = 1;
    dsb();
    if (!WAIT_UNTIL(worker_done, 5000)) {
        printf("gdbwork: CPU 1 did not stop\n");
        return 0;
    }
    printf("gdbwork: CPU 1 worked: %s\n", worker_rounds > 0 ? "yes" : "no");
    return 0;
}

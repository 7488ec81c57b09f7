/*
 * devirq: device interrupts through the GICv2, as an operating system takes them: the
 * PL011 UART's receive and transmit interrupts (PrimeCell UART PL011 TRM, ARM DDI 0183,
 * "Interrupts" and the UARTIMSC, UARTRIS, UARTMIS and UARTICR registers) on SPI 1 =
 * INTID 33, and the PL031 RTC's match interrupt (PrimeCell RTC PL031 TRM, ARM DDI 0224,
 * RTCMR, RTCIMSC, RTCRIS, RTCMIS, RTCICR) on SPI 2 = INTID 34. Both are level-sensitive
 * on the virt board; each is enabled in the distributor (ICFGR level, priority 0x80,
 * target CPU 0) and taken as an IRQ by the runtime's dispatcher (GIC architecture
 * specification IHI 0048B, 3.2: a level-sensitive interrupt is pending while its
 * input is asserted). One CPU, no -smp.
 *
 * Every wait is a WFI loop with IRQs masked around the test of its condition (ARM ARM
 * DDI 0406C, B1.8.13: an interrupt wakes WFI even while CPSR.I masks it), bounded by
 * the virtual timer (PPI 27), whose handler only ends the wait: a timeout prints FAIL.
 * A handler that clears a device's interrupt reads a register of that device back
 * before it returns, as drivers do for posted writes on real buses; the end of test 2
 * checks that the emulator does not need it: a GIC access right after a device write
 * sees the interrupt line that write set (qemu completes every access in order;
 * percore's vCPU waits for its posted writes before touching the GIC).
 *
 * 1. Receive (devirq.input on stdin): UARTIMSC.RXIM set, the handler drains the
 *    receive FIFO while FR.RXFE is clear into a buffer; the main loop prints each
 *    complete line upper-cased. The handler stops at the line "end" and masks RXIM
 *    itself, so the rest of the input ("after the mask") stays in the UART: once a
 *    byte is there (FR.RXFE clear), RXRIS is set, MIS is 0, INTID 33 is not pending
 *    and no interrupt is taken in 20 ms with IRQs unmasked. Setting RXIM again takes
 *    the interrupt and the last line is read by it. The input ends there, so once it
 *    is read the drained state is fixed: RXFE set, RXRIS clear, MIS 0, INTID 33 not
 *    pending after EOI. When each byte arrives depends on the host, so the number of
 *    receive interrupts is not printed, only that there were some.
 * 2. Transmit: with TXIM set and the transmitter idle, UARTICR.TXIC clears TXRIS; a
 *    byte written to UARTDR raises it again once it has left (the FIFOs are off: LCR_H
 *    is left at its reset value, so the transmitter holds one byte), INTID 33 becomes
 *    pending, the interrupt is taken once IRQs are unmasked and its handler's write
 *    to UARTICR drops MIS and the GIC's pending state. Last, GICD_ISPENDR read right
 *    after a UARTICR write (pending 0) and right after an IMSC write with TXRIS set
 *    (pending 1), with no device read in between.
 * 3. RTC match: RTCMR = RTCDR + 1 with RTCIMSC set; the interrupt must rise by itself,
 *    the guest waiting in WFI without touching the RTC, within 5 s; the handler sees
 *    RTCRIS and RTCMIS set and the count at RTCMR or past it, clears them with RTCICR.
 *    RTCDR is read again after the RTCMR write: if a second began in between (the
 *    count had already reached RTCMR, which matches at once), RTCMR is set again, so
 *    the count is below RTCMR when the wait starts and RIS is deterministically 0.
 *
 * Where qemu-system-arm 7.2 departs from the TRMs, left out of the transcript:
 *  - PL011: TXRIS is set by every write to UARTDR at once (the TRM: when the transmit
 *    FIFO drains to its trigger level, and cleared by a write to it), so only the state
 *    after ICR and after a transmission has finished is printed; RXRIS rises with the
 *    first byte whatever UARTIFLS says, and the receive timeout interrupt (RTRIS) is
 *    never raised, so RTIM is not used (with the FIFOs off, RXRIS alone covers every
 *    byte on the hardware too); UARTFR.BUSY is never set. LCR_H.FEN is not touched:
 *    changing it empties the receive FIFO in qemu, which would lose input.
 *  - PL031: the match is raised a whole number of seconds after the RTCMR write, up to
 *    a second after the count reached RTCMR; only "not early" is printed.
 * Not printed: GICD_ITARGETSR (RAZ/WI in a uniprocessor GIC, as qemu's is with one
 * CPU), the number of receive interrupts and any count of spurious acknowledges
 * (both depend on when the host delivers the input).
 */
#include "guest.h"

#define UART_INTID 33 /* SPI 1 */
#define RTC_INTID  34 /* SPI 2 */
#define PRIORITY   0x80u

#define UART_DR   0x000u
#define UART_FR   0x018u
#define UART_IMSC 0x038u
#define UART_RIS  0x03cu
#define UART_MIS  0x040u
#define UART_ICR  0x044u
#define FR_BUSY   (1u << 3)
#define FR_RXFE   (1u << 4)
#define FR_TXFF   (1u << 5)
#define FR_TXFE   (1u << 7)
#define INT_RX    (1u << 4)
#define INT_TX    (1u << 5)

#define RTC_BASE 0x09010000u
#define RTC_DR   0x000u
#define RTC_MR   0x004u
#define RTC_IMSC 0x010u
#define RTC_RIS  0x014u
#define RTC_MIS  0x018u
#define RTC_ICR  0x01cu

#define RX_SIZE    256u
#define TERMINATOR "end\n" /* the line at which the receive handler masks RXIM */

static inline volatile uint32_t *uart(uint32_t off)
{
    return (volatile uint32_t *)(UART_BASE + off);
}

static inline volatile uint32_t *rtc(uint32_t off)
{
    return (volatile uint32_t *)(RTC_BASE + off);
}

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* --- bounded WFI waits --------------------------------------------------------- */

static volatile uint32_t timed_out;

static void on_timeout(uint32_t iar)
{
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE | TIMER_IMASK);
    timed_out = 1;
}

static void timeout_arm(uint32_t ms)
{
    timed_out = 0;
    timer_set_tval(TIMER_VIRT, (int32_t)(ms * (timer_cntfrq() / 1000u)));
    timer_set_ctl(TIMER_VIRT, TIMER_ENABLE);
}

/* With IRQs masked: WFI, taking interrupts in between, until cond or ms have passed
   (the virtual timer's interrupt); IRQs masked again after. The value: cond's last. */
#define WFI_UNTIL(cond, ms)                                                                        \
    ({                                                                                             \
        int wfi_ok_;                                                                               \
        timeout_arm(ms);                                                                           \
        while (!(wfi_ok_ = !!(cond)) && !timed_out) {                                              \
            wfi();                                                                                 \
            irq_unmask();                                                                          \
            irq_mask();                                                                            \
        }                                                                                          \
        timer_set_ctl(TIMER_VIRT, 0);                                                              \
        wfi_ok_;                                                                                   \
    })

/* INTID id's pending bit, once it equals want (or after 2 s: the device's output
   reaches the GIC some time after the access that changed it). */
static unsigned pending_settled(uint32_t id, int want)
{
    WAIT_UNTIL(gic_pending(id) == want, 2000);
    return (unsigned)gic_pending(id);
}

static void enable_spi(uint32_t id)
{
    gic_set_edge(id, 0);
    gic_set_priority(id, PRIORITY);
    gic_set_target(id, 1u); /* CPU 0 */
    gic_enable(id);
}

/* --- the UART's interrupt -------------------------------------------------------- */

static char rx_buf[RX_SIZE];
static volatile uint32_t rx_len;      /* bytes in rx_buf */
static volatile uint32_t rx_stopped;  /* the terminator line was read: RXIM masked */
static volatile uint32_t rx_overflow; /* bytes that did not fit */
static volatile uint32_t uart_irqs;   /* UART interrupts taken */
static volatile uint32_t rx_irqs;     /* ... with RXMIS set */
static volatile uint32_t tx_irqs;     /* ... with TXMIS set */
static volatile uint32_t tx_mis, tx_mis_after, tx_ris_after;
static uint32_t rx_line_start; /* the handler's: where the current line begins */

/* One received byte; at the end of the terminator line, masks RXIM and stops. */
static void rx_store(char c)
{
    if (rx_len == RX_SIZE) {
        rx_overflow++;
        return;
    }
    rx_buf[rx_len++] = c;
    if (c != '\n')
        return;
    uint32_t n = rx_len - rx_line_start;
    if (n == sizeof(TERMINATOR) - 1 && !memcmp(rx_buf + rx_line_start, TERMINATOR, n)) {
        rx_stopped = 1;
        *uart(UART_IMSC) &= ~INT_RX;
        (void)*uart(UART_IMSC); /* the write has reached the UART */
    }
    rx_line_start = rx_len;
}

static void on_uart(uint32_t iar)
{
    uint32_t mis = *uart(UART_MIS);

    uart_irqs++;
    if (mis & INT_TX) {
        tx_irqs++;
        tx_mis = mis;
        *uart(UART_ICR) = INT_TX;
        tx_mis_after = *uart(UART_MIS);
        tx_ris_after = *uart(UART_RIS) & INT_TX;
    }
    if (mis & INT_RX) {
        rx_irqs++;
        while (!rx_stopped && !(*uart(UART_FR) & FR_RXFE))
            rx_store((char)(*uart(UART_DR) & 0xffu));
    }
}

/* The end of the first complete line at or after pos (its '\n'), or 0 if none yet. */
static uint32_t line_end(uint32_t pos)
{
    for (uint32_t i = pos; i < rx_len; i++)
        if (rx_buf[i] == '\n')
            return i + 1;
    return 0;
}

/* Waits for the line at pos, prints it upper-cased; the position after it, or 0. */
static uint32_t print_line(uint32_t pos)
{
    uint32_t end;

    if (!WFI_UNTIL((end = line_end(pos)) != 0, 5000)) {
        printf("FAIL: no complete line in 5 s (%u bytes received)\n", rx_len);
        return 0;
    }
    uart_puts("  > ");
    for (uint32_t i = pos; i < end; i++)
        uart_putc(upper(rx_buf[i]));
    return end;
}

static void test_receive(void)
{
    uint32_t pos = 0, before;

    printf("PL011 receive interrupt (INTID %u), RXIM set:\n", UART_INTID);
    *uart(UART_IMSC) = INT_RX;
    for (;;) {
        uint32_t next = print_line(pos);
        if (!next)
            return;
        if (next - pos == sizeof(TERMINATOR) - 1 && !memcmp(rx_buf + pos, TERMINATOR, next - pos))
            break;
        pos = next;
    }
    pos = rx_len;
    printf("  received by interrupt: %s; RXIM masked at \"end\": UARTIMSC 0x%x\n",
           yesno(rx_irqs != 0), *uart(UART_IMSC));

    /* What follows "end" waits in the UART, masked. */
    before = uart_irqs;
    int waiting = WAIT_UNTIL(!(*uart(UART_FR) & FR_RXFE), 2000);
    uint32_t ris = *uart(UART_RIS) & INT_RX, mis = *uart(UART_MIS);
    unsigned pend = pending_settled(UART_INTID, 0);
    irq_unmask();
    timer_delay_ms(20);
    irq_mask();
    printf("  input waiting: %s; RXRIS %u, MIS 0x%x, INTID %u pending %u, interrupts taken %u\n",
           yesno(waiting), ris >> 4, mis, UART_INTID, pend, uart_irqs - before);

    /* RXIM again: the waiting byte raises the interrupt, the rest follows. */
    before = rx_irqs;
    rx_stopped = 0;
    *uart(UART_IMSC) = INT_RX;
    printf("  RXIM set again:\n");
    if (!print_line(pos))
        return;
    printf("  receive interrupt taken: %s\n", yesno(rx_irqs != before));
    printf("  drained: RXFE %u, RXRIS %u, MIS 0x%x, INTID %u pending %u\n",
           (*uart(UART_FR) & FR_RXFE) ? 1u : 0u, (*uart(UART_RIS) & INT_RX) >> 4, *uart(UART_MIS),
           UART_INTID, pending_settled(UART_INTID, 0));
    if (rx_overflow)
        printf("FAIL: %u bytes did not fit in the buffer\n", rx_overflow);
    *uart(UART_IMSC) = 0;
}

static void test_transmit(void)
{
    printf("PL011 transmit interrupt (INTID %u), TXIM set:\n", UART_INTID);
    uart_puts("  one byte: ");
    /* The transmitter idle: nothing left to raise TXRIS after the clear. */
    WAIT_UNTIL((*uart(UART_FR) & (FR_TXFE | FR_BUSY)) == FR_TXFE, 2000);
    *uart(UART_ICR) = INT_TX;
    *uart(UART_IMSC) = INT_TX;
    uint32_t ris0 = *uart(UART_RIS) & INT_TX, mis0 = *uart(UART_MIS);
    unsigned pend0 = pending_settled(UART_INTID, 0);

    tx_irqs = 0;
    *uart(UART_DR) = '*';
    unsigned pend1 = pending_settled(UART_INTID, 1);
    WAIT_UNTIL((*uart(UART_FR) & (FR_TXFE | FR_BUSY)) == FR_TXFE, 2000);
    uint32_t ris1 = *uart(UART_RIS) & INT_TX, mis1 = *uart(UART_MIS);
    unsigned taken0 = tx_irqs;

    int taken = WFI_UNTIL(tx_irqs != 0, 2000);
    unsigned pend2 = pending_settled(UART_INTID, 0);
    unsigned n = tx_irqs;
    *uart(UART_IMSC) = 0; /* before printing, which raises TXRIS */
    *uart(UART_ICR) = INT_TX;
    (void)*uart(UART_IMSC);
    printf("\n");
    printf("  after UARTICR: TXRIS %u, MIS 0x%x, INTID %u pending %u\n", ris0 >> 5, mis0,
           UART_INTID, pend0);
    printf("  byte sent, IRQs masked: TXRIS %u, MIS 0x%x, INTID %u pending %u, taken %u\n",
           ris1 >> 5, mis1, UART_INTID, pend1, taken0);
    printf("  IRQs unmasked: tx interrupt taken: %s, %u time(s); MIS in the handler 0x%x\n",
           yesno(taken), n, tx_mis);
    printf("  after the handler's UARTICR: TXRIS %u, MIS 0x%x; after EOI INTID %u pending %u\n",
           tx_ris_after >> 5, tx_mis_after, UART_INTID, pend2);

    /* A device write is complete before the next GIC access, with no device read in
     * between: the GIC sees the line a UARTICR lowered (or an IMSC write raised) at
     * once, so an EOI right after the clear does not re-pend the interrupt. */
    irq_mask();
    *uart(UART_IMSC) = INT_TX;
    uart_puts("  .");
    WAIT_UNTIL((*uart(UART_FR) & (FR_TXFE | FR_BUSY)) == FR_TXFE, 2000);
    *uart(UART_ICR) = INT_TX;
    unsigned cleared = (unsigned)gic_pending(UART_INTID);
    *uart(UART_IMSC) = 0;
    *uart(UART_ICR) = INT_TX;
    *uart(UART_DR) = '.';
    *uart(UART_IMSC) = INT_TX;
    unsigned raised = (unsigned)gic_pending(UART_INTID);
    *uart(UART_IMSC) = 0;
    *uart(UART_ICR) = INT_TX;
    (void)*uart(UART_IMSC);
    irq_unmask();
    printf("\n  GIC read right after the write: UARTICR -> INTID %u pending %u; IMSC set -> "
           "pending %u\n",
           UART_INTID, cleared, raised);
}

/* --- the RTC's interrupt --------------------------------------------------------- */

static volatile uint32_t rtc_irqs, rtc_ris, rtc_mis, rtc_ris_after, rtc_mis_after;
static volatile uint32_t rtc_not_early, rtc_pending_after;

static void on_rtc(uint32_t iar)
{
    rtc_irqs++;
    rtc_ris = *rtc(RTC_RIS);
    rtc_mis = *rtc(RTC_MIS);
    rtc_not_early = (int32_t)(*rtc(RTC_DR) - *rtc(RTC_MR)) >= 0;
    *rtc(RTC_ICR) = 1;
    rtc_ris_after = *rtc(RTC_RIS);
    rtc_mis_after = *rtc(RTC_MIS);
    /* Active, and no longer pending: the input is low again. */
    rtc_pending_after = pending_settled(RTC_INTID, 0);
}

static void test_rtc(void)
{
    uint32_t count;

    printf("PL031 match interrupt (INTID %u):\n", RTC_INTID);
    *rtc(RTC_IMSC) = 0;
    *rtc(RTC_ICR) = 1;
    do {
        count = *rtc(RTC_DR);
        *rtc(RTC_MR) = count + 1;
    } while (*rtc(RTC_DR) != count);
    *rtc(RTC_IMSC) = 1;
    uint32_t ris0 = *rtc(RTC_RIS), mis0 = *rtc(RTC_MIS);
    unsigned pend0 = gic_pending(RTC_INTID);
    enable_spi(RTC_INTID);
    printf("  RTCMR = RTCDR + 1, RTCIMSC 0x%x: RIS 0x%x, MIS 0x%x, INTID %u pending %u\n",
           *rtc(RTC_IMSC), ris0, mis0, RTC_INTID, pend0);

    /* The RTC is not touched until its interrupt has been taken. */
    if (!WFI_UNTIL(rtc_irqs != 0, 5000)) {
        printf("FAIL: no RTC interrupt in 5 s\n");
        *rtc(RTC_IMSC) = 0;
        gic_disable(RTC_INTID);
        return;
    }
    printf("  interrupt taken: count at RTCMR or past it: %s; RIS 0x%x, MIS 0x%x\n",
           yesno(rtc_not_early), rtc_ris, rtc_mis);
    printf("  after RTCICR: RIS 0x%x, MIS 0x%x, INTID %u pending %u\n", rtc_ris_after,
           rtc_mis_after, RTC_INTID, rtc_pending_after);
    printf("  after EOI: INTID %u pending %u, active %u; taken %u time(s)\n", RTC_INTID,
           pending_settled(RTC_INTID, 0), gic_active(RTC_INTID), rtc_irqs);
    *rtc(RTC_IMSC) = 0;
    gic_disable(RTC_INTID);
}

int main(void)
{
    irq_mask();
    gic_init_dist();
    gic_init_cpu();
    irq_init();
    irq_set_handler(TIMER_VIRT_INTID, on_timeout);
    irq_set_handler(UART_INTID, on_uart);
    irq_set_handler(RTC_INTID, on_rtc);
    gic_set_priority(TIMER_VIRT_INTID, PRIORITY);
    gic_enable(TIMER_VIRT_INTID);
    *uart(UART_IMSC) = 0;
    enable_spi(UART_INTID);
    printf("devirq: INTID %u enabled %u, INTID %u priority 0x%02x\n", UART_INTID,
           gic_enabled(UART_INTID), UART_INTID, gic_priority(UART_INTID));

    test_receive();
    test_transmit();
    test_rtc();
    gic_disable(UART_INTID);
    printf("system off\n");
    return 0;
}

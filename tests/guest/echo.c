/*
 * echo: the PL011's receive side, by polling (PrimeCell UART PL011 TRM, DDI 0183).
 * tests/system/guest.sh feeds echo.input on stdin; the guest reads ECHO_LEN bytes from
 * UARTDR, waiting on UARTFR.RXFE before each, and prints them back upper-cased, then
 * the status of a drained FIFO: FR.RXFE set and RIS.RXRIS clear (the input holds
 * exactly ECHO_LEN bytes, so nothing more can arrive). Bits 11:8 of each UARTDR read
 * (the error flags) must be 0. Whether a byte is already there when the guest first
 * looks depends on timing, so no flag is printed before the FIFO is drained.
 */
#include "guest.h"

#define ECHO_LEN  16u
#define UART_DR   0x000u
#define UART_FR   0x018u
#define UART_RIS  0x03cu
#define FR_RXFE   (1u << 4)
#define INT_RX    (1u << 4)
#define DR_ERRORS 0xf00u

static inline volatile uint32_t *uart_reg(uint32_t off)
{
    return (volatile uint32_t *)(UART_BASE + off);
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

int main(void)
{
    char buf[ECHO_LEN + 1];
    uint32_t errors = 0;

    uart_init();
    printf("echo: reading %u bytes\n", ECHO_LEN);
    for (unsigned i = 0; i < ECHO_LEN; i++) {
        while (*uart_reg(UART_FR) & FR_RXFE)
            ;
        uint32_t dr = *uart_reg(UART_DR);
        errors |= dr & DR_ERRORS;
        buf[i] = upper((char)(dr & 0xff));
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = '|';
    }
    buf[ECHO_LEN] = 0;
    printf("echo: [%s]\n", buf);
    printf("echo: error bits 0x%x\n", errors);
    printf("echo: drained: RXFE %u, RXRIS %u\n", (*uart_reg(UART_FR) & FR_RXFE) ? 1u : 0u,
           (*uart_reg(UART_RIS) & INT_RX) ? 1u : 0u);
    return 0;
}

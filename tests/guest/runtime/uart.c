/* PL011 console output (PrimeCell UART PL011 TRM, DDI 0183). */
#include <stdarg.h>
#include "uart.h"

#define UART_DR   0x00u
#define UART_FR   0x18u
#define UART_CR   0x30u
#define FR_TXFF   (1u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE    (1u << 8)
#define CR_RXE    (1u << 9)

static inline volatile uint32_t *uart_reg(uint32_t off)
{
    return (volatile uint32_t *)(UART_BASE + off);
}

void uart_init(void)
{
    uint32_t cr = *uart_reg(UART_CR);
    uint32_t on = CR_UARTEN | CR_TXE | CR_RXE;

    if ((cr & on) != on)
        *uart_reg(UART_CR) = cr | on;
}

static void uart_raw(char c)
{
    while (*uart_reg(UART_FR) & FR_TXFF)
        ;
    *uart_reg(UART_DR) = (uint8_t)c;
}

void uart_putc(char c)
{
    if (c == '\n')
        uart_raw('\r');
    uart_raw(c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static void put_num(uint32_t v, unsigned base, int upper, unsigned width, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[12];
    unsigned n = 0;

    /* base is 10 or 16: constant divisors, no library division needed */
    do {
        if (base == 16) {
            buf[n++] = digits[v & 15];
            v >>= 4;
        } else {
            buf[n++] = digits[v % 10];
            v /= 10;
        }
    } while (v);
    while (n < width && width <= sizeof(buf)) {
        uart_putc(pad);
        width--;
    }
    while (n)
        uart_putc(buf[--n]);
}

void uart_puthex(uint32_t v)
{
    uart_puts("0x");
    put_num(v, 16, 0, 8, '0');
}

void uart_putdec(uint32_t v)
{
    put_num(v, 10, 0, 0, ' ');
}

void uart_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    uart_vprintf(fmt, ap);
    va_end(ap);
}

void uart_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        char pad = ' ';
        unsigned width = 0;

        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        if (*fmt == 'l')
            fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            uart_puts(s ? s : "(null)");
            break;
        }
        case 'c': uart_putc((char)va_arg(ap, int)); break;
        case 'u': put_num(va_arg(ap, uint32_t), 10, 0, width, pad); break;
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            if (v < 0) {
                uart_putc('-');
                put_num(-(uint32_t)v, 10, 0, width ? width - 1 : 0, pad);
            } else {
                put_num((uint32_t)v, 10, 0, width, pad);
            }
            break;
        }
        case 'x': put_num(va_arg(ap, uint32_t), 16, 0, width, pad); break;
        case 'X': put_num(va_arg(ap, uint32_t), 16, 1, width, pad); break;
        case '%': uart_putc('%'); break;
        case '\0': fmt--; break;
        default:
            uart_putc('%');
            uart_putc(*fmt);
            break;
        }
    }
}

/* The console: the virt board's PL011 at 0x09000000, written by polling. */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stdarg.h>
#include <stdint.h>

#define UART_BASE 0x09000000u

void uart_init(void);
void uart_putc(char c);        /* "\n" goes out as "\r\n" */
void uart_puts(const char *s); /* no newline added */
void uart_puthex(uint32_t v);  /* 0x and 8 digits: 0x0000002a */
void uart_putdec(uint32_t v);  /* decimal, no padding */

/*
 * A small printf: %s %c %d %u %x %X and %%, with an optional '0' flag and width
 * (%08x); an 'l' is ignored. No 0x is added: write it in the format ("0x%08x").
 * Every integer argument is 32 bits. (No format attribute: uint32_t is unsigned long
 * on arm-none-eabi, and "%lx" everywhere would say nothing more.)
 */
void uart_printf(const char *fmt, ...);
void uart_vprintf(const char *fmt, va_list ap);
#define printf uart_printf

#endif

/* GDB remote serial protocol framing (util/rsp.h). */
#include "util/rsp.h"

enum { RSP_IDLE, RSP_DATA, RSP_ESCAPE, RSP_CS1, RSP_CS2 };

void rsp_parser_init(struct rsp_parser *p)
{
    p->state = RSP_IDLE;
    p->len = 0;
    p->sum = p->cs = 0;
    p->too_long = false;
    p->payload[0] = 0;
}

static void rsp_put(struct rsp_parser *p, uint8_t byte)
{
    if (p->len < RSP_MAX_PAYLOAD)
        p->payload[p->len++] = (char)byte;
    else
        p->too_long = true;
}

enum rsp_event rsp_feed(struct rsp_parser *p, uint8_t byte)
{
    switch (p->state) {
    case RSP_IDLE:
        /* Outside a packet: acknowledgements, the interrupt byte, a packet's start;
         * anything else is line noise, dropped. */
        if (byte == '$') {
            rsp_parser_init(p);
            p->state = RSP_DATA;
        }
        return byte == '+' ? RSP_ACK : byte == '-' ? RSP_NAK : byte == 3 ? RSP_INTERRUPT : RSP_NONE;
    case RSP_DATA:
        if (byte == '#') {
            p->state = RSP_CS1;
            return RSP_NONE;
        }
        if (byte == '$') { /* a packet cut short: the new one starts over */
            rsp_parser_init(p);
            p->state = RSP_DATA;
            return RSP_NONE;
        }
        p->sum += byte;
        if (byte == '}')
            p->state = RSP_ESCAPE;
        else
            rsp_put(p, byte);
        return RSP_NONE;
    case RSP_ESCAPE:
        p->sum += byte;
        rsp_put(p, byte ^ 0x20);
        p->state = RSP_DATA;
        return RSP_NONE;
    case RSP_CS1:
    case RSP_CS2: {
        int d = rsp_hex_digit((char)byte);
        if (d < 0) {
            p->state = RSP_IDLE;
            return RSP_BAD;
        }
        p->cs = (uint8_t)(p->cs << 4 | d);
        if (p->state == RSP_CS1) {
            p->state = RSP_CS2;
            return RSP_NONE;
        }
        p->state = RSP_IDLE;
        p->payload[p->len] = 0;
        return p->cs == p->sum && !p->too_long ? RSP_PACKET : RSP_BAD;
    }
    }
    rsp_parser_init(p);
    return RSP_NONE;
}

const char *rsp_payload(const struct rsp_parser *p, size_t *len)
{
    *len = p->len;
    return p->payload;
}

void rsp_frame(GString *out, const void *payload, size_t len)
{
    const uint8_t *b = payload;
    uint8_t sum = 0;
    g_string_append_c(out, '$');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = b[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g_string_append_c(out, '}');
            sum += '}';
            c ^= 0x20;
        }
        g_string_append_c(out, (char)c);
        sum += c;
    }
    g_string_append_printf(out, "#%02x", sum);
}

int rsp_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void rsp_put_hex(GString *out, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        g_string_append_c(out, digits[bytes[i] >> 4]);
        g_string_append_c(out, digits[bytes[i] & 15]);
    }
}

bool rsp_get_hex(const char *hex, size_t digits, uint8_t *out)
{
    if (digits & 1)
        return false;
    for (size_t i = 0; i < digits / 2; i++) {
        int hi = rsp_hex_digit(hex[2 * i]), lo = rsp_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool rsp_get_u32(const char **s, uint32_t *v)
{
    const char *p = *s;
    uint64_t x = 0;
    unsigned n = 0;
    int d;
    while ((d = rsp_hex_digit(*p)) >= 0) {
        x = x << 4 | (unsigned)d;
        if (x > UINT32_MAX)
            return false;
        p++;
        n++;
    }
    if (!n)
        return false;
    *v = (uint32_t)x;
    *s = p;
    return true;
}

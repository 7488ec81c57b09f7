/* The GDB remote serial protocol's framing (GDB manual, appendix "Remote Serial
 * Protocol", "Overview"): packets are $payload#cc, cc the two-hex-digit sum of the payload
 * bytes modulo 256; '}' escapes the next byte (XOR 0x20); the receiver answers '+' (good)
 * or '-' (resend); a lone 0x03 outside a packet is an interrupt request. Run-length
 * encoding ('*') is never sent by this side (escaped instead) and never expected from
 * GDB, which does not use it. Byte-at-a-time parsing, so that any input, however
 * malformed or cut, gives events and never an overflow. */
#ifndef PERCORE_UTIL_RSP_H
#define PERCORE_UTIL_RSP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest payload taken (advertised as PacketSize in qSupported). */
#define RSP_MAX_PAYLOAD 0x4000u

enum rsp_event {
    RSP_NONE,      /* the byte was taken; nothing complete yet */
    RSP_PACKET,    /* a whole packet with a good checksum: rsp_payload */
    RSP_BAD,       /* a whole packet with a bad checksum or too long: answer '-' */
    RSP_INTERRUPT, /* 0x03 outside a packet */
    RSP_ACK,       /* '+' */
    RSP_NAK,       /* '-': the other side wants the last packet again */
};

struct rsp_parser {
    unsigned state;
    uint8_t sum, cs; /* running sum of the raw bytes, the checksum received */
    bool too_long;
    size_t len;
    char payload[RSP_MAX_PAYLOAD + 1]; /* unescaped, NUL-terminated when complete */
};

void rsp_parser_init(struct rsp_parser *p);
enum rsp_event rsp_feed(struct rsp_parser *p, uint8_t byte);
/* The payload of the RSP_PACKET just returned (valid until the next rsp_feed); binary
 * data may hold NULs, so the length comes apart. */
const char *rsp_payload(const struct rsp_parser *p, size_t *len);

/* Appends $payload#cc to out, escaping '$', '#', '}' and '*'. */
void rsp_frame(GString *out, const void *payload, size_t len);

/* Hex: a digit's value or -1; bytes as two digits each; a string of 2n digits into n
 * bytes (false on a bad digit or an odd length). */
int rsp_hex_digit(char c);
void rsp_put_hex(GString *out, const uint8_t *bytes, size_t n);
bool rsp_get_hex(const char *hex, size_t digits, uint8_t *out);
/* A hex number (1 to 8 digits) at *s, which moves past it; false if there is none or it
 * does not fit 32 bits. */
bool rsp_get_u32(const char **s, uint32_t *v);

#endif

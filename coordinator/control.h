/* The control socket (docs/operations.md): `-control unix:PATH`. Clients (percorectl)
 * send frames — a 4-byte big-endian length, then a packed Request of
 * coordinator/control.proto — and get one Reply each, in order. The coordinator serves
 * them from its event loop and never blocks on a client. */
#ifndef PERCORE_COORD_CONTROL_H
#define PERCORE_COORD_CONTROL_H

#include <stdint.h>

struct machine;

#define CONTROL_FRAME_MAX (1u << 20)  /* the largest request frame (bytes after the length) */
#define CONTROL_XFER_MAX  (64u << 10) /* the most guest RAM one READ or WRITE moves */
#define CONTROL_CONNS_MAX 32u         /* clients connected at once */

/* Creates the socket of m->cfg->control_path (nothing to do without one) and serves it
 * on m->base: 0, or -errno after one log line (the path exists and is not a stale
 * socket; its directory cannot be made; ...). */
int control_open(struct machine *m);
/* Closes every connection (queued replies get one last non-blocking write), the
 * listener, and removes the socket file. Safe after a failed or no control_open. */
void control_close(struct machine *m);

/* The 4-byte big-endian length that starts a frame. */
static inline void control_frame_header(uint8_t hdr[4], uint32_t len)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
}

static inline uint32_t control_frame_length(const uint8_t hdr[4])
{
    return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

#endif

/* Single-producer/single-consumer ring of 64-byte message slots, in shared memory.
 * Lock-free with C11 atomics: the producer owns head, the consumer owns tail, each on
 * its own cache line with a cached copy of the other's index, so a busy ring costs
 * no cache-line ping-pong per message. Waiting (empty or full) is the caller's
 * business: see doorbell.h and mbox.h. */
#ifndef PERCORE_SHM_RING_H
#define PERCORE_SHM_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/msg.h"

#define RING_MAGIC 0x52494e47u /* "RING" */
/* The largest ring. Each operation reads the shared slot count once and refuses one
 * that is not a power of two up to this: rings in shared memory are allocated with
 * this many slots, so a peer that scribbles on the count cannot make us index
 * outside the ring. */
#define RING_MAX_SLOTS 256u

struct ring {
    /* Producer's line: its index and its last view of tail. */
    alignas(64) _Atomic uint64_t head;
    uint64_t tail_cache;
    /* Consumer's line. */
    alignas(64) _Atomic uint64_t tail;
    uint64_t head_cache;
    /* Read-mostly line. producer_waiting is set by a producer blocked on a full
     * ring; the consumer clears it and rings the producer's doorbell. */
    alignas(64) uint32_t magic;
    uint32_t slots; /* a power of two */
    _Atomic uint32_t producer_waiting;
    _Atomic uint32_t broken; /* set when an index is found impossible */
    alignas(64) union msg_slot slot[];
};
_Static_assert(offsetof(struct ring, tail) == 64, "head and tail share a cache line");
_Static_assert(offsetof(struct ring, magic) == 128, "ring header layout");
_Static_assert(offsetof(struct ring, slot) == 192, "ring slots start on their own line");

enum ring_status {
    RING_OK = 0,
    RING_EMPTY,   /* pop: nothing there */
    RING_FULL,    /* push: no free slot */
    RING_INVALID, /* push: message fails its catalogue size check */
    RING_CORRUPT, /* indices impossible: the peer scribbled on the ring */
};

/* Bytes a ring of `slots` slots occupies (slots a power of two, >= 2). */
size_t ring_bytes(uint32_t slots);
void ring_init(struct ring *r, uint32_t slots);
enum ring_status ring_try_push(struct ring *r, const struct msg_hdr *msg);
enum ring_status ring_try_pop(struct ring *r, union msg_slot *out);
/* Messages waiting, as the consumer sees it (a lower bound for anybody else). */
uint64_t ring_count(const struct ring *r);
bool ring_empty(const struct ring *r);

#endif

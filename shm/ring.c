/* SPSC ring. Ordering: the producer writes the slot, then publishes head with
 * release; the consumer acquires head before reading the slot and publishes tail
 * with release after copying it out, so the producer (acquiring tail) never
 * overwrites a slot still being read. No message is torn, lost or duplicated. */
#include "shm/ring.h"

#include <assert.h>
#include <string.h>

size_t ring_bytes(uint32_t slots)
{
    return sizeof(struct ring) + (size_t)slots * sizeof(union msg_slot);
}

void ring_init(struct ring *r, uint32_t slots)
{
    assert(slots >= 2 && (slots & (slots - 1)) == 0);
    memset(r, 0, ring_bytes(slots));
    r->magic = RING_MAGIC;
    r->slots = slots;
    atomic_store_explicit(&r->head, 0, memory_order_relaxed);
    atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
}

enum ring_status ring_try_push(struct ring *r, const struct msg_hdr *msg)
{
    if (!msg_valid(msg))
        return RING_INVALID;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head - r->tail_cache >= r->slots) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head - r->tail_cache > r->slots) {
            atomic_store(&r->broken, 1);
            return RING_CORRUPT;
        }
        if (head - r->tail_cache == r->slots)
            return RING_FULL;
    }
    union msg_slot *s = &r->slot[head & (r->slots - 1)];
    memset(s->bytes + msg->size, 0, MSG_SLOT_SIZE - msg->size);
    memcpy(s->bytes, msg, msg->size);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return RING_OK;
}

enum ring_status ring_try_pop(struct ring *r, union msg_slot *out)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail == r->head_cache) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail == r->head_cache)
            return RING_EMPTY;
    }
    if (r->head_cache - tail > r->slots) {
        atomic_store(&r->broken, 1);
        return RING_CORRUPT;
    }
    memcpy(out, &r->slot[tail & (r->slots - 1)], sizeof(*out));
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return RING_OK;
}

uint64_t ring_count(const struct ring *r)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    return head - tail;
}

bool ring_empty(const struct ring *r)
{
    return ring_count(r) == 0;
}

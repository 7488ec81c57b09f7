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

/* The slot count, read once; 0 if it cannot be right. */
static uint32_t ring_slots(struct ring *r)
{
    uint32_t slots = __atomic_load_n(&r->slots, __ATOMIC_RELAXED);
    if (slots < 2 || slots > RING_MAX_SLOTS || (slots & (slots - 1))) {
        atomic_store(&r->broken, 1);
        return 0;
    }
    return slots;
}

void ring_init(struct ring *r, uint32_t slots)
{
    assert(slots >= 2 && slots <= RING_MAX_SLOTS && (slots & (slots - 1)) == 0);
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
    uint32_t slots = ring_slots(r);
    if (!slots)
        return RING_CORRUPT;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head - r->tail_cache >= slots) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head - r->tail_cache > slots) {
            atomic_store(&r->broken, 1);
            return RING_CORRUPT;
        }
        if (head - r->tail_cache == slots)
            return RING_FULL;
    }
    union msg_slot *s = &r->slot[head & (slots - 1)];
    memset(s->bytes + msg->size, 0, MSG_SLOT_SIZE - msg->size);
    memcpy(s->bytes, msg, msg->size);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return RING_OK;
}

enum ring_status ring_try_pop(struct ring *r, union msg_slot *out)
{
    uint32_t slots = ring_slots(r);
    if (!slots)
        return RING_CORRUPT;
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail == r->head_cache) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail == r->head_cache)
            return RING_EMPTY;
    }
    if (r->head_cache - tail > slots) {
        atomic_store(&r->broken, 1);
        return RING_CORRUPT;
    }
    memcpy(out, &r->slot[tail & (slots - 1)], sizeof(*out));
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

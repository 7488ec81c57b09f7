/* Ring unit tests: empty, full, wrap-around, size checks, corruption, layout. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "shm/shm.h"

static struct ring *ring_new(uint32_t slots)
{
    struct ring *r = aligned_alloc(64, ring_bytes(slots));
    ring_init(r, slots);
    return r;
}

static void test_empty(void)
{
    struct ring *r = ring_new(8);
    union msg_slot s;
    g_assert_true(ring_empty(r));
    g_assert_cmpint(ring_try_pop(r, &s), ==, RING_EMPTY);
    g_assert_cmpuint(ring_count(r), ==, 0);
    free(r);
}

static void test_full(void)
{
    struct ring *r = ring_new(8);
    struct msg_test m;
    union msg_slot s;
    for (uint64_t i = 0; i < 8; i++) {
        msg_test_fill(&m, i);
        g_assert_cmpint(ring_try_push(r, &m.hdr), ==, RING_OK);
    }
    msg_test_fill(&m, 8);
    g_assert_cmpint(ring_try_push(r, &m.hdr), ==, RING_FULL);
    g_assert_cmpuint(ring_count(r), ==, 8);
    /* One slot freed: exactly one more fits, and order is kept. */
    g_assert_cmpint(ring_try_pop(r, &s), ==, RING_OK);
    g_assert_true(msg_test_check((struct msg_test *)&s, 0));
    g_assert_cmpint(ring_try_push(r, &m.hdr), ==, RING_OK);
    g_assert_cmpint(ring_try_push(r, &m.hdr), ==, RING_FULL);
    for (uint64_t i = 1; i <= 8; i++) {
        g_assert_cmpint(ring_try_pop(r, &s), ==, RING_OK);
        g_assert_true(msg_test_check((struct msg_test *)&s, i));
    }
    g_assert_cmpint(ring_try_pop(r, &s), ==, RING_EMPTY);
    free(r);
}

/* Batches of every size from 1 to 8 push the indices round the ring many times. */
static void test_wrap(void)
{
    struct ring *r = ring_new(8);
    struct msg_test m;
    union msg_slot s;
    uint64_t sent = 0, got = 0;
    for (unsigned round = 0; round < 1000; round++) {
        unsigned batch = 1 + round % 8;
        for (unsigned i = 0; i < batch; i++) {
            msg_test_fill(&m, sent++);
            g_assert_cmpint(ring_try_push(r, &m.hdr), ==, RING_OK);
        }
        for (unsigned i = 0; i < batch; i++) {
            g_assert_cmpint(ring_try_pop(r, &s), ==, RING_OK);
            g_assert_true(msg_test_check((struct msg_test *)&s, got++));
        }
    }
    g_assert_cmpuint(sent, ==, got);
    g_assert_cmpuint(atomic_load(&r->head), >, 8 * 100);
    free(r);
}

static void test_size_checks(void)
{
    struct ring *r = ring_new(4);
    struct msg_ping p;
    msg_init(&p.hdr, MSG_PING);
    g_assert_cmpuint(p.hdr.size, ==, sizeof(struct msg_ping));
    p.hdr.size = sizeof(struct msg_ping) + 8; /* lies about its size */
    g_assert_cmpint(ring_try_push(r, &p.hdr), ==, RING_INVALID);
    p.hdr.size = sizeof(struct msg_ping);
    p.hdr.type = MSG_TYPE_COUNT; /* unknown type */
    g_assert_cmpint(ring_try_push(r, &p.hdr), ==, RING_INVALID);
    p.hdr.type = MSG_NONE;
    g_assert_cmpint(ring_try_push(r, &p.hdr), ==, RING_INVALID);
    g_assert_true(ring_empty(r));
    for (unsigned t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
        const struct msg_info *info = msg_info(t);
        g_assert_nonnull(info);
        g_assert_cmpuint(info->size, <=, MSG_SLOT_SIZE);
        g_assert_cmpuint(info->size, >=, sizeof(struct msg_hdr));
    }
    g_assert_null(msg_info(MSG_TYPE_COUNT));
    free(r);
}

/* The slot past a short message is zeroed: no stale bytes of an older message. */
static void test_no_stale_bytes(void)
{
    struct ring *r = ring_new(2);
    struct msg_test t;
    struct msg_ping p;
    union msg_slot s;
    msg_test_fill(&t, 7);
    ring_try_push(r, &t.hdr);
    ring_try_pop(r, &s);
    ring_try_push(r, &t.hdr);
    ring_try_pop(r, &s);
    msg_init(&p.hdr, MSG_PING);
    p.token = 1;
    p.sent_ns = 2;
    g_assert_cmpint(ring_try_push(r, &p.hdr), ==, RING_OK);
    g_assert_cmpint(ring_try_pop(r, &s), ==, RING_OK);
    for (unsigned i = sizeof(p); i < MSG_SLOT_SIZE; i++)
        g_assert_cmpuint(s.bytes[i], ==, 0);
    free(r);
}

static void test_corrupt(void)
{
    struct ring *r = ring_new(4);
    union msg_slot s;
    struct msg_test m;
    atomic_store(&r->head, 100); /* a peer wrote an impossible head */
    g_assert_cmpint(ring_try_pop(r, &s), ==, RING_CORRUPT);
    g_assert_true(atomic_load(&r->broken));
    struct ring *w = ring_new(4);
    atomic_store(&w->head, 10); /* head 10 past tail 0 in a 4-slot ring */
    msg_test_fill(&m, 0);
    g_assert_cmpint(ring_try_push(w, &m.hdr), ==, RING_CORRUPT);
    free(r);
    free(w);
}

static void test_layout(void)
{
    g_assert_cmpuint(offsetof(struct ring, tail) - offsetof(struct ring, head), >=, 64);
    g_assert_cmpuint(ring_bytes(256), ==, 192 + 256 * 64);
    g_assert_cmpuint(sizeof(struct ctrl_cpu), ==, 4096);
    g_assert_cmpuint(ctrl_region_size() % 4096, ==, 0);
}

static void test_payload_check(void)
{
    struct msg_test m;
    msg_test_fill(&m, 42);
    g_assert_true(msg_test_check(&m, 42));
    g_assert_false(msg_test_check(&m, 43));
    m.word[2] ^= 1;
    g_assert_false(msg_test_check(&m, 42));
    m.word[2] ^= 1;
    m.checksum++;
    g_assert_false(msg_test_check(&m, 42));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ring/empty", test_empty);
    g_test_add_func("/ring/full", test_full);
    g_test_add_func("/ring/wrap-around", test_wrap);
    g_test_add_func("/ring/size-checks", test_size_checks);
    g_test_add_func("/ring/no-stale-bytes", test_no_stale_bytes);
    g_test_add_func("/ring/corrupt-indices", test_corrupt);
    g_test_add_func("/ring/layout", test_layout);
    g_test_add_func("/msg/test-payload", test_payload_check);
    return g_test_run();
}

/* Mailbox and doorbell tests, in one process: addressing, sequence numbers, exit
 * requests, notification only of sleepers, dead and unknown receivers, rejection
 * of malformed messages, back-pressure release. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shm/shm.h"

struct fixture {
    struct ctrl *ctrl;
    int fds[CTRL_MAX_EPS];
    struct mbox cpu0, cpu1, coord;
};

static void fx_setup(struct fixture *f, gconstpointer data)
{
    f->ctrl = aligned_alloc(4096, ctrl_region_size());
    ctrl_init(f->ctrl, 2, 0x40000000, 1 << 20);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        f->fds[i] = doorbell_create();
    unsigned live[] = {0, 1, CTRL_EP_COORD};
    for (unsigned i = 0; i < 3; i++) {
        atomic_store(&f->ctrl->ep[live[i]].alive, 1);
        atomic_store(&f->ctrl->ep[live[i]].pid, getpid());
    }
    mbox_init(&f->cpu0, f->ctrl, 0, f->fds);
    mbox_init(&f->cpu1, f->ctrl, 1, f->fds);
    mbox_init(&f->coord, f->ctrl, CTRL_EP_COORD, f->fds);
}

static void fx_teardown(struct fixture *f, gconstpointer data)
{
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        close(f->fds[i]);
    free(f->ctrl);
}

static bool rung(int fd)
{
    uint64_t v;
    return read(fd, &v, sizeof(v)) == sizeof(v);
}

struct seen {
    unsigned count;
    unsigned src[16];
    uint32_t seq[16];
    uint64_t token[16];
};

static void collect(void *arg, unsigned src, const union msg_slot *s)
{
    struct seen *seen = arg;
    if (seen->count < 16) {
        seen->src[seen->count] = src;
        seen->seq[seen->count] = s->hdr.seq;
        seen->token[seen->count] = ((const struct msg_ping *)s)->token;
    }
    seen->count++;
}

static void ping(struct msg_ping *p, uint64_t token)
{
    msg_init(&p->hdr, MSG_PING);
    p->token = token;
}

static void test_send_receive(struct fixture *f, gconstpointer data)
{
    struct msg_ping p;
    struct seen seen = {0};
    ping(&p, 10);
    g_assert_cmpint(mbox_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, 0);
    ping(&p, 11);
    g_assert_cmpint(mbox_send(&f->cpu1, CTRL_EP_COORD, &p.hdr), ==, 0);
    ping(&p, 12);
    g_assert_cmpint(mbox_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, 0);
    g_assert_true(mbox_pending(&f->coord));
    g_assert_cmpuint(mbox_drain(&f->coord, collect, &seen, 100), ==, 3);
    g_assert_false(mbox_pending(&f->coord));
    /* Per-source order and sequence numbers; sources are scanned in index order. */
    g_assert_cmpuint(seen.src[0], ==, 0);
    g_assert_cmpuint(seen.token[0], ==, 10);
    g_assert_cmpuint(seen.seq[0], ==, 1);
    g_assert_cmpuint(seen.token[1], ==, 12);
    g_assert_cmpuint(seen.seq[1], ==, 2);
    g_assert_cmpuint(seen.src[2], ==, 1);
    g_assert_cmpuint(seen.seq[2], ==, 1);
}

static void test_exit_request(struct fixture *f, gconstpointer data)
{
    struct msg_ping p;
    ping(&p, 1);
    g_assert_cmpuint(atomic_load(&f->ctrl->cpu[1].exit_request), ==, 0);
    g_assert_cmpint(mbox_send(&f->coord, 1, &p.hdr), ==, 0);
    g_assert_cmpuint(atomic_load(&f->ctrl->cpu[1].exit_request), ==, EXIT_REQ_MSG);
    g_assert_cmpuint(atomic_load(&f->ctrl->cpu[0].exit_request), ==, 0);
}

static void test_notify_only_sleepers(struct fixture *f, gconstpointer data)
{
    struct msg_ping p;
    ping(&p, 1);
    atomic_store(&f->ctrl->ep[CTRL_EP_COORD].sleeping, 0);
    mbox_send(&f->cpu0, CTRL_EP_COORD, &p.hdr);
    g_assert_false(rung(f->fds[CTRL_EP_COORD]));
    atomic_store(&f->ctrl->ep[CTRL_EP_COORD].sleeping, 1);
    mbox_send(&f->cpu0, CTRL_EP_COORD, &p.hdr);
    g_assert_true(rung(f->fds[CTRL_EP_COORD]));
    g_assert_cmpuint(atomic_load(&f->ctrl->ep[CTRL_EP_COORD].doorbells), ==, 1);
}

static bool always(void *arg)
{
    return true;
}

static void test_wait(struct fixture *f, gconstpointer data)
{
    struct ctrl_endpoint *ep = &f->ctrl->ep[0];
    g_assert_cmpint(doorbell_wait(ep, f->fds[0], always, NULL, -1, -1), ==, DOORBELL_WORK);
    g_assert_cmpint(doorbell_wait(ep, f->fds[0], NULL, NULL, -1, 0), ==, DOORBELL_TIMEOUT);
    doorbell_ring(ep, f->fds[0]);
    doorbell_ring(ep, f->fds[0]);
    g_assert_cmpint(doorbell_wait(ep, f->fds[0], NULL, NULL, -1, -1), ==, DOORBELL_RUNG);
    g_assert_false(rung(f->fds[0])); /* the wait emptied the counter */
    g_assert_cmpuint(atomic_load(&ep->sleeping), ==, 0);
    int pipefd[2];
    g_assert_cmpint(pipe(pipefd), ==, 0);
    close(pipefd[1]); /* a watched fd that is readable (EOF) stands for a dead peer */
    g_assert_cmpint(doorbell_wait(ep, f->fds[0], NULL, NULL, pipefd[0], -1), ==, DOORBELL_WATCHED);
    close(pipefd[0]);
}

static void test_bad_destinations(struct fixture *f, gconstpointer data)
{
    struct msg_ping p;
    ping(&p, 1);
    g_assert_cmpint(mbox_try_send(&f->cpu0, 0, &p.hdr), ==, -EINVAL);
    g_assert_cmpint(mbox_try_send(&f->cpu0, 5, &p.hdr), ==, -EINVAL); /* ncpus is 2 */
    g_assert_cmpint(mbox_try_send(&f->cpu0, CTRL_MAX_EPS, &p.hdr), ==, -EINVAL);
    atomic_store(&f->ctrl->ep[1].alive, 0);
    g_assert_cmpint(mbox_try_send(&f->cpu0, 1, &p.hdr), ==, -EPIPE);
    g_assert_cmpint(mbox_send(&f->cpu0, 1, &p.hdr), ==, -EPIPE);
    p.hdr.size = 3;
    g_assert_cmpint(mbox_try_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, -EINVAL);
    g_assert_false(mbox_pending(&f->coord));
}

static void test_full_and_release(struct fixture *f, gconstpointer data)
{
    struct msg_ping p;
    struct seen seen = {0};
    for (unsigned i = 0; i < CTRL_RING_SLOTS; i++) {
        ping(&p, i);
        g_assert_cmpint(mbox_try_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, 0);
    }
    g_assert_cmpint(mbox_try_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, -EAGAIN);
    /* A producer waiting on the full ring is released by the consumer's drain. */
    struct ring *r = ctrl_ring(f->ctrl, 0, CTRL_EP_COORD);
    atomic_store(&r->producer_waiting, 1);
    g_assert_cmpuint(mbox_drain(&f->coord, collect, &seen, 1), ==, 1);
    g_assert_cmpuint(atomic_load(&r->producer_waiting), ==, 0);
    g_assert_true(rung(f->fds[0]));
    g_assert_cmpint(mbox_try_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, 0);
    g_assert_cmpuint(mbox_drain(&f->coord, collect, &seen, 1000), ==, CTRL_RING_SLOTS);
    g_assert_cmpuint(seen.count, ==, CTRL_RING_SLOTS + 1);
}

/* A message that bypassed the size check (a peer's bug) is dropped with a log line;
 * what follows it still arrives. */
static void test_malformed_rejected(struct fixture *f, gconstpointer data)
{
    struct ring *r = ctrl_ring(f->ctrl, 0, CTRL_EP_COORD);
    struct seen seen = {0};
    uint64_t h = atomic_load(&r->head);
    memset(&r->slot[h % r->slots], 0xab, MSG_SLOT_SIZE);
    atomic_store(&r->head, h + 1);
    f->cpu0.seq_out[CTRL_EP_COORD] = 0;
    struct msg_ping p;
    ping(&p, 99);
    g_assert_cmpint(mbox_send(&f->cpu0, CTRL_EP_COORD, &p.hdr), ==, 0);
    g_assert_cmpuint(mbox_drain(&f->coord, collect, &seen, 10), ==, 2);
    g_assert_cmpuint(seen.count, ==, 1);
    g_assert_cmpuint(seen.token[0], ==, 99);
    g_assert_cmpuint(f->coord.rejected, ==, 1);
}

static void test_layout(struct fixture *f, gconstpointer data)
{
    const char *why = NULL;
    g_assert_cmpint(ctrl_check(f->ctrl, ctrl_region_size(), &why), ==, 0);
    g_assert_cmpuint((uintptr_t)ctrl_ring(f->ctrl, 0, 1) % 64, ==, 0);
    g_assert_true(ctrl_ring(f->ctrl, 0, 1) != ctrl_ring(f->ctrl, 1, 0));
    g_assert_cmpuint(ctrl_ring(f->ctrl, 0, 1)->magic, ==, RING_MAGIC);
    f->ctrl->hdr.version++;
    g_assert_cmpint(ctrl_check(f->ctrl, ctrl_region_size(), &why), ==, -EPROTO);
    g_assert_cmpstr(why, ==, "layout version mismatch");
    f->ctrl->hdr.version--;
    g_assert_cmpint(ctrl_check(f->ctrl, 100, &why), ==, -EPROTO);
    g_assert_cmpstr(cpu_state_name(CPU_CRASHED), ==, "crashed");
    g_assert_cmpstr(cpu_state_name(77), ==, "invalid");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/mbox/send-receive", struct fixture, NULL, fx_setup, test_send_receive,
               fx_teardown);
    g_test_add("/mbox/exit-request", struct fixture, NULL, fx_setup, test_exit_request,
               fx_teardown);
    g_test_add("/mbox/notify-only-sleepers", struct fixture, NULL, fx_setup,
               test_notify_only_sleepers, fx_teardown);
    g_test_add("/mbox/doorbell-wait", struct fixture, NULL, fx_setup, test_wait, fx_teardown);
    g_test_add("/mbox/bad-destinations", struct fixture, NULL, fx_setup, test_bad_destinations,
               fx_teardown);
    g_test_add("/mbox/full-and-release", struct fixture, NULL, fx_setup, test_full_and_release,
               fx_teardown);
    g_test_add("/mbox/malformed-rejected", struct fixture, NULL, fx_setup, test_malformed_rejected,
               fx_teardown);
    g_test_add("/ctrl/layout", struct fixture, NULL, fx_setup, test_layout, fx_teardown);
    return g_test_run();
}

/* Two-process ring stress: a child sends 10^7 MSG_TEST messages through one ring of
 * the real control region (vCPU endpoint 0 -> coordinator endpoint), using the
 * blocking send (back-pressure) and doorbells; the parent checks that every message
 * arrives once, in order, untorn: sequence numbers (payload and header), derived
 * words and checksum. A second case slows the consumer so the producer must wait
 * on a full ring again and again. */
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm.h"

struct stress {
    struct ctrl *ctrl;
    int fds[CTRL_MAX_EPS];
    uint64_t expect; /* next payload sequence */
    uint64_t bad;    /* messages that failed a check */
    unsigned slow_every;
};

static void stress_setup(struct stress *s)
{
    s->ctrl =
        mmap(NULL, ctrl_region_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(s->ctrl != MAP_FAILED);
    ctrl_init(s->ctrl, 1, 0x40000000, 1 << 20);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        s->fds[i] = doorbell_create();
    atomic_store(&s->ctrl->ep[0].alive, 1);
    atomic_store(&s->ctrl->ep[CTRL_EP_COORD].alive, 1);
    atomic_store(&s->ctrl->ep[CTRL_EP_COORD].pid, getpid());
}

static G_NORETURN void stress_producer(struct stress *s, uint64_t count)
{
    struct mbox m;
    struct msg_test t;
    mbox_init(&m, s->ctrl, 0, s->fds);
    for (uint64_t seq = 1; seq <= count; seq++) {
        msg_test_fill(&t, seq);
        if (mbox_send(&m, CTRL_EP_COORD, &t.hdr) != 0)
            _exit(3);
    }
    _exit(0);
}

static void stress_on_msg(void *arg, unsigned src, const union msg_slot *slot)
{
    struct stress *s = arg;
    const struct msg_test *t = (const struct msg_test *)slot;
    bool good = src == 0 && slot->hdr.type == MSG_TEST && msg_test_check(t, s->expect) &&
                slot->hdr.seq == (uint32_t)s->expect;
    if (!good && s->bad++ < 5)
        g_printerr("message %" G_GUINT64_FORMAT ": got seq %" G_GUINT64_FORMAT " (hdr %u)%s\n",
                   s->expect, t->seq64, slot->hdr.seq, good ? "" : ", check failed");
    s->expect = t->seq64 + 1; /* resynchronise so one fault is reported once */
    if (s->slow_every && s->expect % s->slow_every == 0)
        g_usleep(200);
}

static bool stress_pending(void *arg)
{
    struct mbox *m = arg;
    return mbox_pending(m);
}

static void stress_run(uint64_t count, unsigned slow_every)
{
    struct stress s = {.expect = 1, .slow_every = slow_every};
    stress_setup(&s);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        stress_producer(&s, count);
    atomic_store(&s.ctrl->ep[0].pid, pid);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    g_assert_cmpint(pidfd, >=, 0);
    struct mbox m;
    mbox_init(&m, s.ctrl, CTRL_EP_COORD, s.fds);
    bool producer_gone = false;
    while (s.expect <= count) {
        if (mbox_drain(&m, stress_on_msg, &s, 4096))
            continue;
        if (producer_gone && !mbox_pending(&m))
            break; /* it has exited and nothing is left: messages were lost */
        enum doorbell_wait_result w =
            doorbell_wait(&s.ctrl->ep[CTRL_EP_COORD], s.fds[CTRL_EP_COORD], stress_pending, &m,
                          producer_gone ? -1 : pidfd, producer_gone ? 0 : -1);
        producer_gone |= w == DOORBELL_WATCHED;
    }
    int status;
    waitpid(pid, &status, 0);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_cmpuint(s.bad, ==, 0);
    g_assert_cmpuint(s.expect, ==, count + 1); /* nothing lost */
    g_assert_false(mbox_pending(&m));          /* nothing duplicated or extra */
    g_assert_cmpuint(m.received, ==, count);
    g_assert_cmpuint(m.rejected, ==, 0);
    if (slow_every) /* the producer really waited on a full ring, and was woken */
        g_assert_cmpuint(atomic_load(&s.ctrl->ep[0].doorbells), >, 0);
    close(pidfd);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        close(s.fds[i]);
    munmap(s.ctrl, ctrl_region_size());
}

static void test_ten_million(void)
{
    stress_run(10 * 1000 * 1000, 0);
}

static void test_back_pressure(void)
{
    stress_run(200 * 1000, 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ring-stress/two-processes-10M", test_ten_million);
    g_test_add_func("/ring-stress/back-pressure", test_back_pressure);
    return g_test_run();
}

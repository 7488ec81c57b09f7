/* Stop-the-world (shm/stw.h) between processes: forked "vCPUs" count in shared memory
 * and check for a hold at every "block boundary", as core-proc's run loop does. The
 * coordinator side stops them, sees every counter stand still while they are held,
 * releases them and sees them move again; a dead vCPU counts as stopped, and a stopped
 * (SIGSTOP, as under a debugger) one is reported by the deadline, not waited for. */
#include <glib.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/shm.h"

#define NCPUS 3

struct world {
    struct ctrl *ctrl;
    int fds[CTRL_MAX_EPS];
    _Atomic uint64_t *count; /* per vCPU, in shared memory */
    pid_t pid[NCPUS];
};

static bool vcpu_serve(void *arg)
{
    struct ctrl_cpu *cpu = arg;
    uint32_t req = atomic_exchange(&cpu->exit_request, 0);
    return req & EXIT_REQ_QUIT;
}

static G_NORETURN void vcpu_main(struct world *w, unsigned i)
{
    struct ctrl_cpu *cpu = &w->ctrl->cpu[i];
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion must not leave us spinning */
    for (;;) {
        for (unsigned k = 0; k < 1000; k++) /* a "block" */
            atomic_fetch_add_explicit(&w->count[i], 1, memory_order_relaxed);
        uint32_t req = atomic_exchange(&cpu->exit_request, 0);
        if (req & EXIT_REQ_QUIT)
            _exit(0);
        if (stw_requested(cpu) &&
            stw_park(w->ctrl, i, w->fds[i], -1, vcpu_serve, cpu) != STW_RELEASED)
            _exit(0);
    }
}

static void world_start(struct world *w)
{
    w->ctrl =
        mmap(NULL, ctrl_region_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(w->ctrl != MAP_FAILED);
    ctrl_init(w->ctrl, NCPUS, 0x40000000, 1 << 20);
    w->count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(w->count != MAP_FAILED);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        w->fds[i] = doorbell_create();
    for (unsigned i = 0; i < NCPUS; i++) {
        atomic_store(&w->ctrl->ep[i].alive, 1);
        w->pid[i] = fork();
        g_assert_cmpint(w->pid[i], >=, 0);
        if (w->pid[i] == 0)
            vcpu_main(w, i);
    }
}

static void world_end(struct world *w)
{
    for (unsigned i = 0; i < NCPUS; i++) {
        kill(w->pid[i], SIGKILL);
        waitpid(w->pid[i], NULL, 0);
    }
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        close(w->fds[i]);
    munmap(w->count, 4096);
    munmap(w->ctrl, ctrl_region_size());
}

/* Polls stw_unacked until all acknowledged or timeout_ms passed; the vCPUs left. */
static uint32_t world_wait(struct world *w, uint32_t mask, uint32_t gen, unsigned timeout_ms)
{
    uint32_t left = mask;
    for (unsigned ms = 0; ms < timeout_ms && (left = stw_unacked(w->ctrl, mask, gen)); ms++)
        g_usleep(1000);
    return left;
}

static void test_stop_and_go(void)
{
    struct world w;
    world_start(&w);
    uint32_t all = (1u << NCPUS) - 1;
    for (uint32_t gen = 1; gen <= 20; gen++) {
        g_usleep(2000);
        stw_request(w.ctrl, w.fds, all, gen);
        g_assert_cmphex(world_wait(&w, all, gen, 5000), ==, 0);
        uint64_t before[NCPUS];
        for (unsigned i = 0; i < NCPUS; i++)
            before[i] = atomic_load(&w.count[i]);
        g_usleep(5000);
        for (unsigned i = 0; i < NCPUS; i++) /* held: nobody ran a "block" */
            g_assert_cmpuint(atomic_load(&w.count[i]), ==, before[i]);
        stw_release(w.ctrl, w.fds, all);
        for (unsigned i = 0; i < NCPUS; i++) {
            for (unsigned ms = 0; ms < 5000 && atomic_load(&w.count[i]) == before[i]; ms++)
                g_usleep(1000);
            g_assert_cmpuint(atomic_load(&w.count[i]), >, before[i]);
        }
    }
    world_end(&w);
}

static void test_dead_and_hung(void)
{
    struct world w;
    world_start(&w);
    uint32_t all = (1u << NCPUS) - 1;
    /* vCPU 1 dies (the coordinator clears alive when it reaps it); vCPU 2 hangs. */
    kill(w.pid[1], SIGKILL);
    waitpid(w.pid[1], NULL, 0);
    atomic_store(&w.ctrl->ep[1].alive, 0);
    kill(w.pid[2], SIGSTOP);
    stw_request(w.ctrl, w.fds, all, 7);
    /* The deadline passes with only the hung one left: reported, not waited for. */
    g_assert_cmphex(world_wait(&w, all, 7, 200), ==, 1u << 2);
    g_assert_cmpuint(atomic_load(&w.ctrl->cpu[0].held), ==, 7);
    kill(w.pid[2], SIGCONT); /* it wakes, sees the hold, and parks too */
    g_assert_cmphex(world_wait(&w, all, 7, 5000), ==, 0);
    stw_release(w.ctrl, w.fds, all);
    world_end(&w);
}

/* Dead-holder safety of the exclusive monitor (shm/ctrl.h): the buckets a dead vCPU
 * held are freed, moved on (its store counts as made), and nobody else's are touched. */
static void test_excl_recover(void)
{
    struct ctrl *c = aligned_alloc(4096, sizeof(struct ctrl)); /* its layout's alignment */
    g_assert_nonnull(c);
    memset(c, 0, sizeof(*c));
    atomic_store(&c->excl.seq[5], (uint64_t)(2 + 1) << 32 | 41); /* vCPU 2 holds it */
    atomic_store(&c->excl.seq[9], (uint64_t)(1 + 1) << 32 | 7);  /* vCPU 1 holds it */
    atomic_store(&c->excl.seq[11], 40);                          /* free */
    g_assert_cmpuint(ctrl_excl_recover(c, 2), ==, 1);
    g_assert_cmphex(atomic_load(&c->excl.seq[5]), ==, 42);
    g_assert_cmphex(atomic_load(&c->excl.seq[9]), ==, (uint64_t)2 << 32 | 7);
    g_assert_cmphex(atomic_load(&c->excl.seq[11]), ==, 40);
    g_assert_cmpuint(ctrl_excl_recover(c, 2), ==, 0);
    free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/stw/stop-and-go", test_stop_and_go);
    g_test_add_func("/stw/dead-and-hung", test_dead_and_hung);
    g_test_add_func("/stw/excl-recover", test_excl_recover);
    return g_test_run();
}

/* The coordinator's holds (coordinator/world.c): the machine's own stop-the-world and
 * the control socket's per-vCPU holds share the hold words and one generation, and
 * neither releases the other's. No vCPU processes here: the test reads the hold words
 * the vCPUs would obey, with every vCPU marked dead so that each stop completes at
 * once (a dead vCPU counts as stopped). */
#include <glib.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coordinator/coord.h"

#define NCPUS 3

struct fixture {
    struct machine m;
    struct machine_config cfg;
    unsigned stopped; /* calls of the stop's `then` */
};

static void fixture_set_up(struct fixture *f, gconstpointer data)
{
    f->cfg.ncpus = NCPUS;
    f->m.cfg = &f->cfg;
    f->m.ctrl =
        mmap(NULL, ctrl_region_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->m.ctrl != MAP_FAILED);
    ctrl_init(f->m.ctrl, NCPUS, 0x40000000, 1 << 20);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        f->m.doorbell[i] = doorbell_create();
    for (unsigned i = 0; i < NCPUS; i++)
        f->m.cpu[i].running = true; /* a process exists, but is not alive in ep[] */
    f->m.base = event_base_new();
    g_assert_nonnull(f->m.base);
    g_assert_cmpint(machine_world_init(&f->m), ==, 0);
}

static void fixture_tear_down(struct fixture *f, gconstpointer data)
{
    machine_world_free(&f->m);
    event_base_free(f->m.base);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        close(f->m.doorbell[i]);
    munmap(f->m.ctrl, ctrl_region_size());
}

static struct fixture *fixture_of_then;

static void on_stopped(struct machine *m, uint32_t stuck)
{
    g_assert_cmpuint(stuck, ==, 0);
    fixture_of_then->stopped++;
}

/* Which vCPUs are asked to hold, as a mask. */
static uint32_t held_mask(struct fixture *f)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < NCPUS; i++)
        if (atomic_load(&f->m.ctrl->cpu[i].hold))
            mask |= 1u << i;
    return mask;
}

static void test_user_hold_outlives_world(struct fixture *f, gconstpointer data)
{
    fixture_of_then = f;
    machine_hold_cpus(&f->m, 1u << 1);
    g_assert_cmpuint(held_mask(f), ==, 1u << 1);
    g_assert_cmpuint(machine_hold_unacked(&f->m, 1u << 1), ==, 0); /* dead: stopped */
    machine_stop_world(&f->m, on_stopped);
    g_assert_cmpuint(f->stopped, ==, 1);
    g_assert_cmpuint(held_mask(f), ==, 7);
    /* Every hold carries the current generation: one poll serves all. */
    for (unsigned i = 0; i < NCPUS; i++)
        g_assert_cmpuint(atomic_load(&f->m.ctrl->cpu[i].hold), ==, f->m.stw_gen);
    machine_start_world(&f->m);
    g_assert_cmpuint(held_mask(f), ==, 1u << 1); /* the control socket's hold stays */
    machine_release_cpus(&f->m, 1u << 1);
    g_assert_cmpuint(held_mask(f), ==, 0);
}

static void test_world_outlives_user_release(struct fixture *f, gconstpointer data)
{
    fixture_of_then = f;
    machine_stop_world(&f->m, on_stopped);
    machine_hold_cpus(&f->m, 1u << 2);
    machine_release_cpus(&f->m, 1u << 2);
    g_assert_cmpuint(held_mask(f), ==, 7); /* the world's stop stays */
    machine_hold_cpus(&f->m, 1u << 0);
    machine_start_world(&f->m);
    g_assert_cmpuint(held_mask(f), ==, 1u << 0);
    g_assert_cmpuint(f->m.user_held, ==, 1u << 0);
    machine_release_cpus(&f->m, 7);
    g_assert_cmpuint(held_mask(f), ==, 0);
    g_assert_cmpuint(f->m.user_held, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/world/user-hold-outlives-world", struct fixture, NULL, fixture_set_up,
               test_user_hold_outlives_world, fixture_tear_down);
    g_test_add("/world/world-outlives-user-release", struct fixture, NULL, fixture_set_up,
               test_world_outlives_user_release, fixture_tear_down);
    return g_test_run();
}

/* Shared-memory objects: naming, mapping across fork, unlinking, and the sweep that
 * removes leftovers of dead machines but never a live machine's. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm.h"
#include "util/util.h"

static bool shm_exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "/dev/shm%s", name);
    return access(path, F_OK) == 0;
}

static void test_create_map_unlink(void)
{
    struct shm_region r, child_view;
    g_assert_cmpint(shm_region_create(&r, "unit", 1 << 20), ==, 0);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "/percore-%d-", (int)getpid());
    g_assert_true(g_str_has_prefix(r.name, prefix));
    g_assert_true(g_str_has_suffix(r.name, "-unit"));
    g_assert_true(shm_exists(r.name));
    /* A second mapping of the same fd sees the same bytes (as a vCPU process does). */
    int fd2 = dup(r.fd);
    g_assert_cmpint(shm_region_map_fd(&child_view, fd2, 1 << 20), ==, 0);
    ((volatile char *)r.base)[12345] = 42;
    g_assert_cmpint(((volatile char *)child_view.base)[12345], ==, 42);
    /* And across fork. */
    pid_t pid = fork();
    if (pid == 0) {
        ((volatile char *)child_view.base)[777] = 7;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    g_assert_cmpint(((volatile char *)r.base)[777], ==, 7);
    /* A mapping larger than the object is refused. */
    struct shm_region too_big;
    g_assert_cmpint(shm_region_map_fd(&too_big, r.fd, 2 << 20), ==, -EINVAL);
    char name[96];
    g_strlcpy(name, r.name, sizeof(name));
    shm_region_unlink(&r);
    g_assert_false(shm_exists(name));
    shm_region_unlink(&r); /* idempotent */
    shm_region_unmap(&child_view);
    shm_region_unmap(&r);
}

static void test_name_owner(void)
{
    pid_t pid;
    uint64_t start;
    g_assert_true(shm_name_owner("percore-123-456-ram", &pid, &start));
    g_assert_cmpint(pid, ==, 123);
    g_assert_cmpuint(start, ==, 456);
    g_assert_false(shm_name_owner("percore-abc-456-ram", &pid, &start));
    g_assert_false(shm_name_owner("percore-123-ram", &pid, &start));
    g_assert_false(shm_name_owner("other-123-456-ram", &pid, &start));
    g_assert_false(shm_name_owner("percore-0-456-ram", &pid, &start));
}

static void make_object(const char *name)
{
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
}

static void test_sweep(void)
{
    uint64_t my_start;
    g_assert_true(util_proc_starttime(getpid(), &my_start));
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char gone[96], reused[96], live[96], elsewhere[96];
    snprintf(gone, sizeof(gone), "/percore-%d-%" PRIu64 "-ram", (int)dead, my_start);
    /* Our own pid with another start time: a dead process whose pid we reuse. */
    snprintf(reused, sizeof(reused), "/percore-%d-%" PRIu64 "-ctrl", (int)getpid(), my_start + 1);
    snprintf(live, sizeof(live), "/percore-%d-%" PRIu64 "-ram", (int)getpid(), my_start);
    /* A dead-looking owner whose lock is held: a machine in another pid namespace. */
    snprintf(elsewhere, sizeof(elsewhere), "/percore-%d-%" PRIu64 "-ctrl", (int)dead, my_start);
    make_object(gone);
    make_object(reused);
    make_object(live);
    make_object(elsewhere);
    int held = shm_open(elsewhere, O_RDWR, 0);
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
    g_assert_cmpint(fcntl(held, F_OFD_SETLK, &fl), ==, 0);
    g_assert_true(shm_owner_alive(getpid(), my_start));
    g_assert_false(shm_owner_alive(dead, my_start));
    g_assert_cmpuint(shm_sweep_stale("/dev/shm"), >=, 2);
    g_assert_false(shm_exists(gone));
    g_assert_false(shm_exists(reused));
    g_assert_true(shm_exists(live));
    g_assert_true(shm_exists(elsewhere));
    close(held); /* the lock goes with the last descriptor: now it is stale */
    shm_sweep_stale("/dev/shm");
    g_assert_false(shm_exists(elsewhere));
    shm_unlink(live);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/region/create-map-unlink", test_create_map_unlink);
    g_test_add_func("/region/name-owner", test_name_owner);
    g_test_add_func("/region/sweep-stale", test_sweep);
    return g_test_run();
}

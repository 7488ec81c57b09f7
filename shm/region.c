/* POSIX shm objects: create, map, unlink, and sweep leftovers of dead machines. */
#include "shm/region.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static int shm_region_map(struct shm_region *r, size_t size)
{
    /* NORESERVE: guest RAM is touched sparsely; pages appear as the guest uses them. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, r->fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    r->base = p;
    r->size = size;
    return 0;
}

/* An open-file-description lock on the object: held (shared) by the creating
 * coordinator's descriptor, which its vCPU processes inherit, for as long as any of
 * them lives. A sweeper that can take the lock exclusively knows nobody uses the
 * object, whatever pid namespace its owner ran in. */
static int shm_lock(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

int shm_region_create(struct shm_region *r, const char *kind, size_t size)
{
    uint64_t start = 0;
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    if (!util_proc_starttime(getpid(), &start))
        return -ENOENT;
    snprintf(r->name, sizeof(r->name), "/" SHM_NAME_PREFIX "%d-%" PRIu64 "-%s", (int)getpid(),
             start, kind);
    r->fd = shm_open(r->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (r->fd < 0) {
        int err = -errno;
        r->name[0] = 0;
        return err;
    }
    int err = shm_lock(r->fd, F_RDLCK);
    if (!err && ftruncate(r->fd, (off_t)size) < 0)
        err = -errno;
    if (!err)
        err = shm_region_map(r, size);
    if (err) {
        shm_region_unlink(r);
        close(r->fd);
        r->fd = -1;
        return err;
    }
    log_item(LOG_SHM, "created %s (%zu bytes)", r->name, size);
    return 0;
}

int shm_region_map_fd(struct shm_region *r, int fd, size_t size)
{
    struct stat st;
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    if (fstat(fd, &st) < 0)
        return -errno;
    if ((uint64_t)st.st_size < size)
        return -EINVAL;
    return shm_region_map(r, size);
}

void shm_region_unmap(struct shm_region *r)
{
    if (r->base)
        munmap(r->base, r->size);
    r->base = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

void shm_region_unlink(struct shm_region *r)
{
    if (!r->name[0])
        return;
    if (shm_unlink(r->name) == 0)
        log_item(LOG_SHM, "removed %s", r->name);
    r->name[0] = 0;
}

bool shm_name_owner(const char *name, pid_t *pid, uint64_t *start)
{
    int p, n = 0;
    uint64_t s;
    if (strncmp(name, SHM_NAME_PREFIX, strlen(SHM_NAME_PREFIX)) != 0)
        return false;
    if (sscanf(name + strlen(SHM_NAME_PREFIX), "%d-%" SCNu64 "-%n", &p, &s, &n) != 2 || n == 0 ||
        p <= 0)
        return false;
    *pid = p;
    *start = s;
    return true;
}

bool shm_owner_alive(pid_t pid, uint64_t start)
{
    uint64_t now;
    /* A pid whose start time differs is a different process that reused it. */
    return util_proc_starttime(pid, &now) && now == start;
}

unsigned shm_sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    unsigned removed = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        pid_t pid;
        uint64_t start;
        if (!shm_name_owner(e->d_name, &pid, &start) || shm_owner_alive(pid, start))
            continue;
        char name[300];
        snprintf(name, sizeof(name), "/%s", e->d_name);
        /* The owner pid looks dead from here; only an untaken lock proves it (the
         * owner may live in another pid namespace). */
        int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0)
            continue;
        bool unused = shm_lock(fd, F_WRLCK) == 0;
        if (unused && shm_unlink(name) == 0) {
            removed++;
            log_item(LOG_SHM, "removed stale %s (owner pid %d is gone)", name, (int)pid);
        }
        close(fd);
    }
    closedir(d);
    return removed;
}

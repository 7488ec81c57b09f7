/* POSIX shared-memory objects. Names are /percore-PID-START-KIND: PID and START
 * (the owner coordinator's pid and its start time) identify the owning process for
 * ever, so a later machine can tell a leftover of a dead machine from a live one. */
#ifndef PERCORE_SHM_REGION_H
#define PERCORE_SHM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHM_NAME_PREFIX "percore-"

struct shm_region {
    char name[96]; /* "/percore-…" while this process owns the name, else "" */
    int fd;
    void *base;
    size_t size;
};

/* Creates and maps a new object owned by this process: "/percore-PID-START-KIND".
 * Returns 0 or -errno. */
int shm_region_create(struct shm_region *r, const char *kind, size_t size);
/* Maps an object handed over as an fd (a vCPU process). The size is checked
 * against the object's. Returns 0 or -errno. */
int shm_region_map_fd(struct shm_region *r, int fd, size_t size);
void shm_region_unmap(struct shm_region *r);
/* Removes the name (mappings stay valid). Idempotent. */
void shm_region_unlink(struct shm_region *r);

/* Parses an object name ("percore-PID-START-KIND", no slash) into its owner. */
bool shm_name_owner(const char *name, pid_t *pid, uint64_t *start);
/* True while the owner process named by (pid, start) is alive. */
bool shm_owner_alive(pid_t pid, uint64_t start);
/* Removes every percore object whose owner is dead — its pid and start time name no
 * live process here, and nobody holds the lock its creator took — and leaves live
 * machines' alone. Returns how many were removed. dir is normally "/dev/shm". */
unsigned shm_sweep_stale(const char *dir);

#endif

/* Control-region formatting and lookup. */
#include "shm/ctrl.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <time.h>

static const char *const cpu_state_names[] = {
#define CPU_STATE_NAME(id, name) name,
    CPU_STATES(CPU_STATE_NAME)
#undef CPU_STATE_NAME
};

const char *cpu_state_name(unsigned state)
{
    return state < CPU_STATE_COUNT ? cpu_state_names[state] : "invalid";
}

static size_t ctrl_ring_stride(void)
{
    size_t b = ring_bytes(CTRL_RING_SLOTS);
    return (b + 4095) & ~(size_t)4095;
}

static size_t ctrl_ring_offset(void)
{
    return (sizeof(struct ctrl) + 4095) & ~(size_t)4095;
}

size_t ctrl_region_size(void)
{
    return ctrl_ring_offset() + (size_t)CTRL_MAX_EPS * CTRL_MAX_EPS * ctrl_ring_stride();
}

struct ring *ctrl_ring(struct ctrl *c, unsigned src, unsigned dst)
{
    assert(src < CTRL_MAX_EPS && dst < CTRL_MAX_EPS && src != dst);
    /* The geometry comes from this binary, never from the shared header: a process
     * that scribbles on the header cannot send anybody's ring pointer astray. */
    size_t off = ctrl_ring_offset() + ((size_t)src * CTRL_MAX_EPS + dst) * ctrl_ring_stride();
    return (struct ring *)((char *)c + off);
}

void ctrl_init(struct ctrl *c, uint32_t ncpus, uint64_t ram_base, uint64_t ram_size)
{
    assert(ncpus >= 1 && ncpus <= CTRL_MAX_CPUS);
    memset(c, 0, sizeof(*c));
    c->hdr.magic = CTRL_MAGIC;
    c->hdr.version = CTRL_LAYOUT_VERSION;
    c->hdr.ncpus = ncpus;
    c->hdr.ram_base = ram_base;
    c->hdr.ram_size = ram_size;
    c->hdr.region_size = ctrl_region_size();
    c->hdr.ring_slots = CTRL_RING_SLOTS;
    c->hdr.ring_offset = ctrl_ring_offset();
    c->hdr.ring_stride = ctrl_ring_stride();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->hdr.counter_epoch_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
        c->cpu[i].index = i;
        atomic_store(&c->cpu[i].run_state, CPU_OFF);
    }
    for (unsigned s = 0; s < CTRL_MAX_EPS; s++)
        for (unsigned d = 0; d < CTRL_MAX_EPS; d++)
            if (s != d)
                ring_init(ctrl_ring(c, s, d), CTRL_RING_SLOTS);
}

unsigned ctrl_excl_recover(struct ctrl *c, unsigned dead)
{
    unsigned n = 0;
    for (unsigned b = 0; b < CTRL_EXCL_BUCKETS; b++) {
        uint64_t w = atomic_load(&c->excl.seq[b]);
        if ((w >> 32) == dead + 1u &&
            atomic_compare_exchange_strong(&c->excl.seq[b], &w, (uint32_t)w + 1u))
            n++;
    }
    return n;
}

int ctrl_check(const struct ctrl *c, size_t mapped, const char **why)
{
    if (mapped < sizeof(struct ctrl_header) || c->hdr.magic != CTRL_MAGIC)
        *why = "bad magic";
    else if (c->hdr.version != CTRL_LAYOUT_VERSION)
        *why = "layout version mismatch";
    else if (c->hdr.region_size != ctrl_region_size() || mapped < c->hdr.region_size)
        *why = "region size mismatch";
    else if (c->hdr.ncpus < 1 || c->hdr.ncpus > CTRL_MAX_CPUS)
        *why = "vCPU count out of range";
    else
        return 0;
    return -EPROTO;
}

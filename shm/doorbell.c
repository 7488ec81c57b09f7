/* eventfd doorbells with a sleeping flag in shared memory. */
#include "shm/doorbell.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int doorbell_create(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void doorbell_ring(struct ctrl_endpoint *ep, int fd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated: the receiver has a wake-up anyway. */
    if (write(fd, &one, sizeof(one)) == sizeof(one))
        atomic_fetch_add_explicit(&ep->doorbells, 1, memory_order_relaxed);
}

void doorbell_notify(struct ctrl_endpoint *ep, int fd)
{
    atomic_thread_fence(memory_order_seq_cst);
    /* Lowering the flag makes this the only write for this sleep: the senders that
     * follow see a receiver that is already being woken, and save the syscall. */
    if (atomic_load_explicit(&ep->sleeping, memory_order_relaxed) &&
        atomic_exchange_explicit(&ep->sleeping, 0, memory_order_relaxed))
        doorbell_ring(ep, fd);
}

void doorbell_kick_cpus(struct ctrl *c, const int fd[CTRL_MAX_EPS], uint32_t mask, uint32_t bits,
                        unsigned self)
{
    for (unsigned i = 0; mask && i < CTRL_MAX_CPUS; i++, mask >>= 1) {
        if (!(mask & 1))
            continue;
        atomic_fetch_or_explicit(&c->cpu[i].exit_request, bits, memory_order_release);
        if (i != self)
            doorbell_notify(&c->ep[i], fd[i]);
    }
}

void doorbell_clear(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof(v)) == sizeof(v))
        ;
}

enum doorbell_wait_result doorbell_wait(struct ctrl_endpoint *self, int fd,
                                        bool (*has_work)(void *), void *arg, int watch_fd,
                                        int timeout_ms)
{
    atomic_store_explicit(&self->sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (has_work && has_work(arg)) {
        atomic_store_explicit(&self->sleeping, 0, memory_order_relaxed);
        return DOORBELL_WORK;
    }
    struct pollfd pfd[2] = {
        {.fd = fd, .events = POLLIN},
        {.fd = watch_fd, .events = POLLIN},
    };
    int n;
    do {
        n = poll(pfd, watch_fd >= 0 ? 2 : 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    atomic_store_explicit(&self->sleeping, 0, memory_order_relaxed);
    if (n > 0 && (pfd[0].revents & POLLIN)) {
        doorbell_clear(fd);
        return DOORBELL_RUNG;
    }
    if (n > 0 && watch_fd >= 0 && pfd[1].revents)
        return DOORBELL_WATCHED;
    return DOORBELL_TIMEOUT;
}

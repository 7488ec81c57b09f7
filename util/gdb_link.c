/* How a GDB stub is reached and fed (util/gdb.h): the TCP address of -gdb and -gdb-cpu,
 * the listening socket, and the all-stop stub's per-vCPU area in the control region. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/gdb.h"

bool gdb_parse_tcp(const char *spec, char **host, char **port)
{
    *host = *port = NULL;
    if (!g_str_has_prefix(spec, "tcp:"))
        return false;
    const char *h = spec + 4, *colon = strrchr(h, ':');
    if (!colon)
        return false;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p) || atoi(p) > 65535)
        return false;
    if (colon > h)
        *host = g_strndup(h, (gsize)(colon - h));
    *port = g_strdup(p);
    return true;
}

int gdb_listen(const char *host, const char *port, unsigned *bound, char **why)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    /* Loopback only unless a host is given: a debugger owns the guest. */
    int gai = getaddrinfo(host ? host : "127.0.0.1", port, &hints, &res);
    if (gai) {
        *why = g_strdup_printf("cannot resolve '%s': %s", host ? host : "127.0.0.1",
                               gai_strerror(gai));
        return -EINVAL;
    }
    int err = -EADDRNOTAVAIL;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        a->ai_protocol);
        if (fd < 0) {
            err = -errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            err = -errno;
            close(fd);
            continue;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        *bound = 0;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
            char serv[16];
            if (getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, serv, sizeof(serv),
                            NI_NUMERICSERV) == 0)
                *bound = (unsigned)atoi(serv);
        }
        freeaddrinfo(res);
        return fd;
    }
    freeaddrinfo(res);
    *why = g_strdup_printf("cannot listen on %s:%s: %s", host ? host : "127.0.0.1", port,
                           strerror(-err));
    return err;
}

void gdb_regs_get(const struct arm_regs *r, uint32_t regs[GDB_NREGS])
{
    memcpy(regs, r->r, 16 * sizeof(uint32_t));
    regs[16] = arm_regs_cpsr(r);
}

void gdb_reg_set(struct arm_regs *r, unsigned index, uint32_t value)
{
    if (index < 16)
        r->r[index] = index == 15 ? value & ~3u : value; /* an ARM-state pc */
    else
        arm_debug_write_cpsr(r, value);
}

bool gdb_send_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) { /* GDB reads slowly: wait for room */
            struct pollfd pw = {.fd = fd, .events = POLLOUT};
            if (poll(&pw, 1, 1000) <= 0)
                return false;
            continue;
        }
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

void gdb_area_write(struct gdb_cpu_area *a, const struct arm_debug_set *set)
{
    uint32_t s = atomic_load_explicit(&a->seq, memory_order_relaxed);
    atomic_store_explicit(&a->seq, s | 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    memcpy(&a->set, set, sizeof(*set));
    atomic_store_explicit(&a->seq, (s | 1) + 1, memory_order_release);
}

void gdb_area_read(struct gdb_cpu_area *a, struct arm_debug_set *set)
{
    for (;;) {
        uint32_t s = atomic_load_explicit(&a->seq, memory_order_acquire);
        if (s & 1)
            continue; /* the writer is between its two stores: a few instructions */
        memcpy(set, &a->set, sizeof(*set));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&a->seq, memory_order_relaxed) == s)
            return;
    }
}

/* -serial backends: where the console UART's output goes. stdio and mon:stdio write to
 * percore's stdout, none discards, unix:PATH connects to a listening socket as a client
 * (qemu's default for unix: without ",server"). Output only: the UART's receive side
 * and mon:stdio's Ctrl-A monitor keys are later issues, so stdin is left alone. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "util/util.h"

static int serial_connect_unix(struct serial *s, const char *path, char **why)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        *why = g_strdup_printf("-serial unix:%s: the path is longer than a socket's %zu bytes",
                               path, sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;
        *why = g_strdup_printf("-serial unix:%s: cannot connect: %s", path, strerror(err));
        if (fd >= 0)
            close(fd);
        return -err;
    }
    s->fd = fd;
    s->owns_fd = true;
    return 0;
}

int serial_open(struct serial *s, const struct machine_config *cfg, char **why)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->kind = cfg->serial;
    switch (cfg->serial) {
    case SERIAL_STDIO:
    case SERIAL_MON_STDIO:
        s->fd = STDOUT_FILENO;
        s->name = g_strdup("stdout");
        return 0;
    case SERIAL_UNIX:
        s->name = g_strdup_printf("unix:%s", cfg->serial_path);
        return serial_connect_unix(s, cfg->serial_path, why);
    case SERIAL_NONE: break;
    }
    return 0;
}

/* Waits until fd takes more bytes: stdout may have been left non-blocking by another
 * program sharing the terminal. */
static void serial_wait_writable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
}

/* A backend that failed (reader gone, disk full) drops the output from then on, said
 * once: the guest goes on, as with a real UART whose cable was pulled. */
static void serial_fail(struct serial *s, int err)
{
    log_notice("serial output to %s failed: %s; further output is dropped", s->name, strerror(err));
    s->broken = true;
}

void serial_write(struct serial *s, const uint8_t *buf, size_t len)
{
    while (len && s->fd >= 0 && !s->broken) {
        ssize_t n = write(s->fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            serial_wait_writable(s->fd);
        } else if (n < 0 && errno != EINTR) {
            serial_fail(s, errno);
        }
    }
}

/* The PL011's transmit callback. Written at once, byte by byte, like qemu's chardevs:
 * output must be visible the moment the guest sends it (prompts have no newline). */
void serial_tx(void *arg, uint8_t byte)
{
    serial_write(arg, &byte, 1);
}

void serial_close(struct serial *s)
{
    if (s->owns_fd && s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    g_free(s->name);
    s->name = NULL;
}

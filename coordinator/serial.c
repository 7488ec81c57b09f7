/* -serial backends: where the console UART's output goes and its input comes from.
 * stdio and mon:stdio write to percore's stdout and read stdin, none discards and reads
 * nothing, unix:PATH connects to a listening socket as a client (qemu's default for
 * unix: without ",server") and reads it too.
 *
 * As qemu-system-arm's stdio chardev: stdin is read when it is a terminal, a pipe, a
 * socket or a regular file (anything else, /dev/null for one, gives no input); end of
 * file ends the input, not the machine. Input the UART's FIFO cannot take yet is held
 * here (up to sizeof(hold); reading stops while that is full), never dropped. A
 * terminal on stdin is switched, as qemu's qemu_chr_set_echo_stdio does, to
 * non-canonical, no-echo, 8-bit input with output processing (OPOST) kept, so the
 * guest's "\r\n" and percore's messages print as they do under qemu; with mon:stdio
 * ISIG is cleared as well (qemu sets signal=off for mon:stdio: Ctrl-C goes to the
 * guest and Ctrl-A x quits), with plain stdio Ctrl-C still signals percore. The saved
 * settings come back in serial_close and, for exits that skip it, from atexit.
 *
 * mon:stdio also takes qemu's mux keys from its input, terminal or not (qemu's mux
 * filters every byte): C-a x quits (status 0), C-a h or C-a ? lists the keys, C-a C-a
 * sends one C-a to the guest, C-a c would switch to the monitor, which percore does not
 * have (it says so); any other key after C-a is swallowed, as in qemu. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
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
    s->in_fd = -1;
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

/* The terminal's settings before raw mode; restored once, by the process that set
 * them (the vCPU processes exec at once and never run this). */
static struct termios serial_saved_tty;
static bool serial_tty_raw;
static pid_t serial_tty_owner;

static void serial_restore_tty(void)
{
    if (serial_tty_raw && getpid() == serial_tty_owner) {
        serial_tty_raw = false;
        tcsetattr(STDIN_FILENO, TCSANOW, &serial_saved_tty);
    }
}

static void serial_raw_tty(bool keep_signals)
{
    static bool registered;
    if (tcgetattr(STDIN_FILENO, &serial_saved_tty) < 0)
        return;
    struct termios t = serial_saved_tty;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals)
        t.c_lflag &= ~(tcflag_t)ISIG;
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (!registered) {
        atexit(serial_restore_tty);
        registered = true;
    }
    serial_tty_owner = getpid();
    serial_tty_raw = true;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
        log_notice("cannot put the terminal in raw mode: %s", strerror(errno));
}

/* Waits for more input, unless the held bytes fill the buffer or input has ended. */
static void serial_arm(struct serial *s)
{
    if (s->in_fd < 0 || !s->ev_read)
        return;
    if (s->held == sizeof(s->hold))
        event_del(s->ev_read);
    else if (s->in_file)
        event_active(s->ev_read, EV_READ, 1);
    else
        event_add(s->ev_read, NULL);
}

static void serial_end_input(struct serial *s)
{
    if (s->ev_read)
        event_del(s->ev_read);
    s->in_fd = -1; /* stdin is not ours to close; a socket still carries output */
}

/* Gives the UART what its FIFO takes now; the rest waits for its rx_ready. */
static void serial_feed(struct serial *s)
{
    size_t n = pl011_receive(s->uart, s->hold, s->held);
    memmove(s->hold, s->hold + n, s->held - n);
    s->held -= n;
    if (n)
        machine_sync_irqs(s->machine); /* RXRIS may have risen */
    serial_arm(s);
}

static void serial_say(struct serial *s, const char *text)
{
    serial_write(s, (const uint8_t *)text, strlen(text));
}

#define CTRL_A 0x01

/* One input byte under mon:stdio's key handling: held for the guest unless it is
 * one of percore's keys. */
static void serial_mux_key(struct serial *s, uint8_t c)
{
    if (!s->got_escape) {
        if (c == CTRL_A)
            s->got_escape = true;
        else
            s->hold[s->held++] = c;
        return;
    }
    s->got_escape = false;
    switch (c) {
    case CTRL_A: s->hold[s->held++] = c; break;
    case 'h':
    case '?':
        serial_say(s, "\r\n"
                      "C-a h    print this help\r\n"
                      "C-a x    exit emulator\r\n"
                      "C-a c    switch between console and monitor (no monitor in percore)\r\n"
                      "C-a C-a  sends C-a\r\n");
        break;
    case 'x':
        serial_say(s, "percore: terminated by C-a x\r\n");
        serial_end_input(s);
        machine_stop(s->machine, 0);
        break;
    case 'c': serial_say(s, "percore: C-a c: there is no monitor (not implemented)\r\n"); break;
    default: break; /* as in qemu: swallowed */
    }
}

static void serial_on_read(evutil_socket_t fd, short what, void *arg)
{
    struct serial *s = arg;
    uint8_t buf[sizeof(s->hold)];
    if (s->in_fd < 0)
        return;
    ssize_t n = read(s->in_fd, buf, sizeof(s->hold) - s->held);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        serial_arm(s);
        return;
    }
    if (n < 0)
        log_notice("serial input from %s failed: %s; no more input", s->name, strerror(errno));
    if (n <= 0) { /* end of file: no more input, the machine goes on */
        serial_end_input(s);
        return;
    }
    for (ssize_t i = 0; i < n && s->in_fd >= 0; i++) {
        if (s->mux)
            serial_mux_key(s, buf[i]);
        else
            s->hold[s->held++] = buf[i];
    }
    serial_feed(s);
}

static void serial_on_feed(evutil_socket_t fd, short what, void *arg)
{
    serial_feed(arg);
}

/* The UART's rx_ready: called inside a guest access, so the feeding is deferred. */
static void serial_rx_ready(void *arg)
{
    struct serial *s = arg;
    if (s->held && s->ev_feed)
        event_active(s->ev_feed, 0, 1);
}

/* stdin's kind: readable input (pollable or a regular file), or none. */
static bool serial_stdin_readable(bool *is_file)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) < 0)
        return false;
    *is_file = S_ISREG(st.st_mode);
    return *is_file || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(STDIN_FILENO);
}

int serial_start_input(struct serial *s, struct machine *m, struct event_base *base, void *uart)
{
    s->machine = m;
    s->uart = uart;
    s->in_fd = -1;
    bool is_stdio = s->kind == SERIAL_STDIO || s->kind == SERIAL_MON_STDIO;
    bool file = false;
    if (is_stdio && serial_stdin_readable(&file))
        s->in_fd = STDIN_FILENO;
    else if (s->kind == SERIAL_UNIX)
        s->in_fd = s->fd;
    if (s->in_fd < 0)
        return 0;
    s->in_file = file;
    s->mux = s->kind == SERIAL_MON_STDIO;
    s->ev_read = file ? event_new(base, -1, 0, serial_on_read, s)
                      : event_new(base, s->in_fd, EV_READ | EV_PERSIST, serial_on_read, s);
    s->ev_feed = event_new(base, -1, 0, serial_on_feed, s);
    if (!s->ev_read || !s->ev_feed)
        return -ENOMEM;
    pl011_set_rx_ready(uart, serial_rx_ready, s);
    if (is_stdio && isatty(STDIN_FILENO))
        serial_raw_tty(s->kind == SERIAL_STDIO);
    serial_arm(s);
    return 0;
}

void serial_stop_input(struct serial *s)
{
    if (s->uart)
        pl011_set_rx_ready(s->uart, NULL, NULL);
    if (s->ev_read)
        event_free(s->ev_read);
    if (s->ev_feed)
        event_free(s->ev_feed);
    s->ev_read = s->ev_feed = NULL;
    s->in_fd = -1;
}

void serial_close(struct serial *s)
{
    serial_restore_tty();
    if (s->owns_fd && s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    g_free(s->name);
    s->name = NULL;
}

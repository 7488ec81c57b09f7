/* The control socket's server (control.h): the listening socket, one bufferevent per
 * client, framing, and the replies that wait for the vCPUs (a stop's acknowledgement,
 * fresh counters). The commands themselves are in control_cmd.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "coordinator/control.h"
#include "coordinator/control_cmd.h"
#include "coordinator/coord.h"
#include "util/util.h"

/* A client's replies not yet read; past this it is dropped (the loop never waits). */
#define CONTROL_OUT_MAX (8u << 20)
/* Polls of 1 ms: a stop waits as long as the machine's own stop-the-world does; fresh
 * counters are worth a shorter wait (a hung vCPU's are simply older). */
#define CONTROL_HOLD_POLLS 1000u
#define CONTROL_SYNC_POLLS 100u
/* A frame begun and not finished, or replies not taken, for this long: the client is
 * dropped. */
#define CONTROL_STALL_SECONDS 30

struct ctl_conn {
    struct control *ctl;
    struct bufferevent *bev;
    struct event *ev_poll; /* a waiting reply's poll; also frees a dropped connection */
    unsigned id;           /* for log lines */
    GPtrArray *scratch;    /* what the reply being built points to, freed once sent */
    enum ctl_wait wait;    /* a reply waits: no request is taken meanwhile */
    unsigned polls;
    uint32_t wait_mask;
    uint64_t wait_exits[CTRL_MAX_CPUS];
    bool eof;     /* the client has shut its side */
    bool closing; /* takes no more requests */
    bool dropped; /* to be freed from ev_poll */
};

struct control {
    struct machine *m;
    struct evconnlistener *listener;
    char *path; /* the socket file, removed by control_close */
    GList *conns;
    unsigned next_id;
};

static void ctl_conn_process(struct ctl_conn *k);

/* ---- connections ---- */

static void ctl_conn_free(struct ctl_conn *k)
{
    k->ctl->conns = g_list_remove(k->ctl->conns, k);
    log_item(LOG_SUP, "control: client %u gone", k->id);
    bufferevent_free(k->bev);
    event_free(k->ev_poll);
    g_ptr_array_free(k->scratch, TRUE);
    g_free(k);
}

/* Frees k from the loop, outside whatever callback decided it (ev_poll's callback
 * sees `dropped`). */
static void ctl_conn_drop(struct ctl_conn *k)
{
    k->closing = k->dropped = true;
    bufferevent_disable(k->bev, EV_READ | EV_WRITE);
    event_active(k->ev_poll, EV_TIMEOUT, 1);
}

/* No more requests: closed once the replies queued are written. */
static void ctl_conn_close(struct ctl_conn *k)
{
    k->closing = true;
    bufferevent_disable(k->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(k->bev)) == 0)
        ctl_conn_drop(k);
}

void ctl_send(struct ctl_conn *k, const Percore__Control__Reply *r)
{
    size_t n = percore__control__reply__get_packed_size(r);
    uint8_t *buf = g_malloc(n + 4);
    control_frame_header(buf, (uint32_t)n);
    percore__control__reply__pack(r, buf + 4);
    struct evbuffer *out = bufferevent_get_output(k->bev);
    evbuffer_add(out, buf, n + 4);
    g_free(buf);
    g_ptr_array_set_size(k->scratch, 0);
    if (evbuffer_get_length(out) > CONTROL_OUT_MAX) {
        log_notice("control: client %u does not read its replies (%zu bytes waiting): dropped",
                   k->id, evbuffer_get_length(out));
        ctl_conn_drop(k);
    }
}

void *ctl_alloc(struct ctl_conn *k, size_t size)
{
    void *p = g_malloc0(size);
    g_ptr_array_add(k->scratch, p);
    return p;
}

char *ctl_strdup_printf(struct ctl_conn *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(k->scratch, s);
    return s;
}

static void ctl_reply_verror(struct ctl_conn *k, const char *fmt, va_list ap)
{
    Percore__Control__Reply r = PERCORE__CONTROL__REPLY__INIT;
    char *why = g_strdup_vprintf(fmt, ap);
    r.error = why;
    ctl_send(k, &r);
    g_free(why);
}

void ctl_reply_error(struct ctl_conn *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctl_reply_verror(k, fmt, ap);
    va_end(ap);
}

/* Input that is not a request: an error reply, then the connection ends (the machine
 * runs on). */
static void ctl_conn_fail(struct ctl_conn *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void ctl_conn_fail(struct ctl_conn *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    log_item(LOG_SUP, "control: client %u: %s: closing it", k->id, why);
    ctl_reply_error(k, "%s", why);
    g_free(why);
    if (!k->dropped)
        ctl_conn_close(k);
}

/* One whole frame off the input: 1 when a request was taken, 0 when more bytes are
 * needed, -1 when the connection failed. */
static int ctl_conn_frame(struct ctl_conn *k)
{
    struct evbuffer *in = bufferevent_get_input(k->bev);
    size_t avail = evbuffer_get_length(in);
    uint8_t hdr[4];
    if (avail < sizeof(hdr))
        return 0;
    evbuffer_copyout(in, hdr, sizeof(hdr));
    uint32_t len = control_frame_length(hdr);
    if (len > CONTROL_FRAME_MAX) {
        ctl_conn_fail(k, "frame of %u bytes is over the limit (%u bytes)", len, CONTROL_FRAME_MAX);
        return -1;
    }
    if (avail - sizeof(hdr) < len)
        return 0;
    evbuffer_drain(in, sizeof(hdr));
    static const uint8_t none;
    const uint8_t *body = len ? evbuffer_pullup(in, len) : &none;
    Percore__Control__Request *rq = percore__control__request__unpack(NULL, len, body);
    evbuffer_drain(in, len);
    if (!rq) {
        ctl_conn_fail(k, "a frame of %u bytes that is not a Request (control.proto)", len);
        return -1;
    }
    bool known = ctl_dispatch(k, rq);
    if (!known)
        ctl_conn_fail(k, "unknown command %d", (int)rq->command);
    percore__control__request__free_unpacked(rq, NULL);
    return known ? 1 : -1;
}

static void ctl_conn_process(struct ctl_conn *k)
{
    while (!k->closing && k->wait == CTL_WAIT_NONE && ctl_conn_frame(k) > 0)
        ;
    if (k->closing || k->wait != CTL_WAIT_NONE)
        return;
    size_t left = evbuffer_get_length(bufferevent_get_input(k->bev));
    if (k->eof && left)
        ctl_conn_fail(k, "truncated frame: the input ended %zu bytes into it", left);
    else if (k->eof)
        ctl_conn_close(k);
    else /* a frame begun must be finished within the stall time */
        bufferevent_set_timeouts(k->bev, left ? &(struct timeval){CONTROL_STALL_SECONDS, 0} : NULL,
                                 &(struct timeval){CONTROL_STALL_SECONDS, 0});
}

static void ctl_on_read(struct bufferevent *bev, void *arg)
{
    ctl_conn_process(arg);
}

/* The output has drained: a closing connection is done. */
static void ctl_on_write(struct bufferevent *bev, void *arg)
{
    struct ctl_conn *k = arg;
    if (k->closing && !k->dropped)
        ctl_conn_drop(k);
}

static void ctl_on_event(struct bufferevent *bev, short what, void *arg)
{
    struct ctl_conn *k = arg;
    if (k->dropped)
        return;
    if (what & BEV_EVENT_EOF) {
        k->eof = true;
        ctl_conn_process(k);
    } else if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
        ctl_conn_fail(k, "no complete frame within %d s", CONTROL_STALL_SECONDS);
    } else {
        if (what & BEV_EVENT_TIMEOUT)
            log_notice("control: client %u took no reply for %d s: dropped", k->id,
                       CONTROL_STALL_SECONDS);
        ctl_conn_drop(k);
    }
}

/* ---- replies that wait for the vCPUs ---- */

/* The vCPUs of the wait that have not done what it waits for. */
static uint32_t ctl_wait_left(struct ctl_conn *k)
{
    struct machine *m = k->ctl->m;
    if (k->wait == CTL_WAIT_HOLD)
        return machine_hold_unacked(m, k->wait_mask);
    uint32_t left = 0;
    for (unsigned i = 0; i < m->cfg->ncpus; i++) {
        const struct ctrl_cpu *c = &m->ctrl->cpu[i];
        if ((k->wait_mask & (1u << i)) && atomic_load(&m->ctrl->ep[i].alive) &&
            atomic_load(&c->counters.exits) == k->wait_exits[i])
            left |= 1u << i;
    }
    return left;
}

/* True when the wait is over and its reply sent. */
static bool ctl_wait_step(struct ctl_conn *k)
{
    uint32_t left = ctl_wait_left(k);
    unsigned limit = k->wait == CTL_WAIT_HOLD ? CONTROL_HOLD_POLLS : CONTROL_SYNC_POLLS;
    if (left && ++k->polls < limit)
        return false;
    enum ctl_wait w = k->wait;
    k->wait = CTL_WAIT_NONE;
    ctl_wait_done(k, w, left);
    return true;
}

static void ctl_on_poll(evutil_socket_t fd, short what, void *arg)
{
    struct ctl_conn *k = arg;
    if (k->dropped) {
        ctl_conn_free(k);
        return;
    }
    if (k->wait == CTL_WAIT_NONE)
        return;
    if (!ctl_wait_step(k))
        evtimer_add(k->ev_poll, &(struct timeval){.tv_usec = 1000});
    else
        ctl_conn_process(k); /* requests that came in meanwhile */
}

void ctl_wait_start(struct ctl_conn *k, enum ctl_wait w, uint32_t mask)
{
    struct machine *m = k->ctl->m;
    k->wait = w;
    k->wait_mask = mask;
    k->polls = 0;
    if (w == CTL_WAIT_SYNC) {
        /* A vCPU publishes its counters when it leaves guest code, and counts the exit
         * just after: ask each to leave once (a `self` exit) and wait for the count. */
        for (unsigned i = 0; i < m->cfg->ncpus; i++)
            k->wait_exits[i] = atomic_load(&m->ctrl->cpu[i].counters.exits);
        doorbell_kick_cpus(m->ctrl, m->doorbell, mask, EXIT_REQ_SELF, CTRL_EP_COORD);
    }
    if (!ctl_wait_step(k))
        evtimer_add(k->ev_poll, &(struct timeval){.tv_usec = 1000});
}

struct machine *ctl_machine(struct ctl_conn *k)
{
    return k->ctl->m;
}

/* ---- the listening socket ---- */

static void ctl_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    struct control *ctl = arg;
    if (g_list_length(ctl->conns) >= CONTROL_CONNS_MAX) {
        log_notice("control: %u clients already connected: refusing another", CONTROL_CONNS_MAX);
        close(fd);
        return;
    }
    struct ctl_conn *k = g_new0(struct ctl_conn, 1);
    k->ctl = ctl;
    k->id = ++ctl->next_id;
    k->scratch = g_ptr_array_new_with_free_func(g_free);
    evutil_make_socket_nonblocking(fd);
    k->bev = bufferevent_socket_new(ctl->m->base, fd, BEV_OPT_CLOSE_ON_FREE);
    k->ev_poll = evtimer_new(ctl->m->base, ctl_on_poll, k);
    if (!k->bev || !k->ev_poll) {
        log_notice("control: cannot serve a client: out of memory");
        if (k->bev)
            bufferevent_free(k->bev);
        else
            close(fd);
        if (k->ev_poll)
            event_free(k->ev_poll);
        g_ptr_array_free(k->scratch, TRUE);
        g_free(k);
        return;
    }
    ctl->conns = g_list_prepend(ctl->conns, k);
    /* A whole frame fits under the high mark: input beyond it waits in the socket
     * while a reply is pending (a stop), instead of in the coordinator. */
    bufferevent_setwatermark(k->bev, EV_READ, 0, CONTROL_FRAME_MAX + 64);
    bufferevent_setcb(k->bev, ctl_on_read, ctl_on_write, ctl_on_event, k);
    bufferevent_set_timeouts(k->bev, NULL, &(struct timeval){CONTROL_STALL_SECONDS, 0});
    bufferevent_enable(k->bev, EV_READ | EV_WRITE);
    log_item(LOG_SUP, "control: client %u connected", k->id);
}

/* Something is at path (lstat'd into st): 0 once it was found to be a stale socket (one
 * no server answers: a machine that died) and removed, or -errno with *why. */
static int ctl_clear_path(const char *path, const struct stat *st, const struct sockaddr_un *sa,
                          char **why)
{
    if (!S_ISSOCK(st->st_mode)) {
        *why = g_strdup("exists and is not a socket");
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        *why = g_strdup("a server already listens there");
        return -EADDRINUSE;
    }
    if (err != ECONNREFUSED) {
        *why = g_strdup_printf("cannot tell whether the socket there is in use: %s", strerror(err));
        return -err;
    }
    unlink(path);
    return 0;
}

/* The directory of path, made private (0700) when it does not exist yet. */
static int ctl_make_dir(const char *path, char **why)
{
    char *dir = g_path_get_dirname(path);
    int err = 0;
    if (!g_file_test(dir, G_FILE_TEST_EXISTS) && g_mkdir_with_parents(dir, 0700) < 0) {
        err = -errno;
        *why = g_strdup_printf("cannot create directory '%s': %s", dir, strerror(errno));
    }
    g_free(dir);
    return err;
}

/* A listening socket at path, mode 0600: fd, or -errno with *why (g_free it). */
static int ctl_listen(const char *path, char **why)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        *why = g_strdup_printf("path is too long for a socket (at most %zu bytes)",
                               sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    int err = ctl_make_dir(path, why);
    if (err)
        return err;
    struct stat st;
    if (lstat(path, &st) == 0 && (err = ctl_clear_path(path, &st, &sa, why)) < 0)
        return err;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        err = -errno;
        *why = g_strdup_printf("socket: %s", strerror(errno));
        return err;
    }
    /* The file is made 0600 from the start: no moment where others may connect. */
    mode_t old = umask(0177);
    int rc = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || listen(fd, 16) < 0) {
        err = -errno;
        *why = g_strdup_printf("%s: %s", rc < 0 ? "bind" : "listen", strerror(errno));
        close(fd);
        if (rc == 0)
            unlink(path);
        return err;
    }
    return fd;
}

int control_open(struct machine *m)
{
    const char *path = m->cfg->control_path;
    if (!path)
        return 0;
    char *why = NULL;
    int fd = ctl_listen(path, &why);
    if (fd < 0) {
        log_notice("-control unix:%s: %s", path, why);
        g_free(why);
        return fd;
    }
    struct control *ctl = g_new0(struct control, 1);
    ctl->m = m;
    ctl->path = g_strdup(path);
    m->control = ctl;
    ctl->listener = evconnlistener_new(m->base, ctl_on_accept, ctl,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    if (!ctl->listener) {
        close(fd);
        log_notice("-control unix:%s: cannot listen: out of memory", path);
        return -ENOMEM;
    }
    log_item(LOG_SUP, "control socket at %s", path);
    return 0;
}

void control_close(struct machine *m)
{
    struct control *ctl = m->control;
    if (!ctl)
        return;
    while (ctl->conns) {
        struct ctl_conn *k = ctl->conns->data;
        /* The last replies (quit's) go out if the socket takes them now. */
        evbuffer_write(bufferevent_get_output(k->bev), bufferevent_getfd(k->bev));
        ctl_conn_free(k);
    }
    if (ctl->listener)
        evconnlistener_free(ctl->listener);
    unlink(ctl->path);
    g_free(ctl->path);
    g_free(ctl);
    m->control = NULL;
}

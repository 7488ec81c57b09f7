/* percore-cpuN: maps guest RAM and the control region handed over by the
 * coordinator as fds, announces itself, and runs the vCPU loop. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/util.h"

struct core_args {
    gint index, ram_fd, ctrl_fd;
    gchar *doorbells, *log_items, *log_file;
    gboolean wait_attach;
    gchar *gdb; /* HOST:PORT of this vCPU's own GDB stub (-gdb-cpu) */
};

static bool core_parse_args(int argc, char **argv, struct core_args *a)
{
    a->index = a->ram_fd = a->ctrl_fd = -1;
    GOptionEntry entries[] = {
        {"index", 0, 0, G_OPTION_ARG_INT, &a->index, "vCPU index", "N"},
        {"ram-fd", 0, 0, G_OPTION_ARG_INT, &a->ram_fd, "guest RAM shm fd", "FD"},
        {"ctrl-fd", 0, 0, G_OPTION_ARG_INT, &a->ctrl_fd, "control region shm fd", "FD"},
        {"doorbells", 0, 0, G_OPTION_ARG_STRING, &a->doorbells, "doorbell eventfds", "FD,…"},
        {"log-items", 0, 0, G_OPTION_ARG_STRING, &a->log_items, "-d mask", "MASK"},
        {"log-file", 0, 0, G_OPTION_ARG_FILENAME, &a->log_file, "log file", "FILE"},
        {"wait-attach", 0, 0, G_OPTION_ARG_NONE, &a->wait_attach, "wait for a debugger", NULL},
        {"gdb", 0, 0, G_OPTION_ARG_STRING, &a->gdb, "GDB stub address", "HOST:PORT"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (!util_parse_options(argc, argv, "- one vCPU of a percore machine", entries))
        return false;
    if (a->index < 0 || a->index >= (gint)CTRL_MAX_CPUS || a->ram_fd < 0 || a->ctrl_fd < 0 ||
        !a->doorbells) {
        log_notice("started without --index, --ram-fd, --ctrl-fd and --doorbells: "
                   "this program is started by percore, not by hand");
        return false;
    }
    return true;
}

static bool core_parse_doorbells(const char *s, int fds[CTRL_MAX_EPS])
{
    gchar **parts = g_strsplit(s, ",", -1);
    bool ok = g_strv_length(parts) == CTRL_MAX_EPS;
    for (unsigned i = 0; ok && i < CTRL_MAX_EPS; i++) {
        char *end;
        long v = strtol(parts[i], &end, 10);
        ok = *parts[i] && !*end && v >= 0 && v < 65536;
        fds[i] = (int)v;
    }
    g_strfreev(parts);
    return ok;
}

static int core_map(struct core *c, const struct core_args *a)
{
    int err = shm_region_map_fd(&c->ctrl_rgn, a->ctrl_fd, ctrl_region_size());
    if (err) {
        log_notice("cannot map the control region: %s", strerror(-err));
        return err;
    }
    c->ctrl = c->ctrl_rgn.base;
    const char *why;
    if (ctrl_check(c->ctrl, c->ctrl_rgn.size, &why) < 0) {
        log_notice("control region rejected: %s", why);
        return -EPROTO;
    }
    if ((unsigned)a->index >= c->ctrl->hdr.ncpus) {
        log_notice("vCPU index %d but the machine has %u", a->index, c->ctrl->hdr.ncpus);
        return -EINVAL;
    }
    err = shm_region_map_fd(&c->ram, a->ram_fd, c->ctrl->hdr.ram_size);
    if (err) {
        log_notice("cannot map guest RAM: %s", strerror(-err));
        return err;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct core_args a = {0};
    struct core c = {.coord_pidfd = -1};
    int fds[CTRL_MAX_EPS];
    char tag[32];

    if (!core_parse_args(argc, argv, &a))
        return 2;
    snprintf(tag, sizeof(tag), "percore-cpu%d", a.index);
    prctl(PR_SET_NAME, tag);
    uint32_t items = (uint32_t)strtoul(a.log_items ? a.log_items : "0", NULL, 0);
    if (log_init(tag, items, a.log_file) < 0)
        log_notice("cannot open log file %s: %s", a.log_file, strerror(errno));
    if (!core_parse_doorbells(a.doorbells, fds)) {
        log_notice("bad --doorbells list '%s'", a.doorbells);
        return 2;
    }
    c.index = (unsigned)a.index;
    c.wait_attach = a.wait_attach;
    if (core_map(&c, &a) < 0)
        return 1;
    c.cpu = &c.ctrl->cpu[c.index];
    c.self = &c.ctrl->ep[c.index];
    c.coord_pidfd = (int)syscall(SYS_pidfd_open, c.ctrl->hdr.coord_pid, 0);
    if (c.coord_pidfd < 0) {
        log_notice("the coordinator (pid %d) is gone", c.ctrl->hdr.coord_pid);
        return 1;
    }
    mbox_init(&c.mbox, c.ctrl, c.index, fds);
    if (a.gdb) { /* HOST:PORT, HOST possibly empty (loopback) */
        char *colon = strrchr(a.gdb, ':');
        if (colon)
            *colon = 0;
        if (!colon || core_gdb_open(&c, a.gdb, colon + 1) < 0)
            log_notice("vCPU %u runs without its GDB stub", c.index);
    }
    int status = core_run(&c);
    shm_region_unmap(&c.ram);
    shm_region_unmap(&c.ctrl_rgn);
    g_free(a.doorbells);
    g_free(a.log_items);
    g_free(a.log_file);
    g_free(a.gdb);
    return status;
}

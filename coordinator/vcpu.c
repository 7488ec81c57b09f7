/* vCPU processes: fork + exec of the core-proc binary, and supervision through
 * pidfds in the event loop. A death is reported once, with the last PC/CPSR that
 * the control region holds (exact at the last block boundary), and the crash policy
 * decides whether the machine runs on. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "util/util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int vcpu_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Child side, between fork and exec: only async-signal-safe calls. */
static void vcpu_child(struct machine *m, pid_t parent, char **argv, int errfd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the coordinator died before we set the death signal */
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* The terminal's Ctrl-C, Ctrl-\ and hang-up, and a SIGTERM sent to the whole process
     * group (timeout(1), a service manager), reach every process: they are the
     * coordinator's to act on, not a vCPU's to die of (SIGKILL still kills one). */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    /* Nothing but what the vCPU needs crosses the exec. */
    close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    int keep[CTRL_MAX_EPS + 2] = {m->ram.fd, m->ctrl_rgn.fd};
    memcpy(keep + 2, m->doorbell, sizeof(m->doorbell));
    for (unsigned i = 0; i < CTRL_MAX_EPS + 2; i++)
        if (keep[i] >= 0)
            fcntl(keep[i], F_SETFD, 0);
    execv(m->cfg->cpu_binary, argv);
    int e = errno;
    if (write(errfd, &e, sizeof(e)) < 0)
        _exit(126);
    _exit(127);
}

static void vcpu_exited(evutil_socket_t fd, short what, void *arg);

static char **vcpu_argv(struct machine *m, unsigned index)
{
    GPtrArray *a = g_ptr_array_new();
    GString *fds = g_string_new(NULL);
    for (unsigned i = 0; i < CTRL_MAX_EPS; i++)
        g_string_append_printf(fds, "%s%d", i ? "," : "", m->doorbell[i]);
    g_ptr_array_add(a, g_strdup_printf("percore-cpu%u", index));
    g_ptr_array_add(a, g_strdup_printf("--index=%u", index));
    g_ptr_array_add(a, g_strdup_printf("--ram-fd=%d", m->ram.fd));
    g_ptr_array_add(a, g_strdup_printf("--ctrl-fd=%d", m->ctrl_rgn.fd));
    g_ptr_array_add(a, g_strdup_printf("--doorbells=%s", fds->str));
    g_ptr_array_add(a, g_strdup_printf("--log-items=0x%x", m->cfg->log_items));
    if (m->cfg->log_file) {
        /* One log per vCPU process when there are several: FILE.cpuN. */
        if (m->cfg->ncpus > 1)
            g_ptr_array_add(a, g_strdup_printf("--log-file=%s.cpu%u", m->cfg->log_file, index));
        else
            g_ptr_array_add(a, g_strdup_printf("--log-file=%s", m->cfg->log_file));
    }
    if (m->cfg->gdb_port && m->cfg->gdb_cpu == (int)index) /* -gdb-cpu: its own stub */
        g_ptr_array_add(a, g_strdup_printf("--gdb=%s:%s",
                                           m->cfg->gdb_host ? m->cfg->gdb_host : "",
                                           m->cfg->gdb_port));
    if (m->cfg->wait_attach_cpu == (int)index)
        g_ptr_array_add(a, g_strdup("--wait-attach"));
    g_ptr_array_add(a, NULL);
    g_string_free(fds, TRUE);
    return (char **)g_ptr_array_free(a, FALSE);
}

int vcpu_spawn(struct machine *m, unsigned index)
{
    struct vcpu_proc *v = &m->cpu[index];
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0)
        return -errno;
    char **argv = vcpu_argv(m, index);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        vcpu_child(m, parent, argv, errpipe[1]);
    int err = pid < 0 ? -errno : 0;
    g_strfreev(argv);
    close(errpipe[1]);
    if (!err) {
        int child_errno;
        if (read(errpipe[0], &child_errno, sizeof(child_errno)) == sizeof(child_errno)) {
            waitpid(pid, NULL, 0);
            err = -child_errno;
        }
    }
    close(errpipe[0]);
    if (err)
        return err;
    v->machine = m;
    v->index = index;
    v->pid = pid;
    v->pidfd = vcpu_pidfd_open(pid);
    if (v->pidfd < 0) {
        err = -errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return err;
    }
    v->running = true;
    m->live++;
    atomic_store(&m->ctrl->ep[index].pid, pid);
    atomic_store_explicit(&m->ctrl->ep[index].alive, 1, memory_order_release);
    /* Persistent: a traced child can make the pidfd readable before it is reapable. */
    v->ev_exit = event_new(m->base, v->pidfd, EV_READ | EV_PERSIST, vcpu_exited, v);
    event_add(v->ev_exit, NULL);
    log_item(LOG_SUP, "vCPU %u: started process %d", index, (int)pid);
    return 0;
}

static void vcpu_describe_exit(const siginfo_t *si, char *buf, size_t len)
{
    if (si->si_code == CLD_EXITED) {
        snprintf(buf, len, "exited with status %d", si->si_status);
    } else {
        const char *abbrev = sigabbrev_np(si->si_status);
        snprintf(buf, len, "killed by signal %d (SIG%s)%s", si->si_status, abbrev ? abbrev : "?",
                 si->si_code == CLD_DUMPED ? ", core dumped" : "");
    }
}

static void vcpu_exited(evutil_socket_t fd, short what, void *arg)
{
    struct vcpu_proc *v = arg;
    struct machine *m = v->machine;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid((idtype_t)P_PIDFD, (id_t)v->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
        return; /* not reapable yet: the persistent event fires again */
    v->running = false;
    m->live--;
    uint32_t state_before = atomic_load(&m->ctrl->cpu[v->index].run_state);
    event_free(v->ev_exit);
    v->ev_exit = NULL;
    close(v->pidfd);
    v->pidfd = -1;
    /* Nobody may wait on it any more (invariant 5): mark it dead and wake everybody. */
    atomic_store_explicit(&m->ctrl->ep[v->index].alive, 0, memory_order_release);
    ctrl_excl_recover(m->ctrl, v->index);       /* monitor buckets it held, freed */
    gic_lock_recover(machine_gic(m), v->index); /* a lock it held is freed... */
    machine_kick(m, (1u << m->cfg->ncpus) - 1); /* ...and lines may have risen */
    g_queue_clear_full(&m->backlog[v->index], g_free);
    mbox_ring_all(&m->mbox);

    /* Asked to go: the machine stops, or resets and will start a new process. */
    bool asked = m->stopping || m->resetting;
    bool clean = asked && si.si_code == CLD_EXITED && si.si_status == 0;
    if (clean) {
        log_item(LOG_SUP, "vCPU %u: process %d exited", v->index, (int)v->pid);
    } else {
        atomic_store(&m->ctrl->cpu[v->index].run_state, CPU_CRASHED);
        char how[96];
        vcpu_describe_exit(&si, how, sizeof(how));
        if (!asked) {
            if (!recovery_on_crash(m, v, how, state_before) &&
                m->cfg->on_crash == CRASH_POWEROFF)
                machine_stop(m, 1);
        } else {
            log_item(LOG_SUP, "vCPU %u: process %d %s while %s", v->index, (int)v->pid, how,
                     m->stopping ? "stopping" : "resetting");
        }
    }
    machine_vcpu_gone(m);
}

void vcpu_kill_all(struct machine *m)
{
    for (unsigned i = 0; i < m->cfg->ncpus; i++)
        if (m->cpu[i].running) {
            log_notice("vCPU %u (pid %d) did not stop in time: killing it", i, (int)m->cpu[i].pid);
            kill(m->cpu[i].pid, SIGKILL);
        }
}

/* Final reaping after the loop ended (blocking: every process has been told or killed). */
void vcpu_release(struct machine *m)
{
    for (unsigned i = 0; i < CTRL_MAX_CPUS; i++) {
        struct vcpu_proc *v = &m->cpu[i];
        if (v->running) {
            kill(v->pid, SIGKILL);
            waitpid(v->pid, NULL, 0);
            v->running = false;
        }
        if (v->ev_exit)
            event_free(v->ev_exit);
        v->ev_exit = NULL;
        if (v->pidfd >= 0)
            close(v->pidfd);
        v->pidfd = -1;
    }
}

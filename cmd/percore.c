/* percore: the front end. qemu-system-arm's option spellings (one dash) are accepted
 * as well as GOption's (two dashes); every bad option is one line naming it, exit 2. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/coordinator.h"
#include "util/gdb.h"
#include "util/util.h"

#define EXIT_USAGE 2

struct cli {
    gchar *machine, *cpu, *smp, *mem, *kernel, *initrd, *append, *dtb, *serial;
    gchar *debug, *logfile, *on_crash, *control;
    gboolean nographic, start_stopped, no_reboot, version;
    gchar *gdb, *gdb_cpu; /* -gdb DEV, -gdb-cpu N,DEV (and -s) */
    gboolean gdb_default;
    gchar *wait_attach; /* --cpu-wait-attach N */
};

/* Options that take a value, by long name (short ones: M m d D). */
static const char *const cli_value_opts[] = {
    "machine", "cpu", "smp", "kernel", "initrd", "append", "dtb", "serial", "on-core-crash",
    "cpu-wait-attach", "control", NULL,
};
/* The guest debugger's (docs/debugging.md). */
static const char *const cli_gdb_opts[] = {"gdb", "gdb-cpu", NULL};
static const char *const cli_flag_opts[] = {
    "nographic", "no-reboot", "version", "help", "help-all", NULL,
};

static G_NORETURN void cli_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static G_NORETURN void cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("percore: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static bool cli_in(const char *const *list, const char *name, size_t len)
{
    for (; *list; list++)
        if (strlen(*list) == len && strncmp(*list, name, len) == 0)
            return true;
    return false;
}

/* Rewrites qemu's "-smp" into GOption's "--smp", checking every option name on the
 * way so an unknown or value-less option is reported in the user's own spelling. */
static char **cli_normalise(int argc, char **argv)
{
    char **out = g_new0(char *, (size_t)argc + 1);
    out[0] = g_strdup(argv[0]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0 || strcmp(a, "--") == 0) {
            out[i] = g_strdup(a);
            continue;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        bool is_short = len == 1 && strchr("MmdDShs", name[0]);
        bool takes_value = cli_in(cli_value_opts, name, len) || cli_in(cli_gdb_opts, name, len) ||
                           (len == 1 && strchr("MmdD", *name));
        char problem[256] = "";
        if (!takes_value && !is_short && !cli_in(cli_flag_opts, name, len))
            snprintf(problem, sizeof(problem), "unknown option '%s' (try --help)", a);
        else if (takes_value && !eq && i + 1 >= argc)
            snprintf(problem, sizeof(problem), "option '%.*s' needs a value",
                     (int)(name - a + (ptrdiff_t)len), a);
        if (problem[0]) {
            g_strfreev(out); /* nothing left behind for a leak checker */
            cli_fail("%s", problem);
        }
        out[i] = is_short ? g_strdup(a) : g_strconcat("--", name, NULL);
        if (takes_value && !eq) {
            i++;
            out[i] = g_strdup(argv[i]); /* the value, taken as it is */
        }
    }
    return out;
}

static void cli_parse(int argc, char **argv, struct cli *c)
{
    GOptionEntry entries[] = {
        {"machine", 'M', 0, G_OPTION_ARG_FILENAME, &c->machine, "machine type (virt)", "TYPE"},
        {"cpu", 0, 0, G_OPTION_ARG_FILENAME, &c->cpu, "CPU model (cortex-a15)", "MODEL"},
        {"smp", 0, 0, G_OPTION_ARG_FILENAME, &c->smp, "number of vCPUs, 1-8 (N or cpus=N)", "N"},
        {"m", 'm', 0, G_OPTION_ARG_FILENAME, &c->mem, "RAM size (default 128M; k/M/G)", "SIZE"},
        {"kernel", 0, 0, G_OPTION_ARG_FILENAME, &c->kernel, "kernel or bare-metal image", "FILE"},
        {"initrd", 0, 0, G_OPTION_ARG_FILENAME, &c->initrd, "initial ram disk", "FILE"},
        {"append", 0, 0, G_OPTION_ARG_FILENAME, &c->append, "kernel command line", "CMDLINE"},
        {"dtb", 0, 0, G_OPTION_ARG_FILENAME, &c->dtb, "device tree blob to use", "FILE"},
        {"nographic", 0, 0, G_OPTION_ARG_NONE, &c->nographic, "serial on the terminal", NULL},
        {"serial", 0, 0, G_OPTION_ARG_FILENAME, &c->serial,
         "serial backend: stdio, mon:stdio, none, unix:PATH", "DEV"},
        {"S", 'S', 0, G_OPTION_ARG_NONE, &c->start_stopped, "do not start the CPU", NULL},
        {"no-reboot", 0, 0, G_OPTION_ARG_NONE, &c->no_reboot, "exit instead of rebooting", NULL},
        {"d", 'd', 0, G_OPTION_ARG_FILENAME, &c->debug, "log items ('-d help' lists them)", "LIST"},
        {"D", 'D', 0, G_OPTION_ARG_FILENAME, &c->logfile, "log to FILE (FILE.cpuN per vCPU)",
         "FILE"},
        {"on-core-crash", 0, 0, G_OPTION_ARG_FILENAME, &c->on_crash,
         "when a vCPU process dies: halt (default), poweroff or restart[,limit=K][,window=S]",
         "POLICY"},
        {"cpu-wait-attach", 0, 0, G_OPTION_ARG_STRING, &c->wait_attach,
         "vCPU N's process waits for a debugger (docs/debugging.md)", "N"},
        {"gdb", 0, 0, G_OPTION_ARG_STRING, &c->gdb,
         "all-stop GDB stub for the machine on tcp::PORT or tcp:HOST:PORT", "DEV"},
        {"s", 's', 0, G_OPTION_ARG_NONE, &c->gdb_default, "-gdb tcp::1234", NULL},
        {"gdb-cpu", 0, 0, G_OPTION_ARG_STRING, &c->gdb_cpu,
         "vCPU N's own GDB stub (the others run on) on tcp::PORT or tcp:HOST:PORT", "N,DEV"},
        {"control", 0, 0, G_OPTION_ARG_FILENAME, &c->control,
         "control socket for percorectl (docs/operations.md)", "unix:PATH"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &c->version, "print the version and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    char **nargv = cli_normalise(argc, argv);
    GOptionContext *ctx =
        g_option_context_new("- ARMv7-A full-system emulator, one process per vCPU");
    g_option_context_set_summary(ctx, "Options take qemu-system-arm's spellings (-smp 4) or "
                                      "GOption's (--smp=4).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    int nargc = argc;
    char **orig = g_memdup2(nargv, sizeof(char *) * ((size_t)argc + 1));
    GError *err = NULL;
    char problem[512] = "";
    if (!g_option_context_parse(ctx, &nargc, &nargv, &err)) {
        g_strlcpy(problem, err->message, sizeof(problem));
        g_error_free(err);
    } else if (nargc > 1) {
        snprintf(problem, sizeof(problem),
                 "unexpected argument '%s' (disk images are not supported)", nargv[1]);
    }
    /* Everything is freed before a failure exits, so a leak checker sees nothing left. */
    g_option_context_free(ctx);
    g_strfreev(orig);
    g_free(nargv);
    if (problem[0])
        cli_fail("%s", problem);
}

static void cli_check_file(const char *opt, const char *path)
{
    if (!path)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        cli_fail("%s: cannot read '%s': %s", opt, path, strerror(errno));
    struct stat st;
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!regular)
        cli_fail("%s: '%s' is not a regular file", opt, path);
}

/* One -machine item: the type (qemu's implied first key) or a property. */
static void cli_machine_item(const char *it, bool first, char **dumpdtb)
{
    const char *type = g_str_has_prefix(it, "type=") ? it + 5
                       : first && !strchr(it, '=')   ? it
                                                     : NULL;
    if (type) {
        if (strcmp(type, "virt") != 0)
            cli_fail("-machine: unsupported machine type '%s' (only 'virt'; '-M help' lists)",
                     type);
    } else if (g_str_has_prefix(it, "dumpdtb=")) {
        if (!it[8])
            cli_fail("-machine: dumpdtb needs a file name");
        g_free(*dumpdtb);
        *dumpdtb = g_strdup(it + 8);
    } else
        cli_fail("-machine: property '%s' is not supported", it);
}

/* -machine [type=]virt[,dumpdtb=FILE], in qemu's syntax where ",," is a comma inside a
 * value. Returns the dumpdtb file (g_free it), or NULL. */
static char *cli_machine(const char *s)
{
    char *dumpdtb = NULL;
    if (!s)
        return NULL;
    if (strcmp(s, "help") == 0) {
        printf("Supported machines are:\nvirt                 ARMv7-A virt board (Cortex-A15), "
               "as qemu-system-arm's -M virt\n");
        exit(0);
    }
    GString *item = g_string_new(NULL);
    for (bool first = true;; first = false) {
        g_string_truncate(item, 0);
        while (*s && !(s[0] == ',' && s[1] != ',')) {
            g_string_append_c(item, *s);
            s += s[0] == ',' ? 2 : 1;
        }
        cli_machine_item(item->str, first, &dumpdtb);
        if (!*s)
            break;
        s++; /* the comma between items */
    }
    g_string_free(item, TRUE);
    return dumpdtb;
}

static void cli_cpu(const char *s)
{
    if (!s)
        return;
    if (strcmp(s, "help") == 0) {
        printf("Available CPUs:\n  cortex-a15\n");
        exit(0);
    }
    if (strcmp(s, "cortex-a15") != 0)
        cli_fail("-cpu: unsupported CPU model '%s' (only cortex-a15)", s);
}

static unsigned cli_smp(const char *s)
{
    if (!s)
        return 1;
    const char *v = g_str_has_prefix(s, "cpus=") ? s + 5 : s;
    char *end;
    if (!g_ascii_isdigit(*v))
        cli_fail("-smp: '%s' is not a vCPU count (N or cpus=N)", s);
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno)
        cli_fail("-smp: '%s' is not a vCPU count (N or cpus=N)", s);
    if (n < 1 || n > VIRT_MAX_CPUS)
        cli_fail("-smp: %ld vCPUs is out of range (1-%u)", n, VIRT_MAX_CPUS);
    return (unsigned)n;
}

static uint64_t cli_mem(const char *s)
{
    uint64_t size;
    if (!s)
        return VIRT_RAM_DEFAULT;
    const char *v = g_str_has_prefix(s, "size=") ? s + 5 : s;
    if (!util_parse_size(v, 1ull << 20, &size))
        cli_fail("-m: '%s' is not a size (e.g. 256, 256M, 1G)", s);
    if (size == 0)
        cli_fail("-m: RAM size must not be zero");
    if (size > VIRT_RAM_MAX)
        cli_fail("-m: %s of RAM does not fit the virt board's RAM window "
                 "(at most 3G at 0x40000000 without LPAE)",
                 v);
    return (size + 4095) & ~4095ull; /* whole pages, as qemu-system-arm rounds up */
}

static void cli_serial(struct machine_config *cfg, const char *s)
{
    cfg->serial = cfg->nographic ? SERIAL_MON_STDIO : SERIAL_NONE;
    if (!s)
        return;
    if (strcmp(s, "stdio") == 0)
        cfg->serial = SERIAL_STDIO;
    else if (strcmp(s, "mon:stdio") == 0)
        cfg->serial = SERIAL_MON_STDIO;
    else if (strcmp(s, "none") == 0)
        cfg->serial = SERIAL_NONE;
    else if (g_str_has_prefix(s, "unix:") && s[5]) {
        cfg->serial = SERIAL_UNIX;
        cfg->serial_path = s + 5;
    } else
        cli_fail("-serial: unsupported backend '%s' (stdio, mon:stdio, none or unix:PATH)", s);
}

/* -control unix:PATH: the socket is made by the coordinator (coordinator/control.c). */
static const char *cli_control(const char *s)
{
    if (!s)
        return NULL;
    if (!g_str_has_prefix(s, "unix:") || !s[5])
        cli_fail("-control: unsupported address '%s' (unix:PATH)", s);
    return s + 5;
}

static uint32_t cli_debug(const char *s)
{
    uint32_t mask = 0;
    char *bad = NULL;
    if (!s)
        return 0;
    if (strcmp(s, "help") == 0) {
        log_print_items(stdout);
        exit(0);
    }
    if (!log_parse_items(s, &mask, &bad))
        cli_fail("-d: unknown log item '%s' ('-d help' lists them)", bad);
    return mask;
}

/* --on-core-crash=halt|poweroff|restart[,limit=K][,window=SECONDS] */
static void cli_on_crash(const char *s, struct machine_config *cfg)
{
    cfg->on_crash = CRASH_HALT;
    cfg->crash_limit = CRASH_LIMIT_DEFAULT;
    cfg->crash_window = CRASH_WINDOW_DEFAULT;
    if (!s)
        return;
    gchar **parts = g_strsplit(s, ",", -1);
    if (strcmp(parts[0], "halt") == 0)
        cfg->on_crash = CRASH_HALT;
    else if (strcmp(parts[0], "poweroff") == 0)
        cfg->on_crash = CRASH_POWEROFF;
    else if (strcmp(parts[0], "restart") == 0)
        cfg->on_crash = CRASH_RESTART;
    else
        cli_fail("--on-core-crash: unknown policy '%s' (halt, poweroff or restart)", parts[0]);
    for (unsigned i = 1; parts[i]; i++) {
        unsigned *field = g_str_has_prefix(parts[i], "limit=")    ? &cfg->crash_limit
                          : g_str_has_prefix(parts[i], "window=") ? &cfg->crash_window
                                                                  : NULL;
        char *end;
        const char *v = field ? strchr(parts[i], '=') + 1 : "";
        unsigned long n = strtoul(v, &end, 10);
        if (cfg->on_crash != CRASH_RESTART || !field || !*v || *end || n < 1 || n > 1000000)
            cli_fail("--on-core-crash: bad '%s' (restart takes limit=K and window=SECONDS, "
                     "both at least 1)",
                     parts[i]);
        *field = (unsigned)n;
    }
    g_strfreev(parts);
}

/* -kernel is read and checked here, so that a bad image is one line and status 2
 * before anything starts; the coordinator loads it at start and at every reset. */
static struct boot_image *cli_kernel(const char *path, uint64_t ram_size)
{
    if (!path)
        return NULL;
    char *why = NULL;
    struct boot_image *img = boot_image_open(path, VIRT_RAM_BASE, ram_size, &why);
    if (!img)
        cli_fail("-kernel '%s': %s", path, why);
    return img;
}

/* -initrd, -dtb and -append with the kernel: read, checked and placed before anything
 * starts (a bad one is one line, status 2). */
static struct boot_image *cli_boot(struct boot_image *kernel, const struct cli *c,
                                   const struct machine_config *cfg)
{
    struct boot_params p = {
        .ncpus = cfg->ncpus,
        .ram_size = cfg->ram_size,
        .initrd = c->initrd,
        .dtb = c->dtb,
        .append = c->append,
    };
    char *why = NULL;
    struct boot_image *img = boot_image_finish(kernel, &p, &why);
    if (!img)
        cli_fail("%s", why);
    if (c->initrd && !boot_image_has_initrd(img))
        log_notice("-initrd '%s' is not loaded: an ELF kernel is booted as a bare-metal program, "
                   "with no initrd (as qemu-system-arm does)",
                   c->initrd);
    return img;
}

/* -machine virt,dumpdtb=FILE: the device tree the guest would get. percore then exits
 * with the status returned, 0 (a file that cannot be written: 1), as qemu-system-arm
 * does. */
static int cli_dumpdtb(const struct boot_image *img, const char *path)
{
    size_t size;
    const uint8_t *blob = boot_image_dtb(img, &size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int err = fd < 0 ? errno : 0;
    for (size_t done = 0; !err && done < size;) {
        ssize_t n = write(fd, blob + done, size - done);
        if (n < 0 && errno != EINTR)
            err = errno;
        done += n > 0 ? (size_t)n : 0;
    }
    if (fd >= 0 && close(fd) < 0 && !err)
        err = errno;
    if (err) {
        fprintf(stderr, "percore: -machine dumpdtb: cannot write '%s': %s\n", path, strerror(err));
        return 1;
    }
    fprintf(stderr, "percore: info: dtb dumped to %s. Exiting.\n", path);
    return 0;
}

/* -gdb tcp::PORT, -s, -gdb-cpu N,tcp::PORT (tcp:HOST:PORT: a host other than loopback).
 * PORT 0 takes a free port, which percore prints. The host and port strings go into cfg
 * (g_free'd by cli_gdb_free). */
static void cli_gdb(const struct cli *c, struct machine_config *cfg)
{
    char *host = NULL, *port = NULL;
    const char *dev = c->gdb ? c->gdb : c->gdb_default ? "tcp::1234" : NULL;
    if (dev && c->gdb_cpu)
        cli_fail("-gdb and -gdb-cpu: one stub at a time (all-stop or one vCPU's)");
    if (dev) {
        if (!gdb_parse_tcp(dev, &host, &port))
            cli_fail("-gdb: unsupported device '%s' (tcp::PORT or tcp:HOST:PORT)", dev);
        cfg->gdb_cpu = -1;
    } else if (c->gdb_cpu) {
        char *end;
        long n = strtol(c->gdb_cpu, &end, 10);
        if (end == c->gdb_cpu || *end != ',' || !gdb_parse_tcp(end + 1, &host, &port))
            cli_fail("-gdb-cpu: '%s' is not N,tcp::PORT or N,tcp:HOST:PORT", c->gdb_cpu);
        if (n < 0 || n >= (long)cfg->ncpus) {
            g_free(host);
            g_free(port);
            cli_fail("-gdb-cpu: vCPU %ld does not exist (-smp %u)", n, cfg->ncpus);
        }
        cfg->gdb_cpu = (int)n;
    } else {
        return;
    }
    cfg->gdb_host = host;
    cfg->gdb_port = port;
}

/* --cpu-wait-attach N: -1 without it. */
static int cli_wait_attach(const char *s, unsigned ncpus)
{
    if (!s)
        return -1;
    char *end;
    long n = strtol(s, &end, 10);
    if (end == s || *end)
        cli_fail("--cpu-wait-attach: '%s' is not a vCPU number", s);
    if (n < 0 || n >= (long)ncpus)
        cli_fail("--cpu-wait-attach: vCPU %ld does not exist (-smp %u)", n, ncpus);
    return (int)n;
}

static void cli_gdb_free(struct machine_config *cfg)
{
    g_free((char *)cfg->gdb_host);
    g_free((char *)cfg->gdb_port);
}

static void cli_free(struct cli *c)
{
    g_free(c->gdb);
    g_free(c->gdb_cpu);
    g_free(c->wait_attach);
    gchar *strs[] = {c->machine, c->cpu,    c->smp,   c->mem,     c->kernel,   c->initrd, c->append,
                     c->dtb,     c->serial, c->debug, c->logfile, c->on_crash, c->control};
    for (unsigned i = 0; i < G_N_ELEMENTS(strs); i++)
        g_free(strs[i]);
}

static char *cli_cpu_binary(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return g_strdup("percore-cpu");
    self[n] = 0;
    return g_build_filename(dirname(self), "percore-cpu", NULL);
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    struct machine_config cfg = {0};

    log_init("percore", 0, NULL);
    cli_parse(argc, argv, &c);
    if (c.version) {
        printf("percore version " PERCORE_VERSION "\n"
               "ARMv7-A full-system emulator, one process per vCPU\n");
        return 0;
    }
    char *dumpdtb = cli_machine(c.machine);
    cli_cpu(c.cpu);
    cfg.ncpus = cli_smp(c.smp);
    cfg.ram_size = cli_mem(c.mem);
    cfg.log_items = cli_debug(c.debug);
    cli_on_crash(c.on_crash, &cfg);
    cfg.wait_attach_cpu = cli_wait_attach(c.wait_attach, cfg.ncpus);
    cfg.nographic = c.nographic;
    cli_serial(&cfg, c.serial);
    cfg.control_path = cli_control(c.control);
    cli_check_file("-kernel", c.kernel);
    cli_check_file("-initrd", c.initrd);
    cli_check_file("-dtb", c.dtb);
    /* As qemu: -dtb without -kernel is for firmware, which finds the tree at the RAM base. */
    if (!c.kernel && (c.initrd || c.append))
        cli_fail("%s is only allowed with -kernel", c.initrd ? "-initrd" : "-append");
    if (c.logfile && log_init("percore", cfg.log_items, c.logfile) < 0)
        cli_fail("-D: cannot open '%s': %s", c.logfile, strerror(errno));
    log_init("percore", cfg.log_items, c.logfile);
    struct boot_image *boot = cli_boot(cli_kernel(c.kernel, cfg.ram_size), &c, &cfg);
    if (dumpdtb) {
        int status = cli_dumpdtb(boot, dumpdtb);
        boot_image_free(boot);
        cli_free(&c);
        g_free(dumpdtb);
        return status;
    }
    cfg.kernel_image = boot;
    cfg.kernel = c.kernel;
    cfg.initrd = c.initrd;
    cfg.append = c.append;
    cfg.dtb = c.dtb;
    cfg.start_stopped = c.start_stopped;
    cfg.no_reboot = c.no_reboot;
    cfg.log_file = c.logfile;
    cli_gdb(&c, &cfg);
    char *cpu_binary = cli_cpu_binary();
    cfg.cpu_binary = cpu_binary;
    int status = coordinator_run(&cfg);
    cli_gdb_free(&cfg);
    boot_image_free(boot);
    g_free(cpu_binary);
    cli_free(&c);
    g_free(dumpdtb);
    return status;
}

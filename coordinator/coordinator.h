/* coordinator/: the door. Owns guest RAM, the control region, the vCPU processes
 * and their supervision, and (later) devices, interrupts and the control socket. */
#ifndef PERCORE_COORDINATOR_H
#define PERCORE_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The virt board's RAM window (../shared/reference/virt-board.md). Without LPAE,
 * RAM ends at the 4 GiB boundary, so at most 3 GiB fits. */
#define VIRT_RAM_BASE    0x40000000ull
#define VIRT_RAM_MAX     (3ull << 30)
#define VIRT_RAM_DEFAULT (128ull << 20)
#define VIRT_MAX_CPUS    8u

enum crash_policy {
    CRASH_HALT,     /* the crashed vCPU stays down, the others run on */
    CRASH_POWEROFF, /* the machine stops cleanly; percore exits non-zero */
    CRASH_RESTART,  /* a new process takes the vCPU's state from the control region */
};
/* --on-core-crash=restart gives up (falls back to halt) after this many restarts of one
 * vCPU within this many seconds: a crash loop must end. */
#define CRASH_LIMIT_DEFAULT  5u
#define CRASH_WINDOW_DEFAULT 10u

enum serial_kind { SERIAL_STDIO, SERIAL_MON_STDIO, SERIAL_NONE, SERIAL_UNIX };

/* A -kernel image, read and checked, held in memory (coordinator/boot.h). */
struct boot_image;
/* Reads and checks the image at path for RAM of ram_size bytes at ram_base, as
 * qemu-system-arm loads it for -M virt. NULL and *why (one line without the path;
 * g_free it) when it cannot be loaded. */
struct boot_image *boot_image_open(const char *path, uint64_t ram_base, uint64_t ram_size,
                                   char **why);
void boot_image_free(struct boot_image *img);

/* What goes with the kernel (coordinator/fdt.c). */
struct boot_params {
    unsigned ncpus;
    uint64_t ram_size;
    const char *initrd, *dtb, *append; /* NULL when not given */
};
/* Completes the boot as qemu-system-arm 7.2 does for -M virt: reads -initrd (loaded
 * with a raw image only), builds the board's device tree or reads -dtb FILE, adds the
 * memory, /chosen (bootargs, initrd range) and /psci to it, and places both in RAM
 * (r2 points at the tree for a raw image). img is the -kernel image, or NULL without
 * one (the tree alone then goes to the RAM base). Returns the completed image (img, or
 * a new one), or frees img and returns NULL with *why set (one line naming the option;
 * g_free it): a configuration error. */
struct boot_image *boot_image_finish(struct boot_image *img, const struct boot_params *p,
                                     char **why);
/* Whether an -initrd is loaded: with a raw image only (qemu boots an ELF as a
 * bare-metal program and gives it no initrd). */
bool boot_image_has_initrd(const struct boot_image *img);
/* The device tree the machine boots with, as -machine virt,dumpdtb=FILE writes it. */
const void *boot_image_dtb(const struct boot_image *img, size_t *size);

struct machine_config {
    unsigned ncpus;
    uint64_t ram_size;
    const char *kernel, *initrd, *append, *dtb;
    /* -kernel, -initrd and the device tree, checked and placed (boot_image_finish);
     * NULL runs with nothing loaded */
    const struct boot_image *kernel_image;
    enum serial_kind serial;
    const char *serial_path; /* SERIAL_UNIX */
    bool nographic, start_stopped, no_reboot;
    enum crash_policy on_crash;
    unsigned crash_limit, crash_window; /* restart: at most limit restarts in window s */
    int wait_attach_cpu; /* --cpu-wait-attach: that vCPU's process waits for a debugger */
    uint32_t log_items;
    const char *log_file;
    const char *cpu_binary; /* the core-proc executable */
    /* The guest debugger (docs/debugging.md): its address (NULL host: loopback; NULL
     * port: none), and the vCPU that has its own stub (-gdb-cpu), or -1 for the
     * all-stop stub of the whole machine in the coordinator (-gdb, -s). */
    const char *gdb_host, *gdb_port;
    int gdb_cpu;
    /* -control unix:PATH: the control socket's path, or NULL */
    const char *control_path;
};

/* Runs a machine until it stops. Returns percore's exit status: 0 after a clean
 * stop (a signal, the guest's PSCI SYSTEM_OFF, or its SYSTEM_RESET with -no-reboot),
 * 1 after a poweroff on a vCPU crash or a host failure (reported once, as when the
 * -serial backend cannot be opened). */
int coordinator_run(const struct machine_config *cfg);

#endif

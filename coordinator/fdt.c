/* The virt board's device tree, built with libfdt's read-write API, and the rest of the
 * boot that depends on it: -initrd, -dtb and -append as qemu-system-arm 7.2 uses them.
 * hw/arm/virt.c builds qemu's tree (create_fdt, fdt_add_timer_nodes,
 * fdt_add_cpu_nodes, create_gic, create_uart, create_rtc); hw/arm/boot.c's
 * arm_load_dtb then completes it, or a -dtb file, with the memory, /chosen and /psci.
 *
 * Nodes and properties are added in qemu's order, with qemu's phandles (from 0x8000,
 * in the same sequence). libfdt puts a new property or subnode first in its node, so
 * the decompiled tree lists them in the same (reverse) order as qemu's dumpdtb does,
 * and a comparison against qemu's tree shows only the devices percore's board lacks
 * (flash, fw-cfg, virtio-mmio, PCIe, PL061 and gpio-keys, GICv2m, the empty pmu node,
 * platform-bus).
 *
 * A -dtb file is untrusted input (invariant 6): its size is bounded before it is read,
 * and its header and structure are checked with libfdt before anything walks it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/coord.h"

#define VFDT_FIRST_SIZE     4096
#define VFDT_BUF_MAX        (4 * BOOT_DTB_MAX) /* a -dtb file plus what the boot adds */
#define VFDT_PHANDLE_START  0x8000u            /* qemu_fdt_alloc_phandle's first */
#define VFDT_MAX_CELLS      16u
#define VFDT_APB_CLOCK_HZ   24000000u /* qemu's /apb-pclk, "clk24mhz" */
#define VFDT_CPUS_PER_CLUST 8u        /* qemu's ARM_DEFAULT_CPUS_PER_CLUSTER: MPIDR Aff0 */

/* Interrupt specifiers of the arm,gic binding: type, number, flags. */
#define GIC_FDT_IRQ_TYPE_SPI       0u
#define GIC_FDT_IRQ_TYPE_PPI       1u
#define GIC_FDT_IRQ_FLAGS_LEVEL_HI 4u
#define GIC_FDT_IRQ_PPI_CPU_SHIFT  8u /* GICv2 PPIs: a mask of the CPUs, bits 15:8 */

/* The generic timer's PPIs (virt-board.md): secure and non-secure physical, virtual,
 * hypervisor, in the order the arm,armv7-timer binding lists them. */
static const uint32_t vfdt_timer_ppis[] = {13, 14, 11, 10};

/* PSCI 0.2 function IDs (SMC32) of the /psci node, as qemu writes them. */
#define PSCI_0_2_FN_CPU_SUSPEND 0x84000001u
#define PSCI_0_2_FN_CPU_OFF     0x84000002u
#define PSCI_0_2_FN_CPU_ON      0x84000003u
#define PSCI_0_2_FN_MIGRATE     0x84000005u

/* A tree being built or completed. Every helper does nothing once an operation has
 * failed, so a builder is a straight list of calls checked once at the end. */
struct vfdt {
    uint8_t *fdt;
    int size;    /* of the buffer */
    int err;     /* the first libfdt error (negative), 0 while all is well */
    char *where; /* the node and property it happened on */
    uint32_t next_phandle;
    uint32_t clock_phandle, gic_phandle;
};

/* ---- helpers, after qemu's qemu_fdt_* (device_tree.c) ----------------------------- */

static bool vfdt_fail(struct vfdt *t, int err, const char *path, const char *name)
{
    if (err >= 0)
        return false;
    if (!t->err) {
        t->err = err;
        t->where = g_strdup_printf("%s%s%s", path, name ? ":" : "", name ? name : "");
    }
    return true;
}

/* A buffer twice the size: libfdt keeps node offsets across fdt_open_into (they count
 * from the structure block), so the operation that ran out of room can be retried. */
static int vfdt_grow(struct vfdt *t)
{
    if ((unsigned)t->size > VFDT_BUF_MAX / 2)
        return -FDT_ERR_NOSPACE;
    int size = t->size * 2;
    uint8_t *buf = g_malloc0((size_t)size);
    int err = fdt_open_into(t->fdt, buf, size);
    if (err) {
        g_free(buf);
        return err;
    }
    g_free(t->fdt);
    t->fdt = buf;
    t->size = size;
    return 0;
}

static int vfdt_node_at(struct vfdt *t, const char *path)
{
    if (t->err)
        return -1;
    int node = fdt_path_offset(t->fdt, path);
    vfdt_fail(t, node, path, NULL);
    return node;
}

static void vfdt_prop(struct vfdt *t, const char *path, const char *name, const void *val,
                      size_t len)
{
    int node = vfdt_node_at(t, path), err;
    if (node < 0)
        return;
    if (len > BOOT_DTB_MAX) {
        vfdt_fail(t, -FDT_ERR_NOSPACE, path, name);
        return;
    }
    while ((err = fdt_setprop(t->fdt, node, name, val, (int)len)) == -FDT_ERR_NOSPACE &&
           vfdt_grow(t) == 0)
        ;
    vfdt_fail(t, err, path, name);
}

static void vfdt_string(struct vfdt *t, const char *path, const char *name, const char *s)
{
    vfdt_prop(t, path, name, s, strlen(s) + 1);
}

static void vfdt_empty(struct vfdt *t, const char *path, const char *name)
{
    vfdt_prop(t, path, name, NULL, 0);
}

static void vfdt_cells(struct vfdt *t, const char *path, const char *name, const uint32_t *v,
                       unsigned n)
{
    fdt32_t cells[VFDT_MAX_CELLS];
    g_assert(n <= VFDT_MAX_CELLS);
    for (unsigned i = 0; i < n; i++)
        cells[i] = cpu_to_fdt32(v[i]);
    vfdt_prop(t, path, name, cells, n * sizeof(cells[0]));
}

static void vfdt_cell(struct vfdt *t, const char *path, const char *name, uint32_t v)
{
    vfdt_cells(t, path, name, &v, 1);
}

/* Appends v in ncells cells (1 or 2) to cells[*n]: qemu_fdt_setprop_sized_cells. */
static void vfdt_put_sized(uint32_t *cells, unsigned *n, unsigned ncells, uint64_t v)
{
    g_assert(ncells == 2 || (ncells == 1 && v <= UINT32_MAX));
    if (ncells == 2)
        cells[(*n)++] = (uint32_t)(v >> 32);
    cells[(*n)++] = (uint32_t)v;
}

/* A reg of one region, base and size in two cells each (the virt tree's root). */
static void vfdt_reg(struct vfdt *t, const char *path, uint64_t base, uint64_t size)
{
    uint32_t cells[4];
    unsigned n = 0;
    vfdt_put_sized(cells, &n, 2, base);
    vfdt_put_sized(cells, &n, 2, size);
    vfdt_cells(t, path, "reg", cells, n);
}

/* qemu_fdt_add_subnode: the parent must exist. */
static void vfdt_node(struct vfdt *t, const char *path)
{
    const char *slash = strrchr(path, '/');
    g_assert(slash && slash[1]);
    char *parent = slash == path ? g_strdup("/") : g_strndup(path, (size_t)(slash - path));
    int node = vfdt_node_at(t, parent), err;
    g_free(parent);
    if (node < 0)
        return;
    while ((err = fdt_add_subnode(t->fdt, node, slash + 1)) == -FDT_ERR_NOSPACE &&
           vfdt_grow(t) == 0)
        ;
    vfdt_fail(t, err, path, NULL);
}

/* qemu_fdt_add_path: every missing node on the way is created. */
static void vfdt_path(struct vfdt *t, const char *path)
{
    for (const char *p = strchr(path + 1, '/');; p = strchr(p + 1, '/')) {
        char *prefix = p ? g_strndup(path, (size_t)(p - path)) : g_strdup(path);
        if (!t->err && fdt_path_offset(t->fdt, prefix) == -FDT_ERR_NOTFOUND)
            vfdt_node(t, prefix);
        g_free(prefix);
        if (!p)
            return;
    }
}

static uint32_t vfdt_phandle(struct vfdt *t)
{
    return t->next_phandle++;
}

/* ---- the board's tree (hw/arm/virt.c) ---------------------------------------------- */

/* create_fdt: the root, /chosen with its seeds (create_randomness), the clock. */
static void vfdt_root(struct vfdt *t)
{
    uint8_t kaslr[8], rng[32];
    vfdt_string(t, "/", "compatible", "linux,dummy-virt");
    vfdt_cell(t, "/", "#address-cells", 2);
    vfdt_cell(t, "/", "#size-cells", 2);
    vfdt_string(t, "/", "model", "linux,dummy-virt");
    vfdt_node(t, "/chosen");
    boot_random(kaslr, sizeof(kaslr));
    boot_random(rng, sizeof(rng));
    vfdt_prop(t, "/chosen", "kaslr-seed", kaslr, sizeof(kaslr));
    vfdt_prop(t, "/chosen", "rng-seed", rng, sizeof(rng));
    /* The PL011 binding needs its clocks: Linux does not probe the UART without. */
    t->clock_phandle = vfdt_phandle(t);
    vfdt_node(t, "/apb-pclk");
    vfdt_string(t, "/apb-pclk", "compatible", "fixed-clock");
    vfdt_cell(t, "/apb-pclk", "#clock-cells", 0);
    vfdt_cell(t, "/apb-pclk", "clock-frequency", VFDT_APB_CLOCK_HZ);
    vfdt_string(t, "/apb-pclk", "clock-output-names", "clk24mhz");
    vfdt_cell(t, "/apb-pclk", "phandle", t->clock_phandle);
}

/* fdt_add_timer_nodes: level-high PPIs, routed to every CPU (GICv2's CPU mask). */
static void vfdt_timer(struct vfdt *t, unsigned ncpus)
{
    uint32_t flags = GIC_FDT_IRQ_FLAGS_LEVEL_HI | ((1u << ncpus) - 1) << GIC_FDT_IRQ_PPI_CPU_SHIFT;
    uint32_t irqs[3 * G_N_ELEMENTS(vfdt_timer_ppis)];
    for (unsigned i = 0; i < G_N_ELEMENTS(vfdt_timer_ppis); i++) {
        irqs[3 * i] = GIC_FDT_IRQ_TYPE_PPI;
        irqs[3 * i + 1] = vfdt_timer_ppis[i];
        irqs[3 * i + 2] = flags;
    }
    vfdt_node(t, "/timer");
    vfdt_string(t, "/timer", "compatible", "arm,armv7-timer");
    vfdt_empty(t, "/timer", "always-on");
    vfdt_cells(t, "/timer", "interrupts", irqs, G_N_ELEMENTS(irqs));
}

/* fdt_add_cpu_nodes: reg is the MPIDR affinity (qemu's mp_affinity: 8 CPUs per
 * cluster); "psci" brings up the secondaries, so one CPU gets no enable-method; then
 * the cpu-map topology (one socket, one cluster, a core per CPU). */
static void vfdt_cpus(struct vfdt *t, unsigned ncpus)
{
    uint32_t phandle[VIRT_MAX_CPUS];
    vfdt_node(t, "/cpus");
    vfdt_cell(t, "/cpus", "#address-cells", 1);
    vfdt_cell(t, "/cpus", "#size-cells", 0);
    for (unsigned i = ncpus; i-- > 0;) {
        char *path = g_strdup_printf("/cpus/cpu@%u", i);
        uint32_t affinity = (i / VFDT_CPUS_PER_CLUST) << 8 | i % VFDT_CPUS_PER_CLUST;
        vfdt_node(t, path);
        vfdt_string(t, path, "device_type", "cpu");
        vfdt_string(t, path, "compatible", "arm,cortex-a15");
        if (ncpus > 1)
            vfdt_string(t, path, "enable-method", "psci");
        vfdt_cell(t, path, "reg", affinity);
        phandle[i] = vfdt_phandle(t);
        vfdt_cell(t, path, "phandle", phandle[i]);
        g_free(path);
    }
    vfdt_node(t, "/cpus/cpu-map");
    for (unsigned i = ncpus; i-- > 0;) {
        char *path = g_strdup_printf("/cpus/cpu-map/socket0/cluster0/core%u", i);
        vfdt_path(t, path);
        vfdt_cell(t, path, "cpu", phandle[i]);
        g_free(path);
    }
}

/* create_gic, GICv2 without virtualization extensions: "arm,cortex-a15-gic" means a
 * GICv2; the root names it interrupt-parent. */
static void vfdt_gic(struct vfdt *t)
{
    char *path = g_strdup_printf("/intc@%" PRIx64, (uint64_t)VIRT_GIC_DIST_BASE);
    uint32_t reg[8];
    unsigned n = 0;
    vfdt_put_sized(reg, &n, 2, VIRT_GIC_DIST_BASE);
    vfdt_put_sized(reg, &n, 2, VIRT_GIC_SIZE);
    vfdt_put_sized(reg, &n, 2, VIRT_GIC_CPU_BASE);
    vfdt_put_sized(reg, &n, 2, VIRT_GIC_SIZE);
    t->gic_phandle = vfdt_phandle(t);
    vfdt_cell(t, "/", "interrupt-parent", t->gic_phandle);
    vfdt_node(t, path);
    vfdt_cell(t, path, "#interrupt-cells", 3);
    vfdt_empty(t, path, "interrupt-controller");
    vfdt_cell(t, path, "#address-cells", 2);
    vfdt_cell(t, path, "#size-cells", 2);
    vfdt_empty(t, path, "ranges");
    vfdt_string(t, path, "compatible", "arm,cortex-a15-gic");
    vfdt_cells(t, path, "reg", reg, n);
    vfdt_cell(t, path, "phandle", t->gic_phandle);
    g_free(path);
}

/* create_uart for the console UART: /chosen's stdout-path names it. */
static void vfdt_uart(struct vfdt *t)
{
    static const char compat[] = "arm,pl011\0arm,primecell";
    static const char clock_names[] = "uartclk\0apb_pclk";
    char *path = g_strdup_printf("/pl011@%" PRIx64, (uint64_t)VIRT_UART_BASE);
    uint32_t irq[] = {GIC_FDT_IRQ_TYPE_SPI, VIRT_UART_SPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI};
    uint32_t clocks[] = {t->clock_phandle, t->clock_phandle};
    vfdt_node(t, path);
    vfdt_prop(t, path, "compatible", compat, sizeof(compat));
    vfdt_reg(t, path, VIRT_UART_BASE, PL011_SIZE);
    vfdt_cells(t, path, "interrupts", irq, G_N_ELEMENTS(irq));
    vfdt_cells(t, path, "clocks", clocks, G_N_ELEMENTS(clocks));
    vfdt_prop(t, path, "clock-names", clock_names, sizeof(clock_names));
    vfdt_string(t, "/chosen", "stdout-path", path);
    g_free(path);
}

/* create_rtc. */
static void vfdt_rtc(struct vfdt *t)
{
    static const char compat[] = "arm,pl031\0arm,primecell";
    char *path = g_strdup_printf("/pl031@%" PRIx64, (uint64_t)VIRT_RTC_BASE);
    uint32_t irq[] = {GIC_FDT_IRQ_TYPE_SPI, VIRT_RTC_SPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI};
    vfdt_node(t, path);
    vfdt_prop(t, path, "compatible", compat, sizeof(compat));
    vfdt_reg(t, path, VIRT_RTC_BASE, VIRT_RTC_SIZE);
    vfdt_cells(t, path, "interrupts", irq, G_N_ELEMENTS(irq));
    vfdt_cell(t, path, "clocks", t->clock_phandle);
    vfdt_string(t, path, "clock-names", "apb_pclk");
    g_free(path);
}

void *virt_fdt_create(unsigned ncpus)
{
    g_assert(ncpus >= 1 && ncpus <= VIRT_MAX_CPUS);
    struct vfdt t = {.size = VFDT_FIRST_SIZE, .next_phandle = VFDT_PHANDLE_START};
    t.fdt = g_malloc0((size_t)t.size);
    int err = fdt_create_empty_tree(t.fdt, t.size);
    g_assert(err == 0);
    vfdt_root(&t);
    vfdt_timer(&t, ncpus);
    vfdt_cpus(&t, ncpus);
    vfdt_gic(&t);
    vfdt_uart(&t);
    vfdt_rtc(&t);
    if (t.err) /* nothing here depends on input: an emulator bug */
        g_error("building the device tree: %s: %s", t.where, fdt_strerror(t.err));
    return t.fdt;
}

/* ---- what the boot adds (hw/arm/boot.c, arm_load_dtb) ----------------------------- */

/* The root's #address-cells or #size-cells: qemu needs both, non-zero, and writes the
 * memory node with qemu_fdt_setprop_sized_cells, which takes 1 or 2 cells. */
static bool vfdt_root_cells(struct vfdt *t, const char *name, unsigned *out, char **why)
{
    int len;
    const fdt32_t *p = fdt_getprop(t->fdt, 0, name, &len);
    if (!p) {
        *why = g_strdup_printf("the root node has no %s property (qemu needs it too)", name);
        return false;
    }
    if (len != (int)sizeof(*p)) {
        *why =
            g_strdup_printf("the root's %s is %d bytes long (one 4-byte cell expected)", name, len);
        return false;
    }
    uint32_t v = fdt32_to_cpu(*p);
    if (v != 1 && v != 2) {
        *why = g_strdup_printf("the root's %s is %u: the memory node is written in 1 or 2 cells",
                               name, v);
        return false;
    }
    *out = v;
    return true;
}

static bool vfdt_is_memory_node(const char *name)
{
    return name && (strcmp(name, "memory") == 0 || g_str_has_prefix(name, "memory@"));
}

/* Every root node named memory or memory@... is turned into NOPs (qemu: "nop all root
 * nodes matching /memory or /memory@unit-address"), then one for the RAM is added.
 * Offsets stay valid across fdt_nop_node, so they are collected first. */
static void vfdt_memory(struct vfdt *t, const struct virt_fdt_boot *b, unsigned acells,
                        unsigned scells)
{
    GArray *found = g_array_new(FALSE, FALSE, sizeof(int));
    int node;
    fdt_for_each_subnode(node, t->fdt, 0)
    {
        if (vfdt_is_memory_node(fdt_get_name(t->fdt, node, NULL)))
            g_array_append_val(found, node);
    }
    if (node != -FDT_ERR_NOTFOUND)
        vfdt_fail(t, node, "/", NULL);
    for (unsigned i = 0; i < found->len && !t->err; i++)
        vfdt_fail(t, fdt_nop_node(t->fdt, g_array_index(found, int, i)), "/memory", NULL);
    g_array_free(found, TRUE);
    char *path = g_strdup_printf("/memory@%" PRIx64, b->ram_base);
    uint32_t reg[4];
    unsigned n = 0;
    vfdt_put_sized(reg, &n, acells, b->ram_base);
    vfdt_put_sized(reg, &n, scells, b->ram_size);
    vfdt_node(t, path);
    vfdt_string(t, path, "device_type", "memory");
    vfdt_cells(t, path, "reg", reg, n);
    g_free(path);
}

/* bootargs only for a non-empty command line; the initrd range in one cell each, as
 * qemu 7.2 writes them (qemu_fdt_setprop_cell). */
static void vfdt_chosen(struct vfdt *t, const struct virt_fdt_boot *b)
{
    if (!t->err && fdt_path_offset(t->fdt, "/chosen") < 0)
        vfdt_node(t, "/chosen");
    if (b->bootargs && *b->bootargs)
        vfdt_string(t, "/chosen", "bootargs", b->bootargs);
    if (b->initrd_size) {
        g_assert(b->initrd_start + b->initrd_size <= UINT32_MAX);
        vfdt_cell(t, "/chosen", "linux,initrd-start", (uint32_t)b->initrd_start);
        vfdt_cell(t, "/chosen", "linux,initrd-end", (uint32_t)(b->initrd_start + b->initrd_size));
    }
}

/* fdt_add_psci_node: a tree's own /psci may name other function IDs; it is replaced.
 * percore's PSCI is 1.1 through HVC (the guest starts in SVC without EL2 or EL3);
 * qemu 7.2 calls that compatible with 1.0. */
static void vfdt_psci(struct vfdt *t)
{
    static const char compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
    if (!t->err) {
        int old = fdt_path_offset(t->fdt, "/psci");
        if (old >= 0)
            vfdt_fail(t, fdt_nop_node(t->fdt, old), "/psci", NULL);
    }
    vfdt_node(t, "/psci");
    vfdt_prop(t, "/psci", "compatible", compat, sizeof(compat));
    vfdt_string(t, "/psci", "method", "hvc");
    vfdt_cell(t, "/psci", "cpu_suspend", PSCI_0_2_FN_CPU_SUSPEND);
    vfdt_cell(t, "/psci", "cpu_off", PSCI_0_2_FN_CPU_OFF);
    vfdt_cell(t, "/psci", "cpu_on", PSCI_0_2_FN_CPU_ON);
    vfdt_cell(t, "/psci", "migrate", PSCI_0_2_FN_MIGRATE);
}

void *virt_fdt_boot_fixup(void *fdt, const struct virt_fdt_boot *b, char **why)
{
    struct vfdt t = {0};
    unsigned acells = 0, scells = 0;
    uint32_t total = fdt_totalsize(fdt);
    g_assert(total <= VFDT_BUF_MAX / 2); /* virt_fdt_read and virt_fdt_create keep to it */
    t.size = MAX((int)total * 2, VFDT_FIRST_SIZE);
    t.fdt = g_malloc0((size_t)t.size);
    int err = fdt_open_into(fdt, t.fdt, t.size); /* also makes an old (v16) tree v17 */
    g_free(fdt);
    bool ok = err == 0;
    if (!ok)
        *why = g_strdup_printf("cannot open the tree: %s", fdt_strerror(err));
    ok = ok && vfdt_root_cells(&t, "#address-cells", &acells, why) &&
         vfdt_root_cells(&t, "#size-cells", &scells, why);
    if (ok) {
        vfdt_memory(&t, b, acells, scells);
        vfdt_chosen(&t, b);
        vfdt_psci(&t);
        if (t.err) {
            *why = g_strdup_printf("cannot update %s: %s", t.where, fdt_strerror(t.err));
            ok = false;
        }
    }
    g_free(t.where);
    if (!ok) {
        g_free(t.fdt);
        return NULL;
    }
    err = fdt_pack(t.fdt);
    g_assert(err == 0);
    return g_realloc(t.fdt, fdt_totalsize(t.fdt));
}

/* ---- -dtb FILE ---------------------------------------------------------------------- */

static char *vfdt_read_all(int fd, uint64_t size, char **why)
{
    char *buf = g_malloc(size ? size : 1);
    uint64_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *why = g_strdup(n < 0 ? strerror(errno) : "the file changed while it was being read");
            g_free(buf);
            return NULL;
        }
        got += (uint64_t)n;
    }
    return buf;
}

static bool vfdt_check(const void *blob, uint64_t size, char **why)
{
    if (size < sizeof(struct fdt_header)) {
        *why = g_strdup_printf("%llu bytes is too short for a device tree header (%zu)",
                               (unsigned long long)size, sizeof(struct fdt_header));
        return false;
    }
    int err = fdt_check_header(blob);
    if (err) {
        *why = g_strdup_printf("not a flattened device tree: %s", fdt_strerror(err));
        return false;
    }
    if (fdt_totalsize(blob) > size) {
        *why = g_strdup_printf("truncated: its header says %u bytes, the file has %llu",
                               fdt_totalsize(blob), (unsigned long long)size);
        return false;
    }
    err = fdt_check_full(blob, size);
    if (err) {
        *why = g_strdup_printf("a malformed device tree: %s", fdt_strerror(err));
        return false;
    }
    return true;
}

void *virt_fdt_read(const char *path, uint64_t max_size, uint64_t *size, char **why)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = g_strdup_printf("cannot read it: %s", strerror(errno));
        return NULL;
    }
    char *blob = NULL;
    uint64_t limit = MIN(max_size, (uint64_t)BOOT_DTB_MAX);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        *why = g_strdup("not a regular file");
    else if ((uint64_t)st.st_size > limit)
        *why =
            g_strdup_printf("a device tree of %llu bytes is larger than %s (%llu bytes)",
                            (unsigned long long)st.st_size,
                            limit == max_size ? "RAM" : "percore takes", (unsigned long long)limit);
    else
        blob = vfdt_read_all(fd, (uint64_t)st.st_size, why);
    close(fd);
    if (!blob)
        return NULL;
    *size = (uint64_t)st.st_size;
    if (!vfdt_check(blob, *size, why)) {
        g_free(blob);
        return NULL;
    }
    return blob;
}

unsigned virt_fdt_rng_seeds(const void *fdt, struct boot_range **seed)
{
    GArray *found = g_array_new(FALSE, FALSE, sizeof(struct boot_range));
    /* From the root's first child on, as qemu_fdt_randomize_seeds walks. */
    for (int node = fdt_next_node(fdt, 0, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        int prop;
        fdt_for_each_property_offset(prop, fdt, node)
        {
            const char *name = NULL;
            int len = 0;
            const uint8_t *data = fdt_getprop_by_offset(fdt, prop, &name, &len);
            if (!data || !name || len <= 0 || strcmp(name, "rng-seed") != 0)
                continue;
            struct boot_range r = {(uint32_t)(data - (const uint8_t *)fdt), (uint32_t)len};
            g_assert((uint64_t)r.offset + r.len <= fdt_totalsize(fdt));
            g_array_append_val(found, r);
        }
    }
    unsigned n = found->len;
    *seed = n ? (struct boot_range *)(void *)g_array_free(found, FALSE) : NULL;
    if (!n)
        g_array_free(found, TRUE);
    return n;
}

/* ---- the boot ----------------------------------------------------------------------- */

static bool boot_fail_opt(char **why, const char *opt, const char *path, char *msg)
{
    *why =
        path ? g_strdup_printf("%s '%s': %s", opt, path, msg) : g_strdup_printf("%s: %s", opt, msg);
    g_free(msg);
    return false;
}

/* qemu loads an initrd only for what it takes for a Linux kernel (a raw image); cmd/
 * says so for an ELF (boot_image_has_initrd). */
static bool boot_finish_initrd(struct boot_image *img, const struct boot_params *p, char **why)
{
    char *msg = NULL;
    if (!p->initrd || img->kind != BOOT_RAW)
        return true;
    if (!boot_image_add_initrd(img, p->initrd, &msg))
        return boot_fail_opt(why, "-initrd", p->initrd, msg);
    return true;
}

static bool boot_finish_dtb(struct boot_image *img, const struct boot_params *p, char **why)
{
    char *msg = NULL;
    uint64_t file_size = 0;
    void *fdt =
        p->dtb ? virt_fdt_read(p->dtb, img->ram_size, &file_size, &msg) : virt_fdt_create(p->ncpus);
    if (!fdt)
        return boot_fail_opt(why, "-dtb", p->dtb, msg);
    struct virt_fdt_boot b = {
        .ram_base = img->ram_base,
        .ram_size = img->ram_size,
        .bootargs = p->append,
        .initrd_start = img->has_initrd ? img->initrd.addr : 0,
        .initrd_size = img->has_initrd ? img->initrd.memsz : 0,
    };
    fdt = virt_fdt_boot_fixup(fdt, &b, &msg);
    if (!fdt)
        return p->dtb ? boot_fail_opt(why, "-dtb", p->dtb, msg)
                      : boot_fail_opt(why, "the device tree", NULL, msg);
    struct boot_range *seed = NULL;
    unsigned nseed = virt_fdt_rng_seeds(fdt, &seed);
    if (!boot_image_set_dtb(img, fdt, fdt_totalsize(fdt), seed, nseed, &msg))
        return p->dtb ? boot_fail_opt(why, "-dtb", p->dtb, msg)
                      : boot_fail_opt(why, "-m", NULL, msg);
    return true;
}

struct boot_image *boot_image_finish(struct boot_image *img, const struct boot_params *p,
                                     char **why)
{
    if (!img)
        img = boot_image_none(VIRT_RAM_BASE, p->ram_size);
    if (boot_finish_initrd(img, p, why) && boot_finish_dtb(img, p, why))
        return img;
    boot_image_free(img);
    return NULL;
}

const void *boot_image_dtb(const struct boot_image *img, size_t *size)
{
    *size = img->dtb.filesz;
    return img->dtb.data;
}

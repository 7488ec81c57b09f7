/* coordinator/fdt.c: the virt board's device tree as qemu-system-arm 7.2 builds it, what
 * the boot adds to it (memory, /chosen, /psci) for built and -dtb trees, -dtb files
 * refused with one line, and the initrd and the tree placed in RAM as qemu places them.
 * Every tree is read back with libfdt. */
#include <elf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libfdt.h>
#include <string.h>

/* The coordinator's objects are not in libpercore.a: fdt.c and boot.c are linked in. */
#include "coordinator/boot.h"

#define RAM_BASE 0x40000000ull
#define MiB      (1ull << 20)

static char *tmpdir;

/* ---- reading a tree ---- */

static int node_at(const void *fdt, const char *path)
{
    int node = fdt_path_offset(fdt, path);
    if (node < 0)
        g_error("no node %s: %s", path, fdt_strerror(node));
    return node;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    const void *p = fdt_getprop(fdt, node_at(fdt, path), name, len);
    if (!p)
        g_error("no property %s:%s", path, name);
    return p;
}

static bool has_prop(const void *fdt, const char *path, const char *name)
{
    return fdt_getprop(fdt, node_at(fdt, path), name, NULL) != NULL;
}

static void expect_bytes(const void *fdt, const char *path, const char *name, const void *v,
                         size_t len)
{
    int got;
    const void *p = prop(fdt, path, name, &got);
    if ((size_t)got != len || memcmp(p, v, len) != 0)
        g_error("%s:%s differs (%d bytes, %zu expected)", path, name, got, len);
}

/* A string literal with its terminating NUL (and any inside it). */
#define EXPECT_STR(fdt, path, name, lit) expect_bytes(fdt, path, name, lit, sizeof(lit))

static void expect_cells(const void *fdt, const char *path, const char *name, const uint32_t *v,
                         unsigned n)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);
    if (len != (int)(n * 4))
        g_error("%s:%s has %d bytes, %u cells expected", path, name, len, n);
    for (unsigned i = 0; i < n; i++)
        if (fdt32_to_cpu(p[i]) != v[i])
            g_error("%s:%s cell %u is 0x%x, 0x%x expected", path, name, i, fdt32_to_cpu(p[i]),
                    v[i]);
}

/* A list of cells as expect_cells takes it: the array and its length. */
#define CELLS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / 4

#define EXPECT_CELLS(fdt, path, name, ...) expect_cells(fdt, path, name, CELLS(__VA_ARGS__))

static uint32_t cell(const void *fdt, const char *path, const char *name)
{
    int len;
    const fdt32_t *p = prop(fdt, path, name, &len);
    g_assert_cmpint(len, ==, 4);
    return fdt32_to_cpu(*p);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every node's path, sorted, joined by spaces. */
static char *node_list(const void *fdt)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    char buf[256];
    for (int node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        g_assert_cmpint(fdt_get_path(fdt, node, buf, sizeof(buf)), ==, 0);
        g_ptr_array_add(paths, g_strdup(buf));
    }
    g_ptr_array_sort(paths, compare_strings);
    g_ptr_array_add(paths, NULL);
    char *out = g_strjoinv(" ", (char **)paths->pdata);
    g_ptr_array_free(paths, TRUE);
    return out;
}

/* ---- building ---- */

static void *fixup(void *fdt, uint64_t ram_size, const char *bootargs, uint64_t initrd_start,
                   uint64_t initrd_size)
{
    struct virt_fdt_boot b = {RAM_BASE, ram_size, bootargs, initrd_start, initrd_size};
    char *why = NULL;
    void *out = virt_fdt_boot_fixup(fdt, &b, &why);
    if (!out)
        g_error("fixup refused: %s", why);
    g_assert_cmpint(fdt_check_full(out, fdt_totalsize(out)), ==, 0);
    return out;
}

static void *virt_tree(unsigned ncpus, uint64_t ram_size, const char *bootargs)
{
    return fixup(virt_fdt_create(ncpus), ram_size, bootargs, 0, 0);
}

/* ---- the board's tree ---- */

static void test_virt_nodes(void)
{
    void *fdt = virt_tree(4, 512 * MiB, "console=ttyAMA0");
    char *nodes = node_list(fdt);
    g_assert_cmpstr(nodes, ==,
                    "/ /apb-pclk /chosen /cpus /cpus/cpu-map /cpus/cpu-map/socket0 "
                    "/cpus/cpu-map/socket0/cluster0 /cpus/cpu-map/socket0/cluster0/core0 "
                    "/cpus/cpu-map/socket0/cluster0/core1 /cpus/cpu-map/socket0/cluster0/core2 "
                    "/cpus/cpu-map/socket0/cluster0/core3 /cpus/cpu@0 /cpus/cpu@1 /cpus/cpu@2 "
                    "/cpus/cpu@3 /intc@8000000 /memory@40000000 /pl011@9000000 /pl031@9010000 "
                    "/psci /timer");
    g_free(nodes);

    EXPECT_STR(fdt, "/", "compatible", "linux,dummy-virt");
    EXPECT_STR(fdt, "/", "model", "linux,dummy-virt");
    EXPECT_CELLS(fdt, "/", "#address-cells", 2);
    EXPECT_CELLS(fdt, "/", "#size-cells", 2);
    EXPECT_CELLS(fdt, "/", "interrupt-parent", 0x8005); /* qemu's phandle for 4 CPUs */

    EXPECT_STR(fdt, "/memory@40000000", "device_type", "memory");
    EXPECT_CELLS(fdt, "/memory@40000000", "reg", 0, 0x40000000, 0, 0x20000000);

    EXPECT_CELLS(fdt, "/cpus", "#address-cells", 1);
    EXPECT_CELLS(fdt, "/cpus", "#size-cells", 0);
    for (unsigned i = 0; i < 4; i++) {
        char *cpu = g_strdup_printf("/cpus/cpu@%u", i);
        char *core = g_strdup_printf("/cpus/cpu-map/socket0/cluster0/core%u", i);
        EXPECT_STR(fdt, cpu, "device_type", "cpu");
        EXPECT_STR(fdt, cpu, "compatible", "arm,cortex-a15");
        EXPECT_STR(fdt, cpu, "enable-method", "psci");
        EXPECT_CELLS(fdt, cpu, "reg", i); /* MPIDR affinity */
        EXPECT_CELLS(fdt, cpu, "phandle", 0x8004 - i);
        g_assert_cmpint(fdt_node_offset_by_phandle(fdt, cell(fdt, core, "cpu")), ==,
                        node_at(fdt, cpu));
        g_free(cpu);
        g_free(core);
    }

    EXPECT_STR(fdt, "/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci");
    EXPECT_STR(fdt, "/psci", "method", "hvc");
    EXPECT_CELLS(fdt, "/psci", "cpu_suspend", 0x84000001);
    EXPECT_CELLS(fdt, "/psci", "cpu_off", 0x84000002);
    EXPECT_CELLS(fdt, "/psci", "cpu_on", 0x84000003);
    EXPECT_CELLS(fdt, "/psci", "migrate", 0x84000005);

    EXPECT_STR(fdt, "/timer", "compatible", "arm,armv7-timer");
    expect_bytes(fdt, "/timer", "always-on", "", 0);
    EXPECT_CELLS(fdt, "/timer", "interrupts", 1, 13, 0xf04, 1, 14, 0xf04, 1, 11, 0xf04, 1, 10,
                 0xf04);

    const char *gic = "/intc@8000000";
    EXPECT_STR(fdt, gic, "compatible", "arm,cortex-a15-gic");
    EXPECT_CELLS(fdt, gic, "reg", 0, 0x08000000, 0, 0x10000, 0, 0x08010000, 0, 0x10000);
    EXPECT_CELLS(fdt, gic, "#interrupt-cells", 3);
    expect_bytes(fdt, gic, "interrupt-controller", "", 0);
    expect_bytes(fdt, gic, "ranges", "", 0);
    EXPECT_CELLS(fdt, gic, "#address-cells", 2);
    EXPECT_CELLS(fdt, gic, "#size-cells", 2);
    g_assert_cmpint(fdt_node_offset_by_phandle(fdt, cell(fdt, "/", "interrupt-parent")), ==,
                    node_at(fdt, gic));

    EXPECT_STR(fdt, "/apb-pclk", "compatible", "fixed-clock");
    EXPECT_CELLS(fdt, "/apb-pclk", "#clock-cells", 0);
    EXPECT_CELLS(fdt, "/apb-pclk", "clock-frequency", 24000000);
    EXPECT_STR(fdt, "/apb-pclk", "clock-output-names", "clk24mhz");
    EXPECT_CELLS(fdt, "/apb-pclk", "phandle", 0x8000);

    EXPECT_STR(fdt, "/pl011@9000000", "compatible", "arm,pl011\0arm,primecell");
    EXPECT_CELLS(fdt, "/pl011@9000000", "reg", 0, 0x09000000, 0, 0x1000);
    EXPECT_CELLS(fdt, "/pl011@9000000", "interrupts", 0, 1, 4);
    EXPECT_CELLS(fdt, "/pl011@9000000", "clocks", 0x8000, 0x8000);
    EXPECT_STR(fdt, "/pl011@9000000", "clock-names", "uartclk\0apb_pclk");

    EXPECT_STR(fdt, "/pl031@9010000", "compatible", "arm,pl031\0arm,primecell");
    EXPECT_CELLS(fdt, "/pl031@9010000", "reg", 0, 0x09010000, 0, 0x1000);
    EXPECT_CELLS(fdt, "/pl031@9010000", "interrupts", 0, 2, 4);
    EXPECT_CELLS(fdt, "/pl031@9010000", "clocks", 0x8000);
    EXPECT_STR(fdt, "/pl031@9010000", "clock-names", "apb_pclk");

    EXPECT_STR(fdt, "/chosen", "bootargs", "console=ttyAMA0");
    EXPECT_STR(fdt, "/chosen", "stdout-path", "/pl011@9000000");
    int len;
    prop(fdt, "/chosen", "rng-seed", &len);
    g_assert_cmpint(len, ==, 32);
    prop(fdt, "/chosen", "kaslr-seed", &len);
    g_assert_cmpint(len, ==, 8);
    g_assert_false(has_prop(fdt, "/chosen", "linux,initrd-start"));
    g_assert_false(has_prop(fdt, "/chosen", "linux,initrd-end"));
    g_free(fdt);
}

/* The timer's CPU mask, enable-method and the phandle sequence follow the CPU count. */
static void test_virt_cpu_counts(void)
{
    for (unsigned n = 1; n <= 8; n++) {
        void *fdt = virt_tree(n, 128 * MiB, NULL);
        uint32_t flags = ((1u << n) - 1) << 8 | 4;
        EXPECT_CELLS(fdt, "/timer", "interrupts", 1, 13, flags, 1, 14, flags, 1, 11, flags, 1, 10,
                     flags);
        for (unsigned i = 0; i < n; i++) {
            char *cpu = g_strdup_printf("/cpus/cpu@%u", i);
            g_assert_true(has_prop(fdt, cpu, "enable-method") == (n > 1));
            EXPECT_CELLS(fdt, cpu, "reg", i);
            g_free(cpu);
        }
        char *absent = g_strdup_printf("/cpus/cpu@%u", n);
        g_assert_cmpint(fdt_path_offset(fdt, absent), ==, -FDT_ERR_NOTFOUND);
        g_free(absent);
        EXPECT_CELLS(fdt, "/", "interrupt-parent", 0x8000 + n + 1);
        g_assert_false(has_prop(fdt, "/chosen", "bootargs"));
        g_free(fdt);
    }
}

static void test_memory_sizes(void)
{
    static const uint64_t sizes[] = {4096, 128 * MiB, 512 * MiB, 3072 * MiB};
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        void *fdt = virt_tree(1, sizes[i], "");
        EXPECT_CELLS(fdt, "/memory@40000000", "reg", 0, 0x40000000, (uint32_t)(sizes[i] >> 32),
                     (uint32_t)sizes[i]);
        g_assert_false(has_prop(fdt, "/chosen", "bootargs")); /* "" adds none, as qemu */
        g_free(fdt);
    }
}

static void test_chosen_initrd(void)
{
    void *fdt = fixup(virt_fdt_create(2), 512 * MiB, "root=/dev/ram", 0x48000000, 3000000);
    EXPECT_CELLS(fdt, "/chosen", "linux,initrd-start", 0x48000000); /* one cell, as qemu 7.2 */
    EXPECT_CELLS(fdt, "/chosen", "linux,initrd-end", 0x48000000 + 3000000);
    EXPECT_STR(fdt, "/chosen", "bootargs", "root=/dev/ram");
    g_free(fdt);
}

/* ---- a -dtb tree ---- */

/* A tree as a user might bring: its own cells (none when negative), memory nodes, a
 * /psci with other function IDs, a nested node called memory, and (unless with_chosen)
 * no /chosen. 4 KiB, with room to change it. */
static void *user_tree(int acells, int scells, bool with_chosen)
{
    size_t size = 4096;
    void *fdt = g_malloc0(size);
    g_assert_cmpint(fdt_create_empty_tree(fdt, (int)size), ==, 0);
    if (acells >= 0)
        g_assert_cmpint(fdt_setprop_u32(fdt, 0, "#address-cells", (uint32_t)acells), ==, 0);
    if (scells >= 0)
        g_assert_cmpint(fdt_setprop_u32(fdt, 0, "#size-cells", (uint32_t)scells), ==, 0);
    static const char *const nodes[] = {"memory", "memory@80000000", "memory-controller", "psci",
                                        "soc"};
    for (unsigned i = 0; i < G_N_ELEMENTS(nodes); i++)
        g_assert_cmpint(fdt_add_subnode(fdt, 0, nodes[i]), >=, 0);
    int psci = fdt_path_offset(fdt, "/psci");
    g_assert_cmpint(fdt_setprop_string(fdt, psci, "method", "smc"), ==, 0);
    g_assert_cmpint(fdt_setprop_u32(fdt, psci, "cpu_on", 0x1234), ==, 0);
    g_assert_cmpint(fdt_add_subnode(fdt, fdt_path_offset(fdt, "/soc"), "memory@1"), >=, 0);
    if (with_chosen) {
        int chosen = fdt_add_subnode(fdt, 0, "chosen");
        g_assert_cmpint(fdt_setprop_string(fdt, chosen, "bootargs", "old"), ==, 0);
        g_assert_cmpint(fdt_setprop(fdt, chosen, "rng-seed", "12345678", 8), ==, 0);
    }
    return fdt;
}

static void test_user_tree(void)
{
    void *fdt = fixup(user_tree(1, 1, false), 512 * MiB, "new", 0x48000000, 0x1000);
    char *nodes = node_list(fdt);
    g_assert_cmpstr(nodes, ==,
                    "/ /chosen /memory-controller /memory@40000000 /psci /soc /soc/memory@1");
    g_free(nodes);
    EXPECT_CELLS(fdt, "/memory@40000000", "reg", 0x40000000, 0x20000000); /* the root's cells */
    EXPECT_STR(fdt, "/psci", "method", "hvc");
    EXPECT_CELLS(fdt, "/psci", "cpu_on", 0x84000003);
    EXPECT_STR(fdt, "/chosen", "bootargs", "new");
    EXPECT_CELLS(fdt, "/chosen", "linux,initrd-end", 0x48001000);
    g_free(fdt);

    /* A tree's own bootargs stay without -append and give way to one. */
    fdt = fixup(user_tree(2, 1, true), 512 * MiB, NULL, 0, 0);
    EXPECT_STR(fdt, "/chosen", "bootargs", "old");
    EXPECT_CELLS(fdt, "/memory@40000000", "reg", 0, 0x40000000, 0x20000000);
    g_free(fdt);
    fdt = fixup(user_tree(2, 2, true), 512 * MiB, "new", 0, 0);
    EXPECT_STR(fdt, "/chosen", "bootargs", "new");
    g_free(fdt);
}

static void expect_why(char *why, const char *text)
{
    g_assert_nonnull(why);
    if (!strstr(why, text))
        g_error("message '%s' does not say '%s'", why, text);
    g_assert_null(strchr(why, '\n'));
    g_free(why);
}

static void refuse_fixup(void *fdt, const char *text)
{
    struct virt_fdt_boot b = {RAM_BASE, 512 * MiB, NULL, 0, 0};
    char *why = NULL;
    g_assert_null(virt_fdt_boot_fixup(fdt, &b, &why));
    expect_why(why, text);
}

static void test_user_tree_refused(void)
{
    refuse_fixup(user_tree(-1, 2, false), "the root node has no #address-cells property");
    refuse_fixup(user_tree(2, -1, false), "the root node has no #size-cells property");
    refuse_fixup(user_tree(0, 2, false), "the root's #address-cells is 0");
    refuse_fixup(user_tree(2, 3, false), "the root's #size-cells is 3");
    void *fdt = user_tree(2, 2, false);
    g_assert_cmpint(fdt_setprop_u64(fdt, 0, "#size-cells", 2), ==, 0);
    refuse_fixup(fdt, "the root's #size-cells is 8 bytes long");
}

/* ---- -dtb files ---- */

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    return path;
}

static void refuse_read(const void *data, size_t len, uint64_t max, const char *text)
{
    char *path = write_file("bad.dtb", data, len);
    char *why = NULL;
    uint64_t size = 0;
    g_assert_null(virt_fdt_read(path, max, &size, &why));
    expect_why(why, text);
    g_free(path);
}

static void test_read(void)
{
    void *good = user_tree(2, 2, true);
    uint32_t total = fdt_totalsize(good);
    char *path = write_file("good.dtb", good, total);
    char *why = NULL;
    uint64_t size = 0;
    void *fdt = virt_fdt_read(path, 512 * MiB, &size, &why);
    g_assert_nonnull(fdt);
    g_assert_null(why);
    g_assert_cmpuint(size, ==, total);
    g_assert_cmpmem(fdt, total, good, total);
    g_free(fdt);
    g_free(path);

    refuse_read(good, 20, 512 * MiB, "20 bytes is too short for a device tree header (40)");
    refuse_read(good, total - 8, 512 * MiB, "truncated: its header says");
    refuse_read(good, total, total - 1, "larger than RAM");
    uint8_t *bad = g_memdup2(good, total);
    bad[0] ^= 0xff;
    refuse_read(bad, total, 512 * MiB, "not a flattened device tree: FDT_ERR_BADMAGIC");
    memcpy(bad, good, total);
    /* The root's FDT_BEGIN_NODE tag becomes an FDT_END_NODE: a broken structure. */
    uint32_t off = fdt_off_dt_struct(good);
    g_assert_cmphex(bad[off + 3], ==, FDT_BEGIN_NODE);
    bad[off + 3] = FDT_END_NODE;
    refuse_read(bad, total, 512 * MiB, "a malformed device tree");
    g_free(bad);
    uint8_t *junk = g_malloc0(BOOT_DTB_MAX + 1);
    refuse_read(junk, BOOT_DTB_MAX + 1, 4096 * MiB, "larger than percore takes");
    g_free(junk);

    char *missing = g_build_filename(tmpdir, "missing", NULL);
    g_assert_null(virt_fdt_read(missing, 512 * MiB, &size, &why));
    expect_why(why, "cannot read it");
    g_assert_null(virt_fdt_read(tmpdir, 512 * MiB, &size, &why));
    expect_why(why, "not a regular file");
    g_free(missing);
    g_free(good);
}

/* The rng-seed properties are found wherever they are, below the root (qemu's walk). */
static void test_rng_seeds(void)
{
    void *fdt = virt_tree(1, 128 * MiB, NULL);
    struct boot_range *seed = NULL;
    g_assert_cmpuint(virt_fdt_rng_seeds(fdt, &seed), ==, 1);
    int len;
    const uint8_t *p = prop(fdt, "/chosen", "rng-seed", &len);
    g_assert_cmpuint(seed[0].offset, ==, (uint32_t)(p - (const uint8_t *)fdt));
    g_assert_cmpuint(seed[0].len, ==, 32);
    g_free(seed);
    g_free(fdt);

    fdt = user_tree(2, 2, true);
    fdt = fixup(fdt, 128 * MiB, NULL, 0, 0);
    g_assert_cmpuint(virt_fdt_rng_seeds(fdt, &seed), ==, 1);
    g_assert_cmpuint(seed[0].len, ==, 8);
    g_free(seed);
    g_free(fdt);
}

/* ---- placing it (boot_image_finish) ---- */

static char *raw_kernel(size_t size)
{
    uint8_t *data = g_malloc(size);
    memset(data, 0xe1, size);
    data[0] = 0; /* not an ELF, not a uImage */
    char *path = write_file("kernel.bin", data, size);
    g_free(data);
    return path;
}

/* One PT_LOAD segment of 0x100 bytes at paddr. */
static char *elf_kernel(uint32_t paddr)
{
    uint8_t b[0x200] = {0};
    memcpy(b, ELFMAG, SELFMAG);
    b[EI_CLASS] = ELFCLASS32;
    b[EI_DATA] = ELFDATA2LSB;
    b[EI_VERSION] = EV_CURRENT;
    Elf32_Ehdr *eh = (Elf32_Ehdr *)(void *)b;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_ARM;
    eh->e_version = EV_CURRENT;
    eh->e_entry = paddr;
    eh->e_phoff = sizeof(*eh);
    eh->e_ehsize = sizeof(*eh);
    eh->e_phentsize = sizeof(Elf32_Phdr);
    eh->e_phnum = 1;
    Elf32_Phdr *ph = (Elf32_Phdr *)(void *)(b + sizeof(*eh));
    *ph = (Elf32_Phdr){PT_LOAD, 0x100, paddr, paddr, 0x100, 0x100, PF_R | PF_X, 4};
    return write_file("kernel.elf", b, sizeof(b));
}

static struct boot_image *finish(const char *kernel, uint64_t ram_size, const struct boot_params *p,
                                 char **why)
{
    struct boot_image *img = NULL;
    if (kernel) {
        img = boot_image_open(kernel, RAM_BASE, ram_size, why);
        g_assert_nonnull(img);
    }
    struct boot_params q = *p;
    q.ram_size = ram_size;
    q.ncpus = q.ncpus ? q.ncpus : 1;
    return boot_image_finish(img, &q, why);
}

/* What the guest finds at addr in RAM: the tree, with fresh rng-seed bytes. */
static void expect_tree_in_ram(const struct boot_image *img, const uint8_t *ram, uint64_t addr)
{
    size_t size;
    const uint8_t *blob = boot_image_dtb(img, &size);
    const uint8_t *in_ram = ram + (addr - RAM_BASE);
    int len;
    const uint8_t *seed = prop(blob, "/chosen", "rng-seed", &len);
    size_t at = (size_t)(seed - blob);
    g_assert_cmpmem(in_ram, at, blob, at);
    g_assert_cmpmem(in_ram + at + len, size - at - len, seed + len, size - at - len);
    g_assert_true(memcmp(in_ram + at, seed, (size_t)len) != 0); /* 2^-256 */
}

static void test_place_raw(void)
{
    char *kernel = raw_kernel(0x1000);
    char *initrd = write_file("initrd", "INITRD", 6);
    char *why = NULL;
    uint64_t ram_size = 64 * MiB;
    struct boot_params p = {.ncpus = 2, .initrd = initrd, .append = "console=ttyAMA0"};
    struct boot_image *img = finish(kernel, ram_size, &p, &why);
    g_assert_null(why);
    g_assert_nonnull(img);
    /* initrd half of RAM in; the tree right after it, 4 KiB aligned; r2 names it. */
    g_assert_cmphex(img->initrd.addr, ==, 0x42000000);
    g_assert_cmphex(img->dtb.addr, ==, 0x42001000);
    g_assert_cmphex(img->r2, ==, 0x42001000);
    g_assert_true(img->dtb_placed);
    size_t size;
    const void *blob = boot_image_dtb(img, &size);
    g_assert_cmpuint(size, ==, fdt_totalsize(blob));
    EXPECT_CELLS(blob, "/chosen", "linux,initrd-start", 0x42000000);
    EXPECT_CELLS(blob, "/chosen", "linux,initrd-end", 0x42000006);
    EXPECT_STR(blob, "/chosen", "bootargs", "console=ttyAMA0");
    EXPECT_CELLS(blob, "/memory@40000000", "reg", 0, 0x40000000, 0, 0x04000000);
    uint8_t *ram = g_malloc0(ram_size);
    boot_image_load(img, ram);
    g_assert_cmpmem(ram + 0x2000000, 6, "INITRD", 6);
    expect_tree_in_ram(img, ram, 0x42001000);
    uint8_t before[32];
    int len;
    const uint8_t *seed = prop(blob, "/chosen", "rng-seed", &len);
    size_t at = 0x2001000 + (size_t)(seed - (const uint8_t *)blob);
    memcpy(before, ram + at, sizeof(before));
    boot_image_load(img, ram); /* a reset: the seed changes again */
    g_assert_true(memcmp(before, ram + at, sizeof(before)) != 0);
    boot_image_free(img);

    /* Without an initrd the tree takes its place; 512 MiB: at most 128 MiB in. */
    p.initrd = NULL;
    img = finish(kernel, 512 * MiB, &p, &why);
    g_assert_cmphex(img->r2, ==, 0x48000000);
    g_assert_false(img->has_initrd);
    boot_image_free(img);

    /* An empty initrd: nothing named in /chosen, the tree at the initrd's place. */
    char *empty = write_file("empty", "", 0);
    p.initrd = empty;
    img = finish(kernel, ram_size, &p, &why);
    g_assert_cmphex(img->r2, ==, 0x42000000);
    g_assert_false(has_prop(boot_image_dtb(img, &size), "/chosen", "linux,initrd-start"));
    boot_image_free(img);
    g_free(ram);
    g_free(empty);
    g_free(kernel);
    g_free(initrd);
}

static void test_place_elf_and_none(void)
{
    char *why = NULL;
    char *initrd = write_file("initrd", "INITRD", 6);
    struct boot_params p = {.initrd = initrd};
    uint64_t ram_size = 4 * MiB;
    uint8_t *ram = g_malloc0(ram_size);

    /* Above the RAM base with room below: the tree at the base, r2 zero, no initrd. */
    char *elf = elf_kernel(0x40200000);
    struct boot_image *img = finish(elf, ram_size, &p, &why);
    g_assert_nonnull(img);
    g_assert_true(img->dtb_placed);
    g_assert_cmphex(img->dtb.addr, ==, RAM_BASE);
    g_assert_cmphex(img->r2, ==, 0);
    g_assert_false(img->has_initrd);
    boot_image_load(img, ram);
    expect_tree_in_ram(img, ram, RAM_BASE);
    boot_image_free(img);
    g_free(elf);

    /* At the RAM base (qemu: in the flash), or too close above it: not loaded. */
    static const uint32_t no_room[] = {0x40000000, 0x40000200};
    for (unsigned i = 0; i < G_N_ELEMENTS(no_room); i++) {
        elf = elf_kernel(no_room[i]);
        img = finish(elf, ram_size, &p, &why);
        g_assert_nonnull(img);
        g_assert_false(img->dtb_placed);
        g_assert_nonnull(boot_image_dtb(img, &(size_t){0})); /* dumpdtb still has it */
        memset(ram, 0xaa, ram_size);
        boot_image_load(img, ram);
        g_assert_cmphex(ram[0x300], ==, 0xaa);
        boot_image_free(img);
        g_free(elf);
    }

    /* No kernel: the tree at the RAM base, the CPU left alone. */
    p.initrd = NULL;
    img = finish(NULL, ram_size, &p, &why);
    g_assert_cmpint(img->kind, ==, BOOT_NONE);
    g_assert_cmphex(img->dtb.addr, ==, RAM_BASE);
    struct arm_regs r;
    memset(&r, 0x55, sizeof(r));
    boot_image_set_regs(img, &r);
    g_assert_cmphex(r.r[2], ==, 0x55555555);
    boot_image_free(img);
    g_free(ram);
    g_free(initrd);
}

static void test_place_refused(void)
{
    char *why = NULL;
    /* 128 KiB of RAM: the tree goes half way in; a 4 KiB kernel ends well below. */
    char *kernel = raw_kernel(0x1000);
    uint8_t *big = g_malloc0(0x10000);
    char *initrd = write_file("big-initrd", big, 0x10000);
    struct boot_params p = {.initrd = initrd};
    g_assert_null(finish(kernel, 0x20000, &p, &why));
    expect_why(why, "-initrd '");
    /* 0xf000 bytes fit exactly: no room is left for the tree. */
    g_free(initrd);
    p.initrd = initrd = write_file("big-initrd", big, 0xf000);
    g_assert_null(finish(kernel, 0x20000, &p, &why));
    expect_why(why, "no room is left for the device tree after it");
    /* A command line too long for what is left after the initrd. */
    g_free(initrd);
    p.initrd = initrd = write_file("big-initrd", big, 0xe000);
    char *args = g_strnfill(0x2000, 'x');
    p.append = args;
    g_assert_null(finish(kernel, 0x20000, &p, &why));
    expect_why(why, "-m: the device tree (");
    p.append = NULL;
    /* A -dtb file that is not one. */
    p.initrd = NULL;
    char *junk = write_file("junk.dtb", big, 0x100);
    p.dtb = junk;
    g_assert_null(finish(kernel, 0x20000, &p, &why));
    expect_why(why, "-dtb '");
    g_free(junk);
    g_free(args);
    g_free(initrd);
    g_free(kernel);
    g_free(big);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("percore-fdt-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/fdt/virt/nodes", test_virt_nodes);
    g_test_add_func("/fdt/virt/cpu-counts", test_virt_cpu_counts);
    g_test_add_func("/fdt/fixup/memory-sizes", test_memory_sizes);
    g_test_add_func("/fdt/fixup/chosen-initrd", test_chosen_initrd);
    g_test_add_func("/fdt/fixup/user-tree", test_user_tree);
    g_test_add_func("/fdt/fixup/user-tree-refused", test_user_tree_refused);
    g_test_add_func("/fdt/read", test_read);
    g_test_add_func("/fdt/rng-seeds", test_rng_seeds);
    g_test_add_func("/fdt/place/raw", test_place_raw);
    g_test_add_func("/fdt/place/elf-and-none", test_place_elf_and_none);
    g_test_add_func("/fdt/place/refused", test_place_refused);
    int status = g_test_run();
    static const char *const files[] = {"bad.dtb", "good.dtb", "kernel.bin", "kernel.elf",
                                        "initrd",  "empty",    "big-initrd", "junk.dtb"};
    for (unsigned i = 0; i < G_N_ELEMENTS(files); i++) {
        char *path = g_build_filename(tmpdir, files[i], NULL);
        g_unlink(path);
        g_free(path);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return status;
}

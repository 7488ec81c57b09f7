/* coordinator/boot.c: -kernel images as qemu-system-arm loads them on -M virt, and every
 * malformed image refused with a message. The images are written by the test. */
#include <elf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

/* The coordinator's objects are not in libpercore.a: the loader is compiled in. */
#include "coordinator/boot.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1ull << 20)

static char *tmpdir;

/* ---- image builder ---- */

struct phdr_spec {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags;
};

struct elf_spec {
    uint8_t cls, data;
    uint16_t machine, phentsize, phnum; /* phnum 0: as many as ph[] holds */
    uint32_t entry;
    unsigned nph;
    struct phdr_spec ph[4];
};

static void put16(GByteArray *b, size_t at, uint32_t v)
{
    b->data[at] = (uint8_t)v;
    b->data[at + 1] = (uint8_t)(v >> 8);
}

static void put32(GByteArray *b, size_t at, uint32_t v)
{
    put16(b, at, v & 0xffff);
    put16(b, at + 2, v >> 16);
}

/* A good little-endian ARM executable unless the spec says otherwise; the program
 * headers follow the ELF header, file data goes from 0x100 (the payload, 0x200 bytes:
 * byte i is i & 0xff, so the test can tell which bytes landed where). */
static GByteArray *elf_build(const struct elf_spec *s)
{
    GByteArray *b = g_byte_array_new();
    g_byte_array_set_size(b, 0x300);
    memset(b->data, 0, b->len);
    memcpy(b->data, ELFMAG, SELFMAG);
    b->data[EI_CLASS] = s->cls ? s->cls : ELFCLASS32;
    b->data[EI_DATA] = s->data ? s->data : ELFDATA2LSB;
    b->data[EI_VERSION] = EV_CURRENT;
    put16(b, 16, ET_EXEC);
    put16(b, 18, s->machine ? s->machine : EM_ARM);
    put32(b, 20, EV_CURRENT);
    put32(b, 24, s->entry);
    put32(b, 28, 52); /* e_phoff */
    put16(b, 40, 52);
    put16(b, 42, s->phentsize ? s->phentsize : 32);
    put16(b, 44, s->phnum ? s->phnum : s->nph);
    for (unsigned i = 0; i < s->nph; i++) {
        size_t at = 52 + 32 * i;
        const struct phdr_spec *p = &s->ph[i];
        put32(b, at + 0, p->type);
        put32(b, at + 4, p->offset);
        put32(b, at + 8, p->vaddr);
        put32(b, at + 12, p->paddr);
        put32(b, at + 16, p->filesz);
        put32(b, at + 20, p->memsz);
        put32(b, at + 24, p->flags);
    }
    for (unsigned i = 0x100; i < 0x300; i++)
        b->data[i] = (uint8_t)i;
    return b;
}

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    return path;
}

static struct boot_image *open_bytes(const void *data, size_t len, uint64_t ram_size, char **why)
{
    char *path = write_file("image", data, len);
    struct boot_image *img = boot_image_open(path, RAM_BASE, ram_size, why);
    g_free(path);
    return img;
}

static struct boot_image *open_elf(const struct elf_spec *s, size_t truncate, char **why)
{
    GByteArray *b = elf_build(s);
    struct boot_image *img = open_bytes(b->data, truncate ? truncate : b->len, RAM_SIZE, why);
    g_byte_array_unref(b);
    return img;
}

/* A text segment at the RAM base and a data segment with a zero-filled tail. */
static struct elf_spec good_elf(void)
{
    return (struct elf_spec){
        .entry = 0x40000000,
        .nph = 2,
        .ph =
            {
                {PT_LOAD, 0x100, 0x40000000, 0x40000000, 0x40, 0x40, PF_R | PF_X},
                {PT_LOAD, 0x200, 0x40004000, 0x40004000, 0x10, 0x1000, PF_R | PF_W},
            },
    };
}

static uint8_t *ram_new(void)
{
    uint8_t *ram = g_malloc(RAM_SIZE);
    memset(ram, 0xaa, RAM_SIZE); /* what was there before: the zero fill must clear it */
    return ram;
}

static struct arm_regs regs_after(const struct boot_image *img)
{
    struct arm_regs r;
    memset(&r, 0x55, sizeof(r));
    boot_image_set_regs(img, &r);
    return r;
}

/* ---- good images ---- */

static void test_elf_loads(void)
{
    char *why = NULL;
    struct elf_spec s = good_elf();
    struct boot_image *img = open_elf(&s, 0, &why);
    g_assert_null(why);
    g_assert_nonnull(img);
    g_assert_cmpint(img->kind, ==, BOOT_ELF);
    uint8_t *ram = ram_new();
    boot_image_load(img, ram);
    for (unsigned i = 0; i < 0x40; i++)
        g_assert_cmphex(ram[i], ==, (uint8_t)(0x100 + i));
    g_assert_cmphex(ram[0x40], ==, 0xaa); /* nothing beyond p_memsz */
    for (unsigned i = 0; i < 0x10; i++)
        g_assert_cmphex(ram[0x4000 + i], ==, (uint8_t)(0x200 + i));
    for (unsigned i = 0x10; i < 0x1000; i++)
        g_assert_cmphex(ram[0x4000 + i], ==, 0); /* the p_memsz - p_filesz tail */
    g_assert_cmphex(ram[0x5000], ==, 0xaa);

    struct arm_regs r = regs_after(img);
    g_assert_cmphex(r.r[15], ==, 0x40000000);
    g_assert_cmphex(r.r[0], ==, 0); /* an ELF is passed nothing */
    g_assert_cmphex(r.r[1], ==, 0);
    g_assert_cmphex(r.r[2], ==, 0);
    g_assert_cmphex(arm_regs_cpsr(&r), ==, 0x400001d3); /* SVC, A I F masked, ARM; Z */
    g_free(ram);
    boot_image_free(img);
}

static void test_elf_thumb_and_paddr(void)
{
    char *why = NULL;
    struct elf_spec s = good_elf();
    s.entry = 0x40000011; /* Thumb */
    struct boot_image *img = open_elf(&s, 0, &why);
    g_assert_nonnull(img);
    struct arm_regs r = regs_after(img);
    g_assert_cmphex(r.r[15], ==, 0x40000010);
    g_assert_cmphex(arm_regs_cpsr(&r), ==, 0x400001f3);
    boot_image_free(img);

    /* Linked at 0xc0000000, loaded at its physical address: the entry moves with it. */
    s = good_elf();
    s.ph[0].vaddr = 0xc0000000;
    s.entry = 0xc0000020;
    img = open_elf(&s, 0, &why);
    g_assert_nonnull(img);
    g_assert_cmphex(regs_after(img).r[15], ==, 0x40000020);
    boot_image_free(img);
}

/* qemu's rule: a zero tail that would overlap another segment is not loaded. */
static void test_elf_tail_overlap(void)
{
    char *why = NULL;
    struct elf_spec s = good_elf();
    s.ph[0].memsz = 0x8000; /* its tail would cover the data segment at 0x4000 */
    struct boot_image *img = open_elf(&s, 0, &why);
    g_assert_null(why);
    g_assert_nonnull(img);
    uint8_t *ram = ram_new();
    boot_image_load(img, ram);
    g_assert_cmphex(ram[0x40], ==, 0xaa);
    g_assert_cmphex(ram[0x4000], ==, 0x00); /* payload byte 0x200 */
    g_assert_cmphex(ram[0x4001], ==, 0x01);
    /* The data segment's own tail overlaps the text segment's p_memsz: cut as well. */
    g_assert_cmphex(ram[0x4010], ==, 0xaa);
    g_free(ram);
    boot_image_free(img);
}

static void test_raw_loads(void)
{
    char *why = NULL;
    static const char data[] = "raw kernel image";
    struct boot_image *img = open_bytes(data, sizeof(data), RAM_SIZE, &why);
    g_assert_null(why);
    g_assert_nonnull(img);
    g_assert_cmpint(img->kind, ==, BOOT_RAW);
    uint8_t *ram = ram_new();
    boot_image_load(img, ram);
    g_assert_cmpmem(ram + 0x10000, sizeof(data), data, sizeof(data));
    g_assert_cmphex(ram[0x10000 + sizeof(data)], ==, 0xaa);
    g_assert_cmphex(ram[0], ==, 0xaa);
    struct arm_regs r = regs_after(img);
    g_assert_cmphex(r.r[15], ==, 0x40010000);
    g_assert_cmphex(r.r[0], ==, 0);
    g_assert_cmphex(r.r[1], ==, 0xffffffff);
    g_assert_cmphex(r.r[2], ==, 0x40080000); /* the DTB's place: half of 1 MiB in */
    g_assert_cmphex(arm_regs_cpsr(&r), ==, 0x400001d3);
    g_free(ram);
    boot_image_free(img);

    img = open_bytes(data, sizeof(data), 512ull << 20, &why); /* at most 128 MiB in */
    g_assert_nonnull(img);
    g_assert_cmphex(regs_after(img).r[2], ==, 0x48000000);
    boot_image_free(img);
}

/* ---- bad images ---- */

/* why is passed by address: it is read after the call that sets it. */
static void expect_refused(struct boot_image *img, char **whyp, const char *text)
{
    char *why = *whyp;
    *whyp = NULL;
    g_assert_null(img);
    g_assert_nonnull(why);
    if (!strstr(why, text))
        g_error("message '%s' does not say '%s'", why, text);
    g_assert_null(strchr(why, '\n'));
    g_free(why);
}

static void refuse_elf(const struct elf_spec *s, size_t truncate, const char *text)
{
    char *why = NULL;
    expect_refused(open_elf(s, truncate, &why), &why, text);
}

static void test_elf_header_refused(void)
{
    struct elf_spec s = good_elf();
    refuse_elf(&s, 30, "truncated ELF header");
    refuse_elf(&s, 4, "truncated ELF header");
    s.machine = EM_386;
    refuse_elf(&s, 0, "ELF machine 3 is not ARM");
    s = good_elf();
    s.cls = ELFCLASS64;
    refuse_elf(&s, 0, "ELF class 2");
    s = good_elf();
    s.data = ELFDATA2MSB;
    refuse_elf(&s, 0, "big-endian");
    s = good_elf();
    s.data = 7;
    refuse_elf(&s, 0, "data encoding 7");
    s = good_elf();
    s.phentsize = 40;
    refuse_elf(&s, 0, "program headers of 40 bytes");
    s = good_elf();
    s.phnum = 100; /* 3200 bytes of headers in a 768-byte file */
    refuse_elf(&s, 0, "run past the end of the file");
    s = good_elf();
    s.nph = 0;
    refuse_elf(&s, 0, "no program headers");
    s = good_elf();
    s.ph[0].type = s.ph[1].type = PT_NOTE;
    refuse_elf(&s, 0, "no loadable (PT_LOAD) segment");
}

static void test_elf_segments_refused(void)
{
    struct elf_spec s = good_elf();
    s.ph[1].paddr = 0x00001000; /* flash, not RAM */
    refuse_elf(&s, 0, "ELF segment 1 (0x00001000-0x00001fff) is outside RAM");
    s = good_elf();
    s.ph[1].paddr = 0x400ff800; /* its zero tail runs past the end of 1 MiB of RAM */
    refuse_elf(&s, 0, "is outside RAM (0x40000000-0x400fffff)");
    s = good_elf();
    s.ph[1].paddr = 0x3ffffff0; /* starts just below RAM */
    refuse_elf(&s, 0, "outside RAM");
    s = good_elf();
    s.ph[0].filesz = 0x300; /* offset 0x100 + 0x300 > 0x300 bytes of file */
    s.ph[0].memsz = 0x300;
    refuse_elf(&s, 0, "ELF segment 0: its data (0x300 bytes at offset 0x100) runs past the end");
    s = good_elf();
    s.ph[1].offset = 0xfffffff8; /* offset + size wraps in 32 bits */
    refuse_elf(&s, 0, "runs past the end of the file");
    s = good_elf();
    s.ph[1].memsz = 0xfffff000; /* huge */
    refuse_elf(&s, 0, "past the end of the 32-bit address space");
    s = good_elf();
    s.ph[1].paddr = 0x40000000;
    s.ph[1].memsz = 0x100000; /* all of RAM: in RAM, but over the text segment */
    refuse_elf(&s, 0, "overlap");
    s = good_elf();
    s.ph[1].filesz = 0x2000;
    refuse_elf(&s, 0, "p_filesz 0x2000 is larger than p_memsz 0x1000");
}

static void test_raw_refused(void)
{
    char *why = NULL;
    expect_refused(open_bytes("", 0, RAM_SIZE, &why), &why, "empty");
    uint8_t *big = g_malloc0(0x20000);
    expect_refused(open_bytes(big, 0x20000, 0x20000, &why), &why,
                   "a raw image of 131072 bytes does not fit in RAM at 0x40010000");
    expect_refused(open_bytes(big, 0x100, 0x8000, &why), &why, "does not fit in RAM");
    g_free(big);
    static const uint8_t uimage[16] = {0x27, 0x05, 0x19, 0x56};
    expect_refused(open_bytes(uimage, sizeof(uimage), RAM_SIZE, &why), &why, "uImage");
    char *missing = g_build_filename(tmpdir, "missing", NULL);
    expect_refused(boot_image_open(missing, RAM_BASE, RAM_SIZE, &why), &why, "cannot read it");
    expect_refused(boot_image_open(tmpdir, RAM_BASE, RAM_SIZE, &why), &why, "not a regular file");
    g_free(missing);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("percore-boot-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/boot/elf/loads", test_elf_loads);
    g_test_add_func("/boot/elf/thumb-and-paddr", test_elf_thumb_and_paddr);
    g_test_add_func("/boot/elf/tail-overlap", test_elf_tail_overlap);
    g_test_add_func("/boot/raw/loads", test_raw_loads);
    g_test_add_func("/boot/elf/header-refused", test_elf_header_refused);
    g_test_add_func("/boot/elf/segments-refused", test_elf_segments_refused);
    g_test_add_func("/boot/raw/refused", test_raw_refused);
    int status = g_test_run();
    char *image = g_build_filename(tmpdir, "image", NULL);
    g_unlink(image);
    g_rmdir(tmpdir);
    g_free(image);
    g_free(tmpdir);
    return status;
}

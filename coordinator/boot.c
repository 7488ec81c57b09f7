/* -kernel loading for the virt board (see boot.h for what qemu does and why).
 * The image is untrusted input (invariant 6): every field that steers the load is
 * checked, in 64-bit arithmetic so that no sum can wrap, before a byte reaches RAM. */
#include "coordinator/boot.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOOT_EHDR_SIZE    52u /* sizeof(Elf32_Ehdr) */
#define BOOT_PHDR_SIZE    32u /* sizeof(Elf32_Phdr) */
#define BOOT_UIMAGE_MAGIC 0x27051956u
#define BOOT_PAGE         0x1000u
#define BOOT_INITRD_MAX   (128ull << 20)
/* Real images have a handful; the bound keeps the checks below (quadratic in it) short
 * whatever a file claims. */
#define BOOT_MAX_SEGMENTS 1024u

struct boot_file {
    int fd;
    uint64_t size;
};

/* Image fields are little-endian whatever the host is. */
static uint32_t boot_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t boot_le32(const uint8_t *p)
{
    return boot_le16(p) | boot_le16(p + 2) << 16;
}

/* All len bytes at off, or false (the file is shorter than it was: it changed). */
static bool boot_read_at(const struct boot_file *f, void *buf, uint64_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(f->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return true;
}

static bool boot_fail(char **why, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool boot_fail(char **why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return false;
}

static struct boot_segment *boot_add_segment(struct boot_image *img, uint64_t addr, uint64_t filesz,
                                             uint64_t memsz, uint64_t offset)
{
    img->seg = g_renew(struct boot_segment, img->seg, img->nseg + 1);
    img->seg[img->nseg] = (struct boot_segment){addr, filesz, memsz, offset, NULL};
    return &img->seg[img->nseg++];
}

static bool boot_read_segment(const struct boot_file *f, struct boot_segment *s, char **why)
{
    s->data = g_malloc(s->filesz ? s->filesz : 1);
    if (!boot_read_at(f, s->data, s->filesz, s->offset))
        return boot_fail(why, "the file changed while it was being read");
    return true;
}

static uint64_t boot_ram_end(const struct boot_image *img)
{
    return img->ram_base + img->ram_size;
}

/* ---- ELF ---------------------------------------------------------------------- */

/* A program header, decoded. */
struct boot_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags;
};

static struct boot_phdr boot_phdr_decode(const uint8_t *p)
{
    return (struct boot_phdr){
        .type = boot_le32(p + 0),
        .offset = boot_le32(p + 4),
        .vaddr = boot_le32(p + 8),
        .paddr = boot_le32(p + 12),
        .filesz = boot_le32(p + 16),
        .memsz = boot_le32(p + 20),
        .flags = boot_le32(p + 24),
    };
}

static bool boot_elf_check_ident(const uint8_t *eh, char **why)
{
    if (eh[EI_CLASS] != ELFCLASS32)
        return boot_fail(why,
                         "ELF class %u: only 32-bit ELF (ELFCLASS32) images run on "
                         "this board",
                         eh[EI_CLASS]);
    if (eh[EI_DATA] == ELFDATA2MSB)
        return boot_fail(why, "big-endian ELF images are not supported yet");
    if (eh[EI_DATA] != ELFDATA2LSB)
        return boot_fail(why, "bad ELF data encoding %u", eh[EI_DATA]);
    if (boot_le16(eh + 18) != EM_ARM)
        return boot_fail(why, "ELF machine %u is not ARM (%u)", boot_le16(eh + 18), EM_ARM);
    return true;
}

/* Reads the program-header table; NULL when its place in the file is impossible. */
static uint8_t *boot_elf_phdrs(const struct boot_file *f, const uint8_t *eh, char **why)
{
    uint32_t phoff = boot_le32(eh + 28), phentsize = boot_le16(eh + 42);
    uint32_t phnum = boot_le16(eh + 44);
    uint64_t bytes = (uint64_t)phnum * BOOT_PHDR_SIZE;
    if (phentsize != BOOT_PHDR_SIZE) {
        boot_fail(why, "ELF program headers of %u bytes (ELF32's are %u)", phentsize,
                  BOOT_PHDR_SIZE);
        return NULL;
    }
    if (phnum == 0) {
        boot_fail(why, "the ELF file has no program headers (nothing to load)");
        return NULL;
    }
    if ((uint64_t)phoff + bytes > f->size) {
        boot_fail(why,
                  "ELF program headers (%u at offset 0x%x) run past the end of the "
                  "file (%llu bytes)",
                  phnum, phoff, (unsigned long long)f->size);
        return NULL;
    }
    uint8_t *tab = g_malloc(bytes);
    if (!boot_read_at(f, tab, bytes, phoff)) {
        g_free(tab);
        boot_fail(why, "the file changed while it was being read");
        return NULL;
    }
    return tab;
}

static bool boot_elf_check_phdr(const struct boot_file *f, unsigned i, const struct boot_phdr *ph,
                                char **why)
{
    if (ph->filesz > ph->memsz)
        return boot_fail(why, "ELF segment %u: p_filesz 0x%x is larger than p_memsz 0x%x", i,
                         ph->filesz, ph->memsz);
    if ((uint64_t)ph->offset + ph->filesz > f->size)
        return boot_fail(why,
                         "ELF segment %u: its data (0x%x bytes at offset 0x%x) runs past "
                         "the end of the file (%llu bytes)",
                         i, ph->filesz, ph->offset, (unsigned long long)f->size);
    return true;
}

/* qemu's rule for images whose .data is placed in ROM and copied at run time: when a
 * segment's zero-filled tail would overlap another segment, only its file bytes are
 * loaded (include/hw/elf_ops.h). */
static uint64_t boot_elf_memsz(const struct boot_phdr *ph, unsigned n, unsigned i)
{
    uint64_t zero_start = (uint64_t)ph[i].paddr + ph[i].filesz;
    uint64_t zero_end = (uint64_t)ph[i].paddr + ph[i].memsz;
    if (ph[i].memsz <= ph[i].filesz)
        return ph[i].memsz;
    for (unsigned j = 0; j < n; j++) {
        uint64_t start = ph[j].paddr, end = (uint64_t)ph[j].paddr + ph[j].memsz;
        if (j != i && ph[j].type == PT_LOAD && start < zero_end && zero_start < end)
            return ph[i].filesz;
    }
    return ph[i].memsz;
}

static bool boot_check_in_ram(const struct boot_image *img, unsigned i, uint64_t addr, uint64_t len,
                              char **why)
{
    uint64_t end = addr + len;
    if (end > 1ull << 32)
        return boot_fail(why,
                         "ELF segment %u (0x%08llx, 0x%llx bytes) runs past the end of "
                         "the 32-bit address space",
                         i, (unsigned long long)addr, (unsigned long long)len);
    if (addr < img->ram_base || end > boot_ram_end(img))
        return boot_fail(why,
                         "ELF segment %u (0x%08llx-0x%08llx) is outside RAM "
                         "(0x%08llx-0x%08llx)",
                         i, (unsigned long long)addr, (unsigned long long)end - 1,
                         (unsigned long long)img->ram_base,
                         (unsigned long long)boot_ram_end(img) - 1);
    return true;
}

/* The entry point is a virtual address; where the executable segment that holds it
 * is loaded elsewhere (p_paddr != p_vaddr), qemu moves it by the same amount. */
static uint32_t boot_elf_entry(uint32_t entry, const struct boot_phdr *ph, unsigned n)
{
    uint32_t out = entry;
    for (unsigned i = 0; i < n; i++)
        if (ph[i].type == PT_LOAD && ph[i].vaddr != ph[i].paddr && (ph[i].flags & PF_X) &&
            entry >= ph[i].vaddr && entry - ph[i].vaddr < ph[i].filesz)
            out = entry - ph[i].vaddr + ph[i].paddr;
    return out;
}

static int boot_segment_cmp(const void *a, const void *b)
{
    const struct boot_segment *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Two segments over the same bytes: qemu refuses such an image (overlapping ROM blobs). */
static bool boot_check_overlaps(struct boot_image *img, char **why)
{
    qsort(img->seg, img->nseg, sizeof(img->seg[0]), boot_segment_cmp);
    for (unsigned i = 1; i < img->nseg; i++) {
        const struct boot_segment *p = &img->seg[i - 1], *s = &img->seg[i];
        if (p->addr + p->memsz > s->addr)
            return boot_fail(why, "ELF segments at 0x%08llx and 0x%08llx overlap",
                             (unsigned long long)p->addr, (unsigned long long)s->addr);
    }
    return true;
}

/* Every PT_LOAD segment: checked and placed, then (all of them known not to overlap,
 * so their data adds up to at most the RAM size) read. */
static bool boot_elf_segments(const struct boot_file *f, struct boot_image *img,
                              const struct boot_phdr *ph, unsigned n, char **why)
{
    unsigned loads = 0;
    for (unsigned i = 0; i < n; i++)
        loads += ph[i].type == PT_LOAD;
    if (loads > BOOT_MAX_SEGMENTS)
        return boot_fail(why, "the ELF file has %u loadable segments (at most %u)", loads,
                         BOOT_MAX_SEGMENTS);
    img->image_low = UINT64_MAX;
    for (unsigned i = 0; i < n; i++) {
        if (ph[i].type != PT_LOAD)
            continue;
        if (!boot_elf_check_phdr(f, i, &ph[i], why))
            return false;
        uint64_t memsz = boot_elf_memsz(ph, n, i);
        /* qemu's image_low_addr and image_high_addr count empty segments too. */
        img->image_low = MIN(img->image_low, ph[i].paddr);
        img->image_high = MAX(img->image_high, ph[i].paddr + memsz);
        if (memsz == 0)
            continue; /* empty segments load nothing (qemu skips them too) */
        if (!boot_check_in_ram(img, i, ph[i].paddr, memsz, why))
            return false;
        boot_add_segment(img, ph[i].paddr, ph[i].filesz, memsz, ph[i].offset);
    }
    if (img->nseg == 0)
        return boot_fail(why, "the ELF file has no loadable (PT_LOAD) segment");
    if (!boot_check_overlaps(img, why))
        return false;
    for (unsigned i = 0; i < img->nseg; i++)
        if (!boot_read_segment(f, &img->seg[i], why))
            return false;
    return true;
}

static bool boot_elf_parse(const struct boot_file *f, struct boot_image *img, char **why)
{
    uint8_t eh[BOOT_EHDR_SIZE];
    if (f->size < BOOT_EHDR_SIZE)
        return boot_fail(why,
                         "truncated ELF header: the file has %llu bytes, an ELF32 "
                         "header %u",
                         (unsigned long long)f->size, BOOT_EHDR_SIZE);
    if (!boot_read_at(f, eh, sizeof(eh), 0))
        return boot_fail(why, "the file changed while it was being read");
    if (!boot_elf_check_ident(eh, why))
        return false;
    uint8_t *tab = boot_elf_phdrs(f, eh, why);
    if (!tab)
        return false;
    unsigned n = boot_le16(eh + 44);
    struct boot_phdr *ph = g_new(struct boot_phdr, n);
    for (unsigned i = 0; i < n; i++)
        ph[i] = boot_phdr_decode(tab + (size_t)i * BOOT_PHDR_SIZE);
    g_free(tab);
    img->kind = BOOT_ELF;
    img->entry = boot_elf_entry(boot_le32(eh + 24), ph, n);
    bool ok = boot_elf_segments(f, img, ph, n, why);
    g_free(ph);
    return ok;
}

/* ---- raw images ---------------------------------------------------------------- */

static uint64_t boot_align(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

/* Where qemu puts the initrd for a raw image (info->initrd_start): half of RAM in, at
 * most 128 MiB in, or after the kernel if that is higher, page aligned. The device
 * tree goes there too when there is no initrd. */
static uint64_t boot_raw_initrd_addr(const struct boot_image *img)
{
    uint64_t at = img->ram_base + MIN(img->ram_size / 2, BOOT_INITRD_MAX);
    return boot_align(MAX(at, img->image_high), BOOT_PAGE);
}

/* Where qemu puts the device tree for a raw image: after the initrd, 4 KiB aligned. */
static uint64_t boot_raw_dtb_addr(const struct boot_image *img)
{
    if (img->has_initrd)
        return boot_align(img->initrd.addr + img->initrd.memsz, BOOT_DTB_ALIGN);
    return boot_raw_initrd_addr(img);
}

/* instead: what to use, for the message. */
static bool boot_raw_check_magic(const struct boot_file *f, const char *instead, char **why)
{
    uint8_t m[4];
    if (f->size < sizeof(m))
        return true;
    if (!boot_read_at(f, m, sizeof(m), 0))
        return boot_fail(why, "the file changed while it was being read");
    /* uImage headers are big-endian. qemu would unpack one; loading it raw would
     * run its header as code (or hand it to the kernel as the ramdisk). */
    uint32_t magic = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    if (magic == BOOT_UIMAGE_MAGIC)
        return boot_fail(why, "U-Boot uImage files are not supported (use the %s)", instead);
    return true;
}

static bool boot_raw_parse(const struct boot_file *f, struct boot_image *img, char **why)
{
    if (f->size == 0)
        return boot_fail(why, "the image is empty");
    if (!boot_raw_check_magic(f, "zImage", why))
        return false;
    uint64_t room = img->ram_size > BOOT_RAW_OFFSET ? img->ram_size - BOOT_RAW_OFFSET : 0;
    uint64_t addr = img->ram_base + BOOT_RAW_OFFSET;
    if (f->size > room)
        return boot_fail(why,
                         "a raw image of %llu bytes does not fit in RAM at 0x%08llx "
                         "(%llu bytes there)",
                         (unsigned long long)f->size, (unsigned long long)addr,
                         (unsigned long long)room);
    img->image_low = addr;
    img->image_high = addr + f->size;
    uint64_t dtb = boot_raw_dtb_addr(img);
    if (dtb >= boot_ram_end(img))
        return boot_fail(why, "no room is left in RAM for the device tree after the kernel");
    img->kind = BOOT_RAW;
    img->entry = (uint32_t)addr;
    img->r1 = BOOT_BOARD_ID;
    img->r2 = (uint32_t)dtb;
    return boot_read_segment(f, boot_add_segment(img, addr, f->size, f->size, 0), why);
}

/* ---- the image ------------------------------------------------------------------ */

static bool boot_is_elf(const struct boot_file *f)
{
    uint8_t m[SELFMAG];
    return f->size >= SELFMAG && boot_read_at(f, m, SELFMAG, 0) && memcmp(m, ELFMAG, SELFMAG) == 0;
}

static bool boot_open_file(const char *path, struct boot_file *f, char **why)
{
    struct stat st;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return boot_fail(why, "cannot read it: %s", strerror(errno));
    if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode))
        return boot_fail(why, "not a regular file");
    f->size = (uint64_t)st.st_size;
    return true;
}

struct boot_image *boot_image_open(const char *path, uint64_t ram_base, uint64_t ram_size,
                                   char **why)
{
    struct boot_file f = {.fd = -1};
    struct boot_image *img = g_new0(struct boot_image, 1);
    img->ram_base = ram_base;
    img->ram_size = ram_size;
    bool ok = boot_open_file(path, &f, why) &&
              (boot_is_elf(&f) ? boot_elf_parse(&f, img, why) : boot_raw_parse(&f, img, why));
    if (f.fd >= 0)
        close(f.fd);
    if (!ok) {
        boot_image_free(img);
        return NULL;
    }
    return img;
}

struct boot_image *boot_image_none(uint64_t ram_base, uint64_t ram_size)
{
    struct boot_image *img = g_new0(struct boot_image, 1);
    img->kind = BOOT_NONE;
    img->ram_base = ram_base;
    img->ram_size = ram_size;
    return img;
}

void boot_image_free(struct boot_image *img)
{
    if (!img)
        return;
    for (unsigned i = 0; i < img->nseg; i++)
        g_free(img->seg[i].data);
    g_free(img->seg);
    g_free(img->initrd.data);
    g_free(img->dtb.data);
    g_free(img->seed);
    g_free(img);
}

/* ---- initrd and device tree ------------------------------------------------------ */

bool boot_image_has_initrd(const struct boot_image *img)
{
    return img->has_initrd;
}

/* As qemu's arm_setup_direct_kernel_boot: "not enough space after kernel to load
 * initrd", "too big to fit into RAM after the kernel"; and its "Not enough space for
 * DTB after kernel/initrd" is checked here too, while the initrd is named. */
bool boot_image_add_initrd(struct boot_image *img, const char *path, char **why)
{
    g_assert(img->kind == BOOT_RAW && !img->has_initrd);
    uint64_t at = boot_raw_initrd_addr(img), end = boot_ram_end(img);
    struct boot_file f = {.fd = -1};
    bool ok = boot_open_file(path, &f, why);
    if (ok && at >= end)
        ok = boot_fail(why, "no room is left in RAM for it after the kernel (RAM ends at 0x%08llx)",
                       (unsigned long long)end - 1);
    else if (ok && f.size > end - at)
        ok = boot_fail(why,
                       "an initrd of %llu bytes does not fit in RAM at 0x%08llx (%llu bytes "
                       "there)",
                       (unsigned long long)f.size, (unsigned long long)at,
                       (unsigned long long)(end - at));
    else if (ok)
        ok = boot_raw_check_magic(&f, "raw ramdisk", why);
    if (ok && boot_align(at + f.size, BOOT_DTB_ALIGN) >= end)
        ok = boot_fail(why, "no room is left for the device tree after it (RAM ends at 0x%08llx)",
                       (unsigned long long)end - 1);
    if (ok) {
        img->initrd = (struct boot_segment){at, f.size, f.size, 0, NULL};
        ok = boot_read_segment(&f, &img->initrd, why);
        img->has_initrd = true; /* data freed with the image even on failure */
    }
    if (f.fd >= 0)
        close(f.fd);
    return ok;
}

/* qemu's rules (hw/arm/boot.c): after the initrd for a raw image; at the RAM base for
 * no kernel; for an ELF, at the RAM base only when the image starts above it and the
 * tree fits below the image (arm_load_dtb's addr_limit), else not at all. */
static bool boot_dtb_where(const struct boot_image *img, uint64_t size, uint64_t *at)
{
    switch (img->kind) {
    case BOOT_RAW: *at = boot_raw_dtb_addr(img); return true;
    case BOOT_NONE: *at = img->ram_base; return true;
    case BOOT_ELF:
        *at = img->ram_base;
        return img->image_low > img->ram_base && size <= img->image_low - img->ram_base;
    }
    g_assert_not_reached();
}

bool boot_image_set_dtb(struct boot_image *img, uint8_t *blob, uint64_t size,
                        struct boot_range *seed, unsigned nseed, char **why)
{
    g_assert(!img->dtb.data);
    uint64_t at = 0, end = boot_ram_end(img);
    img->dtb = (struct boot_segment){0, size, size, 0, blob};
    img->seed = seed;
    img->nseed = nseed;
    img->dtb_placed = boot_dtb_where(img, size, &at);
    if (!img->dtb_placed)
        return true;
    if (at >= end || size > end - at) {
        img->dtb_placed = false;
        return boot_fail(why,
                         "the device tree (%llu bytes) does not fit in RAM at 0x%08llx "
                         "(RAM ends at 0x%08llx)",
                         (unsigned long long)size, (unsigned long long)at,
                         (unsigned long long)end - 1);
    }
    img->dtb.addr = at;
    if (img->kind == BOOT_RAW)
        img->r2 = (uint32_t)at;
    return true;
}

void boot_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    for (; len; len--) /* no getrandom(2): seeds for a guest, not keys */
        *p++ = (uint8_t)g_random_int();
}

static void boot_segment_load(const struct boot_image *img, const struct boot_segment *s,
                              uint8_t *ram)
{
    uint8_t *dst = ram + (s->addr - img->ram_base);
    memcpy(dst, s->data, s->filesz);
    memset(dst + s->filesz, 0, s->memsz - s->filesz);
}

void boot_image_load(const struct boot_image *img, uint8_t *ram)
{
    for (unsigned i = 0; i < img->nseg; i++)
        boot_segment_load(img, &img->seg[i], ram);
    if (img->has_initrd)
        boot_segment_load(img, &img->initrd, ram);
    if (!img->dtb_placed)
        return;
    boot_segment_load(img, &img->dtb, ram);
    uint8_t *dtb = ram + (img->dtb.addr - img->ram_base);
    for (unsigned i = 0; i < img->nseed; i++) /* checked against the size when found */
        boot_random(dtb + img->seed[i].offset, img->seed[i].len);
}

/* For a raw image these are the registers qemu's boot stub (mov r0, #0; ldr r1; ldr r2;
 * ldr pc) leaves when it jumps to the kernel; percore starts there directly, so RAM
 * below the kernel holds no stub. */
void boot_image_set_regs(const struct boot_image *img, struct arm_regs *regs)
{
    if (img->kind == BOOT_NONE)
        return;
    regs->r[0] = img->r0;
    regs->r[1] = img->r1;
    regs->r[2] = img->r2;
    regs->r[15] = img->entry & ~1u;
    arm_regs_set_cpsr_bits(regs, BOOT_CPSR | (img->entry & 1 ? BOOT_CPSR_T : 0));
}

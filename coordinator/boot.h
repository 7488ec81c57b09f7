/* Boot images: -kernel read, checked and held in memory as qemu-system-arm 7.2 loads
 * it for -M virt (hw/arm/boot.c), with -initrd and the device tree, then copied into
 * guest RAM at start and at every reset (qemu keeps its images as ROM blobs and copies
 * them again on reset too).
 *
 * - An ELF file (first bytes "\x7fELF") must be an ELF32 little-endian ARM image; its
 *   PT_LOAD segments go to their physical addresses (p_paddr), the p_memsz - p_filesz
 *   tail zeroed, and the CPU starts at e_entry with r0-r2 zero: qemu treats an ELF as
 *   a bare-metal program and passes it nothing. It loads no initrd for one either; the
 *   device tree goes to the RAM base when it fits below the image's lowest address
 *   (qemu's dtb_limit), and nowhere otherwise (qemu writes it to address 0, in the
 *   flash, for an image that starts at the RAM base; percore has no flash).
 * - Anything else is a raw image (a Linux zImage or Image, a flat binary) loaded at
 *   RAM base + 0x10000 (qemu's KERNEL_LOAD_ADDR). qemu enters it through a boot stub
 *   at the RAM base that sets r0 = 0, r1 = 0xffffffff (the virt board has no machine
 *   number) and r2 = the device tree's address; percore starts the CPU in the state
 *   that stub leaves (see boot_image_set_regs). The initrd goes at RAM base +
 *   min(RAM / 2, 128 MiB), or after the kernel if that is higher, page aligned; the
 *   device tree right after the initrd (at the initrd's place without one), 4 KiB
 *   aligned.
 * - With no -kernel the device tree alone goes to the RAM base, for firmware to find
 *   (qemu's firmware boot), and the CPU keeps its reset state.
 * Either way the CPU is in its reset state, SVC mode with A, I and F masked (the virt
 * board has neither EL3 nor EL2 by default, so qemu changes no mode: BOOT_CPSR), ARM or
 * Thumb state from bit 0 of the entry address. All checked against qemu-system-arm
 * 7.2 with a guest that prints r0-r2, the CPSR and the PC it starts with, and with
 * its monitor (xp) for where the initrd and the device tree land. */
#ifndef PERCORE_COORD_BOOT_H
#define PERCORE_COORD_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/coordinator.h"
#include "shm/ctrl.h"

#define BOOT_RAW_OFFSET 0x10000u /* qemu's KERNEL_LOAD_ADDR, from the RAM base */
#define BOOT_DTB_ALIGN  0x1000u  /* qemu's alignment of the DTB after the initrd (32-bit) */
/* Far above any real device tree (qemu builds its own in 1 MiB); keeps libfdt's int
 * offsets and every buffer size in range whatever a -dtb file claims. */
#define BOOT_DTB_MAX  (16u << 20)
#define BOOT_BOARD_ID 0xffffffffu /* r1 for a raw image: no machine number (DT only) */
/* The CPSR out of reset: SVC, A I F masked, ARM, little-endian (ARM ARM B1.9.2), and Z
 * set: the flags are UNKNOWN architecturally, and qemu's reset leaves them N=0 Z=1 C=0
 * V=0 (its zero-filled Z word reads as "result was zero"; a guest that reads the CPSR
 * first thing sees 0x400001d3 there), so percore's transcripts agree with qemu's. */
#define BOOT_CPSR   0x400001d3u
#define BOOT_CPSR_T 0x20u

/* BOOT_NONE: no -kernel; only the device tree is loaded, and the CPU is left alone. */
enum boot_kind { BOOT_ELF, BOOT_RAW, BOOT_NONE };

/* One piece of the image: filesz bytes of data at addr, then zeroes up to memsz. */
struct boot_segment {
    uint64_t addr; /* guest-physical, inside RAM */
    uint64_t filesz, memsz;
    uint64_t offset; /* of the data in the file */
    uint8_t *data;   /* filesz bytes, read once the whole image is checked */
};

/* Bytes of the device tree that are refilled with random bytes at every load: the
 * rng-seed properties, as qemu's qemu_fdt_randomize_seeds does at every reset. */
struct boot_range {
    uint32_t offset, len;
};

struct boot_image {
    enum boot_kind kind;
    uint64_t ram_base, ram_size;
    /* The kernel's extent as qemu computes it (image_low_addr, image_high_addr): every
     * PT_LOAD segment of an ELF, empty ones included; [load address, + size) for a raw
     * image. */
    uint64_t image_low, image_high;
    uint32_t entry; /* as qemu's cpu_set_pc takes it: bit 0 set means Thumb */
    uint32_t r0, r1, r2;
    unsigned nseg;
    struct boot_segment *seg; /* the kernel's */
    bool has_initrd;
    struct boot_segment initrd; /* -initrd, raw kernels only (memsz may be 0) */
    /* The device tree: always built (or read), placed when dtb_placed. */
    bool dtb_placed;
    struct boot_segment dtb;
    unsigned nseed;
    struct boot_range *seed;
};

/* boot_image_open(), boot_image_finish(), boot_image_dtb() and boot_image_free() are
 * declared in coordinator.h (cmd/ uses them). */
/* An image with no kernel: the device tree alone (no -kernel). */
struct boot_image *boot_image_none(uint64_t ram_base, uint64_t ram_size);
/* Reads -initrd for a raw image and places it where qemu does. false and *why (one
 * line without the path) when it cannot be read or does not fit in RAM. */
bool boot_image_add_initrd(struct boot_image *img, const char *path, char **why);
/* Takes the device tree blob (g_malloc'd, size bytes) and its rng-seed ranges
 * (g_malloc'd, or NULL when nseed is 0), places it where qemu does, and points r2 at
 * it for a raw image. false and *why (one line) when it does not fit in RAM; the
 * blob and ranges are taken either way. */
bool boot_image_set_dtb(struct boot_image *img, uint8_t *blob, uint64_t size,
                        struct boot_range *seed, unsigned nseed, char **why);
/* Copies the image into RAM (ram is the host address of guest-physical ram_base): the
 * kernel, the initrd, and the device tree with fresh rng-seed bytes. */
void boot_image_load(const struct boot_image *img, uint8_t *ram);
/* The boot vCPU's registers as the image wants them; the rest of regs is the
 * caller's reset state (left alone for BOOT_NONE). */
void boot_image_set_regs(const struct boot_image *img, struct arm_regs *regs);
/* len bytes from getrandom(2) (glib's generator if the kernel has none). */
void boot_random(void *buf, size_t len);

/* ---- the device tree (coordinator/fdt.c) ---------------------------------------- */

/* What the boot adds to every tree, built or -dtb, as qemu's arm_load_dtb does. */
struct virt_fdt_boot {
    uint64_t ram_base, ram_size;
    const char *bootargs;  /* -append; NULL or "" adds none (a tree's own stays) */
    uint64_t initrd_start; /* linux,initrd-start and -end when initrd_size != 0 */
    uint64_t initrd_size;
};

/* The virt board's tree as qemu-system-arm 7.2 builds it (hw/arm/virt.c) for the
 * devices percore's board has: the root, /chosen with fresh kaslr-seed and rng-seed,
 * /apb-pclk, /timer, /cpus with cpu-map, /intc (GICv2), /pl011 (stdout-path), /pl031;
 * the same nodes, properties, order and phandles as qemu's. virt_fdt_boot_fixup adds
 * /memory, the rest of /chosen and /psci. g_free it. */
void *virt_fdt_create(unsigned ncpus);
/* qemu's arm_load_dtb on a tree (taken): every root memory node replaced by one for
 * the RAM (in the root's #address-cells and #size-cells, which must be 1 or 2),
 * /chosen created if missing, bootargs and the initrd range set, /psci replaced by
 * percore's PSCI (1.0 and 0.2 function IDs, hvc). Returns the tree packed (g_free it),
 * or NULL and *why (one line) when the tree cannot take it. */
void *virt_fdt_boot_fixup(void *fdt, const struct virt_fdt_boot *b, char **why);
/* A -dtb file, read and checked (header, size against the file and BOOT_DTB_MAX and
 * max_size, structure). NULL and *why (one line without the path) when it is not a
 * device tree percore can use. *size is the file's size. */
void *virt_fdt_read(const char *path, uint64_t max_size, uint64_t *size, char **why);
/* The rng-seed properties of a (checked) tree: *seed is g_malloc'd, NULL for none. */
unsigned virt_fdt_rng_seeds(const void *fdt, struct boot_range **seed);

#endif

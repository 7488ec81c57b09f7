/* Boot images: -kernel read, checked and held in memory as qemu-system-arm 7.2 loads
 * it for -M virt (hw/arm/boot.c), then copied into guest RAM at start and at every
 * reset (qemu keeps its images as ROM blobs and copies them again on reset too).
 *
 * - An ELF file (first bytes "\x7fELF") must be an ELF32 little-endian ARM image; its
 *   PT_LOAD segments go to their physical addresses (p_paddr), the p_memsz - p_filesz
 *   tail zeroed, and the CPU starts at e_entry with r0-r2 zero: qemu treats an ELF as
 *   a bare-metal program and passes it nothing.
 * - Anything else is a raw image (a Linux zImage or Image, a flat binary) loaded at
 *   RAM base + 0x10000 (qemu's KERNEL_LOAD_ADDR). qemu enters it through a boot stub
 *   at the RAM base that sets r0 = 0, r1 = 0xffffffff (the virt board has no machine
 *   number) and r2 = the device tree's address; percore starts the CPU in the state
 *   that stub leaves (see boot_image_set_regs).
 * Either way the CPU is in its reset state, SVC mode with A, I and F masked (the virt
 * board has neither EL3 nor EL2 by default, so qemu changes no mode: BOOT_CPSR), ARM or
 * Thumb state from bit 0 of the entry address. All checked against qemu-system-arm
 * 7.2 with a guest that prints r0-r2, the CPSR and the PC it starts with. */
#ifndef PERCORE_COORD_BOOT_H
#define PERCORE_COORD_BOOT_H

#include <stdint.h>

#include "coordinator/coordinator.h"
#include "shm/ctrl.h"

#define BOOT_RAW_OFFSET 0x10000u    /* qemu's KERNEL_LOAD_ADDR, from the RAM base */
#define BOOT_BOARD_ID   0xffffffffu /* r1 for a raw image: no machine number (DT only) */
/* The CPSR out of reset: SVC, A I F masked, ARM, little-endian (ARM ARM B1.9.2), and Z
 * set: the flags are UNKNOWN architecturally, and qemu's reset leaves them N=0 Z=1 C=0
 * V=0 (its zero-filled Z word reads as "result was zero"; a guest that reads the CPSR
 * first thing sees 0x400001d3 there), so percore's transcripts agree with qemu's. */
#define BOOT_CPSR   0x400001d3u
#define BOOT_CPSR_T 0x20u

enum boot_kind { BOOT_ELF, BOOT_RAW };

/* One piece of the image: filesz bytes of data at addr, then zeroes up to memsz. */
struct boot_segment {
    uint64_t addr; /* guest-physical, inside RAM */
    uint64_t filesz, memsz;
    uint64_t offset; /* of the data in the file */
    uint8_t *data;   /* filesz bytes, read once the whole image is checked */
};

struct boot_image {
    enum boot_kind kind;
    uint64_t ram_base, ram_size;
    uint32_t entry; /* as qemu's cpu_set_pc takes it: bit 0 set means Thumb */
    uint32_t r0, r1, r2;
    unsigned nseg;
    struct boot_segment *seg;
};

/* boot_image_open() and boot_image_free() are declared in coordinator.h (cmd/ uses them). */
/* Copies the image into RAM (ram is the host address of guest-physical ram_base). */
void boot_image_load(const struct boot_image *img, uint8_t *ram);
/* The boot vCPU's registers as the image wants them; the rest of regs is the
 * caller's reset state. */
void boot_image_set_regs(const struct boot_image *img, struct arm_regs *regs);

#endif

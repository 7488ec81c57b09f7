# Bare-metal guest test programs (tests/guest/*.c), built with arm-none-eabi-gcc into
# $(BUILD)/guest/NAME.elf, each linked with the runtime of tests/guest/runtime/.
# Included from the top Makefile, after it has set BUILD (build/ if it is empty);
# `make guests` builds them all.
# Every variable is prefixed GUEST_ and objects live under $(BUILD)/guest/, away from the
# host build's $(BUILD)/obj/ pattern rule.

# Including this file must not change the default goal of the including makefile.
GUEST_SAVED_GOAL := $(.DEFAULT_GOAL)

GUEST_CC ?= arm-none-eabi-gcc
GUEST_AR ?= arm-none-eabi-ar
GUEST_DIR := tests/guest
GUEST_OUT := $(or $(BUILD),build)/guest
GUEST_ARCH := -march=armv7-a -marm -mfloat-abi=soft
# -mno-unaligned-access: with the MMU off every data access is Strongly-ordered, where
# an unaligned access is UNPREDICTABLE (ARMv7); the compiler must not invent any. -fno-tree-loop-distribute-patterns keeps memset() from calling itself.
GUEST_CFLAGS := $(GUEST_ARCH) -ffreestanding -nostdlib -O2 -g -std=gnu11 \
	-Wall -Wextra -Werror -Wno-unused-parameter -mno-unaligned-access \
	-fno-tree-loop-distribute-patterns -fno-common -I$(GUEST_DIR)/runtime
GUEST_ASFLAGS := $(GUEST_ARCH) -g -I$(GUEST_DIR)/runtime
GUEST_LDSCRIPT := $(GUEST_DIR)/runtime/guest.ld
GUEST_LDFLAGS := $(GUEST_ARCH) -nostdlib -static -T $(GUEST_LDSCRIPT) \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments

GUEST_RT_CSRCS := $(wildcard $(GUEST_DIR)/runtime/*.c)
# start.S is linked into every guest; the other assembly files go into the archive.
GUEST_RT_SSRCS := $(filter-out $(GUEST_DIR)/runtime/start.S,$(wildcard $(GUEST_DIR)/runtime/*.S))
GUEST_RT_START := $(GUEST_OUT)/obj/runtime/start.o
GUEST_RT_OBJS := $(patsubst $(GUEST_DIR)/runtime/%.c,$(GUEST_OUT)/obj/runtime/%.o,$(GUEST_RT_CSRCS)) \
	$(patsubst $(GUEST_DIR)/runtime/%.S,$(GUEST_OUT)/obj/runtime/%.o,$(GUEST_RT_SSRCS))
GUEST_RT_LIB := $(GUEST_OUT)/libguestrt.a
GUEST_SRCS := $(wildcard $(GUEST_DIR)/*.c)
GUEST_NAMES := $(patsubst $(GUEST_DIR)/%.c,%,$(GUEST_SRCS))
GUEST_OBJS := $(patsubst %,$(GUEST_OUT)/obj/%.o,$(GUEST_NAMES))
GUEST_ELFS := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUEST_NAMES))

# Objects made through the pattern rules are kept (and not rebuilt every time).

.PHONY: guests
guests: $(GUEST_ELFS)

$(GUEST_OUT)/obj/%.o: $(GUEST_DIR)/%.c $(GUEST_DIR)/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OUT)/obj/%.o: $(GUEST_DIR)/%.S $(GUEST_DIR)/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(GUEST_RT_LIB): $(GUEST_RT_OBJS)
	@rm -f $@
	$(GUEST_AR) rcs $@ $^

# The runtime is an archive: a guest gets only the parts it uses (mmu.o's 16 KiB
# translation table goes only into guests that turn the MMU on).
$(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/%.o $(GUEST_RT_START) $(GUEST_RT_LIB) $(GUEST_LDSCRIPT)
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_RT_START) $< $(GUEST_RT_LIB)

-include $(wildcard $(GUEST_OUT)/obj/*.d $(GUEST_OUT)/obj/runtime/*.d)

.DEFAULT_GOAL := $(GUEST_SAVED_GOAL)

# percore: GNU make + pkg-config. `make help` lists the targets.
MODE ?= release
ifeq ($(MODE),release)
BUILD ?= build
MODE_CFLAGS := -O2 -g
else ifeq ($(MODE),debug)
BUILD ?= build-debug
MODE_CFLAGS := -O0 -g
else ifeq ($(MODE),asan)
BUILD ?= build-asan
MODE_CFLAGS := -O1 -g -fsanitize=address -fno-omit-frame-pointer
MODE_LDFLAGS := -fsanitize=address
else ifeq ($(MODE),ubsan)
BUILD ?= build-ubsan
MODE_CFLAGS := -O1 -g -fsanitize=undefined -fno-sanitize-recover=undefined
MODE_LDFLAGS := -fsanitize=undefined
else
$(error MODE must be release, debug, asan or ubsan (got '$(MODE)'))
endif

CC ?= gcc
PKGS := glib-2.0 libevent capstone
WARN := -Wall -Wextra -Werror -Wshadow -Wvla -Wframe-larger-than=16384 -Wmissing-prototypes \
        -Wstrict-prototypes -Wno-unused-parameter
CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(MODE_CFLAGS) -I. $(shell pkg-config --cflags $(PKGS)) $(EXTRA_CFLAGS)
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lfdt -lrt
LDFLAGS := $(MODE_LDFLAGS)

LIB_SRCS := $(wildcard util/*.c shm/*.c hw/*.c target-arm/*.c)
COORD_SRCS := $(wildcard coordinator/*.c) cmd/percore.c
CPU_SRCS := $(wildcard core-proc/*.c)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
BENCH_SRCS := $(wildcard bench/*.c)

LIB := $(BUILD)/libpercore.a
PROGS := $(BUILD)/percore $(BUILD)/percore-cpu $(BUILD)/percorectl
TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# Keep objects make sees as intermediate (bench/ and test objects).
.SECONDARY:

.PHONY: all deps test check test-isa-long run bench format clean help
all: $(PROGS) $(TESTS) $(BENCHES)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The A32 decoder, generated from its pattern table.
GEN := $(BUILD)/gen
$(GEN)/a32-decode.h $(GEN)/a32-decode.inc &: target-arm/a32.decode target-arm/gen-decoder.py
	@mkdir -p $(GEN)
	python3 target-arm/gen-decoder.py a32 target-arm/a32.decode $(GEN)/a32-decode
$(call obj,$(wildcard target-arm/*.c)): CFLAGS += -I$(GEN)
# Keep one indirect jump per IR op in the threaded interpreter: without these GCC
# merges them back into a single shared dispatch jump.
$(call obj,target-arm/interp.c): CFLAGS += -fno-gcse -fno-crossjumping
$(call obj,$(wildcard target-arm/*.c)): $(GEN)/a32-decode.h $(GEN)/a32-decode.inc

# The control socket's messages (coordinator/control.proto), for percore and percorectl.
CONTROL_PB := $(call obj,$(GEN)/control.pb-c.c)
CONTROL_USERS := $(call obj,coordinator/control.c coordinator/control_cmd.c cmd/percorectl.c)
$(GEN)/control.pb-c.c $(GEN)/control.pb-c.h &: coordinator/control.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) --proto_path=coordinator coordinator/control.proto
$(CONTROL_USERS): $(GEN)/control.pb-c.h
$(CONTROL_USERS) $(CONTROL_PB): CFLAGS += -I$(GEN) $(shell pkg-config --cflags libprotobuf-c)
$(BUILD)/percore $(BUILD)/percorectl: LDLIBS += $(shell pkg-config --libs libprotobuf-c)

$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/percore: $(call obj,$(COORD_SRCS)) $(CONTROL_PB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/percorectl: $(call obj,cmd/percorectl.c) $(CONTROL_PB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# -rdynamic: a crashing vCPU process's backtrace (core-proc/crash.c) names its functions.
$(BUILD)/percore-cpu: LDFLAGS += -rdynamic
$(BUILD)/percore-cpu: $(call obj,$(CPU_SRCS)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The ISA differential tests use Unicorn as the oracle (test-only dependency).
$(BUILD)/tests/test_isa_%: LDLIBS += $(shell pkg-config --libs unicorn)

# Unit tests of coordinator pieces link those objects too.
$(BUILD)/tests/test_boot: $(call obj,coordinator/boot.c)
$(BUILD)/tests/test_fdt: $(call obj,coordinator/fdt.c coordinator/boot.c)
# world.o comes after the library on the link line: the library again after it.
$(BUILD)/tests/test_world: $(call obj,coordinator/world.c)
$(BUILD)/tests/test_world: LDLIBS := $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(call obj,bench/%.c) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

include tests/guest/guest.mk
include bench/bench.mk
include tests/litmus/litmus.mk

deps:
	@sh mk/deps.sh

# The test command of README.md and .ci/run.
test: deps
	$(MAKE) all guests
	sh tests/run.sh $(BUILD)
check: test

# The long ISA differential run: 10^7 random sequences against Unicorn.
test-isa-long: all
	PERCORE_ISA_SEQS=10000000 TEST_TIMEOUT=7200 $(BUILD)/tests/test_isa_diff --tap

# The long litmus run: every tests/litmus test for 10^7 iterations under both emulators.
test-litmus-long: all
	$(MAKE) litmus LITMUS_ITER=10000000 LITMUS_OUT=$(BUILD)/litmus-long
	LITMUS_ELFS=$(BUILD)/litmus-long LITMUS_TIMEOUT=7200 sh tests/system/litmus.sh $(BUILD)

# Boots the default guest. Until Linux boots (roadmap), that is the hello guest:
# it prints its transcript on the UART and powers the machine off through PSCI.
RUN_KERNEL ?= $(BUILD)/guest/hello.elf
run: deps
	$(MAKE) all guests
	$(BUILD)/percore -M virt -cpu cortex-a15 -m 256 -nographic -kernel $(RUN_KERNEL) $(RUNARGS)

bench: all bench-guests $(GUEST_OUT)/gdbwork.elf
	$(BUILD)/bench/ring
	sh bench/cpu.sh $(BUILD)
	sh bench/board.sh $(BUILD)
	sh bench/gdb.sh $(BUILD)

format:
	clang-format -i $(wildcard */*.c */*.h tests/unit/*.c)

clean:
	rm -rf build build-debug build-asan build-ubsan

help:
	@echo "make [MODE=release|debug|asan|ubsan]   build into build/ (or build-MODE/)"
	@echo "make test     install missing packages, build, run the test suite"
	@echo "make run      install missing packages, build, start the default machine"
	@echo "make test-isa-long   10^7 random A32 sequences against Unicorn"
	@echo "make bench    run the benchmarks"
	@echo "make deps     install missing Debian packages (mk/packages.txt)"
	@echo "make format   clang-format the sources"
	@echo "make clean"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# CPU benchmark guests (bench/guest/*.c), built like the guest test programs of
# tests/guest/guest.mk (same compiler, flags, start-up object and runtime library) into
# $(BUILD)/bench/guest/NAME.elf. `make bench-guests` builds them; bench/cpu.sh runs them.
# Included from the top Makefile after tests/guest/guest.mk, whose GUEST_* variables
# and runtime rules it reuses. Every variable is prefixed BENCH_GUEST_.

# Including this file must not change the default goal of the including makefile.
BENCH_GUEST_SAVED_GOAL := $(.DEFAULT_GOAL)

BENCH_GUEST_DIR := bench/guest
BENCH_GUEST_OUT := $(or $(BUILD),build)/bench/guest
# Extra -D flags, e.g. BENCH_GUEST_DEFS=-DBENCH_ROUNDS=10 for a quick run.
BENCH_GUEST_DEFS ?=
BENCH_GUEST_CFLAGS := $(GUEST_CFLAGS) -I$(BENCH_GUEST_DIR) $(BENCH_GUEST_DEFS)

BENCH_GUEST_NAMES := $(patsubst $(BENCH_GUEST_DIR)/%.c,%,$(wildcard $(BENCH_GUEST_DIR)/*.c))
BENCH_GUEST_OBJS := $(patsubst %,$(BENCH_GUEST_OUT)/obj/%.o,$(BENCH_GUEST_NAMES))
BENCH_GUEST_ELFS := $(patsubst %,$(BENCH_GUEST_OUT)/%.elf,$(BENCH_GUEST_NAMES))

# The board's latency guests (bench/latency/*.c, run by bench/board.sh with -smp 2) are
# built the same way into $(BUILD)/bench/latency/.
BENCH_LAT_DIR := bench/latency
BENCH_LAT_OUT := $(or $(BUILD),build)/bench/latency
BENCH_LAT_NAMES := $(patsubst $(BENCH_LAT_DIR)/%.c,%,$(wildcard $(BENCH_LAT_DIR)/*.c))
BENCH_LAT_OBJS := $(patsubst %,$(BENCH_LAT_OUT)/obj/%.o,$(BENCH_LAT_NAMES))
BENCH_LAT_ELFS := $(patsubst %,$(BENCH_LAT_OUT)/%.elf,$(BENCH_LAT_NAMES))

.PHONY: bench-guests
bench-guests: $(BENCH_GUEST_ELFS) $(BENCH_LAT_ELFS) $(GUEST_OUT)/hello.elf

# Static pattern rules: explicit, so they win over the top Makefile's $(BUILD)/bench/%
# rule for host benchmarks, and the objects are not intermediate files.
$(BENCH_GUEST_OBJS): $(BENCH_GUEST_OUT)/obj/%.o: $(BENCH_GUEST_DIR)/%.c bench/bench.mk \
		$(GUEST_DIR)/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(BENCH_GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_GUEST_ELFS): $(BENCH_GUEST_OUT)/%.elf: $(BENCH_GUEST_OUT)/obj/%.o $(GUEST_RT_START) \
		$(GUEST_RT_LIB) $(GUEST_LDSCRIPT)
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_RT_START) $< $(GUEST_RT_LIB)

$(BENCH_LAT_OBJS): $(BENCH_LAT_OUT)/obj/%.o: $(BENCH_LAT_DIR)/%.c bench/bench.mk \
		$(GUEST_DIR)/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(BENCH_GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_LAT_ELFS): $(BENCH_LAT_OUT)/%.elf: $(BENCH_LAT_OUT)/obj/%.o $(GUEST_RT_START) \
		$(GUEST_RT_LIB) $(GUEST_LDSCRIPT)
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_RT_START) $< $(GUEST_RT_LIB)

-include $(wildcard $(BENCH_GUEST_OUT)/obj/*.d $(BENCH_LAT_OUT)/obj/*.d)

.DEFAULT_GOAL := $(BENCH_GUEST_SAVED_GOAL)

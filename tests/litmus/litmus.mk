# Litmus tests (tests/litmus/NAME.litmus, docs/litmus.md): tests/litmus/gen.py turns each
# into $(LITMUS_OUT)/NAME.c, which is built like a guest test program (tests/guest/guest.mk:
# same compiler, flags, start-up object and runtime library) and linked with harness.c
# into $(LITMUS_OUT)/NAME.elf. tests/system/litmus.sh runs them.
# Included from the top Makefile after tests/guest/guest.mk, whose GUEST_* variables and
# runtime rules it uses. Every variable is prefixed LITMUS_.
#
#   make litmus                                    $(BUILD)/litmus/*.elf, LITMUS_ITER each
#   make litmus LITMUS_ITER=1000 LITMUS_OUT=/tmp/l  another count, elsewhere
# `make guests` builds them too (so `make test` does).

# Including this file must not change the default goal of the including makefile.
LITMUS_SAVED_GOAL := $(.DEFAULT_GOAL)

LITMUS_DIR := tests/litmus
# Iterations per test (a compile-time define). 10^5 fits the time budget of
# tests/system/litmus.sh on a 2-CPU host; `make test-litmus-long` builds 10^7.
LITMUS_ITER ?= 100000
LITMUS_OUT ?= $(or $(BUILD),build)/litmus
LITMUS_CFLAGS := $(GUEST_CFLAGS) -I$(LITMUS_DIR) -DLITMUS_ITER=$(LITMUS_ITER)

LITMUS_SRCS := $(wildcard $(LITMUS_DIR)/*.litmus)
LITMUS_ELFS := $(patsubst $(LITMUS_DIR)/%.litmus,$(LITMUS_OUT)/%.elf,$(LITMUS_SRCS))
LITMUS_HARNESS := $(LITMUS_OUT)/obj/harness.o
# The iteration count is in every test object: a change of it must rebuild them.
LITMUS_STAMP := $(LITMUS_OUT)/obj/iter-$(LITMUS_ITER)

.PHONY: litmus test-litmus-long
litmus: $(LITMUS_ELFS)
guests: litmus

$(LITMUS_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(LITMUS_OUT)/obj/iter-*
	@touch $@

$(LITMUS_OUT)/src/%.c: $(LITMUS_DIR)/%.litmus $(LITMUS_DIR)/gen.py
	@mkdir -p $(dir $@)
	python3 $(LITMUS_DIR)/gen.py $< $@

$(LITMUS_OUT)/obj/%.o: $(LITMUS_OUT)/src/%.c $(LITMUS_DIR)/litmus.h $(LITMUS_DIR)/litmus.mk \
		$(GUEST_DIR)/guest.mk $(LITMUS_STAMP)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(LITMUS_CFLAGS) -c $< -o $@

$(LITMUS_HARNESS): $(LITMUS_DIR)/harness.c $(LITMUS_DIR)/litmus.h $(LITMUS_DIR)/litmus.mk \
		$(GUEST_DIR)/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(LITMUS_CFLAGS) -MMD -MP -c $< -o $@

$(LITMUS_OUT)/%.elf: $(LITMUS_OUT)/obj/%.o $(LITMUS_HARNESS) $(GUEST_RT_START) $(GUEST_RT_LIB) \
		$(GUEST_LDSCRIPT)
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_RT_START) $(LITMUS_HARNESS) $< $(GUEST_RT_LIB)

# Keep the generated sources and objects (they are intermediate files to make).
.SECONDARY: $(patsubst $(LITMUS_DIR)/%.litmus,$(LITMUS_OUT)/src/%.c,$(LITMUS_SRCS)) \
	$(patsubst $(LITMUS_DIR)/%.litmus,$(LITMUS_OUT)/obj/%.o,$(LITMUS_SRCS))

-include $(wildcard $(LITMUS_OUT)/obj/*.d)

.DEFAULT_GOAL := $(LITMUS_SAVED_GOAL)

/* util: logging with -d items, size parsing, process identity. The door of util/. */
#ifndef PERCORE_UTIL_H
#define PERCORE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PERCORE_VERSION "0.1.0"

/* -d items: X(enum suffix, name, help). The data is generated; names stay greppable. */
#define LOG_ITEMS(X)                                                                               \
    X(SUP, "sup", "supervision: process start, exit, crash policy")                                \
    X(RING, "ring", "cross-process messages sent and received")                                    \
    X(SHM, "shm", "shared-memory objects created, swept and removed")                              \
    X(IN_ASM, "in_asm", "guest instructions of each block translated (capstone)")                  \
    X(OP, "op", "the IR of each block translated")                                                 \
    X(EXEC, "exec", "each block executed")                                                         \
    X(INT, "int", "exceptions and interrupts taken")                                               \
    X(CPU, "cpu", "registers before each block")                                                   \
    X(UNIMP, "unimp", "unimplemented features the guest tried (system registers...)")              \
    X(GUEST_ERRORS, "guest_errors", "bad guest device programming and accesses")

enum log_item_bit {
#define LOG_ITEM_ENUM(id, name, help) LOG_BIT_##id,
    LOG_ITEMS(LOG_ITEM_ENUM)
#undef LOG_ITEM_ENUM
        LOG_BIT_COUNT
};

#define LOG_SUP          (1u << LOG_BIT_SUP)
#define LOG_RING         (1u << LOG_BIT_RING)
#define LOG_SHM          (1u << LOG_BIT_SHM)
#define LOG_IN_ASM       (1u << LOG_BIT_IN_ASM)
#define LOG_OP           (1u << LOG_BIT_OP)
#define LOG_EXEC         (1u << LOG_BIT_EXEC)
#define LOG_INT          (1u << LOG_BIT_INT)
#define LOG_CPU          (1u << LOG_BIT_CPU)
#define LOG_UNIMP        (1u << LOG_BIT_UNIMP)
#define LOG_GUEST_ERRORS (1u << LOG_BIT_GUEST_ERRORS)

/* Parses "item,item" (or "help") into a mask; on an unknown item returns false
 * and points *bad at it (caller frees nothing: *bad is a copy owned by the caller). */
bool log_parse_items(const char *list, uint32_t *mask, char **bad);
void log_print_items(FILE *out);

/* Sets the program tag ("percore", "percore-cpu2"), the enabled items and the
 * log file (NULL: stderr). Returns 0 or -errno if the file cannot be opened. */
int log_init(const char *tag, uint32_t items, const char *file);
bool log_enabled(uint32_t item);
/* A line under a -d item, only when that item is enabled. */
void log_item(uint32_t item, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line that is always shown: to stderr, and to the log file too when there is one. */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "256", "256M", "1G", "64k": a byte count; a bare number is in default_unit. */
bool util_parse_size(const char *s, uint64_t default_unit, uint64_t *out);
/* Start time of a process (clock ticks since boot, /proc/PID/stat field 22):
 * with the pid it names one process for ever, even after the pid is reused. */
bool util_proc_starttime(pid_t pid, uint64_t *start);
/* Monotonic nanoseconds. */
uint64_t util_now_ns(void);

/* Parses argv with entries (NULL-terminated GOptionEntry array) under summary; a
 * bad option is one log_notice line. For the helper programs; percore's own command
 * line (cmd/) takes qemu's spellings and needs more. */
struct _GOptionEntry;
bool util_parse_options(int argc, char **argv, const char *summary,
                        const struct _GOptionEntry *entries);

#endif

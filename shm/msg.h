/* The message catalogue: every message that crosses a process boundary on a ring.
 * Messages are fixed 64-byte slots (one cache line); each type declares its struct,
 * and a build-time assertion plus a run-time size check keep sender and receiver honest. */
#ifndef PERCORE_SHM_MSG_H
#define PERCORE_SHM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_SLOT_SIZE 64u

/* Common header. size is the sender's sizeof(struct msg_TYPE); the receiver
 * rejects a message whose size is not the catalogue's for its type. */
struct msg_hdr {
    uint16_t type;
    uint16_t size;
    uint16_t src; /* sending endpoint index */
    uint16_t flags;
    uint32_t seq; /* per (src, dst) sequence number, starting at 1 */
    uint32_t reserved;
};

/* Echo request and reply: liveness probes, tests and the ring benchmark. */
struct msg_ping {
    struct msg_hdr hdr;
    uint64_t token;
    uint64_t sent_ns;
};

struct msg_pong {
    struct msg_hdr hdr;
    uint64_t token;
    uint64_t sent_ns;
};

/* A vCPU process announces itself once its mappings are up. */
struct msg_cpu_started {
    struct msg_hdr hdr;
    uint32_t index;
    int32_t pid;
};

/* A device access a vCPU sends to the device's owner. A read waits for the
 * MSG_MMIO_DATA with the same token; a write is posted (ring order keeps it before
 * anything the vCPU sends later). */
struct msg_mmio_read {
    struct msg_hdr hdr;
    uint64_t addr;
    uint32_t size; /* 1, 2, 4 or 8 bytes */
    uint32_t token;
};

struct msg_mmio_write {
    struct msg_hdr hdr;
    uint64_t addr;
    uint64_t value;
    uint32_t size;
    uint32_t pad;
};

struct msg_mmio_data {
    struct msg_hdr hdr;
    uint64_t value;
    uint32_t token;
    uint32_t ok; /* 0: no device answered: the vCPU takes an external abort */
};

/* Machine-wide events a vCPU raises (PSCI SYSTEM_OFF and SYSTEM_RESET). */
enum system_event { SYSTEM_EVENT_OFF = 1, SYSTEM_EVENT_RESET = 2 };
struct msg_system_event {
    struct msg_hdr hdr;
    uint32_t event;
    uint32_t pc;
};

/* A vCPU stored into a RAM page the receiver holds translated code from: the receiver
 * drops that page's translations before it runs them again. */
struct msg_code_inval {
    struct msg_hdr hdr;
    uint32_t ram_page;
    uint32_t pad;
};

/* The all-stop gdbstub (docs/debugging.md): a vCPU stopped at a breakpoint, watchpoint
 * or step (target-arm's struct arm_debug_stop) and waits until the coordinator lets this
 * report go (struct gdb_cpu_area, util/gdb.h). */
struct msg_debug_stop {
    struct msg_hdr hdr;
    uint32_t index;
    uint32_t report; /* the vCPU's count of reports, this one included */
    uint32_t cause, type, addr;
    uint32_t pc;
};

/* Stress-test payload: words derived from seq, and a checksum over them,
 * so a torn, stale or duplicated slot is detected. */
struct msg_test {
    struct msg_hdr hdr;
    uint64_t seq64;
    uint64_t word[4];
    uint64_t checksum;
};

/* X(TYPE, struct name, description) — generates the type enum, the size table
 * and the size assertions; each struct above is written out by hand. */
#define MSG_CATALOGUE(X)                                                                           \
    X(MSG_PING, msg_ping, "echo request")                                                          \
    X(MSG_PONG, msg_pong, "echo reply")                                                            \
    X(MSG_CPU_STARTED, msg_cpu_started, "vCPU process is up (index, pid)")                         \
    X(MSG_TEST, msg_test, "stress-test payload (sequence, words, checksum)")                       \
    X(MSG_MMIO_READ, msg_mmio_read, "device read: address, size, token (vCPU -> owner)")           \
    X(MSG_MMIO_WRITE, msg_mmio_write, "posted device write: address, value, size")                 \
    X(MSG_MMIO_DATA, msg_mmio_data, "device read reply: value, token, ok (owner -> vCPU)")         \
    X(MSG_SYSTEM_EVENT, msg_system_event, "PSCI SYSTEM_OFF / SYSTEM_RESET (vCPU -> coord)")        \
    X(MSG_CODE_INVAL, msg_code_inval, "drop translations of a RAM page (vCPU -> vCPU)")        \
    X(MSG_DEBUG_STOP, msg_debug_stop, "stopped for the all-stop gdbstub (vCPU -> coord)")

enum msg_type {
    MSG_NONE = 0,
#define MSG_ENUM(type, st, desc) type,
    MSG_CATALOGUE(MSG_ENUM)
#undef MSG_ENUM
        MSG_TYPE_COUNT
};

#define MSG_SIZE_ASSERT(type, st, desc)                                                            \
    _Static_assert(sizeof(struct st) <= MSG_SLOT_SIZE, #st " exceeds a ring slot");                \
    _Static_assert(offsetof(struct st, hdr) == 0, #st " must start with its header");
MSG_CATALOGUE(MSG_SIZE_ASSERT)
#undef MSG_SIZE_ASSERT
_Static_assert(sizeof(struct msg_hdr) == 16, "msg_hdr layout");

/* One ring slot: any message, as raw storage. */
union msg_slot {
    struct msg_hdr hdr;
    uint8_t bytes[MSG_SLOT_SIZE];
    uint64_t align; /* messages hold 64-bit fields: a slot may be cast to any of them */
};
_Static_assert(sizeof(union msg_slot) == MSG_SLOT_SIZE, "slot size");

struct msg_info {
    const char *name;
    const char *desc;
    uint16_t size;
};

/* Catalogue entry for a type, or NULL for an unknown type. */
const struct msg_info *msg_info(unsigned type);
/* True when the header names a known type with that type's size. */
bool msg_valid(const struct msg_hdr *hdr);
/* Fills a header for a message of this type (size from the catalogue). */
void msg_init(struct msg_hdr *hdr, enum msg_type type);
/* The reply to a ping: same token and send time. */
void msg_pong_for(struct msg_pong *r, const struct msg_ping *p);
/* The stress payload: words from seq, checksum over them. */
void msg_test_fill(struct msg_test *m, uint64_t seq);
bool msg_test_check(const struct msg_test *m, uint64_t seq);

#endif

/* The guest debugger's side of the CPU (docs/debugging.md): breakpoints, watchpoints and
 * single steps for a GDB stub, without touching guest memory.
 *
 * While the debugger's set is not empty, arm_cpu_run hands over to debug_run: one
 * instruction per block (blocks translated with TBF_ONE, cached apart from the normal
 * ones), the pc checked against the breakpoints before each, and a stop after one
 * instruction when a step was asked. Breakpoints are a pc check, not a BKPT written into
 * memory, so other vCPUs running the same code never see them and a guest that reads
 * its own code reads its own bytes. Watchpoints: the TLB gives every page a watchpoint
 * covers TLB_DEBUG on the tags of the accesses it watches, so those accesses take the
 * slow path, which checks the range once the access is done; the CPU then stops at the
 * next instruction boundary and reports the data address (as qemu's gdbstub does: the
 * access has happened and the pc is past it). With an empty set nothing here runs and
 * the normal blocks and the fast path are what they were. */
#include <string.h>

#include "target-arm/internal.h"
#include "util/util.h"

static bool debug_is_watch(unsigned type)
{
    return type == ARM_POINT_WRITE || type == ARM_POINT_READ || type == ARM_POINT_ACCESS;
}

/* The list a point of this type lives in, and its length and capacity. */
static struct arm_point *debug_list(struct arm_debug_set *s, unsigned type, uint32_t **n,
                                    unsigned *cap)
{
    if (debug_is_watch(type)) {
        *n = &s->n_watch;
        *cap = ARM_DEBUG_MAX_WATCH;
        return s->watch;
    }
    *n = &s->n_break;
    *cap = ARM_DEBUG_MAX_BREAK;
    return s->brk;
}

static int debug_find(const struct arm_point *list, uint32_t n, unsigned type, uint32_t addr,
                      uint32_t len)
{
    for (uint32_t i = 0; i < n; i++)
        if (list[i].type == type && list[i].addr == addr && list[i].len == len)
            return (int)i;
    return -1;
}

bool arm_debug_add(struct arm_debug_set *s, unsigned type, uint32_t addr, uint32_t len)
{
    if (type > ARM_POINT_ACCESS || len == 0)
        return false;
    /* A watched range may not wrap around the address space. */
    if (debug_is_watch(type) && addr + (len - 1) < addr)
        return false;
    uint32_t *n;
    unsigned cap;
    struct arm_point *list = debug_list(s, type, &n, &cap);
    if (*n > cap)
        *n = cap; /* a set from shared memory is not trusted */
    if (debug_find(list, *n, type, addr, len) >= 0)
        return true; /* the protocol's inserts are idempotent */
    if (*n >= cap)
        return false;
    list[(*n)++] = (struct arm_point){.type = type, .addr = addr, .len = len};
    return true;
}

bool arm_debug_remove(struct arm_debug_set *s, unsigned type, uint32_t addr, uint32_t len)
{
    uint32_t *n;
    unsigned cap;
    struct arm_point *list = debug_list(s, type, &n, &cap);
    if (*n > cap)
        *n = cap;
    int i = debug_find(list, *n, type, addr, len);
    if (i < 0)
        return false;
    list[i] = list[--(*n)];
    return true;
}

void arm_cpu_set_debug(struct arm_cpu *cpu, const struct arm_debug_set *s)
{
    bool had_watch = cpu->debug_watch;
    cpu->debug = *s;
    if (cpu->debug.n_break > ARM_DEBUG_MAX_BREAK)
        cpu->debug.n_break = ARM_DEBUG_MAX_BREAK;
    if (cpu->debug.n_watch > ARM_DEBUG_MAX_WATCH)
        cpu->debug.n_watch = ARM_DEBUG_MAX_WATCH;
    cpu->debug_watch = cpu->debug.n_watch != 0;
    cpu->debug_on = cpu->debug.n_break || cpu->debug_watch || cpu->debug.step;
    cpu->watch_hit = false;
    /* The TLB's TLB_DEBUG flags follow the watchpoints: refill every entry. */
    if (had_watch || cpu->debug_watch)
        tlb_flush(cpu);
}

struct arm_debug_stop arm_cpu_debug_stop(const struct arm_cpu *cpu)
{
    return cpu->debug_stop;
}

void debug_tlb_mark(const struct arm_cpu *cpu, uint32_t page, struct tlb_entry *e)
{
    for (uint32_t i = 0; i < cpu->debug.n_watch; i++) {
        const struct arm_point *w = &cpu->debug.watch[i];
        uint32_t last = w->addr + (w->len - 1);
        if (last < page || w->addr > page + (PAGE_SIZE - 1))
            continue;
        if (w->type != ARM_POINT_WRITE && !(e->addr_read & TLB_INVALID))
            e->addr_read |= TLB_DEBUG;
        if (w->type != ARM_POINT_READ && !(e->addr_write & TLB_INVALID))
            e->addr_write |= TLB_DEBUG;
    }
}

void debug_watch_check(struct arm_cpu *cpu, uint32_t va, unsigned bytes, bool write)
{
    if (cpu->watch_hit) /* the first one an instruction hits is reported */
        return;
    uint32_t last = va + (bytes - 1);
    for (uint32_t i = 0; i < cpu->debug.n_watch; i++) {
        const struct arm_point *w = &cpu->debug.watch[i];
        if (w->type == (write ? ARM_POINT_READ : ARM_POINT_WRITE))
            continue;
        if (last < w->addr || va > w->addr + (w->len - 1))
            continue;
        cpu->watch_hit = true;
        cpu->debug_stop = (struct arm_debug_stop){
            .cause = ARM_DEBUG_WATCH,
            .type = w->type,
            .addr = va > w->addr ? va : w->addr, /* inside the watched range */
        };
        return;
    }
}

static bool debug_break_at(const struct arm_cpu *cpu, uint32_t pc, uint32_t *type)
{
    for (uint32_t i = 0; i < cpu->debug.n_break; i++)
        if (cpu->debug.brk[i].addr == pc) {
            *type = cpu->debug.brk[i].type;
            return true;
        }
    return false;
}

static enum arm_exit_reason debug_stopped(struct arm_cpu *cpu, unsigned cause, unsigned type,
                                          uint32_t addr)
{
    cpu->debug_stop = (struct arm_debug_stop){.cause = cause, .type = type, .addr = addr};
    cpu->debug.step = 0; /* spent: the stub asks again for another */
    cpu->debug_on = cpu->debug.n_break || cpu->debug_watch;
    return ARM_EXIT_DEBUG;
}

enum arm_exit_reason debug_run(struct arm_cpu *cpu, uint64_t max_blocks)
{
    uint64_t start = cpu->stats.blocks;
    for (;;) {
        bool drop = false;
        /* No interrupt is taken while stepping (qemu's default too): a step goes to the
         * next instruction, not into a handler. */
        int why = arm_cpu_boundary(cpu, !cpu->debug.step, &drop);
        if (why >= 0)
            return (enum arm_exit_reason)why;
        if (max_blocks && cpu->stats.blocks - start >= max_blocks)
            return ARM_EXIT_BUDGET;
        uint32_t pc = cpu->regs->r[15], type;
        if (debug_break_at(cpu, pc, &type))
            return debug_stopped(cpu, ARM_DEBUG_BREAK, type, pc);
        struct tb *tb = tb_lookup(cpu, pc, arm_tb_flags(cpu->regs) | TBF_ONE);
        if (!tb) { /* a prefetch abort was taken: that was the instruction */
            cpu->exception_taken = false;
            if (cpu->debug.step)
                return debug_stopped(cpu, ARM_DEBUG_STEP, 0, cpu->regs->r[15]);
            continue;
        }
        cpu->chain_slot = -1; /* one-instruction blocks are never chained */
        cpu->last_tb = tb;
        cpu->blocks_left = 1;
        cpu->watch_hit = false;
        if (cpu->log_exec)
            arm_log_exec(cpu, tb);
        if (cpu->log_cpu)
            arm_log_cpu(cpu);
        ir_interp_run(cpu, tb);
        cpu->exception_taken = false;
        cpu->stats.blocks++;
        cpu->stats.insns += tb->n_insns;
        if (cpu->watch_hit) {
            cpu->watch_hit = false;
            struct arm_debug_stop hit = cpu->debug_stop;
            return debug_stopped(cpu, hit.cause, hit.type, hit.addr);
        }
        if (cpu->debug.step)
            return debug_stopped(cpu, ARM_DEBUG_STEP, 0, cpu->regs->r[15]);
    }
}

size_t arm_debug_access(const struct arm_regs *r, const struct arm_debug_mem *m, uint32_t va,
                        uint8_t *buf, size_t len, bool write)
{
    size_t done = 0;
    while (done < len) {
        uint32_t a = va + (uint32_t)done;
        struct mmu_result t;
        /* Privileged, and whatever the permissions say: the debugger reads what is
         * mapped (a read-only page is still readable and writable to it). */
        if (mmu_walk(r, m->ram, m->ram_base, m->ram_size, a, false, &t))
            break;
        if (t.pa < m->ram_base || t.pa - m->ram_base >= m->ram_size)
            break; /* a device, or nothing: not touched */
        uint64_t off = t.pa - m->ram_base;
        size_t chunk = PAGE_SIZE - (a & (PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        if (chunk > m->ram_size - off)
            chunk = (size_t)(m->ram_size - off);
        if (write) {
            memcpy(m->ram + off, buf + done, chunk);
            if (m->written)
                m->written(m->opaque, (uint32_t)(off >> PAGE_BITS));
        } else {
            memcpy(buf + done, m->ram + off, chunk);
        }
        done += chunk;
    }
    return done;
}

void arm_debug_write_cpsr(struct arm_regs *r, uint32_t value)
{
    uint32_t mode = value & 0x1f;
    if (arm_mode_valid(mode))
        arm_switch_mode(r, mode);
    else
        value = (value & ~0x1fu) | (r->cpsr & 0x1f);
    arm_regs_set_cpsr_bits(r, value);
}

static void debug_code_written(void *opaque, uint32_t ram_page)
{
    struct arm_cpu *cpu = opaque;
    code_page_written(cpu, ram_page); /* here and in every other vCPU holding it */
    cpu->stop_at_insn = false;        /* no block runs now */
}

size_t arm_cpu_debug_access(struct arm_cpu *cpu, uint32_t va, uint8_t *buf, size_t len,
                            bool write)
{
    const struct arm_debug_mem m = {
        .ram = cpu->env.ram,
        .ram_base = cpu->env.ram_base,
        .ram_size = cpu->env.ram_size,
        .written = debug_code_written,
        .opaque = cpu,
    };
    return arm_debug_access(cpu->regs, &m, va, buf, len, write);
}

/* Host gdb on one vCPU process (docs/debugging.md): --cpu-wait-attach makes the process
 * wait for a debugger before it runs guest code, and a few functions and one global give
 * gdb (core-proc/percore-gdb.py) the guest's view from inside the process. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core-proc/core.h"
#include "util/util.h"

/* This process's vCPU: for the fatal-signal handler (crash.c) and for gdb. */
struct core *core_this;
/* Set by the gdb helper script (or by hand: set var core_attach_go = 1) to end a
 * --cpu-wait-attach wait; volatile, since only a debugger writes it. */
volatile int core_attach_go;

/* The pid of the process tracing this one (TracerPid in /proc/self/status), 0: none. */
static long core_tracer_pid(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    long pid = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "TracerPid:", 10) == 0) {
            pid = strtol(line + 10, NULL, 10);
            break;
        }
    fclose(f);
    return pid;
}

static bool core_attach_ready(void *arg)
{
    return core_attach_go || core_tracer_pid() != 0;
}

void core_wait_attach(struct core *c, bool (*serve)(void *arg))
{
    log_notice("vCPU %u: process %d waits for a debugger (gdb -p %d -x core-proc/percore-gdb.py)",
               c->index, (int)getpid(), (int)getpid());
    /* Meanwhile it does what the other vCPUs may need of it (maintenance, messages),
     * so that nobody else waits for this one. */
    while (!core_attach_ready(c)) {
        if (serve(c)) {
            c->quit = true;
            return;
        }
        if (doorbell_wait(c->self, c->mbox.fd[c->index], core_attach_ready, c, c->coord_pidfd,
                          20) == DOORBELL_WATCHED) {
            log_notice("the coordinator died: vCPU %u stops", c->index);
            exit(1);
        }
    }
    log_notice("vCPU %u: a debugger is attached (tracer %ld): running", c->index,
               core_tracer_pid());
}

/* For gdb: "print core_debug_block_text()" — the block the CPU ran last, disassembled
 * from guest RAM. The text lives until the next call. */
const char *core_debug_block_text(void)
{
    static GString *text;
    if (!text)
        text = g_string_new(NULL);
    g_string_truncate(text, 0);
    struct core *c = core_this;
    uint32_t pc, phys;
    unsigned n;
    if (!c || !c->arm || !arm_cpu_last_block(c->arm, &pc, &phys, &n)) {
        g_string_append(text, "(no block has run yet)\n");
        return text->str;
    }
    g_string_append_printf(text, "block at 0x%08x (physical 0x%08x), %u instructions:\n", pc,
                           phys, n);
    if (!arm_disas_ram(text, "", c->ram.base, c->ctrl->hdr.ram_base, c->ctrl->hdr.ram_size, pc,
                       phys, n))
        g_string_append(text, "(not in RAM)\n");
    return text->str;
}

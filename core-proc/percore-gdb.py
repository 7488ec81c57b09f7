# gdb helpers for a percore vCPU process (docs/debugging.md, "Host gdb on one vCPU
# process"). Load with: gdb -p PID -x core-proc/percore-gdb.py
#   percore-regs    the vCPU's guest registers, from the control region's register file
#                   (exact at the last block boundary)
#   percore-block   the guest block the CPU ran last, disassembled from guest RAM
#   percore-state   run state, exit requests, instruction and block counts
# Loading it in a process started with --cpu-wait-attach also lets it run once gdb
# resumes it (core_attach_go), so that attach, break, continue is all it takes.
import gdb

STATES = ["off", "running", "wfi", "wfe", "stopped", "crashed"]
MODES = {0x10: "usr", 0x11: "fiq", 0x12: "irq", 0x13: "svc", 0x16: "mon", 0x17: "abt",
         0x1a: "hyp", 0x1b: "und", 0x1f: "sys"}


def vcpu():
    c = gdb.parse_and_eval("core_this")
    if int(c) == 0:
        raise gdb.GdbError("core_this is NULL: the vCPU has not started its run loop yet")
    return c


def u32(v):
    return int(v) & 0xffffffff


def cpsr_of(regs):
    # The flags live in their own words (shm/ctrl.h, struct arm_regs): put them together.
    flags = 0xf80f0000
    v = u32(regs["cpsr"]) & ~flags & 0xffffffff
    v |= u32(regs["nf"]) & 0x80000000
    v |= (1 << 30) if u32(regs["zf"]) == 0 else 0
    v |= (u32(regs["cf"]) & 1) << 29
    v |= (u32(regs["vf"]) >> 31) << 28
    v |= (u32(regs["qf"]) & 1) << 27
    v |= (u32(regs["ge"]) & 0xf) << 16
    return v


class PercoreRegs(gdb.Command):
    """Print this vCPU's guest registers (the control region's register file)."""

    def __init__(self):
        super().__init__("percore-regs", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        c = vcpu()
        regs = c["cpu"]["regs"]
        r = regs["r"]
        lines = []
        for i in range(0, 16, 4):
            lines.append("  ".join("r%-2d 0x%08x" % (j, u32(r[j])) for j in range(i, i + 4)))
        cpsr = cpsr_of(regs)
        mode = MODES.get(cpsr & 0x1f, "?")
        print("vCPU %d guest registers:" % int(c["index"]))
        print("\n".join(lines))
        print("pc  0x%08x  cpsr 0x%08x (%s, %s)" % (u32(r[15]), cpsr, mode,
                                                  "Thumb" if cpsr & 0x20 else "ARM"))


class PercoreBlock(gdb.Command):
    """Disassemble the guest block this vCPU ran last."""

    def __init__(self):
        super().__init__("percore-block", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        text = gdb.parse_and_eval("core_debug_block_text()")
        print(text.string(), end="")


class PercoreState(gdb.Command):
    """Print this vCPU's run state, pending exit requests and counters."""

    def __init__(self):
        super().__init__("percore-state", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        c = vcpu()
        cpu = c["cpu"]
        state = int(cpu["run_state"])
        k = cpu["counters"]
        print("vCPU %d: %s, exit requests 0x%x, %d blocks, %d instructions, %d restarts" % (
            int(c["index"]), STATES[state] if state < len(STATES) else "?",
            int(cpu["exit_request"]), int(k["blocks"]), int(k["insns"]), int(k["restarts"])))


PercoreRegs()
PercoreBlock()
PercoreState()

# A process waiting under --cpu-wait-attach runs once gdb lets it go.
try:
    if gdb.selected_inferior().pid:
        gdb.execute("set var core_attach_go = 1", to_string=True)
except gdb.error:
    pass

#!/usr/bin/env python3
"""Compiles a litmus test (tests/litmus/NAME.litmus, format in docs/litmus.md) into the C
source of a bare-metal guest: one assembly function per thread and the tables of
litmus.h, linked with harness.c and the guest runtime (tests/litmus/litmus.mk).

    python3 tests/litmus/gen.py NAME.litmus OUT.c     generate
    python3 tests/litmus/gen.py --check FILE...       parse only (errors on stderr)
    python3 tests/litmus/gen.py --threads NAME.litmus print the number of threads
"""
import os
import re
import sys

MAX_THREADS = 8  # litmus.h
MAX_LOCS = 8
MAX_OBS = 12
NREGS = 13  # r0 .. r12 are the test's; sp, lr and pc are the harness's

KEYS = ("name", "locations", "init", "observed", "exists", "verdict", "forbidden")
REG_ALIASES = {"ip": 12, "fp": 11, "sb": 9, "sl": 10}
RESERVED = re.compile(r"\b(sp|lr|pc|r13|r14|r15)\b", re.I)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]*$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LABEL_RE = re.compile(r"^\s*([A-Za-z_.$][\w.$]*):")


class LitmusError(Exception):
    pass


def parse_int(text, where):
    try:
        v = int(text, 0)
    except ValueError:
        raise LitmusError(f"{where}: '{text}' is not a number")
    if not -(1 << 31) <= v < (1 << 32):
        raise LitmusError(f"{where}: {text} does not fit in 32 bits")
    return v & 0xFFFFFFFF


def parse_reg(text, where):
    m = re.fullmatch(r"r(\d+)", text.strip(), re.I)
    if not m or int(m.group(1)) >= NREGS:
        raise LitmusError(f"{where}: '{text}' is not one of r0 .. r12")
    return int(m.group(1))


class Test:
    def __init__(self):
        self.name = None
        self.locs = {}  # name -> initial value, in order
        self.inits = []  # (thread, reg, kind 'const'|'addr', value)
        self.threads = {}  # number -> [asm lines]
        self.observed = []  # ('reg', thread, reg) | ('loc', name)
        self.exists = None  # (text, ast)
        self.verdict = None
        self.forbidden = []  # [(text, ast)]

    def obs_name(self, o):
        return f"{o[1]}:r{o[2]}" if o[0] == "reg" else o[1]


# Conditions: atoms T:rN=V and LOC=V, ~, /\ (and), \/ (or), parentheses, true, false.
COND_TOKEN = re.compile(r"\s*(/\\|\\/|~|\(|\)|[A-Za-z0-9_]+:?[A-Za-z0-9_]*\s*=\s*-?\w+|\S+)")


def parse_cond(test, text, where):
    toks = [t for t in COND_TOKEN.findall(text) if t.strip()]
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        t = peek()
        pos[0] += 1
        return t

    def chain(op, tag, operand):  # operand (op operand)*, left-associative
        node = operand()
        while peek() == op:
            take()
            node = (tag, node, operand())
        return node

    def disj():
        return chain("\\/", "or", conj)

    def conj():
        return chain("/\\", "and", unary)

    def unary():
        t = take()
        if t is None:
            raise LitmusError(f"{where}: the condition ends too early")
        if t == "~":
            return ("not", unary())
        if t == "(":
            node = disj()
            if take() != ")":
                raise LitmusError(f"{where}: ')' expected")
            return node
        if t in ("true", "false"):
            return ("const", t == "true")
        m = re.fullmatch(r"(?:(\d+):(r\d+)|([A-Za-z_]\w*))\s*=\s*(-?\w+)", t)
        if not m:
            raise LitmusError(f"{where}: '{t}' is not T:rN=V or LOCATION=V")
        value = parse_int(m.group(4), where)
        if m.group(1) is not None:
            o = ("reg", int(m.group(1)), parse_reg(m.group(2), where))
        else:
            if m.group(3) not in test.locs:
                raise LitmusError(f"{where}: no location '{m.group(3)}'")
            o = ("loc", m.group(3))
        return ("eq", o, value)

    node = disj()
    if peek() is not None:
        raise LitmusError(f"{where}: unexpected '{peek()}'")
    return node


def cond_atoms(node):
    if node[0] == "eq":
        yield node[1]
    elif node[0] in ("and", "or"):
        yield from cond_atoms(node[1])
        yield from cond_atoms(node[2])
    elif node[0] == "not":
        yield from cond_atoms(node[1])


def cond_c(test, node):
    kind = node[0]
    if kind == "eq":
        return f"(v[{test.observed.index(node[1])}] == 0x{node[2]:x}u)"
    if kind == "and":
        return f"({cond_c(test, node[1])} && {cond_c(test, node[2])})"
    if kind == "or":
        return f"({cond_c(test, node[1])} || {cond_c(test, node[2])})"
    if kind == "not":
        return f"!{cond_c(test, node[1])}"
    return "1" if node[1] else "0"


def parse(path):
    test = Test()
    thread = None
    text = open(path, encoding="utf-8").read().splitlines()
    for lineno, raw in enumerate(text, 1):
        where = f"{path}:{lineno}"
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if line[0] in " \t":
            if thread is None:
                raise LitmusError(f"{where}: an indented line outside a thread")
            code = re.split(r"@|//", line, maxsplit=1)[0].strip()
            if code:
                test.threads[thread].append((code, where))
            continue
        m = re.fullmatch(r"thread\s+(\d+)\s*:\s*", line)
        if m:
            thread = int(m.group(1))
            if thread in test.threads:
                raise LitmusError(f"{where}: thread {thread} given twice")
            test.threads[thread] = []
            continue
        thread = None
        m = re.fullmatch(r"([a-z]+)\s*:\s*(.*)", line)
        if not m or m.group(1) not in KEYS:
            raise LitmusError(f"{where}: expected one of {', '.join(KEYS)}, 'thread N:', "
                              "an indented instruction or a # comment")
        key, value = m.group(1), m.group(2).strip()
        if key == "name":
            if test.name or not NAME_RE.match(value):
                raise LitmusError(f"{where}: one name, of letters, digits and + . _ -")
            test.name = value
        elif key == "locations":
            for item in value.split():
                n, _, v = item.partition("=")
                if not IDENT_RE.match(n) or n in test.locs or n in REG_ALIASES or \
                        re.fullmatch(r"r\d+", n, re.I) or RESERVED.fullmatch(n):
                    raise LitmusError(f"{where}: bad or repeated location name '{n}'")
                test.locs[n] = parse_int(v, where) if v else 0
        elif key == "init":
            for item in value.split():
                m2 = re.fullmatch(r"(\d+):(r\d+)=(\S+)", item)
                if not m2:
                    raise LitmusError(f"{where}: '{item}' is not T:rN=VALUE")
                t, r, v = int(m2.group(1)), parse_reg(m2.group(2), where), m2.group(3)
                if v in test.locs:
                    test.inits.append((t, r, "addr", list(test.locs).index(v)))
                else:
                    test.inits.append((t, r, "const", parse_int(v, where)))
        elif key == "observed":
            for item in value.split():
                m2 = re.fullmatch(r"(\d+):(r\d+)", item)
                if m2:
                    o = ("reg", int(m2.group(1)), parse_reg(m2.group(2), where))
                elif item in test.locs:
                    o = ("loc", item)
                else:
                    raise LitmusError(f"{where}: '{item}' is not T:rN or a location")
                if o not in test.observed:
                    test.observed.append(o)
        elif key == "exists":
            if test.exists:
                raise LitmusError(f"{where}: one exists clause only")
            test.exists = (" ".join(value.split()), parse_cond(test, value, where))
        elif key == "verdict":
            if value not in ("allowed", "forbidden") or test.verdict:
                raise LitmusError(f"{where}: verdict is 'allowed' or 'forbidden', once")
            test.verdict = value
        elif key == "forbidden":
            test.forbidden.append((" ".join(value.split()), parse_cond(test, value, where)))
    check(test, path)
    return test


def check(test, path):
    base = os.path.basename(path)
    if base.endswith(".litmus"):
        base = base[: -len(".litmus")]
    if test.name != base:
        raise LitmusError(f"{path}: name '{test.name}' is not the file's name '{base}'")
    if not test.exists or not test.verdict:
        raise LitmusError(f"{path}: an exists clause and a verdict are required")
    n = len(test.threads)
    if not 1 <= n <= MAX_THREADS or sorted(test.threads) != list(range(n)):
        raise LitmusError(f"{path}: threads must be 0 .. N-1, N at most {MAX_THREADS}")
    if not 1 <= len(test.locs) <= MAX_LOCS:
        raise LitmusError(f"{path}: 1 .. {MAX_LOCS} locations")
    for t, _, _, _ in test.inits:
        if t not in test.threads:
            raise LitmusError(f"{path}: init of a register of thread {t}, which is not there")
    for _, ast in [test.exists] + test.forbidden:
        for o in cond_atoms(ast):
            if o not in test.observed:
                test.observed.append(o)
    for o in test.observed:
        if o[0] == "reg" and o[1] not in test.threads:
            raise LitmusError(f"{path}: {test.obs_name(o)} names no thread")
    if len(test.observed) > MAX_OBS:
        raise LitmusError(f"{path}: at most {MAX_OBS} observed values")


def regs_used(lines):
    used = set()
    for code, _ in lines:
        for m in re.finditer(r"\b(r\d+|ip|fp|sb|sl)\b", code, re.I):
            name = m.group(1).lower()
            used.add(REG_ALIASES[name] if name in REG_ALIASES else int(name[1:]))
    return used


def thread_asm(test, t):
    """The thread's code with labels made unique and [LOC] turned into a register
    preloaded with LOC's address; adds those registers to test.inits."""
    lines = test.threads[t]
    for code, where in lines:
        if RESERVED.search(code):
            raise LitmusError(f"{where}: sp, lr and pc (r13 .. r15) belong to the harness")
    labels = [m.group(1) for code, _ in lines for m in [LABEL_RE.match(code)] if m]
    used = regs_used(lines) | {r for (tt, r, _, _) in test.inits if tt == t} | \
        {o[2] for o in test.observed if o[0] == "reg" and o[1] == t}
    free = [r for r in range(NREGS - 1, -1, -1) if r not in used]
    addr = {}
    out = []
    for code, where in lines:
        for label in labels:
            code = re.sub(rf"(?<![\w.$]){re.escape(label)}(?![\w.$])",
                          f".Llitmus_t{t}_{label}", code)

        def bracket(m):
            def name(n):
                loc = n.group(0)
                if loc not in test.locs:
                    return loc
                if loc not in addr:
                    if not free:
                        raise LitmusError(f"{where}: no register left for [{loc}]")
                    addr[loc] = free.pop(0)
                return f"r{addr[loc]}"
            return re.sub(r"(?<![\w#])[A-Za-z_]\w*", name, m.group(0))

        out.append(re.sub(r"\[[^\]]*\]", bracket, code))
    for loc, r in addr.items():
        test.inits.append((t, r, "addr", list(test.locs).index(loc)))
    return out


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '\\n"'


def generate(test, src):
    n = len(test.threads)
    locs = list(test.locs)
    out = [f"/* Generated by tests/litmus/gen.py from {src}: do not edit. */",
           '#include "litmus.h"', "", "#ifndef LITMUS_ITER", "#define LITMUS_ITER 100000",
           "#endif", ""]
    for t in range(n):
        fn = f"litmus_thread_{t}"
        body = ["\t.pushsection .text.litmus, \"ax\", %progbits", "\t.arm", "\t.syntax unified",
                "\t.align 2", f"\t.type {fn}, %function", f"{fn}:",
                "\tpush {r4-r11, lr}", "\tpush {r0, r1}",  # r0 = the register block
                "\tldm r0, {r0-r12}", f"@ thread {t} of {test.name}"]
        body += [code if LABEL_RE.match(code) else "\t" + code for code in thread_asm(test, t)]
        body += ["\tldr lr, [sp]", "\tstm lr, {r0-r12}", "\tadd sp, sp, #8",
                 "\tpop {r4-r11, pc}", "\t.ltorg", f"\t.size {fn}, . - {fn}", "\t.popsection"]
        out.append(f"void {fn}(uint32_t *regs);")
        out.append("__asm__(" + "\n        ".join(c_string(b) for b in body) + ");")
        out.append("")
    names = ", ".join(f"litmus_thread_{t}" for t in range(n))
    out.append(f"static const litmus_thread_fn threads[{n}] = {{{names}}};")
    out.append(f"static const uint32_t loc_init[{len(locs)}] = "
               f"{{{', '.join(f'0x{test.locs[k]:x}u' for k in locs)}}};")
    inits = [f"    {{{t}, {r}, {'LITMUS_INIT_ADDR' if kind == 'addr' else 'LITMUS_INIT_CONST'}, "
             f"0x{v:x}u}}," for (t, r, kind, v) in test.inits]
    out.append(f"static const struct litmus_init inits[{max(len(inits), 1)}] = {{")
    out += inits or ["    {0, 0, LITMUS_INIT_CONST, 0},"]
    out.append("};")
    out.append(f"static const struct litmus_obs obs[{len(test.observed)}] = {{")
    for o in test.observed:
        if o[0] == "reg":
            out.append(f'    {{LITMUS_OBS_REG, {o[1]}, {o[2]}, "{test.obs_name(o)}"}},')
        else:
            out.append(f'    {{LITMUS_OBS_LOC, 0, {locs.index(o[1])}, "{o[1]}"}},')
    out.append("};")
    exists_c = cond_c(test, test.exists[1])
    forb = [cond_c(test, ast) for _, ast in test.forbidden]
    if test.verdict == "forbidden":
        forb.insert(0, exists_c)
    out += ["", "static int exists(const uint32_t *v)", "{", f"    return {exists_c};", "}",
            "", "static int forbidden(const uint32_t *v)", "{",
            f"    return {' || '.join(forb) if forb else '0'};", "}", ""]
    out += ["const struct litmus_test litmus_test = {",
            f'    .name = "{test.name}",',
            f"    .nthreads = {n},",
            f"    .nlocs = {len(locs)},",
            f"    .ninits = {len(test.inits)},",
            f"    .nobs = {len(test.observed)},",
            "    .iterations = LITMUS_ITER,",
            "    .threads = threads,",
            "    .loc_init = loc_init,",
            "    .inits = inits,",
            "    .obs = obs,",
            "    .exists_text = " + c_string(test.exists[0])[:-3] + '",',
            f"    .exists_forbidden = {1 if test.verdict == 'forbidden' else 0},",
            "    .exists = exists,",
            "    .forbidden = forbidden,",
            "};", ""]
    return "\n".join(out)


def main(argv):
    try:
        if len(argv) >= 2 and argv[0] == "--check":
            for path in argv[1:]:
                parse(path)
            return 0
        if len(argv) == 2 and argv[0] == "--threads":
            print(len(parse(argv[1]).threads))
            return 0
        if len(argv) != 2:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        test = parse(argv[0])
        text = generate(test, argv[0])
    except (LitmusError, OSError) as e:
        print(f"gen.py: {e}", file=sys.stderr)
        return 1
    tmp = argv[1] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

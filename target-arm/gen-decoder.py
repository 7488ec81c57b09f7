#!/usr/bin/env python3
"""Generates a table-driven instruction decoder from a pattern file.

Pattern file syntax (one item per line; '# ' starts a comment):

    @table NAME              start the pattern table NAME (decoded by NAME_decode)
    &FORMAT field=HI:LO ...  a named field list; a field may join ranges: imm=19:16,11:0
                             and a field may be a constant: op=#3 (a bare number is one bit)
    PATTERN BITS [&FORMAT] [field=HI:LO ...] [-> trans_fn]

BITS is 32 characters of 0, 1 and '-' (spaces ignored): 0/1 must match, '-' is a field
or a don't-care bit. Patterns are tried in file order within their table: the first whose
fixed bits match and whose translation function accepts it wins. A translation function
returning false passes the instruction on to the next pattern; one that no pattern
accepts is UNDEFINED. Each generated table row names its pattern's line in a
comment, so a decode bug is found in the pattern file.
"""
import os
import re
import sys


class Pattern:
    def __init__(self, name, lineno, mask, value, fields, trans):
        self.name, self.lineno = name, lineno
        self.mask, self.value = mask, value
        self.fields, self.trans = fields, trans


def fail(path, lineno, msg):
    sys.exit(f"{path}:{lineno}: {msg}")


def parse_field(path, lineno, text):
    name, _, spec = text.partition("=")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or not spec:
        fail(path, lineno, f"bad field '{text}'")
    if re.fullmatch(r"#\d+", spec):
        return name, ("const", int(spec[1:]))
    ranges = []
    for part in spec.split(","):
        m = re.fullmatch(r"(\d+):(\d+)", part) or re.fullmatch(r"(\d+)", part)
        if not m:
            fail(path, lineno, f"bad bit range '{part}'")
        hi = int(m.group(1))
        lo = int(m.group(2)) if m.lastindex == 2 else hi
        if not 31 >= hi >= lo >= 0:
            fail(path, lineno, f"bit range '{part}' out of order")
        ranges.append((hi, lo))
    return name, ("bits", ranges)


def parse(path):
    tables, formats, order = {}, {}, []
    current = None
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = re.sub(r"(^|\s)#(\s.*|$)", "", raw).strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "@table":
                current = words[1]
                tables.setdefault(current, [])
                order.append(current)
                continue
            if words[0].startswith("&"):
                formats[words[0][1:]] = [parse_field(path, lineno, w) for w in words[1:]]
                continue
            if current is None:
                fail(path, lineno, "pattern before any @table")
            name = words[0]
            bits, rest, trans = "", [], "trans_" + name
            i = 1
            while i < len(words) and re.fullmatch(r"[01-]+", words[i]):
                bits += words[i]
                i += 1
            rest = words[i:]
            if len(bits) != 32:
                fail(path, lineno, f"{name}: {len(bits)} bits, not 32")
            fields = []
            j = 0
            while j < len(rest):
                w = rest[j]
                if w == "->":
                    trans = rest[j + 1]
                    j += 2
                    continue
                if w.startswith("&"):
                    if w[1:] not in formats:
                        fail(path, lineno, f"unknown format {w}")
                    fields += formats[w[1:]]
                else:
                    fields.append(parse_field(path, lineno, w))
                j += 1
            mask = value = 0
            for k, ch in enumerate(bits):
                bit = 31 - k
                if ch in "01":
                    mask |= 1 << bit
                    value |= int(ch) << bit
            for fname, (kind, spec) in fields:
                if kind == "bits":
                    for hi, lo in spec:
                        for b in range(lo, hi + 1):
                            if mask >> b & 1:
                                fail(path, lineno, f"{name}: field {fname} covers fixed bit {b}")
            tables[current].append(Pattern(name, lineno, mask, value, fields, trans))
    return order, tables


def field_expr(spec):
    kind, val = spec
    if kind == "const":
        return str(val)
    parts, shift = [], sum(hi - lo + 1 for hi, lo in val)
    for hi, lo in val:
        width = hi - lo + 1
        shift -= width
        part = f"((insn >> {lo}) & 0x{(1 << width) - 1:x}u)"
        parts.append(f"({part} << {shift})" if shift else part)
    return " | ".join(parts)


def emit_header(src, prefix, tables, out):
    names = sorted({f for t in tables.values() for p in t for f, _ in p.fields})
    w = out.write
    w(f"/* Generated from {src} by gen-decoder.py: do not edit; edit the patterns. */\n\n")
    w(f"struct {prefix}_args {{\n")
    for n in names:
        w(f"    uint32_t {n};\n")
    w("};\n\n")
    w(f"struct {prefix}_ctx;\n")
    w(f"typedef bool {prefix}_trans_fn(struct {prefix}_ctx *s, const struct {prefix}_args *a);\n")
    for fn in sorted({p.trans for t in tables.values() for p in t}):
        w(f"{prefix}_trans_fn {fn};\n")


def emit_tables(src, prefix, order, tables, out):
    w = out.write
    w(f"/* Generated from {src} by gen-decoder.py: do not edit; edit the patterns. */\n\n")
    w(f"struct {prefix}_pattern {{\n    uint32_t mask, value;\n"
      f"    void (*extract)(uint32_t insn, struct {prefix}_args *a);\n"
      f"    {prefix}_trans_fn *trans;\n    const char *name;\n    unsigned line;\n}};\n\n")
    for tname in order:
        for p in tables[tname]:
            w(f"/* {src}:{p.lineno} {p.name} */\n")
            w(f"static void {prefix}_extract_{tname}_{p.lineno}(uint32_t insn, "
              f"struct {prefix}_args *a)\n{{\n")
            w("    memset(a, 0, sizeof(*a));\n")
            if not p.fields:
                w("    (void)insn;\n")
            for fname, spec in p.fields:
                w(f"    a->{fname} = {field_expr(spec)};\n")
            w("}\n\n")
        w(f"static const struct {prefix}_pattern {prefix}_{tname}_patterns[] = {{\n")
        for p in tables[tname]:
            w(f"    /* {src}:{p.lineno} */ {{ 0x{p.mask:08x}u, 0x{p.value:08x}u, "
              f"{prefix}_extract_{tname}_{p.lineno}, {p.trans}, \"{p.name}\", {p.lineno} }},\n")
        w("};\n\n")
        w(f"/* Runs the first pattern of table {tname} that matches and accepts insn.\n"
          f" * Returns the pattern, or NULL when none does (UNDEFINED). */\n")
        w(f"static const struct {prefix}_pattern *{prefix}_decode_{tname}(struct {prefix}_ctx *s, "
          f"uint32_t insn)\n{{\n")
        w(f"    for (unsigned i = 0; i < sizeof({prefix}_{tname}_patterns) / "
          f"sizeof({prefix}_{tname}_patterns[0]); i++) {{\n")
        w(f"        const struct {prefix}_pattern *p = &{prefix}_{tname}_patterns[i];\n")
        w("        if ((insn & p->mask) != p->value)\n            continue;\n")
        w(f"        struct {prefix}_args a;\n        p->extract(insn, &a);\n")
        w("        if (p->trans(s, &a))\n            return p;\n    }\n    return NULL;\n}\n\n")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen-decoder.py PREFIX PATTERNS OUTPUT-BASE  (writes BASE.h, BASE.inc)")
    prefix, path, base = sys.argv[1:]
    order, tables = parse(path)
    src = path.split("/")[-1]
    for suffix, fn in ((".h", lambda o: emit_header(src, prefix, tables, o)),
                       (".inc", lambda o: emit_tables(src, prefix, order, tables, o))):
        with open(base + suffix + ".tmp", "w") as out:
            fn(out)
        os.replace(base + suffix + ".tmp", base + suffix)


if __name__ == "__main__":
    main()

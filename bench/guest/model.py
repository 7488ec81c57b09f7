#!/usr/bin/env python3
"""Independent models of the CPU benchmark guests' result lines (bench/guest/*.c).

    python3 bench/guest/model.py [NAME[=ROUNDS] ...]

prints the line each guest must print, for its default BENCH_ROUNDS (read from the .c
file) or the given one. Written from each program's header comment, with Python's own
zlib.crc32, sorted(), math.gcd and a plain sieve, not from the C code. The one figure
not modelled is the bytecode interpreter's instruction count per round, which is taken
from the command line (bytecode=ROUNDS:COUNT; default 694768, what the C program
reports). Takes a few seconds for all four at their default sizes.
"""
import math
import os
import re
import sys
import zlib

M = 0xFFFFFFFF
HERE = os.path.dirname(os.path.abspath(__file__))


def xorshift32(s):
    s ^= (s << 13) & M
    s ^= s >> 17
    s ^= (s << 5) & M
    return s


def rol(a, n):
    return ((a << n) | (a >> (32 - n))) & M


def fnv1a(b):
    h = 0x811C9DC5
    for c in b:
        h = ((h ^ c) * 0x01000193) & M
    return h


def crc32(rounds):
    s, buf = 0x2545F491, bytearray(65536)
    for i in range(65536):
        s = xorshift32(s)
        buf[i] = s >> 24
    last = xor = 0
    for r in range(rounds):
        buf[(r * 97) & 0xFFFF] = r & 0xFF
        last = zlib.crc32(buf)
        xor ^= last
    return "crc32: %u rounds of 65536 bytes: last 0x%08x, xor 0x%08x" % (rounds, last, xor)


def sort(rounds):
    s, acc = 0x9E3779B9, 0
    for _ in range(2 * rounds):
        keys = []
        for _ in range(8192):
            s = xorshift32(s)
            keys.append(s)
        keys.sort()
        acc = rol(acc, 5) ^ (sum(k * (i + 1) for i, k in enumerate(keys)) & M)
    return ("sort: %u rounds of quicksort and heapsort of 8192 keys: checksum 0x%08x, "
            "disorder 0" % (rounds, acc))


WORDS = """the quick brown fox jumps over lazy dog a memory barrier orders every access
before it and nothing after one vcpu process per core ring doorbell shared region guest
physical address of page table walk tlb miss hit block cache chain exit request word zebra
quantum jazz fizz running waiting sleeping thinking string search copy hash is to in on
xyzzy quip quiz equals""".split()
PATTERNS = [b"the", b"qu", b"zebra", b"ing ", b"xyz"]


def count_overlapping(t, p):
    n, k = 0, t.find(p)
    while k >= 0:
        n += 1
        k = t.find(p, k + 1)
    return n


def strings(rounds):
    assert len(WORDS) == 64
    s, text, n = 0x1234ABCD, bytearray(), 0
    while len(text) < 32768:
        s = xorshift32(s)
        text += WORDS[s >> 26].encode()
        n += 1
        text += b"\n" if n % 12 == 0 else b" "
    acc = distinct = 0
    for r in range(rounds):
        a = 0
        i = (r * 7919) & 32767
        if 0x61 <= text[i] <= 0x7A:
            text[i] = 0x61 if text[i] == 0x7A else text[i] + 1
        t = bytes(text)
        for line in t.split(b"\n")[:-1]:  # the text ends with a separator
            a = (a * 31 + len(line)) & M
        if not t.endswith(b"\n"):
            a = (a * 31 + len(t.split(b"\n")[-1])) & M
        for p in PATTERNS:
            a = (a * 31 + count_overlapping(t, p)) & M
        key, count, distinct = [None] * 1024, [0] * 1024, 0
        for w in t.replace(b"\n", b" ").split(b" ")[:-1]:
            k = fnv1a(w) & 1023
            while count[k] and key[k] != w:
                k = (k + 1) & 1023
            if not count[k]:
                key[k] = w
                distinct += 1
            count[k] += 1
        a = (a * 31 + distinct) & M
        a = (a * 31 + (sum(c * (k + 1) for k, c in enumerate(count)) & M)) & M
        a = (a * 31 + fnv1a(t[::-1])) & M
        acc = (acc * 31 + a) & M
    return ("strings: %u rounds over %u bytes of text: checksum 0x%08x, %u distinct words"
            % (rounds, len(text), acc, distinct))


def bytecode(rounds, executed=694768):
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    sieve = [0, 0] + [1] * 8190
    for i in range(2, 91):
        if sieve[i]:
            for j in range(i * i, 8192, i):
                sieve[j] = 0
    res = [fib(20), sum(sieve), sum(math.gcd(i, 360) for i in range(1, 2000))]
    acc = 0
    for r in range(rounds):
        for v in res:
            acc = rol(acc, 7) ^ v ^ r
        acc ^= executed
    return ("bytecode: %u rounds of %u instructions: fib(20) %d, primes below 8192 %d, "
            "gcdsum(2000, 360) %d, checksum 0x%08x" % (rounds, executed, *res, acc))


MODELS = {"bytecode": bytecode, "crc32": crc32, "sort": sort, "strings": strings}


def default_rounds(name):
    with open(os.path.join(HERE, name + ".c")) as f:
        return int(re.search(r"#define BENCH_ROUNDS (\d+)", f.read()).group(1))


def main(args):
    for arg in args or sorted(MODELS):
        name, _, rounds = arg.partition("=")
        extra = []
        if ":" in rounds:
            rounds, count = rounds.split(":")
            extra = [int(count)]
        print(MODELS[name](int(rounds) if rounds else default_rounds(name), *extra))


if __name__ == "__main__":
    main(sys.argv[1:])

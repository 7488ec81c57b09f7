/*
 * strings: a text-processing workload built from byte loops like the C library's
 * strlen, memcpy, strstr and strcmp: splitting into lines, substring search, hashing
 * words into a table, copying and reversing. Byte loads and stores, short loops with
 * data-dependent exits.
 *
 * The text: 32 KiB (and then the end of a word) of words picked from a fixed list of
 * 64 by xorshift32 (seed 0x1234abcd), separated by spaces, every twelfth by a newline.
 * Each round:
 *   1. mutates one byte: the letter at (r * 7919) mod 32Ki, if there is one there,
 *      moves to the next letter (z wraps to a), so no two rounds see the same text;
 *   2. copies each line into a buffer (memcpy) and takes its length (strlen);
 *   3. counts the (overlapping) occurrences of five patterns (naive strstr);
 *   4. hashes every word (FNV-1a) into a 1024-slot open-addressing table, comparing
 *      keys with memcmp, and sums the distinct words and their counts by slot;
 *   5. copies the whole text to (r mod 8) bytes into a second buffer, reverses it
 *      in place and hashes it.
 * Every figure is folded into one 32-bit checksum (acc = acc * 31 + x); the result line
 * gives it and the distinct-word count of the last round.
 */
#include "bench.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 600
#endif

#define TEXT_TARGET 32768u
#define TEXT_MAX    (TEXT_TARGET + 64u)
#define SLOTS       1024u

static const char *const words[64] = {
    "the",     "quick",    "brown",    "fox",      "jumps",  "over",     "lazy",    "dog",
    "a",       "memory",   "barrier",  "orders",   "every",  "access",   "before",  "it",
    "and",     "nothing",  "after",    "one",      "vcpu",   "process",  "per",     "core",
    "ring",    "doorbell", "shared",   "region",   "guest",  "physical", "address", "of",
    "page",    "table",    "walk",     "tlb",      "miss",   "hit",      "block",   "cache",
    "chain",   "exit",     "request",  "word",     "zebra",  "quantum",  "jazz",    "fizz",
    "running", "waiting",  "sleeping", "thinking", "string", "search",   "copy",    "hash",
    "is",      "to",       "in",       "on",       "xyzzy",  "quip",     "quiz",    "equals",
};

static const char *const patterns[5] = {"the", "qu", "zebra", "ing ", "xyz"};

static char text[TEXT_MAX];
static uint32_t text_len;
static char line[256];
static char copy[TEXT_MAX + 8];
static uint32_t slot_off[SLOTS], slot_len[SLOTS], slot_count[SLOTS];

static uint32_t my_strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (uint32_t)(p - s);
}

/* strstr at every position: the number of (overlapping) matches of pat in s */
static uint32_t count_matches(const char *s, const char *pat)
{
    uint32_t n = 0;

    for (; *s; s++) {
        const char *a = s, *b = pat;
        while (*b && *a == *b) {
            a++;
            b++;
        }
        if (!*b)
            n++;
    }
    return n;
}

static uint32_t fnv1a(const char *s, uint32_t n)
{
    uint32_t h = 0x811c9dc5u;

    while (n--) {
        h ^= (uint8_t)*s++;
        h *= 0x01000193u;
    }
    return h;
}

static void make_text(void)
{
    uint32_t seed = 0x1234abcdu, n = 0, pos = 0;

    while (pos < TEXT_TARGET) {
        const char *w = words[xorshift32(&seed) >> 26];
        while (*w)
            text[pos++] = *w++;
        n++;
        text[pos++] = (n % 12u == 0) ? '\n' : ' ';
    }
    text[pos] = 0;
    text_len = pos;
}

static uint32_t round_of(uint32_t r, uint32_t *distinct_out)
{
    uint32_t acc = 0;

    /* 1. mutate one letter */
    uint32_t i = (r * 7919u) & (TEXT_TARGET - 1);
    if (text[i] >= 'a' && text[i] <= 'z')
        text[i] = (char)(text[i] == 'z' ? 'a' : text[i] + 1);

    /* 2. lines: memcpy + strlen */
    for (const char *p = text; *p;) {
        uint32_t n = 0;
        while (p[n] && p[n] != '\n')
            n++;
        memcpy(line, p, n);
        line[n] = 0;
        acc = acc * 31u + my_strlen(line);
        p += n;
        if (*p == '\n')
            p++;
    }

    /* 3. substring search */
    for (uint32_t k = 0; k < 5; k++)
        acc = acc * 31u + count_matches(text, patterns[k]);

    /* 4. word table */
    memset(slot_count, 0, sizeof(slot_count));
    uint32_t distinct = 0;
    for (uint32_t p = 0; p < text_len;) {
        uint32_t n = 0;
        while (text[p + n] != ' ' && text[p + n] != '\n')
            n++;
        uint32_t s = fnv1a(&text[p], n) & (SLOTS - 1);
        for (;;) {
            if (slot_count[s] == 0) {
                slot_off[s] = p;
                slot_len[s] = n;
                slot_count[s] = 1;
                distinct++;
                break;
            }
            if (slot_len[s] == n && memcmp(&text[slot_off[s]], &text[p], n) == 0) {
                slot_count[s]++;
                break;
            }
            s = (s + 1) & (SLOTS - 1);
        }
        p += n + 1;
    }
    uint32_t weighted = 0;
    for (uint32_t s = 0; s < SLOTS; s++)
        weighted += slot_count[s] * (s + 1);
    acc = acc * 31u + distinct;
    acc = acc * 31u + weighted;

    /* 5. copy, reverse, hash */
    char *c = copy + (r & 7u);
    memcpy(c, text, text_len);
    for (uint32_t lo = 0, hi = text_len - 1; lo < hi; lo++, hi--) {
        char t = c[lo];
        c[lo] = c[hi];
        c[hi] = t;
    }
    acc = acc * 31u + fnv1a(c, text_len);

    *distinct_out = distinct;
    return acc;
}

int main(void)
{
    uint32_t acc = 0, distinct = 0;

    bench_start();
    make_text();
    for (uint32_t r = 0; r < BENCH_ROUNDS; r++)
        acc = acc * 31u + round_of(r, &distinct);
    printf("strings: %u rounds over %u bytes of text: checksum 0x%08x, %u distinct words\n",
           (uint32_t)BENCH_ROUNDS, text_len, acc, distinct);
    return 0;
}

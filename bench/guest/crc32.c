/*
 * crc32: table-driven CRC-32 (IEEE 802.3, reflected, as zlib.crc32) over a generated
 * buffer, many rounds. Per byte: one load of the data, one table load, shifts and
 * XORs: a tight loop of dependent loads and ALU work, the classic integer kernel.
 *
 * The buffer is 64 KiB of xorshift32 bytes (seed 0x2545f491). Round r first sets byte
 * (r * 97) mod 64Ki to r's low byte, then runs the CRC over the whole buffer, so no
 * round can be skipped or hoisted. The result line gives the CRC of the last round and
 * the XOR of all round CRCs. bench/README.md shows a Python model of the result.
 */
#include "bench.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 3000
#endif

#define BUF_SIZE 65536u

static uint8_t buf[BUF_SIZE];
static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xffffffffu;

    while (n--)
        crc = table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

int main(void)
{
    uint32_t seed = 0x2545f491u, crc = 0, all = 0;

    bench_start();
    make_table();
    for (uint32_t i = 0; i < BUF_SIZE; i++)
        buf[i] = (uint8_t)(xorshift32(&seed) >> 24);
    for (uint32_t r = 0; r < BENCH_ROUNDS; r++) {
        buf[(r * 97u) & (BUF_SIZE - 1)] = (uint8_t)r;
        crc = crc32(buf, BUF_SIZE);
        all ^= crc;
    }
    printf("crc32: %u rounds of %u bytes: last 0x%08x, xor 0x%08x\n", (uint32_t)BENCH_ROUNDS,
           BUF_SIZE, crc, all);
    return 0;
}

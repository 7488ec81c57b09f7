/* The few C library functions the compiler may call (memset, memcpy, memmove, memcmp).
   Built with -fno-tree-loop-distribute-patterns so these loops stay loops. */
#include <stddef.h>
#include <stdint.h>
#include "lib.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;

    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    if (dp < sp) {
        while (n--)
            *dp++ = *sp++;
    } else {
        while (n--)
            dp[n] = sp[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;

    for (; n; n--, pa++, pb++)
        if (*pa != *pb)
            return *pa - *pb;
    return 0;
}

void sort_u32(uint32_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint32_t x = v[i];
        unsigned j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

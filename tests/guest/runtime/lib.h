#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
/* Sorts v[0..n-1] in increasing order (insertion sort: for a few thousand samples). */
void sort_u32(uint32_t *v, unsigned n);

#endif

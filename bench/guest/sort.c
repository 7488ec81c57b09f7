/*
 * sort: quicksort and heapsort of pseudo-random arrays of 32-bit keys. Compare-and-
 * branch heavy code with data-dependent branches, recursion (quicksort) and scattered
 * loads and stores (heapsort's sift-down).
 *
 * Each round fills an array of 8192 keys from xorshift32 (one seed carried across
 * rounds), quicksorts it (median of three, insertion sort below 16 elements, recursion
 * on the smaller part), checks it is ordered, then refills it and heapsorts it and
 * checks again. A round's checksum is sum(a[i] * (i + 1)) mod 2^32 over each sorted
 * array; the result line gives the rotate-and-XOR of all of them and the count of
 * out-of-order pairs found (0 unless a sort is wrong).
 */
#include "bench.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 360
#endif

#define N 8192u

static uint32_t a[N];

static inline void swap(uint32_t *x, uint32_t *y)
{
    uint32_t t = *x;

    *x = *y;
    *y = t;
}

static void insertion_sort(uint32_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t k = v[i], j = i;
        while (j > 0 && v[j - 1] > k) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = k;
    }
}

static void quicksort(uint32_t *v, uint32_t n)
{
    while (n > 16) {
        uint32_t mid = n >> 1, last = n - 1;
        /* median of three to v[mid], then use it as the pivot (Hoare partition) */
        if (v[mid] < v[0])
            swap(&v[mid], &v[0]);
        if (v[last] < v[0])
            swap(&v[last], &v[0]);
        if (v[last] < v[mid])
            swap(&v[last], &v[mid]);
        uint32_t pivot = v[mid];
        uint32_t i = 0, j = last;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
            i++;
            j--;
        }
        /* v[0..j] <= pivot <= v[j+1..n-1]; recurse on the smaller part */
        uint32_t left = j + 1, right = n - left;
        if (left < right) {
            quicksort(v, left);
            v += left;
            n = right;
        } else {
            quicksort(v + left, right);
            n = left;
        }
    }
    insertion_sort(v, n);
}

static void sift_down(uint32_t *v, uint32_t root, uint32_t n)
{
    uint32_t k = v[root];

    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n)
            break;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[child] <= k)
            break;
        v[root] = v[child];
        root = child;
    }
    v[root] = k;
}

static void heapsort(uint32_t *v, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        swap(&v[0], &v[end]);
        sift_down(v, 0, end);
    }
}

static uint32_t seed = 0x9e3779b9u, disorder;

static void fill(void)
{
    for (uint32_t i = 0; i < N; i++)
        a[i] = xorshift32(&seed);
}

static uint32_t check(void)
{
    uint32_t sum = 0;

    for (uint32_t i = 0; i < N; i++) {
        if (i > 0 && a[i - 1] > a[i])
            disorder++;
        sum += a[i] * (i + 1);
    }
    return sum;
}

int main(void)
{
    uint32_t acc = 0;

    bench_start();
    for (uint32_t r = 0; r < BENCH_ROUNDS; r++) {
        fill();
        quicksort(a, N);
        acc = ((acc << 5) | (acc >> 27)) ^ check();
        fill();
        heapsort(a, N);
        acc = ((acc << 5) | (acc >> 27)) ^ check();
    }
    printf("sort: %u rounds of quicksort and heapsort of %u keys: checksum 0x%08x, "
           "disorder %u\n",
           (uint32_t)BENCH_ROUNDS, N, acc, disorder);
    return 0;
}

/* Small statistics, and the cache eviction, shared by the benchmark
 * programs. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Median of n values (mean of the middle two for even n); v is left as it
 * is. 0 for n == 0 or when out of memory. */
static inline uint64_t bench_median(const uint64_t *v, size_t n)
{
	uint64_t *tmp, m;

	if (n == 0 || !(tmp = malloc(n * sizeof(*tmp))))
		return 0;
	memcpy(tmp, v, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), bench_cmp_u64);
	m = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
	free(tmp);
	return m;
}

static inline uint64_t bench_tv_usec(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000 + (uint64_t)tv->tv_usec;
}

/* Evicts the caches, as a second of other work does between two polls:
 * the buffer (NULL: nothing) is written and read whole. */
static inline void bench_chill(uint8_t *junk, size_t len)
{
	volatile uint8_t sink = 0;

	if (!junk)
		return;
	memset(junk, (int)(len & 0xff) + 1, len);
	for (size_t i = 0; i < len; i += 64)
		sink ^= junk[i];
	(void)sink;
}

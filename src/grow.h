/* Growing a heap array by doubling, overflow-checked. Pure: no I/O. */
#pragma once

#include <stddef.h>

/* Returns p, reallocated when *cap < need to the first power-of-two
 * multiple of first (or of *cap, when not 0) that holds need elements of
 * elem bytes (elem > 0), and sets *cap to it. An empty array (p NULL, *cap
 * 0) gets first elements even for need 0, so that NULL always means the
 * one thing: memory is short or the size would overflow; then p is
 * untouched and still valid, and *cap too. */
void *grow_array(void *p, size_t *cap, size_t need, size_t elem, size_t first);

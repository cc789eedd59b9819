/* Doubling growth of heap arrays; see grow.h. */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *grow_array(void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t ncap = *cap ? *cap : (first ? first : 1);
	void *np;

	/* A NULL array is allocated even when nothing is needed (need 0, cap
	 * 0): NULL must mean out of memory, never "no growth needed". */
	if (need <= *cap && (p || *cap))
		return p;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return NULL;
		ncap *= 2;
	}
	/* Checked here rather than left to reallocarray: ASan's build
	 * aborts on that overflow instead of returning NULL. */
	if (elem && ncap > SIZE_MAX / elem)
		return NULL;
	np = realloc(p, ncap * elem);
	if (!np)
		return NULL;
	*cap = ncap;
	return np;
}

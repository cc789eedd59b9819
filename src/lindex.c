#include "lindex.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "util.h"

/* The dense array never shrinks below this, so a namespace with a handful
 * of listeners does not reallocate on every bit of churn. */
#define LINDEX_MIN_CAP 16
/* Unused entries whose pages are given back (lindex_release_tail). */
#define LINDEX_RELEASE_MIN (256u << 10)

static size_t lindex_home(const struct lindex *x, uint64_t cookie)
{
	/* Fibonacci hashing: cookies come from a counter, so consecutive
	 * values must spread; the multiply mixes low bits into the top ones. */
	return (size_t)((cookie * 0x9e3779b97f4a7c15ULL) >> (64 - x->slot_bits));
}

/* Slot holding cookie, or the empty slot where it would go. n_slots > 0. */
static size_t lindex_slot_find(const struct lindex *x, uint64_t cookie)
{
	size_t mask = x->n_slots - 1;
	size_t i = lindex_home(x, cookie);

	while (x->slots[i] && x->v[x->slots[i] - 1].tr.cookie != cookie)
		i = (i + 1) & mask;
	return i;
}

static void lindex_slot_delete(struct lindex *x, size_t i)
{
	size_t mask = x->n_slots - 1;
	size_t j = i;

	for (;;) {
		size_t home;
		bool stays;

		j = (j + 1) & mask;
		if (!x->slots[j])
			break;
		home = lindex_home(x, x->v[x->slots[j] - 1].tr.cookie);
		/* The entry at j must stay if its home lies cyclically in
		 * (i, j]: moving it to i would put it before its home. */
		stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->slots[i] = 0;
}

static int lindex_rebuild(struct lindex *x, size_t cap)
{
	size_t n_slots = 2, mask;
	unsigned bits = 1;
	uint32_t *slots;

	while (n_slots < 2 * cap) {
		n_slots <<= 1;
		bits++;
	}
	slots = calloc(n_slots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(x->slots);
	x->slots = slots;
	x->n_slots = n_slots;
	x->slot_bits = bits;
	mask = n_slots - 1;
	for (size_t k = 0; k < x->n; k++) {
		size_t i = lindex_home(x, x->v[k].tr.cookie);

		while (x->slots[i])
			i = (i + 1) & mask;
		x->slots[i] = (uint32_t)(k + 1);
	}
	return 0;
}

static int lindex_grow(struct lindex *x)
{
	size_t ncap = x->cap;
	struct lindex_entry *nv;
	int r;

	nv = grow_array(x->v, &ncap, x->cap + 1, sizeof(*nv), LINDEX_MIN_CAP);
	if (!nv)
		return -ENOMEM;
	x->v = nv;
	/* On failure the array is merely larger than cap says. */
	r = lindex_rebuild(x, ncap);
	if (r < 0)
		return r;
	x->cap = ncap;
	return 0;
}

/* Entries a burst used and that are free again still count in RSS: once
 * LINDEX_RELEASE_MIN bytes of them have piled up, their pages go back to
 * the kernel, so RSS follows the listener count down within capacity. */
static void lindex_release_tail(struct lindex *x)
{
	x->touched = SW_MIN(x->touched, x->cap);
	if (x->touched <= x->n || (x->touched - x->n) * sizeof(*x->v) < LINDEX_RELEASE_MIN)
		return;
	util_release_tail(x->v, x->n * sizeof(*x->v), x->cap * sizeof(*x->v));
	x->touched = x->n;
}

/* Halving while at most 3/8 is used: capacity follows the listener count
 * down after churn (a burst of new listeners in the poll that old ones
 * vanish doubles it), and a halved array is still at most 3/4 full, so the
 * next few new listeners do not double it again at once. */
void lindex_shrink(struct lindex *x)
{
	while (x->cap > LINDEX_MIN_CAP && x->n <= x->cap / 8 * 3) {
		size_t ncap = x->cap / 2;
		struct lindex_entry *nv;

		if (lindex_rebuild(x, ncap) < 0)
			break;
		nv = reallocarray(x->v, ncap, sizeof(*nv));
		if (nv)
			x->v = nv;
		x->cap = ncap;
	}
	if (x->n == 0 && x->cap == LINDEX_MIN_CAP) {
		/* An empty namespace holds nothing at all. */
		lindex_free(x);
		return;
	}
	lindex_release_tail(x);
}

void lindex_free(struct lindex *x)
{
	free(x->v);
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

struct lindex_entry *lindex_lookup(const struct lindex *x, uint64_t cookie)
{
	size_t i;

	if (x->n == 0)
		return NULL;
	i = lindex_slot_find(x, cookie);
	return x->slots[i] ? &x->v[x->slots[i] - 1] : NULL;
}

int lindex_insert(struct lindex *x, uint64_t cookie, size_t *ret_k)
{
	size_t i, k;
	int r;

	if (x->n >= SW_TRACKER_MAX_LISTENERS)
		return -ENOBUFS;
	if (x->n == x->cap) {
		r = lindex_grow(x);
		if (r < 0)
			return r;
	}
	k = x->n++;
	if (x->n > x->touched)
		x->touched = x->n;
	memset(&x->v[k], 0, sizeof(x->v[k]));
	x->v[k].tr.cookie = cookie;
	i = lindex_slot_find(x, cookie);
	x->slots[i] = (uint32_t)(k + 1);
	*ret_k = k;
	return 0;
}

void lindex_remove_at(struct lindex *x, size_t k)
{
	size_t last = x->n - 1;

	lindex_slot_delete(x, lindex_slot_find(x, x->v[k].tr.cookie));
	if (k != last) {
		x->v[k] = x->v[last];
		/* The moved entry's slot still says last + 1; v[last] still
		 * holds the same cookie, so the probe finds it. */
		x->slots[lindex_slot_find(x, x->v[k].tr.cookie)] = (uint32_t)(k + 1);
	}
	x->n--;
}

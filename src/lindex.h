/* The tracker's listener index: its entries in a dense array (a cheap walk,
 * and the order of tracker_get) found by socket cookie through an
 * open-addressing index. Private to the tracker: each entry carries the
 * update marks the public struct sw_tracked does not show. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "tracker.h"

struct lindex_entry {
	struct sw_tracked tr;       /* first: a tracked pointer is its entry's */
	uint64_t seen_gen;          /* update that last found it in a snapshot */
	uint64_t stepped_gen;       /* update that last stepped its rules */
	/* What the update derived from the config, the namespace's name and
	 * its sysctls, kept while none of them changed (the tracker's epoch):
	 * the thresholds the filter chose and the limits of its wqueue. */
	const struct sw_thresholds *th;
	struct sw_limits lim;
	uint32_t epoch;             /* the tracker's epoch of th and lim; 0: none */
};

/* Zero-initialised is empty. Linear probing over 2 * cap slots, so the load
 * stays at or below 1/2; each slot holds the array position plus one
 * (0 = empty). Removal swaps the last entry into the hole and shifts probe
 * chains back, so no tombstones pile up with churn. */
struct lindex {
	struct lindex_entry *v;
	size_t n, cap;
	size_t touched;             /* most entries used since the tail was released */
	uint32_t *slots;
	size_t n_slots;             /* 0 or a power of two >= 2 * cap */
	unsigned slot_bits;
};

/* Frees the arrays; what the entries point to is the caller's. */
void lindex_free(struct lindex *x);

/* NULL when cookie is not tracked. */
struct lindex_entry *lindex_lookup(const struct lindex *x, uint64_t cookie);

/* Appends a zeroed entry for cookie (not present) and returns its position.
 * -ENOBUFS past SW_TRACKER_MAX_LISTENERS, -ENOMEM. Positions of other
 * entries do not change; pointers into the array may. */
int lindex_insert(struct lindex *x, uint64_t cookie, size_t *ret_k);

/* Removes the entry at k, moving the last one into its place. */
void lindex_remove_at(struct lindex *x, size_t k);

/* After removals: halves the array while at most 3/8 of it is used, and
 * gives back the pages of a tail a burst used. Never fails (a failed
 * reallocation keeps the larger array). */
void lindex_shrink(struct lindex *x);

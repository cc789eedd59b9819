/* What tracker.c and tracker_step.c share: the tracker's fields and one
 * update in progress. Not for other modules: they use tracker.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "lindex.h"
#include "tracker.h"

/* Per SYN group of the snapshot, filled by the first pass of an update:
 * what a group holds is this update's when gen is (no clearing pass). */
struct sw_group_scratch {
	uint64_t gen;               /* the update that wrote it */
	uint64_t reporter;          /* lowest cookie among tracked members */
	uint64_t limit_sum;         /* their SYN limits, summed */
	uint32_t members;
};

struct sw_tracker {
	struct lindex idx;          /* the tracked listeners */
	uint64_t gen;               /* update counter: seen_gen/stepped_gen marks */
	struct sw_ns_state ns;
	size_t n_at_warn;
	size_t n_syn_at_warn;       /* SYN queues at warn or in alert */
	/* Set by tracker_reloaded(): listeners that come into view because
	 * a reload changed the filter are not new sockets. */
	bool reloaded;
	bool syn_full_at_limit;     /* tracker_set_kernel() */
	/* The fast path (tracker_set_fast_path): a listener found as it was
	 * keeps the filter's choice and its limits (lindex_entry.epoch), and
	 * one whose figures did not move and that has nothing open only
	 * counts its samples (tracker_step). */
	bool slow;                  /* tracker_set_fast_path(false): never */
	/* Changes whenever what lindex_entry caches may have changed: a
	 * reload, another config, the namespace's name, its sysctls. */
	uint32_t epoch;
	const struct sw_config *epoch_cfg;  /* the config of the last update */
	bool renamed;               /* tracker_set_ns() changed the name */
	size_t n_seen;              /* entries the passes found in this update */
	size_t n_fast;              /* ... of them stepped by the fast path */

	/* Scratch, bounded by the largest recent snapshot and shrunk back. */
	/* Per snapshot listener, the inet ones first, then the UNIX ones. */
	const struct sw_thresholds **lth;   /* NULL: not tracked */
	size_t lth_cap;
	/* Per snapshot listener: its position in idx last time (see
	 * tracker_find_hinted); entries past hint_n are not set. */
	uint32_t *hint;
	size_t hint_cap, hint_n;
	struct sw_group_scratch *grp;
	size_t grp_cap;
};

/* One update in progress. A failed allocation costs one listener or one
 * event, not the poll: the first error is kept in sink.err, the update goes
 * on and returns it at the end. */
struct update_ctx {
	struct sw_tracker *t;
	const struct sw_snapshot *s;
	const struct sw_unix_snapshot *us;  /* NULL: no UNIX dump in this update */
	const struct sw_config *cfg;
	/* The namespace is released: absent UNIX listeners are gone at once. */
	bool final;
	uint64_t now_usec;
	/* Listeners first seen now were born since the last update (so all
	 * their drops are news). */
	bool births;
	struct alert_sink sink;     /* the events, and the first error */
};

static inline void update_fail(struct update_ctx *c, int r)
{
	if (!c->sink.err)
		c->sink.err = r;
}

/* One listener's step in an update: its figures from l and e->lim, its
 * history, both queue rules and its drops against e->th, its level and
 * the warn counts. A listener whose figures did not move and that has
 * nothing open (no alert, no run at warn, no drops waiting) takes the fast
 * path: the same result, most of it left as it was. */
void tracker_step(struct update_ctx *c, struct lindex_entry *e, const struct sw_listener *l);

/* The same for a UNIX listener: only its accept queue, no drops; a queue
 * over its limit is critical at once (nothing counts what it refuses). */
void tracker_step_unix(struct update_ctx *c, struct lindex_entry *e,
		       const struct sw_unix_listener *l);

/* Frees what an entry owns (its detail, its path). */
void tracker_entry_forget(struct sw_tracked *tr);

/* Fuzz target: diag_parse_synrecv(), the parser of a TCP_SYN_RECV dump
 * reply, and the SYN-queue tallies of snapshot_add_request() behind it.
 *
 * Each input is fed to a snapshot indexed with the listeners of
 * fuzz_diag.h, cut into 32 KiB datagrams. Besides memory errors it checks
 * the bookkeeping the alerts are computed from: every request counted is
 * either in exactly one group's depth or unmatched, every group's depth is
 * the sum of its sources plus other_sources, the per-group bound on
 * distinct sources holds, and a redone scan (snapshot_reset_requests(), as
 * diag_dump_synrecv() does) gives the same tallies. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include "diag_parse.h"
#include "fuzz.h"
#include "fuzz_diag.h"
#include "snapshot.h"
#include "macro.h"

#define N_LISTENERS SW_ARRAY_SIZE(fuzz_listeners)

static void add_listeners(struct sw_snapshot *s)
{
	for (size_t i = 0; i < N_LISTENERS; i++) {
		const struct fuzz_listener *f = &fuzz_listeners[i];
		struct sw_listener l = {
			.cookie = f->cookie, .family = (uint8_t)f->family, .v6only = f->v6only,
			.port = f->port, .ifindex = f->ifindex, .accept_limit = 128,
		};

		if (inet_pton(f->family, f->addr, l.addr) != 1 || snapshot_add_listener(s, &l) < 0)
			abort();
	}
	if (snapshot_index(s) < 0)
		abort();
}

struct tallies {
	uint64_t requests, unmatched;
	uint32_t depth[N_LISTENERS], n_sources[N_LISTENERS], other[N_LISTENERS];
};

static int source_cmp(const void *a, const void *b)
{
	const struct sw_syn_source *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

/* A source address is tallied once per group: sorted, no two are equal. */
static void check_distinct(const struct sw_syn_group *grp, size_t g)
{
	struct sw_syn_source *copy;

	if (grp->n_sources < 2)
		return;
	copy = malloc(grp->n_sources * sizeof(*copy));
	if (!copy)
		abort();
	memcpy(copy, grp->sources, grp->n_sources * sizeof(*copy));
	qsort(copy, grp->n_sources, sizeof(*copy), source_cmp);
	for (uint32_t k = 1; k < grp->n_sources; k++)
		FUZZ_ASSERT(source_cmp(&copy[k - 1], &copy[k]) != 0,
			    "group %zu: one address tallied as two sources", g);
	free(copy);
}

static void check_tallies(const struct sw_snapshot *s, size_t size, struct tallies *ret)
{
	uint64_t sum = 0;
	size_t total_sources = 0;

	/* Request sockets only count, they never add listeners or groups. */
	FUZZ_ASSERT(s->n_listeners == N_LISTENERS, "%zu listeners", s->n_listeners);
	FUZZ_ASSERT(s->n_groups <= N_LISTENERS, "%zu groups", s->n_groups);
	FUZZ_ASSERT(s->syn_requests <= size / (NLMSG_HDRLEN + sizeof(struct inet_diag_msg)),
		    "%llu requests from %zu bytes", (unsigned long long)s->syn_requests, size);
	memset(ret, 0, sizeof(*ret));
	for (size_t g = 0; g < s->n_groups; g++) {
		const struct sw_syn_group *grp = &s->groups[g];
		uint64_t from_sources = grp->other_sources;

		FUZZ_ASSERT(grp->n_sources <= SW_SYN_SOURCES_PER_GROUP &&
				    grp->n_sources <= grp->cap_sources,
			    "group %zu: %u sources, cap %u", g, grp->n_sources, grp->cap_sources);
		for (uint32_t k = 0; k < grp->n_sources; k++) {
			const struct sw_syn_source *src = &grp->sources[k];

			FUZZ_ASSERT(src->count > 0, "group %zu: source %u with no requests", g, k);
			FUZZ_ASSERT(src->family == grp->family, "group %zu: source of another family",
				    g);
			from_sources += src->count;
		}
		check_distinct(grp, g);
		FUZZ_ASSERT(from_sources == grp->depth,
			    "group %zu: depth %u, sources + other add up to %llu", g, grp->depth,
			    (unsigned long long)from_sources);
		sum += grp->depth;
		total_sources += grp->n_sources;
		ret->depth[g] = grp->depth;
		ret->n_sources[g] = grp->n_sources;
		ret->other[g] = grp->other_sources;
	}
	FUZZ_ASSERT(total_sources <= SW_SYN_SOURCES_TOTAL, "%zu sources", total_sources);
	FUZZ_ASSERT(sum + s->syn_unmatched == s->syn_requests,
		    "depths %llu + unmatched %llu != requests %llu", (unsigned long long)sum,
		    (unsigned long long)s->syn_unmatched, (unsigned long long)s->syn_requests);
	ret->requests = s->syn_requests;
	ret->unmatched = s->syn_unmatched;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_snapshot s;
	struct tallies a, b;
	uint64_t skipped_msgs;
	int r, r2;

	snapshot_init(&s);
	add_listeners(&s);
	r = fuzz_diag_feed(diag_parse_synrecv, data, size, &s);
	FUZZ_ASSERT(r <= 1 && r > INT32_MIN, "ret %d", r);
	check_tallies(&s, size, &a);
	skipped_msgs = s.skipped_msgs;

	/* A redone scan starts from reset tallies on the same groups. */
	snapshot_reset_requests(&s);
	FUZZ_ASSERT(s.syn_requests == 0 && s.syn_unmatched == 0, "reset left tallies");
	s.skipped_msgs = 0;
	r2 = fuzz_diag_feed(diag_parse_synrecv, data, size, &s);
	check_tallies(&s, size, &b);
	FUZZ_ASSERT(r2 == r && s.skipped_msgs == skipped_msgs && memcmp(&a, &b, sizeof(a)) == 0,
		    "redone scan differs: ret %d/%d, requests %llu/%llu", r, r2,
		    (unsigned long long)a.requests, (unsigned long long)b.requests);
	snapshot_clear(&s);
	return 0;
}

/* One poll's worth of plain data, and the lookups that turn a SYN_RECV dump
 * into per-listener SYN-queue depths.
 *
 * Groups are kept sorted by (family, address, port) so that a request finds
 * its group by binary search; distinct remote addresses are tallied through
 * one open-addressing hash per snapshot, keyed by (group, address), with a
 * secret seed because the addresses come from whoever sends us SYNs. */
#include "snapshot.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "grow.h"
#include "macro.h"

/* The first allocation of a growing array; small because most hosts have a
 * few dozen listeners and most groups see few distinct sources. */
#define SNAP_MIN_CAP     16
#define SNAP_MIN_SOURCES 8
#define SNAP_MIN_TABLE   256

struct snap_slot {
	uint32_t group_plus1;      /* 0: empty */
	uint32_t src;              /* index in groups[group].sources */
};

struct snap_index {
	bool indexed;              /* groups and lookups match ->listeners */

	/* Listener indices sorted by (family, addr, port, ifindex): each group's
	 * members are one run, found from grp_first, sorted by ifindex. */
	uint32_t *order;
	size_t cap_order;
	/* order and by_cookie hold a permutation of [0, sorted_n): the last
	 * index's, tried first by the next one. */
	size_t sorted_n;
	uint32_t *grp_first;
	bool *grp_unbound;         /* the group has a member without a device */
	size_t cap_grp;

	/* Listener indices sorted by cookie, for snapshot_find_cookie(). */
	uint32_t *by_cookie;
	size_t cap_cookie;

	/* (group, remote address) -> source; power-of-two size, at most half
	 * full. */
	struct snap_slot *tab;
	size_t tab_cap, tab_used;
	uint64_t seed[4];
};

static void snapshot_index_free(struct snap_index *p)
{
	if (!p)
		return;
	free(p->order);
	free(p->grp_first);
	free(p->grp_unbound);
	free(p->by_cookie);
	free(p->tab);
	free(p);
}

static struct snap_index *snapshot_index_get(struct sw_snapshot *s)
{
	struct snap_index *p = s->index;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	/* A seed the sender of the SYNs cannot guess keeps them from choosing
	 * addresses that all land in one probe chain. */
	if (getrandom(p->seed, sizeof(p->seed), GRND_NONBLOCK) != (ssize_t)sizeof(p->seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		p->seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL;
		p->seed[1] = (uint64_t)(uintptr_t)p ^ (uint64_t)ts.tv_sec;
		p->seed[2] = p->seed[0] ^ 0xc2b2ae3d27d4eb4fULL;
		p->seed[3] = p->seed[1] * 0x165667b19e3779f9ULL;
	}
	s->index = p;
	return p;
}

void snapshot_init(struct sw_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->sysctl = (struct sw_sysctl)SW_SYSCTL_UNKNOWN;
}

void snapshot_clear(struct sw_snapshot *s)
{
	if (!s)
		return;
	free(s->listeners);
	/* Groups past n_groups keep their source arrays for reuse: free them
	 * all. */
	for (size_t i = 0; i < s->cap_groups; i++)
		free(s->groups[i].sources);
	free(s->groups);
	snapshot_index_free(s->index);
	snapshot_init(s);
}

static void snapshot_tallies_clear(struct sw_snapshot *s)
{
	struct snap_index *p = s->index;

	for (size_t i = 0; i < s->n_groups; i++) {
		s->groups[i].depth = 0;
		s->groups[i].n_sources = 0;
		s->groups[i].other_sources = 0;
	}
	if (p && p->tab_used) {
		memset(p->tab, 0, p->tab_cap * sizeof(*p->tab));
		p->tab_used = 0;
	}
	s->syn_scanned = false;
	s->syn_requests = 0;
	s->syn_unmatched = 0;
}

void snapshot_reset_requests(struct sw_snapshot *s)
{
	snapshot_tallies_clear(s);
}

void snapshot_reset(struct sw_snapshot *s)
{
	snapshot_tallies_clear(s);
	s->n_listeners = 0;
	s->n_groups = 0;
	if (s->index)
		s->index->indexed = false;
	s->netns = 0;
	s->taken_usec = 0;
	s->sysctl = (struct sw_sysctl)SW_SYSCTL_UNKNOWN;
	memset(&s->netstat, 0, sizeof(s->netstat));
	s->skipped_msgs = 0;
	s->skipped_attrs = 0;
	s->dump_retries = 0;
}

void snapshot_truncate(struct sw_snapshot *s, size_t n)
{
	if (n >= s->n_listeners)
		return;
	s->n_listeners = n;
	if (s->index)
		s->index->indexed = false;
}

/* Grows *arr (elements of size sz) to hold at least want; new room is
 * zeroed. */
static int snapshot_grow(void **arr, size_t *cap, size_t want, size_t sz)
{
	size_t old = *cap;
	void *a;

	if (want <= old)
		return 0;
	a = grow_array(*arr, cap, want, sz, SNAP_MIN_CAP);
	if (!a)
		return -ENOMEM;
	memset((char *)a + old * sz, 0, (*cap - old) * sz);
	*arr = a;
	return 0;
}

int snapshot_add_listener(struct sw_snapshot *s, const struct sw_listener *l)
{
	int r;

	/* Indices into the array are uint32_t and int32_t syn_group. */
	if (s->n_listeners >= INT32_MAX)
		return -E2BIG;
	r = snapshot_grow((void **)&s->listeners, &s->cap_listeners, s->n_listeners + 1,
			  sizeof(*s->listeners));
	if (r < 0)
		return r;
	s->listeners[s->n_listeners] = *l;
	/* AF_INET uses 4 bytes; zero the rest so keys compare whole. */
	if (l->family == AF_INET)
		memset(s->listeners[s->n_listeners].addr + 4, 0, 12);
	s->listeners[s->n_listeners].syn_group = -1;
	s->n_listeners++;
	if (s->index)
		s->index->indexed = false;
	return 0;
}

/* memcmp() order of two 16-byte addresses, as two big-endian words: this
 * runs for every listener at every poll (and n log n times when the set
 * changed), where a libc call per comparison showed in profiles. */
static inline int snapshot_addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	if (x == y) {
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
		if (x == y)
			return 0;
	}
	return be64toh(x) < be64toh(y) ? -1 : 1;
}

static int snapshot_key_cmp(uint8_t fa, const uint8_t *aa, uint16_t pa,
			    uint8_t fb, const uint8_t *ab, uint16_t pb)
{
	int c;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	c = snapshot_addr_cmp(aa, ab);
	if (c)
		return c;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return 0;
}

static int snapshot_order_cmp(const void *a, const void *b, void *ctx)
{
	const struct sw_listener *ls = ctx;
	const struct sw_listener *x = &ls[*(const uint32_t *)a];
	const struct sw_listener *y = &ls[*(const uint32_t *)b];
	int c = snapshot_key_cmp(x->family, x->addr, x->port, y->family, y->addr, y->port);

	if (c)
		return c;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return 0;
}

static int snapshot_cookie_cmp(const void *a, const void *b, void *ctx)
{
	const struct sw_listener *ls = ctx;
	uint64_t x = ls[*(const uint32_t *)a].cookie;
	uint64_t y = ls[*(const uint32_t *)b].cookie;

	return x < y ? -1 : x > y;
}

/* Sorts idx[0..n) (indices into ls) by cmp. The kernel dumps listeners in
 * the same order from one poll to the next while the set does not change,
 * so last poll's permutation (reuse: idx holds one of [0, n)) is usually
 * sorted already: one pass checks it, and only a changed set pays for a
 * sort. */
static void snapshot_sort(uint32_t *idx, size_t n, bool reuse,
			  int (*cmp)(const void *, const void *, void *),
			  const struct sw_listener *ls)
{
	size_t i;

	if (reuse) {
		for (i = 1; i < n; i++)
			if (cmp(&idx[i - 1], &idx[i], (void *)ls) > 0)
				break;
		if (i >= n)
			return;
	}
	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, n, sizeof(*idx), cmp, (void *)ls);
}

int snapshot_index(struct sw_snapshot *s)
{
	struct snap_index *p = snapshot_index_get(s);
	size_t n = s->n_listeners, ng = 0;
	int r;

	if (!p)
		return -ENOMEM;
	p->indexed = false;
	r = snapshot_grow((void **)&p->order, &p->cap_order, n, sizeof(*p->order));
	if (r < 0)
		return r;
	r = snapshot_grow((void **)&p->by_cookie, &p->cap_cookie, n, sizeof(*p->by_cookie));
	if (r < 0)
		return r;
	snapshot_sort(p->order, n, p->sorted_n == n, snapshot_order_cmp, s->listeners);
	snapshot_sort(p->by_cookie, n, p->sorted_n == n, snapshot_cookie_cmp, s->listeners);
	p->sorted_n = n;

	for (size_t i = 0; i < n; i++) {
		const struct sw_listener *l = &s->listeners[p->order[i]];
		const struct sw_listener *prev = i ? &s->listeners[p->order[i - 1]] : NULL;

		if (!prev || snapshot_key_cmp(l->family, l->addr, l->port,
					      prev->family, prev->addr, prev->port))
			ng++;
	}
	r = snapshot_grow((void **)&s->groups, &s->cap_groups, ng, sizeof(*s->groups));
	if (r < 0)
		return r;
	r = snapshot_grow((void **)&p->grp_first, &p->cap_grp, ng, sizeof(*p->grp_first));
	if (r < 0)
		return r;
	if (p->cap_grp > 0) {
		/* grp_unbound follows grp_first's capacity. */
		bool *u = realloc(p->grp_unbound, p->cap_grp * sizeof(*u));

		if (!u)
			return -ENOMEM;
		p->grp_unbound = u;
	}

	ng = 0;
	for (size_t i = 0; i < n; i++) {
		struct sw_listener *l = &s->listeners[p->order[i]];
		const struct sw_listener *prev = i ? &s->listeners[p->order[i - 1]] : NULL;
		struct sw_syn_group *g;

		if (!prev || snapshot_key_cmp(l->family, l->addr, l->port,
					      prev->family, prev->addr, prev->port)) {
			g = &s->groups[ng];
			/* Keep the source array of an earlier poll. */
			g->family = l->family;
			memcpy(g->addr, l->addr, 16);
			g->port = l->port;
			g->n_members = 0;
			g->depth = 0;
			g->n_sources = 0;
			g->other_sources = 0;
			p->grp_first[ng] = (uint32_t)i;
			p->grp_unbound[ng] = false;
			ng++;
		}
		g = &s->groups[ng - 1];
		g->n_members++;
		if (l->ifindex == 0)
			p->grp_unbound[ng - 1] = true;
		l->syn_group = (int32_t)(ng - 1);
	}
	s->n_groups = ng;

	if (p->tab_used) {
		memset(p->tab, 0, p->tab_cap * sizeof(*p->tab));
		p->tab_used = 0;
	}
	s->syn_scanned = false;
	s->syn_requests = 0;
	s->syn_unmatched = 0;
	p->indexed = true;
	return 0;
}

/* Whether the lookups still describe ->listeners. */
static bool snapshot_is_indexed(const struct sw_snapshot *s)
{
	const struct snap_index *p = s->index;

	return p && p->indexed;
}

static long snapshot_group_find(const struct sw_snapshot *s, uint8_t family,
				const uint8_t *addr, uint16_t port)
{
	size_t lo = 0, hi = s->n_groups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sw_syn_group *g = &s->groups[mid];
		int c = snapshot_key_cmp(family, addr, port, g->family, g->addr, g->port);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Whether a request that names ifindex can belong to group g. The kernel
 * gives a request the device of the listener that took it (or, for an
 * unbound listener, the incoming device of a link-local SYN), so an unbound
 * member may hold any request and a bound one only its own device's. */
static bool snapshot_group_takes_ifindex(const struct sw_snapshot *s, long g, uint32_t ifindex)
{
	const struct snap_index *p = s->index;
	const uint32_t *m = p->order + p->grp_first[g];
	size_t lo = 0, hi = s->groups[g].n_members;

	if (p->grp_unbound[g])
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t x = s->listeners[m[mid]].ifindex;

		if (x == ifindex)
			return true;
		if (ifindex < x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static long snapshot_group_for(const struct sw_snapshot *s, const struct sw_request *r)
{
	static const uint8_t any[16];
	long exact, wild;

	exact = snapshot_group_find(s, r->family, r->laddr, r->lport);
	/* For AF_INET6 the wildcard [::] also takes the v4-mapped requests of a
	 * dual-stack listener: those carry ::ffff:a.b.c.d and, when no listener
	 * is bound to that mapped address, fall through to [::] here. */
	wild = memcmp(r->laddr, any, 16) ? snapshot_group_find(s, r->family, any, r->lport) : -1;

	/* The kernel's listener lookup tries the exact address before the
	 * wildcard, and within an address only listeners whose device fits. */
	if (exact >= 0 && snapshot_group_takes_ifindex(s, exact, r->ifindex))
		return exact;
	if (wild >= 0 && snapshot_group_takes_ifindex(s, wild, r->ifindex))
		return wild;
	/* A device we cannot explain (an l3mdev/VRF master, say): match on
	 * address alone rather than lose the request. */
	return exact >= 0 ? exact : wild;
}

static inline uint64_t snapshot_mum(uint64_t a, uint64_t b)
{
	__uint128_t m = (__uint128_t)a * b;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static uint64_t snapshot_hash(const struct snap_index *p, uint32_t group, uint8_t family,
			      const uint8_t *addr)
{
	uint64_t w0, w1;

	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	return snapshot_mum(w0 ^ p->seed[0], w1 ^ p->seed[1]) ^
	       snapshot_mum(((uint64_t)group << 8 | family) ^ p->seed[2], p->seed[3]);
}

/* Rebuilds the table at twice the size. */
static int snapshot_tab_grow(struct sw_snapshot *s)
{
	struct snap_index *p = s->index;
	size_t ncap = p->tab_cap ? p->tab_cap * 2 : SNAP_MIN_TABLE;
	struct snap_slot *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < p->tab_cap; i++) {
		const struct snap_slot *o = &p->tab[i];
		const struct sw_syn_source *src;
		size_t j;

		if (!o->group_plus1)
			continue;
		src = &s->groups[o->group_plus1 - 1].sources[o->src];
		j = snapshot_hash(p, o->group_plus1 - 1, src->family, src->addr) & (ncap - 1);
		while (nt[j].group_plus1)
			j = (j + 1) & (ncap - 1);
		nt[j] = *o;
	}
	free(p->tab);
	p->tab = nt;
	p->tab_cap = ncap;
	return 0;
}

static int snapshot_tally_source(struct sw_snapshot *s, uint32_t gi, const struct sw_request *r)
{
	struct snap_index *p = s->index;
	struct sw_syn_group *g = &s->groups[gi];
	struct sw_syn_source *src;
	size_t j;
	int ret;

	if (p->tab_cap) {
		j = snapshot_hash(p, gi, r->family, r->raddr) & (p->tab_cap - 1);
		for (; p->tab[j].group_plus1; j = (j + 1) & (p->tab_cap - 1)) {
			if (p->tab[j].group_plus1 != gi + 1)
				continue;
			src = &g->sources[p->tab[j].src];
			if (src->family == r->family && memcmp(src->addr, r->raddr, 16) == 0) {
				src->count++;
				return 0;
			}
		}
	}

	/* A new address for this group. */
	if (g->n_sources >= SW_SYN_SOURCES_PER_GROUP || p->tab_used >= SW_SYN_SOURCES_TOTAL) {
		g->other_sources++;
		return 0;
	}
	if (g->n_sources == g->cap_sources) {
		uint32_t ncap = g->cap_sources ? g->cap_sources * 2 : SNAP_MIN_SOURCES;
		struct sw_syn_source *ns;

		ncap = SW_MIN(ncap, (uint32_t)SW_SYN_SOURCES_PER_GROUP);
		ns = realloc(g->sources, ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		g->sources = ns;
		g->cap_sources = ncap;
	}
	if ((p->tab_used + 1) * 2 > p->tab_cap) {
		ret = snapshot_tab_grow(s);
		if (ret < 0)
			return ret;
	}
	src = &g->sources[g->n_sources];
	src->family = r->family;
	memcpy(src->addr, r->raddr, 16);
	src->count = 1;

	j = snapshot_hash(p, gi, r->family, r->raddr) & (p->tab_cap - 1);
	while (p->tab[j].group_plus1)
		j = (j + 1) & (p->tab_cap - 1);
	p->tab[j].group_plus1 = gi + 1;
	p->tab[j].src = g->n_sources;
	p->tab_used++;
	g->n_sources++;
	return 0;
}

int snapshot_add_request(struct sw_snapshot *s, const struct sw_request *req)
{
	struct sw_request rq = *req, *r = &rq;
	long gi;
	int ret;

	if (r->family == AF_INET) {
		memset(r->laddr + 4, 0, 12);
		memset(r->raddr + 4, 0, 12);
	}

	/* The header asks for an indexed snapshot; index a stale one rather
	 * than match against groups that no longer fit the listeners. */
	if (!snapshot_is_indexed(s)) {
		ret = snapshot_index(s);
		if (ret < 0)
			return ret;
	}
	s->syn_requests++;
	gi = snapshot_group_for(s, r);
	if (gi < 0) {
		s->syn_unmatched++;
		return 0;
	}
	s->groups[gi].depth++;
	return snapshot_tally_source(s, (uint32_t)gi, r);
}

const struct sw_listener *snapshot_find_cookie(const struct sw_snapshot *s, uint64_t cookie)
{
	const struct snap_index *p = s->index;
	size_t lo = 0, hi;

	if (!snapshot_is_indexed(s)) {
		/* Before snapshot_index() there is no sorted view yet. */
		for (size_t i = 0; i < s->n_listeners; i++)
			if (s->listeners[i].cookie == cookie)
				return &s->listeners[i];
		return NULL;
	}
	hi = s->n_listeners;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sw_listener *l = &s->listeners[p->by_cookie[mid]];

		if (l->cookie == cookie)
			return l;
		if (cookie < l->cookie)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

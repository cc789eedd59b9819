/* snapshot: SYN groups (one per family/address/port), which group a request
 * socket belongs to (exact address, wildcard, dual-stack, device), the
 * bounds on per-group and per-snapshot source tallies, cookie lookup, and
 * reuse of the allocations after snapshot_reset(). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checkrun.h"
#include "snapshot.h"
#include "util.h"

static void addr_set(int family, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	ck_assert_msg(inet_pton(family, text, out) == 1, "bad address %s", text);
}

static struct sw_listener mk_listener(int family, const char *addr, uint16_t port,
				      uint64_t cookie, uint32_t ifindex)
{
	struct sw_listener l = { 0 };

	l.family = (uint8_t)family;
	addr_set(family, addr, l.addr);
	l.port = port;
	l.cookie = cookie;
	l.ifindex = ifindex;
	l.syn_group = 1234;  /* snapshot_add_listener() must reset it */
	return l;
}

static struct sw_request mk_request(int family, const char *laddr, uint16_t lport,
				    const char *raddr, uint32_t ifindex)
{
	struct sw_request r = { 0 };

	r.family = (uint8_t)family;
	addr_set(family, laddr, r.laddr);
	r.lport = lport;
	addr_set(family, raddr, r.raddr);
	r.rport = 40000;
	r.ifindex = ifindex;
	return r;
}

/* The listeners every matching case runs against. */
struct lst { int family; const char *addr; uint16_t port; uint64_t cookie; uint32_t ifindex; };
static const struct lst listeners[] = {
	{ AF_INET,  "0.0.0.0",          80,   1, 0 },
	{ AF_INET,  "127.0.0.2",        80,   2, 0 },  /* beside 0.0.0.0:80 (reuseport) */
	{ AF_INET6, "::",               443,  3, 0 },  /* dual-stack */
	{ AF_INET6, "::1",              443,  4, 0 },
	{ AF_INET,  "0.0.0.0",          8080, 5, 0 },  /* reuseport pair ... */
	{ AF_INET,  "0.0.0.0",          8080, 6, 0 },  /* ... one group */
	{ AF_INET6, "::ffff:127.0.0.5", 9000, 7, 0 },  /* v6 socket bound to a mapped address */
	{ AF_INET6, "::",               9000, 8, 0 },
	{ AF_INET,  "10.0.0.1",         22,   9, 5 },  /* SO_BINDTODEVICE ifindex 5 */
	{ AF_INET,  "0.0.0.0",          22,  10, 0 },
	{ AF_INET,  "127.0.0.1",        25,  11, 0 },  /* no wildcard on 25 */
	{ AF_INET6, "::",               80,  12, 0 },  /* v6only beside 0.0.0.0:80 */
};
#define N_GROUPS 11

static void fill(struct sw_snapshot *s)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(listeners); i++) {
		const struct lst *t = &listeners[i];
		struct sw_listener l = mk_listener(t->family, t->addr, t->port, t->cookie, t->ifindex);

		ck_assert_int_eq(snapshot_add_listener(s, &l), 0);
	}
	if (!s->n_listeners)
		return;
	/* The v6only flag does not change grouping. */
	s->listeners[SW_ARRAY_SIZE(listeners) - 1].v6only = true;
}

struct match_case {
	const char *name;
	int family;
	const char *laddr;
	uint16_t lport;
	uint32_t ifindex;
	uint64_t want_cookie;     /* listener whose group takes it; 0: unmatched */
};

static const struct match_case match_cases[] = {
	{ "v4 to wildcard",               AF_INET,  "127.0.0.1",        80,   0, 1 },
	{ "v4 exact beside wildcard",     AF_INET,  "127.0.0.2",        80,   0, 2 },
	{ "v4 wildcard-addressed request",AF_INET,  "0.0.0.0",          80,   0, 1 },
	{ "v4-mapped to dual-stack [::]", AF_INET6, "::ffff:127.0.0.1", 443,  0, 3 },
	{ "v6 exact ::1",                 AF_INET6, "::1",              443,  0, 4 },
	{ "v6 other address to [::]",     AF_INET6, "2001:db8::7",      443,  0, 3 },
	{ "v4 never matches v6 [::]",     AF_INET,  "127.0.0.1",        443,  0, 0 },
	{ "v6 never matches v4 0.0.0.0",  AF_INET6, "::1",              8080, 0, 0 },
	{ "reuseport pair",               AF_INET,  "10.1.1.1",         8080, 0, 5 },
	{ "v4-mapped exact v6 listener",  AF_INET6, "::ffff:127.0.0.5", 9000, 0, 7 },
	{ "v4-mapped other to [::]",      AF_INET6, "::ffff:127.0.0.6", 9000, 0, 8 },
	{ "device-bound exact",           AF_INET,  "10.0.0.1",         22,   5, 9 },
	{ "unbound request skips bound",  AF_INET,  "10.0.0.1",         22,   0, 10 },
	{ "other device to wildcard",     AF_INET,  "10.0.0.1",         22,   7, 10 },
	{ "exact only, no wildcard",      AF_INET,  "127.0.0.1",        25,   0, 11 },
	{ "unknown address, no wildcard", AF_INET,  "127.0.0.2",        25,   0, 0 },
	{ "v6 to v6only [::]:80",         AF_INET6, "::1",              80,   0, 12 },
	{ "v4-mapped falls to [::]:80",    AF_INET6, "::ffff:127.0.0.2", 80,   0, 12 },
	{ "no listener on port",          AF_INET,  "127.0.0.1",        81,   0, 0 },
	{ "ifindex on unbound group",     AF_INET,  "127.0.0.2",        80,   3, 2 },
};

START_TEST(test_match_table)
{
	const struct match_case *t = &match_cases[_i];
	const char *raddr = t->family == AF_INET ? "192.0.2.9" : "2001:db8::9";
	struct sw_request r = mk_request(t->family, t->laddr, t->lport, raddr, t->ifindex);
	struct sw_snapshot s;
	int32_t want = -1;

	snapshot_init(&s);
	fill(&s);
	ck_assert_int_eq(snapshot_index(&s), 0);
	if (t->want_cookie) {
		const struct sw_listener *l = snapshot_find_cookie(&s, t->want_cookie);

		ck_assert_ptr_nonnull(l);
		want = l->syn_group;
	}
	ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	ck_assert_uint_eq(s.syn_requests, 1);
	ck_assert_msg(s.syn_unmatched == (want < 0 ? 1u : 0u), "%s: unmatched %lu", t->name,
		      (unsigned long)s.syn_unmatched);
	for (size_t g = 0; g < s.n_groups; g++) {
		const struct sw_syn_group *gr = &s.groups[g];

		if ((int32_t)g == want) {
			ck_assert_msg(gr->depth == 1, "%s: depth %u", t->name, gr->depth);
			ck_assert_uint_eq(gr->n_sources, 1);
			ck_assert_uint_eq(gr->sources[0].count, 1);
			ck_assert_uint_eq(gr->sources[0].family, (unsigned)t->family);
			ck_assert_mem_eq(gr->sources[0].addr, r.raddr, 16);
		} else {
			ck_assert_msg(gr->depth == 0, "%s: group %zu has depth %u", t->name, g,
				      gr->depth);
		}
	}
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_groups)
{
	struct sw_snapshot s;
	const struct sw_listener *a, *b;

	snapshot_init(&s);
	fill(&s);
	for (size_t i = 0; i < s.n_listeners; i++)
		ck_assert_int_eq(s.listeners[i].syn_group, -1);
	ck_assert_int_eq(snapshot_index(&s), 0);
	ck_assert_uint_eq(s.n_groups, N_GROUPS);

	/* Every listener points at the group of its own key. */
	for (size_t i = 0; i < s.n_listeners; i++) {
		const struct sw_listener *l = &s.listeners[i];
		const struct sw_syn_group *g;

		ck_assert_int_ge(l->syn_group, 0);
		ck_assert_int_lt(l->syn_group, (int)s.n_groups);
		g = &s.groups[l->syn_group];
		ck_assert_uint_eq(g->family, l->family);
		ck_assert_mem_eq(g->addr, l->addr, 16);
		ck_assert_uint_eq(g->port, l->port);
		ck_assert_uint_eq(g->depth, 0);
	}
	/* The reuseport pair shares one group of two members; 127.0.0.2:80
	 * and 0.0.0.0:80 do not. */
	a = snapshot_find_cookie(&s, 5);
	b = snapshot_find_cookie(&s, 6);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(a->syn_group, b->syn_group);
	ck_assert_uint_eq(s.groups[a->syn_group].n_members, 2);
	ck_assert_int_ne(snapshot_find_cookie(&s, 1)->syn_group,
			 snapshot_find_cookie(&s, 2)->syn_group);
	ck_assert_uint_eq(s.groups[snapshot_find_cookie(&s, 1)->syn_group].n_members, 1);

	/* Cookie lookup for all, and for one that is absent. */
	for (size_t i = 0; i < SW_ARRAY_SIZE(listeners); i++) {
		const struct sw_listener *l = snapshot_find_cookie(&s, listeners[i].cookie);

		ck_assert_ptr_nonnull(l);
		ck_assert_uint_eq(l->cookie, listeners[i].cookie);
		ck_assert_uint_eq(l->port, listeners[i].port);
	}
	ck_assert_ptr_null(snapshot_find_cookie(&s, 999));
	ck_assert_ptr_null(snapshot_find_cookie(&s, 0));
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_find_cookie_unindexed)
{
	struct sw_snapshot s;
	struct sw_listener l = mk_listener(AF_INET, "127.0.0.1", 1, 77, 0);

	snapshot_init(&s);
	ck_assert_ptr_null(snapshot_find_cookie(&s, 77));
	ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	ck_assert_ptr_eq(snapshot_find_cookie(&s, 77), &s.listeners[0]);
	ck_assert_int_eq(snapshot_index(&s), 0);
	/* A listener added after the index must still be found. */
	l.cookie = 78;
	ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	ck_assert_ptr_eq(snapshot_find_cookie(&s, 78), &s.listeners[1]);
	ck_assert_ptr_eq(snapshot_find_cookie(&s, 77), &s.listeners[0]);
	/* Truncated (as a rolled-back dump does): no stale answers. */
	ck_assert_int_eq(snapshot_index(&s), 0);
	snapshot_truncate(&s, 1);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_ptr_null(snapshot_find_cookie(&s, 78));
	ck_assert_ptr_eq(snapshot_find_cookie(&s, 77), &s.listeners[0]);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_request_autoindex)
{
	struct sw_snapshot s;
	struct sw_listener l = mk_listener(AF_INET, "0.0.0.0", 80, 1, 0);
	struct sw_request r = mk_request(AF_INET, "127.0.0.1", 80, "10.0.0.1", 0);

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	/* Not indexed yet: the request indexes rather than miss. */
	ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	ck_assert_uint_eq(s.n_groups, 1);
	ck_assert_uint_eq(s.groups[0].depth, 1);
	ck_assert_int_eq(s.listeners[0].syn_group, 0);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_ipv4_tail_bytes_ignored)
{
	struct sw_snapshot s;
	struct sw_listener l = mk_listener(AF_INET, "127.0.0.1", 80, 1, 0);
	struct sw_request r = mk_request(AF_INET, "127.0.0.1", 80, "10.0.0.1", 0);

	/* AF_INET uses 4 bytes; garbage after them must not split keys. */
	memset(l.addr + 4, 0xaa, 12);
	memset(r.laddr + 4, 0x55, 12);
	memset(r.raddr + 4, 0x77, 12);
	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	memset(r.raddr + 4, 0x11, 12);
	ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	ck_assert_uint_eq(s.groups[0].depth, 2);
	ck_assert_uint_eq(s.groups[0].n_sources, 1);
	ck_assert_uint_eq(s.groups[0].sources[0].count, 2);
	snapshot_clear(&s);
}
END_TEST

static struct sw_request numbered_request(uint16_t lport, uint32_t n)
{
	struct sw_request r = { 0 };
	uint32_t a = htonl(0x0a000000u | n);   /* 10.x.y.z */

	r.family = AF_INET;
	addr_set(AF_INET, "127.0.0.1", r.laddr);
	r.lport = lport;
	memcpy(r.raddr, &a, 4);
	return r;
}

START_TEST(test_sources_per_group_bound)
{
	const uint32_t extra = 10;
	struct sw_snapshot s;
	struct sw_listener l = mk_listener(AF_INET, "0.0.0.0", 80, 1, 0);
	const struct sw_syn_group *g;

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	/* Each address twice, interleaved. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < SW_SYN_SOURCES_PER_GROUP + extra; i++) {
			struct sw_request r = numbered_request(80, i);

			ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
		}
	g = &s.groups[0];
	ck_assert_uint_eq(g->depth, 2 * (SW_SYN_SOURCES_PER_GROUP + extra));
	ck_assert_uint_eq(g->n_sources, SW_SYN_SOURCES_PER_GROUP);
	ck_assert_uint_le(g->cap_sources, SW_SYN_SOURCES_PER_GROUP);
	ck_assert_uint_eq(g->other_sources, 2 * extra);
	for (uint32_t i = 0; i < g->n_sources; i++) {
		uint32_t a;

		memcpy(&a, g->sources[i].addr, 4);
		ck_assert_uint_eq(g->sources[i].count, 2);
		/* The first PER_GROUP addresses got the places. */
		ck_assert_uint_lt(ntohl(a) & 0xffffff, SW_SYN_SOURCES_PER_GROUP);
	}
	ck_assert_uint_eq(s.syn_requests, 2 * (SW_SYN_SOURCES_PER_GROUP + extra));
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_sources_total_bound)
{
	const uint32_t ngroups = 70, per = 1000;   /* 70000 > SW_SYN_SOURCES_TOTAL */
	uint64_t sum_sources = 0, sum_other = 0, sum_depth = 0;
	struct sw_snapshot s;

	snapshot_init(&s);
	for (uint32_t p = 0; p < ngroups; p++) {
		struct sw_listener l = mk_listener(AF_INET, "0.0.0.0", (uint16_t)(1000 + p), p + 1, 0);

		ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	}
	ck_assert_int_eq(snapshot_index(&s), 0);
	for (uint32_t p = 0; p < ngroups; p++)
		for (uint32_t i = 0; i < per; i++) {
			struct sw_request r = numbered_request((uint16_t)(1000 + p), i);

			ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
		}
	for (size_t g = 0; g < s.n_groups; g++) {
		sum_sources += s.groups[g].n_sources;
		sum_other += s.groups[g].other_sources;
		sum_depth += s.groups[g].depth;
	}
	ck_assert_uint_eq(sum_sources, SW_SYN_SOURCES_TOTAL);
	ck_assert_uint_eq(sum_other, (uint64_t)ngroups * per - SW_SYN_SOURCES_TOTAL);
	ck_assert_uint_eq(sum_depth, (uint64_t)ngroups * per);

	/* Full: a known (group, address) still counts in place, a new one
	 * goes to other_sources. */
	{
		struct sw_request known = numbered_request(1000, 5);
		struct sw_request fresh = numbered_request(1000, 999999);
		const struct sw_listener *l = snapshot_find_cookie(&s, 1);
		const struct sw_syn_group *g = &s.groups[l->syn_group];
		uint32_t other = g->other_sources;
		int found = 0;

		ck_assert_int_eq(snapshot_add_request(&s, &known), 0);
		ck_assert_int_eq(snapshot_add_request(&s, &fresh), 0);
		ck_assert_uint_eq(g->other_sources, other + 1);
		for (uint32_t i = 0; i < g->n_sources; i++)
			if (memcmp(g->sources[i].addr, known.raddr, 16) == 0) {
				ck_assert_uint_eq(g->sources[i].count, 2);
				found++;
			}
		ck_assert_int_eq(found, 1);
	}
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_reset_reuse)
{
	struct sw_snapshot s;
	struct sw_listener *lp;
	struct sw_syn_group *gp;
	struct sw_syn_source *src;
	size_t cap_l, cap_g;

	snapshot_init(&s);
	ck_assert_int_eq(s.sysctl.somaxconn, -1);
	fill(&s);
	ck_assert_int_eq(snapshot_index(&s), 0);
	for (uint32_t i = 0; i < 50; i++) {
		struct sw_request r = numbered_request(80, i);

		ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	}
	s.syn_scanned = true;
	s.skipped_msgs = 3;
	s.dump_retries = 2;
	s.sysctl.somaxconn = 4096;
	s.netstat.value[0] = 9;
	lp = s.listeners;
	gp = s.groups;
	cap_l = s.cap_listeners;
	cap_g = s.cap_groups;
	src = s.groups[snapshot_find_cookie(&s, 1)->syn_group].sources;
	ck_assert_ptr_nonnull(src);

	snapshot_reset(&s);
	ck_assert_uint_eq(s.n_listeners, 0);
	ck_assert_uint_eq(s.n_groups, 0);
	ck_assert_uint_eq(s.syn_requests, 0);
	ck_assert_uint_eq(s.syn_unmatched, 0);
	ck_assert(!s.syn_scanned);
	ck_assert_uint_eq(s.skipped_msgs, 0);
	ck_assert_uint_eq(s.dump_retries, 0);
	ck_assert_int_eq(s.sysctl.somaxconn, -1);
	ck_assert_uint_eq(s.netstat.value[0], 0);
	ck_assert_ptr_null(snapshot_find_cookie(&s, 1));
	/* Allocations kept. */
	ck_assert_ptr_eq(s.listeners, lp);
	ck_assert_ptr_eq(s.groups, gp);
	ck_assert_uint_eq(s.cap_listeners, cap_l);
	ck_assert_uint_eq(s.cap_groups, cap_g);

	/* Reuse: the same poll again gives the same answer from zero. */
	fill(&s);
	ck_assert_ptr_eq(s.listeners, lp);
	ck_assert_int_eq(snapshot_index(&s), 0);
	ck_assert_uint_eq(s.n_groups, N_GROUPS);
	for (uint32_t i = 0; i < 20; i++) {
		struct sw_request r = numbered_request(80, i % 10);

		ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	}
	{
		const struct sw_syn_group *g = &s.groups[snapshot_find_cookie(&s, 1)->syn_group];
		uint64_t total = 0;

		ck_assert_uint_eq(g->depth, 20);
		ck_assert_uint_eq(g->n_sources, 10);
		ck_assert_uint_eq(g->other_sources, 0);
		for (uint32_t i = 0; i < g->n_sources; i++) {
			ck_assert_uint_eq(g->sources[i].count, 2);
			total += g->sources[i].count;
		}
		ck_assert_uint_eq(total, 20);
		for (size_t i = 0; i < s.n_groups; i++)
			if (&s.groups[i] != g)
				ck_assert_uint_eq(s.groups[i].depth, 0);
	}
	ck_assert_uint_eq(s.syn_requests, 20);

	/* reset_requests keeps listeners and groups. */
	snapshot_reset_requests(&s);
	ck_assert_uint_eq(s.n_listeners, SW_ARRAY_SIZE(listeners));
	ck_assert_uint_eq(s.n_groups, N_GROUPS);
	ck_assert_uint_eq(s.syn_requests, 0);
	for (size_t i = 0; i < s.n_groups; i++) {
		ck_assert_uint_eq(s.groups[i].depth, 0);
		ck_assert_uint_eq(s.groups[i].n_sources, 0);
	}
	{
		struct sw_request r = numbered_request(80, 3);

		ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
		ck_assert_uint_eq(s.groups[snapshot_find_cookie(&s, 1)->syn_group].depth, 1);
		ck_assert_uint_eq(s.groups[snapshot_find_cookie(&s, 1)->syn_group].n_sources, 1);
	}

	snapshot_clear(&s);
	ck_assert_ptr_null(s.listeners);
	ck_assert_ptr_null(s.index);
	ck_assert_int_eq(s.sysctl.syncookies, -1);
	snapshot_clear(NULL);
}
END_TEST

START_TEST(test_scale)
{
	/* 10k listeners and 100k requests must stay fast (log n lookups). */
	const uint32_t nl = 10000, nr = 100000;
	struct sw_snapshot s;
	uint64_t t0, depth = 0;

	snapshot_init(&s);
	for (uint32_t i = 0; i < nl; i++) {
		struct sw_listener l = { .family = AF_INET, .port = (uint16_t)(1 + i % 5000),
					 .cookie = 0x100000000ull + i * 7919ull };
		uint32_t a = htonl(0x7f000001u + i / 5000);

		memcpy(l.addr, &a, 4);
		ck_assert_int_eq(snapshot_add_listener(&s, &l), 0);
	}
	t0 = util_now_usec();
	ck_assert_int_eq(snapshot_index(&s), 0);
	ck_assert_uint_eq(s.n_groups, nl);
	for (uint32_t i = 0; i < nr; i++) {
		struct sw_request r = { .family = AF_INET, .lport = (uint16_t)(1 + i % 5000) };
		uint32_t la = htonl(0x7f000001u + (i / 5000) % 2);
		uint32_t ra = htonl(0x0b000000u + i % 30000);

		memcpy(r.laddr, &la, 4);
		memcpy(r.raddr, &ra, 4);
		ck_assert_int_eq(snapshot_add_request(&s, &r), 0);
	}
	for (uint32_t i = 0; i < nl; i += 97)
		ck_assert_ptr_nonnull(snapshot_find_cookie(&s, 0x100000000ull + i * 7919ull));
	for (size_t g = 0; g < s.n_groups; g++)
		depth += s.groups[g].depth;
	ck_assert_uint_eq(depth, nr);
	ck_assert_uint_eq(s.syn_unmatched, 0);
	/* Generous even under ASan; a quadratic lookup takes far longer. */
	ck_assert_msg(util_now_usec() - t0 < 3 * USEC_PER_SEC, "too slow: %lu us",
		      (unsigned long)(util_now_usec() - t0));
	snapshot_clear(&s);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_match_table, 0, (int)SW_ARRAY_SIZE(match_cases));
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_find_cookie_unindexed);
	tcase_add_test(tc, test_request_autoindex);
	tcase_add_test(tc, test_ipv4_tail_bytes_ignored);
	tcase_add_test(tc, test_sources_per_group_bound);
	tcase_add_test(tc, test_sources_total_bound);
	tcase_add_test(tc, test_reset_reuse);
	tcase_add_test(tc, test_scale);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(snapshot_suite());
}

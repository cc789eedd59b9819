/* Fuzz target: diag_parse_listeners(), the parser of a TCP_LISTEN dump
 * reply, and snapshot_index() over whatever listeners it let through.
 *
 * The input is the bytes of one dump (cut into 32 KiB datagrams, see
 * fuzz_diag.h). Besides memory errors, it checks what the rest of the
 * daemon relies on: only AF_INET/AF_INET6 listeners come out, each from a
 * message big enough to hold one, IPv4 addresses are zero-padded, the
 * index groups every listener exactly once, and parsing the same bytes into
 * a reset (reused) snapshot gives the same result. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include "diag_parse.h"
#include "fuzz.h"
#include "fuzz_diag.h"
#include "snapshot.h"

static const uint8_t zero16[16];

/* The seq/pid the _seq variant expects; taken from the input's first
 * header so that its messages are not all stale. */
static uint32_t want_seq, want_pid;

static int parse_seq(const void *buf, size_t len, struct sw_snapshot *s)
{
	return diag_parse_listeners_seq(buf, len, want_seq, want_pid, s);
}

static void check_ret(int r)
{
	/* 0, 1 (DONE), -EINTR, or the errno an NLMSG_ERROR/DONE carried:
	 * negative, and INT32_MIN mapped to -EIO so that -r never overflows. */
	FUZZ_ASSERT(r <= 1 && r > INT32_MIN, "ret %d", r);
}

static void check_listeners(const struct sw_snapshot *s, size_t size)
{
	/* A listener needs a header and a whole inet_diag_msg of its own. */
	FUZZ_ASSERT(s->n_listeners <= size / (NLMSG_HDRLEN + sizeof(struct inet_diag_msg)),
		    "%zu listeners from %zu bytes", s->n_listeners, size);
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];

		FUZZ_ASSERT(l->family == AF_INET || l->family == AF_INET6, "family %u",
			    l->family);
		if (l->family == AF_INET)
			FUZZ_ASSERT(memcmp(l->addr + 4, zero16, 12) == 0,
				    "AF_INET address not zero-padded");
		FUZZ_ASSERT(!l->v6only || l->family == AF_INET6, "v6only on AF_INET");
		FUZZ_ASSERT(l->has_drops || l->drops == 0, "drops without SKMEMINFO");
	}
}

static void check_index(const struct sw_snapshot *s)
{
	size_t members = 0;

	FUZZ_ASSERT(s->n_groups <= s->n_listeners, "%zu groups, %zu listeners", s->n_groups,
		    s->n_listeners);
	for (size_t g = 0; g < s->n_groups; g++) {
		const struct sw_syn_group *a = &s->groups[g];

		members += a->n_members;
		FUZZ_ASSERT(a->n_members > 0, "empty group %zu", g);
		FUZZ_ASSERT(a->depth == 0 && a->n_sources == 0, "tallies before a scan");
		if (g > 0) {
			const struct sw_syn_group *b = &s->groups[g - 1];
			int c = b->family != a->family ? (b->family < a->family ? -1 : 1)
						      : memcmp(b->addr, a->addr, 16);

			if (c == 0)
				c = b->port < a->port ? -1 : b->port > a->port;
			FUZZ_ASSERT(c < 0, "groups %zu and %zu out of order or equal", g - 1, g);
		}
	}
	FUZZ_ASSERT(members == s->n_listeners, "%zu members, %zu listeners", members,
		    s->n_listeners);
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];
		const struct sw_syn_group *g;
		const struct sw_listener *f;

		FUZZ_ASSERT(l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups,
			    "listener %zu in group %d", i, l->syn_group);
		g = &s->groups[l->syn_group];
		FUZZ_ASSERT(g->family == l->family && g->port == l->port &&
				    memcmp(g->addr, l->addr, 16) == 0,
			    "listener %zu in a group of another address", i);
		f = snapshot_find_cookie(s, l->cookie);
		FUZZ_ASSERT(f && f->cookie == l->cookie, "cookie %llu not found",
			    (unsigned long long)l->cookie);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_snapshot s, t;
	size_t n;
	uint64_t skipped_msgs, skipped_attrs;
	int r, r2;

	snapshot_init(&s);
	r = fuzz_diag_feed(diag_parse_listeners, data, size, &s);
	check_ret(r);
	check_listeners(&s, size);
	n = s.n_listeners;
	skipped_msgs = s.skipped_msgs;
	skipped_attrs = s.skipped_attrs;
	FUZZ_ASSERT(snapshot_index(&s) == 0, "snapshot_index failed");
	check_index(&s);

	/* The daemon reuses one snapshot per namespace across polls. */
	snapshot_reset(&s);
	r2 = fuzz_diag_feed(diag_parse_listeners, data, size, &s);
	FUZZ_ASSERT(r2 == r && s.n_listeners == n && s.skipped_msgs == skipped_msgs &&
			    s.skipped_attrs == skipped_attrs,
		    "reused snapshot: ret %d/%d, %zu/%zu listeners", r, r2, n, s.n_listeners);
	FUZZ_ASSERT(snapshot_index(&s) == 0, "snapshot_index failed on reuse");
	check_index(&s);
	snapshot_clear(&s);

	/* The variant the dumps use, which skips stale replies. */
	want_seq = want_pid = 0;
	if (size >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;

		memcpy(&h, data, sizeof(h));
		want_seq = h.nlmsg_seq;
		want_pid = h.nlmsg_pid;
	}
	snapshot_init(&t);
	check_ret(fuzz_diag_feed(parse_seq, data, size, &t));
	check_listeners(&t, size);
	snapshot_clear(&t);
	return 0;
}

/* Fuzz target: diag_parse_unix(), the parser of a unix_diag dump reply
 * (listening AF_UNIX sockets with UDIAG_SHOW_NAME, _RQLEN, _UID), and
 * usnap_name() under it.
 *
 * The input is the bytes of one dump, cut into 32 KiB datagrams as
 * fuzz_diag.h does for the inet targets. Besides memory errors, it checks
 * what the rest of the daemon will rely on: only stream and seqpacket
 * listeners come out, each from a message big enough to hold one; a name
 * is NUL-terminated inside its buffer, free of control characters, and
 * its flags agree with it; what a listener lacks reads as zero; parsing
 * the same bytes into a reset (reused) snapshot gives the same result. */
#include <errno.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/unix_diag.h>

#include "diag_parse.h"
#include "fuzz.h"
#include "fuzz_diag.h"
#include "text.h"
#include "usnap.h"

static uint32_t want_seq, want_pid;

static int parse_seq(const void *buf, size_t len, struct sw_unix_snapshot *s)
{
	return diag_parse_unix_seq(buf, len, want_seq, want_pid, s);
}

/* fuzz_diag_feed() for a UNIX snapshot: each part in a heap buffer of its
 * exact size, stopping where diag_dump_unix() stops. */
static int feed(int (*parse)(const void *, size_t, struct sw_unix_snapshot *),
		const uint8_t *data, size_t size, struct sw_unix_snapshot *s)
{
	for (size_t off = 0; off < size; off += FUZZ_DIAG_PART) {
		size_t n = size - off < FUZZ_DIAG_PART ? size - off : FUZZ_DIAG_PART;
		uint8_t *part = malloc(n);
		int r;

		if (!part)
			abort();
		memcpy(part, data + off, n);
		r = parse(part, n, s);
		free(part);
		if (r != 0)
			return r;
	}
	return 0;
}

static void check_ret(int r)
{
	FUZZ_ASSERT(r <= 1 && r > INT32_MIN, "ret %d", r);
}

static void check_listeners(const struct sw_unix_snapshot *s, size_t size)
{
	FUZZ_ASSERT(s->n_listeners <= size / (NLMSG_HDRLEN + sizeof(struct unix_diag_msg)),
		    "%zu listeners from %zu bytes", s->n_listeners, size);
	FUZZ_ASSERT(s->n_listeners <= SW_UNIX_LISTENERS_MAX, "past the bound");
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_unix_listener *l = &s->listeners[i];
		size_t plen = strnlen(l->path, sizeof(l->path));

		FUZZ_ASSERT(l->type == SOCK_STREAM || l->type == SOCK_SEQPACKET, "type %u",
			    l->type);
		FUZZ_ASSERT(plen < sizeof(l->path), "path not terminated");
		FUZZ_ASSERT(!text_has_control(l->path), "control character in %s", l->path);
		FUZZ_ASSERT(l->has_name == (plen > 0), "has_name %d with \"%s\"", l->has_name,
			    l->path);
		FUZZ_ASSERT(!l->abstract || (l->has_name && l->path[0] == '@'), "abstract %s",
			    l->path);
		FUZZ_ASSERT(!l->relative || (l->has_name && !l->abstract && l->path[0] != '/'),
			    "relative %s", l->path);
		FUZZ_ASSERT(!l->has_name || l->abstract || l->relative || l->path[0] == '/',
			    "a path neither absolute nor relative: %s", l->path);
		FUZZ_ASSERT(l->has_rqlen || (l->depth == 0 && l->limit == 0), "rqlen without RQLEN");
		FUZZ_ASSERT(l->has_uid || l->uid == 0, "uid without UID");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_unix_snapshot s, t;
	size_t n;
	uint64_t msgs, attrs;
	int r, r2;

	usnap_init(&s);
	r = feed(diag_parse_unix, data, size, &s);
	check_ret(r);
	check_listeners(&s, size);
	n = s.n_listeners;
	msgs = s.skipped_msgs;
	attrs = s.skipped_attrs;

	/* The daemon will reuse one snapshot per namespace across polls. */
	usnap_reset(&s);
	r2 = feed(diag_parse_unix, data, size, &s);
	FUZZ_ASSERT(r2 == r && s.n_listeners == n && s.skipped_msgs == msgs &&
			    s.skipped_attrs == attrs,
		    "reused snapshot: ret %d/%d, %zu/%zu listeners", r, r2, n, s.n_listeners);
	usnap_clear(&s);

	want_seq = want_pid = 0;
	if (size >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;

		memcpy(&h, data, sizeof(h));
		want_seq = h.nlmsg_seq;
		want_pid = h.nlmsg_pid;
	}
	usnap_init(&t);
	check_ret(feed(parse_seq, data, size, &t));
	check_listeners(&t, size);
	FUZZ_ASSERT(t.n_listeners <= n || r != 0, "the seq variant kept more: %zu > %zu",
		    t.n_listeners, n);
	usnap_clear(&t);
	return 0;
}

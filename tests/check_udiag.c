/* UNIX-domain listeners: usnap (names as ss shows them, the bound), the
 * unix_diag parser over crafted replies (every malformed case skipped and
 * counted), diag_dump_unix() through the receive seam (redo, rollback,
 * what is asked), and a live dump in a private network namespace compared
 * with `ss -xl`: path, relative, abstract and seqpacket listeners,
 * listen(0), queues over their limit, somaxconn clamping. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "checkrun.h"
#include "nlbuild.h"
#include "diag.h"
#include "diag_parse.h"
#include "macro.h"
#include "usnap.h"
#include "util.h"

/* ---- usnap_name() ------------------------------------------------------ */

struct ncase {
	const char *name;
	const char *raw;          /* bytes, NULs included */
	size_t len;
	int ret;
	const char *want;
	bool abstract, relative;
};

#define RAW(s) s, sizeof(s) - 1

static const struct ncase ncases[] = {
	{ "path", RAW("/run/php/php8.2-fpm.sock\0"), 0, "/run/php/php8.2-fpm.sock", false, false },
	{ "relative", RAW("x.sock\0"), 0, "x.sock", false, true },
	{ "relative dot", RAW("./run/a\0"), 0, "./run/a", false, true },
	{ "abstract", RAW("\0dbus-ABC\0"), 0, "@dbus-ABC@", true, false },
	{ "abstract plain", RAW("\0gunicorn"), 0, "@gunicorn", true, false },
	{ "abstract embedded NULs", RAW("\0a\0\0b"), 0, "@a@@b", true, false },
	{ "autobind", RAW("\0" "0001f"), 0, "@0001f", true, false },
	{ "abstract only NUL", RAW("\0"), 0, "@", true, false },
	{ "path with controls", RAW("/tmp/a\nb\x1b[31m\x7f.sock\0"), 0, "/tmp/a?b?[31m?.sock",
	  false, false },
	{ "path with C1 control", RAW("/tmp/\xc2\x9b" "x\0"), 0, "/tmp/?x", false, false },
	{ "path with UTF-8", RAW("/tmp/\xc3\xa9t\xc3\xa9.sock\0"), 0, "/tmp/\xc3\xa9t\xc3\xa9.sock",
	  false, false },
	{ "abstract with controls", RAW("\0a\tb"), 0, "@a?b", true, false },
	{ "empty", "", 0, -EINVAL, NULL, false, false },
	{ "path without NUL", RAW("/run/a.sock"), -EINVAL, NULL, false, false },
	{ "path truncated by NUL", RAW("/run/a\0.sock\0"), -EINVAL, NULL, false, false },
};

START_TEST(test_name)
{
	const struct ncase *t = &ncases[_i];
	struct sw_unix_listener l = { .path = "unchanged" };
	int r = usnap_name(&l, t->raw, t->len);

	ck_assert_msg(r == t->ret, "%s: %d", t->name, r);
	if (r < 0) {
		ck_assert_str_eq(l.path, "unchanged");
		ck_assert(!l.has_name);
		return;
	}
	ck_assert(l.has_name);
	ck_assert_int_eq(l.abstract, t->abstract);
	ck_assert_int_eq(l.relative, t->relative);
	ck_assert_str_eq(l.path, t->want);
}
END_TEST

START_TEST(test_name_longest)
{
	/* sun_path is 108 bytes: a path of 108 characters comes with the NUL
	 * the kernel adds (109), an abstract name is its NUL and 107 more. */
	struct sw_unix_listener l = { 0 };
	char raw[SW_UNIX_NAME_RAW_MAX + 2];

	memset(raw, 'a', sizeof(raw));
	raw[0] = '/';
	raw[108] = 0;
	ck_assert_int_eq(usnap_name(&l, raw, 109), 0);
	ck_assert_uint_eq(strlen(l.path), 108);
	ck_assert_int_eq(memcmp(l.path, raw, 108), 0);
	raw[108] = 'a';
	raw[109] = 0;
	ck_assert_int_eq(usnap_name(&l, raw, 110), -EINVAL);

	memset(raw, 'b', sizeof(raw));
	raw[0] = 0;
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(usnap_name(&l, raw, 108), 0);
	ck_assert_uint_eq(strlen(l.path), 108);
	ck_assert_int_eq(l.path[0], '@');
	ck_assert_int_eq(l.path[107], 'b');
	ck_assert_int_eq(usnap_name(&l, raw, 109), -EINVAL);
}
END_TEST

START_TEST(test_bound)
{
	struct sw_unix_snapshot s;
	struct sw_unix_listener l = { 0 };

	usnap_init(&s);
	for (uint64_t i = 0; i < SW_UNIX_LISTENERS_MAX + 3; i++) {
		l.cookie = i + 1;
		ck_assert_int_eq(usnap_add(&s, &l), 0);
	}
	ck_assert_uint_eq(s.n_listeners, SW_UNIX_LISTENERS_MAX);
	ck_assert_uint_eq(s.over_bound, 3);
	ck_assert_ptr_nonnull(usnap_find_cookie(&s, SW_UNIX_LISTENERS_MAX));
	ck_assert_ptr_null(usnap_find_cookie(&s, SW_UNIX_LISTENERS_MAX + 1));
	usnap_truncate(&s, 10);
	ck_assert_uint_eq(s.n_listeners, 10);
	usnap_truncate(&s, 20);
	ck_assert_uint_eq(s.n_listeners, 10);
	/* dropping by inode keeps the others in order */
	for (size_t i = 0; i < 10; i++)
		s.listeners[i].inode = i % 3 == 0 ? 42 : (uint32_t)i;
	ck_assert_uint_eq(usnap_drop_inode(&s, 42), 4);
	ck_assert_uint_eq(s.n_listeners, 6);
	ck_assert_uint_eq(s.listeners[0].cookie, 2);
	ck_assert_uint_eq(s.listeners[5].cookie, 9);
	ck_assert_uint_eq(usnap_drop_inode(&s, 42), 0);
	s.netns = 7;
	usnap_reset(&s);
	ck_assert_uint_eq(s.n_listeners, 0);
	ck_assert_uint_eq(s.over_bound, 0);
	ck_assert_uint_eq(s.netns, 7);
	ck_assert_ptr_nonnull(s.listeners);   /* kept for the next poll */
	usnap_clear(&s);
	ck_assert_ptr_null(s.listeners);
	usnap_clear(NULL);
}
END_TEST

static void nb_umsg(struct nb *n, uint8_t family, uint8_t type, uint8_t state, uint32_t ino,
		    uint64_t cookie)
{
	struct unix_diag_msg m = { .udiag_family = family, .udiag_type = type,
				   .udiag_state = state, .udiag_ino = ino };

	m.udiag_cookie[0] = (uint32_t)cookie;
	m.udiag_cookie[1] = (uint32_t)(cookie >> 32);
	nb_put(n, &m, sizeof(m));
}

static void nb_rqlen(struct nb *n, uint32_t rq, uint32_t wq)
{
	struct unix_diag_rqlen q = { .udiag_rqueue = rq, .udiag_wqueue = wq };

	nb_attr(n, UNIX_DIAG_RQLEN, &q, sizeof(q));
}

static void nb_uid(struct nb *n, uint32_t uid)
{
	nb_attr(n, UNIX_DIAG_UID, &uid, sizeof(uid));
}

/* A listener as a 6.18 kernel sends it for our request: NAME, RQLEN, UID
 * (in the kernel's order). */
static void nb_ulistener(struct nb *n, uint32_t seq, uint32_t pid, uint8_t type,
			 const void *name, size_t nlen, uint32_t rq, uint32_t wq, uint64_t cookie)
{
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, seq, pid);
	nb_umsg(n, AF_UNIX, type, TCP_LISTEN, 1000 + (uint32_t)cookie, cookie);
	nb_attr(n, UNIX_DIAG_NAME, name, nlen);
	nb_rqlen(n, rq, wq);
	nb_uid(n, 33);
	nb_end(n);
}

/* ---- the parser, table-driven ------------------------------------------ */

/* One case builds a reply; the table says what must come out of it. */
struct pcase {
	const char *name;
	void (*build)(struct nb *n);
	int ret;
	size_t n;
	uint64_t msgs, attrs;
	/* the first listener, when n > 0 */
	const char *path;         /* NULL: has_name false */
	bool rqlen;               /* has_rqlen, with depth 17, limit 16 */
	bool uid;                 /* has_uid, 33 */
	uint8_t type;
};

static void p_good(struct nb *n)
{
	nb_ulistener(n, 0, 0, SOCK_STREAM, RAW("/run/php/fpm.sock\0"), 17, 16, 1);
	nb_done(n, 0, 0, 0, 0);
}

static void p_seqpacket(struct nb *n)
{
	nb_ulistener(n, 0, 0, SOCK_SEQPACKET, RAW("\0seq"), 17, 16, 2);
	nb_done(n, 0, 0, 0, 0);
}

static void p_kinds_skipped(struct nb *n)
{
	/* A bound datagram socket, a listener that is not listening (as a
	 * kernel ignoring the state filter would send), another family, a
	 * payload too short for unix_diag_msg, then one good listener. */
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_DGRAM, TCP_LISTEN, 1, 1);
	nb_end(n);
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_ESTABLISHED, 2, 2);
	nb_end(n);
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_INET, SOCK_STREAM, TCP_LISTEN, 3, 3);
	nb_end(n);
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_put(n, "\x01\x01\x0a", 3);
	nb_end(n);
	p_good(n);
}

static void p_no_attrs(struct nb *n)
{
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	nb_end(n);
	nb_done(n, 0, 0, 0, 0);
}

/* A message with those of our usual three attributes asked for, then what
 * fn adds. */
static void p_with(struct nb *n, void (*fn)(struct nb *n), bool name, bool rqlen, bool uid)
{
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	if (name)
		nb_attr(n, UNIX_DIAG_NAME, RAW("/a\0"));
	if (rqlen)
		nb_rqlen(n, 17, 16);
	if (uid)
		nb_uid(n, 33);
	fn(n);
	nb_end(n);
	nb_done(n, 0, 0, 0, 0);
}

static void a_name_no_nul(struct nb *n) { nb_attr(n, UNIX_DIAG_NAME, RAW("/run/a.sock")); }
static void a_name_cut(struct nb *n) { nb_attr(n, UNIX_DIAG_NAME, RAW("/run/a\0sock\0")); }
static void a_name_empty(struct nb *n) { nb_attr(n, UNIX_DIAG_NAME, "", 0); }
static void a_name_dup(struct nb *n) { nb_attr(n, UNIX_DIAG_NAME, RAW("/b\0")); }
static void a_rqlen_dup(struct nb *n) { nb_rqlen(n, 1, 2); }
static void a_uid_dup(struct nb *n) { nb_uid(n, 7); }
static void a_rqlen_short(struct nb *n) { uint32_t v = 17; nb_attr(n, UNIX_DIAG_RQLEN, &v, 4); }
static void a_rqlen_long(struct nb *n)
{
	uint32_t v[3] = { 17, 16, 0 };

	nb_attr(n, UNIX_DIAG_RQLEN, v, sizeof(v));
}
static void a_uid_short(struct nb *n) { uint16_t v = 33; nb_attr(n, UNIX_DIAG_UID, &v, 2); }
static void a_unknown(struct nb *n)
{
	struct unix_diag_vfs v = { 1, 2 };
	uint8_t sh = 0;

	nb_attr(n, UNIX_DIAG_VFS, &v, sizeof(v));
	nb_attr(n, UNIX_DIAG_SHUTDOWN, &sh, 1);
	nb_attr(n, 200, "", 0);
}

static void p_name_no_nul(struct nb *n) { p_with(n, a_name_no_nul, false, true, true); }
static void p_name_cut(struct nb *n) { p_with(n, a_name_cut, false, true, true); }
static void p_name_empty(struct nb *n) { p_with(n, a_name_empty, false, true, true); }
static void p_name_dup(struct nb *n) { p_with(n, a_name_dup, true, true, true); }
static void p_rqlen_dup(struct nb *n) { p_with(n, a_rqlen_dup, true, true, true); }
static void p_uid_dup(struct nb *n) { p_with(n, a_uid_dup, true, true, true); }
static void p_rqlen_short(struct nb *n) { p_with(n, a_rqlen_short, true, false, true); }
static void p_rqlen_long(struct nb *n) { p_with(n, a_rqlen_long, true, false, true); }
static void p_uid_short(struct nb *n) { p_with(n, a_uid_short, true, true, false); }
static void p_unknown(struct nb *n) { p_with(n, a_unknown, true, true, true); }

static void p_bad_then_good_name(struct nb *n)
{
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	nb_attr(n, UNIX_DIAG_NAME, RAW("/x"));
	nb_attr(n, UNIX_DIAG_NAME, RAW("/a\0"));
	nb_rqlen(n, 17, 16);
	nb_uid(n, 33);
	nb_end(n);
	nb_done(n, 0, 0, 0, 0);
}

static void p_attr_past_msg(struct nb *n)
{
	/* The name says it is longer than what is left of its message: it
	 * and everything after it are lost, the listener is kept. */
	struct nlattr a = { .nla_len = 200, .nla_type = UNIX_DIAG_NAME };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	nb_put(n, &a, sizeof(a));
	nb_put(n, "/run/a.sock\0", 12);
	nb_rqlen(n, 17, 16);
	nb_end(n);
	p_good(n);
}

static void p_attr_tiny(struct nb *n)
{
	struct nlattr a = { .nla_len = 2, .nla_type = UNIX_DIAG_RQLEN };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	nb_attr(n, UNIX_DIAG_NAME, RAW("/a\0"));
	nb_put(n, &a, sizeof(a));
	nb_rqlen(n, 17, 16);
	nb_end(n);
	nb_done(n, 0, 0, 0, 0);
}

static void p_attr_trailing(struct nb *n)
{
	/* Two bytes after the last attribute: less than an attribute header. */
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	nb_attr(n, UNIX_DIAG_NAME, RAW("/a\0"));
	nb_rqlen(n, 17, 16);
	nb_uid(n, 33);
	nb_put(n, "\x01\x02", 2);
	nb_end(n);
	nb_done(n, 0, 0, 0, 0);
}

static void p_msg_cut_in_name(struct nb *n)
{
	/* The buffer ends inside the name: the message claims more bytes than
	 * the datagram holds, so nothing of it can be trusted. */
	p_good(n);
	n->len = 0;
	nb_ulistener(n, 0, 0, SOCK_STREAM, RAW("/run/php/fpm.sock\0"), 17, 16, 1);
	n->len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct unix_diag_msg)) + NLA_HDRLEN + 5;
}

static void p_error(struct nb *n) { nb_error(n, 0, 0, -EPERM); }

static void p_done_error(struct nb *n)
{
	p_good(n);
	n->len = 0;
	nb_ulistener(n, 0, 0, SOCK_STREAM, RAW("/a\0"), 17, 16, 1);
	nb_done(n, 0, 0, 0, -ENOBUFS);
}

static void p_intr(struct nb *n)
{
	nb_begin(n, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP_INTR, 0, 0);
	nb_umsg(n, AF_UNIX, SOCK_STREAM, TCP_LISTEN, 5, 5);
	nb_end(n);
}

static void p_no_done(struct nb *n)
{
	nb_ulistener(n, 0, 0, SOCK_STREAM, RAW("/run/php/fpm.sock\0"), 17, 16, 1);
}

static const struct pcase pcases[] = {
	{ "good", p_good, 1, 1, 0, 0, "/run/php/fpm.sock", true, true, SOCK_STREAM },
	{ "seqpacket abstract", p_seqpacket, 1, 1, 0, 0, "@seq", true, true, SOCK_SEQPACKET },
	{ "dgram, state, family, short skipped", p_kinds_skipped, 1, 1, 4, 0,
	  "/run/php/fpm.sock", true, true, SOCK_STREAM },
	{ "no attributes", p_no_attrs, 1, 1, 0, 0, NULL, false, false, SOCK_STREAM },
	{ "name without NUL", p_name_no_nul, 1, 1, 0, 1, NULL, true, true, SOCK_STREAM },
	{ "name cut by a NUL", p_name_cut, 1, 1, 0, 1, NULL, true, true, SOCK_STREAM },
	{ "name empty", p_name_empty, 1, 1, 0, 1, NULL, true, true, SOCK_STREAM },
	{ "name twice", p_name_dup, 1, 1, 0, 1, "/a", true, true, SOCK_STREAM },
	{ "bad name, then a good one", p_bad_then_good_name, 1, 1, 0, 2, NULL, true, true,
	  SOCK_STREAM },
	{ "rqlen twice", p_rqlen_dup, 1, 1, 0, 1, "/a", true, true, SOCK_STREAM },
	{ "uid twice", p_uid_dup, 1, 1, 0, 1, "/a", true, true, SOCK_STREAM },
	{ "rqlen of 4 bytes", p_rqlen_short, 1, 1, 0, 1, "/a", false, true, SOCK_STREAM },
	{ "rqlen of 12 bytes", p_rqlen_long, 1, 1, 0, 1, "/a", false, true, SOCK_STREAM },
	{ "uid of 2 bytes", p_uid_short, 1, 1, 0, 1, "/a", true, false, SOCK_STREAM },
	{ "unknown attributes ignored", p_unknown, 1, 1, 0, 0, "/a", true, true, SOCK_STREAM },
	{ "attribute longer than its message", p_attr_past_msg, 1, 2, 0, 1, NULL, false, false,
	  SOCK_STREAM },
	{ "attribute shorter than its header", p_attr_tiny, 1, 1, 0, 1, "/a", false, false,
	  SOCK_STREAM },
	{ "bytes after the last attribute", p_attr_trailing, 1, 1, 0, 1, "/a", true, true,
	  SOCK_STREAM },
	{ "message cut inside its name", p_msg_cut_in_name, 0, 0, 1, 0, NULL, false, false, 0 },
	{ "NLMSG_ERROR", p_error, -EPERM, 0, 0, 0, NULL, false, false, 0 },
	{ "DONE with an errno", p_done_error, -ENOBUFS, 1, 0, 0, "/a", true, true, SOCK_STREAM },
	{ "interrupted", p_intr, -EINTR, 0, 0, 0, NULL, false, false, 0 },
	{ "no DONE yet", p_no_done, 0, 1, 0, 0, "/run/php/fpm.sock", true, true, SOCK_STREAM },
};

START_TEST(test_parse_table)
{
	const struct pcase *t = &pcases[_i];
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_unix_snapshot s;
	const struct sw_unix_listener *l;
	int r;

	ck_assert_ptr_nonnull(n);
	t->build(n);
	usnap_init(&s);
	r = diag_parse_unix(n->b, n->len, &s);
	ck_assert_msg(r == t->ret, "%s: ret %d", t->name, r);
	ck_assert_msg(s.n_listeners == t->n, "%s: %zu listeners", t->name, s.n_listeners);
	ck_assert_msg(s.skipped_msgs == t->msgs && s.skipped_attrs == t->attrs,
		      "%s: skipped %llu msgs %llu attrs", t->name,
		      (unsigned long long)s.skipped_msgs, (unsigned long long)s.skipped_attrs);
	if (t->n > 0) {
		l = &s.listeners[0];
		ck_assert_uint_eq(l->type, t->type);
		ck_assert_int_eq(l->has_name, t->path != NULL);
		ck_assert_str_eq(l->path, t->path ? t->path : "");
		ck_assert_int_eq(l->has_rqlen, t->rqlen);
		ck_assert_uint_eq(l->depth, t->rqlen ? 17 : 0);
		ck_assert_uint_eq(l->limit, t->rqlen ? 16 : 0);
		ck_assert_int_eq(l->has_uid, t->uid);
		ck_assert_uint_eq(l->uid, t->uid ? 33 : 0);
	}
	usnap_clear(&s);
	free(n);
}
END_TEST

START_TEST(test_parse_fields)
{
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_unix_snapshot s;
	const struct sw_unix_listener *l;

	ck_assert_ptr_nonnull(n);
	nb_ulistener(n, 0, 0, SOCK_STREAM, RAW("rel.sock\0"), 0, 0, 0x1122334455667788ull);
	nb_ulistener(n, 0, 0, SOCK_SEQPACKET, RAW("\0a\0b"), 3, 2, 9);
	nb_done(n, 0, 0, 0, 0);
	usnap_init(&s);
	ck_assert_int_eq(diag_parse_unix(n->b, n->len, &s), 1);
	ck_assert_uint_eq(s.n_listeners, 2);
	l = usnap_find_cookie(&s, 0x1122334455667788ull);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->inode, 1000 + 0x55667788u);
	ck_assert_str_eq(l->path, "rel.sock");
	ck_assert(l->relative && !l->abstract);
	ck_assert_uint_eq(l->limit, 0);
	l = usnap_find_cookie(&s, 9);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l->path, "@a@b");
	ck_assert(l->abstract && !l->relative);
	ck_assert_uint_eq(l->type, SOCK_SEQPACKET);
	ck_assert_uint_eq(l->depth, 3);
	ck_assert_uint_eq(l->limit, 2);
	usnap_clear(&s);
	free(n);
}
END_TEST

START_TEST(test_parse_seq)
{
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_unix_snapshot s;

	ck_assert_ptr_nonnull(n);
	nb_ulistener(n, 6, 100, SOCK_STREAM, RAW("/stale\0"), 0, 1, 1);
	nb_ulistener(n, 7, 99, SOCK_STREAM, RAW("/otherport\0"), 0, 1, 2);
	nb_ulistener(n, 7, 100, SOCK_STREAM, RAW("/ours\0"), 0, 1, 3);
	nb_done(n, 0, 6, 100, 0);         /* a stale DONE does not end ours */
	usnap_init(&s);
	ck_assert_int_eq(diag_parse_unix_seq(n->b, n->len, 7, 100, &s), 0);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_str_eq(s.listeners[0].path, "/ours");
	ck_assert_uint_eq(s.skipped_msgs, 3);
	usnap_clear(&s);
	free(n);
}
END_TEST

/* ---- the dump through the receive seam --------------------------------- */

enum uscript { US_ENOBUFS_ONCE, US_EPERM, US_ALWAYS_ENOBUFS, US_TWO_PARTS };

struct script {
	enum uscript sc;
	int calls, dumps;
	uint32_t last_seq;
	int family;
	uint32_t states;
	struct nb n;
};

static ssize_t script_recv(void *ud, int family, uint32_t states, uint32_t seq,
			   uint32_t portid, void *buf, size_t len)
{
	struct script *sc = ud;
	struct nb *n = &sc->n;
	bool first = seq != sc->last_seq || sc->calls == 0;

	if (++sc->calls > 64)
		return -ETIMEDOUT;
	sc->family = family;
	sc->states = states;
	if (first) {
		sc->dumps++;
		sc->last_seq = seq;
	}
	n->len = 0;
	switch (sc->sc) {
	case US_ENOBUFS_ONCE:
		if (sc->dumps == 1 && !first)
			return -ENOBUFS;
		nb_ulistener(n, seq, portid, SOCK_STREAM, RAW("/a\0"), 1, 4, 10 + (uint64_t)sc->dumps);
		if (sc->dumps > 1)
			nb_done(n, 0, seq, portid, 0);
		break;
	case US_ALWAYS_ENOBUFS:
		return -ENOBUFS;
	case US_EPERM:
		nb_error(n, seq, portid, -EPERM);
		break;
	case US_TWO_PARTS:
		if (first) {
			nb_ulistener(n, seq, portid, SOCK_STREAM, RAW("/a\0"), 1, 4, 1);
			nb_ulistener(n, seq - 1, portid, SOCK_STREAM, RAW("/stale\0"), 1, 4, 2);
		} else {
			nb_ulistener(n, seq, portid, SOCK_SEQPACKET, RAW("\0b"), 5, 4, 3);
			nb_done(n, 0, seq, portid, 0);
		}
		break;
	}
	ck_assert_uint_le(n->len, len);
	memcpy(buf, n->b, n->len);
	return (ssize_t)n->len;
}

static struct sw_diag *open_scripted(struct script *sc, enum uscript which)
{
	struct sw_diag *d = NULL;

	memset(sc, 0, sizeof(*sc));
	sc->sc = which;
	ck_assert_int_eq(diag_open(&d), 0);
	diag_set_recv_hook(d, script_recv, sc);
	return d;
}

static void add_preexisting(struct sw_unix_snapshot *s)
{
	struct sw_unix_listener l = { .cookie = 5000 };

	usnap_init(s);
	ck_assert_int_eq(usnap_add(s, &l), 0);
	s->skipped_msgs = 1;
}

START_TEST(test_dump_two_parts)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, US_TWO_PARTS);
	struct sw_unix_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_unix(d, &s, 0), 0);
	ck_assert_int_eq(sc->family, AF_UNIX);
	ck_assert_uint_eq(sc->states, 1u << TCP_LISTEN);
	ck_assert_int_eq(sc->dumps, 1);
	ck_assert_uint_eq(s.n_listeners, 3);
	ck_assert_uint_eq(s.skipped_msgs, 2);
	ck_assert_ptr_nonnull(usnap_find_cookie(&s, 1));
	ck_assert_ptr_nonnull(usnap_find_cookie(&s, 3));
	ck_assert_ptr_null(usnap_find_cookie(&s, 2));
	ck_assert_uint_ne(s.taken_usec, 0);
	usnap_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_enobufs_redo)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, US_ENOBUFS_ONCE);
	struct sw_unix_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_unix(d, &s, 0), 0);
	ck_assert_int_eq(sc->dumps, 2);
	ck_assert_uint_eq(s.dump_retries, 1);
	/* The first attempt's listener was rolled back. */
	ck_assert_uint_eq(s.n_listeners, 2);
	ck_assert_ptr_null(usnap_find_cookie(&s, 11));
	ck_assert_ptr_nonnull(usnap_find_cookie(&s, 12));
	ck_assert_ptr_nonnull(usnap_find_cookie(&s, 5000));
	usnap_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_gives_up)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, US_ALWAYS_ENOBUFS);
	struct sw_unix_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_unix(d, &s, 0), -ENOBUFS);
	ck_assert_int_eq(sc->dumps, 4);
	ck_assert_uint_eq(s.dump_retries, 3);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_uint_eq(s.skipped_msgs, 1);
	usnap_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_error_no_redo)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, US_EPERM);
	struct sw_unix_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_unix(d, &s, 0), -EPERM);
	ck_assert_int_eq(sc->dumps, 1);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_int_eq(diag_dump_unix(d, &s, util_now_usec() - 1), -ETIMEDOUT);
	ck_assert_int_eq(sc->dumps, 1);
	usnap_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

/* ---- live, in a private network namespace ------------------------------- */

static bool live_skip(const char *test)
{
	if (geteuid() != 0 && !getenv("CI")) {
		fprintf(stderr, "%s: skipped, needs root to make a network namespace\n", test);
		return true;
	}
	return false;
}

/* bind()s a new socket of type to name (nlen bytes of sun_path, NULs
 * included; 0 for none) and listen()s with backlog. */
static int ulisten(int type, const char *name, size_t nlen, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_le(nlen, sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, nlen);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + nlen)) == 0,
		      "bind: %s", strerror(errno));
	ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

/* Connects up to max non-blocking clients to the listener at name, until
 * one fails (with EAGAIN: the queue is full); returns how many got in. The
 * fds stay open (the test process ends with the test). */
static int ufill(int type, const char *name, size_t nlen, int max)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ok = 0;

	memcpy(sa.sun_path, name, nlen);
	for (int i = 0; i < max; i++) {
		int c = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		ck_assert_int_ge(c, 0);
		if (connect(c, (struct sockaddr *)&sa,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + nlen)) < 0) {
			ck_assert_msg(errno == EAGAIN, "connect: %s", strerror(errno));
			close(c);
			return ok;
		}
		ok++;
	}
	return ok;
}

static void write_somaxconn(int v)
{
	FILE *f = fopen("/proc/sys/net/core/somaxconn", "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_gt(fprintf(f, "%d\n", v), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static uint32_t fd_ino(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return (uint32_t)st.st_ino;
}

static uint64_t fd_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len), 0);
	return c;
}

struct want {
	const char *what;
	int fd;
	const char *path;   /* as we show it */
	const char *ss;     /* as ss prints it (raw bytes) */
	uint8_t type;
	uint32_t depth, limit;
	bool relative, abstract;
};

struct ssline {
	char netid[16];
	uint32_t rq, sq, ino;
	char name[256];
};

/* `ss -xlH` in this namespace: its listeners (it lists bound datagram
 * sockets too, as UNCONN: ss asks for TCP_CLOSE as well). */
static size_t ss_read(struct ssline *out, size_t max)
{
	FILE *p = popen("ss -xlH 2>/dev/null", "re");
	char line[1024];
	size_t n = 0;

	ck_assert_ptr_nonnull(p);
	while (n < max && fgets(line, sizeof(line), p)) {
		struct ssline *s = &out[n];
		char state[32];

		if (sscanf(line, "%15s %31s %u %u %255s %u", s->netid, state, &s->rq, &s->sq,
			   s->name, &s->ino) == 6 && strcmp(state, "LISTEN") == 0)
			n++;
	}
	ck_assert_int_eq(pclose(p), 0);
	return n;
}

START_TEST(test_live_vs_ss)
{
	char dir[] = "/tmp/sw-udiag.XXXXXX", path[256], pseq[256], pzero[256], pctl[256],
	     pclamp[256], psmall[256];
	static const char abs_name[] = "\0sw-udiag\0x";
	struct want w[8];
	struct ssline ss[64];
	struct sw_unix_snapshot s;
	struct sw_diag *d = NULL;
	size_t nss, nw = 0;
	int fd, ctl;

	if (live_skip("test_live_vs_ss"))
		return;
	/* The test runs in its own process (Check forks): the namespace and
	 * the cwd are its own. */
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);

	snprintf(path, sizeof(path), "%s/fpm.sock", dir);
	fd = ulisten(SOCK_STREAM, path, strlen(path), 16);
	w[nw++] = (struct want){ "path", fd, path, path, SOCK_STREAM, 0, 16, false, false };

	fd = ulisten(SOCK_STREAM, "rel.sock", 8, 5);
	ck_assert_int_eq(ufill(SOCK_STREAM, "rel.sock", 8, 4), 4);
	w[nw++] = (struct want){ "relative", fd, "rel.sock", "rel.sock", SOCK_STREAM, 4, 5,
				 true, false };

	fd = ulisten(SOCK_STREAM, abs_name, sizeof(abs_name) - 1, 3);
	w[nw++] = (struct want){ "abstract", fd, "@sw-udiag@x", "@sw-udiag@x", SOCK_STREAM, 0, 3,
				 false, true };

	/* Over its limit: a queue holds limit + 1, the next connect fails. */
	snprintf(pseq, sizeof(pseq), "%s/seq.sock", dir);
	fd = ulisten(SOCK_SEQPACKET, pseq, strlen(pseq), 2);
	ck_assert_int_eq(ufill(SOCK_SEQPACKET, pseq, strlen(pseq), 10), 3);
	w[nw++] = (struct want){ "seqpacket over its limit", fd, pseq, pseq, SOCK_SEQPACKET, 3, 2,
				 false, false };

	snprintf(pzero, sizeof(pzero), "%s/zero.sock", dir);
	fd = ulisten(SOCK_STREAM, pzero, strlen(pzero), 0);
	ck_assert_int_eq(ufill(SOCK_STREAM, pzero, strlen(pzero), 10), 1);
	w[nw++] = (struct want){ "listen(0)", fd, pzero, pzero, SOCK_STREAM, 1, 0, false, false };

	snprintf(pctl, sizeof(pctl), "%s/a\x01" "b.sock", dir);
	fd = ulisten(SOCK_STREAM, pctl, strlen(pctl), 7);
	w[nw] = (struct want){ "control character", fd, NULL, pctl, SOCK_STREAM, 0, 7, false, false };
	{
		static char shown[256];

		snprintf(shown, sizeof(shown), "%s/a?b.sock", dir);
		w[nw++].path = shown;
	}

	/* somaxconn of this namespace clamps at listen(), and only then. */
	write_somaxconn(8);
	snprintf(pclamp, sizeof(pclamp), "%s/clamp.sock", dir);
	fd = ulisten(SOCK_STREAM, pclamp, strlen(pclamp), 100);
	ck_assert_int_eq(ufill(SOCK_STREAM, pclamp, strlen(pclamp), 20), 9);
	w[nw++] = (struct want){ "somaxconn clamps", fd, pclamp, pclamp, SOCK_STREAM, 9, 8,
				 false, false };
	snprintf(psmall, sizeof(psmall), "%s/small.sock", dir);
	fd = ulisten(SOCK_STREAM, psmall, strlen(psmall), 4);
	w[nw++] = (struct want){ "backlog below somaxconn", fd, psmall, psmall, SOCK_STREAM, 0, 4,
				 false, false };
	write_somaxconn(4096);

	/* Neither a datagram socket nor a connected client is a listener. */
	ctl = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dgram.sock", dir);
		ck_assert_int_eq(bind(ctl, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}

	ck_assert_int_eq(diag_open(&d), 0);
	usnap_init(&s);
	ck_assert_int_eq(diag_dump_unix(d, &s, 0), 0);
	ck_assert_uint_eq(s.n_listeners, nw);
	ck_assert_uint_eq(s.skipped_msgs, 0);
	ck_assert_uint_eq(s.skipped_attrs, 0);
	nss = ss_read(ss, SW_ARRAY_SIZE(ss));
	ck_assert_uint_eq(nss, nw);

	for (size_t i = 0; i < nw; i++) {
		const struct sw_unix_listener *l = usnap_find_cookie(&s, fd_cookie(w[i].fd));
		const struct ssline *x = NULL;

		ck_assert_msg(l != NULL, "%s: not in the dump", w[i].what);
		ck_assert_uint_eq(l->inode, fd_ino(w[i].fd));
		ck_assert_msg(strcmp(l->path, w[i].path) == 0, "%s: %s", w[i].what, l->path);
		ck_assert_uint_eq(l->type, w[i].type);
		ck_assert_int_eq(l->relative, w[i].relative);
		ck_assert_int_eq(l->abstract, w[i].abstract);
		ck_assert(l->has_name && l->has_rqlen && l->has_uid);
		ck_assert_uint_eq(l->uid, geteuid());
		ck_assert_msg(l->depth == w[i].depth && l->limit == w[i].limit, "%s: %u/%u",
			      w[i].what, l->depth, l->limit);
		for (size_t j = 0; j < nss; j++)
			if (ss[j].ino == l->inode)
				x = &ss[j];
		ck_assert_msg(x != NULL, "%s: not in ss -xl", w[i].what);
		ck_assert_str_eq(x->netid, w[i].type == SOCK_STREAM ? "u_str" : "u_seq");
		ck_assert_msg(x->rq == l->depth && x->sq == l->limit, "%s: ss %u/%u, we %u/%u",
			      w[i].what, x->rq, x->sq, l->depth, l->limit);
		ck_assert_str_eq(x->name, w[i].ss);
	}

	/* The same socket again, into a reset snapshot, as a poll would. */
	usnap_reset(&s);
	ck_assert_int_eq(diag_dump_unix(d, &s, 0), 0);
	ck_assert_uint_eq(s.n_listeners, nw);
	usnap_clear(&s);
	diag_close(d);
	close(ctl);
	for (size_t i = 0; i < nw; i++) {
		if (w[i].path[0] == '/')
			unlink(w[i].ss);
	}
	unlink("rel.sock");
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/dgram.sock", dir);
		unlink(p);
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *udiag_suite(void)
{
	Suite *s = suite_create("udiag");
	TCase *tn = tcase_create("usnap");
	TCase *tp = tcase_create("parse");
	TCase *td = tcase_create("dump");
	TCase *tl = tcase_create("live");

	tcase_add_loop_test(tn, test_name, 0, (int)SW_ARRAY_SIZE(ncases));
	tcase_add_test(tn, test_name_longest);
	tcase_add_test(tn, test_bound);
	suite_add_tcase(s, tn);

	tcase_add_loop_test(tp, test_parse_table, 0, (int)SW_ARRAY_SIZE(pcases));
	tcase_add_test(tp, test_parse_fields);
	tcase_add_test(tp, test_parse_seq);
	suite_add_tcase(s, tp);

	tcase_add_test(td, test_dump_two_parts);
	tcase_add_test(td, test_dump_enobufs_redo);
	tcase_add_test(td, test_dump_gives_up);
	tcase_add_test(td, test_dump_error_no_redo);
	suite_add_tcase(s, td);

	tcase_set_timeout(tl, 60);
	tcase_add_test(tl, test_live_vs_ss);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	return sw_check_run(udiag_suite());
}

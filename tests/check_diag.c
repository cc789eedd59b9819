/* diag: the pure parsers over crafted netlink bytes (listener and SYN_RECV
 * replies, multi-part dumps, errors, interrupted dumps, truncated and lying
 * lengths), the redo/rollback logic of the dumps through the receive seam,
 * and a live dump of this namespace that must find a socket we made. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "checkrun.h"
#include "nlbuild.h"
#include "diag.h"
#include "diag_parse.h"
#include "snapshot.h"
#include "macro.h"
#include "util.h"

#define NEW_SYN_RECV 12

struct dmsg {
	int family;
	int state;
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint32_t ifindex;
	uint64_t cookie;
	uint32_t rq, wq, uid, inode;
};

static void nb_diag(struct nb *n, const struct dmsg *d)
{
	struct inet_diag_msg m = { 0 };

	m.idiag_family = (uint8_t)d->family;
	m.idiag_state = (uint8_t)d->state;
	if (d->src)
		ck_assert_int_eq(inet_pton(d->family, d->src, m.id.idiag_src), 1);
	if (d->dst)
		ck_assert_int_eq(inet_pton(d->family, d->dst, m.id.idiag_dst), 1);
	m.id.idiag_sport = htons(d->sport);
	m.id.idiag_dport = htons(d->dport);
	m.id.idiag_if = d->ifindex;
	m.id.idiag_cookie[0] = (uint32_t)d->cookie;
	m.id.idiag_cookie[1] = (uint32_t)(d->cookie >> 32);
	m.idiag_rqueue = d->rq;
	m.idiag_wqueue = d->wq;
	m.idiag_uid = d->uid;
	m.idiag_inode = d->inode;
	nb_put(n, &m, sizeof(m));
}

static void nb_meminfo(struct nb *n, uint32_t drops)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };

	mem[SK_MEMINFO_RCVBUF] = 131072;
	mem[SK_MEMINFO_DROPS] = drops;
	nb_attr(n, INET_DIAG_SKMEMINFO, mem, sizeof(mem));
}

/* A whole listener message with the attributes a 6.18 kernel sends. */
static void nb_listener(struct nb *n, uint16_t flags, uint32_t seq, uint32_t pid,
			int family, const char *addr, uint16_t port, uint64_t cookie)
{
	struct dmsg d = { .family = family, .state = TCP_LISTEN, .src = addr, .sport = port,
			  .cookie = cookie, .wq = 128, .inode = 1000 + (uint32_t)cookie };
	uint64_t cg = 4242;

	nb_begin(n, SOCK_DIAG_BY_FAMILY, flags, seq, pid);
	nb_diag(n, &d);
	nb_meminfo(n, 0);
	nb_attr(n, INET_DIAG_CGROUP_ID, &cg, sizeof(cg));
	nb_end(n);
}

/* A request socket in a reply of type (SOCK_DIAG_BY_FAMILY, or
 * TCPDIAG_GETSOCK: the one-walk request's answers). */
static void nb_request_typed(struct nb *n, uint16_t type, uint16_t flags, uint32_t seq,
			     uint32_t pid, int family, int state, const char *laddr,
			     uint16_t lport, const char *raddr)
{
	struct dmsg d = { .family = family, .state = state, .src = laddr, .sport = lport,
			  .dst = raddr, .dport = 50000, .cookie = 77 };

	nb_begin(n, type, flags, seq, pid);
	nb_diag(n, &d);
	nb_end(n);
}

static void nb_request(struct nb *n, uint16_t flags, uint32_t seq, uint32_t pid, int family,
		       int state, const char *laddr, uint16_t lport, const char *raddr)
{
	nb_request_typed(n, SOCK_DIAG_BY_FAMILY, flags, seq, pid, family, state, laddr, lport,
			 raddr);
}

/* ---- listener replies, field by field -------------------------------- */

struct lcase {
	const char *name;
	int family;
	const char *addr;
	uint16_t port;
	uint32_t ifindex;
	uint64_t cookie;
	uint32_t inode, uid, rq, wq;
	bool meminfo;
	uint32_t drops;
	bool cgroup;
	uint64_t cgroup_id;
	int v6only_attr;          /* -1: none */
	bool want_v6only;
	bool kernel_extras;       /* SHUTDOWN, MARK, SOCKOPT around ours */
};

static const struct lcase lcases[] = {
	{ "v4 full", AF_INET, "127.0.0.1", 8080, 0, 0x1122334455667788ull, 5555, 1000, 3, 7,
	  true, 13, true, 0x100000abcull, -1, false, true },
	{ "v4 no meminfo, no cgroup", AF_INET, "0.0.0.0", 22, 0, 42, 17, 0, 0, 128,
	  false, 0, false, 0, -1, false, false },
	{ "v4 device-bound, full queue", AF_INET, "10.0.0.1", 80, 3, 9, 1, 33, 17, 16,
	  true, 0, true, 1, -1, false, false },
	{ "v4 ignores a v6only attr", AF_INET, "192.0.2.1", 443, 0, 8, 2, 0, 0, 4096,
	  true, 1, false, 0, 1, false, false },
	{ "v6 dual-stack", AF_INET6, "::", 443, 0, 0xdeadbeef00c0ffeeull, 6666, 0, 1, 4096,
	  true, 99, true, 77, 0, false, true },
	{ "v6 v6only", AF_INET6, "::1", 8443, 0, 5, 7, 65534, 0, 511,
	  false, 0, true, 12, 1, true, false },
	{ "v6 no v6only attr", AF_INET6, "2001:db8::1", 9000, 2, 6, 8, 0, 2, 2,
	  true, 4294967295u, false, 0, -1, false, true },
};

static void nb_lcase(struct nb *n, const struct lcase *t)
{
	struct dmsg d = { .family = t->family, .state = TCP_LISTEN, .src = t->addr,
			  .sport = t->port, .ifindex = t->ifindex, .cookie = t->cookie,
			  .rq = t->rq, .wq = t->wq, .uid = t->uid, .inode = t->inode };
	uint8_t u8 = 0;
	uint32_t mark = 0x55;
	uint8_t sockopt[2] = { 0 };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &d);
	if (t->kernel_extras) {
		nb_attr(n, INET_DIAG_SHUTDOWN, &u8, 1);
		nb_attr(n, INET_DIAG_MARK, &mark, sizeof(mark));
	}
	if (t->v6only_attr >= 0) {
		u8 = (uint8_t)t->v6only_attr;
		nb_attr(n, INET_DIAG_SKV6ONLY, &u8, 1);
	}
	if (t->cgroup)
		nb_attr(n, INET_DIAG_CGROUP_ID, &t->cgroup_id, sizeof(t->cgroup_id));
	if (t->kernel_extras)
		nb_attr(n, INET_DIAG_SOCKOPT, sockopt, sizeof(sockopt));
	if (t->meminfo)
		nb_meminfo(n, t->drops);
	nb_end(n);
}

START_TEST(test_listener_fields)
{
	const struct lcase *t = &lcases[_i];
	struct sw_snapshot s;
	struct nb n = { .len = 0 };
	uint8_t want_addr[16] = { 0 };
	const struct sw_listener *l;

	nb_lcase(&n, t);
	nb_done(&n, 0, 1, 0, 0);
	snapshot_init(&s);
	ck_assert_int_eq(diag_parse_listeners(n.b, n.len, &s), 1);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_uint_eq(s.skipped_msgs, 0);
	ck_assert_uint_eq(s.skipped_attrs, 0);
	l = &s.listeners[0];
	ck_assert_int_eq(inet_pton(t->family, t->addr, want_addr), 1);
	ck_assert_msg(l->family == t->family, "%s: family", t->name);
	ck_assert_mem_eq(l->addr, want_addr, 16);
	ck_assert_uint_eq(l->port, t->port);
	ck_assert_uint_eq(l->ifindex, t->ifindex);
	ck_assert_uint_eq(l->cookie, t->cookie);
	ck_assert_uint_eq(l->inode, t->inode);
	ck_assert_uint_eq(l->uid, t->uid);
	ck_assert_uint_eq(l->accept_depth, t->rq);
	ck_assert_uint_eq(l->accept_limit, t->wq);
	ck_assert_msg(l->has_drops == t->meminfo, "%s: has_drops", t->name);
	ck_assert_uint_eq(l->drops, t->meminfo ? t->drops : 0);
	ck_assert_uint_eq(l->cgroup_id, t->cgroup ? t->cgroup_id : 0);
	ck_assert_msg(l->v6only == t->want_v6only, "%s: v6only", t->name);
	ck_assert_int_eq(l->syn_group, -1);
	snapshot_clear(&s);
}
END_TEST

/* ---- framing and malformed input -------------------------------------- */

static void b_multi(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_listener(n, 0, 1, 0, AF_INET6, "::1", 2, 2);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.2", 3, 3);
}

static void b_multi_done(struct nb *n)
{
	b_multi(n);
	nb_done(n, 0, 1, 0, 0);
	/* Anything after DONE is not ours to read. */
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.9", 9, 9);
}

static void b_done_short(struct nb *n)
{
	/* A DONE without the errno payload still ends the dump. */
	nb_begin(n, NLMSG_DONE, 0, 1, 0);
	nb_end(n);
}

static void b_done_error(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_done(n, 0, 1, 0, -ENOBUFS);
}

static void b_error_eperm(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_error(n, 1, 0, -EPERM);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.2", 2, 2);
}

static void b_error_ack(struct nb *n)
{
	nb_error(n, 1, 0, 0);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
}

static void b_error_short(struct nb *n)
{
	nb_begin(n, NLMSG_ERROR, 0, 1, 0);
	nb_put(n, "\x01\x02", 2);
	nb_end(n);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
}

static void b_intr_reply(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_listener(n, NLM_F_DUMP_INTR, 1, 0, AF_INET, "127.0.0.2", 2, 2);
	nb_done(n, 0, 1, 0, 0);
}

static void b_intr_done(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_done(n, NLM_F_DUMP_INTR, 1, 0, 0);
}

static void b_truncated_msg(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.2", 2, 2);
	n->len -= 20;   /* the second message claims more than is there */
}

static void b_truncated_header(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_put(n, "\x40\x00\x00\x00\x14\x00\x02\x00", 8);   /* half a header */
}

static void b_len_below_header(struct nb *n)
{
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_put(n, "\0\0\0\0\0\0\0\0", 8);
	nb_end(n);
	memcpy(n->b + n->msg, &(uint32_t){ 8 }, 4);   /* nlmsg_len 8 < 16 */
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.3", 3, 3);
}

static void b_short_payload(struct nb *n)
{
	/* 40 bytes: less than struct inet_diag_msg. */
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_put(n, "\x02\x0a\x00\x00\x1f\x90\x00\x00\x7f\x00\x00\x01", 12);
	nb_put(n, (uint8_t[28]){ 0 }, 28);
	nb_end(n);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_done(n, 0, 1, 0, 0);
}

static void b_unknown_type(struct nb *n)
{
	nb_begin(n, 0x1234, 0, 1, 0);
	nb_put(n, "abcd", 4);
	nb_end(n);
	nb_begin(n, NLMSG_NOOP, 0, 1, 0);
	nb_end(n);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_done(n, 0, 1, 0, 0);
}

static void b_wrong_state_family(struct nb *n)
{
	struct dmsg est = { .family = AF_INET, .state = TCP_ESTABLISHED, .src = "127.0.0.1",
			    .sport = 5 };
	struct dmsg unx = { .family = AF_UNIX, .state = TCP_LISTEN, .sport = 6 };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &est);
	nb_end(n);
	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &unx);
	nb_end(n);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
}

static void b_attr_past_msg(struct nb *n)
{
	struct dmsg d = { .family = AF_INET, .state = TCP_LISTEN, .src = "127.0.0.1",
			  .sport = 80, .cookie = 1, .wq = 10 };
	uint64_t cg = 31;
	struct nlattr bad = { .nla_len = 200, .nla_type = INET_DIAG_SKMEMINFO };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &d);
	nb_attr(n, INET_DIAG_CGROUP_ID, &cg, sizeof(cg));
	nb_put(n, &bad, sizeof(bad));
	nb_put(n, (uint8_t[36]){ 0xff }, 36);   /* 40 bytes there, 200 claimed */
	nb_end(n);
	nb_listener(n, 0, 1, 0, AF_INET, "127.0.0.2", 2, 2);
	nb_done(n, 0, 1, 0, 0);
}

static void b_attr_len_tiny(struct nb *n)
{
	struct dmsg d = { .family = AF_INET6, .state = TCP_LISTEN, .src = "::1", .sport = 80,
			  .cookie = 1 };
	struct nlattr bad = { .nla_len = 2, .nla_type = INET_DIAG_SKV6ONLY };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &d);
	nb_put(n, &bad, sizeof(bad));
	nb_end(n);
}

static void b_attr_trailing_bytes(struct nb *n)
{
	struct dmsg d = { .family = AF_INET, .state = TCP_LISTEN, .src = "127.0.0.1",
			  .sport = 80, .cookie = 1 };

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &d);
	nb_meminfo(n, 4);
	nb_put(n, "\x01\x02", 2);   /* less than an attribute header */
	nb_end(n);
}

static void b_attr_payload_short(struct nb *n)
{
	struct dmsg d = { .family = AF_INET6, .state = TCP_LISTEN, .src = "::", .sport = 80,
			  .cookie = 1 };
	uint32_t mem[4] = { 1, 2, 3, 4 };   /* too short to hold SK_MEMINFO_DROPS */
	uint32_t cg32 = 5;                  /* a cgroup id is 8 bytes */
	uint8_t v6 = 1;

	nb_begin(n, SOCK_DIAG_BY_FAMILY, 0, 1, 0);
	nb_diag(n, &d);
	nb_attr(n, INET_DIAG_SKMEMINFO, mem, sizeof(mem));
	nb_attr(n, INET_DIAG_CGROUP_ID, &cg32, sizeof(cg32));
	nb_attr(n, INET_DIAG_SKV6ONLY, &v6, 0);
	nb_attr(n, INET_DIAG_SKV6ONLY | NLA_F_NESTED, &v6, 1);  /* flag bits masked */
	nb_end(n);
}

static void c_attr_past_msg(const struct sw_snapshot *s)
{
	/* What came before the bad attribute is kept. */
	ck_assert_uint_eq(s->listeners[0].cgroup_id, 31);
	ck_assert(!s->listeners[0].has_drops);
	ck_assert_uint_eq(s->listeners[0].accept_limit, 10);
	ck_assert_uint_eq(s->listeners[1].port, 2);
}

static void c_attr_trailing(const struct sw_snapshot *s)
{
	ck_assert(s->listeners[0].has_drops);
	ck_assert_uint_eq(s->listeners[0].drops, 4);
}

static void c_attr_payload_short(const struct sw_snapshot *s)
{
	ck_assert(!s->listeners[0].has_drops);
	ck_assert_uint_eq(s->listeners[0].cgroup_id, 0);
	ck_assert(s->listeners[0].v6only);
}

static void c_multi(const struct sw_snapshot *s)
{
	ck_assert_uint_eq(s->listeners[0].port, 1);
	ck_assert_uint_eq(s->listeners[1].family, AF_INET6);
	ck_assert_uint_eq(s->listeners[1].port, 2);
	ck_assert_uint_eq(s->listeners[2].port, 3);
	ck_assert_uint_eq(s->listeners[2].cgroup_id, 4242);
	ck_assert_uint_eq(s->listeners[2].inode, 1003);
}

struct fcase {
	const char *name;
	void (*build)(struct nb *n);
	int ret;
	size_t n_listeners;
	uint64_t skipped_msgs, skipped_attrs;
	void (*check)(const struct sw_snapshot *s);
};

static const struct fcase fcases[] = {
	{ "three in one buffer, no DONE", b_multi, 0, 3, 0, 0, c_multi },
	{ "three then DONE, rest ignored", b_multi_done, 1, 3, 0, 0, c_multi },
	{ "DONE without errno", b_done_short, 1, 0, 0, 0, NULL },
	{ "DONE carrying -ENOBUFS", b_done_error, -ENOBUFS, 1, 0, 0, NULL },
	{ "NLMSG_ERROR -EPERM stops", b_error_eperm, -EPERM, 1, 0, 0, NULL },
	{ "NLMSG_ERROR 0 is an ack", b_error_ack, 0, 1, 0, 0, NULL },
	{ "NLMSG_ERROR too short", b_error_short, 0, 1, 1, 0, NULL },
	{ "NLM_F_DUMP_INTR on a reply", b_intr_reply, -EINTR, 1, 0, 0, NULL },
	{ "NLM_F_DUMP_INTR on DONE", b_intr_done, -EINTR, 1, 0, 0, NULL },
	{ "truncated message", b_truncated_msg, 0, 1, 1, 0, NULL },
	{ "truncated header", b_truncated_header, 0, 1, 1, 0, NULL },
	{ "nlmsg_len below header", b_len_below_header, 0, 1, 1, 0, NULL },
	{ "payload shorter than inet_diag_msg", b_short_payload, 1, 1, 1, 0, NULL },
	{ "unknown type counted, NOOP not", b_unknown_type, 1, 1, 1, 0, NULL },
	{ "wrong state and family", b_wrong_state_family, 0, 1, 2, 0, NULL },
	{ "attribute past its message", b_attr_past_msg, 1, 2, 0, 1, c_attr_past_msg },
	{ "attribute len below header", b_attr_len_tiny, 0, 1, 0, 1, NULL },
	{ "bytes after the last attribute", b_attr_trailing_bytes, 0, 1, 0, 1, c_attr_trailing },
	{ "attribute payloads too short", b_attr_payload_short, 0, 1, 0, 3, c_attr_payload_short },
};

START_TEST(test_framing_table)
{
	const struct fcase *t = &fcases[_i];
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_snapshot s;
	uint8_t *exact;
	int r;

	t->build(n);
	/* An exact-size heap copy lets ASan catch any read past the end. */
	exact = malloc(n->len);
	memcpy(exact, n->b, n->len);
	snapshot_init(&s);
	r = diag_parse_listeners(exact, n->len, &s);
	ck_assert_msg(r == t->ret, "%s: ret %d, want %d", t->name, r, t->ret);
	ck_assert_msg(s.n_listeners == t->n_listeners, "%s: %zu listeners, want %zu", t->name,
		      s.n_listeners, t->n_listeners);
	ck_assert_msg(s.skipped_msgs == t->skipped_msgs, "%s: skipped_msgs %lu, want %lu",
		      t->name, (unsigned long)s.skipped_msgs, (unsigned long)t->skipped_msgs);
	ck_assert_msg(s.skipped_attrs == t->skipped_attrs, "%s: skipped_attrs %lu, want %lu",
		      t->name, (unsigned long)s.skipped_attrs, (unsigned long)t->skipped_attrs);
	if (t->check)
		t->check(&s);
	snapshot_clear(&s);
	free(exact);
	free(n);
}
END_TEST

START_TEST(test_len_below_header_keeps_first)
{
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_snapshot s;

	/* The bad length ends framing: the third message is not reached. */
	b_len_below_header(n);
	snapshot_init(&s);
	ck_assert_int_eq(diag_parse_listeners(n->b, n->len, &s), 0);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_uint_eq(s.listeners[0].port, 1);
	snapshot_clear(&s);
	free(n);
}
END_TEST

START_TEST(test_several_buffers)
{
	struct nb *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct sw_snapshot s;

	nb_listener(a, 0, 1, 0, AF_INET, "127.0.0.1", 1, 1);
	nb_listener(a, 0, 1, 0, AF_INET, "127.0.0.2", 2, 2);
	nb_listener(b, 0, 1, 0, AF_INET6, "::1", 3, 3);
	nb_done(b, 0, 1, 0, 0);
	snapshot_init(&s);
	ck_assert_int_eq(diag_parse_listeners(a->b, a->len, &s), 0);
	ck_assert_uint_eq(s.n_listeners, 2);
	ck_assert_int_eq(diag_parse_listeners(b->b, b->len, &s), 1);
	ck_assert_uint_eq(s.n_listeners, 3);
	ck_assert_uint_eq(s.listeners[2].family, AF_INET6);
	ck_assert_uint_eq(s.listeners[2].port, 3);
	ck_assert_uint_eq(s.skipped_msgs, 0);
	/* Empty input: nothing, not an error. */
	ck_assert_int_eq(diag_parse_listeners(a->b, 0, &s), 0);
	ck_assert_uint_eq(s.n_listeners, 3);
	snapshot_clear(&s);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_seq_check)
{
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_snapshot s;

	nb_listener(n, 0, 6, 4321, AF_INET, "127.0.0.1", 1, 1);   /* stale request */
	nb_listener(n, 0, 7, 999, AF_INET, "127.0.0.1", 2, 2);    /* other port */
	nb_done(n, 0, 6, 4321, 0);                                  /* stale DONE */
	nb_listener(n, 0, 7, 4321, AF_INET, "127.0.0.1", 3, 3);
	nb_done(n, 0, 7, 4321, 0);
	snapshot_init(&s);
	ck_assert_int_eq(diag_parse_listeners_seq(n->b, n->len, 7, 4321, &s), 1);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_uint_eq(s.listeners[0].port, 3);
	ck_assert_uint_eq(s.skipped_msgs, 3);
	snapshot_clear(&s);
	free(n);
}
END_TEST

/* ---- SYN_RECV replies -------------------------------------------------- */

START_TEST(test_synrecv_tally)
{
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_snapshot s;
	struct sw_listener l80 = { .family = AF_INET, .port = 80, .cookie = 1 };
	struct sw_listener l443 = { .family = AF_INET6, .port = 443, .cookie = 2 };
	const struct sw_syn_group *g80, *g443;
	uint8_t want[16] = { 0 };

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l80), 0);
	ck_assert_int_eq(snapshot_add_listener(&s, &l443), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);

	nb_request(n, 0, 1, 0, AF_INET, TCP_SYN_RECV, "127.0.0.1", 80, "10.0.0.1");
	nb_request(n, 0, 1, 0, AF_INET, TCP_SYN_RECV, "127.0.0.1", 80, "10.0.0.1");
	nb_request(n, 0, 1, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, "10.0.0.2");
	nb_request(n, 0, 1, 0, AF_INET, TCP_SYN_RECV, "127.0.0.1", 81, "10.0.0.3");  /* no listener */
	nb_request(n, 0, 1, 0, AF_INET6, TCP_SYN_RECV, "::ffff:127.0.0.1", 443, "::ffff:10.0.0.4");
	nb_request(n, 0, 1, 0, AF_INET, TCP_LISTEN, "127.0.0.1", 80, "10.0.0.5");   /* not a request */
	nb_done(n, 0, 1, 0, 0);
	ck_assert_int_eq(diag_parse_synrecv(n->b, n->len, &s), 1);

	ck_assert_uint_eq(s.syn_requests, 5);
	ck_assert_uint_eq(s.syn_unmatched, 1);
	ck_assert_uint_eq(s.skipped_msgs, 1);
	ck_assert_uint_eq(s.n_listeners, 2);   /* requests never become listeners */
	g80 = &s.groups[s.listeners[0].syn_group];
	g443 = &s.groups[s.listeners[1].syn_group];
	ck_assert_uint_eq(g80->depth, 3);
	ck_assert_uint_eq(g80->n_sources, 2);
	inet_pton(AF_INET, "10.0.0.1", want);
	ck_assert_mem_eq(g80->sources[0].addr, want, 16);
	ck_assert_uint_eq(g80->sources[0].count, 2);
	ck_assert_uint_eq(g80->sources[1].count, 1);
	ck_assert_uint_eq(g443->depth, 1);
	ck_assert_uint_eq(g443->n_sources, 1);
	ck_assert_uint_eq(g443->sources[0].family, AF_INET6);
	inet_pton(AF_INET6, "::ffff:10.0.0.4", want);
	ck_assert_mem_eq(g443->sources[0].addr, want, 16);
	snapshot_clear(&s);
	free(n);
}
END_TEST

/* Each request's answers carry its own type: the per-family dump's
 * SOCK_DIAG_BY_FAMILY, the one walk's TCPDIAG_GETSOCK; the other type is
 * someone else's and is skipped. */
START_TEST(test_synrecv_reply_type)
{
	static const uint16_t types[] = { SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK };
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_listener l80 = { .family = AF_INET, .port = 80, .cookie = 1 };
	struct sw_snapshot s;
	uint16_t want = types[_i], other = types[1 - _i];

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l80), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	nb_request_typed(n, want, 0, 7, 9, AF_INET, TCP_SYN_RECV, "127.0.0.1", 80, "10.0.0.1");
	nb_request_typed(n, other, 0, 7, 9, AF_INET, TCP_SYN_RECV, "127.0.0.1", 80, "10.0.0.2");
	nb_request_typed(n, want, 0, 7, 9, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, "10.0.0.3");
	nb_done(n, 0, 7, 9, 0);
	ck_assert_int_eq(diag_parse_synrecv_seq(n->b, n->len, 7, 9, want, &s), 1);
	ck_assert_uint_eq(s.syn_requests, 2);
	ck_assert_uint_eq(s.skipped_msgs, 1);
	ck_assert_uint_eq(s.groups[0].depth, 2);
	snapshot_clear(&s);
	free(n);
}
END_TEST

START_TEST(test_synrecv_malformed)
{
	struct nb *n = calloc(1, sizeof(*n));
	struct sw_snapshot s;
	struct sw_listener l80 = { .family = AF_INET, .port = 80, .cookie = 1 };

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l80), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	nb_request(n, 0, 1, 0, AF_INET, TCP_SYN_RECV, "127.0.0.1", 80, "10.0.0.1");
	b_short_payload(n);   /* a short reply, a listener-shaped reply, DONE */
	ck_assert_int_eq(diag_parse_synrecv(n->b, n->len, &s), 1);
	ck_assert_uint_eq(s.syn_requests, 1);
	ck_assert_uint_eq(s.skipped_msgs, 2);
	ck_assert_uint_eq(s.groups[0].depth, 1);
	snapshot_clear(&s);
	free(n);
}
END_TEST

/* ---- the dumps' redo and rollback, through the receive seam ------------ */

enum scenario { SC_INTR_ONCE, SC_INTR_ALWAYS, SC_ENOBUFS_ONCE, SC_EPERM, SC_SYN_INTR_ONCE,
		SC_SYN_WALK_ERR };

struct script {
	enum scenario sc;
	int walk_err;            /* SC_SYN_WALK_ERR: the one walk's error reply */
	int dumps;               /* requests seen */
	int part;                /* datagram within the current request */
	uint32_t last_seq;
	int families[16];
	uint32_t states[16];
	int calls;
	bool enobufs_sent;
	struct nb n;
};

static ssize_t script_recv(void *ud, int family, uint32_t states, uint32_t seq,
			   uint32_t portid, void *buf, size_t len)
{
	struct script *sc = ud;
	struct nb *n = &sc->n;
	int dump;

	/* A driver that never finishes must fail the test, not hang it. */
	if (++sc->calls > 64)
		return -ETIMEDOUT;
	if (sc->sc == SC_ENOBUFS_ONCE && !sc->enobufs_sent) {
		sc->enobufs_sent = true;
		sc->last_seq = seq;
		sc->families[sc->dumps] = family;
		sc->states[sc->dumps++] = states;
		return -ENOBUFS;
	}
	if (seq != sc->last_seq || sc->dumps == 0) {
		ck_assert_int_lt(sc->dumps, 16);
		sc->families[sc->dumps] = family;
		sc->states[sc->dumps++] = states;
		sc->last_seq = seq;
		sc->part = 0;
	}
	dump = sc->dumps - 1;
	n->len = 0;
	switch (sc->sc) {
	case SC_INTR_ONCE:
	case SC_ENOBUFS_ONCE:
		if (family == AF_INET && sc->part == 0) {
			nb_listener(n, 0, seq, portid, AF_INET, "127.0.0.1", 10, 10 + (uint64_t)dump);
			if (sc->sc == SC_ENOBUFS_ONCE)
				nb_done(n, 0, seq, portid, 0);
		} else if (family == AF_INET) {
			nb_done(n, 0, seq, portid, 0);
		} else if (sc->sc == SC_INTR_ONCE && dump == 1) {
			nb_listener(n, NLM_F_DUMP_INTR, seq, portid, AF_INET6, "::1", 11, 99);
			nb_done(n, NLM_F_DUMP_INTR, seq, portid, 0);
		} else {
			nb_listener(n, 0, seq - 1, portid, AF_INET6, "::1", 12, 98);  /* stale */
			nb_listener(n, 0, seq, portid, AF_INET6, "::1", 11, 20 + (uint64_t)dump);
			nb_done(n, 0, seq, portid, 0);
		}
		break;
	case SC_INTR_ALWAYS:
		nb_listener(n, NLM_F_DUMP_INTR, seq, portid, family,
			    family == AF_INET ? "127.0.0.1" : "::1", 10, 10);
		break;
	case SC_EPERM:
		nb_error(n, seq, portid, -EPERM);
		break;
	case SC_SYN_INTR_ONCE:
		/* One walk, both families in it: the first interrupted half way. */
		ck_assert_int_eq(family, AF_UNSPEC);
		if (dump == 0) {
			nb_request_typed(n, TCPDIAG_GETSOCK, 0, seq, portid, AF_INET, TCP_SYN_RECV,
					 "127.0.0.1", 80, "10.0.0.1");
			nb_request_typed(n, TCPDIAG_GETSOCK, 0, seq, portid, AF_INET, TCP_SYN_RECV,
					 "127.0.0.1", 80, "10.0.0.9");
			nb_request_typed(n, TCPDIAG_GETSOCK, NLM_F_DUMP_INTR, seq, portid, AF_INET6,
					 TCP_SYN_RECV, "::1", 443, "::2");
		} else {
			nb_request_typed(n, TCPDIAG_GETSOCK, 0, seq, portid, AF_INET, TCP_SYN_RECV,
					 "127.0.0.1", 80, "10.0.0.1");
			nb_request_typed(n, TCPDIAG_GETSOCK, 0, seq, portid, AF_INET6, NEW_SYN_RECV,
					 "::ffff:127.0.0.1", 443, "::ffff:10.0.0.3");
			nb_done(n, 0, seq, portid, 0);
		}
		break;
	case SC_SYN_WALK_ERR:
		/* The walk refused; then the per-family dumps, if asked. */
		if (family == AF_UNSPEC)
			nb_error(n, seq, portid, sc->walk_err);
		else if (family == AF_INET)
			nb_request(n, 0, seq, portid, AF_INET, TCP_SYN_RECV, "127.0.0.1", 80, "10.0.0.1");
		else
			nb_request(n, 0, seq, portid, AF_INET6, TCP_SYN_RECV, "::1", 443, "::2");
		if (family != AF_UNSPEC)
			nb_done(n, 0, seq, portid, 0);
		break;
	}
	sc->part++;
	ck_assert_uint_le(n->len, len);
	memcpy(buf, n->b, n->len);
	return (ssize_t)n->len;
}

static struct sw_diag *open_scripted(struct script *sc, enum scenario which)
{
	struct sw_diag *d = NULL;

	memset(sc, 0, sizeof(*sc));
	sc->sc = which;
	ck_assert_int_eq(diag_open(&d), 0);
	diag_set_recv_hook(d, script_recv, sc);
	return d;
}

static void add_preexisting(struct sw_snapshot *s)
{
	struct sw_listener l = { .family = AF_INET, .port = 1, .cookie = 5000 };

	snapshot_init(s);
	ck_assert_int_eq(snapshot_add_listener(s, &l), 0);
}

START_TEST(test_dump_intr_redo)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_INTR_ONCE);
	struct sw_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	/* v4, v6 (interrupted), then the whole dump again: v4, v6. */
	ck_assert_int_eq(sc->dumps, 4);
	ck_assert_int_eq(sc->families[0], AF_INET);
	ck_assert_int_eq(sc->families[1], AF_INET6);
	ck_assert_int_eq(sc->families[2], AF_INET);
	ck_assert_int_eq(sc->families[3], AF_INET6);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(sc->states[i], 1u << TCP_LISTEN);
	ck_assert_uint_eq(s.dump_retries, 1);
	/* The first attempt's v4 listener is gone; only the redo's remain. */
	ck_assert_uint_eq(s.n_listeners, 3);
	ck_assert_uint_eq(s.listeners[0].cookie, 5000);
	ck_assert_uint_eq(s.listeners[1].cookie, 12);
	ck_assert_uint_eq(s.listeners[2].cookie, 23);
	ck_assert_ptr_null(snapshot_find_cookie(&s, 10));
	ck_assert_ptr_null(snapshot_find_cookie(&s, 98));
	/* The stale reply of the good attempt is counted. */
	ck_assert_uint_eq(s.skipped_msgs, 1);
	ck_assert_uint_ne(s.taken_usec, 0);
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_intr_gives_up)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_INTR_ALWAYS);
	struct sw_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), -EINTR);
	ck_assert_int_eq(sc->dumps, 4);    /* one try and three redos */
	ck_assert_uint_eq(s.dump_retries, 3);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_uint_eq(s.listeners[0].cookie, 5000);
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_enobufs_redo)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_ENOBUFS_ONCE);
	struct sw_snapshot s;

	snapshot_init(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	ck_assert_uint_eq(s.dump_retries, 1);
	ck_assert_uint_eq(s.n_listeners, 2);
	ck_assert_int_eq(sc->dumps, 3);
	ck_assert_int_eq(sc->families[1], AF_INET);   /* redone from the start */
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_error_no_redo)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_EPERM);
	struct sw_snapshot s;

	add_preexisting(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), -EPERM);
	ck_assert_int_eq(sc->dumps, 1);
	ck_assert_uint_eq(s.dump_retries, 0);
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), -EPERM);
	ck_assert(!s.syn_scanned);
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

START_TEST(test_dump_synrecv_redo)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_SYN_INTR_ONCE);
	struct sw_snapshot s;
	struct sw_listener l80 = { .family = AF_INET, .port = 80, .cookie = 1 };
	struct sw_listener l443 = { .family = AF_INET6, .port = 443, .cookie = 2 };

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l80), 0);
	ck_assert_int_eq(snapshot_add_listener(&s, &l443), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), 0);
	/* The walk, interrupted; the walk again. */
	ck_assert_int_eq(sc->dumps, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sc->families[i], AF_UNSPEC);
		ck_assert_uint_eq(sc->states[i], 1u << TCP_SYN_RECV | 1u << NEW_SYN_RECV);
	}
	ck_assert(s.syn_scanned);
	ck_assert_uint_eq(s.dump_retries, 1);
	/* Only the redo's two requests count. */
	ck_assert_uint_eq(s.syn_requests, 2);
	ck_assert_uint_eq(s.syn_unmatched, 0);
	ck_assert_uint_eq(s.groups[s.listeners[0].syn_group].depth, 1);
	ck_assert_uint_eq(s.groups[s.listeners[0].syn_group].n_sources, 1);
	ck_assert_uint_eq(s.groups[s.listeners[1].syn_group].depth, 1);

	/* A second scan replaces the first rather than adding to it. */
	sc->dumps = 1;   /* the script's good walk */
	ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), 0);
	ck_assert_uint_eq(s.syn_requests, 2);
	ck_assert_uint_eq(s.groups[s.listeners[0].syn_group].depth, 1);
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

/* The one walk refused: by a kernel without it (EOPNOTSUPP) or one that
 * will not parse it (EINVAL), the scan dumps per family at once, and so
 * does every later scan on that socket; any other error fails the scan. */
static const struct {
	int walk_err;
	int want;            /* diag_dump_synrecv()'s return */
	int dumps_first;     /* requests of the first scan */
	int dumps_second;    /* ... and of the second */
} walk_cases[] = {
	{ -EOPNOTSUPP, 0, 3, 2 },
	{ -EINVAL, 0, 3, 2 },
	{ -EPERM, -EPERM, 1, 1 },
};

START_TEST(test_dump_synrecv_walk_refused)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_SYN_WALK_ERR);
	struct sw_listener l80 = { .family = AF_INET, .port = 80, .cookie = 1 };
	struct sw_listener l443 = { .family = AF_INET6, .port = 443, .cookie = 2 };
	struct sw_snapshot s;
	int first;

	sc->walk_err = walk_cases[_i].walk_err;
	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l80), 0);
	ck_assert_int_eq(snapshot_add_listener(&s, &l443), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	for (int scan = 0; scan < 2; scan++) {
		int d0 = sc->dumps, want_dumps = scan ? walk_cases[_i].dumps_second
						    : walk_cases[_i].dumps_first;

		ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), walk_cases[_i].want);
		ck_assert_int_eq(sc->dumps - d0, want_dumps);
		ck_assert_uint_eq(s.dump_retries, 0);
		if (walk_cases[_i].want < 0) {
			ck_assert(!s.syn_scanned);
			ck_assert_int_eq(sc->families[d0], AF_UNSPEC);
			continue;
		}
		/* The first scan tried the walk, the second did not. */
		first = d0 + (scan == 0);
		if (scan == 0)
			ck_assert_int_eq(sc->families[d0], AF_UNSPEC);
		ck_assert_int_eq(sc->families[first], AF_INET);
		ck_assert_int_eq(sc->families[first + 1], AF_INET6);
		ck_assert(s.syn_scanned);
		ck_assert_uint_eq(s.syn_requests, 2);
		ck_assert_uint_eq(s.groups[s.listeners[0].syn_group].depth, 1);
		ck_assert_uint_eq(s.groups[s.listeners[1].syn_group].depth, 1);
		ck_assert_uint_eq(s.skipped_msgs, 0);
	}
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

/* diag_refuse_walk(): per family from the first scan on. */
START_TEST(test_dump_synrecv_refuse_walk)
{
	struct script *sc = calloc(1, sizeof(*sc));
	struct sw_diag *d = open_scripted(sc, SC_SYN_WALK_ERR);
	struct sw_listener l80 = { .family = AF_INET, .port = 80, .cookie = 1 };
	struct sw_snapshot s;

	sc->walk_err = -EPERM;   /* would fail the scan if it were tried */
	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_listener(&s, &l80), 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	diag_refuse_walk(d);
	ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), 0);
	ck_assert_int_eq(sc->dumps, 2);
	ck_assert_int_eq(sc->families[0], AF_INET);
	ck_assert_int_eq(sc->families[1], AF_INET6);
	ck_assert_uint_eq(s.syn_requests, 2);
	ck_assert_uint_eq(s.syn_unmatched, 1);
	snapshot_clear(&s);
	diag_close(d);
	free(sc);
}
END_TEST

/* ---- live, in the current namespace (no root needed) ------------------- */

static int listen_on(int family, const char *addr, int backlog, bool v6only)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
		int v = v6only;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
		inet_pton(AF_INET6, addr, &a.sin6_addr);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET };

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		inet_pton(AF_INET, addr, &a.sin_addr);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	}
	if (listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	{
		int e = -errno;

		close(fd);
		return e;
	}
}

static uint64_t fd_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len), 0);
	return c;
}

static uint16_t fd_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

START_TEST(test_live_listener)
{
	struct sw_diag *d = NULL;
	struct sw_snapshot s;
	const struct sw_listener *l;
	struct stat st;
	uint8_t lo[16] = { 0 };
	int fd, fd6, fl;

	ck_assert_int_eq(diag_open(&d), 0);
	fl = fcntl(diag_fd(d), F_GETFD);
	ck_assert_int_ge(fl, 0);
	ck_assert_msg(fl & FD_CLOEXEC, "netlink socket is not close-on-exec");

	fd = listen_on(AF_INET, "127.0.0.1", 7, false);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	fd6 = listen_on(AF_INET6, "::1", 3, true);   /* may fail without IPv6 */

	snapshot_init(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	ck_assert_uint_ne(s.taken_usec, 0);
	ck_assert_uint_eq(s.skipped_msgs, 0);
	ck_assert_uint_eq(s.skipped_attrs, 0);
	ck_assert_int_eq(snapshot_index(&s), 0);
	l = snapshot_find_cookie(&s, fd_cookie(fd));
	ck_assert_ptr_nonnull(l);
	inet_pton(AF_INET, "127.0.0.1", lo);
	ck_assert_uint_eq(l->family, AF_INET);
	ck_assert_mem_eq(l->addr, lo, 16);
	ck_assert_uint_eq(l->port, fd_port(fd));
	ck_assert_uint_eq(l->accept_limit, 7);
	ck_assert_uint_eq(l->accept_depth, 0);
	ck_assert_uint_eq(l->inode, (uint32_t)st.st_ino);
	ck_assert_uint_eq(l->uid, getuid());
	ck_assert_uint_eq(l->ifindex, 0);
	ck_assert(l->has_drops);
	ck_assert_uint_eq(l->drops, 0);
	/* Kernels >= 5.8 send the cgroup id unasked. */
	ck_assert_uint_ne(l->cgroup_id, 0);
	ck_assert(!l->v6only);
	ck_assert_int_ge(l->syn_group, 0);

	if (fd6 >= 0) {
		uint8_t lo6[16] = { 0 };

		l = snapshot_find_cookie(&s, fd_cookie(fd6));
		ck_assert_ptr_nonnull(l);
		inet_pton(AF_INET6, "::1", lo6);
		ck_assert_uint_eq(l->family, AF_INET6);
		ck_assert_mem_eq(l->addr, lo6, 16);
		ck_assert_uint_eq(l->accept_limit, 3);
		ck_assert(l->v6only);
		close(fd6);
	}

	/* The SYN scan runs too (what it finds here depends on the host). */
	ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), 0);
	ck_assert(s.syn_scanned);
	ck_assert_uint_ge(s.syn_requests, s.syn_unmatched);

	/* Closed: a second dump no longer has it. */
	{
		uint64_t c = fd_cookie(fd);

		close(fd);
		snapshot_reset(&s);
		ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
		ck_assert_ptr_null(snapshot_find_cookie(&s, c));
	}
	snapshot_clear(&s);
	diag_close(d);
}
END_TEST

START_TEST(test_live_many_small_rcvbuf)
{
	/* Enough listeners for a dump of many parts, read through a small
	 * receive buffer. */
	enum { N = 1500 };
	static int fds[N];
	static uint64_t cookies[N];
	struct sw_diag *d = NULL;
	struct sw_snapshot s;

	for (int i = 0; i < N; i++) {
		fds[i] = listen_on(AF_INET, "127.0.0.1", 1 + i % 50, false);
		ck_assert_int_ge(fds[i], 0);
		cookies[i] = fd_cookie(fds[i]);
	}
	ck_assert_int_eq(diag_open(&d), 0);
	ck_assert_int_eq(diag_set_rcvbuf(d, 1), -EINVAL);
	ck_assert_int_eq(diag_set_rcvbuf(d, 4096), 0);
	snapshot_init(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	ck_assert_uint_ge(s.n_listeners, N);
	ck_assert_int_eq(snapshot_index(&s), 0);
	for (int i = 0; i < N; i++) {
		const struct sw_listener *l = snapshot_find_cookie(&s, cookies[i]);

		ck_assert_ptr_nonnull(l);
		ck_assert_uint_eq(l->accept_limit, (uint32_t)(1 + i % 50));
		ck_assert_uint_eq(l->port, fd_port(fds[i]));
	}
	/* The socket is reusable: dump again into a reset snapshot. */
	snapshot_reset(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	ck_assert_uint_ge(s.n_listeners, N);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	snapshot_clear(&s);
	diag_close(d);
	diag_close(NULL);
}
END_TEST

/* A kernel that answers slowly and never ends the dump: each receive
 * takes SLOW_PART_USEC and brings one more listener. Without the deadline
 * the dump would run until the 1 GiB cap. */
#define SLOW_PART_USEC (20 * USEC_PER_MSEC)

struct slow {
	int calls;
	struct nb n;
};

static ssize_t slow_recv(void *ud, int family, uint32_t states, uint32_t seq, uint32_t portid,
			 void *buf, size_t len)
{
	struct slow *sl = ud;

	/* A dump that ignores its deadline must fail the test, not hang it. */
	if (++sl->calls > 1000)
		return -EIO;
	usleep(SLOW_PART_USEC);
	sl->n.len = 0;
	nb_listener(&sl->n, 0, seq, portid, family, family == AF_INET ? "127.0.0.1" : "::1", 80,
		    1000 + (uint64_t)sl->calls);
	ck_assert_uint_le(sl->n.len, len);
	memcpy(buf, sl->n.b, sl->n.len);
	return (ssize_t)sl->n.len;
}

START_TEST(test_dump_deadline)
{
	struct slow *sl = calloc(1, sizeof(*sl));
	struct sw_diag *d = NULL;
	struct sw_snapshot s;
	uint64_t t0, deadline, took;
	int calls;

	ck_assert_int_eq(diag_open(&d), 0);
	diag_set_recv_hook(d, slow_recv, sl);
	add_preexisting(&s);
	t0 = util_now_usec();
	deadline = t0 + 200 * USEC_PER_MSEC;
	ck_assert_int_eq(diag_dump_listeners(d, &s, deadline), -ETIMEDOUT);
	took = util_now_usec() - t0;
	/* It stopped at the deadline, late by at most one receive (and a
	 * loaded machine's scheduling), and -ETIMEDOUT is not redone. */
	ck_assert_uint_ge(took, 200 * USEC_PER_MSEC);
	ck_assert_uint_lt(took, 200 * USEC_PER_MSEC + 20 * SLOW_PART_USEC);
	ck_assert_int_ge(sl->calls, 2);
	ck_assert_int_le(sl->calls, 11);
	ck_assert_uint_eq(s.dump_retries, 0);
	/* s is as it was: the listeners of the unfinished dump are gone. */
	ck_assert_uint_eq(s.n_listeners, 1);
	ck_assert_uint_eq(s.listeners[0].cookie, 5000);

	/* The SYN scan of the same poll shares the deadline: past already, it
	 * fails without a receive. */
	ck_assert_int_eq(snapshot_index(&s), 0);
	calls = sl->calls;
	ck_assert_int_eq(diag_dump_synrecv(d, &s, deadline), -ETIMEDOUT);
	ck_assert_int_eq(sl->calls, calls);
	ck_assert(!s.syn_scanned);

	snapshot_clear(&s);
	diag_close(d);
	free(sl);
}
END_TEST

START_TEST(test_live_deadline)
{
	/* A real socket under a deadline shorter than a receive timeout:
	 * each receive waits only for what is left, and a healthy dump is
	 * done well within it; a deadline already past sends nothing. */
	struct sw_diag *d = NULL;
	struct sw_snapshot s;
	int fd = listen_on(AF_INET, "127.0.0.1", 7, false);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(diag_open(&d), 0);
	snapshot_init(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, util_now_usec() + 500 * USEC_PER_MSEC), 0);
	ck_assert_ptr_nonnull(snapshot_find_cookie(&s, fd_cookie(fd)));
	ck_assert_int_eq(snapshot_index(&s), 0);
	ck_assert_int_eq(diag_dump_synrecv(d, &s, util_now_usec() + 500 * USEC_PER_MSEC), 0);
	snapshot_reset(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, util_now_usec() - 1), -ETIMEDOUT);
	ck_assert_uint_eq(s.n_listeners, 0);
	/* And the socket still serves the next poll. */
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	ck_assert_ptr_nonnull(snapshot_find_cookie(&s, fd_cookie(fd)));
	close(fd);
	snapshot_clear(&s);
	diag_close(d);
}
END_TEST

START_TEST(test_live_adopted)
{
	/* A socket made in another namespace and handed over shows that
	 * namespace's listeners, and only those, for its whole life. */
	struct sw_diag *d = NULL, *home = NULL;
	struct sw_snapshot s;
	int own, sk, fd;
	uint64_t c;

	if (geteuid() != 0 && !getenv("CI")) {
		fprintf(stderr, "test_live_adopted: skipped, needs root to make a namespace\n");
		return;
	}
	own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(own, 0);
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	ck_assert_int_ge(sk, 0);
	fd = listen_on(AF_INET, "0.0.0.0", 9, false);
	ck_assert_int_ge(fd, 0);
	c = fd_cookie(fd);
	ck_assert_int_eq(setns(own, CLONE_NEWNET), 0);
	close(own);

	ck_assert_int_eq(diag_adopt(sk, &d), 0);
	ck_assert_int_eq(diag_open(&home), 0);
	snapshot_init(&s);
	for (int round = 0; round < 2; round++) {
		snapshot_reset(&s);
		ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
		ck_assert_uint_eq(s.n_listeners, 1);
		ck_assert_ptr_nonnull(snapshot_find_cookie(&s, c));
		ck_assert_uint_eq(snapshot_find_cookie(&s, c)->accept_limit, 9);
		ck_assert_int_eq(snapshot_index(&s), 0);
		ck_assert_int_eq(diag_dump_synrecv(d, &s, 0), 0);
		ck_assert_uint_eq(s.syn_requests, 0);
	}
	snapshot_reset(&s);
	ck_assert_int_eq(diag_dump_listeners(home, &s, 0), 0);
	ck_assert_ptr_null(snapshot_find_cookie(&s, c));
	/* A past deadline sends nothing; the socket still serves. */
	snapshot_reset(&s);
	ck_assert_int_eq(diag_dump_listeners(d, &s, util_now_usec() - 1), -ETIMEDOUT);
	ck_assert_int_eq(diag_dump_listeners(d, &s, 0), 0);
	ck_assert_ptr_nonnull(snapshot_find_cookie(&s, c));
	ck_assert_int_eq(diag_adopt(-1, &home), -EBADF);
	close(fd);
	snapshot_clear(&s);
	diag_close(d);
	diag_close(home);
}
END_TEST

static Suite *diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tp = tcase_create("parse");
	TCase *td = tcase_create("dump");
	TCase *tl = tcase_create("live");

	tcase_add_loop_test(tp, test_listener_fields, 0, (int)SW_ARRAY_SIZE(lcases));
	tcase_add_loop_test(tp, test_framing_table, 0, (int)SW_ARRAY_SIZE(fcases));
	tcase_add_test(tp, test_len_below_header_keeps_first);
	tcase_add_test(tp, test_several_buffers);
	tcase_add_test(tp, test_seq_check);
	tcase_add_test(tp, test_synrecv_tally);
	tcase_add_loop_test(tp, test_synrecv_reply_type, 0, 2);
	tcase_add_test(tp, test_synrecv_malformed);
	suite_add_tcase(s, tp);

	tcase_add_test(td, test_dump_intr_redo);
	tcase_add_test(td, test_dump_intr_gives_up);
	tcase_add_test(td, test_dump_enobufs_redo);
	tcase_add_test(td, test_dump_error_no_redo);
	tcase_add_test(td, test_dump_synrecv_redo);
	tcase_add_loop_test(td, test_dump_synrecv_walk_refused, 0, (int)SW_ARRAY_SIZE(walk_cases));
	tcase_add_test(td, test_dump_synrecv_refuse_walk);
	tcase_add_test(td, test_dump_deadline);
	suite_add_tcase(s, td);

	tcase_set_timeout(tl, 60);
	tcase_add_test(tl, test_live_listener);
	tcase_add_test(tl, test_live_many_small_rcvbuf);
	tcase_add_test(tl, test_live_deadline);
	tcase_add_test(tl, test_live_adopted);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	return sw_check_run(diag_suite());
}

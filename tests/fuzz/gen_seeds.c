/* Writes the crafted seed inputs of the fuzz targets: sock_diag dump
 * replies (the cases tests/check_diag.c builds, plus multi-part dumps and
 * request sockets for the listeners of fuzz_diag.h), control request lines
 * and status documents (the cases of tests/check_protocol.c), sysctl file
 * texts and endpoints. Not a fuzz target: `make fuzz-seeds` builds it with
 * the ordinary compiler and runs it as gen_seeds tests/fuzz/corpus.
 *
 * Every file is rewritten on each run with the same bytes, so the corpus
 * only changes when this file does. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "fuzz_diag.h"

#define NEW_SYN_RECV 12

static const char *outdir;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void write_seed(const char *target, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "we");
	if (!f)
		die(path);
	if (len && fwrite(p, 1, len, f) != len)
		die(path);
	if (fclose(f) != 0)
		die(path);
}

static void write_text(const char *target, const char *name, const char *text)
{
	write_seed(target, name, text, strlen(text));
}

/* ---- netlink bytes ------------------------------------------------------ */

/* Room for the largest seed: four 32 KiB parts. */
#define BUF_MAX (4 * FUZZ_DIAG_PART)

struct buf {
	uint8_t b[BUF_MAX];
	size_t len;
	size_t msg;            /* start of the open message */
	size_t part;           /* start of the current 32 KiB part */
};

static void put(struct buf *n, const void *p, size_t len)
{
	if (n->len + len > sizeof(n->b)) {
		fprintf(stderr, "gen_seeds: buffer full\n");
		exit(1);
	}
	memcpy(n->b + n->len, p, len);
	n->len += len;
}

static void pad(struct buf *n)
{
	static const uint8_t zero[NLMSG_ALIGNTO];

	put(n, zero, NLMSG_ALIGN(n->len) - n->len);
}

static void begin(struct buf *n, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags | NLM_F_MULTI,
			      .nlmsg_seq = seq, .nlmsg_pid = 4242 };

	n->msg = n->len;
	put(n, &h, sizeof(h));
}

static void end(struct buf *n)
{
	uint32_t len = (uint32_t)(n->len - n->msg);

	memcpy(n->b + n->msg, &len, sizeof(len));
	pad(n);
}

static void attr(struct buf *n, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	put(n, &a, sizeof(a));
	put(n, data, len);
	pad(n);
}

struct diag {
	int family, state;
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t ifindex;
	uint64_t cookie;
	uint32_t rq, wq, uid, inode;
};

static void diag_msg(struct buf *n, const struct diag *d)
{
	struct inet_diag_msg m = { 0 };

	m.idiag_family = (uint8_t)d->family;
	m.idiag_state = (uint8_t)d->state;
	if (d->src && inet_pton(d->family, d->src, m.id.idiag_src) != 1)
		die(d->src);
	if (d->dst && inet_pton(d->family, d->dst, m.id.idiag_dst) != 1)
		die(d->dst);
	m.id.idiag_sport = htons(d->sport);
	m.id.idiag_dport = htons(d->dport);
	m.id.idiag_if = d->ifindex;
	m.id.idiag_cookie[0] = (uint32_t)d->cookie;
	m.id.idiag_cookie[1] = (uint32_t)(d->cookie >> 32);
	m.idiag_rqueue = d->rq;
	m.idiag_wqueue = d->wq;
	m.idiag_uid = d->uid;
	m.idiag_inode = d->inode;
	put(n, &m, sizeof(m));
}

static void meminfo(struct buf *n, uint32_t drops)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };

	mem[SK_MEMINFO_RCVBUF] = 131072;
	mem[SK_MEMINFO_DROPS] = drops;
	attr(n, INET_DIAG_SKMEMINFO, mem, sizeof(mem));
}

/* A listener as a 6.18 kernel sends it: SKMEMINFO, cgroup id, and for
 * AF_INET6 the v6only flag, around attributes sockwatchd ignores. */
static void listener(struct buf *n, uint16_t flags, int family, const char *addr,
		     uint16_t port, uint64_t cookie, uint32_t rq, uint32_t wq, uint32_t drops)
{
	struct diag d = { .family = family, .state = TCP_LISTEN, .src = addr, .sport = port,
			  .cookie = cookie, .rq = rq, .wq = wq, .inode = 1000 + (uint32_t)cookie };
	uint64_t cg = 4242 + cookie;
	uint32_t mark = 0x55;
	uint8_t u8 = 0;

	begin(n, SOCK_DIAG_BY_FAMILY, flags, 1);
	diag_msg(n, &d);
	attr(n, INET_DIAG_SHUTDOWN, &u8, 1);
	attr(n, INET_DIAG_MARK, &mark, sizeof(mark));
	meminfo(n, drops);
	if (family == AF_INET6) {
		u8 = cookie & 1;
		attr(n, INET_DIAG_SKV6ONLY, &u8, 1);
	}
	attr(n, INET_DIAG_CGROUP_ID, &cg, sizeof(cg));
	end(n);
}

static void request(struct buf *n, uint16_t flags, int family, int state, const char *laddr,
		    uint16_t lport, const char *raddr, uint16_t rport, uint32_t ifindex)
{
	struct diag d = { .family = family, .state = state, .src = laddr, .sport = lport,
			  .dst = raddr, .dport = rport, .ifindex = ifindex, .cookie = 77 };

	begin(n, SOCK_DIAG_BY_FAMILY, flags, 1);
	diag_msg(n, &d);
	end(n);
}

static void done(struct buf *n, uint16_t flags, int32_t err)
{
	begin(n, NLMSG_DONE, flags, 1);
	put(n, &err, sizeof(err));
	end(n);
}

static void error(struct buf *n, int32_t err)
{
	struct nlmsgerr e = { .error = err };

	begin(n, NLMSG_ERROR, 0, 1);
	put(n, &e, sizeof(e));
	end(n);
}

/* Whether a message of len bytes still fits in the current part, keeping
 * room for the NOOP that pads a part out. */
static bool part_fits(const struct buf *n, size_t len)
{
	return n->len + len + NLMSG_HDRLEN <= n->part + FUZZ_DIAG_PART;
}

/* Pads the current part to exactly FUZZ_DIAG_PART bytes with one NLMSG_NOOP,
 * so that the next message starts the next datagram, as the targets cut. */
static void next_part(struct buf *n)
{
	size_t fill = n->part + FUZZ_DIAG_PART - n->len;
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)fill, .nlmsg_type = NLMSG_NOOP,
			      .nlmsg_flags = NLM_F_MULTI, .nlmsg_seq = 1, .nlmsg_pid = 4242 };

	if (fill < NLMSG_HDRLEN) {
		fprintf(stderr, "gen_seeds: no room to pad a part\n");
		exit(1);
	}
	put(n, &h, sizeof(h));
	while (n->len < n->part + FUZZ_DIAG_PART)
		put(n, "", 1);
	n->part = n->len;
}

static struct buf *buf_new(void)
{
	struct buf *n = calloc(1, sizeof(*n));

	if (!n)
		die("calloc");
	return n;
}

static void emit(const char *target, const char *name, struct buf *n)
{
	write_seed(target, name, n->b, n->len);
	free(n);
}

/* ---- sock_diag listener dumps ------------------------------------------- */

static void seeds_listeners(void)
{
	const char *t = "diag_listeners";
	struct buf *n;

	/* One of each kind the unit tests take apart field by field. */
	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 8080, 0x1122334455667788ull, 3, 7, 13);
	listener(n, 0, AF_INET, "0.0.0.0", 22, 42, 0, 128, 0);
	listener(n, 0, AF_INET6, "::", 443, 0xdeadbeef00c0ffeeull, 1, 4096, 99);
	listener(n, 0, AF_INET6, "::1", 8443, 5, 0, 511, 0);
	listener(n, 0, AF_INET6, "2001:db8::1", 9000, 6, 2, 2, 4294967295u);
	done(n, 0, 0);
	emit(t, "kinds-done", n);

	/* No DONE: the dump goes on in the next datagram. */
	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	listener(n, 0, AF_INET6, "::1", 2, 2, 0, 128, 0);
	listener(n, 0, AF_INET, "127.0.0.2", 3, 3, 0, 128, 0);
	emit(t, "multi-no-done", n);

	/* Anything after DONE is not the dump's. */
	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	done(n, 0, 0);
	listener(n, 0, AF_INET, "127.0.0.9", 9, 9, 0, 128, 0);
	emit(t, "after-done", n);

	/* An SO_REUSEPORT group, and two sockets claiming one cookie. */
	n = buf_new();
	for (int i = 0; i < 4; i++)
		listener(n, 0, AF_INET, "0.0.0.0", 8080, 100 + (uint64_t)i, (uint32_t)i, 16, 0);
	listener(n, 0, AF_INET6, "::", 8080, 100, 0, 16, 0);
	done(n, 0, 0);
	emit(t, "reuseport-dup-cookie", n);

	n = buf_new();
	begin(n, NLMSG_DONE, 0, 1);
	end(n);
	emit(t, "done-no-errno", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	done(n, 0, -ENOBUFS);
	emit(t, "done-enobufs", n);

	n = buf_new();
	done(n, 0, INT32_MIN);
	emit(t, "done-int-min", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	error(n, -EPERM);
	listener(n, 0, AF_INET, "127.0.0.2", 2, 2, 0, 128, 0);
	emit(t, "error-eperm", n);

	n = buf_new();
	error(n, 0);
	error(n, 5);
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	emit(t, "error-ack-positive", n);

	n = buf_new();
	begin(n, NLMSG_ERROR, 0, 1);
	put(n, "\x01\x02", 2);
	end(n);
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	emit(t, "error-short", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	listener(n, NLM_F_DUMP_INTR, AF_INET, "127.0.0.2", 2, 2, 0, 128, 0);
	done(n, 0, 0);
	emit(t, "intr-reply", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	done(n, NLM_F_DUMP_INTR, 0);
	emit(t, "intr-done", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	listener(n, 0, AF_INET, "127.0.0.2", 2, 2, 0, 128, 0);
	n->len -= 20;
	emit(t, "truncated-msg", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	put(n, "\x40\x00\x00\x00\x14\x00\x02\x00", 8);
	emit(t, "truncated-header", n);

	n = buf_new();
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
	put(n, "\0\0\0\0\0\0\0\0", 8);
	end(n);
	memcpy(n->b + n->msg, &(uint32_t){ 8 }, 4);
	listener(n, 0, AF_INET, "127.0.0.3", 3, 3, 0, 128, 0);
	emit(t, "len-below-header", n);

	n = buf_new();
	begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
	put(n, "\x02\x0a\x00\x00\x1f\x90\x00\x00\x7f\x00\x00\x01", 12);
	put(n, (uint8_t[28]){ 0 }, 28);
	end(n);
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	done(n, 0, 0);
	emit(t, "short-payload", n);

	n = buf_new();
	begin(n, 0x1234, 0, 1);
	put(n, "abcd", 4);
	end(n);
	begin(n, NLMSG_NOOP, 0, 1);
	end(n);
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	done(n, 0, 0);
	emit(t, "unknown-type-noop", n);

	n = buf_new();
	{
		struct diag est = { .family = AF_INET, .state = TCP_ESTABLISHED,
				    .src = "127.0.0.1", .sport = 5 };
		struct diag unx = { .family = AF_UNIX, .state = TCP_LISTEN, .sport = 6 };

		begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
		diag_msg(n, &est);
		end(n);
		begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
		diag_msg(n, &unx);
		end(n);
	}
	listener(n, 0, AF_INET, "127.0.0.1", 1, 1, 0, 128, 0);
	emit(t, "wrong-state-family", n);

	n = buf_new();
	{
		struct diag d = { .family = AF_INET, .state = TCP_LISTEN, .src = "127.0.0.1",
				  .sport = 80, .cookie = 1, .wq = 10 };
		struct nlattr bad = { .nla_len = 200, .nla_type = INET_DIAG_SKMEMINFO };
		uint64_t cg = 31;

		begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
		diag_msg(n, &d);
		attr(n, INET_DIAG_CGROUP_ID, &cg, sizeof(cg));
		put(n, &bad, sizeof(bad));
		put(n, (uint8_t[36]){ 0xff }, 36);
		end(n);
	}
	listener(n, 0, AF_INET, "127.0.0.2", 2, 2, 0, 128, 0);
	done(n, 0, 0);
	emit(t, "attr-past-msg", n);

	n = buf_new();
	{
		struct diag d = { .family = AF_INET6, .state = TCP_LISTEN, .src = "::",
				  .sport = 80, .cookie = 1 };
		struct nlattr tiny = { .nla_len = 2, .nla_type = INET_DIAG_SKV6ONLY };
		uint32_t mem[4] = { 1, 2, 3, 4 };
		uint32_t cg32 = 5;
		uint8_t v6 = 1;

		begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
		diag_msg(n, &d);
		attr(n, INET_DIAG_SKMEMINFO, mem, sizeof(mem));
		attr(n, INET_DIAG_CGROUP_ID, &cg32, sizeof(cg32));
		attr(n, INET_DIAG_SKV6ONLY, &v6, 0);
		attr(n, INET_DIAG_SKV6ONLY | NLA_F_NESTED, &v6, 1);
		put(n, &tiny, sizeof(tiny));
		end(n);
		begin(n, SOCK_DIAG_BY_FAMILY, 0, 1);
		diag_msg(n, &d);
		meminfo(n, 4);
		put(n, "\x01\x02", 2);
		end(n);
	}
	emit(t, "attr-short-payloads", n);

	/* A dump of two datagrams: a full first part, then the rest and DONE. */
	n = buf_new();
	for (uint32_t i = 0; part_fits(n, 200); i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.%u.%u.1", i / 250, i % 250);
		listener(n, 0, i % 3 ? AF_INET : AF_INET6, i % 3 ? a : "::", (uint16_t)(1000 + i),
			 1000 + i, i % 7, 128, i % 5);
	}
	next_part(n);
	listener(n, 0, AF_INET, "127.0.0.1", 80, 1, 0, 4096, 0);
	listener(n, 0, AF_INET6, "::1", 80, 2, 0, 4096, 0);
	done(n, 0, 0);
	emit(t, "two-parts", n);
}

/* ---- sock_diag SYN_RECV dumps ------------------------------------------- */

static void seeds_synrecv(void)
{
	const char *t = "diag_synrecv";
	struct buf *n;

	/* One request for each listener of fuzz_diag.h, from its own device. */
	n = buf_new();
	for (size_t i = 0; i < sizeof(fuzz_listeners) / sizeof(fuzz_listeners[0]); i++) {
		const struct fuzz_listener *l = &fuzz_listeners[i];
		const char *peer = l->family == AF_INET ? "192.0.2.7" : "2001:db8::7";

		if (strcmp(l->addr, "0.0.0.0") && strcmp(l->addr, "::"))
			request(n, 0, l->family, NEW_SYN_RECV, l->addr, l->port, peer,
				(uint16_t)(40000 + i), l->ifindex);
	}
	done(n, 0, 0);
	emit(t, "one-each", n);

	/* Exact address before wildcard; wildcard for other local addresses;
	 * v4-mapped to the dual-stack [::]; no listener at all. */
	n = buf_new();
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, "127.0.0.5", 50000, 0);
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.2", 80, "127.0.0.5", 50001, 0);
	request(n, 0, AF_INET, NEW_SYN_RECV, "192.0.2.1", 443, "198.51.100.1", 50002, 0);
	request(n, 0, AF_INET6, NEW_SYN_RECV, "::ffff:127.0.0.1", 443, "::ffff:127.0.0.9", 50003, 0);
	request(n, 0, AF_INET6, NEW_SYN_RECV, "::ffff:127.0.0.1", 9000, "::ffff:127.0.0.9", 50004, 0);
	request(n, 0, AF_INET6, NEW_SYN_RECV, "2001:db8::1", 443, "2001:db8::2", 50005, 0);
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 9999, "127.0.0.5", 50006, 0);
	request(n, 0, AF_INET6, NEW_SYN_RECV, "::1", 80, "::1", 50007, 0);
	done(n, 0, 0);
	emit(t, "matching-rules", n);

	/* Device-bound listeners: their own devices, one they are not bound
	 * to, and the link-local listener from the right and a wrong device. */
	n = buf_new();
	request(n, 0, AF_INET, NEW_SYN_RECV, "10.0.0.1", 22, "10.0.0.2", 1, 3);
	request(n, 0, AF_INET, NEW_SYN_RECV, "10.0.0.1", 22, "10.0.0.2", 2, 5);
	request(n, 0, AF_INET, NEW_SYN_RECV, "10.0.0.1", 22, "10.0.0.3", 3, 7);
	request(n, 0, AF_INET6, NEW_SYN_RECV, "fe80::1", 80, "fe80::2", 4, 2);
	request(n, 0, AF_INET6, NEW_SYN_RECV, "fe80::1", 80, "fe80::2", 5, 4);
	done(n, 0, 0);
	emit(t, "devices", n);

	/* Fast-open children are full sockets in TCP_SYN_RECV; other states
	 * are skipped; a repeated source is one source. */
	n = buf_new();
	request(n, 0, AF_INET, TCP_SYN_RECV, "127.0.0.1", 8080, "127.0.0.5", 1, 0);
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 8080, "127.0.0.5", 2, 0);
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 8080, "127.0.0.5", 3, 0);
	request(n, 0, AF_INET, TCP_ESTABLISHED, "127.0.0.1", 8080, "127.0.0.6", 4, 0);
	request(n, 0, AF_INET, TCP_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 0);
	done(n, 0, 0);
	emit(t, "states-repeats", n);

	n = buf_new();
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, "127.0.0.5", 1, 0);
	request(n, NLM_F_DUMP_INTR, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, "127.0.0.6", 2, 0);
	done(n, 0, 0);
	emit(t, "intr", n);

	n = buf_new();
	request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, "127.0.0.5", 1, 0);
	error(n, -ENOMEM);
	emit(t, "error", n);

	/* More distinct sources than one group tallies (1024), over three
	 * datagrams, the rest counted as other_sources. */
	n = buf_new();
	for (uint32_t i = 0; i < 1100; i++) {
		char a[32];

		if (!part_fits(n, 100))
			next_part(n);
		snprintf(a, sizeof(a), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		request(n, 0, AF_INET, NEW_SYN_RECV, "127.0.0.1", 80, a, (uint16_t)i, 0);
	}
	done(n, 0, 0);
	emit(t, "many-sources", n);
}

/* ---- control requests and replies ---------------------------------------- */

static void seeds_protocol(void)
{
	static const char *const lines[] = {
		"{\"command\":\"status\"}",
		"{\"command\":\"status\",\"all\":true}\n",
		"{\"all\":false,\"command\":\"status\"}",
		"{\"command\":\"status\",\"listeners\":[\"0.0.0.0:80\",\"[::1]:443\",\"*:22\"]}",
		"{\"command\":\"status\",\"listeners\":[\"[0:0::0:1]:0443\",\"[::ffff:10.0.0.1]:8080\"]}",
		"{\"command\":\"status\",\"listeners\":[]}",
		"{\"command\":\"show\",\"listener\":\"127.0.0.1:8080\"}",
		"{\"command\":\"show\",\"listener\":\"*:8080\"}",
		"{\"command\":\"check\"}",
		"{\"command\":\"reload\"}",
		"{\"command\":\"version\"}",
		" {\"command\" : \"check\"}\t\r\n",
		"{\"command\":\"status\"",
		"{\"command\":\"status\"} x",
		"{\"command\":\"status\"}{\"command\":\"reload\"}",
		"{\"command\":\"status\",}",
		"{\"command\":\"status\",\"listeners\":[\"\xc3\x28\"]}",
		"{\"command\":5}",
		"{\"command\":null}",
		"{\"command\":\"status\",\"all\":\"yes\"}",
		"{\"command\":\"status\",\"listeners\":\"0.0.0.0:80\"}",
		"{\"command\":\"status\",\"listeners\":[80]}",
		"{\"command\":\"show\",\"listener\":\"localhost:80\"}",
		"{\"command\":\"status\",\"listeners\":[\"*:65536\"]}",
		"{\"command\":\"STATUS\"}",
		"{\"all\":true}",
		"{}",
		"[]",
		"{\"command\":\"status\",\"verbose\":true}",
		"{\"command\":\"check\",\"all\":true}",
		"{\"command\":\"show\"}",
		"{\"command\":\"status\\u0000x\"}",
		"{\"command\":\"status\",\"listeners\":[\"1.2.3.4:5\\u0000\"]}",
		"{\"command\":\"status\",\"listeners\":[[[[[\"x\"]]]]]}",
		"{\"command\":\"st\\u0061tus\",\"listener\\u0073\":[\"\\u002a:22\"]}",
		"{\"command\":\"status\",\"listeners\":[\"*:1\"],\"listeners\":[\"*:2\"]}",
		/* Replies and a status document, for the client-side decoder. */
		"{\"ok\":true}\n",
		"{\"error\":\"unknown command 'x'\"}\n",
		"{\"error\":5}",
		"{\"sockwatchd\":\"0.1.0\",\"protocol\":1}\n",
		"{\"version\":1,\"listeners\":["
		"{\"listener\":\"0.0.0.0:80\",\"port\":80,\"state\":\"ok\",\"accept\":{\"depth\":3},"
		"\"syn\":{\"depth\":0},\"drops\":{\"delta\":0}},"
		"{\"listener\":\"127.0.0.1:80\",\"port\":80,\"state\":\"warn\",\"accept\":{\"depth\":0},"
		"\"syn\":{\"depth\":1},\"drops\":{\"delta\":2}},"
		"{\"listener\":\"[::]:443\",\"port\":443,\"accept\":\"x\",\"syn\":[],\"state\":1},"
		"5,null]}\n",
	};
	const char *t = "protocol_request";
	char name[32], *big;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(name, sizeof(name), "line-%02zu", i);
		write_text(t, name, lines[i]);
	}
	write_seed(t, "nul-inside", "{\"command\":\"status\"}\0{\"command\":\"reload\"}", 42);

	/* At the limits: 64 filters (the most), 65, and a line over 4096. */
	big = malloc(8192);
	if (!big)
		die("malloc");
	for (int k = 64; k <= 65; k++) {
		size_t len = (size_t)snprintf(big, 8192, "{\"command\":\"status\",\"listeners\":[");

		for (int i = 0; i < k; i++)
			len += (size_t)snprintf(big + len, 8192 - len, "%s\"[2001:db8::%x]:%d\"",
						i ? "," : "", i, 1000 + i);
		snprintf(big + len, 8192 - len, "]}");
		snprintf(name, sizeof(name), "filters-%d", k);
		write_text(t, name, big);
	}
	memset(big, ' ', 4200);
	memcpy(big, "{\"command\":\"status\"}", 20);
	big[4200] = 0;
	write_text(t, "too-long", big);
	free(big);
}

/* ---- small texts ----------------------------------------------------------- */

static void seeds_small(void)
{
	static const char *const sysctl[] = {
		"4096\n", "0\n", "2\n", "2147483647\n", "2147483648\n", "0004096\n",
		"128 \r\n", "-1\n", " 1\n", "1x\n", "", "\n", "99999999999999999999\n",
	};
	static const char *const endpoint[] = {
		"127.0.0.1:8080", "0.0.0.0:0", "[::1]:443", "[::]:80", "*:22", "*:65535",
		"[::ffff:127.0.0.1]:9000", "[fe80::1]:80", "[0:0::0:1]:0443", "1.2.3.4:65536",
		"1.2.3.4:-1", "[::1:80", "::1:80", "*:", ":80", "[]:1", "1.2.3.4: 80",
		"[2001:db8:0:0:0:0:2:1]:1", "localhost:80",
	};
	/* Beside the real copies from tests/data/netstat/. */
	static const char *const netstat[] = {
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1 2\n",
		("IpExt: InNoRoutes\nIpExt: 0\nTcpExt: SyncookiesSent TCPReqQFullDrop ListenDrops "
		 "TCPReqQFullDoCookies ListenOverflows SyncookiesFailed SyncookiesRecv\n"
		 "TcpExt: 7 6 5 4 3 2 1\nMPTcpExt: MPCapableSYNRX\nMPTcpExt: 0\n"),
		"TcpExt: ListenDrops ListenDrops ListenOverflows\nTcpExt: 1 2 3\n",
		/* UINT64_MAX, and one more */
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 18446744073709551615 18446744073709551616\n",
		"TcpExt: ListenOverflows ListenDrops\r\nTcpExt: 00012 +3\r\n",
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 5 12",
		"TcpExt: ListenOverflows\nIpExt: InNoRoutes\nTcpExt: 1\n",
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\nTcpExt: ListenDrops\nTcpExt: 9\n",
		"TcpExt:\nTcpExt:\n",
		":\n:\n",
	};
	char name[32];

	for (size_t i = 0; i < sizeof(netstat) / sizeof(netstat[0]); i++) {
		snprintf(name, sizeof(name), "crafted-%02zu", i);
		write_text("netstat", name, netstat[i]);
	}
	for (size_t i = 0; i < sizeof(sysctl) / sizeof(sysctl[0]); i++) {
		snprintf(name, sizeof(name), "sysctl-%02zu", i);
		write_text("sysctl", name, sysctl[i]);
	}
	for (size_t i = 0; i < sizeof(endpoint) / sizeof(endpoint[0]); i++) {
		snprintf(name, sizeof(name), "endpoint-%02zu", i);
		write_text("endpoint", name, endpoint[i]);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die(outdir);
	seeds_listeners();
	seeds_synrecv();
	seeds_protocol();
	seeds_small();
	return 0;
}

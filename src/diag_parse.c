/* The parsers of sock_diag dump replies. They copy every header out of the
 * buffer before reading it and check every length against what is left, so
 * a short or lying message is counted and skipped, never read past its
 * end. */
#include "diag_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

enum diag_parse_kind { DIAG_PARSE_LISTENERS, DIAG_PARSE_SYNRECV, DIAG_PARSE_UNIX };

/* What one dump fills: an inet snapshot or a UNIX one, and where its
 * skipped messages are counted. */
struct diag_target {
	enum diag_parse_kind kind;
	uint16_t reply_type;   /* what the request's answers carry */
	struct sw_snapshot *s;
	struct sw_unix_snapshot *u;
	uint64_t *skipped_msgs;
};

struct diag_expect {
	bool check;
	uint32_t seq;
	uint32_t portid;
};

static void diag_parse_listener_attrs(const uint8_t *p, size_t len, struct sw_listener *l,
				      struct sw_snapshot *s)
{
	size_t off = 0;

	while (off < len) {
		struct nlattr a;
		const uint8_t *data;
		size_t dlen;

		if (len - off < sizeof(a)) {
			s->skipped_attrs++;
			return;
		}
		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len - off) {
			/* The lengths after this one cannot be trusted either. */
			s->skipped_attrs++;
			return;
		}
		data = p + off + NLA_HDRLEN;
		dlen = a.nla_len - NLA_HDRLEN;
		switch (a.nla_type & NLA_TYPE_MASK) {
		case INET_DIAG_SKMEMINFO:
			if (dlen < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
				s->skipped_attrs++;
				break;
			}
			memcpy(&l->drops, data + SK_MEMINFO_DROPS * sizeof(uint32_t), sizeof(uint32_t));
			l->has_drops = true;
			break;
		case INET_DIAG_CGROUP_ID:
			if (dlen < sizeof(uint64_t)) {
				s->skipped_attrs++;
				break;
			}
			memcpy(&l->cgroup_id, data, sizeof(uint64_t));
			break;
		case INET_DIAG_SKV6ONLY:
			if (dlen < 1) {
				s->skipped_attrs++;
				break;
			}
			l->v6only = l->family == AF_INET6 && data[0] != 0;
			break;
		default:
			/* Attributes we do not use (SHUTDOWN, MARK, SOCKOPT...)
			 * are normal, not skipped. */
			break;
		}
		off += NLA_ALIGN((size_t)a.nla_len);
	}
}

/* One SOCK_DIAG_BY_FAMILY payload. */
static int diag_parse_reply(const uint8_t *p, size_t len, enum diag_parse_kind kind,
			    struct sw_snapshot *s)
{
	struct inet_diag_msg m;
	size_t alen;

	if (len < sizeof(m)) {
		s->skipped_msgs++;
		return 0;
	}
	memcpy(&m, p, sizeof(m));
	if (m.idiag_family == AF_INET)
		alen = 4;
	else if (m.idiag_family == AF_INET6)
		alen = 16;
	else {
		s->skipped_msgs++;
		return 0;
	}

	if (kind == DIAG_PARSE_LISTENERS) {
		struct sw_listener l = { .syn_group = -1 };
		size_t aoff = NLMSG_ALIGN(sizeof(m));

		if (m.idiag_state != TCP_LISTEN) {
			s->skipped_msgs++;
			return 0;
		}
		l.family = m.idiag_family;
		memcpy(l.addr, m.id.idiag_src, alen);
		l.port = ntohs(m.id.idiag_sport);
		l.ifindex = m.id.idiag_if;
		l.cookie = (uint64_t)m.id.idiag_cookie[0] | (uint64_t)m.id.idiag_cookie[1] << 32;
		l.inode = m.idiag_inode;
		l.uid = m.idiag_uid;
		l.accept_depth = m.idiag_rqueue;
		l.accept_limit = m.idiag_wqueue;
		if (aoff < len)
			diag_parse_listener_attrs(p + aoff, len - aoff, &l, s);
		return snapshot_add_listener(s, &l);
	} else {
		struct sw_request r = { 0 };

		/* Request sockets come back as TCP_SYN_RECV; a fast-open child
		 * is a full socket in that state and also holds a slot. */
		if (m.idiag_state != TCP_SYN_RECV && m.idiag_state != TCP_NEW_SYN_RECV) {
			s->skipped_msgs++;
			return 0;
		}
		r.family = m.idiag_family;
		memcpy(r.laddr, m.id.idiag_src, alen);
		r.lport = ntohs(m.id.idiag_sport);
		memcpy(r.raddr, m.id.idiag_dst, alen);
		r.rport = ntohs(m.id.idiag_dport);
		r.ifindex = m.id.idiag_if;
		return snapshot_add_request(s, &r);
	}
}


/* The attributes of one UNIX listener. The kernel sends each once; a second
 * copy, or one of the wrong size, is skipped and counted (the first
 * stands). */
static void diag_parse_unix_attrs(const uint8_t *p, size_t len, struct sw_unix_listener *l,
				  struct sw_unix_snapshot *u)
{
	bool seen_name = false;
	size_t off = 0;

	while (off < len) {
		struct nlattr a;
		const uint8_t *data;
		size_t dlen;

		if (len - off < sizeof(a)) {
			u->skipped_attrs++;
			return;
		}
		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len - off) {
			/* The lengths after this one cannot be trusted either. */
			u->skipped_attrs++;
			return;
		}
		data = p + off + NLA_HDRLEN;
		dlen = a.nla_len - NLA_HDRLEN;
		switch (a.nla_type & NLA_TYPE_MASK) {
		case UNIX_DIAG_NAME:
			/* A malformed first copy still makes a second a duplicate. */
			if (seen_name || usnap_name(l, data, dlen) < 0)
				u->skipped_attrs++;
			seen_name = true;
			break;
		case UNIX_DIAG_RQLEN: {
			struct unix_diag_rqlen q;

			if (l->has_rqlen || dlen != sizeof(q)) {
				u->skipped_attrs++;
				break;
			}
			memcpy(&q, data, sizeof(q));
			l->depth = q.udiag_rqueue;
			l->limit = q.udiag_wqueue;
			l->has_rqlen = true;
			break;
		}
		case UNIX_DIAG_UID:
			if (l->has_uid || dlen != sizeof(uint32_t)) {
				u->skipped_attrs++;
				break;
			}
			memcpy(&l->uid, data, sizeof(uint32_t));
			l->has_uid = true;
			break;
		default:
			/* VFS, ICONS, MEMINFO, SHUTDOWN...: not asked for, not
			 * used, not malformed. */
			break;
		}
		off += NLA_ALIGN((size_t)a.nla_len);
	}
}

/* One SOCK_DIAG_BY_FAMILY payload of a unix_diag dump: only listening
 * stream and seqpacket sockets are kept. */
static int diag_parse_unix_reply(const uint8_t *p, size_t len, struct sw_unix_snapshot *u)
{
	struct sw_unix_listener l = { 0 };
	struct unix_diag_msg m;
	size_t aoff = NLMSG_ALIGN(sizeof(m));

	if (len < sizeof(m)) {
		u->skipped_msgs++;
		return 0;
	}
	memcpy(&m, p, sizeof(m));
	if (m.udiag_family != AF_UNIX || m.udiag_state != TCP_LISTEN ||
	    (m.udiag_type != SOCK_STREAM && m.udiag_type != SOCK_SEQPACKET)) {
		u->skipped_msgs++;
		return 0;
	}
	l.type = m.udiag_type;
	l.inode = m.udiag_ino;
	l.cookie = (uint64_t)m.udiag_cookie[0] | (uint64_t)m.udiag_cookie[1] << 32;
	if (aoff < len)
		diag_parse_unix_attrs(p + aoff, len - aoff, &l, u);
	return usnap_add(u, &l);
}

static int diag_parse(const void *buf, size_t len, const struct diag_target *t,
		      const struct diag_expect *ex)
{
	const uint8_t *b = buf;
	size_t off = 0;

	while (off < len) {
		size_t rem = len - off, mlen, plen, next;
		const uint8_t *payload;
		struct nlmsghdr h;
		int32_t e;
		int r;

		if (rem < sizeof(h)) {
			(*t->skipped_msgs)++;
			break;
		}
		memcpy(&h, b + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > rem) {
			/* Nothing after a bad length can be framed. */
			(*t->skipped_msgs)++;
			break;
		}
		mlen = h.nlmsg_len;
		payload = b + off + NLMSG_HDRLEN;
		plen = mlen - NLMSG_HDRLEN;
		next = off + NLMSG_ALIGN(mlen);
		if (next > len || next < off)
			next = len;

		if (ex && ex->check && (h.nlmsg_seq != ex->seq || h.nlmsg_pid != ex->portid)) {
			/* Not the answer to our request: a stale reply. */
			(*t->skipped_msgs)++;
			off = next;
			continue;
		}
		if (h.nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;

		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			/* A dump that failed half way ends with its errno here. */
			if (plen >= sizeof(e)) {
				memcpy(&e, payload, sizeof(e));
				if (e < 0)
					return e == INT32_MIN ? -EIO : e;
			}
			return 1;
		case NLMSG_ERROR:
			if (plen < sizeof(e)) {
				(*t->skipped_msgs)++;
				break;
			}
			memcpy(&e, payload, sizeof(e));
			if (e < 0)
				return e == INT32_MIN ? -EIO : e;
			if (e > 0)
				(*t->skipped_msgs)++;
			/* 0 is an acknowledgement. */
			break;
		case NLMSG_NOOP:
			break;
		default:
			/* SOCK_DIAG_BY_FAMILY, or the old request's own type
			 * (TCPDIAG_GETSOCK): the kernel answers a request with
			 * messages of the type it was sent as. */
			if (h.nlmsg_type != t->reply_type) {
				(*t->skipped_msgs)++;
				break;
			}
			r = t->kind == DIAG_PARSE_UNIX ? diag_parse_unix_reply(payload, plen, t->u)
							: diag_parse_reply(payload, plen, t->kind, t->s);
			if (r < 0)
				return r;
			break;
		}
		off = next;
	}
	return 0;
}

static int diag_parse_inet(const void *buf, size_t len, enum diag_parse_kind kind,
			   uint16_t reply_type, const struct diag_expect *ex, struct sw_snapshot *s)
{
	struct diag_target t = { .kind = kind, .reply_type = reply_type, .s = s,
				 .skipped_msgs = &s->skipped_msgs };

	return diag_parse(buf, len, &t, ex);
}

int diag_parse_listeners(const void *buf, size_t len, struct sw_snapshot *s)
{
	return diag_parse_inet(buf, len, DIAG_PARSE_LISTENERS, SOCK_DIAG_BY_FAMILY, NULL, s);
}

int diag_parse_synrecv(const void *buf, size_t len, struct sw_snapshot *s)
{
	return diag_parse_inet(buf, len, DIAG_PARSE_SYNRECV, SOCK_DIAG_BY_FAMILY, NULL, s);
}

int diag_parse_listeners_seq(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			     struct sw_snapshot *s)
{
	struct diag_expect ex = { .check = true, .seq = seq, .portid = portid };

	return diag_parse_inet(buf, len, DIAG_PARSE_LISTENERS, SOCK_DIAG_BY_FAMILY, &ex, s);
}

int diag_parse_synrecv_seq(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			   uint16_t reply_type, struct sw_snapshot *s)
{
	struct diag_expect ex = { .check = true, .seq = seq, .portid = portid };

	return diag_parse_inet(buf, len, DIAG_PARSE_SYNRECV, reply_type, &ex, s);
}

static int diag_parse_unix_ex(const void *buf, size_t len, const struct diag_expect *ex,
			      struct sw_unix_snapshot *u)
{
	struct diag_target t = { .kind = DIAG_PARSE_UNIX, .reply_type = SOCK_DIAG_BY_FAMILY, .u = u,
				 .skipped_msgs = &u->skipped_msgs };

	return diag_parse(buf, len, &t, ex);
}

int diag_parse_unix(const void *buf, size_t len, struct sw_unix_snapshot *u)
{
	return diag_parse_unix_ex(buf, len, NULL, u);
}

int diag_parse_unix_seq(const void *buf, size_t len, uint32_t seq, uint32_t portid,
			struct sw_unix_snapshot *u)
{
	struct diag_expect ex = { .check = true, .seq = seq, .portid = portid };

	return diag_parse_unix_ex(buf, len, &ex, u);
}

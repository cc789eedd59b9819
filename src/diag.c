/* The sock_diag collector: one NETLINK_SOCK_DIAG socket (made by libnl-3)
 * and its dump requests, inet_diag (TCP) and unix_diag (AF_UNIX), all
 * through diag_dump_request(); diag_parse.c turns the reply bytes into
 * snapshot (usnap) entries.
 *
 * Replies are read with recvmmsg(): the kernel builds the next part of a
 * dump (at most 32 KiB) inside each recvmsg() call, so a batch of slots
 * collects many parts per system call. */
#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "diag_parse.h"
#include "util.h"

/* The kernel sizes each dump part after the largest buffer recvmsg() was
 * given, capped just under 32 KiB: 64 KiB slots never truncate a part. */
#define DIAG_SLOTS          8
#define DIAG_SLOT_SIZE      (64 * 1024)
#define DIAG_RCVBUF_DEFAULT (2 * 1024 * 1024)
#define DIAG_RCVBUF_MIN     4096
#define DIAG_RCVBUF_MAX     (64 * 1024 * 1024)
/* A kernel that stops sending, or never sends NLMSG_DONE, must not hang
 * the daemon: a dump call (both families, redos included) ends with
 * -ETIMEDOUT at the caller's deadline, each receive waiting at most
 * DIAG_RECV_TIMEOUT_USEC and never past the deadline, and stops at
 * DIAG_DUMP_MAX_BYTES. The poll's deadline stays under half the watchdog
 * (decide_poll_budget_usec()), so that no wait keeps WATCHDOG=1 away long
 * enough for systemd to kill the daemon and lose every listener's
 * history. */
#define DIAG_RECV_TIMEOUT_USEC (2 * USEC_PER_SEC)
#define DIAG_DUMP_MAX_BYTES    ((size_t)1 << 30)
/* Redos of an interrupted or overrun dump before giving up. */
#define DIAG_MAX_REDO 3

struct sw_diag {
	struct nl_sock *nl;
	int fd;
	uint32_t portid;
	uint32_t seq;
	size_t rcvbuf;             /* 0: DIAG_RCVBUF_DEFAULT */
	uint64_t rcvtimeo_usec;    /* SO_RCVTIMEO as set */
	bool dirty;                /* a dump may be half read: reopen (or drain) first */
	/* The socket was made in another namespace and handed over: it cannot
	 * be reopened here (a new one would be the monitor's namespace), so a
	 * half-read dump is drained instead. */
	bool adopted;
	/* The kernel refused the SYN scan's one-walk request (EOPNOTSUPP:
	 * built without it; EINVAL): scans dump per family from then on. */
	bool walk_refused;

	uint8_t *buf;              /* DIAG_SLOTS * DIAG_SLOT_SIZE */
	struct iovec iov[DIAG_SLOTS];
	struct sockaddr_nl from[DIAG_SLOTS];
	struct mmsghdr msgs[DIAG_SLOTS];

	sw_diag_recv_hook hook;
	void *hook_data;
};

enum diag_kind { DIAG_LISTENERS, DIAG_SYNRECV, DIAG_UNIX };

/* What one dump request fills, and where its stray datagrams count. */
struct diag_sink {
	enum diag_kind kind;
	uint16_t reply_type;       /* the type of the answers: the request's */
	struct sw_snapshot *s;
	struct sw_unix_snapshot *u;
	uint64_t *skipped_msgs;
};

/* libnl's NLE_* codes never leave this file. */
static int diag_nlerr(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM:          return -ENOMEM;
	case NLE_AGAIN:          return -EAGAIN;
	case NLE_INTR:           return -EINTR;
	case NLE_BAD_SOCK:       return -EBADF;
	case NLE_PERM:           return -EPERM;
	case NLE_NOACCESS:       return -EACCES;
	case NLE_INVAL:          return -EINVAL;
	case NLE_RANGE:          return -ERANGE;
	case NLE_BUSY:           return -EBUSY;
	case NLE_EXIST:          return -EEXIST;
	case NLE_OPNOTSUPP:      return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:   return -EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NOADDR:         return -EADDRNOTAVAIL;
	case NLE_OBJ_NOTFOUND:   return -ENOENT;
	case NLE_MSGSIZE:        return -EMSGSIZE;
	case NLE_MSG_TRUNC:      return -EMSGSIZE;
	case NLE_NODEV:          return -ENODEV;
	case NLE_DUMP_INTR:      return -EINTR;
	default:                 return -EIO;
	}
}

/* ---- the socket ------------------------------------------------------ */

static int diag_apply_rcvbuf(struct sw_diag *d)
{
	int v = (int)(d->rcvbuf ? d->rcvbuf : DIAG_RCVBUF_DEFAULT);

	/* FORCE passes net.core.rmem_max when we have CAP_NET_ADMIN. */
	if (setsockopt(d->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == 0)
		return 0;
	if (setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

static void diag_socket_close(struct sw_diag *d)
{
	if (d->nl) {
		nl_close(d->nl);
		nl_socket_free(d->nl);
	}
	d->nl = NULL;
	d->fd = -1;
}

/* Binds fd (a NETLINK_SOCK_DIAG socket not yet bound) and hands it to
 * libnl. On failure fd is closed. */
static int diag_socket_take(struct sw_diag *d, int fd)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int r;

	d->nl = nl_socket_alloc();
	if (!d->nl) {
		close(fd);
		return -ENOMEM;
	}
	nl_socket_disable_auto_ack(d->nl);
	/* The kernel picks the port; libnl reads it back. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINVAL) {
		r = -errno;
		close(fd);
		goto fail;
	}
	r = nl_socket_set_fd(d->nl, NETLINK_SOCK_DIAG, fd);
	if (r < 0) {
		close(fd);
		r = diag_nlerr(r);
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(d->nl);
	d->nl = NULL;
	return r;
}

static int diag_socket_setup(struct sw_diag *d);

static int diag_socket_open(struct sw_diag *d)
{
	int r;

	d->nl = nl_socket_alloc();
	if (!d->nl)
		return -ENOMEM;
	/* Dump requests are never acknowledged; do not ask. */
	nl_socket_disable_auto_ack(d->nl);
	r = nl_connect(d->nl, NETLINK_SOCK_DIAG);
	if (r < 0) {
		nl_socket_free(d->nl);
		d->nl = NULL;
		return diag_nlerr(r);
	}
	return diag_socket_setup(d);
}

static int diag_socket_setup(struct sw_diag *d)
{
	struct timeval tv = { .tv_sec = DIAG_RECV_TIMEOUT_USEC / USEC_PER_SEC };
	int r, fl;

	d->fd = nl_socket_get_fd(d->nl);
	/* libnl >= 3.2.x opens with SOCK_CLOEXEC; make sure of it anyway, so
	 * owner lookups or anything we spawn never inherit the socket. */
	fl = fcntl(d->fd, F_GETFD);
	if (fl < 0 || (!(fl & FD_CLOEXEC) && fcntl(d->fd, F_SETFD, fl | FD_CLOEXEC) < 0)) {
		r = -errno;
		goto fail;
	}
	r = diag_apply_rcvbuf(d);
	if (r < 0)
		goto fail;
	if (setsockopt(d->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		goto fail;
	}
	d->rcvtimeo_usec = DIAG_RECV_TIMEOUT_USEC;
	d->portid = nl_socket_get_local_port(d->nl);
	d->dirty = false;
	return 0;
fail:
	diag_socket_close(d);
	return r;
}

/* fd < 0: a socket of our own; else the one given (taken over). */
static int diag_new(int fd, struct sw_diag **ret)
{
	struct sw_diag *d;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	d->fd = -1;
	d->buf = malloc((size_t)DIAG_SLOTS * DIAG_SLOT_SIZE);
	if (!d->buf) {
		if (fd >= 0)
			close(fd);
		free(d);
		return -ENOMEM;
	}
	/* Any start value will do; a varying one keeps replies meant for an
	 * earlier instance's socket from looking like ours. */
	d->seq = (uint32_t)util_now_usec();
	if (fd >= 0) {
		d->adopted = true;
		r = diag_socket_take(d, fd);
		if (r >= 0)
			r = diag_socket_setup(d);
	} else {
		r = diag_socket_open(d);
	}
	if (r < 0) {
		free(d->buf);
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

int diag_open(struct sw_diag **ret)
{
	return diag_new(-1, ret);
}

int diag_adopt(int fd, struct sw_diag **ret)
{
	if (fd < 0)
		return -EBADF;
	return diag_new(fd, ret);
}

void diag_close(struct sw_diag *d)
{
	if (!d)
		return;
	diag_socket_close(d);
	free(d->buf);
	free(d);
}

int diag_set_rcvbuf(struct sw_diag *d, size_t bytes)
{
	if (bytes < DIAG_RCVBUF_MIN || bytes > DIAG_RCVBUF_MAX)
		return -EINVAL;
	d->rcvbuf = bytes;
	return d->fd >= 0 ? diag_apply_rcvbuf(d) : 0;
}

int diag_fd(const struct sw_diag *d)
{
	return d->fd;
}

void diag_set_recv_hook(struct sw_diag *d, sw_diag_recv_hook fn, void *userdata)
{
	d->hook = fn;
	d->hook_data = userdata;
}

/* Sends one dump request of type (SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK)
 * whose body (an inet_diag_req_v2, a unix_diag_req, or the old
 * inet_diag_req) is req. */
static int diag_send(struct sw_diag *d, uint16_t type, const void *req, size_t len, uint32_t seq)
{
	struct nl_msg *m;
	int r;

	m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
	if (!m)
		return -ENOMEM;
	r = nlmsg_append(m, (void *)req, len, NLMSG_ALIGNTO);
	if (r < 0)
		goto out;
	/* Our own sequence number (never NL_AUTO_SEQ, 0) so that replies can
	 * be matched; nl_send_auto() fills in the port. */
	nlmsg_hdr(m)->nlmsg_seq = seq;
	r = nl_send_auto(d->nl, m);
out:
	nlmsg_free(m);
	return r < 0 ? diag_nlerr(r) : 0;
}

/* Makes the next receive give up at the deadline: -ETIMEDOUT once it has
 * passed. The socket option is set again only when what is left is less
 * than a whole receive timeout, near the end of a slow dump. */
static int diag_recv_until(struct sw_diag *d, uint64_t deadline)
{
	uint64_t now = util_now_usec(), wait;
	struct timeval tv;

	if (now >= deadline)
		return -ETIMEDOUT;
	if (d->hook)
		return 0;
	wait = SW_MIN(deadline - now, DIAG_RECV_TIMEOUT_USEC);
	if (wait == d->rcvtimeo_usec)
		return 0;
	tv.tv_sec = (time_t)(wait / USEC_PER_SEC);
	tv.tv_usec = (suseconds_t)(wait % USEC_PER_SEC);
	if (setsockopt(d->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	d->rcvtimeo_usec = wait;
	return 0;
}

/* Fills slots with the next datagrams; returns how many, or -errno. */
static int diag_recv(struct sw_diag *d, int family, uint32_t states, uint32_t seq,
		     size_t lens[DIAG_SLOTS], uint64_t *skipped_msgs)
{
	int n, k = 0;

	if (d->hook) {
		ssize_t got = d->hook(d->hook_data, family, states, seq, d->portid,
				      d->buf, DIAG_SLOT_SIZE);

		if (got < 0)
			return (int)got;
		if (got == 0 || got > DIAG_SLOT_SIZE)
			return -EIO;
		lens[0] = (size_t)got;
		return 1;
	}

	for (int i = 0; i < DIAG_SLOTS; i++) {
		d->iov[i].iov_base = d->buf + (size_t)i * DIAG_SLOT_SIZE;
		d->iov[i].iov_len = DIAG_SLOT_SIZE;
		memset(&d->msgs[i], 0, sizeof(d->msgs[i]));
		d->msgs[i].msg_hdr.msg_iov = &d->iov[i];
		d->msgs[i].msg_hdr.msg_iovlen = 1;
		d->msgs[i].msg_hdr.msg_name = &d->from[i];
		d->msgs[i].msg_hdr.msg_namelen = sizeof(d->from[i]);
	}
	do
		n = recvmmsg(d->fd, d->msgs, DIAG_SLOTS, MSG_WAITFORONE, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -EIO;
	for (int i = 0; i < n; i++) {
		if (d->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			/* Part of the dump is lost: redo it. */
			return -EMSGSIZE;
		if (d->msgs[i].msg_hdr.msg_namelen < sizeof(struct sockaddr_nl) ||
		    d->from[i].nl_pid != 0) {
			/* Only the kernel answers dumps. */
			(*skipped_msgs)++;
			continue;
		}
		/* Compact to the front so slot i holds the i-th datagram. */
		if (k != i)
			memmove(d->buf + (size_t)k * DIAG_SLOT_SIZE,
				d->buf + (size_t)i * DIAG_SLOT_SIZE, d->msgs[i].msg_len);
		lens[k++] = d->msgs[i].msg_len;
	}
	return k;
}

/* Reads and discards what a half-read dump still has to say: the kernel
 * goes on with the dump as its replies are read, and refuses a new one
 * until it is done. Ends when nothing is left to read (the dump is over),
 * or at the deadline. */
static int diag_drain(struct sw_diag *d, uint64_t deadline)
{
	size_t bytes = 0;

	for (;;) {
		ssize_t n = recv(d->fd, d->buf, DIAG_SLOT_SIZE, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			if (errno != EAGAIN)
				return -errno;
			d->dirty = false;
			return 0;
		}
		bytes += (size_t)n;
		if (util_now_usec() >= deadline || bytes > DIAG_DUMP_MAX_BYTES)
			return -ETIMEDOUT;
	}
}

static int diag_parse_part(const struct diag_sink *k, const uint8_t *part, size_t len,
			   uint32_t seq, uint32_t portid)
{
	switch (k->kind) {
	case DIAG_LISTENERS:
		return diag_parse_listeners_seq(part, len, seq, portid, k->s);
	case DIAG_SYNRECV:
		return diag_parse_synrecv_seq(part, len, seq, portid, k->reply_type, k->s);
	case DIAG_UNIX:
		return diag_parse_unix_seq(part, len, seq, portid, k->u);
	}
	return -EINVAL;
}

/* One dump request (req, len bytes: its family and states are what the
 * test seam is told), read to NLMSG_DONE or the deadline. */
static int diag_dump_request(struct sw_diag *d, const struct diag_sink *k, int family,
			     uint32_t states, const void *req, size_t len, uint64_t deadline)
{
	size_t lens[DIAG_SLOTS], bytes = 0;
	int r;

	if (util_now_usec() >= deadline)
		return -ETIMEDOUT;
	if (!d->hook && d->adopted && d->dirty) {
		r = diag_drain(d, deadline);
		if (r < 0)
			return r;
	} else if (!d->hook && (d->dirty || d->fd < 0)) {
		/* A dump left half read would answer our next request with
		 * -EBUSY or stale parts: start on a fresh socket. */
		diag_socket_close(d);
		r = diag_socket_open(d);
		if (r < 0)
			return r;
	}
	if (++d->seq == 0)
		d->seq = 1;
	if (!d->hook) {
		r = diag_send(d, k->reply_type, req, len, d->seq);
		if (r < 0)
			return r;
	}
	d->dirty = true;

	for (;;) {
		int n = diag_recv_until(d, deadline);

		if (n >= 0)
			n = diag_recv(d, family, states, d->seq, lens, k->skipped_msgs);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			const uint8_t *part = d->buf + (size_t)i * DIAG_SLOT_SIZE;

			bytes += lens[i];
			r = diag_parse_part(k, part, lens[i], d->seq, d->portid);
			if (r < 0)
				return r;
			if (r == 1) {
				d->dirty = false;
				return 0;
			}
		}
		if (bytes > DIAG_DUMP_MAX_BYTES)
			return -EFBIG;
	}
}

/* One inet_diag (TCP) dump of one family. */
static int diag_dump_family(struct sw_diag *d, struct sw_snapshot *s, enum diag_kind kind,
			    int family, uint32_t states, uint8_t ext, uint64_t deadline)
{
	const struct diag_sink k = { .kind = kind, .reply_type = SOCK_DIAG_BY_FAMILY, .s = s,
				     .skipped_msgs = &s->skipped_msgs };
	const struct inet_diag_req_v2 req = {
		.sdiag_family = (uint8_t)family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_ext = ext,
		.idiag_states = states,
	};

	return diag_dump_request(d, &k, family, states, &req, sizeof(req), deadline);
}

/* The SYN scan's one walk: the old TCPDIAG_GETSOCK request, which the
 * kernel serves as an AF_UNSPEC dump, both families from one walk of the
 * connection hash (per-family requests walk it once each, and a SYN scan's
 * cost is that walk). Its answers carry its own type. */
static int diag_dump_walk(struct sw_diag *d, struct sw_snapshot *s, uint32_t states,
			  uint64_t deadline)
{
	const struct diag_sink k = { .kind = DIAG_SYNRECV, .reply_type = TCPDIAG_GETSOCK, .s = s,
				     .skipped_msgs = &s->skipped_msgs };
	const struct inet_diag_req req = {
		.idiag_family = AF_UNSPEC,   /* not read by the kernel's dump */
		.idiag_states = states,
	};

	return diag_dump_request(d, &k, AF_UNSPEC, states, &req, sizeof(req), deadline);
}

/* One attempt of a SYN scan: one walk, or one dump per family where the
 * kernel refused the walk (remembered for this socket). */
static int diag_synrecv_attempt(struct sw_diag *d, struct sw_snapshot *s, uint32_t states,
				uint64_t deadline)
{
	int r;

	if (!d->walk_refused) {
		r = diag_dump_walk(d, s, states, deadline);
		if (r != -EOPNOTSUPP && r != -EINVAL)
			return r;
		d->walk_refused = true;
		snapshot_reset_requests(s);
	}
	r = diag_dump_family(d, s, DIAG_SYNRECV, AF_INET, states, 0, deadline);
	if (r >= 0)
		r = diag_dump_family(d, s, DIAG_SYNRECV, AF_INET6, states, 0, deadline);
	return r;
}

void diag_refuse_walk(struct sw_diag *d)
{
	d->walk_refused = true;
}

static bool diag_redo_worthy(int r)
{
	/* Interrupted by a table change, overrun, or a part lost. */
	return r == -EINTR || r == -ENOBUFS || r == -EMSGSIZE;
}

static uint64_t diag_deadline(uint64_t deadline_usec)
{
	return deadline_usec ? deadline_usec : util_now_usec() + SW_DIAG_DUMP_BUDGET_USEC;
}

int diag_dump_listeners(struct sw_diag *d, struct sw_snapshot *s, uint64_t deadline_usec)
{
	const uint64_t deadline = diag_deadline(deadline_usec);
	const size_t n0 = s->n_listeners;
	const uint64_t msgs0 = s->skipped_msgs, attrs0 = s->skipped_attrs;
	const uint8_t ext = 1 << (INET_DIAG_SKMEMINFO - 1);
	const uint32_t states = 1u << TCP_LISTEN;

	for (int attempt = 0;; attempt++) {
		uint64_t t0 = util_now_usec();
		int r;

		/* The cgroup id comes unasked (kernel >= 5.8); it cannot be
		 * requested through the 8-bit idiag_ext anyway. */
		r = diag_dump_family(d, s, DIAG_LISTENERS, AF_INET, states, ext, deadline);
		if (r >= 0)
			r = diag_dump_family(d, s, DIAG_LISTENERS, AF_INET6, states, ext, deadline);
		if (r >= 0) {
			s->taken_usec = t0;
			return 0;
		}
		/* Leave s as it was: drop what this dump added. */
		snapshot_truncate(s, n0);
		s->skipped_msgs = msgs0;
		s->skipped_attrs = attrs0;
		if (!diag_redo_worthy(r) || attempt >= DIAG_MAX_REDO)
			return r;
		s->dump_retries++;
	}
}

int diag_dump_synrecv(struct sw_diag *d, struct sw_snapshot *s, uint64_t deadline_usec)
{
	const uint64_t deadline = diag_deadline(deadline_usec);
	const uint64_t msgs0 = s->skipped_msgs, attrs0 = s->skipped_attrs;
	/* The kernel adds TCP_NEW_SYN_RECV for TCP_SYN_RECV; say so anyway. */
	const uint32_t states = 1u << TCP_SYN_RECV | 1u << TCP_NEW_SYN_RECV;

	for (int attempt = 0;; attempt++) {
		int r;

		snapshot_reset_requests(s);
		r = diag_synrecv_attempt(d, s, states, deadline);
		if (r >= 0) {
			s->syn_scanned = true;
			return 0;
		}
		snapshot_reset_requests(s);
		s->skipped_msgs = msgs0;
		s->skipped_attrs = attrs0;
		if (!diag_redo_worthy(r) || attempt >= DIAG_MAX_REDO)
			return r;
		s->dump_retries++;
	}
}

int diag_dump_unix(struct sw_diag *d, struct sw_unix_snapshot *s, uint64_t deadline_usec)
{
	const uint64_t deadline = diag_deadline(deadline_usec);
	const size_t n0 = s->n_listeners;
	const uint64_t msgs0 = s->skipped_msgs, attrs0 = s->skipped_attrs, over0 = s->over_bound;
	const uint32_t states = 1u << TCP_LISTEN;
	const struct diag_sink k = { .kind = DIAG_UNIX, .reply_type = SOCK_DIAG_BY_FAMILY, .u = s,
				     .skipped_msgs = &s->skipped_msgs };
	/* One request: unix_diag walks every type; only stream and seqpacket
	 * sockets ever listen. */
	const struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_states = states,
		.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID,
	};

	for (int attempt = 0;; attempt++) {
		uint64_t t0 = util_now_usec();
		int r;

		r = diag_dump_request(d, &k, AF_UNIX, states, &req, sizeof(req), deadline);
		if (r >= 0) {
			s->taken_usec = t0;
			return 0;
		}
		usnap_truncate(s, n0);
		s->skipped_msgs = msgs0;
		s->skipped_attrs = attrs0;
		s->over_bound = over0;
		if (!diag_redo_worthy(r) || attempt >= DIAG_MAX_REDO)
			return r;
		s->dump_retries++;
	}
}

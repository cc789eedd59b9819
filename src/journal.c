/* Turns events into journal entries (journald's native protocol on a
 * datagram socket of our own, without CODE_FILE and friends) or, without
 * journald, into one stderr line each. While the journal is unreachable the
 * entries also wait in a bounded queue and are sent, marked as delayed,
 * once it is back. The message text is built by pure functions so that the
 * unit tests can hold every sentence to account. */
#include "journal.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/limits.h>   /* PIPE_BUF; <limits.h> would find src/limits.h */
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "netstat.h"
#include "util.h"

/* A stderr line is written with one write(2) no longer than PIPE_BUF, so a
 * pipe (journald's stdout stream, a log collector) never interleaves it with
 * another writer's output. */
#define JOURNAL_LINE_MAX PIPE_BUF

/* Between two attempts to reach a journal that failed, at most this long
 * passes in stderr mode: cheap enough to try, rare enough not to spin. */
#define JOURNAL_RETRY_USEC USEC_PER_SEC
/* The longest one send waits for journald to take a datagram (its queue
 * holds only net.unix.max_dgram_qlen of them): a busy journald gets this
 * long, a hung one costs no more per retry. */
#define JOURNAL_SEND_TIMEOUT_USEC (50 * USEC_PER_MSEC)

/* Fields per entry: DESIGN.md's ~25, the additions, one per TcpExt counter. */
#define JOURNAL_FIELDS_MAX 64
/* Every field's text: MESSAGE plus the bounded strings of struct sw_event
 * plus short numbers. */
#define JOURNAL_FIELDBUF_MAX (SW_MESSAGE_MAX + 4096)
/* The datagram: each field grows by at most its 8-byte length and two
 * newlines. */
#define JOURNAL_WIRE_MAX (JOURNAL_FIELDBUF_MAX + JOURNAL_FIELDS_MAX * 10)

/* One entry waiting for the journal: its datagram, delayed fields included. */
struct journal_qent {
	size_t len;
	char data[];
};

struct sw_journal {
	enum sw_log_target target;
	int level;
	/* Sending to the journal failed (or, with auto, the socket was not
	 * there): use stderr, and try again no earlier than retry_usec. */
	bool down;
	uint64_t retry_usec, retry_interval_usec;
	uint64_t down_since_usec;
	int err_fd;
	int err_is_socket;           /* -1: not looked at yet */
	int sock_fd;                 /* -1 until the first send */
	char *socket_path;           /* NULL: SW_JOURNAL_SOCKET */

	/* Ring of entries waiting for the journal; queue_max 0: no queue. */
	struct journal_qent **queue;
	size_t queue_max, q_head, q_n, q_bytes;
	uint64_t dropped, dropped_unsaid, replayed, outages, stderr_lost;

	char fields[JOURNAL_FIELDBUF_MAX];
	char wire[JOURNAL_WIRE_MAX];
};

/* ---------------------------------------------------------------------- */
/* Bounded string building */

struct journal_sbuf {
	char *p;
	size_t size, used;
	bool truncated;
};

static void journal_sbuf_init(struct journal_sbuf *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->used = 0;
	b->truncated = false;
	p[0] = 0;
}

static void journal_sbuf_vadd(struct journal_sbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void journal_sbuf_vadd(struct journal_sbuf *b, const char *fmt, va_list ap)
{
	size_t room = b->size - b->used;
	int r;

	if (b->truncated)
		return;
	r = vsnprintf(b->p + b->used, room, fmt, ap);
	if (r < 0 || (size_t)r >= room) {
		b->truncated = true;
		b->used = b->size - 1;
		return;
	}
	b->used += (size_t)r;
}

static void journal_sbuf_add(struct journal_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void journal_sbuf_add(struct journal_sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	journal_sbuf_vadd(b, fmt, ap);
	va_end(ap);
}

static int journal_sbuf_result(const struct journal_sbuf *b)
{
	if (b->truncated)
		return -ENOBUFS;
	return b->used > (size_t)__INT_MAX__ ? -ENOBUFS : (int)b->used;
}

/* ---------------------------------------------------------------------- */
/* Names and small formatting helpers (pure) */

static const char *journal_message_id(enum sw_event_kind k)
{
	switch (k) {
	case SW_EV_ACCEPT_QUEUE: return SW_MID_ACCEPT_QUEUE;
	case SW_EV_SYN_QUEUE:    return SW_MID_SYN_QUEUE;
	case SW_EV_LISTEN_DROPS: return SW_MID_LISTEN_DROPS;
	case SW_EV_SYNCOOKIES:   return SW_MID_SYNCOOKIES;
	case SW_EV_CLEARED:      return SW_MID_CLEARED;
	case SW_EV_LIFECYCLE:    return SW_MID_LIFECYCLE;
	}
	return SW_MID_LIFECYCLE;
}

int journal_event_priority(const struct sw_event *ev)
{
	switch (ev->kind) {
	case SW_EV_LIFECYCLE:
		return LOG_INFO;
	case SW_EV_CLEARED:
		return LOG_NOTICE;
	default:
		return ev->level == SW_LEVEL_CRITICAL ? LOG_ERR : LOG_WARNING;
	}
}

/* SOCKWATCH_LEVEL and the level word of a stderr line. */
static const char *journal_level_word(const struct sw_event *ev)
{
	switch (ev->kind) {
	case SW_EV_LIFECYCLE: return "info";
	case SW_EV_CLEARED:   return "cleared";
	default:
		return ev->level == SW_LEVEL_CRITICAL ? "critical" : "warning";
	}
}

static const char *journal_prio_name(int prio)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};

	if (prio < 0 || (size_t)prio >= SW_ARRAY_SIZE(names))
		return "info";
	return names[prio];
}

static const char *journal_family_name(uint8_t family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

/* "100", "43.8": an integer when the tenths are zero, else one decimal. */
static const char *journal_percent_str(double p, char *buf, size_t len)
{
	unsigned long long tenths;

	if (!isfinite(p) || p < 0)
		p = 0;
	if (p > 1e15)
		p = 1e15;
	tenths = (unsigned long long)(p * 10 + 0.5);
	if (tenths % 10 == 0)
		snprintf(buf, len, "%llu", tenths / 10);
	else
		snprintf(buf, len, "%llu.%llu", tenths / 10, tenths % 10);
	return buf;
}

static const char *journal_netns_str(uint64_t netns, char *buf, size_t len)
{
	if (netns == 0)
		snprintf(buf, len, "host");
	else
		snprintf(buf, len, "%" PRIu64, netns);
	return buf;
}

static const char *journal_endpoint(const struct sw_event *ev, char *buf, size_t len)
{
	int family = ev->family == AF_INET6 ? AF_INET6 : AF_INET;

	return util_endpoint_str(family, ev->addr, ev->port, buf, len);
}

/* comm and unit are fixed arrays filled by other modules: never trust them
 * to be terminated. */
static int journal_strn(const char *s, size_t max)
{
	return (int)strnlen(s, max);
}

static const char *journal_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* " (4096)" after a sysctl name, or nothing when unknown. */
static const char *journal_val(int32_t v, char *buf, size_t len)
{
	if (v < 0)
		buf[0] = 0;
	else
		snprintf(buf, len, " (%" PRId32 ")", v);
	return buf;
}

static const char *journal_queue_phrase(enum sw_queue q)
{
	return q == SW_QUEUE_SYN ? "SYN queue" : "accept queue";
}

/* ---------------------------------------------------------------------- */
/* MESSAGE (pure) */

/* "nginx.service (nginx, pid 812) on 0.0.0.0:443 in netns 4026532281", or
 * just the listener when the owner is unknown. */
static void journal_put_subject(struct journal_sbuf *b, const struct sw_event *ev)
{
	const struct sw_owner *o = &ev->owner;
	int ul = journal_strn(o->unit, sizeof(o->unit));
	int cl = journal_strn(o->comm, sizeof(o->comm));
	const char *open = "";
	bool owner = false, paren = false;
	char ep[SW_ADDRSTRLEN];

	if (!ev->has_listener) {
		char ns[24];

		journal_sbuf_add(b, "netns %s", journal_netns_str(ev->netns, ns, sizeof(ns)));
		return;
	}
	/* The most useful name first (unit, else comm), details in brackets. */
	if (ul > 0) {
		journal_sbuf_add(b, "%.*s", ul, o->unit);
		open = " (";
		owner = true;
		if (cl > 0) {
			journal_sbuf_add(b, "%s%.*s", open, cl, o->comm);
			paren = true;
		}
	} else if (cl > 0) {
		journal_sbuf_add(b, "%.*s", cl, o->comm);
		open = " (";
		owner = true;
	}
	if (o->pid > 0) {
		journal_sbuf_add(b, "%spid %" PRId32, paren ? ", " : open, o->pid);
		paren = *open != 0;
		owner = true;
	}
	if (owner && o->holders > 1) {
		journal_sbuf_add(b, "%s%" PRIu32 " processes", paren || !*open ? ", " : open,
				 o->holders);
		paren = *open != 0;
	}
	if (paren)
		journal_sbuf_add(b, ")");
	journal_sbuf_add(b, "%s%s", owner ? " on " : "", journal_endpoint(ev, ep, sizeof(ep)));
	if (ev->netns != 0)
		journal_sbuf_add(b, " in netns %" PRIu64, ev->netns);
}

/* "511/511 (100%), peak 512" */
static void journal_put_figures(struct journal_sbuf *b, const struct sw_event *ev)
{
	char pct[32];

	journal_sbuf_add(b, "%" PRIu32 "/%" PRIu32 " (%s%%)", ev->depth, ev->limit,
			 journal_percent_str(ev->percent, pct, sizeof(pct)));
	if (ev->peak > ev->depth)
		journal_sbuf_add(b, ", peak %" PRIu32, ev->peak);
}

/* What binds a listener's queue limit and what to change; the accept queue
 * and the SYN queue share M, so the somaxconn/backlog cases read alike. */
static void journal_put_binding_m(struct journal_sbuf *b, const struct sw_event *ev,
				  const char *or_also)
{
	char v[32];

	switch (ev->limit_source) {
	case SW_SRC_LISTEN_BACKLOG:
		journal_sbuf_add(b, "its listen() backlog binds, not net.core.somaxconn%s: "
				 "raise the backlog in the application%s "
				 "(raising net.core.somaxconn alone does nothing)",
				 journal_val(ev->somaxconn, v, sizeof(v)), or_also);
		if (ev->somaxconn_stale)
			journal_sbuf_add(b, "; net.core.somaxconn changed since it called listen(), "
					 "and it keeps its old limit until it calls listen() again");
		break;
	case SW_SRC_SOMAXCONN:
		if (ev->somaxconn_stale) {
			/* The value that bound at listen() is gone from /proc: only
			 * a new listen() picks up the current one. */
			journal_sbuf_add(b, "net.core.somaxconn bound it when the service called listen(), "
					 "and the listener still runs with that old limit (%" PRIu32 ") "
					 "until it calls listen() again", ev->limit);
			if (ev->somaxconn >= 0)
				journal_sbuf_add(b, ", although net.core.somaxconn is now %" PRId32,
						 ev->somaxconn);
			if (ev->somaxconn >= 0 && (uint32_t)ev->somaxconn > ev->limit)
				journal_sbuf_add(b, ": restart/re-listen the service to apply it%s", or_also);
			else
				journal_sbuf_add(b, ": raise net.core.somaxconn and restart/re-listen "
						 "the service%s", or_also);
		} else {
			journal_sbuf_add(b, "net.core.somaxconn%s binds: raise it and restart/re-listen "
					 "the service (somaxconn is read at listen())%s",
					 journal_val(ev->somaxconn, v, sizeof(v)), or_also);
		}
		break;
	case SW_SRC_MAX_SYN_BACKLOG:
		journal_sbuf_add(b, "net.ipv4.tcp_max_syn_backlog%s binds (the SYN queue holds at most "
				 "3/4 of it): raise net.ipv4.tcp_max_syn_backlog or enable "
				 "net.ipv4.tcp_syncookies",
				 journal_val(ev->max_syn_backlog, v, sizeof(v)));
		break;
	case SW_SRC_UNKNOWN:
		journal_sbuf_add(b, "raise the application's listen() backlog, and "
				 "net.core.somaxconn%s if the backlog is larger%s",
				 journal_val(ev->somaxconn, v, sizeof(v)), or_also);
		break;
	}
}

static void journal_put_drops(struct journal_sbuf *b, uint64_t drops)
{
	if (drops > 0)
		journal_sbuf_add(b, "%" PRIu64 " connection%s dropped since the last report",
				 drops, journal_plural(drops));
	else
		journal_sbuf_add(b, "no connections dropped since the last report");
}

static void journal_msg_accept(struct journal_sbuf *b, const struct sw_event *ev)
{
	journal_put_subject(b, ev);
	journal_sbuf_add(b, ": accept queue ");
	journal_put_figures(b, ev);
	journal_sbuf_add(b, ", ");
	journal_put_drops(b, ev->drops);
	journal_sbuf_add(b, "; ");
	journal_put_binding_m(b, ev, "");
}

static void journal_msg_syn(struct journal_sbuf *b, const struct sw_event *ev)
{
	int tl = journal_strn(ev->top_sources, sizeof(ev->top_sources));

	journal_put_subject(b, ev);
	journal_sbuf_add(b, ": SYN queue ");
	journal_put_figures(b, ev);
	if (ev->drops > 0) {
		journal_sbuf_add(b, ", ");
		journal_put_drops(b, ev->drops);
	}
	switch (ev->syn_mode) {
	case SW_SYN_COOKIES_ON_OVERFLOW:
		journal_sbuf_add(b, "; past its limit the kernel answers with SYN cookies "
				 "(net.ipv4.tcp_syncookies=1): connections still succeed but lose "
				 "TCP options such as window scaling; ");
		journal_put_binding_m(b, ev, " if this is legitimate load");
		break;
	case SW_SYN_DROP_ON_OVERFLOW:
		journal_sbuf_add(b, "; past its limit new SYNs are dropped "
				 "(net.ipv4.tcp_syncookies=0); ");
		journal_put_binding_m(b, ev, ", or enable net.ipv4.tcp_syncookies");
		break;
	case SW_SYN_COOKIES_ALWAYS:
		journal_sbuf_add(b, "; net.ipv4.tcp_syncookies=2 answers every SYN with a cookie, "
				 "so this queue should stay empty");
		break;
	}
	if (tl > 0)
		journal_sbuf_add(b, "; top sources: %.*s (many entries from few addresses "
				 "suggest a SYN flood)", tl, ev->top_sources);
}

static void journal_msg_drops(struct journal_sbuf *b, const struct sw_event *ev)
{
	journal_put_subject(b, ev);
	journal_sbuf_add(b, ": %" PRIu64 " connection%s dropped since the last report "
			 "(%" PRIu64 " in all)",
			 ev->drops, journal_plural(ev->drops), ev->drops_total);
	/* peak is the highest depth since the last entry: a queue never seen
	 * past its limit overflowed between two polls. */
	if (ev->full_at_limit ? ev->peak < ev->limit : ev->peak <= ev->limit)
		journal_sbuf_add(b, ", though no poll saw the queue full: a burst "
				 "shorter than the poll interval");
	if (ev->queue != SW_QUEUE_NONE && ev->limit > 0) {
		journal_sbuf_add(b, "; %s now ", journal_queue_phrase(ev->queue));
		journal_put_figures(b, ev);
		journal_sbuf_add(b, "; ");
		journal_put_binding_m(b, ev, ev->queue == SW_QUEUE_SYN &&
				      ev->syn_mode == SW_SYN_DROP_ON_OVERFLOW ?
				      ", or enable net.ipv4.tcp_syncookies" : "");
	}
}

static void journal_msg_syncookies(struct journal_sbuf *b, const struct sw_event *ev)
{
	const uint64_t *d = ev->counter_delta;
	bool any = false;
	char v[32];

	journal_sbuf_add(b, "SYN and listen-queue overflow counters moved in ");
	journal_put_subject(b, ev);
	journal_sbuf_add(b, ":");
	for (int c = 0; c < _SW_CTR_MAX; c++) {
		if (d[c] == 0)
			continue;
		journal_sbuf_add(b, "%s %s +%" PRIu64, any ? "," : "",
				 netstat_counter_name((enum sw_counter)c), d[c]);
		any = true;
	}
	if (!any)
		journal_sbuf_add(b, " none");

	if (d[SW_CTR_REQQ_FULL_DROP] > 0)
		journal_sbuf_add(b, "; a SYN queue was full with SYN cookies off and SYNs were "
				 "dropped: enable net.ipv4.tcp_syncookies or raise the listen() backlog "
				 "(and net.ipv4.tcp_max_syn_backlog%s)",
				 journal_val(ev->max_syn_backlog, v, sizeof(v)));
	if (d[SW_CTR_REQQ_FULL_COOKIES] > 0 || d[SW_CTR_SYNCOOKIES_SENT] > 0) {
		if (ev->syncookies == 2)
			journal_sbuf_add(b, "; net.ipv4.tcp_syncookies=2 sends a SYN cookie for every "
					 "SYN, so these counters rise with every connection");
		else
			journal_sbuf_add(b, "; a SYN queue overflowed and the kernel sent SYN cookies: "
					 "connections still succeed but lose TCP options such as window "
					 "scaling; a sustained rise means a SYN flood or a listen() "
					 "backlog too small for the load");
	}
	if (d[SW_CTR_SYNCOOKIES_FAILED] > 0)
		journal_sbuf_add(b, "; ACKs with invalid SYN cookies arrived (spoofed, or too late)");
	if (d[SW_CTR_SYNCOOKIES_RECV] > 0 && d[SW_CTR_SYNCOOKIES_SENT] == 0 &&
	    d[SW_CTR_REQQ_FULL_COOKIES] == 0)
		journal_sbuf_add(b, "; clients completed handshakes with SYN cookies sent earlier");
	if (d[SW_CTR_LISTEN_OVERFLOWS] > 0)
		journal_sbuf_add(b, "; accept queues overflowed: an application accepts too "
				 "slowly or its listen() backlog is too small");
	else if (d[SW_CTR_LISTEN_DROPS] > 0)
		journal_sbuf_add(b, "; SYNs or ACKs were dropped on the listen path");
	if (ev->syncookies >= 0 || ev->max_syn_backlog >= 0 || ev->somaxconn >= 0) {
		const char *sep = "";

		journal_sbuf_add(b, " (");
		if (ev->syncookies >= 0) {
			journal_sbuf_add(b, "net.ipv4.tcp_syncookies=%" PRId32, ev->syncookies);
			sep = ", ";
		}
		if (ev->max_syn_backlog >= 0) {
			journal_sbuf_add(b, "%snet.ipv4.tcp_max_syn_backlog=%" PRId32, sep,
					 ev->max_syn_backlog);
			sep = ", ";
		}
		if (ev->somaxconn >= 0)
			journal_sbuf_add(b, "%snet.core.somaxconn=%" PRId32, sep, ev->somaxconn);
		journal_sbuf_add(b, ")");
	}
}

/* The kind of alert a cleared event ends, from the queue it was about. */
static const char *journal_cleared_kind(const struct sw_event *ev)
{
	switch (ev->queue) {
	case SW_QUEUE_ACCEPT: return "accept-queue";
	case SW_QUEUE_SYN:    return "syn-queue";
	case SW_QUEUE_NONE:   break;
	}
	return NULL;
}

static void journal_msg_cleared(struct journal_sbuf *b, const struct sw_event *ev)
{
	const char *kind = journal_cleared_kind(ev);

	journal_put_subject(b, ev);
	journal_sbuf_add(b, ": %s %s%salert cleared: ", event_level_name(ev->cleared_level),
			 kind ? kind : "", kind ? " " : "");
	if (ev->listener_gone) {
		journal_sbuf_add(b, "listener gone");
	} else if (ev->queue != SW_QUEUE_NONE) {
		journal_sbuf_add(b, "%s back to ", journal_queue_phrase(ev->queue));
		journal_put_figures(b, ev);
	} else {
		journal_sbuf_add(b, "back to normal");
	}
}

static void journal_msg_lifecycle(struct journal_sbuf *b, const struct sw_event *ev)
{
	int tl = journal_strn(ev->text, sizeof(ev->text));

	journal_sbuf_add(b, "sockwatchd %s", ev->lifecycle ? ev->lifecycle : "event");
	if (tl > 0)
		journal_sbuf_add(b, ": %.*s", tl, ev->text);
}

int journal_format_message(const struct sw_event *ev, char *buf, size_t len)
{
	struct journal_sbuf b;

	if (!ev || !buf || len == 0)
		return -EINVAL;
	journal_sbuf_init(&b, buf, len);
	switch (ev->kind) {
	case SW_EV_ACCEPT_QUEUE: journal_msg_accept(&b, ev); break;
	case SW_EV_SYN_QUEUE:    journal_msg_syn(&b, ev); break;
	case SW_EV_LISTEN_DROPS: journal_msg_drops(&b, ev); break;
	case SW_EV_SYNCOOKIES:   journal_msg_syncookies(&b, ev); break;
	case SW_EV_CLEARED:      journal_msg_cleared(&b, ev); break;
	case SW_EV_LIFECYCLE:    journal_msg_lifecycle(&b, ev); break;
	}
	return journal_sbuf_result(&b);
}

/* ---------------------------------------------------------------------- */
/* stderr lines (pure formatting) */

/* Copies s into b with every control character replaced: a newline (config
 * errors come several to a text) becomes "; ", anything else "?". Nothing
 * from a process name or unit can start a line of its own. */
static void journal_put_clean(struct journal_sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i] && !b->truncated; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			if (i + 1 < n && s[i + 1])
				journal_sbuf_add(b, "; ");
		} else if (c < 0x20 || c == 0x7f) {
			journal_sbuf_add(b, "?");
		} else {
			journal_sbuf_add(b, "%c", c);
		}
	}
}

/* "sockwatchd[PID]: LEVEL: [TAG: ]" + msg, cut to fit the buffer. */
static int journal_build_line(const char *level, const char *tag, const char *msg,
			      int pid, char *buf, size_t len)
{
	struct journal_sbuf b;

	if (!buf || len == 0)
		return -EINVAL;
	journal_sbuf_init(&b, buf, len);
	journal_sbuf_add(&b, "sockwatchd[%d]: %s: ", pid, level);
	if (tag && *tag)
		journal_sbuf_add(&b, "%s: ", tag);
	journal_put_clean(&b, msg, strlen(msg));
	return journal_sbuf_result(&b);
}

/* The stderr tag: the alert kind, for grep. The message itself names the
 * listener; a cleared event's level word already says "cleared". */
static const char *journal_event_tag(const struct sw_event *ev)
{
	if (ev->kind == SW_EV_LIFECYCLE || ev->kind == SW_EV_CLEARED)
		return NULL;
	return event_kind_name(ev->kind);
}

static int journal_line_from_message(const struct sw_event *ev, const char *msg, int pid,
				     char *buf, size_t len)
{
	return journal_build_line(journal_level_word(ev), journal_event_tag(ev), msg, pid,
				  buf, len);
}

int journal_format_line(const struct sw_event *ev, int pid, char *buf, size_t len)
{
	char msg[SW_MESSAGE_MAX];
	int r, r2;

	if (!ev || !buf || len == 0)
		return -EINVAL;
	r = journal_format_message(ev, msg, sizeof(msg));
	if (r < 0 && r != -ENOBUFS)
		return r;
	r2 = journal_line_from_message(ev, msg, pid, buf, len);
	return r2 < 0 ? r2 : r < 0 ? r : r2;
}

/* ---------------------------------------------------------------------- */
/* Output */

/* Whether fd is a socket: then a full buffer (a hung journald behind the
 * service's stderr stream) is met with MSG_DONTWAIT instead of blocking the
 * poll loop. Pipes, files and terminals are written as usual. */
static bool journal_fd_is_socket(int fd)
{
	int type;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

/* One write(2) per line; only a signal or a full disk makes it partial, and
 * then the rest follows at once. To a socket that does not take the line
 * now, the rest of the line is lost and -EAGAIN returned. */
static int journal_write_line(struct sw_journal *j, char *line, size_t n)
{
	size_t off = 0;

	if (j->err_is_socket < 0)
		j->err_is_socket = journal_fd_is_socket(j->err_fd);
	line[n++] = '\n';
	while (off < n) {
		ssize_t w;

		if (j->err_is_socket)
			w = send(j->err_fd, line + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			w = write(j->err_fd, line + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				j->stderr_lost++;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		if (w == 0)
			return -EIO;
		off += (size_t)w;
	}
	return 0;
}

/* The result of formatting into a buffer with room for the newline too:
 * a truncated line still goes out, marked. */
static size_t journal_line_len(char *buf, size_t size, int r)
{
	size_t n = strlen(buf);

	if (r == -ENOBUFS && n >= 3 && size >= 4)
		memcpy(buf + n - 3, "...", 3);
	return n;
}

static void journal_stderr_note(struct sw_journal *j, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void journal_stderr_note(struct sw_journal *j, int prio, const char *fmt, ...)
{
	char msg[512], line[JOURNAL_LINE_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = journal_build_line(journal_prio_name(prio), NULL, msg, (int)getpid(),
			       line, sizeof(line) - 1);
	(void)journal_write_line(j, line, journal_line_len(line, sizeof(line) - 1, r));
}

/* ---- the journal's native protocol ----------------------------------- */

/* Appends one "NAME=VALUE" field to a datagram of journald's native
 * protocol: "NAME=VALUE\n", or, when the value holds a newline, "NAME\n",
 * its length as 64-bit little endian, the value and "\n". false when it
 * does not fit. */
static bool journal_wire_put(char *w, size_t size, size_t *used, const char *field,
			     size_t len)
{
	const char *eq = memchr(field, '=', len);
	size_t nlen, vlen;
	uint64_t le;

	if (!eq)
		return false;
	nlen = (size_t)(eq - field);
	vlen = len - nlen - 1;
	if (!memchr(eq + 1, '\n', vlen)) {
		if (size - *used < len + 1)
			return false;
		memcpy(w + *used, field, len);
		*used += len;
		w[(*used)++] = '\n';
		return true;
	}
	if (size - *used < nlen + 1 + sizeof(le) + vlen + 1)
		return false;
	memcpy(w + *used, field, nlen);
	*used += nlen;
	w[(*used)++] = '\n';
	le = htole64((uint64_t)vlen);
	memcpy(w + *used, &le, sizeof(le));
	*used += sizeof(le);
	memcpy(w + *used, eq + 1, vlen);
	*used += vlen;
	w[(*used)++] = '\n';
	return true;
}

/* The datagram for fields iov[0..n) in j->wire; its length, 0 if too big. */
static size_t journal_wire_encode(struct sw_journal *j, const struct iovec *iov, size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		if (!journal_wire_put(j->wire, sizeof(j->wire), &used, iov[i].iov_base,
				      iov[i].iov_len))
			return 0;
	return used;
}

static const char *journal_socket_path(const struct sw_journal *j)
{
	return j->socket_path ? j->socket_path : SW_JOURNAL_SOCKET;
}

/* Our own datagram socket rather than sd_journal_sendv(), which blocks for
 * as long as journald does not read (its queue holds only
 * net.unix.max_dgram_qlen datagrams): a hung journald costs a send at most
 * JOURNAL_SEND_TIMEOUT_USEC, then the entry goes to stderr and the queue.
 * Unconnected, so a restarted journald's new socket is simply the next
 * destination. */
static int journal_sock(struct sw_journal *j)
{
	struct timeval tv = {
		.tv_sec = JOURNAL_SEND_TIMEOUT_USEC / USEC_PER_SEC,
		.tv_usec = JOURNAL_SEND_TIMEOUT_USEC % USEC_PER_SEC,
	};

	if (j->sock_fd >= 0)
		return 0;
	j->sock_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (j->sock_fd < 0)
		return -errno;
	if (setsockopt(j->sock_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int r = -errno;

		close(j->sock_fd);
		j->sock_fd = -1;
		return r;
	}
	return 0;
}

static int journal_sendto(struct sw_journal *j, const char *buf, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = journal_socket_path(j);
	size_t plen = strlen(path);
	int r;

	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, plen + 1);
	r = journal_sock(j);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = sendto(j->sock_fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
				   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1));

		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

/* ---- the queue of entries waiting for the journal --------------------- */

static void journal_queue_pop(struct sw_journal *j)
{
	struct journal_qent *e = j->queue[j->q_head];

	j->q_bytes -= e->len;
	free(e);
	j->queue[j->q_head] = NULL;
	j->q_head = (j->q_head + 1) % j->queue_max;
	j->q_n--;
}

static void journal_queue_clear(struct sw_journal *j)
{
	while (j->q_n)
		journal_queue_pop(j);
	j->dropped_unsaid = 0;
}

/* Keeps the datagram wire[0..len) for the journal, marked as delayed and
 * with the time it was raised. The oldest entries make room when the queue
 * is full: all of them went to stderr at the time anyway, and the latest
 * are the ones that tell the state of things. */
static void journal_queue_push(struct sw_journal *j, const char *wire, size_t len)
{
	char extra[128];
	struct journal_qent *e;
	struct timespec ts;
	int xl;

	if (!j->queue_max || !len)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	xl = snprintf(extra, sizeof(extra),
		      "SOCKWATCH_DELAYED=1\nSOCKWATCH_ORIGINAL_TIME_USEC=%" PRIu64 "\n",
		      (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	if (xl < 0 || (size_t)xl >= sizeof(extra))
		return;
	e = malloc(sizeof(*e) + len + (size_t)xl);
	if (!e) {
		j->dropped++;
		j->dropped_unsaid++;
		return;
	}
	e->len = len + (size_t)xl;
	memcpy(e->data, wire, len);
	memcpy(e->data + len, extra, (size_t)xl);
	while (j->q_n && (j->q_n >= j->queue_max || j->q_bytes + e->len > SW_JOURNAL_QUEUE_BYTES_MAX)) {
		journal_queue_pop(j);
		j->dropped++;
		j->dropped_unsaid++;
	}
	j->queue[(j->q_head + j->q_n) % j->queue_max] = e;
	j->q_n++;
	j->q_bytes += e->len;
}

/* ---- reaching the journal -------------------------------------------- */

static int journal_send_note(struct sw_journal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int journal_send_note(struct sw_journal *j, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	int n, m;

	n = snprintf(buf, sizeof(buf), "PRIORITY=%d\nSYSLOG_IDENTIFIER=sockwatchd\nMESSAGE=",
		     LOG_NOTICE);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= sizeof(buf) - 1)
		return -ENOBUFS;
	buf[n + m] = '\n';
	return journal_sendto(j, buf, (size_t)(n + m + 1));
}

/* Sending failed with r: stderr from now on, and say so once per outage on
 * the channel that still works. */
static void journal_went_down(struct sw_journal *j, int r)
{
	uint64_t now = util_now_usec();
	bool was_down = j->down;

	j->down = true;
	j->retry_usec = now + j->retry_interval_usec;
	if (was_down)
		return;
	j->outages++;
	j->down_since_usec = now;
	if (j->queue_max)
		journal_stderr_note(j, LOG_WARNING,
				    "cannot send to the journal (%s): writing to stderr until it "
				    "is back, and keeping the entries (at most %zu) to send then",
				    strerror(-r), j->queue_max);
	else
		journal_stderr_note(j, LOG_WARNING,
				    "cannot send to the journal (%s): writing to "
				    "stderr until it is back", strerror(-r));
}

/* Sends what waited for the journal, oldest first; force: whatever the
 * retry interval says. 0 when nothing waits any more (or stderr is the
 * target), -EAGAIN when it is not time to try, else the send error. */
static int journal_flush_now(struct sw_journal *j, bool force)
{
	uint64_t now;
	int r;

	if (j->target == SW_LOG_STDERR)
		return 0;
	if (j->down) {
		now = util_now_usec();
		if (!force && now < j->retry_usec)
			return -EAGAIN;
		j->retry_usec = now + j->retry_interval_usec;
		/* The notice doubles as the probe. */
		if (j->queue_max)
			r = journal_send_note(j, "journal reachable again after %" PRIu64 " ms; "
					      "the entries raised meanwhile (%zu) follow, marked "
					      "SOCKWATCH_DELAYED=1",
					      (uint64_t)(j->down_since_usec ?
							 (now - j->down_since_usec) / USEC_PER_MSEC : 0),
					      j->q_n);
		else
			r = journal_send_note(j, "journal reachable again; entries in between "
					      "went to stderr");
		if (r < 0)
			return r;
		j->down = false;
	}
	while (j->q_n) {
		struct journal_qent *e = j->queue[j->q_head];

		r = journal_sendto(j, e->data, e->len);
		if (r < 0) {
			journal_went_down(j, r);
			return r;
		}
		journal_queue_pop(j);
		j->replayed++;
	}
	if (j->dropped_unsaid) {
		r = journal_send_note(j, "%" PRIu64 " entries raised while the journal was "
				      "unreachable could not be kept for it (at most %zu are): "
				      "only stderr has them", j->dropped_unsaid, j->queue_max);
		if (r < 0) {
			journal_went_down(j, r);
			return r;
		}
		j->dropped_unsaid = 0;
	}
	return 0;
}

/* Sends one entry; false when it has to go to stderr instead (it is then
 * also queued for the journal, when queueing is on). */
static bool journal_send(struct sw_journal *j, const struct iovec *iov, size_t n)
{
	size_t len;
	int r;

	if (j->target == SW_LOG_STDERR)
		return false;
	len = journal_wire_encode(j, iov, n);
	if (len == 0)
		return false;
	/* Older entries first, so the journal keeps their order. */
	r = journal_flush_now(j, false);
	if (r == 0)
		r = journal_sendto(j, j->wire, len);
	if (r < 0) {
		if (r != -EAGAIN || !j->down)
			journal_went_down(j, r);
		journal_queue_push(j, j->wire, len);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* Public API */

static bool journal_socket_exists(const struct sw_journal *j)
{
	return access(journal_socket_path(j), F_OK) == 0;
}

static void journal_reset(struct sw_journal *j, enum sw_log_target target, int level)
{
	j->target = target;
	j->level = level;
	if (target == SW_LOG_STDERR) {
		/* Nothing will go to the journal: what waited for it is in
		 * stderr already. */
		journal_queue_clear(j);
		j->down = false;
		return;
	}
	if (j->down) {
		/* Still down as far as we know: try again at the next entry. */
		j->retry_usec = 0;
		return;
	}
	/* auto starts in stderr mode without a socket, silently; a later retry
	 * (at most once per retry interval) notices journald coming up. */
	j->down = target == SW_LOG_AUTO && !journal_socket_exists(j);
	if (j->down) {
		j->down_since_usec = util_now_usec();
		j->retry_usec = j->down_since_usec + j->retry_interval_usec;
	}
}

int journal_open(enum sw_log_target target, int level, struct sw_journal **ret)
{
	struct sw_journal *j;

	if (!ret)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->err_fd = STDERR_FILENO;
	j->err_is_socket = -1;
	j->sock_fd = -1;
	j->retry_interval_usec = JOURNAL_RETRY_USEC;
	journal_reset(j, target, level);
	*ret = j;
	return 0;
}

void journal_close(struct sw_journal *j)
{
	if (!j)
		return;
	/* A last chance for what waited: the daemon is stopping. */
	if (j->q_n)
		(void)journal_flush_now(j, true);
	journal_queue_clear(j);
	free(j->queue);
	if (j->sock_fd >= 0)
		close(j->sock_fd);
	free(j->socket_path);
	free(j);
}

void journal_set(struct sw_journal *j, enum sw_log_target target, int level)
{
	if (j)
		journal_reset(j, target, level);
}

int journal_set_queue(struct sw_journal *j, size_t max_entries)
{
	struct journal_qent **q = NULL;

	if (!j || max_entries > SW_JOURNAL_QUEUE_MAX_LIMIT)
		return -EINVAL;
	if (max_entries) {
		q = calloc(max_entries, sizeof(*q));
		if (!q)
			return -ENOMEM;
	}
	/* Keep what is queued, as far as it fits, oldest first out. */
	for (size_t i = 0; i < j->q_n; i++) {
		struct journal_qent *e = j->queue[(j->q_head + i) % j->queue_max];

		if (q && i + max_entries >= j->q_n) {
			q[i + max_entries - j->q_n] = e;
		} else {
			free(e);
			j->dropped++;
		}
	}
	free(j->queue);
	j->queue = q;
	j->queue_max = max_entries;
	j->q_head = 0;
	j->q_n = SW_MIN(j->q_n, max_entries);
	j->q_bytes = 0;
	for (size_t i = 0; i < j->q_n; i++)
		j->q_bytes += j->queue[i]->len;
	return 0;
}

int journal_set_socket(struct sw_journal *j, const char *path, uint64_t retry_usec)
{
	char *p = NULL;

	if (!j)
		return -EINVAL;
	if (path) {
		if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			return -ENAMETOOLONG;
		p = strdup(path);
		if (!p)
			return -ENOMEM;
	}
	free(j->socket_path);
	j->socket_path = p;
	j->retry_interval_usec = retry_usec ? retry_usec : JOURNAL_RETRY_USEC;
	journal_reset(j, j->target, j->level);
	return 0;
}

int journal_flush(struct sw_journal *j)
{
	if (!j)
		return -EINVAL;
	return journal_flush_now(j, false);
}

void journal_get_stats(const struct sw_journal *j, struct sw_journal_stats *ret)
{
	*ret = (struct sw_journal_stats){
		.active = j->target != SW_LOG_STDERR,
		.reachable = j->target != SW_LOG_STDERR && !j->down,
		.outages = j->outages,
		.queued = j->q_n,
		.queued_bytes = j->q_bytes,
		.queue_max = j->queue_max,
		.replayed = j->replayed,
		.dropped = j->dropped,
		.stderr_lost = j->stderr_lost,
	};
}

struct journal_fields {
	struct iovec iov[JOURNAL_FIELDS_MAX];
	size_t n;
	struct journal_sbuf b;
	int err;
};

static void journal_field(struct journal_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void journal_field(struct journal_fields *f, const char *fmt, ...)
{
	size_t start = f->b.used;
	va_list ap;

	if (f->err)
		return;
	if (f->n >= JOURNAL_FIELDS_MAX) {
		f->err = -E2BIG;
		return;
	}
	va_start(ap, fmt);
	journal_sbuf_vadd(&f->b, fmt, ap);
	va_end(ap);
	if (f->b.truncated || f->b.used + 1 >= f->b.size) {
		f->err = -ENOBUFS;
		return;
	}
	f->iov[f->n].iov_base = f->b.p + start;
	f->iov[f->n].iov_len = f->b.used - start;
	f->n++;
	/* Keep each field NUL-separated from the next. */
	f->b.used++;
	f->b.p[f->b.used] = 0;
}

/* "LISTENOVERFLOWS" from "ListenOverflows": journal field names are upper
 * case. */
static void journal_counter_field(struct journal_fields *f, enum sw_counter c, uint64_t v)
{
	const char *name = netstat_counter_name(c);
	char up[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(up) - 1; i++)
		up[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 'a' + 'A') : name[i];
	up[i] = 0;
	journal_field(f, "SOCKWATCH_%s=%" PRIu64, up, v);
}

static void journal_event_fields(struct journal_fields *f, const struct sw_event *ev,
				 const char *msg)
{
	const struct sw_owner *o = &ev->owner;
	char s[SW_ADDRSTRLEN];
	int l;

	journal_field(f, "MESSAGE=%s", msg);
	journal_field(f, "MESSAGE_ID=%s", journal_message_id(ev->kind));
	journal_field(f, "PRIORITY=%d", journal_event_priority(ev));
	journal_field(f, "SYSLOG_IDENTIFIER=sockwatchd");

	if (ev->kind == SW_EV_LIFECYCLE) {
		journal_field(f, "SOCKWATCH_LIFECYCLE=%s", ev->lifecycle ? ev->lifecycle : "event");
		return;
	}
	journal_field(f, "SOCKWATCH_EVENT=%s", event_kind_name(ev->kind));
	journal_field(f, "SOCKWATCH_LEVEL=%s", journal_level_word(ev));

	if (ev->has_listener) {
		int family = ev->family == AF_INET6 ? AF_INET6 : AF_INET;

		journal_field(f, "SOCKWATCH_LISTENER=%s", journal_endpoint(ev, s, sizeof(s)));
		journal_field(f, "SOCKWATCH_ADDRESS=%s", util_addr_str(family, ev->addr, s, sizeof(s)));
		journal_field(f, "SOCKWATCH_PORT=%u", ev->port);
		journal_field(f, "SOCKWATCH_FAMILY=%s", journal_family_name(ev->family));
		journal_field(f, "SOCKWATCH_COOKIE=%" PRIu64, ev->cookie);
		journal_field(f, "SOCKWATCH_DROPS=%" PRIu64, ev->drops);
		journal_field(f, "SOCKWATCH_DROPS_TOTAL=%" PRIu64, ev->drops_total);
	}
	journal_field(f, "SOCKWATCH_NETNS=%s", journal_netns_str(ev->netns, s, sizeof(s)));

	if (ev->queue != SW_QUEUE_NONE) {
		journal_field(f, "SOCKWATCH_QUEUE=%s", event_queue_name(ev->queue));
		journal_field(f, "SOCKWATCH_DEPTH=%" PRIu32, ev->depth);
		journal_field(f, "SOCKWATCH_LIMIT=%" PRIu32, ev->limit);
		journal_field(f, "SOCKWATCH_PERCENT=%s", journal_percent_str(ev->percent, s, sizeof(s)));
		journal_field(f, "SOCKWATCH_PEAK=%" PRIu32, ev->peak);
		if (ev->limit_source != SW_SRC_UNKNOWN)
			journal_field(f, "SOCKWATCH_LIMIT_SOURCE=%s", limits_source_name(ev->limit_source));
		if (ev->queue == SW_QUEUE_SYN)
			journal_field(f, "SOCKWATCH_SYN_MODE=%s", limits_syn_mode_name(ev->syn_mode));
		if (ev->somaxconn_stale)
			journal_field(f, "SOCKWATCH_SOMAXCONN_STALE=1");
	}

	if (ev->somaxconn >= 0)
		journal_field(f, "SOCKWATCH_SOMAXCONN=%" PRId32, ev->somaxconn);
	if (ev->max_syn_backlog >= 0)
		journal_field(f, "SOCKWATCH_MAX_SYN_BACKLOG=%" PRId32, ev->max_syn_backlog);
	if (ev->syncookies >= 0)
		journal_field(f, "SOCKWATCH_SYNCOOKIES=%" PRId32, ev->syncookies);

	if (o->pid > 0)
		journal_field(f, "SOCKWATCH_PID=%" PRId32, o->pid);
	l = journal_strn(o->comm, sizeof(o->comm));
	if (l > 0)
		journal_field(f, "SOCKWATCH_COMM=%.*s", l, o->comm);
	l = journal_strn(o->unit, sizeof(o->unit));
	if (l > 0)
		journal_field(f, "SOCKWATCH_UNIT=%.*s", l, o->unit);
	if (o->holders > 0)
		journal_field(f, "SOCKWATCH_HOLDERS=%" PRIu32, o->holders);
	l = journal_strn(ev->top_sources, sizeof(ev->top_sources));
	if (l > 0)
		journal_field(f, "SOCKWATCH_TOP_SOURCES=%.*s", l, ev->top_sources);

	if (ev->kind == SW_EV_SYNCOOKIES) {
		struct journal_sbuf cb;
		char counters[512];

		journal_sbuf_init(&cb, counters, sizeof(counters));
		for (int c = 0; c < _SW_CTR_MAX; c++) {
			if (ev->counter_delta[c] == 0)
				continue;
			journal_sbuf_add(&cb, "%s%s=+%" PRIu64, cb.used ? "," : "",
					 netstat_counter_name((enum sw_counter)c), ev->counter_delta[c]);
			journal_counter_field(f, (enum sw_counter)c, ev->counter_delta[c]);
		}
		journal_field(f, "SOCKWATCH_COUNTERS=%s", counters);
	}
	if (ev->kind == SW_EV_CLEARED) {
		journal_field(f, "SOCKWATCH_CLEARED_LEVEL=%s", event_level_name(ev->cleared_level));
		journal_field(f, "SOCKWATCH_REASON=%s", ev->listener_gone ? "listener-gone" : "below-clear");
	}
}

int journal_emit(struct sw_journal *j, const struct sw_event *ev)
{
	char msg[SW_MESSAGE_MAX], line[JOURNAL_LINE_MAX];
	struct journal_fields f = { .n = 0, .err = 0 };
	int r;

	if (!j || !ev)
		return -EINVAL;
	/* A message cut short still says what happened: send it. */
	(void)journal_format_message(ev, msg, sizeof(msg));

	if (j->target != SW_LOG_STDERR) {
		journal_sbuf_init(&f.b, j->fields, sizeof(j->fields));
		journal_event_fields(&f, ev, msg);
		if (f.err == 0 && journal_send(j, f.iov, f.n))
			return 0;
	}
	r = journal_line_from_message(ev, msg, (int)getpid(), line, sizeof(line) - 1);
	return journal_write_line(j, line, journal_line_len(line, sizeof(line) - 1, r));
}

void journal_log(struct sw_journal *j, int prio, const char *fmt, ...)
{
	char msg[SW_MESSAGE_MAX], line[JOURNAL_LINE_MAX];
	struct journal_fields f = { .n = 0, .err = 0 };
	va_list ap;
	int r, saved = errno;

	if (!j || prio > j->level)
		return;
	va_start(ap, fmt);
	errno = saved;   /* so that %m means the caller's errno */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (j->target != SW_LOG_STDERR) {
		journal_sbuf_init(&f.b, j->fields, sizeof(j->fields));
		journal_field(&f, "MESSAGE=%s", msg);
		journal_field(&f, "PRIORITY=%d", prio);
		journal_field(&f, "SYSLOG_IDENTIFIER=sockwatchd");
		if (f.err == 0 && journal_send(j, f.iov, f.n)) {
			errno = saved;
			return;
		}
	}
	r = journal_build_line(journal_prio_name(prio), NULL, msg, (int)getpid(),
			       line, sizeof(line) - 1);
	(void)journal_write_line(j, line, journal_line_len(line, sizeof(line) - 1, r));
	errno = saved;
}

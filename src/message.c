/* The words of an event (see message.h): pure, so that the unit tests can
 * hold every sentence to account. */
#include "message.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"
#include "advice.h"
#include "queue_limits.h"
#include "kernel.h"
#include "text.h"
#include "macro.h"

/* ---------------------------------------------------------------------- */
/* Bounded string building */

void message_buf_init(struct message_buf *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->used = 0;
	b->truncated = false;
	p[0] = 0;
}

void message_buf_vadd(struct message_buf *b, const char *fmt, va_list ap)
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

void message_buf_add(struct message_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_buf_vadd(b, fmt, ap);
	va_end(ap);
}

int message_buf_result(const struct message_buf *b)
{
	if (b->truncated)
		return -ENOBUFS;
	return b->used > (size_t)__INT_MAX__ ? -ENOBUFS : (int)b->used;
}

/* ---------------------------------------------------------------------- */
/* Names and small formatting helpers (pure) */

const char *message_id(enum sw_event_kind k)
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

int message_priority(const struct sw_event *ev)
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
const char *message_level_word(const struct sw_event *ev)
{
	switch (ev->kind) {
	case SW_EV_LIFECYCLE: return "info";
	case SW_EV_CLEARED:   return "cleared";
	default:
		return ev->level == SW_LEVEL_CRITICAL ? "critical" : "warning";
	}
}

const char *message_prio_name(int prio)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};

	if (prio < 0 || (size_t)prio >= SW_ARRAY_SIZE(names))
		return "info";
	return names[prio];
}

const char *message_netns_str(const struct sw_event *ev)
{
	return nsinfo_name(&ev->ns);
}

const char *message_endpoint(const struct sw_event *ev, char *buf, size_t len)
{
	return event_listener_name(ev, buf, len);
}

/* comm and unit are fixed arrays filled by other modules: never trust them
 * to be terminated. */
int message_strn(const char *s, size_t max)
{
	return (int)strnlen(s, max);
}

static const char *message_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static const char *message_queue_phrase(enum sw_queue q)
{
	return q == SW_QUEUE_SYN ? "SYN queue" : "accept queue";
}

/* ---------------------------------------------------------------------- */
/* MESSAGE (pure) */

/* "nginx.service (nginx, pid 812) on 0.0.0.0:443", or just the listener
 * when the owner is unknown. A namespace other than the daemon's own is
 * named before the listener, the way an on-call engineer finds it, and
 * always as " in NAME on LISTENER" so that one grep finds every entry of
 * a listener: "nginx (pid 812) in docker:3f2a9c1b0e4d on 0.0.0.0:80", and
 * without an owner "in docker:3f2a9c1b0e4d on 0.0.0.0:80". Namespace-wide
 * events: "netns NAME". */
static void message_put_subject(struct message_buf *b, const struct sw_event *ev)
{
	const struct sw_owner *o = &ev->owner;
	int ul = message_strn(o->unit, sizeof(o->unit));
	int cl = message_strn(o->comm, sizeof(o->comm));
	const char *open = "";
	bool owner = false, paren = false;
	char ep[LISTENER_STRLEN];

	if (!ev->has_listener) {
		message_buf_add(b, "netns %s", message_netns_str(ev));
		return;
	}
	/* The most useful name first (unit, else comm), details in brackets. */
	if (ul > 0) {
		message_buf_add(b, "%.*s", ul, o->unit);
		open = " (";
		owner = true;
		if (cl > 0) {
			message_buf_add(b, "%s%.*s", open, cl, o->comm);
			paren = true;
		}
	} else if (cl > 0) {
		message_buf_add(b, "%.*s", cl, o->comm);
		open = " (";
		owner = true;
	}
	if (o->pid > 0) {
		message_buf_add(b, "%spid %" PRId32, paren ? ", " : open, o->pid);
		paren = *open != 0;
		owner = true;
	}
	if (owner && o->holders > 1) {
		message_buf_add(b, "%s%" PRIu32 " processes", paren || !*open ? ", " : open,
				 o->holders);
		paren = *open != 0;
	}
	if (paren)
		message_buf_add(b, ")");
	if (!ev->ns.own)
		message_buf_add(b, "%sin %s on ", owner ? " " : "", message_netns_str(ev));
	else if (owner)
		message_buf_add(b, " on ");
	message_buf_add(b, "%s", message_endpoint(ev, ep, sizeof(ep)));
}

/* "511/511 (100%), peak 512" */
static void message_put_figures(struct message_buf *b, const struct sw_event *ev)
{
	char pct[TEXT_PERCENT_MAX];

	message_buf_add(b, "%" PRIu32 "/%" PRIu32 " (%s%%)", ev->depth, ev->limit,
			 text_percent(ev->percent, pct, sizeof(pct)));
	if (ev->peak > ev->depth)
		message_buf_add(b, ", peak %" PRIu32, ev->peak);
}

/* What binds a listener's queue limit and what to change (advice.h). */
static void message_put_binding_m(struct message_buf *b, const struct sw_event *ev,
				  const char *also)
{
	struct advice_limit a = {
		.source = ev->limit_source == SW_SRC_UNKNOWN ? NULL
							     : limits_source_name(ev->limit_source),
		.somaxconn = ev->somaxconn,
		.max_syn_backlog = ev->max_syn_backlog,
		.limit = ev->limit,
		.somaxconn_stale = ev->somaxconn_stale,
		.also = also,
	};
	char text[1024], comm[sizeof(ev->owner.comm) + 1];

	snprintf(comm, sizeof(comm), "%.*s", message_strn(ev->owner.comm, sizeof(ev->owner.comm)),
		 ev->owner.comm);
	a.comm = comm;

	(void)advice_binding(&a, text, sizeof(text));
	message_buf_add(b, "%s", text);
}

static void message_put_drops(struct message_buf *b, uint64_t drops)
{
	if (drops > 0)
		message_buf_add(b, "%" PRIu64 " connection%s dropped since the last report",
				 drops, message_plural(drops));
	else
		message_buf_add(b, "no connections dropped since the last report");
}

/* "3.2 s", "450 ms", "12 min 5 s": how long a UNIX queue has been full. */
static void message_put_duration(struct message_buf *b, uint64_t usec)
{
	uint64_t ms = usec / USEC_PER_MSEC, s = ms / 1000;

	if (ms < 1000)
		message_buf_add(b, "%" PRIu64 " ms", ms);
	else if (s < 60)
		message_buf_add(b, "%" PRIu64 ".%" PRIu64 " s", s, (ms % 1000) / 100);
	else if (s < 3600)
		message_buf_add(b, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else
		message_buf_add(b, "%" PRIu64 " h %" PRIu64 " min", s / 3600, (s % 3600) / 60);
}

/* What clients of a UNIX listener see: the kernel counts none of it. */
#define MESSAGE_UNIX_REFUSED "new connections fail with EAGAIN (nginx: 502, " \
			     "'Resource temporarily unavailable') or block in connect()"

static void message_accept_unix(struct message_buf *b, const struct sw_event *ev)
{
	message_put_subject(b, ev);
	message_buf_add(b, ": accept queue ");
	message_put_figures(b, ev);
	if (ev->full_polls > 1) {
		message_buf_add(b, ", full for ");
		message_put_duration(b, ev->full_usec);
		message_buf_add(b, " (%" PRIu32 " polls): " MESSAGE_UNIX_REFUSED, ev->full_polls);
	} else if (ev->full_polls == 1) {
		message_buf_add(b, ", full: " MESSAGE_UNIX_REFUSED);
	} else {
		message_buf_add(b, ", not full yet: once it is, " MESSAGE_UNIX_REFUSED);
	}
	message_buf_add(b, "; ");
	message_put_binding_m(b, ev, "");
}

static void message_accept(struct message_buf *b, const struct sw_event *ev)
{
	if (ev->family == AF_UNIX) {
		message_accept_unix(b, ev);
		return;
	}
	message_put_subject(b, ev);
	message_buf_add(b, ": accept queue ");
	message_put_figures(b, ev);
	message_buf_add(b, ", ");
	message_put_drops(b, ev->drops);
	message_buf_add(b, "; ");
	message_put_binding_m(b, ev, "");
}

static void message_syn(struct message_buf *b, const struct sw_event *ev)
{
	int tl = message_strn(ev->top_sources, sizeof(ev->top_sources));

	message_put_subject(b, ev);
	message_buf_add(b, ": SYN queue ");
	message_put_figures(b, ev);
	if (ev->drops > 0) {
		message_buf_add(b, ", ");
		message_put_drops(b, ev->drops);
	}
	switch (ev->syn_mode) {
	case SW_SYN_COOKIES_ON_OVERFLOW:
		message_buf_add(b, "; past its limit the kernel answers with SYN cookies "
				 "(net.ipv4.tcp_syncookies=1): connections still succeed but lose "
				 "TCP options such as window scaling; ");
		message_put_binding_m(b, ev, advice_syn_also(limits_syn_mode_name(ev->syn_mode), true));
		break;
	case SW_SYN_DROP_ON_OVERFLOW:
		message_buf_add(b, "; past its limit new SYNs are dropped "
				 "(net.ipv4.tcp_syncookies=0); ");
		message_put_binding_m(b, ev, advice_syn_also(limits_syn_mode_name(ev->syn_mode), true));
		break;
	case SW_SYN_COOKIES_ALWAYS:
		message_buf_add(b, "; net.ipv4.tcp_syncookies=2 answers every SYN with a cookie, "
				 "so this queue should stay empty");
		break;
	}
	if (tl > 0)
		message_buf_add(b, "; top sources: %.*s (many entries from few addresses "
				 "suggest a SYN flood)", tl, ev->top_sources);
}

static void message_drops(struct message_buf *b, const struct sw_event *ev)
{
	message_put_subject(b, ev);
	message_buf_add(b, ": %" PRIu64 " connection%s dropped since the last report "
			 "(%" PRIu64 " in all)",
			 ev->drops, message_plural(ev->drops), ev->drops_total);
	/* peak is the highest depth since the last entry: a queue never seen
	 * past its limit overflowed between two polls. */
	if (ev->full_at_limit ? ev->peak < ev->limit : ev->peak <= ev->limit)
		message_buf_add(b, ", though no poll saw the queue full: a burst "
				 "shorter than the poll interval");
	if (ev->queue != SW_QUEUE_NONE && ev->limit > 0) {
		message_buf_add(b, "; %s now ", message_queue_phrase(ev->queue));
		message_put_figures(b, ev);
		message_buf_add(b, "; ");
		message_put_binding_m(b, ev, ev->queue == SW_QUEUE_SYN ?
				      advice_syn_also(limits_syn_mode_name(ev->syn_mode), false) : "");
	}
}

static void message_syncookies(struct message_buf *b, const struct sw_event *ev)
{
	const uint64_t *d = ev->counter_delta;
	bool any = false;
	char v[32];

	message_buf_add(b, "SYN and listen-queue overflow counters moved in ");
	message_put_subject(b, ev);
	message_buf_add(b, ":");
	for (int c = 0; c < _SW_CTR_MAX; c++) {
		if (d[c] == 0)
			continue;
		message_buf_add(b, "%s %s +%" PRIu64, any ? "," : "",
				 netstat_counter_name((enum sw_counter)c), d[c]);
		any = true;
	}
	if (!any)
		message_buf_add(b, " none");

	if (d[SW_CTR_REQQ_FULL_DROP] > 0)
		message_buf_add(b, "; a SYN queue was full with SYN cookies off and SYNs were "
				 "dropped: enable net.ipv4.tcp_syncookies or raise the listen() backlog "
				 "(and net.ipv4.tcp_max_syn_backlog%s)",
				 advice_value(ev->max_syn_backlog, v, sizeof(v)));
	if (d[SW_CTR_REQQ_FULL_COOKIES] > 0 || d[SW_CTR_SYNCOOKIES_SENT] > 0) {
		if (ev->syncookies == 2)
			message_buf_add(b, "; net.ipv4.tcp_syncookies=2 sends a SYN cookie for every "
					 "SYN, so these counters rise with every connection");
		else
			message_buf_add(b, "; a SYN queue overflowed and the kernel sent SYN cookies: "
					 "connections still succeed but lose TCP options such as window "
					 "scaling; a sustained rise means a SYN flood or a listen() "
					 "backlog too small for the load");
	}
	if (d[SW_CTR_SYNCOOKIES_FAILED] > 0)
		message_buf_add(b, "; ACKs with invalid SYN cookies arrived (spoofed, or too late)");
	if (d[SW_CTR_SYNCOOKIES_RECV] > 0 && d[SW_CTR_SYNCOOKIES_SENT] == 0 &&
	    d[SW_CTR_REQQ_FULL_COOKIES] == 0)
		message_buf_add(b, "; clients completed handshakes with SYN cookies sent earlier");
	if (d[SW_CTR_LISTEN_OVERFLOWS] > 0)
		message_buf_add(b, "; accept queues overflowed: an application accepts too "
				 "slowly or its listen() backlog is too small");
	else if (d[SW_CTR_LISTEN_DROPS] > 0)
		message_buf_add(b, "; SYNs or ACKs were dropped on the listen path");
	if (ev->syncookies >= 0 || ev->max_syn_backlog >= 0 || ev->somaxconn >= 0) {
		const char *sep = "";

		message_buf_add(b, " (");
		if (ev->syncookies >= 0) {
			message_buf_add(b, "net.ipv4.tcp_syncookies=%" PRId32, ev->syncookies);
			sep = ", ";
		}
		if (ev->max_syn_backlog >= 0) {
			message_buf_add(b, "%snet.ipv4.tcp_max_syn_backlog=%" PRId32, sep,
					 ev->max_syn_backlog);
			sep = ", ";
		}
		if (ev->somaxconn >= 0)
			message_buf_add(b, "%snet.core.somaxconn=%" PRId32, sep, ev->somaxconn);
		message_buf_add(b, ")");
	}
}

/* The kind of alert a cleared event ends, from the queue it was about. */
static const char *message_cleared_kind(const struct sw_event *ev)
{
	switch (ev->queue) {
	case SW_QUEUE_ACCEPT: return "accept-queue";
	case SW_QUEUE_SYN:    return "syn-queue";
	case SW_QUEUE_NONE:   break;
	}
	return NULL;
}

static void message_cleared(struct message_buf *b, const struct sw_event *ev)
{
	const char *kind = message_cleared_kind(ev);

	message_put_subject(b, ev);
	message_buf_add(b, ": %s %s%salert cleared: ", event_level_name(ev->cleared_level),
			 kind ? kind : "", kind ? " " : "");
	if (ev->listener_gone) {
		message_buf_add(b, "listener gone");
	} else if (ev->queue != SW_QUEUE_NONE) {
		message_buf_add(b, "%s back to ", message_queue_phrase(ev->queue));
		message_put_figures(b, ev);
	} else {
		message_buf_add(b, "back to normal");
	}
}

static void message_lifecycle(struct message_buf *b, const struct sw_event *ev)
{
	int tl = message_strn(ev->text, sizeof(ev->text));

	message_buf_add(b, "sockwatchd %s", ev->lifecycle ? ev->lifecycle : "event");
	if (tl > 0)
		message_buf_add(b, ": %.*s", tl, ev->text);
}

int message_format(const struct sw_event *ev, char *buf, size_t len)
{
	struct message_buf b;

	if (!ev || !buf || len == 0)
		return -EINVAL;
	message_buf_init(&b, buf, len);
	switch (ev->kind) {
	case SW_EV_ACCEPT_QUEUE: message_accept(&b, ev); break;
	case SW_EV_SYN_QUEUE:    message_syn(&b, ev); break;
	case SW_EV_LISTEN_DROPS: message_drops(&b, ev); break;
	case SW_EV_SYNCOOKIES:   message_syncookies(&b, ev); break;
	case SW_EV_CLEARED:      message_cleared(&b, ev); break;
	case SW_EV_LIFECYCLE:    message_lifecycle(&b, ev); break;
	}
	return message_buf_result(&b);
}

/* ---------------------------------------------------------------------- */
/* stderr lines (pure formatting) */

/* A newline (config errors come several to a text) becomes "; ", any
 * other control character "?": nothing from a process name or unit can
 * start a line of its own. */
int message_build_line(const char *level, const char *tag, const char *msg, int pid,
		       char *buf, size_t len)
{
	char clean[2 * SW_MESSAGE_MAX];
	struct message_buf b;

	if (!buf || len == 0)
		return -EINVAL;
	message_buf_init(&b, buf, len);
	message_buf_add(&b, "sockwatchd[%d]: %s: ", pid, level);
	if (tag && *tag)
		message_buf_add(&b, "%s: ", tag);
	/* Each byte of msg grows to at most two. */
	text_clean(clean, sizeof(clean), msg, strlen(msg), TEXT_CLEAN_NEWLINES);
	message_buf_add(&b, "%s", clean);
	return message_buf_result(&b);
}

/* The stderr tag: the alert kind, for grep. The message itself names the
 * listener; a cleared event's level word already says "cleared". */
static const char *message_event_tag(const struct sw_event *ev)
{
	if (ev->kind == SW_EV_LIFECYCLE || ev->kind == SW_EV_CLEARED)
		return NULL;
	return event_kind_name(ev->kind);
}

int message_line_from(const struct sw_event *ev, const char *msg, int pid, char *buf,
		      size_t len)
{
	return message_build_line(message_level_word(ev), message_event_tag(ev), msg, pid,
				  buf, len);
}

int message_line(const struct sw_event *ev, int pid, char *buf, size_t len)
{
	char msg[SW_MESSAGE_MAX];
	int r, r2;

	if (!ev || !buf || len == 0)
		return -EINVAL;
	r = message_format(ev, msg, sizeof(msg));
	if (r < 0 && r != -ENOBUFS)
		return r;
	r2 = message_line_from(ev, msg, pid, buf, len);
	return r2 < 0 ? r2 : r < 0 ? r : r2;
}

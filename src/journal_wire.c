/* journald's native protocol (see journal_wire.h). */
#include "journal_wire.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "queue_limits.h"
#include "kernel.h"
#include "text.h"
#include "macro.h"

static const char *journal_wire_family(uint8_t family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

void journal_wire_fields_init(struct journal_fields *f, char *buf, size_t size)
{
	f->n = 0;
	f->err = 0;
	message_buf_init(&f->b, buf, size);
}

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

size_t journal_wire_encode(char *w, size_t size, const struct iovec *iov, size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		if (!journal_wire_put(w, size, &used, iov[i].iov_base, iov[i].iov_len))
			return 0;
	return used;
}

void journal_wire_field(struct journal_fields *f, const char *fmt, ...)
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
	message_buf_vadd(&f->b, fmt, ap);
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
static void journal_wire_counter(struct journal_fields *f, enum sw_counter c, uint64_t v)
{
	const char *name = netstat_counter_name(c);
	char up[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(up) - 1; i++)
		up[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 'a' + 'A') : name[i];
	up[i] = 0;
	journal_wire_field(f, "SOCKWATCH_%s=%" PRIu64, up, v);
}

/* The namespace: its name always, its id when known, the container and pod
 * a member's cgroup names only when it names them (never for the host). */
static void journal_wire_netns(struct journal_fields *f, const struct sw_nsinfo *ns,
			       const char *name)
{
	int l;

	journal_wire_field(f, "SOCKWATCH_NETNS=%s", name);
	if (ns->id != 0)
		journal_wire_field(f, "SOCKWATCH_NETNS_ID=%" PRIu64, ns->id);
	if (ns->own)
		return;
	l = message_strn(ns->name.container, sizeof(ns->name.container));
	if (l > 0)
		journal_wire_field(f, "SOCKWATCH_CONTAINER=%.*s", l, ns->name.container);
	l = message_strn(ns->name.pod_uid, sizeof(ns->name.pod_uid));
	if (l > 0)
		journal_wire_field(f, "SOCKWATCH_POD_UID=%.*s", l, ns->name.pod_uid);
}

void journal_wire_event_fields(struct journal_fields *f, const struct sw_event *ev,
			       const char *msg)
{
	const struct sw_owner *o = &ev->owner;
	char s[LISTENER_STRLEN];
	int l;

	journal_wire_field(f, "MESSAGE=%s", msg);
	journal_wire_field(f, "MESSAGE_ID=%s", message_id(ev->kind));
	journal_wire_field(f, "PRIORITY=%d", message_priority(ev));
	journal_wire_field(f, "SYSLOG_IDENTIFIER=sockwatchd");

	if (ev->kind == SW_EV_LIFECYCLE) {
		journal_wire_field(f, "SOCKWATCH_LIFECYCLE=%s", ev->lifecycle ? ev->lifecycle : "event");
		return;
	}
	journal_wire_field(f, "SOCKWATCH_EVENT=%s", event_kind_name(ev->kind));
	journal_wire_field(f, "SOCKWATCH_LEVEL=%s", message_level_word(ev));

	if (ev->has_listener && ev->family == AF_UNIX) {
		/* No address, port or drops: the kernel counts nothing a full
		 * UNIX queue refuses; how long it is full says it instead. */
		journal_wire_field(f, "SOCKWATCH_LISTENER=%s", message_endpoint(ev, s, sizeof(s)));
		journal_wire_field(f, "SOCKWATCH_PATH=%s", ev->path);
		journal_wire_field(f, "SOCKWATCH_FAMILY=unix");
		journal_wire_field(f, "SOCKWATCH_SOCKET_TYPE=%s", usnap_type_name(ev->sock_type));
		journal_wire_field(f, "SOCKWATCH_COOKIE=%" PRIu64, ev->cookie);
	} else if (ev->has_listener) {
		int family = ev->family == AF_INET6 ? AF_INET6 : AF_INET;

		journal_wire_field(f, "SOCKWATCH_LISTENER=%s", message_endpoint(ev, s, sizeof(s)));
		journal_wire_field(f, "SOCKWATCH_ADDRESS=%s", addr_str(family, ev->addr, s, sizeof(s)));
		journal_wire_field(f, "SOCKWATCH_PORT=%u", ev->port);
		journal_wire_field(f, "SOCKWATCH_FAMILY=%s", journal_wire_family(ev->family));
		journal_wire_field(f, "SOCKWATCH_COOKIE=%" PRIu64, ev->cookie);
		journal_wire_field(f, "SOCKWATCH_DROPS=%" PRIu64, ev->drops);
		journal_wire_field(f, "SOCKWATCH_DROPS_TOTAL=%" PRIu64, ev->drops_total);
	}
	journal_wire_netns(f, &ev->ns, message_netns_str(ev));

	if (ev->queue != SW_QUEUE_NONE) {
		journal_wire_field(f, "SOCKWATCH_QUEUE=%s", event_queue_name(ev->queue));
		journal_wire_field(f, "SOCKWATCH_DEPTH=%" PRIu32, ev->depth);
		journal_wire_field(f, "SOCKWATCH_LIMIT=%" PRIu32, ev->limit);
		journal_wire_field(f, "SOCKWATCH_PERCENT=%s", text_percent(ev->percent, s, sizeof(s)));
		journal_wire_field(f, "SOCKWATCH_PEAK=%" PRIu32, ev->peak);
		if (ev->limit_source != SW_SRC_UNKNOWN)
			journal_wire_field(f, "SOCKWATCH_LIMIT_SOURCE=%s", limits_source_name(ev->limit_source));
		if (ev->queue == SW_QUEUE_SYN)
			journal_wire_field(f, "SOCKWATCH_SYN_MODE=%s", limits_syn_mode_name(ev->syn_mode));
		if (ev->somaxconn_stale)
			journal_wire_field(f, "SOCKWATCH_SOMAXCONN_STALE=1");
		if (ev->full_polls) {
			journal_wire_field(f, "SOCKWATCH_FULL_POLLS=%" PRIu32, ev->full_polls);
			journal_wire_field(f, "SOCKWATCH_FULL_MS=%" PRIu64, (uint64_t)(ev->full_usec / USEC_PER_MSEC));
		}
	}

	if (ev->somaxconn >= 0)
		journal_wire_field(f, "SOCKWATCH_SOMAXCONN=%" PRId32, ev->somaxconn);
	if (ev->max_syn_backlog >= 0)
		journal_wire_field(f, "SOCKWATCH_MAX_SYN_BACKLOG=%" PRId32, ev->max_syn_backlog);
	if (ev->syncookies >= 0)
		journal_wire_field(f, "SOCKWATCH_SYNCOOKIES=%" PRId32, ev->syncookies);

	if (o->pid > 0)
		journal_wire_field(f, "SOCKWATCH_PID=%" PRId32, o->pid);
	l = message_strn(o->comm, sizeof(o->comm));
	if (l > 0)
		journal_wire_field(f, "SOCKWATCH_COMM=%.*s", l, o->comm);
	l = message_strn(o->unit, sizeof(o->unit));
	if (l > 0)
		journal_wire_field(f, "SOCKWATCH_UNIT=%.*s", l, o->unit);
	if (o->holders > 0)
		journal_wire_field(f, "SOCKWATCH_HOLDERS=%" PRIu32, o->holders);
	l = message_strn(ev->top_sources, sizeof(ev->top_sources));
	if (l > 0)
		journal_wire_field(f, "SOCKWATCH_TOP_SOURCES=%.*s", l, ev->top_sources);

	if (ev->kind == SW_EV_SYNCOOKIES) {
		struct message_buf cb;
		char counters[512];

		message_buf_init(&cb, counters, sizeof(counters));
		for (int c = 0; c < _SW_CTR_MAX; c++) {
			if (ev->counter_delta[c] == 0)
				continue;
			message_buf_add(&cb, "%s%s=+%" PRIu64, cb.used ? "," : "",
					 netstat_counter_name((enum sw_counter)c), ev->counter_delta[c]);
			journal_wire_counter(f, (enum sw_counter)c, ev->counter_delta[c]);
		}
		journal_wire_field(f, "SOCKWATCH_COUNTERS=%s", counters);
	}
	if (ev->kind == SW_EV_CLEARED) {
		journal_wire_field(f, "SOCKWATCH_CLEARED_LEVEL=%s", event_level_name(ev->cleared_level));
		journal_wire_field(f, "SOCKWATCH_REASON=%s", ev->listener_gone ? "listener-gone" : "below-clear");
	}
}

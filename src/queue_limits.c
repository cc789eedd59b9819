#include "queue_limits.h"

#include <string.h>

#include "text.h"

const char *limits_source_name(enum sw_limit_source s)
{
	switch (s) {
	case SW_SRC_LISTEN_BACKLOG:  return "listen-backlog";
	case SW_SRC_SOMAXCONN:       return "net.core.somaxconn";
	case SW_SRC_MAX_SYN_BACKLOG: return "net.ipv4.tcp_max_syn_backlog";
	case SW_SRC_UNKNOWN:         break;
	}
	return "unknown";
}

const char *limits_syn_mode_name(enum sw_syn_mode m)
{
	switch (m) {
	case SW_SYN_COOKIES_ON_OVERFLOW: return "cookies-on-overflow";
	case SW_SYN_DROP_ON_OVERFLOW:    return "drop-on-overflow";
	case SW_SYN_COOKIES_ALWAYS:      return "cookies-always";
	}
	return "unknown";
}

/* Which setting gave the listener its M = min(backlog, somaxconn at listen()).
 *
 * When the somaxconn of listen() time is known and M <= it, the answer is
 * exact: M below it means the backlog argument was smaller; M equal to it
 * means somaxconn capped the backlog (maybe the two were equal, but then
 * raising the backlog alone does nothing, so somaxconn is what to name).
 *
 * Otherwise we fall back on the live somaxconn, which is right as long as
 * somaxconn did not change since listen(): M < live -> backlog, M == live ->
 * somaxconn.
 *
 * M above every somaxconn we know of means somaxconn was lowered after
 * listen() (the kernel never lets M exceed the somaxconn of listen()), and
 * somaxconn_at_listen, if given, is really the value when the daemon first
 * saw the listener, already lowered. The somaxconn of listen() was then >= M
 * and either it (if equal to M) or the backlog (if below it) set M; nothing
 * left tells which. We name listen-backlog: most listeners pass a backlog
 * below the default somaxconn, so it is the likelier answer, and
 * somaxconn_stale is set so the caller can say that a new listen() would
 * now be capped by the lower live somaxconn.
 *
 * With no somaxconn known at all, the source is undecidable. */
static enum sw_limit_source accept_source(uint32_t m, int32_t live, int32_t at_listen)
{
	int32_t ref;

	if (at_listen >= 0 && m <= (uint32_t)at_listen)
		ref = at_listen;
	else if (live >= 0 && m <= (uint32_t)live)
		ref = live;
	else if (at_listen >= 0 || live >= 0)
		return SW_SRC_LISTEN_BACKLOG;
	else
		return SW_SRC_UNKNOWN;
	return m < (uint32_t)ref ? SW_SRC_LISTEN_BACKLOG : SW_SRC_SOMAXCONN;
}

void limits_compute(uint32_t wqueue, const struct sw_sysctl *sc,
		    int32_t somaxconn_at_listen, struct sw_limits *ret)
{
	static const struct sw_sysctl unknown = SW_SYSCTL_UNKNOWN;
	struct sw_limits l = { 0 };
	uint32_t m = wqueue;
	int32_t live;
	int32_t cookies;

	if (!sc)
		sc = &unknown;
	live = sc->somaxconn;
	if (somaxconn_at_listen < -1)
		somaxconn_at_listen = -1;

	l.accept_limit = m;
	l.accept_source = accept_source(m, live, somaxconn_at_listen);
	/* Only a known live value can be compared: an unreadable sysctl is not
	 * a change. */
	l.somaxconn_stale = live >= 0 &&
		((somaxconn_at_listen >= 0 && somaxconn_at_listen != live) ||
		 m > (uint32_t)live);

	/* An unreadable or unexpected tcp_syncookies is taken as the kernel's
	 * default, 1. */
	cookies = sc->syncookies;
	if (cookies < 0 || cookies > 2)
		cookies = 1;

	l.syn_limit = m;
	l.syn_source = l.accept_source;
	switch (cookies) {
	case 0:
		l.syn_mode = SW_SYN_DROP_ON_OVERFLOW;
		/* tcp_conn_request() drops a SYN when fewer than B/4 slots of
		 * B remain, i.e. once the queue holds more than B - B/4. */
		if (sc->max_syn_backlog >= 0) {
			uint32_t b = (uint32_t)sc->max_syn_backlog;
			uint32_t cap = b - b / 4;

			if (cap < m) {
				l.syn_limit = cap;
				l.syn_source = SW_SRC_MAX_SYN_BACKLOG;
			}
		} else {
			/* M is an upper bound; whether B binds below it is
			 * undecidable without B. */
			l.syn_source = SW_SRC_UNKNOWN;
		}
		break;
	case 2:
		l.syn_mode = SW_SYN_COOKIES_ALWAYS;
		break;
	default:
		l.syn_mode = SW_SYN_COOKIES_ON_OVERFLOW;
		break;
	}
	*ret = l;
}

/* Reads one decimal component; false on no digits or a value no kernel
 * version has. */
static bool parse_component(const char **p, unsigned long *ret)
{
	size_t n = strspn(*p, "0123456789");
	uint64_t v;

	if (text_parse_u64(*p, n, 1000000, &v) < 0)
		return false;
	*p += n;
	*ret = (unsigned long)v;
	return true;
}

bool limits_kernel_full_at_limit(const char *release)
{
	unsigned long major, minor;
	const char *p = release;

	/* "6.12.3", "6.18.44-fc-v669", "5.15.0-91-generic": only major.minor
	 * matter. Stable backports of the 6.13 fix carry no version mark we
	 * could test, so those kernels count as old; a wrong guess there
	 * costs one slot of the queue, an unreadable release is taken as new. */
	if (!p || !parse_component(&p, &major) || *p++ != '.' || !parse_component(&p, &minor))
		return false;
	if (*p && *p != '.' && *p != '-' && *p != '+' && *p != '_' && *p != '~')
		return false;
	return major < 6 || (major == 6 && minor < 13);
}

double limits_percent(uint32_t depth, uint32_t limit)
{
	/* A listen(0) socket still holds one connection (full when depth >
	 * 0): count each queued connection as a whole limit's worth, so it
	 * reads as full and alerts. */
	if (limit == 0)
		return 100.0 * depth;
	return 100.0 * depth / limit;
}

bool limits_queue_full(uint32_t depth, uint32_t limit, bool full_at_limit)
{
	return full_at_limit ? depth >= limit : depth > limit;
}

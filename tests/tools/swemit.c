/* swemit: builds one sockwatchd event from the command line and emits it
 * through journal_emit(), so the tests can look at real journal entries and
 * stderr lines without a daemon or a full queue.
 *
 *   swemit [--target auto|journal|stderr] [--repeat N] [--interval-ms MS]
 *          KIND [event options]
 *   KIND: accept-queue (accept) | syn-queue (syn) | listen-drops (drops) |
 *         syncookies | cleared | lifecycle | log (a journal_log diagnostic)
 *
 * Event options (all optional): --listener EP --netns NAME ("host": the own)
 *   --netns-id N --container ID --pod-uid UID
 *   --level warning|critical --cleared-level warning|critical
 *   --queue accept|syn --depth N --limit N --peak N --percent P
 *   --source listen-backlog|net.core.somaxconn|net.ipv4.tcp_max_syn_backlog
 *   --mode cookies-on-overflow|drop-on-overflow|cookies-always --stale --gone
 *   --drops N --drops-total N --somaxconn N --max-syn-backlog N --syncookies N
 *   --pid N --comm S --unit S --holders N --top S --cookie N
 *   --counter ListenOverflows=N (repeatable) --lifecycle S --text S
 *   --priority N (log: its LOG_* level, default 6)
 * --percent defaults to what limits_percent() makes of depth and limit.
 * Exit: 0 emitted, 1 emit failed, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "addr.h"
#include "event.h"
#include "journal.h"
#include "queue_limits.h"
#include "netstat.h"
#include "macro.h"

static int swemit_usage(const char *why)
{
	fprintf(stderr, "swemit: %s (see the comment at the top of tests/tools/swemit.c)\n", why);
	return 2;
}

static int swemit_u64(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int swemit_kind(const char *s, enum sw_event_kind *ret)
{
	static const struct { const char *alias; enum sw_event_kind k; } aliases[] = {
		{ "accept", SW_EV_ACCEPT_QUEUE }, { "syn", SW_EV_SYN_QUEUE },
		{ "drops", SW_EV_LISTEN_DROPS },
	};

	for (int k = SW_EV_ACCEPT_QUEUE; k <= SW_EV_LIFECYCLE; k++)
		if (strcmp(s, event_kind_name((enum sw_event_kind)k)) == 0) {
			*ret = (enum sw_event_kind)k;
			return 0;
		}
	for (size_t i = 0; i < SW_ARRAY_SIZE(aliases); i++)
		if (strcmp(s, aliases[i].alias) == 0) {
			*ret = aliases[i].k;
			return 0;
		}
	return -EINVAL;
}

static int swemit_level(const char *s, enum sw_level *ret)
{
	for (int l = SW_LEVEL_OK; l <= SW_LEVEL_CRITICAL; l++)
		if (strcmp(s, event_level_name((enum sw_level)l)) == 0) {
			*ret = (enum sw_level)l;
			return 0;
		}
	return -EINVAL;
}

static int swemit_source(const char *s, enum sw_limit_source *ret)
{
	for (int x = SW_SRC_UNKNOWN; x <= SW_SRC_MAX_SYN_BACKLOG; x++)
		if (strcmp(s, limits_source_name((enum sw_limit_source)x)) == 0) {
			*ret = (enum sw_limit_source)x;
			return 0;
		}
	return -EINVAL;
}

static int swemit_mode(const char *s, enum sw_syn_mode *ret)
{
	for (int m = SW_SYN_COOKIES_ON_OVERFLOW; m <= SW_SYN_COOKIES_ALWAYS; m++)
		if (strcmp(s, limits_syn_mode_name((enum sw_syn_mode)m)) == 0) {
			*ret = (enum sw_syn_mode)m;
			return 0;
		}
	return -EINVAL;
}

/* "ListenOverflows=3" */
static int swemit_counter(const char *s, uint64_t delta[_SW_CTR_MAX])
{
	const char *eq = strchr(s, '=');

	if (!eq)
		return -EINVAL;
	for (int c = 0; c < _SW_CTR_MAX; c++) {
		const char *name = netstat_counter_name((enum sw_counter)c);

		if (strlen(name) == (size_t)(eq - s) && strncmp(s, name, (size_t)(eq - s)) == 0)
			return swemit_u64(eq + 1, UINT64_MAX, &delta[c]);
	}
	return -EINVAL;
}

static int swemit_i32(const char *s, int32_t *ret)
{
	uint64_t v;
	int r = swemit_u64(s, INT32_MAX, &v);

	if (r == 0)
		*ret = (int32_t)v;
	return r;
}

static int swemit_u32(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = swemit_u64(s, UINT32_MAX, &v);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

enum {
	OPT_TARGET = 256, OPT_REPEAT, OPT_INTERVAL, OPT_LISTENER, OPT_NETNS, OPT_LEVEL,
	OPT_CLEARED_LEVEL, OPT_QUEUE, OPT_DEPTH, OPT_LIMIT, OPT_PEAK, OPT_PERCENT, OPT_SOURCE,
	OPT_MODE, OPT_STALE, OPT_GONE, OPT_DROPS, OPT_DROPS_TOTAL, OPT_SOMAXCONN, OPT_MSB,
	OPT_SYNCOOKIES, OPT_PID, OPT_COMM, OPT_UNIT, OPT_HOLDERS, OPT_TOP, OPT_COOKIE,
	OPT_COUNTER, OPT_LIFECYCLE, OPT_TEXT, OPT_PRIORITY, OPT_NETNS_ID, OPT_CONTAINER,
	OPT_POD_UID,
};

static const struct option swemit_options[] = {
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
	{ "listener", required_argument, NULL, OPT_LISTENER },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "netns-id", required_argument, NULL, OPT_NETNS_ID },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "pod-uid", required_argument, NULL, OPT_POD_UID },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "cleared-level", required_argument, NULL, OPT_CLEARED_LEVEL },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "peak", required_argument, NULL, OPT_PEAK },
	{ "percent", required_argument, NULL, OPT_PERCENT },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "stale", no_argument, NULL, OPT_STALE },
	{ "gone", no_argument, NULL, OPT_GONE },
	{ "drops", required_argument, NULL, OPT_DROPS },
	{ "drops-total", required_argument, NULL, OPT_DROPS_TOTAL },
	{ "somaxconn", required_argument, NULL, OPT_SOMAXCONN },
	{ "max-syn-backlog", required_argument, NULL, OPT_MSB },
	{ "syncookies", required_argument, NULL, OPT_SYNCOOKIES },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "holders", required_argument, NULL, OPT_HOLDERS },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "cookie", required_argument, NULL, OPT_COOKIE },
	{ "counter", required_argument, NULL, OPT_COUNTER },
	{ "lifecycle", required_argument, NULL, OPT_LIFECYCLE },
	{ "text", required_argument, NULL, OPT_TEXT },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ NULL, 0, NULL, 0 },
};

/* Copies s into a fixed field, refusing what would not fit rather than
 * letting the test believe a truncated value went out. */
static int swemit_str(const char *s, char *dst, size_t size)
{
	if (strlen(s) >= size)
		return -E2BIG;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int main(int argc, char **argv)
{
	enum sw_log_target target = SW_LOG_AUTO;
	struct sw_event ev = {
		.somaxconn = -1, .max_syn_backlog = -1, .syncookies = -1,
		.level = SW_LEVEL_WARNING, .cleared_level = SW_LEVEL_WARNING,
		.ns = SW_NSINFO_HOST,
	};
	struct sw_journal *j = NULL;
	bool has_percent = false, has_queue = false, log_only = false;
	uint64_t repeat = 1, interval_ms = 0;
	int32_t priority = LOG_INFO;
	int opt, idx = 0, r = 0, rc = 0;

	while ((opt = getopt_long(argc, argv, "", swemit_options, &idx)) != -1) {
		const char *a = optarg;

		switch (opt) {
		case OPT_TARGET:
			if (strcmp(a, "auto") == 0)
				target = SW_LOG_AUTO;
			else if (strcmp(a, "journal") == 0)
				target = SW_LOG_JOURNAL;
			else if (strcmp(a, "stderr") == 0)
				target = SW_LOG_STDERR;
			else
				r = -EINVAL;
			break;
		case OPT_REPEAT:        r = swemit_u64(a, 100000, &repeat); break;
		case OPT_INTERVAL:      r = swemit_u64(a, 60000, &interval_ms); break;
		case OPT_LISTENER: {
			int family;
			bool wild;

			r = addr_endpoint_parse(a, &family, ev.addr, &ev.port, &wild);
			if (r == 0 && wild)
				r = -EINVAL;
			ev.family = (uint8_t)family;
			ev.has_listener = true;
			break;
		}
		case OPT_NETNS:
			ev.ns.own = strcmp(a, "host") == 0;
			r = snprintf(ev.ns.name.name, sizeof(ev.ns.name.name), "%s", a) <
					    (int)sizeof(ev.ns.name.name) ? 0 : -EINVAL;
			break;
		case OPT_NETNS_ID:      r = swemit_u64(a, UINT64_MAX, &ev.ns.id); break;
		case OPT_CONTAINER:
			r = swemit_str(a, ev.ns.name.container, sizeof(ev.ns.name.container));
			break;
		case OPT_POD_UID:
			r = swemit_str(a, ev.ns.name.pod_uid, sizeof(ev.ns.name.pod_uid));
			break;
		case OPT_LEVEL:         r = swemit_level(a, &ev.level); break;
		case OPT_CLEARED_LEVEL: r = swemit_level(a, &ev.cleared_level); break;
		case OPT_QUEUE:
			has_queue = true;
			if (strcmp(a, "accept") == 0)
				ev.queue = SW_QUEUE_ACCEPT;
			else if (strcmp(a, "syn") == 0)
				ev.queue = SW_QUEUE_SYN;
			else if (strcmp(a, "none") == 0)
				ev.queue = SW_QUEUE_NONE;
			else
				r = -EINVAL;
			break;
		case OPT_DEPTH:         r = swemit_u32(a, &ev.depth); break;
		case OPT_LIMIT:         r = swemit_u32(a, &ev.limit); break;
		case OPT_PEAK:          r = swemit_u32(a, &ev.peak); break;
		case OPT_PERCENT: {
			char *end;

			ev.percent = strtod(a, &end);
			r = end == a || *end ? -EINVAL : 0;
			has_percent = true;
			break;
		}
		case OPT_SOURCE:        r = swemit_source(a, &ev.limit_source); break;
		case OPT_MODE:          r = swemit_mode(a, &ev.syn_mode); break;
		case OPT_STALE:         ev.somaxconn_stale = true; break;
		case OPT_GONE:          ev.listener_gone = true; break;
		case OPT_DROPS:         r = swemit_u64(a, UINT64_MAX, &ev.drops); break;
		case OPT_DROPS_TOTAL:   r = swemit_u64(a, UINT64_MAX, &ev.drops_total); break;
		case OPT_SOMAXCONN:     r = swemit_i32(a, &ev.somaxconn); break;
		case OPT_MSB:           r = swemit_i32(a, &ev.max_syn_backlog); break;
		case OPT_SYNCOOKIES:    r = swemit_i32(a, &ev.syncookies); break;
		case OPT_PID:           r = swemit_i32(a, &ev.owner.pid); break;
		case OPT_COMM:          r = swemit_str(a, ev.owner.comm, sizeof(ev.owner.comm)); break;
		case OPT_UNIT:          r = swemit_str(a, ev.owner.unit, sizeof(ev.owner.unit)); break;
		case OPT_HOLDERS:       r = swemit_u32(a, &ev.owner.holders); break;
		case OPT_TOP:           r = swemit_str(a, ev.top_sources, sizeof(ev.top_sources)); break;
		case OPT_COOKIE:        r = swemit_u64(a, UINT64_MAX, &ev.cookie); break;
		case OPT_COUNTER:       r = swemit_counter(a, ev.counter_delta); break;
		case OPT_LIFECYCLE:     ev.lifecycle = a; break;
		case OPT_TEXT:          r = swemit_str(a, ev.text, sizeof(ev.text)); break;
		case OPT_PRIORITY:
			r = swemit_i32(a, &priority);
			if (r == 0 && priority > LOG_DEBUG)
				r = -EINVAL;
			break;
		default:
			return swemit_usage("unknown option");
		}
		if (r < 0) {
			fprintf(stderr, "swemit: bad value for --%s: '%s'\n",
				swemit_options[idx].name, a ? a : "");
			return 2;
		}
	}
	if (optind != argc - 1)
		return swemit_usage("exactly one KIND expected");
	if (strcmp(argv[optind], "log") == 0)
		log_only = true;
	else if (swemit_kind(argv[optind], &ev.kind) < 0)
		return swemit_usage("unknown KIND");

	if (!has_queue)
		ev.queue = ev.kind == SW_EV_ACCEPT_QUEUE ? SW_QUEUE_ACCEPT :
			   ev.kind == SW_EV_SYN_QUEUE ? SW_QUEUE_SYN : SW_QUEUE_NONE;
	if (!has_percent)
		ev.percent = limits_percent(ev.depth, ev.limit);
	if (ev.kind == SW_EV_CLEARED)
		ev.level = SW_LEVEL_OK;

	r = journal_open(target, LOG_DEBUG, &j);
	if (r < 0) {
		fprintf(stderr, "swemit: journal_open: %s\n", strerror(-r));
		return 1;
	}
	for (uint64_t i = 0; i < repeat; i++) {
		if (i > 0 && interval_ms > 0) {
			struct timespec ts = { (time_t)(interval_ms / 1000),
					       (long)(interval_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (log_only) {
			journal_log(j, priority, "%s", ev.text[0] ? ev.text : "swemit diagnostic");
			continue;
		}
		r = journal_emit(j, &ev);
		if (r < 0) {
			fprintf(stderr, "swemit: journal_emit: %s\n", strerror(-r));
			rc = 1;
		}
	}
	journal_close(j);
	return rc;
}

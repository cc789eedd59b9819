/* The Prometheus exposition, written family by family into one growing
 * buffer: listeners are first gathered into series groups (one small record
 * each, with its label set written once), then each family walks them. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "grow.h"
#include "queue_limits.h"
#include "macro.h"
#include "owner.h"
#include "tracker.h"

/* grow_array() for the pointer at *p: 0 or -ENOMEM. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	void *np = grow_array(*p, cap, need, elem, 64);

	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

/* ---- the output buffer ---------------------------------------------------- */

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* s may point into b itself (a label set copied from earlier in it): its
 * offset is kept across the realloc. */
static void mb_put(struct mbuf *b, const char *s, size_t n)
{
	bool inside = b->p && s >= b->p && s < b->p + b->len;
	size_t off = inside ? (size_t)(s - b->p) : 0;

	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < b->len + n) {
			if (cap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
		if (inside)
			s = np + off;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void mb_puts(struct mbuf *b, const char *s)
{
	mb_put(b, s, strlen(s));
}

static void mb_u64(struct mbuf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	mb_put(b, tmp + i, sizeof(tmp) - i);
}

/* Seconds from microseconds, exactly: "0.001234". */
static void mb_seconds(struct mbuf *b, uint64_t usec)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64 ".%06" PRIu64, (uint64_t)(usec / USEC_PER_SEC),
			 (uint64_t)(usec % USEC_PER_SEC));

	mb_put(b, tmp, (size_t)n);
}

/* ---- label values --------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t metrics_label_escape(const char *s, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(u + i, n - i);
		const char *w = (const char *)u + i;
		size_t wn = len;

		if (len == 0) {
			w = "\xef\xbf\xbd";     /* U+FFFD */
			wn = 3;
			len = 1;
		} else if (u[i] == '\\') {
			w = "\\\\";
			wn = 2;
		} else if (u[i] == '"') {
			w = "\\\"";
			wn = 2;
		} else if (u[i] == '\n') {
			w = "\\n";
			wn = 2;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			w = "?";
			wn = 1;
		}
		if (o + wn >= size)
			break;
		memcpy(out + o, w, wn);
		o += wn;
		i += len;
	}
	out[o] = 0;
	return o;
}

/* Room for any escaped label value the exposition writes: each byte of a
 * name may become three. */
#define LABEL_MAX (3 * SW_MAX(LISTENER_STRLEN, SW_MAX(SW_UNIT_MAX, NETNS_NAME_MAX + 24)) + 1)

static void mb_label(struct mbuf *b, const char *key, const char *value, bool first)
{
	char esc[LABEL_MAX];
	size_t n = metrics_label_escape(value, esc, sizeof(esc));

	if (!first)
		mb_put(b, ",", 1);
	mb_puts(b, key);
	mb_put(b, "=\"", 2);
	mb_put(b, esc, n);
	mb_put(b, "\"", 1);
}

/* ---- series groups -------------------------------------------------------- */

struct mgroup {
	const struct sw_tracked *tr;        /* the member with the lowest cookie */
	uint32_t ns;                        /* index in the inputs' namespaces */
	size_t labels_off, labels_len;      /* netns, listener, family, port */
	uint64_t accept_depth, accept_limit, drops;
	bool kept;
};

/* A listener while gathering: its name, for the sort. */
struct mentry {
	const struct sw_tracked *tr;
	char name[LISTENER_STRLEN];
};

static int family_rank(const struct sw_tracked *tr)
{
	return tr->family == AF_INET ? 0 : tr->family == AF_INET6 ? 1 : 2;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct mentry *x = a, *y = b;
	int r = family_rank(x->tr) - family_rank(y->tr);

	if (r)
		return r;
	r = strcmp(x->name, y->name);
	if (r)
		return r;
	return x->tr->cookie < y->tr->cookie ? -1 : x->tr->cookie > y->tr->cookie;
}

static const char *family_label(const struct sw_tracked *tr)
{
	return tr->family == AF_UNIX ? "unix" : tr->family == AF_INET6 ? "inet6" : "inet";
}


struct mstate {
	const struct sw_status_inputs *in;
	struct mbuf out;
	struct mbuf labels;                 /* every group's label set, and the namespaces' */
	struct mgroup *g;
	size_t n_g, cap_g;
	size_t *ns_labels_off, *ns_labels_len;
	size_t omitted;
	int err;
};

static int ns_index_cmp(const void *a, const void *b, void *userdata)
{
	const struct sw_status_ns *ns = userdata;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = strcmp(nsinfo_name(status_ns_info(&ns[x])), nsinfo_name(status_ns_info(&ns[y])));

	return r ? r : x < y ? -1 : x > y;
}

/* The namespaces' netns label values: the name, with " (netns ID)" added
 * when an earlier namespace of the inputs has that name too. */
static int ns_labels(struct mstate *st)
{
	const struct sw_status_inputs *in = st->in;
	size_t n = in->n_ns ? in->n_ns : 1;
	_cleanup_free_ size_t *order = calloc(n, sizeof(size_t));
	_cleanup_free_ bool *dup = calloc(n, sizeof(bool));

	st->ns_labels_off = calloc(n, sizeof(size_t));
	st->ns_labels_len = calloc(n, sizeof(size_t));
	if (!order || !dup || !st->ns_labels_off || !st->ns_labels_len)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_ns; i++)
		order[i] = i;
	qsort_r(order, in->n_ns, sizeof(*order), ns_index_cmp, (void *)in->ns);
	for (size_t k = 1; k < in->n_ns; k++)
		dup[order[k]] = strcmp(nsinfo_name(status_ns_info(&in->ns[order[k]])),
				       nsinfo_name(status_ns_info(&in->ns[order[k - 1]]))) == 0;
	for (size_t i = 0; i < in->n_ns; i++) {
		const struct sw_nsinfo *info = status_ns_info(&in->ns[i]);
		const char *name = nsinfo_name(info);
		char buf[NETNS_NAME_MAX + 24];

		if (dup[i]) {
			snprintf(buf, sizeof(buf), "%s (netns %" PRIu64 ")", name, info->id);
			name = buf;
		}
		st->ns_labels_off[i] = st->labels.len;
		mb_label(&st->labels, "netns", name, true);
		st->ns_labels_len[i] = st->labels.len - st->ns_labels_off[i];
	}
	return st->labels.oom ? -ENOMEM : 0;
}

static int group_add(struct mstate *st, size_t ns, const struct mentry *e)
{
	struct mgroup *g;
	char port[8];
	int r;

	r = grow((void **)&st->g, &st->cap_g, st->n_g + 1, sizeof(*st->g));
	if (r < 0)
		return r;
	g = &st->g[st->n_g++];
	*g = (struct mgroup){ .tr = e->tr, .ns = (uint32_t)ns, .labels_off = st->labels.len };
	mb_put(&st->labels, st->labels.p + st->ns_labels_off[ns], st->ns_labels_len[ns]);
	mb_label(&st->labels, "listener", e->name, false);
	mb_label(&st->labels, "family", family_label(e->tr), false);
	if (e->tr->family != AF_UNIX) {
		snprintf(port, sizeof(port), "%u", e->tr->port);
		mb_label(&st->labels, "port", port, false);
	}
	g->labels_len = st->labels.len - g->labels_off;
	return st->labels.oom ? -ENOMEM : 0;
}

/* One namespace's listeners into groups; busy[] marks the groups worth
 * keeping first. */
static int gather_ns(struct mstate *st, size_t ns, struct mentry **scratch, size_t *cap,
		     bool **busyv, size_t *cap_busy)
{
	const struct sw_tracker *t = st->in->ns[ns].tracker;
	size_t n = tracker_count(t);
	int r;

	r = grow((void **)scratch, cap, n ? n : 1, sizeof(**scratch));
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct mentry *e = &(*scratch)[i];

		e->tr = tracker_get(t, i);
		tracker_listener_name(e->tr, e->name, sizeof(e->name));
	}
	qsort(*scratch, n, sizeof(**scratch), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct mentry *e = &(*scratch)[i];
		const struct sw_tracked *tr = e->tr;
		struct sw_ctl_listener_facts facts;
		bool same = i > 0 && family_rank(tr) == family_rank(e[-1].tr) &&
			    strcmp(e->name, e[-1].name) == 0;
		struct mgroup *g;

		if (!same) {
			r = group_add(st, ns, e);
			if (r < 0)
				return r;
			r = grow((void **)busyv, cap_busy, st->n_g, sizeof(**busyv));
			if (r < 0)
				return r;
			(*busyv)[st->n_g - 1] = false;
		}
		g = &st->g[st->n_g - 1];
		g->accept_depth += tr->accept.depth;
		g->accept_limit += tr->accept.limit;
		g->drops += tr->drops.total;
		/* busy: what plain status would show, the one idle rule */
		status_listener_facts(status_ns_info(&st->in->ns[ns]), tr, e->name, &facts);
		if (!protocol_facts_idle(&facts))
			(*busyv)[st->n_g - 1] = true;
	}
	return 0;
}

/* Every namespace's groups, then which of them are written. */
static int gather(struct mstate *st, size_t max)
{
	_cleanup_free_ struct mentry *scratch = NULL;
	_cleanup_free_ bool *busyv = NULL;
	size_t cap = 0, cap_busy = 0, kept = 0;
	int r;

	for (size_t i = 0; i < st->in->n_ns; i++) {
		r = gather_ns(st, i, &scratch, &cap, &busyv, &cap_busy);
		if (r < 0)
			return r;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->n_g; i++)
			if (!st->g[i].kept && (pass == 1 || busyv[i]) && kept < max) {
				st->g[i].kept = true;
				kept++;
			}
	st->omitted = st->n_g - kept;
	return 0;
}

/* ---- the families --------------------------------------------------------- */

static void family_head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_puts(b, "# HELP ");
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_puts(b, help);
	mb_puts(b, "\n# TYPE ");
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_puts(b, type);
	mb_put(b, "\n", 1);
}

/* name{labels} value */
static void sample_open(struct mbuf *b, const char *name, const struct mbuf *labels, size_t off,
			size_t len)
{
	mb_puts(b, name);
	mb_put(b, "{", 1);
	mb_put(b, labels->p + off, len);
}

static void sample_u64(struct mbuf *b, const char *name, const struct mbuf *labels, size_t off,
		       size_t len, uint64_t v)
{
	sample_open(b, name, labels, off, len);
	mb_put(b, "} ", 2);
	mb_u64(b, v);
	mb_put(b, "\n", 1);
}

enum lfield { L_ACCEPT_LEN, L_ACCEPT_LIMIT, L_SYN_LEN, L_SYN_LIMIT, L_DROPS };

static const struct {
	const char *name, *type, *help;
} lfamilies[] = {
	[L_ACCEPT_LEN] = { "sockwatch_accept_queue_length", "gauge",
			   "Connections waiting in the listener's accept queue (ss Recv-Q), summed over its sockets." },
	[L_ACCEPT_LIMIT] = { "sockwatch_accept_queue_limit", "gauge",
			     "The accept queue's limit, min(listen() backlog, net.core.somaxconn at listen()) (ss Send-Q), summed over its sockets." },
	[L_SYN_LEN] = { "sockwatch_syn_queue_length", "gauge",
			"Half-open connections in the TCP listener's SYN queue at its last SYN scan." },
	[L_SYN_LIMIT] = { "sockwatch_syn_queue_limit", "gauge",
			  "The SYN queue's limit the running kernel enforces." },
	[L_DROPS] = { "sockwatch_listen_drops_total", "counter",
		      "Connections the TCP listener dropped (its sk_drops) since sockwatchd first saw it." },
};

static void listener_family(struct mstate *st, enum lfield f)
{
	struct mbuf *b = &st->out;

	family_head(b, lfamilies[f].name, lfamilies[f].type, lfamilies[f].help);
	for (size_t i = 0; i < st->n_g; i++) {
		const struct mgroup *g = &st->g[i];
		const struct sw_tracked *tr = g->tr;
		uint64_t v;

		if (!g->kept)
			continue;
		switch (f) {
		case L_ACCEPT_LEN:   v = g->accept_depth; break;
		case L_ACCEPT_LIMIT: v = g->accept_limit; break;
		case L_SYN_LEN:
			if (tr->family == AF_UNIX || !tr->syn_scanned)
				continue;
			v = tr->syn.depth;
			break;
		case L_SYN_LIMIT:
			if (tr->family == AF_UNIX)
				continue;
			v = tr->syn.limit;
			break;
		case L_DROPS:
			if (tr->family == AF_UNIX)
				continue;
			v = g->drops;
			break;
		default:
			continue;
		}
		sample_u64(b, lfamilies[f].name, &st->labels, g->labels_off, g->labels_len, v);
	}
}

static void listener_info(struct mstate *st)
{
	const struct sw_status_inputs *in = st->in;
	struct mbuf *b = &st->out;

	family_head(b, "sockwatch_listener_info", "gauge",
		    "1 per listener: who holds it (unit, comm), which setting binds its accept queue (limit_source) and its SYN queue mode.");
	for (size_t i = 0; i < st->n_g; i++) {
		const struct mgroup *g = &st->g[i];
		const struct sw_tracked *tr = g->tr;
		struct sw_owner ow = { 0 };

		if (!g->kept)
			continue;
		if (!in->owner || in->owner(in->owner_userdata, tr, &ow) < 0)
			ow = (struct sw_owner){ 0 };
		sample_open(b, "sockwatch_listener_info", &st->labels, g->labels_off, g->labels_len);
		mb_label(b, "unit", ow.unit, false);
		mb_label(b, "comm", ow.comm, false);
		mb_label(b, "limit_source", limits_source_name(tr->accept.source), false);
		if (tr->family != AF_UNIX)
			mb_label(b, "syn_mode", limits_syn_mode_name(tr->syn_mode), false);
		mb_puts(b, "} 1\n");
	}
}

enum nfield { N_SOMAXCONN, N_MAX_SYN_BACKLOG, N_SYNCOOKIES, N_OVERFLOWS, N_DROPS };

static const struct {
	const char *name, *type, *help;
} nfamilies[] = {
	[N_SOMAXCONN] = { "sockwatch_somaxconn", "gauge", "net.core.somaxconn of the namespace." },
	[N_MAX_SYN_BACKLOG] = { "sockwatch_tcp_max_syn_backlog", "gauge",
				"net.ipv4.tcp_max_syn_backlog of the namespace." },
	[N_SYNCOOKIES] = { "sockwatch_tcp_syncookies", "gauge",
			   "net.ipv4.tcp_syncookies of the namespace (0 off, 1 on overflow, 2 always)." },
	[N_OVERFLOWS] = { "sockwatch_netns_listen_overflows_total", "counter",
			  "TcpExt ListenOverflows of the namespace: connections dropped at a full accept queue." },
	[N_DROPS] = { "sockwatch_netns_listen_drops_total", "counter",
		      "TcpExt ListenDrops of the namespace: every connection its listeners dropped." },
};

static void ns_family(struct mstate *st, enum nfield f)
{
	struct mbuf *b = &st->out;

	family_head(b, nfamilies[f].name, nfamilies[f].type, nfamilies[f].help);
	for (size_t i = 0; i < st->in->n_ns; i++) {
		const struct sw_ns_state *ns = tracker_ns(st->in->ns[i].tracker);
		int64_t v = -1;

		switch (f) {
		case N_SOMAXCONN:       v = ns->sysctl.somaxconn; break;
		case N_MAX_SYN_BACKLOG: v = ns->sysctl.max_syn_backlog; break;
		case N_SYNCOOKIES:      v = ns->sysctl.syncookies; break;
		case N_OVERFLOWS:
			if (netstat_has(&ns->counters, SW_CTR_LISTEN_OVERFLOWS))
				v = (int64_t)ns->counters.value[SW_CTR_LISTEN_OVERFLOWS];
			break;
		case N_DROPS:
			if (netstat_has(&ns->counters, SW_CTR_LISTEN_DROPS))
				v = (int64_t)ns->counters.value[SW_CTR_LISTEN_DROPS];
			break;
		}
		if (v < 0)
			continue;   /* not read (yet) */
		sample_u64(b, nfamilies[f].name, &st->labels, st->ns_labels_off[i],
			   st->ns_labels_len[i], (uint64_t)v);
	}
}

static void ns_info_family(struct mstate *st)
{
	struct mbuf *b = &st->out;

	family_head(b, "sockwatch_namespace_info", "gauge",
		    "1 per watched network namespace: its id and, for a container's, the container id and pod uid.");
	for (size_t i = 0; i < st->in->n_ns; i++) {
		const struct sw_nsinfo *info = status_ns_info(&st->in->ns[i]);
		char id[24] = "";

		if (info->id)
			snprintf(id, sizeof(id), "%" PRIu64, info->id);
		sample_open(b, "sockwatch_namespace_info", &st->labels, st->ns_labels_off[i],
			    st->ns_labels_len[i]);
		mb_label(b, "netns_id", id, false);
		mb_label(b, "container", info->own ? "" : info->name.container, false);
		mb_label(b, "pod_uid", info->own ? "" : info->name.pod_uid, false);
		mb_puts(b, "} 1\n");
	}
}

static void daemon_u64(struct mbuf *b, const char *name, const char *type, const char *help,
		       uint64_t v)
{
	family_head(b, name, type, help);
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_u64(b, v);
	mb_put(b, "\n", 1);
}

static void daemon_seconds(struct mbuf *b, const char *name, const char *help, uint64_t usec)
{
	family_head(b, name, "gauge", help);
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_seconds(b, usec);
	mb_put(b, "\n", 1);
}

static void daemon_families(struct mstate *st, const struct sw_metrics_opts *o)
{
	const struct sw_status_daemon *d = st->in->daemon;
	struct mbuf *b = &st->out;

	family_head(b, "sockwatch_build_info", "gauge", "1, with the version of sockwatchd.");
	mb_puts(b, "sockwatch_build_info{");
	mb_label(b, "version", o->version ? o->version : "", true);
	mb_puts(b, "} 1\n");
	daemon_u64(b, "sockwatch_polls_total", "counter", "Listener polls completed.", d->polls);
	daemon_u64(b, "sockwatch_poll_errors_total", "counter",
		   "Dumps and reads of a poll that failed (sockwatchctl status says which).",
		   d->poll_errors);
	daemon_u64(b, "sockwatch_late_polls_total", "counter",
		   "Polls that started later than their lateness threshold.", d->late_polls);
	daemon_seconds(b, "sockwatch_poll_duration_seconds",
		       "Wall-clock time the last listener poll took.", d->last_poll_wall_us);
	daemon_seconds(b, "sockwatch_syn_scan_duration_seconds",
		       "CPU time the last SYN_RECV scan of a namespace took.", d->syn_last_cost_us);
	if (o->last_poll_realtime_usec)
		daemon_seconds(b, "sockwatch_last_poll_timestamp_seconds",
			       "When the last listener poll completed, in seconds since the epoch.",
			       o->last_poll_realtime_usec);
	daemon_u64(b, "sockwatch_listeners_omitted", "gauge",
		   "Listeners left out of these metrics by [metrics] max_listeners.", st->omitted);
}

int metrics_format(const struct sw_status_inputs *in, const struct sw_metrics_opts *o,
		   char **ret, size_t *ret_len)
{
	struct mstate st = { .in = in };
	int r;

	r = ns_labels(&st);
	if (r >= 0)
		r = gather(&st, o->max_listeners);
	if (r >= 0) {
		for (enum lfield f = L_ACCEPT_LEN; f <= L_DROPS; f++)
			listener_family(&st, f);
		listener_info(&st);
		for (enum nfield f = N_SOMAXCONN; f <= N_DROPS; f++)
			ns_family(&st, f);
		ns_info_family(&st);
		daemon_families(&st, o);
		if (st.out.oom)
			r = -ENOMEM;
	}
	free(st.labels.p);
	free(st.g);
	free(st.ns_labels_off);
	free(st.ns_labels_len);
	if (r < 0) {
		free(st.out.p);
		return r;
	}
	*ret = st.out.p;
	*ret_len = st.out.len;
	return 0;
}

int metrics_format_process(const struct sw_metrics_process *p, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "# HELP process_cpu_seconds_total User and system CPU time of sockwatchd's main process.\n"
			 "# TYPE process_cpu_seconds_total counter\n"
			 "process_cpu_seconds_total %.6f\n"
			 "# HELP process_resident_memory_bytes Resident memory of sockwatchd's main process.\n"
			 "# TYPE process_resident_memory_bytes gauge\n"
			 "process_resident_memory_bytes %" PRIu64 "\n"
			 "# HELP process_virtual_memory_bytes Virtual memory of sockwatchd's main process.\n"
			 "# TYPE process_virtual_memory_bytes gauge\n"
			 "process_virtual_memory_bytes %" PRIu64 "\n"
			 "# HELP process_open_fds File descriptors sockwatchd's main process holds.\n"
			 "# TYPE process_open_fds gauge\n"
			 "process_open_fds %" PRIu64 "\n"
			 "# HELP process_max_fds Its limit of file descriptors.\n"
			 "# TYPE process_max_fds gauge\n"
			 "process_max_fds %" PRIu64 "\n"
			 "# HELP process_start_time_seconds When it started, in seconds since the epoch.\n"
			 "# TYPE process_start_time_seconds gauge\n"
			 "process_start_time_seconds %.3f\n",
			 p->cpu_seconds, p->resident_bytes, p->virtual_bytes, p->open_fds,
			 p->max_fds, p->start_time_seconds);

	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}

/* The status document (protocol.h), written a listener at a time from the
 * trackers' records, one tracker per namespace (see status.h). */
#include "status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "jsoncleanup.h"
#include "queue_limits.h"
#include "netstat.h"
#include "order.h"
#include "protocol.h"
#include "text.h"
#include "macro.h"

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* Constructors of JSON values; NULL (JSON null) for what is unknown. */
static struct json_object *new_int(int64_t v) { return json_object_new_int64(v); }
static struct json_object *new_uint(uint64_t v) { return json_object_new_uint64(v); }
static struct json_object *new_str(const char *s) { return s ? json_object_new_string(s) : NULL; }

/* Truncated as text_percent_value() says, so that a script comparing it
 * with a threshold agrees with the rule that set the level. */
static struct json_object *new_pct(double v)
{
	return json_object_new_double(text_percent_value(v));
}

static struct json_object *new_sysctl(int32_t v)
{
	return v < 0 ? NULL : new_int(v);
}

static struct json_object *thresholds_json(const struct sw_thresholds *th)
{
	struct json_object *o = json_object_new_object();

	add(o, "warn", new_pct(th->warn));
	add(o, "critical", new_pct(th->critical));
	add(o, "clear", new_pct(th->clear));
	return o;
}

static struct json_object *counters_json(const struct sw_netstat *n, const uint64_t *delta,
					 uint32_t known)
{
	struct json_object *o = json_object_new_object();

	for (int c = 0; c < _SW_CTR_MAX; c++) {
		bool have = delta ? (known & (1u << c)) : netstat_has(n, (enum sw_counter)c);

		add(o, netstat_counter_name((enum sw_counter)c),
		    have ? new_uint(delta ? delta[c] : n->value[c]) : NULL);
	}
	return o;
}

const char *status_netns_kind_name(enum netns_kind k)
{
	switch (k) {
	case NETNS_KIND_HOST:         return "host";
	case NETNS_KIND_POD:          return "pod";
	case NETNS_KIND_CONTAINER:    return "container";
	case NETNS_KIND_NETNS:        return "netns";
	case NETNS_KIND_DOCKER_NETNS: return "docker-netns";
	case NETNS_KIND_PID:          return "pid";
	}
	return NULL;
}



/* A fixed array filled elsewhere: its text when non-empty and terminated,
 * else NULL (JSON null). */
static struct json_object *new_fixed(const char *s, size_t size)
{
	return s[0] && memchr(s, 0, size) ? new_str(s) : NULL;
}

static struct json_object *new_age(uint64_t ms)
{
	return ms == UINT64_MAX ? NULL : new_uint(ms);
}

static struct json_object *new_errno(int e)
{
	return e < 0 ? new_str(strerror(-e)) : NULL;
}

/* "id" is the name, as before namespaces had names: scripts and older
 * sockwatchctl match listeners[].netns against it. */
static struct json_object *namespace_json(const struct sw_status_ns *n,
					  const struct sw_status_daemon *d)
{
	const struct sw_nsinfo *info = status_ns_info(n);
	const struct sw_ns_state *ns = tracker_ns(n->tracker);
	struct json_object *o = json_object_new_object(), *syn;
	uint64_t inode = info->inode ? info->inode : info->own ? d->netns_inode : 0;

	add(o, "id", new_str(nsinfo_name(info)));
	add(o, "name", new_str(nsinfo_name(info)));
	add(o, "netns_id", info->id ? new_uint(info->id) : NULL);
	add(o, "inode", inode ? new_uint(inode) : NULL);
	add(o, "own", json_object_new_boolean(info->own));
	add(o, "kind", new_str(status_netns_kind_name(info->own ? NETNS_KIND_HOST
								 : info->name.kind)));
	add(o, "container", info->own ? NULL : new_fixed(info->name.container,
							 sizeof(info->name.container)));
	add(o, "pod_uid", info->own ? NULL : new_fixed(info->name.pod_uid,
						       sizeof(info->name.pod_uid)));
	add(o, "listeners", new_uint(tracker_count(n->tracker)));
	add(o, "age_ms", new_age(n->age_ms));
	add(o, "last_error", new_errno(n->last_error));
	add(o, "unwatched_listeners", new_uint(n->unwatched_listeners));
	add(o, "last_poll_age_ms", new_age(n->last_poll_age_ms));
	syn = json_object_new_object();
	add(syn, "last_age_ms", new_age(n->syn_last_age_ms));
	add(syn, "scans", new_uint(n->syn_scans));
	add(o, "syn_scan", syn);
	add(o, "somaxconn", new_sysctl(ns->sysctl.somaxconn));
	add(o, "tcp_max_syn_backlog", new_sysctl(ns->sysctl.max_syn_backlog));
	add(o, "tcp_syncookies", new_sysctl(ns->sysctl.syncookies));
	add(o, "counters", counters_json(&ns->counters, NULL, 0));
	add(o, "deltas", counters_json(&ns->counters, ns->delta, ns->delta_known));
	return o;
}

static struct json_object *queue_json(const struct sw_queue_figures *q, bool known)
{
	struct json_object *o = json_object_new_object();

	add(o, "depth", known ? new_uint(q->depth) : NULL);
	add(o, "limit", new_uint(q->limit));
	add(o, "percent", known ? new_pct(q->percent) : NULL);
	add(o, "peak", known ? new_uint(q->peak) : NULL);
	add(o, "window_peak", known ? new_uint(q->window_peak) : NULL);
	add(o, "limit_source", new_str(limits_source_name(q->source)));
	return o;
}

static struct json_object *process_json(const struct sw_status_inputs *in,
					const struct sw_tracked *tr)
{
	struct sw_owner ow;
	struct json_object *o;

	if (!in->owner || in->owner(in->owner_userdata, tr, &ow) < 0)
		return NULL;
	o = json_object_new_object();
	add(o, "pid", ow.pid > 0 ? new_int(ow.pid) : NULL);
	add(o, "comm", ow.comm[0] ? new_str(ow.comm) : NULL);
	add(o, "unit", ow.unit[0] ? new_str(ow.unit) : NULL);
	add(o, "holders", ow.holders ? new_uint(ow.holders) : NULL);
	return o;
}

static struct json_object *history_json(const struct sw_tracked *tr, uint64_t now_usec)
{
	struct sw_history_point pts[SW_HISTORY_SLOTS];
	struct json_object *a = json_object_new_array();

	if (!tr->detail)
		return a;
	tracker_history(tr, pts);
	for (size_t i = 0; i < SW_HISTORY_SLOTS; i++) {
		uint64_t end = pts[i].start_usec + SW_HISTORY_SLOT_USEC;
		struct json_object *p;

		if (!pts[i].has_accept && !pts[i].has_syn)
			continue;
		p = json_object_new_object();
		/* Age of the slot's end: 0 for the slot still being filled. */
		add(p, "age_ms", new_uint(now_usec > end ? (now_usec - end) / USEC_PER_MSEC : 0));
		add(p, "accept", pts[i].has_accept ? new_uint(pts[i].accept_peak) : NULL);
		add(p, "syn", pts[i].has_syn ? new_uint(pts[i].syn_peak) : NULL);
		json_object_array_add(a, p);
	}
	return a;
}

static struct json_object *top_sources_json(const struct sw_tracked *tr)
{
	struct json_object *a = json_object_new_array();
	char buf[INET6_ADDRSTRLEN];

	if (!tr->detail)
		return a;
	for (uint32_t i = 0; i < tr->detail->n_top; i++) {
		const struct sw_top_source *s = &tr->detail->top[i];
		struct json_object *p = json_object_new_object();

		add(p, "address", new_str(addr_str(s->family, s->addr, buf, sizeof(buf))));
		add(p, "count", new_uint(s->count));
		json_object_array_add(a, p);
	}
	return a;
}

static struct json_object *listener_json(const struct sw_status_inputs *in,
					 const struct sw_nsinfo *info, const struct sw_tracked *tr)
{
	uint64_t now_usec = in->now_usec;
	struct json_object *o = json_object_new_object(), *q;
	char ep[LISTENER_STRLEN], a[INET6_ADDRSTRLEN];
	const struct sw_thresholds *th;
	bool ignore;

	add(o, "listener", new_str(tracker_listener_name(tr, ep, sizeof(ep))));
	add(o, "netns", new_str(nsinfo_name(info)));
	add(o, "netns_id", info->id ? new_uint(info->id) : NULL);
	if (tr->family == AF_UNIX) {
		add(o, "family", new_str("unix"));
		add(o, "address", NULL);
		add(o, "port", NULL);
		add(o, "path", new_str(ep));
		add(o, "type", new_str(usnap_type_name(tr->sock_type)));
		add(o, "abstract", json_object_new_boolean(tr->abstract));
		add(o, "relative", json_object_new_boolean(tr->relative));
	} else {
		add(o, "family", new_str(tr->family == AF_INET6 ? "inet6" : "inet"));
		add(o, "address", new_str(addr_str(tr->family, tr->addr, a, sizeof(a))));
		add(o, "port", new_uint(tr->port));
	}
	add(o, "cookie", new_uint(tr->cookie));
	add(o, "inode", new_uint(tr->inode));
	add(o, "uid", new_uint(tr->uid));
	if (tr->family == AF_INET6)
		add(o, "v6only", json_object_new_boolean(tr->v6only));

	q = queue_json(&tr->accept, true);
	add(q, "somaxconn_stale", json_object_new_boolean(tr->somaxconn_stale));
	add(q, "full", json_object_new_boolean(tr->full.polls > 0));
	add(q, "full_polls", new_uint(tr->full.polls));
	add(q, "full_ms", new_uint(tr->full.polls && tr->last_seen_usec >= tr->full.since_usec ?
				   (tr->last_seen_usec - tr->full.since_usec) / USEC_PER_MSEC : 0));
	add(o, "accept", q);
	if (tr->family == AF_UNIX) {
		/* Only the accept queue applies; the kernel counts no drops. */
		add(o, "syn", NULL);
		add(o, "drops", NULL);
		add(o, "state", new_str(event_level_name(tr->level)));
		add(o, "process", process_json(in, tr));
		th = config_thresholds_for_path(in->cfg, nsinfo_name(info), tr->path ? tr->path : "",
						&ignore);
		add(o, "thresholds", thresholds_json(th));
		add(o, "history", history_json(tr, now_usec));
		add(o, "top_sources", json_object_new_array());
		return o;
	}

	q = queue_json(&tr->syn, tr->syn_scanned);
	add(q, "mode", new_str(limits_syn_mode_name(tr->syn_mode)));
	add(q, "scanned", json_object_new_boolean(tr->syn_scanned));
	add(q, "members", new_uint(tr->syn_members));
	add(o, "syn", q);

	q = json_object_new_object();
	add(q, "total", new_uint(tr->drops.total));
	add(q, "delta", new_uint(tr->drops.delta));
	add(q, "unreported", new_uint(tr->drops_rule.unreported));
	add(q, "last_age_ms", tr->drops.last_usec && now_usec >= tr->drops.last_usec ?
			      new_uint((now_usec - tr->drops.last_usec) / USEC_PER_MSEC) : NULL);
	/* The listener's own sk_drops as the kernel reports it (ss's d<N>). */
	add(q, "kernel", tr->drops.known ? new_uint(tr->drops.last_raw) : NULL);
	add(o, "drops", q);

	add(o, "state", new_str(event_level_name(tr->level)));
	add(o, "process", process_json(in, tr));

	/* The same lookup as the tracker's, so the thresholds shown are those in force. */
	th = config_thresholds_for(in->cfg, nsinfo_name(info), tr->family, tr->addr, tr->port, &ignore);
	add(o, "thresholds", thresholds_json(th));
	add(o, "history", history_json(tr, now_usec));
	add(o, "top_sources", top_sources_json(tr));
	return o;
}

/* The fill as the document gives it, so sockwatchctl sorts the same. */
static double fullness(const struct sw_tracked *tr)
{
	bool syn_counts = tr->syn_scanned && tr->syn_mode != SW_SYN_COOKIES_ALWAYS;

	return text_percent_value(order_fuller(tr->accept.percent, syn_counts, tr->syn.percent, NULL));
}

struct status_entry {
	const struct sw_tracked *tr;
	const struct sw_nsinfo *info;
	size_t ns;                      /* index in the inputs: the last tie-break */
	struct order_key key;
};

/* Fullest first across every namespace (order.h); the namespace's place
 * breaks a tie of two namespaces of one name, which nsset never makes. */
static int entry_cmp(const void *a, const void *b)
{
	const struct status_entry *x = a, *y = b;
	int r = order_fullest(&x->key, &y->key);

	return r ? r : (x->ns > y->ns) - (x->ns < y->ns);
}

bool status_keep_ns_for_request(void *request, const struct sw_nsinfo *ns)
{
	return protocol_request_wants_netns(request, nsinfo_name(ns));
}

bool status_keep_for_request(void *request, const struct sw_nsinfo *ns,
			     const struct sw_tracked *tr)
{
	const struct sw_ctl_request *req = request;
	struct sw_ctl_listener_facts facts;
	char name[LISTENER_STRLEN];

	status_listener_facts(ns, tr, tracker_listener_name(tr, name, sizeof(name)), &facts);
	return protocol_request_wants(req, &facts);
}

static bool keeps_ns(const struct sw_status_filter *f, const struct sw_status_ns *n)
{
	return !f || !f->keep_ns || f->keep_ns(f->userdata, status_ns_info(n));
}

/* The set of namespaces: how many, and whether all are watched. */
static struct json_object *nsset_json(const struct sw_status_nsset *s)
{
	struct json_object *o = json_object_new_object();

	add(o, "mode", new_str(s->all ? "all" : "own"));
	add(o, "own_only_reason", s->all ? NULL : new_str(s->own_only_reason));
	add(o, "watched", new_uint(s->watched));
	add(o, "max", s->max ? new_uint(s->max) : NULL);
	add(o, "unwatched", new_uint(s->unwatched));
	add(o, "filtered", new_uint(s->filtered));
	add(o, "found", new_uint(s->found));
	add(o, "released", new_uint(s->released));
	add(o, "discoveries", new_uint(s->discoveries));
	add(o, "last_discovery_age_ms", new_age(s->last_discovery_age_ms));
	add(o, "last_discovery_cpu_us", new_uint(s->last_discovery_cpu_us));
	add(o, "last_discovery_wall_us", new_uint(s->last_discovery_wall_us));
	add(o, "last_error", new_errno(s->last_error));
	return o;
}

/* Where alerts go and what waits for the journal; the fields about the
 * journal are null when the target is stderr. */
static struct json_object *journal_json(const struct sw_status_daemon *d)
{
	const struct sw_journal_stats *j = &d->journal;
	struct json_object *o = json_object_new_object();

	add(o, "target", new_str(d->log_target));
	add(o, "reachable", j->active ? json_object_new_boolean(j->reachable) : NULL);
	add(o, "outages", new_uint(j->outages));
	add(o, "queued", new_uint(j->queued));
	add(o, "queue_max", new_uint(j->queue_max));
	add(o, "replayed", new_uint(j->replayed));
	add(o, "dropped", new_uint(j->dropped));
	add(o, "stderr_lost", new_uint(j->stderr_lost));
	return o;
}

static struct json_object *metrics_json(const struct sw_status_daemon *d)
{
	const struct sw_status_metrics *mt = &d->metrics;
	struct json_object *o = json_object_new_object();

	add(o, "listen", new_str(mt->listen));
	add(o, "scrapes", new_uint(mt->scrapes));
	add(o, "refused", new_uint(mt->refused));
	add(o, "errors", new_uint(mt->errors));
	add(o, "expired", new_uint(mt->expired));
	add(o, "textfile", new_str(mt->textfile));
	add(o, "textfile_writes", new_uint(mt->textfile_writes));
	add(o, "textfile_errors", new_uint(mt->textfile_errors));
	add(o, "textfile_last_error", new_errno(mt->textfile_last_error));
	return o;
}

static struct json_object *seams_json(const struct sw_status_daemon *d)
{
	struct json_object *o;

	if (!d->test_faults && !d->proc_root)
		return NULL;
	o = json_object_new_object();
	add(o, "faults", new_str(d->test_faults));
	add(o, "faults_injected", new_uint(d->faults_injected));
	add(o, "netlink_rcvbuf", d->rcvbuf ? new_uint(d->rcvbuf) : NULL);
	add(o, "proc_root", new_str(d->proc_root));
	return o;
}

/* The listeners f keeps of the namespaces it keeps, fullest first across
 * all of them (borrowed pointers, the array malloc'd); *ret_hidden counts
 * the others of those namespaces. */
static struct status_entry *listeners_chosen(const struct sw_status_inputs *in,
					     const struct sw_status_filter *f, size_t *ret_n,
					     size_t *ret_hidden)
{
	size_t n = 0, k = 0, hidden = 0;
	struct status_entry *e;

	for (size_t j = 0; j < in->n_ns; j++)
		if (keeps_ns(f, &in->ns[j]))
			n += tracker_count(in->ns[j].tracker);
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return NULL;
	for (size_t j = 0; j < in->n_ns; j++) {
		const struct sw_nsinfo *info = status_ns_info(&in->ns[j]);
		const struct sw_tracker *t = in->ns[j].tracker;
		size_t m;

		if (!keeps_ns(f, &in->ns[j]))
			continue;
		m = tracker_count(t);
		for (size_t i = 0; i < m; i++) {
			const struct sw_tracked *tr = tracker_get(t, i);

			if (f && f->keep && !f->keep(f->userdata, info, tr)) {
				hidden++;
				continue;
			}
			e[k++] = (struct status_entry){
				.tr = tr,
				.info = info,
				.ns = j,
				.key = {
					.level = (int)tr->level,
					.fill = fullness(tr),
					.drops_delta = (int64_t)tr->drops.delta,
					.port = tr->port,
					.cookie = tr->cookie,
					.netns = nsinfo_name(info),
				},
			};
		}
	}
	qsort(e, k, sizeof(*e), entry_cmp);
	*ret_n = k;
	*ret_hidden = hidden;
	return e;
}

/* Everything but "listeners". */
static struct json_object *document_head(const struct sw_status_inputs *in,
					 const struct sw_status_filter *f)
{
	const struct sw_status_daemon *d = in->daemon;
	struct json_object *doc, *dm, *syn, *arr;

	doc = json_object_new_object();
	if (!doc)
		return NULL;
	add(doc, "version", new_int(1));
	dm = json_object_new_object();
	add(dm, "version", new_str(SW_VERSION));
	add(dm, "pid", new_int(d->pid));
	add(dm, "uptime_ms", new_uint(d->uptime_ms));
	add(dm, "interval_ms", new_uint(d->interval_ms));
	add(dm, "fast_interval_ms", new_uint(d->fast_interval_ms));
	add(dm, "current_interval_ms", new_uint(d->current_interval_ms));
	add(dm, "polls", new_uint(d->polls));
	add(dm, "last_poll_ok", d->last_poll_ok < 0 ? NULL : json_object_new_boolean(d->last_poll_ok));
	add(dm, "last_poll_age_ms", d->last_poll_age_ms == UINT64_MAX ? NULL
				   : new_uint(d->last_poll_age_ms));
	add(dm, "poll_errors", new_uint(d->poll_errors));
	add(dm, "last_error", new_str(d->last_error));
	add(dm, "last_poll_us", new_uint(d->last_poll_us));
	add(dm, "skipped_messages", new_uint(d->skipped_msgs));
	add(dm, "skipped_attributes", new_uint(d->skipped_attrs));
	add(dm, "dump_retries", new_uint(d->dump_retries));
	add(dm, "owner_unknown_reason", new_str(d->owner_unknown_reason));
	add(dm, "helper_pid", d->helper_pid > 0 ? new_int(d->helper_pid) : NULL);
	add(dm, "no_helper_reason", d->helper_pid > 0 ? NULL : new_str(d->no_helper_reason));
	add(dm, "last_error_age_ms",
	    d->last_error_age_ms == UINT64_MAX ? NULL : new_uint(d->last_error_age_ms));
	add(dm, "late_polls", new_uint(d->late_polls));
	add(dm, "late_threshold_us", new_uint(d->late_threshold_us));
	add(dm, "last_poll_lateness_us", new_uint(d->last_poll_lateness_us));
	add(dm, "max_poll_lateness_us", new_uint(d->max_poll_lateness_us));
	add(dm, "last_poll_wall_us", new_uint(d->last_poll_wall_us));
	add(dm, "max_poll_wall_us", new_uint(d->max_poll_wall_us));
	add(dm, "journal", journal_json(d));
	add(dm, "metrics", metrics_json(d));
	add(dm, "test_seams", seams_json(d));
	syn = json_object_new_object();
	add(syn, "mode", new_str(d->syn_mode));
	add(syn, "interval_ms", new_uint(d->syn_interval_ms));
	add(syn, "last_cost_us", new_uint(d->syn_last_cost_us));
	add(syn, "scans", new_uint(d->syn_scans));
	add(syn, "last_age_ms", d->syn_last_age_ms == UINT64_MAX ? NULL : new_uint(d->syn_last_age_ms));
	add(syn, "requests", new_uint(d->syn_requests));
	add(syn, "unmatched", new_uint(d->syn_unmatched));
	add(dm, "syn_scan", syn);
	add(dm, "namespaces", nsset_json(&d->namespaces));
	add(doc, "daemon", dm);

	add(doc, "alerts", thresholds_json(&in->cfg->th));

	arr = json_object_new_array();
	for (size_t j = 0; j < in->n_ns; j++)
		if (keeps_ns(f, &in->ns[j]))
			json_object_array_add(arr, namespace_json(&in->ns[j], d));
	add(doc, "namespaces", arr);
	return doc;
}

/* A growing line, bounded by max. */
/* The text so far; with out set, what is already written there leaves the
 * buffer whenever it passes LINE_FLUSH, so memory stays at one listener's
 * text and the chunk size whatever the document's length. */
#define LINE_FLUSH 65536

struct line_buf {
	char *p;
	size_t len, cap, max, total;
	FILE *out;
};

static int line_flush(struct line_buf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, b->out) != b->len)
		return errno > 0 ? -errno : -EIO;
	b->len = 0;
	return 0;
}

static int line_append(struct line_buf *b, const char *s, size_t len)
{
	if (len > b->max || b->total > b->max - len)
		return -E2BIG;
	if (b->out && b->len > 0 && b->len + len > LINE_FLUSH) {
		int r = line_flush(b);

		if (r < 0)
			return r;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->total += len;
	b->p[b->len] = 0;
	return 0;
}

static int line_append_json(struct line_buf *b, struct json_object *o)
{
	size_t len;
	const char *text = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	return text ? line_append(b, text, len) : -ENOMEM;
}

/* The document into b: status_format and status_write. */
static int status_emit(const struct sw_status_inputs *in, const struct sw_status_filter *f,
		       struct line_buf *b, size_t *ret_kept)
{
	_cleanup_free_ struct status_entry *chosen = NULL;
	_cleanup_json_ struct json_object *head = NULL;
	size_t n = 0, hidden = 0;
	char num[32];
	int r;

	chosen = listeners_chosen(in, f, &n, &hidden);
	if (!chosen)
		return -ENOMEM;
	head = document_head(in, f);
	if (!head)
		return -ENOMEM;
	/* The head's text ends in "}": the listeners go in before it. */
	r = line_append_json(b, head);
	if (r < 0)
		return r;
	b->len--;
	b->total--;
	json_object_put(head);
	head = NULL;
	r = line_append(b, ",\"listeners\":[", 14);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_json_ struct json_object *l = listener_json(in, chosen[i].info,
								     chosen[i].tr);

		if (!l) {
			r = -ENOMEM;
			break;
		}
		if (i > 0)
			r = line_append(b, ",", 1);
		if (r >= 0)
			r = line_append_json(b, l);
	}
	if (r >= 0)
		r = line_append(b, "]", 1);
	if (r >= 0 && f && f->hidden_key && hidden > 0) {
		int k = snprintf(num, sizeof(num), ",\"%s\":", f->hidden_key);

		r = k > 0 && (size_t)k < sizeof(num) ? line_append(b, num, (size_t)k) : -EINVAL;
		if (r >= 0) {
			k = snprintf(num, sizeof(num), "%zu", hidden);
			r = line_append(b, num, (size_t)k);
		}
	}
	if (r >= 0)
		r = line_append(b, "}\n", 2);
	if (r >= 0 && ret_kept)
		*ret_kept = n;
	return r;
}

int status_format(const struct sw_status_inputs *in, const struct sw_status_filter *f,
		  size_t max, char **ret, size_t *ret_len, size_t *ret_kept)
{
	struct line_buf b = { .max = max };
	int r = status_emit(in, f, &b, ret_kept);

	if (r < 0) {
		free(b.p);
		return r;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

int status_write(const struct sw_status_inputs *in, const struct sw_status_filter *f, FILE *out,
		 size_t *ret_kept)
{
	struct line_buf b = { .max = SIZE_MAX, .out = out };
	int r = status_emit(in, f, &b, ret_kept);

	if (r >= 0)
		r = line_flush(&b);
	free(b.p);
	return r;
}

/* The status document (protocol.h), written a listener at a time from the
 * trackers' records, one tracker per namespace (see status.h). */
#include "status.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "jsoncleanup.h"
#include "jsonw.h"
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

/* The listener's parts, in the order and with the keys the json-c tree
 * had (DESIGN.md's document). */
static void jw_pct(struct jw *w, const char *key, double v)
{
	/* Truncated as text_percent_value() says (see new_pct). */
	jw_double(w, key, text_percent_value(v));
}

static void jw_thresholds(struct jw *w, const char *key, const struct sw_thresholds *th)
{
	jw_open(w, key, '{');
	jw_pct(w, "warn", th->warn);
	jw_pct(w, "critical", th->critical);
	jw_pct(w, "clear", th->clear);
	jw_close(w, '}');
}

/* Opens the queue's object and leaves it open for the caller's keys. */
static void jw_queue(struct jw *w, const char *key, const struct sw_queue_figures *q, bool known)
{
	jw_open(w, key, '{');
	if (known)
		jw_uint(w, "depth", q->depth);
	else
		jw_null(w, "depth");
	jw_uint(w, "limit", q->limit);
	if (known) {
		jw_pct(w, "percent", q->percent);
		jw_uint(w, "peak", q->peak);
		jw_uint(w, "window_peak", q->window_peak);
	} else {
		jw_null(w, "percent");
		jw_null(w, "peak");
		jw_null(w, "window_peak");
	}
	jw_str(w, "limit_source", limits_source_name(q->source));
}

static void jw_process(struct jw *w, const struct sw_status_inputs *in,
		       const struct sw_tracked *tr)
{
	struct sw_owner ow;

	if (!in->owner || in->owner(in->owner_userdata, tr, &ow) < 0) {
		jw_null(w, "process");
		return;
	}
	jw_open(w, "process", '{');
	if (ow.pid > 0)
		jw_int(w, "pid", ow.pid);
	else
		jw_null(w, "pid");
	jw_str(w, "comm", ow.comm[0] ? ow.comm : NULL);
	jw_str(w, "unit", ow.unit[0] ? ow.unit : NULL);
	if (ow.holders)
		jw_uint(w, "holders", ow.holders);
	else
		jw_null(w, "holders");
	jw_close(w, '}');
}

static void jw_history(struct jw *w, const struct sw_tracked *tr, uint64_t now_usec)
{
	struct sw_history_point pts[SW_HISTORY_SLOTS];

	jw_open(w, "history", '[');
	if (tr->detail) {
		tracker_history(tr, pts);
		for (size_t i = 0; i < SW_HISTORY_SLOTS; i++) {
			uint64_t end = pts[i].start_usec + SW_HISTORY_SLOT_USEC;

			if (!pts[i].has_accept && !pts[i].has_syn)
				continue;
			jw_open(w, NULL, '{');
			/* Age of the slot's end: 0 for the slot still being filled. */
			jw_uint(w, "age_ms", now_usec > end ? (now_usec - end) / USEC_PER_MSEC : 0);
			if (pts[i].has_accept)
				jw_uint(w, "accept", pts[i].accept_peak);
			else
				jw_null(w, "accept");
			if (pts[i].has_syn)
				jw_uint(w, "syn", pts[i].syn_peak);
			else
				jw_null(w, "syn");
			jw_close(w, '}');
		}
	}
	jw_close(w, ']');
}

static void jw_top_sources(struct jw *w, const struct sw_tracked *tr)
{
	char buf[INET6_ADDRSTRLEN];

	jw_open(w, "top_sources", '[');
	for (uint32_t i = 0; tr->detail && i < tr->detail->n_top; i++) {
		const struct sw_top_source *src = &tr->detail->top[i];

		jw_open(w, NULL, '{');
		jw_str(w, "address", addr_str(src->family, src->addr, buf, sizeof(buf)));
		jw_uint(w, "count", src->count);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static int listener_write(struct line_buf *b, const struct sw_status_inputs *in,
			  const struct sw_nsinfo *info, const struct sw_tracked *tr)
{
	uint64_t now_usec = in->now_usec;
	struct jw w = { .b = b };
	char ep[LISTENER_STRLEN], a[INET6_ADDRSTRLEN];
	const struct sw_thresholds *th;
	bool ignore;

	jw_open(&w, NULL, '{');
	jw_str(&w, "listener", tracker_listener_name(tr, ep, sizeof(ep)));
	jw_str(&w, "netns", nsinfo_name(info));
	if (info->id)
		jw_uint(&w, "netns_id", info->id);
	else
		jw_null(&w, "netns_id");
	if (tr->family == AF_UNIX) {
		jw_str(&w, "family", "unix");
		jw_null(&w, "address");
		jw_null(&w, "port");
		jw_str(&w, "path", ep);
		jw_str(&w, "type", usnap_type_name(tr->sock_type));
		jw_bool(&w, "abstract", tr->abstract);
		jw_bool(&w, "relative", tr->relative);
	} else {
		jw_str(&w, "family", tr->family == AF_INET6 ? "inet6" : "inet");
		jw_str(&w, "address", addr_str(tr->family, tr->addr, a, sizeof(a)));
		jw_uint(&w, "port", tr->port);
	}
	jw_uint(&w, "cookie", tr->cookie);
	jw_uint(&w, "inode", tr->inode);
	jw_uint(&w, "uid", tr->uid);
	if (tr->family == AF_INET6)
		jw_bool(&w, "v6only", tr->v6only);

	jw_queue(&w, "accept", &tr->accept, true);
	jw_bool(&w, "somaxconn_stale", tr->somaxconn_stale);
	jw_bool(&w, "full", tr->full.polls > 0);
	jw_uint(&w, "full_polls", tr->full.polls);
	jw_uint(&w, "full_ms", tr->full.polls && tr->last_seen_usec >= tr->full.since_usec ?
				(tr->last_seen_usec - tr->full.since_usec) / USEC_PER_MSEC : 0);
	jw_close(&w, '}');
	if (tr->family == AF_UNIX) {
		/* Only the accept queue applies; the kernel counts no drops. */
		jw_null(&w, "syn");
		jw_null(&w, "drops");
		jw_str(&w, "state", event_level_name(tr->level));
		jw_process(&w, in, tr);
		th = config_thresholds_for_path(in->cfg, nsinfo_name(info), tr->path ? tr->path : "",
						&ignore);
		jw_thresholds(&w, "thresholds", th);
		jw_history(&w, tr, now_usec);
		jw_open(&w, "top_sources", '[');
		jw_close(&w, ']');
		jw_close(&w, '}');
		return w.err;
	}

	jw_queue(&w, "syn", &tr->syn, tr->syn_scanned);
	jw_str(&w, "mode", limits_syn_mode_name(tr->syn_mode));
	jw_bool(&w, "scanned", tr->syn_scanned);
	jw_uint(&w, "members", tr->syn_members);
	jw_close(&w, '}');

	jw_open(&w, "drops", '{');
	jw_uint(&w, "total", tr->drops.total);
	jw_uint(&w, "delta", tr->drops.delta);
	jw_uint(&w, "unreported", tr->drops_rule.unreported);
	if (tr->drops.last_usec && now_usec >= tr->drops.last_usec)
		jw_uint(&w, "last_age_ms", (now_usec - tr->drops.last_usec) / USEC_PER_MSEC);
	else
		jw_null(&w, "last_age_ms");
	/* The listener's own sk_drops as the kernel reports it (ss's d<N>). */
	if (tr->drops.known)
		jw_uint(&w, "kernel", tr->drops.last_raw);
	else
		jw_null(&w, "kernel");
	jw_close(&w, '}');

	jw_str(&w, "state", event_level_name(tr->level));
	jw_process(&w, in, tr);

	/* The same lookup as the tracker's, so the thresholds shown are those in force. */
	th = config_thresholds_for(in->cfg, nsinfo_name(info), tr->family, tr->addr, tr->port, &ignore);
	jw_thresholds(&w, "thresholds", th);
	jw_history(&w, tr, now_usec);
	jw_top_sources(&w, tr);
	jw_close(&w, '}');
	return w.err;
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
		if (i > 0)
			r = line_append(b, ",", 1);
		if (r >= 0)
			r = listener_write(b, in, chosen[i].info, chosen[i].tr);
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

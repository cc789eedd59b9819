#include "status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "netstat.h"
#include "util.h"

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *jint(int64_t v) { return json_object_new_int64(v); }
static struct json_object *juint(uint64_t v) { return json_object_new_uint64(v); }
static struct json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }

/* One decimal is all a person or a script needs of a percentage. */
static struct json_object *jpct(double v)
{
	return json_object_new_double(round(v * 10.0) / 10.0);
}

static struct json_object *jsysctl(int32_t v)
{
	return v < 0 ? NULL : jint(v);
}

static struct json_object *thresholds_json(const struct sw_thresholds *th)
{
	struct json_object *o = json_object_new_object();

	add(o, "warn", jpct(th->warn));
	add(o, "critical", jpct(th->critical));
	add(o, "clear", jpct(th->clear));
	return o;
}

static struct json_object *counters_json(const struct sw_netstat *n, const uint64_t *delta,
					 uint32_t known)
{
	struct json_object *o = json_object_new_object();

	for (int c = 0; c < _SW_CTR_MAX; c++) {
		bool have = delta ? (known & (1u << c)) : netstat_has(n, (enum sw_counter)c);

		add(o, netstat_counter_name((enum sw_counter)c),
		    have ? juint(delta ? delta[c] : n->value[c]) : NULL);
	}
	return o;
}

static struct json_object *namespace_json(const struct sw_ns_state *ns, uint64_t inode)
{
	struct json_object *o = json_object_new_object();

	add(o, "id", jstr("host"));
	add(o, "inode", juint(inode));
	add(o, "somaxconn", jsysctl(ns->sysctl.somaxconn));
	add(o, "tcp_max_syn_backlog", jsysctl(ns->sysctl.max_syn_backlog));
	add(o, "tcp_syncookies", jsysctl(ns->sysctl.syncookies));
	add(o, "counters", counters_json(&ns->counters, NULL, 0));
	add(o, "deltas", counters_json(&ns->counters, ns->delta, ns->delta_known));
	return o;
}

static struct json_object *queue_json(const struct sw_queue_figures *q, bool known)
{
	struct json_object *o = json_object_new_object();

	add(o, "depth", known ? juint(q->depth) : NULL);
	add(o, "limit", juint(q->limit));
	add(o, "percent", known ? jpct(q->percent) : NULL);
	add(o, "peak", known ? juint(q->peak) : NULL);
	add(o, "window_peak", known ? juint(q->window_peak) : NULL);
	add(o, "limit_source", jstr(limits_source_name(q->source)));
	return o;
}

static struct json_object *process_json(const struct sw_owners *owners, const struct sw_tracked *tr)
{
	struct sw_owner ow;
	struct json_object *o;

	if (!owners || owners_lookup(owners, tr->inode, tr->cgroup_id, &ow) < 0)
		return NULL;
	o = json_object_new_object();
	add(o, "pid", ow.pid > 0 ? jint(ow.pid) : NULL);
	add(o, "comm", ow.comm[0] ? jstr(ow.comm) : NULL);
	add(o, "unit", ow.unit[0] ? jstr(ow.unit) : NULL);
	add(o, "holders", ow.holders ? juint(ow.holders) : NULL);
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
		add(p, "age_ms", juint(now_usec > end ? (now_usec - end) / USEC_PER_MSEC : 0));
		add(p, "accept", pts[i].has_accept ? juint(pts[i].accept_peak) : NULL);
		add(p, "syn", pts[i].has_syn ? juint(pts[i].syn_peak) : NULL);
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

		add(p, "address", jstr(util_addr_str(s->family, s->addr, buf, sizeof(buf))));
		add(p, "count", juint(s->count));
		json_object_array_add(a, p);
	}
	return a;
}

static struct json_object *listener_json(const struct sw_tracked *tr, const struct sw_config *cfg,
					 const struct sw_owners *owners, uint64_t now_usec)
{
	struct json_object *o = json_object_new_object(), *q;
	char ep[SW_ADDRSTRLEN], a[INET6_ADDRSTRLEN];
	const struct sw_thresholds *th;
	bool ignore;

	add(o, "listener", jstr(util_endpoint_str(tr->family, tr->addr, tr->port, ep, sizeof(ep))));
	add(o, "netns", jstr("host"));
	add(o, "family", jstr(tr->family == AF_INET6 ? "inet6" : "inet"));
	add(o, "address", jstr(util_addr_str(tr->family, tr->addr, a, sizeof(a))));
	add(o, "port", juint(tr->port));
	add(o, "cookie", juint(tr->cookie));
	add(o, "inode", juint(tr->inode));
	add(o, "uid", juint(tr->uid));
	if (tr->family == AF_INET6)
		add(o, "v6only", json_object_new_boolean(tr->v6only));

	q = queue_json(&tr->accept, true);
	add(q, "somaxconn_stale", json_object_new_boolean(tr->somaxconn_stale));
	add(o, "accept", q);

	q = queue_json(&tr->syn, tr->syn_scanned);
	add(q, "mode", jstr(limits_syn_mode_name(tr->syn_mode)));
	add(q, "scanned", json_object_new_boolean(tr->syn_scanned));
	add(q, "members", juint(tr->syn_members));
	add(o, "syn", q);

	q = json_object_new_object();
	add(q, "total", juint(tr->drops.total));
	add(q, "delta", juint(tr->drops.delta));
	add(q, "unreported", juint(tr->drops_rule.unreported));
	add(q, "last_age_ms", tr->drops.last_usec && now_usec >= tr->drops.last_usec ?
			      juint((now_usec - tr->drops.last_usec) / USEC_PER_MSEC) : NULL);
	/* The listener's own sk_drops as the kernel reports it (ss's d<N>). */
	add(q, "kernel", tr->drops.known ? juint(tr->drops.last_raw) : NULL);
	add(o, "drops", q);

	add(o, "state", jstr(event_level_name(tr->level)));
	add(o, "process", process_json(owners, tr));

	th = config_thresholds_for(cfg, tr->family, tr->addr, tr->port, &ignore);
	add(o, "thresholds", thresholds_json(th));
	add(o, "history", history_json(tr, now_usec));
	add(o, "top_sources", top_sources_json(tr));
	return o;
}

static double fullness(const struct sw_tracked *tr)
{
	double p = tr->accept.percent;

	if (tr->syn_scanned && tr->syn.percent > p)
		p = tr->syn.percent;
	return p;
}

static int cmp_fullest(const void *a, const void *b)
{
	const struct sw_tracked *x = *(const struct sw_tracked *const *)a;
	const struct sw_tracked *y = *(const struct sw_tracked *const *)b;
	double fx = fullness(x), fy = fullness(y);

	if (x->level != y->level)
		return x->level > y->level ? -1 : 1;
	if (fx != fy)
		return fx > fy ? -1 : 1;
	if (x->drops.delta != y->drops.delta)
		return x->drops.delta > y->drops.delta ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* Where alerts go and what waits for the journal; the fields about the
 * journal are null when the target is stderr. */
static struct json_object *journal_json(const struct sw_status_daemon *d)
{
	const struct sw_journal_stats *j = &d->journal;
	struct json_object *o = json_object_new_object();

	add(o, "target", jstr(d->log_target));
	add(o, "reachable", j->active ? json_object_new_boolean(j->reachable) : NULL);
	add(o, "outages", juint(j->outages));
	add(o, "queued", juint(j->queued));
	add(o, "queue_max", juint(j->queue_max));
	add(o, "replayed", juint(j->replayed));
	add(o, "dropped", juint(j->dropped));
	add(o, "stderr_lost", juint(j->stderr_lost));
	return o;
}

static struct json_object *seams_json(const struct sw_status_daemon *d)
{
	struct json_object *o;

	if (!d->test_faults && !d->proc_root)
		return NULL;
	o = json_object_new_object();
	add(o, "faults", jstr(d->test_faults));
	add(o, "faults_injected", juint(d->faults_injected));
	add(o, "netlink_rcvbuf", d->rcvbuf ? juint(d->rcvbuf) : NULL);
	add(o, "proc_root", jstr(d->proc_root));
	return o;
}

/* The listeners, fullest first: borrowed pointers, freed by the caller. */
static const struct sw_tracked **listeners_ordered(const struct sw_tracker *t, size_t *ret_n)
{
	size_t n = tracker_count(t);
	const struct sw_tracked **order = calloc(n ? n : 1, sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = tracker_get(t, i);
	qsort(order, n, sizeof(*order), cmp_fullest);
	*ret_n = n;
	return order;
}

/* Everything but "listeners". */
static struct json_object *document_head(const struct sw_status_daemon *d,
					 const struct sw_tracker *t, const struct sw_config *cfg)
{
	struct json_object *doc, *dm, *syn, *arr;

	doc = json_object_new_object();
	if (!doc)
		return NULL;
	add(doc, "version", jint(1));
	dm = json_object_new_object();
	add(dm, "version", jstr(SW_VERSION));
	add(dm, "pid", jint(d->pid));
	add(dm, "uptime_ms", juint(d->uptime_ms));
	add(dm, "interval_ms", juint(d->interval_ms));
	add(dm, "fast_interval_ms", juint(d->fast_interval_ms));
	add(dm, "current_interval_ms", juint(d->current_interval_ms));
	add(dm, "polls", juint(d->polls));
	add(dm, "last_poll_ok", d->last_poll_ok < 0 ? NULL : json_object_new_boolean(d->last_poll_ok));
	add(dm, "last_poll_age_ms", d->last_poll_age_ms == UINT64_MAX ? NULL
				   : juint(d->last_poll_age_ms));
	add(dm, "poll_errors", juint(d->poll_errors));
	add(dm, "last_error", jstr(d->last_error));
	add(dm, "last_poll_us", juint(d->last_poll_us));
	add(dm, "skipped_messages", juint(d->skipped_msgs));
	add(dm, "skipped_attributes", juint(d->skipped_attrs));
	add(dm, "dump_retries", juint(d->dump_retries));
	add(dm, "owner_unknown_reason", jstr(d->owner_unknown_reason));
	add(dm, "last_error_age_ms",
	    d->last_error_age_ms == UINT64_MAX ? NULL : juint(d->last_error_age_ms));
	add(dm, "late_polls", juint(d->late_polls));
	add(dm, "late_threshold_us", juint(d->late_threshold_us));
	add(dm, "last_poll_lateness_us", juint(d->last_poll_lateness_us));
	add(dm, "max_poll_lateness_us", juint(d->max_poll_lateness_us));
	add(dm, "last_poll_wall_us", juint(d->last_poll_wall_us));
	add(dm, "max_poll_wall_us", juint(d->max_poll_wall_us));
	add(dm, "journal", journal_json(d));
	add(dm, "test_seams", seams_json(d));
	syn = json_object_new_object();
	add(syn, "mode", jstr(d->syn_mode));
	add(syn, "interval_ms", juint(d->syn_interval_ms));
	add(syn, "last_cost_us", juint(d->syn_last_cost_us));
	add(syn, "scans", juint(d->syn_scans));
	add(syn, "last_age_ms", d->syn_last_age_ms == UINT64_MAX ? NULL : juint(d->syn_last_age_ms));
	add(syn, "requests", juint(d->syn_requests));
	add(syn, "unmatched", juint(d->syn_unmatched));
	add(dm, "syn_scan", syn);
	add(doc, "daemon", dm);

	add(doc, "alerts", thresholds_json(&cfg->th));

	arr = json_object_new_array();
	json_object_array_add(arr, namespace_json(tracker_ns(t), d->netns_inode));
	add(doc, "namespaces", arr);
	return doc;
}

int status_document(const struct sw_status_daemon *d, const struct sw_tracker *t,
		    const struct sw_config *cfg, const struct sw_owners *owners,
		    uint64_t now_usec, struct json_object **ret)
{
	_cleanup_free_ const struct sw_tracked **order = NULL;
	struct json_object *doc, *arr;
	size_t n = 0;

	order = listeners_ordered(t, &n);
	if (!order)
		return -ENOMEM;
	doc = document_head(d, t, cfg);
	if (!doc)
		return -ENOMEM;
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, listener_json(order[i], cfg, owners, now_usec));
	add(doc, "listeners", arr);

	*ret = doc;
	return 0;
}

/* A growing line, bounded by max. */
struct line_buf {
	char *p;
	size_t len, cap, max;
};

static int line_append(struct line_buf *b, const char *s, size_t len)
{
	if (len > b->max || b->len > b->max - len)
		return -E2BIG;
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

int status_format(const struct sw_status_daemon *d, const struct sw_tracker *t,
		  const struct sw_config *cfg, const struct sw_owners *owners, uint64_t now_usec,
		  const struct sw_status_filter *f, size_t max, char **ret, size_t *ret_len,
		  size_t *ret_kept)
{
	_cleanup_free_ const struct sw_tracked **order = NULL;
	struct line_buf b = { .max = max };
	struct json_object *head;
	size_t n = 0, kept = 0, hidden = 0;
	char num[32];
	int r;

	order = listeners_ordered(t, &n);
	if (!order)
		return -ENOMEM;
	head = document_head(d, t, cfg);
	if (!head)
		return -ENOMEM;
	/* The head's text ends in "}": the listeners go in before it. */
	r = line_append_json(&b, head);
	json_object_put(head);
	if (r < 0)
		goto fail;
	b.len--;
	r = line_append(&b, ",\"listeners\":[", 14);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct json_object *l = listener_json(order[i], cfg, owners, now_usec);

		if (!l) {
			r = -ENOMEM;
			break;
		}
		if (f && f->keep && !f->keep(f->userdata, l)) {
			hidden++;
		} else {
			if (kept++ > 0)
				r = line_append(&b, ",", 1);
			if (r >= 0)
				r = line_append_json(&b, l);
		}
		json_object_put(l);
	}
	if (r >= 0)
		r = line_append(&b, "]", 1);
	if (r >= 0 && f && f->hidden_key && hidden > 0) {
		int k = snprintf(num, sizeof(num), ",\"%s\":", f->hidden_key);

		r = k > 0 && (size_t)k < sizeof(num) ? line_append(&b, num, (size_t)k) : -EINVAL;
		if (r >= 0) {
			k = snprintf(num, sizeof(num), "%zu", hidden);
			r = line_append(&b, num, (size_t)k);
		}
	}
	if (r >= 0)
		r = line_append(&b, "}\n", 2);
	if (r < 0)
		goto fail;
	*ret = b.p;
	*ret_len = b.len;
	if (ret_kept)
		*ret_kept = kept;
	return 0;
fail:
	free(b.p);
	return r;
}

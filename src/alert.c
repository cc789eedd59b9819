#include "alert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct sw_event *alert_event(struct alert_sink *k, enum sw_event_kind kind)
{
	const struct sw_ns_state *ns = k->ns;
	struct sw_event *ev = events_push(k->out);

	if (!ev) {
		if (!k->err)
			k->err = -ENOMEM;
		return NULL;
	}
	ev->kind = kind;
	ev->ns = ns->info;
	ev->somaxconn = ns->sysctl.somaxconn;
	ev->max_syn_backlog = ns->sysctl.max_syn_backlog;
	ev->syncookies = ns->sysctl.syncookies;
	return ev;
}

struct sw_event *alert_listener_event(struct alert_sink *k, const struct sw_tracked *tr,
				      enum sw_event_kind kind, enum sw_queue queue)
{
	const struct sw_queue_figures *q = queue == SW_QUEUE_SYN ? &tr->syn : &tr->accept;
	struct sw_event *ev = alert_event(k, kind);

	if (!ev)
		return NULL;
	ev->queue = queue;
	ev->has_listener = true;
	ev->family = tr->family;
	memcpy(ev->addr, tr->addr, sizeof(ev->addr));
	ev->port = tr->port;
	if (tr->path)
		snprintf(ev->path, sizeof(ev->path), "%s", tr->path);
	ev->sock_type = tr->sock_type;
	ev->cookie = tr->cookie;
	ev->inode = tr->inode;
	ev->cgroup_id = tr->cgroup_id;
	ev->full_at_limit = queue == SW_QUEUE_SYN && k->syn_full_at_limit;
	ev->depth = q->depth;
	ev->limit = q->limit;
	ev->peak = q->peak;
	ev->percent = q->percent;
	ev->limit_source = q->source;
	ev->syn_mode = tr->syn_mode;
	ev->somaxconn_stale = tr->somaxconn_stale;
	if (queue == SW_QUEUE_ACCEPT && tr->full.polls) {
		ev->full_polls = tr->full.polls;
		ev->full_usec = tr->last_seen_usec - tr->full.since_usec;
	}
	ev->drops = tr->drops_rule.unreported;
	ev->drops_total = tr->drops.total;
	if (queue == SW_QUEUE_SYN)
		snprintf(ev->top_sources, sizeof(ev->top_sources), "%s", tracker_top_sources(tr));
	return ev;
}

/* sk_drops does not say which queue overflowed. The accept queue is the
 * usual cause (and a full accept queue drops SYNs too). */
enum sw_queue alert_drops_queue(const struct sw_tracked *tr, bool syn_full_at_limit)
{
	if (!limits_queue_full(tr->accept.peak, tr->accept.limit, false) && tr->syn_scanned &&
	    tr->syn_mode == SW_SYN_DROP_ON_OVERFLOW &&
	    limits_queue_full(tr->syn.peak, tr->syn.limit, syn_full_at_limit))
		return SW_QUEUE_SYN;
	return SW_QUEUE_ACCEPT;
}

void alert_drops(struct alert_sink *k, const struct sw_tracked *tr, uint64_t drops)
{
	struct sw_event *ev = alert_listener_event(k, tr, SW_EV_LISTEN_DROPS,
						   alert_drops_queue(tr, k->syn_full_at_limit));

	if (!ev)
		return;
	/* Connections (or their SYNs/ACKs) were lost: past any threshold. */
	ev->level = SW_LEVEL_CRITICAL;
	ev->drops = drops;
}

struct sw_event *alert_rule(struct alert_sink *k, const struct sw_tracked *tr,
			    enum sw_queue queue, const struct sw_rule_out *ro, bool gone)
{
	enum sw_event_kind kind;
	struct sw_event *ev;

	if (ro->action == SW_RULE_NONE)
		return NULL;
	if (ro->action == SW_RULE_CLEARED)
		kind = SW_EV_CLEARED;
	else
		kind = queue == SW_QUEUE_SYN ? SW_EV_SYN_QUEUE : SW_EV_ACCEPT_QUEUE;
	ev = alert_listener_event(k, tr, kind, queue);
	if (!ev)
		return NULL;
	if (ro->action == SW_RULE_CLEARED) {
		ev->level = SW_LEVEL_OK;
		ev->cleared_level = ro->level;
		ev->listener_gone = gone;
	} else {
		ev->level = ro->level;
	}
	return ev;
}

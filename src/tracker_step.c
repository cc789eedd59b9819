/* One listener's step in a tracker update: this sample's figures, the
 * queue-depth rules, the drops and the level; see tracker_int.h. */
#include "tracker_int.h"

#include "alert.h"
#include "config.h"
#include "history.h"
#include "lindex.h"
#include "queue_limits.h"
#include "macro.h"
#include "rules.h"

/* How long the accept queue has been over its limit, this sample counted. */
static void step_full(struct update_ctx *c, struct sw_tracked *tr)
{
	if (!limits_queue_full(tr->accept.depth, tr->accept.limit, false)) {
		tr->full.polls = 0;
		tr->full.since_usec = 0;
		return;
	}
	if (tr->full.polls++ == 0)
		tr->full.since_usec = c->now_usec;
}

/* The accept queue's figures of this sample, both families': depth
 * against the limit lim says, and how long it has been full. */
static void step_accept(struct update_ctx *c, struct sw_tracked *tr, uint32_t depth,
			const struct sw_limits *lim)
{
	tr->syn_mode = lim->syn_mode;
	tr->somaxconn_stale = lim->somaxconn_stale;
	tr->accept.depth = depth;
	tr->accept.limit = lim->accept_limit;
	tr->accept.source = lim->accept_source;
	tr->accept.percent = limits_percent(tr->accept.depth, tr->accept.limit);
	tr->accept.peak = SW_MAX(tr->accept.peak, tr->accept.depth);
	step_full(c, tr);
}

/* The SYN figures the dump alone gives a listener: its group's limit
 * (summed over the members), membership and reporter; and the group when
 * it was scanned in this update (g, else NULL). */
struct step_group {
	uint32_t limit;
	uint32_t members;
	bool reporter;
	const struct sw_syn_group *g;
};

static inline void step_group(const struct update_ctx *c, const struct sw_tracked *tr,
			      const struct sw_listener *l, const struct sw_limits *lim,
			      struct step_group *ret)
{
	const struct sw_snapshot *s = c->s;

	if (l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups) {
		const struct sw_group_scratch *gs = &c->t->grp[l->syn_group];

		ret->limit = (uint32_t)SW_MIN(gs->limit_sum, (uint64_t)UINT32_MAX);
		ret->members = gs->members;
		ret->reporter = gs->reporter == tr->cookie;
		ret->g = s->syn_scanned ? &s->groups[l->syn_group] : NULL;
	} else {
		/* No groups built: the listener alone. */
		ret->limit = lim->syn_limit;
		ret->members = 1;
		ret->reporter = true;
		ret->g = NULL;
	}
}

/* What every sample copies from the dump, moved or not. */
static void step_seen(struct update_ctx *c, struct sw_tracked *tr, const struct sw_listener *l)
{
	tr->last_seen_usec = c->now_usec;
	tr->netns = c->s->netns;
	tr->v6only = l->v6only;
	tr->ifindex = l->ifindex;
	tr->uid = l->uid;
	tr->cgroup_id = l->cgroup_id;
}

/* This sample's figures: limits (lim), both queues' depths (the SYN limit
 * and the group's membership from the dump alone, the SYN depth only from
 * a scan, kept from the last one otherwise) and the drops delta. Returns
 * the listener's SYN group when it was scanned in this update, else NULL. */
static const struct sw_syn_group *step_figures(struct update_ctx *c, struct sw_tracked *tr,
					       const struct sw_listener *l,
					       const struct sw_limits *lim)
{
	struct step_group sg;
	uint64_t delta = 0;

	step_seen(c, tr, l);
	step_accept(c, tr, l->accept_depth, lim);

	tr->syn.source = lim->syn_source;
	step_group(c, tr, l, lim, &sg);
	tr->syn.limit = sg.limit;
	tr->syn_members = sg.members;
	tr->syn_reporter = sg.reporter;
	if (sg.g) {
		tr->syn.depth = sg.g->depth;
		tr->syn.peak = SW_MAX(tr->syn.peak, tr->syn.depth);
		tr->syn_scanned = true;
	}
	tr->syn.percent = limits_percent(tr->syn.depth, tr->syn.limit);
	tr->syn_scanned_last = sg.g != NULL;

	if (l->has_drops) {
		/* sk_drops is a u32 in the reply: unsigned subtraction is
		 * right across a wrap. */
		if (tr->drops.known)
			delta = (uint32_t)(l->drops - tr->drops.last_raw);
		tr->drops.last_raw = l->drops;
		tr->drops.known = true;
	}
	tr->drops.delta = delta;
	tr->drops.total += delta;
	if (delta > 0)
		tr->drops.last_usec = c->now_usec;
	c->t->ns.listener_drops_delta += delta;
	return sg.g;
}

/* Steps the accept queue's rule, with sustain (a full UNIX queue is
 * critical at once: sustain 1). Returns the position + 1 among the events of
 * its raise or re-alert; 0: none. */
static size_t step_accept_rule(struct update_ctx *c, struct sw_tracked *tr,
			       const struct sw_thresholds *th, unsigned sustain)
{
	const struct sw_config *cfg = c->cfg;
	struct sw_rule_out ro;
	struct sw_event *ev;
	size_t carrier = 0;

	if (rules_step(&tr->accept_rule, tr->accept.percent, th, sustain,
		       cfg->realert_usec, c->now_usec, &ro) != SW_RULE_NONE) {
		ev = alert_rule(&c->sink, tr, SW_QUEUE_ACCEPT, &ro, false);
		if (ev && ev->kind != SW_EV_CLEARED)
			carrier = c->sink.out->n;
		tr->accept.peak = tr->accept.depth;
	}
	return carrier;
}

/* Steps both queue-depth rules. Returns the position + 1 among the events
 * of the first raise or re-alert, which is to carry this poll's drops; 0:
 * none. */
static size_t step_rules(struct update_ctx *c, struct sw_tracked *tr,
			 const struct sw_thresholds *th, const struct sw_syn_group *g)
{
	const struct sw_config *cfg = c->cfg;
	struct sw_rule_out ro;
	struct sw_event *ev;
	size_t carrier = step_accept_rule(c, tr, th, cfg->sustain);

	if (tr->syn_mode == SW_SYN_COOKIES_ALWAYS) {
		/* Every SYN gets a cookie: depth alerts mean nothing here;
		 * an alert open from before the mode change is closed. */
		if (rules_close(&tr->syn_rule, &ro) != SW_RULE_NONE && tr->syn_reporter)
			alert_rule(&c->sink, tr, SW_QUEUE_SYN, &ro, false);
	} else if (g) {
		/* Every member steps the same samples so that each shows the
		 * group's state; only the reporter writes entries. */
		if (rules_step(&tr->syn_rule, tr->syn.percent, th, cfg->sustain,
			       cfg->realert_usec, c->now_usec, &ro) != SW_RULE_NONE) {
			if (tr->syn_reporter) {
				ev = alert_rule(&c->sink, tr, SW_QUEUE_SYN, &ro, false);
				if (ev && ev->kind != SW_EV_CLEARED && !carrier)
					carrier = c->sink.out->n;
			}
			tr->syn.peak = tr->syn.depth;
		}
	}
	return carrier;
}

/* Drops ride on a queue entry raised or repeated in this poll (carrier, see
 * step_rules; first: tr's first entry of the poll), so one entry says both
 * how full and how much was lost; without one they get a listen-drops entry
 * of their own (a burst no sample saw, or an open alert still losing
 * connections). */
static void step_drops(struct update_ctx *c, struct sw_tracked *tr, size_t first, size_t carrier)
{
	struct sw_events *out = c->sink.out;
	uint64_t drops;

	if (carrier) {
		for (size_t i = first; i < out->n; i++)
			out->v[i].drops = 0;
		out->v[carrier - 1].drops = rules_drops_step(&tr->drops_rule, tr->drops.delta, 0,
							     c->now_usec);
		return;
	}
	drops = rules_drops_step(&tr->drops_rule, tr->drops.delta, SW_RULES_DROPS_INTERVAL_USEC,
				 c->now_usec);
	if (drops > 0)
		alert_drops(&c->sink, tr, drops);
}

/* tr's level, and the counts behind tracker_any_at_warn() and
 * tracker_syn_at_warn(). */
static inline void step_count(struct update_ctx *c, struct sw_tracked *tr,
			      const struct sw_thresholds *th)
{
	bool syn_applies = tr->syn_mode != SW_SYN_COOKIES_ALWAYS;

	tr->level = SW_MAX(tr->accept_rule.level, tr->syn_rule.level);
	if (tr->level != SW_LEVEL_OK || tr->accept.percent >= th->warn ||
	    (syn_applies && tr->syn_scanned && tr->syn.percent >= th->warn))
		c->t->n_at_warn++;
	if (syn_applies && (tr->syn_rule.level != SW_LEVEL_OK ||
			    (tr->syn_scanned && tr->syn.percent >= th->warn)))
		c->t->n_syn_at_warn++;
}

/* The fast path's test: the accept queue holds what it held at the last
 * sample (so its percentage and peak stand), is not over its limit, and
 * its rule would only count the sample. */
static bool step_accept_still(const struct sw_tracked *tr, uint32_t depth,
			      const struct sw_limits *lim, const struct sw_thresholds *th)
{
	return depth == tr->accept.depth && lim->accept_limit == tr->accept.limit &&
	       tr->full.polls == 0 && rules_step_would_idle(&tr->accept_rule, tr->accept.percent, th);
}

/* The accept queue's part of a still sample (step_accept_still): the
 * figures it would copy from lim, and the sample counted. */
static void step_accept_idle(struct sw_tracked *tr, const struct sw_limits *lim)
{
	tr->syn_mode = lim->syn_mode;
	tr->somaxconn_stale = lim->somaxconn_stale;
	tr->accept.source = lim->accept_source;
	rules_step_idle(&tr->accept_rule);
}

/* The fast path: a sample of the figures tr holds (accept depth and limit,
 * the group's SYN limit and scanned depth, sk_drops) with nothing to
 * raise, clear or carry (step_accept_still; the SYN rule idle too when it
 * is stepped, no alert to close under cookies-always; no drops waiting).
 * The full step would leave every rule as it is but for its sample count:
 * this does only what it would change. Returns false, tr untouched, when
 * the full step is needed. */
static bool step_fast(struct update_ctx *c, struct lindex_entry *e, const struct sw_listener *l)
{
	struct sw_tracked *tr = &e->tr;
	const struct sw_limits *lim = &e->lim;
	const struct sw_thresholds *th = e->th;
	bool syn_applies = lim->syn_mode != SW_SYN_COOKIES_ALWAYS;
	struct step_group sg;
	int r;

	if (!step_accept_still(tr, l->accept_depth, lim, th))
		return false;
	if (l->has_drops && (!tr->drops.known || l->drops != tr->drops.last_raw))
		return false;
	if (!rules_drops_would_idle(&tr->drops_rule, 0))
		return false;
	step_group(c, tr, l, lim, &sg);
	if (sg.limit != tr->syn.limit || (sg.g && sg.g->depth != tr->syn.depth))
		return false;
	if (syn_applies ? sg.g && !rules_step_would_idle(&tr->syn_rule, tr->syn.percent, th)
			: tr->syn_rule.level != SW_LEVEL_OK)
		return false;

	step_seen(c, tr, l);
	step_accept_idle(tr, lim);
	tr->syn.source = lim->syn_source;
	tr->syn_members = sg.members;
	tr->syn_reporter = sg.reporter;
	if (sg.g)
		tr->syn_scanned = true;
	tr->syn_scanned_last = sg.g != NULL;
	tr->drops.delta = 0;
	r = history_note(tr, sg.g, c->now_usec);
	if (r < 0)
		update_fail(c, r);
	if (!syn_applies)
		rules_state_init(&tr->syn_rule);    /* what rules_close leaves */
	else if (sg.g)
		rules_step_idle(&tr->syn_rule);
	step_count(c, tr, th);
	return true;
}

/* The whole step. Not inlined: the fast path's caller need not pay for
 * its frame. */
static __attribute__((noinline)) void step_whole(struct update_ctx *c, struct lindex_entry *e,
						 const struct sw_listener *l)
{
	struct sw_tracked *tr = &e->tr;
	const struct sw_syn_group *g;
	size_t first, carrier;
	int r;

	g = step_figures(c, tr, l, &e->lim);
	r = history_note(tr, g, c->now_usec);
	if (r < 0)
		update_fail(c, r);
	first = c->sink.out->n;
	carrier = step_rules(c, tr, e->th, g);
	step_drops(c, tr, first, carrier);
	step_count(c, tr, e->th);
}

void tracker_step(struct update_ctx *c, struct lindex_entry *e, const struct sw_listener *l)
{
	if (!c->t->slow && step_fast(c, e, l)) {
		c->t->n_fast++;
		return;
	}
	step_whole(c, e, l);
}

/* The fast path of a UNIX listener: only its accept queue to hold still. */
static bool step_fast_unix(struct update_ctx *c, struct lindex_entry *e,
			   const struct sw_unix_listener *l)
{
	struct sw_tracked *tr = &e->tr;
	int r;

	if (!step_accept_still(tr, l->depth, &e->lim, e->th))
		return false;
	tr->last_seen_usec = c->now_usec;
	tr->netns = c->s->netns;
	tr->uid = l->uid;
	tr->missed = 0;
	step_accept_idle(tr, &e->lim);
	r = history_note(tr, NULL, c->now_usec);
	if (r < 0)
		update_fail(c, r);
	step_count(c, tr, e->th);
	return true;
}

void tracker_step_unix(struct update_ctx *c, struct lindex_entry *e,
		       const struct sw_unix_listener *l)
{
	struct sw_tracked *tr = &e->tr;
	const struct sw_thresholds *th = e->th;
	int r;

	if (!c->t->slow && step_fast_unix(c, e, l)) {
		c->t->n_fast++;
		return;
	}
	/* wqueue is min(backlog, somaxconn) as for TCP: the same rule names
	 * which binds (e->lim). The SYN figures stay zero, never scanned. */
	tr->last_seen_usec = c->now_usec;
	tr->netns = c->s->netns;
	tr->uid = l->uid;
	tr->missed = 0;
	step_accept(c, tr, l->depth, &e->lim);

	r = history_note(tr, NULL, c->now_usec);
	if (r < 0)
		update_fail(c, r);
	if (!step_accept_rule(c, tr, th, tr->full.polls ? 1 : c->cfg->sustain) &&
	    tr->full.polls == 1) {
		/* Already in alert (critical at its limit), full only now:
		 * clients start failing, which the open alert did not say. */
		struct sw_rule_out ro;

		if (rules_realert_now(&tr->accept_rule, c->now_usec, &ro) != SW_RULE_NONE) {
			(void)alert_rule(&c->sink, tr, SW_QUEUE_ACCEPT, &ro, false);
			tr->accept.peak = tr->accept.depth;
		}
	}
	step_count(c, tr, th);
}

#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "config.h"
#include "lindex.h"
#include "macro.h"

/* Scratch arrays sized by the snapshot keep at least this many entries. */
#define TRACKER_MIN_SCRATCH 64

/* Per SYN group of the snapshot, filled by the first pass of an update. */
struct sw_group_scratch {
	uint64_t reporter;          /* lowest cookie among tracked members */
	uint64_t limit_sum;         /* their SYN limits, summed */
	uint32_t members;
};

struct sw_tracker {
	struct lindex idx;          /* the tracked listeners */
	uint64_t gen;               /* update counter: seen_gen/stepped_gen marks */
	struct sw_ns_state ns;
	size_t n_at_warn;
	size_t n_syn_at_warn;       /* SYN queues at warn or in alert */
	/* Set by tracker_reloaded(): listeners that come into view because
	 * a reload changed the filter are not new sockets. */
	bool reloaded;
	bool syn_full_at_limit;     /* tracker_set_kernel() */

	/* Scratch, bounded by the largest recent snapshot and shrunk back. */
	const struct sw_thresholds **lth;   /* per snapshot listener; NULL: not tracked */
	size_t lth_cap;
	/* Per snapshot listener: its position in idx last time (see
	 * tracker_find_hinted); entries past hint_n are not set. */
	uint32_t *hint;
	size_t hint_cap, hint_n;
	struct sw_group_scratch *grp;
	size_t grp_cap;
};

/* One update in progress. A failed allocation costs one listener or one
 * event, not the poll: the first error is kept in sink.err, the update goes
 * on and returns it at the end. */
struct update_ctx {
	struct sw_tracker *t;
	const struct sw_snapshot *s;
	const struct sw_config *cfg;
	uint64_t now_usec;
	/* Listeners first seen now were born since the last update (so all
	 * their drops are news). */
	bool births;
	struct alert_sink sink;     /* the events, and the first error */
};

static void update_fail(struct update_ctx *c, int r)
{
	if (!c->sink.err)
		c->sink.err = r;
}

/* ---- lifecycle ----------------------------------------------------------------- */

int tracker_new(struct sw_tracker **ret)
{
	struct sw_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->ns.sysctl = (struct sw_sysctl)SW_SYSCTL_UNKNOWN;
	*ret = t;
	return 0;
}

void tracker_free(struct sw_tracker *t)
{
	if (!t)
		return;
	for (size_t k = 0; k < t->idx.n; k++)
		history_forget(&t->idx.v[k].tr);
	lindex_free(&t->idx);
	free(t->lth);
	free(t->hint);
	free(t->grp);
	free(t);
}

void tracker_set_kernel(struct sw_tracker *t, bool syn_full_at_limit)
{
	t->syn_full_at_limit = syn_full_at_limit;
}

void tracker_reloaded(struct sw_tracker *t)
{
	t->reloaded = true;
}

size_t tracker_count(const struct sw_tracker *t)
{
	return t->idx.n;
}

const struct sw_tracked *tracker_get(const struct sw_tracker *t, size_t i)
{
	return i < t->idx.n ? &t->idx.v[i].tr : NULL;
}

const struct sw_tracked *tracker_find(const struct sw_tracker *t, uint64_t cookie)
{
	const struct lindex_entry *e = lindex_lookup(&t->idx, cookie);

	return e ? &e->tr : NULL;
}

bool tracker_any_at_warn(const struct sw_tracker *t)
{
	return t->n_at_warn > 0;
}

size_t tracker_syn_at_warn(const struct sw_tracker *t)
{
	return t->n_syn_at_warn;
}

const struct sw_ns_state *tracker_ns(const struct sw_tracker *t)
{
	return &t->ns;
}

size_t tracker_capacity(const struct sw_tracker *t)
{
	return t->idx.cap;
}

/* ---- vanishing listeners ----------------------------------------------------------- */

static bool tracker_same_endpoint(const struct sw_tracked *a, const struct sw_tracked *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* The member of tr's SYN group, present in this update, that takes over
 * reporting its SYN queue: the lowest cookie, as the next pass picks. Only
 * called for a reporter with an open SYN alert (rare), so the linear walk
 * costs nothing under plain churn. */
static struct sw_tracked *tracker_syn_heir(struct sw_tracker *t, const struct sw_tracked *tr)
{
	struct sw_tracked *best = NULL;

	for (size_t k = 0; k < t->idx.n; k++) {
		struct lindex_entry *o = &t->idx.v[k];

		if (&o->tr == tr || o->seen_gen != t->gen || !tracker_same_endpoint(&o->tr, tr))
			continue;
		if (!best || o->tr.cookie < best->cookie)
			best = &o->tr;
	}
	return best;
}

/* Closes everything open for tr: unreported drops first (nothing lost), then
 * a cleared entry per raised level. gone: the listener vanished (else a
 * different socket took over its cookie, reported the same way). */
static void tracker_close(struct update_ctx *c, struct sw_tracked *tr)
{
	struct sw_rule_out ro;
	uint64_t drops;

	drops = rules_drops_flush(&tr->drops_rule, c->now_usec);
	if (drops > 0)
		alert_drops(&c->sink, tr, drops);

	rules_close(&tr->accept_rule, &ro);
	alert_rule(&c->sink, tr, SW_QUEUE_ACCEPT, &ro, true);

	if (tr->syn_rule.level != SW_LEVEL_OK && tr->syn_reporter) {
		struct sw_tracked *heir = tracker_syn_heir(c->t, tr);

		if (heir) {
			/* The group's SYN queue is still there: its alert
			 * continues under the heir, whose state it becomes so
			 * the journal sees one open alert closed once. */
			heir->syn_rule = tr->syn_rule;
			heir->syn.peak = SW_MAX(heir->syn.peak, tr->syn.peak);
			rules_state_init(&tr->syn_rule);
		}
	}
	rules_close(&tr->syn_rule, &ro);
	if (tr->syn_reporter)
		alert_rule(&c->sink, tr, SW_QUEUE_SYN, &ro, true);
	tr->level = SW_LEVEL_OK;
}

/* ---- one listener's step --------------------------------------------------------- */

/* This sample's figures: limits, both queues' depths (the SYN limit and
 * the group's membership from the dump alone, the SYN depth only from a
 * scan, kept from the last one otherwise) and the drops delta. Returns the
 * listener's SYN group when it was scanned in this update, else NULL. */
static const struct sw_syn_group *step_figures(struct update_ctx *c, struct sw_tracked *tr,
					       const struct sw_listener *l)
{
	const struct sw_snapshot *s = c->s;
	const struct sw_syn_group *g = NULL;
	struct sw_limits lim;
	uint64_t delta = 0;

	limits_compute(l->accept_limit, &s->sysctl, tr->somaxconn_at_first, &lim);
	tr->last_seen_usec = c->now_usec;
	tr->netns = s->netns;
	tr->v6only = l->v6only;
	tr->ifindex = l->ifindex;
	tr->uid = l->uid;
	tr->cgroup_id = l->cgroup_id;
	tr->syn_mode = lim.syn_mode;
	tr->somaxconn_stale = lim.somaxconn_stale;

	tr->accept.depth = l->accept_depth;
	tr->accept.limit = lim.accept_limit;
	tr->accept.source = lim.accept_source;
	tr->accept.percent = limits_percent(tr->accept.depth, tr->accept.limit);
	tr->accept.peak = SW_MAX(tr->accept.peak, tr->accept.depth);

	tr->syn.source = lim.syn_source;
	if (l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups) {
		const struct sw_group_scratch *gs = &c->t->grp[l->syn_group];

		tr->syn.limit = (uint32_t)SW_MIN(gs->limit_sum, (uint64_t)UINT32_MAX);
		tr->syn_members = gs->members;
		tr->syn_reporter = gs->reporter == tr->cookie;
		if (s->syn_scanned)
			g = &s->groups[l->syn_group];
	} else {
		/* No groups built: the listener alone. */
		tr->syn.limit = lim.syn_limit;
		tr->syn_members = 1;
		tr->syn_reporter = true;
	}
	if (g) {
		tr->syn.depth = g->depth;
		tr->syn.peak = SW_MAX(tr->syn.peak, tr->syn.depth);
		tr->syn_scanned = true;
	}
	tr->syn.percent = limits_percent(tr->syn.depth, tr->syn.limit);
	tr->syn_scanned_last = g != NULL;

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
	return g;
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
	size_t carrier = 0;

	if (rules_step(&tr->accept_rule, tr->accept.percent, th, cfg->sustain,
		       cfg->realert_usec, c->now_usec, &ro) != SW_RULE_NONE) {
		ev = alert_rule(&c->sink, tr, SW_QUEUE_ACCEPT, &ro, false);
		if (ev && ev->kind != SW_EV_CLEARED)
			carrier = c->sink.out->n;
		tr->accept.peak = tr->accept.depth;
	}

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
static void step_count(struct update_ctx *c, struct sw_tracked *tr, const struct sw_thresholds *th)
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

static void tracker_step(struct update_ctx *c, struct sw_tracked *tr,
			 const struct sw_listener *l, const struct sw_thresholds *th)
{
	const struct sw_syn_group *g = step_figures(c, tr, l);
	size_t first, carrier;
	int r;

	r = history_note(tr, g, c->now_usec);
	if (r < 0)
		update_fail(c, r);
	first = c->sink.out->n;
	carrier = step_rules(c, tr, th, g);
	step_drops(c, tr, first, carrier);
	step_count(c, tr, th);
}

/* ---- namespace ------------------------------------------------------------------- */

static void tracker_ns_update(struct sw_tracker *t, const struct sw_snapshot *s, uint64_t now_usec)
{
	struct sw_ns_state *ns = &t->ns;

	ns->delta_known = 0;
	memset(ns->delta, 0, sizeof(ns->delta));
	for (int c = 0; c < _SW_CTR_MAX; c++) {
		/* Absent now or before: unknown, not zero. A counter that went
		 * backwards (namespace recreated under the same id) is a new
		 * baseline. */
		if (ns->polls == 0 || !netstat_has(&s->netstat, c) || !netstat_has(&ns->counters, c) ||
		    s->netstat.value[c] < ns->counters.value[c])
			continue;
		ns->delta[c] = s->netstat.value[c] - ns->counters.value[c];
		ns->delta_known |= 1u << c;
	}
	ns->counters = s->netstat;
	ns->sysctl = s->sysctl;
	ns->netns = s->netns;
	if (ns->polls == 0)
		ns->first_usec = now_usec;
	ns->last_usec = now_usec;
	ns->polls++;
	ns->listener_drops_delta = 0;
}

static void tracker_ns_rule(struct update_ctx *c)
{
	struct sw_ns_state *ns = &c->t->ns;
	struct sw_ns_rule_out no;
	struct sw_event *ev;

	if (!rules_ns_step(&ns->rule, ns->delta, ns->delta_known, ns->sysctl.syncookies == 2,
			   ns->listener_drops_delta, SW_RULES_DROPS_INTERVAL_USEC, c->now_usec, &no))
		return;
	ev = alert_event(&c->sink, SW_EV_SYNCOOKIES);
	if (!ev)
		return;
	ev->level = no.level;
	memcpy(ev->counter_delta, no.counter_delta, sizeof(ev->counter_delta));
}

/* ---- update ---------------------------------------------------------------------- */

/* Grows a scratch array to need entries, or shrinks it when a quarter would
 * do, so one huge snapshot does not pin its size. */
static int tracker_scratch(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *q;

	if (need <= *cap && !(*cap > TRACKER_MIN_SCRATCH && need < *cap / 4))
		return 0;
	ncap = SW_MAX(need, (size_t)TRACKER_MIN_SCRATCH);
	q = reallocarray(*p, ncap, size);
	if (!q)
		return need <= *cap ? 0 : -ENOMEM;
	*p = q;
	*cap = ncap;
	return 0;
}

static int update_prepare(struct sw_tracker *t, const struct sw_snapshot *s)
{
	int r;

	r = tracker_scratch((void **)&t->lth, &t->lth_cap, s->n_listeners, sizeof(*t->lth));
	if (r < 0)
		return r;
	r = tracker_scratch((void **)&t->grp, &t->grp_cap, s->n_groups, sizeof(*t->grp));
	if (r < 0)
		return r;
	r = tracker_scratch((void **)&t->hint, &t->hint_cap, s->n_listeners, sizeof(*t->hint));
	if (r < 0)
		return r;
	for (size_t i = t->hint_n; i < s->n_listeners; i++)
		t->hint[i] = UINT32_MAX;
	t->hint_n = s->n_listeners;
	if (s->n_groups > 0)
		memset(t->grp, 0, s->n_groups * sizeof(*t->grp));
	return 0;
}

/* The entry for snapshot listener i, whose cookie is cookie: where it was
 * last time if it is still there, else through the index. The kernel dumps
 * an unchanged set of listeners in the same order, so in a steady poll
 * nearly every listener is found without touching the index. */
static struct lindex_entry *tracker_find_hinted(struct sw_tracker *t, size_t i, uint64_t cookie)
{
	uint32_t k = i < t->hint_n ? t->hint[i] : UINT32_MAX;

	if (k < t->idx.n && t->idx.v[k].tr.cookie == cookie)
		return &t->idx.v[k];
	return lindex_lookup(&t->idx, cookie);
}

static bool tracker_same_listener(const struct sw_tracked *tr, const struct sw_listener *l)
{
	return tr->family == l->family && tr->port == l->port && tr->inode == l->inode &&
	       memcmp(tr->addr, l->addr, sizeof(tr->addr)) == 0;
}

static void tracker_entry_init(struct update_ctx *c, struct sw_tracked *tr,
			       const struct sw_listener *l)
{
	history_forget(tr);
	memset(tr, 0, sizeof(*tr));
	tr->cookie = l->cookie;
	tr->family = l->family;
	memcpy(tr->addr, l->addr, sizeof(tr->addr));
	tr->port = l->port;
	tr->inode = l->inode;
	tr->first_seen_usec = c->now_usec;
	/* If wqueue equals this later, somaxconn capped the backlog. */
	tr->somaxconn_at_first = c->s->sysctl.somaxconn;
	rules_state_init(&tr->accept_rule);
	rules_state_init(&tr->syn_rule);
	tr->level = SW_LEVEL_OK;
	/* A listener that appeared since the last poll started with sk_drops
	 * at 0: all it shows now was lost since that poll (a burst right
	 * after listen() is still reported). At the daemon's first poll, or
	 * when a reload brought older listeners into view, the drops may be
	 * ancient: they are the baseline, not news. */
	if (l->has_drops) {
		tr->drops.last_raw = c->births ? 0 : l->drops;
		tr->drops.known = true;
	}
}

/* The entry snapshot listener l (at i) is tracked in, created when new;
 * NULL when it cannot be stored or was listed twice by the dump. */
static struct lindex_entry *pass_track_one(struct update_ctx *c, size_t i,
					   const struct sw_listener *l)
{
	struct sw_tracker *t = c->t;
	struct lindex_entry *e = tracker_find_hinted(t, i, l->cookie);
	size_t pos;
	int r;

	if (e && e->seen_gen == t->gen)
		return NULL;
	if (e && !tracker_same_listener(&e->tr, l)) {
		/* Another socket under a known cookie must not inherit the
		 * old one's state: close the old one as gone, start afresh
		 * in the same place. */
		tracker_close(c, &e->tr);
		tracker_entry_init(c, &e->tr, l);
	} else if (!e) {
		r = lindex_insert(&t->idx, l->cookie, &pos);
		if (r < 0) {
			update_fail(c, r);
			return NULL;
		}
		e = &t->idx.v[pos];
		tracker_entry_init(c, &e->tr, l);
	}
	return e;
}

/* Pass 1: decides which listeners are tracked, creates the new ones, marks
 * the present ones and totals each SYN group over its members. */
static void pass_track(struct update_ctx *c)
{
	struct sw_tracker *t = c->t;
	const struct sw_snapshot *s = c->s;

	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];
		const struct sw_thresholds *th;
		struct lindex_entry *e;
		struct sw_limits lim;
		bool ignore = false;

		t->lth[i] = NULL;
		if (!config_filter_match(c->cfg, l->family, l->addr, l->port))
			continue;
		th = config_thresholds_for(c->cfg, l->family, l->addr, l->port, &ignore);
		if (ignore || !th)
			continue;
		e = pass_track_one(c, i, l);
		if (!e)
			continue;
		e->seen_gen = t->gen;
		t->lth[i] = th;
		t->hint[i] = (uint32_t)(e - t->idx.v);

		if (l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups) {
			struct sw_group_scratch *gs = &t->grp[l->syn_group];

			limits_compute(l->accept_limit, &s->sysctl, e->tr.somaxconn_at_first, &lim);
			if (gs->members == 0 || l->cookie < gs->reporter)
				gs->reporter = l->cookie;
			gs->members++;
			gs->limit_sum += lim.syn_limit;
		}
	}
}

/* Drops the listeners pass 1 did not see, walked downwards so that the
 * swap-remove only moves entries already visited. */
static void pass_vanish(struct update_ctx *c)
{
	struct lindex *x = &c->t->idx;

	for (size_t i = x->n; i-- > 0;) {
		if (x->v[i].seen_gen == c->t->gen)
			continue;
		tracker_close(c, &x->v[i].tr);
		history_forget(&x->v[i].tr);
		lindex_remove_at(x, i);
	}
	lindex_shrink(x);
}

/* Pass 2: figures, history, rules, entries. */
static void pass_step(struct update_ctx *c)
{
	struct sw_tracker *t = c->t;
	const struct sw_snapshot *s = c->s;

	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];
		struct lindex_entry *e;

		if (!t->lth[i])
			continue;
		e = tracker_find_hinted(t, i, l->cookie);
		if (!e || e->stepped_gen == t->gen)
			continue;
		e->stepped_gen = t->gen;
		tracker_step(c, &e->tr, l, t->lth[i]);
	}
}

int tracker_update(struct sw_tracker *t, const struct sw_snapshot *s,
		   const struct sw_config *cfg, uint64_t now_usec, struct sw_events *out)
{
	struct update_ctx c = {
		.t = t, .s = s, .cfg = cfg, .now_usec = now_usec,
		.sink = { .out = out, .ns = &t->ns, .syn_full_at_limit = t->syn_full_at_limit },
	};
	int r;

	r = update_prepare(t, s);
	if (r < 0)
		return r;
	c.births = t->ns.polls > 0 && !t->reloaded;
	t->reloaded = false;
	t->gen++;
	t->n_at_warn = 0;
	t->n_syn_at_warn = 0;
	tracker_ns_update(t, s, now_usec);

	pass_track(&c);
	pass_vanish(&c);
	pass_step(&c);
	tracker_ns_rule(&c);
	return c.sink.err;
}

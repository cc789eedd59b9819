#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "alert.h"
#include "config.h"
#include "lindex.h"
#include "macro.h"
#include "tracker_int.h"

/* Scratch arrays sized by the snapshot keep at least this many entries. */
#define TRACKER_MIN_SCRATCH 64

/* ---- lifecycle ----------------------------------------------------------------- */

int tracker_new(struct sw_tracker **ret)
{
	struct sw_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->ns.sysctl = (struct sw_sysctl)SW_SYSCTL_UNKNOWN;
	t->ns.info = (struct sw_nsinfo)SW_NSINFO_HOST;
	t->epoch = 1;
	*ret = t;
	return 0;
}

void tracker_free(struct sw_tracker *t)
{
	if (!t)
		return;
	for (size_t k = 0; k < t->idx.n; k++)
		tracker_entry_forget(&t->idx.v[k].tr);
	lindex_free(&t->idx);
	free(t->lth);
	free(t->hint);
	free(t->grp);
	free(t);
}

void tracker_entry_forget(struct sw_tracked *tr)
{
	history_forget(tr);
	free(tr->path);
	tr->path = NULL;
}

const char *tracker_listener_name(const struct sw_tracked *tr, char *buf, size_t len)
{
	return addr_listener_str(tr->family, tr->addr, tr->port, tr->path, buf, len);
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

void tracker_set_ns(struct sw_tracker *t, const struct sw_nsinfo *info)
{
	/* The filter may name the namespace: a new name is a new choice. */
	if (strcmp(nsinfo_name(&t->ns.info), nsinfo_name(info)) != 0)
		t->renamed = true;
	t->ns.info = *info;
}

void tracker_set_fast_path(struct sw_tracker *t, bool on)
{
	t->slow = !on;
}

size_t tracker_fast_steps(const struct sw_tracker *t)
{
	return t->n_fast;
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

static bool tracker_same_sysctl(const struct sw_sysctl *a, const struct sw_sysctl *b)
{
	return a->somaxconn == b->somaxconn && a->max_syn_backlog == b->max_syn_backlog &&
	       a->syncookies == b->syncookies;
}

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

/* Listeners of the update: inet, then UNIX (the scratch arrays' order). */
static size_t update_listeners(const struct sw_snapshot *s, const struct sw_unix_snapshot *us)
{
	return s->n_listeners + (us ? us->n_listeners : 0);
}

static int update_prepare(struct sw_tracker *t, const struct sw_snapshot *s,
			  const struct sw_unix_snapshot *us)
{
	size_t n = update_listeners(s, us), grp_cap;
	int r;

	r = tracker_scratch((void **)&t->lth, &t->lth_cap, n, sizeof(*t->lth));
	if (r < 0)
		return r;
	grp_cap = t->grp_cap;
	r = tracker_scratch((void **)&t->grp, &t->grp_cap, s->n_groups, sizeof(*t->grp));
	if (r < 0)
		return r;
	/* A group is this update's once stamped with its gen (pass_track):
	 * only a new array needs clearing. */
	if (t->grp_cap != grp_cap)
		memset(t->grp, 0, t->grp_cap * sizeof(*t->grp));
	r = tracker_scratch((void **)&t->hint, &t->hint_cap, n, sizeof(*t->hint));
	if (r < 0)
		return r;
	/* A hint at a position that now holds another family's listener only
	 * misses (cookies differ): set or not, it is never wrong. */
	for (size_t i = t->hint_n; i < n; i++)
		t->hint[i] = UINT32_MAX;
	t->hint_n = n;
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

/* The part of a new entry's state both families share. */
static void tracker_entry_reset(struct update_ctx *c, struct sw_tracked *tr, uint64_t cookie,
				uint32_t inode)
{
	tracker_entry_forget(tr);
	memset(tr, 0, sizeof(*tr));
	tr->cookie = cookie;
	tr->inode = inode;
	tr->first_seen_usec = c->now_usec;
	/* If wqueue equals this later, somaxconn capped the backlog. */
	tr->somaxconn_at_first = c->s->sysctl.somaxconn;
	rules_state_init(&tr->accept_rule);
	rules_state_init(&tr->syn_rule);
	tr->level = SW_LEVEL_OK;
}

static void tracker_entry_init(struct update_ctx *c, struct sw_tracked *tr,
			       const struct sw_listener *l)
{
	tracker_entry_reset(c, tr, l->cookie, l->inode);
	tr->family = l->family;
	memcpy(tr->addr, l->addr, sizeof(tr->addr));
	tr->port = l->port;
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

static bool tracker_same_unix(const struct sw_tracked *tr, const struct sw_unix_listener *l)
{
	return tr->family == AF_UNIX && tr->inode == l->inode && tr->path &&
	       strcmp(tr->path, l->path) == 0;
}

/* 0, or -ENOMEM with the entry left an inet one of no address: it then
 * shows as such until the next update finds it different again. */
static int tracker_entry_init_unix(struct update_ctx *c, struct sw_tracked *tr,
				   const struct sw_unix_listener *l)
{
	tracker_entry_reset(c, tr, l->cookie, l->inode);
	tr->path = strdup(l->path);
	if (!tr->path)
		return -ENOMEM;
	tr->family = AF_UNIX;
	tr->sock_type = l->type;
	tr->abstract = l->abstract;
	tr->relative = l->relative;
	tr->uid = l->uid;
	return 0;
}

/* The entry the listener at i (l: inet, else ul: UNIX) is tracked in,
 * created when new; NULL when it cannot be stored or was listed twice by
 * the dump. */
static struct lindex_entry *pass_track_one(struct update_ctx *c, size_t i,
					   const struct sw_listener *l,
					   const struct sw_unix_listener *ul)
{
	struct sw_tracker *t = c->t;
	uint64_t cookie = l ? l->cookie : ul->cookie;
	struct lindex_entry *e = tracker_find_hinted(t, i, cookie);
	size_t pos;
	int r;

	if (e && e->seen_gen == t->gen)
		return NULL;
	if (e && (l ? tracker_same_listener(&e->tr, l) : tracker_same_unix(&e->tr, ul)))
		return e;
	if (e) {
		/* Another socket under a known cookie must not inherit the
		 * old one's state: close the old one as gone, start afresh
		 * in the same place. */
		tracker_close(c, &e->tr);
	} else {
		r = lindex_insert(&t->idx, cookie, &pos);
		if (r < 0) {
			update_fail(c, r);
			return NULL;
		}
		e = &t->idx.v[pos];
	}
	if (l) {
		tracker_entry_init(c, &e->tr, l);
	} else if ((r = tracker_entry_init_unix(c, &e->tr, ul)) < 0) {
		update_fail(c, r);
		return NULL;
	}
	return e;
}

/* The entry the listener at i (cookie) was tracked in at an update of the
 * same epoch, not yet found in this one: what the filter chose for it
 * then stands if it is still the same socket. NULL: decide afresh (also
 * always without the fast path). */
static struct lindex_entry *pass_known(struct update_ctx *c, size_t i, uint64_t cookie)
{
	struct sw_tracker *t = c->t;
	struct lindex_entry *e;

	if (t->slow)
		return NULL;
	e = tracker_find_hinted(t, i, cookie);
	if (!e || e->epoch != t->epoch || e->seen_gen == t->gen)
		return NULL;
	return e;
}

/* e, tracked afresh under th: its cache of this epoch. */
static void pass_adopt(struct update_ctx *c, struct lindex_entry *e,
		       const struct sw_thresholds *th, uint32_t wqueue)
{
	e->th = th;
	e->epoch = c->t->epoch;
	limits_compute(wqueue, &c->s->sysctl, e->tr.somaxconn_at_first, &e->lim);
}

/* Marks e found at i in this update. */
static void pass_seen(struct update_ctx *c, struct lindex_entry *e, size_t i)
{
	struct sw_tracker *t = c->t;

	e->seen_gen = t->gen;
	t->n_seen++;
	t->lth[i] = e->th;
	t->hint[i] = (uint32_t)(e - t->idx.v);
}

/* Pass 1: decides which listeners are tracked, creates the new ones, marks
 * the present ones and totals each SYN group over its members. */
static void pass_track(struct update_ctx *c)
{
	struct sw_tracker *t = c->t;
	const struct sw_snapshot *s = c->s;
	const char *netns = nsinfo_name(&t->ns.info);

	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];
		struct lindex_entry *e = pass_known(c, i, l->cookie);

		t->lth[i] = NULL;
		if (e && tracker_same_listener(&e->tr, l)) {
			/* The limits follow wqueue; the rest of them is the
			 * epoch's. */
			if (e->lim.accept_limit != l->accept_limit)
				limits_compute(l->accept_limit, &s->sysctl, e->tr.somaxconn_at_first,
					       &e->lim);
		} else {
			const struct sw_thresholds *th;
			bool ignore = false;

			if (!config_filter_match(c->cfg, netns, l->family, l->addr, l->port))
				continue;
			th = config_thresholds_for(c->cfg, netns, l->family, l->addr, l->port, &ignore);
			if (ignore || !th)
				continue;
			e = pass_track_one(c, i, l, NULL);
			if (!e)
				continue;
			pass_adopt(c, e, th, l->accept_limit);
		}
		pass_seen(c, e, i);

		if (l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups) {
			struct sw_group_scratch *gs = &t->grp[l->syn_group];

			if (gs->gen != t->gen)
				*gs = (struct sw_group_scratch){ .gen = t->gen, .reporter = l->cookie };
			else if (l->cookie < gs->reporter)
				gs->reporter = l->cookie;
			gs->members++;
			gs->limit_sum += e->lim.syn_limit;
		}
	}
}

/* Pass 1 for the UNIX listeners: the same, and none of them has a SYN
 * queue. After the inet ones, at positions n_listeners and on. */
static void pass_track_unix(struct update_ctx *c)
{
	struct sw_tracker *t = c->t;
	const struct sw_unix_snapshot *us = c->us;
	const char *netns = nsinfo_name(&t->ns.info);
	size_t base = c->s->n_listeners;

	if (!us)
		return;
	for (size_t j = 0; j < us->n_listeners; j++) {
		const struct sw_unix_listener *ul = &us->listeners[j];
		struct lindex_entry *e = pass_known(c, base + j, ul->cookie);

		t->lth[base + j] = NULL;
		if (!c->cfg->watch_unix)
			continue;
		if (e && tracker_same_unix(&e->tr, ul)) {
			if (e->lim.accept_limit != ul->limit)
				limits_compute(ul->limit, &c->s->sysctl, e->tr.somaxconn_at_first,
					       &e->lim);
		} else {
			const struct sw_thresholds *th;
			bool ignore = false;

			if (!config_filter_match_path(c->cfg, netns, ul->path))
				continue;
			th = config_thresholds_for_path(c->cfg, netns, ul->path, &ignore);
			if (ignore || !th)
				continue;
			e = pass_track_one(c, base + j, NULL, ul);
			if (!e)
				continue;
			pass_adopt(c, e, th, ul->limit);
		}
		pass_seen(c, e, base + j);
	}
}

/* Whether an entry pass 1 did not see stays for now: a UNIX listener one
 * UNIX dump missed (or none was made) while UNIX listeners are watched. */
static bool pass_keeps_unseen(struct update_ctx *c, struct sw_tracked *tr)
{
	if (tr->family != AF_UNIX || c->final || !c->cfg->watch_unix)
		return false;
	if (!c->us)
		return true;
	return ++tr->missed < 2;
}

/* Drops the listeners pass 1 did not see, walked downwards so that the
 * swap-remove only moves entries already visited. */
static void pass_vanish(struct update_ctx *c)
{
	struct lindex *x = &c->t->idx;

	/* Every entry was found (seen_gen marks are unique per entry): none
	 * to visit. */
	for (size_t i = !c->t->slow && c->t->n_seen == x->n ? 0 : x->n; i-- > 0;) {
		if (x->v[i].seen_gen == c->t->gen)
			continue;
		if (pass_keeps_unseen(c, &x->v[i].tr)) {
			/* It still counts for the warn totals it was in. */
			if (x->v[i].tr.level != SW_LEVEL_OK)
				c->t->n_at_warn++;
			continue;
		}
		tracker_close(c, &x->v[i].tr);
		tracker_entry_forget(&x->v[i].tr);
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
		tracker_step(c, e, l);
	}
	for (size_t j = 0; c->us && j < c->us->n_listeners; j++) {
		const struct sw_unix_listener *ul = &c->us->listeners[j];
		size_t i = s->n_listeners + j;
		struct lindex_entry *e;

		if (!t->lth[i])
			continue;
		e = tracker_find_hinted(t, i, ul->cookie);
		if (!e || e->stepped_gen == t->gen)
			continue;
		e->stepped_gen = t->gen;
		tracker_step_unix(c, e, ul);
	}
}

static int tracker_run(struct update_ctx *c)
{
	struct sw_tracker *t = c->t;
	const struct sw_snapshot *s = c->s;
	int r;

	r = update_prepare(t, s, c->us);
	if (r < 0)
		return r;
	c->births = t->ns.polls > 0 && !t->reloaded;
	/* Before tracker_ns_update, while ns.sysctl is the last poll's. */
	if (t->reloaded || t->renamed || c->cfg != t->epoch_cfg ||
	    !tracker_same_sysctl(&s->sysctl, &t->ns.sysctl)) {
		if (++t->epoch == 0)
			t->epoch = 1;
		t->epoch_cfg = c->cfg;
	}
	t->reloaded = false;
	t->renamed = false;
	t->gen++;
	t->n_seen = 0;
	t->n_fast = 0;
	t->n_at_warn = 0;
	t->n_syn_at_warn = 0;
	tracker_ns_update(t, s, c->now_usec);

	pass_track(c);
	pass_track_unix(c);
	pass_vanish(c);
	pass_step(c);
	tracker_ns_rule(c);
	return c->sink.err;
}

int tracker_update(struct sw_tracker *t, const struct sw_snapshot *s,
		   const struct sw_unix_snapshot *us, const struct sw_config *cfg,
		   uint64_t now_usec, struct sw_events *out)
{
	struct update_ctx c = {
		.t = t, .s = s, .us = us, .cfg = cfg, .now_usec = now_usec,
		.sink = { .out = out, .ns = &t->ns, .syn_full_at_limit = t->syn_full_at_limit },
	};

	return tracker_run(&c);
}

int tracker_release(struct sw_tracker *t, const struct sw_config *cfg, uint64_t now_usec,
		    struct sw_events *out)
{
	struct sw_snapshot s;
	struct update_ctx c = {
		.t = t, .s = &s, .cfg = cfg, .now_usec = now_usec, .final = true,
		.sink = { .out = out, .ns = &t->ns, .syn_full_at_limit = t->syn_full_at_limit },
	};
	int r;

	snapshot_init(&s);
	/* Its last entries still say the limits as last read; no counters,
	 * so no namespace-wide entry comes of the release itself. */
	s.sysctl = t->ns.sysctl;
	s.netns = t->ns.netns;
	r = tracker_run(&c);
	snapshot_clear(&s);
	return r;
}

#include "tracker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dense array never shrinks below this, so a namespace with a handful
 * of listeners does not reallocate on every bit of churn. */
#define TRACKER_MIN_CAP 16
/* Unused entries whose pages are given back (tracker_release_tail). */
#define TRACKER_RELEASE_MIN (256u << 10)
/* Scratch arrays sized by the snapshot keep at least this many entries. */
#define TRACKER_MIN_SCRATCH 64
/* events_clear() gives back arrays larger than this. */
#define EVENTS_KEEP_CAP 64

/* Per SYN group of the snapshot, filled by the first pass of an update. */
struct sw_group_scratch {
	uint64_t reporter;          /* lowest cookie among tracked members */
	uint64_t limit_sum;         /* their SYN limits, summed */
	uint32_t members;
};

struct sw_tracker {
	/* Listeners live in a dense array (cheap walk, index order for
	 * tracker_get) found through an open-addressing index: linear probing,
	 * 2 * cap slots so the load stays at or below 1/2, each slot the array
	 * position plus one (0 = empty). Removal swaps the last entry into the
	 * hole and shifts probe chains back, so no tombstones pile up with
	 * churn. */
	struct sw_tracked *v;
	size_t n, cap;
	size_t touched;             /* most entries used since the tail was released */
	uint32_t *slots;
	size_t n_slots;             /* 0 or a power of two >= 2 * cap */
	unsigned slot_bits;

	uint64_t gen;               /* update counter: seen_gen/stepped_gen marks */
	struct sw_ns_state ns;
	bool syn_trigger;
	size_t n_at_warn;
	size_t n_syn_at_warn;     /* SYN queues at warn or in alert */
	/* Set by tracker_reloaded(): listeners that come into view because
	 * a reload changed the filter are not new sockets. */
	bool reloaded;
	bool syn_full_at_limit;     /* tracker_set_kernel() */

	/* Scratch, bounded by the largest recent snapshot and shrunk back. */
	const struct sw_thresholds **lth;   /* per snapshot listener; NULL: not tracked */
	size_t lth_cap;
	/* Per snapshot listener: its position in v last time (see
	 * tracker_find_hinted); entries past hint_n are not set. */
	uint32_t *hint;
	size_t hint_cap, hint_n;
	struct sw_group_scratch *grp;
	size_t grp_cap;
};

/* ---- events ---------------------------------------------------------------- */

struct sw_event *events_push(struct sw_events *e)
{
	struct sw_event *ev;

	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 16;
		struct sw_event *nv = reallocarray(e->v, ncap, sizeof(*nv));

		if (!nv)
			return NULL;
		e->v = nv;
		e->cap = ncap;
	}
	ev = &e->v[e->n++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

void events_clear(struct sw_events *e)
{
	if (!e)
		return;
	e->n = 0;
	/* A burst (all listeners of a namespace vanishing in alert) must not
	 * pin its array for the daemon's lifetime. */
	if (e->cap > EVENTS_KEEP_CAP) {
		free(e->v);
		e->v = NULL;
		e->cap = 0;
	}
}

void events_free(struct sw_events *e)
{
	if (!e)
		return;
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

/* ---- hash index -------------------------------------------------------------- */

static size_t tracker_home(const struct sw_tracker *t, uint64_t cookie)
{
	/* Fibonacci hashing: cookies come from a counter, so consecutive
	 * values must spread; the multiply mixes low bits into the top ones. */
	return (size_t)((cookie * 0x9e3779b97f4a7c15ULL) >> (64 - t->slot_bits));
}

/* Slot holding cookie, or the empty slot where it would go. n_slots > 0. */
static size_t tracker_slot_find(const struct sw_tracker *t, uint64_t cookie)
{
	size_t mask = t->n_slots - 1;
	size_t i = tracker_home(t, cookie);

	while (t->slots[i] && t->v[t->slots[i] - 1].cookie != cookie)
		i = (i + 1) & mask;
	return i;
}

static void tracker_slot_delete(struct sw_tracker *t, size_t i)
{
	size_t mask = t->n_slots - 1;
	size_t j = i;

	for (;;) {
		size_t home;
		bool stays;

		j = (j + 1) & mask;
		if (!t->slots[j])
			break;
		home = tracker_home(t, t->v[t->slots[j] - 1].cookie);
		/* The entry at j must stay if its home lies cyclically in
		 * (i, j]: moving it to i would put it before its home. */
		stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = 0;
}

static int tracker_index_rebuild(struct sw_tracker *t, size_t cap)
{
	size_t n_slots = 2, mask;
	unsigned bits = 1;
	uint32_t *slots;

	while (n_slots < 2 * cap) {
		n_slots <<= 1;
		bits++;
	}
	slots = calloc(n_slots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(t->slots);
	t->slots = slots;
	t->n_slots = n_slots;
	t->slot_bits = bits;
	mask = n_slots - 1;
	for (size_t k = 0; k < t->n; k++) {
		size_t i = tracker_home(t, t->v[k].cookie);

		while (t->slots[i])
			i = (i + 1) & mask;
		t->slots[i] = (uint32_t)(k + 1);
	}
	return 0;
}

static int tracker_grow(struct sw_tracker *t)
{
	size_t ncap = t->cap ? t->cap * 2 : TRACKER_MIN_CAP;
	struct sw_tracked *nv;
	int r;

	nv = reallocarray(t->v, ncap, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	t->v = nv;
	/* On failure the array is merely larger than cap says. */
	r = tracker_index_rebuild(t, ncap);
	if (r < 0)
		return r;
	t->cap = ncap;
	return 0;
}

/* Entries a burst used and that are free again still count in RSS: once
 * TRACKER_RELEASE_MIN bytes of them have piled up, their pages go back to
 * the kernel, so RSS follows the listener count down within capacity. */
static void tracker_release_tail(struct sw_tracker *t)
{
	t->touched = SW_MIN(t->touched, t->cap);
	if (t->touched <= t->n || (t->touched - t->n) * sizeof(*t->v) < TRACKER_RELEASE_MIN)
		return;
	util_release_tail(t->v, t->n * sizeof(*t->v), t->cap * sizeof(*t->v));
	t->touched = t->n;
}

/* Halves the array while at most 3/8 is used: capacity follows the
 * listener count down after churn (a burst of new listeners in the poll
 * that old ones vanish doubles it), and a halved array is still at most 3/4
 * full, so the next few new listeners do not double it again at once.
 * Failure leaves the larger array. */
static void tracker_shrink(struct sw_tracker *t)
{
	while (t->cap > TRACKER_MIN_CAP && t->n <= t->cap / 8 * 3) {
		size_t ncap = t->cap / 2;
		struct sw_tracked *nv;

		if (tracker_index_rebuild(t, ncap) < 0)
			return;
		nv = reallocarray(t->v, ncap, sizeof(*nv));
		if (nv)
			t->v = nv;
		t->cap = ncap;
	}
	if (t->n == 0 && t->cap == TRACKER_MIN_CAP) {
		/* An empty namespace holds nothing at all. */
		free(t->v);
		free(t->slots);
		t->v = NULL;
		t->slots = NULL;
		t->cap = t->n_slots = 0;
		t->slot_bits = 0;
	}
}

static struct sw_tracked *tracker_lookup(const struct sw_tracker *t, uint64_t cookie)
{
	size_t i;

	if (t->n == 0)
		return NULL;
	i = tracker_slot_find(t, cookie);
	return t->slots[i] ? &t->v[t->slots[i] - 1] : NULL;
}

/* The entry for snapshot listener i, whose cookie is cookie: where it was
 * last time if it is still there, else through the index. The kernel dumps
 * an unchanged set of listeners in the same order, so in a steady poll
 * nearly every listener is found without touching the index. */
static struct sw_tracked *tracker_find_hinted(struct sw_tracker *t, size_t i, uint64_t cookie)
{
	uint32_t k = i < t->hint_n ? t->hint[i] : UINT32_MAX;

	if (k < t->n && t->v[k].cookie == cookie)
		return &t->v[k];
	return tracker_lookup(t, cookie);
}

/* New zeroed entry for cookie (not present). Returns its position. */
static int tracker_insert(struct sw_tracker *t, uint64_t cookie, size_t *ret_k)
{
	size_t i, k;
	int r;

	if (t->n >= SW_TRACKER_MAX_LISTENERS)
		return -ENOBUFS;
	if (t->n == t->cap) {
		r = tracker_grow(t);
		if (r < 0)
			return r;
	}
	k = t->n++;
	if (t->n > t->touched)
		t->touched = t->n;
	memset(&t->v[k], 0, sizeof(t->v[k]));
	t->v[k].cookie = cookie;
	i = tracker_slot_find(t, cookie);
	t->slots[i] = (uint32_t)(k + 1);
	*ret_k = k;
	return 0;
}

static void tracker_remove_at(struct sw_tracker *t, size_t k)
{
	size_t last = t->n - 1;

	free(t->v[k].detail);
	tracker_slot_delete(t, tracker_slot_find(t, t->v[k].cookie));
	if (k != last) {
		t->v[k] = t->v[last];
		/* The moved entry's slot still says last + 1; v[last] still
		 * holds the same cookie, so the probe finds it. */
		t->slots[tracker_slot_find(t, t->v[k].cookie)] = (uint32_t)(k + 1);
	}
	t->n--;
}

/* ---- lifecycle ----------------------------------------------------------------- */

int tracker_new(struct sw_tracker **ret)
{
	struct sw_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->ns.sysctl.somaxconn = -1;
	t->ns.sysctl.max_syn_backlog = -1;
	t->ns.sysctl.syncookies = -1;
	*ret = t;
	return 0;
}

void tracker_free(struct sw_tracker *t)
{
	if (!t)
		return;
	for (size_t k = 0; k < t->n; k++)
		free(t->v[k].detail);
	free(t->v);
	free(t->slots);
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
	return t->n;
}

const struct sw_tracked *tracker_get(const struct sw_tracker *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}

const struct sw_tracked *tracker_find(const struct sw_tracker *t, uint64_t cookie)
{
	return tracker_lookup(t, cookie);
}

bool tracker_any_at_warn(const struct sw_tracker *t)
{
	return t->n_at_warn > 0;
}

size_t tracker_syn_at_warn(const struct sw_tracker *t)
{
	return t->n_syn_at_warn;
}

bool tracker_syn_trigger(const struct sw_tracker *t)
{
	return t->syn_trigger;
}

const struct sw_ns_state *tracker_ns(const struct sw_tracker *t)
{
	return &t->ns;
}

size_t tracker_capacity(const struct sw_tracker *t)
{
	return t->cap;
}

const char *tracker_top_sources(const struct sw_tracked *tr)
{
	return tr->detail ? tr->detail->top_sources : "";
}

/* ---- events for a listener ----------------------------------------------------- */

static struct sw_event *tracker_event_new(struct sw_tracker *t, struct sw_events *out,
					  enum sw_event_kind kind, int *r)
{
	struct sw_event *ev = events_push(out);

	if (!ev) {
		*r = -ENOMEM;
		return NULL;
	}
	ev->kind = kind;
	ev->netns = t->ns.netns;
	ev->somaxconn = t->ns.sysctl.somaxconn;
	ev->max_syn_backlog = t->ns.sysctl.max_syn_backlog;
	ev->syncookies = t->ns.sysctl.syncookies;
	return ev;
}

static struct sw_event *tracker_listener_event(struct sw_tracker *t, const struct sw_tracked *tr,
					       enum sw_event_kind kind, enum sw_queue queue,
					       struct sw_events *out, int *r)
{
	const struct sw_queue_figures *q = queue == SW_QUEUE_SYN ? &tr->syn : &tr->accept;
	struct sw_event *ev = tracker_event_new(t, out, kind, r);

	if (!ev)
		return NULL;
	ev->queue = queue;
	ev->has_listener = true;
	ev->family = tr->family;
	memcpy(ev->addr, tr->addr, sizeof(ev->addr));
	ev->port = tr->port;
	ev->cookie = tr->cookie;
	ev->netns = tr->netns;
	ev->inode = tr->inode;
	ev->cgroup_id = tr->cgroup_id;
	ev->full_at_limit = queue == SW_QUEUE_SYN && t->syn_full_at_limit;
	ev->depth = q->depth;
	ev->limit = q->limit;
	ev->peak = q->peak;
	ev->percent = q->percent;
	ev->limit_source = q->source;
	ev->syn_mode = tr->syn_mode;
	ev->somaxconn_stale = tr->somaxconn_stale;
	ev->drops = tr->drops_rule.unreported;
	ev->drops_total = tr->drops.total;
	if (queue == SW_QUEUE_SYN)
		snprintf(ev->top_sources, sizeof(ev->top_sources), "%s", tracker_top_sources(tr));
	return ev;
}

/* The queue whose figures a listen-drops entry shows: sk_drops does not say
 * which queue overflowed. The accept queue is the usual cause (and a full
 * accept queue drops SYNs too); the SYN queue only when the accept queue was
 * not seen full and the SYN queue, with cookies off, was. */
static enum sw_queue tracker_drops_queue(const struct sw_tracked *tr)
{
	if (tr->accept.peak <= tr->accept.limit && tr->syn_scanned &&
	    tr->syn_mode == SW_SYN_DROP_ON_OVERFLOW && tr->syn.peak >= tr->syn.limit)
		return SW_QUEUE_SYN;
	return SW_QUEUE_ACCEPT;
}

static void tracker_emit_drops(struct sw_tracker *t, const struct sw_tracked *tr,
			       uint64_t drops, struct sw_events *out, int *r)
{
	struct sw_event *ev = tracker_listener_event(t, tr, SW_EV_LISTEN_DROPS,
						     tracker_drops_queue(tr), out, r);

	if (!ev)
		return;
	/* Connections (or their SYNs/ACKs) were lost: past any threshold. */
	ev->level = SW_LEVEL_CRITICAL;
	ev->drops = drops;
}

static struct sw_event *tracker_emit_rule(struct sw_tracker *t, const struct sw_tracked *tr,
					  enum sw_queue queue, const struct sw_rule_out *ro,
					  bool gone, struct sw_events *out, int *r)
{
	enum sw_event_kind kind;
	struct sw_event *ev;

	if (ro->action == SW_RULE_NONE)
		return NULL;
	if (ro->action == SW_RULE_CLEARED)
		kind = SW_EV_CLEARED;
	else
		kind = queue == SW_QUEUE_SYN ? SW_EV_SYN_QUEUE : SW_EV_ACCEPT_QUEUE;
	ev = tracker_listener_event(t, tr, kind, queue, out, r);
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

	for (size_t k = 0; k < t->n; k++) {
		struct sw_tracked *o = &t->v[k];

		if (o == tr || o->seen_gen != t->gen || !tracker_same_endpoint(o, tr))
			continue;
		if (!best || o->cookie < best->cookie)
			best = o;
	}
	return best;
}

/* Closes everything open for tr: unreported drops first (nothing lost), then
 * a cleared entry per raised level. gone: the listener vanished (else a
 * different socket took over its cookie, reported the same way). */
static void tracker_close(struct sw_tracker *t, struct sw_tracked *tr, uint64_t now_usec,
			  struct sw_events *out, int *r)
{
	struct sw_rule_out ro;
	uint64_t drops;

	drops = rules_drops_flush(&tr->drops_rule, now_usec);
	if (drops > 0)
		tracker_emit_drops(t, tr, drops, out, r);

	rules_close(&tr->accept_rule, &ro);
	tracker_emit_rule(t, tr, SW_QUEUE_ACCEPT, &ro, true, out, r);

	if (tr->syn_rule.level != SW_LEVEL_OK && tr->syn_reporter) {
		struct sw_tracked *heir = tracker_syn_heir(t, tr);

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
		tracker_emit_rule(t, tr, SW_QUEUE_SYN, &ro, true, out, r);
	tr->level = SW_LEVEL_OK;
}

/* ---- per-listener update -------------------------------------------------------- */

static bool tracker_same_listener(const struct sw_tracked *tr, const struct sw_listener *l)
{
	return tr->family == l->family && tr->port == l->port && tr->inode == l->inode &&
	       memcmp(tr->addr, l->addr, sizeof(tr->addr)) == 0;
}

static void tracker_entry_init(struct sw_tracked *tr,
			       const struct sw_listener *l, const struct sw_snapshot *s,
			       bool born_since_last, uint64_t now_usec)
{
	free(tr->detail);
	memset(tr, 0, sizeof(*tr));
	tr->cookie = l->cookie;
	tr->family = l->family;
	memcpy(tr->addr, l->addr, sizeof(tr->addr));
	tr->port = l->port;
	tr->inode = l->inode;
	tr->first_seen_usec = now_usec;
	/* If wqueue equals this later, somaxconn capped the backlog. */
	tr->somaxconn_at_first = s->sysctl.somaxconn;
	rules_state_init(&tr->accept_rule);
	rules_state_init(&tr->syn_rule);
	tr->level = SW_LEVEL_OK;
	/* A listener that appeared since the last poll started with sk_drops
	 * at 0: all it shows now was lost since that poll (a burst right
	 * after listen() is still reported). At the daemon's first poll, or
	 * when a reload brought older listeners into view, the drops may be
	 * ancient: they are the baseline, not news. */
	if (l->has_drops) {
		tr->drops.last_raw = born_since_last ? 0 : l->drops;
		tr->drops.known = true;
	}
}

static bool tracker_source_before(const struct sw_syn_source *a, const struct sw_top_source *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	if (a->family != b->family)
		return a->family < b->family;
	return memcmp(a->addr, b->addr, sizeof(a->addr)) < 0;
}

static void tracker_top_fill(struct sw_tracked_detail *d, const struct sw_syn_group *g)
{
	uint64_t total = g->other_sources, in_top = 0;
	size_t left = sizeof(d->top_sources);
	char *p = d->top_sources;
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->n_sources && g->sources; i++) {
		const struct sw_syn_source *src = &g->sources[i];
		uint32_t pos = n;

		total += src->count;
		if (src->count == 0)
			continue;
		while (pos > 0 && tracker_source_before(src, &d->top[pos - 1]))
			pos--;
		if (pos >= SW_TRACKER_TOP_SOURCES)
			continue;
		if (n < SW_TRACKER_TOP_SOURCES)
			n++;
		memmove(&d->top[pos + 1], &d->top[pos], (n - 1 - pos) * sizeof(d->top[0]));
		d->top[pos].family = src->family;
		memcpy(d->top[pos].addr, src->addr, sizeof(d->top[pos].addr));
		d->top[pos].count = src->count;
	}
	d->n_top = n;
	for (uint32_t k = 0; k < n; k++)
		in_top += d->top[k].count;
	d->other_sources = (uint32_t)SW_MIN(total - in_top, (uint64_t)UINT32_MAX);

	p[0] = 0;
	for (uint32_t k = 0; k < n; k++) {
		char a[INET6_ADDRSTRLEN], item[INET6_ADDRSTRLEN + 16];
		int len;

		util_addr_str(d->top[k].family, d->top[k].addr, a, sizeof(a));
		len = snprintf(item, sizeof(item), "%s%s=%u", k ? "," : "", a, d->top[k].count);
		/* Whole items only: a cut address would name someone else. */
		if (len < 0 || (size_t)len >= left)
			break;
		memcpy(p, item, (size_t)len + 1);
		p += len;
		left -= (size_t)len;
	}
}

static int tracker_detail_get(struct sw_tracked *tr)
{
	if (!tr->detail) {
		tr->detail = calloc(1, sizeof(*tr->detail));
		if (!tr->detail)
			return -ENOMEM;
	}
	return 0;
}

/* Top sources and the history ring; window peaks. g: the listener's group
 * when scanned in this update, else NULL. */
static void tracker_note(struct sw_tracked *tr, const struct sw_syn_group *g,
			 uint64_t now_usec, int *r)
{
	uint32_t epoch = (uint32_t)(now_usec / SW_HISTORY_SLOT_USEC + 1);
	uint32_t acc = 0, syn = 0;
	struct sw_tracked_detail *d;
	struct sw_history_slot *sl;
	bool busy = tr->accept.depth > 0 || (g && g->depth > 0);

	if (g && g->n_sources > 0) {
		if (tracker_detail_get(tr) < 0) {
			*r = -ENOMEM;
		} else {
			tracker_top_fill(tr->detail, g);
		}
	} else if (g && tr->detail) {
		tr->detail->n_top = 0;
		tr->detail->other_sources = g->other_sources;
		tr->detail->top_sources[0] = 0;
	}

	if (!tr->detail && busy && tracker_detail_get(tr) < 0)
		*r = -ENOMEM;
	d = tr->detail;
	if (!d) {
		tr->accept.window_peak = tr->syn.window_peak = 0;
		return;
	}

	sl = &d->slot[epoch % SW_HISTORY_SLOTS];
	if (sl->epoch != epoch) {
		memset(sl, 0, sizeof(*sl));
		sl->epoch = epoch;
	}
	sl->has_accept = true;
	sl->accept_peak = SW_MAX(sl->accept_peak, tr->accept.depth);
	if (g) {
		sl->has_syn = true;
		sl->syn_peak = SW_MAX(sl->syn_peak, g->depth);
	}

	for (size_t i = 0; i < SW_HISTORY_SLOTS; i++) {
		const struct sw_history_slot *o = &d->slot[i];

		if (o->epoch == 0 || o->epoch > epoch || epoch - o->epoch >= SW_HISTORY_SLOTS)
			continue;
		acc = SW_MAX(acc, o->accept_peak);
		syn = SW_MAX(syn, o->syn_peak);
	}
	tr->accept.window_peak = acc;
	tr->syn.window_peak = syn;

	/* Nothing left worth showing: give the memory back. */
	if (acc == 0 && syn == 0 && d->n_top == 0 && !busy) {
		free(d);
		tr->detail = NULL;
	}
}

static void tracker_step(struct sw_tracker *t, struct sw_tracked *tr,
			 const struct sw_listener *l, const struct sw_thresholds *th,
			 const struct sw_snapshot *s, const struct sw_config *cfg,
			 uint64_t now_usec, struct sw_events *out, int *r)
{
	const struct sw_syn_group *g = NULL;
	struct sw_rule_out ro;
	struct sw_limits lim;
	bool syn_applies;
	uint64_t delta = 0, drops;
	size_t first, carrier = 0;     /* carrier: index + 1 of the entry that takes the drops */
	struct sw_event *ev;

	limits_compute(l->accept_limit, &s->sysctl, tr->somaxconn_at_first, &lim);
	tr->last_seen_usec = now_usec;
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

	/* The SYN limit and the group's membership are known from the listener
	 * dump alone; the depth only from a scan (kept from the last one). */
	tr->syn.source = lim.syn_source;
	if (l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups) {
		const struct sw_group_scratch *gs = &t->grp[l->syn_group];

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
		tr->drops.last_usec = now_usec;
	t->ns.listener_drops_delta += delta;
	if (delta > 0)
		t->syn_trigger = true;

	tracker_note(tr, g, now_usec, r);

	first = out->n;
	if (rules_step(&tr->accept_rule, tr->accept.percent, th, cfg->sustain,
		       cfg->realert_usec, now_usec, &ro) != SW_RULE_NONE) {
		ev = tracker_emit_rule(t, tr, SW_QUEUE_ACCEPT, &ro, false, out, r);
		if (ev && ev->kind != SW_EV_CLEARED && !carrier)
			carrier = out->n;
		tr->accept.peak = tr->accept.depth;
	}

	syn_applies = lim.syn_mode != SW_SYN_COOKIES_ALWAYS;
	if (!syn_applies) {
		/* Every SYN gets a cookie: depth alerts mean nothing here;
		 * an alert open from before the mode change is closed. */
		if (rules_close(&tr->syn_rule, &ro) != SW_RULE_NONE && tr->syn_reporter)
			tracker_emit_rule(t, tr, SW_QUEUE_SYN, &ro, false, out, r);
	} else if (g) {
		/* Every member steps the same samples so that each shows the
		 * group's state; only the reporter writes entries. */
		if (rules_step(&tr->syn_rule, tr->syn.percent, th, cfg->sustain,
			       cfg->realert_usec, now_usec, &ro) != SW_RULE_NONE) {
			if (tr->syn_reporter) {
				ev = tracker_emit_rule(t, tr, SW_QUEUE_SYN, &ro, false, out, r);
				if (ev && ev->kind != SW_EV_CLEARED && !carrier)
					carrier = out->n;
			}
			tr->syn.peak = tr->syn.depth;
		}
	}

	/* Drops ride on a queue entry raised or repeated in this poll, so
	 * one entry says both how full and how much was lost; without one
	 * they get a listen-drops entry of their own (a burst no sample saw,
	 * or an open alert still losing connections). */
	if (carrier) {
		for (size_t i = first; i < out->n; i++)
			out->v[i].drops = 0;
		out->v[carrier - 1].drops = rules_drops_step(&tr->drops_rule, delta, 0, now_usec);
	} else {
		drops = rules_drops_step(&tr->drops_rule, delta, SW_RULES_DROPS_INTERVAL_USEC,
					 now_usec);
		if (drops > 0)
			tracker_emit_drops(t, tr, drops, out, r);
	}

	tr->level = SW_MAX(tr->accept_rule.level, tr->syn_rule.level);
	if (tr->level != SW_LEVEL_OK || tr->accept.percent >= th->warn ||
	    (syn_applies && tr->syn_scanned && tr->syn.percent >= th->warn))
		t->n_at_warn++;
	if (syn_applies && (tr->syn_rule.level != SW_LEVEL_OK ||
			    (tr->syn_scanned && tr->syn.percent >= th->warn)))
		t->n_syn_at_warn++;
}

/* ---- namespace ------------------------------------------------------------------- */

static bool tracker_ns_moved(const struct sw_ns_state *ns, enum sw_counter c)
{
	return (ns->delta_known & (1u << c)) && ns->delta[c] > 0;
}

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

	/* Under tcp_syncookies = 2 the cookie counters move on every SYN and
	 * the SYN queue is not used: they trigger no scan. */
	t->syn_trigger = tracker_ns_moved(ns, SW_CTR_LISTEN_DROPS) ||
			 tracker_ns_moved(ns, SW_CTR_REQQ_FULL_DROP) ||
			 (ns->sysctl.syncookies != 2 &&
			  (tracker_ns_moved(ns, SW_CTR_REQQ_FULL_COOKIES) ||
			   tracker_ns_moved(ns, SW_CTR_SYNCOOKIES_SENT)));
}

static void tracker_ns_rule(struct sw_tracker *t, uint64_t now_usec, struct sw_events *out, int *r)
{
	struct sw_ns_rule_out no;
	struct sw_event *ev;

	if (!rules_ns_step(&t->ns.rule, t->ns.delta, t->ns.delta_known,
			   t->ns.sysctl.syncookies == 2, t->ns.listener_drops_delta,
			   SW_RULES_DROPS_INTERVAL_USEC, now_usec, &no))
		return;
	ev = tracker_event_new(t, out, SW_EV_SYNCOOKIES, r);
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

int tracker_update(struct sw_tracker *t, const struct sw_snapshot *s,
		   const struct sw_config *cfg, uint64_t now_usec, struct sw_events *out)
{
	int r = 0, k;
	bool births;

	k = tracker_scratch((void **)&t->lth, &t->lth_cap, s->n_listeners, sizeof(*t->lth));
	if (k < 0)
		return k;
	k = tracker_scratch((void **)&t->grp, &t->grp_cap, s->n_groups, sizeof(*t->grp));
	if (k < 0)
		return k;
	k = tracker_scratch((void **)&t->hint, &t->hint_cap, s->n_listeners, sizeof(*t->hint));
	if (k < 0)
		return k;
	for (size_t i = t->hint_n; i < s->n_listeners; i++)
		t->hint[i] = UINT32_MAX;
	t->hint_n = s->n_listeners;
	if (s->n_groups > 0)
		memset(t->grp, 0, s->n_groups * sizeof(*t->grp));

	births = t->ns.polls > 0 && !t->reloaded;
	t->reloaded = false;
	t->gen++;
	t->n_at_warn = 0;
	t->n_syn_at_warn = 0;
	tracker_ns_update(t, s, now_usec);

	/* Pass 1: decide which listeners are tracked, create the new ones,
	 * mark the present ones and total each SYN group over its members. */
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];
		const struct sw_thresholds *th;
		struct sw_tracked *tr;
		struct sw_limits lim;
		bool ignore = false;

		t->lth[i] = NULL;
		if (!config_filter_match(cfg, l->family, l->addr, l->port))
			continue;
		th = config_thresholds_for(cfg, l->family, l->addr, l->port, &ignore);
		if (ignore || !th)
			continue;

		tr = tracker_find_hinted(t, i, l->cookie);
		if (tr && tr->seen_gen == t->gen)
			continue;       /* listed twice by the dump */
		if (tr && !tracker_same_listener(tr, l)) {
			/* Another socket under a known cookie must not
			 * inherit the old one's state: close the old one as
			 * gone, start afresh in the same place. */
			tracker_close(t, tr, now_usec, out, &r);
			tracker_entry_init(tr, l, s, births, now_usec);
		} else if (!tr) {
			size_t pos;

			k = tracker_insert(t, l->cookie, &pos);
			if (k < 0) {
				r = k;
				continue;
			}
			tr = &t->v[pos];
			tracker_entry_init(tr, l, s, births, now_usec);
		}
		tr->seen_gen = t->gen;
		t->lth[i] = th;
		t->hint[i] = (uint32_t)(tr - t->v);

		if (l->syn_group >= 0 && (size_t)l->syn_group < s->n_groups) {
			struct sw_group_scratch *gs = &t->grp[l->syn_group];

			limits_compute(l->accept_limit, &s->sysctl, tr->somaxconn_at_first, &lim);
			if (gs->members == 0 || l->cookie < gs->reporter)
				gs->reporter = l->cookie;
			gs->members++;
			gs->limit_sum += lim.syn_limit;
		}
	}

	/* Vanished listeners, walked downwards so that the swap-remove only
	 * moves entries already visited. */
	for (size_t i = t->n; i-- > 0;) {
		if (t->v[i].seen_gen == t->gen)
			continue;
		tracker_close(t, &t->v[i], now_usec, out, &r);
		tracker_remove_at(t, i);
	}
	tracker_shrink(t);
	tracker_release_tail(t);

	/* Pass 2: figures, history, rules, entries. */
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct sw_listener *l = &s->listeners[i];
		struct sw_tracked *tr;

		if (!t->lth[i])
			continue;
		tr = tracker_find_hinted(t, i, l->cookie);
		if (!tr || tr->stepped_gen == t->gen)
			continue;
		tr->stepped_gen = t->gen;
		tracker_step(t, tr, l, t->lth[i], s, cfg, now_usec, out, &r);
	}

	tracker_ns_rule(t, now_usec, out, &r);
	return r;
}

size_t tracker_history(const struct sw_tracked *tr, struct sw_history_point ret[SW_HISTORY_SLOTS])
{
	uint64_t cur = tr->last_seen_usec / SW_HISTORY_SLOT_USEC + 1;
	size_t n = 0;

	for (size_t i = 0; i < SW_HISTORY_SLOTS; i++) {
		const struct sw_history_slot *sl;
		struct sw_history_point *pt = &ret[i];
		uint64_t e;

		memset(pt, 0, sizeof(*pt));
		if (cur + i < SW_HISTORY_SLOTS)
			continue;   /* before the clock's origin */
		e = cur + i - (SW_HISTORY_SLOTS - 1);
		if (e == 0)
			continue;
		pt->start_usec = (e - 1) * SW_HISTORY_SLOT_USEC;
		if (!tr->detail)
			continue;
		sl = &tr->detail->slot[e % SW_HISTORY_SLOTS];
		if (sl->epoch != (uint32_t)e)
			continue;
		pt->accept_peak = sl->accept_peak;
		pt->syn_peak = sl->syn_peak;
		pt->has_accept = sl->has_accept;
		pt->has_syn = sl->has_syn;
		if (pt->has_accept || pt->has_syn)
			n++;
	}
	return n;
}

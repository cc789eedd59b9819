#include "history.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tracker.h"

static bool history_source_before(const struct sw_syn_source *a, const struct sw_top_source *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	if (a->family != b->family)
		return a->family < b->family;
	return memcmp(a->addr, b->addr, sizeof(a->addr)) < 0;
}

static void history_top_fill(struct sw_tracked_detail *d, const struct sw_syn_group *g)
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
		while (pos > 0 && history_source_before(src, &d->top[pos - 1]))
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

		addr_str(d->top[k].family, d->top[k].addr, a, sizeof(a));
		len = snprintf(item, sizeof(item), "%s%s=%u", k ? "," : "", a, d->top[k].count);
		/* Whole items only: a cut address would name someone else. */
		if (len < 0 || (size_t)len >= left)
			break;
		memcpy(p, item, (size_t)len + 1);
		p += len;
		left -= (size_t)len;
	}
}

static int history_detail_get(struct sw_tracked *tr)
{
	if (!tr->detail) {
		tr->detail = calloc(1, sizeof(*tr->detail));
		if (!tr->detail)
			return -ENOMEM;
	}
	return 0;
}

/* Top sources of g, the listener's group scanned in this update. */
static int history_sources(struct sw_tracked *tr, const struct sw_syn_group *g)
{
	if (g->n_sources > 0) {
		if (history_detail_get(tr) < 0)
			return -ENOMEM;
		history_top_fill(tr->detail, g);
	} else if (tr->detail) {
		tr->detail->n_top = 0;
		tr->detail->other_sources = g->other_sources;
		tr->detail->top_sources[0] = 0;
	}
	return 0;
}

/* Writes the sample into its slot of the ring and sets tr's window peaks;
 * frees the detail once nothing in it is worth showing. */
static void history_ring(struct sw_tracked *tr, const struct sw_syn_group *g,
			 uint64_t now_usec, bool busy)
{
	uint32_t epoch = (uint32_t)(now_usec / SW_HISTORY_SLOT_USEC + 1);
	struct sw_tracked_detail *d = tr->detail;
	struct sw_history_slot *sl = &d->slot[epoch % SW_HISTORY_SLOTS];
	uint32_t acc = 0, syn = 0;

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
	if (acc == 0 && syn == 0 && d->n_top == 0 && !busy)
		history_forget(tr);
}

int history_note(struct sw_tracked *tr, const struct sw_syn_group *g, uint64_t now_usec)
{
	bool busy = tr->accept.depth > 0 || (g && g->depth > 0);
	int r = 0;

	if (g)
		r = history_sources(tr, g);
	if (!tr->detail && busy && history_detail_get(tr) < 0)
		r = -ENOMEM;
	if (!tr->detail) {
		tr->accept.window_peak = tr->syn.window_peak = 0;
		return r;
	}
	history_ring(tr, g, now_usec, busy);
	return r;
}

void history_forget(struct sw_tracked *tr)
{
	free(tr->detail);
	tr->detail = NULL;
}

const char *tracker_top_sources(const struct sw_tracked *tr)
{
	return tr->detail ? tr->detail->top_sources : "";
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

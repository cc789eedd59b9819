/* sockwatchctl's output, rendered from the status document; see render.h.
 * Every field is optional here: a document from an older or newer daemon
 * renders with "-" where something is missing, never a crash. */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "order.h"
#include "protocol.h"
#include "text.h"
#include "macro.h"

/* ---- terminal safety ---- */

/* Writes s with every control character as '?' (text.h). */
static void fput_clean(const char *s, FILE *f)
{
	_cleanup_free_ char *clean = text_clean_dup(s);

	if (clean)
		fputs(clean, f);
}

void render_sanitize(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		if (text_has_control(json_object_get_string(o))) {
			_cleanup_free_ char *clean = text_clean_dup(json_object_get_string(o));

			if (clean)
				json_object_set_string(o, clean);
		}
		break;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			render_sanitize(json_object_iter_peek_value(&it));
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			render_sanitize(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

/* ---- small formatters ---- */

static const char *fmt_cost_us(int64_t us, char *buf, size_t len)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 1000)
		snprintf(buf, len, "%" PRId64 "us", us);
	else
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "ms", us / 1000, us % 1000 / 100);
	return buf;
}

const char *render_i64(struct json_object *o, const char *key, char *buf, size_t len)
{
	int64_t v;

	if (!jsonget_int(o, key, &v))
		return "-";
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

const char *render_ms(struct json_object *o, const char *key, char *buf, size_t len)
{
	int64_t ms;

	if (!jsonget_int(o, key, &ms) || ms < 0)
		return "-";
	return render_duration((uint64_t)ms, buf, len);
}

bool render_queue_percent(struct json_object *q, double *ret)
{
	int64_t depth, limit;

	if (jsonget_num(q, "percent", ret))
		return true;
	if (!jsonget_int(q, "depth", &depth) || !jsonget_int(q, "limit", &limit) || limit <= 0)
		return false;
	*ret = text_percent_value(100.0 * (double)depth / (double)limit);
	return true;
}

/* In cookies-always mode the SYN queue stays empty and has no meaningful
 * fill (KERNEL-NOTES.md). */
bool render_syn_applies(struct json_object *syn)
{
	const char *mode = jsonget_str(syn, "mode");

	return !mode || strcmp(mode, "cookies-always") != 0;
}

double render_fill(struct json_object *l, bool *is_syn)
{
	double a = 0, s = 0;
	struct json_object *syn = jsonget_obj(l, "syn");
	bool syn_counts;

	render_queue_percent(jsonget_obj(l, "accept"), &a);
	syn_counts = render_syn_applies(syn) && render_queue_percent(syn, &s);
	return order_fuller(a, syn_counts, s, is_syn);
}

char *render_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

char *render_depth_limit(struct json_object *q)
{
	int64_t d, l;

	if (!jsonget_int(q, "depth", &d))
		return strdup("-");
	if (!jsonget_int(q, "limit", &l))
		return render_asprintf("%" PRId64 "/-", d);
	return render_asprintf("%" PRId64 "/%" PRId64, d, l);
}

char *render_percent(struct json_object *q, bool applies)
{
	char buf[TEXT_PERCENT_MAX];
	double p;

	if (!applies || !render_queue_percent(q, &p))
		return strdup("-");
	return strdup(text_percent(p, buf, sizeof(buf)));
}

char *render_int(struct json_object *o, const char *key)
{
	int64_t v;

	if (!jsonget_int(o, key, &v))
		return strdup("-");
	return render_asprintf("%" PRId64, v);
}

/* "nginx[812]", or the unit, or "-". */
static char *fmt_owner(struct json_object *l)
{
	struct json_object *p = jsonget_obj(l, "process");
	const char *comm = jsonget_str(p, "comm"), *unit = jsonget_str(p, "unit");
	int64_t pid;

	if (!p)
		return strdup("-");
	if (comm && *comm && jsonget_int(p, "pid", &pid) && pid > 0)
		return render_asprintf("%s[%" PRId64 "]", comm, pid);
	if (comm && *comm)
		return strdup(comm);
	if (unit && *unit)
		return strdup(unit);
	if (jsonget_int(p, "pid", &pid) && pid > 0)
		return render_asprintf("[%" PRId64 "]", pid);
	return strdup("-");
}

int render_state_level(const char *state)
{
	if (!state || strcmp(state, "ok") == 0)
		return 0;
	return strcmp(state, "critical") == 0 ? 2 : 1;
}

const char *render_state_colour(const char *state)
{
	switch (render_state_level(state)) {
	case 2:
		return ANSI_RED;
	case 1:
		return ANSI_YELLOW;
	default:
		return NULL;
	}
}

/* ---- ordering: fullest first ---- */

static int row_cmp(const void *a, const void *b)
{
	return order_fullest(&((const struct render_row *)a)->key,
			     &((const struct render_row *)b)->key);
}

int render_rows(struct json_object *doc, bool all, struct render_row **ret, size_t *ret_n,
		size_t *ret_hidden)
{
	struct json_object *list = jsonget_arr(doc, "listeners");
	struct render_row *rows;
	size_t n, k = 0, hidden = 0;

	if (!list)
		return -EINVAL;
	n = json_object_array_length(list);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(list, i);
		struct json_object *drops = jsonget_obj(l, "drops");

		if (!json_object_is_type(l, json_type_object))
			continue;
		if (!all && protocol_listener_idle(l)) {
			hidden++;
			continue;
		}
		rows[k] = (struct render_row){
			.l = l,
			.key = {
				/* In alert first, as in the daemon's document:
				 * a level held by hysteresis still matters
				 * more than a fuller queue below warn. */
				.level = render_state_level(jsonget_str(l, "state")),
				.fill = render_fill(l, NULL),
				.drops_delta = jsonget_int_or(drops, "delta", 0),
				.port = (uint16_t)jsonget_int_or(l, "port", 0),
				.cookie = (uint64_t)jsonget_int_or(l, "cookie", 0),
				.netns = jsonget_scalar(l, "netns", NULL),
			},
		};
		k++;
	}
	qsort(rows, k, sizeof(*rows), row_cmp);
	*ret = rows;
	*ret_n = k;
	*ret_hidden = hidden;
	return 0;
}

/* ---- status ---- */

static void render_daemon(FILE *f, struct json_object *doc)
{
	struct json_object *d = jsonget_obj(doc, "daemon"), *scan = jsonget_obj(d, "syn_scan");
	const char *version = jsonget_str(d, "version"), *mode = jsonget_str(scan, "mode");
	char b1[32], b2[32], b3[32];
	int64_t v;

	fprintf(f, "sockwatchd%s%s", version ? " " : "", version ? version : "");
	if (jsonget_int(d, "pid", &v))
		fprintf(f, " (pid %" PRId64 ")", v);
	fprintf(f, ", up %s\n", render_ms(d, "uptime_ms", b1, sizeof(b1)));

	fprintf(f, "polls: %s, every %s", render_i64(d, "polls", b3, sizeof(b3)),
		render_ms(d, "interval_ms", b1, sizeof(b1)));
	if (jsonget_int(d, "fast_interval_ms", &v))
		fprintf(f, " (%s in alert)", render_ms(d, "fast_interval_ms", b2, sizeof(b2)));
	if (jsonget_int(d, "last_poll_us", &v))
		fprintf(f, ", last %s", fmt_cost_us(v, b1, sizeof(b1)));
	fprintf(f, "; SYN scan: %s", mode ? mode : "-");
	if (!mode || strcmp(mode, "off") != 0) {
		if (jsonget_int(scan, "interval_ms", &v) && v > 0)
			fprintf(f, ", every %s", render_ms(scan, "interval_ms", b1, sizeof(b1)));
		if (jsonget_int(scan, "last_cost_us", &v))
			fprintf(f, ", last %s", fmt_cost_us(v, b1, sizeof(b1)));
		/* SYN depths come from the last scan, which may be far older
		 * than the accept depths of the last poll. */
		if (jsonget_int(scan, "last_age_ms", &v) && v >= 0)
			fprintf(f, "; SYN depths %s old", render_duration((uint64_t)v, b1, sizeof(b1)));
	}
	fputc('\n', f);
}

static void render_counters(FILE *f, struct json_object *ns)
{
	struct json_object *deltas = jsonget_obj(ns, "deltas"), *counters = jsonget_obj(ns, "counters");
	struct json_object *src = deltas ? deltas : counters;
	bool any = false;

	if (!src)
		return;
	fputs(deltas ? "  since last poll:" : "  counters:", f);
	json_object_object_foreach(src, key, val) {
		int64_t v;

		if (!json_object_is_type(val, json_type_int))
			continue;
		v = json_object_get_int64(val);
		if (v == 0)
			continue;
		fprintf(f, "%s ", any ? "," : "");
		fput_clean(key, f);
		fprintf(f, " %s%" PRId64, deltas ? "+" : "", v);
		any = true;
	}
	if (!any)
		fputs(deltas ? " no change" : " all zero", f);
	fputc('\n', f);
}

/* The set: "namespaces: 3 watched (all), 1 not watched, 2 left out by
 * [filter]", or "namespaces: own only (why)". Nothing from a daemon that
 * does not say. */
static void render_nsset(FILE *f, struct json_object *doc)
{
	struct json_object *s = jsonget_obj(jsonget_obj(doc, "daemon"), "namespaces");
	const char *mode = jsonget_str(s, "mode"), *why = jsonget_str(s, "own_only_reason");
	char b[32];
	int64_t v;

	if (!s)
		return;
	if (mode && strcmp(mode, "all") != 0) {
		fputs("namespaces: own only", f);
		if (why) {
			fputs(" (", f);
			fput_clean(why, f);
			fputc(')', f);
		}
	} else {
		fprintf(f, "namespaces: %s watched (all)", render_i64(s, "watched", b, sizeof(b)));
		if (jsonget_int(s, "unwatched", &v) && v > 0)
			fprintf(f, ", %" PRId64 " not watched (over the limit or failed to open)", v);
		if (jsonget_int(s, "filtered", &v) && v > 0)
			fprintf(f, ", %" PRId64 " left out by [filter]", v);
	}
	fputc('\n', f);
}

static void render_namespaces(FILE *f, struct json_object *doc)
{
	struct json_object *list = jsonget_arr(doc, "namespaces");
	size_t n = list ? json_object_array_length(list) : 0;

	render_nsset(f, doc);
	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(list, i);
		const char *name = jsonget_str(ns, "name");
		char b1[24], b2[24], b3[24];

		fprintf(f, "namespace %s: somaxconn %s, tcp_max_syn_backlog %s, tcp_syncookies %s\n",
			name ? name : jsonget_scalar(ns, "id", "-"),
			render_i64(ns, "somaxconn", b1, sizeof(b1)),
			render_i64(ns, "tcp_max_syn_backlog", b2, sizeof(b2)),
			render_i64(ns, "tcp_syncookies", b3, sizeof(b3)));
		render_counters(f, ns);
	}
}

enum {
	COL_LISTENER, COL_NETNS, COL_OWNER,
	COL_ACCEPT, COL_APCT, COL_APEAK,
	COL_SYN, COL_SPCT, COL_SPEAK,
	COL_DROPS, COL_TOTAL, COL_STATE,
	N_COLS,
};

static const struct {
	const char *title;
	bool right;
} columns[N_COLS] = {
	[COL_LISTENER] = { "LISTENER", false },
	[COL_NETNS] = { "NETNS", false },
	[COL_OWNER] = { "OWNER", false },
	[COL_ACCEPT] = { "ACCEPT", true },
	[COL_APCT] = { "%", true },
	[COL_APEAK] = { "PEAK", true },
	[COL_SYN] = { "SYN", true },
	[COL_SPCT] = { "%", true },
	[COL_SPEAK] = { "PEAK", true },
	[COL_DROPS] = { "DROPS", true },
	[COL_TOTAL] = { "TOTAL", true },
	[COL_STATE] = { "STATE", false },
};

/* Narrowest the truncatable columns get on a small terminal. */
#define COL_MIN_WIDTH 8

static int fill_cells(struct json_object *l, char **cells)
{
	struct json_object *acc = jsonget_obj(l, "accept"), *syn = jsonget_obj(l, "syn"), *drops = jsonget_obj(l, "drops");
	const char *name = jsonget_str(l, "listener"), *state = jsonget_str(l, "state");

	cells[COL_LISTENER] = strdup(name ? name : "-");
	cells[COL_NETNS] = strdup(jsonget_scalar(l, "netns", "-"));
	cells[COL_OWNER] = fmt_owner(l);
	cells[COL_ACCEPT] = render_depth_limit(acc);
	cells[COL_APCT] = render_percent(acc, true);
	cells[COL_APEAK] = render_int(acc, "peak");
	cells[COL_SYN] = render_depth_limit(syn);
	cells[COL_SPCT] = render_percent(syn, render_syn_applies(syn));
	cells[COL_SPEAK] = render_int(syn, "peak");
	cells[COL_DROPS] = render_int(drops, "delta");
	cells[COL_TOTAL] = render_int(drops, "total");
	cells[COL_STATE] = strdup(state ? state : "-");
	for (size_t c = 0; c < N_COLS; c++)
		if (!cells[c])
			return -ENOMEM;
	return 0;
}

/* Cells are ASCII (addresses, numbers, comm names the kernel gives), so
 * bytes are columns; anything else is at worst misaligned, never cut
 * beyond its buffer. */
static void print_cell(FILE *f, const char *text, size_t width, bool right, bool last,
		       const char *colour)
{
	size_t len = strlen(text), shown = SW_MIN(len, width);
	bool cut = len > width && width > 0;

	if (cut)
		shown = width - 1;
	if (right)
		fprintf(f, "%*s", (int)(width - (cut ? width : len)), "");
	if (colour)
		fputs(colour, f);
	fwrite(text, 1, shown, f);
	if (cut)
		fputc('~', f);
	if (colour)
		fputs(ANSI_RESET, f);
	if (!right && !last)
		fprintf(f, "%*s", (int)(width - (cut ? width : len)), "");
}

static void print_table(FILE *f, char *(*cells)[N_COLS], size_t n, const bool *show,
			const struct sw_render_opts *o)
{
	size_t width[N_COLS], total = 0, last = 0;

	for (size_t c = 0; c < N_COLS; c++) {
		width[c] = strlen(columns[c].title);
		for (size_t i = 0; i < n; i++)
			width[c] = SW_MAX(width[c], strlen(cells[i][c]));
		if (show[c]) {
			total += width[c] + (total ? 2 : 0);
			last = c;
		}
	}
	/* On a narrow terminal, give up owner, then listener, characters. */
	if (o->width > 0 && total > o->width) {
		static const int shrink[] = { COL_OWNER, COL_LISTENER };

		for (size_t k = 0; k < SW_ARRAY_SIZE(shrink) && total > o->width; k++) {
			size_t c = (size_t)shrink[k], can;

			if (width[c] <= COL_MIN_WIDTH)
				continue;
			can = SW_MIN(width[c] - COL_MIN_WIDTH, total - o->width);
			width[c] -= can;
			total -= can;
		}
	}

	for (size_t c = 0, first = 1; c < N_COLS; c++) {
		if (!show[c])
			continue;
		if (!first)
			fputs("  ", f);
		first = 0;
		print_cell(f, columns[c].title, width[c], columns[c].right, c == last,
			   o->colour ? ANSI_BOLD : NULL);
	}
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0, first = 1; c < N_COLS; c++) {
			if (!show[c])
				continue;
			if (!first)
				fputs("  ", f);
			first = 0;
			print_cell(f, cells[i][c], width[c], columns[c].right, c == last,
				   o->colour && c == COL_STATE ? render_state_colour(cells[i][c]) : NULL);
		}
		fputc('\n', f);
	}
}

int render_status(FILE *f, struct json_object *doc, const struct sw_render_opts *o)
{
	struct json_object *nss = jsonget_arr(doc, "namespaces");
	char *(*cells)[N_COLS] = NULL;
	struct render_row *rows = NULL;
	size_t n = 0, hidden = 0;
	bool show[N_COLS];
	int r;

	render_sanitize(doc);
	r = render_rows(doc, o->all, &rows, &n, &hidden);
	if (r < 0)
		return r;
	cells = calloc(n ? n : 1, sizeof(*cells));
	if (!cells) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = fill_cells(rows[i].l, cells[i]);
		if (r < 0)
			goto out;
	}

	/* The daemon may have left idle listeners out already. */
	hidden += (size_t)SW_MAX(jsonget_int_or(doc, "idle_hidden", 0), 0);

	render_daemon(f, doc);
	render_namespaces(f, doc);
	fputc('\n', f);

	for (size_t c = 0; c < N_COLS; c++)
		show[c] = true;
	/* The namespace only matters when the document has more than one. */
	show[COL_NETNS] = nss && json_object_array_length(nss) > 1;

	if (n > 0)
		print_table(f, cells, n, show, o);
	else
		fputs("no busy listeners\n", f);
	if (hidden > 0)
		fprintf(f, "%zu idle listener%s hidden (--all shows them)\n", hidden,
			hidden == 1 ? "" : "s");
	r = 0;
out:
	if (cells)
		for (size_t i = 0; i < n; i++)
			for (size_t c = 0; c < N_COLS; c++)
				free(cells[i][c]);
	free(cells);
	free(rows);
	return r;
}

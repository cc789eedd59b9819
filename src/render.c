/* sockwatchctl's output, rendered from the status document; see render.h.
 * Every field is optional here: a document from an older or newer daemon
 * renders with "-" where something is missing, never a crash. */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "util.h"

#define ANSI_BOLD   "\033[1m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED    "\033[1;31m"
#define ANSI_RESET  "\033[0m"

/* ---- typed access to the document ---- */

static struct json_object *jmember(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v = jmember(o, key);

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

static struct json_object *jarr(struct json_object *o, const char *key)
{
	struct json_object *v = jmember(o, key);

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jmember(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool jint(struct json_object *o, const char *key, int64_t *ret)
{
	struct json_object *v = jmember(o, key);

	if (json_object_is_type(v, json_type_int))
		*ret = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double))
		*ret = (int64_t)json_object_get_double(v);
	else
		return false;
	return true;
}

static int64_t jint_or(struct json_object *o, const char *key, int64_t def)
{
	int64_t v;

	return jint(o, key, &v) ? v : def;
}

static bool jnum(struct json_object *o, const char *key, double *ret)
{
	struct json_object *v = jmember(o, key);

	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return false;
	*ret = json_object_get_double(v);
	return true;
}

/* A scalar as text ("host", 4026531840): netns ids come as either. */
static const char *jscalar(struct json_object *o, const char *key, const char *def)
{
	struct json_object *v = jmember(o, key);

	if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int))
		return json_object_get_string(v);
	return def;
}

/* ---- terminal safety ---- */

/* Length of the control character at p (C0, DEL, or C1 written as UTF-8),
 * 0 when p is not one. A process may give itself a name full of terminal
 * escape sequences, and these names end up on an administrator's terminal. */
static size_t control_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (control_len(p))
			return true;
	return false;
}

static void fput_clean(const char *s, FILE *f)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = control_len(p);

		fputc(n ? '?' : *p, f);
		if (n == 2)
			p++;
	}
}

void render_sanitize(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		if (has_control(json_object_get_string(o))) {
			char *clean = NULL;
			size_t len;
			FILE *f = open_memstream(&clean, &len);

			if (!f)
				return;
			fput_clean(json_object_get_string(o), f);
			if (fclose(f) == 0)
				json_object_set_string(o, clean);
			free(clean);
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

const char *render_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "%" PRIu64 "ms", ms);
	else if (s < 60 && ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 3600 && s % 60 == 0)
		snprintf(buf, len, "%" PRIu64 "min", s / 60);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "min %02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h %02" PRIu64 "min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

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

static const char *fmt_i64(struct json_object *o, const char *key, char *buf, size_t len)
{
	int64_t v;

	if (!jint(o, key, &v))
		return "-";
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

static const char *fmt_ms(struct json_object *o, const char *key, char *buf, size_t len)
{
	int64_t ms;

	if (!jint(o, key, &ms) || ms < 0)
		return "-";
	return render_duration((uint64_t)ms, buf, len);
}

/* A queue's fill in percent: the daemon's figure, else depth/limit. Shown
 * rounded down, so that 14/16 reads 87% and never overstates. */
static bool queue_percent(struct json_object *q, double *ret)
{
	int64_t depth, limit;

	if (jnum(q, "percent", ret))
		return true;
	if (!jint(q, "depth", &depth) || !jint(q, "limit", &limit) || limit <= 0)
		return false;
	*ret = 100.0 * (double)depth / (double)limit;
	return true;
}

/* In cookies-always mode the SYN queue stays empty and has no meaningful
 * fill (KERNEL-NOTES.md). */
static bool syn_queue_applies(struct json_object *syn)
{
	const char *mode = jstr(syn, "mode");

	return !mode || strcmp(mode, "cookies-always") != 0;
}

static double listener_fill(struct json_object *l)
{
	double a = 0, s = 0;
	struct json_object *syn = jobj(l, "syn");

	queue_percent(jobj(l, "accept"), &a);
	if (syn_queue_applies(syn))
		queue_percent(syn, &s);
	return SW_MAX(a, s);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static char *fmt_depth_limit(struct json_object *q)
{
	int64_t d, l;

	if (!jint(q, "depth", &d))
		return strdup("-");
	if (!jint(q, "limit", &l))
		return xasprintf("%" PRId64 "/-", d);
	return xasprintf("%" PRId64 "/%" PRId64, d, l);
}

static char *fmt_percent(struct json_object *q, bool applies)
{
	double p;

	if (!applies || !queue_percent(q, &p))
		return strdup("-");
	return xasprintf("%.0f", floor(p));
}

static char *fmt_int(struct json_object *o, const char *key)
{
	int64_t v;

	if (!jint(o, key, &v))
		return strdup("-");
	return xasprintf("%" PRId64, v);
}

/* "nginx[812]", or the unit, or "-". */
static char *fmt_owner(struct json_object *l)
{
	struct json_object *p = jobj(l, "process");
	const char *comm = jstr(p, "comm"), *unit = jstr(p, "unit");
	int64_t pid;

	if (!p)
		return strdup("-");
	if (comm && *comm && jint(p, "pid", &pid) && pid > 0)
		return xasprintf("%s[%" PRId64 "]", comm, pid);
	if (comm && *comm)
		return strdup(comm);
	if (unit && *unit)
		return strdup(unit);
	if (jint(p, "pid", &pid) && pid > 0)
		return xasprintf("[%" PRId64 "]", pid);
	return strdup("-");
}

static const char *state_colour(const char *state)
{
	if (!state)
		return NULL;
	if (strcmp(state, "warning") == 0)
		return ANSI_YELLOW;
	if (strcmp(state, "critical") == 0)
		return ANSI_RED;
	return NULL;
}

/* ---- ordering: fullest first ---- */

/* Listeners in alert come first, as in the daemon's document: a level
 * held by hysteresis still matters more than a fuller queue below warn. */
static int state_level(const char *state)
{
	if (!state)
		return 0;
	if (strcmp(state, "critical") == 0)
		return 2;
	if (strcmp(state, "warning") == 0)
		return 1;
	return 0;
}

struct row {
	struct json_object *l;
	int level;              /* 0 ok, 1 warning, 2 critical */
	double fill;
	int64_t drops_delta, drops_total;
	const char *name, *netns;
	int64_t cookie;
};

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c;

	if (a->level != b->level)
		return a->level > b->level ? -1 : 1;
	if (a->fill != b->fill)
		return a->fill > b->fill ? -1 : 1;
	if (a->drops_delta != b->drops_delta)
		return a->drops_delta > b->drops_delta ? -1 : 1;
	if (a->drops_total != b->drops_total)
		return a->drops_total > b->drops_total ? -1 : 1;
	c = cmp_str(a->name, b->name);
	if (c)
		return c;
	c = cmp_str(a->netns, b->netns);
	if (c)
		return c;
	return (a->cookie > b->cookie) - (a->cookie < b->cookie);
}

/* The listeners of doc, sorted fullest first; idle ones left out unless
 * all. *ret_hidden counts those left out. */
static int collect_rows(struct json_object *doc, bool all, struct row **ret, size_t *ret_n,
			size_t *ret_hidden)
{
	struct json_object *list = jarr(doc, "listeners");
	struct row *rows;
	size_t n, k = 0, hidden = 0;

	if (!list)
		return -EINVAL;
	n = json_object_array_length(list);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(list, i);
		struct json_object *drops = jobj(l, "drops");

		if (!json_object_is_type(l, json_type_object))
			continue;
		if (!all && protocol_listener_idle(l)) {
			hidden++;
			continue;
		}
		rows[k] = (struct row){
			.l = l,
			.level = state_level(jstr(l, "state")),
			.fill = listener_fill(l),
			.drops_delta = jint_or(drops, "delta", 0),
			.drops_total = jint_or(drops, "total", 0),
			.name = jstr(l, "listener"),
			.netns = jscalar(l, "netns", NULL),
			.cookie = jint_or(l, "cookie", 0),
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
	struct json_object *d = jobj(doc, "daemon"), *scan = jobj(d, "syn_scan");
	const char *version = jstr(d, "version"), *mode = jstr(scan, "mode");
	char b1[32], b2[32], b3[32];
	int64_t v;

	fprintf(f, "sockwatchd%s%s", version ? " " : "", version ? version : "");
	if (jint(d, "pid", &v))
		fprintf(f, " (pid %" PRId64 ")", v);
	fprintf(f, ", up %s\n", fmt_ms(d, "uptime_ms", b1, sizeof(b1)));

	fprintf(f, "polls: %s, every %s", fmt_i64(d, "polls", b3, sizeof(b3)),
		fmt_ms(d, "interval_ms", b1, sizeof(b1)));
	if (jint(d, "fast_interval_ms", &v))
		fprintf(f, " (%s in alert)", fmt_ms(d, "fast_interval_ms", b2, sizeof(b2)));
	if (jint(d, "last_poll_us", &v))
		fprintf(f, ", last %s", fmt_cost_us(v, b1, sizeof(b1)));
	fprintf(f, "; SYN scan: %s", mode ? mode : "-");
	if (!mode || strcmp(mode, "off") != 0) {
		if (jint(scan, "interval_ms", &v) && v > 0)
			fprintf(f, ", every %s", fmt_ms(scan, "interval_ms", b1, sizeof(b1)));
		if (jint(scan, "last_cost_us", &v))
			fprintf(f, ", last %s", fmt_cost_us(v, b1, sizeof(b1)));
	}
	fputc('\n', f);
}

static void render_counters(FILE *f, struct json_object *ns)
{
	struct json_object *deltas = jobj(ns, "deltas"), *counters = jobj(ns, "counters");
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

static void render_namespaces(FILE *f, struct json_object *doc)
{
	struct json_object *list = jarr(doc, "namespaces");
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(list, i);
		char b1[24], b2[24], b3[24];

		fprintf(f, "namespace %s: somaxconn %s, tcp_max_syn_backlog %s, tcp_syncookies %s\n",
			jscalar(ns, "id", "-"), fmt_i64(ns, "somaxconn", b1, sizeof(b1)),
			fmt_i64(ns, "tcp_max_syn_backlog", b2, sizeof(b2)),
			fmt_i64(ns, "tcp_syncookies", b3, sizeof(b3)));
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
	struct json_object *acc = jobj(l, "accept"), *syn = jobj(l, "syn"), *drops = jobj(l, "drops");
	const char *name = jstr(l, "listener"), *state = jstr(l, "state");

	cells[COL_LISTENER] = strdup(name ? name : "-");
	cells[COL_NETNS] = strdup(jscalar(l, "netns", "-"));
	cells[COL_OWNER] = fmt_owner(l);
	cells[COL_ACCEPT] = fmt_depth_limit(acc);
	cells[COL_APCT] = fmt_percent(acc, true);
	cells[COL_APEAK] = fmt_int(acc, "peak");
	cells[COL_SYN] = fmt_depth_limit(syn);
	cells[COL_SPCT] = fmt_percent(syn, syn_queue_applies(syn));
	cells[COL_SPEAK] = fmt_int(syn, "peak");
	cells[COL_DROPS] = fmt_int(drops, "delta");
	cells[COL_TOTAL] = fmt_int(drops, "total");
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
				   o->colour && c == COL_STATE ? state_colour(cells[i][c]) : NULL);
		}
		fputc('\n', f);
	}
}

int render_status(FILE *f, struct json_object *doc, const struct sw_render_opts *o)
{
	struct json_object *nss = jarr(doc, "namespaces");
	char *(*cells)[N_COLS] = NULL;
	struct row *rows = NULL;
	size_t n = 0, hidden = 0;
	bool show[N_COLS];
	int r;

	render_sanitize(doc);
	r = collect_rows(doc, o->all, &rows, &n, &hidden);
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
	hidden += (size_t)SW_MAX(jint_or(doc, "idle_hidden", 0), 0);

	render_daemon(f, doc);
	render_namespaces(f, doc);
	fputc('\n', f);

	for (size_t c = 0; c < N_COLS; c++)
		show[c] = true;
	/* The namespace only matters when there is more than one. */
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

/* ---- show ---- */

static const char *source_fix(const char *source)
{
	if (!source)
		return NULL;
	if (strcmp(source, "listen-backlog") == 0)
		return "raise the backlog the application passes to listen(); "
		       "raising net.core.somaxconn alone does not help";
	if (strcmp(source, "net.core.somaxconn") == 0)
		return "raise net.core.somaxconn, then restart the application: "
		       "listen() reads it";
	if (strcmp(source, "net.ipv4.tcp_max_syn_backlog") == 0)
		return "raise net.ipv4.tcp_max_syn_backlog, or set net.ipv4.tcp_syncookies=1";
	return NULL;
}

static struct json_object *find_namespace(struct json_object *doc, const char *id)
{
	struct json_object *list = jarr(doc, "namespaces");
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(list, i);
		const char *nid = jscalar(ns, "id", NULL);

		if (id && nid && strcmp(id, nid) == 0)
			return ns;
	}
	return NULL;
}

#define SHOW_LABEL "  %-14s"

static void show_queue(FILE *f, const char *label, struct json_object *q, bool applies)
{
	_cleanup_free_ char *dl = fmt_depth_limit(q), *pct = fmt_percent(q, applies);
	const char *source = jstr(q, "limit_source"), *mode = jstr(q, "mode");
	struct json_object *stale = jmember(q, "somaxconn_stale");
	int64_t v;

	fprintf(f, SHOW_LABEL "%s", label, dl ? dl : "-");
	if (pct && strcmp(pct, "-") != 0)
		fprintf(f, " (%s%%)", pct);
	if (jint(q, "peak", &v))
		fprintf(f, ", peak %" PRId64, v);
	if (jint(q, "limit", &v))
		fprintf(f, "; limit %" PRId64 " set by %s", v, source ? source : "-");
	if (mode)
		fprintf(f, "; %s", mode);
	if (json_object_get_boolean(stale))
		fputs("; net.core.somaxconn changed since listen(): restart to apply", f);
	fputc('\n', f);
}

static void show_history(FILE *f, struct json_object *l)
{
	struct json_object *hist = jarr(l, "history");
	size_t n = hist ? json_object_array_length(hist) : 0;
	bool drops = false;

	if (n == 0)
		return;
	/* Drops per sample are optional: no column of dashes without them. */
	for (size_t i = 0; i < n; i++)
		drops |= jmember(json_object_array_get_idx(hist, i), "drops") != NULL;
	fputs("\n  history:\n", f);
	fprintf(f, "    %10s  %8s  %8s%s\n", "AGO", "ACCEPT", "SYN", drops ? "     DROPS" : "");
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hist, i);
		_cleanup_free_ char *a = fmt_int(h, "accept"), *s = fmt_int(h, "syn"),
				    *d = fmt_int(h, "drops");
		int64_t age;
		char b[32];

		fprintf(f, "    %10s  %8s  %8s",
			jint(h, "age_ms", &age) && age == 0 ? "now" : fmt_ms(h, "age_ms", b, sizeof(b)),
			a ? a : "-", s ? s : "-");
		if (drops)
			fprintf(f, "  %8s", d ? d : "-");
		fputc('\n', f);
	}
}

static void show_sources(FILE *f, struct json_object *l)
{
	struct json_object *src = jarr(l, "top_sources");
	size_t n = src ? json_object_array_length(src) : 0;

	if (n == 0)
		return;
	fputs("\n  top SYN-queue sources:\n", f);
	fprintf(f, "    %8s  %s\n", "COUNT", "ADDRESS");
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(src, i);
		_cleanup_free_ char *c = fmt_int(s, "count");
		const char *a = jstr(s, "address");

		fprintf(f, "    %8s  %s\n", c ? c : "-", a ? a : "-");
	}
}

static void show_thresholds(FILE *f, struct json_object *doc, struct json_object *l)
{
	struct json_object *th = jobj(l, "thresholds");
	double w, c, cl;

	if (!th)
		th = jobj(doc, "alerts");
	if (!th || !jnum(th, "warn", &w) || !jnum(th, "critical", &c))
		return;
	fprintf(f, SHOW_LABEL "warn %g%%, critical %g%%", "thresholds:", w, c);
	if (jnum(th, "clear", &cl))
		fprintf(f, ", clear %g%%", cl);
	fputc('\n', f);
}

static void show_listener(FILE *f, struct json_object *doc, struct json_object *l,
			  const struct sw_render_opts *o)
{
	struct json_object *acc = jobj(l, "accept"), *syn = jobj(l, "syn"), *drops = jobj(l, "drops");
	struct json_object *p = jobj(l, "process");
	const char *netns = jscalar(l, "netns", NULL), *state = jstr(l, "state");
	const char *name = jstr(l, "listener"), *family = jstr(l, "family");
	const char *asrc = jstr(acc, "limit_source"), *ssrc = jstr(syn, "limit_source");
	const char *colour = o->colour ? state_colour(state) : NULL;
	struct json_object *ns = find_namespace(doc, netns);
	int64_t v;

	fprintf(f, "%s%s%s\n", o->colour ? ANSI_BOLD : "", name ? name : "-",
		o->colour ? ANSI_RESET : "");
	fprintf(f, SHOW_LABEL "%s", "namespace:", netns ? netns : "-");
	if (family)
		fprintf(f, ", %s", family);
	if (jint(l, "cookie", &v))
		fprintf(f, ", cookie %" PRId64, v);
	fputc('\n', f);
	fprintf(f, SHOW_LABEL "%s%s%s\n", "state:", colour ? colour : "", state ? state : "-",
		colour ? ANSI_RESET : "");

	fprintf(f, SHOW_LABEL, "owner:");
	if (!p) {
		fputs("unknown\n", f);
	} else {
		const char *comm = jstr(p, "comm"), *unit = jstr(p, "unit");
		bool any = false;

		if (comm && *comm) {
			fputs(comm, f);
			any = true;
		}
		if (jint(p, "pid", &v) && v > 0) {
			fprintf(f, "%spid %" PRId64, any ? ", " : "", v);
			any = true;
		}
		if (unit && *unit) {
			fprintf(f, "%sunit %s", any ? ", " : "", unit);
			any = true;
		}
		fputs(any ? "\n" : "unknown\n", f);
	}

	show_queue(f, "accept queue:", acc, true);
	show_queue(f, "SYN queue:", syn, syn_queue_applies(syn));
	{
		_cleanup_free_ char *d = fmt_int(drops, "delta"), *t = fmt_int(drops, "total");
		int64_t unreported;

		fprintf(f, SHOW_LABEL "%s since the last poll, ", "drops:", d ? d : "-");
		/* What check counts as recent drops besides the last poll's. */
		if (jint(drops, "unreported", &unreported) && unreported > 0)
			fprintf(f, "%" PRId64 " not yet in the journal, ", unreported);
		fprintf(f, "%s in all\n", t ? t : "-");
	}
	if (ns) {
		char b1[24], b2[24], b3[24];

		fprintf(f, SHOW_LABEL "net.core.somaxconn %s, net.ipv4.tcp_max_syn_backlog %s, "
			"net.ipv4.tcp_syncookies %s\n", "sysctls:",
			fmt_i64(ns, "somaxconn", b1, sizeof(b1)),
			fmt_i64(ns, "tcp_max_syn_backlog", b2, sizeof(b2)),
			fmt_i64(ns, "tcp_syncookies", b3, sizeof(b3)));
	}
	show_thresholds(f, doc, l);
	if (source_fix(asrc))
		fprintf(f, SHOW_LABEL "%s\n", ssrc && strcmp(asrc, ssrc) == 0 ? "to raise:"
									 : "accept fix:",
			source_fix(asrc));
	if (source_fix(ssrc) && syn_queue_applies(syn) && (!asrc || strcmp(asrc, ssrc) != 0))
		fprintf(f, SHOW_LABEL "%s\n", "SYN fix:", source_fix(ssrc));
	show_history(f, l);
	show_sources(f, l);
}

int render_show(FILE *f, struct json_object *doc, const struct sw_render_opts *o)
{
	struct row *rows = NULL;
	size_t n = 0, hidden = 0;
	int r;

	render_sanitize(doc);
	/* The daemon already chose the listeners: idle ones are shown too. */
	r = collect_rows(doc, true, &rows, &n, &hidden);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', f);
		show_listener(f, doc, rows[i].l, o);
	}
	if (n == 0)
		fputs("no such listener\n", f);
	free(rows);
	return 0;
}

/* ---- check ---- */

static const char *const check_names[] = {
	[SW_CHECK_OK] = "OK",
	[SW_CHECK_WARNING] = "WARNING",
	[SW_CHECK_CRITICAL] = "CRITICAL",
	[SW_CHECK_UNKNOWN] = "UNKNOWN",
};

enum sw_check_status render_check_unknown(FILE *f, const char *fmt, ...)
{
	va_list ap;

	fputs("SOCKWATCH UNKNOWN - ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	return SW_CHECK_UNKNOWN;
}

/* Perfdata labels are quoted; a quote inside is doubled, and '=' (which
 * would end the label for parsers) becomes '_'. */
static void perf_label(FILE *f, const char *queue, struct json_object *l, bool suffix_cookie)
{
	const char *name = jstr(l, "listener"), *netns = jscalar(l, "netns", NULL);
	char *label;

	if (netns && strcmp(netns, "host") != 0)
		label = xasprintf("%s_%s@%s", queue, name ? name : "-", netns);
	else
		label = xasprintf("%s_%s", queue, name ? name : "-");
	if (!label)
		return;
	fputc('\'', f);
	for (const char *c = label; *c; c++) {
		if (*c == '\'')
			fputs("''", f);
		else
			fputc(*c == '=' ? '_' : *c, f);
	}
	if (suffix_cookie)
		fprintf(f, "#%" PRId64, jint_or(l, "cookie", 0));
	fputc('\'', f);
	free(label);
}

/* Nagios alerts on value > threshold: the daemon alerts at depth >=
 * limit * pct / 100, so the threshold is the largest depth below that. */
static void perf_threshold(FILE *f, int64_t limit, struct json_object *th, const char *key)
{
	double pct, x;

	if (!th || !jnum(th, key, &pct) || limit <= 0)
		return;
	x = (double)limit * pct / 100.0;
	fprintf(f, "%.0f", SW_MAX(ceil(x - 1e-9) - 1, 0.0));
}

static void perf_queue(FILE *f, const char *queue, struct json_object *doc, struct json_object *l,
		       bool suffix_cookie)
{
	struct json_object *q = jobj(l, queue), *th = jobj(l, "thresholds");
	int64_t depth, limit;

	if (!jint(q, "depth", &depth))
		return;
	if (!th)
		th = jobj(doc, "alerts");
	fputc(' ', f);
	perf_label(f, queue, l, suffix_cookie);
	fprintf(f, "=%" PRId64 ";", depth);
	if (jint(q, "limit", &limit)) {
		perf_threshold(f, limit, th, "warn");
		fputc(';', f);
		perf_threshold(f, limit, th, "critical");
		fprintf(f, ";0;%" PRId64, limit);
	} else {
		fputs(";;0;", f);
	}
}

/* A listener as check sees it: its queue level and its recent drops. */
struct check_item {
	struct row row;
	int level;              /* 0 ok, 1 warning, 2 critical */
	int64_t dropped;        /* drops of the last poll or not yet journalled */
	int64_t drop_age_ms;    /* drops.last_age_ms, -1 when absent */
	bool dropping;          /* dropped within SW_CHECK_DROPS_WINDOW_MS */
};

/* Whether another listener among items shares item self's label (an
 * SO_REUSEPORT group): then labels carry the cookie to stay unique. */
static bool label_shared(const struct check_item *items, size_t n, size_t self)
{
	const struct row *me = &items[self].row;

	for (size_t i = 0; i < n; i++)
		if (i != self && cmp_str(items[i].row.name, me->name) == 0 &&
		    cmp_str(items[i].row.netns, me->netns) == 0)
			return true;
	return false;
}

static bool jbool(struct json_object *o, const char *key, bool *ret)
{
	struct json_object *v = jmember(o, key);

	if (!json_object_is_type(v, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(v);
	return true;
}

/* The queue level check gives a listener: its state, where a state this
 * renderer does not know (a newer daemon's) counts as warning rather than
 * passing as ok. */
static int check_level(struct json_object *l)
{
	const char *state = jstr(l, "state");

	if (!state || strcmp(state, "ok") == 0)
		return 0;
	return strcmp(state, "critical") == 0 ? 2 : 1;
}

/* Recent drops. A burst that fills and drains a queue between two polls
 * leaves every queue sample below warn, so the state alone misses it; the
 * drops counter does not: drops.delta moved in the last poll, or
 * drops.unreported is still waiting for its listen-drops entry (at most one
 * a minute, so these are drops of the last minute). drops.last_age_ms, when
 * the daemon gives it, widens that to SW_CHECK_DROPS_WINDOW_MS. */
static void check_drops(struct json_object *l, struct check_item *it)
{
	struct json_object *d = jobj(l, "drops");
	int64_t delta = jint_or(d, "delta", 0), unreported = jint_or(d, "unreported", 0), age;

	it->dropped = SW_MAX(SW_MAX(delta, unreported), (int64_t)0);
	it->drop_age_ms = jint(d, "last_age_ms", &age) && age >= 0 ? age : -1;
	it->dropping = it->dropped > 0 ||
		       (it->drop_age_ms >= 0 && it->drop_age_ms < SW_CHECK_DROPS_WINDOW_MS);
}

/* Text in the check line before the perfdata: a '|' would start the
 * perfdata early for every parser. */
static void check_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '|' ? '/' : *s, f);
}

/* Why the document's figures cannot be trusted as current, in buf; NULL
 * when they can. The daemon answers between polls, so an answer alone does
 * not say its polls work: a latest poll that failed, no poll that ever
 * succeeded, or a last good poll older than SW_CHECK_STALL_INTERVALS
 * intervals means the queues may be anything now. */
static const char *check_poll_problem(struct json_object *doc, char *buf, size_t len)
{
	struct json_object *d = jobj(doc, "daemon");
	const char *err = jstr(d, "last_error");
	int64_t errors = 0, polls, age, err_age, iv = 0, cur_iv = 0, stall;
	bool ok, failing = false;
	char b1[32], b2[32];

	if (!d)
		return NULL;
	(void)jint(d, "poll_errors", &errors);
	(void)jint(d, "interval_ms", &iv);
	if (!jint(d, "current_interval_ms", &cur_iv))
		cur_iv = iv;

	if (jbool(d, "last_poll_ok", &ok))
		failing = !ok;
	else if (err && jint(d, "last_error_age_ms", &err_age) && cur_iv > 0)
		/* No poll has started since the failed one: polls start one
		 * interval apart, and last_error is never cleared. */
		failing = err_age >= 0 && err_age < cur_iv;
	if (jint(d, "polls", &polls) && polls == 0 && errors > 0)
		failing = true;
	if (failing) {
		snprintf(buf, len, "latest poll failed: %s (%" PRId64 " failed poll%s since start)",
			 err ? err : "no reason given", errors, errors == 1 ? "" : "s");
		return buf;
	}

	stall = SW_MAX(SW_CHECK_STALL_INTERVALS * SW_MAX(iv, cur_iv), (int64_t)SW_CHECK_STALL_MIN_MS);
	if (jint(d, "last_poll_age_ms", &age) && age > stall) {
		snprintf(buf, len, "no successful poll for %s (expected every %s)",
			 render_duration((uint64_t)age, b1, sizeof(b1)),
			 iv > 0 ? render_duration((uint64_t)iv, b2, sizeof(b2)) : "-");
		return buf;
	}
	return NULL;
}

/* One listener in the check line: its fuller queue when in alert, its
 * recent drops when it dropped. */
static void check_describe(FILE *f, const struct check_item *it)
{
	struct json_object *l = it->row.l, *acc = jobj(l, "accept"), *syn = jobj(l, "syn");
	double a = 0, s = 0;
	bool use_syn;
	const char *name = jstr(l, "listener"), *netns = jscalar(l, "netns", NULL);
	char b[32];

	fprintf(f, "%s", name ? name : "-");
	if (netns && strcmp(netns, "host") != 0)
		fprintf(f, "@%s", netns);
	if (it->level > 0) {
		_cleanup_free_ char *dl = NULL;

		queue_percent(acc, &a);
		use_syn = syn_queue_applies(syn) && queue_percent(syn, &s) && s > a;
		dl = fmt_depth_limit(use_syn ? syn : acc);
		fprintf(f, " %s %s (%.0f%%)", use_syn ? "syn" : "accept", dl ? dl : "-",
			floor(use_syn ? s : a));
	}
	if (it->dropped > 0)
		fprintf(f, " dropped %" PRId64, it->dropped);
	else if (it->dropping)
		fprintf(f, " dropped %s ago",
			render_duration((uint64_t)it->drop_age_ms, b, sizeof(b)));
}

enum sw_check_status render_check(FILE *f, struct json_object *doc)
{
	size_t n = 0, hidden = 0, n_warn = 0, n_crit = 0, n_drop = 0, listed = 0, perf = 0;
	int64_t drops_delta = 0, drops_total = 0;
	enum sw_check_status st;
	struct row *rows = NULL;
	struct check_item *alert;
	size_t n_alert = 0;
	const char *problem;
	char why[256];

	render_sanitize(doc);
	if (collect_rows(doc, true, &rows, &n, &hidden) < 0)
		return render_check_unknown(f, "no listeners in the status document");
	alert = calloc(n ? n : 1, sizeof(*alert));
	if (!alert) {
		free(rows);
		return render_check_unknown(f, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct check_item it = { .row = rows[i], .level = check_level(rows[i].l) };

		check_drops(rows[i].l, &it);
		drops_delta += rows[i].drops_delta;
		drops_total += rows[i].drops_total;
		n_crit += it.level == 2;
		n_warn += it.level == 1;
		n_drop += it.dropping;
		if (it.level > 0 || it.dropping)
			alert[n_alert++] = it;
	}
	/* Drops alone are a warning: the client's SYN is retried (1 s, 3 s,
	 * ...) and may still get through, and a queue that is full now is
	 * already critical by its state. */
	st = n_crit ? SW_CHECK_CRITICAL : n_warn || n_drop ? SW_CHECK_WARNING : SW_CHECK_OK;
	problem = check_poll_problem(doc, why, sizeof(why));
	if (problem)
		st = SW_CHECK_UNKNOWN;

	fprintf(f, "SOCKWATCH %s - ", check_names[st]);
	if (problem) {
		check_text(f, problem);
		fputs("; last figures: ", f);
	}
	if (n_alert == 0) {
		fprintf(f, "%zu listener%s below warn, no recent drops", n, n == 1 ? "" : "s");
	} else {
		if (n_warn + n_crit > 0) {
			fprintf(f, "%zu of %zu listeners at or above warn", n_warn + n_crit, n);
			if (n_crit)
				fprintf(f, ", %zu critical", n_crit);
			if (n_drop)
				fprintf(f, ", %zu with recent drops", n_drop);
		} else {
			fprintf(f, "%zu of %zu listeners with recent drops", n_drop, n);
		}
		fputs(": ", f);
		for (size_t i = 0; i < n_alert && listed < SW_CHECK_LIST_MAX; i++, listed++) {
			if (i > 0)
				fputs(", ", f);
			check_describe(f, &alert[i]);
		}
		if (n_alert > listed)
			fprintf(f, ", +%zu more", n_alert - listed);
	}

	fprintf(f, " | listeners=%zu;;;0 warning=%zu;;;0 critical=%zu;;;0 dropping=%zu;;;0"
		   " drops=%" PRId64 ";;;0 drops_total=%" PRId64 "c",
		n, n_warn, n_crit, n_drop, drops_delta, drops_total);
	for (size_t i = 0; i < n_alert && perf < SW_CHECK_PERFDATA_MAX; i++, perf++) {
		bool shared = label_shared(alert, n_alert, i);

		perf_queue(f, "accept", doc, alert[i].row.l, shared);
		perf_queue(f, "syn", doc, alert[i].row.l, shared);
	}
	fputc('\n', f);
	free(alert);
	free(rows);
	return st;
}

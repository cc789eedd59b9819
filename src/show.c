/* sockwatchctl show: one listener in detail (render.h). */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "jsonget.h"
#include "text.h"
#include "macro.h"

/* A sysctl of the listener's namespace, -1 when unknown. */
static int32_t show_sysctl(struct json_object *ns, const char *key)
{
	int64_t v;

	return jsonget_int(ns, key, &v) && v >= 0 && v <= INT32_MAX ? (int32_t)v : -1;
}

/* What to change for queue q (advice.h) in buf; NULL when its limit source
 * is unknown. syn: q is the SYN queue, whose mode adds to the advice;
 * stale: somaxconn changed since listen(); comm: the owner's process name,
 * whose backlog setting the advice names when known, or NULL. */
static const char *show_fix(struct json_object *q, struct json_object *ns, bool syn, bool stale,
			    const char *comm, char *buf, size_t len)
{
	const char *source = jsonget_str(q, "limit_source");
	int64_t limit = jsonget_int_or(q, "limit", 0);
	struct advice_limit a = {
		.source = source,
		.somaxconn = show_sysctl(ns, "somaxconn"),
		.max_syn_backlog = show_sysctl(ns, "tcp_max_syn_backlog"),
		.limit = limit > 0 && limit <= UINT32_MAX ? (uint32_t)limit : 0,
		.somaxconn_stale = stale,
		.also = syn ? advice_syn_also(jsonget_str(q, "mode"), true) : "",
		.comm = comm,
	};

	if (!advice_known_source(source))
		return NULL;
	(void)advice_binding(&a, buf, len);
	return buf;
}

static struct json_object *find_namespace(struct json_object *doc, const char *id)
{
	struct json_object *list = jsonget_arr(doc, "namespaces");
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(list, i);
		const char *nid = jsonget_scalar(ns, "id", NULL);

		if (id && nid && strcmp(id, nid) == 0)
			return ns;
	}
	return NULL;
}

#define SHOW_LABEL "  %-14s"

static void show_queue(FILE *f, const char *label, struct json_object *q, bool applies)
{
	_cleanup_free_ char *dl = render_depth_limit(q), *pct = render_percent(q, applies);
	const char *source = jsonget_str(q, "limit_source"), *mode = jsonget_str(q, "mode");
	struct json_object *stale = jsonget_member(q, "somaxconn_stale");
	int64_t v;

	fprintf(f, SHOW_LABEL "%s", label, dl ? dl : "-");
	if (pct && strcmp(pct, "-") != 0)
		fprintf(f, " (%s%%)", pct);
	if (jsonget_int(q, "peak", &v))
		fprintf(f, ", peak %" PRId64, v);
	if (jsonget_int(q, "limit", &v))
		fprintf(f, "; limit %" PRId64 " set by %s", v, source ? source : "-");
	if (mode)
		fprintf(f, "; %s", mode);
	if (json_object_get_boolean(stale))
		fputs("; net.core.somaxconn changed since listen(): restart to apply", f);
	fputc('\n', f);
}

static void show_history(FILE *f, struct json_object *l)
{
	struct json_object *hist = jsonget_arr(l, "history");
	size_t n = hist ? json_object_array_length(hist) : 0;
	bool drops = false;

	if (n == 0)
		return;
	/* Drops per sample are optional: no column of dashes without them. */
	for (size_t i = 0; i < n; i++)
		drops |= jsonget_member(json_object_array_get_idx(hist, i), "drops") != NULL;
	fputs("\n  history:\n", f);
	fprintf(f, "    %10s  %8s  %8s%s\n", "AGO", "ACCEPT", "SYN", drops ? "     DROPS" : "");
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hist, i);
		_cleanup_free_ char *a = render_int(h, "accept"), *s = render_int(h, "syn"),
				    *d = render_int(h, "drops");
		int64_t age;
		char b[32];

		fprintf(f, "    %10s  %8s  %8s",
			jsonget_int(h, "age_ms", &age) && age == 0 ? "now" : render_ms(h, "age_ms", b, sizeof(b)),
			a ? a : "-", s ? s : "-");
		if (drops)
			fprintf(f, "  %8s", d ? d : "-");
		fputc('\n', f);
	}
}

static void show_sources(FILE *f, struct json_object *l)
{
	struct json_object *src = jsonget_arr(l, "top_sources");
	size_t n = src ? json_object_array_length(src) : 0;

	if (n == 0)
		return;
	fputs("\n  top SYN-queue sources:\n", f);
	fprintf(f, "    %8s  %s\n", "COUNT", "ADDRESS");
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(src, i);
		_cleanup_free_ char *c = render_int(s, "count");
		const char *a = jsonget_str(s, "address");

		fprintf(f, "    %8s  %s\n", c ? c : "-", a ? a : "-");
	}
}

/* Thresholds exactly, as the config file and --check-config write them:
 * text_percent() truncates a fill, and warn = 80.05% would read "80%",
 * a different threshold from a listener shown at 80% below it. */
static void show_thresholds(FILE *f, struct json_object *doc, struct json_object *l)
{
	struct json_object *th = jsonget_obj(l, "thresholds");
	char b[TEXT_PERCENT_MAX];
	double w, c, cl;

	if (!th)
		th = jsonget_obj(doc, "alerts");
	if (!th || !jsonget_num(th, "warn", &w) || !jsonget_num(th, "critical", &c))
		return;
	fprintf(f, SHOW_LABEL "warn %s, ", "thresholds:", config_format_percent(w, b, sizeof(b)));
	fprintf(f, "critical %s", config_format_percent(c, b, sizeof(b)));
	if (jsonget_num(th, "clear", &cl))
		fprintf(f, ", clear %s", config_format_percent(cl, b, sizeof(b)));
	fputc('\n', f);
}

static void show_listener(FILE *f, struct json_object *doc, struct json_object *l,
			  const struct sw_render_opts *o)
{
	struct json_object *acc = jsonget_obj(l, "accept"), *syn = jsonget_obj(l, "syn"), *drops = jsonget_obj(l, "drops");
	struct json_object *p = jsonget_obj(l, "process");
	const char *netns = jsonget_scalar(l, "netns", NULL), *state = jsonget_str(l, "state");
	const char *name = jsonget_str(l, "listener"), *family = jsonget_str(l, "family");
	const char *asrc = jsonget_str(acc, "limit_source"), *ssrc = jsonget_str(syn, "limit_source");
	const char *colour = o->colour ? render_state_colour(state) : NULL;
	struct json_object *ns = find_namespace(doc, netns);
	char fix[1024];
	bool stale;
	int64_t v;

	fprintf(f, "%s%s%s\n", o->colour ? ANSI_BOLD : "", name ? name : "-",
		o->colour ? ANSI_RESET : "");
	fprintf(f, SHOW_LABEL "%s", "namespace:", netns ? netns : "-");
	if (family)
		fprintf(f, ", %s", family);
	if (jsonget_int(l, "cookie", &v))
		fprintf(f, ", cookie %" PRId64, v);
	fputc('\n', f);
	fprintf(f, SHOW_LABEL "%s%s%s\n", "state:", colour ? colour : "", state ? state : "-",
		colour ? ANSI_RESET : "");

	fprintf(f, SHOW_LABEL, "owner:");
	if (!p) {
		fputs("unknown\n", f);
	} else {
		const char *comm = jsonget_str(p, "comm"), *unit = jsonget_str(p, "unit");
		bool any = false;

		if (comm && *comm) {
			fputs(comm, f);
			any = true;
		}
		if (jsonget_int(p, "pid", &v) && v > 0) {
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
	if (family && strcmp(family, "unix") == 0) {
		/* No SYN queue, no drop counter: how long it was full instead. */
		int64_t fp = 0, fms = 0;

		(void)jsonget_int(acc, "full_polls", &fp);
		(void)jsonget_int(acc, "full_ms", &fms);
		if (fp > 0)
			fprintf(f, SHOW_LABEL "full for %" PRId64 " ms (%" PRId64 " polls): new "
				"connections fail with EAGAIN or block in connect()\n", "full:", fms, fp);
		else
			fprintf(f, SHOW_LABEL "no (the kernel counts nothing a full UNIX queue "
				"refuses)\n", "full:");
	} else {
		show_queue(f, "SYN queue:", syn, render_syn_applies(syn));
	}
	if (drops) {
		_cleanup_free_ char *d = render_int(drops, "delta"), *t = render_int(drops, "total");
		int64_t unreported;

		fprintf(f, SHOW_LABEL "%s since the last poll, ", "drops:", d ? d : "-");
		/* What check counts as recent drops besides the last poll's. */
		if (jsonget_int(drops, "unreported", &unreported) && unreported > 0)
			fprintf(f, "%" PRId64 " not yet in the journal, ", unreported);
		fprintf(f, "%s in all\n", t ? t : "-");
	}
	if (ns) {
		char b1[24], b2[24], b3[24];

		fprintf(f, SHOW_LABEL "net.core.somaxconn %s, net.ipv4.tcp_max_syn_backlog %s, "
			"net.ipv4.tcp_syncookies %s\n", "sysctls:",
			render_i64(ns, "somaxconn", b1, sizeof(b1)),
			render_i64(ns, "tcp_max_syn_backlog", b2, sizeof(b2)),
			render_i64(ns, "tcp_syncookies", b3, sizeof(b3)));
	}
	show_thresholds(f, doc, l);
	stale = json_object_get_boolean(jsonget_member(acc, "somaxconn_stale"));
	if (show_fix(acc, ns, false, stale, p ? jsonget_str(p, "comm") : NULL, fix, sizeof(fix)))
		fprintf(f, SHOW_LABEL "%s\n", ssrc && strcmp(asrc, ssrc) == 0 ? "to raise:"
									 : "accept fix:", fix);
	if (render_syn_applies(syn) && (!asrc || !ssrc || strcmp(asrc, ssrc) != 0) &&
	    show_fix(syn, ns, true, stale, p ? jsonget_str(p, "comm") : NULL, fix, sizeof(fix)))
		fprintf(f, SHOW_LABEL "%s\n", "SYN fix:", fix);
	show_history(f, l);
	show_sources(f, l);
}

int render_show(FILE *f, struct json_object *doc, const struct sw_render_opts *o)
{
	struct render_row *rows = NULL;
	size_t n = 0, hidden = 0;
	int r;

	render_sanitize(doc);
	/* The daemon already chose the listeners: idle ones are shown too. */
	r = render_rows(doc, true, &rows, &n, &hidden);
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

/* The monitoring-plugin policy and its line (see check.h). */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "render.h"
#include "text.h"
#include "macro.h"

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
	const char *name = jsonget_str(l, "listener"), *netns = jsonget_scalar(l, "netns", NULL);
	char *label;

	if (netns && strcmp(netns, "host") != 0)
		label = render_asprintf("%s_%s@%s", queue, name ? name : "-", netns);
	else
		label = render_asprintf("%s_%s", queue, name ? name : "-");
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
		fprintf(f, "#%" PRId64, jsonget_int_or(l, "cookie", 0));
	fputc('\'', f);
	free(label);
}

/* Nagios alerts on value > threshold: the daemon alerts at depth >=
 * limit * pct / 100, so the threshold is the largest depth below that. */
static void perf_threshold(FILE *f, int64_t limit, struct json_object *th, const char *key)
{
	double pct, x;

	if (!th || !jsonget_num(th, key, &pct) || limit <= 0)
		return;
	x = (double)limit * pct / 100.0;
	fprintf(f, "%.0f", SW_MAX(ceil(x - 1e-9) - 1, 0.0));
}

static void perf_queue(FILE *f, const char *queue, struct json_object *doc, struct json_object *l,
		       bool suffix_cookie)
{
	struct json_object *q = jsonget_obj(l, queue), *th = jsonget_obj(l, "thresholds");
	int64_t depth, limit;

	if (!jsonget_int(q, "depth", &depth))
		return;
	if (!th)
		th = jsonget_obj(doc, "alerts");
	fputc(' ', f);
	perf_label(f, queue, l, suffix_cookie);
	fprintf(f, "=%" PRId64 ";", depth);
	if (jsonget_int(q, "limit", &limit)) {
		perf_threshold(f, limit, th, "warn");
		fputc(';', f);
		perf_threshold(f, limit, th, "critical");
		fprintf(f, ";0;%" PRId64, limit);
	} else {
		fputs(";;0;", f);
	}
}

/* Whether another listener among items shares item self's label (an
 * SO_REUSEPORT group): then labels carry the cookie to stay unique. */
static bool check_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool label_shared(const struct check_item *items, size_t n, size_t self)
{
	struct json_object *me = items[self].l;

	for (size_t i = 0; i < n; i++)
		if (i != self &&
		    check_same(jsonget_str(items[i].l, "listener"), jsonget_str(me, "listener")) &&
		    check_same(jsonget_scalar(items[i].l, "netns", NULL),
			       jsonget_scalar(me, "netns", NULL)))
			return true;
	return false;
}

/* Recent drops. A burst that fills and drains a queue between two polls
 * leaves every queue sample below warn, so the state alone misses it; the
 * drops counter does not: drops.delta moved in the last poll, or
 * drops.unreported is still waiting for its listen-drops entry (at most one
 * a minute, so these are drops of the last minute). drops.last_age_ms, when
 * the daemon gives it, widens that to SW_CHECK_DROPS_WINDOW_MS. */
static void check_drops(struct json_object *l, struct check_item *it)
{
	struct json_object *d = jsonget_obj(l, "drops");
	int64_t delta = jsonget_int_or(d, "delta", 0), unreported = jsonget_int_or(d, "unreported", 0), age;

	it->dropped = SW_MAX(SW_MAX(delta, unreported), (int64_t)0);
	it->drop_age_ms = jsonget_int(d, "last_age_ms", &age) && age >= 0 ? age : -1;
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
	struct json_object *d = jsonget_obj(doc, "daemon");
	const char *err = jsonget_str(d, "last_error");
	int64_t errors = 0, polls, age, err_age, iv = 0, cur_iv = 0, stall;
	bool ok, failing = false;
	char b1[32], b2[32];

	if (!d)
		return NULL;
	(void)jsonget_int(d, "poll_errors", &errors);
	(void)jsonget_int(d, "interval_ms", &iv);
	if (!jsonget_int(d, "current_interval_ms", &cur_iv))
		cur_iv = iv;

	if (jsonget_bool(d, "last_poll_ok", &ok))
		failing = !ok;
	else if (err && jsonget_int(d, "last_error_age_ms", &err_age) && cur_iv > 0)
		/* No poll has started since the failed one: polls start one
		 * interval apart, and last_error is never cleared. */
		failing = err_age >= 0 && err_age < cur_iv;
	if (jsonget_int(d, "polls", &polls) && polls == 0 && errors > 0)
		failing = true;
	if (failing) {
		snprintf(buf, len, "latest poll failed: %s (%" PRId64 " failed poll%s since start)",
			 err ? err : "no reason given", errors, errors == 1 ? "" : "s");
		return buf;
	}

	stall = SW_MAX(SW_CHECK_STALL_INTERVALS * SW_MAX(iv, cur_iv), (int64_t)SW_CHECK_STALL_MIN_MS);
	if (jsonget_int(d, "last_poll_age_ms", &age) && age > stall) {
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
	struct json_object *l = it->l;
	const char *name = jsonget_str(l, "listener"), *netns = jsonget_scalar(l, "netns", NULL);
	char b[32], pct[TEXT_PERCENT_MAX];

	fprintf(f, "%s", name ? name : "-");
	if (netns && strcmp(netns, "host") != 0)
		fprintf(f, "@%s", netns);
	if (it->level > 0) {
		bool use_syn;
		double fill = render_fill(l, &use_syn);
		_cleanup_free_ char *dl = render_depth_limit(jsonget_obj(l, use_syn ? "syn" : "accept"));

		fprintf(f, " %s %s (%s%%)", use_syn ? "syn" : "accept", dl ? dl : "-",
			text_percent(fill, pct, sizeof(pct)));
	}
	if (it->dropped > 0)
		fprintf(f, " dropped %" PRId64, it->dropped);
	else if (it->dropping)
		fprintf(f, " dropped %s ago",
			render_duration((uint64_t)it->drop_age_ms, b, sizeof(b)));
}

int check_evaluate(struct json_object *doc, struct check_result *ret)
{
	struct check_result res = { .status = SW_CHECK_OK };
	struct render_row *rows = NULL;
	size_t hidden = 0;
	int r;

	r = render_rows(doc, true, &rows, &res.n, &hidden);
	if (r < 0)
		return r;
	res.alert = calloc(res.n ? res.n : 1, sizeof(*res.alert));
	if (!res.alert) {
		free(rows);
		return -ENOMEM;
	}
	for (size_t i = 0; i < res.n; i++) {
		/* The level the rows are sorted by (render_state_level). */
		struct check_item it = { .l = rows[i].l, .level = rows[i].key.level };

		check_drops(rows[i].l, &it);
		res.drops_delta += rows[i].key.drops_delta;
		res.drops_total += jsonget_int_or(jsonget_obj(rows[i].l, "drops"), "total", 0);
		res.n_crit += it.level == 2;
		res.n_warn += it.level == 1;
		res.n_drop += it.dropping;
		if (it.level > 0 || it.dropping)
			res.alert[res.n_alert++] = it;
	}
	free(rows);
	/* Drops alone are a warning: the client's SYN is retried (1 s, 3 s,
	 * ...) and may still get through, and a queue that is full now is
	 * already critical by its state. */
	res.status = res.n_crit ? SW_CHECK_CRITICAL :
		     res.n_warn || res.n_drop ? SW_CHECK_WARNING : SW_CHECK_OK;
	res.stale = check_poll_problem(doc, res.problem, sizeof(res.problem)) != NULL;
	if (res.stale)
		res.status = SW_CHECK_UNKNOWN;
	*ret = res;
	return 0;
}

void check_result_clear(struct check_result *r)
{
	free(r->alert);
	*r = (struct check_result){ .status = SW_CHECK_UNKNOWN };
}

/* "N listeners below warn" or who is in alert, before the perfdata. */
static void check_summary(FILE *f, const struct check_result *res)
{
	size_t listed = 0;

	if (res->n_alert == 0) {
		fprintf(f, "%zu listener%s below warn, no recent drops", res->n,
			res->n == 1 ? "" : "s");
		return;
	}
	if (res->n_warn + res->n_crit > 0) {
		fprintf(f, "%zu of %zu listeners at or above warn", res->n_warn + res->n_crit, res->n);
		if (res->n_crit)
			fprintf(f, ", %zu critical", res->n_crit);
		if (res->n_drop)
			fprintf(f, ", %zu with recent drops", res->n_drop);
	} else {
		fprintf(f, "%zu of %zu listeners with recent drops", res->n_drop, res->n);
	}
	fputs(": ", f);
	for (size_t i = 0; i < res->n_alert && listed < SW_CHECK_LIST_MAX; i++, listed++) {
		if (i > 0)
			fputs(", ", f);
		check_describe(f, &res->alert[i]);
	}
	if (res->n_alert > listed)
		fprintf(f, ", +%zu more", res->n_alert - listed);
}

enum sw_check_status render_check(FILE *f, struct json_object *doc)
{
	struct check_result res;
	size_t perf = 0;
	int r;

	render_sanitize(doc);
	r = check_evaluate(doc, &res);
	if (r == -ENOMEM)
		return render_check_unknown(f, "out of memory");
	if (r < 0)
		return render_check_unknown(f, "no listeners in the status document");

	fprintf(f, "SOCKWATCH %s - ", check_names[res.status]);
	if (res.stale) {
		check_text(f, res.problem);
		fputs("; last figures: ", f);
	}
	check_summary(f, &res);
	fprintf(f, " | listeners=%zu;;;0 warning=%zu;;;0 critical=%zu;;;0 dropping=%zu;;;0"
		   " drops=%" PRId64 ";;;0 drops_total=%" PRId64 "c",
		res.n, res.n_warn, res.n_crit, res.n_drop, res.drops_delta, res.drops_total);
	for (size_t i = 0; i < res.n_alert && perf < SW_CHECK_PERFDATA_MAX; i++, perf++) {
		bool shared = label_shared(res.alert, res.n_alert, i);

		perf_queue(f, "accept", doc, res.alert[i].l, shared);
		perf_queue(f, "syn", doc, res.alert[i].l, shared);
	}
	fputc('\n', f);
	r = (int)res.status;
	check_result_clear(&res);
	return (enum sw_check_status)r;
}

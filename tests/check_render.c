/* render: sockwatchctl's output against golden files (tests/golden/render/),
 * from hand-written status documents in DESIGN.md's shape. To regenerate
 * after an intended change: SW_GOLDEN_UPDATE=1 build/tests/check_render,
 * then read the diff before committing it. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "render.h"
#include "util.h"

static const char *golden_dir(void)
{
	const char *d = getenv("SW_GOLDEN_DIR");

	/* The tests run from the top of the tree (make check). */
	return d ? d : "tests/golden/render";
}

static char *golden_path(const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", golden_dir(), name), 0);
	return p;
}

static struct json_object *load_doc(const char *name)
{
	_cleanup_free_ char *path = golden_path(name);
	struct json_object *o = json_object_from_file(path);

	ck_assert_msg(o, "cannot read %s: %s", path, json_util_get_last_err());
	return o;
}

enum what { R_STATUS, R_SHOW, R_CHECK };

struct golden_case {
	const char *input;
	enum what what;
	struct sw_render_opts opts;
	const char *expected;
	int rc;
};

static const struct golden_case golden[] = {
	{ "status.json", R_STATUS, { .all = false }, "status.txt", 0 },
	{ "status.json", R_STATUS, { .all = true }, "status-all.txt", 0 },
	{ "status-netns.json", R_STATUS, { .all = false }, "status-netns.txt", 0 },
	/* Three namespaces by name, and the set's summary line. */
	{ "status-3ns.json", R_STATUS, { .all = false }, "status-3ns.txt", 0 },
	{ "status-3ns.json", R_CHECK, { 0 }, "check-3ns.txt", SW_CHECK_CRITICAL },
	{ "show.json", R_SHOW, { 0 }, "show.txt", 0 },
	/* Thresholds exact, fills truncated: warn 80.05% is not "80%". */
	{ "show-thresholds.json", R_SHOW, { 0 }, "show-thresholds.txt", 0 },
	{ "check-ok.json", R_CHECK, { 0 }, "check-ok.txt", SW_CHECK_OK },
	{ "check-warning.json", R_CHECK, { 0 }, "check-warning.txt", SW_CHECK_WARNING },
	{ "status.json", R_CHECK, { 0 }, "check-critical.txt", SW_CHECK_CRITICAL },
	{ "status-netns.json", R_CHECK, { 0 }, "check-netns.txt", SW_CHECK_CRITICAL },
	{ "check-drops.json", R_CHECK, { 0 }, "check-drops.txt", SW_CHECK_WARNING },
	{ "check-poll-failed.json", R_CHECK, { 0 }, "check-poll-failed.txt", SW_CHECK_UNKNOWN },
};

/* Renders doc into a string; returns the renderer's result. */
static int render_to_string(enum what what, struct json_object *doc,
			    const struct sw_render_opts *o, char **ret)
{
	size_t len;
	FILE *f = open_memstream(ret, &len);
	int r;

	ck_assert_ptr_nonnull(f);
	switch (what) {
	case R_STATUS:
		r = render_status(f, doc, o);
		break;
	case R_SHOW:
		r = render_show(f, doc, o);
		break;
	default:
		r = (int)render_check(f, doc);
		break;
	}
	ck_assert_int_eq(fclose(f), 0);
	return r;
}

START_TEST(test_golden)
{
	const struct golden_case *t = &golden[_i];
	struct json_object *doc = load_doc(t->input);
	_cleanup_free_ char *out = NULL, *want = NULL, *path = golden_path(t->expected);
	int r;

	r = render_to_string(t->what, doc, &t->opts, &out);
	ck_assert_int_eq(r, t->rc);

	if (getenv("SW_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "we");

		ck_assert_ptr_nonnull(f);
		fputs(out, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	ck_assert_msg(util_read_file(path, 1 << 20, &want, NULL) == 0, "cannot read %s", path);
	ck_assert_msg(strcmp(out, want) == 0, "%s rendered from %s differs:\n--- got\n%s--- want\n%s",
		      t->expected, t->input, out, want);
	json_object_put(doc);
}
END_TEST

/* Rendering is deterministic whatever order the daemon lists listeners in:
 * fullest first, ties by port, then cookie (order.h). */
START_TEST(test_order_independent)
{
	struct json_object *doc = load_doc("status.json"), *list, *rev;
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct sw_render_opts o = { .all = true };
	size_t n;

	ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &a), 0);
	ck_assert(json_object_object_get_ex(doc, "listeners", &list));
	n = json_object_array_length(list);
	rev = json_object_new_array();
	for (size_t i = n; i-- > 0;)
		json_object_array_add(rev, json_object_get(json_object_array_get_idx(list, i)));
	json_object_object_add(doc, "listeners", rev);
	ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &b), 0);
	ck_assert_str_eq(a, b);
	json_object_put(doc);
}
END_TEST

/* A terminal gets colour and a table cut to its width; the fullest first. */
START_TEST(test_terminal)
{
	struct json_object *doc = load_doc("status-netns.json");
	struct sw_render_opts o = { .colour = true, .width = 100 };
	_cleanup_free_ char *out = NULL;
	bool in_table = false;
	char *line, *save = NULL;

	ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "\033[1;31mcritical\033[0m"));
	ck_assert_ptr_nonnull(strstr(out, "\033[1mLISTENER"));
	/* The long owner name was cut, marked with '~'. */
	ck_assert_ptr_null(strstr(out, "worker-with-a-long-name"));
	ck_assert_ptr_nonnull(strstr(out, "~"));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t visible = 0;

		if (strstr(line, "LISTENER"))
			in_table = true;
		if (!in_table)
			continue;
		for (const char *p = line; *p; p++) {
			if (*p == '\033') {
				while (*p && *p != 'm')
					p++;
				if (!*p)
					break;
				continue;
			}
			visible++;
		}
		ck_assert_msg(visible <= 100, "line too wide (%zu): %s", visible, line);
	}
	ck_assert(in_table);
	json_object_put(doc);
}
END_TEST

START_TEST(test_duration)
{
	static const struct { uint64_t ms; const char *s; } t[] = {
		{ 0, "0ms" }, { 200, "200ms" }, { 999, "999ms" }, { 1000, "1s" },
		{ 1500, "1.5s" }, { 59000, "59s" }, { 60000, "1min" }, { 125000, "2min 05s" },
		{ 3600000, "1h 00min" }, { 11523000, "3h 12min" }, { 90061000, "1d 01h" },
	};
	char buf[32];

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++)
		ck_assert_str_eq(render_duration(t[i].ms, buf, sizeof(buf)), t[i].s);
}
END_TEST

/* Documents that are not what the daemon sends: no crash, a clear result. */
START_TEST(test_malformed_documents)
{
	static const char *const bad[] = {
		"{}", "{\"listeners\": 5}", "{\"listeners\": {}}",
	};
	static const char *const odd[] = {
		/* wrong types everywhere: rendered with "-" */
		"{\"listeners\": [1, \"x\", null, {\"listener\": 7, \"accept\": \"full\","
		" \"syn\": [], \"drops\": {\"delta\": \"many\"}, \"state\": 3, \"process\": 1}]}",
		"{\"daemon\": 1, \"namespaces\": {\"id\": 1}, \"listeners\": []}",
		"{\"namespaces\": [{\"id\": null, \"counters\": {\"X\": \"y\"}}], \"listeners\": "
		"[{\"listener\": \"1.2.3.4:5\", \"accept\": {\"depth\": 5}, \"state\": \"warning\"}]}",
	};
	struct sw_render_opts o = { .all = true };

	for (size_t i = 0; i < SW_ARRAY_SIZE(bad); i++) {
		struct json_object *doc = json_tokener_parse(bad[i]);
		_cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;

		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &s1), -EINVAL);
		ck_assert_int_eq(render_to_string(R_SHOW, doc, &o, &s2), -EINVAL);
		ck_assert_int_eq(render_to_string(R_CHECK, doc, &o, &s3), SW_CHECK_UNKNOWN);
		ck_assert_msg(strncmp(s3, "SOCKWATCH UNKNOWN - ", 20) == 0, "%s", s3);
		json_object_put(doc);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(odd); i++) {
		struct json_object *doc = json_tokener_parse(odd[i]);
		_cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;

		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &s1), 0);
		ck_assert_int_eq(render_to_string(R_SHOW, doc, &o, &s2), 0);
		render_to_string(R_CHECK, doc, &o, &s3);
		ck_assert_msg(strncmp(s3, "SOCKWATCH ", 10) == 0, "%s", s3);
		/* One line, newline-terminated. */
		ck_assert_uint_eq(strcspn(s3, "\n") + 1, strlen(s3));
		json_object_put(doc);
	}
}
END_TEST

/* The check line's perfdata thresholds match where the daemon alerts
 * (depth >= limit * pct / 100) in Nagios' "value > threshold" terms, and
 * the in-alert list is bounded. */
START_TEST(test_check_perfdata)
{
	static const struct { int limit; double warn, crit; const char *perf; } t[] = {
		{ 16, 80, 95, "'accept_1.2.3.4:80'=1;12;15;0;16" },
		{ 10, 80, 90, "'accept_1.2.3.4:80'=1;7;8;0;10" },
		{ 100, 80, 95, "'accept_1.2.3.4:80'=1;79;94;0;100" },
		{ 1, 80, 95, "'accept_1.2.3.4:80'=1;0;0;0;1" },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *js = NULL, *out = NULL;
		struct json_object *doc;

		ck_assert_int_ge(asprintf(&js,
			"{\"alerts\": {\"warn\": %g, \"critical\": %g},"
			" \"listeners\": [{\"listener\": \"1.2.3.4:80\", \"netns\": \"host\","
			" \"accept\": {\"depth\": 1, \"limit\": %d}, \"syn\": {\"depth\": 0, \"limit\": %d},"
			" \"state\": \"warning\"}]}", t[i].warn, t[i].crit, t[i].limit, t[i].limit), 0);
		doc = json_tokener_parse(js);
		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(render_to_string(R_CHECK, doc, NULL, &out), SW_CHECK_WARNING);
		ck_assert_msg(strstr(out, t[i].perf), "want %s in %s", t[i].perf, out);
		json_object_put(doc);
	}
}
END_TEST

/* A listener whose queue state is ok but whose drops moved recently makes
 * check WARNING, named with what it dropped; drops never lower a worse
 * state, and drops older than the window do not count. */
START_TEST(test_check_drops)
{
	static const struct {
		const char *state, *drops;
		enum sw_check_status rc;
		const char *want;      /* in the line */
		const char *not_want;  /* nowhere in the line; NULL: no such check */
	} t[] = {
		{ "ok", "{\"total\": 9, \"delta\": 0, \"unreported\": 0}", SW_CHECK_OK,
		  "OK - 1 listener below warn, no recent drops | ", "dropped" },
		{ "ok", "{\"total\": 7, \"delta\": 7}", SW_CHECK_WARNING,
		  "WARNING - 1 of 1 listeners with recent drops: 127.0.0.1:8080 dropped 7 | ", NULL },
		{ "ok", "{\"total\": 7, \"delta\": 0, \"unreported\": 5}", SW_CHECK_WARNING,
		  "127.0.0.1:8080 dropped 5 | ", "accept 15" },
		/* unreported accumulates the deltas of polls since the last entry */
		{ "ok", "{\"delta\": 2, \"unreported\": 9}", SW_CHECK_WARNING, "dropped 9 |", NULL },
		{ "ok", "{\"delta\": 0, \"unreported\": 0, \"last_age_ms\": 125000}", SW_CHECK_WARNING,
		  "127.0.0.1:8080 dropped 2min 05s ago | ", NULL },
		{ "ok", "{\"delta\": 0, \"unreported\": 0, \"last_age_ms\": 299999}", SW_CHECK_WARNING,
		  "dropped 4min 59s ago", NULL },
		{ "ok", "{\"delta\": 0, \"unreported\": 0, \"last_age_ms\": 300000}", SW_CHECK_OK,
		  "no recent drops", "dropped" },
		{ "ok", "{\"delta\": 0, \"unreported\": 0, \"last_age_ms\": null}", SW_CHECK_OK,
		  "dropping=0;;;0", NULL },
		{ "ok", "{\"delta\": -3, \"unreported\": \"x\"}", SW_CHECK_OK, "no recent drops", NULL },
		{ "warning", "{\"delta\": 3}", SW_CHECK_WARNING,
		  "1 of 1 listeners at or above warn, 1 with recent drops: "
		  "127.0.0.1:8080 accept 15/16 (93.7%) dropped 3 | listeners=1;;;0 warning=1;;;0 "
		  "critical=0;;;0 dropping=1;;;0 drops=3;;;0", NULL },
		{ "critical", "{\"delta\": 3}", SW_CHECK_CRITICAL,
		  "1 of 1 listeners at or above warn, 1 critical, 1 with recent drops: "
		  "127.0.0.1:8080 accept 15/16 (93.7%) dropped 3", NULL },
		{ "critical", "{\"delta\": 0, \"unreported\": 0}", SW_CHECK_CRITICAL,
		  "127.0.0.1:8080 accept 15/16 (93.7%) | ", "dropped" },
		/* a state this renderer does not know is not taken for ok */
		{ "emergency", "{\"delta\": 0}", SW_CHECK_WARNING, "at or above warn", NULL },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *js = NULL, *out = NULL;
		struct json_object *doc;
		int rc;

		ck_assert_int_ge(asprintf(&js,
			"{\"listeners\": [{\"listener\": \"127.0.0.1:8080\", \"netns\": \"host\","
			" \"accept\": {\"depth\": 15, \"limit\": 16}, \"drops\": %s,"
			" \"state\": \"%s\"}]}", t[i].drops, t[i].state), 0);
		doc = json_tokener_parse(js);
		ck_assert_ptr_nonnull(doc);
		rc = render_to_string(R_CHECK, doc, NULL, &out);
		ck_assert_msg(rc == (int)t[i].rc, "case %zu: rc %d, want %d: %s", i, rc, t[i].rc, out);
		ck_assert_msg(strstr(out, t[i].want), "case %zu: want '%s' in %s", i, t[i].want, out);
		ck_assert_msg(!t[i].not_want || !strstr(out, t[i].not_want),
			      "case %zu: '%s' in %s", i, t[i].not_want, out);
		ck_assert_uint_eq(strlen(out) - 1, strcspn(out, "\n"));
		json_object_put(doc);
	}
}
END_TEST

/* UNKNOWN when the daemon answers but its figures are not current: its
 * latest poll failed, it never polled successfully, or its last good poll
 * is too old. A last_error from long ago is history, not a failure. */
START_TEST(test_check_polls)
{
	static const struct {
		const char *daemon;
		enum sw_check_status rc;
		const char *want;
	} t[] = {
		{ "{\"polls\": 60, \"poll_errors\": 0, \"last_error\": null}", SW_CHECK_OK,
		  "SOCKWATCH OK - 1 listener below warn" },
		/* the fields the daemon should give: authoritative */
		{ "{\"polls\": 60, \"poll_errors\": 2, \"last_error\": \"listener dump: Bad message\","
		  " \"last_poll_ok\": false, \"last_poll_age_ms\": 900, \"interval_ms\": 1000}",
		  SW_CHECK_UNKNOWN,
		  "SOCKWATCH UNKNOWN - latest poll failed: listener dump: Bad message (2 failed polls "
		  "since start); last figures: 1 listener below warn, no recent drops | " },
		{ "{\"polls\": 60, \"poll_errors\": 1, \"last_error\": \"x: y\", \"last_error_age_ms\": 10,"
		  " \"last_poll_ok\": true, \"last_poll_age_ms\": 5, \"interval_ms\": 1000}",
		  SW_CHECK_OK, "SOCKWATCH OK - " },
		{ "{\"polls\": 60, \"last_poll_ok\": true, \"last_poll_age_ms\": 5000, \"interval_ms\": 1000}",
		  SW_CHECK_OK, "SOCKWATCH OK - " },
		{ "{\"polls\": 60, \"last_poll_ok\": true, \"last_poll_age_ms\": 6000, \"interval_ms\": 1000}",
		  SW_CHECK_UNKNOWN,
		  "SOCKWATCH UNKNOWN - no successful poll for 6s (expected every 1s); last figures: " },
		{ "{\"polls\": 60, \"last_poll_ok\": true, \"last_poll_age_ms\": 30000, \"interval_ms\": 10000}",
		  SW_CHECK_OK, "SOCKWATCH OK - " },
		{ "{\"polls\": 60, \"last_poll_ok\": true, \"last_poll_age_ms\": 31000, \"interval_ms\": 10000}",
		  SW_CHECK_UNKNOWN, "no successful poll for 31s (expected every 10s)" },
		/* without last_poll_ok: a last_error younger than the interval in
		 * force is the latest poll's */
		{ "{\"polls\": 60, \"poll_errors\": 3, \"last_error\": \"index: Cannot allocate memory\","
		  " \"last_error_age_ms\": 150, \"interval_ms\": 1000, \"current_interval_ms\": 200}",
		  SW_CHECK_UNKNOWN, "latest poll failed: index: Cannot allocate memory (3 failed polls" },
		{ "{\"polls\": 60, \"poll_errors\": 3, \"last_error\": \"index: Cannot allocate memory\","
		  " \"last_error_age_ms\": 250, \"interval_ms\": 1000, \"current_interval_ms\": 200}",
		  SW_CHECK_OK, "SOCKWATCH OK - " },
		{ "{\"polls\": 60, \"poll_errors\": 1, \"last_error\": \"a: b\", \"last_error_age_ms\": 999,"
		  " \"interval_ms\": 1000}", SW_CHECK_UNKNOWN, "latest poll failed: a: b (1 failed poll since" },
		/* no age: a sticky last_error alone proves nothing */
		{ "{\"polls\": 60, \"poll_errors\": 1, \"last_error\": \"a: b\", \"interval_ms\": 1000}",
		  SW_CHECK_OK, "SOCKWATCH OK - " },
		/* never a good poll */
		{ "{\"polls\": 0, \"poll_errors\": 5, \"last_error\": \"listener dump: Operation not permitted\"}",
		  SW_CHECK_UNKNOWN, "latest poll failed: listener dump: Operation not permitted (5 failed" },
		{ "{\"polls\": 0, \"poll_errors\": 1}", SW_CHECK_UNKNOWN,
		  "latest poll failed: no reason given (1 failed poll since start)" },
		/* a '|' in a message would start the perfdata early */
		{ "{\"polls\": 0, \"poll_errors\": 1, \"last_error\": \"a|b\"}", SW_CHECK_UNKNOWN,
		  "latest poll failed: a/b (" },
		/* the failure wins over a known critical: the figures are stale */
		{ "{\"last_poll_ok\": false, \"poll_errors\": 1, \"last_error\": \"e\"}", SW_CHECK_UNKNOWN,
		  "SOCKWATCH UNKNOWN - latest poll failed: e (1 failed poll since start); last figures: " },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *js = NULL, *out = NULL;
		struct json_object *doc;
		int rc;

		ck_assert_int_ge(asprintf(&js,
			"{\"daemon\": %s, \"listeners\": [{\"listener\": \"127.0.0.1:8080\","
			" \"accept\": {\"depth\": 1, \"limit\": 16}, \"drops\": {\"delta\": 0},"
			" \"state\": \"ok\"}]}", t[i].daemon), 0);
		doc = json_tokener_parse(js);
		ck_assert_ptr_nonnull(doc);
		rc = render_to_string(R_CHECK, doc, NULL, &out);
		ck_assert_msg(rc == (int)t[i].rc, "case %zu: rc %d, want %d: %s", i, rc, t[i].rc, out);
		ck_assert_msg(strstr(out, t[i].want), "case %zu: want '%s' in %s", i, t[i].want, out);
		ck_assert_uint_eq(strlen(out) - 1, strcspn(out, "\n"));
		/* The first '|' is the one that starts the perfdata. */
		ck_assert_ptr_nonnull(strstr(out, " | "));
		ck_assert_ptr_eq(strchr(out, '|'), strstr(out, " | ") + 1);
		json_object_put(doc);
	}
}
END_TEST

/* show says what check counts as recent drops. */
START_TEST(test_show_unreported)
{
	struct json_object *doc = json_tokener_parse(
		"{\"listeners\": [{\"listener\": \"1.2.3.4:5\", \"state\": \"ok\","
		" \"drops\": {\"delta\": 0, \"unreported\": 7, \"total\": 21}}]}");
	struct sw_render_opts o = { 0 };
	_cleanup_free_ char *out = NULL, *out2 = NULL;

	ck_assert_int_eq(render_to_string(R_SHOW, doc, &o, &out), 0);
	ck_assert_msg(strstr(out, "drops:        0 since the last poll, 7 not yet in the journal, "
				  "21 in all\n"), "%s", out);
	json_object_put(doc);
	doc = json_tokener_parse("{\"listeners\": [{\"listener\": \"1.2.3.4:5\","
				 " \"drops\": {\"delta\": 2, \"unreported\": 0, \"total\": 21}}]}");
	ck_assert_int_eq(render_to_string(R_SHOW, doc, &o, &out2), 0);
	ck_assert_msg(strstr(out2, "drops:        2 since the last poll, 21 in all\n"), "%s", out2);
	json_object_put(doc);
}
END_TEST

START_TEST(test_check_bounded)
{
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	_cleanup_free_ char *out = NULL;
	size_t labels = 0;

	json_object_object_add(doc, "listeners", list);
	for (int i = 0; i < 100; i++) {
		char js[256];

		snprintf(js, sizeof(js),
			 "{\"listener\": \"10.0.0.1:%d\", \"port\": %d, \"accept\": {\"depth\": %d,"
			 " \"limit\": 100}, \"state\": \"critical\"}", 1000 + i, 1000 + i, i);
		json_object_array_add(list, json_tokener_parse(js));
	}
	ck_assert_int_eq(render_to_string(R_CHECK, doc, NULL, &out), SW_CHECK_CRITICAL);
	ck_assert_ptr_nonnull(strstr(out, "100 of 100 listeners at or above warn, 100 critical: "
					  "10.0.0.1:1099 accept 99/100 (99%)"));
	ck_assert_ptr_nonnull(strstr(out, ", +95 more |"));
	for (const char *p = out; (p = strstr(p, "'accept_")); p++)
		labels++;
	ck_assert_uint_eq(labels, SW_CHECK_PERFDATA_MAX);
	ck_assert_uint_eq(strlen(out) - 1, strcspn(out, "\n"));
	json_object_put(doc);
}
END_TEST

/* The NETNS column appears when the document has more than one namespace,
 * whatever the listeners' own netns say; and the set's line says whether
 * all are watched or why only the own one is. */
START_TEST(test_netns_column)
{
	static const struct {
		const char *namespaces;      /* the "namespaces" member, or NULL for none */
		const char *nsset;           /* daemon.namespaces, or NULL */
		bool column;
		const char *has, *hasnt;
	} t[] = {
		{ NULL, NULL, false, "LISTENER    OWNER", "namespaces:" },
		{ "[]", NULL, false, "LISTENER    OWNER", "namespace " },
		{ "[{\"id\":\"host\",\"name\":\"host\"}]",
		  "{\"mode\":\"own\",\"own_only_reason\":\"namespaces = own\",\"watched\":1}", false,
		  "namespaces: own only (namespaces = own)\nnamespace host:", "NETNS" },
		{ "[{\"id\":\"host\"},{\"id\":\"blue\",\"name\":\"blue\"}]",
		  "{\"mode\":\"all\",\"watched\":2,\"unwatched\":3}", true,
		  "namespaces: 2 watched (all), 3 not watched (over the limit or failed to open)\n",
		  "left out" },
		{ "[{\"id\":\"host\"},{\"id\":\"blue\"},{\"id\":\"docker:3f2a9c1b0e4d\"}]",
		  "{\"mode\":\"all\",\"watched\":3}", true, "namespace docker:3f2a9c1b0e4d:",
		  "not watched" },
		/* Only the own one, but the listener says another: still one. */
		{ "[{\"id\":\"host\"}]", "{\"mode\":\"own\"}", false, "namespaces: own only\n",
		  "NETNS" },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		struct sw_render_opts o = { .all = true };
		struct json_object *doc;

		ck_assert_int_ge(asprintf(&text,
			"{\"daemon\":{\"pid\":1%s%s}%s%s,\"listeners\":[{\"listener\":\"0.0.0.0:80\","
			"\"netns\":\"blue\",\"port\":80,\"cookie\":1,\"accept\":{\"depth\":1,\"limit\":2},"
			"\"state\":\"ok\"}]}",
			t[i].nsset ? ",\"namespaces\":" : "", t[i].nsset ? t[i].nsset : "",
			t[i].namespaces ? ",\"namespaces\":" : "",
			t[i].namespaces ? t[i].namespaces : ""), 0);
		doc = json_tokener_parse(text);
		ck_assert_msg(doc != NULL, "%s", text);
		ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &out), 0);
		ck_assert_msg(!!strstr(out, "NETNS") == t[i].column, "case %zu:\n%s", i, out);
		ck_assert_msg(!!strstr(out, "  blue  ") == t[i].column, "case %zu:\n%s", i, out);
		ck_assert_msg(strstr(out, t[i].has), "case %zu lacks '%s':\n%s", i, t[i].has, out);
		ck_assert_msg(!strstr(out, t[i].hasnt), "case %zu has '%s':\n%s", i, t[i].hasnt, out);
		json_object_put(doc);
	}
}
END_TEST

/* Idle listeners the daemon already left out are still counted. */
START_TEST(test_idle_hidden_by_daemon)
{
	struct json_object *doc = json_tokener_parse(
		"{\"idle_hidden\": 4, \"listeners\": [{\"listener\": \"1.2.3.4:5\","
		" \"accept\": {\"depth\": 0}, \"syn\": {\"depth\": 0}, \"drops\": {\"delta\": 0},"
		" \"state\": \"ok\"}]}");
	struct sw_render_opts o = { .all = false };
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &out), 0);
	ck_assert_msg(strstr(out, "no busy listeners\n5 idle listeners hidden (--all shows them)\n"),
		      "%s", out);
	json_object_put(doc);
}
END_TEST

/* A process named with escape sequences cannot reach the terminal. */
START_TEST(test_control_characters)
{
	static const char js[] =
		"{\"namespaces\": [{\"id\": \"host\", \"deltas\": {\"Evil\\u001b[2J\": 1}}],"
		" \"listeners\": [{\"listener\": \"1.2.3.4:5\\u0007\", \"state\": \"warning\","
		" \"accept\": {\"depth\": 9, \"limit\": 10, \"limit_source\": \"x\\n\"},"
		" \"process\": {\"pid\": 7, \"comm\": \"a\\u001b]0;pwned\\u0007b\","
		" \"unit\": \"u\\u009b31m.service\\r\"},"
		" \"top_sources\": [{\"address\": \"\\u007f\", \"count\": 1}]}]}";
	const enum what whats[] = { R_STATUS, R_SHOW, R_CHECK };
	struct sw_render_opts o = { .all = true };

	for (size_t i = 0; i < SW_ARRAY_SIZE(whats); i++) {
		struct json_object *doc = json_tokener_parse(js);
		_cleanup_free_ char *out = NULL;

		ck_assert_ptr_nonnull(doc);
		render_to_string(whats[i], doc, &o, &out);
		for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
			ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p != 0x7f),
				      "control byte 0x%02x in: %s", *p, out);
			ck_assert_msg(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f), "C1 in: %s", out);
		}
		if (whats[i] == R_SHOW)
			ck_assert_msg(strstr(out, "a?]0;pwned?b") && strstr(out, "unit u?31m.service?"),
				      "%s", out);
		json_object_put(doc);
	}
}
END_TEST

/* 3891/4096 (94.995...%) is a warning under critical = 95%: the table,
 * show and check all read below 95, whether the daemon gives the percent
 * or only depth and limit. */
START_TEST(test_percent_below_threshold)
{
	static const char *const queues[] = {
		"{\"depth\": 3891, \"limit\": 4096, \"percent\": 94.995, \"peak\": 3891}",
		"{\"depth\": 3891, \"limit\": 4096, \"peak\": 3891}",
	};
	static const struct {
		enum what what;
		const char *want;
	} outputs[] = {
		{ R_STATUS, "3891/4096  94.9  3891" },
		{ R_SHOW, "3891/4096 (94.9%)" },
		{ R_CHECK, "SOCKWATCH WARNING - 1 of 1 listeners at or above warn: "
			   "127.0.0.1:8080 accept 3891/4096 (94.9%)" },
	};
	struct sw_render_opts o = { 0 };

	for (size_t q = 0; q < SW_ARRAY_SIZE(queues); q++) {
		for (size_t k = 0; k < SW_ARRAY_SIZE(outputs); k++) {
			_cleanup_free_ char *text = NULL, *out = NULL;
			struct json_object *doc;

			ck_assert_int_ge(asprintf(&text,
				"{\"alerts\": {\"warn\": 80, \"critical\": 95, \"clear\": 70},"
				" \"listeners\": [{\"listener\": \"127.0.0.1:8080\", \"port\": 8080,"
				" \"cookie\": 1, \"state\": \"warning\", \"accept\": %s}]}",
				queues[q]), 0);
			doc = json_tokener_parse(text);
			ck_assert_ptr_nonnull(doc);
			ck_assert_int_eq(render_to_string(outputs[k].what, doc, &o, &out),
					 outputs[k].what == R_CHECK ? SW_CHECK_WARNING : 0);
			ck_assert_msg(strstr(out, outputs[k].want), "queue %zu: want '%s' in\n%s", q,
				      outputs[k].want, out);
			ck_assert_msg(!strstr(out, "(95%)") && !strstr(out, " 95 "), "%s", out);
			json_object_put(doc);
		}
	}
}
END_TEST

/* The SYN depths are as old as the last SYN scan: the header says so. */
START_TEST(test_syn_scan_age)
{
	static const struct {
		const char *scan;
		const char *want;       /* in the header, or NULL */
	} t[] = {
		{ "{\"mode\": \"auto\", \"interval_ms\": 5000, \"last_age_ms\": 4200}",
		  "SYN scan: auto, every 5s; SYN depths 4.2s old\n" },
		{ "{\"mode\": \"auto\", \"last_age_ms\": null}", "SYN scan: auto\n" },
		{ "{\"mode\": \"off\", \"last_age_ms\": 100}", "SYN scan: off\n" },
	};
	struct sw_render_opts o = { 0 };

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		struct json_object *doc;

		ck_assert_int_ge(asprintf(&text, "{\"daemon\": {\"syn_scan\": %s}, \"listeners\": []}",
					  t[i].scan), 0);
		doc = json_tokener_parse(text);
		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &out), 0);
		ck_assert_msg(strstr(out, t[i].want), "%zu: want '%s' in\n%s", i, t[i].want, out);
		json_object_put(doc);
	}
}
END_TEST

/* check's policy as data: the result of check_evaluate() for small
 * documents, before any of it is printed. */
static const struct {
	const char *doc;
	enum sw_check_status status;
	size_t n, n_warn, n_crit, n_drop, n_alert;
	bool stale;
	int64_t drops_delta, drops_total;
} policy[] = {
	{ "{\"listeners\": []}", SW_CHECK_OK, 0, 0, 0, 0, 0, false, 0, 0 },
	{ "{\"listeners\": [{\"state\": \"ok\", \"drops\": {\"delta\": 0, \"total\": 9}}]}",
	  SW_CHECK_OK, 1, 0, 0, 0, 0, false, 0, 9 },
	{ "{\"listeners\": [{\"state\": \"warning\"}, {\"state\": \"ok\"}]}",
	  SW_CHECK_WARNING, 2, 1, 0, 0, 1, false, 0, 0 },
	/* a state this renderer does not know counts as warning */
	{ "{\"listeners\": [{\"state\": \"dire\"}]}", SW_CHECK_WARNING, 1, 1, 0, 0, 1, false, 0, 0 },
	{ "{\"listeners\": [{\"state\": \"critical\"}, {\"state\": \"warning\"}]}",
	  SW_CHECK_CRITICAL, 2, 1, 1, 0, 2, false, 0, 0 },
	/* drops alone: a warning, by delta, unreported or a recent last drop */
	{ "{\"listeners\": [{\"state\": \"ok\", \"drops\": {\"delta\": 2, \"total\": 5}}]}",
	  SW_CHECK_WARNING, 1, 0, 0, 1, 1, false, 2, 5 },
	{ "{\"listeners\": [{\"state\": \"ok\", \"drops\": {\"unreported\": 4}}]}",
	  SW_CHECK_WARNING, 1, 0, 0, 1, 1, false, 0, 0 },
	{ "{\"listeners\": [{\"state\": \"ok\", \"drops\": {\"last_age_ms\": 299999}}]}",
	  SW_CHECK_WARNING, 1, 0, 0, 1, 1, false, 0, 0 },
	{ "{\"listeners\": [{\"state\": \"ok\", \"drops\": {\"last_age_ms\": 300000}}]}",
	  SW_CHECK_OK, 1, 0, 0, 0, 0, false, 0, 0 },
	/* figures not current: UNKNOWN over whatever the listeners say */
	{ "{\"daemon\": {\"last_poll_ok\": false}, \"listeners\": [{\"state\": \"critical\"}]}",
	  SW_CHECK_UNKNOWN, 1, 0, 1, 0, 1, true, 0, 0 },
	{ "{\"daemon\": {\"last_poll_ok\": true, \"interval_ms\": 1000, \"last_poll_age_ms\": 5001},"
	  " \"listeners\": []}", SW_CHECK_UNKNOWN, 0, 0, 0, 0, 0, true, 0, 0 },
	{ "{\"daemon\": {\"last_poll_ok\": true, \"interval_ms\": 1000, \"last_poll_age_ms\": 5000},"
	  " \"listeners\": []}", SW_CHECK_OK, 0, 0, 0, 0, 0, false, 0, 0 },
	{ "{\"daemon\": {\"polls\": 0, \"poll_errors\": 1}, \"listeners\": []}",
	  SW_CHECK_UNKNOWN, 0, 0, 0, 0, 0, true, 0, 0 },
	/* an out-of-range double is no number, not undefined behaviour */
	{ "{\"listeners\": [{\"state\": \"ok\", \"drops\": {\"delta\": 1e300, \"total\": -1e300}}]}",
	  SW_CHECK_OK, 1, 0, 0, 0, 0, false, 0, 0 },
};

START_TEST(test_check_policy)
{
	struct json_object *doc = json_tokener_parse(policy[_i].doc);
	struct check_result r;

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(check_evaluate(doc, &r), 0);
	ck_assert_msg(r.status == policy[_i].status, "%d: status %d, want %d", _i, r.status,
		      policy[_i].status);
	ck_assert_uint_eq(r.n, policy[_i].n);
	ck_assert_uint_eq(r.n_warn, policy[_i].n_warn);
	ck_assert_uint_eq(r.n_crit, policy[_i].n_crit);
	ck_assert_uint_eq(r.n_drop, policy[_i].n_drop);
	ck_assert_uint_eq(r.n_alert, policy[_i].n_alert);
	ck_assert_int_eq(r.stale, policy[_i].stale);
	ck_assert(!r.stale || r.problem[0]);
	ck_assert_int_eq(r.drops_delta, policy[_i].drops_delta);
	ck_assert_int_eq(r.drops_total, policy[_i].drops_total);
	check_result_clear(&r);
	json_object_put(doc);
	doc = json_tokener_parse("{\"listeners\": 3}");
	ck_assert_int_eq(check_evaluate(doc, &r), -EINVAL);
	json_object_put(doc);
}
END_TEST

START_TEST(test_check_unknown)
{
	_cleanup_free_ char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	ck_assert_int_eq(render_check_unknown(f, "cannot connect to %s", "/x"), SW_CHECK_UNKNOWN);
	fclose(f);
	ck_assert_str_eq(out, "SOCKWATCH UNKNOWN - cannot connect to /x\n");
}
END_TEST

/* The one state word -> level rule: an unknown word (a newer daemon's)
 * counts as warning, no state as ok. */
START_TEST(test_state_level)
{
	static const struct {
		const char *state;
		int level;
		const char *colour;
	} t[] = {
		{ "ok", 0, NULL }, { NULL, 0, NULL }, { "warning", 1, ANSI_YELLOW },
		{ "critical", 2, ANSI_RED }, { "overloaded", 1, ANSI_YELLOW }, { "", 1, ANSI_YELLOW },
		{ "Critical", 1, ANSI_YELLOW }, { "OK", 1, ANSI_YELLOW },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		const char *c = render_state_colour(t[i].state);

		ck_assert_msg(render_state_level(t[i].state) == t[i].level, "%s", t[i].state);
		ck_assert_msg(c == t[i].colour || (c && t[i].colour && strcmp(c, t[i].colour) == 0),
			      "%s", t[i].state);
	}
}
END_TEST

/* status and check put an unknown state where they put warning: ahead of
 * a fuller listener that is ok, behind a critical one. status sorted it
 * as ok while check counted it as warning. */
START_TEST(test_unknown_state_order)
{
	static const char doc_text[] =
		"{\"listeners\": ["
		"{\"listener\": \"0.0.0.0:1\", \"port\": 1, \"state\": \"ok\","
		" \"accept\": {\"depth\": 90, \"limit\": 100}},"
		"{\"listener\": \"0.0.0.0:2\", \"port\": 2, \"state\": \"overloaded\","
		" \"accept\": {\"depth\": 10, \"limit\": 100}},"
		"{\"listener\": \"0.0.0.0:3\", \"port\": 3, \"state\": \"critical\","
		" \"accept\": {\"depth\": 5, \"limit\": 100}}]}";
	struct json_object *doc = json_tokener_parse(doc_text);
	struct sw_render_opts o = { .all = true };
	_cleanup_free_ char *out = NULL, *chk = NULL;
	struct render_row *rows = NULL;
	size_t n = 0, hidden = 0;
	const char *p1, *p2, *p3;

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(render_rows(doc, true, &rows, &n, &hidden), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(rows[0].l, "listener")), "0.0.0.0:3");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(rows[1].l, "listener")), "0.0.0.0:2");
	ck_assert_int_eq(rows[1].key.level, 1);
	free(rows);

	ck_assert_int_eq(render_to_string(R_STATUS, doc, &o, &out), 0);
	p1 = strstr(out, "0.0.0.0:1 ");
	p2 = strstr(out, "0.0.0.0:2 ");
	p3 = strstr(out, "0.0.0.0:3 ");
	ck_assert_msg(p1 && p2 && p3 && p3 < p2 && p2 < p1, "%s", out);

	ck_assert_int_eq(render_to_string(R_CHECK, doc, &o, &chk), SW_CHECK_CRITICAL);
	ck_assert_msg(strstr(chk, "2 of 3 listeners at or above warn, 1 critical: "
				  "0.0.0.0:3 accept 5/100 (5%), 0.0.0.0:2 accept 10/100 (10%) |"),
		      "%s", chk);
	json_object_put(doc);
}
END_TEST

/* The check line names the queue the order sorted by (order_fuller): the
 * SYN queue only when strictly fuller and not in cookies-always mode. */
START_TEST(test_check_fuller_queue)
{
	static const struct {
		const char *syn, *want;
	} t[] = {
		{ "{\"depth\": 9, \"limit\": 10}", " syn 9/10 (90%)" },
		{ "{\"depth\": 8, \"limit\": 10}", " accept 8/10 (80%)" },
		{ "{\"depth\": 7, \"limit\": 10}", " accept 8/10 (80%)" },
		{ "{\"depth\": 9, \"limit\": 10, \"mode\": \"cookies-always\"}", " accept 8/10 (80%)" },
		{ "{\"depth\": 9}", " accept 8/10 (80%)" },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		struct json_object *doc;
		struct sw_render_opts o = { 0 };

		ck_assert_int_ge(asprintf(&text, "{\"listeners\": [{\"listener\": \"1.2.3.4:5\","
					  " \"state\": \"warning\", \"accept\": {\"depth\": 8,"
					  " \"limit\": 10}, \"syn\": %s}]}", t[i].syn), 0);
		doc = json_tokener_parse(text);
		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(render_to_string(R_CHECK, doc, &o, &out), SW_CHECK_WARNING);
		ck_assert_msg(strstr(out, t[i].want), "row %zu: %s", i, out);
		json_object_put(doc);
	}
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_golden, 0, (int)SW_ARRAY_SIZE(golden));
	tcase_add_test(tc, test_order_independent);
	tcase_add_test(tc, test_terminal);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_malformed_documents);
	tcase_add_test(tc, test_check_perfdata);
	tcase_add_test(tc, test_check_bounded);
	tcase_add_test(tc, test_check_drops);
	tcase_add_test(tc, test_check_polls);
	tcase_add_test(tc, test_show_unreported);
	tcase_add_test(tc, test_check_unknown);
	tcase_add_test(tc, test_percent_below_threshold);
	tcase_add_test(tc, test_syn_scan_age);
	tcase_add_loop_test(tc, test_check_policy, 0, (int)SW_ARRAY_SIZE(policy));
	tcase_add_test(tc, test_idle_hidden_by_daemon);
	tcase_add_test(tc, test_control_characters);
	tcase_add_test(tc, test_state_level);
	tcase_add_test(tc, test_unknown_state_order);
	tcase_add_test(tc, test_check_fuller_queue);
	tcase_add_test(tc, test_netns_column);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(render_suite());
}

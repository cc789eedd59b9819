/* status: status_format() chooses the listeners a request wants before it
 * encodes them, and that choice is the one the document's own rule makes:
 * for every kind of request, its one line parses to the same JSON as the
 * whole document (every listener) trimmed by protocol_filter_document()
 * (the shape sockwatchctl and scripts read must not depend on where the
 * filter ran). It also says how many listeners it wrote, writes
 * idle_hidden exactly when the filter on the whole document does,
 * refuses to pass its bound at any byte without leaving anything
 * allocated, and writes "listeners":[] for an empty tracker. With three
 * namespaces, the same for requests with "netns" globs, and the document's
 * namespace objects, listener names and daemon.namespaces. The trackers
 * are fed hand-made snapshots, as in check_tracker, so that the test does
 * not depend on the dump code. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "order.h"
#include "protocol.h"
#include "status.h"

#define S USEC_PER_SEC
#define NETNS 4026531840ULL
#define NOW (3 * S)

static struct sw_tracker *t;
static struct sw_config *cfg;
static struct sw_snapshot snap;
/* The namespaces of the document: t alone, or with fill_three() two more. */
static struct sw_tracker *t2, *t3;
static struct sw_status_ns nsv[3];
static size_t n_nsv;

#include "snapbuild.h"

/* A listener of the fixture; its uid is its cookie, so that uids differ. */
static struct sw_listener *add(struct sw_snapshot *s, uint64_t cookie, const char *ep,
			       uint32_t depth, uint32_t limit)
{
	struct sw_listener *l = snap_add(s, cookie, ep, depth, limit, 0);

	l->uid = (uint32_t)cookie;
	return l;
}

/* ---- fixtures ---------------------------------------------------------------- */

static void poll_at(uint64_t usec)
{
	struct sw_events ev = { 0 };

	ck_assert_int_eq(tracker_update(t, &snap, NULL, cfg, usec, &ev), 0);
	events_free(&ev);
}

/* Eleven listeners, each there for a reason the filter or the order can
 * get wrong. Idle (hidden by plain status): 2, 4, 6, 7, 9, 10, 11. Shown:
 * 1 (full accept queue, critical), 3 (SYN queue only), 5 (accept depth
 * only), 8 (drops since the last poll only). Two polls, so that deltas,
 * history and drops exist. */
static void fill(void)
{
	struct sw_syn_group *g;

	add(&snap, 1, "127.0.0.1:8080", 17, 16);
	add(&snap, 2, "0.0.0.0:80", 0, 511);
	add(&snap, 3, "[::]:80", 0, 511);          /* same port, other family */
	add(&snap, 4, "127.0.0.1:9090", 0, 128);
	add(&snap, 5, "127.0.0.1:9090", 3, 128);   /* a reuseport pair */
	add(&snap, 6, "[::1]:8443", 0, 64)->v6only = true;
	add(&snap, 7, "10.0.0.1:22", 0, 128);
	add(&snap, 8, "[2001:db8::1]:8443", 0, 128);
	add(&snap, 9, "0.0.0.0:6379", 0, 0);       /* listen(fd, 0) */
	add(&snap, 10, "[::]:443", 0, 4096)->v6only = true;
	add(&snap, 11, "[::]:22", 0, 128);         /* ties with 7 but for the cookie */
	g = snap_group(&snap, "[::]:80", 12);
	group_source(g, "192.0.2.7", 7);
	group_source(g, "2001:db8::7", 5);
	snap_group(&snap, "127.0.0.1:9090", 0);        /* scanned, empty: still idle */
	for (int c = 0; c < _SW_CTR_MAX; c++)
		snap.netstat.value[c] = 100;
	snap.netstat.present = (1u << _SW_CTR_MAX) - 1;
	poll_at(1 * S);
	snap.listeners[0].drops = 5;
	snap.listeners[7].drops = 4;
	for (int c = 0; c < _SW_CTR_MAX; c++)
		snap.netstat.value[c] = 100 + (uint64_t)c;
	poll_at(2 * S);
}

/* Two daemons: a plain one, and one with every optional part set and text
 * that needs escaping, so that the head written as text is checked too. */
static const struct sw_status_daemon daemons[] = {
	{
		.pid = 4242,
		.netns_inode = NETNS,
		.uptime_ms = 2000,
		.interval_ms = 1000,
		.fast_interval_ms = 250,
		.current_interval_ms = 250,
		.polls = 2,
		.last_poll_ok = 1,
		.last_poll_age_ms = 3,
		.syn_mode = "auto",
		.syn_last_age_ms = UINT64_MAX,
		.last_error_age_ms = UINT64_MAX,
		.log_target = "journal",
	},
	{
		.pid = 1,
		.netns_inode = UINT64_MAX - 1,
		.uptime_ms = UINT64_MAX / 2,
		.interval_ms = 1000,
		.polls = 7,
		.poll_errors = 3,
		.last_error = "netlink: \"dump\" interrupted\n\tthen / retried \xc3\xa9",
		.syn_mode = "always",
		.syn_scans = 9,
		.syn_last_age_ms = 0,
		.owner_unknown_reason = "/proc not mounted \\ \x01",
		.last_error_age_ms = 12,
		.last_poll_ok = 0,
		.last_poll_age_ms = UINT64_MAX,
		.log_target = "stderr",
		.journal = { .outages = 2, .dropped = 1 },
		/* From the environment: any bytes, not only UTF-8. */
		.test_faults = "diag:enobufs@3 \xff\xfe",
		.faults_injected = 1,
		.rcvbuf = 4096,
		.proc_root = "/tmp/fake proc",
	},
};

static void setup(void)
{
	struct sw_config_errors errs = { 0 };

	/* A per-listener override, so that "thresholds" differs between
	 * listeners and carries a value rounded to one decimal. */
	ck_assert_int_eq(config_load_string("status.conf",
					    "[listener *:8080]\nwarn = 66.67%\nclear = 33.33%\n"
					    "[listener docker:*/*:80]\nwarn = 70%\n",
					    &cfg, &errs), 0);
	config_errors_clear(&errs);
	ck_assert_int_eq(tracker_new(&t), 0);
	snap_init(&snap);
	nsv[0] = (struct sw_status_ns){
		.tracker = t, .age_ms = UINT64_MAX, .syn_last_age_ms = UINT64_MAX,
	};
	n_nsv = 1;
}

static void teardown(void)
{
	tracker_free(t);
	tracker_free(t2);
	tracker_free(t3);
	t2 = t3 = NULL;
	config_free(cfg);
	snap_free(&snap);
	t = NULL;
	cfg = NULL;
}

/* ---- helpers ------------------------------------------------------------------- */

/* status_format's line for the request, asked for as manager.c's
 * answer_document asks for it. */
static int format_for(const struct sw_status_daemon *d, const struct sw_ctl_request *req,
		      size_t max, char **line, size_t *len, size_t *kept)
{
	struct sw_status_filter f = {
		.keep_ns = status_keep_ns_for_request,
		.keep = status_keep_for_request,
		.userdata = (void *)req,
		.hidden_key = protocol_request_hides_idle(req) ? "idle_hidden" : NULL,
	};
	struct sw_status_inputs in = {
		.daemon = d,
		.ns = nsv,
		.n_ns = n_nsv,
		.cfg = cfg,
		.now_usec = NOW,
	};

	return status_format(&in, &f, max, line, len, kept);
}

static void parse_request(const char *text, struct sw_ctl_request *req)
{
	_cleanup_free_ char *err = NULL;

	ck_assert_msg(protocol_parse_request(text, strlen(text), req, &err) == 0, "%s: %s", text,
		      err ? err : "?");
}

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Where two documents first differ, as "PATH: whole A, format B" in buf: a
 * whole status document is too long for a Check message, and the path is
 * what a mismatch report needs. Returns false when they are equal. */
static bool first_diff(struct json_object *a, struct json_object *b, const char *path,
		       char *buf, size_t size)
{
	char sub[512];

	if (json_object_equal(a, b))
		return false;
	if (a && b && json_object_get_type(a) == json_object_get_type(b) &&
	    json_object_is_type(a, json_type_object)) {
		json_object_object_foreach(a, key, va) {
			struct json_object *vb = NULL;

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!json_object_object_get_ex(b, key, &vb)) {
				snprintf(buf, size, "%s: only in the whole document", sub);
				return true;
			}
			if (first_diff(va, vb, sub, buf, size))
				return true;
		}
		json_object_object_foreach(b, key2, vb2) {
			(void)vb2;
			if (!json_object_object_get_ex(a, key2, NULL)) {
				snprintf(buf, size, "%s.%s: only in format", path, key2);
				return true;
			}
		}
	}
	if (a && b && json_object_get_type(a) == json_object_get_type(b) &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) == json_object_array_length(b)) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (first_diff(json_object_array_get_idx(a, i),
				       json_object_array_get_idx(b, i), sub, buf, size))
				return true;
		}
	}
	snprintf(buf, size, "%s: whole %.600s, format %.600s", path, plain(a), plain(b));
	return true;
}

static int64_t idle_hidden(struct json_object *doc)
{
	struct json_object *v;

	return json_object_object_get_ex(doc, "idle_hidden", &v) ? json_object_get_int64(v) : -1;
}

/* The listeners are written as text, not through json-c: that text is
 * what json-c prints of them, key order and escapes included. */
static void same_as_json_c(struct json_object *doc, const char *line)
{
	struct json_object *ls;
	const char *text;

	ck_assert(json_object_object_get_ex(doc, "listeners", &ls));
	text = json_object_to_json_string_ext(ls, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
	ck_assert_msg(strstr(line, text) != NULL, "listeners differ from json-c's text:\n%s\n%s",
		      line, text);
}

/* What status_write() (--once) writes, for the same inputs: the text of
 * a static buffer, replaced on every call. */
static const char *written_document(const struct sw_status_inputs *in)
{
	static char *buf;
	size_t size = 0, kept = 0;
	FILE *f;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &size);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(status_write(in, NULL, f, &kept), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_eq(size, strlen(buf));
	return buf;
}

/* The whole document (every listener, as check gets it), parsed. */
static struct json_object *whole_document(const struct sw_status_daemon *d)
{
	struct sw_ctl_request all = { .cmd = SW_CTL_CHECK };
	/* No filter at all: what --once prints. */
	struct sw_status_inputs in = {
		.daemon = d, .ns = nsv, .n_ns = n_nsv, .cfg = cfg, .now_usec = NOW,
	};
	char *bare = NULL;
	size_t bare_len = 0;
	struct json_object *doc = NULL;
	char *line = NULL;
	size_t len = 0;

	ck_assert_int_eq(format_for(d, &all, SW_CTL_REPLY_MAX, &line, &len, NULL), 0);
	ck_assert_int_eq(status_format(&in, NULL, SW_CTL_REPLY_MAX, &bare, &bare_len, NULL), 0);
	ck_assert_str_eq(line, bare);
	ck_assert_str_eq(written_document(&in), bare);
	ck_assert_int_eq(protocol_parse_reply(line, len, &doc), 0);
	same_as_json_c(doc, line);
	free(line);
	free(bare);
	return doc;
}

/* Writes the request's line with status_format and checks it against the
 * whole document trimmed by protocol_filter_document. Returns the filter's
 * result (0 or -ENOENT) and the number of listeners written. */
static int check_same(const struct sw_status_daemon *d, const char *request, size_t *ret_kept,
		      int64_t *ret_hidden)
{
	struct sw_ctl_request req = { 0 };
	struct json_object *doc = NULL, *got = NULL, *list;
	char *line = NULL;
	size_t len = 0, kept = 99;
	int rc;

	parse_request(request, &req);
	doc = whole_document(d);
	rc = protocol_filter_document(doc, &req);
	ck_assert_msg(rc == 0 || rc == -ENOENT, "%s: filter %d", request, rc);

	ck_assert_int_eq(format_for(d, &req, SW_CTL_REPLY_MAX, &line, &len, &kept), 0);
	ck_assert_ptr_nonnull(line);
	/* One line: a client reads up to the first newline. */
	ck_assert_uint_eq(strlen(line), len);
	ck_assert_msg(len > 1 && line[len - 1] == '\n' && !memchr(line, '\n', len - 1),
		      "%s: not one line: %s", request, line);
	ck_assert_int_eq(protocol_parse_reply(line, len, &got), 0);
	ck_assert(json_object_object_get_ex(got, "listeners", &list));
	ck_assert_uint_eq(json_object_array_length(list), kept);
	if (rc == 0) {
		char diff[2048];

		if (first_diff(doc, got, "$", diff, sizeof(diff)))
			ck_abort_msg("%s: status_format differs from the filtered document at %s", request,
				     diff);
		ck_assert_int_eq(idle_hidden(got), idle_hidden(doc));
	} else {
		/* show with no match: the filter says -ENOENT and the
		 * manager answers an error when nothing was kept. */
		ck_assert_int_eq(req.cmd, SW_CTL_SHOW);
		ck_assert_uint_eq(kept, 0);
	}
	*ret_kept = kept;
	*ret_hidden = idle_hidden(got);
	json_object_put(doc);
	json_object_put(got);
	free(line);
	protocol_request_clear(&req);
	return rc;
}

/* ---- the table ------------------------------------------------------------------- */

static const struct {
	const char *request;
	int filter_rc;          /* of protocol_filter_document */
	size_t kept;
	int64_t idle_hidden;    /* -1: absent */
} cases[] = {
	{ "{\"command\":\"status\"}", 0, 4, 7 },
	{ "{\"command\":\"status\",\"all\":false}", 0, 4, 7 },
	/* An empty filter list is no filter: idle ones still hidden. */
	{ "{\"command\":\"status\",\"listeners\":[]}", 0, 4, 7 },
	{ "{\"command\":\"status\",\"all\":true}", 0, 11, -1 },
	/* Filters show idle listeners they name, and hide nothing "idle". */
	{ "{\"command\":\"status\",\"listeners\":[\"*:8443\"]}", 0, 2, -1 },
	{ "{\"command\":\"status\",\"listeners\":[\"*:80\"]}", 0, 2, -1 },
	{ "{\"command\":\"status\",\"listeners\":[\"127.0.0.1:9090\",\"*:9090\"]}", 0, 2, -1 },
	{ "{\"command\":\"status\",\"listeners\":[\"[0:0::1]:8443\",\"10.0.0.1:22\"]}", 0, 2, -1 },
	{ "{\"command\":\"status\",\"all\":true,\"listeners\":[\"*:6379\"]}", 0, 1, -1 },
	{ "{\"command\":\"status\",\"listeners\":[\"*:1\"]}", 0, 0, -1 },
	{ "{\"command\":\"show\",\"listener\":\"127.0.0.1:8080\"}", 0, 1, -1 },
	{ "{\"command\":\"show\",\"listener\":\"[::]:443\"}", 0, 1, -1 },
	{ "{\"command\":\"show\",\"listener\":\"*:9090\"}", 0, 2, -1 },
	{ "{\"command\":\"show\",\"listener\":\"*:80\"}", 0, 2, -1 },
	{ "{\"command\":\"show\",\"listener\":\"127.0.0.1:1\"}", -ENOENT, 0, -1 },
	{ "{\"command\":\"check\"}", 0, 11, -1 },
};

#define N_CASES SW_ARRAY_SIZE(cases)

/* Every request against each daemon: _i / N_CASES picks the daemon. */
START_TEST(test_same_as_filtered)
{
	size_t c = (size_t)_i % N_CASES, kept;
	int64_t hidden;

	fill();
	ck_assert_int_eq(check_same(&daemons[(size_t)_i / N_CASES], cases[c].request, &kept,
				    &hidden), cases[c].filter_rc);
	ck_assert_msg(kept == cases[c].kept, "%s: kept %zu, want %zu", cases[c].request, kept,
		      cases[c].kept);
	ck_assert_int_eq(hidden, cases[c].idle_hidden);
}
END_TEST

/* No listeners: "listeners":[] for every request, and show finds nothing. */
START_TEST(test_empty)
{
	size_t kept;
	int64_t hidden;
	char *line = NULL;
	size_t len;
	struct sw_ctl_request req = { .cmd = SW_CTL_STATUS };

	ck_assert_int_eq(check_same(&daemons[0], cases[_i].request, &kept, &hidden),
			 strstr(cases[_i].request, "show") ? -ENOENT : 0);
	ck_assert_uint_eq(kept, 0);
	ck_assert_int_eq(hidden, -1);

	ck_assert_int_eq(format_for(&daemons[0], &req, SW_CTL_REPLY_MAX, &line, &len, NULL), 0);
	ck_assert_ptr_nonnull(strstr(line, ",\"listeners\":[]}\n"));
	free(line);
}
END_TEST

/* Every listener idle: plain status writes none, "listeners":[] with the
 * count beside it, as the filter on the whole document does. */
START_TEST(test_all_idle)
{
	size_t kept;
	int64_t hidden;

	add(&snap, 1, "0.0.0.0:80", 0, 128);
	add(&snap, 2, "[::]:80", 0, 128);
	add(&snap, 3, "127.0.0.1:5432", 0, 0);
	poll_at(1 * S);
	poll_at(2 * S);
	ck_assert_int_eq(check_same(&daemons[0], "{\"command\":\"status\"}", &kept, &hidden), 0);
	ck_assert_uint_eq(kept, 0);
	ck_assert_int_eq(hidden, 3);
	ck_assert_int_eq(check_same(&daemons[0], "{\"command\":\"show\",\"listener\":\"*:80\"}",
				    &kept, &hidden), 0);
	ck_assert_uint_eq(kept, 2);
	ck_assert_int_eq(hidden, -1);
}
END_TEST

/* Fullest first (DESIGN.md): worst state, then fullest queue, then most
 * drops since the last poll, then port, then cookie (order.h). Pinned here
 * so that the comparison with the filtered document is not between two
 * equally wrong orders; every tie-break decides at least one pair. */
START_TEST(test_order)
{
	static const uint64_t want[] = { 1, 3, 5, 8, 7, 11, 2, 10, 9, 6, 4 };
	struct sw_ctl_request req = { .cmd = SW_CTL_CHECK };
	struct json_object *got = NULL, *list, *v;
	char *line = NULL;
	size_t len;

	fill();
	ck_assert_int_eq(format_for(&daemons[0], &req, SW_CTL_REPLY_MAX, &line, &len, NULL), 0);
	ck_assert_int_eq(protocol_parse_reply(line, len, &got), 0);
	ck_assert(json_object_object_get_ex(got, "listeners", &list));
	ck_assert_uint_eq(json_object_array_length(list), SW_ARRAY_SIZE(want));
	for (size_t i = 0; i < SW_ARRAY_SIZE(want); i++) {
		ck_assert(json_object_object_get_ex(json_object_array_get_idx(list, i), "cookie",
						    &v));
		ck_assert_msg((uint64_t)json_object_get_int64(v) == want[i],
			      "position %zu: cookie %lld, want %llu", i,
			      (long long)json_object_get_int64(v), (unsigned long long)want[i]);
	}
	json_object_put(got);
	free(line);
}
END_TEST

/* Which queue a listener's fill is, the one rule the daemon's order,
 * sockwatchctl's order and its check line use: the SYN queue only when it
 * counts and is strictly fuller. */
START_TEST(test_order_fuller)
{
	static const struct {
		double accept;
		bool syn_counts;
		double syn, fill;
		bool is_syn;
	} f[] = {
		{ 50, true, 80, 80, true },
		{ 80, true, 50, 80, false },
		{ 60, true, 60, 60, false },       /* a tie is the accept queue */
		{ 10, false, 99, 10, false },      /* not scanned, or cookies-always */
		{ 0, true, 0.001, 0.001, true },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(f); i++) {
		bool is_syn = !f[i].is_syn;

		ck_assert_msg(order_fuller(f[i].accept, f[i].syn_counts, f[i].syn, &is_syn) == f[i].fill,
			      "row %zu", i);
		ck_assert_msg(is_syn == f[i].is_syn, "row %zu", i);
		ck_assert(order_fuller(f[i].accept, f[i].syn_counts, f[i].syn, NULL) == f[i].fill);
	}
}
END_TEST

/* ---- three namespaces -------------------------------------------------------------- */

static const struct sw_nsinfo ns_host = {
	.id = 4026531841ULL, .inode = NETNS, .own = true,
	.name = { .kind = NETNS_KIND_HOST, .name = "host" },
};
static const struct sw_nsinfo ns_docker = {
	.id = 4099, .inode = 4026532500ULL,
	.name = { .kind = NETNS_KIND_CONTAINER, .name = "docker:3f2a9c1b0e4d",
		  .container = "3f2a9c1b0e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8" },
};
static const struct sw_nsinfo ns_blue = {
	.id = 4100, .inode = 4026532600ULL,
	.name = { .kind = NETNS_KIND_NETNS, .name = "blue" },
};

static struct sw_tracker *three_tracker(const struct sw_nsinfo *info, struct sw_snapshot *s)
{
	struct sw_events ev = { 0 };
	struct sw_tracker *tt;

	ck_assert_int_eq(tracker_new(&tt), 0);
	tracker_set_ns(tt, info);
	ck_assert_int_eq(tracker_update(tt, s, NULL, cfg, 1 * S, &ev), 0);
	ck_assert_int_eq(tracker_update(tt, s, NULL, cfg, 2 * S, &ev), 0);
	events_free(&ev);
	return tt;
}

/* fill() in the host, and two more namespaces: a container whose :80 is
 * full (critical) with an idle :22, and an ip netns with a busy [::]:443
 * and an idle 0.0.0.0:80 (so that "0.0.0.0:80" names a listener in all
 * three). Shown by plain status: the host's 4, docker's 80, blue's 443. */
static void fill_three(void)
{
	struct sw_snapshot s2, s3;

	fill();
	tracker_set_ns(t, &ns_host);
	snap_init(&s2);
	add(&s2, 21, "0.0.0.0:80", 17, 16);
	add(&s2, 22, "0.0.0.0:22", 0, 4096);
	t2 = three_tracker(&ns_docker, &s2);
	snap_init(&s3);
	add(&s3, 31, "[::]:443", 3, 128);
	add(&s3, 33, "0.0.0.0:80", 0, 128);
	snap_counters(&s3, 7);
	t3 = three_tracker(&ns_blue, &s3);
	snap_free(&s2);
	snap_free(&s3);
	nsv[0] = (struct sw_status_ns){ .info = &ns_host, .tracker = t, .age_ms = 2000,
					.syn_last_age_ms = 5, .syn_scans = 2 };
	nsv[1] = (struct sw_status_ns){ .tracker = t2, .age_ms = 1500,
					.syn_last_age_ms = UINT64_MAX, .last_error = -ENOENT };
	nsv[2] = (struct sw_status_ns){ .info = &ns_blue, .tracker = t3, .age_ms = UINT64_MAX,
					.syn_last_age_ms = 1000, .syn_scans = 1 };
	n_nsv = 3;
}

static const struct {
	const char *request;
	int filter_rc;
	size_t kept;
	int64_t idle_hidden;
	size_t namespaces;      /* objects in "namespaces" */
} three_cases[] = {
	{ "{\"command\":\"status\"}", 0, 6, 9, 3 },
	{ "{\"command\":\"status\",\"netns\":[]}", 0, 6, 9, 3 },
	{ "{\"command\":\"status\",\"all\":true}", 0, 15, -1, 3 },
	/* Only idle listeners of the namespaces asked for count as hidden. */
	{ "{\"command\":\"status\",\"netns\":[\"docker:*\"]}", 0, 1, 1, 1 },
	{ "{\"command\":\"status\",\"netns\":[\"blue\",\"host\"]}", 0, 5, 8, 2 },
	{ "{\"command\":\"status\",\"netns\":[\"[bd]*\"]}", 0, 2, 2, 2 },
	{ "{\"command\":\"status\",\"all\":true,\"netns\":[\"pod:*\"]}", 0, 0, -1, 0 },
	{ "{\"command\":\"status\",\"netns\":[\"blu\"]}", 0, 0, -1, 0 },
	{ "{\"command\":\"status\",\"listeners\":[\"*:80\"]}", 0, 4, -1, 3 },
	{ "{\"command\":\"status\",\"listeners\":[\"*:80\"],\"netns\":[\"docker:*\"]}", 0, 1, -1, 1 },
	{ "{\"command\":\"show\",\"listener\":\"0.0.0.0:80\"}", 0, 3, -1, 3 },
	{ "{\"command\":\"show\",\"listener\":\"0.0.0.0:80\",\"netns\":[\"blue\"]}", 0, 1, -1, 1 },
	{ "{\"command\":\"show\",\"listener\":\"127.0.0.1:8080\",\"netns\":[\"blue\"]}",
	  -ENOENT, 0, -1, 1 },
	{ "{\"command\":\"check\"}", 0, 15, -1, 3 },
	{ "{\"command\":\"check\",\"netns\":[\"docker:*\",\"blue\"]}", 0, 4, -1, 2 },
};

START_TEST(test_three_same_as_filtered)
{
	struct sw_ctl_request req = { 0 };
	struct json_object *doc = NULL, *arr;
	char *line = NULL;
	size_t kept, len;
	int64_t hidden;

	fill_three();
	ck_assert_int_eq(check_same(&daemons[_i % 2], three_cases[_i / 2].request, &kept, &hidden),
			 three_cases[_i / 2].filter_rc);
	ck_assert_msg(kept == three_cases[_i / 2].kept, "%s: kept %zu, want %zu",
		      three_cases[_i / 2].request, kept, three_cases[_i / 2].kept);
	ck_assert_int_eq(hidden, three_cases[_i / 2].idle_hidden);

	parse_request(three_cases[_i / 2].request, &req);
	ck_assert_int_eq(format_for(&daemons[0], &req, SW_CTL_REPLY_MAX, &line, &len, NULL), 0);
	ck_assert_int_eq(protocol_parse_reply(line, len, &doc), 0);
	ck_assert(json_object_object_get_ex(doc, "namespaces", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), three_cases[_i / 2].namespaces);
	json_object_put(doc);
	free(line);
	protocol_request_clear(&req);
}
END_TEST

static const char *str_at(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k1, &v))
		return "(absent)";
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return "(absent)";
	return v ? json_object_get_string(v) : "(null)";
}

/* The whole document of three namespaces: their objects in the order
 * given, the host first, with their identity and figures; every listener
 * named by its namespace; fullest first across namespaces; and the set's
 * summary in daemon.namespaces. */
START_TEST(test_three_document)
{
	static const struct {
		const char *key, *sub;
		const char *want[3];
	} ns_keys[] = {
		{ "id", NULL, { "host", "docker:3f2a9c1b0e4d", "blue" } },
		{ "name", NULL, { "host", "docker:3f2a9c1b0e4d", "blue" } },
		{ "netns_id", NULL, { "4026531841", "4099", "4100" } },
		{ "inode", NULL, { "4026531840", "4026532500", "4026532600" } },
		{ "own", NULL, { "true", "false", "false" } },
		{ "kind", NULL, { "host", "container", "netns" } },
		{ "container", NULL,
		  { "(null)", "3f2a9c1b0e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
		    "(null)" } },
		{ "pod_uid", NULL, { "(null)", "(null)", "(null)" } },
		{ "listeners", NULL, { "11", "2", "2" } },
		{ "age_ms", NULL, { "2000", "1500", "(null)" } },
		{ "last_error", NULL, { "(null)", "No such file or directory", "(null)" } },
		{ "syn_scan", "last_age_ms", { "5", "(null)", "1000" } },
		{ "syn_scan", "scans", { "2", "0", "1" } },
		/* Each namespace's own counters; docker's unreadable. */
		{ "counters", "ListenDrops", { "101", "(null)", "7" } },
	};
	struct sw_status_daemon d = daemons[0];
	struct json_object *doc, *arr, *l, *dm;
	size_t n;

	d.namespaces = (struct sw_status_nsset){
		.all = true, .own_only_reason = "ignored when all", .watched = 3, .max = 4096,
		.unwatched = 1, .filtered = 2, .found = 5, .released = 2, .discoveries = 9,
		.last_discovery_age_ms = 1200, .last_discovery_cpu_us = 850,
	};
	fill_three();
	doc = whole_document(&d);
	ck_assert(json_object_object_get_ex(doc, "namespaces", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 3);
	for (size_t k = 0; k < SW_ARRAY_SIZE(ns_keys); k++)
		for (size_t i = 0; i < 3; i++) {
			const char *got = str_at(json_object_array_get_idx(arr, i), ns_keys[k].key,
						 ns_keys[k].sub);

			ck_assert_msg(strcmp(got, ns_keys[k].want[i]) == 0,
				      "namespaces[%zu].%s%s%s: %s, want %s", i, ns_keys[k].key,
				      ns_keys[k].sub ? "." : "", ns_keys[k].sub ? ns_keys[k].sub : "",
				      got, ns_keys[k].want[i]);
		}

	ck_assert(json_object_object_get_ex(doc, "listeners", &arr));
	n = json_object_array_length(arr);
	ck_assert_uint_eq(n, 15);
	/* Both full :80 and :8080 queues (critical) come first, whatever
	 * their namespace; the rest in the one order. */
	for (size_t i = 0; i < 2; i++)
		ck_assert_str_eq(str_at(json_object_array_get_idx(arr, i), "state", NULL), "critical");
	for (size_t i = 0; i < n; i++) {
		static const char *const pairs[][2] = {
			{ "host", "4026531841" }, { "docker:3f2a9c1b0e4d", "4099" }, { "blue", "4100" },
		};
		char name[NETNS_NAME_MAX], nid[24];
		bool found = false;

		l = json_object_array_get_idx(arr, i);
		snprintf(name, sizeof(name), "%s", str_at(l, "netns", NULL));
		snprintf(nid, sizeof(nid), "%s", str_at(l, "netns_id", NULL));
		for (size_t k = 0; k < SW_ARRAY_SIZE(pairs); k++)
			found |= strcmp(name, pairs[k][0]) == 0 && strcmp(nid, pairs[k][1]) == 0;
		ck_assert_msg(found, "listener %zu: netns %s, netns_id %s", i, name, nid);
	}
	ck_assert_str_eq(str_at(json_object_array_get_idx(arr, 0), "netns", NULL), "host");
	ck_assert_str_eq(str_at(json_object_array_get_idx(arr, 1), "netns", NULL),
			 "docker:3f2a9c1b0e4d");
	/* [listener docker:*\/\*:80] applies to the container's :80 only. */
	for (size_t i = 0; i < n; i++) {
		char name[NETNS_NAME_MAX], ep[64];

		l = json_object_array_get_idx(arr, i);
		snprintf(name, sizeof(name), "%s", str_at(l, "netns", NULL));
		snprintf(ep, sizeof(ep), "%s", str_at(l, "listener", NULL));
		if (strcmp(ep, "0.0.0.0:80") == 0)
			ck_assert_double_eq(json_object_get_double(json_object_object_get(
						json_object_object_get(l, "thresholds"), "warn")),
					    strcmp(name, "docker:3f2a9c1b0e4d") == 0 ? 70.0 : 80.0);
	}

	ck_assert(json_object_object_get_ex(doc, "daemon", &dm));
	ck_assert_str_eq(str_at(dm, "namespaces", "mode"), "all");
	ck_assert_str_eq(str_at(dm, "namespaces", "own_only_reason"), "(null)");
	ck_assert_str_eq(str_at(dm, "namespaces", "watched"), "3");
	ck_assert_str_eq(str_at(dm, "namespaces", "max"), "4096");
	ck_assert_str_eq(str_at(dm, "namespaces", "unwatched"), "1");
	ck_assert_str_eq(str_at(dm, "namespaces", "filtered"), "2");
	ck_assert_str_eq(str_at(dm, "namespaces", "found"), "5");
	ck_assert_str_eq(str_at(dm, "namespaces", "released"), "2");
	ck_assert_str_eq(str_at(dm, "namespaces", "discoveries"), "9");
	ck_assert_str_eq(str_at(dm, "namespaces", "last_discovery_age_ms"), "1200");
	ck_assert_str_eq(str_at(dm, "namespaces", "last_discovery_cpu_us"), "850");
	ck_assert_str_eq(str_at(dm, "namespaces", "last_error"), "(null)");
	json_object_put(doc);

	/* Only the own namespace, and why. */
	d.namespaces = (struct sw_status_nsset){
		.own_only_reason = "no privileged helper: not started as root", .watched = 1,
		.last_discovery_age_ms = UINT64_MAX, .last_error = -EPERM,
	};
	doc = whole_document(&d);
	ck_assert(json_object_object_get_ex(doc, "daemon", &dm));
	ck_assert_str_eq(str_at(dm, "namespaces", "mode"), "own");
	ck_assert_str_eq(str_at(dm, "namespaces", "own_only_reason"),
			 "no privileged helper: not started as root");
	ck_assert_str_eq(str_at(dm, "namespaces", "last_discovery_age_ms"), "(null)");
	ck_assert_str_eq(str_at(dm, "namespaces", "max"), "(null)");
	ck_assert_str_eq(str_at(dm, "namespaces", "last_error"), "Operation not permitted");
	json_object_put(doc);
}
END_TEST

/* Owner strings (comm, unit) are any bytes a process or a cgroup name
 * can hold: every byte from 1 to 255 goes through the listeners' own
 * writer, which must escape them as json-c does. */
static unsigned char esc_start;

static int esc_owner(void *userdata, const struct sw_tracked *tr, struct sw_owner *ret)
{
	*ret = (struct sw_owner){ .pid = 7, .holders = 1 };
	for (unsigned k = 0; k < SW_COMM_MAX - 1; k++)
		ret->comm[k] = (char)(esc_start + k ? esc_start + k : 1);
	for (unsigned k = 0; k < 255; k++)
		ret->unit[k] = (char)(255 - k);
	return 0;
}

START_TEST(test_escapes_as_json_c)
{
	struct sw_status_inputs in = {
		.daemon = &daemons[0], .ns = nsv, .n_ns = n_nsv, .cfg = cfg, .now_usec = NOW,
		.owner = esc_owner,
	};
	struct json_object *doc = NULL;
	_cleanup_free_ char *line = NULL;
	size_t len = 0;

	add(&snap, 42, "127.0.0.1:8080", 3, 16);
	poll_at(1 * S);
	for (unsigned start = 1; start < 256; start += SW_COMM_MAX - 1) {
		esc_start = (unsigned char)start;
		free(line);
		line = NULL;
		ck_assert_int_eq(status_format(&in, NULL, SIZE_MAX, &line, &len, NULL), 0);
		ck_assert_str_eq(written_document(&in), line);
		/* The owner is in the listener's text, escaped. */
		if (start == 1)
			ck_assert_ptr_nonnull(strstr(line, "\\u0001\\u0002"));
		ck_assert_int_eq(protocol_parse_reply(line, len, &doc), 0);
		same_as_json_c(doc, line);
		json_object_put(doc);
	}
}
END_TEST

/* status_write writes in chunks of 64 KiB: a document of many of them is
 * the same text as status_format's line. */
START_TEST(test_write_streams)
{
	struct sw_status_inputs in = {
		.daemon = &daemons[1], .ns = nsv, .n_ns = n_nsv, .cfg = cfg, .now_usec = NOW,
	};
	_cleanup_free_ char *line = NULL;
	size_t len = 0, kept = 0;
	char ep[32];

	for (int i = 0; i < 600; i++) {
		snprintf(ep, sizeof(ep), "127.0.0.%d:%d", 1 + i % 200, 10000 + i);
		add(&snap, 100 + (uint64_t)i, ep, (uint32_t)(i % 7), 128);
	}
	poll_at(1 * S);
	poll_at(2 * S);
	ck_assert_int_eq(status_format(&in, NULL, SIZE_MAX, &line, &len, &kept), 0);
	ck_assert_uint_eq(kept, 600);
	ck_assert_uint_gt(len, 4 * 65536);
	ck_assert_str_eq(written_document(&in), line);
}
END_TEST

/* Every bound from 0 to the line's size: -E2BIG below it wherever the
 * text stops (head, a listener, idle_hidden, the closing "}\n"), with the
 * outputs untouched and nothing left allocated (ASan's leak check runs in
 * CI); at and above it the same line. */
static const char *const bound_requests[] = {
	"{\"command\":\"check\"}",
	"{\"command\":\"status\"}",
	"{\"command\":\"show\",\"listener\":\"*:9090\"}",
};

START_TEST(test_bound)
{
	struct sw_ctl_request req = { 0 };
	_cleanup_free_ char *full = NULL;
	size_t need = 0;

	/* Each request with one namespace, then with three. */
	if (_i >= (int)SW_ARRAY_SIZE(bound_requests))
		fill_three();
	else
		fill();
	parse_request(bound_requests[_i % SW_ARRAY_SIZE(bound_requests)], &req);
	ck_assert_int_eq(format_for(&daemons[1], &req, SW_CTL_REPLY_MAX, &full, &need, NULL), 0);
	for (size_t max = 0; max <= need + 1; max++) {
		char *line = (char *)"untouched";
		size_t len = 7, kept = 7;
		int r = format_for(&daemons[1], &req, max, &line, &len, &kept);

		if (max < need) {
			ck_assert_msg(r == -E2BIG, "max %zu of %zu: %d", max, need, r);
			ck_assert_str_eq(line, "untouched");
			ck_assert_uint_eq(len, 7);
			ck_assert_uint_eq(kept, 7);
		} else {
			ck_assert_msg(r == 0, "max %zu of %zu: %d", max, need, r);
			ck_assert_uint_eq(len, need);
			ck_assert_str_eq(line, full);
			free(line);
		}
	}
	protocol_request_clear(&req);
}
END_TEST

/* 3891/4096 is 94.995...%: a warning under critical = 95% (the default),
 * and the document says a figure below 95 that a script can compare. */
START_TEST(test_percent_below_threshold)
{
	struct sw_ctl_request req = { .cmd = SW_CTL_CHECK };
	struct json_object *got = NULL, *list, *l, *acc, *v;
	char *line = NULL;
	size_t len;

	ck_assert_double_eq(cfg->th.critical, 95.0);
	add(&snap, 1, "127.0.0.1:8080", 3891, 4096);
	poll_at(1 * S);
	poll_at(2 * S);
	ck_assert_int_eq(format_for(&daemons[0], &req, SW_CTL_REPLY_MAX, &line, &len, NULL), 0);
	ck_assert_int_eq(protocol_parse_reply(line, len, &got), 0);
	ck_assert(json_object_object_get_ex(got, "listeners", &list));
	l = json_object_array_get_idx(list, 0);
	ck_assert(json_object_object_get_ex(l, "state", &v));
	ck_assert_str_eq(json_object_get_string(v), "warning");
	ck_assert(json_object_object_get_ex(l, "accept", &acc));
	ck_assert(json_object_object_get_ex(acc, "percent", &v));
	ck_assert_double_lt(json_object_get_double(v), 95.0);
	ck_assert_double_eq_tol(json_object_get_double(v), 94.995, 1e-9);
	ck_assert_ptr_nonnull(strstr(line, "\"percent\":94.995"));
	json_object_put(got);
	free(line);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("format");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_same_as_filtered, 0, (int)(N_CASES * SW_ARRAY_SIZE(daemons)));
	tcase_add_loop_test(tc, test_empty, 0, (int)N_CASES);
	tcase_add_test(tc, test_all_idle);
	tcase_add_test(tc, test_write_streams);
	tcase_add_test(tc, test_escapes_as_json_c);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_order_fuller);
	tcase_add_test(tc, test_percent_below_threshold);
	tcase_add_loop_test(tc, test_bound, 0, (int)(2 * SW_ARRAY_SIZE(bound_requests)));
	tcase_add_loop_test(tc, test_three_same_as_filtered, 0, (int)(2 * SW_ARRAY_SIZE(three_cases)));
	tcase_add_test(tc, test_three_document);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}

/* status: status_format() writes the same document as the tree path
 * (status_document() then protocol_filter_document()) for every kind of
 * request, one line with one newline at its end; it says how many
 * listeners it wrote, refuses to pass its bound, and leaves nothing
 * allocated. The tracker is fed hand-made snapshots, as in check_tracker. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "status.h"

static struct sw_tracker *t;
static struct sw_config *cfg;
static struct sw_snapshot snap;

static void add_listener(uint64_t cookie, const char *ep, uint32_t depth, uint32_t limit)
{
	struct sw_listener *l;
	int fam;
	bool wild;

	snap.listeners = realloc(snap.listeners, (snap.n_listeners + 1) * sizeof(*l));
	ck_assert_ptr_nonnull(snap.listeners);
	l = &snap.listeners[snap.n_listeners++];
	memset(l, 0, sizeof(*l));
	l->cookie = cookie;
	ck_assert_int_eq(util_endpoint_parse(ep, &fam, l->addr, &l->port, &wild), 0);
	l->family = (uint8_t)fam;
	l->inode = (uint32_t)(1000 + cookie);
	l->accept_depth = depth;
	l->accept_limit = limit;
	l->has_drops = true;
	l->syn_group = -1;
}

/* Two polls, so that deltas and history exist. */
static void fill(void)
{
	struct sw_events ev = { 0 };

	add_listener(1, "127.0.0.1:8080", 17, 16);      /* full: critical, not idle */
	add_listener(2, "0.0.0.0:80", 0, 511);
	add_listener(3, "[::]:443", 0, 4096);
	add_listener(4, "127.0.0.1:9090", 0, 128);
	add_listener(5, "127.0.0.1:9090", 3, 128);      /* a reuseport pair */
	add_listener(6, "[::1]:8443", 0, 64);
	add_listener(7, "10.0.0.1:22", 0, 128);
	for (int c = 0; c < _SW_CTR_MAX; c++)
		snap.netstat.value[c] = 100;
	snap.netstat.present = (1u << _SW_CTR_MAX) - 1;
	ck_assert_int_eq(tracker_update(t, &snap, cfg, 1 * USEC_PER_SEC, &ev), 0);
	events_clear(&ev);
	snap.listeners[0].drops = 5;
	ck_assert_int_eq(tracker_update(t, &snap, cfg, 2 * USEC_PER_SEC, &ev), 0);
	events_free(&ev);
}

static const struct sw_status_daemon daemon_part = {
	.pid = 4242,
	.netns_inode = 4026531840ULL,
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
	.owner_unknown_reason = "a test \"reason\" with quotes\nand a newline",
};

static void setup(void)
{
	ck_assert_int_eq(tracker_new(&t), 0);
	ck_assert_int_eq(config_new_default(&cfg), 0);
	memset(&snap, 0, sizeof(snap));
	snap.netns = 4026531840ULL;
	snap.sysctl = (struct sw_sysctl){ .somaxconn = 4096, .max_syn_backlog = 2048, .syncookies = 1 };
}

static void teardown(void)
{
	tracker_free(t);
	config_free(cfg);
	free(snap.listeners);
	t = NULL;
	cfg = NULL;
}

static bool keep(void *userdata, struct json_object *listener)
{
	return protocol_request_keeps(userdata, listener);
}

/* status_format's line for the request, as the manager asks for it. */
static int format_for(const struct sw_ctl_request *req, size_t max, char **line, size_t *len,
		      size_t *kept)
{
	struct sw_status_filter f = {
		.keep = keep,
		.userdata = (void *)req,
		.hidden_key = protocol_request_hides_idle(req) ? "idle_hidden" : NULL,
	};

	return status_format(&daemon_part, t, cfg, NULL, 3 * USEC_PER_SEC,
			     req->cmd == SW_CTL_CHECK ? NULL : &f, max, line, len, kept);
}

static const struct {
	const char *request;
	int filter_rc;          /* of protocol_filter_document */
	size_t kept;
	bool idle_hidden;
} cases[] = {
	{ "{\"command\":\"status\"}", 0, 2, true },
	{ "{\"command\":\"status\",\"all\":true}", 0, 7, false },
	{ "{\"command\":\"status\",\"listeners\":[\"*:9090\"]}", 0, 2, false },
	{ "{\"command\":\"status\",\"listeners\":[\"[::]:443\",\"10.0.0.1:22\"]}", 0, 2, false },
	{ "{\"command\":\"status\",\"listeners\":[\"*:1\"]}", 0, 0, false },
	{ "{\"command\":\"show\",\"listener\":\"127.0.0.1:8080\"}", 0, 1, false },
	{ "{\"command\":\"show\",\"listener\":\"*:9090\"}", 0, 2, false },
	{ "{\"command\":\"show\",\"listener\":\"127.0.0.1:1\"}", -ENOENT, 0, false },
	{ "{\"command\":\"check\"}", 0, 7, false },
};

START_TEST(test_same_as_tree)
{
	struct sw_ctl_request req = { 0 };
	struct json_object *doc = NULL, *got = NULL, *list;
	_cleanup_free_ char *err = NULL, *line = NULL;
	size_t len = 0, kept = 99;
	int rc;

	fill();
	ck_assert_int_eq(protocol_parse_request(cases[_i].request, strlen(cases[_i].request), &req,
						&err), 0);
	ck_assert_int_eq(status_document(&daemon_part, t, cfg, NULL, 3 * USEC_PER_SEC, &doc), 0);
	rc = protocol_filter_document(doc, &req);
	ck_assert_int_eq(rc, cases[_i].filter_rc);

	ck_assert_int_eq(format_for(&req, SW_CTL_REPLY_MAX, &line, &len, &kept), 0);
	ck_assert_uint_eq(kept, cases[_i].kept);
	ck_assert_uint_eq(strlen(line), len);
	ck_assert_msg(len > 1 && line[len - 1] == '\n' && !memchr(line, '\n', len - 1),
		      "not one line: %s", line);
	ck_assert_int_eq(protocol_parse_reply(line, len, &got), 0);
	ck_assert(json_object_object_get_ex(got, "listeners", &list));
	ck_assert_uint_eq(json_object_array_length(list), kept);
	ck_assert_int_eq(json_object_object_get_ex(got, "idle_hidden", NULL),
			 cases[_i].idle_hidden);
	/* show with no match: the manager answers an error, the tree path
	 * says -ENOENT; what was written is otherwise the whole document. */
	if (rc == 0)
		ck_assert_msg(json_object_equal(doc, got), "%s:\ntree   %s\nformat %s",
			      cases[_i].request,
			      json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
			      line);
	json_object_put(doc);
	json_object_put(got);
	protocol_request_clear(&req);
}
END_TEST

/* Over the bound: -E2BIG and nothing left allocated (ASan's leak check
 * runs in CI); at the exact size it fits. */
START_TEST(test_bound)
{
	struct sw_ctl_request req = { .cmd = SW_CTL_STATUS, .all = true };
	char *line = NULL;
	size_t len = 0, need;

	fill();
	ck_assert_int_eq(format_for(&req, SW_CTL_REPLY_MAX, &line, &len, NULL), 0);
	need = len;
	free(line);
	line = NULL;
	ck_assert_int_eq(format_for(&req, need, &line, &len, NULL), 0);
	ck_assert_uint_eq(len, need);
	free(line);
	line = NULL;
	ck_assert_int_eq(format_for(&req, need - 1, &line, &len, NULL), -E2BIG);
	ck_assert_ptr_null(line);
	ck_assert_int_eq(format_for(&req, 10, &line, &len, NULL), -E2BIG);
	ck_assert_ptr_null(line);
}
END_TEST

/* No listeners: an empty array, still one valid line. */
START_TEST(test_empty)
{
	struct sw_ctl_request req = { .cmd = SW_CTL_STATUS };
	struct json_object *got = NULL, *list;
	char *line = NULL;
	size_t len = 0, kept = 99;

	ck_assert_int_eq(format_for(&req, SW_CTL_REPLY_MAX, &line, &len, &kept), 0);
	ck_assert_uint_eq(kept, 0);
	ck_assert_ptr_nonnull(strstr(line, "\"listeners\":[]}"));
	ck_assert_int_eq(protocol_parse_reply(line, len, &got), 0);
	ck_assert(json_object_object_get_ex(got, "listeners", &list));
	ck_assert_uint_eq(json_object_array_length(list), 0);
	ck_assert(!json_object_object_get_ex(got, "idle_hidden", NULL));
	json_object_put(got);
	free(line);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("format");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_same_as_tree, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

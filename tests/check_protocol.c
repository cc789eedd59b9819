/* protocol: strict request decoding (valid, malformed, wrong types,
 * oversized, unknown, NUL bytes, deep nesting, huge arrays), encoding round
 * trips, replies, and trimming the status document to a request. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "protocol.h"
#include "macro.h"

struct parse_case {
	const char *name;
	const char *line;
	size_t len;            /* 0: strlen(line) */
	int rc;
	/* on success */
	enum sw_ctl_cmd cmd;
	bool all;
	size_t n_listeners;
	const char *first;     /* listeners[0] or listener, normalised */
	/* on failure: a piece of the message the client gets */
	const char *error;
};

#define LONG_GLOB \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

#define NUL_LINE "{\"command\":\"status\"}\0{\"command\":\"reload\"}"

static const struct parse_case parse_cases[] = {
	/* valid */
	{ "status", "{\"command\":\"status\"}", 0, 0, SW_CTL_STATUS, false, 0, NULL, NULL },
	{ "status all", "{\"command\":\"status\",\"all\":true}", 0, 0, SW_CTL_STATUS, true, 0, NULL, NULL },
	{ "status all false", "{\"all\":false,\"command\":\"status\"}", 0, 0, SW_CTL_STATUS, false, 0, NULL, NULL },
	{ "status filters", "{\"command\":\"status\",\"listeners\":[\"0.0.0.0:80\",\"[::1]:443\",\"*:22\"]}",
	  0, 0, SW_CTL_STATUS, false, 3, "0.0.0.0:80", NULL },
	{ "filters normalised", "{\"command\":\"status\",\"listeners\":[\"[0:0::0:1]:0443\"]}",
	  0, 0, SW_CTL_STATUS, false, 1, "[::1]:443", NULL },
	{ "empty filters", "{\"command\":\"status\",\"listeners\":[]}", 0, 0, SW_CTL_STATUS, false, 0, NULL, NULL },
	{ "show", "{\"command\":\"show\",\"listener\":\"127.0.0.1:8080\"}", 0, 0, SW_CTL_SHOW, false, 0,
	  "127.0.0.1:8080", NULL },
	{ "show wildcard", "{\"command\":\"show\",\"listener\":\"*:8080\"}", 0, 0, SW_CTL_SHOW, false, 0,
	  "*:8080", NULL },
	{ "check", "{\"command\":\"check\"}", 0, 0, SW_CTL_CHECK, false, 0, NULL, NULL },
	{ "reload", "{\"command\":\"reload\"}", 0, 0, SW_CTL_RELOAD, false, 0, NULL, NULL },
	{ "version", "{\"command\":\"version\"}", 0, 0, SW_CTL_VERSION, false, 0, NULL, NULL },
	{ "newline", "{\"command\":\"check\"}\n", 0, 0, SW_CTL_CHECK, false, 0, NULL, NULL },
	{ "whitespace", " \t{ \"command\" : \"check\" }\r\n", 0, 0, SW_CTL_CHECK, false, 0, NULL, NULL },

	/* malformed JSON */
	{ "empty", "", 0, -EINVAL, 0, false, 0, NULL, "empty request" },
	{ "newline only", "\n", 0, -EINVAL, 0, false, 0, NULL, "empty request" },
	{ "incomplete", "{\"command\":\"status\"", 0, -EINVAL, 0, false, 0, NULL, "incomplete" },
	{ "not json", "status please", 0, -EINVAL, 0, false, 0, NULL, "malformed request" },
	{ "garbage bytes", "\x01\x02\xff\xfe", 0, -EINVAL, 0, false, 0, NULL, "malformed request" },
	{ "array", "[\"status\"]", 0, -EINVAL, 0, false, 0, NULL, "not a JSON object" },
	{ "string", "\"status\"", 0, -EINVAL, 0, false, 0, NULL, "not a JSON object" },
	{ "number", "42 ", 0, -EINVAL, 0, false, 0, NULL, "not a JSON object" },
	{ "trailing data", "{\"command\":\"status\"} x", 0, -EINVAL, 0, false, 0, NULL, "malformed request" },
	{ "two objects", "{\"command\":\"status\"}{\"command\":\"reload\"}", 0, -EINVAL, 0, false, 0, NULL,
	  "malformed request" },
	{ "trailing comma", "{\"command\":\"status\",}", 0, -EINVAL, 0, false, 0, NULL, "malformed request" },
	{ "bad utf-8", "{\"command\":\"status\",\"listeners\":[\"\xc3\x28\"]}", 0, -EINVAL, 0, false, 0,
	  NULL, "malformed request" },

	/* wrong types */
	{ "command number", "{\"command\":5}", 0, -EINVAL, 0, false, 0, NULL, "\"command\" must be a string" },
	{ "command null", "{\"command\":null}", 0, -EINVAL, 0, false, 0, NULL, "\"command\" must be a string" },
	{ "command array", "{\"command\":[\"status\"]}", 0, -EINVAL, 0, false, 0, NULL, "must be a string" },
	{ "all string", "{\"command\":\"status\",\"all\":\"yes\"}", 0, -EINVAL, 0, false, 0, NULL,
	  "\"all\" must be true or false" },
	{ "all number", "{\"command\":\"status\",\"all\":1}", 0, -EINVAL, 0, false, 0, NULL, "\"all\" must be" },
	{ "all null", "{\"command\":\"status\",\"all\":null}", 0, -EINVAL, 0, false, 0, NULL, "\"all\" must be" },
	{ "listeners string", "{\"command\":\"status\",\"listeners\":\"0.0.0.0:80\"}", 0, -EINVAL, 0, false, 0,
	  NULL, "must be an array" },
	{ "listeners object", "{\"command\":\"status\",\"listeners\":{}}", 0, -EINVAL, 0, false, 0, NULL,
	  "must be an array" },
	{ "listeners of numbers", "{\"command\":\"status\",\"listeners\":[80]}", 0, -EINVAL, 0, false, 0, NULL,
	  "\"listeners\" must be a string" },
	{ "listeners of null", "{\"command\":\"status\",\"listeners\":[null]}", 0, -EINVAL, 0, false, 0, NULL,
	  "\"listeners\" must be a string" },
	{ "listener number", "{\"command\":\"show\",\"listener\":8080}", 0, -EINVAL, 0, false, 0, NULL,
	  "\"listener\" must be a string" },
	{ "listener not an endpoint", "{\"command\":\"show\",\"listener\":\"localhost:80\"}", 0, -EINVAL, 0,
	  false, 0, NULL, "is not ADDRESS:PORT" },
	{ "filter port out of range", "{\"command\":\"status\",\"listeners\":[\"*:65536\"]}", 0, -EINVAL, 0,
	  false, 0, NULL, "is not ADDRESS:PORT" },

	/* unknown */
	{ "unknown command", "{\"command\":\"shutdown\"}", 0, -EINVAL, 0, false, 0, NULL,
	  "unknown command 'shutdown'" },
	{ "command case", "{\"command\":\"STATUS\"}", 0, -EINVAL, 0, false, 0, NULL, "unknown command" },
	{ "missing command", "{\"all\":true}", 0, -EINVAL, 0, false, 0, NULL, "missing \"command\"" },
	{ "empty object", "{}", 0, -EINVAL, 0, false, 0, NULL, "missing \"command\"" },
	{ "unknown key", "{\"command\":\"status\",\"verbose\":true}", 0, -EINVAL, 0, false, 0, NULL,
	  "unknown key \"verbose\"" },
	{ "key of another command", "{\"command\":\"check\",\"all\":true}", 0, -EINVAL, 0, false, 0, NULL,
	  "check takes no \"all\"" },
	{ "reload with listener", "{\"command\":\"reload\",\"listener\":\"1.2.3.4:5\"}", 0, -EINVAL, 0, false,
	  0, NULL, "reload takes no \"listener\"" },
	{ "show without listener", "{\"command\":\"show\"}", 0, -EINVAL, 0, false, 0, NULL,
	  "show needs \"listener\"" },

	/* embedded NUL: in the bytes, and escaped inside a string */
	{ "NUL byte", NUL_LINE, sizeof(NUL_LINE) - 1, -EINVAL, 0, false, 0, NULL, "NUL byte" },
	{ "escaped NUL", "{\"command\":\"status\\u0000x\"}", 0, -EINVAL, 0, false, 0, NULL,
	  "\"command\" must be a string" },
	{ "escaped NUL in filter", "{\"command\":\"status\",\"listeners\":[\"1.2.3.4:5\\u0000\"]}", 0, -EINVAL,
	  0, false, 0, NULL, "\"listeners\" must be a string" },

	/* namespace globs: status, show and check take them */
	{ "netns of 129 bytes", "{\"command\":\"check\",\"netns\":[\"x" LONG_GLOB "\"]}", 0, -EINVAL,
	  0, false, 0, NULL, "1 to 128 bytes" },
	{ "reload netns", "{\"command\":\"reload\",\"netns\":[\"host\"]}", 0, -EINVAL, 0, false, 0,
	  NULL, "reload takes no \"netns\"" },
	{ "version netns", "{\"command\":\"version\",\"netns\":[]}", 0, -EINVAL, 0, false, 0, NULL,
	  "version takes no \"netns\"" },
	{ "netns string", "{\"command\":\"status\",\"netns\":\"blue\"}", 0, -EINVAL, 0, false, 0, NULL,
	  "\"netns\" must be an array" },
	{ "netns of numbers", "{\"command\":\"status\",\"netns\":[4026531840]}", 0, -EINVAL, 0, false,
	  0, NULL, "\"netns\" must be an array of strings" },
	{ "netns empty name", "{\"command\":\"status\",\"netns\":[\"\"]}", 0, -EINVAL, 0, false, 0, NULL,
	  "1 to 128 bytes without control characters" },
	{ "netns control character", "{\"command\":\"status\",\"netns\":[\"a\\u001b[2J\"]}", 0,
	  -EINVAL, 0, false, 0, NULL, "without control characters" },
	{ "netns escaped NUL", "{\"command\":\"status\",\"netns\":[\"host\\u0000x\"]}", 0, -EINVAL, 0,
	  false, 0, NULL, "\"netns\" must be an array of strings" },

	/* deep nesting */
	{ "nested arrays", "{\"command\":\"status\",\"listeners\":[[[[[\"x\"]]]]]}", 0, -EINVAL, 0, false, 0,
	  NULL, "malformed request" },
	{ "nested objects", "{\"command\":\"status\",\"x\":{\"a\":{\"b\":{\"c\":{}}}}}", 0, -EINVAL, 0, false,
	  0, NULL, "malformed request" },
};

static void check_parse(const struct parse_case *t)
{
	struct sw_ctl_request req = { 0 };
	char *err = NULL;
	size_t len = t->len ? t->len : strlen(t->line);
	int r;

	r = protocol_parse_request(t->line, len, &req, &err);
	ck_assert_msg(r == t->rc, "%s: rc %d, want %d (error: %s)", t->name, r, t->rc,
		      err ? err : "none");
	if (r == 0) {
		ck_assert_msg(!err, "%s: error set on success", t->name);
		ck_assert_int_eq(req.cmd, t->cmd);
		ck_assert_int_eq(req.all, t->all);
		ck_assert_uint_eq(req.n_listeners, t->n_listeners);
		if (t->cmd == SW_CTL_SHOW)
			ck_assert_str_eq(req.listener, t->first);
		else if (t->first)
			ck_assert_str_eq(req.listeners[0], t->first);
		ck_assert_uint_eq(req.n_netns, 0);
	} else {
		ck_assert_msg(err && strstr(err, t->error), "%s: error '%s', want '%s'", t->name,
			      err ? err : "(null)", t->error);
		/* The message goes back to the client: one line, bounded. */
		ck_assert_ptr_null(strchr(err, '\n'));
		ck_assert_uint_lt(strlen(err), 256);
	}
	free(err);
	protocol_request_clear(&req);
}

START_TEST(test_parse_table)
{
	check_parse(&parse_cases[_i]);
}
END_TEST

/* Accepted namespace globs: status, show and check take them, as given. */
static const struct {
	const char *line;
	enum sw_ctl_cmd cmd;
	size_t n;
	const char *first, *last;
} netns_cases[] = {
	{ "{\"command\":\"status\",\"netns\":[\"docker:*\",\"blue\"]}", SW_CTL_STATUS, 2,
	  "docker:*", "blue" },
	{ "{\"command\":\"status\",\"netns\":[]}", SW_CTL_STATUS, 0, NULL, NULL },
	{ "{\"command\":\"show\",\"listener\":\"0.0.0.0:80\",\"netns\":[\"pod:*\"]}", SW_CTL_SHOW,
	  1, "pod:*", "pod:*" },
	{ "{\"netns\":[\"host\"],\"command\":\"check\"}", SW_CTL_CHECK, 1, "host", "host" },
	{ "{\"command\":\"check\",\"netns\":[\"" LONG_GLOB "\"]}", SW_CTL_CHECK, 1, LONG_GLOB,
	  LONG_GLOB },
	{ "{\"command\":\"status\",\"netns\":[\"pod:[0-9a-f]*\",\"\xc3\xa9t\xc3\xa9\",\"?\"]}",
	  SW_CTL_STATUS, 3, "pod:[0-9a-f]*", "?" },
};

START_TEST(test_parse_netns)
{
	struct sw_ctl_request req = { 0 };
	_cleanup_free_ char *err = NULL;

	ck_assert_msg(protocol_parse_request(netns_cases[_i].line, strlen(netns_cases[_i].line), &req,
					     &err) == 0, "%s: %s", netns_cases[_i].line, err);
	ck_assert_int_eq(req.cmd, netns_cases[_i].cmd);
	ck_assert_uint_eq(req.n_netns, netns_cases[_i].n);
	if (netns_cases[_i].n) {
		ck_assert_str_eq(req.netns[0], netns_cases[_i].first);
		ck_assert_str_eq(req.netns[req.n_netns - 1], netns_cases[_i].last);
	}
	protocol_request_clear(&req);
}
END_TEST

/* Builds {"command":"status","listeners":[ "...", ... ]} with n filters,
 * padded with spaces to at least pad bytes. */
static char *status_with_filters(size_t n, const char *filter, size_t pad)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	fputs("{\"command\":\"status\",\"listeners\":[", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", filter);
	fputs("]", f);
	for (long i = (long)pad - (long)ftell(f) - 1; i > 0; i--)
		fputc(' ', f);
	fputs("}", f);
	fclose(f);
	return s;
}

START_TEST(test_parse_limits)
{
	static const struct {
		size_t n, pad;
		int rc;
		const char *error;
	} t[] = {
		{ 1, SW_CTL_REQUEST_MAX, 0, NULL },                  /* exactly the limit */
		{ 1, SW_CTL_REQUEST_MAX + 1, -E2BIG, "request too long" },
		{ 1, 1 << 20, -E2BIG, "request too long" },          /* 1 MiB */
		{ SW_CTL_FILTERS_MAX, 0, 0, NULL },
		{ SW_CTL_FILTERS_MAX + 1, 0, -E2BIG, "too many listeners" },
		{ 250, 0, -E2BIG, "too many listeners" },   /* still under 4 KiB */
	};
	/* As many namespace globs as filters, and no more. */
	static const struct {
		size_t n;
		int rc;
	} tn[] = { { SW_CTL_FILTERS_MAX, 0 }, { SW_CTL_FILTERS_MAX + 1, -E2BIG } };

	for (size_t i = 0; i < SW_ARRAY_SIZE(tn); i++) {
		_cleanup_free_ char *line = NULL, *err = NULL;
		struct sw_ctl_request req = { 0 };
		size_t len;
		FILE *f = open_memstream(&line, &len);

		fputs("{\"command\":\"status\",\"netns\":[", f);
		for (size_t k = 0; k < tn[i].n; k++)
			fprintf(f, "%s\"pod:*\"", k ? "," : "");
		fputs("]}", f);
		fclose(f);
		ck_assert_int_eq(protocol_parse_request(line, len, &req, &err), tn[i].rc);
		if (tn[i].rc == 0)
			ck_assert_uint_eq(req.n_netns, tn[i].n);
		else
			ck_assert_ptr_nonnull(strstr(err, "too many namespaces"));
		protocol_request_clear(&req);
	}


	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *line = status_with_filters(t[i].n, "10.0.0.1:80", t[i].pad);
		struct sw_ctl_request req = { 0 };
		_cleanup_free_ char *err = NULL;
		int r;

		if (t[i].pad)
			ck_assert_uint_eq(strlen(line), t[i].pad);
		else
			ck_assert_uint_le(strlen(line), SW_CTL_REQUEST_MAX);
		r = protocol_parse_request(line, strlen(line), &req, &err);
		ck_assert_msg(r == t[i].rc, "case %zu: rc %d (%s)", i, r, err ? err : "");
		if (r == 0)
			ck_assert_uint_eq(req.n_listeners, t[i].n);
		else
			ck_assert_ptr_nonnull(strstr(err, t[i].error));
		protocol_request_clear(&req);
	}
}
END_TEST

/* A long run of '[' is refused by the depth limit, not by recursion. */
START_TEST(test_parse_deep)
{
	char line[SW_CTL_REQUEST_MAX];
	struct sw_ctl_request req = { 0 };
	_cleanup_free_ char *err = NULL;

	memset(line, '[', sizeof(line));
	ck_assert_int_eq(protocol_parse_request(line, sizeof(line), &req, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nesting too deep"));
}
END_TEST

START_TEST(test_format_round_trip)
{
	char *filters[SW_CTL_FILTERS_MAX + 1];
	char *globs[SW_CTL_FILTERS_MAX];
	struct sw_ctl_request in[] = {
		{ .cmd = SW_CTL_STATUS },
		{ .cmd = SW_CTL_STATUS, .all = true },
		{ .cmd = SW_CTL_STATUS, .listeners = filters, .n_listeners = SW_CTL_FILTERS_MAX },
		{ .cmd = SW_CTL_SHOW, .listener = (char *)"[::ffff:127.0.0.1]:8080" },
		{ .cmd = SW_CTL_CHECK, .all = true },    /* fields a command does not take are left out */
		{ .cmd = SW_CTL_RELOAD },
		{ .cmd = SW_CTL_VERSION },
		{ .cmd = SW_CTL_STATUS, .all = true, .listeners = filters, .n_listeners = 2,
		  .netns = globs, .n_netns = 2 },
		{ .cmd = SW_CTL_SHOW, .listener = (char *)"0.0.0.0:80", .netns = globs, .n_netns = 1 },
		{ .cmd = SW_CTL_CHECK, .netns = globs, .n_netns = 3 },
	};

	/* The longest listener names, as many as allowed, still fit. */
	for (size_t i = 0; i < SW_ARRAY_SIZE(filters); i++)
		filters[i] = (char *)"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
	for (size_t i = 0; i < SW_ARRAY_SIZE(globs); i++)
		globs[i] = (char *)(i % 3 == 0 ? "docker:*" : i % 3 == 1 ? "pod:[0-9a-f]*" : "blue");
	for (size_t i = 0; i < SW_ARRAY_SIZE(in); i++) {
		struct sw_ctl_request out = { 0 };
		_cleanup_free_ char *line = NULL, *err = NULL;
		size_t len;

		ck_assert_int_eq(protocol_format_request(&in[i], &line, &len), 0);
		ck_assert_uint_eq(len, strlen(line));
		ck_assert_msg(line[len - 1] == '\n' && !memchr(line, '\n', len - 1), "%s", line);
		ck_assert_msg(protocol_parse_request(line, len, &out, &err) == 0, "%s: %s", line, err);
		ck_assert_int_eq(out.cmd, in[i].cmd);
		ck_assert_int_eq(out.all, in[i].cmd == SW_CTL_STATUS && in[i].all);
		ck_assert_uint_eq(out.n_listeners, in[i].n_listeners);
		for (size_t k = 0; k < out.n_listeners; k++)
			ck_assert_str_eq(out.listeners[k], in[i].listeners[k]);
		if (in[i].listener)
			ck_assert_str_eq(out.listener, in[i].listener);
		ck_assert_uint_eq(out.n_netns, in[i].n_netns);
		for (size_t k = 0; k < out.n_netns; k++)
			ck_assert_str_eq(out.netns[k], in[i].netns[k]);
		protocol_request_clear(&out);
	}
}
END_TEST

START_TEST(test_format_refuses)
{
	char *filters[SW_CTL_FILTERS_MAX + 1];
	struct sw_ctl_request too_many = { .cmd = SW_CTL_STATUS, .listeners = filters,
					   .n_listeners = SW_CTL_FILTERS_MAX + 1 };
	struct sw_ctl_request show = { .cmd = SW_CTL_SHOW };
	struct sw_ctl_request bad = { .cmd = _SW_CTL_CMD_MAX };
	char *line = NULL;
	size_t len;

	for (size_t i = 0; i < SW_ARRAY_SIZE(filters); i++)
		filters[i] = (char *)"1.2.3.4:5";
	ck_assert_int_eq(protocol_format_request(&too_many, &line, &len), -E2BIG);
	ck_assert_int_eq(protocol_format_request(&show, &line, &len), -EINVAL);
	ck_assert_int_eq(protocol_format_request(&bad, &line, &len), -EINVAL);
	ck_assert_ptr_null(line);
	{
		char *g[] = { (char *)"blue", (char *)"", (char *)"a\tb" };
		struct sw_ctl_request reload = { .cmd = SW_CTL_RELOAD, .netns = g, .n_netns = 1 };
		struct sw_ctl_request empty = { .cmd = SW_CTL_STATUS, .netns = g + 1, .n_netns = 1 };
		struct sw_ctl_request ctl = { .cmd = SW_CTL_CHECK, .netns = g + 2, .n_netns = 1 };
		struct sw_ctl_request many = { .cmd = SW_CTL_CHECK, .netns = filters,
					       .n_netns = SW_CTL_FILTERS_MAX + 1 };

		ck_assert_int_eq(protocol_format_request(&reload, &line, &len), -EINVAL);
		ck_assert_int_eq(protocol_format_request(&empty, &line, &len), -EINVAL);
		ck_assert_int_eq(protocol_format_request(&ctl, &line, &len), -EINVAL);
		ck_assert_int_eq(protocol_format_request(&many, &line, &len), -E2BIG);
		ck_assert_ptr_null(line);
	}
}
END_TEST

START_TEST(test_names)
{
	for (int c = 0; c < _SW_CTL_CMD_MAX; c++)
		ck_assert_int_eq(protocol_cmd_from_name(protocol_cmd_name((enum sw_ctl_cmd)c)), c);
	ck_assert_ptr_null(protocol_cmd_name(_SW_CTL_CMD_MAX));
	ck_assert_int_eq(protocol_cmd_from_name("nope"), -EINVAL);
	ck_assert_int_eq(protocol_cmd_from_name(NULL), -EINVAL);
}
END_TEST

START_TEST(test_normalize)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "127.0.0.1:8080", "127.0.0.1:8080" }, { "[::]:443", "[::]:443" },
		{ "[0::1]:22", "[::1]:22" }, { "*:80", "*:80" }, { "*:0080", "*:80" },
		{ "[::ffff:10.0.0.1]:1", "[::ffff:10.0.0.1]:1" },
	};
	static const char *const bad[] = {
		"", "8080", ":80", "*", "1.2.3.4", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:65536",
		"::1:80", "[::1]80", "[]:80", "host:80", "1.2.3.4:80 ", "[*]:80",
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(ok); i++) {
		_cleanup_free_ char *s = NULL;

		ck_assert_msg(protocol_listener_normalize(ok[i].in, &s) == 0, "%s", ok[i].in);
		ck_assert_str_eq(s, ok[i].out);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(bad); i++) {
		char *s = NULL;

		ck_assert_msg(protocol_listener_normalize(bad[i], &s) == -EINVAL, "'%s'", bad[i]);
		ck_assert_ptr_null(s);
	}
}
END_TEST

START_TEST(test_replies)
{
	struct json_object *o, *back;
	_cleanup_free_ char *line = NULL;
	size_t len;

	/* Newlines inside a message never split the reply line. */
	o = protocol_error_reply("config rejected: %s:%d: %s", "/etc/x.conf", 3, "bad\nvalue");
	ck_assert_int_eq(protocol_format_reply(o, &line, &len), 0);
	ck_assert_uint_eq(strcspn(line, "\n") + 1, len);
	ck_assert_int_eq(protocol_parse_reply(line, len, &back), 0);
	ck_assert_str_eq(protocol_reply_error(back), "config rejected: /etc/x.conf:3: bad\nvalue");
	json_object_put(back);
	json_object_put(o);
	free(line);
	line = NULL;

	o = protocol_ok_reply();
	ck_assert_int_eq(protocol_format_reply(o, &line, &len), 0);
	ck_assert_str_eq(line, "{\"ok\":true}\n");
	ck_assert_int_eq(protocol_parse_reply(line, len, &back), 0);
	ck_assert_ptr_null(protocol_reply_error(back));
	json_object_put(back);
	json_object_put(o);

	o = protocol_version_reply();
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "sockwatchd")), SW_VERSION);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "protocol")),
			 SW_CTL_PROTOCOL_VERSION);
	json_object_put(o);

	ck_assert_int_eq(protocol_parse_reply("[1]\n", 4, &back), -EINVAL);
	ck_assert_int_eq(protocol_parse_reply("{\"a\":1} x", 9, &back), -EINVAL);
	ck_assert_int_eq(protocol_parse_reply("{\"a\":", 5, &back), -EINVAL);
	ck_assert_int_eq(protocol_parse_reply("{\"error\":5}", 11, &back), 0);
	ck_assert_ptr_nonnull(protocol_reply_error(back));
	json_object_put(back);
}
END_TEST

static const char filter_doc[] =
	"{\"version\":1,\"listeners\":["
	"{\"listener\":\"0.0.0.0:8080\",\"port\":8080,\"accept\":{\"depth\":3},\"syn\":{\"depth\":0},"
	" \"drops\":{\"delta\":0},\"state\":\"ok\"},"
	"{\"listener\":\"127.0.0.1:8080\",\"port\":8080,\"accept\":{\"depth\":0},\"syn\":{\"depth\":0},"
	" \"drops\":{\"delta\":0},\"state\":\"ok\"},"
	"{\"listener\":\"[::]:443\",\"port\":443,\"accept\":{\"depth\":0},\"syn\":{\"depth\":0},"
	" \"drops\":{\"delta\":2},\"state\":\"ok\"},"
	"{\"listener\":\"0.0.0.0:22\",\"port\":22,\"accept\":{\"depth\":0},\"syn\":{\"depth\":0},"
	" \"drops\":{\"delta\":0},\"state\":\"warning\"},"
	"{\"listener\":\"0.0.0.0:25\",\"port\":25,\"accept\":{\"depth\":0},\"syn\":{\"depth\":1},"
	" \"drops\":{\"delta\":0},\"state\":\"ok\"},"
	"{\"listener\":\"0.0.0.0:8080\",\"port\":8080,\"accept\":{\"depth\":0},\"syn\":{\"depth\":0},"
	" \"drops\":{\"delta\":0},\"state\":\"ok\"}]}";

/* Names of the listeners left in doc, space-separated. */
static char *kept(struct json_object *doc)
{
	struct json_object *list = json_object_object_get(doc, "listeners");
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	for (size_t i = 0; i < json_object_array_length(list); i++)
		fprintf(f, "%s%s", i ? " " : "",
			json_object_get_string(json_object_object_get(
				json_object_array_get_idx(list, i), "listener")));
	fclose(f);
	return s;
}

START_TEST(test_filter_document)
{
	static char *const f8080[] = { (char *)"*:8080" };
	static char *const fnamed[] = { (char *)"127.0.0.1:8080", (char *)"[::]:443" };
	static const struct {
		struct sw_ctl_request req;
		int rc;
		const char *kept;
		int idle_hidden;     /* -1: no such key */
	} t[] = {
		{ { .cmd = SW_CTL_STATUS }, 0, "0.0.0.0:8080 [::]:443 0.0.0.0:22 0.0.0.0:25", 2 },
		{ { .cmd = SW_CTL_STATUS, .all = true }, 0,
		  "0.0.0.0:8080 127.0.0.1:8080 [::]:443 0.0.0.0:22 0.0.0.0:25 0.0.0.0:8080", -1 },
		/* named listeners are kept even when idle */
		{ { .cmd = SW_CTL_STATUS, .listeners = (char **)f8080, .n_listeners = 1 }, 0,
		  "0.0.0.0:8080 127.0.0.1:8080 0.0.0.0:8080", -1 },
		{ { .cmd = SW_CTL_STATUS, .listeners = (char **)fnamed, .n_listeners = 2 }, 0,
		  "127.0.0.1:8080 [::]:443", -1 },
		{ { .cmd = SW_CTL_SHOW, .listener = (char *)"0.0.0.0:8080" }, 0, "0.0.0.0:8080 0.0.0.0:8080", -1 },
		{ { .cmd = SW_CTL_SHOW, .listener = (char *)"0.0.0.0:9" }, -ENOENT, NULL, -1 },
		{ { .cmd = SW_CTL_CHECK }, 0,
		  "0.0.0.0:8080 127.0.0.1:8080 [::]:443 0.0.0.0:22 0.0.0.0:25 0.0.0.0:8080", -1 },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		struct json_object *doc = json_tokener_parse(filter_doc);
		_cleanup_free_ char *names = NULL;

		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(protocol_filter_document(doc, &t[i].req), t[i].rc);
		if (t[i].kept) {
			struct json_object *h = NULL;

			names = kept(doc);
			ck_assert_str_eq(names, t[i].kept);
			if (t[i].idle_hidden < 0)
				ck_assert(!json_object_object_get_ex(doc, "idle_hidden", &h));
			else
				ck_assert_int_eq(json_object_get_int(json_object_object_get(doc, "idle_hidden")),
						 t[i].idle_hidden);
		}
		json_object_put(doc);
	}
	{
		struct json_object *doc = json_tokener_parse("{\"listeners\":{}}");
		struct sw_ctl_request req = { .cmd = SW_CTL_STATUS };

		ck_assert_int_eq(protocol_filter_document(doc, &req), -EINVAL);
		json_object_put(doc);
	}
}
END_TEST

/* Namespace globs: fnmatch on the name, a listener without one is the
 * host's, and no globs take every namespace. */
START_TEST(test_wants_netns)
{
	static const struct {
		const char *glob;        /* NULL: no globs */
		const char *name;        /* NULL: the listener names none */
		bool wants;
	} t[] = {
		{ NULL, "docker:3f2a9c1b0e4d", true }, { NULL, NULL, true },
		{ "docker:*", "docker:3f2a9c1b0e4d", true }, { "docker:*", "host", false },
		{ "docker:*", "podman:3f2a9c1b0e4d", false }, { "docker:*", "docker-netns:x", false },
		{ "host", NULL, true }, { "host", "host", true }, { "hos", "host", false },
		{ "*", "pid:42", true }, { "*", NULL, true },
		{ "pod:*", "pod:6a1f9c2e-8b7d-4e3f-9a2b-1c0d9e8f7a6b", true },
		{ "[bd]*", "blue", true }, { "[bd]*", "docker:0", true }, { "[bd]*", "host", false },
		{ "blue", "Blue", false }, { "pid:?", "pid:7", true }, { "pid:?", "pid:77", false },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		char *g[] = { (char *)"never-matches", (char *)t[i].glob };
		struct sw_ctl_request req = { .cmd = SW_CTL_STATUS, .all = true, .netns = g,
					      .n_netns = t[i].glob ? 2 : 0 };
		struct sw_ctl_listener_facts l = { .name = "0.0.0.0:80", .netns = t[i].name,
						   .has_port = true, .port = 80 };

		ck_assert_msg(protocol_request_wants_netns(&req, t[i].name) == t[i].wants,
			      "%s on %s", t[i].glob ? t[i].glob : "(none)", t[i].name ? t[i].name : "(none)");
		ck_assert(protocol_request_wants(&req, &l) == t[i].wants);
		req.cmd = SW_CTL_CHECK;
		ck_assert(protocol_request_wants(&req, &l) == t[i].wants);
		req.cmd = SW_CTL_SHOW;
		req.listener = (char *)"*:80";
		ck_assert(protocol_request_wants(&req, &l) == t[i].wants);
	}
}
END_TEST

static const char netns_doc[] =
	"{\"version\":1,\"namespaces\":[{\"id\":\"host\",\"name\":\"host\"},"
	"{\"id\":\"docker:3f2a9c1b0e4d\",\"name\":\"docker:3f2a9c1b0e4d\"},{\"id\":\"blue\"}],"
	"\"listeners\":["
	"{\"listener\":\"0.0.0.0:80\",\"netns\":\"host\",\"port\":80,\"accept\":{\"depth\":3}},"
	"{\"listener\":\"0.0.0.0:22\",\"port\":22,\"accept\":{\"depth\":0}},"
	"{\"listener\":\"0.0.0.0:80\",\"netns\":\"docker:3f2a9c1b0e4d\",\"port\":80,"
	" \"accept\":{\"depth\":9}},"
	"{\"listener\":\"0.0.0.0:443\",\"netns\":\"docker:3f2a9c1b0e4d\",\"port\":443,"
	" \"accept\":{\"depth\":0}},"
	"{\"listener\":\"0.0.0.0:80\",\"netns\":\"blue\",\"port\":80,\"accept\":{\"depth\":0}}]}";

/* Names of the namespaces left in doc, space-separated. */
static char *kept_ns(struct json_object *doc)
{
	struct json_object *list = json_object_object_get(doc, "namespaces");
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	for (size_t i = 0; i < json_object_array_length(list); i++)
		fprintf(f, "%s%s", i ? " " : "",
			json_object_get_string(json_object_object_get(
				json_object_array_get_idx(list, i), "id")));
	fclose(f);
	return s;
}

START_TEST(test_filter_netns)
{
	static char *const g_docker[] = { (char *)"docker:*" };
	static char *const g_host_blue[] = { (char *)"blue", (char *)"host" };
	static char *const g_none[] = { (char *)"pod:*" };
	static char *const f80[] = { (char *)"*:80" };
	static const struct {
		struct sw_ctl_request req;
		int rc;
		const char *kept, *namespaces;
		int idle_hidden;     /* -1: no such key */
	} t[] = {
		{ { .cmd = SW_CTL_STATUS }, 0, "0.0.0.0:80 0.0.0.0:80",
		  "host docker:3f2a9c1b0e4d blue", 3 },
		/* idle listeners of other namespaces are not "hidden" */
		{ { .cmd = SW_CTL_STATUS, .netns = (char **)g_docker, .n_netns = 1 }, 0, "0.0.0.0:80",
		  "docker:3f2a9c1b0e4d", 1 },
		{ { .cmd = SW_CTL_STATUS, .all = true, .netns = (char **)g_host_blue, .n_netns = 2 }, 0,
		  "0.0.0.0:80 0.0.0.0:22 0.0.0.0:80", "host blue", -1 },
		{ { .cmd = SW_CTL_STATUS, .netns = (char **)g_none, .n_netns = 1 }, 0, "", "", -1 },
		{ { .cmd = SW_CTL_STATUS, .listeners = (char **)f80, .n_listeners = 1,
		    .netns = (char **)g_host_blue, .n_netns = 2 }, 0, "0.0.0.0:80 0.0.0.0:80", "host blue",
		  -1 },
		{ { .cmd = SW_CTL_SHOW, .listener = (char *)"0.0.0.0:80" }, 0,
		  "0.0.0.0:80 0.0.0.0:80 0.0.0.0:80", "host docker:3f2a9c1b0e4d blue", -1 },
		{ { .cmd = SW_CTL_SHOW, .listener = (char *)"0.0.0.0:80", .netns = (char **)g_docker,
		    .n_netns = 1 }, 0, "0.0.0.0:80", "docker:3f2a9c1b0e4d", -1 },
		{ { .cmd = SW_CTL_SHOW, .listener = (char *)"0.0.0.0:22", .netns = (char **)g_docker,
		    .n_netns = 1 }, -ENOENT, NULL, NULL, -1 },
		{ { .cmd = SW_CTL_CHECK, .netns = (char **)g_docker, .n_netns = 1 }, 0,
		  "0.0.0.0:80 0.0.0.0:443", "docker:3f2a9c1b0e4d", -1 },
		{ { .cmd = SW_CTL_CHECK }, 0,
		  "0.0.0.0:80 0.0.0.0:22 0.0.0.0:80 0.0.0.0:443 0.0.0.0:80",
		  "host docker:3f2a9c1b0e4d blue", -1 },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		struct json_object *doc = json_tokener_parse(netns_doc), *h = NULL;
		_cleanup_free_ char *names = NULL, *nss = NULL;

		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(protocol_filter_document(doc, &t[i].req), t[i].rc);
		if (t[i].kept) {
			names = kept(doc);
			nss = kept_ns(doc);
			ck_assert_msg(strcmp(names, t[i].kept) == 0, "case %zu: %s", i, names);
			ck_assert_msg(strcmp(nss, t[i].namespaces) == 0, "case %zu: %s", i, nss);
			if (t[i].idle_hidden < 0)
				ck_assert(!json_object_object_get_ex(doc, "idle_hidden", &h));
			else
				ck_assert_int_eq(json_object_get_int(json_object_object_get(doc, "idle_hidden")),
						 t[i].idle_hidden);
		}
		json_object_put(doc);
	}
}
END_TEST

/* A "*:PORT" filter takes a port as text_parse_u64 reads it: digits only,
 * at most 65535. strtoul took a sign, leading blanks and values past
 * 65535, so "-1" wrapped and " 80" matched port 80. */
START_TEST(test_facts_match_port)
{
	static const struct {
		const char *filter;
		int64_t port;
		bool match;
	} t[] = {
		{ "*:80", 80, true }, { "*:0080", 80, true }, { "*:65535", 65535, true },
		{ "*:0", 0, true }, { "*:81", 80, false },
		{ "*:-1", -1, false }, { "*:-1", 65535, false }, { "*: 80", 80, false },
		{ "*:+80", 80, false }, { "*:80 ", 80, false }, { "*:65536", 65536, false },
		{ "*:65536", 0, false }, { "*:18446744073709551696", 80, false },
		{ "*:", 0, false }, { "*:0x50", 80, false },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		struct sw_ctl_listener_facts l = { .name = "0.0.0.0:80", .has_port = true, .port = t[i].port };

		ck_assert_msg(protocol_facts_match(&l, t[i].filter) == t[i].match, "%s on port %lld",
			      t[i].filter, (long long)t[i].port);
	}
	{
		struct sw_ctl_listener_facts l = { .name = "x", .has_port = false };

		ck_assert(!protocol_facts_match(&l, "*:0"));
	}
}
END_TEST

static Suite *protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse_table, 0, (int)SW_ARRAY_SIZE(parse_cases));
	tcase_add_loop_test(tc, test_parse_netns, 0, (int)SW_ARRAY_SIZE(netns_cases));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_deep);
	tcase_add_test(tc, test_format_round_trip);
	tcase_add_test(tc, test_format_refuses);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_normalize);
	tcase_add_test(tc, test_replies);
	tcase_add_test(tc, test_filter_document);
	tcase_add_test(tc, test_facts_match_port);
	tcase_add_test(tc, test_wants_netns);
	tcase_add_test(tc, test_filter_netns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(protocol_suite());
}

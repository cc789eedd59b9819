/* Unit tests of config: value syntax tables, golden files (good-*.conf ->
 * printed effective config in good-*.out, bad-*.conf -> FILE:LINE messages
 * in bad-*.err), the print/parse round trip, the shipped
 * conf/sockwatchd.conf, and the filter and per-listener lookups.
 *
 * Paths are relative to the repository root (the runner's cwd) or to
 * $SW_TOP. With SW_GOLDEN_UPDATE=1 the golden tests rewrite the expected
 * files from the actual output instead of comparing: review the diff. */
#include "checkrun.h"
#include "config.h"
#include "util.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#define MAX_TEXT (1024 * 1024)

static const char *top(void)
{
	const char *t = getenv("SW_TOP");

	return t && *t ? t : ".";
}

static char *path_in_top(const char *rel)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", top(), rel), 0);
	return p;
}

static char *read_text(const char *path)
{
	char *text = NULL;
	int r = util_read_file(path, MAX_TEXT, &text, NULL);

	ck_assert_msg(r == 0, "cannot read %s: %s", path, strerror(-r));
	return text;
}

static char *print_config(const struct sw_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	config_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static char *join_errors(const struct sw_config_errors *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < e->n; i++)
		fprintf(f, "%s\n", e->msg[i]);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Parses text that must be valid; fails the test with the messages if not. */
static struct sw_config *load_ok(const char *name, const char *text)
{
	struct sw_config_errors e = { 0 };
	struct sw_config *c = NULL;
	int r = config_load_string(name, text, &c, &e);

	if (r != 0) {
		char *msgs = join_errors(&e);

		ck_abort_msg("%s: expected no errors, got %d:\n%s", name, r, msgs);
	}
	ck_assert_uint_eq(e.n, 0);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Parses text that must be invalid; returns the messages, one per line. */
static char *load_bad(const char *name, const char *text)
{
	struct sw_config_errors e = { 0 };
	struct sw_config *sentinel = (struct sw_config *)&e, *c = sentinel;
	char *msgs;
	int r = config_load_string(name, text, &c, &e);

	ck_assert_msg(r == -EINVAL, "%s: expected -EINVAL, got %d", name, r);
	ck_assert_msg(c == sentinel, "%s: *ret written on failure", name);
	ck_assert_uint_gt(e.n, 0);
	msgs = join_errors(&e);
	config_errors_clear(&e);
	return msgs;
}

static void assert_ports_eq(const struct sw_port_range *a, size_t na,
			    const struct sw_port_range *b, size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(a[i].lo, b[i].lo);
		ck_assert_uint_eq(a[i].hi, b[i].hi);
	}
}

static void assert_cidrs_eq(const struct sw_cidr *a, size_t na, const struct sw_cidr *b, size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(a[i].family, b[i].family);
		ck_assert_uint_eq(a[i].prefix, b[i].prefix);
		ck_assert_mem_eq(a[i].addr, b[i].addr, 16);
	}
}

static void assert_netns_eq(const struct sw_netns_pattern *a, size_t na,
			    const struct sw_netns_pattern *b, size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_str_eq(a[i].glob, b[i].glob);
		ck_assert_int_eq(a[i].literal, b[i].literal);
	}
}

static void assert_paths_eq(const struct sw_path_pattern *a, size_t na,
			    const struct sw_path_pattern *b, size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_str_eq(a[i].glob, b[i].glob);
		ck_assert_int_eq(a[i].literal, b[i].literal);
	}
}

static void assert_th_eq(const struct sw_thresholds *a, const struct sw_thresholds *b)
{
	ck_assert(a->warn == b->warn);
	ck_assert(a->critical == b->critical);
	ck_assert(a->clear == b->clear);
}

/* Every field but path. */
static void assert_config_eq(const struct sw_config *a, const struct sw_config *b)
{
	ck_assert_uint_eq(a->interval_usec, b->interval_usec);
	ck_assert_uint_eq(a->fast_interval_usec, b->fast_interval_usec);
	ck_assert_int_eq(a->syn_scan, b->syn_scan);
	ck_assert(a->cpu_budget == b->cpu_budget);
	ck_assert_int_eq(a->log_target, b->log_target);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_int_eq(a->namespaces, b->namespaces);
	ck_assert_uint_eq(a->namespace_scan_usec, b->namespace_scan_usec);
	ck_assert_int_eq(a->watch_unix, b->watch_unix);
	assert_th_eq(&a->th, &b->th);
	ck_assert_uint_eq(a->sustain, b->sustain);
	ck_assert_uint_eq(a->realert_usec, b->realert_usec);
	assert_ports_eq(a->ports, a->n_ports, b->ports, b->n_ports);
	assert_ports_eq(a->exclude_ports, a->n_exclude_ports, b->exclude_ports, b->n_exclude_ports);
	assert_cidrs_eq(a->addresses, a->n_addresses, b->addresses, b->n_addresses);
	assert_cidrs_eq(a->exclude_addresses, a->n_exclude_addresses,
			b->exclude_addresses, b->n_exclude_addresses);
	assert_netns_eq(a->netns, a->n_netns, b->netns, b->n_netns);
	assert_netns_eq(a->exclude_netns, a->n_exclude_netns, b->exclude_netns, b->n_exclude_netns);
	assert_paths_eq(a->paths, a->n_paths, b->paths, b->n_paths);
	assert_paths_eq(a->exclude_paths, a->n_exclude_paths, b->exclude_paths, b->n_exclude_paths);
	ck_assert_str_eq(a->control_socket, b->control_socket);
	ck_assert_pstr_eq(a->control_group, b->control_group);
	ck_assert_uint_eq(a->n_overrides, b->n_overrides);
	for (size_t i = 0; i < a->n_overrides; i++) {
		const struct sw_listener_override *x = &a->overrides[i], *y = &b->overrides[i];

		ck_assert_str_eq(x->name, y->name);
		ck_assert_int_eq(x->has_netns, y->has_netns);
		assert_netns_eq(&x->netns, x->has_netns, &y->netns, y->has_netns);
		ck_assert_int_eq(x->is_path, y->is_path);
		assert_paths_eq(&x->path, x->is_path, &y->path, y->is_path);
		ck_assert_int_eq(x->any_address, y->any_address);
		ck_assert_uint_eq(x->family, y->family);
		ck_assert_mem_eq(x->addr, y->addr, 16);
		ck_assert_uint_eq(x->port, y->port);
		ck_assert_int_eq(x->has_warn, y->has_warn);
		ck_assert_int_eq(x->has_critical, y->has_critical);
		ck_assert_int_eq(x->has_clear, y->has_clear);
		assert_th_eq(&x->th, &y->th);
		ck_assert_int_eq(x->ignore, y->ignore);
	}
}

/* ---- value syntax ------------------------------------------------------ */

static const struct {
	const char *s;
	int r;
	uint64_t usec;
} duration_cases[] = {
	{ "0", 0, 0 },
	{ "0s", 0, 0 },
	{ "0ms", 0, 0 },
	{ "1s", 0, 1000000 },
	{ "200ms", 0, 200000 },
	{ "100ms", 0, 100000 },
	{ "5min", 0, 300000000 },
	{ "1h", 0, 3600000000ULL },
	{ "24h", 0, 86400000000ULL },
	{ "007s", 0, 7000000 },
	{ "18446744073709551ms", 0, 18446744073709551000ULL },
	{ "18446744073709552ms", -ERANGE, 0 },
	{ "99999999999999999999s", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "5", -EINVAL, 0 },            /* a bare number other than 0 has no unit */
	{ "1.5s", -EINVAL, 0 },
	{ "1.5.3", -EINVAL, 0 },
	{ "abc", -EINVAL, 0 },
	{ "-5s", -EINVAL, 0 },
	{ "+5s", -EINVAL, 0 },
	{ " 1s", -EINVAL, 0 },
	{ "1s ", -EINVAL, 0 },
	{ "1 s", -EINVAL, 0 },
	{ "1S", -EINVAL, 0 },
	{ "1sec", -EINVAL, 0 },
	{ "1m", -EINVAL, 0 },
	{ "1hh", -EINVAL, 0 },
	{ "1us", -EINVAL, 0 },
	{ "s", -EINVAL, 0 },
	{ "ms", -EINVAL, 0 },
	{ "1ms5", -EINVAL, 0 },
	{ "0x10s", -EINVAL, 0 },
	{ "80%", -EINVAL, 0 },
};

START_TEST(test_parse_duration)
{
	uint64_t usec = 12345;
	int r = config_parse_duration(duration_cases[_i].s, &usec);

	ck_assert_msg(r == duration_cases[_i].r, "'%s': got %d, want %d",
		      duration_cases[_i].s, r, duration_cases[_i].r);
	if (r == 0)
		ck_assert_uint_eq(usec, duration_cases[_i].usec);
	else
		ck_assert_uint_eq(usec, 12345);    /* untouched on error */
}
END_TEST

static const struct {
	const char *s;
	int r;
	double pct;
} percent_cases[] = {
	{ "80%", 0, 80 },
	{ "80", 0, 80 },
	{ "0", 0, 0 },
	{ "100%", 0, 100 },
	{ "12.5%", 0, 12.5 },
	{ "99.95", 0, 99.95 },
	{ "0.01%", 0, 0.01 },
	{ "50.25%", 0, 50.25 },
	{ "007", 0, 7 },
	{ "1000%", 0, 1000 },           /* syntax only: the range is the caller's */
	{ "1234567890123456", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "%", -EINVAL, 0 },
	{ "80%%", -EINVAL, 0 },
	{ "abc", -EINVAL, 0 },
	{ "-5", -EINVAL, 0 },
	{ "+5", -EINVAL, 0 },
	{ "1.5.3", -EINVAL, 0 },
	{ "80 %", -EINVAL, 0 },
	{ " 80", -EINVAL, 0 },
	{ "80 ", -EINVAL, 0 },
	{ ".5", -EINVAL, 0 },
	{ "5.", -EINVAL, 0 },
	{ "5.%", -EINVAL, 0 },
	{ "1.234", -EINVAL, 0 },
	{ "1e2", -EINVAL, 0 },
	{ "inf", -EINVAL, 0 },
	{ "nan", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "80%x", -EINVAL, 0 },
	{ "1,5", -EINVAL, 0 },
};

START_TEST(test_parse_percent)
{
	double pct = -1;
	int r = config_parse_percent(percent_cases[_i].s, &pct);

	ck_assert_msg(r == percent_cases[_i].r, "'%s': got %d, want %d",
		      percent_cases[_i].s, r, percent_cases[_i].r);
	if (r == 0)
		ck_assert_msg(pct == percent_cases[_i].pct, "'%s': got %.17g", percent_cases[_i].s, pct);
	else
		ck_assert(pct == -1);
}
END_TEST

static const struct {
	uint64_t usec;
	const char *s;
} format_duration_cases[] = {
	{ 0, "0" },
	{ 1000, "1ms" },
	{ 200000, "200ms" },
	{ 1000000, "1s" },
	{ 1500000, "1500ms" },
	{ 60000000, "1min" },
	{ 90000000, "90s" },
	{ 5400000000ULL, "90min" },
	{ 3600000000ULL, "1h" },
	{ 86400000000ULL, "24h" },
	{ 1, "1us" },
	{ 1001000, "1001ms" },
};

START_TEST(test_format_duration)
{
	char buf[CONFIG_FMT_MAX];

	ck_assert_str_eq(config_format_duration(format_duration_cases[_i].usec, buf, sizeof(buf)),
			 format_duration_cases[_i].s);
}
END_TEST

/* What sockwatchctl shows for ages and intervals: two units, truncated. */
static const struct {
	uint64_t ms;
	const char *s;
} human_duration_cases[] = {
	{ 0, "0ms" },
	{ 999, "999ms" },
	{ 1000, "1s" },
	{ 1001, "1.0s" },
	{ 1099, "1.0s" },
	{ 1500, "1.5s" },
	{ 59999, "59.9s" },
	{ 60000, "1min" },
	{ 60500, "1min" },
	{ 65000, "1min 05s" },
	{ 3599999, "59min 59s" },
	{ 3600000, "1h 00min" },
	{ 12300000, "3h 25min" },
	{ 86399999, "23h 59min" },
	{ 86400000, "1d 00h" },
	{ 183600000, "2d 03h" },
	{ 18446744073709551ULL, "213503982d 08h" },
};

START_TEST(test_format_duration_human)
{
	char buf[CONFIG_FMT_MAX];

	ck_assert_str_eq(config_format_duration_human(human_duration_cases[_i].ms * 1000, buf,
						      sizeof(buf)),
			 human_duration_cases[_i].s);
	/* the microseconds below a millisecond never show */
	if (human_duration_cases[_i].ms * 1000 <= UINT64_MAX - 999)
		ck_assert_str_eq(config_format_duration_human(human_duration_cases[_i].ms * 1000 + 999,
							      buf, sizeof(buf)),
				 human_duration_cases[_i].s);
}
END_TEST

START_TEST(test_duration_lacks_unit)
{
	ck_assert(config_duration_lacks_unit("5"));
	ck_assert(config_duration_lacks_unit("05"));
	ck_assert(config_duration_lacks_unit("99999999999999999999"));
	ck_assert(!config_duration_lacks_unit("0"));
	ck_assert(!config_duration_lacks_unit("000"));
	ck_assert(!config_duration_lacks_unit("5s"));
	ck_assert(!config_duration_lacks_unit(""));
	ck_assert(!config_duration_lacks_unit("s"));
	ck_assert(!config_duration_lacks_unit(NULL));
}
END_TEST

START_TEST(test_parse_bool)
{
	static const struct {
		const char *s;
		int r;
	} cases[] = {
		{ "yes", 1 }, { "TRUE", 1 }, { "On", 1 }, { "1", 1 },
		{ "no", 0 }, { "false", 0 }, { "OFF", 0 }, { "0", 0 },
		{ "", -EINVAL }, { "y", -EINVAL }, { "2", -EINVAL }, { " yes", -EINVAL },
		{ NULL, -EINVAL },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++)
		ck_assert_msg(config_parse_bool(cases[i].s) == cases[i].r, "'%s'",
			      cases[i].s ? cases[i].s : "(null)");
}
END_TEST

START_TEST(test_names_list)
{
	static const char *const one[] = { "only" };
	static const char *const gaps[] = { NULL, "a", NULL, "b", "c" };
	const struct config_names t1 = { one, 1 }, t2 = { gaps, 5 };
	char buf[64];

	ck_assert_str_eq(config_names_list(&config_syn_scan_names, buf, sizeof(buf)),
			 "auto, always or off");
	ck_assert_str_eq(config_names_list(&config_log_target_names, buf, sizeof(buf)),
			 "auto, journal or stderr");
	ck_assert_str_eq(config_names_list(&config_log_level_names, buf, sizeof(buf)),
			 "err, warning, notice, info or debug");
	ck_assert_str_eq(config_names_list(&config_namespaces_names, buf, sizeof(buf)),
			 "all or own");
	ck_assert_str_eq(config_names_list(&t1, buf, sizeof(buf)), "only");
	ck_assert_str_eq(config_names_list(&t2, buf, sizeof(buf)), "a, b or c");
	ck_assert_str_eq(config_names_list(&t2, buf, 4), "a, ");
	ck_assert_int_eq(config_names_lookup(&t2, "b"), 3);
	ck_assert_int_eq(config_names_lookup(&t2, "d"), -EINVAL);
	ck_assert_ptr_null(config_names_name(&t2, 0));
	ck_assert_ptr_null(config_names_name(&t2, 5));
	ck_assert_ptr_null(config_names_name(&t2, -1));
	ck_assert_str_eq(config_names_name(&t2, 4), "c");
}
END_TEST

START_TEST(test_percent_round_trip)
{
	char buf[CONFIG_FMT_MAX];

	/* every value the parser can produce from 0% to 100% */
	for (unsigned i = 0; i <= 10000; i++) {
		double v, back = -1;

		snprintf(buf, sizeof(buf), "%u.%02u", i / 100, i % 100);
		ck_assert_int_eq(config_parse_percent(buf, &v), 0);
		config_format_percent(v, buf, sizeof(buf));
		ck_assert_int_eq(config_parse_percent(buf, &back), 0);
		ck_assert_msg(back == v, "%u: %s", i, buf);
	}
	ck_assert_str_eq(config_format_percent(80, buf, sizeof(buf)), "80%");
	ck_assert_str_eq(config_format_percent(12.5, buf, sizeof(buf)), "12.5%");
	ck_assert_str_eq(config_format_percent(99.95, buf, sizeof(buf)), "99.95%");
	ck_assert_str_eq(config_format_percent(0.01, buf, sizeof(buf)), "0.01%");
	ck_assert_str_eq(config_format_percent(0.1, buf, sizeof(buf)), "0.1%");
}
END_TEST

START_TEST(test_names)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "err", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	enum sw_log_target t = SW_LOG_AUTO;

	for (size_t i = 0; i < SW_ARRAY_SIZE(levels); i++) {
		ck_assert_int_eq(config_parse_log_level(levels[i].name), levels[i].level);
		ck_assert_str_eq(config_log_level_name(levels[i].level), levels[i].name);
	}
	ck_assert_int_eq(config_parse_log_level("error"), -EINVAL);
	ck_assert_int_eq(config_parse_log_level("emerg"), -EINVAL);
	ck_assert_int_eq(config_parse_log_level(""), -EINVAL);
	ck_assert_ptr_null(config_log_level_name(LOG_EMERG));
	ck_assert_ptr_null(config_log_level_name(99));

	ck_assert_int_eq(config_parse_log_target("journal", &t), 0);
	ck_assert_int_eq(t, SW_LOG_JOURNAL);
	ck_assert_int_eq(config_parse_log_target("stderr", &t), 0);
	ck_assert_int_eq(t, SW_LOG_STDERR);
	ck_assert_int_eq(config_parse_log_target("syslog", &t), -EINVAL);
	ck_assert_int_eq(t, SW_LOG_STDERR);
	ck_assert_str_eq(config_log_target_name(SW_LOG_AUTO), "auto");
	ck_assert_str_eq(config_syn_scan_name(SW_SYN_SCAN_ALWAYS), "always");
	ck_assert_str_eq(config_syn_scan_name(SW_SYN_SCAN_OFF), "off");
	ck_assert_str_eq(config_namespaces_name(SW_NAMESPACES_ALL), "all");
	ck_assert_str_eq(config_namespaces_name(SW_NAMESPACES_OWN), "own");
	ck_assert_int_eq(config_names_lookup(&config_namespaces_names, "own"), SW_NAMESPACES_OWN);
	ck_assert_int_eq(config_names_lookup(&config_namespaces_names, "none"), -EINVAL);
}
END_TEST

/* ---- defaults and the shipped file -------------------------------------- */

START_TEST(test_defaults)
{
	_cleanup_config_ struct sw_config *c = NULL;

	ck_assert_int_eq(config_new_default(&c), 0);
	ck_assert_ptr_null(c->path);
	ck_assert_uint_eq(c->interval_usec, 1000000);
	ck_assert_uint_eq(c->fast_interval_usec, 200000);
	ck_assert_int_eq(c->syn_scan, SW_SYN_SCAN_AUTO);
	ck_assert(c->cpu_budget == 1);
	ck_assert_int_eq(c->log_target, SW_LOG_AUTO);
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_int_eq(c->namespaces, SW_NAMESPACES_ALL);
	ck_assert_uint_eq(c->namespace_scan_usec, 5000000);
	ck_assert_uint_eq(c->n_netns + c->n_exclude_netns, 0);
	ck_assert(config_netns_match(c, NULL) && config_netns_match(c, "docker:3f2a9c1b0e4d"));
	ck_assert(c->th.warn == 80 && c->th.critical == 95 && c->th.clear == 60);
	ck_assert_uint_eq(c->sustain, 1);
	ck_assert_uint_eq(c->realert_usec, 300000000);
	ck_assert_uint_eq(c->n_ports + c->n_exclude_ports + c->n_addresses + c->n_exclude_addresses, 0);
	ck_assert_str_eq(c->control_socket, "/run/sockwatchd/control");
	ck_assert_ptr_null(c->control_group);
	ck_assert_uint_eq(c->n_overrides, 0);
}
END_TEST

START_TEST(test_shipped_conf)
{
	struct sw_config_errors e = { 0 };
	_cleanup_config_ struct sw_config *c = NULL, *d = NULL;
	char *path = path_in_top("conf/sockwatchd.conf");
	char *got, *want, *msgs;
	int r;

	r = config_load(path, &c, &e);
	msgs = join_errors(&e);
	ck_assert_msg(r == 0, "%s: %d\n%s", path, r, msgs);
	ck_assert_str_eq(c->path, path);
	ck_assert_int_eq(config_new_default(&d), 0);
	assert_config_eq(c, d);
	got = print_config(c);
	want = print_config(d);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free(msgs);
	free(path);
}
END_TEST

/* ---- golden files ------------------------------------------------------- */

static glob_t good_files, bad_files;

/* The brief's minimum set; each must exist with its expected output. */
static const char *const required_golden[] = {
	"good-empty", "good-design", "good-full", "good-inherit-late",
	"bad-unknown-section", "bad-unknown-key", "bad-duration", "bad-percent",
	"bad-range", "bad-warn-critical", "bad-clear-warn", "bad-override", "bad-ports",
	"bad-cidr", "bad-listener-name", "bad-duplicate-key", "bad-many",
};

START_TEST(test_golden_inventory)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(required_golden); i++) {
		const char *n = required_golden[i];
		char *conf, *exp;

		ck_assert_int_ge(asprintf(&conf, "%s/tests/golden/config/%s.conf", top(), n), 0);
		ck_assert_int_ge(asprintf(&exp, "%s/tests/golden/config/%s.%s", top(), n,
					  n[0] == 'g' ? "out" : "err"), 0);
		ck_assert_msg(access(conf, R_OK) == 0, "missing %s", conf);
		ck_assert_msg(access(exp, R_OK) == 0, "missing %s", exp);
		free(conf);
		free(exp);
	}
	ck_assert_uint_ge(good_files.gl_pathc, 4);
	ck_assert_uint_ge(bad_files.gl_pathc, 13);
}
END_TEST

/* "dir/good-x.conf" -> "dir/good-x.out" */
static char *expected_path(const char *conf, const char *ext)
{
	size_t n = strlen(conf) - strlen(".conf");
	char *p;

	ck_assert_int_ge(asprintf(&p, "%.*s.%s", (int)n, conf, ext), 0);
	return p;
}

static void golden_compare(const char *exp_path, const char *got)
{
	char *want;

	if (getenv("SW_GOLDEN_UPDATE")) {
		FILE *f = fopen(exp_path, "we");

		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		ck_assert_int_eq(fclose(f), 0);
		return;
	}
	want = read_text(exp_path);
	ck_assert_msg(strcmp(got, want) == 0, "%s differs.\n--- expected:\n%s--- got:\n%s",
		      exp_path, want, got);
	free(want);
}

START_TEST(test_golden_good)
{
	const char *conf = good_files.gl_pathv[_i];
	_cleanup_free_ char *pathbuf = strdup(conf);
	const char *name = basename(pathbuf);
	char *text = read_text(conf), *out = expected_path(conf, "out");
	_cleanup_config_ struct sw_config *c = NULL, *again = NULL;
	char *printed, *printed_again;

	c = load_ok(name, text);
	ck_assert_str_eq(c->path, name);
	printed = print_config(c);
	golden_compare(out, printed);

	/* The printed config parses back to the same config and prints the same. */
	again = load_ok("printed", printed);
	assert_config_eq(c, again);
	printed_again = print_config(again);
	ck_assert_str_eq(printed_again, printed);

	free(printed_again);
	free(printed);
	free(out);
	free(text);
}
END_TEST

START_TEST(test_golden_bad)
{
	const char *conf = bad_files.gl_pathv[_i];
	_cleanup_free_ char *pathbuf = strdup(conf);
	char *text = read_text(conf), *err = expected_path(conf, "err");
	char *msgs = load_bad(basename(pathbuf), text);

	golden_compare(err, msgs);
	free(msgs);
	free(err);
	free(text);
}
END_TEST

/* ---- lexing details, as a table ----------------------------------------- */

static const struct {
	const char *text;
	const char *errors;     /* NULL: valid */
} lex_cases[] = {
	/* CRLF line ends and a UTF-8 BOM */
	{ "\xEF\xBB\xBF[daemon]\r\ninterval = 2s\r\n\r\nlog_level = nope\r\n",
	  "t:4: log_level: invalid value 'nope' (expected err, warning, notice, info or debug)\n" },
	/* no newline at the end of the file */
	{ "[alerts]\nwarn = 81%", NULL },
	{ "[alerts]\nwarn = x", "t:2: warn: invalid percentage 'x' (a number with at most two decimals and an optional %, e.g. 80%)\n" },
	/* ';' or '#' only start a comment after whitespace */
	{ "[daemon]\nlog_level = info;x\n",
	  "t:2: log_level: invalid value 'info;x' (expected err, warning, notice, info or debug)\n" },
	{ "[daemon]\nlog_level = info#x\n",
	  "t:2: log_level: invalid value 'info#x' (expected err, warning, notice, info or debug)\n" },
	{ "[daemon]\t# c\n\tlog_level\t=\tinfo\t; c\n  # indented comment\n", NULL },
	/* indented lines are keys of their own, not continuations */
	{ "[alerts]\nwarn = 70%\n  critical = 90%\n", NULL },
	{ "[alerts]\nwarn = 70%\n  warn = 90%\n", "t:3: duplicate key 'warn' (first set at line 2)\n" },
	/* a 'key: value' line is not inih's concession here */
	{ "[alerts]\nwarn: 70%\n",
	  "t:2: expected 'key = value', '[section]' or a comment: 'warn: 70%'\n" },
	/* '=' in a value is part of it */
	{ "[control]\nsocket = /run/a=b\n", NULL },
};

START_TEST(test_lex)
{
	struct sw_config_errors e = { 0 };
	_cleanup_config_ struct sw_config *c = NULL;
	char *msgs;
	int r = config_load_string("t", lex_cases[_i].text, &c, &e);

	msgs = join_errors(&e);
	if (!lex_cases[_i].errors) {
		ck_assert_msg(r == 0, "case %d: %s", _i, msgs);
	} else {
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_str_eq(msgs, lex_cases[_i].errors);
	}
	free(msgs);
	config_errors_clear(&e);
}
END_TEST

/* inih alone would cut these lines at 199 bytes and section names at 49. */
START_TEST(test_long_lines)
{
	char *ports = NULL, *text = NULL, *msgs;
	size_t plen = 0;
	FILE *f = open_memstream(&ports, &plen);
	_cleanup_config_ struct sw_config *c = NULL;

	ck_assert_ptr_nonnull(f);
	for (unsigned p = 1000; p < 1200; p++)
		fprintf(f, "%s%u", p > 1000 ? ", " : "", p);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_gt(plen, 1000);
	ck_assert_int_ge(asprintf(&text,
				  "[filter]\nports = %s\n"
				  "[listener [ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535]\n"
				  "warn = 70%%\n", ports), 0);
	c = load_ok("long", text);
	ck_assert_uint_eq(c->n_ports, 200);
	ck_assert_uint_eq(c->ports[199].lo, 1199);
	ck_assert_uint_eq(c->n_overrides, 1);
	ck_assert_uint_eq(c->overrides[0].port, 65535);
	ck_assert_uint_eq(c->overrides[0].family, AF_INET6);
	ck_assert(c->overrides[0].has_warn && c->overrides[0].th.warn == 70);
	free(text);

	/* and the line after a long one still has the right number */
	ck_assert_int_ge(asprintf(&text, "[filter]\nports = %s\nbogus = 1\n", ports), 0);
	msgs = load_bad("long", text);
	ck_assert_str_eq(msgs, "long:3: unknown key 'bogus' in [filter]\n");
	free(msgs);
	free(text);
	free(ports);
}
END_TEST

START_TEST(test_limits)
{
	char *text = NULL, *msgs;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sw_config_errors e = { 0 };
	struct sw_config *c = NULL;

	/* more errors than are kept: the first ones and a note */
	ck_assert_ptr_nonnull(f);
	fputs("[daemon]\n", f);
	for (int i = 0; i < 150; i++)
		fprintf(f, "bogus%d = 1\n", i);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load_string("many", text, &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 101);
	ck_assert_str_eq(e.msg[0], "many:2: unknown key 'bogus0' in [daemon]");
	ck_assert_str_eq(e.msg[99], "many:101: unknown key 'bogus99' in [daemon]");
	ck_assert_str_eq(e.msg[100], "many:101: too many errors, not all are shown");
	config_errors_clear(&e);
	free(text);

	/* a list longer than the bound */
	text = NULL;
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	fputs("[filter]\nexclude_ports = 1", f);
	for (int i = 2; i <= 1025; i++)
		fprintf(f, ",%d", i);
	fputc('\n', f);
	ck_assert_int_eq(fclose(f), 0);
	msgs = load_bad("list", text);
	ck_assert_str_eq(msgs, "list:2: exclude_ports: too many elements (at most 1024)\n");
	free(msgs);
	free(text);
}
END_TEST

/* ---- loading files and the error list ----------------------------------- */

static char *write_temp(const char *content, size_t len)
{
	char *path = strdup("/tmp/check_config.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(test_load_file)
{
	static const char bad[] = "[daemon]\ninterval = 1s\n[alerts]\nwarn = 99%\n";
	static const char nul[] = "[daemon]\ninterval = 1s\nlog_level = de\0bug\n";
	struct sw_config_errors e = { 0 };
	_cleanup_config_ struct sw_config *c = NULL;
	char *path, *want;

	ck_assert_int_eq(config_load("/nonexistent/sockwatchd.conf", &c, &e), -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 0);

	/* messages name the path as given; errors are appended to what the
	 * list already holds */
	ck_assert_int_eq(config_load_string("first", "[nope]\n", &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	path = write_temp(bad, sizeof(bad) - 1);
	ck_assert_int_eq(config_load(path, &c, &e), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.msg[0],
			 "first:1: unknown section [nope] (expected daemon, alerts, filter, control, metrics or listener ADDR:PORT)");
	ck_assert_int_ge(asprintf(&want, "%s:4: warn (99%%) is above critical (95%%, the default)", path), 0);
	ck_assert_str_eq(e.msg[1], want);
	free(want);
	unlink(path);
	free(path);
	config_errors_clear(&e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_ptr_null(e.msg);

	/* a NUL byte in the file is an error on its line, not a silent end */
	path = write_temp(nul, sizeof(nul) - 1);
	ck_assert_int_eq(config_load(path, &c, &e), -EINVAL);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_int_ge(asprintf(&want, "%s:3: line contains a NUL byte", path), 0);
	ck_assert_str_eq(e.msg[0], want);
	free(want);
	config_errors_clear(&e);
	unlink(path);
	free(path);

	/* a good file */
	path = write_temp(bad, strlen("[daemon]\ninterval = 1s\n"));
	ck_assert_int_eq(config_load(path, &c, &e), 0);
	ck_assert_str_eq(c->path, path);
	unlink(path);
	free(path);

	/* destructors take NULL */
	config_free(NULL);
	config_errors_clear(NULL);
	config_errors_clear(&e);
}
END_TEST

/* ---- filter ------------------------------------------------------------- */

static const char *const filter_configs[] = {
	/* 0 */ "",
	/* 1 */ "[filter]\nports = 80, 8000-8100\nexclude_ports = 8080\n"
		"addresses = 10.0.0.0/8, ::1/128, 2001:db8::/32\nexclude_addresses = 10.9.0.0/16\n",
	/* 2 */ "[filter]\nexclude_addresses = ::/0\n",
	/* 3 */ "[filter]\naddresses = 192.168.0.0/23, 0.0.0.0/32\n",
	/* 4 */ "[filter]\nexclude_ports = 1-1023\naddresses = 0.0.0.0/0\n",
};

static const struct {
	int config;
	int family;
	const char *addr;
	uint16_t port;
	bool match;
} filter_cases[] = {
	{ 0, AF_INET, "10.1.2.3", 1, true },
	{ 0, AF_INET6, "::", 65535, true },
	{ 1, AF_INET, "10.1.2.3", 80, true },
	{ 1, AF_INET, "10.1.2.3", 81, false },          /* port not listed */
	{ 1, AF_INET, "10.1.2.3", 7999, false },
	{ 1, AF_INET, "10.1.2.3", 8000, true },         /* range bounds */
	{ 1, AF_INET, "10.1.2.3", 8100, true },
	{ 1, AF_INET, "10.1.2.3", 8101, false },
	{ 1, AF_INET, "10.1.2.3", 8080, false },        /* excluded port */
	{ 1, AF_INET, "10.9.1.1", 80, false },          /* excluded address */
	{ 1, AF_INET, "10.10.0.1", 80, true },
	{ 1, AF_INET, "11.0.0.1", 80, false },          /* address not listed */
	{ 1, AF_INET, "0.0.0.0", 80, false },
	{ 1, AF_INET6, "::1", 80, true },
	{ 1, AF_INET6, "::2", 80, false },
	{ 1, AF_INET6, "2001:db8:ffff::5", 80, true },
	{ 1, AF_INET6, "2001:db9::", 80, false },
	{ 1, AF_INET6, "::ffff:10.1.2.3", 80, true },   /* v4-mapped, v4 CIDR */
	{ 1, AF_INET6, "::ffff:10.9.0.1", 80, false },  /* ... and excluded */
	{ 1, AF_INET6, "::ffff:11.0.0.1", 80, false },
	{ 1, AF_INET6, "::10.1.2.3", 80, false },       /* v4-compatible is not mapped */
	{ 2, AF_INET, "10.0.0.1", 80, true },           /* ::/0 is IPv6 only */
	{ 2, AF_INET6, "::1", 80, false },
	{ 2, AF_INET6, "::ffff:10.0.0.1", 80, false },
	{ 3, AF_INET, "192.168.1.255", 80, true },      /* prefix not on a byte */
	{ 3, AF_INET, "192.168.2.0", 80, false },
	{ 3, AF_INET, "192.167.255.255", 80, false },
	{ 3, AF_INET, "0.0.0.0", 80, true },
	{ 3, AF_INET, "0.0.0.1", 80, false },
	{ 4, AF_INET, "1.2.3.4", 1023, false },
	{ 4, AF_INET, "1.2.3.4", 1024, true },
	{ 4, AF_INET6, "2001:db8::1", 1024, false },
	{ 4, AF_INET6, "::ffff:1.2.3.4", 1024, true },
};

START_TEST(test_filter_match)
{
	_cleanup_config_ struct sw_config *c =
		load_ok("filter", filter_configs[filter_cases[_i].config]);
	uint8_t addr[16] = { 0 };

	ck_assert_int_eq(inet_pton(filter_cases[_i].family, filter_cases[_i].addr, addr), 1);
	ck_assert_msg(config_filter_match(c, NULL, filter_cases[_i].family, addr,
					  filter_cases[_i].port) ==
			      filter_cases[_i].match,
		      "config %d, %s port %u: want %s", filter_cases[_i].config,
		      filter_cases[_i].addr, filter_cases[_i].port,
		      filter_cases[_i].match ? "match" : "no match");
}
END_TEST

/* ---- thresholds_for ----------------------------------------------------- */

/* The "*" section comes first in the file: the exact one must still win. */
static const char thresholds_config[] =
	"[listener *:80]\nwarn = 50%\n"
	"[listener 127.0.0.1:80]\nwarn = 70%\n"
	"[listener [::1]:80]\nwarn = 75%\nignore = yes\n"
	"[listener 0.0.0.0:443]\nwarn = 65%\n"
	"[listener [::]:443]\nwarn = 66%\n"
	"[listener [::ffff:127.0.0.1]:8080]\nwarn = 55%\n"
	"[listener *:9000]\nignore = yes\n"
	"[alerts]\nwarn = 80%\ncritical = 90%\nclear = 40%\n";

static const struct {
	int family;
	const char *addr;
	uint16_t port;
	double warn;            /* 0: the global thresholds themselves */
	bool ignore;
} thresholds_cases[] = {
	{ AF_INET, "127.0.0.1", 80, 70, false },        /* exact before "*" */
	{ AF_INET, "127.0.0.2", 80, 50, false },        /* "*" */
	{ AF_INET6, "::1", 80, 75, true },
	{ AF_INET6, "::2", 80, 50, false },             /* "*" matches v6 too */
	{ AF_INET, "127.0.0.1", 81, 0, false },         /* no override */
	{ AF_INET, "0.0.0.0", 443, 65, false },
	{ AF_INET6, "::", 443, 66, false },
	{ AF_INET, "10.0.0.1", 443, 0, false },
	{ AF_INET, "127.0.0.1", 8080, 0, false },       /* a v6 override misses v4 */
	{ AF_INET6, "::ffff:127.0.0.1", 8080, 55, false },
	{ AF_INET6, "::1", 8080, 0, false },
	{ AF_INET, "192.0.2.1", 9000, 80, true },       /* inherits every value */
};

START_TEST(test_thresholds_for)
{
	_cleanup_config_ struct sw_config *c = load_ok("th", thresholds_config);
	uint8_t addr[16] = { 0 };
	const struct sw_thresholds *th;
	bool ignore = !thresholds_cases[_i].ignore;

	ck_assert_int_eq(inet_pton(thresholds_cases[_i].family, thresholds_cases[_i].addr, addr), 1);
	th = config_thresholds_for(c, NULL, thresholds_cases[_i].family, addr,
				   thresholds_cases[_i].port, &ignore);
	ck_assert_ptr_nonnull(th);
	ck_assert_int_eq(ignore, thresholds_cases[_i].ignore);
	if (thresholds_cases[_i].warn == 0) {
		ck_assert_ptr_eq(th, &c->th);
	} else {
		ck_assert_ptr_ne(th, &c->th);
		ck_assert_msg(th->warn == thresholds_cases[_i].warn, "%s:%u: warn %g",
			      thresholds_cases[_i].addr, thresholds_cases[_i].port, th->warn);
	}
	/* values not set in the override come from [alerts], set after it */
	ck_assert(th->critical == 90 && th->clear == 40);
	ck_assert_ptr_eq(config_thresholds_for(c, NULL, thresholds_cases[_i].family, addr,
					       thresholds_cases[_i].port, NULL), th);
	/* NULL is "host"; an override without a namespace part applies in
	 * every namespace */
	ck_assert_ptr_eq(config_thresholds_for(c, "host", thresholds_cases[_i].family, addr,
					       thresholds_cases[_i].port, NULL), th);
	ck_assert_ptr_eq(config_thresholds_for(c, "docker:3f2a9c1b0e4d",
					       thresholds_cases[_i].family, addr,
					       thresholds_cases[_i].port, NULL), th);
}
END_TEST

/* ---- network namespaces: keys, globs, listener sections ----------------- */

#define X10 "xxxxxxxxxx"
/* 79 bytes, the longest name (NETNS_NAME_MAX - 1), and one more */
#define NAME79 "pod:" X10 X10 X10 X10 X10 X10 X10 "xxxxx"
#define NAME80 NAME79 "x"
#define INVALID_LISTENER "(expected [listener ADDR:PORT], [listener *:PORT], [listener [IPV6]:PORT] or [listener /PATH], port 1 .. 65535, optionally after NAMESPACE/)"
#define OWN_EMPTY "namespaces = own watches only 'host', which [filter] leaves out: nothing would be watched"

static const struct {
	const char *text;
	const char *errors;     /* NULL: valid */
} netns_parse_cases[] = {
	/* [daemon] unix, [filter] paths, [listener PATH] (issue 14) */
	{ "[daemon]\nunix = no\n", NULL },
	{ "[daemon]\nunix = maybe\n",
	  "t:2: unix: invalid boolean 'maybe' (expected yes, no, true, false, on, off, 1 or 0)\n" },
	{ "[filter]\npaths = /run/php/*.sock, @docker*, x.sock\nexclude_paths =\n", NULL },
	{ "[filter]\npaths = /run/[ab\n", "t:2: paths: '/run/[ab': unclosed '[' in glob\n" },
	{ "[filter]\nexclude_paths = /a\\\n",
	  "t:2: exclude_paths: '/a\\': glob ends with a backslash\n" },
	{ "[filter]\npaths = /a\tb\n",
	  "t:2: paths: UNIX socket path has byte 0x09 at offset 2 (paths here are printable ASCII without spaces)\n" },
	{ "[listener /run/php/*.sock]\nwarn = 70%\n[listener @abstract]\nignore = yes\n", NULL },
	{ "[listener docker:*//run/php/*.sock]\n[listener blue/@x]\n", NULL },
	{ "[listener /run/a.sock]\n[listener /run/a.sock]\n",
	  "t:2: duplicate section [listener /run/a.sock] (first at line 1)\n" },
	{ "[listener blue//run/a.sock]\n[listener /run/a.sock]\n[listener red//run/a.sock]\n", NULL },
	{ "[listener /run/[x]\n",
	  "t:1: invalid listener [listener /run/[x]: '/run/[x': unclosed '[' in glob\n" },
	{ "[listener a/b//run/x]\n",
	  "t:1: invalid listener [listener a/b//run/x]: 'a/b//run': no namespace name has a '/'\n" },
	/* [daemon] namespaces */
	{ "[daemon]\nnamespaces = own\n", NULL },
	{ "[daemon]\nnamespaces = all\n", NULL },
	{ "[daemon]\nnamespaces = some\n",
	  "t:2: namespaces: invalid value 'some' (expected all or own)\n" },
	{ "[daemon]\nnamespaces = OWN\n",
	  "t:2: namespaces: invalid value 'OWN' (expected all or own)\n" },
	{ "[daemon]\nnamespaces =\n", "t:2: namespaces: missing value\n" },
	{ "[daemon]\nnamespaces = own\nnamespaces = all\n",
	  "t:3: duplicate key 'namespaces' (first set at line 2)\n" },
	/* [daemon] namespace_scan: 1s .. 1h */
	{ "[daemon]\nnamespace_scan = 1s\n", NULL },
	{ "[daemon]\nnamespace_scan = 1h\n", NULL },
	{ "[daemon]\nnamespace_scan = 1500ms\n", NULL },
	{ "[daemon]\nnamespace_scan = 0\n", "t:2: namespace_scan: '0' is out of range (1s .. 1h)\n" },
	{ "[daemon]\nnamespace_scan = 999ms\n",
	  "t:2: namespace_scan: '999ms' is out of range (1s .. 1h)\n" },
	{ "[daemon]\nnamespace_scan = 61min\n",
	  "t:2: namespace_scan: '61min' is out of range (1s .. 1h)\n" },
	{ "[daemon]\nnamespace_scan = soon\n",
	  "t:2: namespace_scan: invalid duration 'soon' (a whole number and ms, s, min or h, e.g. 200ms, 1s, 5min)\n" },
	{ "[daemon]\nnamespace_scan = 5\n",
	  "t:2: namespace_scan: '5' has no unit (use ms, s, min or h, e.g. 5s)\n" },
	{ "[daemon]\nnamespace_scan =\n", "t:2: namespace_scan: missing value\n" },
	/* [filter] namespaces and exclude_namespaces */
	{ "[filter]\nnamespaces = docker:*, blue, pod:*\nexclude_namespaces = host\n", NULL },
	{ "[filter]\nnamespaces =\nexclude_namespaces =\n", NULL },
	{ "[filter]\nnamespaces = " NAME79 "\n", NULL },
	{ "[filter]\nnamespaces = .hidden, cni-1234, pid:812, docker-netns:abc_1.x\n", NULL },
	{ "[filter]\nnamespaces = [[:digit:]]*, [!a]*, []]x, [^]], a\\*b, \\[x\n", NULL },
	{ "[filter]\nnamespaces = blue,,red\n", "t:2: namespaces: empty element in list\n" },
	{ "[filter]\nexclude_namespaces = blue,\n",
	  "t:2: exclude_namespaces: empty element in list\n" },
	{ "[filter]\nnamespaces = " NAME80 "\n",
	  "t:2: namespaces: namespace name 'pod:xxxxxxxxxxxxxxxx...' is too long (80 bytes, at most 79)\n" },
	{ "[filter]\nexclude_namespaces = a/b\n",
	  "t:2: exclude_namespaces: 'a/b': no namespace name has a '/'\n" },
	{ "[filter]\nexclude_namespaces = a\\/b\n",
	  "t:2: exclude_namespaces: 'a\\/b': no namespace name has a '/'\n" },
	{ "[filter]\nnamespaces = docker:[0-9\n",
	  "t:2: namespaces: 'docker:[0-9': unclosed '[' in glob\n" },
	{ "[filter]\nnamespaces = [[:digit:]*\n",
	  "t:2: namespaces: '[[:digit:]*': unclosed '[' in glob\n" },
	{ "[filter]\nnamespaces = []\n", "t:2: namespaces: '[]': unclosed '[' in glob\n" },
	{ "[filter]\nnamespaces = a\\\n", "t:2: namespaces: 'a\\': glob ends with a backslash\n" },
	{ "[filter]\nnamespaces = a b\n",
	  "t:2: namespaces: namespace name has byte 0x20 at offset 1 (names are printable ASCII without spaces)\n" },
	{ "[filter]\nnamespaces = a\tb\n",
	  "t:2: namespaces: namespace name has byte 0x09 at offset 1 (names are printable ASCII without spaces)\n" },
	{ "[filter]\nnamespaces = caf\xc3\xa9\n",
	  "t:2: namespaces: namespace name has byte 0xc3 at offset 3 (names are printable ASCII without spaces)\n" },
	/* every bad element is reported, and the list is not taken */
	{ "[filter]\nnamespaces = a/b, ok, [x\n",
	  "t:2: namespaces: 'a/b': no namespace name has a '/'\n"
	  "t:2: namespaces: '[x': unclosed '[' in glob\n" },
	/* [listener NS/EP]: the namespace part is before the last '/' */
	{ "[listener docker:*/0.0.0.0:80]\nwarn = 70%\n", NULL },
	{ "[listener blue/*:8080]\n", NULL },
	{ "[listener host/[::1]:443]\n", NULL },
	{ "[listener pod:1234abcd-0000-1111-2222-333344445555/[::ffff:10.0.0.1]:80]\n", NULL },
	{ "[listener " NAME79 "/*:80]\n", NULL },
	{ "[listener  blue / *:80 ]\n", NULL },
	{ "[listener /0.0.0.0:80]\n",
	  "t:1: invalid listener [listener /0.0.0.0:80]: empty namespace before '/' (leave out 'NAMESPACE/' for every namespace)\n" },
	{ "[listener  /*:80]\n",
	  "t:1: invalid listener [listener  /*:80]: empty namespace before '/' (leave out 'NAMESPACE/' for every namespace)\n" },
	{ "[listener blue/]\n", "t:1: invalid listener [listener blue/] " INVALID_LISTENER "\n" },
	{ "[listener blue/80]\n", "t:1: invalid listener [listener blue/80] " INVALID_LISTENER "\n" },
	{ "[listener blue/*:0]\n", "t:1: invalid listener [listener blue/*:0] " INVALID_LISTENER "\n" },
	{ "[listener a/b/0.0.0.0:80]\n",
	  "t:1: invalid listener [listener a/b/0.0.0.0:80]: 'a/b': no namespace name has a '/'\n" },
	{ "[listener a,b/0.0.0.0:80]\n",
	  "t:1: invalid listener [listener a,b/0.0.0.0:80]: 'a,b': no namespace name has a ','\n" },
	{ "[listener " NAME80 "/*:80]\n",
	  "t:1: invalid listener [listener " NAME80 "/*:80]: namespace name 'pod:xxxxxxxxxxxxxxxx...' is too long (80 bytes, at most 79)\n" },
	{ "[listener docker:[ab/*:80]\n",
	  "t:1: invalid listener [listener docker:[ab/*:80]: 'docker:[ab': unclosed '[' in glob\n" },
	/* the keys under a bad header are skipped, not reported */
	{ "[listener /0.0.0.0:80]\nbogus = 1\n[alerts]\nwarn = 81%\n",
	  "t:1: invalid listener [listener /0.0.0.0:80]: empty namespace before '/' (leave out 'NAMESPACE/' for every namespace)\n" },
	/* one section per namespace pattern and endpoint */
	{ "[listener blue/*:80]\n[listener blue/*:80]\n",
	  "t:2: duplicate section [listener blue/*:80] (first at line 1)\n" },
	{ "[listener blue/*:80]\n[listener blue / *:80]\n",
	  "t:2: duplicate section [listener blue / *:80] (first at line 1)\n" },
	{ "[listener blue/*:80]\n[listener *:80]\n[listener docker:*/*:80]\n[listener */*:80]\n"
	  "[listener red/*:80]\n[listener blue/0.0.0.0:80]\n", NULL },
	{ "[listener blue/*:80]\nignore = yes\nbogus = 1\n",
	  "t:3: unknown key 'bogus' in [listener blue/*:80] (expected warn, critical, clear or ignore)\n" },
	{ "[listener blue/*:80]\nwarn = 99%\n",
	  "t:2: warn (99%) is above critical (95%, from [alerts])\n" },
	/* namespaces = own and a filter that leaves out host */
	{ "[daemon]\nnamespaces = own\n[filter]\nexclude_namespaces = h*\n", "t:4: " OWN_EMPTY "\n" },
	{ "[daemon]\nnamespaces = own\n[filter]\nnamespaces = docker:*\n", "t:4: " OWN_EMPTY "\n" },
	{ "[filter]\nnamespaces = docker:*\n[daemon]\nnamespaces = own\n", "t:4: " OWN_EMPTY "\n" },
	{ "[daemon]\nnamespaces = own\n[filter]\nnamespaces = host, docker:*\n", NULL },
	{ "[daemon]\nnamespaces = all\n[filter]\nexclude_namespaces = host\n", NULL },
	/* a value already reported is not reported twice */
	{ "[daemon]\nnamespaces = own\n[filter]\nnamespaces = docker:[\n",
	  "t:4: namespaces: 'docker:[': unclosed '[' in glob\n" },
};

START_TEST(test_netns_parse)
{
	struct sw_config_errors e = { 0 };
	_cleanup_config_ struct sw_config *c = NULL, *again = NULL;
	char *msgs, *printed;
	int r = config_load_string("t", netns_parse_cases[_i].text, &c, &e);

	msgs = join_errors(&e);
	if (!netns_parse_cases[_i].errors) {
		ck_assert_msg(r == 0, "case %d: %s", _i, msgs);
		/* and every valid one prints and parses back to itself */
		printed = print_config(c);
		again = load_ok("printed", printed);
		assert_config_eq(c, again);
		free(printed);
	} else {
		ck_assert_msg(r == -EINVAL, "case %d: got %d", _i, r);
		ck_assert_str_eq(msgs, netns_parse_cases[_i].errors);
	}
	free(msgs);
	config_errors_clear(&e);
}
END_TEST

/* What the valid headers and lists parse into. */
START_TEST(test_netns_parsed)
{
	_cleanup_config_ struct sw_config *c = load_ok("p",
		"[daemon]\nnamespaces = own\nnamespace_scan = 30s\n"
		"[filter]\nnamespaces = host, docker:*\nexclude_namespaces = docker:3f2a*\n"
		"[listener docker:*/0.0.0.0:80]\n"
		"[listener host/[::1]:443]\n"
		"[listener pod:1234abcd/*:8080]\n"
		"[listener  blue / *:80 ]\n"
		"[listener *:80]\n");
	const struct sw_listener_override *o = c->overrides;

	ck_assert_int_eq(c->namespaces, SW_NAMESPACES_OWN);
	ck_assert_uint_eq(c->namespace_scan_usec, 30 * 1000000ULL);
	ck_assert_uint_eq(c->n_netns, 2);
	ck_assert_str_eq(c->netns[0].glob, "host");
	ck_assert(c->netns[0].literal);
	ck_assert_str_eq(c->netns[1].glob, "docker:*");
	ck_assert(!c->netns[1].literal);
	ck_assert_uint_eq(c->n_exclude_netns, 1);
	ck_assert_str_eq(c->exclude_netns[0].glob, "docker:3f2a*");

	ck_assert_uint_eq(c->n_overrides, 5);
	ck_assert_str_eq(o[0].name, "docker:*/0.0.0.0:80");
	ck_assert(o[0].has_netns && !o[0].netns.literal);
	ck_assert_str_eq(o[0].netns.glob, "docker:*");
	ck_assert(!o[0].any_address && o[0].family == AF_INET && o[0].port == 80);
	ck_assert_str_eq(o[1].netns.glob, "host");
	ck_assert(o[1].has_netns && o[1].netns.literal);
	ck_assert(o[1].family == AF_INET6 && o[1].addr[15] == 1 && o[1].port == 443);
	ck_assert_str_eq(o[2].netns.glob, "pod:1234abcd");
	ck_assert(o[2].any_address && o[2].port == 8080);
	ck_assert_str_eq(o[3].name, "blue / *:80");
	ck_assert_str_eq(o[3].netns.glob, "blue");
	ck_assert(o[3].any_address && o[3].port == 80);
	ck_assert(!o[4].has_netns && o[4].any_address && o[4].port == 80);
}
END_TEST

/* The bound on each list, CONFIG_MAX_NETNS_PATTERNS. */
START_TEST(test_netns_limit)
{
	for (int extra = 0; extra <= 1; extra++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		int n = CONFIG_MAX_NETNS_PATTERNS + extra;

		ck_assert_ptr_nonnull(f);
		fputs("[filter]\nexclude_namespaces = ", f);
		for (int i = 0; i < n; i++)
			fprintf(f, "%sns%d", i ? "," : "", i);
		fputc('\n', f);
		ck_assert_int_eq(fclose(f), 0);
		if (!extra) {
			_cleanup_config_ struct sw_config *c = load_ok("lim", text);

			ck_assert_uint_eq(c->n_exclude_netns, CONFIG_MAX_NETNS_PATTERNS);
			ck_assert(!config_netns_match(c, "ns255"));
			ck_assert(config_netns_match(c, "ns256"));
		} else {
			char *msgs = load_bad("lim", text);

			ck_assert_str_eq(msgs, "lim:2: exclude_namespaces: too many elements (at most 256)\n");
			free(msgs);
		}
		free(text);
	}
}
END_TEST

static const char *const netns_configs[] = {
	/* 0 */ "",
	/* 1 */ "[filter]\nnamespaces = docker:*, blue, pod:*\n",
	/* 2 */ "[filter]\nexclude_namespaces = docker:*, pid:*\n",
	/* 3 */ "[filter]\nnamespaces = docker:*\nexclude_namespaces = docker:3f2a*\n",
	/* 4 */ "[daemon]\nnamespaces = own\n",
	/* 5 */ "[filter]\nnamespaces = ?lue, [rg]*, cni-[0-9a-f]*, [!h]ost\n",
	/* 6 */ "[filter]\nnamespaces = *\nexclude_namespaces = host\n",
	/* 7 */ "[daemon]\nnamespaces = own\n[filter]\nexclude_namespaces = docker:*\n",
	/* 8 */ "[filter]\nnamespaces = a\\*b, \\[x\n",
};

static const struct {
	int config;
	const char *name;       /* NULL: the own namespace */
	bool match;
} netns_cases[] = {
	{ 0, NULL, true },
	{ 0, "host", true },
	{ 0, "docker:3f2a9c1b0e4d", true },
	{ 1, NULL, false },                     /* a list without host leaves it out */
	{ 1, "docker:3f2a9c1b0e4d", true },
	{ 1, "docker:", true },                 /* '*' matches nothing too */
	{ 1, "containerd:3f2a9c1b0e4d", false },
	{ 1, "blue", true },
	{ 1, "blue2", false },                  /* a literal is the whole name */
	{ 1, "Blue", false },                   /* case counts */
	{ 1, "pod:1234abcd-0000-1111-2222-333344445555", true },
	{ 2, NULL, true },
	{ 2, "blue", true },
	{ 2, "docker:3f2a9c1b0e4d", false },
	{ 2, "pid:812", false },
	{ 2, "pod:1234abcd", true },
	{ 3, "docker:3f2a9c1b0e4d", false },    /* exclude wins */
	{ 3, "docker:3f2b9c1b0e4d", true },
	{ 3, NULL, false },
	{ 4, NULL, true },                      /* own: host only */
	{ 4, "host", true },
	{ 4, "blue", false },
	{ 4, "docker:3f2a9c1b0e4d", false },
	{ 5, "blue", true },
	{ 5, "glue", true },
	{ 5, "lue", false },
	{ 5, "red", true },
	{ 5, "green", true },
	{ 5, "yellow", false },
	{ 5, "cni-1a2b", true },
	{ 5, "cni-", false },                  /* [..] is one character */
	{ 5, "cni-xyz", false },
	{ 5, "cost", true },
	{ 5, "host", false },
	{ 5, NULL, false },
	{ 6, NULL, false },
	{ 6, "host", false },
	{ 6, ".hidden", true },                 /* no FNM_PERIOD: '*' matches a leading '.' */
	{ 6, "pid:1", true },
	{ 7, NULL, true },
	{ 7, "docker:3f2a9c1b0e4d", false },
	{ 8, "a*b", true },                     /* a backslash escapes */
	{ 8, "axb", false },
	{ 8, "[x", true },
	{ 8, "x", false },
};

START_TEST(test_netns_match)
{
	_cleanup_config_ struct sw_config *c =
		load_ok("netns", netns_configs[netns_cases[_i].config]);
	const char *name = netns_cases[_i].name;
	uint8_t addr[16] = { 10, 0, 0, 1 };

	ck_assert_msg(config_netns_match(c, name) == netns_cases[_i].match,
		      "config %d, '%s': want %s", netns_cases[_i].config, name ? name : "(null)",
		      netns_cases[_i].match ? "match" : "no match");
	/* the listener filter asks the namespace first */
	ck_assert(config_filter_match(c, name, AF_INET, addr, 80) == netns_cases[_i].match);
}
END_TEST

/* The namespace and the listener filters together. */
START_TEST(test_filter_netns)
{
	_cleanup_config_ struct sw_config *c = load_ok("f",
		"[filter]\nexclude_namespaces = docker:*\nexclude_ports = 22\n");
	uint8_t addr[16] = { 10, 0, 0, 1 };

	ck_assert(config_filter_match(c, NULL, AF_INET, addr, 80));
	ck_assert(!config_filter_match(c, NULL, AF_INET, addr, 22));
	ck_assert(config_filter_match(c, "blue", AF_INET, addr, 80));
	ck_assert(!config_filter_match(c, "blue", AF_INET, addr, 22));
	ck_assert(!config_filter_match(c, "docker:3f2a9c1b0e4d", AF_INET, addr, 80));
}
END_TEST

/* Precedence. The sections are in no particular order: the rank decides,
 * and only between two of one rank the file's order ("docker:*" before
 * "*" for 10.0.0.1:80). */
static const char netns_thresholds_config[] =
	"[listener docker:3f2a9c1b0e4d/10.0.0.1:80]\nwarn = 31%\n"  /* 1 */
	"[listener *:80]\nwarn = 10%\n"                             /* 6 */
	"[listener docker:*/*:80]\nwarn = 20%\n"                    /* 4 */
	"[listener 10.0.0.1:80]\nwarn = 11%\n"                      /* 5 */
	"[listener docker:*/10.0.0.1:80]\nwarn = 21%\n"             /* 3 */
	"[listener docker:3f2a9c1b0e4d/*:80]\nwarn = 30%\n"         /* 2 */
	"[listener */10.0.0.1:80]\nwarn = 22%\n"                    /* 3 */
	"[listener blue/*:443]\nignore = yes\n"                     /* 2 */
	"[listener host/[::1]:443]\nwarn = 40%\n"                   /* 1 */
	"[listener pod:*/0.0.0.0:8080]\nwarn = 50%\n"               /* 3 */
	"[listener pod:1234abcd-0000-1111-2222-333344445555/0.0.0.0:8080]\nwarn = 51%\n" /* 1 */
	"[listener 0.0.0.0:8080]\nwarn = 52%\n"                     /* 5 */
	"[alerts]\nwarn = 80%\ncritical = 90%\nclear = 5%\n";

static const int netns_thresholds_ranks[] = { 1, 6, 4, 5, 3, 2, 3, 2, 1, 3, 1, 5 };

static const struct {
	const char *netns;
	int family;
	const char *addr;
	uint16_t port;
	double warn;            /* 0: the global thresholds themselves */
	bool ignore;
} netns_thresholds_cases[] = {
	/* all six ranks for one listener, most specific first */
	{ "docker:3f2a9c1b0e4d", AF_INET, "10.0.0.1", 80, 31, false },  /* 1 */
	{ "docker:3f2a9c1b0e4d", AF_INET, "10.0.0.2", 80, 30, false },  /* 2 */
	{ "docker:aaaaaaaaaaaa", AF_INET, "10.0.0.1", 80, 21, false },  /* 3, first of two */
	{ "docker:aaaaaaaaaaaa", AF_INET, "10.0.0.2", 80, 20, false },  /* 4 */
	{ "blue", AF_INET, "10.0.0.1", 80, 22, false },                 /* 3: "*" is a glob */
	{ "blue", AF_INET, "10.0.0.2", 80, 10, false },                 /* 6 */
	{ NULL, AF_INET, "10.0.0.1", 80, 22, false },                   /* NULL is host */
	{ "host", AF_INET, "10.0.0.2", 80, 10, false },
	{ "docker:3f2a9c1b0e4d", AF_INET6, "::1", 80, 30, false },      /* "*" takes v6 */
	/* a namespace-named section is only for its namespace */
	{ "blue", AF_INET, "0.0.0.0", 443, 80, true },
	{ "blue", AF_INET6, "::1", 443, 80, true },
	{ "red", AF_INET6, "::1", 443, 0, false },
	{ NULL, AF_INET6, "::1", 443, 40, false },
	{ "host", AF_INET6, "::1", 443, 40, false },
	{ "host", AF_INET6, "::2", 443, 0, false },
	{ "pod:1234abcd-0000-1111-2222-333344445555", AF_INET, "0.0.0.0", 8080, 51, false },
	{ "pod:99999999-0000-1111-2222-333344445555", AF_INET, "0.0.0.0", 8080, 50, false },
	{ "docker:3f2a9c1b0e4d", AF_INET, "0.0.0.0", 8080, 52, false },
	{ NULL, AF_INET, "0.0.0.0", 8080, 52, false },
	{ "pod:99999999", AF_INET, "10.0.0.1", 8080, 0, false },
	{ NULL, AF_INET, "10.0.0.1", 81, 0, false },                    /* the port is exact */
};

static const char path_thresholds_config[] =
	"[listener /run/php/*.sock]\nwarn = 10%\n"                /* 6 */
	"[listener /run/php/www.sock]\nwarn = 11%\n"              /* 5 */
	"[listener blue//run/php/*.sock]\nwarn = 20%\n"           /* 2 */
	"[listener docker:*//run/php/www.sock]\nwarn = 30%\n"     /* 3 */
	"[listener @hidden*]\nignore = yes\n"                     /* 6 */
	"[listener 0.0.0.0:80]\nwarn = 40%\n"
	"[alerts]\nwarn = 80%\ncritical = 90%\nclear = 5%\n";

static const int path_thresholds_ranks[] = { 6, 5, 2, 3, 6, 5 };

static const struct {
	const char *netns, *path;
	double warn;            /* 0: the global thresholds */
	bool ignore;
} path_thresholds_cases[] = {
	{ NULL, "/run/php/a.sock", 10, false },
	{ NULL, "/run/php/www.sock", 11, false },          /* exact beats glob */
	{ "blue", "/run/php/www.sock", 20, false },        /* a namespace part beats none */
	{ "docker:abc", "/run/php/www.sock", 30, false },
	{ "docker:abc", "/run/php/a.sock", 10, false },
	{ NULL, "/run/php/sub/a.sock", 0, false },         /* '*' stops at '/' */
	{ NULL, "/run/php", 0, false },
	{ NULL, "@hidden-1", 80, true },
	{ NULL, "@other", 0, false },
	{ NULL, "/0.0.0.0:80", 0, false },                 /* an endpoint's section is not a path */
};

START_TEST(test_path_thresholds)
{
	_cleanup_config_ struct sw_config *c = load_ok("pth", path_thresholds_config);
	bool ignore = !path_thresholds_cases[_i].ignore;
	const struct sw_thresholds *th;

	th = config_thresholds_for_path(c, path_thresholds_cases[_i].netns,
					path_thresholds_cases[_i].path, &ignore);
	ck_assert_ptr_nonnull(th);
	ck_assert_msg(ignore == path_thresholds_cases[_i].ignore, "case %d: ignore %d", _i, ignore);
	if (path_thresholds_cases[_i].warn == 0)
		ck_assert_msg(th == &c->th, "case %d: an override (warn %g)", _i, th->warn);
	else
		ck_assert_msg(th->warn == path_thresholds_cases[_i].warn, "case %d: warn %g, want %g",
			      _i, th->warn, path_thresholds_cases[_i].warn);
	for (size_t i = 0; _i == 0 && i < c->n_overrides; i++)
		ck_assert_msg(config_override_rank(&c->overrides[i]) == path_thresholds_ranks[i],
			      "[listener %s]: rank %d", c->overrides[i].name,
			      config_override_rank(&c->overrides[i]));
}
END_TEST

static const struct {
	const char *text, *netns, *path;
	bool match;
} path_filter_cases[] = {
	{ "", NULL, "/run/php/a.sock", true },
	{ "[filter]\npaths = /run/php/*\n", NULL, "/run/php/a.sock", true },
	{ "[filter]\npaths = /run/php/*\n", NULL, "/run/docker.sock", false },
	{ "[filter]\npaths = /run/*\n", NULL, "/run/php/a.sock", false },
	{ "[filter]\npaths = /run/*, /run/*/*\n", NULL, "/run/php/a.sock", true },
	{ "[filter]\nexclude_paths = @*\n", NULL, "@abstract", false },
	{ "[filter]\nexclude_paths = @*\n", NULL, "/run/a", true },
	{ "[filter]\npaths = /run/*\nexclude_paths = /run/a\n", NULL, "/run/a", false },
	{ "[filter]\npaths = *.sock\n", NULL, "x.sock", true },
	/* ports and addresses are for inet listeners */
	{ "[filter]\nports = 80\naddresses = 10.0.0.0/8\n", NULL, "/run/a", true },
	/* the namespace still applies */
	{ "[filter]\nnamespaces = blue\n", NULL, "/run/a", false },
	{ "[filter]\nnamespaces = blue\n", "blue", "/run/a", true },
};

START_TEST(test_path_filter)
{
	_cleanup_config_ struct sw_config *c = load_ok("pf", path_filter_cases[_i].text);

	ck_assert_msg(config_filter_match_path(c, path_filter_cases[_i].netns,
					       path_filter_cases[_i].path) == path_filter_cases[_i].match,
		      "case %d", _i);
}
END_TEST

START_TEST(test_netns_thresholds)
{
	_cleanup_config_ struct sw_config *c = load_ok("nth", netns_thresholds_config);
	uint8_t addr[16] = { 0 };
	const struct sw_thresholds *th;
	bool ignore = !netns_thresholds_cases[_i].ignore;
	const char *ns = netns_thresholds_cases[_i].netns;

	ck_assert_int_eq(inet_pton(netns_thresholds_cases[_i].family, netns_thresholds_cases[_i].addr,
				   addr), 1);
	th = config_thresholds_for(c, ns, netns_thresholds_cases[_i].family, addr,
				   netns_thresholds_cases[_i].port, &ignore);
	ck_assert_ptr_nonnull(th);
	ck_assert_msg(ignore == netns_thresholds_cases[_i].ignore, "case %d: ignore %d", _i, ignore);
	if (netns_thresholds_cases[_i].warn == 0)
		ck_assert_msg(th == &c->th, "case %d: an override (warn %g)", _i, th->warn);
	else
		ck_assert_msg(th != &c->th && th->warn == netns_thresholds_cases[_i].warn,
			      "case %d: %s %s:%u: warn %g, want %g", _i, ns ? ns : "(null)",
			      netns_thresholds_cases[_i].addr, netns_thresholds_cases[_i].port,
			      th->warn, netns_thresholds_cases[_i].warn);
	ck_assert(th->critical == 90 && th->clear == 5);
}
END_TEST

START_TEST(test_override_rank)
{
	_cleanup_config_ struct sw_config *c = load_ok("rank", netns_thresholds_config);

	ck_assert_uint_eq(c->n_overrides, SW_ARRAY_SIZE(netns_thresholds_ranks));
	for (size_t i = 0; i < c->n_overrides; i++)
		ck_assert_msg(config_override_rank(&c->overrides[i]) == netns_thresholds_ranks[i],
			      "[listener %s]: rank %d, want %d", c->overrides[i].name,
			      config_override_rank(&c->overrides[i]), netns_thresholds_ranks[i]);
}
END_TEST

/* The new keys in the printout, at their defaults and set; each printout
 * parses back to the same config and prints the same. */
static const struct {
	const char *text;
	const char *lines;      /* that the printout holds, in this order */
} netns_print_cases[] = {
	{ "", "log_level = info\nnamespaces = all\nnamespace_scan = 5s\nunix = yes\n\n[alerts]\n" },
	{ "", "exclude_addresses =\nnamespaces =\nexclude_namespaces =\npaths =\nexclude_paths =\n\n[control]\n" },
	{ "[daemon]\nunix = no\n[filter]\npaths = /run/php/*.sock, @*\nexclude_paths = /run/x[0-9].sock\n",
	  "unix = no\n" },
	{ "[filter]\npaths = /run/php/*.sock, @*\nexclude_paths = /run/x[0-9].sock\n",
	  "paths = /run/php/*.sock, @*\nexclude_paths = /run/x[0-9].sock\n" },
	{ "[listener /run/php/*.sock]\ncritical = 90%\n[listener blue//run/a.sock]\nignore = yes\n",
	  "[listener /run/php/*.sock]\n; warn = 80% (from [alerts])\ncritical = 90%\n" },
	{ "[daemon]\nnamespaces = own\nnamespace_scan = 90s\n",
	  "namespaces = own\nnamespace_scan = 90s\n" },
	{ "[daemon]\nnamespace_scan = 1500ms\n", "namespace_scan = 1500ms\n" },
	{ "[daemon]\nnamespace_scan = 60min\n", "namespace_scan = 1h\n" },
	{ "[filter]\nnamespaces = docker:*,blue ,  pod:[0-9a-f]*\nexclude_namespaces = a\\*b\n",
	  "namespaces = docker:*, blue, pod:[0-9a-f]*\nexclude_namespaces = a\\*b\n" },
	{ "[listener docker:*/0.0.0.0:80]\nwarn = 70%\n[listener host/[::1]:443]\nignore = yes\n",
	  "[listener docker:*/0.0.0.0:80]\nwarn = 70%\n"
	  "; critical = 95% (from [alerts])\n; clear = 60% (from [alerts])\nignore = no\n\n"
	  "[listener host/[::1]:443]\n" },
};

START_TEST(test_netns_print)
{
	_cleanup_config_ struct sw_config *c = load_ok("pr", netns_print_cases[_i].text), *again = NULL;
	char *printed = print_config(c), *printed_again;

	ck_assert_msg(strstr(printed, netns_print_cases[_i].lines) != NULL,
		      "case %d: no\n%s\nin\n%s", _i, netns_print_cases[_i].lines, printed);
	again = load_ok("printed", printed);
	assert_config_eq(c, again);
	printed_again = print_config(again);
	ck_assert_str_eq(printed_again, printed);
	free(printed_again);
	free(printed);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("values");

	tcase_add_loop_test(tc, test_parse_duration, 0, SW_ARRAY_SIZE(duration_cases));
	tcase_add_loop_test(tc, test_parse_percent, 0, SW_ARRAY_SIZE(percent_cases));
	tcase_add_loop_test(tc, test_format_duration, 0, SW_ARRAY_SIZE(format_duration_cases));
	tcase_add_loop_test(tc, test_format_duration_human, 0,
			    SW_ARRAY_SIZE(human_duration_cases));
	tcase_add_test(tc, test_duration_lacks_unit);
	tcase_add_test(tc, test_parse_bool);
	tcase_add_test(tc, test_names_list);
	tcase_add_test(tc, test_percent_round_trip);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_shipped_conf);
	tcase_add_test(tc, test_golden_inventory);
	tcase_add_loop_test(tc, test_golden_good, 0, (int)good_files.gl_pathc);
	tcase_add_loop_test(tc, test_golden_bad, 0, (int)bad_files.gl_pathc);
	tcase_add_loop_test(tc, test_lex, 0, SW_ARRAY_SIZE(lex_cases));
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookups");
	tcase_add_loop_test(tc, test_filter_match, 0, SW_ARRAY_SIZE(filter_cases));
	tcase_add_loop_test(tc, test_thresholds_for, 0, SW_ARRAY_SIZE(thresholds_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("netns");
	tcase_add_loop_test(tc, test_netns_parse, 0, SW_ARRAY_SIZE(netns_parse_cases));
	tcase_add_test(tc, test_netns_parsed);
	tcase_add_test(tc, test_netns_limit);
	tcase_add_loop_test(tc, test_netns_match, 0, SW_ARRAY_SIZE(netns_cases));
	tcase_add_test(tc, test_filter_netns);
	tcase_add_loop_test(tc, test_netns_thresholds, 0, SW_ARRAY_SIZE(netns_thresholds_cases));
	tcase_add_test(tc, test_override_rank);
	tcase_add_loop_test(tc, test_path_thresholds, 0, SW_ARRAY_SIZE(path_thresholds_cases));
	tcase_add_loop_test(tc, test_path_filter, 0, SW_ARRAY_SIZE(path_filter_cases));
	tcase_add_loop_test(tc, test_netns_print, 0, SW_ARRAY_SIZE(netns_print_cases));
	suite_add_tcase(s, tc);
	return s;
}

static void glob_golden(const char *pattern, glob_t *g)
{
	char *p;
	int r;

	if (asprintf(&p, "%s/tests/golden/config/%s", top(), pattern) < 0)
		abort();
	r = glob(p, 0, NULL, g);
	/* GLOB_NOMATCH leaves an empty list: test_golden_inventory fails. */
	if (r != 0 && r != GLOB_NOMATCH)
		abort();
	free(p);
}

int main(void)
{
	int rc;

	glob_golden("good-*.conf", &good_files);
	glob_golden("bad-*.conf", &bad_files);
	rc = sw_check_run(config_suite());
	globfree(&good_files);
	globfree(&bad_files);
	return rc;
}

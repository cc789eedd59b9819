/* metrics: the exposition of a fixed state checked byte for byte against
 * tests/golden/metrics/exposition.prom (SW_GOLDEN_UPDATE=1 rewrites it;
 * SW_TOP is the source tree), and the rules it must keep whatever the
 * state: every family has HELP and TYPE before its samples and its
 * samples together, no two series are the same, a reuseport group is one
 * series with its figures summed, label values are escaped and valid
 * UTF-8, and max_listeners keeps the busy listeners first. The trackers
 * are fed hand-made snapshots, as in check_status. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checkrun.h"
#include "config.h"
#include "metrics.h"
#include "owner.h"
#include "status.h"
#include "tracker.h"
#include "usnap.h"
#include "util.h"

#define S USEC_PER_SEC
#define NETNS 4026531840ULL

#include "snapbuild.h"

static struct sw_config *cfg;
static struct sw_tracker *tv[3];
static struct sw_status_ns nsv[3];
static struct sw_nsinfo infos[3];

static const struct sw_status_daemon daemon0 = {
	.pid = 4242,
	.polls = 2,
	.poll_errors = 1,
	.late_polls = 0,
	.last_poll_wall_us = 1234,
	.syn_last_cost_us = 567,
	.syn_mode = "auto",
	.log_target = "journal",
};

/* Who holds cookie 1 (test_cached changes it): 0 nginx, 1 another unit,
 * 2 another comm, 3 unknown. */
static int owner_variant;

/* Owners: nginx holds 8080, php-fpm (a name with a byte that is not
 * UTF-8) the UNIX socket of cookie 20; the rest unknown. */
static int owner_of(void *userdata, const struct sw_tracked *tr, struct sw_owner *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (tr->cookie == 1 && owner_variant != 3) {
		ret->pid = 10;
		strcpy(ret->comm, owner_variant == 2 ? "nginx: worker" : "nginx");
		strcpy(ret->unit, owner_variant == 1 ? "nginx-canary.service" : "nginx.service");
		return 0;
	}
	if (tr->cookie == 20) {
		ret->pid = 11;
		strcpy(ret->comm, "php-fpm\xff");
		strcpy(ret->unit, "php8.2-fpm.service");
		return 0;
	}
	return -ENOENT;
}

static void ux_add(struct sw_unix_snapshot *us, uint64_t cookie, const char *path, uint32_t depth,
		   uint32_t limit)
{
	struct sw_unix_listener l = {
		.cookie = cookie, .inode = (uint32_t)cookie, .type = SOCK_STREAM,
		.depth = depth, .limit = limit, .has_name = true, .has_rqlen = true,
		.abstract = path[0] == '@',
	};

	snprintf(l.path, sizeof(l.path), "%s", path);
	ck_assert_int_eq(usnap_add(us, &l), 0);
}

static void update(struct sw_tracker *t, struct sw_snapshot *s, struct sw_unix_snapshot *us,
		   uint64_t usec)
{
	struct sw_events ev = { 0 };

	ck_assert_int_eq(tracker_update(t, s, us, cfg, usec, &ev), 0);
	events_free(&ev);
}

/* The host: an accept queue over its limit with drops, a reuseport pair,
 * a SYN queue, an idle listener, three UNIX listeners whose names need
 * escaping. Two namespaces of containers, the second with the first's
 * name. */
static void setup(void)
{
	struct sw_snapshot snap;
	struct sw_unix_snapshot us;

	ck_assert_int_eq(config_new_default(&cfg), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tracker_new(&tv[i]), 0);

	snap_init(&snap);
	usnap_init(&us);
	snap_add(&snap, 1, "127.0.0.1:8080", 17, 16, 0);
	snap_add(&snap, 4, "127.0.0.1:9090", 0, 128, 0);
	snap_add(&snap, 5, "127.0.0.1:9090", 3, 128, 0);     /* a reuseport pair */
	snap_add(&snap, 3, "[::]:80", 0, 511, 0);
	snap_add(&snap, 6, "0.0.0.0:22", 0, 128, 0);
	snap_group(&snap, "[::]:80", 12);
	snap_counters(&snap, 100);
	ux_add(&us, 20, "/run/php/\"fpm\\.sock", 5, 4);
	ux_add(&us, 21, "@abstract", 0, 128);
	ux_add(&us, 22, "/tmp/bad\xff\xfe.sock", 0, 16);
	update(tv[0], &snap, &us, 1 * S);
	snap.listeners[0].drops = 5;
	snap.listeners[2].drops = 2;
	snap_counters(&snap, 107);
	update(tv[0], &snap, &us, 2 * S);
	snap_free(&snap);
	usnap_clear(&us);

	for (int i = 1; i < 3; i++) {
		snap_init(&snap);
		snap.sysctl.somaxconn = 128 * i;
		snap_add(&snap, 100 + (uint64_t)i, "0.0.0.0:80", 0, 128, 0);
		update(tv[i], &snap, NULL, 2 * S);
		snap_free(&snap);
	}
	infos[0] = (struct sw_nsinfo)SW_NSINFO_HOST;
	infos[0].id = 1;
	for (int i = 1; i < 3; i++) {
		infos[i] = (struct sw_nsinfo){ .id = 40 + (uint64_t)i, .inode = 4026532000u + (uint64_t)i };
		infos[i].name.kind = NETNS_KIND_CONTAINER;
		strcpy(infos[i].name.name, "docker:3f2a9c1b0e4d");
		strcpy(infos[i].name.container, "3f2a9c1b0e4d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4");
	}
	for (int i = 0; i < 3; i++)
		nsv[i] = (struct sw_status_ns){ .info = &infos[i], .tracker = tv[i] };
}

static void teardown(void)
{
	owner_variant = 0;
	for (int i = 0; i < 3; i++) {
		tracker_free(tv[i]);
		tv[i] = NULL;
	}
	config_free(cfg);
	cfg = NULL;
}

static char *format_cached(struct sw_metrics_cache *cache, size_t n_ns, size_t max_listeners,
			   size_t *len)
{
	struct sw_status_inputs in = {
		.daemon = &daemon0, .ns = nsv, .n_ns = n_ns, .cfg = cfg,
		.owner = owner_of, .now_usec = 3 * S,
	};
	struct sw_metrics_opts o = {
		.max_listeners = max_listeners,
		.version = "0.1.0-test",
		.last_poll_realtime_usec = 1796300000123456ULL,
	};
	char *text = NULL;

	if (cache)
		ck_assert_int_eq(metrics_format_cached(&in, &o, cache, &text, len), 0);
	else
		ck_assert_int_eq(metrics_format(&in, &o, &text, len), 0);
	/* a NUL-terminated copy for the string checks */
	text = realloc(text, *len + 1);
	ck_assert_ptr_nonnull(text);
	text[*len] = 0;
	return text;
}

static char *format(size_t n_ns, size_t max_listeners, size_t *len)
{
	return format_cached(NULL, n_ns, max_listeners, len);
}

/* ---- golden --------------------------------------------------------------------- */

static char *golden_path(void)
{
	const char *top = getenv("SW_TOP");
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/tests/golden/metrics/exposition.prom", top ? top : "."), 0);
	return p;
}

START_TEST(test_golden)
{
	_cleanup_free_ char *path = golden_path(), *text = NULL, *want = NULL;
	size_t len, wlen;

	text = format(3, 20000, &len);
	if (getenv("SW_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(text, 1, len, f), len);
		ck_assert_int_eq(fclose(f), 0);
	}
	ck_assert_int_eq(util_read_file(path, 1 << 20, &want, &wlen), 0);
	ck_assert_msg(wlen == len && memcmp(want, text, len) == 0,
		      "%s differs; got:\n%s", path, text);
}
END_TEST

/* ---- the rules any exposition keeps ---------------------------------------------- */

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every sample's family was announced by HELP then TYPE just before the
 * family's first sample, no family comes back after another, and no two
 * samples have the same name and labels. Returns the number of samples. */
static size_t check_shape(char *text)
{
	char *series[512], *save = NULL, family[128] = "", done[64][128];
	size_t n = 0, n_done = 0;
	bool help = false, type = false;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		char *sp;

		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s", family), 1);
			for (size_t i = 0; i < n_done; i++)
				ck_assert_msg(strcmp(done[i], family) != 0, "%s twice", family);
			ck_assert_uint_lt(n_done, 64);
			strcpy(done[n_done++], family);
			help = true;
			type = false;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
			ck_assert(help);
			ck_assert_str_eq(name, family);
			type = true;
			continue;
		}
		ck_assert_msg(line[0] != '#', "stray comment %s", line);
		ck_assert_msg(help && type, "sample before HELP and TYPE: %s", line);
		ck_assert_msg(strncmp(line, family, strlen(family)) == 0 &&
			      (line[strlen(family)] == '{' || line[strlen(family)] == ' '),
			      "%s outside its family %s", line, family);
		sp = strrchr(line, ' ');
		ck_assert_ptr_nonnull(sp);
		*sp = 0;
		ck_assert_uint_lt(n, 512);
		series[n++] = line;
	}
	qsort(series, n, sizeof(*series), line_cmp);
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(strcmp(series[i], series[i - 1]) != 0, "duplicate series %s", series[i]);
	return n;
}

START_TEST(test_shape)
{
	size_t len;
	_cleanup_free_ char *text = format(3, 20000, &len);

	ck_assert_uint_gt(check_shape(text), 40);
}
END_TEST

/* One line of text that starts with prefix, or NULL. */
static const char *find_line(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
	return NULL;
}

static const struct {
	const char *series;     /* name{labels} and the space */
	const char *value;      /* NULL: no such series */
} expected[] = {
	/* the reuseport pair: one series, depths and limits summed */
	{ "sockwatch_accept_queue_length{netns=\"host\",listener=\"127.0.0.1:9090\",family=\"inet\",port=\"9090\"} ", "3" },
	{ "sockwatch_accept_queue_limit{netns=\"host\",listener=\"127.0.0.1:9090\",family=\"inet\",port=\"9090\"} ", "256" },
	{ "sockwatch_listen_drops_total{netns=\"host\",listener=\"127.0.0.1:9090\",family=\"inet\",port=\"9090\"} ", "2" },
	{ "sockwatch_listen_drops_total{netns=\"host\",listener=\"127.0.0.1:8080\",family=\"inet\",port=\"8080\"} ", "5" },
	{ "sockwatch_accept_queue_length{netns=\"host\",listener=\"127.0.0.1:8080\",family=\"inet\",port=\"8080\"} ", "17" },
	/* SYN: only where a scan saw it; never for UNIX */
	{ "sockwatch_syn_queue_length{netns=\"host\",listener=\"[::]:80\",family=\"inet6\",port=\"80\"} ", "12" },
	{ "sockwatch_syn_queue_length{netns=\"host\",listener=\"0.0.0.0:22\"", NULL },
	{ "sockwatch_syn_queue_limit{netns=\"host\",listener=\"@abstract\"", NULL },
	/* UNIX: no port label; the name escaped, a bad byte U+FFFD */
	{ "sockwatch_accept_queue_length{netns=\"host\",listener=\"/run/php/\\\"fpm\\\\.sock\",family=\"unix\"} ", "5" },
	{ "sockwatch_accept_queue_limit{netns=\"host\",listener=\"/tmp/bad\xef\xbf\xbd\xef\xbf\xbd.sock\",family=\"unix\"} ", "16" },
	{ "sockwatch_listen_drops_total{netns=\"host\",listener=\"@abstract\"", NULL },
	/* the owner, escaped the same way */
	{ "sockwatch_listener_info{netns=\"host\",listener=\"/run/php/\\\"fpm\\\\.sock\",family=\"unix\",unit=\"php8.2-fpm.service\",comm=\"php-fpm\xef\xbf\xbd\",limit_source=\"listen-backlog\"} ", "1" },
	/* two namespaces of one name: the second gets its id */
	{ "sockwatch_somaxconn{netns=\"docker:3f2a9c1b0e4d\"} ", "128" },
	{ "sockwatch_somaxconn{netns=\"docker:3f2a9c1b0e4d (netns 42)\"} ", "256" },
	{ "sockwatch_netns_listen_overflows_total{netns=\"host\"} ", "107" },
	{ "sockwatch_listeners_omitted ", "0" },
	{ "sockwatch_last_poll_timestamp_seconds ", "1796300000.123456" },
};

START_TEST(test_series)
{
	size_t len;
	_cleanup_free_ char *text = format(3, 20000, &len);
	const char *line = find_line(text, expected[_i].series);

	if (!expected[_i].value) {
		ck_assert_msg(!line, "unexpected %s", line);
		return;
	}
	ck_assert_msg(line, "no %s", expected[_i].series);
	line += strlen(expected[_i].series);
	ck_assert_msg(strncmp(line, expected[_i].value, strlen(expected[_i].value)) == 0 &&
		      line[strlen(expected[_i].value)] == '\n',
		      "%s: %.20s, expected %s", expected[_i].series, line, expected[_i].value);
}
END_TEST

/* Cut to 3 listener series: the busy ones (8080 over its limit, 9090 with
 * 3 waiting, [::]:80 with a SYN queue, the full UNIX queue) win over the
 * idle ones, in order, and the rest are counted. */
START_TEST(test_max_listeners)
{
	size_t len;
	_cleanup_free_ char *text = format(3, 3, &len);

	ck_assert_ptr_nonnull(find_line(text, "sockwatch_accept_queue_length{netns=\"host\",listener=\"127.0.0.1:8080\""));
	ck_assert_ptr_nonnull(find_line(text, "sockwatch_accept_queue_length{netns=\"host\",listener=\"127.0.0.1:9090\""));
	ck_assert_ptr_nonnull(find_line(text, "sockwatch_accept_queue_length{netns=\"host\",listener=\"[::]:80\""));
	ck_assert_ptr_null(find_line(text, "sockwatch_accept_queue_length{netns=\"host\",listener=\"0.0.0.0:22\""));
	ck_assert_ptr_null(find_line(text, "sockwatch_accept_queue_length{netns=\"host\",listener=\"/run"));
	ck_assert_ptr_null(find_line(text, "sockwatch_listener_info{netns=\"docker"));
	/* 4 TCP and 3 UNIX series on the host, one in each container: 9 */
	ck_assert_ptr_nonnull(find_line(text, "sockwatch_listeners_omitted 6\n"));
	check_shape(text);
}
END_TEST

/* Every count of listeners from 1 to 300, so that the label sets outgrow
 * their buffer at every point of a group's writing, the copy of the
 * namespace's label from that same buffer included (ASan caught a read
 * from the old buffer at 2000 listeners): every listener is written. */
START_TEST(test_many)
{
	struct sw_snapshot snap;
	struct sw_tracker *big;
	char ep[32], want[160];

	ck_assert_int_eq(tracker_new(&big), 0);
	snap_init(&snap);
	nsv[1] = (struct sw_status_ns){ .info = &infos[1], .tracker = big };
	for (unsigned i = 0; i < 300; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len, n = 0;

		snprintf(ep, sizeof(ep), "10.0.%u.%u:%u", i / 250, i % 250 + 1, 1000 + i);
		snap_add(&snap, 1000 + i, ep, i % 3, 128, 0);
		update(big, &snap, NULL, (2 + i) * S);
		text = format(2, 20000, &len);
		for (const char *p = text; (p = strstr(p, "\nsockwatch_listener_info{netns=\"docker")); p++)
			n++;
		ck_assert_uint_eq(n, i + 1);
		snprintf(want, sizeof(want),
			 "sockwatch_accept_queue_limit{netns=\"docker:3f2a9c1b0e4d\",listener=\"%s\",family=\"inet\",port=\"%u\"} 128\n",
			 ep, 1000 + i);
		ck_assert_msg(find_line(text, want), "no %s", want);
	}
	nsv[1].tracker = tv[1];
	snap_free(&snap);
	tracker_free(big);
}
END_TEST

/* ---- the cache: a cached exposition is the fresh one --------------------------- */

/* The host's listeners as setup() left them, fed again by the steps. */
static struct sw_snapshot hsnap;
static struct sw_unix_snapshot hus;
static uint64_t hclock = 10 * S;
static size_t c_ns = 3, c_max = 20000;

static void host_poll(void)
{
	hclock += S;
	update(tv[0], &hsnap, &hus, hclock);
}

static void host_del(uint64_t cookie)
{
	for (size_t i = 0; i < hsnap.n_listeners; i++)
		if (hsnap.listeners[i].cookie == cookie) {
			memmove(&hsnap.listeners[i], &hsnap.listeners[i + 1],
				(hsnap.n_listeners - i - 1) * sizeof(hsnap.listeners[0]));
			hsnap.n_listeners--;
			return;
		}
	ck_abort_msg("no cookie %llu", (unsigned long long)cookie);
}

static void step_nothing(void) { }
static void step_repoll(void) { host_poll(); }
static void step_depth(void) { hsnap.listeners[0].accept_depth = 3; host_poll(); }
static void step_unit(void) { owner_variant = 1; }
static void step_comm(void) { owner_variant = 2; }
static void step_owner_gone(void) { owner_variant = 3; }
static void step_owner_back(void) { owner_variant = 0; }
static void step_add(void) { snap_add(&hsnap, 7, "127.0.0.2:8443", 1, 64, 0); host_poll(); }
static void step_join(void) { snap_add(&hsnap, 9, "127.0.0.2:8443", 0, 64, 0); host_poll(); }
static void step_leave(void) { host_del(7); host_poll(); }
static void step_del(void) { host_del(6); host_poll(); }
static void step_reorder(void)
{
	struct sw_listener l = hsnap.listeners[0];

	host_del(l.cookie);
	hsnap.listeners[hsnap.n_listeners++] = l;
	host_poll();
}
static void step_unix(void) { ux_add(&hus, 23, "/run/new\nline.sock", 2, 8); host_poll(); }
static void step_cookies(void) { hsnap.sysctl.syncookies = 2; host_poll(); }
static void step_rename(void) { strcpy(infos[1].name.name, "docker:aaaa"); }
static void step_rename_back(void) { strcpy(infos[1].name.name, "docker:3f2a9c1b0e4d"); }
static void step_swap(void)
{
	struct sw_status_ns x = nsv[1];

	nsv[1] = nsv[2];
	nsv[2] = x;
}
static void step_two_ns(void) { c_ns = 2; }
static void step_three_ns(void) { c_ns = 3; }
static void step_max(void) { c_max = 3; }
static void step_all(void) { c_max = 20000; }

static const struct {
	const char *what;
	void (*step)(void);
	bool changes;           /* the exposition is not the previous one */
} cache_steps[] = {
	{ "first", step_nothing, true },
	{ "again", step_nothing, false },
	{ "a poll, same listeners", step_repoll, false },
	{ "a queue moves", step_depth, true },
	{ "owner's unit", step_unit, true },
	{ "owner's comm", step_comm, true },
	{ "owner unknown", step_owner_gone, true },
	{ "owner back", step_owner_back, true },
	{ "a listener comes", step_add, true },
	{ "a reuseport member joins", step_join, true },
	{ "the group's first member goes", step_leave, true },
	{ "a listener goes", step_del, true },
	{ "the dump's order changes", step_reorder, false },
	{ "a UNIX listener comes", step_unix, true },
	{ "the SYN mode changes", step_cookies, true },
	{ "a namespace renamed: no longer a duplicate", step_rename, true },
	{ "its name back", step_rename_back, true },
	{ "namespaces swapped: the other gets the id", step_swap, true },
	{ "a namespace gone", step_two_ns, true },
	{ "and back", step_three_ns, true },
	{ "max_listeners cuts", step_max, true },
	{ "and lets all through", step_all, true },
};

/* One cache across every step: after each, its exposition is the one
 * written without it, byte for byte. */
START_TEST(test_cached)
{
	struct sw_metrics_cache *cache;
	_cleanup_free_ char *prev = NULL;
	size_t prev_len = 0;

	ck_assert_int_eq(metrics_cache_new(&cache), 0);
	snap_init(&hsnap);
	usnap_init(&hus);
	snap_add(&hsnap, 1, "127.0.0.1:8080", 17, 16, 5);
	snap_add(&hsnap, 4, "127.0.0.1:9090", 0, 128, 0);
	snap_add(&hsnap, 5, "127.0.0.1:9090", 3, 128, 2);
	snap_add(&hsnap, 3, "[::]:80", 0, 511, 0);
	snap_add(&hsnap, 6, "0.0.0.0:22", 0, 128, 0);
	snap_counters(&hsnap, 107);
	ux_add(&hus, 20, "/run/php/\"fpm\\.sock", 5, 4);
	ux_add(&hus, 21, "@abstract", 0, 128);
	ux_add(&hus, 22, "/tmp/bad\xff\xfe.sock", 0, 16);
	for (size_t i = 0; i < sizeof(cache_steps) / sizeof(cache_steps[0]); i++) {
		_cleanup_free_ char *fresh = NULL;
		char *cached;
		size_t len, clen;

		cache_steps[i].step();
		fresh = format_cached(NULL, c_ns, c_max, &len);
		cached = format_cached(cache, c_ns, c_max, &clen);
		ck_assert_msg(len == clen && memcmp(fresh, cached, len) == 0,
			      "%s: the cached exposition differs; fresh:\n%s\ncached:\n%s",
			      cache_steps[i].what, fresh, cached);
		ck_assert_msg(cache_steps[i].changes ==
				      !(prev && prev_len == clen && memcmp(prev, cached, clen) == 0),
			      "%s: the exposition %s", cache_steps[i].what,
			      cache_steps[i].changes ? "did not change" : "changed");
		free(prev);
		prev = cached;
		prev_len = clen;
	}
	/* setup's again for the other tests */
	step_rename_back();
	step_swap();
	c_ns = 3;
	snap_free(&hsnap);
	usnap_clear(&hus);
	metrics_cache_free(cache);
}
END_TEST

/* No namespace at all still makes a valid exposition. */
START_TEST(test_empty)
{
	size_t len;
	_cleanup_free_ char *text = format(0, 20000, &len);

	ck_assert_ptr_nonnull(find_line(text, "sockwatch_polls_total 2\n"));
	ck_assert_ptr_null(find_line(text, "sockwatch_accept_queue_length{"));
	check_shape(text);
}
END_TEST

static const struct {
	const char *in, *out;
	size_t size;
} escapes[] = {
	{ "plain", "plain", 64 },
	{ "a\"b\\c\nd", "a\\\"b\\\\c\\nd", 64 },
	{ "tab\there\x7f", "tab?here?", 64 },
	{ "caf\xc3\xa9", "caf\xc3\xa9", 64 },                     /* valid 2-byte */
	{ "\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80", 64 },
	{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", 64 },            /* overlong '/' */
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 64 },  /* a surrogate */
	{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 64 },  /* > U+10FFFF */
	{ "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd", 64 },          /* cut short */
	{ "abcdef", "abc", 4 },                                    /* bounded */
	{ "ab\"cd", "ab", 4 },                                     /* never half an escape */
	{ "a\xc3\xa9", "a", 3 },                                   /* never half a character */
};

START_TEST(test_escape)
{
	char out[64];
	size_t n = metrics_label_escape(escapes[_i].in, out, escapes[_i].size);

	ck_assert_str_eq(out, escapes[_i].out);
	ck_assert_uint_eq(n, strlen(escapes[_i].out));
}
END_TEST

START_TEST(test_process)
{
	struct sw_metrics_process p = {
		.cpu_seconds = 1.5, .resident_bytes = 6 << 20, .virtual_bytes = 20 << 20,
		.open_fds = 15, .max_fds = 20000, .start_time_seconds = 1796300000.25,
	};
	char buf[METRICS_PROCESS_MAX], small[64];
	int n = metrics_format_process(&p, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq((size_t)n, strlen(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_resident_memory_bytes 6291456\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nprocess_start_time_seconds 1796300000.250\n"));
	ck_assert_int_eq(metrics_format_process(&p, small, sizeof(small)), -ENOBUFS);
	check_shape(buf);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("exposition");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_shape);
	tcase_add_loop_test(tc, test_series, 0, sizeof(expected) / sizeof(expected[0]));
	tcase_add_test(tc, test_max_listeners);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_cached);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_loop_test(tc, test_escape, 0, sizeof(escapes) / sizeof(escapes[0]));
	tcase_add_test(tc, test_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(suite());
}

/* journal: the MESSAGE of every event kind and binding case, priorities, the
 * stderr line format (captured through a temporary file standing in for fd
 * 2), diagnostics filtering, and the fall back to stderr when no journald
 * listens. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "journal.h"
#include "util.h"

#define NS_ID 4026532281ULL

/* One event, described by the parts a test cares about. */
struct ev_spec {
	enum sw_event_kind kind;
	const char *listener;          /* NULL: no listener */
	uint64_t netns;
	enum sw_level level, cleared_level;
	enum sw_queue queue;
	uint32_t depth, limit, peak;
	double percent;
	enum sw_limit_source src;
	enum sw_syn_mode mode;
	bool stale, gone;
	uint64_t drops, drops_total;
	int32_t somaxconn, msb, syncookies;   /* 0 means "unknown" here (-1 in the event) */
	int32_t pid;
	const char *comm, *unit;
	uint32_t holders;
	const char *top;
	uint64_t ctr[_SW_CTR_MAX];
	const char *lifecycle, *text;
};

static void build_event(const struct ev_spec *s, struct sw_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = s->kind;
	ev->level = s->level;
	ev->cleared_level = s->cleared_level;
	ev->queue = s->queue;
	ev->listener_gone = s->gone;
	if (s->listener) {
		int family;
		bool wild;

		ck_assert_int_eq(util_endpoint_parse(s->listener, &family, ev->addr, &ev->port,
						     &wild), 0);
		ev->family = (uint8_t)family;
		ev->has_listener = true;
		ev->cookie = 77;
	}
	ev->netns = s->netns;
	ev->depth = s->depth;
	ev->limit = s->limit;
	ev->peak = s->peak;
	ev->percent = s->percent;
	ev->limit_source = s->src;
	ev->syn_mode = s->mode;
	ev->somaxconn_stale = s->stale;
	ev->drops = s->drops;
	ev->drops_total = s->drops_total;
	ev->somaxconn = s->somaxconn ? s->somaxconn : -1;
	ev->max_syn_backlog = s->msb ? s->msb : -1;
	ev->syncookies = s->syncookies ? s->syncookies : -1;
	ev->owner.pid = s->pid;
	if (s->comm)
		snprintf(ev->owner.comm, sizeof(ev->owner.comm), "%s", s->comm);
	if (s->unit)
		snprintf(ev->owner.unit, sizeof(ev->owner.unit), "%s", s->unit);
	ev->owner.holders = s->holders;
	if (s->top)
		snprintf(ev->top_sources, sizeof(ev->top_sources), "%s", s->top);
	memcpy(ev->counter_delta, s->ctr, sizeof(ev->counter_delta));
	ev->lifecycle = s->lifecycle;
	if (s->text)
		snprintf(ev->text, sizeof(ev->text), "%s", s->text);
}

struct msg_case {
	const char *name;
	struct ev_spec ev;
	const char *exact;      /* the whole MESSAGE, or NULL */
	const char *has[8];     /* substrings that must appear */
	const char *hasnt[4];   /* and that must not */
};

static const struct msg_case msg_cases[] = {
	{ "accept, backlog binds, full owner",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "0.0.0.0:443", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 512, .limit = 511, .peak = 512, .percent = 100.19,
	    .src = SW_SRC_LISTEN_BACKLOG, .drops = 1200, .drops_total = 5000,
	    .somaxconn = 4096, .pid = 812, .comm = "nginx", .unit = "nginx.service" },
	  "nginx.service (nginx, pid 812) on 0.0.0.0:443: accept queue 512/511 (100.2%), "
	  "1200 connections dropped since the last report; its listen() backlog binds, not "
	  "net.core.somaxconn (4096): raise the backlog in the application (raising "
	  "net.core.somaxconn alone does nothing)", {0}, {0} },
	{ "accept, somaxconn binds, no owner, peak above depth",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 120, .limit = 128, .peak = 129, .percent = 93.75,
	    .src = SW_SRC_SOMAXCONN, .somaxconn = 128 },
	  "127.0.0.1:8080: accept queue 120/128 (93.8%), peak 129, no connections dropped since "
	  "the last report; net.core.somaxconn (128) binds: raise it and restart/re-listen the "
	  "service (somaxconn is read at listen())", {0}, {0} },
	{ "accept, somaxconn raised since listen(): stale",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 129, .limit = 128, .percent = 100.8,
	    .src = SW_SRC_SOMAXCONN, .stale = true, .drops = 1, .somaxconn = 4096,
	    .comm = "redis-server", .pid = 55 },
	  NULL,
	  { "redis-server (pid 55) on 127.0.0.1:8080: accept queue 129/128 (100.8%), "
	    "1 connection dropped since",
	    "still runs with that old limit (128) until it calls listen() again",
	    "net.core.somaxconn is now 4096", "restart/re-listen the service to apply it" },
	  { "raise net.core.somaxconn" } },
	{ "accept, somaxconn lowered below the old limit: stale, raise it",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 110, .limit = 128, .percent = 85.9,
	    .src = SW_SRC_SOMAXCONN, .stale = true, .somaxconn = 64 },
	  NULL,
	  { "(85.9%)", "now 64", "raise net.core.somaxconn and restart/re-listen the service" },
	  { "to apply it" } },
	{ "accept, backlog binds, somaxconn changed since",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "10.1.2.3:80", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 14, .limit = 16, .percent = 87.5,
	    .src = SW_SRC_LISTEN_BACKLOG, .stale = true, .somaxconn = 8 },
	  NULL,
	  { "its listen() backlog binds", "keeps its old limit until it calls listen() again" },
	  {0} },
	{ "accept, limit source unknown, somaxconn unknown",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 9, .limit = 10, .percent = 90,
	    .src = SW_SRC_UNKNOWN },
	  NULL,
	  { "accept queue 9/10 (90%)",
	    "raise the application's listen() backlog, and net.core.somaxconn if the backlog is larger" },
	  { "(-1)", "binds" } },
	{ "accept, IPv6 listener in another namespace, unit only, shared socket",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "[::]:443", .netns = NS_ID,
	    .level = SW_LEVEL_WARNING, .queue = SW_QUEUE_ACCEPT, .depth = 410, .limit = 511,
	    .percent = 80.2, .src = SW_SRC_LISTEN_BACKLOG, .somaxconn = 4096,
	    .unit = "web.service", .holders = 4 },
	  NULL,
	  { "web.service (4 processes) on [::]:443 in netns 4026532281: accept queue 410/511 (80.2%)" },
	  {0} },
	{ "accept, pid only",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "[::1]:25", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 99, .limit = 100, .percent = 99.96,
	    .src = SW_SRC_LISTEN_BACKLOG, .pid = 3, .holders = 2 },
	  NULL, { "pid 3, 2 processes on [::1]:25: accept queue 99/100 (100%)" }, {0} },
	{ "syn, cookies on overflow, backlog binds, top sources",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_SYN, .depth = 17, .limit = 16, .peak = 17, .percent = 106.25,
	    .src = SW_SRC_LISTEN_BACKLOG, .mode = SW_SYN_COOKIES_ON_OVERFLOW, .syncookies = 1,
	    .somaxconn = 4096, .top = "10.0.0.1=12,10.0.0.2=4", .comm = "app", .pid = 7 },
	  NULL,
	  { "app (pid 7) on 127.0.0.1:8080: SYN queue 17/16 (106.3%)",
	    "answers with SYN cookies (net.ipv4.tcp_syncookies=1)",
	    "connections still succeed but lose TCP options such as window scaling",
	    "its listen() backlog binds", "if this is legitimate load",
	    "top sources: 10.0.0.1=12,10.0.0.2=4" },
	  { "dropped", "tcp_max_syn_backlog" } },
	{ "syn, cookies off, tcp_max_syn_backlog binds",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_SYN, .depth = 49, .limit = 48, .percent = 102.1,
	    .src = SW_SRC_MAX_SYN_BACKLOG, .mode = SW_SYN_DROP_ON_OVERFLOW, .syncookies = 0,
	    .msb = 64, .drops = 3, .drops_total = 3 },
	  NULL,
	  { "SYN queue 49/48 (102.1%), 3 connections dropped since the last report",
	    "new SYNs are dropped (net.ipv4.tcp_syncookies=0)",
	    "net.ipv4.tcp_max_syn_backlog (64) binds",
	    "raise net.ipv4.tcp_max_syn_backlog or enable net.ipv4.tcp_syncookies" },
	  { "SYN cookies:" } },
	{ "syn, cookies off, backlog binds",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "127.0.0.1:9000", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_SYN, .depth = 20, .limit = 21, .percent = 95.2,
	    .src = SW_SRC_LISTEN_BACKLOG, .mode = SW_SYN_DROP_ON_OVERFLOW, .msb = 64 },
	  NULL,
	  { "its listen() backlog binds", "raise the backlog in the application, or enable "
	    "net.ipv4.tcp_syncookies" },
	  { "tcp_max_syn_backlog (64) binds" } },
	{ "syn, cookies off, somaxconn binds",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "127.0.0.1:9000", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_SYN, .depth = 250, .limit = 257, .percent = 97.3,
	    .src = SW_SRC_SOMAXCONN, .mode = SW_SYN_DROP_ON_OVERFLOW, .somaxconn = 256 },
	  NULL,
	  { "net.core.somaxconn (256) binds: raise it and restart/re-listen the service "
	    "(somaxconn is read at listen()), or enable net.ipv4.tcp_syncookies" },
	  {0} },
	{ "syn, cookies always",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "127.0.0.1:9000", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_SYN, .depth = 5, .limit = 5, .percent = 100,
	    .src = SW_SRC_LISTEN_BACKLOG, .mode = SW_SYN_COOKIES_ALWAYS },
	  NULL, { "net.ipv4.tcp_syncookies=2 answers every SYN with a cookie" }, { "binds" } },
	{ "listen drops, accept queue figures",
	  { .kind = SW_EV_LISTEN_DROPS, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 0, .limit = 16, .percent = 0,
	    .src = SW_SRC_LISTEN_BACKLOG, .drops = 13, .drops_total = 40, .somaxconn = 4096 },
	  "127.0.0.1:8080: 13 connections dropped since the last report (40 in all), though no "
	  "poll saw the queue full: a burst shorter than the poll interval; accept queue now "
	  "0/16 (0%); its listen() backlog binds, not net.core.somaxconn (4096): raise the "
	  "backlog in the application (raising net.core.somaxconn alone does nothing)", {0}, {0} },
	{ "listen drops while the queue is seen full",
	  { .kind = SW_EV_LISTEN_DROPS, .listener = "127.0.0.1:8080", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 17, .limit = 16, .peak = 17, .percent = 106.25,
	    .src = SW_SRC_LISTEN_BACKLOG, .drops = 7, .drops_total = 20, .somaxconn = 4096 },
	  "127.0.0.1:8080: 7 connections dropped since the last report (20 in all); accept queue "
	  "now 17/16 (106.3%); its listen() backlog binds, not net.core.somaxconn (4096): raise "
	  "the backlog in the application (raising net.core.somaxconn alone does nothing)",
	  {0}, {0} },
	{ "listen drops, no queue",
	  { .kind = SW_EV_LISTEN_DROPS, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .drops = 1, .drops_total = 1 },
	  "127.0.0.1:8080: 1 connection dropped since the last report (1 in all), though no poll "
	  "saw the queue full: a burst shorter than the poll interval", {0}, {0} },
	{ "syncookies sent",
	  { .kind = SW_EV_SYNCOOKIES, .level = SW_LEVEL_WARNING, .syncookies = 1, .msb = 2048,
	    .somaxconn = 4096,
	    .ctr = { [SW_CTR_SYNCOOKIES_SENT] = 120, [SW_CTR_REQQ_FULL_COOKIES] = 120,
		     [SW_CTR_LISTEN_OVERFLOWS] = 3, [SW_CTR_LISTEN_DROPS] = 3 } },
	  NULL,
	  { "counters moved in netns host: ListenOverflows +3, ListenDrops +3, "
	    "TCPReqQFullDoCookies +120, SyncookiesSent +120;",
	    "a SYN queue overflowed and the kernel sent SYN cookies",
	    "lose TCP options such as window scaling",
	    "accept queues overflowed",
	    "(net.ipv4.tcp_syncookies=1, net.ipv4.tcp_max_syn_backlog=2048, net.core.somaxconn=4096)" },
	  { "SyncookiesRecv", "invalid" } },
	{ "syncookies off: SYN queue drops in a namespace",
	  { .kind = SW_EV_SYNCOOKIES, .netns = NS_ID, .level = SW_LEVEL_CRITICAL, .syncookies = 0,
	    .msb = 64,
	    .ctr = { [SW_CTR_REQQ_FULL_DROP] = 9, [SW_CTR_LISTEN_DROPS] = 9 } },
	  NULL,
	  { "in netns 4026532281: ListenDrops +9, TCPReqQFullDrop +9;",
	    "SYNs were dropped: enable net.ipv4.tcp_syncookies or raise the listen() backlog "
	    "(and net.ipv4.tcp_max_syn_backlog (64))",
	    "dropped on the listen path" },
	  { "SYN cookies:" } },
	{ "syncookies: invalid cookies, mode 2",
	  { .kind = SW_EV_SYNCOOKIES, .level = SW_LEVEL_WARNING, .syncookies = 2,
	    .ctr = { [SW_CTR_SYNCOOKIES_SENT] = 5, [SW_CTR_SYNCOOKIES_FAILED] = 2 } },
	  NULL,
	  { "SyncookiesSent +5, SyncookiesFailed +2",
	    "net.ipv4.tcp_syncookies=2 sends a SYN cookie for every SYN",
	    "invalid SYN cookies" },
	  { "overflowed" } },
	{ "syncookies received only",
	  { .kind = SW_EV_SYNCOOKIES, .level = SW_LEVEL_WARNING,
	    .ctr = { [SW_CTR_SYNCOOKIES_RECV] = 4 } },
	  NULL, { "SyncookiesRecv +4; clients completed handshakes with SYN cookies" }, { "(net." } },
	{ "cleared, back under the clear threshold",
	  { .kind = SW_EV_CLEARED, .listener = "127.0.0.1:8080", .level = SW_LEVEL_OK,
	    .cleared_level = SW_LEVEL_CRITICAL, .queue = SW_QUEUE_ACCEPT, .depth = 3,
	    .limit = 511, .percent = 0.0, .comm = "nginx", .pid = 9 },
	  "nginx (pid 9) on 127.0.0.1:8080: critical accept-queue alert cleared: accept queue "
	  "back to 3/511 (0%)", {0}, {0} },
	{ "cleared, listener gone",
	  { .kind = SW_EV_CLEARED, .listener = "[::]:443", .netns = NS_ID, .level = SW_LEVEL_OK,
	    .cleared_level = SW_LEVEL_WARNING, .queue = SW_QUEUE_SYN, .gone = true },
	  "[::]:443 in netns 4026532281: warning syn-queue alert cleared: listener gone", {0}, {0} },
	{ "cleared, namespace-wide",
	  { .kind = SW_EV_CLEARED, .level = SW_LEVEL_OK, .cleared_level = SW_LEVEL_WARNING },
	  "netns host: warning alert cleared: back to normal", {0}, {0} },
	{ "lifecycle started",
	  { .kind = SW_EV_LIFECYCLE, .lifecycle = "started", .text = "watching 3 listeners" },
	  "sockwatchd started: watching 3 listeners", {0}, {0} },
	{ "lifecycle without text",
	  { .kind = SW_EV_LIFECYCLE, .lifecycle = "stopping" }, "sockwatchd stopping", {0}, {0} },
	{ "lifecycle config rejected, several errors",
	  { .kind = SW_EV_LIFECYCLE, .lifecycle = "config rejected",
	    .text = "/etc/sockwatchd.conf:3: bad\n/etc/sockwatchd.conf:9: worse" },
	  "sockwatchd config rejected: /etc/sockwatchd.conf:3: bad\n/etc/sockwatchd.conf:9: worse",
	  {0}, {0} },
};

START_TEST(test_message)
{
	const struct msg_case *c = &msg_cases[_i];
	char buf[SW_MESSAGE_MAX];
	struct sw_event ev;
	int r;

	build_event(&c->ev, &ev);
	r = journal_format_message(&ev, buf, sizeof(buf));
	ck_assert_msg(r >= 0, "%s: returned %d", c->name, r);
	ck_assert_msg((size_t)r == strlen(buf), "%s: length %d vs %zu", c->name, r, strlen(buf));
	if (c->exact)
		ck_assert_msg(strcmp(buf, c->exact) == 0, "%s:\n got  '%s'\n want '%s'",
			      c->name, buf, c->exact);
	for (size_t k = 0; k < SW_ARRAY_SIZE(c->has) && c->has[k]; k++)
		ck_assert_msg(strstr(buf, c->has[k]), "%s: '%s' lacks '%s'", c->name, buf, c->has[k]);
	for (size_t k = 0; k < SW_ARRAY_SIZE(c->hasnt) && c->hasnt[k]; k++)
		ck_assert_msg(!strstr(buf, c->hasnt[k]), "%s: '%s' has '%s'", c->name, buf,
			      c->hasnt[k]);
}
END_TEST

START_TEST(test_priority)
{
	static const struct { enum sw_event_kind kind; enum sw_level level; int prio; } t[] = {
		{ SW_EV_ACCEPT_QUEUE, SW_LEVEL_WARNING,  LOG_WARNING },
		{ SW_EV_ACCEPT_QUEUE, SW_LEVEL_CRITICAL, LOG_ERR },
		{ SW_EV_SYN_QUEUE,    SW_LEVEL_CRITICAL, LOG_ERR },
		{ SW_EV_LISTEN_DROPS, SW_LEVEL_WARNING,  LOG_WARNING },
		{ SW_EV_SYNCOOKIES,   SW_LEVEL_CRITICAL, LOG_ERR },
		{ SW_EV_CLEARED,      SW_LEVEL_OK,       LOG_NOTICE },
		{ SW_EV_LIFECYCLE,    SW_LEVEL_OK,       LOG_INFO },
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(t); i++) {
		struct sw_event ev = { .kind = t[i].kind, .level = t[i].level };

		ck_assert_int_eq(journal_event_priority(&ev), t[i].prio);
	}
	/* DESIGN.md spells them as numbers. */
	ck_assert_int_eq(LOG_WARNING, 4);
	ck_assert_int_eq(LOG_ERR, 3);
	ck_assert_int_eq(LOG_NOTICE, 5);
	ck_assert_int_eq(LOG_INFO, 6);
}
END_TEST

START_TEST(test_message_buffer)
{
	struct ev_spec s = { .kind = SW_EV_LIFECYCLE, .lifecycle = "started", .text = "abcdef" };
	struct sw_event ev;
	char buf[12];
	char big[SW_MESSAGE_MAX];

	build_event(&s, &ev);
	ck_assert_int_eq(journal_format_message(&ev, buf, sizeof(buf)), -ENOBUFS);
	ck_assert_str_eq(buf, "sockwatchd ");   /* truncated, still terminated */
	ck_assert_int_eq(journal_format_message(&ev, buf, 0), -EINVAL);
	ck_assert_int_eq(journal_format_message(NULL, buf, sizeof(buf)), -EINVAL);

	/* The longest inputs event.h allows still fit SW_MESSAGE_MAX. */
	memset(&ev, 0, sizeof(ev));
	ev.kind = SW_EV_SYN_QUEUE;
	ev.has_listener = true;
	ev.family = AF_INET6;
	memset(ev.addr, 0xff, sizeof(ev.addr));
	ev.port = 65535;
	ev.netns = UINT64_MAX;
	ev.queue = SW_QUEUE_SYN;
	ev.limit = ev.peak = UINT32_MAX;
	ev.depth = UINT32_MAX - 1;
	ev.percent = 1e300;
	ev.limit_source = SW_SRC_SOMAXCONN;
	ev.somaxconn_stale = true;
	ev.syn_mode = SW_SYN_DROP_ON_OVERFLOW;
	ev.drops = ev.drops_total = UINT64_MAX;
	ev.somaxconn = ev.max_syn_backlog = ev.syncookies = INT32_MAX;
	ev.owner.pid = INT32_MAX;
	ev.owner.holders = UINT32_MAX;
	memset(ev.owner.comm, 'c', sizeof(ev.owner.comm));      /* unterminated */
	memset(ev.owner.unit, 'u', sizeof(ev.owner.unit));      /* unterminated */
	memset(ev.top_sources, 's', sizeof(ev.top_sources));
	ck_assert_int_gt(journal_format_message(&ev, big, sizeof(big)), 0);
	ck_assert(strstr(big, "cccccccccccccccc, pid") != NULL);   /* 16 c's, bounded */
	ck_assert(strstr(big, "ccccccccccccccccc") == NULL);

	ev.kind = SW_EV_SYNCOOKIES;
	ev.has_listener = false;
	for (int c = 0; c < _SW_CTR_MAX; c++)
		ev.counter_delta[c] = UINT64_MAX;
	ck_assert_int_gt(journal_format_message(&ev, big, sizeof(big)), 0);

	ev.kind = SW_EV_LIFECYCLE;
	ev.lifecycle = "config rejected";
	memset(ev.text, 'x', sizeof(ev.text));
	ck_assert_int_eq(journal_format_message(&ev, big, sizeof(big)),
			 (int)(strlen("sockwatchd config rejected: ") + sizeof(ev.text)));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* stderr lines: fd 2 pointed at a temporary file for the test's duration. */

static int saved_stderr = -1;
static FILE *capture;

static void capture_start(void)
{
	capture = tmpfile();
	ck_assert_ptr_nonnull(capture);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_ge(dup2(fileno(capture), STDERR_FILENO), 0);
}

/* Everything written since capture_start, NUL-terminated, in a malloc'd
 * buffer. */
static char *capture_end(void)
{
	char *out;
	long n;

	ck_assert_int_ge(dup2(saved_stderr, STDERR_FILENO), 0);
	close(saved_stderr);
	saved_stderr = -1;
	n = ftell(capture);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(fseek(capture, 0, SEEK_END), 0);
	n = ftell(capture);
	out = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(out);
	rewind(capture);
	ck_assert_int_eq(fread(out, 1, (size_t)n, capture), (size_t)n);
	fclose(capture);
	capture = NULL;
	return out;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

struct line_case {
	const char *name;
	struct ev_spec ev;
	const char *prefix;     /* the line after "sockwatchd[PID]: " */
};

static const struct line_case line_cases[] = {
	{ "warning accept queue",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 14, .limit = 16, .percent = 87.5,
	    .src = SW_SRC_LISTEN_BACKLOG },
	  "warning: accept-queue: 127.0.0.1:8080: accept queue 14/16 (87.5%), " },
	{ "critical syn queue",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "[::1]:443", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_SYN, .depth = 17, .limit = 16, .percent = 106.25 },
	  "critical: syn-queue: [::1]:443: SYN queue 17/16 (106.3%)" },
	{ "listen drops",
	  { .kind = SW_EV_LISTEN_DROPS, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .drops = 2, .drops_total = 2 },
	  "warning: listen-drops: 127.0.0.1:8080: 2 connections dropped" },
	{ "syncookies",
	  { .kind = SW_EV_SYNCOOKIES, .level = SW_LEVEL_WARNING,
	    .ctr = { [SW_CTR_SYNCOOKIES_SENT] = 1 } },
	  "warning: syncookies: SYN and listen-queue overflow counters moved in netns host: "
	  "SyncookiesSent +1;" },
	{ "cleared",
	  { .kind = SW_EV_CLEARED, .listener = "127.0.0.1:8080", .cleared_level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 1, .limit = 16, .percent = 6.25 },
	  "cleared: 127.0.0.1:8080: warning accept-queue alert cleared: accept queue back to "
	  "1/16 (6.3%)" },
	{ "lifecycle, newlines folded",
	  { .kind = SW_EV_LIFECYCLE, .lifecycle = "config rejected", .text = "f:1: a\nf:2: b\n" },
	  "info: sockwatchd config rejected: f:1: a; f:2: b" },
	{ "hostile comm cannot forge a line",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 1, .limit = 2, .percent = 50,
	    .comm = "x\nfake[1]:\x1b", .pid = 5 },
	  "warning: accept-queue: x; fake[1]:? (pid 5) on 127.0.0.1:8080: " },
};

START_TEST(test_stderr_line)
{
	const struct line_case *c = &line_cases[_i];
	struct sw_journal *j = NULL;
	char want[64], line[4096];
	struct sw_event ev;
	char *out;
	int r;

	build_event(&c->ev, &ev);
	snprintf(want, sizeof(want), "sockwatchd[%d]: ", (int)getpid());

	/* The pure formatter. */
	r = journal_format_line(&ev, 42, line, sizeof(line));
	ck_assert_msg(r > 0, "%s: %d", c->name, r);
	ck_assert_msg(strncmp(line, "sockwatchd[42]: ", 16) == 0, "%s: '%s'", c->name, line);
	ck_assert_msg(strncmp(line + 16, c->prefix, strlen(c->prefix)) == 0,
		      "%s:\n got  '%s'\n want '%s...'", c->name, line + 16, c->prefix);
	ck_assert_msg(!strchr(line, '\n'), "%s: newline in '%s'", c->name, line);

	/* What reaches fd 2: exactly that line, with our pid, once. */
	ck_assert_int_eq(journal_open(SW_LOG_STDERR, LOG_INFO, &j), 0);
	capture_start();
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	journal_close(j);
	ck_assert_msg(count_lines(out) == 1, "%s: '%s'", c->name, out);
	ck_assert_msg(out[strlen(out) - 1] == '\n', "%s: unterminated '%s'", c->name, out);
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s: '%s'", c->name, out);
	ck_assert_msg(strncmp(out + strlen(want), c->prefix, strlen(c->prefix)) == 0,
		      "%s: '%s'", c->name, out);
	/* Identical to the pure formatter's text after the pid. */
	out[strlen(out) - 1] = 0;
	ck_assert_str_eq(out + strlen(want), line + 16);
	free(out);
}
END_TEST

START_TEST(test_stderr_long_line)
{
	struct ev_spec s = { .kind = SW_EV_LIFECYCLE, .lifecycle = "config rejected" };
	struct sw_journal *j = NULL;
	struct sw_event ev;
	char *out;

	build_event(&s, &ev);
	memset(ev.text, '\n', sizeof(ev.text) - 1);   /* worst case: each one grows to "; " */
	ev.text[sizeof(ev.text) - 2] = 'z';
	ck_assert_int_eq(journal_open(SW_LOG_STDERR, LOG_INFO, &j), 0);
	capture_start();
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	journal_close(j);
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_uint_le(strlen(out), 4096);
	ck_assert_ptr_nonnull(strstr(out, "; z\n"));
	free(out);
}
END_TEST

START_TEST(test_log_levels)
{
	struct sw_journal *j = NULL;
	char want[512];
	char *out;

	ck_assert_int_eq(journal_open(SW_LOG_STDERR, LOG_WARNING, &j), 0);
	capture_start();
	journal_log(j, LOG_INFO, "not shown %d", 1);
	journal_log(j, LOG_DEBUG, "not shown %d", 2);
	journal_log(j, LOG_ERR, "boom %d", 42);
	errno = ENOENT;
	journal_log(j, LOG_WARNING, "open x: %m");
	/* A reload lowers the bar. */
	journal_set(j, SW_LOG_STDERR, LOG_DEBUG);
	journal_log(j, LOG_DEBUG, "now shown");
	out = capture_end();
	journal_close(j);
	snprintf(want, sizeof(want),
		 "sockwatchd[%1$d]: err: boom 42\n"
		 "sockwatchd[%1$d]: warning: open x: No such file or directory\n"
		 "sockwatchd[%1$d]: debug: now shown\n", (int)getpid());
	ck_assert_str_eq(out, want);
	free(out);
	journal_close(NULL);   /* NULL-safe */
}
END_TEST

/* With no journald (the socket absent), target journal tries, fails, says
 * so once on stderr and writes the events there; auto goes to stderr at
 * once. Not run where a real journald listens: it would log into it. */
START_TEST(test_fallback_without_journald)
{
	struct ev_spec s = { .kind = SW_EV_LISTEN_DROPS, .listener = "127.0.0.1:8080",
			     .level = SW_LEVEL_WARNING, .drops = 1, .drops_total = 1 };
	struct sw_journal *j = NULL;
	struct sw_event ev;
	char *out;

	if (access(SW_JOURNAL_SOCKET, F_OK) == 0) {
		fprintf(stderr, "# journald socket present: fallback checked by "
			"tests/integration/20-journal-fields.sh instead\n");
		return;
	}
	build_event(&s, &ev);

	ck_assert_int_eq(journal_open(SW_LOG_JOURNAL, LOG_INFO, &j), 0);
	capture_start();
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	journal_close(j);
	ck_assert_msg(count_lines(out) == 3, "'%s'", out);
	ck_assert_ptr_nonnull(strstr(out, "warning: cannot send to the journal ("));
	ck_assert_ptr_nonnull(strstr(out, "until it is back\n"));
	/* The note comes first, then both events. */
	ck_assert_ptr_nonnull(strstr(strchr(out, '\n') + 1,
				     ": warning: listen-drops: 127.0.0.1:8080: 1 connection dropped"));
	free(out);

	ck_assert_int_eq(journal_open(SW_LOG_AUTO, LOG_INFO, &j), 0);
	capture_start();
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	journal_log(j, LOG_NOTICE, "diag");
	out = capture_end();
	journal_close(j);
	ck_assert_msg(count_lines(out) == 2, "'%s'", out);
	ck_assert_ptr_null(strstr(out, "cannot send"));
	ck_assert_ptr_nonnull(strstr(out, ": notice: diag\n"));
	free(out);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("message");

	tcase_add_loop_test(tc, test_message, 0, (int)SW_ARRAY_SIZE(msg_cases));
	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_message_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("stderr");
	tcase_add_loop_test(tc, test_stderr_line, 0, (int)SW_ARRAY_SIZE(line_cases));
	tcase_add_test(tc, test_stderr_long_line);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_fallback_without_journald);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

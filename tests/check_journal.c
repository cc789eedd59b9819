/* journal: the MESSAGE of every event kind and binding case, priorities, the
 * stderr line format (captured through a temporary file standing in for fd
 * 2), diagnostics filtering, the fall back to stderr when no journald
 * listens; and, against a stand-in journald socket, the native protocol,
 * the queue that keeps entries through an outage and replays them marked
 * delayed, its bound, a hung journald and a full stderr socket. */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "checkrun.h"
#include "addr.h"
#include "advice.h"
#include "journal.h"
#include "journal_wire.h"
#include "message.h"
#include "util.h"

/* A container's namespace, as netns_name names it. */
#define NS_DOCKER "docker:3f2a9c1b0e4d"
#define NS_DOCKER_ID "3f2a9c1b0e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
#define NS_POD_UID "6a1f9c2e-8b7d-4e3f-9a2b-1c0d9e8f7a6b"

/* One event, described by the parts a test cares about. */
struct ev_spec {
	enum sw_event_kind kind;
	const char *listener;          /* NULL: no listener */
	const char *netns;             /* NULL: the daemon's own ("host") */
	uint64_t netns_id;
	const char *container, *pod_uid;
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
	uint32_t full_polls;           /* UNIX listeners: how long the queue is full */
	uint64_t full_ms;
	uint8_t sock_type;
};

static void build_event(const struct ev_spec *s, struct sw_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = s->kind;
	ev->level = s->level;
	ev->cleared_level = s->cleared_level;
	ev->queue = s->queue;
	ev->listener_gone = s->gone;
	if (s->listener && (s->listener[0] == '/' || s->listener[0] == '@')) {
		ev->family = AF_UNIX;
		snprintf(ev->path, sizeof(ev->path), "%s", s->listener);
		ev->sock_type = s->sock_type ? s->sock_type : SOCK_STREAM;
		ev->has_listener = true;
		ev->cookie = 78;
	} else if (s->listener) {
		int family;
		bool wild;

		ck_assert_int_eq(addr_endpoint_parse(s->listener, &family, ev->addr, &ev->port,
						     &wild), 0);
		ev->family = (uint8_t)family;
		ev->has_listener = true;
		ev->cookie = 77;
	}
	ev->full_polls = s->full_polls;
	ev->full_usec = s->full_ms * 1000;
	ev->ns.own = s->netns == NULL;
	ev->ns.id = s->netns_id;
	snprintf(ev->ns.name.name, sizeof(ev->ns.name.name), "%s", s->netns ? s->netns : "host");
	if (s->container)
		snprintf(ev->ns.name.container, sizeof(ev->ns.name.container), "%s", s->container);
	if (s->pod_uid)
		snprintf(ev->ns.name.pod_uid, sizeof(ev->ns.name.pod_uid), "%s", s->pod_uid);
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
	/* 94.995...% is a warning under critical = 95%, and reads below 95. */
	{ "accept, just below critical = 95%",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 3891, .limit = 4096, .peak = 3891,
	    .percent = 100.0 * 3891 / 4096, .src = SW_SRC_SOMAXCONN, .somaxconn = 4096 },
	  NULL, { "127.0.0.1:8080: accept queue 3891/4096 (94.9%), no connections" },
	  { "(95%)", "(95.0%)" } },
	{ "accept, backlog binds, full owner",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "0.0.0.0:443", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 512, .limit = 511, .peak = 512, .percent = 100.19,
	    .src = SW_SRC_LISTEN_BACKLOG, .drops = 1200, .drops_total = 5000,
	    .somaxconn = 4096, .pid = 812, .comm = "nginx", .unit = "nginx.service" },
	  "nginx.service (nginx, pid 812) on 0.0.0.0:443: accept queue 512/511 (100.1%), "
	  "1200 connections dropped since the last report; its listen() backlog binds, not "
	  "net.core.somaxconn (4096): raise the backlog= parameter of nginx's listen directive "
	  "(raising net.core.somaxconn alone does nothing)", {0}, {0} },
	/* UNIX listeners (issue 14): what clients see, how long full, no drops */
	{ "unix, php-fpm, full for 3 s",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "/run/php/php8.2-fpm.sock",
	    .level = SW_LEVEL_CRITICAL, .queue = SW_QUEUE_ACCEPT, .depth = 17, .limit = 16,
	    .peak = 17, .percent = 106.25, .src = SW_SRC_LISTEN_BACKLOG, .somaxconn = 4096,
	    .pid = 812, .comm = "php-fpm8.2", .full_polls = 15, .full_ms = 3000 },
	  "php-fpm8.2 (pid 812) on /run/php/php8.2-fpm.sock: accept queue 17/16 (106.2%), full "
	  "for 3.0 s (15 polls): new connections fail with EAGAIN (nginx: 502, 'Resource "
	  "temporarily unavailable') or block in connect(); its listen() backlog binds, not "
	  "net.core.somaxconn (4096): raise listen.backlog in php-fpm's pool config (raising "
	  "net.core.somaxconn alone does nothing)", {0}, {0} },
	{ "unix, full at this poll, abstract, in a container",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "@gunicorn", .netns = NS_DOCKER,
	    .level = SW_LEVEL_CRITICAL, .queue = SW_QUEUE_ACCEPT, .depth = 1, .limit = 0,
	    .peak = 1, .percent = 100, .src = SW_SRC_LISTEN_BACKLOG, .full_polls = 1 },
	  "in " NS_DOCKER " on @gunicorn: accept queue 1/0 (100%), full: new connections fail "
	  "with EAGAIN (nginx: 502, 'Resource temporarily unavailable') or block in connect(); "
	  "its listen() backlog binds, not net.core.somaxconn: raise the backlog in the "
	  "application (raising net.core.somaxconn alone does nothing)", {0}, {0} },
	{ "unix, warning before full, somaxconn binds",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "/run/uwsgi.sock", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 110, .limit = 128, .peak = 110, .percent = 85.9,
	    .src = SW_SRC_SOMAXCONN, .somaxconn = 128, .comm = "uwsgi", .pid = 9 },
	  NULL, { "uwsgi (pid 9) on /run/uwsgi.sock: accept queue 110/128 (85.9%), not full yet: "
		  "once it is, new connections fail with EAGAIN", "net.core.somaxconn (128) binds" },
	  { "dropped", "full for" } },
	{ "unix, long full run",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "/run/a.sock", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 5, .limit = 4, .percent = 125,
	    .src = SW_SRC_LISTEN_BACKLOG, .full_polls = 7300, .full_ms = 7300500 },
	  NULL, { "full for 2 h 1 min (7300 polls)" }, {0} },
	{ "unix, cleared",
	  { .kind = SW_EV_CLEARED, .listener = "/run/a.sock", .cleared_level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 0, .limit = 4, .percent = 0 },
	  "/run/a.sock: critical accept-queue alert cleared: accept queue back to 0/4 (0%)",
	  {0}, {0} },
	{ "accept, somaxconn binds, no owner, peak above depth",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 120, .limit = 128, .peak = 129, .percent = 93.75,
	    .src = SW_SRC_SOMAXCONN, .somaxconn = 128 },
	  "127.0.0.1:8080: accept queue 120/128 (93.7%), peak 129, no connections dropped since "
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
	{ "accept, IPv6 listener in an ip netns, unit only, shared socket",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "[::]:443", .netns = "blue",
	    .level = SW_LEVEL_WARNING, .queue = SW_QUEUE_ACCEPT, .depth = 410, .limit = 511,
	    .percent = 80.2, .src = SW_SRC_LISTEN_BACKLOG, .somaxconn = 4096,
	    .unit = "web.service", .holders = 4 },
	  NULL,
	  { "web.service (4 processes) in blue on [::]:443: accept queue 410/511 (80.2%)" },
	  { "netns" } },
	{ "accept, in a container: the namespace before the listener",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "0.0.0.0:80", .netns = NS_DOCKER,
	    .netns_id = 4099, .container = NS_DOCKER_ID, .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 512, .limit = 511, .percent = 100.19,
	    .src = SW_SRC_LISTEN_BACKLOG, .somaxconn = 4096, .comm = "nginx", .pid = 812 },
	  NULL,
	  { "nginx (pid 812) in docker:3f2a9c1b0e4d on 0.0.0.0:80: accept queue 512/511" },
	  { "netns", "4099", NS_DOCKER_ID } },
	{ "accept, in a pod, no owner",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "10.244.1.7:8080",
	    .netns = "pod:" NS_POD_UID, .pod_uid = NS_POD_UID, .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 100, .limit = 128, .percent = 78.1,
	    .src = SW_SRC_SOMAXCONN, .somaxconn = 128 },
	  "in pod:" NS_POD_UID " on 10.244.1.7:8080: accept queue 100/128 (78.1%), no connections "
	  "dropped since the last report; net.core.somaxconn (128) binds: raise it and "
	  "restart/re-listen the service (somaxconn is read at listen())", {0}, { "netns" } },
	{ "accept, the own namespace is never named",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "0.0.0.0:80", .netns_id = 1,
	    .level = SW_LEVEL_WARNING, .queue = SW_QUEUE_ACCEPT, .depth = 100, .limit = 128,
	    .percent = 78.1, .src = SW_SRC_SOMAXCONN, .comm = "nginx", .pid = 1 },
	  NULL, { "nginx (pid 1) on 0.0.0.0:80: accept" }, { " in host", "netns" } },
	{ "accept, pid only",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "[::1]:25", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 99, .limit = 100, .percent = 99.96,
	    .src = SW_SRC_LISTEN_BACKLOG, .pid = 3, .holders = 2 },
	  NULL, { "pid 3, 2 processes on [::1]:25: accept queue 99/100 (99.9%)" }, {0} },
	{ "syn, cookies on overflow, backlog binds, top sources",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_SYN, .depth = 17, .limit = 16, .peak = 17, .percent = 106.25,
	    .src = SW_SRC_LISTEN_BACKLOG, .mode = SW_SYN_COOKIES_ON_OVERFLOW, .syncookies = 1,
	    .somaxconn = 4096, .top = "10.0.0.1=12,10.0.0.2=4", .comm = "app", .pid = 7 },
	  NULL,
	  { "app (pid 7) on 127.0.0.1:8080: SYN queue 17/16 (106.2%)",
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
	  "now 17/16 (106.2%); its listen() backlog binds, not net.core.somaxconn (4096): raise "
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
	  { .kind = SW_EV_SYNCOOKIES, .netns = NS_DOCKER, .netns_id = 4099, .level = SW_LEVEL_CRITICAL,
	    .syncookies = 0, .msb = 64,
	    .ctr = { [SW_CTR_REQQ_FULL_DROP] = 9, [SW_CTR_LISTEN_DROPS] = 9 } },
	  NULL,
	  { "counters moved in netns docker:3f2a9c1b0e4d: ListenDrops +9, TCPReqQFullDrop +9;",
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
	  { .kind = SW_EV_CLEARED, .listener = "[::]:443", .netns = "pid:4242", .level = SW_LEVEL_OK,
	    .cleared_level = SW_LEVEL_WARNING, .queue = SW_QUEUE_SYN, .gone = true },
	  "in pid:4242 on [::]:443: warning syn-queue alert cleared: listener gone", {0}, {0} },
	{ "cleared, owner known, in a namespace",
	  { .kind = SW_EV_CLEARED, .listener = "0.0.0.0:80", .netns = NS_DOCKER, .level = SW_LEVEL_OK,
	    .cleared_level = SW_LEVEL_CRITICAL, .queue = SW_QUEUE_ACCEPT, .depth = 3, .limit = 511,
	    .comm = "nginx", .pid = 9 },
	  "nginx (pid 9) in docker:3f2a9c1b0e4d on 0.0.0.0:80: critical accept-queue alert cleared: "
	  "accept queue back to 3/511 (0%)", {0}, {0} },
	{ "cleared, namespace-wide, in a namespace",
	  { .kind = SW_EV_CLEARED, .netns = "blue", .level = SW_LEVEL_OK,
	    .cleared_level = SW_LEVEL_WARNING },
	  "netns blue: warning alert cleared: back to normal", {0}, {0} },
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
	r = message_format(&ev, buf, sizeof(buf));
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

		ck_assert_int_eq(message_priority(&ev), t[i].prio);
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
	ck_assert_int_eq(message_format(&ev, buf, sizeof(buf)), -ENOBUFS);
	ck_assert_str_eq(buf, "sockwatchd ");   /* truncated, still terminated */
	ck_assert_int_eq(message_format(&ev, buf, 0), -EINVAL);
	ck_assert_int_eq(message_format(NULL, buf, sizeof(buf)), -EINVAL);

	/* The longest inputs event.h allows still fit SW_MESSAGE_MAX. */
	memset(&ev, 0, sizeof(ev));
	ev.kind = SW_EV_SYN_QUEUE;
	ev.has_listener = true;
	ev.family = AF_INET6;
	memset(ev.addr, 0xff, sizeof(ev.addr));
	ev.port = 65535;
	/* The longest name netns_name makes. */
	memset(ev.ns.name.name, 'n', sizeof(ev.ns.name.name) - 1);
	memset(ev.ns.name.container, 'f', sizeof(ev.ns.name.container) - 1);
	memset(ev.ns.name.pod_uid, 'a', sizeof(ev.ns.name.pod_uid) - 1);
	ev.ns.id = UINT64_MAX;
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
	ck_assert_int_gt(message_format(&ev, big, sizeof(big)), 0);
	ck_assert(strstr(big, "cccccccccccccccc, pid") != NULL);   /* 16 c's, bounded */
	ck_assert(strstr(big, "ccccccccccccccccc") == NULL);
	ck_assert(strstr(big, " in nnnnnnnnnn") != NULL);
	ck_assert(strstr(big, "nnnnnnnnnn on [ffff:") != NULL);
	/* ... and every field of it fits the journal's buffers. */
	{
		static char text[JOURNAL_FIELDBUF_MAX];
		struct journal_fields f;

		journal_wire_fields_init(&f, text, sizeof(text));
		journal_wire_event_fields(&f, &ev, big);
		ck_assert_int_eq(f.err, 0);
	}

	ev.kind = SW_EV_SYNCOOKIES;
	ev.has_listener = false;
	for (int c = 0; c < _SW_CTR_MAX; c++)
		ev.counter_delta[c] = UINT64_MAX;
	ck_assert_int_gt(message_format(&ev, big, sizeof(big)), 0);

	ev.kind = SW_EV_LIFECYCLE;
	ev.lifecycle = "config rejected";
	memset(ev.text, 'x', sizeof(ev.text));
	ck_assert_int_eq(message_format(&ev, big, sizeof(big)),
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
	  "critical: syn-queue: [::1]:443: SYN queue 17/16 (106.2%)" },
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
	  "1/16 (6.2%)" },
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
	r = message_line(&ev, 42, line, sizeof(line));
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

/* ---------------------------------------------------------------------- */
/* The native protocol, the queue and the outages, against a stand-in
 * journald: a datagram socket bound in a temporary directory. */

#define FAKE_FIELDS_MAX 80

struct fake_journald {
	char dir[64];
	char path[128];
	int fd;
};

static void fake_bind(struct fake_journald *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_uint_lt(strlen(f->path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/* The path only; fake_bind() makes the socket. */
static void fake_init(struct fake_journald *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/swjournal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/socket", f->dir);
	f->fd = -1;
}

static void fake_close(struct fake_journald *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	unlink(f->path);
}

static void fake_done(struct fake_journald *f)
{
	fake_close(f);
	rmdir(f->dir);
}

/* One received entry, its fields decoded as "NAME=VALUE" strings. */
struct fake_entry {
	char *field[FAKE_FIELDS_MAX];
	size_t n;
};

static void entry_free(struct fake_entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->field[i]);
	e->n = 0;
}

/* Decodes journald's native protocol strictly: every field either
 * NAME=VALUE\n or NAME\n<le64 length><value>\n. */
static void entry_parse(const char *p, size_t len, struct fake_entry *e)
{
	size_t off = 0;

	e->n = 0;
	while (off < len) {
		const char *nl = memchr(p + off, '\n', len - off);
		const char *eq = memchr(p + off, '=', len - off);
		char *field;

		ck_assert_ptr_nonnull(nl);
		ck_assert_uint_lt(e->n, FAKE_FIELDS_MAX);
		if (eq && eq < nl) {
			field = strndup(p + off, (size_t)(nl - p - off));
			off = (size_t)(nl - p) + 1;
		} else {
			size_t nlen = (size_t)(nl - p - off);
			uint64_t vlen;

			ck_assert_uint_ge(len - off, nlen + 1 + 8);
			memcpy(&vlen, nl + 1, 8);
			vlen = le64toh(vlen);
			ck_assert_uint_ge(len - off, nlen + 1 + 8 + vlen + 1);
			ck_assert_int_eq(nl[1 + 8 + vlen], '\n');
			field = malloc(nlen + 1 + vlen + 1);
			ck_assert_ptr_nonnull(field);
			memcpy(field, p + off, nlen);
			field[nlen] = '=';
			memcpy(field + nlen + 1, nl + 1 + 8, vlen);
			field[nlen + 1 + vlen] = 0;
			off += nlen + 1 + 8 + vlen + 1;
		}
		ck_assert_ptr_nonnull(field);
		e->field[e->n++] = field;
	}
}

/* The value of NAME in e, or NULL. */
static const char *entry_get(const struct fake_entry *e, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->field[i], name, l) == 0 && e->field[i][l] == '=')
			return e->field[i] + l + 1;
	return NULL;
}

/* The next datagram, decoded; false when none waits. */
static bool fake_recv(struct fake_journald *f, struct fake_entry *e)
{
	static char buf[65536];
	ssize_t n = recv(f->fd, buf, sizeof(buf), 0);

	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return false;
	}
	entry_parse(buf, (size_t)n, e);
	return true;
}

static void drops_event(uint64_t drops, struct sw_event *ev)
{
	struct ev_spec s = { .kind = SW_EV_LISTEN_DROPS, .listener = "127.0.0.1:8080",
			     .level = SW_LEVEL_WARNING, .drops = drops, .drops_total = drops };

	build_event(&s, ev);
}

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Replays after an outage are tried once the retry interval (1 ms here)
 * has passed. */
static void after_retry(void)
{
	usleep(3000);
}

START_TEST(test_native_protocol)
{
	struct ev_spec ls = { .kind = SW_EV_LIFECYCLE, .lifecycle = "config rejected",
			      .text = "f:1: a\nf:2: b" };
	struct fake_journald f;
	struct sw_journal *j = NULL;
	struct sw_journal_stats st;
	struct fake_entry e = { .n = 0 };
	struct sw_event ev;
	char *out;

	fake_init(&f);
	fake_bind(&f);
	ck_assert_int_eq(journal_open(SW_LOG_JOURNAL, LOG_INFO, &j), 0);
	ck_assert_int_eq(journal_set_socket(j, f.path, 1000), 0);
	ck_assert_int_eq(journal_set_queue(j, 8), 0);
	capture_start();
	drops_event(7, &ev);
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	build_event(&ls, &ev);
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	ck_assert_str_eq(out, "");
	free(out);

	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_EVENT"), "listen-drops");
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DROPS"), "7");
	ck_assert_str_eq(entry_get(&e, "MESSAGE_ID"), SW_MID_LISTEN_DROPS);
	ck_assert_str_eq(entry_get(&e, "SYSLOG_IDENTIFIER"), "sockwatchd");
	ck_assert_ptr_nonnull(strstr(entry_get(&e, "MESSAGE"), "7 connections dropped"));
	ck_assert_ptr_null(entry_get(&e, "SOCKWATCH_DELAYED"));
	ck_assert_ptr_null(entry_get(&e, "CODE_FILE"));
	entry_free(&e);
	/* A value with newlines goes length-prefixed, unchanged. */
	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "MESSAGE"), "sockwatchd config rejected: f:1: a\nf:2: b");
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_LIFECYCLE"), "config rejected");
	entry_free(&e);
	ck_assert(!fake_recv(&f, &e));

	journal_get_stats(j, &st);
	ck_assert(st.active && st.reachable);
	ck_assert_uint_eq(st.outages, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.queue_max, 8);
	journal_close(j);
	fake_done(&f);
}
END_TEST

/* journald gone: each entry goes to stderr at once and waits; once it is
 * back, a notice, then every waiting entry in order, marked delayed with the
 * time it was raised; then new entries as usual. */
START_TEST(test_queue_replay)
{
	struct fake_journald f;
	struct sw_journal *j = NULL;
	struct sw_journal_stats st;
	struct fake_entry e = { .n = 0 };
	struct sw_event ev;
	uint64_t t0, t1;
	char *out, want[32];

	fake_init(&f);
	ck_assert_int_eq(journal_open(SW_LOG_JOURNAL, LOG_INFO, &j), 0);
	ck_assert_int_eq(journal_set_socket(j, f.path, 1000), 0);
	ck_assert_int_eq(journal_set_queue(j, SW_JOURNAL_QUEUE_DEFAULT), 0);
	t0 = realtime_usec();
	capture_start();
	for (uint64_t i = 1; i <= 3; i++) {
		drops_event(i, &ev);
		ck_assert_int_eq(journal_emit(j, &ev), 0);
	}
	journal_log(j, LOG_ERR, "poll failed meanwhile");
	out = capture_end();
	t1 = realtime_usec();
	/* The note, three alerts, the diagnostic. */
	ck_assert_msg(count_lines(out) == 5, "'%s'", out);
	ck_assert_ptr_nonnull(strstr(out, "cannot send to the journal (No such file or directory)"));
	ck_assert_ptr_nonnull(strstr(out, "keeping the entries (at most 1024)"));
	ck_assert_ptr_nonnull(strstr(out, "3 connections dropped"));
	free(out);
	journal_get_stats(j, &st);
	ck_assert(st.active && !st.reachable);
	ck_assert_uint_eq(st.outages, 1);
	ck_assert_uint_eq(st.queued, 4);
	ck_assert_uint_gt(st.queued_bytes, 0);
	/* Not back yet: flushing changes nothing. */
	after_retry();
	ck_assert_int_lt(journal_flush(j), 0);
	journal_get_stats(j, &st);
	ck_assert_uint_eq(st.queued, 4);
	ck_assert_uint_eq(st.outages, 1);

	fake_bind(&f);
	after_retry();
	ck_assert_int_eq(journal_flush(j), 0);
	ck_assert(fake_recv(&f, &e));
	ck_assert_ptr_nonnull(strstr(entry_get(&e, "MESSAGE"), "journal reachable again after"));
	ck_assert_ptr_nonnull(strstr(entry_get(&e, "MESSAGE"), "the entries raised meanwhile (4) follow"));
	ck_assert_str_eq(entry_get(&e, "PRIORITY"), "5");
	entry_free(&e);
	for (uint64_t i = 1; i <= 3; i++) {
		uint64_t when;

		ck_assert(fake_recv(&f, &e));
		snprintf(want, sizeof(want), "%" PRIu64, i);
		ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DROPS"), want);
		ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DELAYED"), "1");
		ck_assert_ptr_nonnull(entry_get(&e, "SOCKWATCH_ORIGINAL_TIME_USEC"));
		when = strtoull(entry_get(&e, "SOCKWATCH_ORIGINAL_TIME_USEC"), NULL, 10);
		ck_assert_uint_ge(when, t0);
		ck_assert_uint_le(when, t1);
		entry_free(&e);
	}
	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "MESSAGE"), "poll failed meanwhile");
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DELAYED"), "1");
	entry_free(&e);
	ck_assert(!fake_recv(&f, &e));
	journal_get_stats(j, &st);
	ck_assert(st.reachable);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.queued_bytes, 0);
	ck_assert_uint_eq(st.replayed, 4);
	ck_assert_uint_eq(st.dropped, 0);

	/* Back to normal: straight to the journal, nothing on stderr. */
	capture_start();
	drops_event(9, &ev);
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DROPS"), "9");
	ck_assert_ptr_null(entry_get(&e, "SOCKWATCH_DELAYED"));
	entry_free(&e);

	/* A crash (stale socket: ECONNREFUSED) is a second outage; an entry
	 * raised while it lasts is sent with the next one once it is back. */
	fake_close(&f);
	ck_assert_int_eq(mknod(f.path, S_IFSOCK | 0600, 0), 0);
	capture_start();
	drops_event(10, &ev);
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	ck_assert_ptr_nonnull(strstr(out, "cannot send to the journal (Connection refused)"));
	free(out);
	unlink(f.path);
	fake_bind(&f);
	after_retry();
	capture_start();
	drops_event(11, &ev);
	ck_assert_int_eq(journal_emit(j, &ev), 0);
	out = capture_end();
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert(fake_recv(&f, &e));   /* the notice */
	entry_free(&e);
	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DROPS"), "10");
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DELAYED"), "1");
	entry_free(&e);
	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DROPS"), "11");
	ck_assert_ptr_null(entry_get(&e, "SOCKWATCH_DELAYED"));
	entry_free(&e);
	journal_get_stats(j, &st);
	ck_assert_uint_eq(st.outages, 2);
	ck_assert_uint_eq(st.replayed, 5);
	journal_close(j);
	fake_done(&f);
}
END_TEST

/* A full queue lets the oldest go, counts them, and says so once the
 * journal is back. */
START_TEST(test_queue_bounded)
{
	struct fake_journald f;
	struct sw_journal *j = NULL;
	struct sw_journal_stats st;
	struct fake_entry e = { .n = 0 };
	struct sw_event ev;
	char *out, want[32];

	fake_init(&f);
	ck_assert_int_eq(journal_open(SW_LOG_AUTO, LOG_INFO, &j), 0);
	ck_assert_int_eq(journal_set_socket(j, f.path, 1000), 0);
	ck_assert_int_eq(journal_set_queue(j, 4), 0);
	ck_assert_int_eq(journal_set_queue(j, SW_JOURNAL_QUEUE_MAX_LIMIT + 1), -EINVAL);
	capture_start();
	for (uint64_t i = 1; i <= 6; i++) {
		drops_event(i, &ev);
		ck_assert_int_eq(journal_emit(j, &ev), 0);
	}
	out = capture_end();
	/* auto without a socket: plain stderr lines, no note. */
	ck_assert_msg(count_lines(out) == 6, "'%s'", out);
	free(out);
	journal_get_stats(j, &st);
	ck_assert_uint_eq(st.queued, 4);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_uint_eq(st.outages, 0);

	fake_bind(&f);
	after_retry();
	ck_assert_int_eq(journal_flush(j), 0);
	ck_assert(fake_recv(&f, &e));
	ck_assert_ptr_nonnull(strstr(entry_get(&e, "MESSAGE"), "meanwhile (4) follow"));
	entry_free(&e);
	for (uint64_t i = 3; i <= 6; i++) {
		ck_assert(fake_recv(&f, &e));
		snprintf(want, sizeof(want), "%" PRIu64, i);
		ck_assert_str_eq(entry_get(&e, "SOCKWATCH_DROPS"), want);
		entry_free(&e);
	}
	ck_assert(fake_recv(&f, &e));
	ck_assert_str_eq(entry_get(&e, "MESSAGE"),
			 "2 entries raised while the journal was unreachable could not be kept "
			 "for it (at most 4 are): only stderr has them");
	entry_free(&e);
	ck_assert(!fake_recv(&f, &e));
	/* Said once. */
	ck_assert_int_eq(journal_flush(j), 0);
	ck_assert(!fake_recv(&f, &e));
	journal_close(j);
	fake_done(&f);
}
END_TEST

/* A journald that does not read (hung): sending waits 50 ms once, then the
 * entries go to stderr without waiting; none is lost or sent twice once it
 * reads again. */
START_TEST(test_hung_journald)
{
	struct fake_journald f;
	struct sw_journal *j = NULL;
	struct sw_journal_stats st;
	struct fake_entry e = { .n = 0 };
	struct sw_event ev;
	bool seen[41] = { false };
	size_t got = 0, notes = 0;
	uint64_t t0, took;
	char *out;

	fake_init(&f);
	fake_bind(&f);
	ck_assert_int_eq(journal_open(SW_LOG_JOURNAL, LOG_INFO, &j), 0);
	/* The retry interval is long enough that the loop below never retries. */
	ck_assert_int_eq(journal_set_socket(j, f.path, 10 * USEC_PER_SEC), 0);
	ck_assert_int_eq(journal_set_queue(j, 64), 0);
	t0 = util_now_usec();
	capture_start();
	for (uint64_t i = 1; i <= 40; i++) {
		drops_event(i, &ev);
		ck_assert_int_eq(journal_emit(j, &ev), 0);
	}
	out = capture_end();
	took = util_now_usec() - t0;
	ck_assert_msg(took < 500 * USEC_PER_MSEC, "40 entries took %" PRIu64 " us", took);
	ck_assert_ptr_nonnull(strstr(out, "cannot send to the journal (Resource temporarily unavailable)"));
	free(out);
	journal_get_stats(j, &st);
	ck_assert(!st.reachable);
	ck_assert_uint_gt(st.queued, 0);
	ck_assert_uint_lt(st.queued, 40);

	/* journald reads again; the next flush (forced by the retry time
	 * having come) delivers the rest. */
	ck_assert_int_eq(journal_set_socket(j, f.path, 1000), 0);
	/* Each round fills the stand-in's queue again: more outage notes. */
	capture_start();
	for (int round = 0; round < 100 && got < 40; round++) {
		while (fake_recv(&f, &e)) {
			const char *d = entry_get(&e, "SOCKWATCH_DROPS");

			if (d) {
				uint64_t i = strtoull(d, NULL, 10);

				ck_assert_uint_ge(i, 1);
				ck_assert_uint_le(i, 40);
				ck_assert_msg(!seen[i], "entry %" PRIu64 " twice", i);
				seen[i] = true;
				got++;
			} else {
				notes++;
			}
			entry_free(&e);
		}
		after_retry();
		(void)journal_flush(j);
	}
	free(capture_end());
	ck_assert_uint_eq(got, 40);
	ck_assert_uint_ge(notes, 1);
	journal_get_stats(j, &st);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.dropped, 0);
	journal_close(j);
	fake_done(&f);
}
END_TEST

/* A stderr that is a socket nobody reads (journald's stream, hung) never
 * blocks a line: it is counted as lost instead. */
START_TEST(test_stderr_socket_full)
{
	struct sw_journal *j = NULL;
	struct sw_journal_stats st;
	struct sw_event ev;
	int sp[2], saved, r = 0, sndbuf = 4096;
	uint64_t t0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(dup2(sp[0], STDERR_FILENO), 0);
	ck_assert_int_eq(journal_open(SW_LOG_STDERR, LOG_INFO, &j), 0);
	drops_event(1, &ev);
	t0 = util_now_usec();
	for (int i = 0; i < 2000 && r == 0; i++)
		r = journal_emit(j, &ev);
	ck_assert_int_eq(r, -EAGAIN);
	ck_assert_uint_lt(util_now_usec() - t0, USEC_PER_SEC);
	journal_get_stats(j, &st);
	ck_assert_uint_eq(st.stderr_lost, 1);
	ck_assert(!st.active);
	journal_close(j);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

/* The native-protocol fields of an event: SOCKWATCH_PERCENT uses the same
 * truncation as MESSAGE; a value with a newline is length-prefixed. */
static const struct {
	const char *field;      /* a field that must be among the event's */
	double percent;
} wire_cases[] = {
	{ "SOCKWATCH_PERCENT=94.9", 100.0 * 3891 / 4096 },
	{ "SOCKWATCH_PERCENT=106.2", 100.0 * 17 / 16 },
	{ "SOCKWATCH_PERCENT=100", 100.0 },
	{ "SOCKWATCH_DEPTH=3891", 50.0 },
	{ "SOCKWATCH_LEVEL=warning", 50.0 },
};

START_TEST(test_wire_fields)
{
	struct ev_spec spec = {
		.kind = SW_EV_ACCEPT_QUEUE, .listener = "127.0.0.1:8080", .level = SW_LEVEL_WARNING,
		.queue = SW_QUEUE_ACCEPT, .depth = 3891, .limit = 4096, .src = SW_SRC_SOMAXCONN,
		.percent = wire_cases[_i].percent,
	};
	static char text[JOURNAL_FIELDBUF_MAX];
	struct journal_fields f;
	struct sw_event ev;
	bool found = false;

	build_event(&spec, &ev);
	journal_wire_fields_init(&f, text, sizeof(text));
	journal_wire_event_fields(&f, &ev, "a\nb");
	ck_assert_int_eq(f.err, 0);
	for (size_t i = 0; i < f.n; i++)
		found |= f.iov[i].iov_len == strlen(wire_cases[_i].field) &&
			 memcmp(f.iov[i].iov_base, wire_cases[_i].field, f.iov[i].iov_len) == 0;
	ck_assert_msg(found, "no %s", wire_cases[_i].field);
}
END_TEST

/* The namespace fields: the name always (host for the own one), the id
 * only when known, container and pod uid only when a cgroup named them;
 * lifecycle entries carry none. */
static const struct {
	const char *name;
	struct ev_spec ev;
	const char *has[4];
	const char *hasnt[4];   /* field names: "SOCKWATCH_NETNS_ID" */
} wire_netns_cases[] = {
	{ "own, id unknown",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "0.0.0.0:80", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT },
	  { "SOCKWATCH_NETNS=host" },
	  { "SOCKWATCH_NETNS_ID", "SOCKWATCH_CONTAINER", "SOCKWATCH_POD_UID" } },
	{ "own, id known",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "0.0.0.0:80", .netns_id = 1,
	    .level = SW_LEVEL_WARNING, .queue = SW_QUEUE_ACCEPT },
	  { "SOCKWATCH_NETNS=host", "SOCKWATCH_NETNS_ID=1" },
	  { "SOCKWATCH_CONTAINER", "SOCKWATCH_POD_UID" } },
	{ "docker container",
	  { .kind = SW_EV_LISTEN_DROPS, .listener = "0.0.0.0:80", .netns = NS_DOCKER,
	    .netns_id = 18446744073709551615ULL, .container = NS_DOCKER_ID,
	    .level = SW_LEVEL_CRITICAL, .drops = 1, .drops_total = 1 },
	  { "SOCKWATCH_NETNS=" NS_DOCKER, "SOCKWATCH_NETNS_ID=18446744073709551615",
	    "SOCKWATCH_CONTAINER=" NS_DOCKER_ID },
	  { "SOCKWATCH_POD_UID" } },
	{ "pod, container too",
	  { .kind = SW_EV_SYN_QUEUE, .listener = "[::]:443", .netns = "pod:" NS_POD_UID,
	    .netns_id = 4100, .container = NS_DOCKER_ID, .pod_uid = NS_POD_UID,
	    .level = SW_LEVEL_WARNING, .queue = SW_QUEUE_SYN },
	  { "SOCKWATCH_NETNS=pod:" NS_POD_UID, "SOCKWATCH_NETNS_ID=4100",
	    "SOCKWATCH_CONTAINER=" NS_DOCKER_ID, "SOCKWATCH_POD_UID=" NS_POD_UID },
	  {0} },
	{ "ip netns, namespace-wide",
	  { .kind = SW_EV_SYNCOOKIES, .netns = "blue", .netns_id = 77, .level = SW_LEVEL_WARNING,
	    .ctr = { [SW_CTR_SYNCOOKIES_SENT] = 1 } },
	  { "SOCKWATCH_NETNS=blue", "SOCKWATCH_NETNS_ID=77" },
	  { "SOCKWATCH_CONTAINER", "SOCKWATCH_POD_UID" } },
	{ "unix listener: path, family, no port, address or drops",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "/run/php/www.sock", .level = SW_LEVEL_CRITICAL,
	    .queue = SW_QUEUE_ACCEPT, .depth = 5, .limit = 4, .full_polls = 3, .full_ms = 400,
	    .sock_type = SOCK_SEQPACKET },
	  { "SOCKWATCH_LISTENER=/run/php/www.sock", "SOCKWATCH_PATH=/run/php/www.sock",
	    "SOCKWATCH_FAMILY=unix", "SOCKWATCH_FULL_POLLS=3" },
	  { "SOCKWATCH_PORT", "SOCKWATCH_ADDRESS", "SOCKWATCH_DROPS", "SOCKWATCH_DROPS_TOTAL" } },
	{ "unix listener not full: no full fields",
	  { .kind = SW_EV_ACCEPT_QUEUE, .listener = "@x", .level = SW_LEVEL_WARNING,
	    .queue = SW_QUEUE_ACCEPT, .depth = 3, .limit = 4 },
	  { "SOCKWATCH_PATH=@x", "SOCKWATCH_SOCKET_TYPE=stream", "SOCKWATCH_QUEUE=accept" },
	  { "SOCKWATCH_FULL_POLLS", "SOCKWATCH_FULL_MS", "SOCKWATCH_PORT" } },
	{ "lifecycle: no namespace at all",
	  { .kind = SW_EV_LIFECYCLE, .lifecycle = "started", .netns_id = 5 },
	  {0},
	  { "SOCKWATCH_NETNS", "SOCKWATCH_NETNS_ID", "SOCKWATCH_CONTAINER", "SOCKWATCH_POD_UID" } },
};

static bool wire_has(const struct journal_fields *f, const char *field, bool name_only)
{
	size_t n = strlen(field);

	for (size_t i = 0; i < f->n; i++) {
		const char *p = f->iov[i].iov_base;
		size_t len = f->iov[i].iov_len;

		if (name_only ? len > n && memcmp(p, field, n) == 0 && p[n] == '='
			      : len == n && memcmp(p, field, n) == 0)
			return true;
	}
	return false;
}

START_TEST(test_wire_netns)
{
	static char text[JOURNAL_FIELDBUF_MAX];
	struct journal_fields f;
	struct sw_event ev;

	build_event(&wire_netns_cases[_i].ev, &ev);
	journal_wire_fields_init(&f, text, sizeof(text));
	journal_wire_event_fields(&f, &ev, "m");
	ck_assert_int_eq(f.err, 0);
	for (size_t k = 0; k < SW_ARRAY_SIZE(wire_netns_cases[_i].has) &&
			   wire_netns_cases[_i].has[k]; k++)
		ck_assert_msg(wire_has(&f, wire_netns_cases[_i].has[k], false), "%s: no %s",
			      wire_netns_cases[_i].name, wire_netns_cases[_i].has[k]);
	for (size_t k = 0; k < SW_ARRAY_SIZE(wire_netns_cases[_i].hasnt) &&
			   wire_netns_cases[_i].hasnt[k]; k++)
		ck_assert_msg(!wire_has(&f, wire_netns_cases[_i].hasnt[k], true), "%s: has %s",
			      wire_netns_cases[_i].name, wire_netns_cases[_i].hasnt[k]);
}
END_TEST

START_TEST(test_wire_encode)
{
	static const char want[] = "A=1\nMESSAGE\n\x03\0\0\0\0\0\0\0x\ny\n";
	struct iovec iov[2] = {
		{ .iov_base = (void *)"A=1", .iov_len = 3 },
		{ .iov_base = (void *)"MESSAGE=x\ny", .iov_len = 11 },
	};
	char w[64];

	ck_assert_uint_eq(journal_wire_encode(w, sizeof(w), iov, 2), sizeof(want) - 1);
	ck_assert_int_eq(memcmp(w, want, sizeof(want) - 1), 0);
	/* Too small, or a field without '=': nothing. */
	ck_assert_uint_eq(journal_wire_encode(w, sizeof(want) - 2, iov, 2), 0);
	iov[0].iov_base = (void *)"A1";
	iov[0].iov_len = 2;
	ck_assert_uint_eq(journal_wire_encode(w, sizeof(w), iov, 1), 0);
}
END_TEST

/* The advice is one text for the journal and sockwatchctl show: by
 * setting name, with the clause the SYN cookie mode adds. */
static const struct {
	struct advice_limit a;
	const char *want;       /* the start of the sentence */
	const char *end;        /* and its end */
} advice_cases[] = {
	{ { .source = "listen-backlog", .somaxconn = 4096, .max_syn_backlog = -1 },
	  "its listen() backlog binds, not net.core.somaxconn (4096): raise the backlog",
	  "(raising net.core.somaxconn alone does nothing)" },
	{ { .source = "listen-backlog", .somaxconn = -1, .max_syn_backlog = -1,
	    .somaxconn_stale = true, .also = ", or enable net.ipv4.tcp_syncookies" },
	  "its listen() backlog binds, not net.core.somaxconn: raise the backlog in the "
	  "application, or enable net.ipv4.tcp_syncookies",
	  "it keeps its old limit until it calls listen() again" },
	{ { .source = "net.core.somaxconn", .somaxconn = 128, .max_syn_backlog = -1 },
	  "net.core.somaxconn (128) binds: raise it and restart/re-listen", "read at listen())" },
	{ { .source = "net.core.somaxconn", .somaxconn = 4096, .max_syn_backlog = -1, .limit = 128,
	    .somaxconn_stale = true },
	  "net.core.somaxconn bound it when the service called listen(), and the listener still "
	  "runs with that old limit (128)", "restart/re-listen the service to apply it" },
	{ { .source = "net.core.somaxconn", .somaxconn = 64, .max_syn_backlog = -1, .limit = 128,
	    .somaxconn_stale = true },
	  "net.core.somaxconn bound it", ": raise net.core.somaxconn and restart/re-listen the service" },
	{ { .source = "net.ipv4.tcp_max_syn_backlog", .somaxconn = -1, .max_syn_backlog = 256 },
	  "net.ipv4.tcp_max_syn_backlog (256) binds (the SYN queue holds at most 3/4 of it)",
	  "raise net.ipv4.tcp_max_syn_backlog or enable net.ipv4.tcp_syncookies" },
	{ { .source = NULL, .somaxconn = -1, .max_syn_backlog = -1, .also = " if this is legitimate load" },
	  "raise the application's listen() backlog, and net.core.somaxconn if the backlog is "
	  "larger if this is legitimate load", "legitimate load" },
};

START_TEST(test_advice)
{
	char buf[1024];
	int r = advice_binding(&advice_cases[_i].a, buf, sizeof(buf));
	size_t n = strlen(advice_cases[_i].end);

	ck_assert_int_eq(r, (int)strlen(buf));
	ck_assert_msg(strncmp(buf, advice_cases[_i].want, strlen(advice_cases[_i].want)) == 0,
		      "%d: '%s'", _i, buf);
	ck_assert_msg(strlen(buf) >= n && strcmp(buf + strlen(buf) - n, advice_cases[_i].end) == 0,
		      "%d: '%s' does not end in '%s'", _i, buf, advice_cases[_i].end);
	ck_assert_int_eq(advice_known_source(advice_cases[_i].a.source), advice_cases[_i].a.source != NULL);
	ck_assert_int_eq(advice_binding(&advice_cases[_i].a, buf, 10), -ENOBUFS);
	ck_assert_uint_eq(strlen(buf), 9);
}
END_TEST

START_TEST(test_advice_syn_also)
{
	ck_assert_str_eq(advice_syn_also("drop-on-overflow", false), ", or enable net.ipv4.tcp_syncookies");
	ck_assert_str_eq(advice_syn_also("drop-on-overflow", true), ", or enable net.ipv4.tcp_syncookies");
	ck_assert_str_eq(advice_syn_also("cookies-on-overflow", true), " if this is legitimate load");
	ck_assert_str_eq(advice_syn_also("cookies-on-overflow", false), "");
	ck_assert_str_eq(advice_syn_also("cookies-always", true), "");
	ck_assert_str_eq(advice_syn_also(NULL, true), "");
	ck_assert(!advice_known_source("unknown"));
}
END_TEST

/* A sysctl's value after its name, the one way for advice and MESSAGE. */
START_TEST(test_advice_value)
{
	char b[32];

	ck_assert_str_eq(advice_value(4096, b, sizeof(b)), " (4096)");
	ck_assert_str_eq(advice_value(0, b, sizeof(b)), " (0)");
	ck_assert_str_eq(advice_value(INT32_MAX, b, sizeof(b)), " (2147483647)");
	ck_assert_str_eq(advice_value(-1, b, sizeof(b)), "");
	ck_assert_str_eq(advice_value(INT32_MIN, b, sizeof(b)), "");
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("message");

	tcase_add_loop_test(tc, test_message, 0, (int)SW_ARRAY_SIZE(msg_cases));
	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_message_buffer);
	tcase_add_loop_test(tc, test_wire_fields, 0, (int)SW_ARRAY_SIZE(wire_cases));
	tcase_add_loop_test(tc, test_wire_netns, 0, (int)SW_ARRAY_SIZE(wire_netns_cases));
	tcase_add_test(tc, test_wire_encode);
	tcase_add_loop_test(tc, test_advice, 0, (int)SW_ARRAY_SIZE(advice_cases));
	tcase_add_test(tc, test_advice_syn_also);
	tcase_add_test(tc, test_advice_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("stderr");
	tcase_add_loop_test(tc, test_stderr_line, 0, (int)SW_ARRAY_SIZE(line_cases));
	tcase_add_test(tc, test_stderr_long_line);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_fallback_without_journald);
	suite_add_tcase(s, tc);

	tc = tcase_create("outages");
	tcase_add_test(tc, test_native_protocol);
	tcase_add_test(tc, test_queue_replay);
	tcase_add_test(tc, test_queue_bounded);
	tcase_add_test(tc, test_hung_journald);
	tcase_add_test(tc, test_stderr_socket_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(journal_suite());
}

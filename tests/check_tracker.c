/* tracker: listeners appearing and vanishing (gone entries, drops flushed),
 * a cookie taken over by another socket, a reuseport pair sharing one SYN
 * group, drops baseline and u32 wrap, namespace counter deltas and the
 * syncookies entry, filter and ignore, memory over churn, history slots,
 * SYN rules only on scanned polls and never under cookies-always, and the
 * figures the events carry. Snapshots are built by hand: the tests do not
 * depend on the dump code. */
#include <arpa/inet.h>
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "checkrun.h"
#include "config.h"
#include "metrics.h"
#include "status.h"
#include "tracker.h"
#include "usnap.h"

#define S USEC_PER_SEC
#define NETNS 4026532281ULL

#include "snapbuild.h"

/* ---- fixtures ---------------------------------------------------------------- */

static struct sw_tracker *t;
static struct sw_config *cfg;
static struct sw_snapshot snap;
static struct sw_events ev;
static char sigbuf[4096];

static void setup(void)
{
	struct sw_nsinfo info = { .id = NETNS, .name = { .kind = NETNS_KIND_NETNS, .name = "blue" } };

	ck_assert_int_eq(tracker_new(&t), 0);
	tracker_set_ns(t, &info);
	ck_assert_int_eq(config_new_default(&cfg), 0);
	cfg->realert_usec = 0;
	snap_init(&snap);
	memset(&ev, 0, sizeof(ev));
}

static void teardown(void)
{
	tracker_free(t);
	config_free(cfg);
	snap_free(&snap);
	events_free(&ev);
	t = NULL;
	cfg = NULL;
}

/* The facts a SYN scan is decided on (by the manager) as the tracker
 * leaves them after an update: a namespace counter that moved (known and
 * above zero), and the tracked listeners' drops. */
static bool moved(enum sw_counter c)
{
	const struct sw_ns_state *ns = tracker_ns(t);

	return (ns->delta_known & (1u << c)) && ns->delta[c] > 0;
}

static bool syn_counter_moved(void)
{
	return moved(SW_CTR_LISTEN_DROPS) || moved(SW_CTR_REQQ_FULL_DROP) ||
	       moved(SW_CTR_REQQ_FULL_COOKIES) || moved(SW_CTR_SYNCOOKIES_SENT);
}

static bool listener_drops_moved(void)
{
	return tracker_ns(t)->listener_drops_delta > 0;
}

/* The events of one update as "kind:...@cookie" words, e.g.
 * "accept-queue:warning@1 cleared:accept:warning:gone@1 listen-drops:5@1". */
static const char *sig(const struct sw_events *e)
{
	size_t off = 0;

	sigbuf[0] = 0;
	for (size_t i = 0; i < e->n; i++) {
		const struct sw_event *x = &e->v[i];
		char w[128];

		switch (x->kind) {
		case SW_EV_ACCEPT_QUEUE:
		case SW_EV_SYN_QUEUE:
			snprintf(w, sizeof(w), "%s:%s", event_kind_name(x->kind),
				 event_level_name(x->level));
			break;
		case SW_EV_CLEARED:
			snprintf(w, sizeof(w), "cleared:%s:%s%s", event_queue_name(x->queue),
				 event_level_name(x->cleared_level), x->listener_gone ? ":gone" : "");
			break;
		case SW_EV_LISTEN_DROPS:
			snprintf(w, sizeof(w), "listen-drops:%llu", (unsigned long long)x->drops);
			break;
		case SW_EV_SYNCOOKIES:
			snprintf(w, sizeof(w), "syncookies:%s", event_level_name(x->level));
			break;
		default:
			snprintf(w, sizeof(w), "other");
			break;
		}
		if (x->has_listener)
			snprintf(w + strlen(w), sizeof(w) - strlen(w), "@%llu",
				 (unsigned long long)x->cookie);
		off += (size_t)snprintf(sigbuf + off, sizeof(sigbuf) - off, "%s%s",
					i ? " " : "", w);
		ck_assert_uint_lt(off, sizeof(sigbuf));
	}
	return sigbuf;
}

/* One update at t seconds; returns its events' signature. */
static const char *poll_at(double secs)
{
	events_clear(&ev);
	ck_assert_int_eq(tracker_update(t, &snap, NULL, cfg, (uint64_t)(secs * S), &ev), 0);
	return sig(&ev);
}

static const struct sw_event *find_event(enum sw_event_kind k, uint64_t cookie)
{
	for (size_t i = 0; i < ev.n; i++)
		if (ev.v[i].kind == k && (!ev.v[i].has_listener || ev.v[i].cookie == cookie))
			return &ev.v[i];
	return NULL;
}

/* ---- tests --------------------------------------------------------------------- */

START_TEST(test_appear_vanish)
{
	const struct sw_tracked *tr;
	const struct sw_event *e;

	snap_add(&snap, 1, "127.0.0.1:8080", 85, 100, 0);
	snap_add(&snap, 2, "[::1]:443", 0, 100, 0);
	ck_assert_str_eq(poll_at(1), "accept-queue:warning@1");
	ck_assert_uint_eq(tracker_count(t), 2);
	ck_assert_ptr_null(tracker_get(t, 2));

	tr = tracker_find(t, 1);
	ck_assert_ptr_nonnull(tr);
	ck_assert_uint_eq(tr->port, 8080);
	ck_assert_uint_eq(tr->accept.depth, 85);
	ck_assert_uint_eq(tr->accept.limit, 100);
	ck_assert_double_eq_tol(tr->accept.percent, 85, 1e-9);
	ck_assert_int_eq(tr->level, SW_LEVEL_WARNING);
	ck_assert_uint_eq(tr->first_seen_usec, 1 * S);
	ck_assert_uint_eq(tr->netns, NETNS);
	/* No scan yet: the SYN limit is known, the depth is not. */
	ck_assert(!tr->syn_scanned);
	ck_assert_uint_eq(tr->syn.limit, 100);
	ck_assert_int_eq(tr->syn.source, SW_SRC_LISTEN_BACKLOG);
	ck_assert_int_eq(tracker_find(t, 2)->family, AF_INET6);
	ck_assert_ptr_null(tracker_find(t, 3));

	/* Still there: no new entry, first_seen kept. */
	ck_assert_str_eq(poll_at(2), "");
	ck_assert_uint_eq(tracker_find(t, 1)->first_seen_usec, 1 * S);
	ck_assert_uint_eq(tracker_find(t, 1)->last_seen_usec, 2 * S);

	/* Both vanish: only the one in alert says so. */
	snap_reset(&snap);
	ck_assert_str_eq(poll_at(3), "cleared:accept:warning:gone@1");
	e = &ev.v[0];
	ck_assert_int_eq(e->level, SW_LEVEL_OK);
	ck_assert(e->has_listener);
	ck_assert_uint_eq(e->port, 8080);
	ck_assert_uint_eq(e->ns.id, NETNS);
	ck_assert_str_eq(e->ns.name.name, "blue");
	ck_assert_uint_eq(tracker_count(t), 0);
	ck_assert_ptr_null(tracker_find(t, 1));
	ck_assert_str_eq(poll_at(4), "");
}
END_TEST

START_TEST(test_vanish_flushes_drops)
{
	snap_add(&snap, 1, "127.0.0.1:8080", 0, 100, 100);
	ck_assert_str_eq(poll_at(1), "");
	snap.listeners[0].drops = 110;
	ck_assert_str_eq(poll_at(2), "listen-drops:10@1");
	/* Within the minute, but a queue entry is raised: it carries them. */
	snap.listeners[0].drops = 115;
	snap.listeners[0].accept_depth = 99;
	ck_assert_str_eq(poll_at(3), "accept-queue:critical@1");
	ck_assert_uint_eq(ev.v[0].drops, 5);
	ck_assert_uint_eq(ev.v[0].drops_total, 15);
	ck_assert_uint_eq(tracker_find(t, 1)->drops_rule.unreported, 0);
	/* More within the minute with the alert open: held. */
	snap.listeners[0].drops = 118;
	ck_assert_str_eq(poll_at(4), "");
	ck_assert_uint_eq(tracker_find(t, 1)->drops_rule.unreported, 3);
	/* Vanishing: the held drops first, then the alert closes. */
	snap_reset(&snap);
	ck_assert_str_eq(poll_at(5), "listen-drops:3@1 cleared:accept:critical:gone@1");
	ck_assert_uint_eq(ev.v[0].drops_total, 18);
	ck_assert_int_eq(ev.v[0].level, SW_LEVEL_CRITICAL);
}
END_TEST

START_TEST(test_cookie_reuse)
{
	const struct sw_tracked *tr;

	snap_add(&snap, 7, "127.0.0.1:80", 90, 100, 3);
	ck_assert_str_eq(poll_at(1), "accept-queue:warning@7");
	/* Same cookie, another socket: the old one is gone, the new one starts
	 * from scratch. It was born since the last poll with sk_drops at 0, so
	 * what it shows was lost since: reported. */
	snap_reset(&snap);
	snap_add(&snap, 7, "127.0.0.1:81", 0, 100, 500);
	ck_assert_str_eq(poll_at(2), "cleared:accept:warning:gone@7 listen-drops:500@7");
	ck_assert_uint_eq(ev.v[0].port, 80);
	ck_assert_uint_eq(tracker_count(t), 1);
	tr = tracker_find(t, 7);
	ck_assert_uint_eq(tr->port, 81);
	ck_assert_int_eq(tr->level, SW_LEVEL_OK);
	ck_assert_uint_eq(tr->drops.total, 500);
	ck_assert_uint_eq(tr->first_seen_usec, 2 * S);
	/* Within the minute: held, then flushed after it. */
	snap.listeners[0].drops = 501;
	ck_assert_str_eq(poll_at(3), "");
	ck_assert_str_eq(poll_at(63), "listen-drops:1@7");
	ck_assert_uint_eq(ev.v[0].port, 81);
}
END_TEST

START_TEST(test_reuseport_group)
{
	const struct sw_tracked *a, *b;
	struct sw_syn_group *g;
	const struct sw_event *e;

	/* Dump order puts the higher cookie first: the reporter is still the
	 * lowest cookie. */
	snap_add(&snap, 11, "0.0.0.0:443", 0, 10, 0);
	snap_add(&snap, 10, "0.0.0.0:443", 0, 10, 0);
	snap_add(&snap, 12, "127.0.0.1:443", 0, 10, 0);
	g = snap_group(&snap, "0.0.0.0:443", 17);
	group_source(g, "10.0.0.2", 5);
	group_source(g, "10.0.0.1", 12);
	snap_group(&snap, "127.0.0.1:443", 0);

	/* 17 of 2 x 10: 85%, one entry for the shared queue. */
	ck_assert_str_eq(poll_at(1), "syn-queue:warning@10");
	e = &ev.v[0];
	ck_assert_int_eq(e->queue, SW_QUEUE_SYN);
	ck_assert_uint_eq(e->depth, 17);
	ck_assert_uint_eq(e->limit, 20);
	ck_assert_str_eq(e->top_sources, "10.0.0.1=12,10.0.0.2=5");
	a = tracker_find(t, 10);
	b = tracker_find(t, 11);
	ck_assert(a->syn_reporter && !b->syn_reporter);
	ck_assert(tracker_find(t, 12)->syn_reporter);     /* alone in its own group */
	ck_assert_uint_eq(tracker_find(t, 12)->syn_members, 1);
	ck_assert_uint_eq(tracker_find(t, 12)->syn.limit, 10);
	ck_assert_uint_eq(b->syn.depth, 17);
	ck_assert_uint_eq(b->syn.limit, 20);
	ck_assert_uint_eq(b->syn_members, 2);
	/* Both show the group's state. */
	ck_assert_int_eq(a->level, SW_LEVEL_WARNING);
	ck_assert_int_eq(b->level, SW_LEVEL_WARNING);
	ck_assert_str_eq(tracker_top_sources(b), "10.0.0.1=12,10.0.0.2=5");
	ck_assert_uint_eq(b->detail->n_top, 2);
	ck_assert_uint_eq(b->detail->other_sources, 0);
	ck_assert_int_eq(tracker_find(t, 12)->level, SW_LEVEL_OK);

	/* The reporter closes: no "gone" for a queue that is still there; the
	 * other member carries the alert on (escalating: 17 of its 10 now). */
	snap_reset(&snap);
	snap_add(&snap, 11, "0.0.0.0:443", 0, 10, 0);
	snap_group(&snap, "0.0.0.0:443", 17);
	ck_assert_str_eq(poll_at(2), "syn-queue:critical@11");
	b = tracker_find(t, 11);
	ck_assert(b->syn_reporter);
	ck_assert_uint_eq(b->syn_members, 1);
	ck_assert_str_eq(tracker_top_sources(b), "");

	/* Not scanned: no step, figures kept from the last scan. */
	snap.syn_scanned = false;
	ck_assert_str_eq(poll_at(3), "");
	ck_assert_uint_eq(tracker_find(t, 11)->syn.depth, 17);
	ck_assert_uint_eq(tracker_find(t, 11)->syn.limit, 10);
	ck_assert(!tracker_find(t, 11)->syn_scanned_last);
	ck_assert(tracker_find(t, 11)->syn_scanned);

	snap.syn_scanned = true;
	snap.groups[0].depth = 0;
	ck_assert_str_eq(poll_at(4), "cleared:syn:critical@11");
}
END_TEST

START_TEST(test_reuseport_gone_together)
{
	snap_add(&snap, 20, "0.0.0.0:80", 0, 10, 0);
	snap_add(&snap, 21, "0.0.0.0:80", 0, 10, 0);
	snap_group(&snap, "0.0.0.0:80", 20);
	ck_assert_str_eq(poll_at(1), "syn-queue:critical@20");
	/* A non-reporter leaving says nothing. */
	snap_reset(&snap);
	snap_add(&snap, 20, "0.0.0.0:80", 0, 10, 0);
	snap_group(&snap, "0.0.0.0:80", 20);
	ck_assert_str_eq(poll_at(2), "");
	/* The last member leaving closes the queue's alert once. */
	snap_reset(&snap);
	ck_assert_str_eq(poll_at(3), "cleared:syn:critical:gone@20");
}
END_TEST

/* A member that joined late has stepped fewer samples; when the reporter
 * leaves it must take the open alert over, not raise it a second time. */
START_TEST(test_reuseport_handover_state)
{
	cfg->sustain = 2;
	snap_add(&snap, 10, "0.0.0.0:80", 0, 10, 0);
	snap_group(&snap, "0.0.0.0:80", 9);
	ck_assert_str_eq(poll_at(1), "");
	ck_assert_str_eq(poll_at(2), "syn-queue:warning@10");
	snap_reset(&snap);
	snap_add(&snap, 10, "0.0.0.0:80", 0, 10, 0);
	snap_add(&snap, 11, "0.0.0.0:80", 0, 10, 0);
	snap_group(&snap, "0.0.0.0:80", 18);
	ck_assert_str_eq(poll_at(3), "");
	ck_assert_int_eq(tracker_find(t, 11)->syn_rule.level, SW_LEVEL_OK);   /* 1 of 2 samples */
	snap_reset(&snap);
	snap_add(&snap, 11, "0.0.0.0:80", 0, 10, 0);
	snap_group(&snap, "0.0.0.0:80", 9);
	ck_assert_str_eq(poll_at(4), "");
	ck_assert_int_eq(tracker_find(t, 11)->level, SW_LEVEL_WARNING);
	ck_assert_uint_eq(tracker_find(t, 11)->syn_rule.raised_usec, 2 * S);
	snap.groups[0].depth = 0;
	ck_assert_str_eq(poll_at(5), "cleared:syn:warning@11");
}
END_TEST

/* A listener born between two polls that overflowed before the first
 * sighting: sk_drops started at 0, so every drop it shows is reported. */
START_TEST(test_new_listener_drops_reported)
{
	snap_add(&snap, 1, "127.0.0.1:8080", 0, 128, 0);
	ck_assert_str_eq(poll_at(1), "");
	snap_add(&snap, 2, "127.0.0.1:8081", 0, 16, 13);
	ck_assert_str_eq(poll_at(2), "listen-drops:13@2");
	ck_assert_uint_eq(ev.v[0].drops_total, 13);
	ck_assert_uint_eq(tracker_find(t, 2)->drops.total, 13);
	ck_assert(listener_drops_moved());
}
END_TEST

START_TEST(test_drops_baseline_wrap)
{
	struct sw_listener *l = snap_add(&snap, 1, "127.0.0.1:8080", 0, 128, 0xFFFFFFF0u);
	const struct sw_tracked *tr;
	const struct sw_event *e;

	/* The daemon's first poll: drops are history, a baseline. */
	ck_assert_str_eq(poll_at(1), "");
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->drops.total, 0);
	ck_assert(!listener_drops_moved());
	/* sk_drops wrapped: 0xfffffff0 -> 5 is 21 drops. */
	l->drops = 5;
	ck_assert_str_eq(poll_at(2), "listen-drops:21@1");
	e = &ev.v[0];
	ck_assert_int_eq(e->level, SW_LEVEL_CRITICAL);
	ck_assert_int_eq(e->queue, SW_QUEUE_ACCEPT);
	ck_assert_uint_eq(e->drops_total, 21);
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->drops.total, 21);
	ck_assert_uint_eq(tr->drops.delta, 21);
	ck_assert(listener_drops_moved());
	ck_assert_uint_eq(tracker_ns(t)->listener_drops_delta, 21);
	ck_assert_str_eq(poll_at(3), "");
	ck_assert_uint_eq(tracker_find(t, 1)->drops.delta, 0);
	ck_assert(!listener_drops_moved() && !syn_counter_moved());

	/* A reply without SKMEMINFO is no movement; the next one with it is a
	 * new baseline only for a listener that never had one. */
	snap_add(&snap, 2, "127.0.0.1:8081", 0, 128, 0)->has_drops = false;
	ck_assert_str_eq(poll_at(4), "");
	snap.listeners[1].has_drops = true;
	snap.listeners[1].drops = 40;
	ck_assert_str_eq(poll_at(5), "");
	ck_assert_uint_eq(tracker_find(t, 2)->drops.total, 0);
	snap.listeners[1].drops = 42;
	ck_assert_str_eq(poll_at(6), "listen-drops:2@2");
}
END_TEST

START_TEST(test_netstat_syncookies)
{
	const struct sw_ns_state *ns;
	const struct sw_event *e;

	snap_add(&snap, 1, "127.0.0.1:8080", 0, 128, 1000);
	snap_counters(&snap, 100);
	ck_assert_str_eq(poll_at(1), "");
	ns = tracker_ns(t);
	ck_assert_uint_eq(ns->delta_known, 0);      /* first poll: baseline only */
	ck_assert_uint_eq(ns->polls, 1);
	ck_assert_int_eq(ns->sysctl.somaxconn, 4096);
	ck_assert_uint_eq(ns->netns, NETNS);

	/* Overflows all explained by the listener's drops. */
	snap.netstat.value[SW_CTR_LISTEN_OVERFLOWS] += 4;
	snap.netstat.value[SW_CTR_LISTEN_DROPS] += 4;
	snap.listeners[0].drops += 4;
	ck_assert_str_eq(poll_at(2), "listen-drops:4@1");
	ns = tracker_ns(t);
	ck_assert_uint_eq(ns->delta_known, (1u << _SW_CTR_MAX) - 1);
	ck_assert_uint_eq(ns->delta[SW_CTR_LISTEN_OVERFLOWS], 4);
	ck_assert_uint_eq(ns->delta[SW_CTR_SYNCOOKIES_SENT], 0);
	ck_assert_uint_eq(ns->counters.value[SW_CTR_LISTEN_DROPS], 104);
	ck_assert(moved(SW_CTR_LISTEN_DROPS));

	/* Cookies sent: no listener alert names them. An absent counter is
	 * unknown, not zero. */
	snap.netstat.value[SW_CTR_SYNCOOKIES_SENT] += 10;
	snap.netstat.value[SW_CTR_REQQ_FULL_COOKIES] += 10;
	snap.netstat.present &= ~(1u << SW_CTR_SYNCOOKIES_FAILED);
	ck_assert_str_eq(poll_at(3), "syncookies:warning");
	e = &ev.v[0];
	ck_assert(!e->has_listener);
	ck_assert_uint_eq(e->ns.id, NETNS);
	ck_assert_str_eq(e->ns.name.name, "blue");
	ck_assert_uint_eq(e->counter_delta[SW_CTR_SYNCOOKIES_SENT], 10);
	ck_assert_uint_eq(e->counter_delta[SW_CTR_REQQ_FULL_COOKIES], 10);
	ck_assert_int_eq(e->somaxconn, 4096);
	ck_assert_int_eq(e->syncookies, 1);
	ns = tracker_ns(t);
	ck_assert(!(ns->delta_known & (1u << SW_CTR_SYNCOOKIES_FAILED)));
	ck_assert(moved(SW_CTR_SYNCOOKIES_SENT) && moved(SW_CTR_REQQ_FULL_COOKIES));

	/* Back again: a baseline, still unknown for one poll. */
	snap.netstat.present |= 1u << SW_CTR_SYNCOOKIES_FAILED;
	ck_assert_str_eq(poll_at(4), "");
	ck_assert(!(tracker_ns(t)->delta_known & (1u << SW_CTR_SYNCOOKIES_FAILED)));
	ck_assert(!listener_drops_moved() && !syn_counter_moved());

	/* SYNs dropped within the minute: held, then flushed as critical. */
	snap.netstat.value[SW_CTR_REQQ_FULL_DROP] += 2;
	ck_assert_str_eq(poll_at(5), "");
	ck_assert(moved(SW_CTR_REQQ_FULL_DROP));
	snap.netstat.value[SW_CTR_LISTEN_OVERFLOWS] += 3;   /* unexplained */
	ck_assert_str_eq(poll_at(6), "");
	ck_assert(!listener_drops_moved() && !syn_counter_moved());   /* ListenOverflows alone moved */
	ck_assert(moved(SW_CTR_LISTEN_OVERFLOWS));
	ck_assert_str_eq(poll_at(63), "syncookies:critical");
	ck_assert_uint_eq(ev.v[0].counter_delta[SW_CTR_REQQ_FULL_DROP], 2);
	ck_assert_uint_eq(ev.v[0].counter_delta[SW_CTR_LISTEN_OVERFLOWS], 3);
	ck_assert_uint_eq(ev.v[0].counter_delta[SW_CTR_SYNCOOKIES_SENT], 0);

	/* Counters going backwards are a new baseline, not a huge delta. */
	snap_counters(&snap, 5);
	ck_assert_str_eq(poll_at(200), "");
	ck_assert_uint_eq(tracker_ns(t)->delta_known, 0);
}
END_TEST

/* tcp_syncookies = 2: the kernel counts a cookie for every SYN, so the
 * cookie counters neither make an entry nor ask for a SYN scan; an
 * unexplained ListenOverflows still makes one, carrying them. */
START_TEST(test_netstat_cookies_always)
{
	snap.sysctl.syncookies = 2;
	snap_add(&snap, 1, "127.0.0.1:8080", 0, 128, 0);
	snap_counters(&snap, 100);
	ck_assert_str_eq(poll_at(1), "");
	for (int i = 2; i < 200; i += 10) {
		snap.netstat.value[SW_CTR_SYNCOOKIES_SENT] += 30;
		snap.netstat.value[SW_CTR_REQQ_FULL_COOKIES] += 30;
		ck_assert_str_eq(poll_at(i), "");
		ck_assert(!listener_drops_moved() && !moved(SW_CTR_LISTEN_DROPS) && !moved(SW_CTR_REQQ_FULL_DROP));
		ck_assert_int_eq(tracker_ns(t)->sysctl.syncookies, 2);   /* the cookie counters say nothing */
	}
	snap.netstat.value[SW_CTR_SYNCOOKIES_SENT] += 30;
	snap.netstat.value[SW_CTR_LISTEN_OVERFLOWS] += 2;
	/* Held a poll: the next one's listener drops might explain them. */
	ck_assert_str_eq(poll_at(300), "");
	ck_assert_str_eq(poll_at(301), "syncookies:warning");
	ck_assert_uint_eq(ev.v[0].counter_delta[SW_CTR_SYNCOOKIES_SENT], 30);
	ck_assert_int_eq(ev.v[0].syncookies, 2);

	/* Back to mode 1: the same movement is an entry and a trigger. */
	snap.sysctl.syncookies = 1;
	snap.netstat.value[SW_CTR_SYNCOOKIES_SENT] += 30;
	snap.netstat.value[SW_CTR_REQQ_FULL_COOKIES] += 30;
	ck_assert_str_eq(poll_at(400), "syncookies:warning");
	ck_assert(moved(SW_CTR_SYNCOOKIES_SENT) && tracker_ns(t)->sysctl.syncookies == 1);
}
END_TEST

START_TEST(test_filter_ignore)
{
	struct sw_config *c2 = NULL;
	struct sw_config_errors errs = { 0 };
	int r;

	r = config_load_string("test.conf",
			       "[filter]\n"
			       "ports = 80-82\n"
			       "[listener 127.0.0.1:81]\n"
			       "ignore = yes\n"
			       "[listener *:82]\n"
			       "warn = 50%\n"
			       "critical = 60%\n"
			       "clear = 40%\n",
			       &c2, &errs);
	ck_assert_msg(r == 0, "config: %s", errs.n ? errs.msg[0] : "?");
	config_free(cfg);
	cfg = c2;
	cfg->realert_usec = 0;

	snap_add(&snap, 1, "127.0.0.1:80", 55, 100, 0);
	snap_add(&snap, 2, "127.0.0.1:81", 99, 100, 0);
	snap_add(&snap, 3, "127.0.0.1:82", 55, 100, 0);
	snap_add(&snap, 4, "127.0.0.1:8080", 99, 100, 0);
	ck_assert_str_eq(poll_at(1), "accept-queue:warning@3");
	ck_assert_uint_eq(tracker_count(t), 2);
	ck_assert_ptr_null(tracker_find(t, 2));
	ck_assert_ptr_null(tracker_find(t, 4));
	ck_assert_ptr_nonnull(tracker_find(t, 1));
	/* The untracked listeners' drops are no one's business. */
	snap.listeners[1].drops = 50;
	snap.listeners[3].drops = 50;
	ck_assert_str_eq(poll_at(2), "");

	/* A reload that filters a tracked listener out forgets it. */
	config_errors_clear(&errs);
	r = config_load_string("test2.conf", "[filter]\nports = 80\n", &c2, &errs);
	ck_assert_int_eq(r, 0);
	config_free(cfg);
	cfg = c2;
	tracker_reloaded(t);
	ck_assert_str_eq(poll_at(3), "cleared:accept:warning:gone@3");
	ck_assert_uint_eq(tracker_count(t), 1);
	config_errors_clear(&errs);

	/* A reload that brings an old listener into view: its drops are a
	 * baseline, not a burst. */
	r = config_load_string("test3.conf", "[filter]\nports = 80,8080\n", &c2, &errs);
	ck_assert_int_eq(r, 0);
	config_free(cfg);
	cfg = c2;
	tracker_reloaded(t);
	ck_assert_str_eq(poll_at(4), "accept-queue:critical@4");
	ck_assert_uint_eq(ev.v[0].drops, 0);
	ck_assert_uint_eq(tracker_find(t, 4)->drops.total, 0);
	config_errors_clear(&errs);
}
END_TEST

START_TEST(test_memory_churn)
{
	/* 100k listeners each living one poll. */
	for (uint64_t i = 0; i < 100000; i++) {
		snap_reset(&snap);
		snap_add(&snap, 1 + i, "127.0.0.1:9000", (uint32_t)(i % 3), 100, 0);
		ck_assert_str_eq(poll_at(1 + (double)i / 10), "");
		ck_assert_uint_eq(tracker_count(t), 1);
		ck_assert_uint_le(tracker_capacity(t), 16);
	}
	snap_reset(&snap);
	poll_at(20000);
	ck_assert_uint_eq(tracker_count(t), 0);
	ck_assert_uint_eq(tracker_capacity(t), 0);

	/* Batches of 5000 appearing and vanishing at once, some in alert. */
	for (uint64_t round = 0; round < 20; round++) {
		snap_reset(&snap);
		for (uint64_t i = 0; i < 5000; i++)
			snap_add(&snap, 1000000 + round * 5000 + i, "127.0.0.1:9001",
				 i % 100 == 0 ? 99 : (uint32_t)(i % 4), 100, 0);
		poll_at(30000 + (double)round * 2);
		ck_assert_uint_eq(ev.n, 50);
		ck_assert_uint_eq(tracker_count(t), 5000);
		ck_assert_uint_le(tracker_capacity(t), 8192);
		snap_reset(&snap);
		poll_at(30001 + (double)round * 2);
		ck_assert_uint_eq(ev.n, 50);     /* each alert closed as gone */
		ck_assert_uint_eq(tracker_count(t), 0);
		ck_assert_uint_eq(tracker_capacity(t), 0);
	}

	/* Steady churn: 1000 listeners, a tenth replaced each poll. */
	{
		uint64_t base = 10000000;

		for (int p = 0; p < 300; p++) {
			snap_reset(&snap);
			for (uint64_t i = 0; i < 1000; i++)
				snap_add(&snap, base + (uint64_t)p * 100 + i, "127.0.0.1:9002",
					 (uint32_t)(i % 2), 100, 0);
			poll_at(50000 + p);
			ck_assert_uint_eq(tracker_count(t), 1000);
			ck_assert_uint_le(tracker_capacity(t), 2048);
		}
		for (uint64_t i = 0; i < 1000; i++)
			ck_assert_ptr_nonnull(tracker_find(t, base + 299 * 100 + i));
		ck_assert_ptr_null(tracker_find(t, base + 298 * 100));
	}
	snap_reset(&snap);
	poll_at(60000);
	ck_assert_uint_eq(tracker_capacity(t), 0);
}
END_TEST

START_TEST(test_history_slots)
{
	struct sw_history_point pts[SW_HISTORY_SLOTS];
	const struct sw_tracked *tr;
	struct sw_listener *l;

	l = snap_add(&snap, 1, "127.0.0.1:8080", 3, 100, 0);
	snap_add(&snap, 2, "127.0.0.1:8081", 0, 100, 0);
	poll_at(5);                     /* slot [0 s, 10 s) */
	ck_assert_ptr_null(tracker_find(t, 2)->detail);   /* idle: nothing allocated */
	snap.listeners[0].accept_depth = 7;
	poll_at(15);                    /* slot [10 s, 20 s) */
	snap.listeners[0].accept_depth = 2;
	poll_at(16);
	snap.listeners[0].accept_depth = 0;
	poll_at(25);                    /* slot [20 s, 30 s), sampled at 0 */
	snap_group(&snap, "127.0.0.1:8080", 4);
	poll_at(35);                    /* slot [30 s, 40 s), with a SYN scan */
	l = &snap.listeners[0];

	tr = tracker_find(t, 1);
	ck_assert_ptr_nonnull(tr->detail);
	ck_assert_uint_eq(tracker_history(tr, pts), 4);
	ck_assert(pts[56].has_accept && pts[56].accept_peak == 3 && !pts[56].has_syn);
	ck_assert(pts[57].has_accept && pts[57].accept_peak == 7);
	ck_assert(pts[58].has_accept && pts[58].accept_peak == 0);
	ck_assert(pts[59].has_accept && pts[59].has_syn && pts[59].syn_peak == 4);
	ck_assert_uint_eq(pts[59].start_usec, 30 * S);
	ck_assert_uint_eq(pts[56].start_usec, 0);
	ck_assert(!pts[55].has_accept);
	ck_assert_uint_eq(tr->accept.window_peak, 7);
	ck_assert_uint_eq(tr->syn.window_peak, 4);
	ck_assert_ptr_null(tracker_find(t, 2)->detail);
	ck_assert_uint_eq(tracker_history(tracker_find(t, 2), pts), 0);

	/* Idle, unscanned polls every 10 s: old slots age out of the window. */
	snap.syn_scanned = false;
	l->syn_group = -1;
	for (int s = 45; s <= 605; s += 10)
		poll_at(s);
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->accept.window_peak, 7);    /* [10 s, 20 s) still in */
	poll_at(615);
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->accept.window_peak, 0);
	ck_assert_uint_eq(tr->syn.window_peak, 4);
	ck_assert_uint_eq(tracker_history(tr, pts), SW_HISTORY_SLOTS);
	ck_assert(!pts[0].has_syn && pts[1].has_syn && pts[1].syn_peak == 4);
	poll_at(625);
	poll_at(635);
	/* Nothing left to show: the detail goes. */
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->syn.window_peak, 0);
	ck_assert_ptr_null(tr->detail);
	ck_assert_str_eq(tracker_top_sources(tr), "");
	/* And comes back with the next busy sample. */
	snap.listeners[0].accept_depth = 9;
	poll_at(640);
	tr = tracker_find(t, 1);
	ck_assert_ptr_nonnull(tr->detail);
	ck_assert_uint_eq(tracker_history(tr, pts), 1);
	ck_assert_uint_eq(pts[59].accept_peak, 9);
}
END_TEST

START_TEST(test_syn_rules_scan_and_mode)
{
	const struct sw_tracked *tr;

	snap_add(&snap, 1, "127.0.0.1:8080", 0, 100, 0);
	snap_group(&snap, "127.0.0.1:8080", 90);
	ck_assert_str_eq(poll_at(1), "syn-queue:warning@1");
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->syn_rule.samples, 1);
	ck_assert(tr->syn_scanned && tr->syn_scanned_last);
	ck_assert_int_eq(tr->syn_mode, SW_SYN_COOKIES_ON_OVERFLOW);

	/* No scan this poll: the SYN rule is not stepped at all. */
	snap.syn_scanned = false;
	snap.groups[0].depth = 0;
	ck_assert_str_eq(poll_at(2), "");
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->syn_rule.samples, 1);
	ck_assert_uint_eq(tr->accept_rule.samples, 2);
	ck_assert_uint_eq(tr->syn.depth, 90);
	ck_assert_int_eq(tr->level, SW_LEVEL_WARNING);

	/* cookies-always: depth alerts do not apply; the open one closes. */
	snap.sysctl.syncookies = 2;
	snap.syn_scanned = true;
	snap.groups[0].depth = 99;
	ck_assert_str_eq(poll_at(3), "cleared:syn:warning@1");
	ck_assert_int_eq(ev.v[0].syn_mode, SW_SYN_COOKIES_ALWAYS);
	ck_assert_str_eq(poll_at(4), "");
	tr = tracker_find(t, 1);
	ck_assert_int_eq(tr->level, SW_LEVEL_OK);
	ck_assert_uint_eq(tr->syn.depth, 99);   /* still shown */
	ck_assert(!tracker_any_at_warn(t));

	/* cookies off: tcp_max_syn_backlog binds (B - B/4 = 48 < 100). */
	snap.sysctl.syncookies = 0;
	snap.sysctl.max_syn_backlog = 64;
	snap.groups[0].depth = 40;
	ck_assert_str_eq(poll_at(5), "syn-queue:warning@1");
	ck_assert_uint_eq(ev.v[0].limit, 48);
	ck_assert_int_eq(ev.v[0].limit_source, SW_SRC_MAX_SYN_BACKLOG);
	ck_assert_int_eq(ev.v[0].syn_mode, SW_SYN_DROP_ON_OVERFLOW);
	ck_assert_int_eq(ev.v[0].max_syn_backlog, 64);
	/* Drops in the poll that raises the SYN queue ride on its entry. */
	snap.groups[0].depth = 49;
	snap.listeners[0].drops = 3;
	ck_assert_str_eq(poll_at(6), "syn-queue:critical@1");
	ck_assert_int_eq(ev.v[0].queue, SW_QUEUE_SYN);
	ck_assert_uint_eq(ev.v[0].drops, 3);
	/* Later drops with only the SYN queue seen full name the SYN queue. */
	snap.listeners[0].drops = 5;
	ck_assert_str_eq(poll_at(70), "listen-drops:2@1");
	ck_assert_int_eq(ev.v[0].queue, SW_QUEUE_SYN);
}
END_TEST

START_TEST(test_event_fields)
{
	const struct sw_tracked *tr;
	const struct sw_event *e;

	cfg->realert_usec = 10 * S;
	/* wqueue == somaxconn at first sight: somaxconn binds. */
	snap.sysctl.somaxconn = 200;
	snap_add(&snap, 5, "[::1]:443", 170, 200, 0);
	ck_assert_str_eq(poll_at(1), "accept-queue:warning@5");
	e = find_event(SW_EV_ACCEPT_QUEUE, 5);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->family, AF_INET6);
	ck_assert_uint_eq(e->port, 443);
	ck_assert_uint_eq(e->cookie, 5);
	ck_assert_uint_eq(e->depth, 170);
	ck_assert_uint_eq(e->limit, 200);
	ck_assert_uint_eq(e->peak, 170);
	ck_assert_double_eq_tol(e->percent, 85, 1e-9);
	ck_assert_int_eq(e->limit_source, SW_SRC_SOMAXCONN);
	ck_assert_int_eq(e->somaxconn, 200);
	ck_assert_int_eq(e->max_syn_backlog, 2048);
	ck_assert_int_eq(e->syncookies, 1);
	ck_assert(!e->somaxconn_stale);
	ck_assert_int_eq(e->owner.pid, 0);
	ck_assert_str_eq(e->owner.comm, "");
	ck_assert_str_eq(e->top_sources, "");
	ck_assert_uint_eq(e->ns.id, NETNS);
	ck_assert_str_eq(e->ns.name.name, "blue");
	ck_assert_int_eq(tracker_find(t, 5)->somaxconn_at_first, 200);

	/* Peak since the entry, re-alert with the current figures. */
	snap.listeners[0].accept_depth = 180;
	ck_assert_str_eq(poll_at(5), "");
	ck_assert_uint_eq(tracker_find(t, 5)->accept.peak, 180);
	/* somaxconn raised later: the listener keeps its M, still somaxconn-bound. */
	snap.sysctl.somaxconn = 4096;
	snap.listeners[0].accept_depth = 172;
	ck_assert_str_eq(poll_at(11), "accept-queue:warning@5");
	e = &ev.v[0];
	ck_assert_uint_eq(e->depth, 172);
	ck_assert_uint_eq(e->peak, 180);
	ck_assert_int_eq(e->limit_source, SW_SRC_SOMAXCONN);
	ck_assert(e->somaxconn_stale);
	ck_assert_int_eq(e->somaxconn, 4096);
	tr = tracker_find(t, 5);
	ck_assert_uint_eq(tr->accept.peak, 172);   /* restarted at the entry */
	ck_assert_uint_eq(tr->accept.window_peak, 180);
	ck_assert_uint_eq(tr->accept_rule.last_entry_usec, 11 * S);
}
END_TEST

START_TEST(test_at_warn)
{
	cfg->sustain = 3;
	snap_add(&snap, 1, "127.0.0.1:80", 10, 100, 0);
	poll_at(1);
	ck_assert(!tracker_any_at_warn(t));
	/* At warn but not raised yet (sustain 3): poll fast to see the run. */
	snap.listeners[0].accept_depth = 85;
	ck_assert_str_eq(poll_at(2), "");
	ck_assert(tracker_any_at_warn(t));
	ck_assert_str_eq(poll_at(3), "");
	ck_assert_str_eq(poll_at(4), "accept-queue:warning@1");
	/* Below warn but the alert is open: keep polling fast. */
	snap.listeners[0].accept_depth = 70;
	ck_assert_str_eq(poll_at(5), "");
	ck_assert(tracker_any_at_warn(t));
	snap.listeners[0].accept_depth = 50;
	ck_assert_str_eq(poll_at(6), "cleared:accept:warning@1");
	ck_assert(!tracker_any_at_warn(t));
	/* The SYN queue counts too. */
	snap_group(&snap, "127.0.0.1:80", 81);
	poll_at(7);
	ck_assert(tracker_any_at_warn(t));
	snap_reset(&snap);
	poll_at(8);
	ck_assert(!tracker_any_at_warn(t));
}
END_TEST

/* What the manager's SYN-scan decision reads: SYN queues at warn or in
 * alert, never an accept queue, never under tcp_syncookies = 2. */
START_TEST(test_syn_at_warn)
{
	struct sw_syn_group *g;

	snap_add(&snap, 1, "127.0.0.1:80", 10, 100, 0);
	g = snap_group(&snap, "127.0.0.1:80", 0);
	ck_assert_str_eq(poll_at(1), "");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);
	/* A SYN queue at warn counts. */
	g->depth = 85;
	ck_assert_str_eq(poll_at(2), "syn-queue:warning@1");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 1);
	ck_assert(tracker_any_at_warn(t));
	/* Below warn with its alert open: still counts. */
	g->depth = 70;
	ck_assert_str_eq(poll_at(3), "");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 1);
	g->depth = 0;
	ck_assert_str_eq(poll_at(4), "cleared:syn:warning@1");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);

	/* An accept queue in alert, the SYN queue empty: not a SYN queue at
	 * warn (it polls fast, it does not ask for SYN scans). */
	snap.listeners[0].accept_depth = 96;
	ck_assert_str_eq(poll_at(5), "accept-queue:critical@1");
	ck_assert(tracker_any_at_warn(t));
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);
	snap.listeners[0].accept_depth = 10;
	ck_assert_str_eq(poll_at(6), "cleared:accept:critical@1");

	/* tcp_syncookies = 2: every SYN gets a cookie, a full SYN queue is
	 * no pressure; an open SYN alert is closed and counts no more. */
	g->depth = 90;
	ck_assert_str_eq(poll_at(7), "syn-queue:warning@1");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 1);
	snap.sysctl.syncookies = 2;
	g->depth = 99;
	ck_assert_str_eq(poll_at(8), "cleared:syn:warning@1");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);
	ck_assert_str_eq(poll_at(9), "");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);
	ck_assert(!tracker_any_at_warn(t));
	/* Not scanned this poll (kept depth): the same. */
	snap.syn_scanned = false;
	ck_assert_str_eq(poll_at(10), "");
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);
}
END_TEST

/* A listen-drops entry names the SYN queue when only it was seen full, by
 * the kernel's own rule: at depth == limit only before Linux 6.13. */
static const struct drops_queue_case {
	bool full_at_limit;
	uint32_t syn_depth;
	enum sw_queue want;
} drops_queue_cases[] = {
	{ false, 100, SW_QUEUE_ACCEPT },   /* 6.13+: 100 of 100 is not full */
	{ true, 100, SW_QUEUE_SYN },       /* before 6.13 it is */
	{ false, 101, SW_QUEUE_SYN },
	{ true, 99, SW_QUEUE_ACCEPT },
};

START_TEST(test_drops_queue_full_rule)
{
	const struct drops_queue_case *k = &drops_queue_cases[_i];

	tracker_set_kernel(t, k->full_at_limit);
	/* Cookies off; B - B/4 = 1536 above the backlog, which binds. */
	snap.sysctl.syncookies = 0;
	snap_add(&snap, 1, "127.0.0.1:80", 0, 100, 0);
	snap_group(&snap, "127.0.0.1:80", k->syn_depth);
	ck_assert_str_eq(poll_at(1), "syn-queue:critical@1");
	ck_assert_uint_eq(tracker_find(t, 1)->syn.limit, 100);
	snap.listeners[0].drops = 2;
	ck_assert_str_eq(poll_at(70), "listen-drops:2@1");
	ck_assert_int_eq(ev.v[0].queue, k->want);
	ck_assert_int_eq(ev.v[0].full_at_limit, k->want == SW_QUEUE_SYN && k->full_at_limit);
}
END_TEST

START_TEST(test_duplicate_in_dump)
{
	snap_add(&snap, 1, "127.0.0.1:80", 90, 100, 0);
	snap_add(&snap, 1, "127.0.0.1:80", 90, 100, 0);
	ck_assert_str_eq(poll_at(1), "accept-queue:warning@1");
	ck_assert_uint_eq(tracker_count(t), 1);
	ck_assert_uint_eq(tracker_find(t, 1)->accept_rule.samples, 1);
}
END_TEST

START_TEST(test_top_sources_bounded)
{
	struct sw_syn_group *g;
	const struct sw_tracked *tr;
	char a[64];

	snap_add(&snap, 1, "[::]:443", 0, 1000, 0);
	g = snap_group(&snap, "[::]:443", 0);
	for (int i = 0; i < 40; i++) {
		snprintf(a, sizeof(a), "2001:db8:ffff:ffff:ffff:ffff:ffff:%x", i);
		group_source(g, a, (uint32_t)(100 + i));
		g->depth += (uint32_t)(100 + i);
	}
	g->other_sources = 7;
	g->depth += 7;
	poll_at(1);
	tr = tracker_find(t, 1);
	ck_assert_uint_eq(tr->detail->n_top, SW_TRACKER_TOP_SOURCES);
	ck_assert_uint_eq(tr->detail->top[0].count, 139);
	ck_assert_uint_eq(tr->detail->top[7].count, 132);
	ck_assert_uint_eq(tr->detail->other_sources, g->depth - (139 + 138 + 137 + 136 + 135 + 134 + 133 + 132));
	/* Whole items only, within the journal field's bound. */
	ck_assert_uint_lt(strlen(tracker_top_sources(tr)), SW_SOURCES_MAX);
	{
		const char *ts = tracker_top_sources(tr);
		size_t items = 0;

		for (const char *p = ts; *p; p++)
			items += *p == '=';
		ck_assert_uint_eq(items, 6);    /* 8 would not fit in 256 bytes */
		ck_assert_int_ne(ts[strlen(ts) - 1], ',');
	}
	ck_assert(strncmp(tracker_top_sources(tr), "2001:db8:ffff:ffff:ffff:ffff:ffff:27=139,", 41) == 0);
}
END_TEST

/* ---- one listener through a table of polls --------------------------------------- */

struct seq_poll {
	double t;
	uint32_t depth;             /* of limit 100 */
	uint32_t drops;             /* raw counter */
	const char *want;
};

struct seq_case {
	const char *name;
	unsigned sustain;
	uint64_t realert;
	struct seq_poll polls[12];
	size_t n;
};

static const struct seq_case seq_cases[] = {
	{ "burst between polls: drops without depth", 1, 0, {
		{ 1, 0, 0, "" },
		{ 2, 0, 13, "listen-drops:13@1" },
		{ 3, 0, 13, "" },
		{ 4, 5, 20, "" },           /* within the minute: held */
		{ 62, 0, 20, "listen-drops:7@1" },   /* quiet poll after it: flushed */
	}, 5 },
	{ "hysteresis and realert", 1, 30 * S, {
		{ 1, 85, 0, "accept-queue:warning@1" },
		{ 2, 85, 0, "" },
		{ 3, 70, 0, "" },
		{ 31, 65, 0, "accept-queue:warning@1" },
		{ 32, 59, 0, "cleared:accept:warning@1" },
		{ 33, 96, 0, "accept-queue:critical@1" },
		{ 34, 85, 0, "" },
		{ 35, 50, 0, "cleared:accept:critical@1" },
	}, 8 },
	{ "sustain 2 with escalation", 2, 0, {
		{ 1, 85, 0, "" },
		{ 2, 70, 0, "" },
		{ 3, 85, 0, "" },
		{ 4, 90, 0, "accept-queue:warning@1" },
		{ 5, 101, 5, "accept-queue:critical@1" },   /* drops ride on it */
		{ 6, 10, 5, "cleared:accept:critical@1" },
	}, 6 },
};

START_TEST(test_sequence_table)
{
	const struct seq_case *c = &seq_cases[_i];

	cfg->sustain = c->sustain;
	cfg->realert_usec = c->realert;
	snap_add(&snap, 1, "127.0.0.1:8080", 0, 100, 0);
	for (size_t i = 0; i < c->n; i++) {
		const struct seq_poll *p = &c->polls[i];
		const char *got;

		snap.listeners[0].accept_depth = p->depth;
		snap.listeners[0].drops = p->drops;
		got = poll_at(p->t);
		ck_assert_msg(strcmp(got, p->want) == 0, "%s: poll %zu: got \"%s\", want \"%s\"",
			      c->name, i, got, p->want);
	}
}
END_TEST

START_TEST(test_events_array)
{
	struct sw_events e = { 0 };

	for (int i = 0; i < 1000; i++) {
		struct sw_event *x = events_push(&e);

		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(x->kind, 0);
		x->kind = SW_EV_CLEARED;
		x->port = (uint16_t)i;
	}
	ck_assert_uint_eq(e.n, 1000);
	ck_assert_uint_eq(e.v[999].port, 999);
	events_clear(&e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_uint_le(e.cap, 64);      /* a burst does not pin its array */
	ck_assert_ptr_nonnull(events_push(&e));
	events_free(&e);
	events_free(&e);
	events_free(NULL);
	tracker_free(NULL);
}
END_TEST

/* ---- UNIX listeners (issue 14) ------------------------------------------------
 * A script of polls over one namespace's UNIX listeners: who is listed,
 * with what queue, or no UNIX dump at all; and the events each poll gives.
 * Cookies 9xx are UNIX listeners; "-" as a path ends the list. */
#define UX_MAX 3
struct ux_step {
	bool no_dump;                     /* the UNIX dump failed or was not made */
	struct { uint64_t cookie; const char *path; uint32_t depth, limit; } l[UX_MAX];
	const char *want;                 /* the events' signature */
};

static const struct {
	const char *name;
	const char *conf;                 /* extra config, or NULL */
	struct ux_step step[6];
	size_t n;
} ux_cases[] = {
	{ "full is critical at once, whatever sustain says", "[alerts]\nsustain = 3\n",
	  { { .l = { { 901, "/run/php/www.sock", 5, 4 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 901, "/run/php/www.sock", 5, 4 } }, .want = "" },
	    { .l = { { 901, "/run/php/www.sock", 0, 4 } }, .want = "cleared:accept:critical@901" } },
	  3 },
	{ "critical at its limit, then full: clients fail now, an entry says so", NULL,
	  { { .l = { { 901, "/a", 4, 4 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 901, "/a", 5, 4 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 901, "/a", 5, 4 } }, .want = "" },
	    { .l = { { 901, "/a", 4, 4 } }, .want = "" },
	    { .l = { { 901, "/a", 5, 4 } }, .want = "accept-queue:critical@901" } },
	  5 },
	{ "warn needs sustain when not full", "[alerts]\nsustain = 2\n",
	  { { .l = { { 901, "/a", 4, 4 } }, .want = "" },
	    { .l = { { 901, "/a", 4, 4 } }, .want = "accept-queue:critical@901" } },
	  2 },
	{ "one missed dump is not gone, two are",
	  NULL,
	  { { .l = { { 901, "/a", 5, 4 }, { 902, "@b", 0, 0 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 902, "@b", 0, 0 } }, .want = "" },
	    { .l = { { 902, "@b", 0, 0 } }, .want = "cleared:accept:critical:gone@901" } },
	  3 },
	{ "seen again after one miss: nothing closed",
	  NULL,
	  { { .l = { { 901, "/a", 5, 4 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 0 } }, .want = "" },
	    { .l = { { 901, "/a", 5, 4 } }, .want = "" } },
	  3 },
	{ "no UNIX dump keeps them as they were",
	  NULL,
	  { { .l = { { 901, "/a", 5, 4 } }, .want = "accept-queue:critical@901" },
	    { .no_dump = true, .want = "" },
	    { .no_dump = true, .want = "" },
	    { .no_dump = true, .want = "" },
	    { .l = { { 901, "/a", 0, 4 } }, .want = "cleared:accept:critical@901" } },
	  5 },
	{ "a cookie now another socket's: the old one is gone",
	  NULL,
	  { { .l = { { 901, "/a", 5, 4 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 901, "/b", 0, 4 } }, .want = "cleared:accept:critical:gone@901" } },
	  2 },
	{ "[filter] paths and an ignoring override",
	  "[filter]\npaths = /run/*\n[listener /run/skip.sock]\nignore = yes\n",
	  { { .l = { { 901, "/run/a", 5, 4 }, { 902, "/tmp/a", 5, 4 }, { 903, "/run/skip.sock", 5, 4 } },
	      .want = "accept-queue:critical@901" } },
	  1 },
	{ "an override's thresholds",
	  "[listener @pool*]\nwarn = 10%\ncritical = 99%\nclear = 5%\n",
	  { { .l = { { 901, "@pool1", 1, 8 } }, .want = "accept-queue:warning@901" },
	    { .l = { { 901, "@pool1", 7, 8 } }, .want = "" },
	    { .l = { { 901, "@pool1", 9, 8 } }, .want = "accept-queue:critical@901" },
	    { .l = { { 901, "@pool1", 1, 8 } }, .want = "" },
	    { .l = { { 901, "@other", 0, 8 } }, .want = "cleared:accept:critical:gone@901" } },
	  5 },
};

static void ux_fill(struct sw_unix_snapshot *us, const struct ux_step *st)
{
	usnap_reset(us);
	for (size_t i = 0; i < UX_MAX && st->l[i].cookie; i++) {
		struct sw_unix_listener l = {
			.cookie = st->l[i].cookie, .inode = (uint32_t)st->l[i].cookie + 1000,
			.type = SOCK_STREAM, .depth = st->l[i].depth, .limit = st->l[i].limit,
			.has_name = true, .has_rqlen = true,
		};

		snprintf(l.path, sizeof(l.path), "%s", st->l[i].path);
		l.abstract = l.path[0] == '@';
		ck_assert_int_eq(usnap_add(us, &l), 0);
	}
}

START_TEST(test_unix_script)
{
	struct sw_unix_snapshot us;

	if (ux_cases[_i].conf) {
		struct sw_config_errors e = { 0 };

		config_free(cfg);
		cfg = NULL;
		ck_assert_int_eq(config_load_string("t", ux_cases[_i].conf, &cfg, &e), 0);
		cfg->realert_usec = 0;
	}
	usnap_init(&us);
	for (size_t k = 0; k < ux_cases[_i].n; k++) {
		const struct ux_step *st = &ux_cases[_i].step[k];

		ux_fill(&us, st);
		events_clear(&ev);
		ck_assert_int_eq(tracker_update(t, &snap, st->no_dump ? NULL : &us, cfg,
						(uint64_t)(k + 1) * S, &ev), 0);
		ck_assert_msg(strcmp(sig(&ev), st->want) == 0, "%s, poll %zu: got '%s', want '%s'",
			      ux_cases[_i].name, k + 1, sig(&ev), st->want);
	}
	usnap_clear(&us);
}
END_TEST

/* The figures a UNIX entry and its events carry. */
START_TEST(test_unix_figures)
{
	struct sw_unix_snapshot us;
	struct ux_step st = { .l = { { 901, "/run/php/www.sock", 17, 16 } } };
	const struct sw_tracked *tr;
	const struct sw_event *e;
	char name[LISTENER_STRLEN];

	usnap_init(&us);
	snap.sysctl.somaxconn = 4096;
	for (int k = 1; k <= 3; k++) {
		ux_fill(&us, &st);
		events_clear(&ev);
		ck_assert_int_eq(tracker_update(t, &snap, &us, cfg, (uint64_t)k * S / 5, &ev), 0);
	}
	tr = tracker_find(t, 901);
	ck_assert_ptr_nonnull(tr);
	ck_assert_uint_eq(tr->family, AF_UNIX);
	ck_assert_str_eq(tracker_listener_name(tr, name, sizeof(name)), "/run/php/www.sock");
	ck_assert_uint_eq(tr->accept.depth, 17);
	ck_assert_uint_eq(tr->accept.limit, 16);
	ck_assert_int_eq(tr->accept.source, SW_SRC_LISTEN_BACKLOG);
	ck_assert_uint_eq(tr->full.polls, 3);
	ck_assert_uint_eq(tr->last_seen_usec - tr->full.since_usec, 2 * S / 5);
	ck_assert_int_eq(tr->level, SW_LEVEL_CRITICAL);
	ck_assert(tracker_any_at_warn(t));
	ck_assert_uint_eq(tracker_syn_at_warn(t), 0);

	/* the raise came at the first poll: full for one poll, no time yet */
	events_clear(&ev);
	tracker_free(t);
	ck_assert_int_eq(tracker_new(&t), 0);
	ux_fill(&us, &st);
	ck_assert_int_eq(tracker_update(t, &snap, &us, cfg, S, &ev), 0);
	e = find_event(SW_EV_ACCEPT_QUEUE, 901);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->family, AF_UNIX);
	ck_assert_str_eq(e->path, "/run/php/www.sock");
	ck_assert_uint_eq(e->full_polls, 1);
	ck_assert_uint_eq(e->full_usec, 0);
	ck_assert_uint_eq(e->inode, 1901);
	ck_assert_uint_eq(e->port, 0);

	/* somaxconn binds: the limit equals it at listen() */
	st.l[0].limit = 8;
	st.l[0].cookie = 902;
	snap.sysctl.somaxconn = 8;
	ux_fill(&us, &st);
	events_clear(&ev);
	ck_assert_int_eq(tracker_update(t, &snap, &us, cfg, 2 * S, &ev), 0);
	ck_assert_int_eq(tracker_find(t, 902)->accept.source, SW_SRC_SOMAXCONN);
	/* and still after somaxconn was raised (stale) */
	snap.sysctl.somaxconn = 1000;
	events_clear(&ev);
	ck_assert_int_eq(tracker_update(t, &snap, &us, cfg, 3 * S, &ev), 0);
	ck_assert_int_eq(tracker_find(t, 902)->accept.source, SW_SRC_SOMAXCONN);
	ck_assert(tracker_find(t, 902)->somaxconn_stale);
	usnap_clear(&us);
}
END_TEST

/* unix = no drops the UNIX listeners at once; a released namespace closes
 * them at once too, missed dumps or not. */
START_TEST(test_unix_off_and_release)
{
	struct sw_unix_snapshot us;
	struct ux_step st = { .l = { { 901, "/a", 5, 4 }, { 902, "/b", 0, 4 } } };

	usnap_init(&us);
	ux_fill(&us, &st);
	ck_assert_str_eq(poll_at(1), "");         /* no UNIX dump given: nothing yet */
	events_clear(&ev);
	ck_assert_int_eq(tracker_update(t, &snap, &us, cfg, 2 * S, &ev), 0);
	ck_assert_str_eq(sig(&ev), "accept-queue:critical@901");
	ck_assert_uint_eq(tracker_count(t), 2);
	cfg->watch_unix = false;
	ck_assert_str_eq(poll_at(3), "cleared:accept:critical:gone@901");
	ck_assert_uint_eq(tracker_count(t), 0);

	cfg->watch_unix = true;
	events_clear(&ev);
	ck_assert_int_eq(tracker_update(t, &snap, &us, cfg, 4 * S, &ev), 0);
	ck_assert_uint_eq(tracker_count(t), 2);
	events_clear(&ev);
	ck_assert_int_eq(tracker_release(t, cfg, 5 * S, &ev), 0);
	ck_assert_str_eq(sig(&ev), "cleared:accept:critical:gone@901");
	ck_assert_uint_eq(tracker_count(t), 0);
	usnap_clear(&us);
}
END_TEST


/* ---- the fast path (issue 17) -------------------------------------------------
 * Two trackers fed the same polls, one with the fast path and one without
 * (tracker_set_fast_path): after every poll the same events, the same
 * state field by field (listeners, details and history, the namespace),
 * and the same status document and metrics. Each case is a script, one
 * poll a line: its time in seconds, then what changed since the last poll
 * (everything else stands still):
 *   dN=V lN=V xN=V  accept depth, limit, sk_drops of listener N
 *   -N +N sockN     N leaves the dump, comes back, is another socket now
 *   gP=V            a SYN scan this poll, V requests at port P (from three
 *                   sources); "scan" for a scan with none
 *   cookies=V somax=V   the sysctls
 *   ctrs=V lo=V     SyncookiesSent and TCPReqQFullDoCookies, or
 *                   ListenOverflows, move by V
 *   nounix          no UNIX dump this poll
 *   conf=K reload rename   another config, a reload, a new namespace name
 *   swap=K          another config, no tracker_reloaded()
 *   warn=V sustain=N realert=S   the config changed in place (read live)
 *   ignoreP         the config's [listener *:P] ignores it now, in place
 *                   (then "reload" announces it, as the contract asks)
 *   release         the namespace goes away (tracker_release)
 *   fast=N          the fast tracker stepped N listeners the fast way */
struct fp_listener {
	uint64_t cookie;
	const char *where;              /* endpoint, or a UNIX path */
	uint32_t depth, limit, drops;
	bool present;
	uint32_t incarnation;           /* sockN: another socket, same cookie */
};

static const struct fp_listener fp_population[] = {
	{ 1, "127.0.0.1:8080", 0, 100, 0, true, 0 },
	{ 2, "0.0.0.0:9090", 0, 128, 7, true, 0 },      /* a reuseport pair */
	{ 3, "0.0.0.0:9090", 0, 128, 0, true, 0 },
	{ 4, "[::1]:443", 0, 4096, 0, true, 0 },
	{ 5, "[::]:8443", 0, 64, 0, false, 0 },         /* comes later */
	{ 901, "/run/a.sock", 0, 16, 0, true, 0 },
	{ 902, "@pool", 0, 4, 0, true, 0 },
};
#define FP_N SW_ARRAY_SIZE(fp_population)

static const char *const fp_confs[] = {
	"",
	"[filter]\nports = 8080,9090,443\n"
	"[listener *:9090]\nwarn = 50%\ncritical = 60%\nclear = 40%\n"
	"[listener @pool*]\nwarn = 10%\ncritical = 99%\nclear = 5%\n",
	"[filter]\nnamespaces = blue\n",
};

static const struct {
	const char *name;
	const char *poll[16];
} fp_cases[] = {
	{ "steady, a depth moves and settles", {
	  "1", "2 fast=6", "3 fast=6", "4 d1=5", "5 fast=6", "6 d1=0 fast=5", "7 fast=6",
	  "8 d901=3", "9 fast=6", "10 d901=0 d4=1", "11 fast=6" } },
	{ "limits and sysctls", {
	  "1", "2 fast=6", "3 l1=50", "4 fast=6", "5 somax=64", "6 fast=6", "7 l4=10 l902=2",
	  "8 cookies=0", "9 cookies=2 g9090=3", "10 g9090=3 fast=6", "11 cookies=1 g9090=3",
	  "12 g9090=3", "13 g9090=3 fast=6", "14 fast=6" } },
	{ "alerts open, re-alert, clear", {
	  "1", "2 d1=85", "3 fast=5", "12", "13", "14 d1=50", "15", "16 fast=6",
	  "17 d1=96", "20 d1=70", "27", "28 d1=10", "29 fast=5", "30 fast=6" } },
	{ "drops: at once, held, flushed", {
	  "1", "2 x1=5", "3 x1=8", "4 fast=5", "30", "63", "64 fast=6", "65 x2=9 x3=4",
	  "66", "130", "131 fast=6" } },
	{ "SYN scans of a reuseport pair", {
	  "1", "2 g9090=5 g8080=1", "3 g9090=5 g8080=1 fast=6", "4 fast=6", "5 g9090=210",
	  "6 g9090=250", "7", "8 g9090=250", "9 g9090=0", "10 -2 g9090=0", "11 g9090=0",
	  "12 +2 scan", "13 scan", "14 scan fast=6" } },
	{ "listeners come and go, a cookie reused", {
	  "1", "2 +5", "3 fast=7", "4 -4", "5 fast=6", "6 sock1", "7 fast=6", "8 d1=99",
	  "9 sock1", "10", "11 fast=5", "12 -901 -902 -1", "13", "14 fast=3" } },
	{ "UNIX: missed dumps, full queues", {
	  "1", "2 nounix fast=4", "3 -901", "4 -901", "5 +901", "6 fast=6", "7 d902=5",
	  "8", "9 d902=4", "10 d902=5", "11 d902=0", "12", "13 fast=6" } },
	{ "reload, another config, a new name, in-place changes", {
	  "1", "2 fast=6", "3 conf=1", "4 fast=6", "5 d2=70", "6", "7 rename", "8 reload",
	  "9 fast=5", "10 conf=0", "11 d1=2", "12 warn=1", "13 warn=80 d1=0", "14",
	  "15 sustain=3 realert=0 fast=6", "16 release" } },
	{ "a SYN alert open between scans, closed by cookies-always", {
	  "1", "2 g8080=99", "3 fast=6", "4 g8080=99", "5 cookies=2", "6 fast=6",
	  "7 cookies=1 g8080=99", "8", "9 g8080=0", "10 scan", "11 scan fast=6" } },
	{ "the filter's choice kept, and changed", {
	  "1 conf=1", "2 fast=6", "3 ignore9090 reload", "4 fast=4", "5", "6 conf=2",
	  "7 fast=6", "8 rename", "9", "10 conf=0", "11 fast=6", "12 swap=2", "13 fast=0",
	  "14 swap=0", "15", "16 fast=6" } },
	{ "namespace counters", {
	  "1", "2 ctrs=5", "3 fast=6", "4 lo=3", "5", "6 lo=2 x1=2", "7", "70 ctrs=1",
	  "71 fast=6" } },
};

struct fp_run {
	struct sw_tracker *fast, *slow;
	struct sw_config *cfg;
	struct fp_listener pop[FP_N];
	struct sw_snapshot s;
	struct sw_unix_snapshot us;
	struct sw_events ev_fast, ev_slow;
	uint64_t counters[_SW_CTR_MAX];
	struct sw_sysctl sysctl;
	unsigned renames;
};

static struct fp_listener *fp_find(struct fp_run *r, uint64_t cookie)
{
	for (size_t i = 0; i < FP_N; i++)
		if (r->pop[i].cookie == cookie)
			return &r->pop[i];
	ck_abort_msg("no listener %llu in the population", (unsigned long long)cookie);
	return NULL;
}

static void fp_config(struct fp_run *r, size_t k)
{
	struct sw_config_errors e = { 0 };

	config_free(r->cfg);
	r->cfg = NULL;
	ck_assert_int_eq(config_load_string("fp.conf", fp_confs[k], &r->cfg, &e), 0);
	r->cfg->realert_usec = 10 * S;
	config_errors_clear(&e);
}

/* The SYN requests of a scan: n at the listener(s) of port p. */
static void fp_requests(struct fp_run *r, uint16_t port, unsigned n)
{
	for (size_t i = 0; i < FP_N; i++) {
		const struct fp_listener *p = &r->pop[i];
		struct sw_request q = { .lport = port };
		uint16_t lp;

		if (!p->present || p->where[0] == '/' || p->where[0] == '@')
			continue;
		parse_ep(p->where, &q.family, q.laddr, &lp);
		if (lp != port)
			continue;
		if (q.family == AF_INET && q.laddr[0] == 0)
			q.laddr[0] = 127, q.laddr[3] = 1;    /* at the wildcard */
		for (unsigned k = 0; k < n; k++) {
			if (q.family == AF_INET) {
				q.raddr[0] = 10, q.raddr[3] = (uint8_t)(1 + k % 3);
			} else {
				q.raddr[0] = 0x20, q.raddr[15] = (uint8_t)(1 + k % 3);
			}
			q.rport = (uint16_t)(40000 + k);
			ck_assert_int_eq(snapshot_add_request(&r->s, &q), 0);
		}
		return;
	}
}

/* The snapshots of one poll, from the population as it is now. */
static void fp_snapshots(struct fp_run *r)
{
	snapshot_reset(&r->s);
	usnap_reset(&r->us);
	r->s.netns = r->us.netns = NETNS;
	r->s.sysctl = r->sysctl;
	r->s.netstat.present = (1u << _SW_CTR_MAX) - 1;
	memcpy(r->s.netstat.value, r->counters, sizeof(r->counters));
	for (size_t i = 0; i < FP_N; i++) {
		const struct fp_listener *p = &r->pop[i];
		uint32_t inode = (uint32_t)(1000 + p->cookie + 100000 * p->incarnation);

		if (!p->present)
			continue;
		if (p->where[0] == '/' || p->where[0] == '@') {
			struct sw_unix_listener u = {
				.cookie = p->cookie, .inode = inode, .type = SOCK_STREAM,
				.depth = p->depth, .limit = p->limit, .uid = 7,
				.has_name = true, .has_rqlen = true, .has_uid = true,
				.abstract = p->where[0] == '@',
			};

			snprintf(u.path, sizeof(u.path), "%s", p->where);
			ck_assert_int_eq(usnap_add(&r->us, &u), 0);
		} else {
			struct sw_listener l = {
				.cookie = p->cookie, .inode = inode, .uid = 7, .cgroup_id = 99,
				.accept_depth = p->depth, .accept_limit = p->limit,
				.drops = p->drops, .has_drops = true, .syn_group = -1,
			};

			parse_ep(p->where, &l.family, l.addr, &l.port);
			ck_assert_int_eq(snapshot_add_listener(&r->s, &l), 0);
		}
	}
	ck_assert_int_eq(snapshot_index(&r->s), 0);
}

#define FP_EQ(x) ck_assert_msg(a->x == b->x, "%s: " #x " differs", where)
#define FP_MEM(x) ck_assert_msg(memcmp(&a->x, &b->x, sizeof(a->x)) == 0, "%s: " #x " differs", where)

static void fp_rule_eq(const struct sw_rule_state *a, const struct sw_rule_state *b,
		       const char *where)
{
	FP_EQ(level); FP_EQ(n_warn); FP_EQ(n_crit); FP_EQ(raised_usec);
	FP_EQ(last_entry_usec); FP_EQ(peak_percent); FP_EQ(has_peak); FP_EQ(samples);
}

static void fp_queue_eq(const struct sw_queue_figures *a, const struct sw_queue_figures *b,
			const char *where)
{
	FP_EQ(depth); FP_EQ(limit); FP_EQ(percent); FP_EQ(peak); FP_EQ(window_peak); FP_EQ(source);
}

static void fp_detail_eq(const struct sw_tracked_detail *a, const struct sw_tracked_detail *b,
			 const char *where)
{
	ck_assert_msg(!a == !b, "%s: detail held by one only", where);
	if (!a)
		return;
	for (size_t i = 0; i < SW_HISTORY_SLOTS; i++) {
		FP_EQ(slot[i].epoch); FP_EQ(slot[i].accept_peak); FP_EQ(slot[i].syn_peak);
		FP_EQ(slot[i].has_accept); FP_EQ(slot[i].has_syn);
	}
	FP_EQ(n_top);
	FP_EQ(other_sources);
	for (size_t i = 0; i < a->n_top; i++) {
		FP_EQ(top[i].family); FP_MEM(top[i].addr); FP_EQ(top[i].count);
	}
	ck_assert_str_eq(a->top_sources, b->top_sources);
}

/* Every field of struct sw_tracked (the size check below says when one was
 * added). */
#if defined(__x86_64__)
_Static_assert(sizeof(struct sw_tracked) == 392,
	       "struct sw_tracked changed: compare the new field in fp_tracked_eq");
#endif

static void fp_tracked_eq(const struct sw_tracked *a, const struct sw_tracked *b, const char *ctx)
{
	struct sw_history_point ha[SW_HISTORY_SLOTS], hb[SW_HISTORY_SLOTS];
	char where[256];

	snprintf(where, sizeof(where), "%s, listener %llu", ctx, (unsigned long long)a->cookie);
	FP_EQ(cookie); FP_EQ(family); FP_EQ(v6only); FP_MEM(addr); FP_EQ(port); FP_EQ(ifindex);
	FP_EQ(inode); FP_EQ(uid); FP_EQ(cgroup_id); FP_EQ(netns);
	ck_assert_msg(!a->path == !b->path && (!a->path || strcmp(a->path, b->path) == 0),
		      "%s: path differs", where);
	FP_EQ(sock_type); FP_EQ(abstract); FP_EQ(relative); FP_EQ(missed);
	fp_queue_eq(&a->accept, &b->accept, where);
	FP_EQ(full.polls); FP_EQ(full.since_usec);
	fp_queue_eq(&a->syn, &b->syn, where);
	FP_EQ(syn_mode); FP_EQ(syn_scanned); FP_EQ(syn_scanned_last); FP_EQ(syn_members);
	FP_EQ(syn_reporter); FP_EQ(somaxconn_stale); FP_EQ(somaxconn_at_first);
	FP_EQ(drops.total); FP_EQ(drops.delta); FP_EQ(drops.last_raw); FP_EQ(drops.last_usec);
	FP_EQ(drops.known);
	FP_EQ(drops_rule.unreported); FP_EQ(drops_rule.last_entry_usec);
	FP_EQ(drops_rule.has_entry); FP_EQ(drops_rule.entries);
	FP_EQ(level);
	fp_rule_eq(&a->accept_rule, &b->accept_rule, where);
	fp_rule_eq(&a->syn_rule, &b->syn_rule, where);
	FP_EQ(first_seen_usec); FP_EQ(last_seen_usec);
	fp_detail_eq(a->detail, b->detail, where);
	ck_assert_str_eq(tracker_top_sources(a), tracker_top_sources(b));
	ck_assert_uint_eq(tracker_history(a, ha), tracker_history(b, hb));
	for (size_t i = 0; i < SW_HISTORY_SLOTS; i++) {
		const struct sw_history_point *pa = &ha[i], *pb = &hb[i];

		ck_assert_msg(pa->start_usec == pb->start_usec && pa->accept_peak == pb->accept_peak &&
			      pa->syn_peak == pb->syn_peak && pa->has_accept == pb->has_accept &&
			      pa->has_syn == pb->has_syn, "%s: history slot %zu differs", where, i);
	}
}

static void fp_ns_eq(const struct sw_ns_state *a, const struct sw_ns_state *b, const char *where)
{
	FP_EQ(netns); FP_EQ(info.id); FP_EQ(info.own);
	ck_assert_str_eq(nsinfo_name(&a->info), nsinfo_name(&b->info));
	FP_EQ(sysctl.somaxconn); FP_EQ(sysctl.max_syn_backlog); FP_EQ(sysctl.syncookies);
	FP_MEM(counters.value); FP_EQ(counters.present); FP_MEM(delta); FP_EQ(delta_known);
	FP_EQ(listener_drops_delta); FP_EQ(polls); FP_EQ(first_usec); FP_EQ(last_usec);
	FP_MEM(rule.pending); FP_EQ(rule.pending_any); FP_EQ(rule.pending_critical);
	FP_EQ(rule.last_entry_usec); FP_EQ(rule.has_entry); FP_EQ(rule.entries);
	FP_EQ(rule.overflow_debt); FP_MEM(rule.held);
}

static void fp_events_eq(const struct sw_events *ea, const struct sw_events *eb, const char *ctx)
{
	char where[256];

	ck_assert_msg(ea->n == eb->n, "%s: %zu events against %zu", ctx, ea->n, eb->n);
	for (size_t i = 0; i < ea->n; i++) {
		const struct sw_event *a = &ea->v[i], *b = &eb->v[i];

		snprintf(where, sizeof(where), "%s, event %zu", ctx, i);
		FP_EQ(kind); FP_EQ(level); FP_EQ(cleared_level); FP_EQ(queue); FP_EQ(listener_gone);
		FP_EQ(ns.id); FP_EQ(has_listener); FP_EQ(family); FP_MEM(addr); FP_EQ(port);
		ck_assert_str_eq(a->path, b->path);
		FP_EQ(sock_type); FP_EQ(cookie); FP_EQ(inode); FP_EQ(cgroup_id);
		FP_EQ(depth); FP_EQ(limit); FP_EQ(peak); FP_EQ(percent); FP_EQ(limit_source);
		FP_EQ(syn_mode); FP_EQ(somaxconn_stale); FP_EQ(full_at_limit); FP_EQ(full_polls);
		FP_EQ(full_usec); FP_EQ(drops); FP_EQ(drops_total); FP_EQ(somaxconn);
		FP_EQ(max_syn_backlog); FP_EQ(syncookies); FP_MEM(counter_delta);
		ck_assert_str_eq(a->top_sources, b->top_sources);
	}
}

/* What a reader sees of tr: the status document and the metrics. */
static void fp_outputs(const struct sw_tracker *tr, const struct sw_config *c, uint64_t now,
		       char **ret_status, char **ret_metrics, size_t *ret_mlen)
{
	static const struct sw_status_daemon d = { .pid = 1, .syn_mode = "auto" };
	struct sw_status_ns ns = { .tracker = tr, .age_ms = 5000, .syn_last_age_ms = UINT64_MAX };
	struct sw_status_inputs in = { .daemon = &d, .ns = &ns, .n_ns = 1, .cfg = c, .now_usec = now };
	struct sw_metrics_opts o = { .max_listeners = 100, .version = "test" };
	size_t len;

	ck_assert_int_eq(status_format(&in, NULL, SIZE_MAX, ret_status, &len, NULL), 0);
	ck_assert_int_eq(metrics_format(&in, &o, ret_metrics, ret_mlen), 0);
}

static void fp_compare(struct fp_run *r, uint64_t now, const char *ctx)
{
	char *sa, *sb, *ma, *mb;
	size_t la, lb;

	fp_events_eq(&r->ev_fast, &r->ev_slow, ctx);
	ck_assert_uint_eq(tracker_count(r->fast), tracker_count(r->slow));
	ck_assert_uint_eq(tracker_capacity(r->fast), tracker_capacity(r->slow));
	for (size_t i = 0; i < tracker_count(r->fast); i++)
		fp_tracked_eq(tracker_get(r->fast, i), tracker_get(r->slow, i), ctx);
	fp_ns_eq(tracker_ns(r->fast), tracker_ns(r->slow), ctx);
	ck_assert_msg(tracker_any_at_warn(r->fast) == tracker_any_at_warn(r->slow), "%s: at warn", ctx);
	ck_assert_uint_eq(tracker_syn_at_warn(r->fast), tracker_syn_at_warn(r->slow));
	ck_assert_uint_eq(tracker_fast_steps(r->slow), 0);

	fp_outputs(r->fast, r->cfg, now, &sa, &ma, &la);
	fp_outputs(r->slow, r->cfg, now, &sb, &mb, &lb);
	ck_assert_msg(strcmp(sa, sb) == 0, "%s: status differs:\n%s\n%s", ctx, sa, sb);
	ck_assert_msg(la == lb && memcmp(ma, mb, la) == 0, "%s: metrics differ", ctx);
	free(sa);
	free(sb);
	free(ma);
	free(mb);
}

/* Applies one poll's line to the population and the trackers; returns
 * its time, and in *ret_fast the fast= figure (-1: none). */
static uint64_t fp_apply(struct fp_run *r, const char *line, long *ret_fast, bool *ret_unix,
			 bool *ret_release)
{
	char buf[256], *save = NULL, *tok;
	uint64_t now = 0;
	bool scan = false;
	unsigned long long a, b;
	char c;

	*ret_fast = -1;
	*ret_unix = true;
	*ret_release = false;
	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!now) {
			now = strtoull(tok, NULL, 10) * S;
		} else if (sscanf(tok, "%c%llu=%llu", &c, &a, &b) == 3 && strchr("dlxg", c)) {
			if (c == 'g') {
				scan = true;
				continue;     /* after the snapshot is built */
			}
			struct fp_listener *p = fp_find(r, a);

			if (c == 'd')
				p->depth = (uint32_t)b;
			else if (c == 'l')
				p->limit = (uint32_t)b;
			else
				p->drops = (uint32_t)b;
		} else if (tok[0] == '-' || tok[0] == '+') {
			fp_find(r, strtoull(tok + 1, NULL, 10))->present = tok[0] == '+';
		} else if (sscanf(tok, "sock%llu", &a) == 1) {
			fp_find(r, a)->incarnation++;
		} else if (strcmp(tok, "scan") == 0) {
			scan = true;
		} else if (sscanf(tok, "cookies=%llu", &a) == 1) {
			r->sysctl.syncookies = (int32_t)a;
		} else if (sscanf(tok, "somax=%llu", &a) == 1) {
			r->sysctl.somaxconn = (int32_t)a;
		} else if (sscanf(tok, "ctrs=%llu", &a) == 1) {
			r->counters[SW_CTR_SYNCOOKIES_SENT] += a;
			r->counters[SW_CTR_REQQ_FULL_COOKIES] += a;
		} else if (sscanf(tok, "lo=%llu", &a) == 1) {
			r->counters[SW_CTR_LISTEN_OVERFLOWS] += a;
		} else if (strcmp(tok, "nounix") == 0) {
			*ret_unix = false;
		} else if (sscanf(tok, "conf=%llu", &a) == 1) {
			fp_config(r, (size_t)a);
			tracker_reloaded(r->fast);
			tracker_reloaded(r->slow);
		} else if (sscanf(tok, "swap=%llu", &a) == 1) {
			fp_config(r, (size_t)a);
		} else if (strcmp(tok, "reload") == 0) {
			tracker_reloaded(r->fast);
			tracker_reloaded(r->slow);
		} else if (strcmp(tok, "rename") == 0) {
			struct sw_nsinfo info = { .id = NETNS, .name = { .kind = NETNS_KIND_NETNS } };

			snprintf(info.name.name, sizeof(info.name.name), "red%u", ++r->renames);
			tracker_set_ns(r->fast, &info);
			tracker_set_ns(r->slow, &info);
		} else if (sscanf(tok, "warn=%llu", &a) == 1) {
			r->cfg->th.warn = (double)a;
		} else if (sscanf(tok, "sustain=%llu", &a) == 1) {
			r->cfg->sustain = (unsigned)a;
		} else if (sscanf(tok, "realert=%llu", &a) == 1) {
			r->cfg->realert_usec = a * S;
		} else if (strcmp(tok, "release") == 0) {
			*ret_release = true;
		} else if (sscanf(tok, "ignore%llu", &a) == 1) {
			for (size_t i = 0; i < r->cfg->n_overrides; i++)
				if (!r->cfg->overrides[i].is_path && r->cfg->overrides[i].port == a)
					r->cfg->overrides[i].ignore = true;
		} else if (sscanf(tok, "fast=%llu", &a) == 1) {
			*ret_fast = (long)a;
		} else {
			ck_abort_msg("bad token '%s' in '%s'", tok, line);
		}
	}
	fp_snapshots(r);
	if (scan) {
		snprintf(buf, sizeof(buf), "%s", line);
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			if (sscanf(tok, "g%llu=%llu", &a, &b) == 2)
				fp_requests(r, (uint16_t)a, (unsigned)b);
		r->s.syn_scanned = true;
	}
	return now;
}

START_TEST(test_fast_path_equivalence)
{
	struct sw_nsinfo info = { .id = NETNS, .name = { .kind = NETNS_KIND_NETNS, .name = "blue" } };
	struct fp_run r = { 0 };

	memcpy(r.pop, fp_population, sizeof(r.pop));
	for (int k = 0; k < _SW_CTR_MAX; k++)
		r.counters[k] = 1000;
	r.sysctl = (struct sw_sysctl){ .somaxconn = 4096, .max_syn_backlog = 2048, .syncookies = 1 };
	snapshot_init(&r.s);
	usnap_init(&r.us);
	fp_config(&r, 0);
	ck_assert_int_eq(tracker_new(&r.fast), 0);
	ck_assert_int_eq(tracker_new(&r.slow), 0);
	tracker_set_fast_path(r.slow, false);
	tracker_set_ns(r.fast, &info);
	tracker_set_ns(r.slow, &info);

	for (size_t k = 0; k < SW_ARRAY_SIZE(fp_cases[_i].poll) && fp_cases[_i].poll[k]; k++) {
		const char *line = fp_cases[_i].poll[k];
		bool with_unix, release;
		long want_fast;
		uint64_t now = fp_apply(&r, line, &want_fast, &with_unix, &release);
		char ctx[200];

		snprintf(ctx, sizeof(ctx), "%s, poll '%s'", fp_cases[_i].name, line);
		events_clear(&r.ev_fast);
		events_clear(&r.ev_slow);
		if (release) {
			ck_assert_int_eq(tracker_release(r.fast, r.cfg, now, &r.ev_fast), 0);
			ck_assert_int_eq(tracker_release(r.slow, r.cfg, now, &r.ev_slow), 0);
		} else {
			ck_assert_int_eq(tracker_update(r.fast, &r.s, with_unix ? &r.us : NULL, r.cfg,
							now, &r.ev_fast), 0);
			ck_assert_int_eq(tracker_update(r.slow, &r.s, with_unix ? &r.us : NULL, r.cfg,
							now, &r.ev_slow), 0);
		}
		fp_compare(&r, now, ctx);
		if (want_fast >= 0)
			ck_assert_msg(tracker_fast_steps(r.fast) == (size_t)want_fast,
				      "%s: %zu fast steps, want %ld", ctx, tracker_fast_steps(r.fast),
				      want_fast);
	}
	tracker_free(r.fast);
	tracker_free(r.slow);
	events_free(&r.ev_fast);
	events_free(&r.ev_slow);
	snapshot_clear(&r.s);
	usnap_clear(&r.us);
	config_free(r.cfg);
}
END_TEST

static Suite *tracker_suite(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc = tcase_create("tracker");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_unix_script, 0, SW_ARRAY_SIZE(ux_cases));
	tcase_add_test(tc, test_unix_figures);
	tcase_add_test(tc, test_unix_off_and_release);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_appear_vanish);
	tcase_add_test(tc, test_vanish_flushes_drops);
	tcase_add_test(tc, test_cookie_reuse);
	tcase_add_test(tc, test_reuseport_group);
	tcase_add_test(tc, test_reuseport_gone_together);
	tcase_add_test(tc, test_reuseport_handover_state);
	tcase_add_test(tc, test_drops_baseline_wrap);
	tcase_add_test(tc, test_new_listener_drops_reported);
	tcase_add_test(tc, test_netstat_syncookies);
	tcase_add_test(tc, test_netstat_cookies_always);
	tcase_add_test(tc, test_filter_ignore);
	tcase_add_test(tc, test_memory_churn);
	tcase_add_test(tc, test_history_slots);
	tcase_add_test(tc, test_syn_rules_scan_and_mode);
	tcase_add_test(tc, test_event_fields);
	tcase_add_test(tc, test_at_warn);
	tcase_add_test(tc, test_syn_at_warn);
	tcase_add_loop_test(tc, test_drops_queue_full_rule, 0, (int)SW_ARRAY_SIZE(drops_queue_cases));
	tcase_add_test(tc, test_duplicate_in_dump);
	tcase_add_test(tc, test_top_sources_bounded);
	tcase_add_loop_test(tc, test_sequence_table, 0, (int)SW_ARRAY_SIZE(seq_cases));
	tcase_add_test(tc, test_events_array);
	tcase_add_loop_test(tc, test_fast_path_equivalence, 0, (int)SW_ARRAY_SIZE(fp_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(tracker_suite());
}

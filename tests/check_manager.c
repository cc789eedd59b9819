/* manager's decisions (decide.c), table-driven: what triggers a SYN scan
 * (SYN queues at warn and the SYN counters only, honouring
 * tcp_syncookies = 2; an accept-queue alert keeps the idle SYN cadence),
 * the poll interval, lateness, the watchdog keep-alive and the dumps'
 * deadline; and the grammar of the test seams (faults.c) but for rcvbuf,
 * which needs a netlink socket. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "checkrun.h"
#include "decide.h"
#include "faults.h"
#include "synsched.h"
#include "macro.h"

#define MS USEC_PER_MSEC
#define S  USEC_PER_SEC
#define ALL ((1u << _SW_CTR_MAX) - 1)

/* Counter deltas of one poll, against a previous poll at 1000 for each. */
struct syn_case {
	const char *name;
	size_t syn_at_warn;
	int32_t syncookies;
	uint64_t d_overflows, d_drops, d_full_drop, d_full_cookies, d_sent, d_recv;
	uint32_t prev_present, now_present;   /* 0: ALL */
	bool no_prev;
	bool want;
};

static const struct syn_case syn_cases[] = {
	{ "nothing moved", 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, false, false },
	{ "a SYN queue at warn", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, false, true },
	{ "a SYN queue at warn, no previous poll", 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, true, true },
	{ "accept-only alert: ListenOverflows == ListenDrops", 0, 1, 7, 7, 0, 0, 0, 0, 0, 0, false, false },
	{ "accept-only, mode 0", 0, 0, 500, 500, 0, 0, 0, 0, 0, 0, false, false },
	{ "ListenDrops beyond ListenOverflows", 0, 0, 7, 8, 0, 0, 0, 0, 0, 0, false, true },
	{ "ListenDrops alone", 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, false, true },
	{ "TCPReqQFullDrop", 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, false, true },
	{ "TCPReqQFullDrop under mode 2", 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, false, true },
	{ "TCPReqQFullDoCookies, mode 1", 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, false, true },
	{ "SyncookiesSent, mode 1", 0, 1, 0, 0, 0, 0, 4, 0, 0, 0, false, true },
	{ "SyncookiesSent, mode unknown", 0, -1, 0, 0, 0, 0, 4, 0, 0, 0, false, true },
	{ "mode 2: cookie counters move on every SYN", 0, 2, 0, 0, 0, 900, 900, 900, 0, 0, false, false },
	{ "mode 2: cookies and an accept-only alert", 0, 2, 30, 30, 0, 900, 900, 0, 0, 0, false, false },
	{ "SyncookiesRecv alone says nothing", 0, 1, 0, 0, 0, 0, 0, 50, 0, 0, false, false },
	{ "no previous poll", 0, 1, 9, 9, 9, 9, 9, 9, 0, 0, true, false },
	{ "TCPReqQFullDrop absent now", 0, 1, 0, 0, 5, 0, 0, 0, 0,
	  ALL & ~(1u << SW_CTR_REQQ_FULL_DROP), false, false },
	{ "TCPReqQFullDrop absent before", 0, 1, 0, 0, 5, 0, 0, 0,
	  ALL & ~(1u << SW_CTR_REQQ_FULL_DROP), 0, false, false },
	{ "SyncookiesSent absent", 0, 1, 0, 0, 0, 0, 5, 0, 0,
	  ALL & ~(1u << SW_CTR_SYNCOOKIES_SENT), false, false },
	{ "ListenOverflows unknown: ListenDrops says nothing", 0, 0, 0, 5, 0, 0, 0, 0, 0,
	  ALL & ~(1u << SW_CTR_LISTEN_OVERFLOWS), false, false },
	{ "no counters at all", 0, 1, 1, 2, 3, 4, 5, 6, 0, 1u << _SW_CTR_MAX, false, false },
};

static void syn_counters(const struct syn_case *c, struct sw_netstat *prev, struct sw_netstat *now)
{
	const uint64_t d[_SW_CTR_MAX] = {
		[SW_CTR_LISTEN_OVERFLOWS] = c->d_overflows,
		[SW_CTR_LISTEN_DROPS] = c->d_drops,
		[SW_CTR_REQQ_FULL_DROP] = c->d_full_drop,
		[SW_CTR_REQQ_FULL_COOKIES] = c->d_full_cookies,
		[SW_CTR_SYNCOOKIES_SENT] = c->d_sent,
		[SW_CTR_SYNCOOKIES_RECV] = c->d_recv,
	};

	for (int i = 0; i < _SW_CTR_MAX; i++) {
		prev->value[i] = 1000;
		now->value[i] = 1000 + d[i];
	}
	prev->present = c->prev_present ? c->prev_present & ALL : ALL;
	now->present = c->now_present ? c->now_present & ALL : ALL;
}

START_TEST(test_syn_scan)
{
	const struct syn_case *c = &syn_cases[_i];
	struct sw_netstat prev, now;

	syn_counters(c, &prev, &now);
	ck_assert_msg(decide_syn_scan(c->syn_at_warn, c->no_prev ? NULL : &prev, &now,
				      c->syncookies) == c->want,
		      "%s: want %d", c->name, c->want);
}
END_TEST

/* A counter that went backwards (a namespace's counters never do) is no
 * evidence either. */
START_TEST(test_syn_scan_backwards)
{
	struct sw_netstat prev = { .present = ALL }, now = { .present = ALL };

	prev.value[SW_CTR_REQQ_FULL_DROP] = 10;
	now.value[SW_CTR_REQQ_FULL_DROP] = 3;
	ck_assert(!decide_syn_scan(0, &prev, &now, 1));
}
END_TEST

/* Over an hour of polls with an accept queue in alert (its counters
 * moving every poll, ListenDrops == ListenOverflows) the SYN scans come at
 * the idle cadence, exactly as with no alert at all; a SYN counter that
 * moves on every poll makes them come faster. alert_from: when the accept
 * queue reaches warn; the poll period then drops to fast_interval, as
 * schedule_poll() does, and the scheduler hears of it the same way.
 * scan_cost: cheap scans, whose budget allows one every poll, show a
 * cadence that followed the faster polls. */
static uint64_t scans_in_an_hour(uint64_t d_overflows, uint64_t d_drops, uint64_t d_full_drop,
				 uint64_t alert_from, uint64_t scan_cost)
{
	struct sw_config cfg = {
		.interval_usec = 1 * S, .fast_interval_usec = 200 * MS,
		.syn_scan = SW_SYN_SCAN_AUTO, .cpu_budget = 1.0,
	};
	struct sw_synsched s;
	struct sw_netstat prev = { .present = ALL }, now = { .present = ALL };
	uint64_t n = 0, period = 0, step;

	synsched_init(&s, cfg.syn_scan, cfg.cpu_budget, cfg.interval_usec);
	for (uint64_t t = 0; t < 3600 * S; t += step) {
		step = decide_interval(t >= alert_from, cfg.interval_usec, cfg.fast_interval_usec);
		if (step != period) {
			period = step;
			synsched_apply(&s, &cfg, period);
		}
		now.value[SW_CTR_LISTEN_OVERFLOWS] += d_overflows;
		now.value[SW_CTR_LISTEN_DROPS] += d_drops;
		now.value[SW_CTR_REQQ_FULL_DROP] += d_full_drop;
		synsched_poll_cost(&s, 200);
		if (synsched_due(&s, t, decide_syn_scan(0, t ? &prev : NULL, &now, 1))) {
			synsched_scanned(&s, t, scan_cost);
			n++;
		}
		prev = now;
	}
	return n;
}

START_TEST(test_accept_alert_keeps_idle_cadence)
{
	const uint64_t never = UINT64_MAX;
	uint64_t idle = scans_in_an_hour(0, 0, 0, never, 50 * MS);
	uint64_t cheap = scans_in_an_hour(0, 0, 0, never, 1 * MS);

	/* Polls stay at 1 s (the queue under warn, its counters moving). */
	ck_assert_uint_gt(idle, 0);
	ck_assert_uint_eq(scans_in_an_hour(40, 40, 0, never, 50 * MS), idle);
	ck_assert_uint_gt(scans_in_an_hour(40, 40, 1, never, 50 * MS), idle);

	/* The queue at warn from the first poll or from half way: polls every
	 * 200 ms, SYN scans still once a second (one a poll at idle). */
	ck_assert_uint_eq(cheap, 3600);
	ck_assert_uint_eq(scans_in_an_hour(40, 40, 0, 0, 1 * MS), cheap);
	ck_assert_uint_eq(scans_in_an_hour(40, 40, 0, 1800 * S, 1 * MS), cheap);
	/* Scans the budget spaces wider than a poll stay within it (the
	 * faster polls only let them land nearer their due time). */
	ck_assert_uint_le(scans_in_an_hour(40, 40, 0, 1800 * S, 50 * MS), 3600 * S / (5 * S));
	/* ... unless the SYN queues show pressure: then every fast poll. */
	ck_assert_uint_gt(scans_in_an_hour(40, 40, 1, 1800 * S, 1 * MS), cheap);
}
END_TEST

static const struct {
	bool any_at_warn;
	uint64_t interval, fast, want;
} interval_cases[] = {
	{ false, 1 * S, 100 * MS, 1 * S },
	{ true, 1 * S, 100 * MS, 100 * MS },
	{ true, 1 * S, 1 * S, 1 * S },
	{ false, 60 * S, 5 * S, 60 * S },
	{ true, 60 * S, 5 * S, 5 * S },
};

START_TEST(test_interval)
{
	ck_assert_uint_eq(decide_interval(interval_cases[_i].any_at_warn, interval_cases[_i].interval,
					  interval_cases[_i].fast),
			  interval_cases[_i].want);
}
END_TEST

static const struct {
	uint64_t current, interval, want;
} threshold_cases[] = {
	{ 0, 1 * S, 500 * MS },          /* none chosen yet: interval counts */
	{ 1 * S, 60 * S, 500 * MS },     /* the period in force counts */
	{ 100 * MS, 1 * S, 100 * MS },   /* half is 50 ms: LATE_MIN */
	{ 10 * MS, 1 * S, 100 * MS },
	{ 200 * MS, 1 * S, 100 * MS },
	{ 300 * MS, 1 * S, 150 * MS },
	{ 2 * S, 1 * S, 1 * S },         /* exactly LATE_MAX */
	{ 60 * S, 60 * S, 1 * S },       /* never only beyond LATE_MAX */
};

START_TEST(test_late_threshold)
{
	ck_assert_uint_eq(decide_late_threshold(threshold_cases[_i].current,
						threshold_cases[_i].interval),
			  threshold_cases[_i].want);
}
END_TEST

/* A sequence of polls: due, started, and the lateness record after each. */
static const struct {
	uint64_t due, start;
	uint64_t want_last, want_max, want_late;
} lateness_steps[] = {
	{ 0, 5 * S, 0, 0, 0 },                   /* the first poll, due at once */
	{ 6 * S, 6 * S, 0, 0, 0 },               /* on time */
	{ 7 * S, 7 * S + 400 * MS, 400 * MS, 400 * MS, 0 },   /* under the threshold */
	{ 8 * S, 8 * S + 500 * MS, 500 * MS, 500 * MS, 0 },   /* exactly it: not late */
	{ 9 * S, 9 * S + 501 * MS, 501 * MS, 501 * MS, 1 },
	{ 10 * S, 9 * S + 900 * MS, 0, 501 * MS, 1 },         /* early counts as 0 */
	{ 11 * S, 14 * S, 3 * S, 3 * S, 2 },
	{ 15 * S, 15 * S + 10 * MS, 10 * MS, 3 * S, 2 },
};

START_TEST(test_lateness)
{
	struct sw_lateness l = { 0 };

	for (size_t i = 0; i < SW_ARRAY_SIZE(lateness_steps); i++) {
		decide_note_lateness(&l, lateness_steps[i].due, lateness_steps[i].start, 500 * MS);
		ck_assert_msg(l.last_usec == lateness_steps[i].want_last &&
			      l.max_usec == lateness_steps[i].want_max &&
			      l.late_polls == lateness_steps[i].want_late,
			      "step %zu: last %llu max %llu late %llu", i,
			      (unsigned long long)l.last_usec, (unsigned long long)l.max_usec,
			      (unsigned long long)l.late_polls);
	}
}
END_TEST

static const struct {
	uint64_t watchdog, interval, want;
} keepalive_cases[] = {
	{ 0, 60 * S, 0 },             /* no watchdog */
	{ 30 * S, 1 * S, 0 },         /* the polls suffice */
	{ 30 * S, 15 * S, 0 },        /* exactly half: a poll comes in time */
	{ 30 * S, 16 * S, 15 * S },
	{ 30 * S, 60 * S, 15 * S },
	{ 2 * S, 1 * S, 0 },
	{ 2 * S, 5 * S, 1 * S },
};

START_TEST(test_keepalive_period)
{
	ck_assert_uint_eq(decide_keepalive_usec(keepalive_cases[_i].watchdog,
						keepalive_cases[_i].interval),
			  keepalive_cases[_i].want);
}
END_TEST

/* One poll's dumps together stay under half the watchdog, with room left
 * for the rest of the poll; 10 s without a watchdog and at most. */
static const struct {
	uint64_t watchdog, want;
} budget_cases[] = {
	{ 0, 10 * S },
	{ 30 * S, 10 * S },
	{ 3 * 60 * S, 10 * S },
	{ 12 * S, 4 * S },
	{ 3 * S, 1 * S },
	{ 1 * S, 333333 },
};

START_TEST(test_poll_budget)
{
	uint64_t wd = budget_cases[_i].watchdog, got = decide_poll_budget_usec(wd);

	ck_assert_uint_eq(got, budget_cases[_i].want);
	if (wd)
		ck_assert_uint_lt(got, wd / 2);
}
END_TEST

static const struct {
	bool armed;
	uint64_t due, now, grace;
	bool last_ok, want;
} alive_cases[] = {
	{ true, 60 * S, 15 * S, 15 * S, true, true },
	{ true, 60 * S, 75 * S, 15 * S, true, true },    /* just due: grace */
	{ true, 60 * S, 76 * S, 15 * S, true, false },   /* overdue: the timer does not fire */
	{ false, 60 * S, 15 * S, 15 * S, true, false },  /* polls stopped */
	{ true, 60 * S, 15 * S, 15 * S, false, false },  /* the last poll failed */
};

START_TEST(test_keepalive_ok)
{
	ck_assert(decide_keepalive_ok(alive_cases[_i].armed, alive_cases[_i].due,
				      alive_cases[_i].now, alive_cases[_i].grace,
				      alive_cases[_i].last_ok) == alive_cases[_i].want);
}
END_TEST

static const struct {
	const char *root, *spec;
	int want;
	size_t n;
	uint64_t stop, hang;
} seam_cases[] = {
	{ NULL, NULL, 0, 0, 0, 0 },
	{ "/tmp/p", "", 0, 0, 0, 0 },
	{ "p", NULL, -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr=2", 0, 1, 0, 0 },
	{ NULL, "listeners-intr=2-5,synrecv-eperm=1,synrecv-enobufs=3-3", 0, 3, 0, 0 },
	{ NULL, "poll-stop=20", 0, 0, 20, 0 },
	{ NULL, "poll-hang=5,listeners-eperm=1", 0, 1, 0, 5 },
	{ NULL, "poll-stop=0", -EINVAL, 0, 0, 0 },
	{ NULL, "poll-hang=", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr=0", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr=5-3", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr=+5", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr=5-", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-eperm=x", -EINVAL, 0, 0, 0 },
	{ NULL, "synrecv-bogus=1", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr", -EINVAL, 0, 0, 0 },
	{ NULL, "listeners-intr=99999999999999999999", -EINVAL, 0, 0, 0 },
};

START_TEST(test_seams)
{
	struct sw_faults f = { 0 };
	int r;

	if (seam_cases[_i].root)
		setenv("SOCKWATCHD_PROC_ROOT", seam_cases[_i].root, 1);
	else
		unsetenv("SOCKWATCHD_PROC_ROOT");
	if (seam_cases[_i].spec)
		setenv("SOCKWATCHD_TEST_FAULT", seam_cases[_i].spec, 1);
	else
		unsetenv("SOCKWATCHD_TEST_FAULT");
	r = faults_init(&f, NULL, NULL);
	ck_assert_int_eq(r, seam_cases[_i].want);
	if (r == 0) {
		ck_assert_str_eq(f.proc_root, seam_cases[_i].root ? seam_cases[_i].root : "/proc");
		ck_assert_uint_eq(f.n, seam_cases[_i].n);
		ck_assert_uint_eq(f.stop_after, seam_cases[_i].stop);
		ck_assert_uint_eq(f.hang_at, seam_cases[_i].hang);
		ck_assert(faults_stop_polling(&f, 1) == (seam_cases[_i].stop == 1));
		if (seam_cases[_i].stop) {
			ck_assert(!faults_stop_polling(&f, seam_cases[_i].stop - 1));
			ck_assert(faults_stop_polling(&f, seam_cases[_i].stop));
			ck_assert(faults_stop_polling(&f, seam_cases[_i].stop + 1));
		}
	}
	faults_clear(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("manager");
	TCase *tc = tcase_create("decide");

	tcase_add_loop_test(tc, test_syn_scan, 0, (int)SW_ARRAY_SIZE(syn_cases));
	tcase_add_test(tc, test_syn_scan_backwards);
	tcase_add_test(tc, test_accept_alert_keeps_idle_cadence);
	tcase_add_loop_test(tc, test_interval, 0, (int)SW_ARRAY_SIZE(interval_cases));
	tcase_add_loop_test(tc, test_late_threshold, 0, (int)SW_ARRAY_SIZE(threshold_cases));
	tcase_add_test(tc, test_lateness);
	tcase_add_loop_test(tc, test_keepalive_period, 0, (int)SW_ARRAY_SIZE(keepalive_cases));
	tcase_add_loop_test(tc, test_keepalive_ok, 0, (int)SW_ARRAY_SIZE(alive_cases));
	tcase_add_loop_test(tc, test_poll_budget, 0, (int)SW_ARRAY_SIZE(budget_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_loop_test(tc, test_seams, 0, (int)SW_ARRAY_SIZE(seam_cases));
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}

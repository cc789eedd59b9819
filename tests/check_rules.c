/* rules: the queue-depth state machine over tables of sample sequences
 * (levels, hysteresis, sustain, re-alert timing, escalation, no downgrade),
 * the listener drops rule (burst between polls, spacing, flush, nothing
 * lost) and the namespace counters rule. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "rules.h"

#define MS 1000ULL
#define S USEC_PER_SEC
#define MAX_STEPS 16

#define NONE  SW_RULE_NONE
#define WARN  SW_RULE_RAISE_WARNING
#define CRIT  SW_RULE_RAISE_CRITICAL
#define AGAIN SW_RULE_REALERT
#define CLEAR SW_RULE_CLEARED

#define L_OK   SW_LEVEL_OK
#define L_WARN SW_LEVEL_WARNING
#define L_CRIT SW_LEVEL_CRITICAL

struct step {
	double pct;
	uint64_t t;                 /* usec */
	enum sw_rule_action want;
	enum sw_level state;        /* level raised after the step */
};

struct rule_case {
	const char *name;
	struct sw_thresholds th;
	unsigned sustain;
	uint64_t realert;
	struct step steps[MAX_STEPS];
};

#define TH_DEFAULT { .warn = 80, .critical = 95, .clear = 60 }

/* Sample times default to one per second when t is 0 after the first row:
 * the loop below fills them. */
static const struct rule_case rule_cases[] = {
	{ "hysteresis 85,85,70,65,59 clear 60", TH_DEFAULT, 1, 0, {
		{ 50, 0, NONE, L_OK },
		{ 85, 0, WARN, L_WARN },
		{ 85, 0, NONE, L_WARN },
		{ 70, 0, NONE, L_WARN },
		{ 65, 0, NONE, L_WARN },
		{ 59, 0, CLEAR, L_OK },
		{ 59, 0, NONE, L_OK },
		{ 70, 0, NONE, L_OK },
		{ 80, 0, WARN, L_WARN },   /* exactly warn raises */
		{ 60, 0, NONE, L_WARN },   /* exactly clear does not clear */
		{ 59.99, 0, CLEAR, L_OK },
	} },
	{ "sustain 3", TH_DEFAULT, 3, 0, {
		{ 85, 0, NONE, L_OK },
		{ 85, 0, NONE, L_OK },
		{ 85, 0, WARN, L_WARN },
		{ 59, 0, CLEAR, L_OK },
		{ 85, 0, NONE, L_OK },
		{ 85, 0, NONE, L_OK },
		{ 70, 0, NONE, L_OK },     /* breaks the run */
		{ 85, 0, NONE, L_OK },
		{ 85, 0, NONE, L_OK },
		{ 85, 0, WARN, L_WARN },
	} },
	{ "sustain 3 at critical raises critical directly", TH_DEFAULT, 3, 0, {
		{ 96, 0, NONE, L_OK },
		{ 96, 0, NONE, L_OK },
		{ 96, 0, CRIT, L_CRIT },
		{ 96, 0, NONE, L_CRIT },
	} },
	{ "sustain 3: warning run, then escalation at once", TH_DEFAULT, 3, 0, {
		{ 85, 0, NONE, L_OK },
		{ 96, 0, NONE, L_OK },
		{ 96, 0, WARN, L_WARN },   /* 3 at warn, only 2 at critical */
		{ 96, 0, CRIT, L_CRIT },   /* one sample suffices once warning is up */
	} },
	{ "sustain 0 counts as 1", TH_DEFAULT, 0, 0, {
		{ 85, 0, WARN, L_WARN },
	} },
	{ "escalation warning -> critical", TH_DEFAULT, 1, 0, {
		{ 85, 0, WARN, L_WARN },
		{ 95, 0, CRIT, L_CRIT },
		{ 99, 0, NONE, L_CRIT },
	} },
	{ "no downgrade from critical", TH_DEFAULT, 1, 0, {
		{ 120, 0, CRIT, L_CRIT },
		{ 85, 0, NONE, L_CRIT },
		{ 70, 0, NONE, L_CRIT },
		{ 96, 0, NONE, L_CRIT },   /* still the same alert: no second raise */
		{ 61, 0, NONE, L_CRIT },
		{ 10, 0, CLEAR, L_OK },
	} },
	{ "realert every 300 s with its own timer", TH_DEFAULT, 1, 300 * S, {
		{ 85, 1 * S, WARN, L_WARN },
		{ 85, 100 * S, NONE, L_WARN },
		{ 85, 301 * S - 1, NONE, L_WARN },
		{ 85, 301 * S, AGAIN, L_WARN },
		{ 70, 400 * S, NONE, L_WARN },
		{ 70, 601 * S, AGAIN, L_WARN },   /* still raised between clear and warn */
		{ 97, 700 * S, CRIT, L_CRIT },    /* escalation restarts the timer */
		{ 97, 901 * S, NONE, L_CRIT },
		{ 97, 1000 * S, AGAIN, L_CRIT },
		{ 50, 1001 * S, CLEAR, L_OK },
		{ 50, 5000 * S, NONE, L_OK },     /* nothing to repeat once cleared */
		{ 85, 5001 * S, WARN, L_WARN },
		{ 85, 5300 * S, NONE, L_WARN },   /* new alert, new timer */
		{ 85, 5301 * S, AGAIN, L_WARN },
	} },
	{ "realert 0 never repeats", TH_DEFAULT, 1, 0, {
		{ 99, 1 * S, CRIT, L_CRIT },
		{ 99, 100000 * S, NONE, L_CRIT },
		{ 99, 1000000 * S, NONE, L_CRIT },
	} },
	{ "sustain again after a clear", TH_DEFAULT, 2, 0, {
		{ 85, 0, NONE, L_OK },
		{ 85, 0, WARN, L_WARN },
		{ 30, 0, CLEAR, L_OK },
		{ 85, 0, NONE, L_OK },
		{ 85, 0, WARN, L_WARN },
	} },
	{ "override thresholds", { .warn = 50, .critical = 70, .clear = 40 }, 1, 0, {
		{ 49, 0, NONE, L_OK },
		{ 50, 0, WARN, L_WARN },
		{ 45, 0, NONE, L_WARN },
		{ 70, 0, CRIT, L_CRIT },
		{ 39, 0, CLEAR, L_OK },
	} },
};

static size_t case_steps(const struct rule_case *c)
{
	size_t n = 0;

	while (n < MAX_STEPS && (c->steps[n].pct != 0 || c->steps[n].want != NONE ||
				 c->steps[n].t != 0))
		n++;
	return n;
}

START_TEST(test_rules_table)
{
	const struct rule_case *c = &rule_cases[_i];
	struct sw_rule_state st;
	enum sw_level prev = L_OK;
	size_t n = case_steps(c);

	ck_assert_uint_gt(n, 0);
	rules_state_init(&st);
	for (size_t i = 0; i < n; i++) {
		const struct step *sp = &c->steps[i];
		uint64_t t = sp->t ? sp->t : (i + 1) * S;
		struct sw_rule_out out;
		enum sw_rule_action a;

		a = rules_step(&st, sp->pct, &c->th, c->sustain, c->realert, t, &out);
		ck_assert_msg(a == sp->want, "%s: step %zu (%.2f%%): got %s, want %s",
			      c->name, i, sp->pct, rules_action_name(a), rules_action_name(sp->want));
		ck_assert_int_eq(out.action, a);
		ck_assert_msg(st.level == sp->state, "%s: step %zu: level %d, want %d",
			      c->name, i, st.level, sp->state);
		switch (a) {
		case SW_RULE_CLEARED:
			ck_assert_int_eq(out.level, prev);   /* the level that cleared */
			break;
		case SW_RULE_RAISE_WARNING:
		case SW_RULE_RAISE_CRITICAL:
		case SW_RULE_REALERT:
			ck_assert_int_eq(out.level, st.level);
			ck_assert_uint_eq(st.last_entry_usec, t);
			break;
		case SW_RULE_NONE:
			break;
		}
		ck_assert(out.escalated == (a == SW_RULE_RAISE_CRITICAL && prev == L_WARN));
		prev = st.level;
	}
}
END_TEST

START_TEST(test_rules_peak)
{
	struct sw_thresholds th = TH_DEFAULT;
	struct sw_rule_state st;
	struct sw_rule_out out;

	rules_state_init(&st);
	ck_assert_int_eq(rules_step(&st, 10, &th, 3, 100 * S, 1 * S, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 90, &th, 3, 100 * S, 2 * S, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 93, &th, 3, 100 * S, 3 * S, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 85, &th, 3, 100 * S, 4 * S, &out), WARN);
	/* The peak covers every sample since the previous entry (none). */
	ck_assert_double_eq(out.peak_percent, 93);
	ck_assert_uint_eq(st.raised_usec, 4 * S);
	ck_assert_int_eq(rules_step(&st, 94, &th, 3, 100 * S, 50 * S, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 82, &th, 3, 100 * S, 104 * S, &out), AGAIN);
	ck_assert_double_eq(out.peak_percent, 94);
	ck_assert_uint_eq(st.raised_usec, 4 * S);   /* the alert is still the one of 4 s */
	ck_assert_int_eq(rules_step(&st, 20, &th, 3, 100 * S, 105 * S, &out), CLEAR);
	ck_assert_double_eq(out.peak_percent, 20);
	ck_assert_int_eq(out.level, L_WARN);
	ck_assert_uint_eq(st.samples, 7);
}
END_TEST

START_TEST(test_rules_close)
{
	struct sw_thresholds th = TH_DEFAULT;
	struct sw_rule_state st;
	struct sw_rule_out out;

	rules_state_init(&st);
	ck_assert_int_eq(rules_close(&st, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 99, &th, 1, 0, 1, &out), CRIT);
	ck_assert_int_eq(rules_close(&st, &out), CLEAR);
	ck_assert_int_eq(out.level, L_CRIT);
	ck_assert_int_eq(st.level, L_OK);
	ck_assert_uint_eq(st.n_warn, 0);
	/* Closed means reset: with sustain 2 a new alert needs two samples. */
	ck_assert_int_eq(rules_step(&st, 99, &th, 2, 0, 2, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 99, &th, 2, 0, 3, &out), CRIT);
	ck_assert_int_eq(rules_step(&st, 99, &th, 2, 0, 4, NULL), NONE);
}
END_TEST

/* A re-alert on demand: only with an alert open, at its level, and it
 * restarts the re-alert spacing like any entry. */
START_TEST(test_rules_realert_now)
{
	struct sw_thresholds th = TH_DEFAULT;
	struct sw_rule_state st;
	struct sw_rule_out out;

	rules_state_init(&st);
	ck_assert_int_eq(rules_realert_now(&st, 1, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 99, &th, 1, 10, 1, &out), CRIT);
	ck_assert_int_eq(rules_step(&st, 120, &th, 1, 10, 2, &out), NONE);
	ck_assert_int_eq(rules_realert_now(&st, 3, &out), SW_RULE_REALERT);
	ck_assert_int_eq(out.level, L_CRIT);
	ck_assert(out.peak_percent == 120);
	ck_assert_uint_eq(st.last_entry_usec, 3);
	ck_assert_int_eq(rules_step(&st, 99, &th, 1, 10, 12, &out), NONE);
	ck_assert_int_eq(rules_step(&st, 99, &th, 1, 10, 13, &out), SW_RULE_REALERT);
	ck_assert_int_eq(rules_step(&st, 1, &th, 1, 10, 14, &out), CLEAR);
	ck_assert_int_eq(rules_realert_now(&st, 15, NULL), NONE);
}
END_TEST

/* ---- drops ---------------------------------------------------------------- */

struct drops_step {
	uint64_t t;                 /* usec */
	uint64_t delta;
	uint64_t want;              /* drops reported now, 0 = no entry */
};

struct drops_case {
	const char *name;
	struct drops_step steps[MAX_STEPS];
	size_t n;
	uint64_t flush_at, want_flush;  /* rules_drops_flush() after the steps */
};

static const struct drops_case drops_cases[] = {
	{ "burst between polls: reported at once, no depth needed", {
		{ 1 * S, 0, 0 },
		{ 2 * S, 13, 13 },
		{ 3 * S, 0, 0 },
	}, 3, 4 * S, 0 },
	{ "spacing: one entry per 60 s, then the quiet poll flushes", {
		{ 0, 5, 5 },
		{ 10 * S, 3, 0 },
		{ 30 * S, 2, 0 },
		{ 60 * S - 1, 0, 0 },
		{ 60 * S, 0, 5 },          /* drops stopped: flushed after the window */
		{ 61 * S, 1, 0 },
		{ 100 * S, 0, 0 },
		{ 120 * S, 0, 1 },
		{ 500 * S, 7, 7 },         /* long quiet: at once again */
	}, 9, 501 * S, 0 },
	{ "continuing drops carry everything since the last entry", {
		{ 1 * S, 1, 1 },
		{ 21 * S, 1, 0 },
		{ 41 * S, 1, 0 },
		{ 61 * S, 1, 3 },
		{ 81 * S, 4, 0 },
		{ 101 * S, 4, 0 },
	}, 6, 102 * S, 8 },            /* the vanishing listener's last 8 */
	{ "flush with nothing pending", {
		{ 1 * S, 2, 2 },
	}, 1, 2 * S, 0 },
};

START_TEST(test_drops_table)
{
	const struct drops_case *c = &drops_cases[_i];
	struct sw_drops_rule st = { 0 };
	uint64_t in = 0, reported = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct drops_step *sp = &c->steps[i];
		uint64_t got = rules_drops_step(&st, sp->delta, SW_RULES_DROPS_INTERVAL_USEC, sp->t);

		ck_assert_msg(got == sp->want, "%s: step %zu: reported %llu, want %llu", c->name, i,
			      (unsigned long long)got, (unsigned long long)sp->want);
		in += sp->delta;
		reported += got;
	}
	ck_assert_uint_eq(rules_drops_flush(&st, c->flush_at), c->want_flush);
	reported += c->want_flush;
	/* Nothing lost, nothing counted twice. */
	ck_assert_uint_eq(reported, in);
	ck_assert_uint_eq(st.unreported, 0);
}
END_TEST

START_TEST(test_drops_never_lost)
{
	struct sw_drops_rule st = { 0 };
	uint64_t in = 0, out = 0, last = 0, entries = 0, t = 0;
	bool have_last = false;

	srand(12345);
	for (int i = 0; i < 20000; i++) {
		uint64_t d = (rand() % 4 == 0) ? (uint64_t)(rand() % 50) : 0;
		uint64_t got;

		t += (uint64_t)(rand() % 3000 + 100) * USEC_PER_MSEC;
		got = rules_drops_step(&st, d, SW_RULES_DROPS_INTERVAL_USEC, t);
		in += d;
		if (got) {
			if (have_last)
				ck_assert_uint_ge(t - last, SW_RULES_DROPS_INTERVAL_USEC);
			last = t;
			have_last = true;
			entries++;
		}
		out += got;
	}
	out += rules_drops_flush(&st, t);
	ck_assert_uint_eq(out, in);
	ck_assert_uint_gt(entries, 10);
}
END_TEST

/* ---- namespace counters ----------------------------------------------------------- */

#define ALL_KNOWN ((1u << _SW_CTR_MAX) - 1)

START_TEST(test_ns_rule)
{
	struct sw_ns_rule st = { 0 };
	struct sw_ns_rule_out o;
	uint64_t d[_SW_CTR_MAX] = { 0 };

	/* Quiet: nothing. */
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 1 * S, &o));

	/* ListenOverflows fully explained by listener drops: nothing. */
	d[SW_CTR_LISTEN_OVERFLOWS] = 5;
	d[SW_CTR_LISTEN_DROPS] = 5;
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 5, 60 * S, 2 * S, &o));
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 9, 60 * S, 3 * S, &o));

	/* More overflows than the listeners explain, and the next poll's
	 * drops (read a dump later) pay the rest: nothing. */
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 3, 60 * S, 3500 * MS, &o));
	ck_assert_uint_eq(st.overflow_debt, 2);
	memset(d, 0, sizeof(d));
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 2, 60 * S, 3600 * MS, &o));
	ck_assert_uint_eq(st.overflow_debt, 0);

	/* More overflows than this poll's drops and the next poll's explain:
	 * an entry at the next poll, carrying the poll they came from. */
	d[SW_CTR_LISTEN_OVERFLOWS] = 5;
	d[SW_CTR_LISTEN_DROPS] = 5;
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 3, 60 * S, 3700 * MS, &o));
	memset(d, 0, sizeof(d));
	ck_assert(rules_ns_step(&st, d, ALL_KNOWN, false, 1, 60 * S, 4 * S, &o));
	ck_assert_int_eq(o.level, L_WARN);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_LISTEN_OVERFLOWS], 5);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_LISTEN_DROPS], 5);

	/* Cookies sent within the minute: held, accumulated. */
	memset(d, 0, sizeof(d));
	d[SW_CTR_SYNCOOKIES_SENT] = 10;
	d[SW_CTR_REQQ_FULL_COOKIES] = 10;
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 10 * S, &o));
	d[SW_CTR_SYNCOOKIES_SENT] = 7;
	d[SW_CTR_REQQ_FULL_COOKIES] = 0;
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 20 * S, &o));
	/* A poll whose movement is explained adds nothing. */
	memset(d, 0, sizeof(d));
	d[SW_CTR_LISTEN_OVERFLOWS] = 2;
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 2, 60 * S, 30 * S, &o));
	/* Quiet poll after the window flushes what was held. */
	memset(d, 0, sizeof(d));
	ck_assert(rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 64 * S, &o));
	ck_assert_int_eq(o.level, L_WARN);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_SYNCOOKIES_SENT], 17);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_REQQ_FULL_COOKIES], 10);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_LISTEN_OVERFLOWS], 0);
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 200 * S, &o));

	/* TCPReqQFullDrop: connections lost, critical. */
	d[SW_CTR_REQQ_FULL_DROP] = 1;
	ck_assert(rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 201 * S, &o));
	ck_assert_int_eq(o.level, L_CRIT);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_REQQ_FULL_DROP], 1);
	ck_assert_uint_eq(st.entries, 3);

	/* Unknown deltas are not movement. */
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN & ~(1u << SW_CTR_REQQ_FULL_DROP), false, 0,
				 60 * S, 1000 * S, &o));
}
END_TEST

/* tcp_syncookies = 2: every SYN is a cookie and counted as one, so the
 * cookie counters alone never make an entry; ListenOverflows the listeners
 * do not explain still does, and carries them. */
START_TEST(test_ns_rule_cookies_always)
{
	struct sw_ns_rule st = { 0 };
	struct sw_ns_rule_out o;
	uint64_t d[_SW_CTR_MAX] = { 0 };

	d[SW_CTR_SYNCOOKIES_SENT] = 500;
	d[SW_CTR_REQQ_FULL_COOKIES] = 500;
	for (uint64_t t = 1; t <= 300; t += 10)
		ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, true, 0, 60 * S, t * S, &o));
	ck_assert_uint_eq(st.entries, 0);
	/* The same poll under mode 1 is an entry. */
	ck_assert(rules_ns_step(&st, d, ALL_KNOWN, false, 0, 60 * S, 301 * S, &o));

	memset(&st, 0, sizeof(st));
	d[SW_CTR_LISTEN_OVERFLOWS] = 4;
	ck_assert(!rules_ns_step(&st, d, ALL_KNOWN, true, 1, 60 * S, 400 * S, &o));
	memset(d, 0, sizeof(d));      /* the next poll explains nothing of it */
	ck_assert(rules_ns_step(&st, d, ALL_KNOWN, true, 0, 60 * S, 401 * S, &o));
	ck_assert_int_eq(o.level, L_WARN);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_LISTEN_OVERFLOWS], 4);
	ck_assert_uint_eq(o.counter_delta[SW_CTR_SYNCOOKIES_SENT], 500);
}
END_TEST

/* rules_step_would_idle against rules_step itself: every sample of every
 * sequence below, at sustain 1..3 and with or without re-alerts, is asked
 * first; where it says idle, rules_step must return NONE and change
 * nothing but samples (+1). The sequence passes through every level, run
 * and peak, so both answers come often. */
START_TEST(test_rules_would_idle)
{
	static const double seq[] = { 0, 0, 10, 10, 5, 85, 85, 70, 96, 97, 59, 0, 0, 81, 50, 50,
				      100, 100, 20, 20, 79.99, 79.99, 0 };
	const struct sw_thresholds th = { .warn = 80, .critical = 95, .clear = 60 };
	unsigned idle = 0, busy = 0;

	for (unsigned sustain = 1; sustain <= 3; sustain++) {
		for (int re = 0; re < 2; re++) {
			struct sw_rule_state st;

			rules_state_init(&st);
			for (size_t i = 0; i < SW_ARRAY_SIZE(seq); i++) {
				struct sw_rule_state before = st;
				bool would = rules_step_would_idle(&st, seq[i], &th);
				enum sw_rule_action a = rules_step(&st, seq[i], &th, sustain,
								   re ? 2 * S : 0, (i + 1) * S, NULL);

				if (would) {
					idle++;
					ck_assert_int_eq(a, NONE);
					before.samples++;
					ck_assert_msg(memcmp(&before, &st, sizeof(st)) == 0,
						      "sample %zu (%.2f) changed more than samples", i, seq[i]);
				} else {
					busy++;
				}
			}
		}
	}
	ck_assert_uint_gt(idle, 10);
	ck_assert_uint_gt(busy, 10);

	/* The drops rule: idle exactly when nothing moved or waits. */
	{
		struct sw_drops_rule d = { 0 };

		ck_assert(rules_drops_would_idle(&d, 0));
		ck_assert(!rules_drops_would_idle(&d, 1));
		d.unreported = 3;
		ck_assert(!rules_drops_would_idle(&d, 0));
	}
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("depth");

	tcase_add_loop_test(tc, test_rules_table, 0, (int)SW_ARRAY_SIZE(rule_cases));
	tcase_add_test(tc, test_rules_peak);
	tcase_add_test(tc, test_rules_close);
	tcase_add_test(tc, test_rules_realert_now);
	tcase_add_test(tc, test_rules_would_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("drops");
	tcase_add_loop_test(tc, test_drops_table, 0, (int)SW_ARRAY_SIZE(drops_cases));
	tcase_add_test(tc, test_drops_never_lost);
	suite_add_tcase(s, tc);

	tc = tcase_create("namespace");
	tcase_add_test(tc, test_ns_rule);
	tcase_add_test(tc, test_ns_rule_cookies_always);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sw_check_run(rules_suite());
}

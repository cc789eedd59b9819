/* synsched: the SYN-scan cadence against simulated hours of polls with fake
 * scan costs (constant, spiky, growing, random, too costly for the cap),
 * triggered bursts, and the always/off modes. The CPU share achieved is
 * the sum of the costs of the scans run, over the time simulated. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkrun.h"
#include "synsched.h"
#include "macro.h"

#define SEC  USEC_PER_SEC
#define MSEC USEC_PER_MSEC
#define HOUR (3600 * SEC)

struct sim_cfg;
typedef uint64_t (*cost_fn)(const struct sim_cfg *c, uint64_t n, uint64_t t);
typedef bool (*trig_fn)(const struct sim_cfg *c, uint64_t t);

struct sim_cfg {
	const char *name;
	enum sw_syn_scan mode;
	double budget_pct;
	uint64_t poll;
	cost_fn cost;
	uint64_t a, b, c;            /* the cost function's parameters */
	trig_fn trig;
	uint64_t t0, t1;             /* the trigger's window */
	bool jitter;                 /* polls fire up to 2% of poll early or late */
};

struct sim_res {
	uint64_t scans;
	uint64_t cost;               /* total, usec */
	uint64_t max_gap, min_gap;
	uint64_t max_cost;
	uint64_t polls;
	/* within [t0, t1) and outside it */
	uint64_t cost_in, cost_out;
	uint64_t scans_in;
	uint64_t first_trigger_delay; /* from t0 to the first scan at or after it */
};

/* Deterministic pseudo-random numbers (64-bit LCG, top bits). */
static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static uint64_t cost_const(const struct sim_cfg *c, uint64_t n, uint64_t t)
{
	return c->a;
}

/* a, and b every c-th scan */
static uint64_t cost_spiky(const struct sim_cfg *c, uint64_t n, uint64_t t)
{
	return n % c->c == c->c - 1 ? c->b : c->a;
}

/* from a at t=0 to b at one hour, linearly */
static uint64_t cost_linear(const struct sim_cfg *c, uint64_t n, uint64_t t)
{
	return c->a + (uint64_t)((double)(c->b - c->a) * (double)t / (double)HOUR);
}

/* a, doubling every b usec */
static uint64_t cost_doubling(const struct sim_cfg *c, uint64_t n, uint64_t t)
{
	return (uint64_t)((double)c->a * exp2((double)t / (double)c->b));
}

/* uniform in [a, 2a) and, one time in c, b instead */
static uint64_t cost_random(const struct sim_cfg *c, uint64_t n, uint64_t t)
{
	if (rng() % c->c == 0)
		return c->b;
	return c->a + rng() % (c->a ? c->a : 1);
}

/* a while t < hour/2, then b */
static uint64_t cost_step(const struct sim_cfg *c, uint64_t n, uint64_t t)
{
	return t < HOUR / 2 ? c->a : c->b;
}

static bool trig_window(const struct sim_cfg *c, uint64_t t)
{
	return t >= c->t0 && t < c->t1;
}

static bool trig_never(const struct sim_cfg *c, uint64_t t)
{
	return false;
}

static void simulate(const struct sim_cfg *c, uint64_t duration, struct sim_res *r)
{
	struct sw_synsched s;
	uint64_t last = 0;
	bool any = false, seen_trigger = false;

	*r = (struct sim_res){ .min_gap = UINT64_MAX };
	rng_state = 42;
	synsched_init(&s, c->mode, c->budget_pct, c->poll);
	for (uint64_t k = 0;; k++) {
		uint64_t t = k * c->poll;
		bool trig;

		if (c->jitter && t > 0) {
			int64_t j = (int64_t)(rng() % (c->poll / 25 + 1)) - (int64_t)(c->poll / 50);

			t = (uint64_t)((int64_t)t + j);
		}
		if (t >= duration)
			break;
		r->polls++;
		trig = c->trig ? c->trig(c, t) : false;
		if (!synsched_due(&s, t, trig))
			continue;

		uint64_t cost = c->cost(c, r->scans, t);

		synsched_scanned(&s, t, cost);
		ck_assert_uint_eq(s.last_cost_usec, cost);
		ck_assert_uint_eq(s.last_scan_usec, t);
		r->scans++;
		r->cost += cost;
		r->max_cost = SW_MAX(r->max_cost, cost);
		if (c->trig && t >= c->t0 && t < c->t1) {
			r->cost_in += cost;
			r->scans_in++;
		} else {
			r->cost_out += cost;
		}
		if (c->trig && !seen_trigger && t >= c->t0) {
			seen_trigger = true;
			r->first_trigger_delay = t - c->t0;
		}
		if (any) {
			r->max_gap = SW_MAX(r->max_gap, t - last);
			r->min_gap = SW_MIN(r->min_gap, t - last);
		}
		any = true;
		last = t;
	}
	/* The time since the last scan counts as a gap too. */
	if (any && duration - last > r->max_gap)
		r->max_gap = duration - last;
}

static double share_pct(uint64_t cost, uint64_t span)
{
	return 100.0 * (double)cost / (double)span;
}

/* Auto mode under budget: an hour of polls, for every shape of cost. */
struct budget_case {
	struct sim_cfg cfg;
	double min_share_pct;        /* not so shy that it never scans */
	uint64_t max_gap;            /* a SYN queue is never unseen longer than this */
};

static const struct budget_case budget_cases[] = {
	/* 5 ms at 1% wants 500 ms, less than the poll: every poll, 0.5%. */
	{ { .name = "constant 5ms, poll 1s", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_const, 5 * MSEC },
	  0.49, 1 * SEC },
	{ { .name = "constant 5ms, poll 100ms", SW_SYN_SCAN_AUTO, 1.0, 100 * MSEC, cost_const, 5 * MSEC },
	  0.9, 500 * MSEC },
	{ { .name = "constant 50ms (100k conns), poll 1s", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_const,
	    50 * MSEC }, 0.9, 5 * SEC },
	{ { .name = "constant 50ms, poll 1s, jitter", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_const,
	    50 * MSEC, .jitter = true }, 0.75, 6 * SEC + 40 * MSEC },
	{ { .name = "constant 50ms, budget 5%", SW_SYN_SCAN_AUTO, 5.0, 200 * MSEC, cost_const,
	    50 * MSEC }, 4.5, 1 * SEC },
	{ { .name = "constant 3ms, budget 0.1%", SW_SYN_SCAN_AUTO, 0.1, 1 * SEC, cost_const,
	    3 * MSEC }, 0.09, 3 * SEC },
	{ { .name = "spiky: 2ms, 400ms every 50th", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_spiky,
	    2 * MSEC, 400 * MSEC, 50 }, 0.2, 30 * SEC },
	{ { .name = "spiky: 20ms, 500ms every 10th", SW_SYN_SCAN_AUTO, 1.0, 200 * MSEC, cost_spiky,
	    20 * MSEC, 500 * MSEC, 10 }, 0.4, 30 * SEC },
	{ { .name = "spiky: 1ms, 590ms every 3rd, jitter", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_spiky,
	    1 * MSEC, 590 * MSEC, 3, .jitter = true }, 0.4, 60 * SEC },
	{ { .name = "random: 10-20ms, 1 in 20 is 300ms", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_random,
	    10 * MSEC, 300 * MSEC, 20, .jitter = true }, 0.4, 30 * SEC },
	{ { .name = "growing linearly 1ms to 500ms", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_linear,
	    1 * MSEC, 500 * MSEC }, 0.6, 51 * SEC },
	{ { .name = "doubling every 10 min, 1ms to 64ms", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_doubling,
	    1 * MSEC, 600 * SEC }, 0.4, 8 * SEC },
	{ { .name = "doubling every 6 min, 0.5ms to 512ms", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_doubling,
	    500, 360 * SEC }, 0.6, 52 * SEC },
	{ { .name = "step 1ms to 300ms at half time", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_step,
	    1 * MSEC, 300 * MSEC }, 0.4, 31 * SEC },
	{ { .name = "step 300ms to 1ms at half time", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_step,
	    300 * MSEC, 1 * MSEC }, 0.4, 31 * SEC },
	{ { .name = "free scans (0us)", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_const, 0 },
	  0.0, 1 * SEC },
};

START_TEST(test_budget)
{
	const struct budget_case *bc = &budget_cases[_i];
	const struct sim_cfg *c = &bc->cfg;
	struct sim_res r;
	double share;

	simulate(c, HOUR, &r);
	share = share_pct(r.cost, HOUR);
	printf("# %-40s share %.4f%% of %.2f%%, %llu scans, gaps %.3f..%.3f s\n", c->name,
	       share, c->budget_pct, (unsigned long long)r.scans, (double)r.min_gap / SEC,
	       (double)r.max_gap / SEC);
	ck_assert_msg(share <= c->budget_pct, "%s: share %.4f%% > budget %.2f%% (%llu scans)",
		      c->name, share, c->budget_pct, (unsigned long long)r.scans);
	ck_assert_msg(share >= bc->min_share_pct, "%s: share %.4f%% < %.2f%%: too shy",
		      c->name, share, bc->min_share_pct);
	ck_assert_msg(r.max_gap <= bc->max_gap, "%s: gap of %llu ms > %llu ms", c->name,
		      (unsigned long long)(r.max_gap / MSEC),
		      (unsigned long long)(bc->max_gap / MSEC));
	/* Never more often than polls, never past the cap. */
	ck_assert_uint_le(r.scans, r.polls);
	ck_assert_uint_le(r.max_gap, SW_SYNSCHED_MAX_INTERVAL_USEC + c->poll + c->poll / 50);
}
END_TEST

/* Scans costing more than budget x cap: the cap wins, one a minute. */
START_TEST(test_cap_beats_budget)
{
	const struct sim_cfg c = { .name = "2s scans", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_const,
				   2 * SEC };
	struct sw_synsched s;
	struct sim_res r;

	simulate(&c, HOUR, &r);
	ck_assert_uint_eq(r.max_gap, SW_SYNSCHED_MAX_INTERVAL_USEC);
	ck_assert_uint_eq(r.min_gap, SW_SYNSCHED_MAX_INTERVAL_USEC);
	ck_assert_uint_eq(r.scans, 60);

	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 0, 2 * SEC);
	ck_assert_uint_eq(synsched_interval(&s), SW_SYNSCHED_MAX_INTERVAL_USEC);

	/* A poll interval above the cap is the floor still: scans cannot
	 * happen between polls. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 300 * SEC);
	synsched_scanned(&s, 0, 2 * SEC);
	ck_assert_uint_eq(synsched_interval(&s), 300 * SEC);
	ck_assert(!synsched_due(&s, 150 * SEC, false));
	ck_assert(synsched_due(&s, 300 * SEC, false));
}
END_TEST

/* One slow scan among cheap ones widens the next gap by part of its cost,
 * not by all of it. */
START_TEST(test_one_slow_scan)
{
	struct sw_synsched s;
	uint64_t t = 0;

	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	for (int i = 0; i < 100; i++, t += SEC) {
		ck_assert(synsched_due(&s, t, false));
		synsched_scanned(&s, t, 2 * MSEC);
	}
	ck_assert_uint_eq(synsched_interval(&s), 1 * SEC);
	synsched_scanned(&s, t, 500 * MSEC);       /* alone it asks for 50 s */
	ck_assert_uint_gt(synsched_interval(&s), 5 * SEC);
	ck_assert_uint_le(synsched_interval(&s), 30 * SEC);
	/* and cheap scans bring the cadence back within a few minutes */
	for (int i = 0; i < 40 && synsched_interval(&s) > SEC; i++) {
		t += synsched_interval(&s);
		ck_assert(synsched_due(&s, t, false));
		synsched_scanned(&s, t, 2 * MSEC);
	}
	ck_assert_uint_eq(synsched_interval(&s), 1 * SEC);
}
END_TEST

/* Triggered bursts: a SYN flood triggers every poll for ten minutes. */
struct trigger_case {
	struct sim_cfg cfg;
};

static const struct trigger_case trigger_cases[] = {
	{ { .name = "50ms scans, poll 200ms", SW_SYN_SCAN_AUTO, 1.0, 200 * MSEC, cost_const, 50 * MSEC,
	    .trig = trig_window, .t0 = 1202 * SEC + 100 * MSEC, .t1 = 1800 * SEC } },
	{ { .name = "50ms scans, poll 1s", SW_SYN_SCAN_AUTO, 1.0, 1 * SEC, cost_const, 50 * MSEC,
	    .trig = trig_window, .t0 = 1202 * SEC + 500 * MSEC, .t1 = 1800 * SEC } },
	{ { .name = "400ms scans, poll 100ms, jitter", SW_SYN_SCAN_AUTO, 1.0, 100 * MSEC, cost_const,
	    400 * MSEC, .trig = trig_window, .t0 = 610 * SEC, .t1 = 1210 * SEC,
	    .jitter = true } },
	{ { .name = "5ms scans, poll 100ms", SW_SYN_SCAN_AUTO, 1.0, 100 * MSEC, cost_const, 5 * MSEC,
	    .trig = trig_window, .t0 = 1 * SEC, .t1 = 601 * SEC } },
	{ { .name = "spiky scans, poll 200ms", SW_SYN_SCAN_AUTO, 2.0, 200 * MSEC, cost_spiky, 20 * MSEC,
	    500 * MSEC, 7, .trig = trig_window, .t0 = 900 * SEC, .t1 = 1500 * SEC } },
	{ { .name = "trigger the whole hour", SW_SYN_SCAN_AUTO, 1.0, 200 * MSEC, cost_linear,
	    1 * MSEC, 300 * MSEC, .trig = trig_window, .t0 = 0, .t1 = HOUR } },
};

START_TEST(test_trigger_burst)
{
	const struct sim_cfg *c = &trigger_cases[_i].cfg;
	struct sim_cfg quiet = *c;
	struct sim_res r, q;
	double in, out, factor = SW_SYNSCHED_TRIGGER_FACTOR;

	simulate(c, HOUR, &r);
	quiet.trig = trig_never;
	simulate(&quiet, HOUR, &q);

	in = share_pct(r.cost_in, c->t1 - c->t0);
	printf("# %-40s burst %.3f%%, outside %.4f%%, %llu scans (%llu quiet), first after %.3f s\n",
	       c->name, in, c->t1 - c->t0 < HOUR ? share_pct(r.cost_out, HOUR - (c->t1 - c->t0)) : 0.0,
	       (unsigned long long)r.scans, (unsigned long long)q.scans,
	       (double)r.first_trigger_delay / SEC);
	ck_assert_msg(in <= factor * c->budget_pct, "%s: %.3f%% during the burst > %g x %.2f%%",
		      c->name, in, factor, c->budget_pct);
	/* The burst does scan more than the quiet cadence would have. */
	ck_assert_msg(r.scans > q.scans, "%s: %llu scans, %llu without triggers", c->name,
		      (unsigned long long)r.scans, (unsigned long long)q.scans);
	/* The first trigger is answered at the next poll, or as soon as the
	 * trigger's own spacing (at most max cost / (10 x budget)) allows. */
	ck_assert_msg(r.first_trigger_delay <=
		      SW_MAX(c->poll, (uint64_t)((double)r.max_cost /
						 (factor * c->budget_pct / 100.0))) +
		      c->poll + c->poll / 50,
		      "%s: first triggered scan %llu us late", c->name,
		      (unsigned long long)r.first_trigger_delay);
	if (c->t1 - c->t0 < HOUR) {
		out = share_pct(r.cost_out, HOUR - (c->t1 - c->t0));
		/* Outside the burst the budget holds again (one scan of slack
		 * for the scan at the burst's edge). */
		ck_assert_msg(out <= c->budget_pct + share_pct(r.max_cost, HOUR - (c->t1 - c->t0)),
			      "%s: %.3f%% outside the burst", c->name, out);
	}
}
END_TEST

START_TEST(test_first_scan_immediate)
{
	static const enum sw_syn_scan modes[] = { SW_SYN_SCAN_AUTO, SW_SYN_SCAN_ALWAYS };
	struct sw_synsched s;

	for (size_t i = 0; i < SW_ARRAY_SIZE(modes); i++) {
		synsched_init(&s, modes[i], 1.0, 1 * SEC);
		ck_assert(synsched_due(&s, 0, false));
		ck_assert(synsched_due(&s, 123456789, false));
		ck_assert_uint_eq(synsched_interval(&s), 1 * SEC);
	}
}
END_TEST

START_TEST(test_mode_off)
{
	const struct sim_cfg c = { .name = "off", SW_SYN_SCAN_OFF, 1.0, 200 * MSEC, cost_const, 1 * MSEC,
				   .trig = trig_window, .t0 = 0, .t1 = HOUR };
	struct sw_synsched s;
	struct sim_res r;

	simulate(&c, HOUR, &r);
	ck_assert_uint_eq(r.scans, 0);

	synsched_init(&s, SW_SYN_SCAN_OFF, 1.0, 1 * SEC);
	ck_assert(!synsched_due(&s, 0, false));
	ck_assert(!synsched_due(&s, 0, true));
	ck_assert(!synsched_due(&s, HOUR, true));
	ck_assert_uint_eq(synsched_interval(&s), 0);
	/* A scan made anyway (--once) is recorded, still none is due. */
	synsched_scanned(&s, 0, 10 * MSEC);
	ck_assert_uint_eq(s.last_cost_usec, 10 * MSEC);
	ck_assert(!synsched_due(&s, HOUR, true));
	ck_assert_uint_eq(synsched_interval(&s), 0);
}
END_TEST

START_TEST(test_mode_always)
{
	/* 400 ms at 200 ms polls is 200% of a core: always means always. */
	const struct sim_cfg c = { .name = "always", SW_SYN_SCAN_ALWAYS, 1.0, 200 * MSEC, cost_const,
				   400 * MSEC, .jitter = true };
	struct sw_synsched s;
	struct sim_res r;

	simulate(&c, HOUR, &r);
	ck_assert_uint_eq(r.scans, r.polls);

	synsched_init(&s, SW_SYN_SCAN_ALWAYS, 1.0, 1 * SEC);
	synsched_scanned(&s, 10 * SEC, 5 * SEC);
	ck_assert(synsched_due(&s, 10 * SEC, false));
	ck_assert(synsched_due(&s, 10 * SEC + 1, true));
	ck_assert_uint_eq(synsched_interval(&s), 1 * SEC);
}
END_TEST

START_TEST(test_poll_jitter_tolerated)
{
	struct sw_synsched s;

	/* Cheap scans: the cadence is the poll; a timer a little early must
	 * not skip a poll. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 10 * SEC, 1 * MSEC);
	ck_assert_uint_eq(synsched_interval(&s), 1 * SEC);
	ck_assert(!synsched_due(&s, 10 * SEC + 500 * MSEC, false));
	ck_assert(synsched_due(&s, 11 * SEC - 1, false));
	ck_assert(synsched_due(&s, 11 * SEC - 100 * MSEC, false));
	ck_assert(!synsched_due(&s, 11 * SEC - 200 * MSEC, false));

	/* Costly scans: the budget spacing is never cut short. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 20 * SEC, 30 * MSEC);
	ck_assert_uint_eq(synsched_interval(&s), 3 * SEC);
	ck_assert(!synsched_due(&s, 23 * SEC - 1, false));
	ck_assert(synsched_due(&s, 23 * SEC, false));

	/* Nearly at the poll: slack only down to the budget spacing. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 0, 9990);             /* 999 ms of budget spacing */
	ck_assert_uint_eq(synsched_interval(&s), 1 * SEC);
	ck_assert(!synsched_due(&s, 998 * MSEC, false));
	ck_assert(synsched_due(&s, 999 * MSEC, false));
}
END_TEST

START_TEST(test_trigger_gap)
{
	struct sw_synsched s;

	/* 100 ms scans at 1%: 10 s apart, triggered 1 s apart at most. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 200 * MSEC);
	synsched_scanned(&s, 0, 100 * MSEC);
	ck_assert_uint_eq(synsched_interval(&s), 10 * SEC);
	ck_assert(!synsched_due(&s, 200 * MSEC, true));
	ck_assert(!synsched_due(&s, 1 * SEC - 1, true));
	ck_assert(synsched_due(&s, 1 * SEC, true));
	ck_assert(!synsched_due(&s, 1 * SEC, false));
	ck_assert(!synsched_due(&s, 10 * SEC - 1, false));
	ck_assert(synsched_due(&s, 10 * SEC, false));
	/* One namespace's own last scan against the same gap; never: at once. */
	ck_assert(synsched_trigger_due(&s, 0, 1));
	ck_assert(!synsched_trigger_due(&s, 5 * SEC, 6 * SEC - 1));
	ck_assert(synsched_trigger_due(&s, 5 * SEC, 6 * SEC));
	ck_assert(!synsched_trigger_due(&s, 5 * SEC, 4 * SEC));   /* clock went back */
	synsched_configure(&s, SW_SYN_SCAN_OFF, 1.0, 200 * MSEC);
	ck_assert(!synsched_trigger_due(&s, 0, 1));
}
END_TEST

START_TEST(test_cost_keeps_cadence)
{
	struct sw_synsched s;

	/* A triggered scan of another namespace: its cost is learnt (the
	 * spacing follows it), the untriggered cadence does not move. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 200 * MSEC);
	synsched_scanned(&s, 0, 100 * MSEC);
	ck_assert_uint_eq(synsched_interval(&s), 10 * SEC);
	for (uint64_t t = 1; t <= 9; t++) {
		synsched_cost(&s, 100 * MSEC);
		ck_assert_uint_eq(s.last_scan_usec, 0);
		ck_assert_uint_eq(s.n_scans, 1);
		ck_assert(!synsched_due(&s, t * SEC, false));
	}
	ck_assert(synsched_due(&s, 10 * SEC, false));
	/* A dearer one widens the spacing (the estimate rises fast). */
	synsched_cost(&s, 400 * MSEC);
	ck_assert_uint_gt(synsched_interval(&s), 10 * SEC);
	ck_assert(!synsched_due(&s, 10 * SEC, false));
	ck_assert_uint_eq(s.last_cost_usec, 400 * MSEC);
}
END_TEST

/* cpu_budget covers the polls too: untriggered scans get what the polls
 * leave, at least a tenth of it; triggered ones keep the full budget's pace. */
START_TEST(test_poll_cost_shares_budget)
{
	static const struct { uint64_t poll_cost; uint64_t want_interval; } t[] = {
		{ 0,            10 * SEC },     /* polls free: the whole 1% */
		{ 5 * MSEC,     20 * SEC },     /* 0.5% per 1 s poll: 0.5% left */
		{ 8 * MSEC,     50 * SEC },     /* 0.8%: 0.2% left */
		{ 9500,         60 * SEC },     /* 0.95%: the 0.1% floor, capped at 60 s */
		{ 20 * MSEC,    60 * SEC },     /* polls over budget: still scanning */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sw_synsched s;

		synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
		synsched_poll_cost(&s, t[i].poll_cost);
		synsched_scanned(&s, 0, 100 * MSEC);
		ck_assert_msg(synsched_interval(&s) == t[i].want_interval,
			      "poll cost %llu: interval %llu, want %llu",
			      (unsigned long long)t[i].poll_cost,
			      (unsigned long long)synsched_interval(&s),
			      (unsigned long long)t[i].want_interval);
		/* Triggered: 100 ms at 10 x 1% = 1 s, whatever the polls cost. */
		ck_assert(!synsched_due(&s, 1 * SEC - 1, true));
		ck_assert(synsched_due(&s, 1 * SEC, true));
	}
}
END_TEST

START_TEST(test_configure_keeps_history)
{
	struct sw_synsched s;

	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 100 * SEC, 50 * MSEC);
	ck_assert_uint_eq(synsched_interval(&s), 5 * SEC);

	/* A reload that doubles the budget halves the spacing, without a
	 * scan forced by the reload itself. */
	synsched_configure(&s, SW_SYN_SCAN_AUTO, 2.0, 1 * SEC);
	ck_assert_uint_eq(synsched_interval(&s), 2500 * MSEC);
	ck_assert(!synsched_due(&s, 101 * SEC, false));
	ck_assert(synsched_due(&s, 102500 * MSEC, false));

	/* off and back: the history is still there */
	synsched_configure(&s, SW_SYN_SCAN_OFF, 2.0, 1 * SEC);
	ck_assert(!synsched_due(&s, 200 * SEC, true));
	synsched_configure(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	ck_assert_uint_eq(synsched_interval(&s), 5 * SEC);
	ck_assert(!synsched_due(&s, 104 * SEC, false));

	/* A fresh init forgets it: the first scan is due at once. */
	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	ck_assert(synsched_due(&s, 0, false));
}
END_TEST

/* The poll period in force (fast_interval while a listener is at warn)
 * never becomes the untriggered spacing: it only weighs the polls' share
 * and the timer slack; always scans at every poll of the period in force. */
static const struct {
	const char *name;
	enum sw_syn_scan mode;
	uint64_t interval, period, poll_cost, scan_cost, want;
} apply_cases[] = {
	{ "cheap scan, idle", SW_SYN_SCAN_AUTO, 1 * SEC, 1 * SEC, 200, 1 * MSEC, 1 * SEC },
	{ "cheap scan, fast polls", SW_SYN_SCAN_AUTO, 1 * SEC, 200 * MSEC, 200, 1 * MSEC, 1 * SEC },
	/* 10 ms polls every 200 ms take 5% > budget: a tenth of it is left */
	{ "costly fast polls", SW_SYN_SCAN_AUTO, 1 * SEC, 200 * MSEC, 10 * MSEC, 1 * MSEC,
	  1 * SEC },
	{ "costly fast polls, scan", SW_SYN_SCAN_AUTO, 1 * SEC, 200 * MSEC, 10 * MSEC, 5 * MSEC,
	  5 * SEC },
	{ "always follows the polls", SW_SYN_SCAN_ALWAYS, 1 * SEC, 200 * MSEC, 200, 1 * MSEC,
	  200 * MSEC },
	{ "no period: the interval", SW_SYN_SCAN_ALWAYS, 1 * SEC, 0, 200, 1 * MSEC, 1 * SEC },
};

START_TEST(test_apply_keeps_interval)
{
	const __typeof__(apply_cases[0]) *c = &apply_cases[_i];
	struct sw_config cfg = { .interval_usec = c->interval, .syn_scan = c->mode,
				 .cpu_budget = 1.0 };
	struct sw_synsched s;

	synsched_init(&s, c->mode, 1.0, c->interval);
	synsched_apply(&s, &cfg, c->period);
	synsched_poll_cost(&s, c->poll_cost);
	synsched_scanned(&s, 10 * SEC, c->scan_cost);
	ck_assert_msg(synsched_interval(&s) == c->want, "%s: %llu", c->name,
		      (unsigned long long)synsched_interval(&s));
	if (c->mode == SW_SYN_SCAN_AUTO) {
		ck_assert_msg(!synsched_due(&s, 10 * SEC + c->want - c->want / 4, false), "%s",
			      c->name);
		ck_assert_msg(synsched_due(&s, 10 * SEC + c->want, false), "%s", c->name);
	}
}
END_TEST

START_TEST(test_bad_budget)
{
	static const double budgets[] = { 0.0, -1.0, NAN, INFINITY };
	struct sw_synsched s;

	/* Validation should stop these; if not, scan as rarely as allowed
	 * rather than without bound. */
	for (size_t i = 0; i < SW_ARRAY_SIZE(budgets); i++) {
		synsched_init(&s, SW_SYN_SCAN_AUTO, budgets[i], 1 * SEC);
		ck_assert(synsched_due(&s, 0, false));
		synsched_scanned(&s, 0, 1 * MSEC);
		ck_assert_uint_eq(synsched_interval(&s), SW_SYNSCHED_MAX_INTERVAL_USEC);
		ck_assert(!synsched_due(&s, 30 * SEC, true));
		ck_assert(synsched_due(&s, SW_SYNSCHED_MAX_INTERVAL_USEC, false));
	}
}
END_TEST

START_TEST(test_clock_backwards)
{
	struct sw_synsched s;

	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 100 * SEC, 10 * MSEC);
	ck_assert(!synsched_due(&s, 50 * SEC, false));
	ck_assert(!synsched_due(&s, 0, true));
}
END_TEST

START_TEST(test_huge_cost)
{
	struct sw_synsched s;

	synsched_init(&s, SW_SYN_SCAN_AUTO, 1.0, 1 * SEC);
	synsched_scanned(&s, 0, UINT64_MAX);
	ck_assert_uint_eq(synsched_interval(&s), SW_SYNSCHED_MAX_INTERVAL_USEC);
	synsched_scanned(&s, 60 * SEC, UINT64_MAX / 2);
	ck_assert_uint_eq(synsched_interval(&s), SW_SYNSCHED_MAX_INTERVAL_USEC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("synsched");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_budget, 0, (int)SW_ARRAY_SIZE(budget_cases));
	tcase_add_test(tc, test_cap_beats_budget);
	tcase_add_test(tc, test_one_slow_scan);
	tcase_add_loop_test(tc, test_trigger_burst, 0, (int)SW_ARRAY_SIZE(trigger_cases));
	tcase_add_test(tc, test_first_scan_immediate);
	tcase_add_test(tc, test_mode_off);
	tcase_add_test(tc, test_mode_always);
	tcase_add_test(tc, test_poll_jitter_tolerated);
	tcase_add_test(tc, test_trigger_gap);
	tcase_add_test(tc, test_cost_keeps_cadence);
	tcase_add_test(tc, test_poll_cost_shares_budget);
	tcase_add_test(tc, test_configure_keeps_history);
	tcase_add_loop_test(tc, test_apply_keeps_interval, 0, (int)SW_ARRAY_SIZE(apply_cases));
	tcase_add_test(tc, test_bad_budget);
	tcase_add_test(tc, test_clock_backwards);
	tcase_add_test(tc, test_huge_cost);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}

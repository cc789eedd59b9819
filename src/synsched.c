#include "synsched.h"

#include <math.h>
#include <string.h>

#include "macro.h"

/* Smoothing of the scan cost. Rising by half the difference follows a
 * growing connection count within a few scans; falling by a quarter makes a
 * one-off slow scan weigh on the next few intervals, which pays its excess
 * back (twice over) instead of stalling scanning for cost/budget at once. */
#define EST_RISE 0.5
#define EST_FALL 0.25

/* Polls arrive on a timer with some jitter: a scan whose spacing is only the
 * poll interval must not slip to every other poll because a timer fired a
 * few microseconds early. This much early is accepted, never below the
 * spacing the budget asks for. */
#define POLL_SLACK_DIV 8

static uint64_t usec_from_double(double v, uint64_t cap)
{
	if (!(v > 0))              /* also NaN */
		return 0;
	if (v >= (double)cap)
		return cap;
	return (uint64_t)v;
}

static void synsched_recompute(struct sw_synsched *s)
{
	double share = s->budget_pct / 100.0;
	const uint64_t cap = SW_SYNSCHED_MAX_INTERVAL_USEC;

	s->budget_gap_usec = 0;
	s->trigger_gap_usec = 0;
	switch (s->mode) {
	case SW_SYN_SCAN_OFF:
		s->interval_usec = 0;
		return;
	case SW_SYN_SCAN_ALWAYS:
		s->interval_usec = s->poll_period_usec;
		return;
	case SW_SYN_SCAN_AUTO:
		break;
	}
	if (!(share > 0) || isinf(share)) {
		/* No usable budget (config validation should not let this
		 * through): scan as rarely as allowed. */
		s->budget_gap_usec = cap;
		s->trigger_gap_usec = cap;
	} else {
		/* cpu_budget is the daemon's whole share: the listener polls
		 * spend part of it, untriggered scans get the rest, never less
		 * than a tenth of it so that scanning never stops. Triggered
		 * scans keep the full budget's pace: an overflow is under way. */
		double rest = SW_MAX(share - s->poll_share, share / SW_SYNSCHED_MIN_REST_DIV);

		s->budget_gap_usec = usec_from_double(s->cost_est_usec / rest, cap);
		s->trigger_gap_usec = usec_from_double(
			s->cost_est_usec / (share * SW_SYNSCHED_TRIGGER_FACTOR), cap);
	}
	s->interval_usec = SW_MAX(s->base_interval_usec, s->budget_gap_usec);
}

void synsched_configure(struct sw_synsched *s, enum sw_syn_scan mode, double budget_pct,
			uint64_t interval_usec)
{
	s->mode = mode;
	s->budget_pct = budget_pct;
	s->base_interval_usec = interval_usec;
	s->poll_period_usec = interval_usec;
	synsched_recompute(s);
}

void synsched_apply(struct sw_synsched *s, const struct sw_config *cfg, uint64_t poll_period_usec)
{
	s->mode = cfg->syn_scan;
	s->budget_pct = cfg->cpu_budget;
	s->base_interval_usec = cfg->interval_usec;
	s->poll_period_usec = poll_period_usec ? poll_period_usec : cfg->interval_usec;
	synsched_recompute(s);
}

void synsched_init(struct sw_synsched *s, enum sw_syn_scan mode, double budget_pct,
		   uint64_t interval_usec)
{
	memset(s, 0, sizeof(*s));
	synsched_configure(s, mode, budget_pct, interval_usec);
}

static void synsched_learn(struct sw_synsched *s, uint64_t cost_usec)
{
	double c = (double)cost_usec;

	if (s->n_costs == 0)
		s->cost_est_usec = c;
	else
		s->cost_est_usec += (c - s->cost_est_usec) *
			(c > s->cost_est_usec ? EST_RISE : EST_FALL);
	s->n_costs++;
	s->last_cost_usec = cost_usec;
}

void synsched_scanned(struct sw_synsched *s, uint64_t now_usec, uint64_t cost_usec)
{
	synsched_learn(s, cost_usec);
	s->scanned = true;
	s->n_scans++;
	s->last_scan_usec = now_usec;
	synsched_recompute(s);
}

void synsched_cost(struct sw_synsched *s, uint64_t cost_usec)
{
	synsched_learn(s, cost_usec);
	synsched_recompute(s);
}

void synsched_poll_cost(struct sw_synsched *s, uint64_t cost_usec)
{
	double share;

	if (s->poll_period_usec == 0)
		return;
	/* Against the period in force: fast polling costs its real share. */
	share = (double)cost_usec / (double)s->poll_period_usec;
	if (!s->polled)
		s->poll_share = share;
	else
		s->poll_share += (share - s->poll_share) * SW_SYNSCHED_POLL_EWMA;
	s->polled = true;
	synsched_recompute(s);
}

/* Microseconds from then to now; a clock that went back (it should not:
 * monotonic) counts as no time passed rather than as an age of 2^64. */
static uint64_t synsched_elapsed(uint64_t then, uint64_t now)
{
	return now >= then ? now - then : 0;
}

/* The one trigger-gap rule, after a scan that started at last. */
static bool synsched_gap_passed(const struct sw_synsched *s, uint64_t last, uint64_t now)
{
	return synsched_elapsed(last, now) >= s->trigger_gap_usec;
}

bool synsched_trigger_due(const struct sw_synsched *s, uint64_t last_scan_usec,
			  uint64_t now_usec)
{
	if (s->mode == SW_SYN_SCAN_OFF)
		return false;
	return last_scan_usec == 0 || synsched_gap_passed(s, last_scan_usec, now_usec);
}

bool synsched_due(const struct sw_synsched *s, uint64_t now_usec, bool triggered)
{
	uint64_t elapsed, slack;

	if (s->mode == SW_SYN_SCAN_OFF)
		return false;
	if (!s->scanned || s->mode == SW_SYN_SCAN_ALWAYS)
		return true;
	if (triggered && synsched_gap_passed(s, s->last_scan_usec, now_usec))
		return true;
	elapsed = synsched_elapsed(s->last_scan_usec, now_usec);
	slack = SW_MIN(s->poll_period_usec / POLL_SLACK_DIV,
		       s->interval_usec - s->budget_gap_usec);
	return elapsed + slack >= s->interval_usec;
}

uint64_t synsched_interval(const struct sw_synsched *s)
{
	return s->interval_usec;
}

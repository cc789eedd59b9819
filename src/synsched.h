/* Pure: when to run the SYN_RECV scan. Its cost grows with every TCP
 * connection in the namespace, not with the listeners (KERNEL-NOTES.md), so
 * it gets its own cadence, spaced to stay within a CPU budget.
 *
 * - always: every poll.
 * - off: never, whatever triggers.
 * - auto: after each scan the spacing becomes
 *       spacing = max(interval, min(est / rest, 60 s))
 *   where interval is the configured one, never the fast_interval in force
 *   while some listener is at warn: that period speeds up the polls only,
 *   and an accept-queue alert is no reason to scan the SYN queues more
 *   often (decide_syn_scan() triggers the scans that have one); rest = max(budget/100 - the polls' own CPU share, budget/1000)
 *   and est is a smoothed scan cost (fast to rise, slow to fall: a single
 *   slow scan widens the spacing by only part of its cost, and the slow
 *   decay repays the rest, so the average share still stays in budget).
 *   The 60 s cap wins over the budget: a scan that costs more than
 *   budget x 60 s still runs once a minute, so no SYN queue goes unseen for
 *   longer.
 *   A trigger (decide_syn_scan() in decide.h: a SYN queue at warn, or a
 *   SYN counter that moved) makes a scan due at once, but only once
 *   est / (10 x budget/100) has passed since the last one: a SYN flood
 *   that triggers every poll can make scanning use at most ten times the
 *   budget (10% of a core at the default 1%), never a whole core.
 * - The first scan is due at once in every mode but off.
 * Times are monotonic microseconds; costs are CPU microseconds. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define SW_SYNSCHED_MAX_INTERVAL_USEC (60ULL * 1000000ULL)
#define SW_SYNSCHED_TRIGGER_FACTOR    10.0
/* Untriggered scans get at least budget / this, whatever the polls cost. */
#define SW_SYNSCHED_MIN_REST_DIV      10.0
/* Smoothing of the listener polls' CPU share. */
#define SW_SYNSCHED_POLL_EWMA         0.1

struct sw_synsched {
	enum sw_syn_scan mode;
	double budget_pct;            /* share of one core, percent */
	uint64_t base_interval_usec;  /* the configured interval: untriggered floor */
	uint64_t poll_period_usec;    /* the poll period in force: poll share, timer slack */

	uint64_t last_scan_usec;      /* start of the last scan */
	uint64_t last_cost_usec;      /* its CPU cost */
	uint64_t interval_usec;       /* spacing chosen after it */

	bool scanned;                 /* any scan yet */
	uint64_t n_costs;             /* costs learnt (scans, triggered ones too) */
	uint64_t n_scans;
	double cost_est_usec;         /* smoothed cost */
	uint64_t budget_gap_usec;     /* est / budget, capped: never scan closer (untriggered) */
	uint64_t trigger_gap_usec;    /* closest spacing of triggered scans */
	double poll_share;            /* smoothed CPU share of the listener polls */
	bool polled;                  /* poll_share holds a sample */
};

/* interval_usec: the configured poll interval, also the poll period in
 * force until synsched_apply() says otherwise. */
void synsched_init(struct sw_synsched *s, enum sw_syn_scan mode, double budget_pct,
		   uint64_t interval_usec);

/* Changes mode, budget or interval (a reload) and keeps the scan history,
 * so a reload neither forgets the cost nor forces a scan. The poll period
 * in force becomes interval_usec. */
void synsched_configure(struct sw_synsched *s, enum sw_syn_scan mode, double budget_pct,
			uint64_t interval_usec);

/* What the manager calls whenever the config or the poll period in force
 * changes: mode, budget and interval from cfg, poll_period_usec (interval
 * or fast_interval, decide_interval()) for the polls' share and the timer
 * slack only. */
void synsched_apply(struct sw_synsched *s, const struct sw_config *cfg, uint64_t poll_period_usec);

/* After a scan that started at now and cost cost_usec of CPU: recompute the spacing. */
void synsched_scanned(struct sw_synsched *s, uint64_t now_usec, uint64_t cost_usec);

/* A scan outside the cadence (one namespace's triggered scan) that cost
 * cost_usec: the estimate learns it, the untriggered cadence does not
 * move, so one namespace's flood cannot starve the others' turns. */
void synsched_cost(struct sw_synsched *s, uint64_t cost_usec);

/* After each listener poll, its CPU cost: cpu_budget covers the whole
 * daemon, so untriggered scans are spaced to fit what the polls leave
 * (at least a tenth of the budget). */
void synsched_poll_cost(struct sw_synsched *s, uint64_t cost_usec);

/* Whether to scan at this poll. triggered: decide_syn_scan() calls for a scan at once. */
bool synsched_due(const struct sw_synsched *s, uint64_t now_usec, bool triggered);

/* Whether a triggered scan of one namespace whose last scan started at
 * last_scan_usec (0: never) may run now: the trigger gap has passed since
 * (off: never). The namespace set keeps one last scan per namespace. */
bool synsched_trigger_due(const struct sw_synsched *s, uint64_t last_scan_usec,
			  uint64_t now_usec);

/* The cadence chosen, for status: the poll period in force for always, the
 * interval for auto before the first scan, 0 for off. */
uint64_t synsched_interval(const struct sw_synsched *s);

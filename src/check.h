/* sockwatchctl check, a monitoring plugin: the policy (what is WARNING,
 * CRITICAL or UNKNOWN) as a pure function of the status document, and the
 * one line with perfdata that prints its result. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* Monitoring-plugins exit codes. */
enum sw_check_status {
	SW_CHECK_OK = 0,
	SW_CHECK_WARNING = 1,
	SW_CHECK_CRITICAL = 2,
	SW_CHECK_UNKNOWN = 3,
};

/* In-alert listeners named in the check line, and given perfdata; the rest
 * are counted ("+N more") so the line stays within what Nagios keeps. */
#define SW_CHECK_LIST_MAX      5
#define SW_CHECK_PERFDATA_MAX  20

/* A listener whose drops.last_age_ms is below this counts as dropping
 * (WARNING): with checks run every 5 min, the usual period, every drop is
 * seen by at least one. Without that field, drops.delta and
 * drops.unreported say whether it dropped in the last poll or minute. */
#define SW_CHECK_DROPS_WINDOW_MS (5 * 60 * 1000)
/* UNKNOWN when daemon.last_poll_age_ms is over this many poll intervals,
 * and at least SW_CHECK_STALL_MIN_MS. */
#define SW_CHECK_STALL_INTERVALS 3
#define SW_CHECK_STALL_MIN_MS    5000

/* A listener as check sees it. */
struct check_item {
	struct json_object *l;  /* its object in the document */
	int level;              /* render_state_level(): 0 ok, 1 warning or unknown, 2 critical */
	int64_t dropped;        /* drops of the last poll or not yet journalled */
	int64_t drop_age_ms;    /* drops.last_age_ms, -1 when absent */
	bool dropping;          /* dropped within SW_CHECK_DROPS_WINDOW_MS */
};

struct check_result {
	enum sw_check_status status;
	size_t n, n_warn, n_crit, n_drop;       /* listeners, and those in each case */
	int64_t drops_delta, drops_total;       /* summed over all listeners */
	/* Listeners at warn or above or dropping, fullest first (malloc'd). */
	struct check_item *alert;
	size_t n_alert;
	/* The figures are not current (polls failing or stalled): UNKNOWN,
	 * whatever the listeners say; problem says why. */
	bool stale;
	char problem[256];
};

/* The policy: CRITICAL when a listener's state is critical; WARNING when
 * one is in warning or dropped connections recently (see
 * SW_CHECK_DROPS_WINDOW_MS); UNKNOWN when the daemon's polls are failing
 * or stalled (daemon.last_poll_ok, daemon.last_poll_age_ms; without them, a
 * last_error younger than the poll interval, or no successful poll at
 * all). 0, -EINVAL when doc has no "listeners" array, -ENOMEM. Free ret
 * with check_result_clear(). */
int check_evaluate(struct json_object *doc, struct check_result *ret);
void check_result_clear(struct check_result *r);

/* sockwatchctl check: one line with perfdata from check_evaluate()'s
 * result; returns the exit status (UNKNOWN also for an unreadable
 * document). */
enum sw_check_status render_check(FILE *f, struct json_object *doc);

/* "SOCKWATCH UNKNOWN - <message>" for failures before there is a document. */
enum sw_check_status render_check_unknown(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

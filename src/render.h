/* Pure rendering of sockwatchctl's output from the daemon's status document
 * (protocol.h describes it). No I/O but the FILE * it is given; tests feed
 * hand-written documents and compare with golden files. */
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

/* check: a listener whose drops.last_age_ms is below this counts as
 * dropping (WARNING): with checks run every 5 min, the usual period, every
 * drop is seen by at least one. Without that field, drops.delta and
 * drops.unreported say whether it dropped in the last poll or minute. */
#define SW_CHECK_DROPS_WINDOW_MS (5 * 60 * 1000)
/* check: UNKNOWN when daemon.last_poll_age_ms is over this many poll
 * intervals, and at least SW_CHECK_STALL_MIN_MS. */
#define SW_CHECK_STALL_INTERVALS 3
#define SW_CHECK_STALL_MIN_MS    5000

struct sw_render_opts {
	bool all;          /* status: idle listeners too */
	bool colour;       /* ANSI colour: only on a terminal */
	unsigned width;    /* columns to fit the table in; 0: never truncate */
};

/* Replaces control characters (C0, DEL, C1 as UTF-8) in every string of
 * doc with '?', in place: process names come from whoever started the
 * process and must not send escape sequences to a terminal. The renderers
 * below call it on the document they are given. */
void render_sanitize(struct json_object *doc);

/* "850ms", "4s", "1.5s", "2min 05s", "3h 12min", "2d 04h". */
const char *render_duration(uint64_t ms, char *buf, size_t len);

/* sockwatchctl status: header (daemon, per namespace sysctls and counter
 * deltas) and the listener table, fullest first. 0, or -EINVAL when doc
 * has no "listeners" array. */
int render_status(FILE *f, struct json_object *doc, const struct sw_render_opts *o);

/* sockwatchctl show: every listener in doc (the daemon already picked the
 * ones named) in detail. 0, or -EINVAL as above. */
int render_show(FILE *f, struct json_object *doc, const struct sw_render_opts *o);

/* sockwatchctl check: one line with perfdata; returns the exit status:
 * CRITICAL when a listener's state is critical; WARNING when one is in
 * warning or dropped connections recently (see SW_CHECK_DROPS_WINDOW_MS);
 * UNKNOWN when the daemon's polls are failing or stalled (daemon.last_poll_ok,
 * daemon.last_poll_age_ms; without them, a last_error younger than the poll
 * interval, or no successful poll at all), or the document is unreadable. */
enum sw_check_status render_check(FILE *f, struct json_object *doc);

/* "SOCKWATCH UNKNOWN - <message>" for failures before there is a document. */
enum sw_check_status render_check_unknown(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

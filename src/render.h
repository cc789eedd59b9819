/* Pure rendering of sockwatchctl's output from the daemon's status document
 * (protocol.h describes it). No I/O but the FILE * it is given; tests feed
 * hand-written documents and compare with golden files. This module has the
 * status table and what show.c and check.c share: the listener rows in the
 * one "fullest first" order and the cell formatters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "config_value.h"
#include "order.h"

struct json_object;

#define ANSI_BOLD   "\033[1m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED    "\033[1;31m"
#define ANSI_RESET  "\033[0m"

struct sw_render_opts {
	bool all;          /* status: idle listeners too */
	bool colour;       /* ANSI colour: only on a terminal */
	unsigned width;    /* columns to fit the table in; 0: never truncate */
};

/* Replaces control characters (C0, DEL, C1 as UTF-8) in every string of
 * doc with '?', in place: process names come from whoever started the
 * process and must not send escape sequences to a terminal. The renderers
 * call it on the document they are given. */
void render_sanitize(struct json_object *doc);

/* "850ms", "4s", "1.5s", "2min 05s", "3h 12min", "2d 04h": the config's
 * human duration formatter, for the milliseconds the document carries. */
static inline const char *render_duration(uint64_t ms, char *buf, size_t len)
{
	return config_format_duration_human(ms > UINT64_MAX / 1000 ? UINT64_MAX : ms * 1000, buf, len);
}

/* sockwatchctl status: header (daemon, per namespace sysctls and counter
 * deltas) and the listener table, fullest first. 0, or -EINVAL when doc
 * has no "listeners" array. */
int render_status(FILE *f, struct json_object *doc, const struct sw_render_opts *o);

/* sockwatchctl show: every listener in doc (the daemon already picked the
 * ones named) in detail; show.c. 0, or -EINVAL as above. */
int render_show(FILE *f, struct json_object *doc, const struct sw_render_opts *o);

/* ---- shared by the renderers ---- */

/* A listener object of the document with its place in the order. */
struct render_row {
	struct json_object *l;
	struct order_key key;
};

/* The listener objects of doc, fullest first (order.h); idle ones left out
 * unless all, and counted in *ret_hidden. *ret is malloc'd. -EINVAL when doc
 * has no "listeners" array, -ENOMEM. */
int render_rows(struct json_object *doc, bool all, struct render_row **ret, size_t *ret_n,
		size_t *ret_hidden);

/* A queue's fill in percent: the daemon's figure, else depth/limit (as
 * text_percent_value() would give it). */
bool render_queue_percent(struct json_object *q, double *ret);
/* A listener's fill, its fuller queue's (order_fuller()): 0 for a queue
 * without figures. *is_syn (may be NULL): whether that is the SYN queue. */
double render_fill(struct json_object *l, bool *is_syn);
/* Whether the SYN queue's fill means anything: not in cookies-always mode,
 * where it stays empty (KERNEL-NOTES.md). */
bool render_syn_applies(struct json_object *syn);

/* Cells, malloc'd (NULL when out of memory): "511/512" or "-", the fill as
 * text_percent() writes it or "-", an integer member or "-". */
char *render_depth_limit(struct json_object *q);
char *render_percent(struct json_object *q, bool applies);
char *render_int(struct json_object *o, const char *key);
char *render_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An integer member, or a duration member in ms, as text in buf; "-". */
const char *render_i64(struct json_object *o, const char *key, char *buf, size_t len);
const char *render_ms(struct json_object *o, const char *key, char *buf, size_t len);
/* The level of a listener's state word, the one rule for status, show and
 * check: 0 for "ok" or no state (an old document), 2 for "critical", and 1
 * for "warning" and for any word this sockwatchctl does not know: a newer
 * daemon's state means something is up, and must neither sort nor pass
 * the check as ok, nor claim critical. */
int render_state_level(const char *state);
/* The ANSI colour of a state's level: yellow, bold red, NULL for ok. */
const char *render_state_colour(const char *state);

/* The value grammar of sockwatchd.conf, shared with the command lines and
 * the tests: durations, percentages and the names of enumerated settings.
 * Pure text in, numbers out and back; linked into sockwatchctl, so it
 * depends on nothing but libc and text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sw_syn_scan { SW_SYN_SCAN_AUTO, SW_SYN_SCAN_ALWAYS, SW_SYN_SCAN_OFF };
enum sw_log_target { SW_LOG_AUTO, SW_LOG_JOURNAL, SW_LOG_STDERR };
/* [daemon] namespaces: every network namespace the helper can see, or only
 * the daemon's own ("host"). */
enum sw_namespaces { SW_NAMESPACES_ALL, SW_NAMESPACES_OWN };

/* A whole number and a unit: ms, s, min or h ("200ms", "1s", "5min"); a
 * bare "0" is zero, any other bare number is an error (is "5" seconds or
 * minutes?). The config file and sockwatchctl --timeout both read it.
 * 0, -EINVAL (syntax) or -ERANGE (overflow); the key's own range is the
 * caller's business. *ret_usec is untouched on error. */
int config_parse_duration(const char *s, uint64_t *ret_usec);
/* Whether s is a bare number other than 0, the -EINVAL worth a hint. */
bool config_duration_lacks_unit(const char *s);
/* "80", "80%", "12.5%", "99.95%": at most two decimals, optional '%'. 0,
 * -EINVAL or -ERANGE; the range is the caller's. */
int config_parse_percent(const char *s, double *ret);
/* yes/true/on/1 and no/false/off/0, any case: 1, 0 or -EINVAL. */
int config_parse_bool(const char *s);

/* Room for any output of the formatters below. */
#define CONFIG_FMT_MAX 32
/* Exact, in the largest unit that divides it, as the config file takes it
 * back: "5min", "1s", "200ms", "0" ("1500ms", not "1.5s"). */
const char *config_format_duration(uint64_t usec, char *buf, size_t len);
/* For people, not for parsing back: the two leading units, truncated
 * (never rounded up), in whole milliseconds:
 *   below 1s    "250ms"
 *   below 1min  "5s", "1.5s", "1.0s" (tenths; none when exact)
 *   below 1h    "2min", "1min 05s" (no seconds when they are 0)
 *   below 1d    "1h 00min", "3h 25min"
 *   else        "2d 03h"
 * sockwatchctl's render_duration() is this, for milliseconds. */
const char *config_format_duration_human(uint64_t usec, char *buf, size_t len);
/* "80%", "12.5%", "99.95%". */
const char *config_format_percent(double pct, char *buf, size_t len);

/* A setting's names, indexed by value (NULL for values without one). */
struct config_names {
	const char *const *names;
	size_t n;
};
extern const struct config_names config_syn_scan_names, config_log_target_names,
	config_log_level_names, config_namespaces_names;
/* The value named s, or -EINVAL. */
int config_names_lookup(const struct config_names *t, const char *s);
/* The name of v, or NULL. */
const char *config_names_name(const struct config_names *t, int v);
/* "a, b or c": every name, for messages. Returns buf. */
const char *config_names_list(const struct config_names *t, char *buf, size_t len);

/* err, warning, notice, info, debug <-> LOG_ERR .. LOG_DEBUG; -EINVAL / NULL. */
int config_parse_log_level(const char *s);
const char *config_log_level_name(int level);
/* auto, journal, stderr. */
int config_parse_log_target(const char *s, enum sw_log_target *ret);
const char *config_log_target_name(enum sw_log_target t);
/* auto, always, off. */
const char *config_syn_scan_name(enum sw_syn_scan mode);
/* all, own. */
const char *config_namespaces_name(enum sw_namespaces n);

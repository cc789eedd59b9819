/* /etc/sockwatchd.conf: parsing (inih), defaults, validation, printing.
 * DESIGN.md "/etc/sockwatchd.conf" is the contract. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules.h"

enum sw_syn_scan { SW_SYN_SCAN_AUTO, SW_SYN_SCAN_ALWAYS, SW_SYN_SCAN_OFF };
enum sw_log_target { SW_LOG_AUTO, SW_LOG_JOURNAL, SW_LOG_STDERR };

struct sw_port_range { uint16_t lo, hi; };

struct sw_cidr {
	uint8_t family;     /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

/* [listener ADDR:PORT] / [listener *:PORT] / [listener [::1]:443] */
struct sw_listener_override {
	char *name;                 /* as written in the section header */
	bool any_address;           /* "*" */
	uint8_t family;             /* 0 with any_address */
	uint8_t addr[16];
	uint16_t port;
	bool has_warn, has_critical, has_clear;
	struct sw_thresholds th;    /* effective: global values where not set */
	bool ignore;
	unsigned line;              /* of the section header */
};

struct sw_config {
	char *path;                 /* file it came from; NULL for built-in defaults */

	/* [daemon] */
	uint64_t interval_usec;        /* 1s; 100ms .. 1h */
	uint64_t fast_interval_usec;   /* 200ms; 100ms .. interval */
	enum sw_syn_scan syn_scan;     /* auto */
	double cpu_budget;             /* percent of one core; 1 */
	enum sw_log_target log_target; /* auto */
	int log_level;                 /* LOG_ERR .. LOG_DEBUG; LOG_INFO */

	/* [alerts] */
	struct sw_thresholds th;
	unsigned sustain;              /* 1 */
	uint64_t realert_usec;         /* 5min; 0 = never repeat */

	/* [filter] */
	struct sw_port_range *ports, *exclude_ports;
	size_t n_ports, n_exclude_ports;
	struct sw_cidr *addresses, *exclude_addresses;
	size_t n_addresses, n_exclude_addresses;

	/* [control] */
	char *control_socket;          /* /run/sockwatchd/control */
	char *control_group;           /* NULL: none */

	struct sw_listener_override *overrides;
	size_t n_overrides;
};

/* Every error found, each already formatted "FILE:LINE: message". */
struct sw_config_errors {
	char **msg;
	size_t n;
};

/* Built-in defaults. */
int config_new_default(struct sw_config **ret);

/* Parses and validates path. On success *ret is the new config and 0 is
 * returned. When the file has errors, every one is appended to errs and
 * -EINVAL is returned (*ret untouched). A missing file is -ENOENT (the
 * caller decides whether defaults apply). */
int config_load(const char *path, struct sw_config **ret, struct sw_config_errors *errs);

/* Same over a string, for tests; name is used in messages. */
int config_load_string(const char *name, const char *text, struct sw_config **ret,
		       struct sw_config_errors *errs);

void config_free(struct sw_config *c);
void config_errors_clear(struct sw_config_errors *e);

/* Prints the effective config in the file's own syntax, every key. */
void config_print(const struct sw_config *c, FILE *f);

/* Whether a listener passes [filter]. */
bool config_filter_match(const struct sw_config *c, int family, const uint8_t *addr, uint16_t port);

/* Thresholds for a listener: the most specific override (exact address
 * before "*"), else the global ones. *ret_ignore says the listener is
 * ignored. */
const struct sw_thresholds *config_thresholds_for(const struct sw_config *c, int family,
						  const uint8_t *addr, uint16_t port,
						  bool *ret_ignore);

/* Added by the config module: value syntax shared with the command line,
 * the control protocol and the tests. */

/* A whole number and a unit: ms, s, min or h ("200ms", "1s", "5min"); a
 * bare "0" is zero, any other bare number is an error. 0, -EINVAL (syntax)
 * or -ERANGE (overflow); the key's own range is the caller's business. */
int config_parse_duration(const char *s, uint64_t *ret_usec);
/* "80", "80%", "12.5%", "99.95%": at most two decimals, optional '%'. 0,
 * -EINVAL or -ERANGE; the range is the caller's. */
int config_parse_percent(const char *s, double *ret);

/* Room for any output of the two formatters below. */
#define CONFIG_FMT_MAX 32
/* In the largest unit that is exact: "5min", "1s", "200ms", "0". */
const char *config_format_duration(uint64_t usec, char *buf, size_t len);
/* "80%", "12.5%", "99.95%". */
const char *config_format_percent(double pct, char *buf, size_t len);

/* err, warning, notice, info, debug <-> LOG_ERR .. LOG_DEBUG; -EINVAL / NULL. */
int config_parse_log_level(const char *s);
const char *config_log_level_name(int level);
/* auto, journal, stderr. */
int config_parse_log_target(const char *s, enum sw_log_target *ret);
const char *config_log_target_name(enum sw_log_target t);
/* auto, always, off. */
const char *config_syn_scan_name(enum sw_syn_scan mode);

/* /etc/sockwatchd.conf: defaults, loading, validation, printing.
 * DESIGN.md "/etc/sockwatchd.conf" is the contract. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config_value.h"   /* the enums, and the value grammar callers share */
#include "filter.h"         /* the per-listener queries on a config */
#include "netns_name.h"     /* NETNS_NAME_MAX */
#include "rules.h"          /* struct sw_thresholds */

struct sw_port_range { uint16_t lo, hi; };

struct sw_cidr {
	uint8_t family;     /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

/* A network namespace name or a shell glob of names (fnmatch(3), no
 * flags): 1 to NETNS_NAME_MAX-1 bytes of printable ASCII other than
 * space, ',' and '/' (no name has one; see sockwatchd.conf(5)). */
struct sw_netns_pattern {
	char glob[NETNS_NAME_MAX];
	bool literal;               /* no '*', '?', '[' or backslash: one exact name */
};

/* A UNIX listener's name or a shell glob of names (fnmatch(3) with
 * FNM_PATHNAME: '*' and '?' do not match '/'), matched against the name as
 * status shows it (a path, "@name" for an abstract socket): 1 to
 * CONFIG_PATH_GLOB_MAX-1 bytes of printable ASCII other than space and
 * ','. */
#define CONFIG_PATH_GLOB_MAX 256
struct sw_path_pattern {
	char glob[CONFIG_PATH_GLOB_MAX];
	bool literal;               /* no '*', '?', '[' or backslash: one exact name */
};

/* At most this many patterns in each of [filter] paths and exclude_paths. */
#define CONFIG_MAX_PATH_PATTERNS 256

/* At most this many patterns in each of [filter] namespaces and
 * exclude_namespaces. */
#define CONFIG_MAX_NETNS_PATTERNS 256

/* [listener ADDR:PORT] / [listener *:PORT] / [listener [::1]:443], each
 * optionally after NSGLOB/ ([listener blue/0.0.0.0:80]); the header is
 * split at its last '/', as no endpoint has one. A UNIX listener's:
 * [listener PATHGLOB] with the glob starting with '/' or '@', optionally
 * after NSGLOB/ ([listener blue//run/php/ *.sock], without the space); then the header is split
 * at its first '/' not at the start, as no namespace name has one. */
struct sw_listener_override {
	char *name;                 /* as written in the section header */
	bool has_netns;             /* a namespace part; without one, every namespace */
	struct sw_netns_pattern netns;
	bool is_path;               /* a UNIX listener's: path is set, the rest not */
	struct sw_path_pattern path;
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
	enum sw_namespaces namespaces; /* all */
	uint64_t namespace_scan_usec;  /* 5s; 1s .. 1h: how often namespaces are discovered */
	bool watch_unix;               /* [daemon] unix = yes: UNIX-domain listeners are watched too */

	/* [alerts] */
	struct sw_thresholds th;
	unsigned sustain;              /* 1 */
	uint64_t realert_usec;         /* 5min; 0 = never repeat */

	/* [filter] */
	struct sw_port_range *ports, *exclude_ports;
	size_t n_ports, n_exclude_ports;
	struct sw_cidr *addresses, *exclude_addresses;
	size_t n_addresses, n_exclude_addresses;
	struct sw_netns_pattern *netns, *exclude_netns;    /* namespaces, exclude_namespaces */
	size_t n_netns, n_exclude_netns;
	struct sw_path_pattern *paths, *exclude_paths;     /* UNIX listeners only */
	size_t n_paths, n_exclude_paths;

	/* [control] */
	char *control_socket;          /* /run/sockwatchd/control */
	char *control_group;           /* NULL: none */

	/* [metrics] (DESIGN.md "Metrics for Prometheus") */
	char *metrics_listen;          /* "ADDRESS:PORT" as written; NULL: none of its own */
	struct sw_cidr *metrics_allow; /* who may connect; 127.0.0.0/8, ::1 */
	size_t n_metrics_allow;
	unsigned metrics_max_listeners;       /* series per listener written at most; 20000 */
	unsigned metrics_max_connections;     /* 16 */
	unsigned metrics_max_connections_per_ip;  /* 4 */
	uint64_t metrics_timeout_usec;        /* idle connections closed after it; 10s */
	char *metrics_textfile;               /* NULL: none */
	uint64_t metrics_textfile_interval_usec;  /* 15s */

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

/* Typed cleanup: _cleanup_config_ struct sw_config *c = NULL; */
static inline void config_freep(struct sw_config **c)
{
	config_free(*c);
}
#define _cleanup_config_ __attribute__((cleanup(config_freep)))

/* The default fast_interval; the parser lowers it to interval when only
 * interval is set. */
#define CONFIG_DEFAULT_FAST_INTERVAL_USEC (200 * 1000ULL)

/* [metrics] listen = ADDRESS:PORT into a socket address: "127.0.0.1:9099",
 * "[::1]:9099", "*:9099" (every address, IPv6 and IPv4). 0 or -EINVAL. */
struct sockaddr_storage;
int config_metrics_listen_addr(const char *s, struct sockaddr_storage *ret, unsigned *ret_len);

/* The default port of the metrics endpoint, in the examples, the socket
 * unit and the docs: outside 9100-9999, where exporters crowd. */
#define CONFIG_METRICS_DEFAULT_PORT 9099

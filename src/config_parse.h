/* Inside the config parser: the state config_parse.c (lines, sections,
 * consistency) and config_key.c (one "key = value" line) share. Not for
 * other modules: they call config_load(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum cfg_sec {
	SEC_NONE,       /* before the first header */
	SEC_DAEMON,
	SEC_ALERTS,
	SEC_FILTER,
	SEC_CONTROL,
	SEC_METRICS,
	SEC_LISTENER,
	SEC_SKIP,       /* under a header already reported as bad */
	SEC_MAX_
};

enum cfg_key {
	K_INTERVAL, K_FAST_INTERVAL, K_SYN_SCAN, K_CPU_BUDGET, K_LOG_TARGET, K_LOG_LEVEL,
	K_NAMESPACES, K_NAMESPACE_SCAN, K_UNIX,
	K_WARN, K_CRITICAL, K_CLEAR, K_SUSTAIN, K_REALERT,
	K_PORTS, K_EXCLUDE_PORTS, K_ADDRESSES, K_EXCLUDE_ADDRESSES,
	K_NETNS, K_EXCLUDE_NETNS, K_PATHS, K_EXCLUDE_PATHS,
	K_SOCKET, K_GROUP,
	K_M_LISTEN, K_M_ALLOW, K_M_MAX_LISTENERS, K_M_MAX_CONNECTIONS, K_M_MAX_PER_IP,
	K_M_TIMEOUT, K_M_TEXTFILE, K_M_TEXTFILE_INTERVAL,
	/* [listener ...]: keep in this order, they index struct cfg_ov_keys */
	K_L_WARN, K_L_CRITICAL, K_L_CLEAR, K_L_IGNORE,
	K_MAX_
};
#define K_L_FIRST K_L_WARN
#define K_L_COUNT (K_MAX_ - K_L_FIRST)

struct cfg_err {
	unsigned line;
	size_t seq;             /* keeps errors on one line in the order found */
	char *msg;
};

/* Where each key of one section was seen (0: not given) and whether its
 * value was bad, for duplicate detection and for consistency checks that
 * must not pile a second error on a value already reported. */
struct cfg_ov_keys {
	unsigned line[K_L_COUNT];
	bool bad[K_L_COUNT];
};

struct cfg_parser {
	const char *name;
	struct sw_config *c;

	/* the text, split in place one line at a time */
	char *pos, *end;
	unsigned lineno;

	enum cfg_sec sec;
	size_t cur_ov;
	unsigned sec_line[SEC_MAX_];
	unsigned key_line[K_MAX_];
	bool key_bad[K_MAX_];
	struct cfg_ov_keys *ov_keys;    /* parallel to c->overrides */

	struct cfg_err *errs;
	size_t n_errs;
	bool too_many;
	int fatal;                      /* -ENOMEM and the like: abandon */
};

/* Section names by enum cfg_sec (the fixed ones). */
extern const char *const config_sec_names[SEC_MAX_];

/* Records an error at line; after too many, only counts that there were. */
void config_err(struct cfg_parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

bool config_is_space(char ch);
/* Cuts blanks off both ends of s, in place. */
char *config_strip(char *s);

/* A namespace name or glob (struct sw_netns_pattern) into *ret: 0, or
 * -EINVAL with why (CONFIG_NETNS_WHY_MAX bytes) saying what is wrong, as a
 * message of its own ("'docker:[0-9': unclosed '[' in glob"; a value with
 * a control character is not echoed). *ret is untouched on error. Shared
 * by the [filter] lists and [listener NS/EP] headers (config_key.c). */
#define CONFIG_NETNS_WHY_MAX 192
int config_netns_pattern_parse(const char *s, struct sw_netns_pattern *ret, char *why);
/* The same for a UNIX listener's name or glob ([filter] paths, [listener
 * /PATH]); why as above. */
int config_path_pattern_parse(const char *s, struct sw_path_pattern *ret, char *why);

/* One "key = value" line of the current section (config_key.c). */
void config_key(struct cfg_parser *p, const char *key, char *v);

/* Parses and validates text (ours to cut up; len excludes its NUL). The
 * contract of config_load() (config.h). */
int config_parse(const char *name, char *text, size_t len, struct sw_config **ret,
		 struct sw_config_errors *errs);

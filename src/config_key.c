/* One "key = value" line of sockwatchd.conf: the table of keys, and each
 * kind of value parsed with the message that explains what was wrong. */
#include "config_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "addr.h"
#include "text.h"
#include "macro.h"

#define CONFIG_MAX_LIST 1024

#define INTERVAL_MIN (100 * USEC_PER_MSEC)
#define INTERVAL_MAX (3600 * USEC_PER_SEC)
#define REALERT_MIN  (1 * USEC_PER_SEC)
#define REALERT_MAX  (24 * 3600 * USEC_PER_SEC)
#define SUSTAIN_MAX  1000
#define NETNS_SCAN_MIN (1 * USEC_PER_SEC)
#define NETNS_SCAN_MAX (3600 * USEC_PER_SEC)
#define METRICS_LISTENERS_MAX   1000000
#define METRICS_CONNECTIONS_MAX 1024
#define METRICS_TIMEOUT_MIN  (1 * USEC_PER_SEC)
#define METRICS_TIMEOUT_MAX  (3600 * USEC_PER_SEC)
#define TEXTFILE_INTERVAL_MIN (1 * USEC_PER_SEC)
#define TEXTFILE_INTERVAL_MAX (3600 * USEC_PER_SEC)

struct cfg_key_def;

/* Parses v into the field the key names in base (the config, or in
 * [listener] the override). False after reporting why not. */
typedef bool (*cfg_value_fn)(struct cfg_parser *p, const struct cfg_key_def *d, char *v,
			     void *base);

/* One element of a list value, into arr[i]. */
typedef bool (*cfg_elem_fn)(struct cfg_parser *p, const char *key, const char *elem, void *arr,
			    size_t i);

struct cfg_key_def {
	const char *name;
	enum cfg_sec sec;
	cfg_value_fn parse;
	size_t off;                     /* of the field in base */
	bool empty_ok;                  /* "key =" means something (an empty list, no group) */
	uint64_t min, max;              /* durations */
	bool zero_ok;                   /* durations: 0 is "never" */
	const struct config_names *names;       /* enums */
	cfg_elem_fn elem;               /* lists: the parser of one element, */
	size_t elem_size, count_off;    /* its size and the field counting them, */
	size_t max_elems;               /* and their bound (0: CONFIG_MAX_LIST) */
};

#define FIELD(base, off, type) ((type *)(void *)((char *)(base) + (off)))

/* ---- values with their messages --------------------------------------- */

static bool value_duration(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	char a[CONFIG_FMT_MAX], b[CONFIG_FMT_MAX];
	uint64_t usec;
	int r;

	r = config_parse_duration(v, &usec);
	if (r == -EINVAL && config_duration_lacks_unit(v)) {
		config_err(p, p->lineno, "%s: '%s' has no unit (use ms, s, min or h, e.g. %ss)",
			   d->name, v, v);
		return false;
	}
	if (r == -EINVAL) {
		config_err(p, p->lineno,
			   "%s: invalid duration '%s' (a whole number and ms, s, min or h, e.g. 200ms, 1s, 5min)",
			   d->name, v);
		return false;
	}
	if (r < 0 || (usec == 0 && !d->zero_ok) || (usec != 0 && (usec < d->min || usec > d->max))) {
		config_format_duration(d->min, a, sizeof(a));
		config_format_duration(d->max, b, sizeof(b));
		config_err(p, p->lineno, "%s: '%s' is out of range (%s%s .. %s)", d->name, v,
			   d->zero_ok ? "0 to never repeat, or " : "", a, b);
		return false;
	}
	*FIELD(base, d->off, uint64_t) = usec;
	return true;
}

static bool value_percent(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	double pct;
	int r;

	r = config_parse_percent(v, &pct);
	if (r == -EINVAL) {
		config_err(p, p->lineno,
			   "%s: invalid percentage '%s' (a number with at most two decimals and an optional %%, e.g. 80%%)",
			   d->name, v);
		return false;
	}
	if (r < 0 || pct <= 0 || pct > 100) {
		config_err(p, p->lineno, "%s: '%s' is out of range (above 0%% and at most 100%%)",
			   d->name, v);
		return false;
	}
	*FIELD(base, d->off, double) = pct;
	return true;
}

/* The enum fields are stored through an int: an enum without negative
 * values is an unsigned int to gcc and clang, which an int may alias. */
_Static_assert(sizeof(enum sw_syn_scan) == sizeof(int) &&
	       sizeof(enum sw_log_target) == sizeof(int) &&
	       sizeof(enum sw_namespaces) == sizeof(int), "enum fields are ints");

static bool value_enum(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	char expected[128];
	int r = config_names_lookup(d->names, v);

	if (r < 0) {
		config_err(p, p->lineno, "%s: invalid value '%s' (expected %s)", d->name, v,
			   config_names_list(d->names, expected, sizeof(expected)));
		return false;
	}
	*FIELD(base, d->off, int) = r;
	return true;
}

static bool value_bool(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	int r = config_parse_bool(v);

	if (r < 0) {
		config_err(p, p->lineno,
			   "%s: invalid boolean '%s' (expected yes, no, true, false, on, off, 1 or 0)",
			   d->name, v);
		return false;
	}
	*FIELD(base, d->off, bool) = r;
	return true;
}

/* A whole number from d->min to d->max, into an unsigned field. */
static bool value_count(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	uint64_t n;
	int r = text_parse_u64(v, strlen(v), d->max, &n);

	if (r == -EINVAL) {
		config_err(p, p->lineno,
			   "%s: invalid number '%s' (a whole number from %" PRIu64 " to %" PRIu64 ")",
			   d->name, v, d->min, d->max);
		return false;
	}
	if (r < 0 || n < d->min) {
		config_err(p, p->lineno, "%s: '%s' is out of range (%" PRIu64 " .. %" PRIu64 ")",
			   d->name, v, d->min, d->max);
		return false;
	}
	*FIELD(base, d->off, unsigned) = (unsigned)n;
	return true;
}

/* Splits a list value at commas, with whitespace around them; calls fn on
 * each element. An empty value is an empty list; an empty element is a
 * mistake ("80,,443", "80,"). */
static bool config_split(struct cfg_parser *p, const char *key, char *v, size_t max,
			 size_t *ret_count, cfg_elem_fn fn, void *arr)
{
	size_t n = 0;
	bool ok = true;
	char *s = v;

	if (!*v) {
		*ret_count = 0;
		return true;
	}
	for (;;) {
		char *comma = strchr(s, ',');
		char *elem;

		if (comma)
			*comma = 0;
		elem = config_strip(s);
		if (!*elem) {
			config_err(p, p->lineno, "%s: empty element in list", key);
			ok = false;
		} else if (n >= max) {
			config_err(p, p->lineno, "%s: too many elements (at most %zu)", key, max);
			return false;
		} else if (fn(p, key, elem, arr, n)) {
			n++;
		} else {
			ok = false;
		}
		if (!comma)
			break;
		s = comma + 1;
	}
	*ret_count = n;
	return ok;
}

/* At most five digits, so that "000080" is not a port. */
static bool config_port_number(const char *s, size_t len, uint16_t *ret)
{
	uint64_t n;

	if (len > 5 || text_parse_u64(s, len, 65535, &n) < 0 || n < 1)
		return false;
	*ret = (uint16_t)n;
	return true;
}

static bool config_port_elem(struct cfg_parser *p, const char *key, const char *elem,
			     void *arr, size_t i)
{
	struct sw_port_range *r = (struct sw_port_range *)arr + i;
	const char *dash = strchr(elem, '-');
	size_t len = strlen(elem);

	if (!dash) {
		if (!config_port_number(elem, len, &r->lo))
			goto bad;
		r->hi = r->lo;
		return true;
	}
	if (!config_port_number(elem, (size_t)(dash - elem), &r->lo) ||
	    !config_port_number(dash + 1, strlen(dash + 1), &r->hi))
		goto bad;
	if (r->lo > r->hi) {
		config_err(p, p->lineno, "%s: invalid port range '%s' (start above end)", key, elem);
		return false;
	}
	return true;
bad:
	config_err(p, p->lineno,
		   "%s: invalid port or range '%s' (ports are 1 .. 65535, ranges LOW-HIGH)", key, elem);
	return false;
}

static bool config_cidr_elem(struct cfg_parser *p, const char *key, const char *elem,
			     void *arr, size_t i)
{
	struct sw_cidr *c = (struct sw_cidr *)arr + i;
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(elem, '/');
	size_t hl = slash ? (size_t)(slash - elem) : strlen(elem);
	unsigned max, prefix;
	uint8_t want[16];

	memset(c, 0, sizeof(*c));
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, elem, hl);
	host[hl] = 0;
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	prefix = max;
	if (slash) {
		size_t nd = strlen(slash + 1);
		uint64_t n;

		if (nd > 3 || text_parse_u64(slash + 1, nd, 999, &n) < 0)
			goto bad;
		prefix = (unsigned)n;
		if (prefix > max) {
			config_err(p, p->lineno, "%s: invalid prefix length in '%s' (at most %u)",
				   key, elem, max);
			return false;
		}
	}
	c->prefix = (uint8_t)prefix;
	/* Host bits set ("10.1.2.3/8") are almost always a typo for either
	 * the network or the host; refuse rather than guess. */
	memcpy(want, c->addr, sizeof(want));
	for (unsigned b = prefix; b < max; b++)
		want[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	if (memcmp(want, c->addr, max / 8) != 0) {
		char a[INET6_ADDRSTRLEN];

		addr_str(c->family, want, a, sizeof(a));
		config_err(p, p->lineno, "%s: '%s' has host bits set (did you mean %s/%u?)",
			   key, elem, a, prefix);
		return false;
	}
	return true;
bad:
	config_err(p, p->lineno,
		   "%s: invalid address '%s' (an IPv4 or IPv6 address with an optional /PREFIX)",
		   key, elem);
	return false;
}

/* Where the bracket expression opening at s[0] ('[') ends: the index of
 * its ']' in s, or 0 when it never closes. fnmatch(3)'s rules: a leading
 * '!' or '^' negates, a ']' first in the set is literal, "[:class:]"
 * names a class, a backslash escapes the next character. */
static size_t netns_glob_bracket_end(const char *s)
{
	size_t j = 1;

	if (s[j] == '!' || s[j] == '^')
		j++;
	if (s[j] == ']')
		j++;
	while (s[j] && s[j] != ']') {
		if (s[j] == '[' && s[j + 1] == ':') {
			const char *end = strstr(s + j + 2, ":]");

			if (!end)
				return 0;
			j = (size_t)(end - s) + 2;
			continue;
		}
		if (s[j] == '\\' && s[j + 1])
			j++;
		j++;
	}
	return s[j] == ']' ? j : 0;
}

/* Names are printable ASCII without spaces; ',' separates list elements and
 * '/' the namespace part of a [listener] header, and neither is in any
 * name (netns_name.h), so both are refused rather than never matching.
 * A bracket expression must close and a backslash must escape something:
 * glibc's fnmatch() would take "docker:[0-9" literally, a typo that then
 * silently matches nothing. */
/* The glob rules both kinds of pattern share: a bracket expression must
 * close and a backslash must escape something. 0, or -EINVAL with why. */
static int config_glob_check(const char *s, char *why)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && !s[i + 1]) {
			snprintf(why, CONFIG_NETNS_WHY_MAX, "'%s': glob ends with a backslash", s);
			return -EINVAL;
		}
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == '[') {
			size_t end = netns_glob_bracket_end(s + i);

			if (!end) {
				snprintf(why, CONFIG_NETNS_WHY_MAX, "'%s': unclosed '[' in glob", s);
				return -EINVAL;
			}
			i += end;
		}
	}
	return 0;
}

/* Printable ASCII, no space, at most max - 1 bytes. what: the kind of name,
 * names: its plural, for why. 0 or -EINVAL. */
static int config_glob_bytes(const char *s, size_t max, const char *what, const char *names,
			     char *why)
{
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(why, CONFIG_NETNS_WHY_MAX, "empty %s", what);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 0x7f) {
			/* not echoed: it may be a control character */
			snprintf(why, CONFIG_NETNS_WHY_MAX,
				 "%s has byte 0x%02x at offset %zu (%s are printable ASCII without spaces)",
				 what, ch, i, names);
			return -EINVAL;
		}
	}
	if (n >= max) {
		snprintf(why, CONFIG_NETNS_WHY_MAX, "%s '%.20s...' is too long (%zu bytes, at most %zu)",
			 what, s, n, max - 1);
		return -EINVAL;
	}
	return 0;
}

int config_netns_pattern_parse(const char *s, struct sw_netns_pattern *ret, char *why)
{
	size_t n = strlen(s);

	if (config_glob_bytes(s, NETNS_NAME_MAX, "namespace name", "names", why) < 0)
		return -EINVAL;
	/* escaped or not */
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ',') {
			snprintf(why, CONFIG_NETNS_WHY_MAX,
				 "'%s': no namespace name has a '%c'", s, s[i]);
			return -EINVAL;
		}
	if (config_glob_check(s, why) < 0)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->glob, s, n);
	ret->literal = strpbrk(s, "*?[\\") == NULL;
	return 0;
}

int config_path_pattern_parse(const char *s, struct sw_path_pattern *ret, char *why)
{
	size_t n = strlen(s);

	if (config_glob_bytes(s, CONFIG_PATH_GLOB_MAX, "UNIX socket path", "paths here", why) < 0)
		return -EINVAL;
	if (strchr(s, ',')) {
		snprintf(why, CONFIG_NETNS_WHY_MAX, "'%s': ',' separates list elements", s);
		return -EINVAL;
	}
	if (config_glob_check(s, why) < 0)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->glob, s, n);
	ret->literal = strpbrk(s, "*?[\\") == NULL;
	return 0;
}

static bool config_netns_elem(struct cfg_parser *p, const char *key, const char *elem,
			      void *arr, size_t i)
{
	char why[CONFIG_NETNS_WHY_MAX];

	if (config_netns_pattern_parse(elem, (struct sw_netns_pattern *)arr + i, why) < 0) {
		config_err(p, p->lineno, "%s: %s", key, why);
		return false;
	}
	return true;
}

static bool config_path_elem(struct cfg_parser *p, const char *key, const char *elem,
			     void *arr, size_t i)
{
	char why[CONFIG_NETNS_WHY_MAX];

	if (config_path_pattern_parse(elem, (struct sw_path_pattern *)arr + i, why) < 0) {
		config_err(p, p->lineno, "%s: %s", key, why);
		return false;
	}
	return true;
}

/* A list key: the elements d->elem parses into a new array, which
 * replaces the field only when every element parsed. */
static bool value_list(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	size_t count = 0, cap = 1 + strlen(v) / 2;     /* elements are >= 1 char + ',' */
	size_t max = d->max_elems ? d->max_elems : CONFIG_MAX_LIST;
	void **list = FIELD(base, d->off, void *);
	void *arr;

	arr = calloc(SW_MIN(cap, max + 1), d->elem_size);
	if (!arr) {
		p->fatal = -ENOMEM;
		return false;
	}
	if (!config_split(p, d->name, v, max, &count, d->elem, arr)) {
		free(arr);
		return false;
	}
	free(*list);
	*list = count ? arr : NULL;
	if (!count)
		free(arr);
	*FIELD(base, d->count_off, size_t) = count;
	return true;
}

/* Replaces the string field with a copy of v, or with NULL when v is empty. */
static bool config_set_string(struct cfg_parser *p, const char *v, char **field)
{
	char *s = NULL;

	if (*v) {
		s = strdup(v);
		if (!s) {
			p->fatal = -ENOMEM;
			return false;
		}
	}
	free(*field);
	*field = s;
	return true;
}

static bool value_socket(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	size_t max = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1;

	if (v[0] != '/') {
		config_err(p, p->lineno, "%s: '%s' is not an absolute path", d->name, v);
		return false;
	}
	if (strlen(v) > max) {
		config_err(p, p->lineno, "%s: path is too long for a unix socket (%zu bytes, at most %zu)",
			   d->name, strlen(v), max);
		return false;
	}
	if (v[strlen(v) - 1] == '/') {
		config_err(p, p->lineno, "%s: '%s' names a directory", d->name, v);
		return false;
	}
	return config_set_string(p, v, FIELD(base, d->off, char *));
}

/* Only the shape of the name is checked here (the portable user/group
 * name set, as useradd accepts it; never a number); sockwatchd looks the
 * group up at start and in --check-config, where the host's group
 * database is the one that counts. */
static bool value_group(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	size_t n = strlen(v);

	if (n > 0 && (n > 32 ||
		      !(v[0] == '_' || (v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')) ||
		      strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") <
			      n - (v[n - 1] == '$'))) {
		config_err(p, p->lineno, "%s: '%s' is not a valid group name", d->name, v);
		return false;
	}
	return config_set_string(p, v, FIELD(base, d->off, char *));
}

int config_metrics_listen_addr(const char *s, struct sockaddr_storage *ret, unsigned *ret_len)
{
	uint8_t addr[16];
	uint16_t port;
	int family;
	bool any;

	if (addr_endpoint_parse(s, &family, addr, &port, &any) < 0 || port == 0)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ret;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, 4);
		*ret_len = sizeof(*in);
	} else {
		/* "*": the IPv6 wildcard; metrics_http_listen() clears
		 * IPV6_V6ONLY, so it takes IPv4 too. */
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (!any)
			memcpy(&in6->sin6_addr, addr, 16);
		*ret_len = sizeof(*in6);
	}
	return 0;
}

static bool value_listen(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	struct sockaddr_storage ss;
	unsigned len;

	if (*v && config_metrics_listen_addr(v, &ss, &len) < 0) {
		config_err(p, p->lineno,
			   "%s: invalid address '%s' (ADDRESS:PORT: 127.0.0.1:%u, [::1]:%u, *:%u; empty for none)",
			   d->name, v, CONFIG_METRICS_DEFAULT_PORT, CONFIG_METRICS_DEFAULT_PORT,
			   CONFIG_METRICS_DEFAULT_PORT);
		return false;
	}
	return config_set_string(p, v, FIELD(base, d->off, char *));
}

/* node_exporter's textfile collector reads only *.prom files, and the
 * daemon writes a temporary file beside it: an absolute path of a file. */
static bool value_textfile(struct cfg_parser *p, const struct cfg_key_def *d, char *v, void *base)
{
	size_t n = strlen(v);

	if (n && v[0] != '/') {
		config_err(p, p->lineno, "%s: '%s' is not an absolute path", d->name, v);
		return false;
	}
	if (n && (n < 6 || strcmp(v + n - 5, ".prom") != 0 || v[n - 6] == '/')) {
		config_err(p, p->lineno,
			   "%s: '%s' does not end in NAME.prom (node_exporter's textfile collector reads only *.prom files)",
			   d->name, v);
		return false;
	}
	if (n > 4000) {
		config_err(p, p->lineno, "%s: path is too long (%zu bytes, at most 4000)", d->name, n);
		return false;
	}
	return config_set_string(p, v, FIELD(base, d->off, char *));
}

/* ---- the keys ----------------------------------------------------------- */

#define CFG(f) offsetof(struct sw_config, f)
#define OV(f)  offsetof(struct sw_listener_override, f)
#define KEY(n, s, fn, o)  .name = (n), .sec = (s), .parse = (fn), .off = (o)
#define DURATION(lo, hi)  .min = (lo), .max = (hi)
#define COUNT(lo, hi)     .min = (lo), .max = (hi)
#define LIST(e, type, n)  .elem = (e), .elem_size = sizeof(type), .count_off = CFG(n), \
			  .empty_ok = true

static const struct cfg_key_def key_defs[K_MAX_] = {
	[K_INTERVAL] = { KEY("interval", SEC_DAEMON, value_duration, CFG(interval_usec)),
			 DURATION(INTERVAL_MIN, INTERVAL_MAX) },
	/* the upper bound is interval, checked once both are known */
	[K_FAST_INTERVAL] = { KEY("fast_interval", SEC_DAEMON, value_duration,
				  CFG(fast_interval_usec)),
			      DURATION(INTERVAL_MIN, INTERVAL_MAX) },
	[K_SYN_SCAN] = { KEY("syn_scan", SEC_DAEMON, value_enum, CFG(syn_scan)),
			 .names = &config_syn_scan_names },
	[K_CPU_BUDGET] = { KEY("cpu_budget", SEC_DAEMON, value_percent, CFG(cpu_budget)) },
	[K_LOG_TARGET] = { KEY("log_target", SEC_DAEMON, value_enum, CFG(log_target)),
			   .names = &config_log_target_names },
	[K_LOG_LEVEL] = { KEY("log_level", SEC_DAEMON, value_enum, CFG(log_level)),
			  .names = &config_log_level_names },
	[K_NAMESPACES] = { KEY("namespaces", SEC_DAEMON, value_enum, CFG(namespaces)),
			   .names = &config_namespaces_names },
	[K_NAMESPACE_SCAN] = { KEY("namespace_scan", SEC_DAEMON, value_duration,
				   CFG(namespace_scan_usec)),
			       DURATION(NETNS_SCAN_MIN, NETNS_SCAN_MAX) },
	[K_UNIX] = { KEY("unix", SEC_DAEMON, value_bool, CFG(watch_unix)) },

	[K_WARN]     = { KEY("warn", SEC_ALERTS, value_percent, CFG(th.warn)) },
	[K_CRITICAL] = { KEY("critical", SEC_ALERTS, value_percent, CFG(th.critical)) },
	[K_CLEAR]    = { KEY("clear", SEC_ALERTS, value_percent, CFG(th.clear)) },
	[K_SUSTAIN]  = { KEY("sustain", SEC_ALERTS, value_count, CFG(sustain)),
			 COUNT(1, SUSTAIN_MAX) },
	[K_REALERT]  = { KEY("realert", SEC_ALERTS, value_duration, CFG(realert_usec)),
			 DURATION(REALERT_MIN, REALERT_MAX), .zero_ok = true },

	[K_PORTS] = { KEY("ports", SEC_FILTER, value_list, CFG(ports)),
		      LIST(config_port_elem, struct sw_port_range, n_ports) },
	[K_EXCLUDE_PORTS] = { KEY("exclude_ports", SEC_FILTER, value_list, CFG(exclude_ports)),
			      LIST(config_port_elem, struct sw_port_range, n_exclude_ports) },
	[K_ADDRESSES] = { KEY("addresses", SEC_FILTER, value_list, CFG(addresses)),
			  LIST(config_cidr_elem, struct sw_cidr, n_addresses) },
	[K_EXCLUDE_ADDRESSES] = { KEY("exclude_addresses", SEC_FILTER, value_list,
				      CFG(exclude_addresses)),
				  LIST(config_cidr_elem, struct sw_cidr, n_exclude_addresses) },
	[K_NETNS] = { KEY("namespaces", SEC_FILTER, value_list, CFG(netns)),
		      LIST(config_netns_elem, struct sw_netns_pattern, n_netns),
		      .max_elems = CONFIG_MAX_NETNS_PATTERNS },
	[K_EXCLUDE_NETNS] = { KEY("exclude_namespaces", SEC_FILTER, value_list,
				  CFG(exclude_netns)),
			      LIST(config_netns_elem, struct sw_netns_pattern, n_exclude_netns),
			      .max_elems = CONFIG_MAX_NETNS_PATTERNS },
	[K_PATHS] = { KEY("paths", SEC_FILTER, value_list, CFG(paths)),
		      LIST(config_path_elem, struct sw_path_pattern, n_paths),
		      .max_elems = CONFIG_MAX_PATH_PATTERNS },
	[K_EXCLUDE_PATHS] = { KEY("exclude_paths", SEC_FILTER, value_list, CFG(exclude_paths)),
			      LIST(config_path_elem, struct sw_path_pattern, n_exclude_paths),
			      .max_elems = CONFIG_MAX_PATH_PATTERNS },

	[K_SOCKET] = { KEY("socket", SEC_CONTROL, value_socket, CFG(control_socket)) },
	[K_GROUP]  = { KEY("group", SEC_CONTROL, value_group, CFG(control_group)),
		       .empty_ok = true },

	[K_M_LISTEN] = { KEY("listen", SEC_METRICS, value_listen, CFG(metrics_listen)),
			 .empty_ok = true },
	/* An empty allow would refuse everyone: a mistake, not a setting. */
	[K_M_ALLOW] = { KEY("allow", SEC_METRICS, value_list, CFG(metrics_allow)),
			.elem = config_cidr_elem, .elem_size = sizeof(struct sw_cidr),
			.count_off = CFG(n_metrics_allow) },
	[K_M_MAX_LISTENERS] = { KEY("max_listeners", SEC_METRICS, value_count,
				    CFG(metrics_max_listeners)), COUNT(1, METRICS_LISTENERS_MAX) },
	[K_M_MAX_CONNECTIONS] = { KEY("max_connections", SEC_METRICS, value_count,
				      CFG(metrics_max_connections)),
				  COUNT(1, METRICS_CONNECTIONS_MAX) },
	[K_M_MAX_PER_IP] = { KEY("max_connections_per_ip", SEC_METRICS, value_count,
				 CFG(metrics_max_connections_per_ip)),
			     COUNT(1, METRICS_CONNECTIONS_MAX) },
	[K_M_TIMEOUT] = { KEY("timeout", SEC_METRICS, value_duration, CFG(metrics_timeout_usec)),
			  DURATION(METRICS_TIMEOUT_MIN, METRICS_TIMEOUT_MAX) },
	[K_M_TEXTFILE] = { KEY("textfile", SEC_METRICS, value_textfile, CFG(metrics_textfile)),
			   .empty_ok = true },
	[K_M_TEXTFILE_INTERVAL] = { KEY("textfile_interval", SEC_METRICS, value_duration,
					CFG(metrics_textfile_interval_usec)),
				    DURATION(TEXTFILE_INTERVAL_MIN, TEXTFILE_INTERVAL_MAX) },

	[K_L_WARN]     = { KEY("warn", SEC_LISTENER, value_percent, OV(th.warn)) },
	[K_L_CRITICAL] = { KEY("critical", SEC_LISTENER, value_percent, OV(th.critical)) },
	[K_L_CLEAR]    = { KEY("clear", SEC_LISTENER, value_percent, OV(th.clear)) },
	[K_L_IGNORE]   = { KEY("ignore", SEC_LISTENER, value_bool, OV(ignore)) },
};

void config_key(struct cfg_parser *p, const char *key, char *v)
{
	struct sw_config *c = p->c;
	const struct cfg_key_def *d;
	void *base = c;
	unsigned *line;
	bool *bad;
	int k;

	if (p->sec == SEC_SKIP)
		return;
	if (p->sec == SEC_NONE) {
		config_err(p, p->lineno, "key '%s' outside of any section", key);
		return;
	}
	for (k = 0; k < K_MAX_; k++)
		if (key_defs[k].sec == p->sec && strcmp(key_defs[k].name, key) == 0)
			break;
	if (k == K_MAX_) {
		if (p->sec == SEC_LISTENER)
			config_err(p, p->lineno,
				   "unknown key '%s' in [listener %s] (expected warn, critical, clear or ignore)",
				   key, c->overrides[p->cur_ov].name);
		else
			config_err(p, p->lineno, "unknown key '%s' in [%s]", key,
				   config_sec_names[p->sec]);
		return;
	}
	d = &key_defs[k];
	if (p->sec == SEC_LISTENER) {
		base = &c->overrides[p->cur_ov];
		line = &p->ov_keys[p->cur_ov].line[k - K_L_FIRST];
		bad = &p->ov_keys[p->cur_ov].bad[k - K_L_FIRST];
	} else {
		line = &p->key_line[k];
		bad = &p->key_bad[k];
	}
	if (*line) {
		config_err(p, p->lineno, "duplicate key '%s' (first set at line %u)", key, *line);
		return;
	}
	*line = p->lineno;

	if (!*v && !d->empty_ok) {
		config_err(p, p->lineno, "%s: missing value", key);
		*bad = true;
		return;
	}
	*bad = !d->parse(p, d, v, base);
}

/* config: /etc/sockwatchd.conf. DESIGN.md "/etc/sockwatchd.conf" is the
 * contract; this file adds the details it leaves open:
 *
 * - Comments start with ';' or '#', at the start of a line or after
 *   whitespace anywhere in it ("interval = 1s  # poll period").
 * - Durations are a whole number and a unit (ms, s, min, h). A bare number
 *   other than 0 is an error: "interval = 5" is ambiguous.
 * - Percentages are a number with at most two decimals and an optional '%'.
 * - A key given twice in a section, a section given twice and two
 *   [listener] sections for the same listener are errors.
 * - fast_interval, when not set, is min(200ms, interval), so that setting
 *   only "interval = 100ms" is not an error.
 * - Every error is reported, in line order. An unknown or malformed section
 *   header is reported once; the keys under it are skipped.
 *
 * Parsing is pure: no I/O but reading the file in config_load. */
#include "config.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

/* Bounds on what a config file can make the daemon allocate. */
#define CONFIG_MAX_FILE      (1024 * 1024)
#define CONFIG_MAX_ERRORS    100
#define CONFIG_MAX_ERROR_LEN 400
#define CONFIG_MAX_LIST      1024
#define CONFIG_MAX_OVERRIDES 4096

#define DEFAULT_INTERVAL      (1 * USEC_PER_SEC)
#define DEFAULT_FAST_INTERVAL (200 * USEC_PER_MSEC)
#define DEFAULT_REALERT       (5 * 60 * USEC_PER_SEC)
#define DEFAULT_SOCKET        "/run/sockwatchd/control"
#define INTERVAL_MIN          (100 * USEC_PER_MSEC)
#define INTERVAL_MAX          (3600 * USEC_PER_SEC)
#define REALERT_MIN           (1 * USEC_PER_SEC)
#define REALERT_MAX           (24 * 3600 * USEC_PER_SEC)
#define SUSTAIN_MAX           1000

enum cfg_sec {
	SEC_NONE,       /* before the first header */
	SEC_DAEMON,
	SEC_ALERTS,
	SEC_FILTER,
	SEC_CONTROL,
	SEC_LISTENER,
	SEC_SKIP,       /* under a header already reported as bad */
	SEC_MAX_
};

static const char *const sec_names[SEC_MAX_] = {
	[SEC_DAEMON] = "daemon",
	[SEC_ALERTS] = "alerts",
	[SEC_FILTER] = "filter",
	[SEC_CONTROL] = "control",
};

enum cfg_key {
	K_INTERVAL, K_FAST_INTERVAL, K_SYN_SCAN, K_CPU_BUDGET, K_LOG_TARGET, K_LOG_LEVEL,
	K_WARN, K_CRITICAL, K_CLEAR, K_SUSTAIN, K_REALERT,
	K_PORTS, K_EXCLUDE_PORTS, K_ADDRESSES, K_EXCLUDE_ADDRESSES,
	K_SOCKET, K_GROUP,
	/* [listener ...]: keep in this order, they index struct cfg_ov_keys */
	K_L_WARN, K_L_CRITICAL, K_L_CLEAR, K_L_IGNORE,
	K_MAX_
};
#define K_L_FIRST K_L_WARN
#define K_L_COUNT (K_MAX_ - K_L_FIRST)

static const struct {
	const char *name;
	enum cfg_sec sec;
} key_defs[K_MAX_] = {
	[K_INTERVAL]          = { "interval", SEC_DAEMON },
	[K_FAST_INTERVAL]     = { "fast_interval", SEC_DAEMON },
	[K_SYN_SCAN]          = { "syn_scan", SEC_DAEMON },
	[K_CPU_BUDGET]        = { "cpu_budget", SEC_DAEMON },
	[K_LOG_TARGET]        = { "log_target", SEC_DAEMON },
	[K_LOG_LEVEL]         = { "log_level", SEC_DAEMON },
	[K_WARN]              = { "warn", SEC_ALERTS },
	[K_CRITICAL]          = { "critical", SEC_ALERTS },
	[K_CLEAR]             = { "clear", SEC_ALERTS },
	[K_SUSTAIN]           = { "sustain", SEC_ALERTS },
	[K_REALERT]           = { "realert", SEC_ALERTS },
	[K_PORTS]             = { "ports", SEC_FILTER },
	[K_EXCLUDE_PORTS]     = { "exclude_ports", SEC_FILTER },
	[K_ADDRESSES]         = { "addresses", SEC_FILTER },
	[K_EXCLUDE_ADDRESSES] = { "exclude_addresses", SEC_FILTER },
	[K_SOCKET]            = { "socket", SEC_CONTROL },
	[K_GROUP]             = { "group", SEC_CONTROL },
	[K_L_WARN]            = { "warn", SEC_LISTENER },
	[K_L_CRITICAL]        = { "critical", SEC_LISTENER },
	[K_L_CLEAR]           = { "clear", SEC_LISTENER },
	[K_L_IGNORE]          = { "ignore", SEC_LISTENER },
};

static const char *const log_level_names[] = {
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};
static const char *const log_target_names[] = {
	[SW_LOG_AUTO] = "auto", [SW_LOG_JOURNAL] = "journal", [SW_LOG_STDERR] = "stderr",
};
static const char *const syn_scan_names[] = {
	[SW_SYN_SCAN_AUTO] = "auto", [SW_SYN_SCAN_ALWAYS] = "always", [SW_SYN_SCAN_OFF] = "off",
};

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

	/* the text, split in place one line per reader call */
	char *pos, *end;
	unsigned lineno;

	/* the key line the reader just lexed, for the handler */
	bool pending;
	char *key, *value;

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

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool config_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static char *config_strip(char *s)
{
	size_t n;

	while (config_is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && config_is_space(s[n - 1]))
		s[--n] = 0;
	return s;
}

static void config_err(struct cfg_parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void config_err(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	struct cfg_err *n;
	va_list ap;
	char *msg;
	int r;

	if (p->fatal)
		return;
	if (p->n_errs >= CONFIG_MAX_ERRORS) {
		p->too_many = true;
		return;
	}
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->fatal = -ENOMEM;
		return;
	}
	/* Values are echoed in messages; a pathological one must not make a
	 * log line of a megabyte. */
	if (r > CONFIG_MAX_ERROR_LEN)
		strcpy(msg + CONFIG_MAX_ERROR_LEN - 3, "...");
	n = reallocarray(p->errs, p->n_errs + 1, sizeof(*n));
	if (!n) {
		free(msg);
		p->fatal = -ENOMEM;
		return;
	}
	p->errs = n;
	p->errs[p->n_errs] = (struct cfg_err) { .line = line, .seq = p->n_errs, .msg = msg };
	p->n_errs++;
}

/* ---- value syntax ------------------------------------------------------ */

int config_parse_duration(const char *s, uint64_t *ret_usec)
{
	static const struct {
		const char *unit;
		uint64_t usec;
	} units[] = {
		{ "ms", USEC_PER_MSEC },
		{ "s", USEC_PER_SEC },
		{ "min", 60 * USEC_PER_SEC },
		{ "h", 3600 * USEC_PER_SEC },
	};
	size_t nd;
	uint64_t n = 0;

	if (!s)
		return -EINVAL;
	nd = strspn(s, "0123456789");
	if (nd == 0)
		return -EINVAL;
	for (size_t i = 0; i < nd; i++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (s[nd] == 0) {
		/* Zero is zero in any unit; anything else needs one. */
		if (n != 0)
			return -EINVAL;
		*ret_usec = 0;
		return 0;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(units); i++) {
		if (!streq(s + nd, units[i].unit))
			continue;
		if (n > UINT64_MAX / units[i].usec)
			return -ERANGE;
		*ret_usec = n * units[i].usec;
		return 0;
	}
	return -EINVAL;
}

/* Percentages are kept on a grid of 1/100 so that printing and parsing
 * again gives back the very same double, without depending on the
 * locale's decimal point as strtod() and printf("%f") do. */
int config_parse_percent(const char *s, double *ret)
{
	uint64_t n = 0;
	size_t nd, nf = 0;
	const char *q;

	if (!s)
		return -EINVAL;
	nd = strspn(s, "0123456789");
	if (nd == 0)
		return -EINVAL;
	q = s + nd;
	if (*q == '.') {
		nf = strspn(q + 1, "0123456789");
		if (nf == 0 || nf > 2)
			return -EINVAL;
		q += 1 + nf;
	}
	if (*q == '%')
		q++;
	if (*q)
		return -EINVAL;
	/* 15 integer digits keep n*100 exact in a double */
	if (nd > 15)
		return -ERANGE;
	for (size_t i = 0; i < nd; i++)
		n = n * 10 + (uint64_t)(s[i] - '0');
	n *= 100;
	if (nf >= 1)
		n += (uint64_t)(s[nd + 1] - '0') * 10;
	if (nf == 2)
		n += (uint64_t)(s[nd + 2] - '0');
	*ret = (double)n / 100.0;
	return 0;
}

const char *config_format_duration(uint64_t usec, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t usec;
	} units[] = {
		{ "h", 3600 * USEC_PER_SEC },
		{ "min", 60 * USEC_PER_SEC },
		{ "s", USEC_PER_SEC },
		{ "ms", USEC_PER_MSEC },
	};

	if (usec == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(units); i++)
		if (usec % units[i].usec == 0) {
			snprintf(buf, len, "%llu%s",
				 (unsigned long long)(usec / units[i].usec), units[i].unit);
			return buf;
		}
	/* Never reached for a parsed config (the finest unit there is ms). */
	snprintf(buf, len, "%lluus", (unsigned long long)usec);
	return buf;
}

const char *config_format_percent(double pct, char *buf, size_t len)
{
	unsigned long long n;

	if (!(pct >= 0) || pct > 1e15) {
		snprintf(buf, len, "?");
		return buf;
	}
	n = (unsigned long long)llround(pct * 100.0);
	if (n % 100 == 0)
		snprintf(buf, len, "%llu%%", n / 100);
	else if (n % 10 == 0)
		snprintf(buf, len, "%llu.%llu%%", n / 100, n % 100 / 10);
	else
		snprintf(buf, len, "%llu.%02llu%%", n / 100, n % 100);
	return buf;
}

static int config_lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && streq(names[i], s))
			return (int)i;
	return -EINVAL;
}

int config_parse_log_level(const char *s)
{
	return s ? config_lookup(log_level_names, SW_ARRAY_SIZE(log_level_names), s) : -EINVAL;
}

const char *config_log_level_name(int level)
{
	if (level < 0 || (size_t)level >= SW_ARRAY_SIZE(log_level_names))
		return NULL;
	return log_level_names[level];
}

int config_parse_log_target(const char *s, enum sw_log_target *ret)
{
	int r;

	if (!s)
		return -EINVAL;
	r = config_lookup(log_target_names, SW_ARRAY_SIZE(log_target_names), s);
	if (r < 0)
		return r;
	*ret = (enum sw_log_target)r;
	return 0;
}

const char *config_log_target_name(enum sw_log_target t)
{
	if ((size_t)t >= SW_ARRAY_SIZE(log_target_names))
		return NULL;
	return log_target_names[t];
}

const char *config_syn_scan_name(enum sw_syn_scan m)
{
	if ((size_t)m >= SW_ARRAY_SIZE(syn_scan_names))
		return NULL;
	return syn_scan_names[m];
}

static int config_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < SW_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/* ---- values with their messages --------------------------------------- */

static bool config_value_duration(struct cfg_parser *p, const char *key, const char *v,
				  uint64_t min, uint64_t max, bool zero_ok, uint64_t *ret)
{
	char a[CONFIG_FMT_MAX], b[CONFIG_FMT_MAX];
	uint64_t usec;
	int r;

	r = config_parse_duration(v, &usec);
	if (r == -EINVAL && v[strspn(v, "0123456789")] == 0) {
		config_err(p, p->lineno, "%s: '%s' has no unit (use ms, s, min or h, e.g. %ss)",
			   key, v, v);
		return false;
	}
	if (r == -EINVAL) {
		config_err(p, p->lineno,
			   "%s: invalid duration '%s' (a whole number and ms, s, min or h, e.g. 200ms, 1s, 5min)",
			   key, v);
		return false;
	}
	if (r < 0 || (usec == 0 && !zero_ok) || (usec != 0 && (usec < min || usec > max))) {
		config_format_duration(min, a, sizeof(a));
		config_format_duration(max, b, sizeof(b));
		config_err(p, p->lineno, "%s: '%s' is out of range (%s%s .. %s)", key, v,
			   zero_ok ? "0 to never repeat, or " : "", a, b);
		return false;
	}
	*ret = usec;
	return true;
}

static bool config_value_percent(struct cfg_parser *p, const char *key, const char *v, double *ret)
{
	double pct;
	int r;

	r = config_parse_percent(v, &pct);
	if (r == -EINVAL) {
		config_err(p, p->lineno,
			   "%s: invalid percentage '%s' (a number with at most two decimals and an optional %%, e.g. 80%%)",
			   key, v);
		return false;
	}
	if (r < 0 || pct <= 0 || pct > 100) {
		config_err(p, p->lineno, "%s: '%s' is out of range (above 0%% and at most 100%%)", key, v);
		return false;
	}
	*ret = pct;
	return true;
}

static bool config_value_enum(struct cfg_parser *p, const char *key, const char *v,
			      const char *const *names, size_t n, const char *expected, int *ret)
{
	int r = config_lookup(names, n, v);

	if (r < 0) {
		config_err(p, p->lineno, "%s: invalid value '%s' (expected %s)", key, v, expected);
		return false;
	}
	*ret = r;
	return true;
}

static bool config_value_sustain(struct cfg_parser *p, const char *v, unsigned *ret)
{
	size_t nd = strspn(v, "0123456789");
	unsigned long n = 0;

	if (nd == 0 || v[nd]) {
		config_err(p, p->lineno, "sustain: invalid number '%s' (a whole number from 1 to %u)",
			   v, SUSTAIN_MAX);
		return false;
	}
	for (size_t i = 0; i < nd && n <= SUSTAIN_MAX; i++)
		n = n * 10 + (unsigned long)(v[i] - '0');
	if (n < 1 || n > SUSTAIN_MAX) {
		config_err(p, p->lineno, "sustain: '%s' is out of range (1 .. %u)", v, SUSTAIN_MAX);
		return false;
	}
	*ret = (unsigned)n;
	return true;
}

/* Splits a list value at commas, with whitespace around them; calls fn on
 * each element. An empty value is an empty list; an empty element is a
 * mistake ("80,,443", "80,"). */
static bool config_split(struct cfg_parser *p, const char *key, char *v, size_t *ret_count,
			 bool (*fn)(struct cfg_parser *p, const char *key, const char *elem,
				    void *arr, size_t i),
			 void *arr)
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
		} else if (n >= CONFIG_MAX_LIST) {
			config_err(p, p->lineno, "%s: too many elements (at most %d)", key,
				   CONFIG_MAX_LIST);
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

static bool config_port_number(const char *s, size_t len, uint16_t *ret)
{
	unsigned long n = 0;

	if (len == 0 || len > 5 || strspn(s, "0123456789") < len)
		return false;
	for (size_t i = 0; i < len; i++)
		n = n * 10 + (unsigned long)(s[i] - '0');
	if (n < 1 || n > 65535)
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
		const char *d = slash + 1;
		size_t nd = strspn(d, "0123456789");

		if (nd == 0 || nd > 3 || d[nd])
			goto bad;
		prefix = 0;
		for (size_t k = 0; k < nd; k++)
			prefix = prefix * 10 + (unsigned)(d[k] - '0');
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

		util_addr_str(c->family, want, a, sizeof(a));
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

/* A list key: the elements fn parses into a new array of elem_size each,
 * which replaces *list only when every element parsed. */
static bool config_value_list(struct cfg_parser *p, const char *key, char *v, size_t elem_size,
			      bool (*fn)(struct cfg_parser *p, const char *key, const char *elem,
					 void *arr, size_t i),
			      void **list, size_t *n)
{
	size_t count = 0, cap = 1 + strlen(v) / 2;     /* elements are >= 1 char + ',' */
	void *arr;

	arr = calloc(SW_MIN(cap, (size_t)CONFIG_MAX_LIST + 1), elem_size);
	if (!arr) {
		p->fatal = -ENOMEM;
		return false;
	}
	if (!config_split(p, key, v, &count, fn, arr)) {
		free(arr);
		return false;
	}
	free(*list);
	*list = count ? arr : NULL;
	if (!count)
		free(arr);
	*n = count;
	return true;
}

static bool config_value_socket(struct cfg_parser *p, const char *v, char **ret)
{
	size_t max = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1;
	char *s;

	if (v[0] != '/') {
		config_err(p, p->lineno, "socket: '%s' is not an absolute path", v);
		return false;
	}
	if (strlen(v) > max) {
		config_err(p, p->lineno, "socket: path is too long for a unix socket (%zu bytes, at most %zu)",
			   strlen(v), max);
		return false;
	}
	if (v[strlen(v) - 1] == '/') {
		config_err(p, p->lineno, "socket: '%s' names a directory", v);
		return false;
	}
	s = strdup(v);
	if (!s) {
		p->fatal = -ENOMEM;
		return false;
	}
	free(*ret);
	*ret = s;
	return true;
}

/* Only the shape of the name is checked here (the portable user/group
 * name set, as useradd accepts it); sockwatchd looks the group up at start
 * and in --check-config, where the host's group database is the one that
 * counts. */
static bool config_value_group(struct cfg_parser *p, const char *v, char **ret)
{
	size_t n = strlen(v);
	char *s;

	if (n == 0) {
		free(*ret);
		*ret = NULL;
		return true;
	}
	if (n > 32 || !(v[0] == '_' || (v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')) ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") <
		    n - (v[n - 1] == '$')) {
		config_err(p, p->lineno, "group: '%s' is not a valid group name", v);
		return false;
	}
	s = strdup(v);
	if (!s) {
		p->fatal = -ENOMEM;
		return false;
	}
	free(*ret);
	*ret = s;
	return true;
}

/* ---- sections and keys ------------------------------------------------- */

static void config_section(struct cfg_parser *p, char *name)
{
	struct sw_config *c = p->c;
	struct sw_listener_override *ov, *nov;
	struct cfg_ov_keys *nk;
	uint8_t addr[16];
	const char *ep;
	uint16_t port;
	int family;
	bool any;

	for (int s = SEC_DAEMON; s <= SEC_CONTROL; s++) {
		if (!streq(name, sec_names[s]))
			continue;
		if (p->sec_line[s])
			config_err(p, p->lineno, "duplicate section [%s] (first at line %u)",
				   name, p->sec_line[s]);
		else
			p->sec_line[s] = p->lineno;
		/* Keys under a repeated header still get checked; a key set in
		 * both copies then shows up as a duplicate key. */
		p->sec = (enum cfg_sec)s;
		return;
	}

	p->sec = SEC_SKIP;
	if (strncmp(name, "listener", 8) != 0 || (name[8] && !config_is_space(name[8]))) {
		config_err(p, p->lineno,
			   "unknown section [%s] (expected daemon, alerts, filter, control or listener ADDR:PORT)",
			   name);
		return;
	}
	ep = config_strip(name + 8);
	if (util_endpoint_parse(ep, &family, addr, &port, &any) < 0 || port == 0) {
		config_err(p, p->lineno,
			   "invalid listener [%s] (expected [listener ADDR:PORT], [listener *:PORT] or [listener [IPV6]:PORT], port 1 .. 65535)",
			   name);
		return;
	}
	for (size_t i = 0; i < c->n_overrides; i++) {
		ov = &c->overrides[i];
		if (ov->any_address == any && ov->family == family && ov->port == port &&
		    memcmp(ov->addr, addr, sizeof(addr)) == 0) {
			config_err(p, p->lineno, "duplicate section [listener %s] (first at line %u)",
				   ep, ov->line);
			return;
		}
	}
	if (c->n_overrides >= CONFIG_MAX_OVERRIDES) {
		config_err(p, p->lineno, "too many [listener] sections (at most %d)",
			   CONFIG_MAX_OVERRIDES);
		return;
	}
	nov = reallocarray(c->overrides, c->n_overrides + 1, sizeof(*nov));
	if (!nov)
		goto oom;
	c->overrides = nov;
	nk = reallocarray(p->ov_keys, c->n_overrides + 1, sizeof(*nk));
	if (!nk)
		goto oom;
	p->ov_keys = nk;
	ov = &c->overrides[c->n_overrides];
	*ov = (struct sw_listener_override) {
		.name = strdup(ep),
		.any_address = any,
		.family = (uint8_t)family,
		.port = port,
		.line = p->lineno,
	};
	if (!ov->name)
		goto oom;
	memcpy(ov->addr, addr, sizeof(addr));
	memset(&p->ov_keys[c->n_overrides], 0, sizeof(*nk));
	p->cur_ov = c->n_overrides++;
	p->sec = SEC_LISTENER;
	return;
oom:
	p->fatal = -ENOMEM;
}

static void config_key(struct cfg_parser *p, const char *key, char *v)
{
	struct sw_config *c = p->c;
	struct sw_listener_override *ov = NULL;
	unsigned *line;
	bool *bad, ok = false;
	int k, e;

	if (p->sec == SEC_SKIP)
		return;
	if (p->sec == SEC_NONE) {
		config_err(p, p->lineno, "key '%s' outside of any section", key);
		return;
	}
	for (k = 0; k < K_MAX_; k++)
		if (key_defs[k].sec == p->sec && streq(key_defs[k].name, key))
			break;
	if (k == K_MAX_) {
		if (p->sec == SEC_LISTENER)
			config_err(p, p->lineno,
				   "unknown key '%s' in [listener %s] (expected warn, critical, clear or ignore)",
				   key, c->overrides[p->cur_ov].name);
		else
			config_err(p, p->lineno, "unknown key '%s' in [%s]", key, sec_names[p->sec]);
		return;
	}
	if (p->sec == SEC_LISTENER) {
		ov = &c->overrides[p->cur_ov];
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

	if (!*v && k != K_PORTS && k != K_EXCLUDE_PORTS && k != K_ADDRESSES &&
	    k != K_EXCLUDE_ADDRESSES && k != K_GROUP) {
		config_err(p, p->lineno, "%s: missing value", key);
		*bad = true;
		return;
	}

	switch ((enum cfg_key)k) {
	case K_INTERVAL:
		ok = config_value_duration(p, key, v, INTERVAL_MIN, INTERVAL_MAX, false,
					   &c->interval_usec);
		break;
	case K_FAST_INTERVAL:
		/* the upper bound is interval, checked once both are known */
		ok = config_value_duration(p, key, v, INTERVAL_MIN, INTERVAL_MAX, false,
					   &c->fast_interval_usec);
		break;
	case K_SYN_SCAN:
		ok = config_value_enum(p, key, v, syn_scan_names, SW_ARRAY_SIZE(syn_scan_names),
				       "auto, always or off", &e);
		if (ok)
			c->syn_scan = (enum sw_syn_scan)e;
		break;
	case K_CPU_BUDGET:
		ok = config_value_percent(p, key, v, &c->cpu_budget);
		break;
	case K_LOG_TARGET:
		ok = config_value_enum(p, key, v, log_target_names, SW_ARRAY_SIZE(log_target_names),
				       "auto, journal or stderr", &e);
		if (ok)
			c->log_target = (enum sw_log_target)e;
		break;
	case K_LOG_LEVEL:
		ok = config_value_enum(p, key, v, log_level_names, SW_ARRAY_SIZE(log_level_names),
				       "err, warning, notice, info or debug", &c->log_level);
		break;
	case K_WARN:
		ok = config_value_percent(p, key, v, &c->th.warn);
		break;
	case K_CRITICAL:
		ok = config_value_percent(p, key, v, &c->th.critical);
		break;
	case K_CLEAR:
		ok = config_value_percent(p, key, v, &c->th.clear);
		break;
	case K_SUSTAIN:
		ok = config_value_sustain(p, v, &c->sustain);
		break;
	case K_REALERT:
		ok = config_value_duration(p, key, v, REALERT_MIN, REALERT_MAX, true,
					   &c->realert_usec);
		break;
	case K_PORTS:
		ok = config_value_list(p, key, v, sizeof(*c->ports), config_port_elem,
				       (void **)&c->ports, &c->n_ports);
		break;
	case K_EXCLUDE_PORTS:
		ok = config_value_list(p, key, v, sizeof(*c->exclude_ports), config_port_elem,
				       (void **)&c->exclude_ports, &c->n_exclude_ports);
		break;
	case K_ADDRESSES:
		ok = config_value_list(p, key, v, sizeof(*c->addresses), config_cidr_elem,
				       (void **)&c->addresses, &c->n_addresses);
		break;
	case K_EXCLUDE_ADDRESSES:
		ok = config_value_list(p, key, v, sizeof(*c->exclude_addresses), config_cidr_elem,
				       (void **)&c->exclude_addresses, &c->n_exclude_addresses);
		break;
	case K_SOCKET:
		ok = config_value_socket(p, v, &c->control_socket);
		break;
	case K_GROUP:
		ok = config_value_group(p, v, &c->control_group);
		break;
	case K_L_WARN:
		ok = ov->has_warn = config_value_percent(p, key, v, &ov->th.warn);
		break;
	case K_L_CRITICAL:
		ok = ov->has_critical = config_value_percent(p, key, v, &ov->th.critical);
		break;
	case K_L_CLEAR:
		ok = ov->has_clear = config_value_percent(p, key, v, &ov->th.clear);
		break;
	case K_L_IGNORE:
		e = config_parse_bool(v);
		ok = e >= 0;
		if (ok)
			ov->ignore = e;
		else
			config_err(p, p->lineno,
				   "ignore: invalid boolean '%s' (expected yes, no, true, false, on, off, 1 or 0)",
				   v);
		break;
	case K_MAX_:
		break;
	}
	*bad = !ok;
}

/* ---- the inih glue ----------------------------------------------------- */

/* inih as Debian ships it (r55) cannot be fed the file directly: it cuts
 * section names at the first ']' ("[listener [::1]:443]" becomes
 * "listener [::1") and at 49 bytes, splits lines longer than 199 bytes into
 * two, ignores text after a section's ']', treats indented lines as
 * continuations of the previous value, knows no inline '#' comments, and
 * its header declares a handler without a line number. So the reader lexes
 * each line itself (the one place that knows the line number) and hands
 * inih a canonical line that makes it call the handler exactly once per
 * key line; the handler then takes section, key and value from the
 * parser, not from inih's truncated copies. */
static void config_lex_line(struct cfg_parser *p, char *s, size_t len)
{
	char *eq, *q, *key;
	size_t n;

	if (memchr(s, 0, len)) {
		config_err(p, p->lineno, "line contains a NUL byte");
		return;
	}
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (config_is_space(*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return;
	for (q = s + 1; *q; q++)
		if ((*q == ';' || *q == '#') && config_is_space(q[-1])) {
			*q = 0;
			break;
		}
	s = config_strip(s);

	if (*s == '[') {
		n = strlen(s);
		if (s[n - 1] != ']') {
			char *rb = strrchr(s, ']');

			if (rb)
				config_err(p, p->lineno, "unexpected text after ']' in section header: '%s'",
					   config_strip(rb + 1));
			else
				config_err(p, p->lineno, "section header must end with ']'");
			p->sec = SEC_SKIP;
			return;
		}
		s[n - 1] = 0;
		s = config_strip(s + 1);
		if (!*s) {
			config_err(p, p->lineno, "empty section name");
			p->sec = SEC_SKIP;
			return;
		}
		config_section(p, s);
		return;
	}

	eq = strchr(s, '=');
	if (!eq) {
		config_err(p, p->lineno, "expected 'key = value', '[section]' or a comment: '%s'", s);
		return;
	}
	*eq = 0;
	key = config_strip(s);
	if (!*key) {
		config_err(p, p->lineno, "missing key name before '='");
		return;
	}
	p->key = key;
	p->value = config_strip(eq + 1);
	p->pending = true;
}

static char *config_ini_reader(char *str, int num, void *stream)
{
	struct cfg_parser *p = stream;
	char *line = p->pos, *nl;
	size_t len;

	if (p->pos >= p->end || p->fatal)
		return NULL;
	if (num < 4) {
		/* no inih build has a line buffer this small */
		p->fatal = -EIO;
		return NULL;
	}
	nl = memchr(line, '\n', (size_t)(p->end - line));
	len = nl ? (size_t)(nl - line) : (size_t)(p->end - line);
	line[len] = 0;          /* the '\n', or the buffer's terminating NUL */
	p->pos = line + len + (nl ? 1 : 0);
	p->lineno++;
	p->pending = false;
	config_lex_line(p, line, len);
	memcpy(str, p->pending ? "k=\n" : "\n", p->pending ? 4 : 2);
	return str;
}

static int config_ini_handler(void *user, const char *section, const char *name,
			      const char *value)
{
	struct cfg_parser *p = user;

	if (p->pending) {
		p->pending = false;
		config_key(p, p->key, p->value);
	}
	return 1;
}

/* ---- after the last line ----------------------------------------------- */

/* Reports lo > hi, at the later of the lines the two values were set on
 * (0: inherited; the pair is not this section's business if both are). */
static void config_check_order(struct cfg_parser *p, const char *lo_name, double lo,
			       unsigned lo_line, const char *hi_name, double hi,
			       unsigned hi_line, const char *inherited)
{
	char a[CONFIG_FMT_MAX], b[CONFIG_FMT_MAX];

	if (lo <= hi || (lo_line == 0 && hi_line == 0))
		return;
	config_format_percent(lo, a, sizeof(a));
	config_format_percent(hi, b, sizeof(b));
	config_err(p, SW_MAX(lo_line, hi_line), "%s (%s%s%s) is above %s (%s%s%s)",
		   lo_name, a, lo_line ? "" : ", ", lo_line ? "" : inherited,
		   hi_name, b, hi_line ? "" : ", ", hi_line ? "" : inherited);
}

static void config_resolve(struct cfg_parser *p)
{
	struct sw_config *c = p->c;
	unsigned *kl = p->key_line;
	bool *kb = p->key_bad;

	if (!kl[K_FAST_INTERVAL]) {
		c->fast_interval_usec = SW_MIN(DEFAULT_FAST_INTERVAL, c->interval_usec);
	} else if (!kb[K_FAST_INTERVAL] && !kb[K_INTERVAL] &&
		   c->fast_interval_usec > c->interval_usec) {
		char a[CONFIG_FMT_MAX], b[CONFIG_FMT_MAX];

		config_format_duration(c->fast_interval_usec, a, sizeof(a));
		config_format_duration(c->interval_usec, b, sizeof(b));
		config_err(p, SW_MAX(kl[K_FAST_INTERVAL], kl[K_INTERVAL]),
			   "fast_interval (%s) is above interval (%s%s)", a, b,
			   kl[K_INTERVAL] ? "" : ", the default");
	}

	if (!kb[K_WARN] && !kb[K_CRITICAL])
		config_check_order(p, "warn", c->th.warn, kl[K_WARN],
				   "critical", c->th.critical, kl[K_CRITICAL], "the default");
	if (!kb[K_CLEAR] && !kb[K_WARN])
		config_check_order(p, "clear", c->th.clear, kl[K_CLEAR],
				   "warn", c->th.warn, kl[K_WARN], "the default");

	for (size_t i = 0; i < c->n_overrides; i++) {
		struct sw_listener_override *ov = &c->overrides[i];
		struct cfg_ov_keys *ok = &p->ov_keys[i];
		unsigned lw = ok->line[K_L_WARN - K_L_FIRST];
		unsigned lc = ok->line[K_L_CRITICAL - K_L_FIRST];
		unsigned ll = ok->line[K_L_CLEAR - K_L_FIRST];
		bool bw = ok->bad[K_L_WARN - K_L_FIRST] || (!ov->has_warn && kb[K_WARN]);
		bool bc = ok->bad[K_L_CRITICAL - K_L_FIRST] || (!ov->has_critical && kb[K_CRITICAL]);
		bool bl = ok->bad[K_L_CLEAR - K_L_FIRST] || (!ov->has_clear && kb[K_CLEAR]);

		if (!ov->has_warn)
			ov->th.warn = c->th.warn;
		if (!ov->has_critical)
			ov->th.critical = c->th.critical;
		if (!ov->has_clear)
			ov->th.clear = c->th.clear;
		if (!bw && !bc)
			config_check_order(p, "warn", ov->th.warn, lw, "critical",
					   ov->th.critical, lc, "from [alerts]");
		if (!bl && !bw)
			config_check_order(p, "clear", ov->th.clear, ll, "warn",
					   ov->th.warn, lw, "from [alerts]");
	}
}

static int config_err_cmp(const void *a, const void *b)
{
	const struct cfg_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int config_errors_add(struct sw_config_errors *e, const char *name, unsigned line,
			     const char *msg)
{
	char **n, *s;

	if (asprintf(&s, "%s:%u: %s", name, line, msg) < 0)
		return -ENOMEM;
	n = reallocarray(e->msg, e->n + 1, sizeof(*n));
	if (!n) {
		free(s);
		return -ENOMEM;
	}
	e->msg = n;
	e->msg[e->n++] = s;
	return 0;
}

/* text is ours to cut up; len excludes its terminating NUL. */
static int config_parse(const char *name, char *text, size_t len, struct sw_config **ret,
			struct sw_config_errors *errs)
{
	struct cfg_parser p = { .name = name, .pos = text, .end = text + len };
	int r;

	r = config_new_default(&p.c);
	if (r < 0)
		return r;
	p.c->path = strdup(name);
	if (!p.c->path) {
		r = -ENOMEM;
		goto out;
	}

	r = ini_parse_stream(config_ini_reader, &p, config_ini_handler, &p);
	if (p.fatal) {
		r = p.fatal;
		goto out;
	}
	if (r == -2) {
		r = -ENOMEM;
		goto out;
	}
	if (r != 0) {
		/* Cannot happen with the canonical lines we feed; say so rather
		 * than accept a file we did not fully read. */
		config_err(&p, (unsigned)SW_MAX(r, 0), "internal error: inih rejected this line");
	}
	config_resolve(&p);
	if (p.fatal) {
		r = p.fatal;
		goto out;
	}

	if (p.n_errs == 0) {
		*ret = p.c;
		p.c = NULL;
		r = 0;
		goto out;
	}
	qsort(p.errs, p.n_errs, sizeof(*p.errs), config_err_cmp);
	r = -EINVAL;
	for (size_t i = 0; i < p.n_errs && r == -EINVAL; i++)
		if (config_errors_add(errs, name, p.errs[i].line, p.errs[i].msg) < 0)
			r = -ENOMEM;
	if (p.too_many && r == -EINVAL &&
	    config_errors_add(errs, name, p.errs[p.n_errs - 1].line,
			      "too many errors, not all are shown") < 0)
		r = -ENOMEM;
out:
	for (size_t i = 0; i < p.n_errs; i++)
		free(p.errs[i].msg);
	free(p.errs);
	free(p.ov_keys);
	config_free(p.c);
	return r;
}

/* ---- public ------------------------------------------------------------ */

int config_new_default(struct sw_config **ret)
{
	struct sw_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->interval_usec = DEFAULT_INTERVAL;
	c->fast_interval_usec = DEFAULT_FAST_INTERVAL;
	c->syn_scan = SW_SYN_SCAN_AUTO;
	c->cpu_budget = 1;
	c->log_target = SW_LOG_AUTO;
	c->log_level = LOG_INFO;
	c->th = (struct sw_thresholds) { .warn = 80, .critical = 95, .clear = 60 };
	c->sustain = 1;
	c->realert_usec = DEFAULT_REALERT;
	c->control_socket = strdup(DEFAULT_SOCKET);
	if (!c->control_socket) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int config_load(const char *path, struct sw_config **ret, struct sw_config_errors *errs)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = util_read_file(path, CONFIG_MAX_FILE, &text, &len);
	if (r < 0)
		return r;
	return config_parse(path, text, len, ret, errs);
}

int config_load_string(const char *name, const char *text, struct sw_config **ret,
		       struct sw_config_errors *errs)
{
	_cleanup_free_ char *copy = NULL;
	size_t len = strlen(text);

	if (len >= CONFIG_MAX_FILE)
		return -EFBIG;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	return config_parse(name, copy, len, ret, errs);
}

void config_free(struct sw_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->ports);
	free(c->exclude_ports);
	free(c->addresses);
	free(c->exclude_addresses);
	free(c->control_socket);
	free(c->control_group);
	for (size_t i = 0; i < c->n_overrides; i++)
		free(c->overrides[i].name);
	free(c->overrides);
	free(c);
}

void config_errors_clear(struct sw_config_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

static void config_print_ports(FILE *f, const char *key, const struct sw_port_range *r, size_t n)
{
	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%u", i ? ", " : " ", r[i].lo);
		if (r[i].hi != r[i].lo)
			fprintf(f, "-%u", r[i].hi);
	}
	fputc('\n', f);
}

static void config_print_cidrs(FILE *f, const char *key, const struct sw_cidr *c, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s/%u", i ? ", " : " ",
			util_addr_str(c[i].family, c[i].addr, a, sizeof(a)), c[i].prefix);
	fputc('\n', f);
}

static void config_print_override_th(FILE *f, const char *key, bool has, double v)
{
	char a[CONFIG_FMT_MAX];

	config_format_percent(v, a, sizeof(a));
	/* Inherited values are shown as comments so the output parses back
	 * to the same config, inheritance included. */
	if (has)
		fprintf(f, "%s = %s\n", key, a);
	else
		fprintf(f, "; %s = %s (from [alerts])\n", key, a);
}

void config_print(const struct sw_config *c, FILE *f)
{
	char a[CONFIG_FMT_MAX];

	fprintf(f, "[daemon]\n");
	fprintf(f, "interval = %s\n", config_format_duration(c->interval_usec, a, sizeof(a)));
	fprintf(f, "fast_interval = %s\n",
		config_format_duration(c->fast_interval_usec, a, sizeof(a)));
	fprintf(f, "syn_scan = %s\n", config_syn_scan_name(c->syn_scan));
	fprintf(f, "cpu_budget = %s\n", config_format_percent(c->cpu_budget, a, sizeof(a)));
	fprintf(f, "log_target = %s\n", config_log_target_name(c->log_target));
	fprintf(f, "log_level = %s\n", config_log_level_name(c->log_level));

	fprintf(f, "\n[alerts]\n");
	fprintf(f, "warn = %s\n", config_format_percent(c->th.warn, a, sizeof(a)));
	fprintf(f, "critical = %s\n", config_format_percent(c->th.critical, a, sizeof(a)));
	fprintf(f, "clear = %s\n", config_format_percent(c->th.clear, a, sizeof(a)));
	fprintf(f, "sustain = %u\n", c->sustain);
	fprintf(f, "realert = %s\n", config_format_duration(c->realert_usec, a, sizeof(a)));

	fprintf(f, "\n[filter]\n");
	config_print_ports(f, "ports", c->ports, c->n_ports);
	config_print_ports(f, "exclude_ports", c->exclude_ports, c->n_exclude_ports);
	config_print_cidrs(f, "addresses", c->addresses, c->n_addresses);
	config_print_cidrs(f, "exclude_addresses", c->exclude_addresses, c->n_exclude_addresses);

	fprintf(f, "\n[control]\n");
	fprintf(f, "socket = %s\n", c->control_socket);
	fprintf(f, "group =%s%s\n", c->control_group ? " " : "",
		c->control_group ? c->control_group : "");

	for (size_t i = 0; i < c->n_overrides; i++) {
		const struct sw_listener_override *ov = &c->overrides[i];

		fprintf(f, "\n[listener %s]\n", ov->name);
		config_print_override_th(f, "warn", ov->has_warn, ov->th.warn);
		config_print_override_th(f, "critical", ov->has_critical, ov->th.critical);
		config_print_override_th(f, "clear", ov->has_clear, ov->th.clear);
		fprintf(f, "ignore = %s\n", ov->ignore ? "yes" : "no");
	}
}

/* ---- lookups ------------------------------------------------------------ */

static bool config_ports_contain(const struct sw_port_range *r, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool config_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xffu << (8 - rest))) == 0;
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* A v4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer or
 * bind address) is matched by IPv4 CIDRs; an IPv6 CIDR never matches a
 * plain IPv4 address, so that "::/0" means "all of IPv6" only. */
static bool config_cidr_contains(const struct sw_cidr *c, int family, const uint8_t *addr)
{
	if (c->family == AF_INET) {
		if (family == AF_INET)
			return config_prefix_eq(c->addr, addr, c->prefix);
		if (family == AF_INET6 && memcmp(addr, v4mapped_prefix, 12) == 0)
			return config_prefix_eq(c->addr, addr + 12, c->prefix);
		return false;
	}
	return family == AF_INET6 && config_prefix_eq(c->addr, addr, c->prefix);
}

static bool config_cidrs_contain(const struct sw_cidr *c, size_t n, int family,
				 const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++)
		if (config_cidr_contains(&c[i], family, addr))
			return true;
	return false;
}

bool config_filter_match(const struct sw_config *c, int family, const uint8_t *addr, uint16_t port)
{
	if (c->n_ports && !config_ports_contain(c->ports, c->n_ports, port))
		return false;
	if (config_ports_contain(c->exclude_ports, c->n_exclude_ports, port))
		return false;
	if (c->n_addresses && !config_cidrs_contain(c->addresses, c->n_addresses, family, addr))
		return false;
	if (config_cidrs_contain(c->exclude_addresses, c->n_exclude_addresses, family, addr))
		return false;
	return true;
}

const struct sw_thresholds *config_thresholds_for(const struct sw_config *c, int family,
						  const uint8_t *addr, uint16_t port,
						  bool *ret_ignore)
{
	const struct sw_listener_override *any = NULL;
	size_t alen = family == AF_INET6 ? 16 : 4;

	for (size_t i = 0; i < c->n_overrides; i++) {
		const struct sw_listener_override *ov = &c->overrides[i];

		if (ov->port != port)
			continue;
		if (ov->any_address) {
			any = ov;
			continue;
		}
		if (ov->family == family && memcmp(ov->addr, addr, alen) == 0) {
			if (ret_ignore)
				*ret_ignore = ov->ignore;
			return &ov->th;
		}
	}
	if (any) {
		if (ret_ignore)
			*ret_ignore = any->ignore;
		return &any->th;
	}
	if (ret_ignore)
		*ret_ignore = false;
	return &c->th;
}

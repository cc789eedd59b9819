/* The value grammar of sockwatchd.conf; see config_value.h. */
#include "config_value.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "text.h"
#include "macro.h"

#define DIGITS "0123456789"

/* Finest first, as the parser looks them up; the formatters walk it
 * backwards for the largest unit. */
static const struct {
	const char *unit;
	uint64_t usec;
} duration_units[] = {
	{ "ms", USEC_PER_MSEC },
	{ "s", USEC_PER_SEC },
	{ "min", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC },
};

int config_parse_duration(const char *s, uint64_t *ret_usec)
{
	uint64_t n;
	size_t nd;
	int r;

	if (!s)
		return -EINVAL;
	nd = strspn(s, DIGITS);
	r = text_parse_u64(s, nd, UINT64_MAX, &n);
	if (r < 0)
		return r;
	if (s[nd] == 0) {
		/* Zero is zero in any unit; anything else needs one. */
		if (n != 0)
			return -EINVAL;
		*ret_usec = 0;
		return 0;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(duration_units); i++) {
		if (strcmp(s + nd, duration_units[i].unit) != 0)
			continue;
		if (n > UINT64_MAX / duration_units[i].usec)
			return -ERANGE;
		*ret_usec = n * duration_units[i].usec;
		return 0;
	}
	return -EINVAL;
}

bool config_duration_lacks_unit(const char *s)
{
	size_t nd = s ? strspn(s, DIGITS) : 0;

	return nd > 0 && s[nd] == 0 && strspn(s, "0") < nd;
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
	nd = strspn(s, DIGITS);
	if (nd == 0)
		return -EINVAL;
	q = s + nd;
	if (*q == '.') {
		nf = strspn(q + 1, DIGITS);
		if (nf == 0 || nf > 2)
			return -EINVAL;
		q += 1 + nf;
	}
	if (*q == '%')
		q++;
	if (*q)
		return -EINVAL;
	/* 15 integer digits keep n*100 exact in a double */
	if (nd > 15 || text_parse_u64(s, nd, UINT64_MAX / 100, &n) < 0)
		return -ERANGE;
	n *= 100;
	if (nf >= 1)
		n += (uint64_t)(s[nd + 1] - '0') * 10;
	if (nf == 2)
		n += (uint64_t)(s[nd + 2] - '0');
	*ret = (double)n / 100.0;
	return 0;
}

int config_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; s && i < SW_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

const char *config_format_duration(uint64_t usec, char *buf, size_t len)
{
	if (usec == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = SW_ARRAY_SIZE(duration_units); i-- > 0;)
		if (usec % duration_units[i].usec == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", usec / duration_units[i].usec,
				 duration_units[i].unit);
			return buf;
		}
	/* Never reached for a parsed config (the finest unit there is ms). */
	snprintf(buf, len, "%" PRIu64 "us", usec);
	return buf;
}

const char *config_format_duration_human(uint64_t usec, char *buf, size_t len)
{
	uint64_t ms = usec / USEC_PER_MSEC, s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "%" PRIu64 "ms", ms);
	else if (s < 60 && ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 3600 && s % 60 == 0)
		snprintf(buf, len, "%" PRIu64 "min", s / 60);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "min %02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h %02" PRIu64 "min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 "h", s / 86400, s % 86400 / 3600);
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

/* ---- names -------------------------------------------------------------- */

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
static const char *const namespaces_names[] = {
	[SW_NAMESPACES_ALL] = "all", [SW_NAMESPACES_OWN] = "own",
};

#define NAMES(a) { a, SW_ARRAY_SIZE(a) }
const struct config_names config_syn_scan_names = NAMES(syn_scan_names);
const struct config_names config_log_target_names = NAMES(log_target_names);
const struct config_names config_log_level_names = NAMES(log_level_names);
const struct config_names config_namespaces_names = NAMES(namespaces_names);

int config_names_lookup(const struct config_names *t, const char *s)
{
	for (size_t i = 0; s && i < t->n; i++)
		if (t->names[i] && strcmp(t->names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

const char *config_names_name(const struct config_names *t, int v)
{
	if (v < 0 || (size_t)v >= t->n)
		return NULL;
	return t->names[v];
}

const char *config_names_list(const struct config_names *t, char *buf, size_t len)
{
	size_t left = 0, o = 0;

	for (size_t i = 0; i < t->n; i++)
		left += t->names[i] != NULL;
	if (len > 0)
		buf[0] = 0;
	for (size_t i = 0; i < t->n && o < len; i++) {
		if (!t->names[i])
			continue;
		left--;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", t->names[i],
				      left > 1 ? ", " : left == 1 ? " or " : "");
	}
	return buf;
}

int config_parse_log_level(const char *s)
{
	return config_names_lookup(&config_log_level_names, s);
}

const char *config_log_level_name(int level)
{
	return config_names_name(&config_log_level_names, level);
}

int config_parse_log_target(const char *s, enum sw_log_target *ret)
{
	int r = config_names_lookup(&config_log_target_names, s);

	if (r < 0)
		return r;
	*ret = (enum sw_log_target)r;
	return 0;
}

const char *config_log_target_name(enum sw_log_target t)
{
	return config_names_name(&config_log_target_names, (int)t);
}

const char *config_syn_scan_name(enum sw_syn_scan m)
{
	return config_names_name(&config_syn_scan_names, (int)m);
}

const char *config_namespaces_name(enum sw_namespaces n)
{
	return config_names_name(&config_namespaces_names, (int)n);
}

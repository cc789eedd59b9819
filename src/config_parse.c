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
 * This file holds the lines and sections and the checks across keys;
 * config_key.c the keys. Parsing is pure: no I/O. */
#include "config_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "macro.h"

#define CONFIG_MAX_ERRORS    100
#define CONFIG_MAX_ERROR_LEN 400
#define CONFIG_MAX_OVERRIDES 4096

const char *const config_sec_names[SEC_MAX_] = {
	[SEC_DAEMON] = "daemon",
	[SEC_ALERTS] = "alerts",
	[SEC_FILTER] = "filter",
	[SEC_CONTROL] = "control",
	[SEC_METRICS] = "metrics",
};

bool config_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

char *config_strip(char *s)
{
	size_t n;

	while (config_is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && config_is_space(s[n - 1]))
		s[--n] = 0;
	return s;
}

void config_err(struct cfg_parser *p, unsigned line, const char *fmt, ...)
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

/* ---- sections and lines ------------------------------------------------ */

/* Splits the text of a [listener NS/EP] header (after "listener") at its
 * last '/': an endpoint never has one, while a namespace name may have ':'
 * and a glob '[' as endpoints do. Cuts s in place; *ret_ep is the
 * endpoint, *ret_has false without a namespace part. Returns 0, or
 * -EINVAL after reporting why the part is not a name or glob (header is
 * the whole section name, for the message). */
static int config_listener_split(struct cfg_parser *p, const char *header, char *s,
				 struct sw_netns_pattern *ret_ns, bool *ret_has, char **ret_ep)
{
	char *slash = strrchr(s, '/');
	char why[CONFIG_NETNS_WHY_MAX];
	char *ns;

	*ret_has = false;
	*ret_ep = s;
	if (!slash)
		return 0;
	*slash = 0;
	*ret_ep = config_strip(slash + 1);
	ns = config_strip(s);
	if (!*ns) {
		config_err(p, p->lineno,
			   "invalid listener [%s]: empty namespace before '/' (leave out 'NAMESPACE/' for every namespace)",
			   header);
		return -EINVAL;
	}
	if (config_netns_pattern_parse(ns, ret_ns, why) < 0) {
		config_err(p, p->lineno, "invalid listener [%s]: %s", header, why);
		return -EINVAL;
	}
	*ret_has = true;
	return 0;
}

/* Appends a [listener] override named written and makes it the section
 * keys go to; NULL after reporting why not. */
static struct sw_listener_override *config_override_new(struct cfg_parser *p, const char *written)
{
	struct sw_config *c = p->c;
	struct sw_listener_override *ov, *nov;
	struct cfg_ov_keys *nk;

	if (c->n_overrides >= CONFIG_MAX_OVERRIDES) {
		config_err(p, p->lineno, "too many [listener] sections (at most %d)",
			   CONFIG_MAX_OVERRIDES);
		return NULL;
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
		.name = strdup(written),
		.line = p->lineno,
	};
	if (!ov->name)
		goto oom;
	memset(&p->ov_keys[c->n_overrides], 0, sizeof(*nk));
	p->cur_ov = c->n_overrides++;
	p->sec = SEC_LISTENER;
	return ov;
oom:
	p->fatal = -ENOMEM;
	return NULL;
}

static bool config_is_endpoint(const char *s)
{
	uint8_t addr[16];
	uint16_t port;
	bool any;
	int family;

	return addr_endpoint_parse(s, &family, addr, &port, &any) == 0;
}

/* Whether ov, which names the same listener as the header being read
 * (written), also has its namespace part: then that is reported as a
 * duplicate section. */
static bool config_override_duplicate(struct cfg_parser *p, const struct sw_listener_override *ov,
				      bool has_ns, const struct sw_netns_pattern *ns,
				      const char *written)
{
	if (ov->has_netns != has_ns || (has_ns && strcmp(ov->netns.glob, ns->glob) != 0))
		return false;
	config_err(p, p->lineno, "duplicate section [listener %s] (first at line %u)", written,
		   ov->line);
	return true;
}

/* A [listener] header that names a UNIX listener (returns 1): the text
 * (after "listener") starts with '/' or '@', or has a namespace part before
 * a first '/' that one of those follows ([listener blue//run/x.sock]); cut
 * in place. 0: an endpoint's header, s untouched. -EINVAL after reporting
 * what is wrong. */
static int config_listener_path(struct cfg_parser *p, const char *header, char *s,
				struct sw_netns_pattern *ret_ns, bool *ret_has,
				struct sw_path_pattern *ret_path)
{
	char why[CONFIG_NETNS_WHY_MAX];
	char *glob = s, *slash;

	*ret_has = false;
	if (*s == '/' && config_is_endpoint(config_strip(s + 1)))
		/* "[listener /0.0.0.0:80]": a namespace left out, not a path */
		return 0;
	if (*s != '/' && *s != '@') {
		slash = strchr(s, '/');
		if (!slash || (slash[1] != '/' && slash[1] != '@'))
			return 0;
		*slash = 0;
		glob = slash + 1;
		if (!*config_strip(s)) {
			config_err(p, p->lineno,
				   "invalid listener [%s]: empty namespace before '/' (leave out 'NAMESPACE/' for every namespace)",
				   header);
			return -EINVAL;
		}
		if (config_netns_pattern_parse(config_strip(s), ret_ns, why) < 0) {
			config_err(p, p->lineno, "invalid listener [%s]: %s", header, why);
			return -EINVAL;
		}
		*ret_has = true;
	}
	if (config_path_pattern_parse(glob, ret_path, why) < 0) {
		config_err(p, p->lineno, "invalid listener [%s]: %s", header, why);
		return -EINVAL;
	}
	return 1;
}

/* The override of a UNIX listener's header (config_listener_path). */
static void config_override_path(struct cfg_parser *p, const char *written,
				 const struct sw_netns_pattern *ns, bool has_ns,
				 const struct sw_path_pattern *path)
{
	struct sw_config *c = p->c;
	struct sw_listener_override *ov;

	for (size_t i = 0; i < c->n_overrides; i++) {
		ov = &c->overrides[i];
		if (ov->is_path && strcmp(ov->path.glob, path->glob) == 0 &&
		    config_override_duplicate(p, ov, has_ns, ns, written))
			return;
	}
	ov = config_override_new(p, written);
	if (!ov)
		return;
	ov->is_path = true;
	ov->path = *path;
	ov->has_netns = has_ns;
	if (has_ns)
		ov->netns = *ns;
}

static void config_section(struct cfg_parser *p, char *name)
{
	struct sw_config *c = p->c;
	struct sw_listener_override *ov;
	struct sw_netns_pattern ns = { 0 };
	struct sw_path_pattern path;
	_cleanup_free_ char *header = NULL;
	uint8_t addr[16];
	char *written, *ep;
	uint16_t port;
	int family, r;
	bool any, has_ns;

	for (int s = SEC_DAEMON; s <= SEC_METRICS; s++) {
		if (strcmp(name, config_sec_names[s]) != 0)
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
			   "unknown section [%s] (expected daemon, alerts, filter, control, metrics or listener ADDR:PORT)",
			   name);
		return;
	}
	/* name is cut up below; messages show the header as written */
	header = strdup(name);
	if (!header) {
		p->fatal = -ENOMEM;
		return;
	}
	written = config_strip(header + 8);
	r = config_listener_path(p, header, config_strip(name + 8), &ns, &has_ns, &path);
	if (r < 0)
		return;
	if (r > 0) {
		config_override_path(p, written, &ns, has_ns, &path);
		return;
	}
	if (config_listener_split(p, header, config_strip(name + 8), &ns, &has_ns, &ep) < 0)
		return;
	if (addr_endpoint_parse(ep, &family, addr, &port, &any) < 0 || port == 0) {
		config_err(p, p->lineno,
			   "invalid listener [%s] (expected [listener ADDR:PORT], [listener *:PORT], [listener [IPV6]:PORT] or [listener /PATH], port 1 .. 65535, optionally after NAMESPACE/)",
			   header);
		return;
	}
	for (size_t i = 0; i < c->n_overrides; i++) {
		ov = &c->overrides[i];
		if (!ov->is_path && ov->any_address == any && ov->family == family && ov->port == port &&
		    memcmp(ov->addr, addr, sizeof(addr)) == 0 &&
		    config_override_duplicate(p, ov, has_ns, &ns, written))
			return;
	}
	ov = config_override_new(p, written);
	if (!ov)
		return;
	ov->has_netns = has_ns;
	ov->netns = ns;
	ov->any_address = any;
	ov->family = (uint8_t)family;
	ov->port = port;
	memcpy(ov->addr, addr, sizeof(addr));
}


/* One line: a comment, a [section] header or "key = value". The lexer is
 * our own, not inih's: inih as Debian ships it (r55) cuts section names
 * at the first ']' ("[listener [::1]:443]") and at 49 bytes, splits lines
 * longer than 199 bytes, ignores text after a section's ']', takes
 * indented lines for continuations, knows no inline '#' comments, and
 * gives its handler no line number. */
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
	config_key(p, key, config_strip(eq + 1));
}

/* Cuts the next line out of the text (at '\n', or the end) and lexes it. */
static void config_next_line(struct cfg_parser *p)
{
	char *line = p->pos, *nl;
	size_t len;

	nl = memchr(line, '\n', (size_t)(p->end - line));
	len = nl ? (size_t)(nl - line) : (size_t)(p->end - line);
	line[len] = 0;          /* the '\n', or the buffer's terminating NUL */
	p->pos = line + len + (nl ? 1 : 0);
	p->lineno++;
	config_lex_line(p, line, len);
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
		c->fast_interval_usec = SW_MIN(CONFIG_DEFAULT_FAST_INTERVAL_USEC, c->interval_usec);
	} else if (!kb[K_FAST_INTERVAL] && !kb[K_INTERVAL] &&
		   c->fast_interval_usec > c->interval_usec) {
		char a[CONFIG_FMT_MAX], b[CONFIG_FMT_MAX];

		config_format_duration(c->fast_interval_usec, a, sizeof(a));
		config_format_duration(c->interval_usec, b, sizeof(b));
		config_err(p, SW_MAX(kl[K_FAST_INTERVAL], kl[K_INTERVAL]),
			   "fast_interval (%s) is above interval (%s%s)", a, b,
			   kl[K_INTERVAL] ? "" : ", the default");
	}

	/* Only "host" is watched with namespaces = own: a filter that leaves
	 * it out leaves nothing, which is never what was meant. */
	if (c->namespaces == SW_NAMESPACES_OWN && !kb[K_NAMESPACES] && !kb[K_NETNS] &&
	    !kb[K_EXCLUDE_NETNS] && !config_netns_match(c, NULL))
		config_err(p, SW_MAX(kl[K_NAMESPACES], SW_MAX(kl[K_NETNS], kl[K_EXCLUDE_NETNS])),
			   "namespaces = own watches only 'host', which [filter] leaves out: nothing would be watched");

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
		bool bw, bc, bl;

		/* Set is given with a value that parsed; else inherited. */
		ov->has_warn = lw && !ok->bad[K_L_WARN - K_L_FIRST];
		ov->has_critical = lc && !ok->bad[K_L_CRITICAL - K_L_FIRST];
		ov->has_clear = ll && !ok->bad[K_L_CLEAR - K_L_FIRST];
		bw = ok->bad[K_L_WARN - K_L_FIRST] || (!ov->has_warn && kb[K_WARN]);
		bc = ok->bad[K_L_CRITICAL - K_L_FIRST] || (!ov->has_critical && kb[K_CRITICAL]);
		bl = ok->bad[K_L_CLEAR - K_L_FIRST] || (!ov->has_clear && kb[K_CLEAR]);

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
/* Hands the errors over sorted by line: 0 when there are none, else
 * -EINVAL (or -ENOMEM). */
static int config_report(struct cfg_parser *p, struct sw_config_errors *errs)
{
	if (p->n_errs == 0)
		return 0;
	qsort(p->errs, p->n_errs, sizeof(*p->errs), config_err_cmp);
	for (size_t i = 0; i < p->n_errs; i++)
		if (config_errors_add(errs, p->name, p->errs[i].line, p->errs[i].msg) < 0)
			return -ENOMEM;
	if (p->too_many && config_errors_add(errs, p->name, p->errs[p->n_errs - 1].line,
					     "too many errors, not all are shown") < 0)
		return -ENOMEM;
	return -EINVAL;
}

int config_parse(const char *name, char *text, size_t len, struct sw_config **ret,
		 struct sw_config_errors *errs)
{
	_cleanup_config_ struct sw_config *c = NULL;
	struct cfg_parser p = { .name = name, .pos = text, .end = text + len };
	int r;

	r = config_new_default(&c);
	if (r < 0)
		return r;
	c->path = strdup(name);
	if (!c->path)
		return -ENOMEM;
	p.c = c;
	while (p.pos < p.end && !p.fatal)
		config_next_line(&p);
	if (!p.fatal)
		config_resolve(&p);
	r = p.fatal ? p.fatal : config_report(&p, errs);
	if (r == 0) {
		*ret = c;
		c = NULL;
	}
	for (size_t i = 0; i < p.n_errs; i++)
		free(p.errs[i].msg);
	free(p.errs);
	free(p.ov_keys);
	return r;
}

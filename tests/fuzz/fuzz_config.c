/* Fuzz target: the config parser (config_load_string(), and through it
 * the lexer, the key handlers and the value grammar).
 *
 * An input without NUL bytes goes through config_load_string(); one with
 * NUL bytes, which a C string cannot carry but a file can, goes through
 * config_load() on a memfd. Besides memory errors it checks:
 * - the result is 0 or -EINVAL; on -EINVAL every message is
 *   "NAME:LINE: text" with LINE a line of the input, in line order, and
 *   bounded in number and length;
 * - an accepted config is within the ranges DESIGN.md gives every key;
 * - what config_print() prints for it loads without error and prints the
 *   same again (--check-config output is a valid config file). */
#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "macro.h"

/* Bounds config.c promises (its CONFIG_MAX_* and key ranges). */
#define MAX_ERRORS    101          /* 100 and "too many errors" */
#define MAX_ERROR_LEN 400
#define MAX_LIST      1024
#define MAX_OVERRIDES 4096

static int load_bytes(const uint8_t *data, size_t size, char *name, size_t name_len,
		      struct sw_config **ret, struct sw_config_errors *errs)
{
	int fd, r;

	if (!fuzz_has_nul(data, size)) {
		char *text = fuzz_strndup(data, size);

		snprintf(name, name_len, "fuzz.conf");
		r = config_load_string(name, text, ret, errs);
		free(text);
		return r;
	}
	fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(name, name_len, "/proc/self/fd/%d", fd);
	r = config_load(name, ret, errs);
	close(fd);
	return r;
}

static void check_errors(const struct sw_config_errors *e, const char *name, size_t lines)
{
	size_t nl = strlen(name);
	unsigned long prev = 0;

	FUZZ_ASSERT(e->n >= 1 && e->n <= MAX_ERRORS, "%zu errors", e->n);
	for (size_t i = 0; i < e->n; i++) {
		const char *m = e->msg[i];
		unsigned long line;
		char *end;

		FUZZ_ASSERT(strncmp(m, name, nl) == 0 && m[nl] == ':', "no file name: '%s'", m);
		line = strtoul(m + nl + 1, &end, 10);
		FUZZ_ASSERT(end > m + nl + 1 && end[0] == ':' && end[1] == ' ',
			    "no line number: '%s'", m);
		FUZZ_ASSERT(line >= 1 && line <= lines, "line %lu of %zu: '%s'", line, lines, m);
		FUZZ_ASSERT(line >= prev, "errors out of line order at '%s'", m);
		FUZZ_ASSERT(strlen(end + 2) <= MAX_ERROR_LEN, "message of %zu bytes",
			    strlen(end + 2));
		prev = line;
	}
}

static void check_th(const struct sw_thresholds *t, const char *what)
{
	FUZZ_ASSERT(t->clear > 0 && t->clear <= t->warn && t->warn <= t->critical &&
			    t->critical <= 100,
		    "%s thresholds clear %g warn %g critical %g", what, t->clear, t->warn,
		    t->critical);
}

static void check_ports(const struct sw_port_range *r, size_t n)
{
	FUZZ_ASSERT(n <= MAX_LIST && (n == 0 || r), "%zu ports", n);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(r[i].lo >= 1 && r[i].lo <= r[i].hi, "port range %u-%u", r[i].lo,
			    r[i].hi);
}

static void check_cidrs(const struct sw_cidr *c, size_t n)
{
	FUZZ_ASSERT(n <= MAX_LIST && (n == 0 || c), "%zu cidrs", n);
	for (size_t i = 0; i < n; i++) {
		unsigned max = c[i].family == AF_INET ? 32 : 128;

		FUZZ_ASSERT(c[i].family == AF_INET || c[i].family == AF_INET6, "cidr family %u",
			    c[i].family);
		FUZZ_ASSERT(c[i].prefix <= max, "prefix %u", c[i].prefix);
		/* Host bits are refused, so none are left set. */
		for (unsigned b = c[i].prefix; b < max; b++)
			FUZZ_ASSERT(!(c[i].addr[b / 8] & (0x80u >> (b % 8))), "host bit %u set", b);
	}
}

static void check_netns(const struct sw_netns_pattern *p, size_t n)
{
	FUZZ_ASSERT(n <= CONFIG_MAX_NETNS_PATTERNS && (n == 0 || p), "%zu namespace patterns", n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(p[i].glob, sizeof(p[i].glob));

		FUZZ_ASSERT(len >= 1 && len < sizeof(p[i].glob), "namespace pattern %zu", i);
		for (size_t k = 0; k < len; k++)
			FUZZ_ASSERT(p[i].glob[k] > ' ' && p[i].glob[k] < 0x7f &&
					    p[i].glob[k] != '/' && p[i].glob[k] != ',',
				    "namespace pattern byte 0x%02x", (unsigned char)p[i].glob[k]);
	}
}

static void check_paths(const struct sw_path_pattern *p, size_t n)
{
	FUZZ_ASSERT(n <= CONFIG_MAX_PATH_PATTERNS && (n == 0 || p), "%zu path patterns", n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(p[i].glob, sizeof(p[i].glob));

		FUZZ_ASSERT(len >= 1 && len < sizeof(p[i].glob), "path pattern %zu", i);
		for (size_t k = 0; k < len; k++)
			FUZZ_ASSERT(p[i].glob[k] > ' ' && p[i].glob[k] < 0x7f && p[i].glob[k] != ',',
				    "path pattern byte 0x%02x", (unsigned char)p[i].glob[k]);
	}
}

static void check_config(const struct sw_config *c)
{
	FUZZ_ASSERT(c->interval_usec >= 100 * USEC_PER_MSEC && c->interval_usec <= 3600 * USEC_PER_SEC,
		    "interval %llu", (unsigned long long)c->interval_usec);
	FUZZ_ASSERT(c->fast_interval_usec >= 100 * USEC_PER_MSEC &&
			    c->fast_interval_usec <= c->interval_usec,
		    "fast_interval %llu", (unsigned long long)c->fast_interval_usec);
	FUZZ_ASSERT(config_syn_scan_name(c->syn_scan) && config_log_target_name(c->log_target) &&
			    config_log_level_name(c->log_level),
		    "enum out of range");
	FUZZ_ASSERT(c->log_level >= LOG_ERR && c->log_level <= LOG_DEBUG, "log_level %d",
		    c->log_level);
	FUZZ_ASSERT(c->cpu_budget > 0 && c->cpu_budget <= 100, "cpu_budget %g", c->cpu_budget);
	check_th(&c->th, "[alerts]");
	FUZZ_ASSERT(c->sustain >= 1 && c->sustain <= 1000, "sustain %u", c->sustain);
	FUZZ_ASSERT(c->realert_usec == 0 || (c->realert_usec >= USEC_PER_SEC &&
					     c->realert_usec <= 24 * 3600 * USEC_PER_SEC),
		    "realert %llu", (unsigned long long)c->realert_usec);
	check_ports(c->ports, c->n_ports);
	check_ports(c->exclude_ports, c->n_exclude_ports);
	check_cidrs(c->addresses, c->n_addresses);
	check_cidrs(c->exclude_addresses, c->n_exclude_addresses);
	check_netns(c->netns, c->n_netns);
	check_netns(c->exclude_netns, c->n_exclude_netns);
	check_paths(c->paths, c->n_paths);
	check_paths(c->exclude_paths, c->n_exclude_paths);
	FUZZ_ASSERT(config_namespaces_name(c->namespaces), "namespaces %d", (int)c->namespaces);
	FUZZ_ASSERT(c->namespace_scan_usec >= USEC_PER_SEC &&
			    c->namespace_scan_usec <= 3600 * USEC_PER_SEC,
		    "namespace_scan %llu", (unsigned long long)c->namespace_scan_usec);
	FUZZ_ASSERT(c->control_socket && c->control_socket[0] == '/' &&
			    strlen(c->control_socket) < sizeof(((struct sockaddr_un *)0)->sun_path) &&
			    c->control_socket[strlen(c->control_socket) - 1] != '/',
		    "control socket '%s'", c->control_socket ? c->control_socket : "(null)");
	FUZZ_ASSERT(!c->control_group || (c->control_group[0] && strlen(c->control_group) <= 32),
		    "group '%s'", c->control_group);
	FUZZ_ASSERT(c->n_overrides <= MAX_OVERRIDES && (c->n_overrides == 0 || c->overrides),
		    "%zu overrides", c->n_overrides);
	for (size_t i = 0; i < c->n_overrides; i++) {
		const struct sw_listener_override *o = &c->overrides[i];

		if (o->is_path) {
			/* a UNIX listener's: a path glob, no endpoint */
			FUZZ_ASSERT(o->name && o->port == 0 && !o->any_address && o->family == 0,
				    "path override %zu", i);
			check_paths(&o->path, 1);
			FUZZ_ASSERT(o->path.glob[0] == '/' || o->path.glob[0] == '@',
				    "path override %zu glob '%s'", i, o->path.glob);
			check_th(&o->th, o->name);
			if (o->has_netns)
				check_netns(&o->netns, 1);
			for (size_t j = 0; j < i; j++)
				FUZZ_ASSERT(!(c->overrides[j].is_path &&
					      strcmp(c->overrides[j].path.glob, o->path.glob) == 0 &&
					      c->overrides[j].has_netns == o->has_netns &&
					      (!o->has_netns ||
					       strcmp(c->overrides[j].netns.glob, o->netns.glob) == 0)),
					    "path overrides %zu and %zu are one", j, i);
			continue;
		}
		FUZZ_ASSERT(o->name && o->port >= 1, "override %zu", i);
		FUZZ_ASSERT(o->any_address ? o->family == 0
					   : o->family == AF_INET || o->family == AF_INET6,
			    "override %zu family %u", i, o->family);
		check_th(&o->th, o->name);
		if (o->has_netns)
			check_netns(&o->netns, 1);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(!(!c->overrides[j].is_path && c->overrides[j].port == o->port &&
				      c->overrides[j].any_address == o->any_address &&
				      c->overrides[j].family == o->family &&
				      memcmp(c->overrides[j].addr, o->addr, 16) == 0 &&
				      c->overrides[j].has_netns == o->has_netns &&
				      (!o->has_netns ||
				       strcmp(c->overrides[j].netns.glob, o->netns.glob) == 0)),
				    "overrides %zu and %zu are one listener", j, i);
	}
}

/* config_print() into a malloc'd string. */
static char *print_config(const struct sw_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	config_print(c, f);
	if (fclose(f) != 0)
		abort();
	return text;
}

/* Exercises the lookups an accepted config answers every poll. */
static void check_lookups(const struct sw_config *c)
{
	static const struct {
		int family;
		uint8_t addr[16];
	} eps[] = {
		{ AF_INET, { 127, 0, 0, 1 } },
		{ AF_INET, { 0 } },
		{ AF_INET6, { 0 } },
		{ AF_INET6, { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 } },
		{ AF_INET6, { 0xfe, 0x80, [15] = 1 } },
	};
	static const uint16_t ports[] = { 1, 22, 80, 443, 8080, 65535 };
	static const char *const names[] = { NULL, "host", "docker:3f2a9c1b0e4d", "blue",
					     "pod:1234abcd-0000-1111-2222-333344445555", ".x" };

	for (size_t k = 0; k < SW_ARRAY_SIZE(names); k++)
		config_netns_match(c, names[k]);
	for (size_t i = 0; i < SW_ARRAY_SIZE(eps); i++)
		for (size_t j = 0; j < SW_ARRAY_SIZE(ports); j++) {
			bool ignore = true;
			const struct sw_thresholds *t;

			for (size_t k = 0; k < SW_ARRAY_SIZE(names); k++) {
				config_filter_match(c, names[k], eps[i].family, eps[i].addr, ports[j]);
				t = config_thresholds_for(c, names[k], eps[i].family, eps[i].addr,
							  ports[j], &ignore);
				FUZZ_ASSERT(t != NULL, "no thresholds");
				check_th(t, "looked up");
			}
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_config_errors errs = { 0 }, errs2 = { 0 };
	_cleanup_config_ struct sw_config *c = NULL, *back = NULL;
	char name[64], *text, *text2;
	size_t lines = 1;
	int r;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';

	r = load_bytes(data, size, name, sizeof(name), &c, &errs);
	FUZZ_ASSERT(r == 0 || r == -EINVAL, "ret %d", r);
	if (r < 0) {
		FUZZ_ASSERT(c == NULL, "*ret set on error");
		check_errors(&errs, name, lines);
		config_errors_clear(&errs);
		return 0;
	}
	FUZZ_ASSERT(c && errs.n == 0, "success with %zu errors", errs.n);
	check_config(c);
	check_lookups(c);

	text = print_config(c);
	r = config_load_string("printed", text, &back, &errs2);
	FUZZ_ASSERT(r == 0, "printed config does not load (%d): %s\n--- input\n%.*s\n--- printed\n%s",
		    r, errs2.n ? errs2.msg[0] : "", (int)size, (const char *)data, text);
	text2 = print_config(back);
	FUZZ_ASSERT(strcmp(text, text2) == 0, "printed config prints differently:\n%s\n---\n%s",
		    text, text2);
	free(text);
	free(text2);
	config_errors_clear(&errs2);
	return 0;
}

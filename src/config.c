/* config: the built-in defaults, loading a file, freeing and printing
 * the effective config. The file's grammar is config_parse.c's and
 * config_key.c's, the value syntax config_value.c's. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"
#include "macro.h"
#include "config_parse.h"
#include "protocol.h"
#include "util.h"

#define CONFIG_MAX_FILE  (1024 * 1024)
#define DEFAULT_INTERVAL (1 * USEC_PER_SEC)
#define DEFAULT_REALERT  (5 * 60 * USEC_PER_SEC)
#define DEFAULT_NETNS_SCAN (5 * USEC_PER_SEC)

int config_new_default(struct sw_config **ret)
{
	struct sw_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->interval_usec = DEFAULT_INTERVAL;
	c->fast_interval_usec = CONFIG_DEFAULT_FAST_INTERVAL_USEC;
	c->syn_scan = SW_SYN_SCAN_AUTO;
	c->cpu_budget = 1;
	c->log_target = SW_LOG_AUTO;
	c->log_level = LOG_INFO;
	c->namespaces = SW_NAMESPACES_ALL;
	c->namespace_scan_usec = DEFAULT_NETNS_SCAN;
	c->watch_unix = true;
	c->th = (struct sw_thresholds) { .warn = 80, .critical = 95, .clear = 60 };
	c->sustain = 1;
	c->realert_usec = DEFAULT_REALERT;
	c->metrics_max_listeners = 20000;
	c->metrics_max_connections = 16;
	c->metrics_max_connections_per_ip = 4;
	c->metrics_timeout_usec = 10 * USEC_PER_SEC;
	c->metrics_textfile_interval_usec = 15 * USEC_PER_SEC;
	c->control_socket = strdup(SW_CTL_DEFAULT_SOCKET);
	c->metrics_allow = calloc(2, sizeof(*c->metrics_allow));
	if (!c->control_socket || !c->metrics_allow) {
		config_free(c);
		return -ENOMEM;
	}
	/* loopback only: 127.0.0.0/8 and ::1 */
	c->metrics_allow[0] = (struct sw_cidr){ .family = AF_INET, .addr = { 127 }, .prefix = 8 };
	c->metrics_allow[1] = (struct sw_cidr){ .family = AF_INET6, .addr = { [15] = 1 }, .prefix = 128 };
	c->n_metrics_allow = 2;
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
	free(c->netns);
	free(c->exclude_netns);
	free(c->paths);
	free(c->exclude_paths);
	free(c->control_socket);
	free(c->control_group);
	free(c->metrics_listen);
	free(c->metrics_allow);
	free(c->metrics_textfile);
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
			addr_str(c[i].family, c[i].addr, a, sizeof(a)), c[i].prefix);
	fputc('\n', f);
}

/* A list of globs: n strings, stride bytes apart from first. */
static void config_print_globs(FILE *f, const char *key, const char *first, size_t stride,
			       size_t n)
{
	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : " ", first + i * stride);
	fputc('\n', f);
}

static void config_print_netns(FILE *f, const char *key, const struct sw_netns_pattern *p,
			       size_t n)
{
	config_print_globs(f, key, n ? p->glob : "", sizeof(*p), n);
}

static void config_print_paths(FILE *f, const char *key, const struct sw_path_pattern *p,
			       size_t n)
{
	config_print_globs(f, key, n ? p->glob : "", sizeof(*p), n);
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
	fprintf(f, "namespaces = %s\n", config_namespaces_name(c->namespaces));
	fprintf(f, "namespace_scan = %s\n",
		config_format_duration(c->namespace_scan_usec, a, sizeof(a)));
	fprintf(f, "unix = %s\n", c->watch_unix ? "yes" : "no");

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
	config_print_netns(f, "namespaces", c->netns, c->n_netns);
	config_print_netns(f, "exclude_namespaces", c->exclude_netns, c->n_exclude_netns);
	config_print_paths(f, "paths", c->paths, c->n_paths);
	config_print_paths(f, "exclude_paths", c->exclude_paths, c->n_exclude_paths);

	fprintf(f, "\n[control]\n");
	fprintf(f, "socket = %s\n", c->control_socket);
	fprintf(f, "group =%s%s\n", c->control_group ? " " : "",
		c->control_group ? c->control_group : "");

	fprintf(f, "\n[metrics]\n");
	fprintf(f, "listen =%s%s\n", c->metrics_listen ? " " : "",
		c->metrics_listen ? c->metrics_listen : "");
	config_print_cidrs(f, "allow", c->metrics_allow, c->n_metrics_allow);
	fprintf(f, "max_listeners = %u\n", c->metrics_max_listeners);
	fprintf(f, "max_connections = %u\n", c->metrics_max_connections);
	fprintf(f, "max_connections_per_ip = %u\n", c->metrics_max_connections_per_ip);
	fprintf(f, "timeout = %s\n", config_format_duration(c->metrics_timeout_usec, a, sizeof(a)));
	fprintf(f, "textfile =%s%s\n", c->metrics_textfile ? " " : "",
		c->metrics_textfile ? c->metrics_textfile : "");
	fprintf(f, "textfile_interval = %s\n",
		config_format_duration(c->metrics_textfile_interval_usec, a, sizeof(a)));

	for (size_t i = 0; i < c->n_overrides; i++) {
		const struct sw_listener_override *ov = &c->overrides[i];

		fprintf(f, "\n[listener %s]\n", ov->name);
		config_print_override_th(f, "warn", ov->has_warn, ov->th.warn);
		config_print_override_th(f, "critical", ov->has_critical, ov->th.critical);
		config_print_override_th(f, "clear", ov->has_clear, ov->th.clear);
		fprintf(f, "ignore = %s\n", ov->ignore ? "yes" : "no");
	}
}

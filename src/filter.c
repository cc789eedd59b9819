/* Listener filter and threshold lookups; see filter.h. */
#include "filter.h"

#include <fnmatch.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"

static bool filter_ports_contain(const struct sw_port_range *r, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool filter_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
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
static bool filter_cidr_contains(const struct sw_cidr *c, int family, const uint8_t *addr)
{
	if (c->family == AF_INET) {
		if (family == AF_INET)
			return filter_prefix_eq(c->addr, addr, c->prefix);
		if (family == AF_INET6 && memcmp(addr, v4mapped_prefix, 12) == 0)
			return filter_prefix_eq(c->addr, addr + 12, c->prefix);
		return false;
	}
	return family == AF_INET6 && filter_prefix_eq(c->addr, addr, c->prefix);
}

bool config_cidrs_contain(const struct sw_cidr *c, size_t n, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++)
		if (filter_cidr_contains(&c[i], family, addr))
			return true;
	return false;
}

/* No fnmatch flags: a name never has a '/' (FNM_PATHNAME would not
 * matter) and a /run/netns name may start with '.', which "*" must match
 * as it matches the rest (FNM_PERIOD would hide it). */
static bool filter_netns_pattern_match(const struct sw_netns_pattern *p, const char *name)
{
	if (p->literal)
		return strcmp(p->glob, name) == 0;
	return fnmatch(p->glob, name, 0) == 0;
}

static bool filter_netns_patterns_match(const struct sw_netns_pattern *p, size_t n,
					const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (filter_netns_pattern_match(&p[i], name))
			return true;
	return false;
}

static const char *filter_netns_name(const char *netns)
{
	return netns ? netns : CONFIG_NETNS_HOST;
}

bool config_netns_match(const struct sw_config *c, const char *netns_name)
{
	const char *name = filter_netns_name(netns_name);

	if (c->namespaces == SW_NAMESPACES_OWN && strcmp(name, CONFIG_NETNS_HOST) != 0)
		return false;
	if (c->n_netns && !filter_netns_patterns_match(c->netns, c->n_netns, name))
		return false;
	if (filter_netns_patterns_match(c->exclude_netns, c->n_exclude_netns, name))
		return false;
	return true;
}

static bool filter_path_pattern_match(const struct sw_path_pattern *p, const char *path)
{
	if (p->literal)
		return strcmp(p->glob, path) == 0;
	return fnmatch(p->glob, path, FNM_PATHNAME) == 0;
}

static bool filter_path_patterns_match(const struct sw_path_pattern *p, size_t n,
				       const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (filter_path_pattern_match(&p[i], path))
			return true;
	return false;
}

bool config_filter_match_path(const struct sw_config *c, const char *netns, const char *path)
{
	if (!config_netns_match(c, netns))
		return false;
	if (c->n_paths && !filter_path_patterns_match(c->paths, c->n_paths, path))
		return false;
	return !filter_path_patterns_match(c->exclude_paths, c->n_exclude_paths, path);
}

bool config_filter_match(const struct sw_config *c, const char *netns, int family,
			 const uint8_t *addr, uint16_t port)
{
	if (!config_netns_match(c, netns))
		return false;
	if (c->n_ports && !filter_ports_contain(c->ports, c->n_ports, port))
		return false;
	if (filter_ports_contain(c->exclude_ports, c->n_exclude_ports, port))
		return false;
	if (c->n_addresses && !config_cidrs_contain(c->addresses, c->n_addresses, family, addr))
		return false;
	if (config_cidrs_contain(c->exclude_addresses, c->n_exclude_addresses, family, addr))
		return false;
	return true;
}

int config_override_rank(const struct sw_listener_override *ov)
{
	int ns = !ov->has_netns ? 2 : ov->netns.literal ? 0 : 1;
	bool any = ov->is_path ? !ov->path.literal : ov->any_address;

	return 1 + 2 * ns + (any ? 1 : 0);
}

/* The override best_rank's search settles on: the lowest rank among those
 * matches() accepts, the first of a rank. */
static const struct sw_thresholds *filter_best(const struct sw_config *c, const char *netns,
					       bool (*matches)(const struct sw_listener_override *,
							       const void *),
					       const void *key, bool *ret_ignore)
{
	const struct sw_listener_override *best = NULL;
	const char *name = filter_netns_name(netns);
	int best_rank = INT_MAX;

	for (size_t i = 0; i < c->n_overrides && best_rank > 1; i++) {
		const struct sw_listener_override *ov = &c->overrides[i];
		int rank;

		if (!matches(ov, key))
			continue;
		/* ranked before the namespace is matched: a glob costs more */
		rank = config_override_rank(ov);
		if (rank >= best_rank)
			continue;
		if (ov->has_netns && !filter_netns_pattern_match(&ov->netns, name))
			continue;
		best = ov;
		best_rank = rank;
	}
	if (ret_ignore)
		*ret_ignore = best ? best->ignore : false;
	return best ? &best->th : &c->th;
}

struct filter_endpoint {
	int family;
	const uint8_t *addr;
	uint16_t port;
};

static bool filter_endpoint_matches(const struct sw_listener_override *ov, const void *key)
{
	const struct filter_endpoint *k = key;
	size_t alen = k->family == AF_INET6 ? 16 : 4;

	if (ov->is_path || ov->port != k->port)
		return false;
	return ov->any_address || (ov->family == k->family && memcmp(ov->addr, k->addr, alen) == 0);
}

static bool filter_path_matches(const struct sw_listener_override *ov, const void *key)
{
	return ov->is_path && filter_path_pattern_match(&ov->path, key);
}

const struct sw_thresholds *config_thresholds_for_path(const struct sw_config *c,
						       const char *netns, const char *path,
						       bool *ret_ignore)
{
	return filter_best(c, netns, filter_path_matches, path, ret_ignore);
}

const struct sw_thresholds *config_thresholds_for(const struct sw_config *c, const char *netns,
						  int family, const uint8_t *addr, uint16_t port,
						  bool *ret_ignore)
{
	const struct filter_endpoint key = { .family = family, .addr = addr, .port = port };

	return filter_best(c, netns, filter_endpoint_matches, &key, ret_ignore);
}

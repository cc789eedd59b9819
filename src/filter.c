/* Listener filter and threshold lookups; see filter.h. */
#include "filter.h"

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

static bool filter_cidrs_contain(const struct sw_cidr *c, size_t n, int family,
				 const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++)
		if (filter_cidr_contains(&c[i], family, addr))
			return true;
	return false;
}

bool config_filter_match(const struct sw_config *c, int family, const uint8_t *addr, uint16_t port)
{
	if (c->n_ports && !filter_ports_contain(c->ports, c->n_ports, port))
		return false;
	if (filter_ports_contain(c->exclude_ports, c->n_exclude_ports, port))
		return false;
	if (c->n_addresses && !filter_cidrs_contain(c->addresses, c->n_addresses, family, addr))
		return false;
	if (filter_cidrs_contain(c->exclude_addresses, c->n_exclude_addresses, family, addr))
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

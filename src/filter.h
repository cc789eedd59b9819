/* The runtime policy a config sets, asked per namespace and per listener
 * on every poll: whether [daemon] namespaces and [filter] let a namespace
 * and a listener in, and which thresholds apply to a listener. Pure
 * lookups on a loaded config.
 *
 * A namespace is named as netns_name.h names it; NULL stands for the
 * daemon's own, "host". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netns_name.h"   /* NETNS_HOST_NAME */

struct sw_cidr;
struct sw_config;
struct sw_thresholds;

/* Whether one of the n CIDRs holds addr (4 bytes for AF_INET, 16 for
 * AF_INET6). A v4-mapped IPv6 address (a dual-stack socket's view of an
 * IPv4 peer) is matched by IPv4 CIDRs; an IPv6 CIDR never matches an IPv4
 * address. [filter] addresses and [metrics] allow. */
bool config_cidrs_contain(const struct sw_cidr *c, size_t n, int family, const uint8_t *addr);

/* The name of the daemon's own network namespace (netns_name.h). */
#define CONFIG_NETNS_HOST NETNS_HOST_NAME

/* Whether the namespace named netns_name is watched: with [daemon]
 * namespaces = own only "host" is; then it must match a pattern of
 * [filter] namespaces when that list is not empty, and none of
 * exclude_namespaces (exclude wins). Patterns are fnmatch(3) globs with no
 * flags: '*' and '?' match any character, a leading '.' included. */
bool config_netns_match(const struct sw_config *c, const char *netns_name);

/* Whether a listener of the namespace netns passes [filter]: the
 * namespace (config_netns_match), the port and the local address. */
bool config_filter_match(const struct sw_config *c, const char *netns, int family,
			 const uint8_t *addr, uint16_t port);

/* The same for a UNIX listener named path (a path, "@name" when abstract):
 * the namespace, then [filter] paths (when not empty) and exclude_paths,
 * fnmatch(3) globs with FNM_PATHNAME. ports and addresses do not apply. */
bool config_filter_match_path(const struct sw_config *c, const char *netns, const char *path);

/* Thresholds for a listener of the namespace netns: the most specific
 * [listener] override that matches, else the global ones. *ret_ignore
 * (when not NULL) says the listener is ignored. The port always matches
 * exactly; most specific first (sockwatchd.conf(5) has examples):
 *   1. an exact namespace name and the exact address
 *   2. an exact namespace name and "*"
 *   3. a namespace glob and the exact address
 *   4. a namespace glob and "*"
 *   5. no namespace part and the exact address
 *   6. no namespace part and "*"
 * Of two matching overrides of one rank (two globs), the first in the
 * file wins. */
const struct sw_thresholds *config_thresholds_for(const struct sw_config *c, const char *netns,
						  int family, const uint8_t *addr, uint16_t port,
						  bool *ret_ignore);

/* The same for a UNIX listener named path, among the [listener PATHGLOB]
 * overrides, ranked as above with an exact path for the exact address and
 * a glob for "*". */
const struct sw_thresholds *config_thresholds_for_path(const struct sw_config *c,
						       const char *netns, const char *path,
						       bool *ret_ignore);

/* The rank above (1 .. 6) of an override, for tests and documentation. */
struct sw_listener_override;
int config_override_rank(const struct sw_listener_override *ov);

/* The runtime policy a config sets, asked per listener on every poll:
 * whether [filter] lets a listener in, and which thresholds apply to it.
 * Pure lookups on a loaded config. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sw_config;
struct sw_thresholds;

/* Whether a listener passes [filter]. */
bool config_filter_match(const struct sw_config *c, int family, const uint8_t *addr, uint16_t port);

/* Thresholds for a listener: the most specific override (exact address
 * before "*"), else the global ones. *ret_ignore says the listener is
 * ignored. */
const struct sw_thresholds *config_thresholds_for(const struct sw_config *c, int family,
						  const uint8_t *addr, uint16_t port,
						  bool *ret_ignore);

/* Namespace-wide TcpExt counters from /proc/net/netstat. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sw_counter {
	SW_CTR_LISTEN_OVERFLOWS,
	SW_CTR_LISTEN_DROPS,
	SW_CTR_REQQ_FULL_DROP,       /* TCPReqQFullDrop */
	SW_CTR_REQQ_FULL_COOKIES,    /* TCPReqQFullDoCookies */
	SW_CTR_SYNCOOKIES_SENT,
	SW_CTR_SYNCOOKIES_RECV,
	SW_CTR_SYNCOOKIES_FAILED,
	_SW_CTR_MAX,
};

struct sw_netstat {
	uint64_t value[_SW_CTR_MAX];
	uint32_t present;            /* bit (1u << counter) set when read */
};

/* "ListenOverflows" etc., the kernel's column names. */
const char *netstat_counter_name(enum sw_counter c);

/* Pure: parses the text of /proc/net/netstat. Columns are found by their
 * header names on the "TcpExt:" header line, in any order; a missing or
 * malformed column leaves its bit clear in ->present. Returns 0, or -EINVAL
 * when there is no usable TcpExt header/value pair at all. */
int netstat_parse(const char *text, size_t len, struct sw_netstat *ret);

/* Reads and parses path (normally "/proc/net/netstat"). */
int netstat_read(const char *path, struct sw_netstat *ret);

static inline bool netstat_has(const struct sw_netstat *n, enum sw_counter c)
{
	return n->present & (1u << c);
}

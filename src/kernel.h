/* Plain facts read from the kernel: the per-namespace sysctls that decide
 * the queue limits and the TcpExt counters (KERNEL-NOTES.md). Data only:
 * the readers are sysctl.c and netstat.c; the pure core (limits, rules,
 * tracker, snapshot) needs nothing but these types. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sw_sysctl {
	int32_t somaxconn;        /* net.core.somaxconn; -1 when unknown */
	int32_t max_syn_backlog;  /* net.ipv4.tcp_max_syn_backlog; -1 when unknown */
	int32_t syncookies;       /* net.ipv4.tcp_syncookies (0, 1, 2); -1 when unknown */
};

/* Initialiser: nothing read yet. */
#define SW_SYSCTL_UNKNOWN { .somaxconn = -1, .max_syn_backlog = -1, .syncookies = -1 }

/* Namespace-wide TcpExt counters of /proc/net/netstat. */
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

/* "ListenOverflows" etc., the kernel's column names; NULL out of range. */
const char *netstat_counter_name(enum sw_counter c);

static inline bool netstat_has(const struct sw_netstat *n, enum sw_counter c)
{
	return n->present & (1u << c);
}

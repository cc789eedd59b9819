/* One poll's worth of plain data: every listener of one network namespace,
 * optionally the SYN-queue tallies of a SYN_RECV scan, the sysctls and the
 * TcpExt counters. Built by diag/sysctl/netstat, read by the tracker. The
 * lookups behind snapshot_index() are snapshot.c's own (their hash seed
 * comes from getrandom). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* Distinct remote addresses tallied per SYN group and per snapshot; requests
 * from further addresses are counted in ->other_sources. */
#define SW_SYN_SOURCES_PER_GROUP 1024
#define SW_SYN_SOURCES_TOTAL     65536

struct snap_index;

struct sw_listener {
	uint64_t cookie;          /* idiag_cookie: unique per socket */
	uint8_t family;           /* AF_INET or AF_INET6 */
	bool v6only;              /* AF_INET6 with IPV6_V6ONLY (INET_DIAG_SKV6ONLY) */
	uint8_t addr[16];         /* network order; AF_INET uses the first 4 bytes */
	uint16_t port;            /* host order */
	uint32_t ifindex;         /* bound device (SO_BINDTODEVICE), 0 if none */
	uint32_t inode;
	uint32_t uid;
	uint64_t cgroup_id;       /* INET_DIAG_CGROUP_ID, 0 when not reported */
	uint32_t accept_depth;    /* idiag_rqueue */
	uint32_t accept_limit;    /* idiag_wqueue */
	uint32_t drops;           /* SK_MEMINFO_DROPS */
	bool has_drops;           /* the reply carried SKMEMINFO */
	int32_t syn_group;        /* index in ->groups; -1 before snapshot_index() */
};

struct sw_syn_source {
	uint8_t family;
	uint8_t addr[16];
	uint32_t count;
};

/* The SYN queue of one (family, address, port). Members of an SO_REUSEPORT
 * group share it: the kernel does not say which member holds a request. */
struct sw_syn_group {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t n_members;       /* listeners in this group */
	uint32_t depth;           /* request sockets counted for it */
	struct sw_syn_source *sources;   /* distinct remote addresses, unsorted */
	uint32_t n_sources, cap_sources;
	uint32_t other_sources;   /* requests whose address did not fit the bound */
};

struct sw_snapshot {
	uint64_t netns;           /* inode of the namespace, 0 if unknown */
	uint64_t taken_usec;      /* monotonic time of the listener dump */

	struct sw_listener *listeners;
	size_t n_listeners, cap_listeners;

	struct sw_syn_group *groups;     /* built by snapshot_index() */
	size_t n_groups, cap_groups;
	bool syn_scanned;                /* groups' depths come from a SYN_RECV scan */
	uint64_t syn_requests;           /* request sockets seen by the scan */
	uint64_t syn_unmatched;          /* ... that matched no listener (it closed) */

	struct sw_sysctl sysctl;
	struct sw_netstat netstat;

	/* What the parsers skipped: malformed, truncated or unknown messages and
	 * attributes. Never read out of bounds; counted here instead. */
	uint64_t skipped_msgs;
	uint64_t skipped_attrs;
	uint32_t dump_retries;           /* NLM_F_DUMP_INTR / ENOBUFS redos */

	/* snapshot.c's lookups (group order, cookie order, source table);
	 * NULL until first needed. */
	struct snap_index *index;
};

/* A request socket (TCP_NEW_SYN_RECV) from a SYN_RECV dump. */
struct sw_request {
	uint8_t family;
	uint8_t laddr[16];
	uint16_t lport;
	uint8_t raddr[16];
	uint16_t rport;
	uint32_t ifindex;
};

void snapshot_init(struct sw_snapshot *s);
/* Frees everything the snapshot owns and re-initialises it; NULL-safe. */
void snapshot_clear(struct sw_snapshot *s);
/* Drops listeners, groups and tallies but keeps the allocations, for reuse
 * by the next poll. */
void snapshot_reset(struct sw_snapshot *s);

/* Appends a copy of l. -ENOMEM. */
int snapshot_add_listener(struct sw_snapshot *s, const struct sw_listener *l);

/* Keeps the first n listeners only (a rolled-back dump drops what it
 * added); the groups and lookups are rebuilt when next needed. n at or
 * above ->n_listeners changes nothing. */
void snapshot_truncate(struct sw_snapshot *s, size_t n);

/* Builds the SYN groups (one per distinct family/address/port) and the
 * lookup structures; sets every listener's syn_group. Call after the
 * listener dump and before snapshot_add_request(). */
int snapshot_index(struct sw_snapshot *s);

/* Counts one request socket for the listener that holds it: the group bound
 * to its exact local address first, else the wildcard listener of its port
 * (0.0.0.0 for AF_INET; [::] for AF_INET6, v4-mapped requests of a
 * dual-stack listener included). Unmatched requests are counted in
 * ->syn_unmatched. Returns 0 or -ENOMEM. */
int snapshot_add_request(struct sw_snapshot *s, const struct sw_request *r);

/* Drops the SYN-queue tallies (depths, sources, syn_requests/unmatched,
 * syn_scanned) but keeps listeners and groups: a SYN scan that is redone
 * starts from here. */
void snapshot_reset_requests(struct sw_snapshot *s);

/* Finds a listener by cookie (NULL if absent). */
const struct sw_listener *snapshot_find_cookie(const struct sw_snapshot *s, uint64_t cookie);

/* An alert or lifecycle event: plain data handed from the rules to the
 * journal (DESIGN.md "Journal entries"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include "queue_limits.h"
#include "nsinfo.h"
#include "owner.h"
#include "usnap.h"

enum sw_event_kind {
	SW_EV_ACCEPT_QUEUE,   /* "accept-queue"  fb9b3958caf6426baacdec81634eb20e */
	SW_EV_SYN_QUEUE,      /* "syn-queue"     ce535b3f83cf4e6f88f1c7d5ad06702b */
	SW_EV_LISTEN_DROPS,   /* "listen-drops"  a354a0bea78f43e5a2b2ef21b23f3fab */
	SW_EV_SYNCOOKIES,     /* "syncookies"    37d9b9e930cf462a84fdc1a1ccc798a8 */
	SW_EV_CLEARED,        /* "cleared"       8f671c50c535449aae17a9d8d19c161f */
	SW_EV_LIFECYCLE,      /* (no SOCKWATCH_EVENT) 94bb75e3129d4d37afce83d92844a968 */
};

enum sw_level { SW_LEVEL_OK, SW_LEVEL_WARNING, SW_LEVEL_CRITICAL };

enum sw_queue { SW_QUEUE_NONE, SW_QUEUE_ACCEPT, SW_QUEUE_SYN };

#define SW_SOURCES_MAX 256   /* "addr=count,..." of the top SYN-queue sources */
#define SW_TEXT_MAX   512

struct sw_event {
	enum sw_event_kind kind;
	/* warning/critical for alerts; for SW_EV_CLEARED the level that cleared
	 * is in ->cleared_level and ->level is SW_LEVEL_OK. */
	enum sw_level level;
	enum sw_level cleared_level;
	enum sw_queue queue;
	bool listener_gone;          /* cleared because the listener vanished */

	/* The namespace: set for every event but lifecycle ones. */
	struct sw_nsinfo ns;

	/* The listener (unset for namespace-wide events). */
	bool has_listener;
	uint8_t family;              /* AF_INET, AF_INET6, AF_UNIX */
	uint8_t addr[16];
	uint16_t port;
	char path[SW_UNIX_PATH_MAX]; /* AF_UNIX: its name as shown ("@name" when abstract) */
	uint8_t sock_type;           /* AF_UNIX: SOCK_STREAM or SOCK_SEQPACKET */
	uint64_t cookie;
	uint32_t inode;              /* socket inode, cgroup id: to find the owner, */
	uint64_t cgroup_id;          /* also after the listener vanished */

	/* Queue figures. */
	uint32_t depth, limit, peak;
	double percent;
	enum sw_limit_source limit_source;
	enum sw_syn_mode syn_mode;
	bool somaxconn_stale;
	/* The kernel counts this queue full at depth == limit rather than
	 * depth > limit (SYN queues before Linux 6.13). */
	bool full_at_limit;

	/* The accept queue over its limit now: polls in a row, and since when
	 * (full_polls 0: not full). */
	uint32_t full_polls;
	uint64_t full_usec;          /* how long: from the first of those polls to this one */

	uint64_t drops;              /* since the last entry for this listener */
	uint64_t drops_total;        /* since the daemon first saw it */

	int32_t somaxconn, max_syn_backlog, syncookies;   /* -1 unknown */

	struct sw_owner owner;
	char top_sources[SW_SOURCES_MAX];

	/* SW_EV_SYNCOOKIES: counter deltas since the last poll. */
	uint64_t counter_delta[_SW_CTR_MAX];

	/* SW_EV_LIFECYCLE: "started", "reloaded", "config rejected", "stopping",
	 * and the free text (e.g. the config errors) that goes with it. */
	const char *lifecycle;
	char text[SW_TEXT_MAX];
};

const char *event_kind_name(enum sw_event_kind k);     /* "accept-queue", ... */
const char *event_level_name(enum sw_level l);         /* "ok", "warning", "critical" */
const char *event_queue_name(enum sw_queue q);         /* "accept", "syn", NULL */
/* The listener's name (addr_listener_str): an endpoint, or a UNIX path. */
const char *event_listener_name(const struct sw_event *ev, char *buf, size_t len);

/* The events of one poll, in order. */
struct sw_events {
	struct sw_event *v;
	size_t n, cap;
};

/* Appends a zeroed event; NULL on -ENOMEM. */
struct sw_event *events_push(struct sw_events *e);
/* Empties the array; keeps a small allocation for the next poll. */
void events_clear(struct sw_events *e);
void events_free(struct sw_events *e);            /* NULL-safe */

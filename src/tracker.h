/* Per-listener state across polls of one network namespace, keyed by socket
 * cookie: current and peak depths of both queues, drops deltas, a bounded
 * history, the alert rule states; and the namespace counters' deltas. Pure:
 * no I/O, no clock (the caller passes the poll time); its one system call
 * gives the pages of an emptied array tail back (lindex.c). One tracker per
 * namespace. Parts: lindex.c (the listener index), history.c (history ring
 * and top sources), alert.c (the events), tracker.c (the update).
 *
 * Pointers returned by tracker_get()/tracker_find()/tracker_ns() stay valid
 * until the next tracker_update() or tracker_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "history.h"
#include "kernel.h"
#include "queue_limits.h"
#include "nsinfo.h"
#include "rules.h"
#include "snapshot.h"
#include "usnap.h"

struct sw_config;

/* Upper bound on listeners tracked per namespace; beyond it new listeners
 * are not tracked and tracker_update() returns -ENOBUFS. */
#define SW_TRACKER_MAX_LISTENERS (1u << 24)

/* ---- Per-listener state ---------------------------------------------------- */

struct sw_queue_figures {
	uint32_t depth;
	uint32_t limit;             /* SYN: the group's, summed over reuseport members */
	double percent;
	uint32_t peak;              /* since the last entry for this queue */
	uint32_t window_peak;       /* highest in the history window (10 min) */
	enum sw_limit_source source;
};

/* Memory per tracked listener (x86-64, gcc 12): an entry of the dense array
 * (struct sw_tracked, 392 bytes, and the tracker's own marks and the fast
 * path's cache, 56) is 448 bytes, the array kept between 3/16 and fully
 * used (doubling, halving), plus 8 bytes of index per array entry (two
 * uint32 slots). The detail (1416 bytes: history ring, top sources) exists
 * only while a queue was non-empty in the last 10 min or top sources are
 * held. 10k idle listeners: an array of 16384 entries, about 7 MiB, no
 * detail. Per update,
 * scratch of 12 bytes per listener and 32 per SYN group of the snapshot. */
struct sw_tracked {
	/* Identity, from the last listener dump. */
	uint64_t cookie;
	uint8_t family;                     /* AF_INET, AF_INET6 or AF_UNIX */
	bool v6only;
	uint8_t addr[16];
	uint16_t port;
	uint32_t ifindex;
	uint32_t inode;
	uint32_t uid;
	uint64_t cgroup_id;
	uint64_t netns;
	/* AF_UNIX only (addr and port are zero): the name as usnap_name()
	 * shows it, malloc'd and owned by the entry; NULL for inet. */
	char *path;
	uint8_t sock_type;                  /* SOCK_STREAM or SOCK_SEQPACKET */
	bool abstract, relative;
	uint8_t missed;                     /* UNIX dumps in a row that did not list it */

	struct sw_queue_figures accept;
	/* The accept queue over its limit (limits_queue_full): polls in a row
	 * and the first of them; 0 when not full now. */
	struct {
		uint32_t polls;
		uint64_t since_usec;
	} full;
	struct sw_queue_figures syn;        /* of the SYN group: depth and peak as of
					     * its last scan, limit from the last dump */
	enum sw_syn_mode syn_mode;
	bool syn_scanned;                   /* ever scanned */
	bool syn_scanned_last;              /* scanned in the last update */
	uint32_t syn_members;               /* tracked listeners sharing the group */
	/* Reports the group's SYN-queue entries: members of a reuseport group
	 * share one SYN queue; only the member with the lowest cookie writes
	 * its entries, so one flood is not logged once per member. When the
	 * reporter vanishes with an alert open, the next lowest takes its rule
	 * state over. (A member with a lower cookie joining later, rare since
	 * the kernel hands cookies out in increasing order, is not handed the
	 * state.) */
	bool syn_reporter;
	bool somaxconn_stale;
	int32_t somaxconn_at_first;         /* somaxconn when first seen, -1 unknown */

	struct {
		uint64_t total;             /* since first seen (that sighting is the baseline) */
		uint64_t delta;             /* in the last update */
		uint32_t last_raw;          /* SK_MEMINFO_DROPS as last read */
		uint64_t last_usec;         /* poll that last saw them move; 0: never */
		bool known;                 /* last_raw is a baseline */
	} drops;
	struct sw_drops_rule drops_rule;    /* .unreported: since the last listen-drops entry */

	enum sw_level level;                /* max of both queues' raised levels */
	struct sw_rule_state accept_rule;
	struct sw_rule_state syn_rule;

	uint64_t first_seen_usec;
	uint64_t last_seen_usec;

	struct sw_tracked_detail *detail;   /* NULL: nothing recent to show */
};

/* ---- Namespace view -------------------------------------------------------- */

struct sw_ns_state {
	uint64_t netns;
	struct sw_nsinfo info;              /* tracker_set_ns(); host until then */
	struct sw_sysctl sysctl;            /* of the last poll */
	struct sw_netstat counters;         /* values of the last poll */
	uint64_t delta[_SW_CTR_MAX];        /* of the last poll, where delta_known */
	uint32_t delta_known;               /* bit (1u << counter): delta[] is real */
	uint64_t listener_drops_delta;      /* sum over tracked listeners, last poll */
	uint64_t polls;
	uint64_t first_usec, last_usec;
	struct sw_ns_rule rule;
};

struct sw_tracker;

int tracker_new(struct sw_tracker **ret);
void tracker_free(struct sw_tracker *t);            /* NULL-safe */

/* Feeds one snapshot (listeners always; SYN groups when s->syn_scanned) taken
 * at now_usec (monotonic), and us, the namespace's UNIX listeners of the same
 * poll, or NULL when they were not dumped (the UNIX listeners tracked stay as
 * they were; with cfg's unix off they are all dropped). A UNIX dump may miss
 * a listener that exists (the kernel never flags an interrupted one,
 * docs/kernel.md): a UNIX listener is gone when two dumps in a row did not
 * list it. Appends the events to emit to *out. Listeners that
 * fail cfg's filter or are ignored are not tracked at all. Listeners absent
 * from s are dropped at once, after a listen-drops entry for unreported
 * drops and a cleared entry (listener_gone) for each raised level.
 * Returns 0, or -ENOMEM/-ENOBUFS when some listener or event could not be
 * stored; the tracker stays consistent and the rest of the poll is done.
 * The filter's choice for a listener is kept while cfg is the same
 * pointer: a config changed in place ([filter], [listener]) must be
 * announced with tracker_reloaded(). (sustain, realert and unix are read
 * at every update.)
 *
 * The events: accept-queue/syn-queue (warning, critical, re-alerts) and
 * cleared from the rules; listen-drops at level critical (connections were
 * refused), its figures those of the accept queue unless only the SYN queue
 * (cookies off) was seen full (limits_queue_full, by the running kernel's
 * rule); syncookies for the namespace. Per listener,
 * a listen-drops entry comes before its queue entries of the same poll, and
 * ->drops of queue entries counts the drops no entry has carried yet. Owner
 * fields are left empty for the caller. */
int tracker_update(struct sw_tracker *t, const struct sw_snapshot *s,
		   const struct sw_unix_snapshot *us, const struct sw_config *cfg,
		   uint64_t now_usec, struct sw_events *out);

/* The namespace went away: every listener is gone now, with the entries
 * tracker_update() gives a vanished one, its last sysctls in them and no
 * namespace-wide entry. */
int tracker_release(struct sw_tracker *t, const struct sw_config *cfg, uint64_t now_usec,
		    struct sw_events *out);

/* tr's listener as status and the journal name it: "127.0.0.1:8080",
 * "[::]:443", or a UNIX listener's path ("@name" when abstract). */
const char *tracker_listener_name(const struct sw_tracked *tr, char *buf, size_t len);

/* Whether the running kernel counts a SYN queue full at depth == limit
 * (before 6.13; limits_kernel_full_at_limit) rather than depth > limit. */
void tracker_set_kernel(struct sw_tracker *t, bool syn_full_at_limit);

/* The config changed: listeners first seen at the next update may be old
 * sockets a new filter brought into view, so their drops are a baseline
 * rather than news. (A listener first seen at any other update was born
 * since the last one, with sk_drops at 0: all its drops are reported.) */
void tracker_reloaded(struct sw_tracker *t);

/* Walk for status. */
size_t tracker_count(const struct sw_tracker *t);
const struct sw_tracked *tracker_get(const struct sw_tracker *t, size_t i);  /* NULL past the end */
const struct sw_tracked *tracker_find(const struct sw_tracker *t, uint64_t cookie);

/* Some listener is at or above its warn threshold on either queue, or has an
 * alert open: poll at fast_interval (so sustain runs and clears are seen
 * promptly). */
bool tracker_any_at_warn(const struct sw_tracker *t);

/* Listeners whose SYN queue (where it applies: not under tcp_syncookies=2)
 * was at or above warn, or in alert, at the last update. */
size_t tracker_syn_at_warn(const struct sw_tracker *t);

const struct sw_ns_state *tracker_ns(const struct sw_tracker *t);

/* The namespace this tracker watches: copied into every event it makes
 * and into the status document. A new tracker is the host's. */
void tracker_set_ns(struct sw_tracker *t, const struct sw_nsinfo *info);

/* "addr=count,..." of the listener's SYN group at its last scan; "" if none.
 * (history.c) */
const char *tracker_top_sources(const struct sw_tracked *tr);

/* Fills ret oldest first with the SW_HISTORY_SLOTS slots of the window that
 * ends with the listener's last sample. Returns how many slots had samples.
 * (history.c) */
size_t tracker_history(const struct sw_tracked *tr, struct sw_history_point ret[SW_HISTORY_SLOTS]);

/* For tests and memory accounting: entries the dense array can hold now. */
size_t tracker_capacity(const struct sw_tracker *t);

/* For tests and benchmarks: the fast path on (the default) or off. With
 * it, a listener found as it was at the last update (same socket, same
 * config, namespace name and sysctls) keeps the filter's choice and its
 * limits, and one whose depth, limit and drops did not move and that has
 * nothing open (no alert, no run at warn, no drops waiting) only counts
 * its samples; without it every listener goes the whole way. Everything
 * tracker_update() gives and leaves is the same either way
 * (check_tracker's equivalence test). */
void tracker_set_fast_path(struct sw_tracker *t, bool on);

/* For tests and benchmarks: listeners the last update took through the
 * fast path's step. */
size_t tracker_fast_steps(const struct sw_tracker *t);

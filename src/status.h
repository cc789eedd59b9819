/* The status document (DESIGN.md "status --json"), built from the trackers'
 * state, one tracker per watched network namespace: the one JSON shape
 * that sockwatchctl, `sockwatchd --once` and scripts read. */
#pragma once

#include <stdio.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "journal_stats.h"
#include "nsinfo.h"
#include "protocol.h"
#include "tracker.h"

struct sw_ctl_request;
struct sw_owner;

/* The set of namespaces watched (daemon.namespaces). */
struct sw_status_nsset {
	bool all;                       /* namespaces = all, and a helper to do it */
	const char *own_only_reason;    /* why only the own one; NULL when all */
	uint64_t watched, max;          /* now, and at most */
	uint64_t unwatched;             /* last discovery: over max, or failed to open */
	uint64_t filtered;              /* last discovery: left out by [filter] namespaces */
	uint64_t found, released;       /* since start */
	uint64_t discoveries;           /* passes that completed */
	uint64_t last_discovery_age_ms; /* UINT64_MAX: none yet */
	uint64_t last_discovery_cpu_us;
	uint64_t last_discovery_wall_us;
	int last_error;                 /* of the last pass: 0 or -errno */
};

struct sw_status_daemon {
	int pid;
	uint64_t netns_inode;           /* of the daemon's own namespace */
	uint64_t uptime_ms;
	uint64_t interval_ms;           /* configured poll period */
	uint64_t fast_interval_ms;
	uint64_t current_interval_ms;   /* the one in force now */
	uint64_t polls;
	uint64_t poll_errors;
	uint64_t last_poll_us;          /* CPU of the last listener poll */
	const char *last_error;         /* of the last failed poll, NULL if none */
	const char *syn_mode;           /* auto | always | off */
	uint64_t syn_interval_ms;
	uint64_t syn_last_cost_us;
	uint64_t syn_scans;
	uint64_t syn_last_age_ms;       /* since the last scan; UINT64_MAX never */
	uint64_t syn_requests, syn_unmatched;
	/* Since start: parts of dumps the parsers skipped, and dumps redone
	 * after an interruption or overrun. */
	uint64_t skipped_msgs, skipped_attrs, dump_retries;
	const char *owner_unknown_reason;
	/* The privileged helper: its pid, or 0 and why there is none. */
	int helper_pid;
	const char *no_helper_reason;
	uint64_t last_error_age_ms;     /* UINT64_MAX: no poll ever failed */
	/* Timing: how late polls started against when they were due, and how
	 * long (wall clock) they took. late_polls counts those later than
	 * late_threshold_us. */
	int last_poll_ok;               /* the latest attempt completed: 1, failed: 0, none: -1 */
	uint64_t last_poll_age_ms;      /* since the last completed poll; UINT64_MAX none */
	uint64_t late_polls, late_threshold_us;
	uint64_t last_poll_lateness_us, max_poll_lateness_us;
	uint64_t last_poll_wall_us, max_poll_wall_us;
	const char *log_target;         /* auto | journal | stderr */
	struct sw_journal_stats journal;
	/* Test seams in force (sockwatchd(8) ENVIRONMENT), NULL when none. */
	const char *test_faults;
	uint64_t faults_injected;
	uint64_t rcvbuf;                /* netlink receive buffer the seam set, 0: none */
	const char *proc_root;
	struct sw_status_nsset namespaces;
	/* The metrics outputs ([metrics]). */
	struct sw_status_metrics {
		const char *listen;         /* the endpoint's address, or "socket activation"; NULL none */
		uint64_t scrapes, refused, errors;
		uint64_t expired;           /* closed: no whole request within the timeout */
		const char *textfile;       /* NULL: none */
		uint64_t textfile_writes, textfile_errors;
		int textfile_last_error;    /* 0 or -errno, of the last write */
	} metrics;
};

/* One watched namespace. */
struct sw_status_ns {
	const struct sw_nsinfo *info;   /* NULL: the tracker's (tracker_ns()->info) */
	const struct sw_tracker *tracker;
	uint64_t age_ms;                /* since first watched; UINT64_MAX unknown */
	uint64_t syn_last_age_ms;       /* since its last SYN scan; UINT64_MAX never */
	uint64_t syn_scans;
	int last_error;                 /* of its last listener dump: 0 or -errno */
	uint64_t unwatched_listeners;   /* of its last dump, past the bound */
	uint64_t last_poll_age_ms;      /* since its last listener dump; UINT64_MAX never */
};

/* A watched namespace's identity: n->info, or its tracker's. */
static inline const struct sw_nsinfo *status_ns_info(const struct sw_status_ns *n)
{
	return n->info ? n->info : &tracker_ns(n->tracker)->info;
}

/* The facts the control protocol's rules (protocol.h) read of a
 * listener: which requests want it, and whether it is idle. name: the
 * listener's, as tracker_listener_name() writes it. */
static inline void status_listener_facts(const struct sw_nsinfo *info, const struct sw_tracked *tr,
					 const char *name, struct sw_ctl_listener_facts *ret)
{
	*ret = (struct sw_ctl_listener_facts){
		.name = name,
		.netns = nsinfo_name(info),
		.has_port = tr->family != AF_UNIX,
		.port = tr->port,
		.accept_depth = tr->accept.depth,
		.syn_depth = tr->syn_scanned ? tr->syn.depth : 0,
		.drops_delta = (int64_t)tr->drops.delta,
		.state_ok = tr->level == SW_LEVEL_OK,
	};
}

/* Everything the document is made of, as of now_usec. */
struct sw_status_inputs {
	const struct sw_status_daemon *daemon;
	/* Every namespace watched, the daemon's own first: the document's
	 * "namespaces" array is in this order. */
	const struct sw_status_ns *ns;
	size_t n_ns;
	const struct sw_config *cfg;
	/* Who holds a listener's socket: 0 and *ret filled, or negative when
	 * unknown. NULL: owners unknown. */
	int (*owner)(void *userdata, const struct sw_tracked *tr, struct sw_owner *ret);
	void *owner_userdata;
	uint64_t now_usec;
};

/* Which namespaces and listeners status_format() writes: the namespaces
 * keep_ns() accepts (all when NULL), and of theirs the listeners keep()
 * accepts (all when NULL), decided on the tracker's record before anything
 * of the listener is encoded. The number of listeners keep() left out (in
 * namespaces keep_ns() took) goes in a top-level key hidden_key when that
 * is not NULL and some were. */
struct sw_status_filter {
	bool (*keep_ns)(void *userdata, const struct sw_nsinfo *ns);
	bool (*keep)(void *userdata, const struct sw_nsinfo *ns, const struct sw_tracked *tr);
	void *userdata;
	const char *hidden_key;
};

/* A keep_ns() and a keep() for a status, show or check request (userdata:
 * the struct sw_ctl_request): protocol_request_wants_netns() on the
 * namespace's name, protocol_request_wants() on the listener's facts. */
bool status_keep_ns_for_request(void *request, const struct sw_nsinfo *ns);
bool status_keep_for_request(void *request, const struct sw_nsinfo *ns,
			     const struct sw_tracked *tr);

/* "host", "pod", "container", "netns", "docker-netns", "pid": a
 * namespace's kind as the document names it. */
const char *status_netns_kind_name(enum netns_kind k);

/* The document, filtered by f (NULL: every listener), as one line of JSON
 * ending in a newline in a malloc'd string, at most max bytes. It is
 * written one listener at a time, so memory follows the text, not a whole
 * object tree. *ret_kept (when not NULL) gets the number of listeners
 * written. -E2BIG over max, -ENOMEM. */
int status_format(const struct sw_status_inputs *in, const struct sw_status_filter *f,
		  size_t max, char **ret, size_t *ret_len, size_t *ret_kept);
/* The same document written to out as it is made (--once): what is held
 * at a time is one listener's text and a 64 KiB chunk, whatever the
 * number of listeners. Returns 0, -ENOMEM, or the write's -errno (a
 * partial document may have gone out). */
int status_write(const struct sw_status_inputs *in, const struct sw_status_filter *f, FILE *out,
		 size_t *ret_kept);

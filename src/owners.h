/* The owner cache: which process and systemd unit hold a listener.
 *
 * Process: the socket inode is looked up in /proc/PID/fd/ (readlink gives
 * "socket:[INODE]"), as `ss -p` does. Walking every fd of every process is
 * the expensive part, so it is kept off the poll path:
 *  - a scan runs only while some wanted inode has no known holder;
 *  - the first scan for a new inode is incremental (fd directories of pids
 *    not seen before); only if that does not find it does a full scan
 *    (every pid) run, at most once per min_rescan_usec;
 *  - an inode a full scan could not attribute is given up (owner unknown)
 *    until its known holders change: it no longer triggers scans;
 *  - each refresh examines at most scan_budget fd entries; a longer scan
 *    resumes on the next refresh (at once, whatever the time: only new
 *    scans are rate-limited). A caller that needs the answer now (a
 *    one-shot run, an alert about to go out without its owner) finishes
 *    it with owners_refresh_complete;
 *  - a scan of many pids reads first those in the cgroups of the listeners
 *    it looks for (cgroup.procs of the directory whose inode is the
 *    listener's cgroup id): the likely owner is found by the first budget
 *    even when /proc holds far more fds than one budget covers.
 * A refresh with the listeners of the last one, which left nothing to do
 * (no scan under way, no inode still looked for, no cgroup walk held
 * back), does nothing but that recheck when it is due.
 * Known holders are re-checked (/proc/PID/stat) at most once per
 * recheck_usec, so an owner that exits hands over to another holder, and
 * a holder that renames itself is shown by its new comm.
 * Processes and fds that vanish mid-scan are normal, never errors.
 *
 * Unit: from the listener's cgroup id (cgroup v2 id = inode number of the
 * cgroup directory) mapped to its path, else from /proc/PID/cgroup. When the
 * chosen process lives in another cgroup than the socket (systemd socket
 * activation: the manager created it in init.scope) the process's unit wins.
 *
 * Staleness accepted for cost: a holder that closes the socket but lives on,
 * or a new holder forked after the last scan, is noticed only by the next
 * scan (which runs when an inode loses its last known holder). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "owner.h"

/* Bounds on what the outside world can make this module allocate. */
#define OWNERS_MAX_INODES        65536   /* wanted inodes per refresh; more are ignored */
#define OWNERS_MAX_PIDS          262144  /* pids remembered as scanned (pid_max is 4M) */
#define OWNERS_MAX_PROCS         16384   /* processes holding a wanted socket */
#define OWNERS_MAX_HOLDERS_PER_INODE 4096
#define OWNERS_CGROUP_MAX_DEPTH  16      /* cgroup tree walk */
#define OWNERS_CGROUP_MAX_DIRS   65536

struct sw_owners;

struct sw_owners_params {
	uint64_t min_rescan_usec;   /* full scans at most this often (10 s) */
	uint64_t min_incr_usec;     /* incremental scans at most this often (1 s) */
	uint64_t recheck_usec;      /* holder liveness check period (1 s) */
	uint32_t scan_budget;       /* fd entries examined per refresh (20000, ~50 ms) */
};

struct sw_owners_stats {
	uint64_t full_scans;        /* scans started, full (every pid) */
	uint64_t incr_scans;        /* ... incremental (new pids only) */
	uint64_t pids_scanned;      /* fd directories opened, in all */
	uint64_t fds_examined;      /* fd entries read, in all */
	uint64_t vanished;          /* processes gone mid-scan or since the last one */
	uint64_t denied;            /* fd directories we had no permission to read */
	uint64_t cgroup_walks;
	uint64_t last_cost_usec;    /* wall time of the last refresh that scanned */
	bool scan_in_progress;      /* budget ran out: resumes on the next refresh */
	uint64_t cgroup_first;      /* pids a scan read first: in a sought listener's cgroup */
	uint64_t settle_skipped;    /* pids a settled scan did not read (owners_set_settle) */
	uint64_t idle_refreshes;    /* refreshes that did nothing past the holder recheck */
};

/* procroot "/proc", cgroot "/sys/fs/cgroup" (the cgroup v2 root; a hybrid
 * layout's "unified" subdirectory is found by itself). Tests pass prepared
 * trees. A missing cgroot only loses the unit names. */
int owners_new(const char *procroot, const char *cgroot, struct sw_owners **ret);
/* NULL-safe. */
void owners_free(struct sw_owners *o);

/* From now on /proc is read through the privileged helper h (helper.h;
 * not owned), which may read other users' /proc/PID/fd for a process that
 * holds no capability. The cgroup tree is still read directly (it is world
 * readable). When the helper breaks, refreshes return its -EPIPE,
 * -EBADMSG or -ETIMEDOUT (procsrc_fatal). */
struct sw_helper;
int owners_use_helper(struct sw_owners *o, struct sw_helper *h);

/* settle (off by default; --once turns it on): a scan ends as soon as
 * every wanted inode has a holder that is not a service manager, between
 * two processes. The owner each reports is the one a whole scan chooses
 * whenever the processes read first hold it: the socket's cgroup is read
 * first, in ascending pids, so a pre-fork master comes before its workers,
 * and a service manager holding a socket for activation does not end it.
 * What it gives up: holders counts only the holders read by then (the
 * workers after the master, children that inherited the socket), and the
 * rest of /proc, often most of its fds (a listener's connections, held by
 * other processes), is not read. */
void owners_set_settle(struct sw_owners *o, bool on);

void owners_get_params(const struct sw_owners *o, struct sw_owners_params *ret);
/* Zero fields of p keep their current value. */
void owners_set_params(struct sw_owners *o, const struct sw_owners_params *p);

/* Called once per poll with the listeners' inodes and cgroup ids (cgroup_ids
 * may be NULL; 0 means not reported). Inodes not passed are forgotten.
 * Decides whether a (rate-limited, incremental, budgeted) /proc scan is
 * needed and does it. Returns 0, or -ENOMEM; unreadable or vanishing /proc
 * entries are not errors. */
int owners_refresh(struct sw_owners *o, const uint32_t *inodes, const uint64_t *cgroup_ids,
		   size_t n, uint64_t now_usec);

/* True while a scan that ran out of budget is in progress: listeners it
 * has not reached yet may have an owner that lookups do not show yet.
 * Another owners_refresh, even at the same now_usec, continues it. */
bool owners_scanning(const struct sw_owners *o);

/* owners_refresh, repeated (same arguments, same now_usec) until no scan
 * is in progress and none is due at now_usec, at most max_rounds
 * refreshes in all (0 counts as 1). Each one costs what a refresh costs:
 * at most scan_budget fd entries (~50 ms at the default 20000). Returns 0
 * when done: every owner the scans allowed at now_usec can find is known
 * (a full scan held back by min_rescan_usec, for a new listener of an old
 * process, runs on a later refresh); 1 when max_rounds ran out first
 * (lookups give what was found so far; later refreshes go on); -ENOMEM. */
int owners_refresh_complete(struct sw_owners *o, const uint32_t *inodes,
			    const uint64_t *cgroup_ids, size_t n, uint64_t now_usec,
			    unsigned max_rounds);

/* Fills *ret for a socket inode passed to the last refresh: 0 when the
 * process or at least the unit is known (ret->pid 0: process unknown),
 * -ENOENT when nothing is known. cgroup_id is used only for the unit of an
 * inode the last refresh did not see. */
int owners_lookup(const struct sw_owners *o, uint32_t inode, uint64_t cgroup_id,
		  struct sw_owner *ret);

/* Non-NULL once a scan found /proc entries it could not read (EACCES): the
 * reason to show once in status. Never changes after it is set. */
const char *owners_unknown_reason(const struct sw_owners *o);

void owners_get_stats(const struct sw_owners *o, struct sw_owners_stats *ret);

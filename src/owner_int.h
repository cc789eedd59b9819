/* Private to the owner cache (owner*.c): its state and the functions its
 * files share. owner.c keeps the tables and the public API, owner_scan.c
 * the budgeted /proc scan, owner_cgroup.c the cgroup-id map, and
 * owner_select.c the choice among a socket's holders. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "owner.h"
#include "owners.h"
#include "procfs.h"
#include "privsep.h"
#include "procsrc.h"

_Static_assert(PROCFS_COMM_MAX == SW_COMM_MAX, "a comm from /proc fits sw_owner.comm");

#define OWNER_PID_COST        4u     /* budget units for opening one fd directory */
#define OWNER_ANCESTOR_DEPTH  32     /* ppid chain walked when choosing among holders */
#define OWNER_ANCESTOR_READS  256    /* stat reads of non-holders per selection pass */
#define OWNER_SCRATCH         16384  /* /proc/PID/cgroup, cgroup.procs are read into this */
#define OWNER_SCAN_BUDGET     20000  /* default scan_budget: about 50 ms of fd entries */

struct owner_proc {
	int32_t pid;
	int32_t ppid;
	uint64_t starttime;          /* ticks since boot: tells a reused pid apart */
	uint64_t cgid;               /* its cgroup v2 id; 0 unknown */
	bool manager;                /* pid 1 or in an init.scope: a service manager */
	bool init_scope;             /* its cgroup is an init.scope */
	char comm[SW_COMM_MAX];
	char unit[SW_UNIT_MAX];
	uint32_t *inodes;            /* wanted inodes it holds */
	uint32_t n_inodes, cap_inodes;
};

struct owner_ino {
	uint32_t inode;
	uint64_t cgid;
	int32_t *pids;               /* holders, unsorted, distinct */
	uint32_t n_pids, cap_pids;
	/* The scan counters when it last had no holder: which scans have
	 * looked for it since. */
	uint64_t pend_scan_seq, pend_full_seq;
	/* The owner chosen (owner_select): what owners_lookup() gives. The
	 * unit is the entry's own heap copy, NULL when none: most units are a
	 * few dozen bytes, and a sw_owner's fixed SW_UNIT_MAX per wanted
	 * inode was most of the cache at 10k listeners. */
	bool has_result;
	int32_t res_pid;
	uint32_t res_holders;
	char res_comm[SW_COMM_MAX];
	char *res_unit;
};

struct owner_cg {
	uint64_t id;
	bool known;                  /* false: looked for and not found */
	bool manager;                /* an init.scope */
	char unit[SW_UNIT_MAX];
	char *path;                  /* below the cgroup root, "/a/b"; set by a walk only */
};

struct owner_scan {
	bool active, full;
	int32_t *work;               /* pids to read: the sought cgroups' first, then ascending */
	size_t n_work, idx;
	bool in_pid;                 /* work[idx]'s fds are being read */
	struct procsrc_fds fds;      /* ... and where that read is */
	uint32_t *batch;             /* socket inodes of one step (PS_MAX_BUDGET) */
	uint32_t *found;             /* wanted inodes seen in it so far */
	size_t n_found, cap_found;
	size_t settle_idx;           /* inos below it have a plain holder (settle) */
};

struct sw_owners {
	struct sw_procsrc *src;      /* procroot, or the privileged helper */
	int cgfd;                    /* cgroup v2 root; -1 when there is none */
	struct sw_owners_params params;

	struct owner_ino *inos;      /* the wanted set, ascending by inode */
	size_t n_inos;
	struct owner_proc **procs;   /* holders, ascending by pid */
	size_t n_procs, cap_procs;
	int32_t *scanned;            /* pids whose fds were read, ascending */
	size_t n_scanned;
	struct owner_cg *cgs;        /* cgroup id -> unit, ascending by id */
	size_t n_cgs;

	struct owner_scan scan;
	uint64_t scan_seq, full_seq; /* scans started */
	bool have_full, have_incr, have_recheck, have_walk;
	uint64_t last_full, last_incr, last_recheck, last_walk;
	bool dirty;                  /* holders changed: choose owners again */
	bool settle;                 /* owners_set_settle */
	/* The last refresh's arguments as passed, and whether what it left
	 * needs no further work while they stay the same (owner_refresh_plan). */
	uint32_t *in_inodes;
	uint64_t *in_cgids;
	size_t n_input, cap_input;
	bool have_input, idle;
	const char *reason;
	struct sw_owners_stats stats;
	char *scratch;
	/* ppids of non-holders met on ancestor chains, per selection pass */
	struct {
		int32_t pid, ppid;
	} anc_cache[OWNER_ANCESTOR_READS];
	unsigned n_anc_cache, ancestor_reads;
};

/* owner.c: the tables. */

/* Binary search of key among the n elements of size bytes at base,
 * ascending by cmp(key, element): the index of the first element not below
 * key (where key would go), *found telling whether it is equal. */
size_t owner_search(const void *key, const void *base, size_t n, size_t size,
		    int (*cmp)(const void *key, const void *elem), bool *found);
/* pids ascending. */
bool owner_pid_in(const int32_t *pids, size_t n, int32_t pid);
struct owner_ino *owner_find_ino(const struct sw_owners *o, uint32_t inode);
struct owner_proc *owner_find_proc(const struct sw_owners *o, int32_t pid);
/* Whether a scan is still to look for the inode: it has no holder, and no
 * full scan has started since it lost them (else it is given up). */
bool owner_ino_sought(const struct sw_owners *o, const struct owner_ino *ino);
void owner_ino_remove_pid(struct sw_owners *o, struct owner_ino *ino, int32_t pid);
/* ino's chosen unit becomes unit (NULL or "": none); kept when it is the
 * same text. Out of memory leaves none: the unit is then unknown, not
 * wrong. */
void owner_ino_set_unit(struct owner_ino *ino, const char *unit);
/* Forgets a process and everything it held: it exited, or its pid now
 * belongs to someone else. */
void owner_drop_proc(struct sw_owners *o, int32_t pid);
/* Forgets that pr holds inode, and pr itself when it holds nothing else. */
void owner_proc_remove_inode(struct sw_owners *o, struct owner_proc *pr, uint32_t inode);
/* What a later read of a known holder's stat tells: its parent (it was
 * reparented) and its name (it renamed itself) may have changed. */
void owner_proc_update(struct sw_owners *o, struct owner_proc *pr, const struct procfs_stat *st);
/* Records that pid holds a wanted inode. -ESRCH if the process is gone,
 * -ENOSPC when a bound is reached (the holding is then not recorded). */
int owner_add_holding(struct sw_owners *o, struct owner_ino *ino, int32_t pid);

/* Pure: what a refresh does. */
struct owner_refresh_facts {
	bool same_set;               /* the wanted set of the last refresh */
	bool idle;                   /* that one left no scan, sought inode or walk pending */
	bool first;                  /* no refresh before: the recheck period starts */
	uint64_t since_recheck_usec, recheck_usec;
};
struct owner_refresh_plan {
	bool start_period;
	bool recheck;                /* re-read the known holders' stat */
	bool pass;                   /* scan if due, resolve cgroups, choose owners;
				      * the caller also passes when the recheck
				      * changed a holder */
};
void owner_refresh_plan(const struct owner_refresh_facts *f, struct owner_refresh_plan *ret);

/* owner_scan.c: the incremental, budgeted scan of /proc/PID/fd. */

int owner_start_scan(struct sw_owners *o, bool full, uint64_t now);
/* Runs the current scan for at most *budget units. -ENOMEM only. */
int owner_scan_step(struct sw_owners *o, uint32_t *budget);
/* Which scan, if any, the unattributed inodes call for now: 1 and
 * *ret_full, or 0 for none. */
int owner_scan_due(const struct sw_owners *o, uint64_t now, bool *ret_full);
/* Pure: whether every wanted inode from *idx on has a holder that is not
 * a service manager; *idx moves past those that do (a scan's settle
 * cursor), so a scan checks each inode about once. */
bool owner_all_settled(const struct sw_owners *o, size_t *idx);
/* Re-reads the stat of every known holder. */
void owner_recheck(struct sw_owners *o);
void owner_scan_free(struct owner_scan *s);

/* owner_cgroup.c: cgroup ids, paths and units. */

/* The cgroup v2 root below cgroot (cgroot itself, or a hybrid layout's
 * "unified"), or -1 when there is none. */
int owner_cg_open_root(const char *cgroot);
struct owner_cg *owner_find_cg(const struct sw_owners *o, uint64_t id);
/* A new holder's cgroup id and unit, from /proc/PID/cgroup. */
void owner_proc_read_cgroup(struct sw_owners *o, struct owner_proc *pr);
/* Every wanted cgroup id gets an entry: 0, 1 when some id is still to be
 * looked for by a walk the rate limit held back, -ENOMEM. */
int owner_resolve_cgroups(struct sw_owners *o, uint64_t now);
/* Puts first in work the pids in the sought listeners' cgroups. -ENOMEM only. */
int owner_scan_cgroup_first(struct sw_owners *o, int32_t *work, size_t n_work, uint64_t now);
void owner_cgs_free(struct sw_owners *o);

/* owner_select.c: the holder each inode reports. */

/* Chooses the owner of every wanted inode again. */
void owner_select_all(struct sw_owners *o);

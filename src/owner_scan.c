/* The owner cache's scan of /proc/PID/fd: incremental (new pids) or full,
 * at most scan_budget fd entries per refresh, resumed where it stopped.
 * See owners.h for when a scan runs. */
#include "owner_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "macro.h"
#include "procfs.h"

static const char owner_denied_reason[] =
	"no permission to read the open files (/proc/PID/fd) of some processes "
	"(needs root with CAP_SYS_PTRACE): owners of their listeners are unknown";

static void owner_note_denied(struct sw_owners *o)
{
	o->stats.denied++;
	if (!o->reason)
		o->reason = owner_denied_reason;
}

int owner_start_scan(struct sw_owners *o, bool full, uint64_t now)
{
	_cleanup_free_ int32_t *listed = NULL;
	int32_t *work;
	size_t n_listed = 0, n_work = 0;
	int r;

	r = procsrc_list_pids(o->src, OWNERS_MAX_PIDS, &listed, &n_listed);
	if (r == -ENOMEM || procsrc_fatal(r))
		return r;
	if (r < 0)
		n_listed = 0;        /* unreadable root: nothing to scan */

	/* Holders that are no longer listed have exited. */
	for (size_t i = o->n_procs; i-- > 0;) {
		if (i < o->n_procs && !owner_pid_in(listed, n_listed, o->procs[i]->pid)) {
			o->stats.vanished++;
			owner_drop_proc(o, o->procs[i]->pid);
		}
	}

	work = malloc((n_listed ? n_listed : 1) * sizeof(*work));
	if (!work)
		return -ENOMEM;
	if (full) {
		if (n_listed)
			memcpy(work, listed, n_listed * sizeof(*work));
		n_work = n_listed;
	} else {
		for (size_t i = 0, j = 0; i < n_listed; i++) {
			while (j < o->n_scanned && o->scanned[j] < listed[i])
				j++;
			if (j < o->n_scanned && o->scanned[j] == listed[i])
				continue;
			work[n_work++] = listed[i];
		}
	}
	free(o->scanned);
	o->scanned = listed;
	o->n_scanned = n_listed;
	listed = NULL;

	r = owner_scan_cgroup_first(o, work, n_work, now);
	if (r < 0) {
		free(work);
		return r;
	}

	free(o->scan.work);
	o->scan.work = work;
	o->scan.n_work = n_work;
	o->scan.idx = 0;
	o->scan.settle_idx = 0;
	o->scan.active = true;
	o->scan.full = full;
	o->scan_seq++;
	if (full) {
		o->full_seq++;
		o->have_full = true;
		o->last_full = now;
		o->stats.full_scans++;
	} else {
		o->stats.incr_scans++;
	}
	/* An incremental pass is implied by a full one. */
	o->have_incr = true;
	o->last_incr = now;
	return 0;
}

static int owner_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void owner_end_pid(struct sw_owners *o, int32_t pid, bool completed)
{
	struct owner_proc *pr;

	o->scan.in_pid = false;
	pr = owner_find_proc(o, pid);
	if (pr && completed) {
		/* What it held before and no longer holds: it closed them.
		 * found sorted: a listener process holds thousands. */
		if (o->scan.n_found > 1)
			qsort(o->scan.found, o->scan.n_found, sizeof(*o->scan.found), owner_cmp_u32);
		for (uint32_t k = pr->n_inodes; k-- > 0;) {
			uint32_t inode = pr->inodes[k];

			if (o->scan.n_found &&
			    bsearch(&inode, o->scan.found, o->scan.n_found, sizeof(*o->scan.found),
				    owner_cmp_u32))
				continue;
			struct owner_ino *ino = owner_find_ino(o, inode);

			if (ino)
				owner_ino_remove_pid(o, ino, pid);
			owner_proc_remove_inode(o, pr, inode);
			pr = owner_find_proc(o, pid);
			if (!pr)
				break;
		}
	} else if (pr && !completed) {
		owner_drop_proc(o, pid);
	}
	o->scan.n_found = 0;
}

/* Starts reading the fds of pid. Returns 1 when they are to be read, 0
 * when the process is to be skipped (gone). */
static int owner_begin_pid(struct sw_owners *o, int32_t pid)
{
	struct owner_proc *pr = owner_find_proc(o, pid);

	if (pr) {
		struct procfs_stat st;

		/* A known holder seen again by a full scan: same process? */
		if (procsrc_read_stat(o->src, pid, &st) < 0) {
			o->stats.vanished++;
			owner_drop_proc(o, pid);
			return 0;
		}
		if (st.starttime != pr->starttime)
			owner_drop_proc(o, pid);     /* pid reused: scan it as new */
		else
			owner_proc_update(o, pr, &st);
		pr = owner_find_proc(o, pid);
	}
	/* A known holder's fds are read only while it is still that
	 * process; a new pid's start time comes back with its first step. */
	o->scan.fds = (struct procsrc_fds){
		.pid = pid, .starttime = pr ? pr->starttime : 0, .cursor = -1,
	};
	o->scan.in_pid = true;
	o->scan.n_found = 0;
	o->stats.pids_scanned++;
	return 1;
}

static int owner_found(struct sw_owners *o, int32_t pid, uint32_t inode)
{
	struct owner_ino *ino = owner_find_ino(o, inode);
	int r;

	if (!ino)
		return 0;
	r = owner_add_holding(o, ino, pid);
	if (r == -ENOMEM)
		return r;
	if (r == -ESRCH) {
		o->stats.vanished++;
		return -ESRCH;
	}
	if (r < 0)
		return 0;    /* a bound: not recorded */
	if (o->scan.n_found == o->scan.cap_found) {
		uint32_t *np = grow_array(o->scan.found, &o->scan.cap_found, o->scan.n_found + 1,
					  sizeof(*np), 16);

		if (!np)
			return -ENOMEM;
		o->scan.found = np;
	}
	o->scan.found[o->scan.n_found++] = inode;
	return 0;
}

/* Reads fd entries of the pid being read until they end (1), the budget
 * runs out (0), or the process turns out gone or not ours to read (2:
 * skipped). <0: -ENOMEM, or the helper's breakdown (procsrc_fatal). */
static int owner_read_fds(struct sw_owners *o, int32_t pid, uint32_t *budget)
{
	while (*budget > 0) {
		size_t n = 0;
		int r = procsrc_socket_inodes(o->src, &o->scan.fds, *budget, o->scan.batch, &n);

		if (r == -ENOMEM || procsrc_fatal(r))
			return r;
		if (r == -EACCES || r == -EPERM) {
			owner_note_denied(o);
			return 2;
		}
		if (r < 0) {
			o->stats.vanished++;
			return 2;
		}
		*budget -= SW_MIN(*budget, o->scan.fds.examined);
		o->stats.fds_examined += o->scan.fds.examined;
		for (size_t i = 0; i < n; i++) {
			r = owner_found(o, pid, o->scan.batch[i]);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				return 2;
		}
		if (o->scan.fds.done)
			return 1;
	}
	return 0;
}

static void owner_finish_scan(struct sw_owners *o)
{
	o->scan.active = false;
	free(o->scan.work);
	o->scan.work = NULL;
	o->scan.n_work = o->scan.idx = 0;
}

static bool owner_ino_settled(const struct sw_owners *o, const struct owner_ino *ino)
{
	for (uint32_t i = 0; i < ino->n_pids; i++) {
		const struct owner_proc *pr = owner_find_proc(o, ino->pids[i]);

		if (pr && !pr->manager)
			return true;
	}
	return false;
}

bool owner_all_settled(const struct sw_owners *o, size_t *idx)
{
	while (*idx < o->n_inos && owner_ino_settled(o, &o->inos[*idx]))
		(*idx)++;
	return *idx >= o->n_inos;
}

/* Whether the settle rule ends the scan now: checked between processes,
 * the cursor first and then, once it reaches the end, every inode again (a
 * holder dropped mid-scan unsettles an inode behind the cursor). */
static bool owner_settle_due(struct sw_owners *o)
{
	size_t again = 0;

	if (!o->settle || !owner_all_settled(o, &o->scan.settle_idx))
		return false;
	if (owner_all_settled(o, &again))
		return true;
	o->scan.settle_idx = again;
	return false;
}

int owner_scan_step(struct sw_owners *o, uint32_t *budget)
{
	while (o->scan.idx < o->scan.n_work && *budget > 0) {
		int32_t pid;
		int r;

		if (!o->scan.in_pid && owner_settle_due(o)) {
			o->stats.settle_skipped += o->scan.n_work - o->scan.idx;
			o->scan.n_work = o->scan.idx;
			break;
		}
		pid = o->scan.work[o->scan.idx];
		if (!o->scan.in_pid) {
			*budget = *budget > OWNER_PID_COST ? *budget - OWNER_PID_COST : 0;
			if (owner_begin_pid(o, pid) == 0) {
				o->scan.idx++;
				continue;
			}
		}
		r = owner_read_fds(o, pid, budget);
		if (r < 0)
			return r;
		if (r == 0)
			break;           /* budget spent: resume here next time */
		owner_end_pid(o, pid, r == 1);
		o->scan.idx++;
	}
	if (o->scan.idx >= o->scan.n_work)
		owner_finish_scan(o);
	return 0;
}

/* Which scan, if any, the unattributed inodes call for now. */
int owner_scan_due(const struct sw_owners *o, uint64_t now, bool *ret_full)
{
	bool need_incr = false, need_full = false;
	bool full_ok, incr_ok;

	for (size_t i = 0; i < o->n_inos; i++) {
		const struct owner_ino *ino = &o->inos[i];

		/* An inode that a full scan started after it became unknown
		 * did not find is given up: a kernel-held socket, a process in
		 * another pid namespace or one we may not read. It is looked
		 * for again only once it has had holders and lost them. */
		if (!owner_ino_sought(o, ino))
			continue;
		if (ino->pend_scan_seq == o->scan_seq)
			need_incr = true;            /* no scan since it became unknown */
		else if (ino->pend_full_seq == o->full_seq)
			need_full = true;            /* new pids did not have it */
	}
	full_ok = !o->have_full || now - o->last_full >= o->params.min_rescan_usec;
	incr_ok = !o->have_incr || now - o->last_incr >= o->params.min_incr_usec;
	if (need_full && full_ok) {
		*ret_full = true;
		return 1;
	}
	if (need_incr && incr_ok) {
		/* Nothing scanned yet: "only new pids" is every pid. */
		*ret_full = !o->have_full && full_ok;
		return 1;
	}
	return 0;
}

/* Re-reads the stat of every known holder: an exited owner (or one whose
 * pid was reused) is dropped so that attribution moves to the remaining
 * holders, and ppids follow reparenting and comms renaming (a worker
 * forked with its master's name names itself a moment later). */
void owner_recheck(struct sw_owners *o)
{
	for (size_t i = o->n_procs; i-- > 0;) {
		struct owner_proc *pr;
		struct procfs_stat st;

		if (i >= o->n_procs)
			continue;
		pr = o->procs[i];
		if (procsrc_read_stat(o->src, pr->pid, &st) < 0 || st.starttime != pr->starttime) {
			o->stats.vanished++;
			owner_drop_proc(o, pr->pid);
			continue;
		}
		owner_proc_update(o, pr, &st);
	}
}

void owner_scan_free(struct owner_scan *s)
{
	free(s->work);
	free(s->batch);
	free(s->found);
}

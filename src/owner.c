/* Listener -> owning process and systemd unit. See owners.h for the policy:
 * scans only while an inode is unattributed, incremental first, full scans
 * rate-limited, work per refresh bounded, everything else cached. This file
 * holds the tables (wanted inodes, holders) and the public API; the scan,
 * the cgroup map and the choice of owner are owner_scan.c, owner_cgroup.c
 * and owner_select.c. */
#include "owner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "procfs.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Tables                                                               */

size_t owner_search(const void *key, const void *base, size_t n, size_t size,
		    int (*cmp)(const void *key, const void *elem), bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(key, (const char *)base + mid * size);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

bool owner_pid_in(const int32_t *pids, size_t n, int32_t pid)
{
	return n && bsearch(&pid, pids, n, sizeof(*pids), procfs_cmp_pid);
}

static int owner_key_ino(const void *key, const void *elem)
{
	uint32_t x = *(const uint32_t *)key, y = ((const struct owner_ino *)elem)->inode;

	return (x > y) - (x < y);
}

struct owner_ino *owner_find_ino(const struct sw_owners *o, uint32_t inode)
{
	bool found;
	size_t i = owner_search(&inode, o->inos, o->n_inos, sizeof(*o->inos), owner_key_ino, &found);

	return found ? &o->inos[i] : NULL;
}

static int owner_key_proc(const void *key, const void *elem)
{
	int32_t x = *(const int32_t *)key, y = (*(struct owner_proc *const *)elem)->pid;

	return (x > y) - (x < y);
}

/* Index of pid in o->procs, or where it would go (*found false). */
static size_t owner_proc_pos(const struct sw_owners *o, int32_t pid, bool *found)
{
	return owner_search(&pid, o->procs, o->n_procs, sizeof(*o->procs), owner_key_proc, found);
}

struct owner_proc *owner_find_proc(const struct sw_owners *o, int32_t pid)
{
	bool found;
	size_t i = owner_proc_pos(o, pid, &found);

	return found ? o->procs[i] : NULL;
}

static void owner_mark_pending(struct sw_owners *o, struct owner_ino *ino)
{
	ino->pend_scan_seq = o->scan_seq;
	ino->pend_full_seq = o->full_seq;
}

void owner_ino_remove_pid(struct sw_owners *o, struct owner_ino *ino, int32_t pid)
{
	for (uint32_t i = 0; i < ino->n_pids; i++) {
		if (ino->pids[i] != pid)
			continue;
		ino->pids[i] = ino->pids[--ino->n_pids];
		o->dirty = true;
		if (ino->n_pids == 0)
			owner_mark_pending(o, ino);
		return;
	}
}

void owner_drop_proc(struct sw_owners *o, int32_t pid)
{
	bool found;
	size_t i = owner_proc_pos(o, pid, &found);
	struct owner_proc *pr;

	if (!found)
		return;
	pr = o->procs[i];
	for (uint32_t k = 0; k < pr->n_inodes; k++) {
		struct owner_ino *ino = owner_find_ino(o, pr->inodes[k]);

		if (ino)
			owner_ino_remove_pid(o, ino, pid);
	}
	free(pr->inodes);
	free(pr);
	memmove(&o->procs[i], &o->procs[i + 1], (o->n_procs - i - 1) * sizeof(*o->procs));
	o->n_procs--;
	o->dirty = true;
}

void owner_proc_remove_inode(struct sw_owners *o, struct owner_proc *pr, uint32_t inode)
{
	for (uint32_t k = 0; k < pr->n_inodes; k++) {
		if (pr->inodes[k] == inode) {
			pr->inodes[k] = pr->inodes[--pr->n_inodes];
			break;
		}
	}
	if (pr->n_inodes == 0)
		owner_drop_proc(o, pr->pid);
}

void owner_proc_update(struct sw_owners *o, struct owner_proc *pr, const struct procfs_stat *st)
{
	if (st->ppid != pr->ppid) {
		pr->ppid = st->ppid;
		o->dirty = true;
	}
	if (strcmp(st->comm, pr->comm) != 0) {
		memcpy(pr->comm, st->comm, sizeof(pr->comm));
		o->dirty = true;
	}
}

/* Loads a new holder's ppid, comm and cgroup. -ESRCH when it is gone. */
static int owner_add_proc(struct sw_owners *o, int32_t pid, struct owner_proc **ret)
{
	struct owner_proc *pr;
	struct procfs_stat st;
	bool found;
	size_t pos;
	int r;

	pos = owner_proc_pos(o, pid, &found);
	if (found) {
		*ret = o->procs[pos];
		return 0;
	}
	if (o->n_procs >= OWNERS_MAX_PROCS)
		return -ENOSPC;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->pid = pid;
	r = procsrc_read_stat(o->src, pid, &st);
	if (r < 0) {
		free(pr);
		return r;
	}
	pr->ppid = st.ppid;
	pr->starttime = st.starttime;
	memcpy(pr->comm, st.comm, sizeof(pr->comm));
	pr->manager = pid == 1;
	owner_proc_read_cgroup(o, pr);
	if (o->n_procs == o->cap_procs) {
		struct owner_proc **np = grow_array(o->procs, &o->cap_procs, o->n_procs + 1,
						    sizeof(*np), 64);

		if (!np) {
			free(pr);
			return -ENOMEM;
		}
		o->procs = np;
	}
	memmove(&o->procs[pos + 1], &o->procs[pos], (o->n_procs - pos) * sizeof(*o->procs));
	o->procs[pos] = pr;
	o->n_procs++;
	*ret = pr;
	return 0;
}

int owner_add_holding(struct sw_owners *o, struct owner_ino *ino, int32_t pid)
{
	struct owner_proc *pr;
	int r;

	for (uint32_t i = 0; i < ino->n_pids; i++)
		if (ino->pids[i] == pid)
			return 0;
	if (ino->n_pids >= OWNERS_MAX_HOLDERS_PER_INODE)
		return -ENOSPC;
	r = owner_add_proc(o, pid, &pr);
	if (r < 0)
		return r;
	if (ino->n_pids == ino->cap_pids) {
		uint32_t cap = ino->cap_pids ? ino->cap_pids * 2 : 4;
		int32_t *np = realloc(ino->pids, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		ino->pids = np;
		ino->cap_pids = cap;
	}
	if (pr->n_inodes == pr->cap_inodes) {
		uint32_t cap = pr->cap_inodes ? pr->cap_inodes * 2 : 4;
		uint32_t *np = realloc(pr->inodes, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		pr->inodes = np;
		pr->cap_inodes = cap;
	}
	ino->pids[ino->n_pids++] = pid;
	pr->inodes[pr->n_inodes++] = ino->inode;
	o->dirty = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The wanted set                                                       */

void owner_ino_set_unit(struct owner_ino *ino, const char *unit)
{
	if (unit && !*unit)
		unit = NULL;
	if (unit && ino->res_unit && strcmp(unit, ino->res_unit) == 0)
		return;
	free(ino->res_unit);
	ino->res_unit = unit ? strndup(unit, SW_UNIT_MAX - 1) : NULL;
}

static void owner_free_ino(struct owner_ino *ino)
{
	free(ino->pids);
	ino->pids = NULL;
	ino->n_pids = ino->cap_pids = 0;
	free(ino->res_unit);
	ino->res_unit = NULL;
}

struct owner_want {
	uint32_t inode;
	uint64_t cgid;
};

static int owner_cmp_want(const void *a, const void *b)
{
	const struct owner_want *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* Sorts the wanted list and drops inode 0 and repeats; returns the count. */
static size_t owner_want_normalize(struct owner_want *in, size_t n)
{
	size_t k = 0;

	if (n > 1)
		qsort(in, n, sizeof(*in), owner_cmp_want);
	for (size_t i = 0; i < n; i++)
		if (in[i].inode != 0 && (k == 0 || in[k - 1].inode != in[i].inode))
			in[k++] = in[i];
	return k;
}

/* Whether the caller passes the very arrays of the last refresh: a
 * poll lists its listeners in the same order while they do not change,
 * so the usual poll is told apart by two compares, without a sort. */
static bool owner_same_input(const struct sw_owners *o, const uint32_t *inodes,
			     const uint64_t *cgids, size_t n)
{
	if (!o->have_input || n != o->n_input)
		return false;
	if (n && memcmp(inodes, o->in_inodes, n * sizeof(*inodes)) != 0)
		return false;
	if (!cgids) {
		for (size_t i = 0; i < n; i++)
			if (o->in_cgids[i])
				return false;
		return true;
	}
	return n == 0 || memcmp(cgids, o->in_cgids, n * sizeof(*cgids)) == 0;
}

static int owner_keep_input(struct sw_owners *o, const uint32_t *inodes, const uint64_t *cgids,
			    size_t n)
{
	if (n > o->cap_input) {
		uint32_t *ni = realloc(o->in_inodes, n * sizeof(*ni));
		uint64_t *nc;

		if (!ni)
			return -ENOMEM;
		o->in_inodes = ni;
		nc = realloc(o->in_cgids, n * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		o->in_cgids = nc;
		o->cap_input = n;
	}
	if (n) {
		memcpy(o->in_inodes, inodes, n * sizeof(*inodes));
		if (cgids)
			memcpy(o->in_cgids, cgids, n * sizeof(*cgids));
		else
			memset(o->in_cgids, 0, n * sizeof(*cgids));
	}
	o->n_input = n;
	o->have_input = true;
	return 0;
}

/* Makes the wanted set the one passed. 1: it is the set of the last
 * refresh (nothing changed), 0: changed, -ENOMEM. */
static int owner_sync_wanted(struct sw_owners *o, const uint32_t *inodes,
			     const uint64_t *cgids, size_t n)
{
	struct owner_ino *next;
	_cleanup_free_ struct owner_want *in = NULL;
	size_t nn = 0, i, j;
	bool same;
	int r;

	if (n > OWNERS_MAX_INODES)
		n = OWNERS_MAX_INODES;
	if (owner_same_input(o, inodes, cgids, n))
		return 1;
	r = owner_keep_input(o, inodes, cgids, n);
	if (r < 0)
		return r;
	/* Kept as the last refresh's input from here on: a failure below must
	 * forget it, or the next refresh with the same listeners would take
	 * the wanted set, never updated, for up to date. */
	in = malloc((n ? n : 1) * sizeof(*in));
	if (!in) {
		o->have_input = false;
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		in[i].inode = inodes[i];
		in[i].cgid = cgids ? cgids[i] : 0;
	}
	n = owner_want_normalize(in, n);

	/* The usual poll: the same listeners as last time. */
	same = n == o->n_inos;
	for (i = 0; i < n && same; i++)
		same = in[i].inode == o->inos[i].inode && in[i].cgid == o->inos[i].cgid;
	if (same)
		return 1;

	next = calloc(n ? n : 1, sizeof(*next));
	if (!next) {
		o->have_input = false;
		return -ENOMEM;
	}

	/* Merge with the old set: keep the state of inodes seen before. */
	for (i = 0, j = 0; i < n; i++) {
		struct owner_ino *dst;

		while (j < o->n_inos && o->inos[j].inode < in[i].inode)
			j++;
		dst = &next[nn++];
		if (j < o->n_inos && o->inos[j].inode == in[i].inode) {
			*dst = o->inos[j];
			o->inos[j].pids = NULL;       /* moved */
			o->inos[j].n_pids = 0;
			o->inos[j].res_unit = NULL;
			o->inos[j].inode = 0;          /* marks it kept */
			j++;
			if (dst->cgid != in[i].cgid)
				o->dirty = true;
		} else {
			memset(dst, 0, sizeof(*dst));
			dst->inode = in[i].inode;
			owner_mark_pending(o, dst);
			o->dirty = true;
		}
		dst->cgid = in[i].cgid;
	}

	/* Inodes no longer wanted: their holders forget them. Swap the new
	 * set in first, so the procs' back references resolve against it. */
	{
		struct owner_ino *old = o->inos;
		size_t n_old = o->n_inos;

		o->inos = next;
		o->n_inos = nn;
		for (i = 0; i < n_old; i++) {
			struct owner_ino *gone = &old[i];

			if (gone->inode == 0)
				continue;
			for (uint32_t k = 0; k < gone->n_pids; k++) {
				struct owner_proc *pr = owner_find_proc(o, gone->pids[k]);

				if (pr)
					owner_proc_remove_inode(o, pr, gone->inode);
			}
			owner_free_ino(gone);
			o->dirty = true;
		}
		free(old);
	}
	return 0;
}


bool owner_ino_sought(const struct sw_owners *o, const struct owner_ino *ino)
{
	return ino->n_pids == 0 && ino->pend_full_seq == o->full_seq;
}

static bool owner_any_sought(const struct sw_owners *o)
{
	for (size_t i = 0; i < o->n_inos; i++)
		if (owner_ino_sought(o, &o->inos[i]))
			return true;
	return false;
}

void owner_refresh_plan(const struct owner_refresh_facts *f, struct owner_refresh_plan *ret)
{
	*ret = (struct owner_refresh_plan){
		.start_period = f->first,
		.recheck = !f->first && f->since_recheck_usec >= f->recheck_usec,
		.pass = !f->same_set || !f->idle,
	};
}

/* ------------------------------------------------------------------ */
/* Public                                                               */

int owners_new(const char *procroot, const char *cgroot, struct sw_owners **ret)
{
	int r;
	struct sw_owners *o;

	if (!procroot || !ret)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->cgfd = -1;
	o->params = (struct sw_owners_params){
		.min_rescan_usec = 10 * USEC_PER_SEC,
		.min_incr_usec = USEC_PER_SEC,
		.recheck_usec = USEC_PER_SEC,
		.scan_budget = OWNER_SCAN_BUDGET,
	};
	o->scratch = malloc(OWNER_SCRATCH);
	if (!o->scratch) {
		free(o);
		return -ENOMEM;
	}
	o->scan.batch = malloc(PS_MAX_BUDGET * sizeof(*o->scan.batch));
	r = o->scan.batch ? procsrc_new_local(procroot, &o->src) : -ENOMEM;
	if (r < 0) {
		free(o->scan.batch);
		free(o->scratch);
		free(o);
		return r;
	}
	o->cgfd = owner_cg_open_root(cgroot);
	*ret = o;
	return 0;
}

void owners_free(struct sw_owners *o)
{
	if (!o)
		return;
	owner_scan_free(&o->scan);
	for (size_t i = 0; i < o->n_inos; i++)
		owner_free_ino(&o->inos[i]);
	free(o->inos);
	for (size_t i = 0; i < o->n_procs; i++) {
		free(o->procs[i]->inodes);
		free(o->procs[i]);
	}
	free(o->procs);
	free(o->scanned);
	free(o->in_inodes);
	free(o->in_cgids);
	owner_cgs_free(o);
	free(o->scratch);
	if (o->cgfd >= 0)
		close(o->cgfd);
	procsrc_free(o->src);
	free(o);
}

int owners_use_helper(struct sw_owners *o, struct sw_helper *h)
{
	struct sw_procsrc *src;
	int r = procsrc_new_helper(h, &src);

	if (r < 0)
		return r;
	procsrc_free(o->src);
	o->src = src;
	return 0;
}

void owners_set_settle(struct sw_owners *o, bool on)
{
	o->settle = on;
}

void owners_get_params(const struct sw_owners *o, struct sw_owners_params *ret)
{
	*ret = o->params;
}

void owners_set_params(struct sw_owners *o, const struct sw_owners_params *p)
{
	if (p->min_rescan_usec)
		o->params.min_rescan_usec = p->min_rescan_usec;
	if (p->min_incr_usec)
		o->params.min_incr_usec = p->min_incr_usec;
	if (p->recheck_usec)
		o->params.recheck_usec = p->recheck_usec;
	if (p->scan_budget)
		o->params.scan_budget = p->scan_budget;
}

int owners_refresh(struct sw_owners *o, const uint32_t *inodes, const uint64_t *cgroup_ids,
		   size_t n, uint64_t now_usec)
{
	uint64_t t0 = util_now_usec();
	uint32_t budget = o->params.scan_budget;
	struct owner_refresh_plan plan;
	bool scanned = false;
	int r, same;

	same = owner_sync_wanted(o, inodes, cgroup_ids, n);
	if (same < 0)
		return same;
	owner_refresh_plan(&(struct owner_refresh_facts){
			.same_set = same == 1,
			.idle = o->idle,
			.first = !o->have_recheck,
			.since_recheck_usec = now_usec - o->last_recheck,
			.recheck_usec = o->params.recheck_usec,
		}, &plan);

	/* The period starts with the first refresh: holders found by a scan
	 * are fresh then. */
	if (plan.start_period) {
		o->have_recheck = true;
		o->last_recheck = now_usec;
	} else if (plan.recheck) {
		o->last_recheck = now_usec;
		owner_recheck(o);
	}
	/* The same listeners, every one settled, and the recheck (if due)
	 * saw no holder change: nothing else to do. */
	if (!plan.pass && !o->dirty) {
		o->stats.idle_refreshes++;
		return 0;
	}

	/* At most an incremental and a full scan per call, within budget. */
	for (int round = 0; round < 3 && budget > 0; round++) {
		bool full;

		if (!o->scan.active) {
			if (!owner_scan_due(o, now_usec, &full))
				break;
			r = owner_start_scan(o, full, now_usec);
			if (r < 0)
				return r;
		}
		scanned = true;
		r = owner_scan_step(o, &budget);
		if (r < 0)
			return r;
		if (o->scan.active)
			break;
	}

	r = owner_resolve_cgroups(o, now_usec);
	if (r < 0)
		return r;
	if (o->dirty)
		owner_select_all(o);
	if (scanned)
		o->stats.last_cost_usec = util_now_usec() - t0;
	o->stats.scan_in_progress = o->scan.active;
	/* What could make a later refresh of the same set do more: a scan
	 * under way, an inode still looked for (its scan held back by a rate
	 * limit), a cgroup id whose walk is held back. */
	o->idle = !o->scan.active && r == 0 && !owner_any_sought(o);
	return 0;
}

int owners_lookup(const struct sw_owners *o, uint32_t inode, uint64_t cgroup_id,
		  struct sw_owner *ret)
{
	const struct owner_ino *ino = owner_find_ino(o, inode);
	const struct owner_cg *cg;

	if (ino) {
		if (!ino->has_result)
			return -ENOENT;
		*ret = (struct sw_owner){ .pid = ino->res_pid, .holders = ino->res_holders };
		memcpy(ret->comm, ino->res_comm, sizeof(ret->comm));
		if (ino->res_unit)
			memcpy(ret->unit, ino->res_unit, strnlen(ino->res_unit, sizeof(ret->unit) - 1));
		return 0;
	}
	cg = cgroup_id ? owner_find_cg(o, cgroup_id) : NULL;
	if (!cg || !cg->known || !cg->unit[0])
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->unit, cg->unit, sizeof(ret->unit));
	return 0;
}

bool owners_scanning(const struct sw_owners *o)
{
	return o->scan.active;
}

int owners_refresh_complete(struct sw_owners *o, const uint32_t *inodes,
			    const uint64_t *cgroup_ids, size_t n, uint64_t now_usec,
			    unsigned max_rounds)
{
	unsigned round = 0;
	bool full;

	/* A scan that ends with the budget can leave the next one (a full
	 * scan after an incremental one missed) due but not started: run
	 * that too, as far as the rate limits allow at now_usec, which also
	 * bounds the loop to about two scans. */
	do {
		int r = owners_refresh(o, inodes, cgroup_ids, n, now_usec);

		if (r < 0)
			return r;
		if (!o->scan.active && owner_scan_due(o, now_usec, &full) == 0)
			return 0;
	} while (++round < max_rounds);
	return 1;
}

const char *owners_unknown_reason(const struct sw_owners *o)
{
	return o->reason;
}

void owners_get_stats(const struct sw_owners *o, struct sw_owners_stats *ret)
{
	*ret = o->stats;
	ret->scan_in_progress = o->scan.active;
}

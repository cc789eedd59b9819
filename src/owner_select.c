/* The owner cache's choice among the processes holding a socket: not the
 * service manager that keeps it for activation, the socket's own cgroup
 * first, a pre-fork master before its workers. */
#include "owner_int.h"

#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "macro.h"

static int32_t owner_ppid_of(struct sw_owners *o, int32_t pid)
{
	struct owner_proc *pr = owner_find_proc(o, pid);
	struct procfs_stat st;
	int32_t ppid;

	if (pr)
		return pr->ppid;
	/* An intermediate process that holds no socket (e.g. a shell between
	 * master and worker, or the master's own parent): read it once per
	 * pass, within a bound. */
	for (unsigned i = 0; i < o->n_anc_cache; i++)
		if (o->anc_cache[i].pid == pid)
			return o->anc_cache[i].ppid;
	if (o->ancestor_reads >= OWNER_ANCESTOR_READS)
		return -1;
	o->ancestor_reads++;
	ppid = procsrc_read_stat(o->src, pid, &st) < 0 ? -1 : st.ppid;
	o->anc_cache[o->n_anc_cache].pid = pid;
	o->anc_cache[o->n_anc_cache].ppid = ppid;
	o->n_anc_cache++;
	return ppid;
}

struct owner_cand {
	int32_t pid;
	uint32_t idx;
};

static int owner_cmp_cand(const void *a, const void *b)
{
	const struct owner_cand *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The holder to report: not a service manager that merely keeps the socket
 * for activation (unless nothing else holds it); among the rest, those in
 * the socket's own cgroup if any; among those, the one that is an ancestor
 * of the most other holders (a pre-fork master), the lowest pid on a tie. */
static void owner_select(struct sw_owners *o, struct owner_ino *ino)
{
	const struct owner_cg *cg = ino->cgid ? owner_find_cg(o, ino->cgid) : NULL;
	_cleanup_free_ struct owner_proc **pr = NULL;
	_cleanup_free_ struct owner_cand *cand = NULL;
	_cleanup_free_ uint32_t *anc = NULL;
	struct owner_proc *best = NULL;
	uint32_t n = ino->n_pids, n_cand = 0, best_anc = 0;
	bool any_plain = false, any_same = false;

	const char *unit = NULL;

	ino->res_pid = 0;
	ino->res_holders = 0;
	ino->res_comm[0] = 0;
	ino->has_result = false;
	if (n > 0) {
		pr = calloc(n, sizeof(*pr));
		cand = calloc(n, sizeof(*cand));
		anc = calloc(n, sizeof(*anc));
		if (!pr || !cand || !anc)
			return;
	}
	for (uint32_t i = 0; i < n; i++) {
		pr[i] = owner_find_proc(o, ino->pids[i]);
		if (pr[i] && !pr[i]->manager)
			any_plain = true;
	}
	for (uint32_t i = 0; i < n; i++)
		if (pr[i] && (!any_plain || !pr[i]->manager) && ino->cgid && pr[i]->cgid == ino->cgid)
			any_same = true;
	for (uint32_t i = 0; i < n; i++) {
		if (!pr[i] || (any_plain && pr[i]->manager) || (any_same && pr[i]->cgid != ino->cgid))
			continue;
		cand[n_cand].pid = pr[i]->pid;
		cand[n_cand].idx = i;
		n_cand++;
	}
	if (n_cand > 1)
		qsort(cand, n_cand, sizeof(*cand), owner_cmp_cand);

	/* Credit every candidate met on each holder's ancestor chain. */
	for (uint32_t i = 0; i < n && n_cand > 1; i++) {
		int32_t x = pr[i] ? pr[i]->ppid : -1;

		for (int depth = 0; depth < OWNER_ANCESTOR_DEPTH && x > 0; depth++) {
			struct owner_cand key = { .pid = x };
			struct owner_cand *c = bsearch(&key, cand, n_cand, sizeof(*cand), owner_cmp_cand);

			if (c && c->idx != i)
				anc[c->idx]++;
			if (x == 1)
				break;
			x = owner_ppid_of(o, x);
		}
	}
	for (uint32_t k = 0; k < n_cand; k++) {
		uint32_t i = cand[k].idx;

		/* cand is ascending by pid: ">" keeps the lowest on a tie. */
		if (!best || anc[i] > best_anc) {
			best = pr[i];
			best_anc = anc[i];
		}
	}

	if (cg && cg->known && cg->unit[0])
		unit = cg->unit;
	if (best) {
		ino->res_pid = best->pid;
		memcpy(ino->res_comm, best->comm, sizeof(ino->res_comm));
		ino->res_holders = n;
		/* The process's own unit when it lives elsewhere than where the
		 * socket was created (socket activation: the manager's
		 * init.scope), or when the cgroup id told nothing. */
		if (best->unit[0] &&
		    (!unit || (cg && cg->manager && !best->manager) ||
		     (best->cgid && ino->cgid && best->cgid != ino->cgid)))
			unit = best->unit;
	}
	owner_ino_set_unit(ino, unit);
	ino->has_result = best || ino->res_unit;
}

void owner_select_all(struct sw_owners *o)
{
	o->ancestor_reads = 0;
	o->n_anc_cache = 0;
	for (size_t i = 0; i < o->n_inos; i++)
		owner_select(o, &o->inos[i]);
	o->dirty = false;
}

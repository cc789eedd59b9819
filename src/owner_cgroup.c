/* The owner cache's map of cgroup v2 ids to paths and units: filled from
 * holders' /proc/PID/cgroup, else by a bounded, rate-limited walk of the
 * cgroup tree; also the "cgroup first" order of a scan's pids. */
#include "owner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "macro.h"

/* Scans of at least this many pids first read the pids of the sought
 * listeners' cgroups (a smaller one ends within a refresh or two anyway,
 * not worth a cgroup walk), taking at most this many cgroups and pids. */
#define OWNER_CGFIRST_MIN_WORK  64
#define OWNER_CGFIRST_MAX_CGS   256
#define OWNER_CGFIRST_MAX_PIDS  4096

int owner_cg_open_root(const char *cgroot)
{
	int fd = cgroot ? open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int v2;

	if (fd < 0 || faccessat(fd, "cgroup.controllers", F_OK, 0) == 0)
		return fd;
	v2 = openat(fd, "unified", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v2 >= 0 && faccessat(v2, "cgroup.controllers", F_OK, 0) < 0) {
		close(v2);
		v2 = -1;
	}
	close(fd);
	return v2;
}

static int owner_key_cg(const void *key, const void *elem)
{
	uint64_t x = *(const uint64_t *)key, y = ((const struct owner_cg *)elem)->id;

	return (x > y) - (x < y);
}

struct owner_cg *owner_find_cg(const struct sw_owners *o, uint64_t id)
{
	bool found;
	size_t i = owner_search(&id, o->cgs, o->n_cgs, sizeof(*o->cgs), owner_key_cg, &found);

	return found ? &o->cgs[i] : NULL;
}

/* Adds or overwrites the entry for id; NULL when out of memory. */
static struct owner_cg *owner_cg_insert(struct sw_owners *o, uint64_t id, bool known,
					const char *path)
{
	struct owner_cg *cg, *np;
	bool found;
	size_t pos = owner_search(&id, o->cgs, o->n_cgs, sizeof(*o->cgs), owner_key_cg, &found);

	if (found) {
		cg = &o->cgs[pos];
		free(cg->path);
	} else {
		np = realloc(o->cgs, (o->n_cgs + 1) * sizeof(*np));
		if (!np)
			return NULL;
		o->cgs = np;
		memmove(&o->cgs[pos + 1], &o->cgs[pos], (o->n_cgs - pos) * sizeof(*np));
		o->n_cgs++;
		cg = &o->cgs[pos];
	}
	memset(cg, 0, sizeof(*cg));
	cg->id = id;
	cg->known = known;
	if (known && path) {
		(void)owner_unit_from_cgroup_path(path, cg->unit, sizeof(cg->unit));
		cg->manager = owner_path_is_manager(path);
		/* Only orders scans (cgroup first): without it, scans are
		 * merely slower to find the owner. */
		cg->path = strdup(path);
	}
	return cg;
}

static int owner_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* ids ascending. */
static bool owner_id_in(const uint64_t *ids, size_t n, uint64_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), owner_cmp_u64);
}

/* Sorts ids and drops duplicates; returns the new count. */
static size_t owner_sort_unique(uint64_t *ids, size_t n)
{
	size_t k = 0;

	if (n > 1)
		qsort(ids, n, sizeof(*ids), owner_cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	return k;
}

/* Walks the cgroup v2 tree (bounded depth and size) for the directories
 * whose inode numbers are the ids asked for (ascending, distinct). Returns
 * how many it found. */
static size_t owner_cg_walk(struct sw_owners *o, const uint64_t *ids, size_t n_ids)
{
	struct {
		DIR *d;
		size_t pathlen;
	} stack[OWNERS_CGROUP_MAX_DEPTH + 1];
	char path[PATH_MAX];
	size_t depth = 0, dirs = 0, found = 0;
	struct stat st;

	o->stats.cgroup_walks++;
	if (fstat(o->cgfd, &st) == 0 && owner_id_in(ids, n_ids, (uint64_t)st.st_ino)) {
		if (owner_cg_insert(o, (uint64_t)st.st_ino, true, "/"))
			found++;
	}
	if (procfs_opendir_at(o->cgfd, ".", &stack[0].d) < 0)
		return found;
	stack[0].pathlen = 0;
	path[0] = 0;
	while (found < n_ids && dirs < OWNERS_CGROUP_MAX_DIRS) {
		DIR *top = stack[depth].d;
		struct dirent *de = readdir(top);
		size_t nl, pl = stack[depth].pathlen;

		if (!de) {
			closedir(top);
			if (depth == 0)
				return found;
			depth--;
			continue;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nl = strlen(de->d_name);
		if (pl + 1 + nl >= sizeof(path))
			continue;
		if (fstatat(dirfd(top), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		dirs++;
		path[pl] = '/';
		memcpy(path + pl + 1, de->d_name, nl + 1);
		if (owner_id_in(ids, n_ids, (uint64_t)st.st_ino) &&
		    owner_cg_insert(o, (uint64_t)st.st_ino, true, path))
			found++;
		if (depth + 1 > OWNERS_CGROUP_MAX_DEPTH)
			continue;
		if (procfs_opendir_at(dirfd(top), de->d_name, &stack[depth + 1].d) < 0)
			continue;
		depth++;
		stack[depth].pathlen = pl + 1 + nl;
	}
	for (;;) {
		closedir(stack[depth].d);
		if (depth == 0)
			break;
		depth--;
	}
	return found;
}

/* Every wanted cgroup id gets an entry: from a holder living in that
 * cgroup, else from a (rate-limited) walk; not found is remembered, since
 * cgroup ids are never reused. Entries no inode refers to are dropped. */
int owner_resolve_cgroups(struct sw_owners *o, uint64_t now)
{
	_cleanup_free_ uint64_t *unknown = NULL;
	size_t n_unknown = 0;
	bool pending = false;
	size_t i, k;

	for (i = 0; i < o->n_inos; i++) {
		uint64_t id = o->inos[i].cgid;
		struct owner_cg *cg;
		bool have = false;

		if (id == 0)
			continue;
		cg = owner_find_cg(o, id);
		if (cg && cg->known)
			continue;
		/* A holder in that cgroup already told us its path. */
		for (k = 0; k < o->n_procs && !have; k++) {
			struct owner_proc *pr = o->procs[k];

			if (pr->cgid != id)
				continue;
			cg = owner_cg_insert(o, id, true, NULL);
			if (!cg)
				return -ENOMEM;
			memcpy(cg->unit, pr->unit, sizeof(cg->unit));
			cg->manager = pr->init_scope;
			o->dirty = true;
			have = true;
		}
		if (have || cg)
			continue;        /* known now, or a walk did not find it */
		if (!unknown) {
			unknown = malloc(o->n_inos * sizeof(*unknown));
			if (!unknown)
				return -ENOMEM;
		}
		unknown[n_unknown++] = id;
	}
	if (n_unknown)
		n_unknown = owner_sort_unique(unknown, n_unknown);
	if (n_unknown && o->cgfd >= 0 && o->have_walk && now - o->last_walk < o->params.min_rescan_usec)
		pending = true;
	else if (n_unknown && o->cgfd >= 0) {
		o->have_walk = true;
		o->last_walk = now;
		owner_cg_walk(o, unknown, n_unknown);
		for (i = 0; i < n_unknown; i++)
			if (!owner_find_cg(o, unknown[i]) && !owner_cg_insert(o, unknown[i], false, NULL))
				return -ENOMEM;
		o->dirty = true;
	}

	/* Drop entries for ids no listener has any more. */
	if (o->n_cgs > 0) {
		_cleanup_free_ uint64_t *used = malloc((o->n_inos ? o->n_inos : 1) * sizeof(*used));
		size_t n_used = 0;

		if (!used)
			return -ENOMEM;
		for (i = 0; i < o->n_inos; i++)
			if (o->inos[i].cgid)
				used[n_used++] = o->inos[i].cgid;
		n_used = owner_sort_unique(used, n_used);
		for (i = 0, k = 0; i < o->n_cgs; i++) {
			if (owner_id_in(used, n_used, o->cgs[i].id))
				o->cgs[k++] = o->cgs[i];
			else
				free(o->cgs[i].path);
		}
		o->n_cgs = k;
	}
	return pending ? 1 : 0;
}

/* Appends the pids listed in the cgroup.procs of the cgroup at path
 * (below the root) to pids, up to max in all. */
static void owner_read_procs(struct sw_owners *o, const char *path, int32_t *pids, size_t *n,
			     size_t max)
{
	char rel[PATH_MAX];
	ssize_t len;

	if (snprintf(rel, sizeof(rel), "%s/cgroup.procs", path[1] ? path + 1 : ".") >= (int)sizeof(rel))
		return;
	len = procfs_read_at(o->cgfd, rel, o->scratch, OWNER_SCRATCH);
	if (len <= 0)
		return;
	/* A cgroup with more processes than the scratch holds: the last
	 * number may be cut; the ones before are plenty to go first. */
	if ((size_t)len == OWNER_SCRATCH - 1) {
		char *nl = strrchr(o->scratch, '\n');

		if (!nl)
			return;
		nl[1] = 0;
	}
	procfs_parse_pid_list(o->scratch, pids, n, max);
}

/* Puts first in work (kept ascending otherwise) the pids that live in the
 * cgroups of the listeners the scan looks for: the process that created a
 * listener, or the one it was handed to, most often lives there, so it is
 * found within the first budget even when the whole scan takes many
 * refreshes. Other holders are found by the rest of the scan. A cgroup
 * whose path is unknown (not met by a walk) is not used. -ENOMEM only. */
int owner_scan_cgroup_first(struct sw_owners *o, int32_t *work, size_t n_work, uint64_t now)
{
	_cleanup_free_ uint64_t *ids = NULL;
	_cleanup_free_ int32_t *pids = NULL, *tmp = NULL;
	size_t n_ids = 0, n_pids = 0, k = 0;
	int r;

	if (n_work < OWNER_CGFIRST_MIN_WORK || o->cgfd < 0)
		return 0;
	for (size_t i = 0; i < o->n_inos; i++) {
		if (!o->inos[i].cgid || !owner_ino_sought(o, &o->inos[i]))
			continue;
		if (!ids) {
			ids = malloc(o->n_inos * sizeof(*ids));
			if (!ids)
				return -ENOMEM;
		}
		ids[n_ids++] = o->inos[i].cgid;
	}
	if (n_ids == 0)
		return 0;
	n_ids = owner_sort_unique(ids, n_ids);
	if (n_ids > OWNER_CGFIRST_MAX_CGS)
		n_ids = OWNER_CGFIRST_MAX_CGS;

	/* The paths: from the map, else the (rate-limited) walk it does. */
	r = owner_resolve_cgroups(o, now);
	if (r < 0)
		return r;
	pids = malloc(OWNER_CGFIRST_MAX_PIDS * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	for (size_t i = 0; i < n_ids && n_pids < OWNER_CGFIRST_MAX_PIDS; i++) {
		const struct owner_cg *cg = owner_find_cg(o, ids[i]);

		/* The root holds every process outside a unit (all of them
		 * on a host without systemd): no hint there. */
		if (cg && cg->known && cg->path && strcmp(cg->path, "/") != 0)
			owner_read_procs(o, cg->path, pids, &n_pids, OWNER_CGFIRST_MAX_PIDS);
	}
	if (n_pids == 0)
		return 0;
	if (n_pids > 1)
		qsort(pids, n_pids, sizeof(*pids), procfs_cmp_pid);

	/* Stable partition: those pids first, then the rest. */
	tmp = malloc(n_work * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < n_work; i++)
		if (owner_pid_in(pids, n_pids, work[i]))
			tmp[k++] = work[i];
	o->stats.cgroup_first += k;
	for (size_t i = 0; i < n_work; i++)
		if (!owner_pid_in(pids, n_pids, work[i]))
			tmp[k++] = work[i];
	memcpy(work, tmp, n_work * sizeof(*work));
	return 0;
}

/* On a hybrid layout where the v2 path is "/" the name=systemd v1 line
 * still tells the unit. */
void owner_proc_read_cgroup(struct sw_owners *o, struct owner_proc *pr)
{
	struct procfs_cgroup cg;
	const char *for_unit;

	pr->unit[0] = 0;
	pr->cgid = 0;
	if (procsrc_read_cgroup(o->src, pr->pid, o->scratch, OWNER_SCRATCH, &cg) < 0)
		return;
	if (cg.v2 && cg.v2[0] == '/' && o->cgfd >= 0) {
		struct stat st;

		if (fstatat(o->cgfd, cg.v2[1] ? cg.v2 + 1 : ".", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			pr->cgid = (uint64_t)st.st_ino;
	}
	for_unit = cg.v2;
	if ((!cg.v2 || strcmp(cg.v2, "/") == 0) && cg.v1_systemd && strcmp(cg.v1_systemd, "/") != 0)
		for_unit = cg.v1_systemd;
	if (for_unit && for_unit[0] == '/') {
		(void)owner_unit_from_cgroup_path(for_unit, pr->unit, sizeof(pr->unit));
		pr->init_scope = owner_path_is_manager(for_unit);
		pr->manager = pr->manager || pr->init_scope;
	}
}

void owner_cgs_free(struct sw_owners *o)
{
	for (size_t i = 0; i < o->n_cgs; i++)
		free(o->cgs[i].path);
	free(o->cgs);
	o->cgs = NULL;
	o->n_cgs = 0;
}

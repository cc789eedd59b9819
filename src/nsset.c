#include "nsset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "diag.h"
#include "event.h"
#include "filter.h"
#include "grow.h"
#include "helper.h"
#include "netns_name.h"
#include "procsrc.h"
#include "snapshot.h"
#include "usnap.h"
#include "tracker.h"
#include "util.h"

/* /proc/PID/cgroup of the member that names a namespace. */
#define NSSET_CGROUP_TEXT_MAX 4096

static size_t nsset_bound(void)
{
	struct rlimit rl;
	size_t max = SW_NSSET_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		size_t room = rl.rlim_cur > SW_NSSET_FD_RESERVE ?
				      (size_t)(rl.rlim_cur - SW_NSSET_FD_RESERVE) / NSDISC_N_FDS : 0;

		max = SW_MIN(max, 1 + room);
	}
	return max;
}

static void ns_free(struct sw_ns *ns)
{
	if (!ns)
		return;
	diag_close(ns->diag);
	nsdisc_fds_close(&ns->fds);
	snapshot_clear(&ns->snap);
	usnap_clear(&ns->usnap);
	tracker_free(ns->tracker);
	free(ns);
}

int nsset_init(struct sw_nsset *s, struct sw_diag *own_diag, struct sw_tracker *own_tracker,
	       bool syn_full_at_limit)
{
	struct sw_ns *own;

	memset(s, 0, sizeof(*s));
	s->v = calloc(1, sizeof(*s->v));
	own = calloc(1, sizeof(*own));
	if (!s->v || !own) {
		free(s->v);
		free(own);
		s->v = NULL;
		return -ENOMEM;
	}
	s->cap = 1;
	own->info = (struct sw_nsinfo)SW_NSINFO_HOST;
	(void)nsdisc_own_id(&own->info.id);
	own->fds = (struct nsdisc_fds)NSDISC_FDS_CLOSED;
	own->diag = own_diag;
	own->tracker = own_tracker;
	own->found_usec = util_now_usec();
	snapshot_init(&own->snap);
	usnap_init(&own->usnap);
	tracker_set_ns(own_tracker, &own->info);
	s->v[0] = own;
	s->n = 1;
	s->max = nsset_bound();
	s->syn_full_at_limit = syn_full_at_limit;
	s->own_only_reason = "not discovered yet";
	return 0;
}

void nsset_free(struct sw_nsset *s)
{
	for (size_t i = 0; i < s->n; i++)
		ns_free(s->v[i]);
	free(s->v);
	nsdisc_list_free(&s->list);
	free(s->ids);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

void nsset_set_mode(struct sw_nsset *s, bool all, const char *own_only_reason)
{
	s->all = all;
	s->own_only_reason = all ? NULL : own_only_reason;
}

/* Names entry e: its oldest member's cgroup, its bind mounts. */
static void nsset_name(const struct nsdisc_entry *e, struct sw_procsrc *src, struct sw_nsinfo *ret)
{
	char text[NSSET_CGROUP_TEXT_MAX];
	const char *cgroups[1], *mounts[2];
	struct procfs_cgroup cg = { 0 };
	struct netns_facts f = { .cgroups = cgroups, .mounts = mounts };

	if (e->oldest_pid > 0 && src &&
	    procsrc_read_cgroup(src, e->oldest_pid, text, sizeof(text), &cg) >= 0 && cg.v2)
		cgroups[f.n_cgroups++] = cg.v2;
	if (e->run_mount[0])
		mounts[f.n_mounts++] = e->run_mount;
	if (e->docker_mount[0])
		mounts[f.n_mounts++] = e->docker_mount;
	f.oldest_pid = e->oldest_pid;
	memset(ret, 0, sizeof(*ret));
	ret->id = e->id;
	ret->inode = e->inode;
	if (netns_name_make(&f, &ret->name) < 0) {
		/* Held by an fd or an unusable mount only: its id names it. */
		ret->name.kind = NETNS_KIND_PID;
		snprintf(ret->name.name, sizeof(ret->name.name), "id:%llu",
			 (unsigned long long)e->id);
	}
}

/* A name that a later pass may better: a member may only now have moved
 * into its container's or pod's cgroup (a CNI runtime makes and mounts
 * the namespace before the sandbox process joins it). The kinds are in
 * the order of the naming rules, the first the strongest; a pod's name is
 * final. */
static bool nsset_name_weak(const struct sw_nsinfo *info)
{
	return info->name.kind > NETNS_KIND_POD;
}

/* Whether another watched namespace (not skip) has this name. */
static bool nsset_name_taken(const struct sw_nsset *s, const char *name, const struct sw_ns *skip)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] != skip && strcmp(s->v[i]->info.name.name, name) == 0)
			return true;
	return false;
}

/* Names are unique among the watched: two namespaces whose oldest members
 * sit in one container scope (a sandbox re-created while the old
 * namespace lingers) are told apart by the later one's id, "~<id>". */
static void nsset_name_unique(const struct sw_nsset *s, struct sw_nsinfo *info,
			      const struct sw_ns *skip)
{
	char base[NETNS_NAME_MAX];
	int k;

	if (!nsset_name_taken(s, info->name.name, skip))
		return;
	snprintf(base, sizeof(base), "%s", info->name.name);
	k = snprintf(info->name.name, sizeof(info->name.name), "%.*s~%llu",
		     (int)(sizeof(base) - 22), base, (unsigned long long)info->id);
	(void)k;
}

/* Feeds the tracker an empty poll: every listener gets its "listener gone"
 * handling, then the namespace's fds are closed. */
static void nsset_release(struct sw_nsset *s, size_t i, const struct sw_config *cfg,
			  uint64_t now_usec, struct sw_events *out)
{
	struct sw_ns *ns = s->v[i];

	(void)tracker_release(ns->tracker, cfg, now_usec, out);
	ns_free(ns);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
	if (s->rr > i)
		s->rr--;
	if (s->rr >= s->n)
		s->rr = 0;
	s->released++;
}

void nsset_release_others(struct sw_nsset *s, const struct sw_config *cfg, uint64_t now_usec,
			  struct sw_events *out)
{
	while (s->n > 1)
		nsset_release(s, s->n - 1, cfg, now_usec, out);
}

/* Opens and appends a namespace. 0, or -errno (the namespace is not
 * watched; -ESRCH: it went meanwhile). */
static int nsset_add(struct sw_nsset *s, struct sw_helper *h, const struct sw_nsinfo *info,
		     uint64_t now_usec)
{
	struct sw_ns *ns;
	int r;

	struct sw_ns **v = grow_array(s->v, &s->cap, s->n + 1, sizeof(*s->v), 16);

	if (!v)
		return -ENOMEM;
	s->v = v;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->info = *info;
	ns->fds = (struct nsdisc_fds)NSDISC_FDS_CLOSED;
	snapshot_init(&ns->snap);
	usnap_init(&ns->usnap);
	r = nsdisc_open(h, info->id, &ns->fds);
	if (r >= 0) {
		r = diag_adopt(ns->fds.diag, &ns->diag);
		ns->fds.diag = -1;       /* the diag has it, or closed it */
	}
	if (r >= 0)
		r = tracker_new(&ns->tracker);
	if (r < 0) {
		ns_free(ns);
		return r;
	}
	tracker_set_ns(ns->tracker, &ns->info);
	tracker_set_kernel(ns->tracker, s->syn_full_at_limit);
	ns->found_usec = now_usec;
	s->v[s->n++] = ns;
	s->found++;
	return 0;
}

static int nsset_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int nsset_cmp_key(const void *a, const void *b)
{
	const struct nsset_key *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The watched namespace with this id (not the own one), or NULL: the
 * keys are those of v[1..] sorted by id, built once per pass. */
static struct sw_ns *nsset_find(struct sw_nsset *s, size_t n_keys, uint64_t id)
{
	struct nsset_key k = { .id = id }, *hit;

	hit = bsearch(&k, s->keys, n_keys, sizeof(*s->keys), nsset_cmp_key);
	return hit ? s->v[hit->i] : NULL;
}

/* Sorts the ids of the listing (into s->ids) and of the watched ones
 * (into s->keys). */
static int nsset_sort(struct sw_nsset *s)
{
	const struct nsdisc_list *l = &s->list;
	uint64_t *ids = grow_array(s->ids, &s->ids_cap, l->n + 1, sizeof(*s->ids), 64);
	struct nsset_key *keys;

	if (!ids)
		return -ENOMEM;
	s->ids = ids;
	keys = grow_array(s->keys, &s->keys_cap, s->n, sizeof(*s->keys), 64);
	if (!keys)
		return -ENOMEM;
	s->keys = keys;
	for (size_t i = 0; i < l->n; i++)
		s->ids[i] = l->v[i].id;
	qsort(s->ids, l->n, sizeof(*s->ids), nsset_cmp_u64);
	return 0;
}

static size_t nsset_sort_keys(struct sw_nsset *s)
{
	for (size_t i = 1; i < s->n; i++)
		s->keys[i - 1] = (struct nsset_key){ .id = s->v[i]->info.id, .i = (uint32_t)i };
	qsort(s->keys, s->n - 1, sizeof(*s->keys), nsset_cmp_key);
	return s->n - 1;
}

/* The helper cannot watch other namespaces at all: the own one only,
 * the others released, and why. */
static int nsset_own_only(struct sw_nsset *s, const char *why, const struct sw_config *cfg,
			  uint64_t now_usec, struct sw_events *out)
{
	nsset_set_mode(s, false, why);
	nsset_release_others(s, cfg, now_usec, out);
	s->last_error = -EOPNOTSUPP;
	return -EOPNOTSUPP;
}

int nsset_discover(struct sw_nsset *s, struct sw_helper *h, struct sw_procsrc *src,
		   const struct sw_config *cfg, uint64_t now_usec, struct sw_events *out)
{
	uint64_t cpu0 = util_cpu_usec();
	struct nsdisc_list *l = &s->list;
	size_t unwatched = 0, filtered = 0, n_keys;
	int r;

	if (!s->all || !h)
		return 0;
	r = nsdisc_list(h, l);
	/* -EIO on the first pass: the helper could name no namespace (no
	 * NS_GET_ID); later, a passing failure. */
	if (r == -EIO && s->discoveries == 0 && !helper_broken(h))
		return nsset_own_only(s, "the kernel cannot identify network namespaces "
				      "(NS_GET_ID)", cfg, now_usec, out);
	if (r < 0) {
		s->last_error = r;
		return r;
	}

	/* Release those no longer listed (gone: no member, no bind mount)
	 * or no longer let in by the filter (a reload). */
	r = nsset_sort(s);
	if (r < 0) {
		s->last_error = r;
		return r;
	}
	for (size_t i = s->n; i-- > 1;) {
		struct sw_ns *ns = s->v[i];
		bool there = bsearch(&ns->info.id, s->ids, l->n, sizeof(*s->ids), nsset_cmp_u64);

		if (!there || !config_netns_match(cfg, ns->info.name.name))
			nsset_release(s, i, cfg, now_usec, out);
	}
	n_keys = nsset_sort_keys(s);

	/* The new ones, and better names for the known ones. */
	for (size_t i = 0; i < l->n; i++) {
		const struct nsdisc_entry *e = &l->v[i];
		struct sw_ns *known = NULL;
		struct sw_nsinfo info;

		if (e->own || e->id == s->v[0]->info.id) {
			if (!s->v[0]->info.id)
				s->v[0]->info.id = e->id;
			s->v[0]->info.inode = e->inode;
			tracker_set_ns(s->v[0]->tracker, &s->v[0]->info);
			continue;
		}
		known = nsset_find(s, n_keys, e->id);
		if (known) {
			if (nsset_name_weak(&known->info)) {
				nsset_name(e, src, &info);
				if (info.name.kind < known->info.name.kind) {
					nsset_name_unique(s, &info, known);
					known->info.name = info.name;
					tracker_set_ns(known->tracker, &known->info);
				}
			}
			continue;
		}
		nsset_name(e, src, &info);
		nsset_name_unique(s, &info, NULL);
		if (!config_netns_match(cfg, info.name.name)) {
			filtered++;
			continue;
		}
		if (s->n >= s->max) {
			unwatched++;
			continue;
		}
		r = nsset_add(s, h, &info, now_usec);
		if (r < 0 && helper_broken(h)) {
			s->last_error = r;
			return r;
		}
		if (r == -EPERM)
			return nsset_own_only(s, "the privileged helper may not enter network "
					      "namespaces (no CAP_SYS_ADMIN)", cfg, now_usec, out);
		if (r < 0 && r != -ESRCH)
			unwatched++;
	}
	s->unwatched = unwatched + (l->truncated ? 1 : 0);
	s->filtered = filtered;
	s->discoveries++;
	s->last_discovery_usec = now_usec;
	s->last_discovery_cpu_usec = util_cpu_usec() - cpu0;
	s->last_discovery_wall_usec = util_now_usec() - now_usec;
	s->last_error = 0;
	return 0;
}

int nsset_reopen(struct sw_nsset *s, struct sw_helper *h, size_t i)
{
	struct sw_ns *ns = s->v[i];
	struct nsdisc_fds fds = NSDISC_FDS_CLOSED;
	struct sw_diag *d = NULL;
	int r;

	if (i == 0 || !h)
		return -EINVAL;
	r = nsdisc_open(h, ns->info.id, &fds);
	if (r >= 0) {
		r = diag_adopt(fds.diag, &d);
		fds.diag = -1;
	}
	if (r < 0) {
		nsdisc_fds_close(&fds);
		return r;
	}
	diag_close(ns->diag);
	nsdisc_fds_close(&ns->fds);
	ns->diag = d;
	ns->fds = fds;
	ns->reopens++;
	return 0;
}

size_t nsset_next_idle(struct sw_nsset *s)
{
	size_t i;

	if (s->rr >= s->n)
		s->rr = 0;
	i = s->rr;
	s->rr = s->n ? (s->rr + 1) % s->n : 0;
	return i;
}

size_t nsset_listeners(const struct sw_nsset *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += tracker_count(s->v[i]->tracker);
	return n;
}

/* Listener -> owning process and systemd unit. See owner.h for the policy:
 * scans only while an inode is unattributed, incremental first, full scans
 * rate-limited, work per refresh bounded, everything else cached. */
#include "owner.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define OWNER_PID_COST        4u     /* budget units for opening one fd directory */
#define OWNER_ANCESTOR_DEPTH  32     /* ppid chain walked when choosing among holders */
#define OWNER_ANCESTOR_READS  256    /* stat reads of non-holders per selection pass */
#define OWNER_SCRATCH         16384  /* /proc/PID/cgroup, cgroup.procs are read into this */
/* Scans of at least this many pids first read the pids of the sought
 * listeners' cgroups (a smaller one ends within a refresh or two anyway,
 * not worth a cgroup walk), taking at most this many cgroups and pids. */
#define OWNER_CGFIRST_MIN_WORK  64
#define OWNER_CGFIRST_MAX_CGS   256
#define OWNER_CGFIRST_MAX_PIDS  4096

static const char owner_denied_reason[] =
	"no permission to read the open files (/proc/PID/fd) of some processes "
	"(needs root with CAP_SYS_PTRACE): owners of their listeners are unknown";

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
	bool has_result;
	struct sw_owner result;
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
	DIR *dir;                    /* fd directory of work[idx] while it is read */
	uint32_t *found;             /* wanted inodes seen in it so far */
	size_t n_found, cap_found;
};

struct sw_owners {
	int procfd;                  /* procroot */
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
	const char *reason;
	struct sw_owners_stats stats;
	char *scratch;
	/* ppids of non-holders met on ancestor chains, per selection pass */
	struct {
		int32_t pid, ppid;
	} anc_cache[OWNER_ANCESTOR_READS];
	unsigned n_anc_cache, ancestor_reads;
};

/* ------------------------------------------------------------------ */
/* Unit names                                                           */

static const char *const owner_unit_types[] = {
	"service", "scope", "slice", "socket", "mount", "swap",
};

/* The unit type of a cgroup directory name ("slice", "service", ...), or
 * NULL when it is not a unit name. */
static const char *owner_unit_type(const char *name, size_t len)
{
	const char *dot = NULL;

	if (len == 0 || len > 255)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.')
			dot = name + i;
		else if (!isalnum(c) && !strchr(":-_\\@", c))
			return NULL;
	}
	if (!dot || dot == name)
		return NULL;
	for (size_t i = 0; i < SW_ARRAY_SIZE(owner_unit_types); i++) {
		size_t tl = strlen(owner_unit_types[i]);

		if ((size_t)(name + len - dot - 1) == tl && memcmp(dot + 1, owner_unit_types[i], tl) == 0)
			return owner_unit_types[i];
	}
	return NULL;
}

static int owner_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends name with \xHH decoded; an escape that would give a control or
 * non-ASCII byte stays as written so the result is always printable. */
static int owner_append_unescaped(char *out, size_t len, size_t *pos, const char *name, size_t nlen)
{
	for (size_t i = 0; i < nlen; i++) {
		char c = name[i];

		if (c == '\\' && i + 3 < nlen && name[i + 1] == 'x') {
			int hi = owner_hexval(name[i + 2]), lo = owner_hexval(name[i + 3]);

			if (hi >= 0 && lo >= 0 && hi * 16 + lo >= 0x20 && hi * 16 + lo < 0x7f) {
				c = (char)(hi * 16 + lo);
				i += 3;
			}
		}
		if (*pos + 1 >= len)
			return -ENOBUFS;
		out[(*pos)++] = c;
	}
	out[*pos] = 0;
	return 0;
}

int owner_unit_from_cgroup_path(const char *path, char *unit, size_t len)
{
	const char *outer = NULL, *inner = NULL;
	size_t outer_len = 0, inner_len = 0, pos = 0;
	const char *p;
	int r;

	if (!path || path[0] != '/' || !unit || len == 0)
		return -EINVAL;
	for (p = path; *p;) {
		const char *c, *type;
		size_t cl;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		cl = (size_t)(p - c);
		if (cl == 0)
			break;
		/* systemd prefixes "_" to cgroup names that could clash with
		 * kernel files ("cpu.service" -> "_cpu.service"). */
		if (c[0] == '_') {
			c++;
			cl--;
		}
		type = owner_unit_type(c, cl);
		if (!type || strcmp(type, "slice") == 0)
			continue;
		if (!outer) {
			outer = c;
			outer_len = cl;
		} else {
			inner = c;
			inner_len = cl;
			break;
		}
	}
	if (!outer)
		return -ENOENT;
	r = owner_append_unescaped(unit, len, &pos, outer, outer_len);
	if (r == 0 && inner) {
		r = owner_append_unescaped(unit, len, &pos, "/", 1);
		if (r == 0)
			r = owner_append_unescaped(unit, len, &pos, inner, inner_len);
	}
	if (r < 0)
		unit[0] = 0;
	return r;
}

/* Whether the cgroup path's last component is init.scope: the cgroup of a
 * service manager (systemd itself, or a user's systemd --user). */
static bool owner_path_is_manager(const char *path)
{
	size_t l = strlen(path);

	while (l > 0 && path[l - 1] == '/')
		l--;
	return l >= 11 && memcmp(path + l - 11, "/init.scope", 11) == 0;
}

/* ------------------------------------------------------------------ */
/* Small readers on the proc root                                       */

/* Reads at most size-1 bytes of dirfd/rel and NUL-terminates. -errno. */
static ssize_t owner_read_at(int dirfd, const char *rel, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t len = 0;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	return (ssize_t)len;
}

static bool owner_vanished_errno(int r)
{
	/* A process that exits while we read it: its directory is gone
	 * (ENOENT), or the task is dead (ESRCH). */
	return r == -ENOENT || r == -ESRCH;
}

/* The comm as shown: a process names itself (prctl, /proc/PID/comm), so
 * control characters become '?' to keep journal and JSON output sane. */
static void owner_copy_comm(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < SW_COMM_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = 0;
}

/* /proc/PID/stat: "pid (comm) S ppid ... starttime(22) ...". comm may
 * hold spaces and parentheses, so fields are counted after the last ')'.
 * It is the same comm as /proc/PID/comm, read here with the rest so that a
 * holder's renaming is seen by every recheck at no extra cost (ret_comm:
 * SW_COMM_MAX bytes, may be NULL). A zombie counts as gone: it holds no
 * fds any more. */
static int owner_read_stat(struct sw_owners *o, int32_t pid, int32_t *ret_ppid,
			   uint64_t *ret_start, char *ret_comm)
{
	char rel[32], buf[1024];
	const char *p, *lp, *rp;
	long long ppid = -1;
	unsigned long long start = 0;
	ssize_t n;
	char state;

	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	n = owner_read_at(o->procfd, rel, buf, sizeof(buf));
	if (n < 0)
		return owner_vanished_errno((int)n) ? -ESRCH : (int)n;
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return -EINVAL;
	p = rp + 2;
	state = *p;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	for (int field = 3; *p && field <= 22; field++) {
		char *end;

		if (field == 4 || field == 22) {
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);

			if (errno || end == p)
				return -EINVAL;
			if (field == 4)
				ppid = (long long)v;
			else
				start = v;
		}
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	if (ppid < 0 || ppid > INT32_MAX)
		return -EINVAL;
	*ret_ppid = (int32_t)ppid;
	if (ret_start)
		*ret_start = start;
	if (ret_comm)
		owner_copy_comm(ret_comm, lp + 1, (size_t)(rp - lp - 1));
	return 0;
}

/* /proc/PID/cgroup: "0::/path" is the v2 cgroup. On a hybrid layout where
 * it is "/" the name=systemd v1 line still tells the unit. */
static void owner_read_cgroup(struct sw_owners *o, struct owner_proc *pr)
{
	char rel[32];
	const char *for_unit;
	char *v2 = NULL, *v1 = NULL, *line, *save = NULL;
	ssize_t n;

	pr->unit[0] = 0;
	pr->cgid = 0;
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pr->pid);
	n = owner_read_at(o->procfd, rel, o->scratch, OWNER_SCRATCH);
	if (n <= 0)
		return;
	for (line = strtok_r(o->scratch, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *del;

		if (strncmp(line, "0::", 3) == 0)
			v2 = line + 3;
		else if ((del = strstr(line, ":name=systemd:")) && del == strchr(line, ':'))
			v1 = del + strlen(":name=systemd:");
	}
	if (v2) {
		/* A removed cgroup is shown with a " (deleted)" suffix. */
		char *d = strstr(v2, " (deleted)");

		if (d)
			*d = 0;
	}
	if (v2 && v2[0] == '/' && o->cgfd >= 0) {
		struct stat st;

		if (fstatat(o->cgfd, v2[1] ? v2 + 1 : ".", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			pr->cgid = (uint64_t)st.st_ino;
	}
	for_unit = v2;
	if ((!v2 || strcmp(v2, "/") == 0) && v1 && strcmp(v1, "/") != 0)
		for_unit = v1;
	if (for_unit && for_unit[0] == '/') {
		(void)owner_unit_from_cgroup_path(for_unit, pr->unit, sizeof(pr->unit));
		pr->init_scope = owner_path_is_manager(for_unit);
		pr->manager = pr->manager || pr->init_scope;
	}
}

/* ------------------------------------------------------------------ */
/* Tables                                                               */

static int owner_cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static bool owner_pid_in(const int32_t *arr, size_t n, int32_t pid)
{
	return n && bsearch(&pid, arr, n, sizeof(*arr), owner_cmp_i32);
}

static struct owner_ino *owner_find_ino(const struct sw_owners *o, uint32_t inode)
{
	size_t lo = 0, hi = o->n_inos;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->inos[mid].inode == inode)
			return &o->inos[mid];
		if (o->inos[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Index of pid in o->procs, or where it would go (*found false). */
static size_t owner_proc_pos(const struct sw_owners *o, int32_t pid, bool *found)
{
	size_t lo = 0, hi = o->n_procs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->procs[mid]->pid == pid) {
			*found = true;
			return mid;
		}
		if (o->procs[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct owner_proc *owner_find_proc(const struct sw_owners *o, int32_t pid)
{
	bool found;
	size_t i = owner_proc_pos(o, pid, &found);

	return found ? o->procs[i] : NULL;
}

static struct owner_cg *owner_find_cg(const struct sw_owners *o, uint64_t id)
{
	size_t lo = 0, hi = o->n_cgs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->cgs[mid].id == id)
			return &o->cgs[mid];
		if (o->cgs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void owner_mark_pending(struct sw_owners *o, struct owner_ino *ino)
{
	ino->pend_scan_seq = o->scan_seq;
	ino->pend_full_seq = o->full_seq;
}

static void owner_ino_remove_pid(struct sw_owners *o, struct owner_ino *ino, int32_t pid)
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

/* Forgets a process and everything it held: it exited, or its pid now
 * belongs to someone else. */
static void owner_drop_proc(struct sw_owners *o, int32_t pid)
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

static void owner_proc_remove_inode(struct sw_owners *o, struct owner_proc *pr, uint32_t inode)
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

/* What a later read of a known holder's stat tells: its parent (it was
 * reparented) and its name (it renamed itself) may have changed. */
static void owner_proc_update(struct sw_owners *o, struct owner_proc *pr, int32_t ppid,
			      const char *comm)
{
	if (ppid != pr->ppid) {
		pr->ppid = ppid;
		o->dirty = true;
	}
	if (strcmp(comm, pr->comm) != 0) {
		memcpy(pr->comm, comm, sizeof(pr->comm));
		o->dirty = true;
	}
}

/* Loads a new holder's ppid, comm and cgroup. -ESRCH when it is gone. */
static int owner_add_proc(struct sw_owners *o, int32_t pid, struct owner_proc **ret)
{
	struct owner_proc *pr;
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
	r = owner_read_stat(o, pid, &pr->ppid, &pr->starttime, pr->comm);
	if (r < 0) {
		free(pr);
		return r;
	}
	pr->manager = pid == 1;
	owner_read_cgroup(o, pr);
	if (o->n_procs == o->cap_procs) {
		size_t cap = o->cap_procs ? o->cap_procs * 2 : 64;
		struct owner_proc **np = realloc(o->procs, cap * sizeof(*np));

		if (!np) {
			free(pr);
			return -ENOMEM;
		}
		o->procs = np;
		o->cap_procs = cap;
	}
	memmove(&o->procs[pos + 1], &o->procs[pos], (o->n_procs - pos) * sizeof(*o->procs));
	o->procs[pos] = pr;
	o->n_procs++;
	*ret = pr;
	return 0;
}

/* Records that pid holds a wanted inode. -ESRCH if the process is gone,
 * -ENOSPC when a bound is reached (the holding is then not recorded). */
static int owner_add_holding(struct sw_owners *o, struct owner_ino *ino, int32_t pid)
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

static void owner_free_ino(struct owner_ino *ino)
{
	free(ino->pids);
	ino->pids = NULL;
	ino->n_pids = ino->cap_pids = 0;
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

static int owner_sync_wanted(struct sw_owners *o, const uint32_t *inodes,
			     const uint64_t *cgids, size_t n)
{
	struct owner_ino *next;
	_cleanup_free_ struct owner_want *in = NULL;
	size_t nn = 0, i, j;
	bool same;

	if (n > OWNERS_MAX_INODES)
		n = OWNERS_MAX_INODES;
	in = malloc((n ? n : 1) * sizeof(*in));
	if (!in)
		return -ENOMEM;
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
		return 0;

	next = calloc(n ? n : 1, sizeof(*next));
	if (!next)
		return -ENOMEM;

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

/* ------------------------------------------------------------------ */
/* Scanning                                                             */

static void owner_note_denied(struct sw_owners *o)
{
	o->stats.denied++;
	if (!o->reason)
		o->reason = owner_denied_reason;
}

/* The numeric entries of procroot, ascending, at most OWNERS_MAX_PIDS. */
static int owner_list_pids(struct sw_owners *o, int32_t **ret, size_t *ret_n)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(o->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		char *end;
		long v;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		v = strtol(de->d_name, &end, 10);
		if (errno || *end || v <= 0 || v > INT32_MAX)
			continue;
		if (n >= OWNERS_MAX_PIDS)
			break;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			int32_t *np = realloc(pids, nc * sizeof(*np));

			if (!np) {
				closedir(d);
				return -ENOMEM;
			}
			pids = np;
			cap = nc;
		}
		pids[n++] = (int32_t)v;
	}
	closedir(d);
	/* /proc lists pids in order today; do not rely on it. */
	if (n > 1)
		qsort(pids, n, sizeof(*pids), owner_cmp_i32);
	*ret = pids;
	*ret_n = n;
	pids = NULL;
	return 0;
}

/* Whether a scan is still to look for the inode: it has no holder, and no
 * full scan has started since it lost them (else it is given up). */
static bool owner_ino_sought(const struct sw_owners *o, const struct owner_ino *ino)
{
	return ino->n_pids == 0 && ino->pend_full_seq == o->full_seq;
}

static int owner_scan_cgroup_first(struct sw_owners *o, int32_t *work, size_t n_work,
				   uint64_t now);

static int owner_start_scan(struct sw_owners *o, bool full, uint64_t now)
{
	_cleanup_free_ int32_t *listed = NULL;
	int32_t *work;
	size_t n_listed = 0, n_work = 0;
	int r;

	r = owner_list_pids(o, &listed, &n_listed);
	if (r == -ENOMEM)
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

static void owner_end_pid(struct sw_owners *o, int32_t pid, bool completed)
{
	struct owner_proc *pr;

	if (o->scan.dir) {
		closedir(o->scan.dir);
		o->scan.dir = NULL;
	}
	pr = owner_find_proc(o, pid);
	if (pr && completed) {
		/* What it held before and no longer holds: it closed them. */
		for (uint32_t k = pr->n_inodes; k-- > 0;) {
			uint32_t inode = pr->inodes[k];
			bool seen = false;

			for (size_t f = 0; f < o->scan.n_found && !seen; f++)
				seen = o->scan.found[f] == inode;
			if (seen)
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

/* Opens the fd directory of pid. Returns 1 when it is open, 0 when the
 * process is to be skipped (gone, or not ours to read). */
static int owner_begin_pid(struct sw_owners *o, int32_t pid)
{
	struct owner_proc *pr = owner_find_proc(o, pid);
	char rel[32];
	int fd;

	if (pr) {
		char comm[SW_COMM_MAX];
		int32_t ppid;
		uint64_t start;
		int r = owner_read_stat(o, pid, &ppid, &start, comm);

		/* A known holder seen again by a full scan: same process? */
		if (r < 0) {
			o->stats.vanished++;
			owner_drop_proc(o, pid);
			return 0;
		}
		if (start != pr->starttime)
			owner_drop_proc(o, pid);     /* pid reused: scan it as new */
		else
			owner_proc_update(o, pr, ppid, comm);
	}
	snprintf(rel, sizeof(rel), "%d/fd", (int)pid);
	fd = openat(o->procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		if (r == -EACCES || r == -EPERM)
			owner_note_denied(o);
		else
			o->stats.vanished++;
		owner_drop_proc(o, pid);
		return 0;
	}
	o->scan.dir = fdopendir(fd);
	if (!o->scan.dir) {
		close(fd);
		return 0;
	}
	o->scan.n_found = 0;
	o->stats.pids_scanned++;
	return 1;
}

/* Parses "socket:[123]". */
static bool owner_parse_socket_link(const char *s, uint32_t *ret)
{
	unsigned long long v = 0;
	const char *p;

	if (strncmp(s, "socket:[", 8) != 0)
		return false;
	for (p = s + 8; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (p == s + 8 || p[0] != ']' || p[1] != 0)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* Reads fd entries of the open directory until it ends (1) or the budget
 * runs out (0). <0: -ENOMEM. */
static int owner_read_fds(struct sw_owners *o, int32_t pid, uint32_t *budget)
{
	DIR *d = o->scan.dir;
	struct dirent *de;

	while (*budget > 0) {
		char link[64];
		uint32_t inode;
		ssize_t n;
		struct owner_ino *ino;
		int r;

		/* NULL at the end, or when the process exited under us
		 * (ENOENT): either way this directory is done. */
		de = readdir(d);
		if (!de)
			return 1;
		if (de->d_name[0] == '.')
			continue;
		(*budget)--;
		o->stats.fds_examined++;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n < 0) {
			/* Listing allowed but not following (ptrace access
			 * denied): the other entries will fail the same way. */
			if (errno == EACCES || errno == EPERM) {
				owner_note_denied(o);
				return 1;
			}
			continue;        /* closed meanwhile: normal */
		}
		link[n] = 0;
		if (!owner_parse_socket_link(link, &inode))
			continue;
		ino = owner_find_ino(o, inode);
		if (!ino)
			continue;
		r = owner_add_holding(o, ino, pid);
		if (r == -ENOMEM)
			return r;
		if (r == -ESRCH) {
			o->stats.vanished++;
			return -ESRCH;
		}
		if (r < 0)
			continue;    /* a bound: not recorded */
		if (o->scan.n_found == o->scan.cap_found) {
			size_t cap = o->scan.cap_found ? o->scan.cap_found * 2 : 16;
			uint32_t *np = realloc(o->scan.found, cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			o->scan.found = np;
			o->scan.cap_found = cap;
		}
		o->scan.found[o->scan.n_found++] = inode;
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

/* Runs the current scan for at most *budget units. -ENOMEM only. */
static int owner_scan_step(struct sw_owners *o, uint32_t *budget)
{
	while (o->scan.idx < o->scan.n_work && *budget > 0) {
		int32_t pid = o->scan.work[o->scan.idx];
		int r;

		if (!o->scan.dir) {
			*budget = *budget > OWNER_PID_COST ? *budget - OWNER_PID_COST : 0;
			if (owner_begin_pid(o, pid) == 0) {
				o->scan.idx++;
				continue;
			}
		}
		r = owner_read_fds(o, pid, budget);
		if (r == -ENOMEM)
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
static int owner_scan_due(const struct sw_owners *o, uint64_t now, bool *ret_full)
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
static void owner_recheck(struct sw_owners *o)
{
	for (size_t i = o->n_procs; i-- > 0;) {
		struct owner_proc *pr;
		char comm[SW_COMM_MAX];
		int32_t ppid;
		uint64_t start;

		if (i >= o->n_procs)
			continue;
		pr = o->procs[i];
		if (owner_read_stat(o, pr->pid, &ppid, &start, comm) < 0 || start != pr->starttime) {
			o->stats.vanished++;
			owner_drop_proc(o, pr->pid);
			continue;
		}
		owner_proc_update(o, pr, ppid, comm);
	}
}

/* ------------------------------------------------------------------ */
/* Cgroup ids                                                           */

/* Adds or overwrites the entry for id; NULL when out of memory. */
static struct owner_cg *owner_cg_insert(struct sw_owners *o, uint64_t id, bool known,
					const char *path)
{
	struct owner_cg *cg, *np;
	size_t pos = 0;

	while (pos < o->n_cgs && o->cgs[pos].id < id)
		pos++;
	if (pos < o->n_cgs && o->cgs[pos].id == id) {
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
	int fd;

	o->stats.cgroup_walks++;
	if (fstat(o->cgfd, &st) == 0 && owner_id_in(ids, n_ids, (uint64_t)st.st_ino)) {
		if (owner_cg_insert(o, (uint64_t)st.st_ino, true, "/"))
			found++;
	}
	fd = openat(o->cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return found;
	stack[0].d = fdopendir(fd);
	if (!stack[0].d) {
		close(fd);
		return found;
	}
	stack[0].pathlen = 0;
	path[0] = 0;
	while (found < n_ids && dirs < OWNERS_CGROUP_MAX_DIRS) {
		DIR *top = stack[depth].d;
		struct dirent *de = readdir(top);
		size_t nl, pl = stack[depth].pathlen;
		int cfd;

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
		cfd = openat(dirfd(top), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (cfd < 0)
			continue;
		stack[depth + 1].d = fdopendir(cfd);
		if (!stack[depth + 1].d) {
			close(cfd);
			continue;
		}
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
static int owner_resolve_cgroups(struct sw_owners *o, uint64_t now)
{
	_cleanup_free_ uint64_t *unknown = NULL;
	size_t n_unknown = 0;
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
	if (n_unknown && o->cgfd >= 0 &&
	    (!o->have_walk || now - o->last_walk >= o->params.min_rescan_usec)) {
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
	return 0;
}

/* Appends the pids listed in the cgroup.procs of the cgroup at path
 * (below the root) to pids, up to max in all. */
static void owner_read_procs(struct sw_owners *o, const char *path, int32_t *pids, size_t *n,
			     size_t max)
{
	char rel[PATH_MAX];
	const char *p;
	ssize_t len;

	if (snprintf(rel, sizeof(rel), "%s/cgroup.procs", path[1] ? path + 1 : ".") >= (int)sizeof(rel))
		return;
	len = owner_read_at(o->cgfd, rel, o->scratch, OWNER_SCRATCH);
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
	for (p = o->scratch; *p && *n < max;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (!errno && v > 0 && v <= INT32_MAX)
			pids[(*n)++] = (int32_t)v;
		p = end;
		while (*p == '\n' || *p == ' ')
			p++;
	}
}

/* Puts first in work (kept ascending otherwise) the pids that live in the
 * cgroups of the listeners the scan looks for: the process that created a
 * listener, or the one it was handed to, most often lives there, so it is
 * found within the first budget even when the whole scan takes many
 * refreshes. Other holders are found by the rest of the scan. A cgroup
 * whose path is unknown (not met by a walk) is not used. -ENOMEM only. */
static int owner_scan_cgroup_first(struct sw_owners *o, int32_t *work, size_t n_work,
				   uint64_t now)
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
		qsort(pids, n_pids, sizeof(*pids), owner_cmp_i32);

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

/* ------------------------------------------------------------------ */
/* Choosing the owner                                                   */

static int32_t owner_ppid_of(struct sw_owners *o, int32_t pid)
{
	struct owner_proc *pr = owner_find_proc(o, pid);
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
	if (owner_read_stat(o, pid, &ppid, NULL, NULL) < 0)
		ppid = -1;
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

	memset(&ino->result, 0, sizeof(ino->result));
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
		memcpy(ino->result.unit, cg->unit, sizeof(ino->result.unit));
	if (best) {
		ino->result.pid = best->pid;
		memcpy(ino->result.comm, best->comm, sizeof(ino->result.comm));
		ino->result.holders = n;
		/* The process's own unit when it lives elsewhere than where the
		 * socket was created (socket activation: the manager's
		 * init.scope), or when the cgroup id told nothing. */
		if (best->unit[0] &&
		    (!ino->result.unit[0] || (cg && cg->manager && !best->manager) ||
		     (best->cgid && ino->cgid && best->cgid != ino->cgid)))
			memcpy(ino->result.unit, best->unit, sizeof(ino->result.unit));
	}
	ino->has_result = best || ino->result.unit[0];
}

static void owner_select_all(struct sw_owners *o)
{
	o->ancestor_reads = 0;
	o->n_anc_cache = 0;
	for (size_t i = 0; i < o->n_inos; i++)
		owner_select(o, &o->inos[i]);
	o->dirty = false;
}

/* ------------------------------------------------------------------ */
/* Public                                                               */

int owners_new(const char *procroot, const char *cgroot, struct sw_owners **ret)
{
	struct sw_owners *o;
	int fd;

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
		.scan_budget = 20000,
	};
	o->scratch = malloc(OWNER_SCRATCH);
	if (!o->scratch) {
		free(o);
		return -ENOMEM;
	}
	o->procfd = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->procfd < 0) {
		int r = -errno;

		free(o->scratch);
		free(o);
		return r;
	}
	/* The v2 root: cgroot itself, or a hybrid layout's "unified". */
	fd = cgroot ? open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		if (faccessat(fd, "cgroup.controllers", F_OK, 0) == 0) {
			o->cgfd = fd;
		} else {
			o->cgfd = openat(fd, "unified", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (o->cgfd >= 0 && faccessat(o->cgfd, "cgroup.controllers", F_OK, 0) < 0) {
				close(o->cgfd);
				o->cgfd = -1;
			}
			close(fd);
		}
	}
	*ret = o;
	return 0;
}

void owners_free(struct sw_owners *o)
{
	if (!o)
		return;
	if (o->scan.dir)
		closedir(o->scan.dir);
	free(o->scan.work);
	free(o->scan.found);
	for (size_t i = 0; i < o->n_inos; i++)
		owner_free_ino(&o->inos[i]);
	free(o->inos);
	for (size_t i = 0; i < o->n_procs; i++) {
		free(o->procs[i]->inodes);
		free(o->procs[i]);
	}
	free(o->procs);
	free(o->scanned);
	for (size_t i = 0; i < o->n_cgs; i++)
		free(o->cgs[i].path);
	free(o->cgs);
	free(o->scratch);
	if (o->cgfd >= 0)
		close(o->cgfd);
	if (o->procfd >= 0)
		close(o->procfd);
	free(o);
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
	bool scanned = false;
	int r;

	r = owner_sync_wanted(o, inodes, cgroup_ids, n);
	if (r < 0)
		return r;

	/* The period starts with the first refresh: holders found by a scan
	 * are fresh then. */
	if (!o->have_recheck) {
		o->have_recheck = true;
		o->last_recheck = now_usec;
	} else if (now_usec - o->last_recheck >= o->params.recheck_usec) {
		o->last_recheck = now_usec;
		owner_recheck(o);
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
		*ret = ino->result;
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

/* The helper's network namespace table (see helper_ns.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "helper_ns.h"
#include "procfs.h"
#include "text.h"
#include "util.h"

#ifndef NS_GET_ID
/* linux/nsfs.h of Linux 6.11 and later: _IOR(NSIO, 0xd, __u64). */
#define NS_GET_ID _IOR(0xb7, 0xd, uint64_t)
#endif

/* Open addressing by inode during a listing: a power of two at least twice
 * PS_NETNS_MAX, so probes stay short. */
#define HASH_SIZE 16384
_Static_assert(HASH_SIZE >= 2 * PS_NETNS_MAX && (HASH_SIZE & (HASH_SIZE - 1)) == 0,
	       "hash sized for a full listing");

struct entry {
	struct ps_netns w;
	uint64_t oldest_start;       /* of w.oldest_pid; UINT64_MAX unknown */
	dev_t dev;                   /* nsfs device, with w.inode the listing's key */
};

struct helper_ns {
	int procfd;
	int ownfd;                   /* nsfs fd of the helper's own namespace: the way back */
	uint64_t own_id;
	dev_t own_dev;
	ino_t own_ino;
	struct entry *v;
	size_t n, cap;
	bool truncated;
	int32_t hash[HASH_SIZE];     /* index + 1 into v by inode; 0 free */
};

/* The order of struct nsdisc_fds after the sock_diag socket. */
static const char *const collector_files[PS_NETNS_FDS - 1] = {
	"/proc/sys/net/core/somaxconn",
	"/proc/sys/net/ipv4/tcp_max_syn_backlog",
	"/proc/sys/net/ipv4/tcp_syncookies",
	"/proc/thread-self/net/netstat",
};

static int ns_get_id(int fd, uint64_t *ret)
{
	uint64_t id = 0;

	if (ioctl(fd, NS_GET_ID, &id) < 0)
		return -errno;
	if (id == 0)
		return -EIO;
	*ret = id;
	return 0;
}

int helper_ns_new(const char *procroot, struct helper_ns **ret)
{
	struct helper_ns *ns = calloc(1, sizeof(*ns));
	struct stat st;
	int r;

	if (!ns)
		return -ENOMEM;
	ns->ownfd = -1;
	ns->procfd = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ns->procfd < 0)
		goto fail;
	ns->ownfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns->ownfd < 0 || fstat(ns->ownfd, &st) < 0)
		goto fail;
	ns->own_dev = st.st_dev;
	ns->own_ino = st.st_ino;
	r = ns_get_id(ns->ownfd, &ns->own_id);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	*ret = ns;
	return 0;
fail:
	r = -errno;
	helper_ns_free(ns);
	return r;
}

void helper_ns_free(struct helper_ns *ns)
{
	if (!ns)
		return;
	if (ns->procfd >= 0)
		close(ns->procfd);
	if (ns->ownfd >= 0)
		close(ns->ownfd);
	free(ns->v);
	free(ns);
}

size_t helper_ns_count(const struct helper_ns *ns)
{
	return ns->n;
}

const struct ps_netns *helper_ns_entry(const struct helper_ns *ns, size_t i)
{
	return i < ns->n ? &ns->v[i].w : NULL;
}

bool helper_ns_truncated(const struct helper_ns *ns)
{
	return ns->truncated;
}

/* ---- the listing --------------------------------------------------------- */

static size_t slot_of(uint64_t inode)
{
	return (size_t)((inode * 0x9e3779b97f4a7c15ull) >> 50) & (HASH_SIZE - 1);
}

/* The entry of (dev, inode), or -1. */
static ssize_t find_inode(const struct helper_ns *ns, dev_t dev, uint64_t inode)
{
	for (size_t s = slot_of(inode);; s = (s + 1) & (HASH_SIZE - 1)) {
		int32_t i = ns->hash[s];

		if (i == 0)
			return -1;
		if (ns->v[i - 1].w.inode == inode && ns->v[i - 1].dev == dev)
			return i - 1;
	}
}

static ssize_t find_id(const struct helper_ns *ns, uint64_t id)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].w.id == id)
			return (ssize_t)i;
	return -1;
}

/* A new entry: its index, -1 when the listing is full (truncated), or
 * -ENOMEM. in_hash: keyed by inode (one per inode: a namespace of a mount
 * whose inode another entry holds stays out). */
static ssize_t add(struct helper_ns *ns, dev_t dev, uint64_t inode, uint64_t id, bool in_hash)
{
	struct entry *e;

	if (ns->n == PS_NETNS_MAX) {
		ns->truncated = true;
		return -1;
	}
	if (ns->n == ns->cap) {
		struct entry *nv = grow_array(ns->v, &ns->cap, ns->n + 1, sizeof(*nv), 64);

		if (!nv)
			return -ENOMEM;
		ns->v = nv;
	}
	e = &ns->v[ns->n];
	*e = (struct entry){ .w = { .id = id, .inode = inode }, .oldest_start = UINT64_MAX,
			     .dev = dev };
	if (id == ns->own_id)
		e->w.flags = PS_NETNS_OWN;
	if (in_hash) {
		size_t s = slot_of(inode);

		while (ns->hash[s] != 0)
			s = (s + 1) & (HASH_SIZE - 1);
		ns->hash[s] = (int32_t)ns->n + 1;
	}
	return (ssize_t)ns->n++;
}

/* The id of rel (an nsfs file under dirfd, or an absolute path) if it
 * still is a net namespace of inode (and dev, unless 0): 0, *ret and
 * *ret_dev; 1 it is not (gone, reused, not a net namespace); or -EIO on a
 * kernel without NS_GET_ID (before 6.11: nothing to key by). */
static int id_at(int dirfd, const char *rel, int flags, dev_t dev, uint64_t inode,
		 uint64_t *ret, dev_t *ret_dev)
{
	_cleanup_close_ int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != inode || (dev && st.st_dev != dev))
		return 1;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return 1;
	r = ns_get_id(fd, ret);
	if (r == -ENOTTY || r == -EINVAL)
		return -EIO;
	*ret_dev = st.st_dev;
	return r < 0 ? 1 : 0;
}

/* A member: counted, and the oldest kept (the own namespace: the lowest
 * pid, no start time read; most pids are there). */
static void add_member(struct helper_ns *ns, struct entry *e, int32_t pid)
{
	struct procfs_stat st;

	e->w.members++;
	if (e->w.flags & PS_NETNS_OWN) {
		if (e->w.oldest_pid == 0 || pid < e->w.oldest_pid)
			e->w.oldest_pid = pid;
		return;
	}
	if (procfs_read_stat(ns->procfd, pid, &st) == 0 &&
	    (e->w.oldest_pid == 0 || st.starttime < e->oldest_start ||
	     (st.starttime == e->oldest_start && pid < e->w.oldest_pid))) {
		e->w.oldest_pid = pid;
		e->oldest_start = st.starttime;
	} else if (e->w.oldest_pid == 0) {
		e->w.oldest_pid = pid;   /* start time unknown: any later one wins */
	}
}

static int scan_pids(struct helper_ns *ns)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	fd = openat(ns->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		char rel[32];
		struct stat st;
		int32_t pid;
		ssize_t i;

		if (!procfs_parse_pid_name(de->d_name, &pid))
			continue;
		snprintf(rel, sizeof(rel), "%d/ns/net", (int)pid);
		/* Gone, a zombie, or not ours to look into: not counted. */
		if (fstatat(ns->procfd, rel, &st, 0) < 0)
			continue;
		i = find_inode(ns, st.st_dev, st.st_ino);
		if (i < 0) {
			uint64_t id;
			dev_t dev;

			if (st.st_dev == ns->own_dev && st.st_ino == ns->own_ino) {
				id = ns->own_id;
			} else {
				r = id_at(ns->procfd, rel, 0, st.st_dev, st.st_ino, &id, &dev);
				if (r < 0)
					break;
				if (r > 0) {
					r = 0;
					continue;    /* exited, or the pid is another process now */
				}
			}
			i = add(ns, st.st_dev, st.st_ino, id, true);
			if (i == -ENOMEM) {
				r = -ENOMEM;
				break;
			}
			if (i < 0)
				continue;            /* full: only the listed ones counted */
		}
		add_member(ns, &ns->v[i], pid);
	}
	closedir(d);
	return r;
}

static void set_mount(char field[PS_NETNS_MOUNT_MAX], const char *mount)
{
	if (field[0] && strcmp(mount, field) >= 0)
		return;
	memset(field, 0, PS_NETNS_MOUNT_MAX);
	memcpy(field, mount, strlen(mount));
}

static int scan_mounts(struct helper_ns *ns)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	int fd, r = 0;
	FILE *f;

	fd = openat(ns->procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;     /* a test's tree has none */
	f = fdopen(fd, "re");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	while (getline(&line, &size, f) > 0) {
		char mount[PS_NETNS_MOUNT_MAX];
		enum ps_mount_dir dir;
		uint64_t inode, id;
		ssize_t i;
		struct entry *e;
		dev_t dev;

		if (helper_ns_parse_mountinfo(line, mount, &inode, &dir) != 1)
			continue;
		/* O_NOFOLLOW|O_NONBLOCK: whatever is there now must be the
		 * namespace file itself (id_at checks it is), never a link or
		 * a FIFO put in its place. */
		r = id_at(AT_FDCWD, mount, O_NOFOLLOW | O_NONBLOCK, 0, inode, &id, &dev);
		if (r < 0)
			break;
		if (r > 0) {
			r = 0;
			continue;
		}
		i = find_inode(ns, dev, inode);
		if (i >= 0 && ns->v[i].w.id != id)
			i = find_id(ns, id);     /* the inode reused during the listing */
		if (i < 0) {
			i = add(ns, dev, inode, id, find_inode(ns, dev, inode) < 0);
			if (i == -ENOMEM) {
				r = -ENOMEM;
				break;
			}
			if (i < 0)
				continue;
		}
		e = &ns->v[i];
		set_mount(dir == PS_MOUNT_RUN ? e->w.run_mount : e->w.docker_mount, mount);
	}
	fclose(f);
	return r;
}

static int cmp_id(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->w.id < y->w.id ? -1 : x->w.id > y->w.id;
}

int helper_ns_list(struct helper_ns *ns)
{
	int r;

	ns->n = 0;
	ns->truncated = false;
	memset(ns->hash, 0, sizeof(ns->hash));
	r = scan_pids(ns);
	if (r >= 0)
		r = scan_mounts(ns);
	if (r < 0) {
		ns->n = 0;
		ns->truncated = false;
		return r;
	}
	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(*ns->v), cmp_id);
	return 0;
}

/* ---- entering one ---------------------------------------------------------- */

static void close_all(int fds[PS_NETNS_FDS])
{
	for (size_t i = 0; i < PS_NETNS_FDS; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Opened in the namespace the process is in now. */
static int open_collectors(int fds[PS_NETNS_FDS])
{
	fds[0] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fds[0] < 0)
		goto fail;
	for (size_t i = 0; i < PS_NETNS_FDS - 1; i++) {
		fds[i + 1] = open(collector_files[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fds[i + 1] < 0)
			goto fail;
	}
	return 0;
fail:
	close_all(fds);
	return -EIO;
}

/* An nsfs fd of e again, through its recorded member or a mount, checked
 * to be the very namespace listed (the pid may be another process now, the
 * mount point another namespace's). */
static int reopen(const struct helper_ns *ns, const struct entry *e)
{
	char rel[32];
	const char *paths[3];
	int dirs[3], n = 0;

	if (e->w.oldest_pid > 0) {
		snprintf(rel, sizeof(rel), "%d/ns/net", (int)e->w.oldest_pid);
		dirs[n] = ns->procfd;
		paths[n++] = rel;
	}
	if (e->w.run_mount[0]) {
		dirs[n] = AT_FDCWD;
		paths[n++] = e->w.run_mount;
	}
	if (e->w.docker_mount[0]) {
		dirs[n] = AT_FDCWD;
		paths[n++] = e->w.docker_mount;
	}
	for (int i = 0; i < n; i++) {
		int flags = dirs[i] == AT_FDCWD ? O_NOFOLLOW | O_NONBLOCK : 0;
		int fd = openat(dirs[i], paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
		uint64_t id = 0;

		if (fd < 0)
			continue;
		if (ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET && ns_get_id(fd, &id) == 0 &&
		    id == e->w.id)
			return fd;
		close(fd);
	}
	return -ESRCH;
}

int helper_ns_open(struct helper_ns *ns, uint64_t id, int fds[PS_NETNS_FDS])
{
	struct entry key = { .w = { .id = id } }, *e;
	int fd, r;

	for (size_t i = 0; i < PS_NETNS_FDS; i++)
		fds[i] = -1;
	e = ns->n ? bsearch(&key, ns->v, ns->n, sizeof(*ns->v), cmp_id) : NULL;
	if (!e)
		return -ESRCH;
	if (id == ns->own_id)
		return open_collectors(fds);     /* at home: no setns */
	fd = reopen(ns, e);
	if (fd < 0)
		return fd;
	r = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r == -EPERM ? -EPERM : -EIO;
	r = open_collectors(fds);
	/* Never serve on from a foreign namespace. */
	if (setns(ns->ownfd, CLONE_NEWNET) < 0) {
		close_all(fds);
		return -ENOTRECOVERABLE;
	}
	return r;
}

/* ---- mountinfo ------------------------------------------------------------- */

/* Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline,
 * \134 backslash) of a mountinfo field into out: its length, or -1 when it
 * does not fit (or decodes a NUL). */
static ssize_t unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (unsigned char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return (ssize_t)o;
}

int helper_ns_parse_mountinfo(const char *line, char mount[PS_NETNS_MOUNT_MAX],
			      uint64_t *ret_inode, enum ps_mount_dir *ret_dir)
{
	enum { MAXF = 64 };
	const char *f[MAXF];
	size_t fl[MAXF], nf = 0, sep = 0;
	const char *p = line;
	char buf[PS_NETNS_MOUNT_MAX];
	enum ps_mount_dir dir;
	uint64_t inode;
	ssize_t len;

	while (*p && *p != '\n' && nf < MAXF) {
		f[nf] = p;
		while (*p && *p != ' ' && *p != '\n')
			p++;
		fl[nf] = (size_t)(p - f[nf]);
		nf++;
		if (*p == ' ')
			p++;
	}
	/* id parent dev root mountpoint options [optional...] - type source super */
	for (size_t i = 6; i < nf; i++)
		if (fl[i] == 1 && f[i][0] == '-') {
			sep = i;
			break;
		}
	if (sep == 0 || sep + 1 >= nf || fl[sep + 1] != 4 || memcmp(f[sep + 1], "nsfs", 4) != 0)
		return 0;
	/* The root of an nsfs mount names the namespace: "net:[INODE]". */
	if (fl[3] < 7 || memcmp(f[3], "net:[", 5) != 0 || f[3][fl[3] - 1] != ']' ||
	    text_parse_u64(f[3] + 5, fl[3] - 6, UINT64_MAX, &inode) < 0 || inode == 0)
		return 0;
	len = unescape(f[4], fl[4], buf, sizeof(buf));
	if (len < 0)
		return 0;
	dir = ps_netns_mount_dir(buf, (size_t)len);
	if (dir == PS_MOUNT_NONE)
		return 0;
	memcpy(mount, buf, (size_t)len + 1);
	*ret_inode = inode;
	*ret_dir = dir;
	return 1;
}

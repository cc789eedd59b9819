/* /proc read directly or through the helper (see procsrc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "grow.h"
#include "helper.h"
#include "privsep.h"
#include "procsrc.h"
#include "text.h"
#include "util.h"

struct sw_procsrc {
	int procfd;                 /* local */
	struct sw_helper *helper;   /* or remote */
};

int procsrc_new_local(const char *procroot, struct sw_procsrc **ret)
{
	struct sw_procsrc *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->procfd = open(procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->procfd < 0) {
		int r = -errno;

		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int procsrc_new_helper(struct sw_helper *h, struct sw_procsrc **ret)
{
	struct sw_procsrc *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->procfd = -1;
	s->helper = h;
	*ret = s;
	return 0;
}

void procsrc_free(struct sw_procsrc *s)
{
	if (!s)
		return;
	if (s->procfd >= 0)
		close(s->procfd);
	free(s);
}

bool procsrc_fatal(int r)
{
	return r == -EPIPE || r == -EBADMSG || r == -ETIMEDOUT;
}

static int gone_or(int r)
{
	return r == -ENOENT || r == -ESRCH ? -ESRCH : r;
}

/* ---- local --------------------------------------------------------------- */

/* Process fd numbers are below the kernel's nr_open (1 << 20 by default). */
#define PROCSRC_MAX_FDS (1u << 20)

static bool is_procfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* The fd numbers above cursor of an open fd directory, ascending.
 * ordered: the directory is procfs, positioned after cursor, where they
 * come in order; then at most max are read (the caller asks one more than
 * it will examine, to tell whether the directory ends there). Else (a
 * test's tree) all are read and sorted. */
static int fd_numbers(DIR *d, int32_t cursor, bool ordered, size_t max, int32_t **ret,
		      size_t *ret_n)
{
	_cleanup_free_ int32_t *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!ordered)
		max = PROCSRC_MAX_FDS;
	/* NULL at the end, or when the process exited under us. */
	while (n < max && (de = readdir(d))) {
		uint64_t num;

		if (text_parse_u64(de->d_name, strlen(de->d_name), INT32_MAX, &num) < 0 ||
		    (int32_t)num <= cursor)
			continue;
		if (n == cap) {
			int32_t *nv = grow_array(v, &cap, n + 1, sizeof(*nv), 64);

			if (!nv)
				return -ENOMEM;
			v = nv;
		}
		v[n++] = (int32_t)num;
	}
	if (!ordered && n > 1)
		qsort(v, n, sizeof(*v), procfs_cmp_pid);
	*ret = v;
	*ret_n = n;
	v = NULL;
	return 0;
}

/* The fds of one process, read relative to its /proc directory opened
 * once: a pid reused after that open is another directory, so the start
 * time checked and the fds read are of one process. The fds are examined
 * in ascending order, so the last one examined is where the next step
 * resumes. */
static int local_socket_inodes(int procfd, struct procsrc_fds *f, uint32_t budget,
			       uint32_t *inodes, size_t *ret_n)
{
	_cleanup_close_ int piddir = -1;
	_cleanup_free_ int32_t *fds = NULL;
	char rel[16], stat[1024];
	struct procfs_stat st;
	size_t n_found = 0, n_fds = 0, i;
	bool ordered;
	ssize_t n;
	DIR *d;
	int r, fd;

	f->examined = 0;
	f->done = false;
	snprintf(rel, sizeof(rel), "%d", (int)f->pid);
	piddir = openat(procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return gone_or(-errno);
	/* stat's length is bounded by the kernel's format (52 numbers and a
	 * 16-byte comm, well under 1 KiB); a longer one fails to parse. */
	n = procfs_read_at(piddir, "stat", stat, sizeof(stat));
	r = n < 0 ? (int)n : procfs_parse_stat(stat, &st);
	if (r < 0)
		return gone_or(r);
	if (f->starttime != 0 && st.starttime != f->starttime)
		return -ESRCH;
	fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return gone_or(-errno);
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	/* On procfs a fd directory's position is the fd number + 2, so a
	 * step resumes where the last one stopped, in O(budget); elsewhere (a
	 * test's tree) the numbers are read, sorted and skipped. */
	ordered = is_procfs(fd) && lseek(fd, (off_t)f->cursor + 3, SEEK_SET) >= 0;
	r = fd_numbers(d, f->cursor, ordered, (size_t)budget + 1, &fds, &n_fds);
	if (r < 0) {
		closedir(d);
		return r;
	}
	for (i = 0; i < n_fds && f->examined < budget; i++) {
		char name[16], link[64];
		uint32_t inode;

		f->examined++;
		f->cursor = fds[i];
		snprintf(name, sizeof(name), "%d", (int)fds[i]);
		n = readlinkat(dirfd(d), name, link, sizeof(link) - 1);
		if (n < 0) {
			/* Listing allowed but not following (ptrace access
			 * denied): the other entries fail the same way. */
			if (errno == EACCES || errno == EPERM) {
				closedir(d);
				return -EACCES;
			}
			continue;       /* closed meanwhile: normal */
		}
		link[n] = 0;
		if (procfs_parse_socket_link(link, &inode))
			inodes[n_found++] = inode;
	}
	f->done = i == n_fds;
	closedir(d);
	f->starttime = st.starttime;
	*ret_n = n_found;
	return 0;
}

/* ---- through the helper ------------------------------------------------- */

static int remote(struct sw_procsrc *s, struct ps_request *req, struct ps_reply_header *h,
		  const void **payload)
{
	int r = helper_call(s->helper, req, h, payload);

	if (r < 0)
		return r;
	/* The helper refusing what we asked means one of us is broken. */
	if (h->err == -EBADMSG) {
		helper_mark_broken(s->helper, "refused a request");
		return -EBADMSG;
	}
	return h->err;
}

static int remote_stat(struct sw_procsrc *s, int32_t pid, struct procfs_stat *ret)
{
	struct ps_request req;
	struct ps_reply_header h;
	struct ps_stat st;
	const void *pl;
	int r;

	ps_request_file(&req, helper_next_seq(s->helper), PS_STAT, pid);
	r = remote(s, &req, &h, &pl);
	if (r < 0)
		return r;
	memcpy(&st, pl, sizeof(st));
	*ret = (struct procfs_stat){ .ppid = st.ppid, .starttime = st.starttime };
	/* Cleaned again here: the monitor trusts no text it did not check. */
	text_clean(ret->comm, sizeof(ret->comm), st.comm, sizeof(st.comm), 0);
	return 0;
}

static int remote_list_pids(struct sw_procsrc *s, size_t max, int32_t **ret, size_t *ret_n)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n = 0, cap = 0;
	int32_t after = 0;

	for (;;) {
		struct ps_request req;
		struct ps_reply_header h;
		const void *pl;
		int r;

		ps_request_pids(&req, helper_next_seq(s->helper), after);
		r = remote(s, &req, &h, &pl);
		if (r < 0)
			return r;
		if (n + h.n > cap) {
			int32_t *np = grow_array(pids, &cap, n + h.n, sizeof(*np), PS_MAX_PIDS);

			if (!np)
				return -ENOMEM;
			pids = np;
		}
		memcpy(pids + n, pl, h.n * sizeof(*pids));
		n += h.n;
		if (!(h.flags & PS_MORE) || h.n == 0 || n >= max)
			break;
		after = h.next;
	}
	*ret_n = SW_MIN(n, max);
	*ret = pids;
	pids = NULL;
	return 0;
}

/* Only the cgroup is sent as text. */
static ssize_t remote_cgroup(struct sw_procsrc *s, int32_t pid, char *buf, size_t size)
{
	struct ps_request req;
	struct ps_reply_header h;
	const void *pl;
	size_t n;
	int r;

	ps_request_file(&req, helper_next_seq(s->helper), PS_CGROUP, pid);
	r = remote(s, &req, &h, &pl);
	if (r < 0)
		return r;
	n = SW_MIN((size_t)h.n, size - 1);
	memcpy(buf, pl, n);
	buf[n] = 0;
	return (ssize_t)n;
}

static int remote_socket_inodes(struct sw_procsrc *s, struct procsrc_fds *f, uint32_t budget,
				uint32_t *inodes, size_t *ret_n)
{
	struct ps_request req;
	struct ps_reply_header h;
	const void *pl;
	int r;

	ps_request_fds(&req, helper_next_seq(s->helper), f->pid, f->starttime, f->cursor,
		       SW_MIN(budget, (uint32_t)PS_MAX_BUDGET));
	r = remote(s, &req, &h, &pl);
	if (r < 0)
		return r;
	memcpy(inodes, pl, h.n * sizeof(*inodes));
	*ret_n = h.n;
	f->examined = h.examined;
	if (h.examined > 0)
		f->cursor = h.next;
	f->done = !(h.flags & PS_MORE);
	f->starttime = h.starttime;
	return 0;
}

/* ---- the interface ------------------------------------------------------- */

int procsrc_list_pids(struct sw_procsrc *s, size_t max, int32_t **ret, size_t *ret_n)
{
	if (s->helper)
		return remote_list_pids(s, max, ret, ret_n);
	return procfs_list_pids(s->procfd, max, ret, ret_n);
}

ssize_t procsrc_cgroup_text(struct sw_procsrc *s, int32_t pid, char *buf, size_t size)
{
	char rel[32];
	ssize_t n;

	if (s->helper)
		return remote_cgroup(s, pid, buf, size);
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	n = procfs_read_at(s->procfd, rel, buf, size);
	return n < 0 ? gone_or((int)n) : n;
}

int procsrc_read_stat(struct sw_procsrc *s, int32_t pid, struct procfs_stat *ret)
{
	return s->helper ? remote_stat(s, pid, ret) : procfs_read_stat(s->procfd, pid, ret);
}

int procsrc_read_cgroup(struct sw_procsrc *s, int32_t pid, char *buf, size_t size,
			struct procfs_cgroup *ret)
{
	ssize_t n = procsrc_cgroup_text(s, pid, buf, size);

	if (n < 0)
		return (int)n;
	procfs_parse_cgroup(buf, ret);
	return 0;
}

int procsrc_socket_inodes(struct sw_procsrc *s, struct procsrc_fds *f, uint32_t budget,
			  uint32_t *inodes, size_t *ret_n)
{
	*ret_n = 0;
	if (budget == 0)
		return 0;
	budget = SW_MIN(budget, (uint32_t)PS_MAX_BUDGET);
	if (s->helper)
		return remote_socket_inodes(s, f, budget, inodes, ret_n);
	return local_socket_inodes(s->procfd, f, budget, inodes, ret_n);
}


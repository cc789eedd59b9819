/* Reading /proc relative to one directory fd; see procfs.h. */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "text.h"
#include "util.h"

/* Enough for every field of /proc/PID/stat up to starttime (22), the last
 * one used: a pid of at most 10 digits, the comm shown there (at most 64
 * bytes, a workqueue worker's "kworker/u8:3-events_unbound"; 15 otherwise)
 * in parentheses, the state, and 19 numeric fields of at most 20 digits and
 * a blank each: under 500 bytes. What a longer read would add are the
 * fields after starttime, which are not used (and may be cut). */
#define PROCFS_STAT_READ 1024

ssize_t procfs_read_at(int dirfd, const char *rel, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t len;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	len = util_read_fd(fd, buf, size - 1);
	if (len < 0)
		return len;
	buf[len] = 0;
	return len;
}

static bool procfs_vanished_errno(int r)
{
	/* A process that exits while we read it: its directory is gone
	 * (ENOENT), or the task is dead (ESRCH). */
	return r == -ENOENT || r == -ESRCH;
}

/* The decimal field at p, up to the next blank or newline. */
static int procfs_field_u64(const char *p, uint64_t max, uint64_t *ret)
{
	return text_parse_u64(p, strcspn(p, " \n"), max, ret) < 0 ? -EINVAL : 0;
}

int procfs_parse_stat(const char *text, struct procfs_stat *ret)
{
	const char *p, *lp, *rp;
	uint64_t ppid = 0, start = 0;
	bool have_ppid = false;
	char state;

	lp = strchr(text, '(');
	rp = strrchr(text, ')');
	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return -EINVAL;
	p = rp + 2;
	state = *p;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	for (int field = 3; *p && field <= 22; field++) {
		if (field == 4) {
			if (procfs_field_u64(p, INT32_MAX, &ppid) < 0)
				return -EINVAL;
			have_ppid = true;
		} else if (field == 22 && procfs_field_u64(p, UINT64_MAX, &start) < 0) {
			return -EINVAL;
		}
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	if (!have_ppid)
		return -EINVAL;
	ret->ppid = (int32_t)ppid;
	ret->starttime = start;
	/* A process names itself (prctl, /proc/PID/comm): its name reaches
	 * the journal and a terminal only cleaned. */
	text_clean(ret->comm, sizeof(ret->comm), lp + 1, (size_t)(rp - lp - 1), 0);
	return 0;
}

int procfs_read_stat(int procfd, int32_t pid, struct procfs_stat *ret)
{
	char rel[32], buf[PROCFS_STAT_READ];
	ssize_t n;

	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	n = procfs_read_at(procfd, rel, buf, sizeof(buf));
	if (n < 0)
		return procfs_vanished_errno((int)n) ? -ESRCH : (int)n;
	return procfs_parse_stat(buf, ret);
}

void procfs_parse_cgroup(char *text, struct procfs_cgroup *ret)
{
	char *v2 = NULL, *line, *save = NULL;

	ret->v2 = ret->v1_systemd = NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *del;

		if (strncmp(line, "0::", 3) == 0)
			v2 = line + 3;
		else if ((del = strstr(line, ":name=systemd:")) && del == strchr(line, ':'))
			ret->v1_systemd = del + strlen(":name=systemd:");
	}
	if (v2) {
		/* A removed cgroup is shown with a " (deleted)" suffix. */
		char *d = strstr(v2, " (deleted)");

		if (d)
			*d = 0;
	}
	ret->v2 = v2;
}

int procfs_read_cgroup(int procfd, int32_t pid, char *buf, size_t size,
		       struct procfs_cgroup *ret)
{
	char rel[32];
	ssize_t n;

	ret->v2 = ret->v1_systemd = NULL;
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	n = procfs_read_at(procfd, rel, buf, size);
	if (n < 0)
		return (int)n;
	procfs_parse_cgroup(buf, ret);
	return 0;
}

int procfs_cmp_pid(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* A pid of n decimal bytes at s: 1..INT32_MAX. */
static bool procfs_pid(const char *s, size_t n, int32_t *ret)
{
	uint64_t v;

	if (text_parse_u64(s, n, INT32_MAX, &v) < 0 || v == 0)
		return false;
	*ret = (int32_t)v;
	return true;
}

bool procfs_parse_pid_name(const char *name, int32_t *ret)
{
	return name[0] >= '1' && name[0] <= '9' && procfs_pid(name, strlen(name), ret);
}

int procfs_list_pids(int procfd, size_t max, int32_t **ret, size_t *ret_n)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int r;

	r = procfs_opendir_at(procfd, ".", &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		int32_t pid;

		if (!procfs_parse_pid_name(de->d_name, &pid))
			continue;
		if (n >= max)
			break;
		if (n == cap) {
			int32_t *np = grow_array(pids, &cap, n + 1, sizeof(*np), 256);

			if (!np) {
				closedir(d);
				return -ENOMEM;
			}
			pids = np;
		}
		pids[n++] = pid;
	}
	closedir(d);
	/* /proc lists pids in order today; do not rely on it. */
	if (n > 1)
		qsort(pids, n, sizeof(*pids), procfs_cmp_pid);
	*ret = pids;
	*ret_n = n;
	pids = NULL;
	return 0;
}

void procfs_parse_pid_list(const char *text, int32_t *pids, size_t *n, size_t max)
{
	const char *p = text;

	while (*p == '\n' || *p == ' ')
		p++;
	while (*p && *n < max) {
		size_t len = strspn(p, "0123456789");
		int32_t pid;

		if (len == 0)
			break;
		if (procfs_pid(p, len, &pid))
			pids[(*n)++] = pid;
		p += len;
		while (*p == '\n' || *p == ' ')
			p++;
	}
}

int procfs_opendir_at(int dirfd, const char *rel, DIR **ret)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;      /* its only failure for a directory fd */
	}
	*ret = d;
	return 0;
}

int procfs_open_fd_dir(int procfd, int32_t pid, DIR **ret)
{
	char rel[32];

	snprintf(rel, sizeof(rel), "%d/fd", (int)pid);
	return procfs_opendir_at(procfd, rel, ret);
}

bool procfs_parse_socket_link(const char *target, uint32_t *ret)
{
	static const char prefix[] = "socket:[";
	const size_t pl = sizeof(prefix) - 1;
	size_t len = strlen(target);
	uint64_t v;

	if (len < pl + 2 || memcmp(target, prefix, pl) != 0 || target[len - 1] != ']')
		return false;
	if (text_parse_u64(target + pl, len - pl - 1, UINT32_MAX, &v) < 0)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* The one seam through which /proc is read: every path is relative to a
 * directory fd the caller opened once (the real /proc, or a prepared tree
 * in tests), and the formats are parsed by pure functions over bytes.
 * A process that exits while it is read is reported as -ESRCH, never as a
 * failure of its own. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's TASK_COMM_LEN: a comm holds at most 15 bytes and a NUL. */
#define PROCFS_COMM_MAX 16

/* What the owner rules use of /proc/PID/stat. */
struct procfs_stat {
	int32_t ppid;
	uint64_t starttime;          /* ticks since boot: tells a reused pid apart */
	char comm[PROCFS_COMM_MAX];  /* control characters replaced by '?' */
};

/* Reads at most size-1 bytes of dirfd/rel and NUL-terminates (size > 0).
 * Returns the length read, or -errno. */
ssize_t procfs_read_at(int dirfd, const char *rel, char *buf, size_t size);

/* Pure: the text of /proc/PID/stat, "pid (comm) S ppid ... starttime(22)
 * ...". comm may hold spaces and parentheses, so fields are counted after
 * the last ')'; comm is cut to PROCFS_COMM_MAX - 1 bytes (a kernel thread's
 * name there may be longer). A zombie or dead task (state Z or X) holds no
 * fds any more: -ESRCH. A line that ends before starttime reads it as 0.
 * Returns 0, -ESRCH, or -EINVAL for a malformed text. */
int procfs_parse_stat(const char *text, struct procfs_stat *ret);

/* Reads and parses procfd/PID/stat: -ESRCH when the process is gone (or a
 * zombie), other -errno when it cannot be read, -EINVAL when malformed. */
int procfs_read_stat(int procfd, int32_t pid, struct procfs_stat *ret);

/* The two lines of /proc/PID/cgroup that name a process's unit. */
struct procfs_cgroup {
	const char *v2;              /* the "0::" path, " (deleted)" suffix removed */
	const char *v1_systemd;      /* the name=systemd hierarchy's path (hybrid layout) */
};

/* Pure: splits the text of /proc/PID/cgroup in place (lines are cut at
 * their newline); a field is NULL when its line is absent. */
void procfs_parse_cgroup(char *text, struct procfs_cgroup *ret);

/* Reads procfd/PID/cgroup into buf (size bytes) and parses it; the paths
 * point into buf. Returns 0 or -errno (an empty file gives two NULLs). */
int procfs_read_cgroup(int procfd, int32_t pid, char *buf, size_t size,
		       struct procfs_cgroup *ret);

/* qsort/bsearch order of pids (int32_t), ascending. */
int procfs_cmp_pid(const void *a, const void *b);

/* Pure: whether a /proc entry name is a process: a positive decimal pid
 * without leading zeros, at most INT32_MAX. */
bool procfs_parse_pid_name(const char *name, int32_t *ret);

/* The processes listed in procfd, ascending, at most max of them. *ret is
 * malloc'ed (may be NULL when none). Returns 0 or -errno. */
int procfs_list_pids(int procfd, size_t max, int32_t **ret, size_t *ret_n);

/* Pure: appends the pids of a kernel pid list (cgroup.procs: decimals
 * separated by newlines or blanks) to pids, up to max in all. Zero and
 * values past INT32_MAX are skipped; the list ends at the first token that
 * is not a decimal. */
void procfs_parse_pid_list(const char *text, int32_t *pids, size_t *n, size_t max);

/* Opens dirfd/rel (not through a symlink) as a directory stream. Returns 0
 * or -errno (-ENOMEM when only the stream could not be made). */
int procfs_opendir_at(int dirfd, const char *rel, DIR **ret);

/* Opens procfd/PID/fd for reading its entries. Returns 0 or -errno
 * (-EACCES/-EPERM: not ours to read; -ENOENT: gone). */
int procfs_open_fd_dir(int procfd, int32_t pid, DIR **ret);

/* Pure: the socket inode of an fd link's target, "socket:[INODE]". */
bool procfs_parse_socket_link(const char *target, uint32_t *ret);

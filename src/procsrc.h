/* Where the owner module reads /proc from: directly (a proc root this
 * process may read: tests' prepared trees, an unprivileged daemon that
 * sees only its own user's processes) or through the privileged helper
 * (helper.h), which reads other users' /proc for a monitor that holds no
 * capability. The owner logic (budgets, incremental scans, cgroup-first
 * order) is the same over both: only the reading moves.
 *
 * Errors: -ESRCH the process is gone (or is another one now); -EACCES not
 * ours to read; -ENOMEM. Through the helper also -EPIPE, -EBADMSG and
 * -ETIMEDOUT: the helper is broken for good (helper_broken() says why),
 * which the daemon treats as fatal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs.h"

struct sw_helper;
struct sw_procsrc;

/* procroot: a directory to read (opened once). */
int procsrc_new_local(const char *procroot, struct sw_procsrc **ret);
/* Every read goes to h (not owned). */
int procsrc_new_helper(struct sw_helper *h, struct sw_procsrc **ret);
void procsrc_free(struct sw_procsrc *s);                  /* NULL-safe */

/* Whether an error is the helper's breakdown rather than the process's. */
bool procsrc_fatal(int r);

/* The processes, ascending, at most max. *ret malloc'ed. */
int procsrc_list_pids(struct sw_procsrc *s, size_t max, int32_t **ret, size_t *ret_n);
/* The text of /proc/PID/cgroup, at most size-1 bytes, NUL-terminated
 * (what the helper sends back as it is). Returns its length or -errno. */
ssize_t procsrc_cgroup_text(struct sw_procsrc *s, int32_t pid, char *buf, size_t size);
/* Parent, start time and name (through the helper, as figures: never
 * the stat text, see privsep.h). */
int procsrc_read_stat(struct sw_procsrc *s, int32_t pid, struct procfs_stat *ret);
/* /proc/PID/cgroup into buf (size bytes), split as procfs_parse_cgroup. */
int procsrc_read_cgroup(struct sw_procsrc *s, int32_t pid, char *buf, size_t size,
			struct procfs_cgroup *ret);

/* One step through a process's fds. */
struct procsrc_fds {
	int32_t pid;
	uint64_t starttime;         /* in: 0 unknown (any process at pid); out: as read */
	int32_t cursor;             /* in/out: the last fd examined, -1 before the first */
	uint32_t examined;          /* out: entries examined by this step */
	bool done;                  /* out: no entry after cursor */
};

/* Examines at most budget fd entries after f->cursor (budget at most
 * PS_MAX_BUDGET), appending the socket inodes found to inodes (room for
 * budget of them); *ret_n is how many. Checks that pid is still the
 * process f->starttime names. */
int procsrc_socket_inodes(struct sw_procsrc *s, struct procsrc_fds *f, uint32_t budget,
			  uint32_t *inodes, size_t *ret_n);

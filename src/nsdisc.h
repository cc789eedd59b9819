/* Network namespace discovery and entry, the monitor's side (DESIGN.md
 * "Process model", "Network namespaces"): asks the privileged helper which
 * namespaces exist and for a namespace's collectors, opened inside it and
 * passed back with SCM_RIGHTS. The monitor never enters a namespace.
 *
 * The helper lists what it finds itself (the net namespace of every pid
 * in /proc, and the nsfs bind mounts under /run/netns and
 * /var/run/docker/netns in its mountinfo) and opens only a namespace of
 * its own last listing, named by id: the monitor cannot make it open a
 * path. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_helper;

/* Namespaces one listing reports at most; past it the listing says
 * truncated. */
#define NSDISC_MAX 8192
/* A mount point longer than this is not reported (its name would be
 * unusable: netns_name.h). */
#define NSDISC_MOUNT_MAX 96

struct nsdisc_entry {
	uint64_t id;                 /* NS_GET_ID: never reused */
	uint64_t inode;              /* nsfs inode (reused at once: not a key) */
	int32_t oldest_pid;          /* member with the earliest start time; 0: none */
	uint32_t members;            /* pids in it */
	bool own;                    /* the helper's (and so the monitor's) own */
	/* Mount points (as mountinfo lists them, "" none): the byte-smallest
	 * under /run/netns/ and the byte-smallest under /var/run/docker/netns/
	 * (or /run/docker/netns/). */
	char run_mount[NSDISC_MOUNT_MAX];
	char docker_mount[NSDISC_MOUNT_MAX];
};

struct nsdisc_list {
	struct nsdisc_entry *v;
	size_t n, cap;
	bool truncated;              /* more than NSDISC_MAX */
};

/* The fds of one namespace's collectors, all close-on-exec, -1 when not
 * open. The sock_diag socket and the netstat file pin the namespace; the
 * sysctl files do not (they read ENOENT once it is gone). */
struct nsdisc_fds {
	int diag;                    /* socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG) */
	int somaxconn;               /* /proc/sys/net/core/somaxconn */
	int max_syn_backlog;         /* /proc/sys/net/ipv4/tcp_max_syn_backlog */
	int syncookies;              /* /proc/sys/net/ipv4/tcp_syncookies */
	int netstat;                 /* /proc/thread-self/net/netstat */
};
#define NSDISC_FDS_CLOSED { -1, -1, -1, -1, -1 }
#define NSDISC_N_FDS 5

/* One discovery pass: every namespace the helper sees now, replacing
 * what *l held (its array reused). 0, or -errno: -EPIPE / -EBADMSG /
 * -ETIMEDOUT when the helper broke (helper_broken() says why). */
int nsdisc_list(struct sw_helper *h, struct nsdisc_list *l);
void nsdisc_list_free(struct nsdisc_list *l);

/* Opens namespace id (one of the helper's last listing): 0 and *ret
 * filled; -ESRCH it is gone (or was not listed), -EACCES / -EPERM refused,
 * -EIO the helper failed to open some collector; or a broken helper as
 * above. The diag socket's SO_NETNS_COOKIE is checked against id: a
 * mismatch is -EBADMSG (and breaks the helper). */
int nsdisc_open(struct sw_helper *h, uint64_t id, struct nsdisc_fds *ret);

/* Closes every fd that is open and sets it to -1. NULL-safe. */
void nsdisc_fds_close(struct nsdisc_fds *f);

/* The calling process's own namespace id (NS_GET_ID on
 * /proc/self/ns/net, falling back to SO_NETNS_COOKIE on a fresh socket):
 * 0 and *ret, or -errno. */
int nsdisc_own_id(uint64_t *ret);

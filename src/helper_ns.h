/* The privileged helper's network namespace table (privsep.h NETNS_LIST,
 * NETNS_OPEN): the listing it takes itself from /proc and its mountinfo,
 * and the entry into one listed namespace to open its collectors there.
 * Runs in the helper only; the monitor's side is nsdisc.c.
 *
 * The helper is single-threaded, so setns() moves the whole process; it
 * goes back to its own namespace (an nsfs fd kept from the start) before it
 * answers, and if it cannot, it must stop serving (-ENOTRECOVERABLE). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "privsep.h"

struct helper_ns;

/* A table over procroot (the real /proc, or a test's tree: then nothing is
 * found, as its pids have no ns/net); the own namespace is always the
 * calling process's, from the real /proc/self/ns/net. 0 or -errno. */
int helper_ns_new(const char *procroot, struct helper_ns **ret);
void helper_ns_free(struct helper_ns *ns);

/* A fresh listing into the table (the last one dropped): every pid of
 * procroot deduplicated by nsfs inode (opened only for a new inode, to
 * read NS_GET_ID; start times read only outside the own namespace), then
 * the nsfs bind mounts of procroot/self/mountinfo. At most PS_NETNS_MAX
 * entries (then truncated), sorted by id. 0 or -errno (then empty). */
int helper_ns_list(struct helper_ns *ns);

/* The last listing. */
size_t helper_ns_count(const struct helper_ns *ns);
const struct ps_netns *helper_ns_entry(const struct helper_ns *ns, size_t i);
bool helper_ns_truncated(const struct helper_ns *ns);

/* Opens the collectors of namespace id of the last listing, inside it, in
 * struct nsdisc_fds's order (diag socket, somaxconn, tcp_max_syn_backlog,
 * tcp_syncookies, netstat), all close-on-exec: 0 and fds[] set. -ESRCH not
 * listed or gone (its recorded member and mount no longer name it),
 * -EPERM/-EACCES refused, -EIO a collector failed to open (nothing kept),
 * -ENOTRECOVERABLE: the helper could not return to its own namespace and
 * must exit. */
int helper_ns_open(struct helper_ns *ns, uint64_t id, int fds[PS_NETNS_FDS]);

/* One line of mountinfo (no newline needed; it is not modified): 1 and
 * the decoded mount point (NUL-terminated) and the nsfs inode of its root
 * when it is a net namespace's nsfs mount in a directory of
 * ps_netns_mount_dir (whose answer *ret_dir holds); 0 for any other line.
 * Pure. */
int helper_ns_parse_mountinfo(const char *line, char mount[PS_NETNS_MOUNT_MAX],
			      uint64_t *ret_inode, enum ps_mount_dir *ret_dir);

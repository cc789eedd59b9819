/* The vocabulary between the monitor and its privileged helper (DESIGN.md
 * "Process model"): small fixed binary messages over a SOCK_SEQPACKET
 * socketpair, one request, one reply. Pure: encoding and strict validation
 * only; the two processes' I/O is in helper.c and procsrc.c.
 *
 * The helper answers only these questions, each about /proc:
 *   PIDS    the pids it can see, ascending, after a given one;
 *   STAT    what the owner rules use of /proc/PID/stat (parent, start time,
 *           name) as a fixed struct: never the text, whose code and stack
 *           addresses the kernel shows only to a ptrace-capable reader;
 *   CGROUP  the text of /proc/PID/cgroup;
 *   FDS     the socket inodes /proc/PID/fd holds, a budget of entries at a
 *           time, resuming after a given fd number, and only while the pid
 *           is still the process the monitor means (its start time);
 *   NETNS_LIST  the network namespaces it sees (the net namespace of every
 *           pid, and the nsfs bind mounts under /run/netns and docker's
 *           netns directory), in pages of a listing it takes itself into
 *           its own table when asked from the start (after index 0);
 *   NETNS_OPEN  the collectors of one namespace of that table, named by
 *           id (never by a path or pid the monitor gives): a sock_diag
 *           socket made inside it and four files opened inside it, passed
 *           back with SCM_RIGHTS (struct nsdisc_fds's order).
 * Everything else is refused. Every field of a request is checked, unused
 * ones must be zero, and a request or reply is exactly as long as its
 * header says: a message one byte short or long is refused. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS_MAGIC        0x53575031u          /* "SWP1" */
#define PS_PID_MAX      4194304              /* the kernel's PID_MAX_LIMIT */
#define PS_MAX_PIDS     8192                 /* pids per PIDS reply */
#define PS_FILE_MAX     16384                /* bytes of a STAT/CGROUP reply */
#define PS_MAX_BUDGET   8192                 /* fd entries per FDS request */
#define PS_NETNS_MAX    8192                 /* entries of one listing (NSDISC_MAX) */
#define PS_NETNS_PAGE   128                  /* entries per NETNS_LIST reply */
#define PS_NETNS_MOUNT_MAX 96                /* bytes of a mount point, its NUL included */
#define PS_NETNS_FDS    5                    /* fds of a NETNS_OPEN answer */

enum ps_type {
	PS_PIDS = 1,
	PS_STAT,
	PS_CGROUP,
	PS_FDS,
	PS_NETNS_LIST,
	PS_NETNS_OPEN,
	_PS_TYPE_MAX,
};

/* Host order: both ends are the same program on the same machine. */
struct ps_request {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;              /* 0 */
	uint32_t seq;
	int32_t pid;                 /* PIDS: list pids > pid (0: all); NETNS_LIST: entries
				      * after this index, 0..PS_NETNS_MAX (0: take a fresh
				      * listing first); NETNS_OPEN: 0; others: 1..PS_PID_MAX */
	uint64_t starttime;          /* FDS: /proc/PID/stat field 22 as the monitor knows it,
				      * 0 when it does not yet (the reply says it);
				      * NETNS_OPEN: the namespace id (nonzero) */
	int32_t after_fd;            /* FDS: resume after this fd (-1: from the start) */
	uint32_t budget;             /* FDS: entries to examine, 1..PS_MAX_BUDGET */
};

#define PS_MORE 0x1u                 /* PIDS/FDS/NETNS_LIST: stopped at a bound, ask again
				      * after next */
#define PS_TRUNCATED 0x2u            /* NETNS_LIST: the listing stopped at PS_NETNS_MAX */

struct ps_reply_header {
	uint32_t magic;
	uint16_t type;               /* the request's */
	uint16_t flags;              /* PS_MORE */
	uint32_t seq;                /* the request's */
	int32_t err;                 /* 0, or (then n = 0) one of PS_ERRORS: -ESRCH the pid
				      * is gone or is another process now (NETNS_OPEN: the
				      * namespace is gone or was not listed), -EACCES not
				      * readable, -EPERM not allowed (setns), -ENOMEM, -EIO
				      * anything else, -EBADMSG refused */
	uint32_t n;                  /* PIDS: pids; STAT: 1; CGROUP: bytes; FDS: inodes;
				      * NETNS_LIST: entries; NETNS_OPEN: PS_NETNS_FDS fds
				      * (in SCM_RIGHTS, no payload) */
	int32_t next;                /* PIDS: the last pid listed; FDS: the last fd examined;
				      * NETNS_LIST: the index of the last entry (after + n);
				      * NETNS_OPEN: 0 */
	uint32_t examined;           /* FDS: fd entries examined (counts against the budget) */
	uint32_t reserved;           /* 0 */
	uint64_t starttime;          /* FDS: the start time of the process the helper read */
};

/* A STAT answer's payload. */
struct ps_stat {
	int32_t ppid;
	uint32_t reserved;           /* 0 */
	uint64_t starttime;
	char comm[16];               /* NUL-terminated, control characters already '?' */
};

/* A NETNS_LIST answer's element: one namespace. */
struct ps_netns {
	uint64_t id;                 /* NS_GET_ID, nonzero */
	uint64_t inode;              /* nsfs inode, nonzero */
	int32_t oldest_pid;          /* member with the earliest start time (the own
				      * namespace: its lowest pid); 0 iff no member */
	uint32_t members;            /* pids in it, <= PS_PID_MAX */
	uint32_t flags;              /* PS_NETNS_OWN */
	uint32_t reserved;           /* 0 */
	/* "" or a mount point (ps_netns_mount_ok), NUL-padded: the byte-
	 * smallest under /run/netns/, and under /var/run/docker/netns/ or
	 * /run/docker/netns/. */
	char run_mount[PS_NETNS_MOUNT_MAX];
	char docker_mount[PS_NETNS_MOUNT_MAX];
};

#define PS_NETNS_OWN 0x1u            /* the helper's own namespace (one at most) */

enum ps_mount_dir {
	PS_MOUNT_NONE,
	PS_MOUNT_RUN,                /* /run/netns/NAME */
	PS_MOUNT_DOCKER,             /* /var/run/docker/netns/NAME, /run/docker/netns/NAME */
};

/* Which directory a mount point (len bytes, no NUL in them) is in: one
 * NAME directly under it, NAME neither "." nor "..", no '/', no control
 * character, len < PS_NETNS_MOUNT_MAX. Else PS_MOUNT_NONE. The helper
 * reports only such mounts, and the monitor accepts only them. */
enum ps_mount_dir ps_netns_mount_dir(const char *path, size_t len);

/* The only errors a reply may carry. */
#define PS_ERRORS { 0, -ESRCH, -EACCES, -EPERM, -ENOMEM, -EIO, -EBADMSG }

/* The largest payload of any reply (PIDS and FDS: 4 bytes an element),
 * and so the largest reply on the wire. */
#define PS_PAYLOAD_MAX 32768
#define PS_REPLY_MAX (sizeof(struct ps_reply_header) + PS_PAYLOAD_MAX)
_Static_assert(PS_MAX_PIDS * 4 <= PS_PAYLOAD_MAX && PS_MAX_BUDGET * 4 <= PS_PAYLOAD_MAX &&
	       PS_FILE_MAX <= PS_PAYLOAD_MAX &&
	       PS_NETNS_PAGE * sizeof(struct ps_netns) <= PS_PAYLOAD_MAX,
	       "every reply fits PS_REPLY_MAX");

/* A request of exactly len bytes: 0 and *ret filled, or -EBADMSG with
 * *ret_why saying what is wrong (a static string). */
int ps_request_parse(const void *buf, size_t len, struct ps_request *ret, const char **ret_why);

/* A reply of exactly len bytes to req: 0, header in *ret and the payload
 * at *ret_payload (inside buf); or -EBADMSG and *ret_why. Checks that it
 * answers req (type, seq), that n fits the type's bound and the length,
 * that PIDS are ascending and above req->pid, that an FDS reply examined
 * no more than the budget and found no more than it examined, that every
 * NETNS_LIST entry is well formed (strings terminated and NUL-padded,
 * mounts in their directory, reserved bits zero, pids in range) and that a
 * NETNS_OPEN answer announces exactly PS_NETNS_FDS fds (that they came is
 * the receiver's check). */
int ps_reply_parse(const struct ps_request *req, const void *buf, size_t len,
		   struct ps_reply_header *ret, const void **ret_payload, const char **ret_why);

/* Request builders: they fill every field (the rest zero). */
void ps_request_pids(struct ps_request *r, uint32_t seq, int32_t after_pid);
void ps_request_file(struct ps_request *r, uint32_t seq, enum ps_type type, int32_t pid);
void ps_request_fds(struct ps_request *r, uint32_t seq, int32_t pid, uint64_t starttime,
		    int32_t after_fd, uint32_t budget);
void ps_request_netns_list(struct ps_request *r, uint32_t seq, int32_t after);
void ps_request_netns_open(struct ps_request *r, uint32_t seq, uint64_t id);

/* Payload capacity, in elements, of a reply to req. */
size_t ps_reply_capacity(const struct ps_request *req);

/* A reply header for req (err 0, n 0); the caller sets n, next, flags. */
void ps_reply_init(struct ps_reply_header *h, const struct ps_request *req);

const char *ps_type_name(uint16_t type);     /* "pids", ..., "netns-open", "unknown" */

_Static_assert(sizeof(struct ps_request) == 32, "ps_request has no padding");
_Static_assert(sizeof(struct ps_stat) == 32, "ps_stat has no padding");
_Static_assert(sizeof(struct ps_reply_header) == 40, "ps_reply_header has no padding");
_Static_assert(sizeof(struct ps_netns) == 32 + 2 * PS_NETNS_MOUNT_MAX, "ps_netns has no padding");

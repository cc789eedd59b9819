/* One poll's UNIX-domain listeners of one network namespace, plain data:
 * listening stream and seqpacket sockets from a unix_diag dump (diag.c,
 * parsed by diag_parse.c). The UNIX twin of snapshot.h, kept apart because
 * nothing of the inet machinery (SYN groups, addresses, ports) applies.
 * Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Listeners kept per namespace (per snapshot); those past it are counted in
 * ->over_bound. The kernel has no limit of its own but the fd limits of
 * the processes holding them; 262144 covers any real host (a busy one has
 * tens to hundreds) at ~36 MiB, so a namespace full of listeners cannot
 * make the daemon allocate without end. */
#define SW_UNIX_LISTENERS_MAX 262144

/* sun_path is 108 bytes: a path name is at most 108 characters (the kernel
 * adds the NUL, UNIX_DIAG_NAME carries it: 109 bytes), an abstract one at
 * most 107 after its leading NUL. As shown ("@" for that NUL, control
 * characters replaced one for one) neither grows: 108 and a NUL. */
#define SW_UNIX_NAME_RAW_MAX 109
#define SW_UNIX_PATH_MAX     109

struct sw_unix_listener {
	uint64_t cookie;          /* udiag_cookie: unique per socket */
	uint32_t inode;           /* udiag_ino: the sockfs inode, socket:[N] in /proc/PID/fd */
	uint32_t uid;             /* UNIX_DIAG_UID (UDIAG_SHOW_UID); see has_uid */
	uint8_t type;             /* SOCK_STREAM or SOCK_SEQPACKET */
	uint32_t depth;           /* UNIX_DIAG_RQLEN udiag_rqueue: connections not yet accepted */
	uint32_t limit;           /* ... udiag_wqueue: sk_max_ack_backlog; full when depth > limit */
	char path[SW_UNIX_PATH_MAX];  /* as usnap_name() shows it; "" without a name */
	bool has_name;            /* a well-formed UNIX_DIAG_NAME came (unbound: none) */
	bool abstract;            /* path is "@name" (abstract namespace) */
	bool relative;            /* a path name bound relative to the binder's cwd */
	bool has_rqlen;           /* a well-formed UNIX_DIAG_RQLEN came */
	bool has_uid;             /* a well-formed UNIX_DIAG_UID came */
};

struct sw_unix_snapshot {
	uint64_t netns;           /* inode of the namespace, 0 if unknown */
	uint64_t taken_usec;      /* monotonic time of the dump */

	struct sw_unix_listener *listeners;
	size_t n_listeners, cap_listeners;
	uint64_t over_bound;      /* listeners past SW_UNIX_LISTENERS_MAX, not kept */

	/* What the parser skipped: malformed, truncated or unknown messages
	 * and attributes (as in struct sw_snapshot). */
	uint64_t skipped_msgs;
	uint64_t skipped_attrs;
	uint32_t dump_retries;    /* ENOBUFS / lost-part redos */
};

void usnap_init(struct sw_unix_snapshot *s);
/* Frees what the snapshot owns and re-initialises it; NULL-safe. */
void usnap_clear(struct sw_unix_snapshot *s);
/* Drops the listeners and the counters but keeps the allocation, for the
 * next poll; netns stays. */
void usnap_reset(struct sw_unix_snapshot *s);

/* Appends a copy of l. Past SW_UNIX_LISTENERS_MAX, counts it in
 * ->over_bound and returns 0. -ENOMEM. */
int usnap_add(struct sw_unix_snapshot *s, const struct sw_unix_listener *l);

/* Keeps the first n listeners (a rolled-back dump drops what it added). */
void usnap_truncate(struct sw_unix_snapshot *s, size_t n);

/* Sets l's name from the raw UNIX_DIAG_NAME payload (len bytes) the way
 * `ss -x` shows it: a path without its trailing NUL (relative when it does
 * not start with '/'); an abstract name (first byte NUL) as "@name", every
 * NUL in it as '@'. Control characters become '?' (text_clean()). -EINVAL,
 * l untouched, for what the kernel never sends: an empty name, one longer
 * than SW_UNIX_NAME_RAW_MAX, a path without its NUL or with a NUL before
 * the end. */
int usnap_name(struct sw_unix_listener *l, const void *raw, size_t len);

/* Removes the listeners whose sockfs inode is inode (order kept); returns
 * how many. */
size_t usnap_drop_inode(struct sw_unix_snapshot *s, uint32_t inode);

/* "stream", "seqpacket" (status and the journal), "unknown" otherwise. */
const char *usnap_type_name(uint8_t type);

/* Finds a listener by cookie (linear; NULL if absent). */
const struct sw_unix_listener *usnap_find_cookie(const struct sw_unix_snapshot *s,
						 uint64_t cookie);

/* The network namespaces the daemon watches (DESIGN.md "Network
 * namespaces"): the own one always, and with the privileged helper every
 * other one it discovers. Each has its own collectors (a sock_diag socket
 * and the sysctl and TcpExt files, opened inside it by the helper), its
 * own snapshot and its own tracker. Discovery every namespace_scan adds
 * the new ones and releases the gone ones: their listeners get the
 * tracker's "listener gone" handling, then every fd of theirs is closed so
 * the kernel can free them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsdisc.h"
#include "nsinfo.h"
#include "snapshot.h"
#include "usnap.h"

struct sw_config;
struct sw_diag;
struct sw_events;
struct sw_helper;
struct sw_tracker;

/* Namespaces watched at most (the own one included). Each costs
 * NSDISC_N_FDS fds; fewer are watched when RLIMIT_NOFILE leaves less. */
#define SW_NSSET_MAX 4096
/* Listeners watched at most per namespace: past it the dump's excess is
 * left out (ns->unwatched_listeners), with a warning. */
#define SW_NS_MAX_LISTENERS 262144
/* fds kept free for everything else when sizing by RLIMIT_NOFILE. */
#define SW_NSSET_FD_RESERVE 256

struct sw_ns {
	struct sw_nsinfo info;
	struct sw_diag *diag;
	struct nsdisc_fds fds;       /* the own namespace: all -1, read by path */
	struct sw_snapshot snap;
	struct sw_unix_snapshot usnap; /* its UNIX listeners ([daemon] unix) */
	bool usnap_ok;               /* usnap is this poll's: the UNIX dump succeeded */
	struct sw_tracker *tracker;
	uint64_t found_usec;         /* when first watched */
	uint64_t last_syn_usec;      /* start of its last SYN scan; 0 never */
	uint64_t last_syn_cost_usec; /* its CPU */
	uint64_t syn_scans;
	int last_error;              /* of its last listener dump: 0 or -errno */
	size_t unwatched_listeners;  /* of its last dump, past SW_NS_MAX_LISTENERS */
	uint32_t failed_dumps;       /* listener dumps failed in a row */
	uint64_t reopens;            /* collectors opened again after failures */
	uint64_t last_dump_usec;     /* start of its last listener dump; 0 never */
	size_t logged_unwatched;     /* what the journal was last told of it */
	uint64_t logged_unix_over;   /* ... of its UNIX listeners past the bound */
};

struct nsset_key {
	uint64_t id;
	uint32_t i;
};

struct sw_nsset {
	struct sw_ns **v;            /* v[0]: the own namespace */
	size_t n, cap;
	size_t max;                  /* SW_NSSET_MAX or what the fd limit allows */
	size_t rr;                   /* next index for an untriggered SYN scan */
	bool all;                    /* namespaces = all, and a helper to do it */
	const char *own_only_reason; /* why only the own one is watched; NULL when all */

	struct nsdisc_list list;     /* the last discovery's listing, reused */
	uint64_t discoveries;        /* passes that completed */
	uint64_t last_discovery_usec, last_discovery_cpu_usec, last_discovery_wall_usec;
	uint64_t found, released;    /* namespaces, since start */
	size_t unwatched;            /* in the last pass: over max, or failed to open */
	size_t filtered;             /* in the last pass: left out by [filter] namespaces */
	int last_error;              /* of the last pass: 0 or -errno */
	bool syn_full_at_limit;      /* for every new tracker (tracker_set_kernel) */
	size_t logged_unwatched;     /* unwatched count the journal was last told */
	uint64_t *ids;               /* scratch of a pass: the listing's ids, sorted */
	size_t ids_cap;
	struct nsset_key *keys;      /* ... and the watched ones' (v[1..]), sorted */
	size_t keys_cap;
};

/* v[0], the own namespace: its diag and tracker are taken over (freed by
 * nsset_free); its collectors are read by path. all: watch every namespace
 * (namespaces = all and a helper); else own_only_reason says why not. */
int nsset_init(struct sw_nsset *s, struct sw_diag *own_diag, struct sw_tracker *own_tracker,
	       bool syn_full_at_limit);
/* Frees every namespace and closes its fds. No events. */
void nsset_free(struct sw_nsset *s);

/* Whether every namespace is watched, and if not why ("namespaces = own",
 * "no privileged helper: ..."): a static or long-lived string. */
void nsset_set_mode(struct sw_nsset *s, bool all, const char *own_only_reason);

/* One discovery pass through the helper (src reads the members' cgroups
 * to name them): new namespaces the filter lets in are opened and watched,
 * gone ones and those the filter now leaves out are released, their
 * listeners' "listener gone" entries appended to out. Returns 0, or the
 * -errno that stopped the pass (a broken helper: helper_broken() says
 * why); the namespaces watched stay as they were. -EOPNOTSUPP: the helper
 * may not enter namespaces (no CAP_SYS_ADMIN) or the kernel cannot
 * identify them (no NS_GET_ID): the set now watches the own namespace
 * only, the others released, and own_only_reason says why. */
struct sw_procsrc;
int nsset_discover(struct sw_nsset *s, struct sw_helper *h, struct sw_procsrc *src,
		   const struct sw_config *cfg, uint64_t now_usec, struct sw_events *out);

/* Releases every namespace but the own one (namespaces = own after a
 * reload): their listeners' "listener gone" entries go to out. */
void nsset_release_others(struct sw_nsset *s, const struct sw_config *cfg, uint64_t now_usec,
			  struct sw_events *out);

/* Opens namespace i's collectors again through the helper (its socket
 * stuck: dumps failing in a row) and closes the old ones. Not the own one.
 * 0 or -errno (the old ones stay). */
int nsset_reopen(struct sw_nsset *s, struct sw_helper *h, size_t i);

/* The index of the next namespace for an untriggered SYN scan,
 * round-robin (v[0] is always there). */
size_t nsset_next_idle(struct sw_nsset *s);

/* Total listeners tracked in every namespace. */
size_t nsset_listeners(const struct sw_nsset *s);

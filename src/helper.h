/* The privileged helper (DESIGN.md "Process model"): a child forked at
 * start that keeps the capabilities reading other users' /proc and
 * entering network namespaces need, and answers the fixed questions of
 * privsep.h, nothing else. The monitor, the
 * parent, then drops every capability. This module holds both ends: the
 * helper's serving loop, and the monitor's side of one call.
 *
 * The helper never reads the config, the control socket, the network or a
 * netlink reply; it reads only /proc (and opens the nsfs mounts its
 * mountinfo lists), and what it sends back the monitor parses. The
 * collectors it opens inside a namespace it passes on unread. It exits when the monitor does: EOF on its socket, and
 * PR_SET_PDEATHSIG in case the monitor is killed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "privsep.h"

/* The capabilities the helper keeps (the unit grants these and no more):
 * CAP_SYS_ADMIN to setns() into a network namespace, CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH to read other users' /proc/PID/fd and ns/net. */
#define HELPER_CAPS_DESC "CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH"

/* How long the monitor waits for one reply: the helper answers from /proc
 * at once, so a silent one is broken. Well below WatchdogSec. */
#define HELPER_REPLY_TIMEOUT_MS 5000

struct sw_helper;

/* Whether this process holds what a helper would need (any of the three
 * capabilities): without it no helper is started, owners are looked up
 * locally and only the own namespace is watched. */
bool helper_wanted(void);

/* Forks the helper. In the parent: 0, *ret set (the monitor's handle).
 * In the child: 1, *ret NULL and *ret_fd its end of the socket: the caller
 * (main) runs helper_serve(*ret_fd) and exits with what it returns. <0:
 * -errno, nothing forked. */
int helper_spawn(struct sw_helper **ret, int *ret_fd);

/* The monitor's handle on a helper already running at pid, talking on fd
 * (taken over, also on failure). helper_spawn uses it; tests give it a
 * socketpair end of their own to play a broken helper. */
int helper_attach(int fd, pid_t pid, struct sw_helper **ret);

/* The helper's life: keeps only its capabilities, closes every other fd,
 * answers requests until EOF. Returns the exit code: 0 at EOF, 1 on a
 * failure to set up or to talk, or when it could not return to its own
 * network namespace. Refused requests are logged to stderr (the unit's
 * journal) and answered with -EBADMSG. */
int helper_serve(int fd);

/* What helper_answer made of one request. */
struct helper_out {
	size_t len;                  /* bytes of the reply */
	int fds[PS_NETNS_FDS];       /* NETNS_OPEN answered: sent with the reply, then
				      * closed by the caller; else -1 */
	size_t n_fds;
	const char *refused;         /* a malformed request: why (reply -EBADMSG) */
	const char *fatal;           /* the helper must stop, no reply to send: why */
};

/* Answers one request (len bytes) from src (a local source: /proc, or a
 * prepared tree in tests) and ns (the namespace table; NULL: none, netns
 * requests answered -EIO) into reply (PS_REPLY_MAX bytes). Also the
 * fuzzer's entry point. */
struct sw_procsrc;
struct helper_ns;
void helper_answer(struct sw_procsrc *src, struct helper_ns *ns, const void *req, size_t len,
		   void *reply, struct helper_out *out);

/* The monitor's side: sends req and waits for its reply (at most
 * HELPER_REPLY_TIMEOUT_MS). 0: *ret_h and *ret_payload (valid until the
 * next call) hold the checked reply, whose err may be -ESRCH etc. -EPIPE:
 * the helper is gone; -EBADMSG: it answered garbage; -ETIMEDOUT. After any
 * of those the helper is broken for good (helper_broken() says why). */
int helper_call(struct sw_helper *h, struct ps_request *req, struct ps_reply_header *ret_h,
		const void **ret_payload);

/* helper_call for a request answered with fds (NETNS_OPEN): fds[] holds
 * the PS_NETNS_FDS fds that came (close-on-exec) when the reply says it
 * sent them, else -1 each. A reply whose fds are not exactly what its
 * header announces, or were cut (MSG_CTRUNC: the monitor's fd table full
 * counts too), is -EBADMSG: what came is closed and the helper broken. */
int helper_call_fds(struct sw_helper *h, struct ps_request *req, struct ps_reply_header *ret_h,
		    int fds[PS_NETNS_FDS]);

/* Next request sequence number. */
uint32_t helper_next_seq(struct sw_helper *h);

/* NULL while the helper works; else why it does not ("exited with status
 * 1", "killed by signal 9", "answered garbage: ..."). */
const char *helper_broken(const struct sw_helper *h);

/* Records that the helper is broken, unless a reason is known already. */
void helper_mark_broken(struct sw_helper *h, const char *why);

/* The monitor's socket (for an event source that sees the helper die). */
int helper_fd(const struct sw_helper *h);
pid_t helper_pid(const struct sw_helper *h);

/* Reaps the helper if it exited (non-blocking) and records why; returns
 * true once it is gone. */
bool helper_reap(struct sw_helper *h);

/* Waits for a helper known to be exiting (its socket closed). */
bool helper_reap_exiting(struct sw_helper *h);
/* Whether a call found the helper's end of the socket closed. */
bool helper_closed(const struct sw_helper *h);

/* Shuts the socket for writing (the helper sees EOF and leaves), waits at
 * most 5 s for its end to close as it exits, then reaps it, killing it
 * first if it did not go. NULL-safe. */
void helper_free(struct sw_helper *h);

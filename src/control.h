/* The daemon side of the control socket (DESIGN.md "Control socket and
 * sockwatchctl"): an AF_UNIX stream socket on the manager's sd-event loop.
 * One request per connection: read one line (protocol.h), authorise, ask
 * the handler, write the reply, close. Never blocks the loop: every socket
 * is non-blocking, every client has a deadline and bounded buffers, and the
 * number of clients is capped, with the slots shared fairly between peer
 * uids. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "protocol.h"

struct json_object;
struct sw_control;

/* A reply: an object control formats, or a line the handler formatted
 * itself (one JSON object ending in a newline, malloc'd, at most
 * SW_CTL_REPLY_MAX bytes). control takes either and frees it once sent. */
struct sw_control_reply {
	struct json_object *object;
	char *line;
	size_t len;
};

/* Answers one request. Returns 0 with *ret filled in, or a negative errno,
 * which the client gets as {"error": "internal error: ..."} (-E2BIG: "reply
 * too large"). Requests control refuses (malformed, oversized, reload from
 * uid != 0) never reach it. */
typedef int (*sw_control_handler)(void *userdata, const struct sw_ctl_request *req,
				  uid_t peer_uid, struct sw_control_reply *ret);

#define SW_CONTROL_MAX_CLIENTS  32
/* Time a client has to send its request, and then again to take the reply. */
#define SW_CONTROL_TIMEOUT_USEC (5 * 1000000ULL)
/* Replies formatted and waiting to be read, all clients together. Past it,
 * a status, show or check request from a uid that already has a reply
 * waiting is told "too many replies waiting to be read" before any
 * document is built; a uid with none waiting is still answered, so the
 * bound is this plus one reply (SW_CTL_REPLY_MAX at most) per other uid. */
#define SW_CONTROL_REPLY_BUDGET (64u << 20)
/* Connections accepted per wake-up, so a connect flood cannot starve polls. */
#define SW_CONTROL_ACCEPT_BURST 16

/* Fair admission once every client slot is taken. uids[] holds the peer
 * uids of the clients connected now, oldest first. Returns the index of the
 * client to drop so that a newcomer from uid gets its slot, or -1 to refuse
 * the newcomer. Only the oldest client of the uid holding the most slots is
 * dropped, and only when that uid holds at least two more than the
 * newcomer's: every uid keeps an equal share, so a member of the socket's
 * group who floods it cannot lock out the operator. Pure. */
int control_pick_evictee(const uid_t *uids, size_t n, uid_t uid);

/* Creates the socket at path (mode 0660, group owner group when not NULL
 * or empty; a missing parent directory is created 0755) and serves it on e.
 * An existing socket nobody listens on is replaced.
 * Errors: -EADDRINUSE when a live socket (another sockwatchd) is there,
 * -ENOTSOCK when path exists and is not a socket, -ENAMETOOLONG, -EINVAL
 * when group names no group, or the errno of a failed system call. */
int control_new(sd_event *e, const char *path, const char *group, sw_control_handler h,
		void *userdata, struct sw_control **ret);

/* Closes every client and the socket, and removes the socket file if it is
 * still the one control_new made. NULL-safe. */
void control_free(struct sw_control *c);

/* For tests: other limits than the defaults above (max_clients at most
 * SW_CONTROL_MAX_CLIENTS). */
void control_set_limits(struct sw_control *c, size_t max_clients, uint64_t timeout_usec);

/* For tests: another reply budget than SW_CONTROL_REPLY_BUDGET. */
void control_set_reply_budget(struct sw_control *c, size_t bytes);

/* Clients currently connected (for tests and the daemon's STATUS= line). */
size_t control_n_clients(const struct sw_control *c);

/* The sockfs inode of the listening socket (what unix_diag reports as
 * udiag_ino), 0 when unknown: the poll leaves the daemon's own control
 * socket out of the UNIX listeners it watches. NULL-safe. */
uint32_t control_socket_inode(const struct sw_control *c);

/* The control protocol between sockwatchd and sockwatchctl: one JSON object
 * per line each way (DESIGN.md "Control socket and sockwatchctl"). Pure:
 * encoding, strict decoding and the helpers both sides share; no I/O.
 *
 * Requests (at most SW_CTL_REQUEST_MAX bytes, newline excluded):
 *   {"command":"status"}                    optional "all": bool,
 *                                           "listeners": [ "0.0.0.0:80", "*:443", ... ]
 *   {"command":"show","listener":"[::]:443"}
 *   {"command":"check"}  {"command":"reload"}  {"command":"version"}
 * status, show and check also take "netns": [ "docker:*", "blue", ... ]:
 * only the namespaces whose name matches one of these shell globs
 * (fnmatch(3)), their listeners and their objects in "namespaces".
 * A key a command does not take is an error, not ignored: a client that
 * asks for something the daemon does not understand (a newer sockwatchctl,
 * a typo) is told so instead of getting an answer to another question.
 *
 * Replies: the status document (for status, show and check), {"ok":true}
 * (reload), {"sockwatchd":"0.1.0","protocol":1} (version), or
 * {"error":"..."} for anything refused.
 *
 * The status document is DESIGN.md's shape. sockwatchctl also renders these
 * optional extras when the daemon provides them (absent ones are shown as
 * unknown, never an error):
 *   daemon.version            "0.1.0"
 *   daemon.fast_interval_ms   poll period while a listener is in alert
 *   daemon.last_poll_us       cost (CPU) of the last listener poll
 *   alerts                    {"warn","critical","clear"}: global thresholds, %
 *   idle_hidden               idle listeners protocol_filter_document() left out
 *   daemon.namespaces         the set watched: "mode" (all | own),
 *                             "own_only_reason", "watched", "max",
 *                             "unwatched", "filtered", "found", "released",
 *                             "discoveries", "last_discovery_age_ms",
 *                             "last_discovery_cpu_us", "last_error"
 *   namespaces[].deltas       same keys as "counters": change since the
 *                             previous poll ("counters" stay cumulative)
 *   namespaces[].name         the name (also in "id", where older daemons
 *                             put "host"); "netns_id", "inode", "own",
 *                             "kind", "container", "pod_uid", "listeners",
 *                             "age_ms", "syn_scan" {"last_age_ms","scans"},
 *                             "last_error"
 *   listeners[].netns_id      the namespace's 64-bit id beside its name
 *   listeners[].thresholds    {"warn","critical","clear"} in force for it
 *   listeners[].accept.somaxconn_stale  bool: somaxconn changed since listen()
 *   listeners[].history       [{"age_ms","accept","syn"[,"drops"]}]: the
 *                             deepest each queue got in that slot, and
 *                             optionally the drops in it
 *   listeners[].top_sources   [{"address","count"}], most entries first
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define SW_CTL_PROTOCOL_VERSION 1
#define SW_CTL_DEFAULT_SOCKET   "/run/sockwatchd/control"
/* Longest request line, newline excluded. */
#define SW_CTL_REQUEST_MAX      4096
/* Most listener filters in one status request. */
#define SW_CTL_FILTERS_MAX      64
/* Longest reply line a client accepts, and the most the daemon queues for
 * one client. A status document of 10k listeners is about 6 MiB. */
#define SW_CTL_REPLY_MAX        (16u << 20)
/* JSON nesting a request may use: {"listeners":[...]} needs 2. */
#define SW_CTL_REQUEST_DEPTH    4
/* Longest namespace glob of a request, in bytes. */
#define SW_CTL_NETNS_GLOB_MAX   128

enum sw_ctl_cmd {
	SW_CTL_STATUS,
	SW_CTL_SHOW,
	SW_CTL_CHECK,
	SW_CTL_RELOAD,
	SW_CTL_VERSION,
	_SW_CTL_CMD_MAX,
};

struct sw_ctl_request {
	enum sw_ctl_cmd cmd;
	bool all;              /* status: idle listeners too */
	char **listeners;      /* status: filters, normalised (see below) */
	size_t n_listeners;
	char *listener;        /* show: the listener, normalised */
	char **netns;          /* status, show, check: namespace globs; none: every one */
	size_t n_netns;
};

/* "status", ...; NULL when out of range. */
const char *protocol_cmd_name(enum sw_ctl_cmd c);
/* The command named s, or -EINVAL. */
int protocol_cmd_from_name(const char *s);

/* Normalises a listener name as the status document spells it:
 * "127.0.0.1:8080", "[::1]:443", or "*:8080" for every address on a port;
 * a UNIX listener's name ("/run/php/php8.2-fpm.sock", "@name") as given.
 * Returns 0 and a malloc'd string, -EINVAL or -ENOMEM. */
int protocol_listener_normalize(const char *s, char **ret);

/* Decodes one request line (len bytes, no newline needed; a trailing one is
 * allowed). Returns 0 and fills *ret; or -EINVAL (malformed, wrong types,
 * unknown command or key), -E2BIG (over SW_CTL_REQUEST_MAX or
 * SW_CTL_FILTERS_MAX) with a malloc'd message for the client in *ret_error;
 * or -ENOMEM. */
int protocol_parse_request(const char *line, size_t len, struct sw_ctl_request *ret,
			   char **ret_error);
/* Frees what a parsed request owns and zeroes it; NULL-safe. */
void protocol_request_clear(struct sw_ctl_request *r);

/* Encodes r as one line, newline included, in a malloc'd string. Fields the
 * command does not take are left out. -E2BIG when the line would exceed
 * SW_CTL_REQUEST_MAX or there are more than SW_CTL_FILTERS_MAX filters,
 * -EINVAL for an unknown command or a show without a listener. */
int protocol_format_request(const struct sw_ctl_request *r, char **ret, size_t *ret_len);

/* Reply objects; NULL only when out of memory. */
struct json_object *protocol_error_reply(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
struct json_object *protocol_ok_reply(void);
struct json_object *protocol_version_reply(void);

/* Encodes a reply as one line, newline included, in a malloc'd string.
 * -E2BIG over SW_CTL_REPLY_MAX, -ENOMEM. */
int protocol_format_reply(struct json_object *reply, char **ret, size_t *ret_len);

/* Decodes a reply line (client side). On success *ret holds the object (an
 * error reply is a success here: see protocol_reply_error). -EINVAL when
 * the line is not one JSON object, -ENOMEM. */
int protocol_parse_reply(const char *line, size_t len, struct json_object **ret);
/* The message of an {"error": "..."} reply, else NULL. */
const char *protocol_reply_error(struct json_object *reply);

/* What the request rules below look at in a listener, whether it is an
 * object of the status document or the daemon's own record (status.c
 * decides before it encodes anything). */
struct sw_ctl_listener_facts {
	const char *name;               /* "127.0.0.1:80"; NULL: none */
	const char *netns;              /* its namespace's name; NULL: "host" */
	bool has_port;
	int64_t port;
	int64_t accept_depth, syn_depth, drops_delta;   /* absent: 0 */
	bool state_ok;                  /* state "ok", or no state at all */
};
/* The facts of a listener object. */
void protocol_listener_facts(struct json_object *listener, struct sw_ctl_listener_facts *ret);
/* The rules on facts: idle, matching a filter, wanted by a status or show
 * request; the object versions below apply these. */
bool protocol_facts_idle(const struct sw_ctl_listener_facts *l);
bool protocol_facts_match(const struct sw_ctl_listener_facts *l, const char *filter);
bool protocol_request_wants(const struct sw_ctl_request *req, const struct sw_ctl_listener_facts *l);
/* Whether the request's "netns" globs take the namespace named name (NULL:
 * "host"): always when it has none. protocol_request_wants() applies it
 * first; a listener it leaves out is never counted in "idle_hidden". */
bool protocol_request_wants_netns(const struct sw_ctl_request *req, const char *name);
/* Whether a string is a namespace glob a request may carry: 1 to
 * SW_CTL_NETNS_GLOB_MAX bytes, no control character. */
bool protocol_netns_glob_valid(const char *s);

/* Whether a listener object of the status document is idle: both queues
 * empty, no drops since the last poll, state "ok". Idle listeners are left
 * out of status unless "all" is asked for or they are named. */
bool protocol_listener_idle(struct json_object *listener);
/* Whether a listener object matches a normalised filter: its name, or
 * "*:PORT" for its port. */
bool protocol_listener_match(struct json_object *listener, const char *filter);

/* Whether a status or show request keeps a listener object (the rule
 * protocol_filter_document applies), and whether the ones it leaves out are
 * idle ones it hides, counted in "idle_hidden". */
bool protocol_request_keeps(const struct sw_ctl_request *req, struct json_object *listener);
bool protocol_request_hides_idle(const struct sw_ctl_request *req);

/* Trims a status document in place to what the request asks for. status:
 * listeners matching any filter (all of them without filters); idle ones
 * dropped unless "all" or filters were given, and counted in a top-level
 * "idle_hidden" (absent when none were). show: the listeners named
 * (several when an SO_REUSEPORT group or namespaces share the name).
 * status, show and check with "netns": only those namespaces' listeners
 * and "namespaces" objects (by "name", else "id"). check without it and
 * the others: untouched. Returns 0, -ENOENT when show matched nothing,
 * -EINVAL when doc has no "listeners" array. */
int protocol_filter_document(struct json_object *doc, const struct sw_ctl_request *req);

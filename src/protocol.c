/* Control protocol encoding and strict decoding; see protocol.h. */
#include "protocol.h"

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "macro.h"
#include "netns_name.h"
#include "text.h"
#include "usnap.h"

static const char *const cmd_names[_SW_CTL_CMD_MAX] = {
	[SW_CTL_STATUS] = "status",
	[SW_CTL_SHOW] = "show",
	[SW_CTL_CHECK] = "check",
	[SW_CTL_RELOAD] = "reload",
	[SW_CTL_VERSION] = "version",
};

/* Which optional keys each command takes, besides "command". */
enum {
	KEY_ALL = 1u << 0,
	KEY_LISTENERS = 1u << 1,
	KEY_LISTENER = 1u << 2,
	KEY_NETNS = 1u << 3,
};
static const unsigned cmd_keys[_SW_CTL_CMD_MAX] = {
	[SW_CTL_STATUS] = KEY_ALL | KEY_LISTENERS | KEY_NETNS,
	[SW_CTL_SHOW] = KEY_LISTENER | KEY_NETNS,
	[SW_CTL_CHECK] = KEY_NETNS,
};

const char *protocol_cmd_name(enum sw_ctl_cmd c)
{
	if ((unsigned)c >= _SW_CTL_CMD_MAX)
		return NULL;
	return cmd_names[c];
}

int protocol_cmd_from_name(const char *s)
{
	for (size_t i = 0; i < _SW_CTL_CMD_MAX; i++)
		if (s && strcmp(s, cmd_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int protocol_listener_normalize(const char *s, char **ret)
{
	char buf[ADDR_STRLEN];
	uint8_t addr[16];
	uint16_t port;
	bool wildcard;
	int family, r;
	char *copy;

	if (*s == '/' || *s == '@') {
		/* A UNIX listener's name, as the document shows it: no control
		 * character (usnap_name() replaced them), at most sun_path. */
		if (strlen(s) >= SW_UNIX_PATH_MAX || text_has_control(s))
			return -EINVAL;
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
		*ret = copy;
		return 0;
	}
	r = addr_endpoint_parse(s, &family, addr, &port, &wildcard);
	if (r < 0)
		return r;
	if (wildcard)
		snprintf(buf, sizeof(buf), "*:%u", port);
	else
		addr_endpoint_str(family, addr, port, buf, sizeof(buf));
	copy = strdup(buf);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

void protocol_request_clear(struct sw_ctl_request *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_listeners; i++)
		free(r->listeners[i]);
	free(r->listeners);
	free(r->listener);
	for (size_t i = 0; i < r->n_netns; i++)
		free(r->netns[i]);
	free(r->netns);
	memset(r, 0, sizeof(*r));
}

/* Sets *ret_error to a formatted message and returns err, so that every
 * rejection in the parser is one line. */
static int req_error(char **ret_error, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int req_error(char **ret_error, int err, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	*ret_error = msg;
	return err;
}

/* A JSON string as a C string, refusing "\u0000" inside: "status\u0000x"
 * must not pass for "status". */
static const char *json_cstr(struct json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

static int parse_listener_name(struct json_object *v, const char *key, char **ret,
			       char **ret_error)
{
	const char *s = json_cstr(v);
	int r;

	if (!s)
		return req_error(ret_error, -EINVAL, "\"%s\" must be a string", key);
	r = protocol_listener_normalize(s, ret);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		/* The name is client text: quote at most a bounded prefix. */
		return req_error(ret_error, -EINVAL,
				 "\"%s\": '%.64s' is not ADDRESS:PORT, [ADDRESS]:PORT, *:PORT or a UNIX socket's /PATH or @NAME",
				 key, s);
	return 0;
}

bool protocol_netns_glob_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > SW_CTL_NETNS_GLOB_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int parse_netns(struct json_object *val, struct sw_ctl_request *req, char **ret_error)
{
	size_t n;

	if (!json_object_is_type(val, json_type_array))
		return req_error(ret_error, -EINVAL, "\"netns\" must be an array of strings");
	n = json_object_array_length(val);
	if (n > SW_CTL_FILTERS_MAX)
		return req_error(ret_error, -E2BIG, "too many namespaces (at most %d)",
				 SW_CTL_FILTERS_MAX);
	for (size_t i = 0; i < req->n_netns; i++)
		free(req->netns[i]);
	free(req->netns);
	req->n_netns = 0;
	req->netns = calloc(n ? n : 1, sizeof(char *));
	if (!req->netns)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *g = json_cstr(json_object_array_get_idx(val, i));

		if (!g)
			return req_error(ret_error, -EINVAL, "\"netns\" must be an array of strings");
		if (!protocol_netns_glob_valid(g))
			return req_error(ret_error, -EINVAL,
					 "\"netns\": a name or glob is 1 to %d bytes without "
					 "control characters", SW_CTL_NETNS_GLOB_MAX);
		req->netns[i] = strdup(g);
		if (!req->netns[i])
			return -ENOMEM;
		req->n_netns++;
	}
	return 0;
}

static int parse_fields(struct json_object *obj, struct sw_ctl_request *req, char **ret_error)
{
	struct json_object *v;
	const char *name;
	int c, r;

	if (!json_object_object_get_ex(obj, "command", &v))
		return req_error(ret_error, -EINVAL, "missing \"command\"");
	name = json_cstr(v);
	if (!name)
		return req_error(ret_error, -EINVAL, "\"command\" must be a string");
	c = protocol_cmd_from_name(name);
	if (c < 0)
		return req_error(ret_error, -EINVAL, "unknown command '%.32s'", name);
	req->cmd = (enum sw_ctl_cmd)c;

	json_object_object_foreach(obj, key, val) {
		unsigned k;

		if (strcmp(key, "command") == 0)
			continue;
		if (strcmp(key, "all") == 0)
			k = KEY_ALL;
		else if (strcmp(key, "listeners") == 0)
			k = KEY_LISTENERS;
		else if (strcmp(key, "listener") == 0)
			k = KEY_LISTENER;
		else if (strcmp(key, "netns") == 0)
			k = KEY_NETNS;
		else
			return req_error(ret_error, -EINVAL, "unknown key \"%.32s\"", key);
		if (!(cmd_keys[req->cmd] & k))
			return req_error(ret_error, -EINVAL, "%s takes no \"%s\"",
					 cmd_names[req->cmd], key);

		if (k == KEY_ALL) {
			if (!json_object_is_type(val, json_type_boolean))
				return req_error(ret_error, -EINVAL,
						 "\"all\" must be true or false");
			req->all = json_object_get_boolean(val);
		} else if (k == KEY_LISTENER) {
			free(req->listener);
			req->listener = NULL;
			r = parse_listener_name(val, "listener", &req->listener, ret_error);
			if (r < 0)
				return r;
		} else if (k == KEY_NETNS) {
			r = parse_netns(val, req, ret_error);
			if (r < 0)
				return r;
		} else {
			size_t n;

			if (!json_object_is_type(val, json_type_array))
				return req_error(ret_error, -EINVAL,
						 "\"listeners\" must be an array of strings");
			n = json_object_array_length(val);
			if (n > SW_CTL_FILTERS_MAX)
				return req_error(ret_error, -E2BIG,
						 "too many listeners (at most %d)",
						 SW_CTL_FILTERS_MAX);
			/* json-c keeps the last of duplicate keys, but be safe. */
			for (size_t i = 0; i < req->n_listeners; i++)
				free(req->listeners[i]);
			free(req->listeners);
			req->n_listeners = 0;
			req->listeners = calloc(n ? n : 1, sizeof(char *));
			if (!req->listeners)
				return -ENOMEM;
			for (size_t i = 0; i < n; i++) {
				r = parse_listener_name(json_object_array_get_idx(val, i),
							"listeners", &req->listeners[i],
							ret_error);
				if (r < 0)
					return r;
				req->n_listeners++;
			}
		}
	}

	if (req->cmd == SW_CTL_SHOW && !req->listener)
		return req_error(ret_error, -EINVAL, "show needs \"listener\"");
	return 0;
}

int protocol_parse_request(const char *line, size_t len, struct sw_ctl_request *ret,
			   char **ret_error)
{
	struct sw_ctl_request req = { 0 };
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t end;
	int r;

	*ret_error = NULL;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > SW_CTL_REQUEST_MAX)
		return req_error(ret_error, -E2BIG, "request too long (at most %d bytes)",
				 SW_CTL_REQUEST_MAX);
	if (len == 0)
		return req_error(ret_error, -EINVAL, "empty request");
	if (memchr(line, '\0', len))
		return req_error(ret_error, -EINVAL, "malformed request: NUL byte");

	tok = json_tokener_new_ex(SW_CTL_REQUEST_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj || jerr != json_tokener_success) {
		r = req_error(ret_error, -EINVAL, "malformed request: %s",
			      jerr == json_tokener_continue ? "incomplete JSON"
							   : json_tokener_error_desc(jerr));
		goto out;
	}
	/* Strict mode refuses trailing garbage itself; whitespace may remain. */
	for (; end < len; end++)
		if (!strchr(" \t\r\n", line[end])) {
			r = req_error(ret_error, -EINVAL, "malformed request: trailing data");
			goto out;
		}
	if (!json_object_is_type(obj, json_type_object)) {
		r = req_error(ret_error, -EINVAL, "request is not a JSON object");
		goto out;
	}
	r = parse_fields(obj, &req, ret_error);
	if (r < 0)
		goto out;
	*ret = req;
	memset(&req, 0, sizeof(req));
	r = 0;
out:
	protocol_request_clear(&req);
	json_object_put(obj);
	json_tokener_free(tok);
	return r;
}

int protocol_format_request(const struct sw_ctl_request *r, char **ret, size_t *ret_len)
{
	struct json_object *obj, *arr;
	const char *text;
	size_t len;
	char *line;
	int err = -ENOMEM;

	if ((unsigned)r->cmd >= _SW_CTL_CMD_MAX)
		return -EINVAL;
	if (r->cmd == SW_CTL_SHOW && !r->listener)
		return -EINVAL;
	if (r->cmd == SW_CTL_STATUS && r->n_listeners > SW_CTL_FILTERS_MAX)
		return -E2BIG;
	if (r->n_netns > 0 && !(cmd_keys[r->cmd] & KEY_NETNS))
		return -EINVAL;
	if (r->n_netns > SW_CTL_FILTERS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < r->n_netns; i++)
		if (!protocol_netns_glob_valid(r->netns[i]))
			return -EINVAL;

	obj = json_object_new_object();
	if (!obj)
		return -ENOMEM;
	if (json_object_object_add(obj, "command",
				   json_object_new_string(cmd_names[r->cmd])) < 0)
		goto out;
	if (r->cmd == SW_CTL_STATUS) {
		if (r->all &&
		    json_object_object_add(obj, "all", json_object_new_boolean(1)) < 0)
			goto out;
		if (r->n_listeners > 0) {
			arr = json_object_new_array_ext((int)r->n_listeners);
			if (!arr || json_object_object_add(obj, "listeners", arr) < 0) {
				json_object_put(arr);
				goto out;
			}
			for (size_t i = 0; i < r->n_listeners; i++)
				if (json_object_array_add(
					    arr, json_object_new_string(r->listeners[i])) < 0)
					goto out;
		}
	} else if (r->cmd == SW_CTL_SHOW) {
		if (json_object_object_add(obj, "listener",
					   json_object_new_string(r->listener)) < 0)
			goto out;
	}
	if (r->n_netns > 0) {
		arr = json_object_new_array_ext((int)r->n_netns);
		if (!arr || json_object_object_add(obj, "netns", arr) < 0) {
			json_object_put(arr);
			goto out;
		}
		for (size_t i = 0; i < r->n_netns; i++)
			if (json_object_array_add(arr, json_object_new_string(r->netns[i])) < 0)
				goto out;
	}

	text = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		goto out;
	if (len > SW_CTL_REQUEST_MAX) {
		err = -E2BIG;
		goto out;
	}
	line = malloc(len + 2);
	if (!line)
		goto out;
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = 0;
	*ret = line;
	if (ret_len)
		*ret_len = len + 1;
	err = 0;
out:
	json_object_put(obj);
	return err;
}

struct json_object *protocol_error_reply(const char *fmt, ...)
{
	struct json_object *obj;
	va_list ap;
	char *msg = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	obj = json_object_new_object();
	if (obj && json_object_object_add(obj, "error", json_object_new_string(msg)) < 0) {
		json_object_put(obj);
		obj = NULL;
	}
	free(msg);
	return obj;
}

struct json_object *protocol_ok_reply(void)
{
	struct json_object *obj = json_object_new_object();

	if (obj && json_object_object_add(obj, "ok", json_object_new_boolean(1)) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *protocol_version_reply(void)
{
	struct json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	if (json_object_object_add(obj, "sockwatchd", json_object_new_string(SW_VERSION)) < 0 ||
	    json_object_object_add(obj, "protocol",
				   json_object_new_int(SW_CTL_PROTOCOL_VERSION)) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

int protocol_format_reply(struct json_object *reply, char **ret, size_t *ret_len)
{
	const char *text;
	size_t len;
	char *line;

	/* PLAIN never emits a raw newline: strings escape theirs. */
	text = json_object_to_json_string_length(
		reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return -ENOMEM;
	if (len + 1 > SW_CTL_REPLY_MAX)
		return -E2BIG;
	line = malloc(len + 2);
	if (!line)
		return -ENOMEM;
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = 0;
	*ret = line;
	*ret_len = len + 1;
	return 0;
}

int protocol_parse_reply(const char *line, size_t len, struct json_object **ret)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (len > SW_CTL_REPLY_MAX || len > INT32_MAX)
		return -EINVAL;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj || jerr != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object))
		goto bad;
	for (; end < len; end++)
		if (!strchr(" \t\r\n", line[end]))
			goto bad;
	*ret = obj;
	return 0;
bad:
	json_object_put(obj);
	return -EINVAL;
}

const char *protocol_reply_error(struct json_object *reply)
{
	struct json_object *v;

	if (!json_object_object_get_ex(reply, "error", &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return "(malformed error reply)";
	return json_object_get_string(v);
}

static int64_t member_int(struct json_object *o, const char *obj_key, const char *key)
{
	struct json_object *sub, *v;

	if (!json_object_object_get_ex(o, obj_key, &sub) ||
	    !json_object_object_get_ex(sub, key, &v))
		return 0;
	return json_object_get_int64(v);
}

void protocol_listener_facts(struct json_object *l, struct sw_ctl_listener_facts *ret)
{
	struct json_object *v;

	*ret = (struct sw_ctl_listener_facts){
		.accept_depth = member_int(l, "accept", "depth"),
		.syn_depth = member_int(l, "syn", "depth"),
		.drops_delta = member_int(l, "drops", "delta"),
		.state_ok = true,
	};
	if (json_object_object_get_ex(l, "listener", &v) && json_object_is_type(v, json_type_string))
		ret->name = json_object_get_string(v);
	if (json_object_object_get_ex(l, "netns", &v) && json_object_is_type(v, json_type_string))
		ret->netns = json_object_get_string(v);
	if (json_object_object_get_ex(l, "port", &v) && json_object_is_type(v, json_type_int)) {
		ret->has_port = true;
		ret->port = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(l, "state", &v))
		ret->state_ok = json_object_is_type(v, json_type_string) &&
				strcmp(json_object_get_string(v), "ok") == 0;
}

bool protocol_facts_idle(const struct sw_ctl_listener_facts *l)
{
	return l->accept_depth == 0 && l->syn_depth == 0 && l->drops_delta == 0 && l->state_ok;
}

bool protocol_facts_match(const struct sw_ctl_listener_facts *l, const char *filter)
{
	if (strncmp(filter, "*:", 2) == 0) {
		uint64_t port;

		/* Digits only, at most 65535: "-1", " 80" or "65536" name no
		 * port (strtoul took them, wrapped or skipping blanks). */
		return text_parse_u64(filter + 2, strlen(filter + 2), 65535, &port) == 0 &&
		       l->has_port && l->port == (int64_t)port;
	}
	return l->name && strcmp(l->name, filter) == 0;
}

bool protocol_request_wants_netns(const struct sw_ctl_request *req, const char *name)
{
	if (req->n_netns == 0)
		return true;
	for (size_t i = 0; i < req->n_netns; i++)
		if (fnmatch(req->netns[i], name ? name : NETNS_HOST_NAME, 0) == 0)
			return true;
	return false;
}

bool protocol_request_wants(const struct sw_ctl_request *req, const struct sw_ctl_listener_facts *l)
{
	if (!protocol_request_wants_netns(req, l->netns))
		return false;
	if (req->cmd == SW_CTL_CHECK)
		return true;
	if (req->cmd == SW_CTL_SHOW)
		return protocol_facts_match(l, req->listener);
	if (req->n_listeners == 0)
		return req->all || !protocol_facts_idle(l);
	for (size_t i = 0; i < req->n_listeners; i++)
		if (protocol_facts_match(l, req->listeners[i]))
			return true;
	return false;
}

bool protocol_listener_idle(struct json_object *l)
{
	struct sw_ctl_listener_facts facts;

	protocol_listener_facts(l, &facts);
	return protocol_facts_idle(&facts);
}

bool protocol_listener_match(struct json_object *l, const char *filter)
{
	struct sw_ctl_listener_facts facts;

	protocol_listener_facts(l, &facts);
	return protocol_facts_match(&facts, filter);
}

bool protocol_request_hides_idle(const struct sw_ctl_request *req)
{
	return req->cmd == SW_CTL_STATUS && req->n_listeners == 0;
}

bool protocol_request_keeps(const struct sw_ctl_request *req, struct json_object *l)
{
	struct sw_ctl_listener_facts facts;

	protocol_listener_facts(l, &facts);
	return protocol_request_wants(req, &facts);
}

/* The namespace objects the request's "netns" globs take, in place. */
static int filter_namespaces(struct json_object *doc, const struct sw_ctl_request *req)
{
	struct json_object *list, *kept;
	size_t n;

	if (req->n_netns == 0 || !json_object_object_get_ex(doc, "namespaces", &list) ||
	    !json_object_is_type(list, json_type_array))
		return 0;
	n = json_object_array_length(list);
	kept = json_object_new_array();
	if (!kept)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(list, i), *v = NULL;
		const char *name = NULL;

		if ((json_object_object_get_ex(ns, "name", &v) ||
		     json_object_object_get_ex(ns, "id", &v)) &&
		    json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
		if (!name || !protocol_request_wants_netns(req, name))
			continue;
		if (json_object_array_add(kept, json_object_get(ns)) < 0) {
			json_object_put(ns);
			json_object_put(kept);
			return -ENOMEM;
		}
	}
	if (json_object_object_add(doc, "namespaces", kept) < 0) {
		json_object_put(kept);
		return -ENOMEM;
	}
	return 0;
}

int protocol_filter_document(struct json_object *doc, const struct sw_ctl_request *req)
{
	struct json_object *list, *kept;
	size_t n, idle = 0;
	int r;

	if (req->cmd != SW_CTL_STATUS && req->cmd != SW_CTL_SHOW &&
	    !(req->cmd == SW_CTL_CHECK && req->n_netns > 0))
		return 0;
	if (!json_object_object_get_ex(doc, "listeners", &list) ||
	    !json_object_is_type(list, json_type_array))
		return -EINVAL;
	n = json_object_array_length(list);
	kept = json_object_new_array();
	if (!kept)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(list, i);

		if (!protocol_request_keeps(req, l)) {
			struct sw_ctl_listener_facts facts;

			protocol_listener_facts(l, &facts);
			idle += protocol_request_hides_idle(req) &&
				protocol_request_wants_netns(req, facts.netns);
			continue;
		}
		if (json_object_array_add(kept, json_object_get(l)) < 0) {
			json_object_put(l);
			json_object_put(kept);
			return -ENOMEM;
		}
	}
	if (req->cmd == SW_CTL_SHOW && json_object_array_length(kept) == 0) {
		json_object_put(kept);
		return -ENOENT;
	}
	/* Replaces (and releases) the old array. */
	if (json_object_object_add(doc, "listeners", kept) < 0) {
		json_object_put(kept);
		return -ENOMEM;
	}
	r = filter_namespaces(doc, req);
	if (r < 0)
		return r;
	/* So that sockwatchctl can still say how many it does not show. */
	if (idle > 0 &&
	    json_object_object_add(doc, "idle_hidden", json_object_new_int64((int64_t)idle)) < 0)
		return -ENOMEM;
	return 0;
}

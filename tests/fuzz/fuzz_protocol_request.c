/* Fuzz target: protocol_parse_request(), the daemon's decoder of a control
 * request line (the one parser any member of the control group can feed),
 * and, over the same bytes, the client's protocol_parse_reply() with the
 * status-document helpers sockwatchctl runs on a reply.
 *
 * Besides memory errors and leaks it checks protocol.h's contract:
 * - 0, -EINVAL or -E2BIG; an error comes with a message for the client,
 *   bounded in length, and success with none;
 * - an accepted request only holds what its command takes, at most
 *   SW_CTL_FILTERS_MAX filters, each already normalised;
 * - protocol_format_request() of it parses back to the same request. */
#include <errno.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "protocol.h"
#include "macro.h"

/* Messages quote at most 64 bytes of client text; the rest is ours. */
#define MAX_ERROR_LEN 256

static void check_normalised(const char *name)
{
	char *again = NULL;

	FUZZ_ASSERT(name != NULL, "NULL listener name");
	FUZZ_ASSERT(protocol_listener_normalize(name, &again) == 0,
		    "normalised name '%s' does not parse", name);
	FUZZ_ASSERT(strcmp(again, name) == 0, "'%s' normalises again to '%s'", name, again);
	free(again);
}

static void check_request(const struct sw_ctl_request *q)
{
	FUZZ_ASSERT((unsigned)q->cmd < _SW_CTL_CMD_MAX && protocol_cmd_name(q->cmd),
		    "cmd %d", (int)q->cmd);
	FUZZ_ASSERT(q->n_listeners <= SW_CTL_FILTERS_MAX, "%zu filters", q->n_listeners);
	if (q->cmd != SW_CTL_STATUS)
		FUZZ_ASSERT(!q->all && q->n_listeners == 0, "%s with status fields",
			    protocol_cmd_name(q->cmd));
	if (q->cmd == SW_CTL_SHOW)
		check_normalised(q->listener);
	else
		FUZZ_ASSERT(q->listener == NULL, "%s with a listener", protocol_cmd_name(q->cmd));
	for (size_t i = 0; i < q->n_listeners; i++)
		check_normalised(q->listeners[i]);
}

static bool same_request(const struct sw_ctl_request *a, const struct sw_ctl_request *b)
{
	if (a->cmd != b->cmd || a->all != b->all || a->n_listeners != b->n_listeners)
		return false;
	if (!a->listener != !b->listener || (a->listener && strcmp(a->listener, b->listener)))
		return false;
	for (size_t i = 0; i < a->n_listeners; i++)
		if (strcmp(a->listeners[i], b->listeners[i]) != 0)
			return false;
	return true;
}

static void round_trip(const struct sw_ctl_request *q)
{
	struct sw_ctl_request back = { 0 };
	char *line = NULL, *err = NULL;
	size_t len = 0;
	int r;

	r = protocol_format_request(q, &line, &len);
	/* Escapes make a request longer than its decoded content, never the
	 * other way round, so what was accepted fits when encoded again. */
	FUZZ_ASSERT(r == 0, "format of an accepted request: %d", r);
	FUZZ_ASSERT(len > 0 && line[len - 1] == '\n' && strlen(line) == len,
		    "formatted line of %zu bytes", len);
	r = protocol_parse_request(line, len, &back, &err);
	FUZZ_ASSERT(r == 0, "formatted request '%s' refused: %s", line, err ? err : "");
	FUZZ_ASSERT(same_request(q, &back), "'%s' parses to another request", line);
	protocol_request_clear(&back);
	free(line);
}

/* The client's side: a reply line, and the trimming of a status document
 * it applies (the daemon applies it to its own documents). */
static void fuzz_reply(const uint8_t *data, size_t size, const struct sw_ctl_request *q)
{
	struct json_object *reply = NULL, *list;
	struct sw_ctl_request status = { .cmd = SW_CTL_STATUS };
	int r;

	r = protocol_parse_reply((const char *)data, size, &reply);
	FUZZ_ASSERT(r == 0 || r == -EINVAL, "parse_reply %d", r);
	if (r < 0) {
		FUZZ_ASSERT(reply == NULL, "reply set on error");
		return;
	}
	FUZZ_ASSERT(json_object_is_type(reply, json_type_object), "reply not an object");
	(void)protocol_reply_error(reply);
	if (json_object_object_get_ex(reply, "listeners", &list) &&
	    json_object_is_type(list, json_type_array)) {
		size_t n = json_object_array_length(list);

		for (size_t i = 0; i < n; i++) {
			struct json_object *l = json_object_array_get_idx(list, i);

			(void)protocol_listener_idle(l);
			(void)protocol_listener_match(l, "*:80");
			(void)protocol_listener_match(l, "127.0.0.1:80");
		}
		r = protocol_filter_document(reply, q ? q : &status);
		FUZZ_ASSERT(r == 0 || r == -ENOENT, "filter_document %d", r);
		FUZZ_ASSERT(json_object_object_get_ex(reply, "listeners", &list) &&
				    json_object_is_type(list, json_type_array) &&
				    json_object_array_length(list) <= n,
			    "filter_document grew or lost the listeners array");
	}
	json_object_put(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_ctl_request q;
	char *err = (char *)"unset";
	int r;

	memset(&q, 0xa5, sizeof(q));
	r = protocol_parse_request((const char *)data, size, &q, &err);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -E2BIG, "ret %d", r);
	if (r < 0) {
		FUZZ_ASSERT(err != NULL && err[0], "error %d without a message", r);
		FUZZ_ASSERT(strlen(err) <= MAX_ERROR_LEN, "message of %zu bytes", strlen(err));
		free(err);
		fuzz_reply(data, size, NULL);
		return 0;
	}
	FUZZ_ASSERT(err == NULL, "success with message '%s'", err);
	check_request(&q);
	round_trip(&q);
	fuzz_reply(data, size, &q);
	protocol_request_clear(&q);
	return 0;
}

/* The client side of the control socket, for sockwatchctl: connect, send
 * one request line, read one reply line, all within one deadline. Knows
 * the transport only; what the lines mean is protocol.h's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why an exchange failed, for the person at the terminal. */
struct ctlclient_error {
	/* The daemon is not there or did not answer, as opposed to a failure
	 * on this side (no memory, a bad path, an oversized reply). */
	bool unreachable;
	char *msg;              /* malloc'd; NULL when even that failed */
};

/* Sends line[0..len) to the daemon listening at path and reads its reply
 * (the newline kept, or the bytes before the daemon closed) into a
 * malloc'd *ret. Gives up after timeout_usec in all. Once connected, the
 * process drops every capability it holds (the daemon has seen its uid;
 * nothing after needs privilege). Returns 0, or a negative errno with err
 * filled in; the caller frees err->msg. */
int ctlclient_exchange(const char *path, uint64_t timeout_usec, const char *line, size_t len,
		       char **ret, size_t *ret_len, struct ctlclient_error *err);

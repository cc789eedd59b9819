/* journald's native protocol (pure): an event's fields ("MESSAGE=...",
 * "SOCKWATCH_DEPTH=511", ...) and the datagram that carries them. The
 * journal transport sends what this builds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "event.h"
#include "message.h"

/* Fields per entry: DESIGN.md's ~25, the additions, one per TcpExt counter. */
#define JOURNAL_FIELDS_MAX 64
/* Every field's text: MESSAGE plus the bounded strings of struct sw_event
 * plus short numbers. */
#define JOURNAL_FIELDBUF_MAX (SW_MESSAGE_MAX + 4096)
/* The datagram: each field grows by at most its 8-byte length and two
 * newlines. */
#define JOURNAL_WIRE_MAX (JOURNAL_FIELDBUF_MAX + JOURNAL_FIELDS_MAX * 10)

/* "NAME=VALUE" fields, their text in a caller's buffer. */
struct journal_fields {
	struct iovec iov[JOURNAL_FIELDS_MAX];
	size_t n;
	struct message_buf b;
	int err;                /* -E2BIG, -ENOBUFS: a field did not fit */
};

void journal_wire_fields_init(struct journal_fields *f, char *buf, size_t size);
/* Adds one field; after a failure every later one is ignored (f->err). */
void journal_wire_field(struct journal_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Every field of an event's entry, msg its MESSAGE. */
void journal_wire_event_fields(struct journal_fields *f, const struct sw_event *ev,
			       const char *msg);

/* The datagram for fields iov[0..n) in w[0..size): "NAME=VALUE\n" each, or,
 * when a value holds a newline, "NAME\n", its length as 64-bit little
 * endian, the value and "\n". Its length; 0 when it does not fit. */
size_t journal_wire_encode(char *w, size_t size, const struct iovec *iov, size_t n);

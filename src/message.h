/* The words of an event (pure): the human MESSAGE a journal entry carries,
 * its PRIORITY and level word, and the one stderr line that stands in for
 * the entry without journald. The journal transport and the native-protocol
 * encoder build on these; the unit tests hold every sentence to account. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* MESSAGE_IDs, one per event kind; systemd/sockwatchd.catalog explains each. */
#define SW_MID_ACCEPT_QUEUE "fb9b3958caf6426baacdec81634eb20e"
#define SW_MID_SYN_QUEUE    "ce535b3f83cf4e6f88f1c7d5ad06702b"
#define SW_MID_LISTEN_DROPS "a354a0bea78f43e5a2b2ef21b23f3fab"
#define SW_MID_SYNCOOKIES   "37d9b9e930cf462a84fdc1a1ccc798a8"
#define SW_MID_CLEARED      "8f671c50c535449aae17a9d8d19c161f"
#define SW_MID_LIFECYCLE    "94bb75e3129d4d37afce83d92844a968"

/* Longest MESSAGE message_format produces for any event (its variable parts
 * are all bounded by event.h). */
#define SW_MESSAGE_MAX 2048

/* A string built into a fixed buffer: once something does not fit, the
 * rest is dropped and the result says so. */
struct message_buf {
	char *p;
	size_t size, used;
	bool truncated;
};

void message_buf_init(struct message_buf *b, char *p, size_t size);
void message_buf_add(struct message_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void message_buf_vadd(struct message_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* The length built, or -ENOBUFS when something did not fit. */
int message_buf_result(const struct message_buf *b);

/* The human MESSAGE for an event, NUL-terminated in buf. Returns its
 * length, or -ENOBUFS when it did not fit (buf then holds a truncated
 * message), -EINVAL on a NULL or empty buffer. */
int message_format(const struct sw_event *ev, char *buf, size_t len);

/* The PRIORITY (LOG_*) of an event: 4 warning, 3 critical, 5 cleared,
 * 6 lifecycle. */
int message_priority(const struct sw_event *ev);

/* The MESSAGE_ID of an event kind. */
const char *message_id(enum sw_event_kind k);
/* SOCKWATCH_LEVEL and the level word of a stderr line: "warning",
 * "critical", "cleared", "info". */
const char *message_level_word(const struct sw_event *ev);
/* "err", "warning", ... for a LOG_* priority ("info" when out of range). */
const char *message_prio_name(int prio);
/* The event's namespace name: "host" for the daemon's own. */
const char *message_netns_str(const struct sw_event *ev);
/* "0.0.0.0:443", "[::1]:80": the event's listener. */
const char *message_endpoint(const struct sw_event *ev, char *buf, size_t len);
/* The length of a fixed array filled by another module, which may lack
 * its terminating NUL. */
int message_strn(const char *s, size_t max);

/* The one stderr line for an event (no trailing newline), with control
 * characters made visible so a hostile comm or unit cannot forge lines.
 * Same return convention as message_format. */
int message_line(const struct sw_event *ev, int pid, char *buf, size_t len);
/* The same from a MESSAGE already formatted. */
int message_line_from(const struct sw_event *ev, const char *msg, int pid, char *buf,
		      size_t len);
/* "sockwatchd[PID]: LEVEL: [TAG: ]" + msg cleaned of control characters
 * (a newline becomes "; "), cut to fit the buffer; msg shorter than
 * SW_MESSAGE_MAX. */
int message_build_line(const char *level, const char *tag, const char *msg, int pid,
		       char *buf, size_t len);

/* Alert and lifecycle events to the systemd journal, or to stderr when there
 * is no journald (DESIGN.md "Journal entries"): the transport. message.h
 * has the words, journal_wire.h the native protocol. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "journal_stats.h"

/* Where the journal socket lives; "auto" looks for it. */
#define SW_JOURNAL_SOCKET "/run/systemd/journal/socket"

struct sw_journal;

/* target auto: the journal if SW_JOURNAL_SOCKET exists (checked at open;
 * then tried again at most once a second), else stderr. Sending never
 * blocks for long: a journald that does not take an entry within 50 ms
 * counts as unreachable, and a stderr that is a socket is written with
 * MSG_DONTWAIT. level: LOG_* max priority to emit
 * for daemon diagnostics (alerts and lifecycle events are always emitted). */
int journal_open(enum sw_log_target target, int level, struct sw_journal **ret);
void journal_close(struct sw_journal *j);
/* On reload. */
void journal_set(struct sw_journal *j, enum sw_log_target target, int level);

/* Entries the daemon keeps for the journal while it is unreachable, and
 * the bytes they may take; the oldest make room for new ones. */
#define SW_JOURNAL_QUEUE_DEFAULT   1024
#define SW_JOURNAL_QUEUE_BYTES_MAX (4u << 20)
#define SW_JOURNAL_QUEUE_MAX_LIMIT 65536

/* Off by default (one-shot tools). With max_entries > 0, every entry that
 * cannot reach the journal goes to stderr at once AND waits in a queue of
 * at most max_entries; once the journal answers again, a notice and then
 * the queued entries are sent in order, each with SOCKWATCH_DELAYED=1 and
 * SOCKWATCH_ORIGINAL_TIME_USEC (wall clock, microseconds, when it was
 * raised); entries pushed out of a full queue are counted and a last
 * notice says how many. 0 turns it off. -EINVAL beyond
 * SW_JOURNAL_QUEUE_MAX_LIMIT. */
int journal_set_queue(struct sw_journal *j, size_t max_entries);

/* Sends what waits for the journal if it is time to try again (called on
 * every poll, so the queue drains without waiting for a new alert).
 * 0 when nothing waits, -EAGAIN before the next retry, else the error of
 * the failed send. */
int journal_flush(struct sw_journal *j);

void journal_get_stats(const struct sw_journal *j, struct sw_journal_stats *ret);

/* Test seam: send to path instead of SW_JOURNAL_SOCKET (NULL: back to it)
 * and wait retry_usec between attempts once sending failed (0: the default,
 * 1 s). */
int journal_set_socket(struct sw_journal *j, const char *path, uint64_t retry_usec);

/* Alerts and lifecycle events: one journal entry with every field that
 * applies, or one stderr line. Returns 0 when the event went out either way,
 * a negative errno when even stderr failed. */
int journal_emit(struct sw_journal *j, const struct sw_event *ev);

/* Daemon diagnostics (not alerts): printf-like, PRIORITY prio,
 * SYSLOG_IDENTIFIER=sockwatchd. Dropped when prio > level. */
void journal_log(struct sw_journal *j, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

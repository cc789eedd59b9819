/* Pure: the manager's decisions, apart from the I/O that feeds them, so
 * that each is written once and unit-tested (tests/check_manager.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* Whether this poll's figures call for a SYN_RECV scan now (the scheduler
 * still spaces triggered scans, synsched.h). Only the SYN queues count:
 * - syn_at_warn: SYN queues at warn or in alert at the last update;
 * - TCPReqQFullDrop moved: a SYN dropped at a full SYN queue;
 * - ListenDrops moved by more than ListenOverflows: drops the accept queue
 *   does not explain (tcp_max_syn_backlog with cookies off, say);
 * - TCPReqQFullDoCookies or SyncookiesSent moved, unless tcp_syncookies is
 *   2: then the kernel counts a cookie for every SYN, overflow or not.
 * An accept queue in alert alone does not: its figures come with every
 * poll. prev is the previous poll's counters (NULL before the second
 * poll); a counter absent from either is no evidence. */
bool decide_syn_scan(size_t syn_at_warn, const struct sw_netstat *prev,
		     const struct sw_netstat *now, int32_t syncookies);

/* The poll period: fast_interval while some listener is at warn or in
 * alert (sustain runs and clears are seen promptly), interval otherwise. */
uint64_t decide_interval(bool any_at_warn, uint64_t interval_usec, uint64_t fast_interval_usec);

/* A poll is late when it starts more than half its interval after it was
 * due, but never for less than DECIDE_LATE_MIN nor only beyond
 * DECIDE_LATE_MAX: the timer's own slack and a busy host's scheduling stay
 * below the first; a loop held up that long by anything (a client, a hung
 * journald) is what the counter is for. current_usec 0: none chosen yet,
 * interval_usec counts. */
#define DECIDE_LATE_MIN_USEC (100 * 1000ULL)
#define DECIDE_LATE_MAX_USEC (1000 * 1000ULL)
uint64_t decide_late_threshold(uint64_t current_usec, uint64_t interval_usec);

struct sw_lateness {
	uint64_t last_usec, max_usec;
	uint64_t late_polls;
};

/* A poll that started at start_usec and was due at due_usec (0: the first,
 * due at once and never late). */
void decide_note_lateness(struct sw_lateness *l, uint64_t due_usec, uint64_t start_usec,
			  uint64_t threshold_usec);

/* The keep-alive period between polls: watchdog/2 while the poll period is
 * longer than that (a poll alone would come too late), 0 otherwise (the
 * polls' own WATCHDOG=1 suffice) and without a watchdog. */
uint64_t decide_keepalive_usec(uint64_t watchdog_usec, uint64_t interval_usec);

/* How long one poll's dumps may take, all of them and their redos
 * together (poll_once() passes now + this to diag_dump_*()): a third of the
 * watchdog period, so that the poll ends well before watchdog/2 whatever
 * the kernel does and the keep-alive or the next poll's WATCHDOG=1 still
 * comes in time; without a watchdog, and never more than,
 * DECIDE_POLL_BUDGET_USEC, where a healthy dump of 10k listeners takes
 * milliseconds. */
#define DECIDE_POLL_BUDGET_USEC (10 * 1000 * 1000ULL)
uint64_t decide_poll_budget_usec(uint64_t watchdog_usec);

/* Whether a keep-alive at now may say WATCHDOG=1: the next poll is armed,
 * not overdue by more than grace, and the last poll's listener figures are
 * fresh. Polls that stopped, or that fail, stop the pings. */
bool decide_keepalive_ok(bool armed, uint64_t due_usec, uint64_t now_usec, uint64_t grace_usec,
			 bool last_poll_ok);

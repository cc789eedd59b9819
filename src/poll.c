/* One poll: the listener dump and, right after it, the namespace counters
 * and sysctls; a SYN_RECV scan when decide_syn_scan() and the scheduler
 * say so; then the tracker, the owners and the journal. The dumps share
 * one deadline (decide_poll_budget_usec()): one that runs past it fails
 * the poll like any dump error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "diag.h"
#include "journal.h"
#include "manager_int.h"
#include "helper.h"
#include "owners.h"
#include "sysctl.h"
#include "tracker.h"
#include "util.h"

/* A failing poll (netlink refused, say) is retried at the normal interval;
 * its error is logged at most this often. */
#define POLL_ERROR_LOG_USEC (60 * USEC_PER_SEC)
/* Owner scans finished on demand, in rounds of the owner module's per-call
 * budget (~20k fds each): --once has no later poll to finish one; an
 * alert's owner is worth a few rounds. */
#define POLL_OWNERS_ONCE_ROUNDS  200
#define POLL_OWNERS_ALERT_ROUNDS 20

/* Counts and logs a failed part of the poll. stale: the listener figures of
 * this poll are lost (what `sockwatchctl check` reports as UNKNOWN); a SYN
 * scan or an owner refresh that fails leaves them good. */
static void poll_error(struct sw_manager *m, const char *what, int r, uint64_t now, bool stale)
{
	m->poll_errors++;
	if (stale)
		m->last_attempt_failed = true;
	m->last_error_usec = now;
	snprintf(m->last_error, sizeof(m->last_error), "%s: %s", what, strerror(-r));
	if (m->last_error_log_usec == 0 || now - m->last_error_log_usec >= POLL_ERROR_LOG_USEC) {
		journal_log(m->journal, LOG_ERR, "Poll failed: %s (%" PRIu64 " failed polls so far)",
			    m->last_error, m->poll_errors);
		m->last_error_log_usec = now;
	}
}

/* Hands the owner cache this poll's listeners. complete: finish a scan the
 * per-refresh budget cut short (--once has no later poll to finish it). */
static int poll_refresh_owners(struct sw_manager *m, uint64_t now, bool complete)
{
	size_t n = m->snap.n_listeners;
	int r;

	if (!m->owners)
		return 0;
	if (n > m->cap_inodes) {
		size_t cap = n * 2;
		uint32_t *ino = realloc(m->inodes, cap * sizeof(*ino));

		if (!ino)
			return -ENOMEM;
		m->inodes = ino;
		uint64_t *cg = realloc(m->cgroups, cap * sizeof(*cg));
		if (!cg)
			return -ENOMEM;
		m->cgroups = cg;
		m->cap_inodes = cap;
	}
	for (size_t i = 0; i < n; i++) {
		m->inodes[i] = m->snap.listeners[i].inode;
		m->cgroups[i] = m->snap.listeners[i].cgroup_id;
	}
	m->n_inodes = n;
	if (complete) {
		r = owners_refresh_complete(m->owners, m->inodes, m->cgroups, n, now,
					    POLL_OWNERS_ONCE_ROUNDS);
		return r < 0 ? r : 0;
	}
	return owners_refresh(m->owners, m->inodes, m->cgroups, n, now);
}

/* Names the owner of each listener event that has none yet. Events carry
 * the socket's inode, so a listener that vanished in this poll is still
 * found while the cache remembers it (before the refresh forgets it). */
static void poll_fill_owners(struct sw_manager *m)
{
	for (size_t i = 0; i < m->events.n; i++) {
		struct sw_event *ev = &m->events.v[i];

		if (ev->has_listener && ev->owner.pid == 0 && !ev->owner.unit[0])
			(void)owners_lookup(m->owners, ev->inode, ev->cgroup_id, &ev->owner);
	}
}

/* Whether some listener event still lacks its owner. */
static bool poll_owners_missing(const struct sw_manager *m)
{
	for (size_t i = 0; i < m->events.n; i++) {
		const struct sw_event *ev = &m->events.v[i];

		if (ev->has_listener && !ev->listener_gone && ev->owner.pid == 0)
			return true;
	}
	return false;
}

static void poll_emit_events(struct sw_manager *m, uint64_t now)
{
	if (m->owners && m->events.n > 0) {
		poll_fill_owners(m);
		/* Alerts are rare and worth naming: finish a scan the budget cut
		 * short rather than send them without their owner. */
		if (poll_owners_missing(m) && owners_scanning(m->owners) &&
		    owners_refresh_complete(m->owners, m->inodes, m->cgroups, m->n_inodes, now,
					    POLL_OWNERS_ALERT_ROUNDS) >= 0)
			poll_fill_owners(m);
	}
	if (!m->once)
		for (size_t i = 0; i < m->events.n; i++)
			journal_emit(m->journal, &m->events.v[i]);
	events_clear(&m->events);
}

/* Redos and skipped parts count whether or not the dump succeeded in the
 * end (the parsers leave what they skipped counted). */
static void poll_count_dump(struct sw_manager *m, uint32_t retries0, uint64_t msgs0,
			    uint64_t attrs0)
{
	m->dump_retries += m->snap.dump_retries - retries0;
	m->skipped_msgs += m->snap.skipped_msgs - msgs0;
	m->skipped_attrs += m->snap.skipped_attrs - attrs0;
}

static void poll_syn_scan(struct sw_manager *m, uint64_t now, uint64_t deadline,
			  uint64_t *ret_cpu)
{
	uint64_t c0 = util_cpu_usec();
	uint32_t retries0 = m->snap.dump_retries;
	uint64_t msgs0 = m->snap.skipped_msgs, attrs0 = m->snap.skipped_attrs;
	int r;

	faults_arm(&m->faults, SW_FAULT_SYNRECV, m->poll_attempts);
	r = diag_dump_synrecv(m->diag, &m->snap, deadline);
	faults_disarm(&m->faults);
	*ret_cpu = util_cpu_usec() - c0;
	poll_count_dump(m, retries0, msgs0, attrs0);
	if (r < 0) {
		/* The listener figures of this poll still count. */
		m->snap.syn_scanned = false;
		poll_error(m, "SYN_RECV dump", r, now, false);
		return;
	}
	synsched_scanned(&m->syn, now, *ret_cpu);
	m->syn_scans++;
	m->last_syn_cpu_usec = *ret_cpu;
	m->last_syn_usec = now;
}

int poll_once(struct sw_manager *m, bool force_syn)
{
	uint64_t now = util_now_usec(), cpu0 = util_cpu_usec(), syn_cpu = 0;
	/* One deadline for every dump of this poll (decide.h). */
	uint64_t deadline = now + decide_poll_budget_usec(m->watchdog_usec);
	const struct sw_ns_state *ns;
	bool trigger;
	int r;

	m->poll_attempts++;
	faults_hang(&m->faults, m->poll_attempts);
	m->last_attempt_failed = false;
	snapshot_reset(&m->snap);
	m->snap.taken_usec = now;

	faults_arm(&m->faults, SW_FAULT_LISTENERS, m->poll_attempts);
	r = diag_dump_listeners(m->diag, &m->snap, deadline);
	faults_disarm(&m->faults);
	poll_count_dump(m, 0, 0, 0);
	/* Unreadable sysctls or counters stay unknown (-1 / absent), never
	 * zero, and the poll goes on: the queues themselves are still real.
	 * The counters come right after the dump, every listener's sample
	 * before them: a drop between the two is in this poll's
	 * ListenOverflows and only in the next poll's listener drops, never
	 * the other way round, which the namespace rule can carry. */
	(void)netstat_read(m->faults.netstat_path, &m->snap.netstat);
	(void)sysctl_read(m->faults.proc_root, &m->snap.sysctl);
	if (r < 0) {
		poll_error(m, "listener dump", r, now, true);
		return r;
	}
	r = snapshot_index(&m->snap);
	if (r < 0) {
		poll_error(m, "index", r, now, true);
		return r;
	}

	/* Against the counters the tracker kept from the last poll. */
	ns = tracker_ns(m->tracker);
	trigger = decide_syn_scan(tracker_syn_at_warn(m->tracker), ns->polls ? &ns->counters : NULL,
				  &m->snap.netstat, m->snap.sysctl.syncookies);
	if (force_syn || synsched_due(&m->syn, now, trigger))
		poll_syn_scan(m, now, deadline, &syn_cpu);

	r = tracker_update(m->tracker, &m->snap, m->cfg, now, &m->events);
	if (r < 0)
		poll_error(m, "tracker", r, now, true);
	if (m->owners)
		poll_fill_owners(m);     /* gone listeners, before the refresh forgets them */
	r = poll_refresh_owners(m, now, m->once);
	/* A broken helper is said once, by its own lifecycle entry. */
	if (r < 0 && !helper_broken(m->helper))
		poll_error(m, "owners", r, now, false);
	poll_emit_events(m, now);

	m->polls++;
	m->last_poll_ok_usec = now;
	m->last_poll_cpu_usec = util_cpu_usec() - cpu0 - syn_cpu;
	synsched_poll_cost(&m->syn, m->last_poll_cpu_usec);
	return 0;
}

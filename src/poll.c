/* One poll: a namespace discovery pass when namespace_scan has passed;
 * then in every watched namespace the listener dump and, right after it,
 * its counters and sysctls; the SYN_RECV scans that decide_syn_scan() and
 * the scheduler call for; then each namespace's tracker, the owners and
 * the journal. The dumps share one deadline (decide_poll_budget_usec()):
 * one that runs past it fails like any dump error. A failed dump of the
 * own namespace fails the poll (its figures are stale); another
 * namespace's failure is counted and the rest of the poll goes on. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "control.h"
#include "diag.h"
#include "journal.h"
#include "manager_int.h"
#include "helper.h"
#include "netstat.h"
#include "nsset.h"
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

/* Hands the owner cache this poll's listeners, of every namespace (socket
 * inodes are the host's: one owner cache serves them all). complete:
 * finish a scan the per-refresh budget cut short (--once has no later
 * poll to finish it). */
static int poll_refresh_owners(struct sw_manager *m, uint64_t now, bool complete)
{
	size_t n = 0, k = 0;
	int r;

	if (!m->owners)
		return 0;
	for (size_t i = 0; i < m->nsns.n; i++)
		n += m->nsns.v[i]->snap.n_listeners + m->nsns.v[i]->usnap.n_listeners;
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
	for (size_t i = 0; i < m->nsns.n; i++) {
		const struct sw_snapshot *sn = &m->nsns.v[i]->snap;

		const struct sw_unix_snapshot *us = &m->nsns.v[i]->usnap;

		for (size_t j = 0; j < sn->n_listeners; j++, k++) {
			m->inodes[k] = sn->listeners[j].inode;
			m->cgroups[k] = sn->listeners[j].cgroup_id;
		}
		/* No cgroup id: a UNIX listener's owner is found by inode only. */
		for (size_t j = 0; j < us->n_listeners; j++, k++) {
			m->inodes[k] = us->listeners[j].inode;
			m->cgroups[k] = 0;
		}
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
static void poll_count(struct sw_manager *m, uint32_t retries, uint64_t msgs, uint64_t attrs)
{
	m->dump_retries += retries;
	m->skipped_msgs += msgs;
	m->skipped_attrs += attrs;
}

static void poll_count_dump(struct sw_manager *m, const struct sw_snapshot *sn, uint32_t retries0,
			    uint64_t msgs0, uint64_t attrs0)
{
	poll_count(m, sn->dump_retries - retries0, sn->skipped_msgs - msgs0,
		   sn->skipped_attrs - attrs0);
}

/* idle: the cadence's turn (synsched_scanned), else a triggered or forced
 * scan, whose cost the estimate learns only (synsched_cost). */
static void poll_syn_scan(struct sw_manager *m, struct sw_ns *ns, uint64_t now,
			  uint64_t deadline, bool idle, uint64_t *syn_cpu)
{
	uint64_t c0 = util_cpu_usec(), cost;
	struct sw_snapshot *sn = &ns->snap;
	uint32_t retries0 = sn->dump_retries;
	uint64_t msgs0 = sn->skipped_msgs, attrs0 = sn->skipped_attrs;
	int r;

	if (ns == m->nsns.v[0])
		faults_arm(&m->faults, SW_FAULT_SYNRECV, m->poll_attempts);
	r = diag_dump_synrecv(ns->diag, sn, deadline);
	faults_disarm(&m->faults);
	cost = util_cpu_usec() - c0;
	*syn_cpu += cost;
	poll_count_dump(m, sn, retries0, msgs0, attrs0);
	if (r < 0) {
		/* The listener figures of this poll still count. */
		sn->syn_scanned = false;
		poll_error(m, "SYN_RECV dump", r, now, false);
		return;
	}
	if (idle)
		synsched_scanned(&m->syn, now, cost);
	else
		synsched_cost(&m->syn, cost);
	ns->last_syn_cost_usec = cost;
	ns->last_syn_usec = now;
	ns->syn_scans++;
	m->syn_scans++;
	m->last_syn_cpu_usec = cost;
	m->last_syn_usec = now;
}

/* The UNIX listener dump of one namespace, right after its TCP one
 * ([daemon] unix). A failure costs only the UNIX figures of this poll:
 * the tracker keeps the UNIX listeners as they were (usnap_ok false). */
static void poll_dump_unix(struct sw_manager *m, struct sw_ns *ns, uint64_t now,
			   uint64_t deadline)
{
	struct sw_unix_snapshot *us = &ns->usnap;
	int r;

	ns->usnap_ok = false;
	usnap_reset(us);
	if (!m->cfg->watch_unix)
		return;
	us->taken_usec = now;
	us->netns = ns->info.id;
	if (ns == m->nsns.v[0])
		faults_arm(&m->faults, SW_FAULT_UNIX, m->poll_attempts);
	r = diag_dump_unix(ns->diag, us, deadline);
	faults_disarm(&m->faults);
	poll_count(m, us->dump_retries, us->skipped_msgs, us->skipped_attrs);
	if (r < 0) {
		poll_error(m, "UNIX listener dump", r, now, false);
		return;
	}
	/* The daemon's own control socket is not a service to watch. */
	if (ns == m->nsns.v[0] && control_socket_inode(m->control))
		(void)usnap_drop_inode(us, control_socket_inode(m->control));
	if (us->over_bound != ns->logged_unix_over && us->over_bound)
		journal_log(m->journal, LOG_WARNING, "%" PRIu64 " UNIX listeners in network "
			    "namespace %s not watched: at most %u are", us->over_bound,
			    ns->info.name.name, SW_UNIX_LISTENERS_MAX);
	ns->logged_unix_over = us->over_bound;
	ns->usnap_ok = true;
}

/* The listener dump of one namespace, and right after it its counters and
 * sysctls. Unreadable sysctls or counters stay unknown (-1 / absent),
 * never zero, and the poll goes on: the queues themselves are still real.
 * The counters come right after the dump, every listener's sample before
 * them: a drop between the two is in this poll's ListenOverflows and only
 * in the next poll's listener drops, never the other way round, which the
 * namespace rule can carry. */
static int poll_dump_ns(struct sw_manager *m, struct sw_ns *ns, uint64_t now, uint64_t deadline)
{
	struct sw_snapshot *sn = &ns->snap;
	bool own = ns == m->nsns.v[0];
	int r;

	snapshot_reset(sn);
	sn->taken_usec = now;
	sn->netns = ns->info.id;
	if (own)
		faults_arm(&m->faults, SW_FAULT_LISTENERS, m->poll_attempts);
	r = diag_dump_listeners(ns->diag, sn, deadline);
	faults_disarm(&m->faults);
	poll_count_dump(m, sn, 0, 0, 0);
	if (own) {
		(void)netstat_read(m->faults.netstat_path, &sn->netstat);
		(void)sysctl_read(m->faults.proc_root, &sn->sysctl);
	} else {
		const int fds[3] = { ns->fds.somaxconn, ns->fds.max_syn_backlog, ns->fds.syncookies };

		(void)netstat_read_fd(ns->fds.netstat, &sn->netstat);
		(void)sysctl_read_fds(fds, &sn->sysctl);
	}
	if (r >= 0) {
		ns->unwatched_listeners = sn->n_listeners > SW_NS_MAX_LISTENERS ?
						  sn->n_listeners - SW_NS_MAX_LISTENERS : 0;
		snapshot_truncate(sn, SW_NS_MAX_LISTENERS);
		if (ns->unwatched_listeners != ns->logged_unwatched && ns->unwatched_listeners)
			journal_log(m->journal, LOG_WARNING, "%zu listeners in network namespace %s "
				    "not watched: at most %u are", ns->unwatched_listeners,
				    ns->info.name.name, SW_NS_MAX_LISTENERS);
		ns->logged_unwatched = ns->unwatched_listeners;
		r = snapshot_index(sn);
	}
	ns->last_error = r < 0 ? r : 0;
	if (r >= 0)
		poll_dump_unix(m, ns, now, deadline);
	return r;
}

/* Whether this namespace's SYN queues call for a scan now: against the
 * counters its tracker kept from the last poll. */
static bool poll_syn_triggered(const struct sw_ns *ns)
{
	const struct sw_ns_state *st = tracker_ns(ns->tracker);

	return decide_syn_scan(tracker_syn_at_warn(ns->tracker), st->polls ? &st->counters : NULL,
			       &ns->snap.netstat, ns->snap.sysctl.syncookies);
}

/* The SYN scans of this poll. A namespace whose SYN queues show pressure
 * is scanned at once (no closer than the trigger gap, per namespace);
 * the others take turns, one untriggered scan when the scheduler has one
 * due, so the host-wide walk each scan costs (KERNEL-NOTES.md) stays
 * within cpu_budget however many namespaces there are. force: every one. */
static void poll_syn_scans(struct sw_manager *m, const bool *dumped, uint64_t now,
			   uint64_t deadline, bool force, uint64_t *syn_cpu)
{
	bool idle_due = synsched_due(&m->syn, now, false);
	bool always = m->syn.mode == SW_SYN_SCAN_ALWAYS;

	if (m->syn.mode == SW_SYN_SCAN_OFF && !force)
		return;
	for (size_t i = 0; i < m->nsns.n; i++) {
		struct sw_ns *ns = m->nsns.v[i];
		bool trig;

		if (!dumped[i])
			continue;
		trig = poll_syn_triggered(ns);
		if (force || always)
			poll_syn_scan(m, ns, now, deadline, true, syn_cpu);
		else if (trig && synsched_trigger_due(&m->syn, ns->last_syn_usec, now))
			poll_syn_scan(m, ns, now, deadline, false, syn_cpu);
	}
	if (idle_due && !force && !always) {
		/* The next namespace in turn; one a trigger scanned in this
		 * poll has had its turn. */
		size_t i = nsset_next_idle(&m->nsns);
		struct sw_ns *ns = m->nsns.v[i];

		if (!dumped[i])
			;                /* not polled now: the next one's turn, next poll */
		else if (ns->snap.syn_scanned)
			synsched_scanned(&m->syn, now, ns->last_syn_cost_usec);
		else
			poll_syn_scan(m, ns, now, deadline, true, syn_cpu);
	}
}

/* A discovery pass when namespace_scan has passed since the last. When
 * the set found it can watch only the own namespace (-EOPNOTSUPP), that
 * is said once; other failures are retried at the next pass. */
static void poll_discover(struct sw_manager *m, uint64_t now)
{
	struct sw_nsset *s = &m->nsns;
	int r;

	if (!s->all || !m->helper ||
	    (s->last_discovery_usec && now - s->last_discovery_usec < m->cfg->namespace_scan_usec))
		return;
	r = nsset_discover(s, m->helper, m->nsprocs, m->cfg, now, &m->events);
	if (r < 0) {
		s->last_discovery_usec = now;
		if (helper_broken(m->helper))
			return;          /* the daemon ends, with its own entry */
		if (r == -EOPNOTSUPP) {
			journal_log(m->journal, LOG_WARNING, "Watching only this network namespace: %s",
				    s->own_only_reason);
			return;
		}
		poll_error(m, "namespace discovery", r, now, false);
		return;
	}
	if (s->unwatched != s->logged_unwatched) {
		if (s->unwatched > 0)
			journal_log(m->journal, LOG_WARNING,
				    "%zu network namespaces not watched: at most %zu are (the bound, "
				    "or what the fd limit allows at %d fds each), %zu watched",
				    s->unwatched, s->max, NSDISC_N_FDS, s->n);
		s->logged_unwatched = s->unwatched;
	}
}

/* Whether namespace ns is dumped in this poll: the own one always; another
 * at the configured interval, or at the fast one while something of its
 * own is at warn (so one busy container does not make every namespace
 * poll fast). Half an interval of slack: timers are not exact. */
static bool poll_ns_due(const struct sw_manager *m, const struct sw_ns *ns, uint64_t now)
{
	uint64_t iv = m->cfg->interval_usec;

	if (ns == m->nsns.v[0] || ns->last_dump_usec == 0 || tracker_any_at_warn(ns->tracker))
		return true;
	return now - ns->last_dump_usec + iv / 2 >= iv;
}

/* A namespace whose dumps failed this many times in a row gets its
 * collectors opened again (its socket may be stuck). */
#define POLL_REOPEN_AFTER 3

int poll_once(struct sw_manager *m, bool force_syn)
{
	uint64_t now = util_now_usec(), cpu0 = util_cpu_usec(), syn_cpu = 0, disc_cpu;
	/* One deadline for every dump of this poll (decide.h). */
	uint64_t deadline = now + decide_poll_budget_usec(m->watchdog_usec);
	_cleanup_free_ bool *dumped = NULL;
	int r, own_r = 0;

	m->poll_attempts++;
	faults_hang(&m->faults, m->poll_attempts);
	m->last_attempt_failed = false;

	poll_discover(m, now);
	disc_cpu = util_cpu_usec() - cpu0;
	dumped = calloc(m->nsns.n, sizeof(*dumped));
	if (!dumped) {
		poll_error(m, "poll", -ENOMEM, now, true);
		return -ENOMEM;
	}
	/* The own namespace first, then the others from a point that moves
	 * every poll: when the deadline cuts a poll short, it is not always
	 * the same namespaces that go unseen. */
	for (size_t k = 0, n = m->nsns.n; k < n; k++) {
		size_t i = k == 0 ? 0 : 1 + (k - 1 + m->poll_attempts) % (n - 1);
		struct sw_ns *ns = m->nsns.v[i];

		if (!poll_ns_due(m, ns, now))
			continue;
		r = poll_dump_ns(m, ns, now, deadline);
		dumped[i] = r >= 0;
		if (r >= 0) {
			ns->last_dump_usec = now;
			ns->failed_dumps = 0;
		} else if (i == 0) {
			own_r = r;
		} else {
			poll_error(m, "listener dump", r, now, false);
			if (++ns->failed_dumps >= POLL_REOPEN_AFTER && m->helper &&
			    nsset_reopen(&m->nsns, m->helper, i) >= 0)
				ns->failed_dumps = 0;
		}
	}
	if (own_r < 0) {
		/* The own namespace's figures are what check reports: stale. */
		poll_error(m, "listener dump", own_r, now, true);
		return own_r;
	}

	poll_syn_scans(m, dumped, now, deadline, force_syn, &syn_cpu);

	for (size_t i = 0; i < m->nsns.n; i++) {
		struct sw_ns *ns = m->nsns.v[i];

		if (!dumped[i])
			continue;
		r = tracker_update(ns->tracker, &ns->snap, ns->usnap_ok ? &ns->usnap : NULL, m->cfg,
				   now, &m->events);
		if (r < 0)
			poll_error(m, "tracker", r, now, true);
	}
	if (m->owners)
		poll_fill_owners(m);     /* gone listeners, before the refresh forgets them */
	r = poll_refresh_owners(m, now, m->once);
	/* A broken helper is said once, by its own lifecycle entry. */
	if (r < 0 && !helper_broken(m->helper))
		poll_error(m, "owners", r, now, false);
	poll_emit_events(m, now);

	m->polls++;
	m->last_poll_ok_usec = now;
	m->last_poll_cpu_usec = util_cpu_usec() - cpu0 - syn_cpu - disc_cpu;
	synsched_poll_cost(&m->syn, m->last_poll_cpu_usec);
	return 0;
}

/* The daemon's life: load config, open the collector, poll on a timer,
 * track, alert, answer the control socket, reload on SIGHUP, stop on
 * SIGTERM. Every poll is: sysctls + counters + listener dump, a SYN scan
 * when the scheduler says so, then the tracker and the journal. */
#include "manager.h"

#include <errno.h>
#include <json-c/json.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "control.h"
#include "diag.h"
#include "journal.h"
#include "limits.h"
#include "netstat.h"
#include "owners.h"
#include "protocol.h"
#include "snapshot.h"
#include "status.h"
#include "synsched.h"
#include "sysctl.h"
#include "tracker.h"
#include "util.h"

/* Timer slack: polls need not be exact to the microsecond, and letting the
 * kernel coalesce wake-ups is part of costing nothing. */
#define POLL_ACCURACY_USEC (10 * USEC_PER_MSEC)
/* A failing poll (netlink refused, say) is retried at the normal interval;
 * its error is logged at most this often. */
#define ERROR_LOG_USEC (60 * USEC_PER_SEC)
/* Owner scans finished on demand, in rounds of the owner module's per-call
 * budget (~20k fds each): --once has no later poll to finish one; an
 * alert's owner is worth a few rounds. */
#define OWNERS_ONCE_ROUNDS  200
#define OWNERS_ALERT_ROUNDS 20
/* A poll is late when it starts more than half its interval after it was
 * due, but never for less than LATE_MIN nor only beyond LATE_MAX: the
 * timer's own slack and a busy host's scheduling stay below the first; a
 * loop held up that long by anything (a client, a hung journald) is what
 * the counter is for. */
/* heap_trim(): how often, and the free memory worth it. */
#define MANAGER_TRIM_USEC (10 * USEC_PER_SEC)
#define MANAGER_TRIM_MIN  (1u << 20)
#define LATE_MIN_USEC (100 * USEC_PER_MSEC)
#define LATE_MAX_USEC (1 * USEC_PER_SEC)

/* Test seams, read once at start from the environment (sockwatchd(8),
 * ENVIRONMENT). SOCKWATCHD_PROC_ROOT: where sysctls and TcpExt counters are
 * read instead of /proc. SOCKWATCHD_TEST_FAULT: netlink faults to inject,
 * "rcvbuf=BYTES" (a real, tiny receive buffer) and
 * "{listeners,synrecv}-{intr,enobufs,eperm}=FROM[-TO]": the dumps of those
 * poll attempts (numbered from 1) fail as an interrupted dump, an overrun
 * socket or an EPERM error reply would. They can only make the daemon see
 * less, never more, and the status document names them. */
#define ENV_PROC_ROOT  "SOCKWATCHD_PROC_ROOT"
#define ENV_TEST_FAULT "SOCKWATCHD_TEST_FAULT"
#define FAULTS_MAX 16

enum fault_dump { FAULT_LISTENERS, FAULT_SYNRECV };

struct fault {
	enum fault_dump dump;
	int err;                     /* negative errno the dump's receive gets */
	uint64_t from, to;           /* poll attempts, inclusive */
};

struct sw_manager {
	struct sw_manager_options opts;
	char *config_path;
	char *control_path;
	struct sw_config *cfg;

	sd_event *event;
	sd_event_source *poll_timer;
	sd_event_source *sig_hup, *sig_term, *sig_int;

	struct sw_diag *diag;
	struct sw_snapshot snap;
	struct sw_tracker *tracker;
	struct sw_events events;
	struct sw_journal *journal;
	struct sw_owners *owners;
	struct sw_control *control;
	struct sw_synsched syn;

	size_t n_inodes;             /* of the last refresh */
	uint32_t *inodes;            /* reused per poll for owners_refresh */
	uint64_t *cgroups;
	size_t cap_inodes;

	uint64_t netns_inode;
	struct sw_netstat prev_counters;
	bool have_prev_counters;

	char *proc_root;             /* "/proc", or SOCKWATCHD_PROC_ROOT */
	char *netstat_path;
	char *fault_spec;            /* SOCKWATCHD_TEST_FAULT as given, or NULL */
	struct fault faults[FAULTS_MAX];
	size_t n_faults;
	int fault_err;               /* what the recv hook returns now */
	uint64_t fault_rcvbuf;       /* netlink receive buffer set by the seam, 0: none */
	uint64_t faults_injected;

	uint64_t start_usec;
	uint64_t last_poll_ok_usec;  /* start of the last poll that completed; 0: none */
	bool last_attempt_failed;    /* some part of the latest poll attempt failed */
	bool poll_part_failed;
	uint64_t poll_attempts, polls, poll_errors, syn_scans;
	uint64_t dump_retries, skipped_msgs, skipped_attrs;   /* since start */
	uint64_t last_error_usec;
	uint64_t next_due_usec;      /* when the armed poll is due; 0: at once */
	uint64_t late_polls, last_lateness_usec, max_lateness_usec;
	uint64_t last_poll_wall_usec, max_poll_wall_usec;
	uint64_t last_trim_usec;
	uint64_t last_poll_cpu_usec, last_syn_cpu_usec, last_syn_usec;
	uint64_t current_interval_usec;
	uint64_t last_error_log_usec;
	char last_error[160];
	bool ready;
	bool once;                   /* --once: the document is the output, no alerts */
	char status_text[256];
};

static enum sw_log_target effective_target(const struct sw_manager *m)
{
	return m->opts.log_target >= 0 ? (enum sw_log_target)m->opts.log_target : m->cfg->log_target;
}

static int effective_level(const struct sw_manager *m)
{
	return m->opts.log_level >= 0 ? m->opts.log_level : m->cfg->log_level;
}

static void lifecycle(struct sw_manager *m, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void lifecycle(struct sw_manager *m, const char *what, const char *fmt, ...)
{
	struct sw_event ev = { .kind = SW_EV_LIFECYCLE, .lifecycle = what };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
	va_end(ap);
	journal_emit(m->journal, &ev);
}

static uint64_t read_netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

void manager_free(struct sw_manager *m)
{
	if (!m)
		return;
	control_free(m->control);
	sd_event_source_unref(m->poll_timer);
	sd_event_source_unref(m->sig_hup);
	sd_event_source_unref(m->sig_term);
	sd_event_source_unref(m->sig_int);
	sd_event_unref(m->event);
	diag_close(m->diag);
	snapshot_clear(&m->snap);
	tracker_free(m->tracker);
	events_free(&m->events);
	owners_free(m->owners);
	journal_close(m->journal);
	config_free(m->cfg);
	free(m->inodes);
	free(m->cgroups);
	free(m->config_path);
	free(m->control_path);
	free(m->proc_root);
	free(m->netstat_path);
	free(m->fault_spec);
	free(m);
}

static int parse_u64(const char *s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

/* One "NAME=VALUE" item of SOCKWATCHD_TEST_FAULT. */
static int parse_fault_item(struct sw_manager *m, const char *item, const char *end)
{
	static const struct {
		const char *name;
		enum fault_dump dump;
		int err;
	} kinds[] = {
		{ "listeners-intr",    FAULT_LISTENERS, -EINTR },
		{ "listeners-enobufs", FAULT_LISTENERS, -ENOBUFS },
		{ "listeners-eperm",   FAULT_LISTENERS, -EPERM },
		{ "synrecv-intr",      FAULT_SYNRECV,   -EINTR },
		{ "synrecv-enobufs",   FAULT_SYNRECV,   -ENOBUFS },
		{ "synrecv-eperm",     FAULT_SYNRECV,   -EPERM },
	};
	const char *eq = memchr(item, '=', (size_t)(end - item)), *dash;
	size_t nlen;
	uint64_t v;
	int r;

	if (!eq)
		return -EINVAL;
	nlen = (size_t)(eq - item);
	if (nlen == 6 && memcmp(item, "rcvbuf", 6) == 0) {
		int got;
		socklen_t gl = sizeof(got);

		r = parse_u64(eq + 1, end, &v);
		if (r < 0 || v > SIZE_MAX)
			return -EINVAL;
		r = diag_set_rcvbuf(m->diag, (size_t)v);
		if (r < 0)
			return r;
		/* What the kernel made of it (it doubles the value, and has a
		 * floor), for the status document. */
		if (getsockopt(diag_fd(m->diag), SOL_SOCKET, SO_RCVBUF, &got, &gl) < 0)
			return -errno;
		m->fault_rcvbuf = (uint64_t)got;
		return 0;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(kinds); i++) {
		struct fault *f;

		if (strlen(kinds[i].name) != nlen || memcmp(item, kinds[i].name, nlen) != 0)
			continue;
		if (m->n_faults >= FAULTS_MAX)
			return -E2BIG;
		f = &m->faults[m->n_faults];
		f->dump = kinds[i].dump;
		f->err = kinds[i].err;
		dash = memchr(eq + 1, '-', (size_t)(end - eq - 1));
		if (parse_u64(eq + 1, dash ? dash : end, &f->from) < 0)
			return -EINVAL;
		if (!dash)
			f->to = f->from;
		else if (parse_u64(dash + 1, end, &f->to) < 0)
			return -EINVAL;
		if (f->from == 0 || f->to < f->from)
			return -EINVAL;
		m->n_faults++;
		return 0;
	}
	return -EINVAL;
}

/* The test seams of the environment (see ENV_* above). */
static int read_test_seams(struct sw_manager *m)
{
	const char *root = getenv(ENV_PROC_ROOT), *spec = getenv(ENV_TEST_FAULT);
	int r;

	if (root && *root) {
		if (root[0] != '/') {
			journal_log(m->journal, LOG_ERR, "%s must be an absolute path: %s",
				    ENV_PROC_ROOT, root);
			return -EINVAL;
		}
		journal_log(m->journal, LOG_WARNING, "Test seam: reading sysctls and counters "
			    "below %s instead of /proc", root);
	} else {
		root = "/proc";
	}
	m->proc_root = strdup(root);
	if (!m->proc_root || asprintf(&m->netstat_path, "%s/net/netstat", root) < 0) {
		m->netstat_path = NULL;
		return -ENOMEM;
	}
	if (!spec || !*spec)
		return 0;
	m->fault_spec = strdup(spec);
	if (!m->fault_spec)
		return -ENOMEM;
	for (const char *p = spec; *p;) {
		const char *end = strchrnul(p, ',');

		r = parse_fault_item(m, p, end);
		if (r < 0) {
			journal_log(m->journal, LOG_ERR, "%s: cannot use '%.*s' (of '%s')",
				    ENV_TEST_FAULT, (int)(end - p), p, spec);
			return -EINVAL;
		}
		p = *end ? end + 1 : end;
	}
	journal_log(m->journal, LOG_WARNING, "Test seam: injecting netlink faults: %s", spec);
	return 0;
}

static ssize_t fault_recv_hook(void *userdata, int family, uint32_t states, uint32_t seq,
			       uint32_t portid, void *buf, size_t len)
{
	struct sw_manager *m = userdata;

	m->faults_injected++;
	return m->fault_err;
}

/* Arms the fault hook for this attempt's dump of kind k, if one is planned. */
static void fault_arm(struct sw_manager *m, enum fault_dump k)
{
	for (size_t i = 0; i < m->n_faults; i++) {
		const struct fault *f = &m->faults[i];

		if (f->dump == k && m->poll_attempts >= f->from && m->poll_attempts <= f->to) {
			m->fault_err = f->err;
			diag_set_recv_hook(m->diag, fault_recv_hook, m);
			return;
		}
	}
}

static void fault_disarm(struct sw_manager *m)
{
	if (m->n_faults)
		diag_set_recv_hook(m->diag, NULL, NULL);
}

int manager_new(const struct sw_manager_options *opts, struct sw_config *cfg,
		struct sw_manager **ret)
{
	struct sw_manager *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m) {
		config_free(cfg);
		return -ENOMEM;
	}
	m->opts = *opts;
	m->cfg = cfg;
	m->config_path = strdup(opts->config_path);
	m->control_path = strdup(opts->control_socket ? opts->control_socket : cfg->control_socket);
	if (!m->config_path || !m->control_path) {
		r = -ENOMEM;
		goto fail;
	}
	m->opts.config_path = m->config_path;
	m->opts.control_socket = NULL;
	snapshot_init(&m->snap);
	m->netns_inode = read_netns_inode();
	m->start_usec = util_now_usec();
	m->last_syn_usec = UINT64_MAX;

	r = journal_open(effective_target(m), effective_level(m), &m->journal);
	if (r < 0)
		goto fail;
	/* Alerts raised while journald is away reach it once it is back. */
	r = journal_set_queue(m->journal, SW_JOURNAL_QUEUE_DEFAULT);
	if (r < 0)
		goto fail;
	r = diag_open(&m->diag);
	if (r < 0) {
		journal_log(m->journal, LOG_ERR, "Failed to open the sock_diag netlink socket: %s",
			    strerror(-r));
		goto fail;
	}
	r = read_test_seams(m);
	if (r < 0)
		goto fail;
	r = tracker_new(&m->tracker);
	if (r < 0)
		goto fail;
	/* Without /proc access owners stay unknown; that is not fatal. */
	r = owners_new("/proc", "/sys/fs/cgroup", &m->owners);
	if (r < 0) {
		journal_log(m->journal, LOG_WARNING, "Owner attribution disabled: %s", strerror(-r));
		m->owners = NULL;
	}
	{
		struct utsname u;

		if (uname(&u) == 0)
			tracker_set_kernel(m->tracker, limits_kernel_full_at_limit(u.release));
	}
	synsched_init(&m->syn, cfg->syn_scan, cfg->cpu_budget, cfg->interval_usec);
	r = sd_event_new(&m->event);
	if (r < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	manager_free(m);
	return r;
}

/* Whether a counter that says a SYN queue overflowed moved since the last
 * poll: then the SYN scan runs now, budget permitting, to say which. */
static bool counters_call_for_scan(const struct sw_manager *m, const struct sw_netstat *now)
{
	static const enum sw_counter watch[] = {
		SW_CTR_LISTEN_DROPS, SW_CTR_REQQ_FULL_COOKIES, SW_CTR_REQQ_FULL_DROP,
		SW_CTR_SYNCOOKIES_SENT,
	};

	if (!m->have_prev_counters)
		return false;
	for (size_t i = 0; i < SW_ARRAY_SIZE(watch); i++) {
		enum sw_counter c = watch[i];

		if (netstat_has(now, c) && netstat_has(&m->prev_counters, c) &&
		    now->value[c] != m->prev_counters.value[c])
			return true;
	}
	return false;
}

static void poll_error(struct sw_manager *m, const char *what, int r, uint64_t now)
{
	m->poll_errors++;
	m->poll_part_failed = true;
	m->last_error_usec = now;
	snprintf(m->last_error, sizeof(m->last_error), "%s: %s", what, strerror(-r));
	if (m->last_error_log_usec == 0 || now - m->last_error_log_usec >= ERROR_LOG_USEC) {
		journal_log(m->journal, LOG_ERR, "Poll failed: %s (%" PRIu64 " failed polls so far)",
			    m->last_error, m->poll_errors);
		m->last_error_log_usec = now;
	}
}

/* Hands the owner cache this poll's listeners. complete: finish a scan the
 * per-refresh budget cut short (--once has no later poll to finish it). */
static int refresh_owners(struct sw_manager *m, uint64_t now, bool complete)
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
					    OWNERS_ONCE_ROUNDS);
		return r < 0 ? r : 0;
	}
	return owners_refresh(m->owners, m->inodes, m->cgroups, n, now);
}

/* Names the owner of each listener event that has none yet. Events carry
 * the socket's inode, so a listener that vanished in this poll is still
 * found while the cache remembers it (before the refresh forgets it). */
static void fill_owners(struct sw_manager *m)
{
	for (size_t i = 0; i < m->events.n; i++) {
		struct sw_event *ev = &m->events.v[i];

		if (ev->has_listener && ev->owner.pid == 0 && !ev->owner.unit[0])
			(void)owners_lookup(m->owners, ev->inode, ev->cgroup_id, &ev->owner);
	}
}

/* Whether some listener event still lacks its owner. */
static bool owners_missing(const struct sw_manager *m)
{
	for (size_t i = 0; i < m->events.n; i++) {
		const struct sw_event *ev = &m->events.v[i];

		if (ev->has_listener && !ev->listener_gone && ev->owner.pid == 0)
			return true;
	}
	return false;
}

static void emit_events(struct sw_manager *m, uint64_t now)
{
	if (m->owners && m->events.n > 0) {
		fill_owners(m);
		/* Alerts are rare and worth naming: finish a scan the budget cut
		 * short rather than send them without their owner. */
		if (owners_missing(m) && owners_scanning(m->owners) &&
		    owners_refresh_complete(m->owners, m->inodes, m->cgroups, m->n_inodes, now,
					    OWNERS_ALERT_ROUNDS) >= 0)
			fill_owners(m);
	}
	if (!m->once)
		for (size_t i = 0; i < m->events.n; i++)
			journal_emit(m->journal, &m->events.v[i]);
	events_clear(&m->events);
}

/* One poll. force_syn: scan the SYN queues whatever the scheduler says. */
static int manager_poll(struct sw_manager *m, bool force_syn)
{
	uint64_t now = util_now_usec(), cpu0 = util_cpu_usec(), syn_cpu = 0;
	bool trigger;
	int r;

	m->poll_attempts++;
	m->last_attempt_failed = true;      /* until it gets to the end */
	m->poll_part_failed = false;
	snapshot_reset(&m->snap);
	m->snap.taken_usec = now;
	/* Unreadable sysctls or counters stay unknown (-1 / absent), never
	 * zero, and the poll goes on: the queues themselves are still real. */
	(void)sysctl_read(m->proc_root, &m->snap.sysctl);
	(void)netstat_read(m->netstat_path, &m->snap.netstat);

	fault_arm(m, FAULT_LISTENERS);
	r = diag_dump_listeners(m->diag, &m->snap);
	fault_disarm(m);
	/* Redos and skipped parts count whether or not the dump succeeded
	 * in the end (the parsers leave what they skipped counted). */
	m->dump_retries += m->snap.dump_retries;
	m->skipped_msgs += m->snap.skipped_msgs;
	m->skipped_attrs += m->snap.skipped_attrs;
	if (r < 0) {
		poll_error(m, "listener dump", r, now);
		return r;
	}
	r = snapshot_index(&m->snap);
	if (r < 0) {
		poll_error(m, "index", r, now);
		return r;
	}

	/* A queue in alert is scanned at the triggered pace too, so that its
	 * clearing (or worsening) is seen promptly, not at the idle cadence. */
	trigger = counters_call_for_scan(m, &m->snap.netstat) || false ||
		  tracker_any_at_warn(m->tracker);
	if (force_syn || synsched_due(&m->syn, now, trigger)) {
		uint64_t c0 = util_cpu_usec();
		uint32_t retries0 = m->snap.dump_retries;
		uint64_t msgs0 = m->snap.skipped_msgs, attrs0 = m->snap.skipped_attrs;

		fault_arm(m, FAULT_SYNRECV);
		r = diag_dump_synrecv(m->diag, &m->snap);
		fault_disarm(m);
		syn_cpu = util_cpu_usec() - c0;
		m->dump_retries += m->snap.dump_retries - retries0;
		m->skipped_msgs += m->snap.skipped_msgs - msgs0;
		m->skipped_attrs += m->snap.skipped_attrs - attrs0;
		if (r < 0) {
			/* The listener figures of this poll still count. */
			m->snap.syn_scanned = false;
			poll_error(m, "SYN_RECV dump", r, now);
		} else {
			synsched_scanned(&m->syn, now, syn_cpu);
			m->syn_scans++;
			m->last_syn_cpu_usec = syn_cpu;
			m->last_syn_usec = now;
		}
	}

	r = tracker_update(m->tracker, &m->snap, m->cfg, now, &m->events);
	if (r < 0)
		poll_error(m, "tracker", r, now);
	if (m->owners)
		fill_owners(m);     /* gone listeners, before the refresh forgets them */
	r = refresh_owners(m, now, m->once);
	if (r < 0)
		poll_error(m, "owners", r, now);
	emit_events(m, now);

	m->prev_counters = m->snap.netstat;
	m->have_prev_counters = true;
	m->polls++;
	m->last_attempt_failed = m->poll_part_failed;
	m->last_poll_ok_usec = now;
	m->last_poll_cpu_usec = util_cpu_usec() - cpu0 - syn_cpu;
	synsched_poll_cost(&m->syn, m->last_poll_cpu_usec);
	return 0;
}

static size_t count_in_alert(const struct sw_tracker *t)
{
	size_t n = 0, total = tracker_count(t);

	for (size_t i = 0; i < total; i++)
		if (tracker_get(t, i)->level != SW_LEVEL_OK)
			n++;
	return n;
}

static void notify_status(struct sw_manager *m)
{
	char text[sizeof(m->status_text)];

	if (m->poll_errors && m->last_error[0] && !m->ready)
		snprintf(text, sizeof(text), "STATUS=Polling failed: %s", m->last_error);
	else
		/* No per-poll figures: the text changes (and PID 1 hears of it)
		 * only when the picture does. */
		snprintf(text, sizeof(text), "STATUS=Watching %zu listeners, %zu in alert%s",
			 tracker_count(m->tracker), count_in_alert(m->tracker),
			 m->last_attempt_failed ? "; last poll failed" : "");
	/* sd_notify is a syscall: only when the text changed. */
	if (strcmp(text, m->status_text) == 0)
		return;
	memcpy(m->status_text, text, sizeof(text));
	sd_notify(0, text);
}

static void schedule_poll(struct sw_manager *m, uint64_t from)
{
	uint64_t iv = tracker_any_at_warn(m->tracker) ? m->cfg->fast_interval_usec
						      : m->cfg->interval_usec;

	if (iv != m->current_interval_usec) {
		m->current_interval_usec = iv;
		/* SYN-scan spacing is computed against the poll period in force. */
		synsched_configure(&m->syn, m->cfg->syn_scan, m->cfg->cpu_budget, iv);
	}
	m->next_due_usec = from + iv;
	sd_event_source_set_time(m->poll_timer, from + iv);
	sd_event_source_set_enabled(m->poll_timer, SD_EVENT_ONESHOT);
}

static uint64_t late_threshold(const struct sw_manager *m)
{
	uint64_t iv = m->current_interval_usec ? m->current_interval_usec : m->cfg->interval_usec;

	return SW_MIN(SW_MAX(iv / 2, LATE_MIN_USEC), LATE_MAX_USEC);
}

/* How late this poll started against when it was due (the first one is due
 * at once and never late). */
static void note_lateness(struct sw_manager *m, uint64_t start)
{
	uint64_t late;

	if (m->next_due_usec == 0)
		return;
	late = start > m->next_due_usec ? start - m->next_due_usec : 0;
	m->last_lateness_usec = late;
	if (late > m->max_lateness_usec)
		m->max_lateness_usec = late;
	if (late > late_threshold(m))
		m->late_polls++;
}

/* Memory a burst of listeners or an owner scan of many fds used and freed
 * stays in the malloc heap, scattered between live blocks where glibc
 * does not return it by itself: every MANAGER_TRIM_USEC, when the heap
 * holds MANAGER_TRIM_MIN free, its free pages go back to the kernel
 * (well under a millisecond), so RSS follows the load down. */
static void heap_trim(struct sw_manager *m, uint64_t now)
{
	if (now - m->last_trim_usec < MANAGER_TRIM_USEC)
		return;
	m->last_trim_usec = now;
	(void)util_heap_trim(MANAGER_TRIM_MIN);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct sw_manager *m = userdata;
	uint64_t start = util_now_usec(), wall;
	int r;

	note_lateness(m, start);
	r = manager_poll(m, false);
	wall = util_now_usec() - start;
	m->last_poll_wall_usec = wall;
	if (wall > m->max_poll_wall_usec)
		m->max_poll_wall_usec = wall;
	/* Entries that waited for an absent journald go out once it is back,
	 * even when no new alert comes to push them. */
	(void)journal_flush(m->journal);
	if (r >= 0 && !m->ready) {
		m->ready = true;
		sd_notify(0, "READY=1");
		lifecycle(m, "started", "version %s, watching %zu listeners, config %s",
			  SW_VERSION, tracker_count(m->tracker),
			  m->cfg->path ? m->cfg->path : "(built-in defaults)");
	}
	notify_status(m);
	heap_trim(m, start);
	/* Next poll counted from this one's deadline, so the period does not
	 * drift by the poll's own duration; a late loop does not catch up in
	 * a burst either. */
	uint64_t now = util_now_usec();
	schedule_poll(m, usec + m->current_interval_usec > now ? usec : now);
	return 0;
}

/* Loads the config file again; swaps it in only when it validated. */
static int manager_reload(struct sw_manager *m, char **ret_error)
{
	struct sw_config_errors errs = { 0 };
	struct sw_config *cfg = NULL;
	int r;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, util_now_usec());
	r = config_load(m->config_path, &cfg, &errs);
	if (r == -ENOENT && !m->opts.config_explicit)
		r = config_new_default(&cfg);
	if (r < 0) {
		char text[SW_TEXT_MAX] = "";
		size_t off = 0;

		if (errs.n == 0)
			snprintf(text, sizeof(text), "%s: %s", m->config_path, strerror(-r));
		for (size_t i = 0; i < errs.n && off < sizeof(text) - 1; i++)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s",
						i ? "; " : "", errs.msg[i]);
		config_errors_clear(&errs);
		lifecycle(m, "config rejected",
			  "the previous configuration stays in force: %s", text);
		if (ret_error && asprintf(ret_error, "config rejected: %s", text) < 0)
			*ret_error = NULL;
		sd_notify(0, "READY=1");
		return -EINVAL;
	}
	config_errors_clear(&errs);
	if (strcmp(cfg->control_socket, m->cfg->control_socket) != 0 && !m->opts.control_socket)
		journal_log(m->journal, LOG_WARNING,
			    "[control] socket changed to %s: it takes effect at the next start",
			    cfg->control_socket);
	config_free(m->cfg);
	m->cfg = cfg;
	tracker_reloaded(m->tracker);
	journal_set(m->journal, effective_target(m), effective_level(m));
	m->current_interval_usec = 0;    /* recomputed by schedule_poll */
	if (m->poll_timer)
		schedule_poll(m, util_now_usec());
	lifecycle(m, "reloaded", "configuration from %s",
		  m->cfg->path ? m->cfg->path : "(built-in defaults)");
	sd_notify(0, "READY=1");
	return 0;
}

/* The daemon's half of the status document, as of now (returned). */
static uint64_t daemon_status(struct sw_manager *m, struct sw_status_daemon *ret)
{
	uint64_t now = util_now_usec();
	struct sw_status_daemon d = {
		.pid = (int)getpid(),
		.netns_inode = m->netns_inode,
		.uptime_ms = (now - m->start_usec) / USEC_PER_MSEC,
		.interval_ms = m->cfg->interval_usec / USEC_PER_MSEC,
		.fast_interval_ms = m->cfg->fast_interval_usec / USEC_PER_MSEC,
		.current_interval_ms = (m->current_interval_usec ? m->current_interval_usec
								  : m->cfg->interval_usec) / USEC_PER_MSEC,
		.polls = m->polls,
		.poll_errors = m->poll_errors,
		.last_poll_us = m->last_poll_cpu_usec,
		.last_error = m->last_error[0] ? m->last_error : NULL,
		.syn_mode = m->cfg->syn_scan == SW_SYN_SCAN_AUTO ? "auto" :
			    m->cfg->syn_scan == SW_SYN_SCAN_ALWAYS ? "always" : "off",
		.syn_interval_ms = synsched_interval(&m->syn) / USEC_PER_MSEC,
		.syn_last_cost_us = m->last_syn_cpu_usec,
		.syn_scans = m->syn_scans,
		.syn_last_age_ms = m->last_syn_usec == UINT64_MAX ? UINT64_MAX :
				   (now - m->last_syn_usec) / USEC_PER_MSEC,
		.syn_requests = m->snap.syn_requests,
		.syn_unmatched = m->snap.syn_unmatched,
		.skipped_msgs = m->skipped_msgs,
		.skipped_attrs = m->skipped_attrs,
		.dump_retries = m->dump_retries,
		.owner_unknown_reason = m->owners ? owners_unknown_reason(m->owners) : NULL,
		.last_error_age_ms = m->poll_errors ? (now - m->last_error_usec) / USEC_PER_MSEC
						    : UINT64_MAX,
		.late_polls = m->late_polls,
		.last_poll_ok = m->poll_attempts ? (m->last_attempt_failed ? 0 : 1) : -1,
		.last_poll_age_ms = m->last_poll_ok_usec ? (now - m->last_poll_ok_usec) / USEC_PER_MSEC
							 : UINT64_MAX,
		.late_threshold_us = late_threshold(m),
		.last_poll_lateness_us = m->last_lateness_usec,
		.max_poll_lateness_us = m->max_lateness_usec,
		.last_poll_wall_us = m->last_poll_wall_usec,
		.max_poll_wall_us = m->max_poll_wall_usec,
		.log_target = config_log_target_name(effective_target(m)),
		.test_faults = m->fault_spec,
		.faults_injected = m->faults_injected,
		.rcvbuf = m->fault_rcvbuf,
		.proc_root = strcmp(m->proc_root, "/proc") != 0 ? m->proc_root : NULL,
	};

	journal_get_stats(m->journal, &d.journal);
	*ret = d;
	return now;
}

static int lookup_owner(void *userdata, const struct sw_tracked *tr, struct sw_owner *ret)
{
	const struct sw_manager *m = userdata;

	return m->owners ? owners_lookup(m->owners, tr->inode, tr->cgroup_id, ret) : -ENOENT;
}

/* The document as one line (status_format), listeners f keeps. */
static int build_document(struct sw_manager *m, const struct sw_status_filter *f, size_t max,
			  char **ret, size_t *ret_len, size_t *ret_kept)
{
	struct sw_status_daemon d;
	struct sw_status_inputs in = {
		.daemon = &d,
		.tracker = m->tracker,
		.cfg = m->cfg,
		.owner = lookup_owner,
		.owner_userdata = m,
	};

	in.now_usec = daemon_status(m, &d);
	return status_format(&in, f, max, ret, ret_len, ret_kept);
}

/* status, show and check: the document as one line, written a listener at
 * a time (status_format), never as a whole object tree. */
static int answer_document(struct sw_manager *m, const struct sw_ctl_request *req,
			   struct sw_control_reply *ret)
{
	struct sw_status_filter f = {
		.keep = status_keep_for_request,
		.userdata = (void *)req,
		.hidden_key = protocol_request_hides_idle(req) ? "idle_hidden" : NULL,
	};
	size_t kept = 0;
	int r;

	r = build_document(m, req->cmd == SW_CTL_CHECK ? NULL : &f, SW_CTL_REPLY_MAX, &ret->line,
			   &ret->len, &kept);
	if (r < 0)
		return r;
	if (req->cmd == SW_CTL_SHOW && kept == 0) {
		free(ret->line);
		ret->line = NULL;
		ret->object = protocol_error_reply("no listener %s", req->listener);
	}
	return 0;
}

static int on_request(void *userdata, const struct sw_ctl_request *req, uid_t peer_uid,
		      struct sw_control_reply *ret)
{
	struct sw_manager *m = userdata;
	int r;

	switch (req->cmd) {
	case SW_CTL_VERSION:
		ret->object = protocol_version_reply();
		return 0;
	case SW_CTL_RELOAD: {
		char *err = NULL;

		/* control has refused reload from uid != 0 already. */
		r = manager_reload(m, &err);
		ret->object = r < 0 ? protocol_error_reply("%s", err ? err : "config rejected")
				    : protocol_ok_reply();
		free(err);
		return 0;
	}
	case SW_CTL_STATUS:
	case SW_CTL_SHOW:
	case SW_CTL_CHECK:
		return answer_document(m, req, ret);
	case _SW_CTL_CMD_MAX:
		break;
	}
	ret->object = protocol_error_reply("unknown command");
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct sw_manager *m = userdata;

	if (si->ssi_signo == SIGHUP) {
		manager_reload(m, NULL);
		return 0;
	}
	sd_event_exit(sd_event_source_get_event(s), 0);
	return 0;
}

int manager_run(struct sw_manager *m)
{
	sigset_t ss;
	int r;

	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* A client that hangs up mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	if ((r = sd_event_add_signal(m->event, &m->sig_hup, SIGHUP, on_signal, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, &m->sig_term, SIGTERM, on_signal, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, &m->sig_int, SIGINT, on_signal, m)) < 0)
		return r;

	r = control_new(m->event, m->control_path, m->cfg->control_group, on_request, m,
			&m->control);
	if (r < 0) {
		if (r == -EINVAL && m->cfg->control_group)
			journal_log(m->journal, LOG_ERR,
				    "Failed to open the control socket %s: group '%s' does not exist",
				    m->control_path, m->cfg->control_group);
		else
			journal_log(m->journal, LOG_ERR, "Failed to open the control socket %s: %s",
				    m->control_path,
				    r == -EADDRINUSE ? "another sockwatchd is running there"
						     : strerror(-r));
		return r;
	}

	r = sd_event_add_time(m->event, &m->poll_timer, CLOCK_MONOTONIC, 0, POLL_ACCURACY_USEC,
			      on_poll, m);
	if (r < 0)
		return r;
	/* Polls come before clients: when both are pending, however many
	 * clients there are, the poll waits for at most the one being served. */
	r = sd_event_source_set_priority(m->poll_timer, SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0)
		return r;
	/* Sends WATCHDOG=1 from the loop when WATCHDOG_USEC is set: a stuck
	 * poll stops the pings. */
	(void)sd_event_set_watchdog(m->event, true);

	r = sd_event_loop(m->event);

	sd_notify(0, "STOPPING=1");
	lifecycle(m, "stopping", "after %" PRIu64 " polls", m->polls);
	control_free(m->control);
	m->control = NULL;
	return r;
}

int manager_once(struct sw_manager *m, FILE *out)
{
	_cleanup_free_ char *line = NULL;
	size_t len = 0;
	int r;

	m->once = true;
	r = manager_poll(m, true);
	if (r < 0) {
		fprintf(stderr, "sockwatchd: %s\n", m->last_error);
		return r;
	}
	r = build_document(m, NULL, SIZE_MAX, &line, &len, NULL);
	if (r < 0)
		return r;
	if (fwrite(line, 1, len, out) != len)
		return -EIO;
	return fflush(out) == 0 ? 0 : -errno;
}

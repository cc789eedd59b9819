/* The daemon's life: load config, open the collector, poll on a timer,
 * track, alert, answer the control socket, reload on SIGHUP, stop on
 * SIGTERM. One poll is poll.c's; the decisions are decide.c's; the test
 * seams are faults.c's. The functions here that fail log why themselves,
 * so main() only turns the result into an exit status. */
#include "manager_int.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>

#include "control.h"
#include "diag.h"
#include "helper.h"
#include "nsset.h"
#include "procsrc.h"
#include "journal.h"
#include "queue_limits.h"
#include "owners.h"
#include "status.h"
#include "protocol.h"
#include "tracker.h"
#include "util.h"

/* Timer slack: polls need not be exact to the microsecond, and letting the
 * kernel coalesce wake-ups is part of costing nothing. */
#define POLL_ACCURACY_USEC (10 * USEC_PER_MSEC)
/* heap_trim(): how often, and the free memory worth it. */
#define MANAGER_TRIM_USEC (10 * USEC_PER_SEC)
#define MANAGER_TRIM_MIN  (1u << 20)

enum sw_log_target manager_log_target(const struct sw_manager *m)
{
	if (m->opts.log_target >= 0)
		return (enum sw_log_target)m->opts.log_target;
	/* --once is a command run by someone (or a script) reading its output:
	 * its warnings and errors belong there, not in the journal. */
	if (m->opts.once && m->cfg->log_target == SW_LOG_AUTO)
		return SW_LOG_STDERR;
	return m->cfg->log_target;
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

/* Logs a start-up failure and returns r: to the journal once it is open,
 * to stderr before. */
static int manager_fail(struct sw_manager *m, int r, const char *what)
{
	if (m && m->journal)
		journal_log(m->journal, LOG_ERR, "%s: %s", what, strerror(-r));
	else
		fprintf(stderr, "sockwatchd: %s: %s\n", what, strerror(-r));
	return r;
}

static uint64_t read_netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* namespaces = all needs the helper (to enter the others) and the
 * helper's cgroup reads (to name them); either missing, only the own
 * namespace is watched and the status document says why. Returns 0 or a
 * logged -errno. */
static int ns_mode_apply(struct sw_manager *m)
{
	int r;

	if (m->cfg->namespaces != SW_NAMESPACES_ALL) {
		nsset_set_mode(&m->nsns, false, "namespaces = own");
		return 0;
	}
	if (!m->helper) {
		nsset_set_mode(&m->nsns, false, "no privileged helper: entering other network "
				"namespaces needs CAP_SYS_ADMIN");
		return 0;
	}
	if (!m->nsprocs) {
		r = procsrc_new_helper(m->helper, &m->nsprocs);
		if (r < 0)
			return manager_fail(m, r, "Failed to start");
	}
	nsset_set_mode(&m->nsns, true, NULL);
	return 0;
}

void manager_free(struct sw_manager *m)
{
	if (!m)
		return;
	control_free(m->control);
	manager_metrics_stop(m);
	sd_event_source_unref(m->poll_timer);
	sd_event_source_unref(m->keepalive_timer);
	sd_event_source_unref(m->sig_hup);
	sd_event_source_unref(m->sig_term);
	sd_event_source_unref(m->sig_int);
	sd_event_unref(m->event);
	if (m->nsns.v)
		nsset_free(&m->nsns);    /* the own namespace's diag and tracker too */
	else {
		diag_close(m->diag);
		tracker_free(m->tracker);
	}
	procsrc_free(m->nsprocs);
	events_free(&m->events);
	owners_free(m->owners);
	sd_event_source_unref(m->helper_io);
	helper_free(m->helper);
	journal_close(m->journal);
	config_free(m->cfg);
	faults_clear(&m->faults);
	free(m->inodes);
	free(m->cgroups);
	free(m->config_path);
	free(m->control_path);
	free(m);
}

static int on_helper(sd_event_source *s, int fd, uint32_t revents, void *userdata);

int manager_new(const struct sw_manager_options *opts, struct sw_config *cfg,
		struct sw_manager **ret)
{
	struct sw_manager *m;
	bool full_at_limit = false;
	struct utsname u;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m) {
		config_free(cfg);
		helper_free(opts->helper);
		return manager_fail(NULL, -ENOMEM, "Failed to start");
	}
	m->opts = *opts;
	m->helper = opts->helper;
	m->opts.helper = NULL;
	m->cfg = cfg;
	m->config_path = strdup(opts->config_path);
	m->control_path = strdup(opts->control_socket ? opts->control_socket : cfg->control_socket);
	if (!m->config_path || !m->control_path) {
		r = manager_fail(m, -ENOMEM, "Failed to start");
		goto fail;
	}
	m->opts.config_path = m->config_path;
	m->opts.control_socket = NULL;
	m->netns_inode = read_netns_inode();
	m->start_usec = util_now_usec();
	m->last_syn_usec = UINT64_MAX;

	r = journal_open(manager_log_target(m), effective_level(m), &m->journal);
	if (r < 0) {
		m->journal = NULL;
		manager_fail(m, r, "Failed to open the journal");
		goto fail;
	}
	/* Alerts raised while journald is away reach it once it is back. */
	r = journal_set_queue(m->journal, SW_JOURNAL_QUEUE_DEFAULT);
	if (r < 0) {
		manager_fail(m, r, "Failed to set up the journal queue");
		goto fail;
	}
	r = diag_open(&m->diag);
	if (r < 0) {
		manager_fail(m, r, "Failed to open the sock_diag netlink socket");
		goto fail;
	}
	r = faults_init(&m->faults, m->diag, m->journal);
	if (r < 0)
		goto fail;   /* logged */
	r = tracker_new(&m->tracker);
	if (r < 0) {
		manager_fail(m, r, "Failed to start the tracker");
		goto fail;
	}
	/* Without /proc access owners stay unknown; that is not fatal. */
	r = owners_new("/proc", "/sys/fs/cgroup", &m->owners);
	if (r >= 0 && m->helper)
		r = owners_use_helper(m->owners, m->helper);
	if (r < 0) {
		journal_log(m->journal, LOG_WARNING, "Owner attribution disabled: %s", strerror(-r));
		owners_free(m->owners);
		m->owners = NULL;
	}
	if (!m->helper)
		journal_log(m->journal, LOG_NOTICE, "No privileged helper (%s): owners of other "
			    "users' sockets stay unknown and only this network namespace is watched",
			    opts->no_helper_reason ?
			    opts->no_helper_reason : "not started");
	if (uname(&u) == 0)
		full_at_limit = limits_kernel_full_at_limit(u.release);
	tracker_set_kernel(m->tracker, full_at_limit);
	r = nsset_init(&m->nsns, m->diag, m->tracker, full_at_limit);
	if (r < 0) {
		manager_fail(m, r, "Failed to start");
		goto fail;
	}
	r = ns_mode_apply(m);
	if (r < 0)
		goto fail;   /* logged */
	synsched_init(&m->syn, cfg->syn_scan, cfg->cpu_budget, cfg->interval_usec);
	r = sd_event_new(&m->event);
	if (r < 0) {
		manager_fail(m, r, "Failed to create the event loop");
		goto fail;
	}
	if (m->helper) {
		r = sd_event_add_io(m->event, &m->helper_io, helper_fd(m->helper),
				    EPOLLIN | EPOLLRDHUP, on_helper, m);
		if (r < 0) {
			manager_fail(m, r, "Failed to watch the privileged helper");
			goto fail;
		}
	}
	*ret = m;
	return 0;
fail:
	manager_free(m);
	return r;
}

int manager_helper_failed(struct sw_manager *m, int r)
{
	if (!m->helper_io)
		return r;     /* said already */
	/* A helper whose socket closed is exiting: its exit status, the
	 * better reason, follows at once. */
	if (helper_closed(m->helper))
		(void)helper_reap_exiting(m->helper);
	else
		(void)helper_reap(m->helper);
	lifecycle(m, "helper failed", "the privileged helper (pid %d) %s; exiting with status 1",
		  (int)helper_pid(m->helper), helper_broken(m->helper) ?
		  helper_broken(m->helper) : "failed");
	m->helper_io = sd_event_source_disable_unref(m->helper_io);
	if (m->event)
		(void)sd_event_exit(m->event, r);
	return r;
}

/* The helper speaks only when asked, and every answer is read at once by
 * the call that asked: anything that wakes this is its end (EOF, or bytes
 * nobody asked for). */
static int on_helper(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct sw_manager *m = userdata;

	/* Its socket closes as it exits: the exit status follows at once.
	 * Bytes nobody asked for are a helper gone wrong: it is stopped. */
	if (revents & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		(void)helper_reap_exiting(m->helper);
	} else {
		helper_mark_broken(m->helper, "sent something unasked");
		kill(helper_pid(m->helper), SIGKILL);
	}
	manager_helper_failed(m, -EPIPE);
	return 0;
}

static size_t count_in_alert(const struct sw_nsset *set)
{
	size_t n = 0;

	for (size_t k = 0; k < set->n; k++) {
		const struct sw_tracker *t = set->v[k]->tracker;
		size_t total = tracker_count(t);

		for (size_t i = 0; i < total; i++)
			if (tracker_get(t, i)->level != SW_LEVEL_OK)
				n++;
	}
	return n;
}

static bool any_at_warn(const struct sw_nsset *set)
{
	for (size_t k = 0; k < set->n; k++)
		if (tracker_any_at_warn(set->v[k]->tracker))
			return true;
	return false;
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
			 nsset_listeners(&m->nsns), count_in_alert(&m->nsns),
			 m->last_attempt_failed ? "; last poll failed" : "");
	/* sd_notify is a syscall: only when the text changed. */
	if (strcmp(text, m->status_text) == 0)
		return;
	memcpy(m->status_text, text, sizeof(text));
	sd_notify(0, text);
}

static bool same_group(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Arms the keep-alive for the poll period in force: on while a poll alone
 * would come too late for the watchdog, off otherwise. */
static int keepalive_update(struct sw_manager *m, uint64_t now)
{
	uint64_t period = decide_keepalive_usec(m->watchdog_usec, manager_interval(m));
	int r;

	if (!m->keepalive_timer)
		return 0;
	if (period == 0)
		return sd_event_source_set_enabled(m->keepalive_timer, SD_EVENT_OFF);
	r = sd_event_source_set_time(m->keepalive_timer, now + period);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(m->keepalive_timer, SD_EVENT_ONESHOT);
}

/* Arms the next poll at from + the period in force. A timer that cannot be
 * armed would leave the daemon answering clients but polling no more: the
 * caller stops the loop. */
static int schedule_poll(struct sw_manager *m, uint64_t from)
{
	uint64_t iv = decide_interval(any_at_warn(&m->nsns), m->cfg->interval_usec,
				      m->cfg->fast_interval_usec);
	bool changed = iv != m->current_interval_usec;
	int r;

	if (changed) {
		m->current_interval_usec = iv;
		/* The polls' share follows the period in force; untriggered
		 * SYN scans keep the configured interval (synsched.h). */
		synsched_apply(&m->syn, m->cfg, iv);
	}
	m->next_due_usec = from + iv;
	m->poll_armed = false;
	r = sd_event_source_set_time(m->poll_timer, from + iv);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(m->poll_timer, SD_EVENT_ONESHOT);
	if (r < 0)
		return r;
	m->poll_armed = true;
	return changed ? keepalive_update(m, util_now_usec()) : 0;
}

/* A runtime failure of the loop's own machinery: logged here, and the
 * daemon stops with it (exit status 1). */
static void manager_abort(struct sw_manager *m, int r, const char *what)
{
	journal_log(m->journal, LOG_ERR, "%s: %s; stopping", what, strerror(-r));
	(void)sd_event_exit(m->event, r);
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
	uint64_t start = util_now_usec(), wall, now;
	int r;

	m->poll_armed = false;
	decide_note_lateness(&m->late, m->next_due_usec, start, manager_late_threshold(m));
	r = poll_once(m, false);
	manager_metrics_polled(m);
	if (helper_broken(m->helper))
		return manager_helper_failed(m, -EPIPE), 0;
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
		lifecycle(m, "started", "version %s, watching %zu listeners in %zu network "
			  "namespace%s, config %s", SW_VERSION, nsset_listeners(&m->nsns), m->nsns.n,
			  m->nsns.n == 1 ? "" : "s",
			  m->cfg->path ? m->cfg->path : "(built-in defaults)");
	}
	/* The watchdog hears of polls that give fresh figures, not merely of
	 * a loop that turns. */
	if (r >= 0 && !m->last_attempt_failed && m->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	notify_status(m);
	heap_trim(m, start);
	if (faults_stop_polling(&m->faults, m->poll_attempts)) {
		journal_log(m->journal, LOG_WARNING, "Test seam: no poll after attempt %" PRIu64,
			    m->poll_attempts);
		return 0;
	}
	/* Next poll counted from this one's deadline, so the period does not
	 * drift by the poll's own duration; a late loop does not catch up in
	 * a burst either. */
	now = util_now_usec();
	r = schedule_poll(m, usec + m->current_interval_usec > now ? usec : now);
	if (r < 0)
		manager_abort(m, r, "Failed to arm the poll timer");
	return 0;
}

/* Between polls longer apart than half the watchdog period: WATCHDOG=1 as
 * long as the next poll is armed, not overdue, and the last one was good. */
static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct sw_manager *m = userdata;
	uint64_t now = util_now_usec();
	int r;

	if (decide_keepalive_ok(m->poll_armed, m->next_due_usec, now, m->watchdog_usec / 2,
				m->ready && !m->last_attempt_failed))
		sd_notify(0, "WATCHDOG=1");
	r = keepalive_update(m, now);
	if (r < 0)
		manager_abort(m, r, "Failed to arm the watchdog keep-alive");
	return 0;
}

/* Loads the config file again; swaps it in only when it validated. */
static int manager_reload(struct sw_manager *m, char **ret_error)
{
	struct sw_config_errors errs = { 0 };
	struct sw_config *cfg = NULL, *old;
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
	/* The control socket is made once, at start: its path and group stay
	 * as they were until the next start. */
	if (strcmp(cfg->control_socket, m->cfg->control_socket) != 0 && !m->opts.control_socket)
		journal_log(m->journal, LOG_WARNING,
			    "[control] socket changed to %s: it takes effect at the next start",
			    cfg->control_socket);
	if (!same_group(cfg->control_group, m->cfg->control_group))
		journal_log(m->journal, LOG_WARNING,
			    "[control] group changed to %s: it takes effect at the next start",
			    cfg->control_group && cfg->control_group[0] ? cfg->control_group
									: "(none)");
	old = m->cfg;
	m->cfg = cfg;
	manager_metrics_reloaded(m, old);
	config_free(old);
	for (size_t i = 0; i < m->nsns.n; i++)
		tracker_reloaded(m->nsns.v[i]->tracker);
	(void)ns_mode_apply(m);
	if (!m->nsns.all)
		nsset_release_others(&m->nsns, m->cfg, util_now_usec(), &m->events);
	/* The filter may let other namespaces in, or leave some out: the
	 * next poll discovers again. */
	m->nsns.last_discovery_usec = 0;
	journal_set(m->journal, manager_log_target(m), effective_level(m));
	m->current_interval_usec = 0;    /* recomputed by schedule_poll */
	if (m->poll_armed) {
		r = schedule_poll(m, util_now_usec());
		if (r < 0)
			manager_abort(m, r, "Failed to arm the poll timer");
	}
	lifecycle(m, "reloaded", "configuration from %s",
		  m->cfg->path ? m->cfg->path : "(built-in defaults)");
	sd_notify(0, "READY=1");
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
		return manager_answer_document(m, req, ret);
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


/* Every way out of a loop that ran tells PID 1 and the journal the daemon
 * is stopping, as systemd's notify_on_cleanup does. */
static void manager_stoppingp(struct sw_manager **mp)
{
	struct sw_manager *m = *mp;

	if (!m)
		return;
	sd_notify(0, "STOPPING=1");
	lifecycle(m, "stopping", "after %" PRIu64 " polls", m->polls);
	control_free(m->control);
	m->control = NULL;
	manager_metrics_stop(m);
}

static int manager_add_control(struct sw_manager *m)
{
	int r;

	r = control_new(m->event, m->control_path, m->cfg->control_group, on_request, m,
			&m->control);
	if (r >= 0)
		return 0;
	if (r == -EINVAL && m->cfg->control_group)
		journal_log(m->journal, LOG_ERR,
			    "Failed to open the control socket %s: group '%s' does not exist",
			    m->control_path, m->cfg->control_group);
	else
		journal_log(m->journal, LOG_ERR, "Failed to open the control socket %s: %s",
			    m->control_path,
			    r == -EADDRINUSE ? "another sockwatchd is running there" : strerror(-r));
	return r;
}

static int manager_add_timers(struct sw_manager *m)
{
	uint64_t wd = 0;
	int r;

	r = sd_event_add_time(m->event, &m->poll_timer, CLOCK_MONOTONIC, 0, POLL_ACCURACY_USEC,
			      on_poll, m);
	if (r < 0)
		return r;
	m->poll_armed = true;
	/* Polls come before clients: when both are pending, however many
	 * clients there are, the poll waits for at most the one being served. */
	r = sd_event_source_set_priority(m->poll_timer, SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0)
		return r;
	/* WATCHDOG=1 goes out after good polls (on_poll), not from the loop:
	 * a daemon that stopped polling is one systemd should restart. */
	if (sd_watchdog_enabled(0, &wd) <= 0 || wd == 0)
		return 0;
	m->watchdog_usec = wd;
	r = sd_event_add_time(m->event, &m->keepalive_timer, CLOCK_MONOTONIC, UINT64_MAX,
			      POLL_ACCURACY_USEC, on_keepalive, m);
	if (r < 0)
		return r;
	return keepalive_update(m, util_now_usec());
}

int manager_run(struct sw_manager *m)
{
	struct sw_manager *stopping __attribute__((cleanup(manager_stoppingp))) = NULL;
	sigset_t ss;
	int r, code;

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
		return manager_fail(m, r, "Failed to watch signals");
	r = manager_add_control(m);
	if (r < 0)
		return r;
	r = manager_metrics_start(m);
	if (r < 0)
		return r;   /* logged */
	r = manager_add_timers(m);
	if (r < 0)
		return manager_fail(m, r, "Failed to set up the poll timer");

	stopping = m;
	r = sd_event_loop(m->event);
	/* An exit the daemon asked for (a stop, a failure it logged) has an
	 * exit code; a loop that failed by itself has none and is said here. */
	if (r < 0 && sd_event_get_exit_code(m->event, &code) < 0)
		journal_log(m->journal, LOG_ERR, "The event loop failed: %s", strerror(-r));
	return r;
}

int manager_once(struct sw_manager *m, FILE *out)
{
	_cleanup_free_ struct sw_status_ns *ns = NULL;
	struct sw_status_daemon d;
	struct sw_status_inputs in;
	int r;

	m->once = true;
	/* One scan with no later poll to finish it: it ends once every
	 * listener has an owner (owners_set_settle). */
	if (m->owners)
		owners_set_settle(m->owners, true);
	r = poll_once(m, true);
	if (r < 0)
		return r;   /* logged by the poll */
	if (helper_broken(m->helper))
		return manager_helper_failed(m, -EPIPE);
	r = manager_status_inputs(m, &d, &ns, &in);
	if (r < 0)
		return manager_fail(m, r, "Failed to build the status document");
	/* Written as it is made: memory does not grow with the listeners. */
	r = status_write(&in, NULL, out, NULL);
	if (r == -ENOMEM)
		return manager_fail(m, r, "Failed to build the status document");
	if (r >= 0 && fflush(out) != 0)
		r = -errno;
	if (r < 0)
		return manager_fail(m, r, "Failed to write the status document");
	return 0;
}

/* The manager's private state, shared by manager.c (lifecycle, schedule,
 * control), poll.c (one poll) and nothing else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "decide.h"
#include "event.h"
#include "faults.h"
#include "manager.h"
#include "netstat.h"
#include "nsset.h"
#include "snapshot.h"
#include "synsched.h"
#include "tracker.h"

struct sw_manager {
	struct sw_manager_options opts;
	char *config_path;
	char *control_path;
	struct sw_config *cfg;

	sd_event *event;
	sd_event_source *poll_timer, *keepalive_timer;
	sd_event_source *sig_hup, *sig_term, *sig_int;
	sd_event_source *helper_io;  /* the helper's socket: any event is its end */
	struct sw_helper *helper;

	/* The namespaces watched; nsns.v[0] is the own one, whose diag and
	 * tracker these two name (nsns owns them). */
	struct sw_nsset nsns;
	struct sw_diag *diag;
	struct sw_tracker *tracker;
	struct sw_procsrc *nsprocs;  /* the helper's cgroup reads, to name namespaces */
	struct sw_events events;
	struct sw_journal *journal;
	struct sw_owners *owners;
	struct sw_control *control;
	struct sw_synsched syn;
	struct sw_faults faults;

	/* The metrics outputs (manager_metrics.c). */
	struct sw_metrics_http *metrics;
	struct sw_metrics_body *metrics_body;   /* as of the last poll; NULL: built at next use */
	struct sw_metrics_cache *metrics_cache; /* label sets kept between builds; NULL: none yet */
	const char *metrics_listen;             /* what the endpoint serves: static or cfg-owned copy */
	char *metrics_listen_copy;
	sd_event_source *textfile_timer;
	char *textfile_written;                 /* the path last written; a reload that drops it removes it */
	uint64_t textfile_writes, textfile_errors;
	int textfile_last_error;
	uint64_t start_realtime_usec;

	size_t n_inodes;             /* of the last refresh */
	uint32_t *inodes;            /* reused per poll for owners_refresh */
	uint64_t *cgroups;
	size_t cap_inodes;

	uint64_t netns_inode;

	uint64_t start_usec;
	uint64_t last_poll_ok_usec;  /* start of the last poll that completed; 0: none */
	bool last_attempt_failed;    /* the latest attempt left the listener figures stale */
	uint64_t poll_attempts, polls, poll_errors, syn_scans;
	uint64_t dump_retries, skipped_msgs, skipped_attrs;   /* since start */
	uint64_t last_error_usec;
	uint64_t next_due_usec;      /* when the armed poll is due; 0: at once */
	bool poll_armed;             /* the poll timer is set for next_due_usec */
	struct sw_lateness late;
	uint64_t last_poll_wall_usec, max_poll_wall_usec;
	uint64_t last_trim_usec;
	uint64_t last_poll_cpu_usec, last_syn_cpu_usec, last_syn_usec;
	uint64_t current_interval_usec;
	uint64_t watchdog_usec;      /* WATCHDOG_USEC for this process; 0: none */
	uint64_t last_error_log_usec;
	char last_error[160];
	bool ready;
	bool once;                   /* --once: the document is the output, no alerts */
	char status_text[256];
};

static inline uint64_t manager_interval(const struct sw_manager *m)
{
	return m->current_interval_usec ? m->current_interval_usec : m->cfg->interval_usec;
}

static inline uint64_t manager_late_threshold(const struct sw_manager *m)
{
	return decide_late_threshold(m->current_interval_usec, m->cfg->interval_usec);
}

/* manager.c: the privileged helper broke (it died, answered garbage or
 * stopped answering): one lifecycle entry naming it, and the loop ends
 * with r. Returns r. */
int manager_helper_failed(struct sw_manager *m, int r);

/* manager.c: --log-target, or --once's stderr, or the config's. */
enum sw_log_target manager_log_target(const struct sw_manager *m);

/* manager_status.c: the document for --once, and the answers to status,
 * show and check (one line, written a listener at a time). */
struct sw_control_reply;
struct sw_ctl_request;
/* The status document as one line, the listeners f keeps (NULL: all), at
 * most max bytes. */
struct sw_status_filter;
int manager_build_document(struct sw_manager *m, const struct sw_status_filter *f, size_t max,
			   char **ret, size_t *ret_len, size_t *ret_kept);
int manager_answer_document(struct sw_manager *m, const struct sw_ctl_request *req,
			    struct sw_control_reply *ret);

/* The inputs every view of the state is built from (the status document,
 * the metrics) as of now: *d and the namespaces' array *ns (malloc'd, the
 * caller frees it) back *in. 0 or -ENOMEM. */
struct sw_status_daemon;
struct sw_status_inputs;
struct sw_status_ns;
int manager_status_inputs(struct sw_manager *m, struct sw_status_daemon *d,
			  struct sw_status_ns **ns, struct sw_status_inputs *in);

/* manager_metrics.c: the metrics endpoint and the textfile. start: at the
 * start of the loop (a passed socket named "metrics", else [metrics]
 * listen; the textfile timer), 0 or a logged -errno. polled: after every
 * poll (the exposition is built anew at its next use). reloaded: after a
 * reload swapped the config in. stop: at the end. */
int manager_metrics_start(struct sw_manager *m);
void manager_metrics_polled(struct sw_manager *m);
void manager_metrics_reloaded(struct sw_manager *m, const struct sw_config *old);
void manager_metrics_stop(struct sw_manager *m);

/* poll.c: one poll. force_syn: scan the SYN queues whatever the scheduler
 * says. Returns 0 when the listener figures are fresh (a failed SYN scan or
 * owner refresh is counted in poll_errors and last_error only), else the
 * negative errno, logged (at most once a minute). */
int poll_once(struct sw_manager *m, bool force_syn);

/* The daemon's half of the status document (its own figures, the test
 * seams it runs under, the namespaces it watches) and the status, show and
 * check answers built from the whole document. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "helper.h"
#include "macro.h"
#include "journal.h"
#include "manager_int.h"
#include "metrics_http.h"
#include "owners.h"
#include "protocol.h"
#include "status.h"
#include "util.h"

/* Milliseconds from then to now; UINT64_MAX when then is 0 (never). */
static uint64_t age_ms(uint64_t now, uint64_t then)
{
	if (!then)
		return UINT64_MAX;
	return now > then ? (now - then) / USEC_PER_MSEC : 0;
}

/* The set's figures; with no set yet (m->nsns empty) the one tracker is
 * the own namespace, the only one watched. */
static void nsset_status(const struct sw_manager *m, uint64_t now, struct sw_status_nsset *ret)
{
	const struct sw_nsset *s = &m->nsns;

	if (s->n == 0) {
		*ret = (struct sw_status_nsset){
			.watched = 1,
			.max = 1,
			.last_discovery_age_ms = UINT64_MAX,
		};
		return;
	}
	*ret = (struct sw_status_nsset){
		.all = s->all,
		.own_only_reason = s->all ? NULL : s->own_only_reason,
		.watched = s->n,
		.max = s->max,
		.unwatched = s->unwatched,
		.filtered = s->filtered,
		.found = s->found,
		.released = s->released,
		.discoveries = s->discoveries,
		.last_discovery_age_ms = age_ms(now, s->last_discovery_usec),
		.last_discovery_cpu_us = s->last_discovery_cpu_usec,
		.last_discovery_wall_us = s->last_discovery_wall_usec,
		.last_error = s->last_error,
	};
}

/* One entry per namespace watched, the own one first, in a malloc'd
 * array; or the one tracker while there is no set. */
static int namespaces_status(const struct sw_manager *m, uint64_t now, struct sw_status_ns **ret,
			     size_t *ret_n)
{
	size_t n = m->nsns.n ? m->nsns.n : 1;
	struct sw_status_ns *v = calloc(n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (m->nsns.n == 0) {
		v[0] = (struct sw_status_ns){
			.tracker = m->tracker,
			.age_ms = age_ms(now, m->start_usec),
			.syn_last_age_ms = m->last_syn_usec == UINT64_MAX ? UINT64_MAX
									  : age_ms(now, m->last_syn_usec),
			.syn_scans = m->syn_scans,
		};
	}
	for (size_t i = 0; i < m->nsns.n; i++) {
		const struct sw_ns *ns = m->nsns.v[i];

		v[i] = (struct sw_status_ns){
			.info = &ns->info,
			.tracker = ns->tracker,
			/* The own one is watched from the start. */
			.age_ms = age_ms(now, ns->found_usec ? ns->found_usec
						: i == 0 ? m->start_usec : 0),
			.syn_last_age_ms = age_ms(now, ns->last_syn_usec),
			.syn_scans = ns->syn_scans,
			.last_error = ns->last_error,
			.unwatched_listeners = ns->unwatched_listeners,
			.last_poll_age_ms = age_ms(now, ns->last_dump_usec),
		};
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The daemon's half of the status document, as of now (returned). */
static uint64_t daemon_status(struct sw_manager *m, struct sw_status_daemon *ret)
{
	uint64_t now = util_now_usec(), syn_requests = 0, syn_unmatched = 0;
	struct sw_metrics_http_stats stats;
	struct sw_status_daemon d;

	for (size_t i = 0; i < m->nsns.n; i++) {
		syn_requests += m->nsns.v[i]->snap.syn_requests;
		syn_unmatched += m->nsns.v[i]->snap.syn_unmatched;
	}
	d = (struct sw_status_daemon){
		.pid = (int)getpid(),
		.netns_inode = m->netns_inode,
		.uptime_ms = (now - m->start_usec) / USEC_PER_MSEC,
		.interval_ms = m->cfg->interval_usec / USEC_PER_MSEC,
		.fast_interval_ms = m->cfg->fast_interval_usec / USEC_PER_MSEC,
		.current_interval_ms = manager_interval(m) / USEC_PER_MSEC,
		.polls = m->polls,
		.poll_errors = m->poll_errors,
		.last_poll_us = m->last_poll_cpu_usec,
		.last_error = m->last_error[0] ? m->last_error : NULL,
		.syn_mode = config_syn_scan_name(m->cfg->syn_scan),
		.syn_interval_ms = synsched_interval(&m->syn) / USEC_PER_MSEC,
		.syn_last_cost_us = m->last_syn_cpu_usec,
		.syn_scans = m->syn_scans,
		.syn_last_age_ms = m->last_syn_usec == UINT64_MAX ? UINT64_MAX :
				   (now - m->last_syn_usec) / USEC_PER_MSEC,
		.syn_requests = syn_requests,
		.syn_unmatched = syn_unmatched,
		.skipped_msgs = m->skipped_msgs,
		.skipped_attrs = m->skipped_attrs,
		.dump_retries = m->dump_retries,
		.owner_unknown_reason = m->owners ? owners_unknown_reason(m->owners) : NULL,
		.helper_pid = m->helper ? (int)helper_pid(m->helper) : 0,
		.no_helper_reason = m->opts.no_helper_reason,
		.last_error_age_ms = m->poll_errors ? (now - m->last_error_usec) / USEC_PER_MSEC
						    : UINT64_MAX,
		.late_polls = m->late.late_polls,
		.last_poll_ok = m->poll_attempts ? (m->last_attempt_failed ? 0 : 1) : -1,
		.last_poll_age_ms = m->last_poll_ok_usec ? (now - m->last_poll_ok_usec) / USEC_PER_MSEC
							 : UINT64_MAX,
		.late_threshold_us = manager_late_threshold(m),
		.last_poll_lateness_us = m->late.last_usec,
		.max_poll_lateness_us = m->late.max_usec,
		.last_poll_wall_us = m->last_poll_wall_usec,
		.max_poll_wall_us = m->max_poll_wall_usec,
		.log_target = config_log_target_name(manager_log_target(m)),
		.test_faults = m->faults.spec,
		.faults_injected = m->faults.injected,
		.rcvbuf = m->faults.rcvbuf,
		.proc_root = strcmp(m->faults.proc_root, "/proc") != 0 ? m->faults.proc_root : NULL,
	};

	journal_get_stats(m->journal, &d.journal);
	metrics_http_get_stats(m->metrics, &stats);
	d.metrics = (struct sw_status_metrics){
		.listen = m->metrics_listen,
		.scrapes = stats.scrapes,
		.refused = stats.refused,
		.errors = stats.errors,
		.expired = stats.expired,
		.textfile = m->cfg->metrics_textfile,
		.textfile_writes = m->textfile_writes,
		.textfile_errors = m->textfile_errors,
		.textfile_last_error = m->textfile_last_error,
	};
	nsset_status(m, now, &d.namespaces);
	*ret = d;
	return now;
}

static int lookup_owner(void *userdata, const struct sw_tracked *tr, struct sw_owner *ret)
{
	const struct sw_manager *m = userdata;

	return m->owners ? owners_lookup(m->owners, tr->inode, tr->cgroup_id, ret) : -ENOENT;
}

int manager_status_inputs(struct sw_manager *m, struct sw_status_daemon *d,
			  struct sw_status_ns **ns, struct sw_status_inputs *in)
{
	int r;

	*in = (struct sw_status_inputs){
		.daemon = d,
		.cfg = m->cfg,
		.owner = lookup_owner,
		.owner_userdata = m,
	};
	in->now_usec = daemon_status(m, d);
	r = namespaces_status(m, in->now_usec, ns, &in->n_ns);
	if (r < 0)
		return r;
	in->ns = *ns;
	return 0;
}

int manager_build_document(struct sw_manager *m, const struct sw_status_filter *f, size_t max,
			   char **ret, size_t *ret_len, size_t *ret_kept)
{
	_cleanup_free_ struct sw_status_ns *ns = NULL;
	struct sw_status_daemon d;
	struct sw_status_inputs in;
	int r;

	r = manager_status_inputs(m, &d, &ns, &in);
	if (r < 0)
		return r;
	return status_format(&in, f, max, ret, ret_len, ret_kept);
}

/* status, show and check: the document as one line, written a listener at
 * a time (status_format), never as a whole object tree. */
int manager_answer_document(struct sw_manager *m, const struct sw_ctl_request *req,
			    struct sw_control_reply *ret)
{
	struct sw_status_filter f = {
		.keep_ns = status_keep_ns_for_request,
		.keep = status_keep_for_request,
		.userdata = (void *)req,
		.hidden_key = protocol_request_hides_idle(req) ? "idle_hidden" : NULL,
	};
	size_t kept = 0;
	int r;

	/* check keeps every listener of the namespaces it asks for. */
	r = manager_build_document(m, &f, SW_CTL_REPLY_MAX, &ret->line, &ret->len, &kept);
	if (r < 0)
		return r;
	if (req->cmd == SW_CTL_SHOW && kept == 0) {
		free(ret->line);
		ret->line = NULL;
		ret->object = protocol_error_reply("no listener %s", req->listener);
	}
	return 0;
}

/* The daemon's half of the status document (its own figures, the test
 * seams it runs under) and the status, show and check answers built from
 * the whole document. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "helper.h"
#include "journal.h"
#include "manager_int.h"
#include "owners.h"
#include "protocol.h"
#include "status.h"
#include "util.h"

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
		.syn_requests = m->nsns.v[0]->snap.syn_requests,
		.syn_unmatched = m->nsns.v[0]->snap.syn_unmatched,
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
	*ret = d;
	return now;
}

static int lookup_owner(void *userdata, const struct sw_tracked *tr, struct sw_owner *ret)
{
	const struct sw_manager *m = userdata;

	return m->owners ? owners_lookup(m->owners, tr->inode, tr->cgroup_id, ret) : -ENOENT;
}

int manager_build_document(struct sw_manager *m, const struct sw_status_filter *f, size_t max,
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
int manager_answer_document(struct sw_manager *m, const struct sw_ctl_request *req,
			    struct sw_control_reply *ret)
{
	struct sw_status_filter f = {
		.keep = status_keep_for_request,
		.userdata = (void *)req,
		.hidden_key = protocol_request_hides_idle(req) ? "idle_hidden" : NULL,
	};
	size_t kept = 0;
	int r;

	r = manager_build_document(m, req->cmd == SW_CTL_CHECK ? NULL : &f, SW_CTL_REPLY_MAX,
				   &ret->line, &ret->len, &kept);
	if (r < 0)
		return r;
	if (req->cmd == SW_CTL_SHOW && kept == 0) {
		free(ret->line);
		ret->line = NULL;
		ret->object = protocol_error_reply("no listener %s", req->listener);
	}
	return 0;
}

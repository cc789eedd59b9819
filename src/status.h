/* The status document (DESIGN.md "status --json"), built from the tracker's
 * state: the one JSON shape that sockwatchctl, `sockwatchd --once` and
 * scripts read. */
#pragma once

#include <stdint.h>

#include "config.h"
#include "owner.h"
#include "tracker.h"

struct json_object;

struct sw_status_daemon {
	int pid;
	uint64_t netns_inode;           /* of the namespace watched */
	uint64_t uptime_ms;
	uint64_t interval_ms;           /* configured poll period */
	uint64_t fast_interval_ms;
	uint64_t current_interval_ms;   /* the one in force now */
	uint64_t polls;
	uint64_t poll_errors;
	uint64_t last_poll_us;          /* CPU of the last listener poll */
	const char *last_error;         /* of the last failed poll, NULL if none */
	const char *syn_mode;           /* auto | always | off */
	uint64_t syn_interval_ms;
	uint64_t syn_last_cost_us;
	uint64_t syn_scans;
	uint64_t syn_last_age_ms;       /* since the last scan; UINT64_MAX never */
	uint64_t syn_requests, syn_unmatched;
	uint64_t skipped_msgs, skipped_attrs, dump_retries;
	const char *owner_unknown_reason;
};

/* Builds the document. owners may be NULL (owners unknown). */
int status_document(const struct sw_status_daemon *d, const struct sw_tracker *t,
		    const struct sw_config *cfg, const struct sw_owners *owners,
		    uint64_t now_usec, struct json_object **ret);

/* The journal events of a tracked listener and of its namespace, composed
 * from the tracker's figures and its rules' outcomes (DESIGN.md "Journal
 * entries"). Pure; used by the tracker's update. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "rules.h"
#include "tracker.h"

/* Where one update's events go. */
struct alert_sink {
	struct sw_events *out;
	const struct sw_ns_state *ns;   /* its namespace id and sysctls go in every event */
	bool syn_full_at_limit;         /* tracker_set_kernel() */
	int err;                        /* first failure: -ENOMEM, an event not stored */
};

/* A namespace event (no listener) of kind, else NULL (then k->err is set). */
struct sw_event *alert_event(struct alert_sink *k, enum sw_event_kind kind);

/* An event of kind about tr, with the figures of its queue. */
struct sw_event *alert_listener_event(struct alert_sink *k, const struct sw_tracked *tr,
				      enum sw_event_kind kind, enum sw_queue queue);

/* The queue whose figures a listen-drops entry shows: the accept queue,
 * unless it was not seen full and the SYN queue, with cookies off, was
 * (limits_queue_full on both). */
enum sw_queue alert_drops_queue(const struct sw_tracked *tr, bool syn_full_at_limit);

/* A listen-drops entry, level critical, carrying drops. */
void alert_drops(struct alert_sink *k, const struct sw_tracked *tr, uint64_t drops);

/* The entry a rule's outcome asks for (none for SW_RULE_NONE): a queue
 * alert, or a cleared entry (gone: the listener vanished). */
struct sw_event *alert_rule(struct alert_sink *k, const struct sw_tracked *tr,
			    enum sw_queue queue, const struct sw_rule_out *ro, bool gone);

/* What the journal transport reports about itself: plain data, so that the
 * status document can carry it without depending on the transport. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_journal_stats {
	bool active;            /* the target is not stderr */
	bool reachable;         /* active and the last send worked */
	uint64_t outages;       /* times the journal became unreachable */
	size_t queued, queued_bytes, queue_max;
	uint64_t replayed;      /* queued entries sent once it was back */
	uint64_t dropped;       /* pushed out of the full queue (stderr has them) */
	uint64_t stderr_lost;   /* stderr lines a full stderr socket did not take */
};

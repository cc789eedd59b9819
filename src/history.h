/* A tracked listener's recent past: the peaks of both queues in 10 s slots
 * over the last 10 min, and the top SYN-queue sources of its group's last
 * scan. Kept in a detail allocated only while there is something to show.
 * Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "macro.h"
#include "snapshot.h"

/* History: the peak of each 10 s slot over the last 10 min, both queues. */
#define SW_HISTORY_SLOTS     60
#define SW_HISTORY_SLOT_USEC (10 * USEC_PER_SEC)

/* Top SYN-queue sources kept per listener (from its group's last scan). */
#define SW_TRACKER_TOP_SOURCES 8

struct sw_history_slot {
	uint32_t epoch;             /* usec / SW_HISTORY_SLOT_USEC + 1; 0: never written */
	uint32_t accept_peak;
	uint32_t syn_peak;
	bool has_accept;            /* a listener sample fell in this slot */
	bool has_syn;               /* a SYN scan fell in this slot */
};

struct sw_top_source {
	uint8_t family;
	uint8_t addr[16];
	uint32_t count;
};

/* Allocated only for listeners whose queues were non-empty in the last
 * 10 min or that hold top sources; freed again once all of that has aged
 * out. */
struct sw_tracked_detail {
	struct sw_history_slot slot[SW_HISTORY_SLOTS];   /* ring, by epoch */
	struct sw_top_source top[SW_TRACKER_TOP_SOURCES]; /* most entries first */
	uint32_t n_top;
	uint32_t other_sources;     /* group requests not in top[] */
	char top_sources[SW_SOURCES_MAX];                /* "addr=count,...", "" if none */
};

/* One slot of a listener's history, for `sockwatchctl show`. */
struct sw_history_point {
	uint64_t start_usec;        /* monotonic start of the slot */
	uint32_t accept_peak, syn_peak;
	bool has_accept, has_syn;   /* a sample fell in it (else the peaks are 0) */
};

struct sw_tracked;

/* Notes this update's sample of tr (its accept depth; g: its SYN group when
 * scanned in this update, else NULL): top sources, the history ring, and
 * tr's window peaks. -ENOMEM when the detail could not be allocated (then
 * the sample is not kept); tr stays consistent. */
int history_note(struct sw_tracked *tr, const struct sw_syn_group *g, uint64_t now_usec);

/* Frees tr's detail. */
void history_forget(struct sw_tracked *tr);

/* The tracker's view of the history, declared in tracker.h:
 * tracker_top_sources() and tracker_history() are defined in history.c. */

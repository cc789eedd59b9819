/* The one "fullest first" order of listeners: the daemon lists them in it,
 * and sockwatchctl, which may get a document in any order, sorts by it
 * again, so that both read the same. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct order_key {
	int level;              /* 0 ok, 1 warning, 2 critical: alerts first */
	double fill;            /* fuller queue in percent, as the document has it
				 * (text_percent_value) */
	int64_t drops_delta;    /* since the last poll */
	uint16_t port;
	uint64_t cookie;        /* unique on a host */
	const char *netns;      /* the namespace's name; NULL: "host". With the
				 * cookie, makes the order total */
};

/* Worst level, then fullest, then most drops since the last poll, then
 * lowest port, then lowest cookie, then namespace name in byte order.
 * qsort style. */
int order_fullest(const struct order_key *a, const struct order_key *b);

/* A listener's fill: its fuller queue's, in percent. The SYN queue only
 * when syn_counts (scanned, not in cookies-always mode, where it stays
 * empty: KERNEL-NOTES.md) and strictly fuller; a tie is the accept queue.
 * *is_syn (may be NULL) says which. The daemon's order, the client's and
 * the queue check names all pick the same queue by this. */
double order_fuller(double accept, bool syn_counts, double syn, bool *is_syn);

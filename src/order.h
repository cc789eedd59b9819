/* The one "fullest first" order of listeners: the daemon lists them in it,
 * and sockwatchctl, which may get a document in any order, sorts by it
 * again, so that both read the same. */
#pragma once

#include <stdint.h>

struct order_key {
	int level;              /* 0 ok, 1 warning, 2 critical: alerts first */
	double fill;            /* fuller queue in percent, as the document has it
				 * (text_percent_value) */
	int64_t drops_delta;    /* since the last poll */
	uint16_t port;
	uint64_t cookie;        /* unique: makes the order total */
};

/* Worst level, then fullest, then most drops since the last poll, then
 * lowest port, then lowest cookie. qsort style. */
int order_fullest(const struct order_key *a, const struct order_key *b);

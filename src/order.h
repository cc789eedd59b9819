/* The one "fullest first" order of listeners: the daemon lists them in it
 * and sockwatchctl, which may get a document in any order, sorts by it
 * again, so both read the same. */
#pragma once

#include <stdint.h>

struct order_key {
	int level;              /* 0 ok, 1 warning, 2 critical: alerts first */
	double fill;            /* fuller queue in percent, as the document has it */
	int64_t drops_delta, drops_total;
	const char *name;       /* "127.0.0.1:80"; NULL sorts as "" */
	const char *netns;      /* "host" or the inode */
	uint64_t cookie;
};

/* Highest level, then fullest, most drops in the last poll and in all,
 * then by name, namespace and cookie so that the order is total. qsort
 * style. */
int order_fullest(const struct order_key *a, const struct order_key *b);

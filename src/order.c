/* The "fullest first" order (see order.h). */
#include "order.h"

#include <string.h>

static int order_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

int order_fullest(const struct order_key *a, const struct order_key *b)
{
	int c;

	if (a->level != b->level)
		return a->level > b->level ? -1 : 1;
	if (a->fill != b->fill)
		return a->fill > b->fill ? -1 : 1;
	if (a->drops_delta != b->drops_delta)
		return a->drops_delta > b->drops_delta ? -1 : 1;
	if (a->drops_total != b->drops_total)
		return a->drops_total > b->drops_total ? -1 : 1;
	c = order_str(a->name, b->name);
	if (c)
		return c;
	c = order_str(a->netns, b->netns);
	if (c)
		return c;
	return (a->cookie > b->cookie) - (a->cookie < b->cookie);
}

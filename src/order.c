/* The "fullest first" order (see order.h). */
#include "order.h"

#include <string.h>

#include "netns_name.h"

int order_fullest(const struct order_key *a, const struct order_key *b)
{
	/* A level held by hysteresis matters more than a fuller queue below
	 * warn. */
	if (a->level != b->level)
		return a->level > b->level ? -1 : 1;
	if (a->fill != b->fill)
		return a->fill > b->fill ? -1 : 1;
	if (a->drops_delta != b->drops_delta)
		return a->drops_delta > b->drops_delta ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->cookie != b->cookie)
		return a->cookie < b->cookie ? -1 : 1;
	return strcmp(a->netns ? a->netns : NETNS_HOST_NAME, b->netns ? b->netns : NETNS_HOST_NAME);
}

double order_fuller(double accept, bool syn_counts, double syn, bool *is_syn)
{
	bool use_syn = syn_counts && syn > accept;

	if (is_syn)
		*is_syn = use_syn;
	return use_syn ? syn : accept;
}

/* Placement policy (see placement.h): spread or pack by memory left, which
 * is what a host runs out of first in a class of small VMs; vCPUs only
 * have to fit. */
#include "config.h"

#include "placement.h"

static bool
fits(const struct place_host *h, long long vcpus, long long mem_mib)
{
	return h->eligible && h->vcpus >= 0 && h->mem_mib >= 0 &&
	    h->vcpus - h->vcpus_used >= vcpus &&
	    h->mem_mib - h->mem_used_mib >= mem_mib;
}

/* Whether a is better than b (both fit) under policy. */
static bool
better(const struct place_host *a, const struct place_host *b,
    enum placement_policy policy)
{
	long long fa = a->mem_mib - a->mem_used_mib;
	long long fb = b->mem_mib - b->mem_used_mib;

	if (fa != fb)
		return policy == PLACE_PACK ? fa < fb : fa > fb;
	return a->running < b->running;
}

int
placement_choose(const struct place_host *h, int n,
    enum placement_policy policy, long long vcpus, long long mem_mib)
{
	int i, best = -1;

	for (i = 0; i < n; i++)
		if (fits(&h[i], vcpus, mem_mib) &&
		    (best < 0 || better(&h[i], &h[best], policy)))
			best = i;
	return best;
}

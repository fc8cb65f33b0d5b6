/* Placement: which host a new VM goes to.  A pure function of what each
 * host offers and has committed, so that the unit tests check the policy
 * itself. */
#ifndef IEVS_PLACEMENT_H
#define IEVS_PLACEMENT_H

#include <stdbool.h>

#include "conf.h"

/* One host as placement sees it. */
struct place_host {
	bool eligible;		/* reachable and schedulable */
	long long vcpus;	/* offered; < 0: not known */
	long long mem_mib;	/* offered; < 0: not known */
	long long vcpus_used;	/* committed: by its running VMs */
	long long mem_used_mib;
	int running;		/* VMs running there */
};

/* The host (index into h) for a VM of vcpus and mem_mib, or -1 if none
 * fits.  A host fits if it is eligible and what it offers less what is
 * committed there holds the VM.  PLACE_SPREAD takes the one with the most
 * memory left, PLACE_PACK the one with the least; ties go to the host
 * with the fewest VMs running, then to the first in the config. */
int placement_choose(const struct place_host *h, int n,
    enum placement_policy policy, long long vcpus, long long mem_mib);

#endif

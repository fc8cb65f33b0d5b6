/* The hypervisor hosts as the broker sees them: reachable or not, what
 * each offers (the config's, or the node's less the reserve) and what its
 * running VMs commit, from the table of domains; and placement's choice
 * among them. */
#ifndef IEVS_HOSTS_H
#define IEVS_HOSTS_H

#include <stdbool.h>

#include <glib.h>

#include "conf.h"
#include "virt.h"

struct host_view {
	const char *name;
	enum virt_state state;
	gint64 since;		/* unix time of the last change of state */
	bool schedulable;	/* by the config, and not drained */
	bool drained;		/* by an admin's drain */
	int running, defined;
	long long vcpus_used, vcpus;	/* vcpus < 0: not known yet */
	long long mem_used_mib, mem_mib;
};

/* One view per host of cfg, in its order, from the table only (no
 * libvirt call, but with one host, whose table may have to be loaded).
 * NULL and *err if the table cannot be read. */
struct host_view *hosts_view_new(const struct config *cfg, char **err);
/* The host for a new VM of vcpus and mib under cfg's policy, or -1 if
 * none fits now (*err says why, for the log). */
int hosts_place(const struct config *cfg, unsigned vcpus,
    unsigned long long mib, char **err);
/* The same, host except left out (-1: none). */
int hosts_place_except(const struct config *cfg, unsigned vcpus,
    unsigned long long mib, int except, char **err);
/* Whether host takes a VM of vcpus and mib more now: reachable,
 * schedulable, with room; if not, *why (static, translated) says what it
 * lacks. */
bool hosts_fits(const struct config *cfg, int host, unsigned vcpus,
    unsigned long long mib, const char **why);
/* The host of that name, or -1. */
int hosts_find(const struct config *cfg, const char *name);

/* Drained hosts take no new VM (drain, undrain); kept in the state
 * directory across restarts.  hosts_init reads them. */
void hosts_init(const struct config *cfg);
bool hosts_drained(int host);
int hosts_set_drained(const struct config *cfg, int host, bool on,
    char **err);

#endif

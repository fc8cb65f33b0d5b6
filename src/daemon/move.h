/* Moving a VM from one host to another over the shared pool: the guest
 * live when it runs (libvirt's managed migration: the broker speaks to
 * both hosts, the guest's memory goes from host to host), the persistent
 * definition alone when it is shut off.  Either way the disk stays where
 * it is, the definition ends up on the new host only, with its snapshots'
 * records, and the broker's kept copy follows it (keep.h).  On failure the
 * VM is where it was, as it was. */
#ifndef IEVS_MOVE_H
#define IEVS_MOVE_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "conf.h"

struct move_ctl {
	int cancel_fd;		/* its hang-up (POLLRDHUP) aborts a live
				 * migration; -1: none */
	void (*progress)(void *arg, int percent);	/* or NULL */
	void *arg;
};

/* dom, on host src, moved to host dst through dconn: live if it runs
 * (*live set), but not without a ctl.  0, or -1 with *err (one line for an admin or the
 * student, translated) and *cause (libvirt's words, for the log, or
 * NULL). */
int move_vm(const struct config *cfg, int src, virDomainPtr dom, int dst,
    virConnectPtr dconn, const struct move_ctl *ctl, bool *live,
    char **err, char **cause);
/* The VM domain of host src, which cannot be asked, defined on dst from
 * the kept definition, shut off; src's own is marked to be removed when
 * src comes back.  0, or -1 with *err and *cause. */
int move_from_kept(int src, const char *domain, int dst,
    virConnectPtr dconn, char **err, char **cause);
/* After host came back (domtab_on_load): each definition there marked as
 * moved away is undefined if it is shut off (kept, with a warning in the
 * log, if it runs); each VM of the broker's without a kept definition
 * gets one. */
void move_host_back(int host);

#endif

/* The broker's table of domains: owner, state and size of each, loaded
 * once and kept current by libvirt's events, so that `list` and the quota
 * checks ask libvirtd nothing. */
#ifndef IEVS_DOMTAB_H
#define IEVS_DOMTAB_H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "names.h"

struct domrow {
	char *name;		/* libvirt's name */
	bool owned;		/* named u<uid>_VM, with uid's owner record */
	uid_t uid;		/* owned: the owner */
	char vm[VM_NAME_MAX + 1];	/* owned: the VM's name */
	int state;		/* virDomainState */
	unsigned vcpus;		/* its size: what it uses when running */
	unsigned long long mem_kib;
	char *ip;		/* owned and running: the address last seen */
};

enum { OWNER_NONE = -1, OWNER_ERROR = -2 };

/* Starts the thread that applies events (and loads the table). */
void domtab_init(void);
void domtab_shutdown(void);
/* Copies of the rows owned by only ((uid_t)-1: every owner) and, with
 * others, of the rest too.  NULL and *err if libvirt cannot be reached. */
GArray *domtab_rows_new(uid_t only, bool others, char **err);
void domtab_rows_free(GArray *rows);
/* After a change made through conn: read the domain now (its state and
 * size), so the change is in the table before the user's lock is
 * released. */
void domtab_refresh(virConnectPtr conn, const char *name);
/* The same for a start or stop, on the handle at hand: its state only. */
void domtab_refresh_state(virDomainPtr dom);
/* The same where the change's outcome is known (a start or destroy that
 * succeeded): the state given, then read again behind it by the updater,
 * which a later event (a guest that stopped at once) may already have
 * asked for. */
void domtab_note_state(virDomainPtr dom, int state);
/* The state of the domain of that UUID as the table has it: 0, or -1 if
 * the table does not know. */
int domtab_state(const char *uuid, int *state);
/* The owner record of the domain of that UUID and name, as the table
 * last read it from the domain, if no event since may have changed it: 0
 * and *uid, or OWNER_NONE (no valid record); OWNER_ERROR if the table
 * cannot tell (read the domain). */
int domtab_owner(const char *uuid, const char *name, uid_t *uid);
/* The size of the domain name as last read whole, if no event since may
 * have changed it: 0, or -1 (ask libvirt). */
int domtab_size(const char *name, unsigned *vcpus,
    unsigned long long *mem_kib);
/* The address `ip NAME` just found for the running domain name (or NULL):
 * list shows it from now on. */
void domtab_set_ip(const char *name, const char *ip);
/* Whether a row's state counts as running (for quotas). */
bool domtab_active(const struct domrow *r);
/* The owner recorded in the domain: 0 and *uid, OWNER_NONE if there is no
 * (valid) record, OWNER_ERROR if libvirt failed. */
int domain_owner(virDomainPtr dom, uid_t *uid);

#endif

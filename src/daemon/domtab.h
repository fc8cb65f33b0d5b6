/* The broker's table of domains on every host: owner, state, size and
 * host of each, loaded once and kept current by each host's events, so
 * that `list`, the quota checks and placement ask libvirtd nothing.  The
 * rows of a host that cannot be reached stay as they were last seen. */
#ifndef IEVS_DOMTAB_H
#define IEVS_DOMTAB_H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "names.h"

struct domrow {
	int host;		/* the host's number (virt.h) */
	bool unreachable;	/* copies: the host is not followed now, the
				 * row is as last seen */
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
void domtab_init(bool several);
void domtab_shutdown(void);
/* Copies of the rows owned by only ((uid_t)-1: every owner) and, with
 * others, of the rest too.  With one host, NULL and *err if libvirt
 * cannot be reached.  With several, the rows of a host that is down are
 * given as last seen (marked unreachable), and the call asks libvirt
 * nothing; but if complete, NULL and *err if a host has not been reached
 * once since the start (its VMs are not known: a quota cannot be
 * checked). */
GArray *domtab_rows_new(uid_t only, bool others, bool complete, char **err);
void domtab_rows_free(GArray *rows);
/* The host the domain name is on (a running one first, then one on a
 * host that answers), or -1 if the table knows of none. */
int domtab_locate(const char *name);
/* After a change made through conn to host: read the domain now (all of
 * it), so the change is in the table before the user's lock is
 * released. */
void domtab_refresh(int host, virConnectPtr conn, const char *name);
/* The same for a start or stop, on the handle at hand: its state only
 * (virDomainGetState, which libvirtd answers at once). */
void domtab_refresh_state(int host, virDomainPtr dom);
/* The same where the change's outcome is known (a start or destroy that
 * succeeded): the state given, then read again behind it by the host's
 * updater (a later event, a guest that stopped at once, may have asked
 * for that already). */
void domtab_note_state(int host, virDomainPtr dom, int state);
/* What the table has of host's domain uuid, while host's rows are current
 * (followed since they were loaded): its state (0, or -1 if not known);
 * its owner record, as last read from the domain, if no event since may
 * have changed it (0 and *uid, or OWNER_NONE; OWNER_ERROR if the table
 * cannot tell: read the domain), and only if the row's name is name; its
 * size (vcpus and memory of its definition, or in use if running) on the
 * same terms (0, or -1: ask libvirt).  An event of host, a reconnection
 * to it or a failed read there distrusts host's rows only. */
int domtab_state(int host, const char *uuid, int *state);
int domtab_owner(int host, const char *uuid, const char *name, uid_t *uid);
int domtab_size(int host, const char *uuid, unsigned *vcpus,
    unsigned long long *mem_kib);
/* The address `ip NAME` just found for the running domain name on host
 * (or NULL): list shows it from now on. */
void domtab_set_ip(int host, const char *name, const char *ip);
/* The hosts (up to max into hosts) that have a domain of that name, as
 * the table knows them; how many there are. */
int domtab_hosts_of(const char *name, int *hosts, int max);
/* A copy of host's row of the domain name: true, or false if there is
 * none.  The copy is freed with domtab_row_clear. */
bool domtab_row_of(int host, const char *name, struct domrow *out);
void domtab_row_clear(struct domrow *r);
/* Drops host's rows of the domain name (a host that cannot be asked:
 * its VM has been defined elsewhere).  A load of the host brings back
 * what is still there. */
void domtab_forget(int host, const char *name);
/* The names of the broker's VMs on host (caller frees, g_strfreev). */
char **domtab_owned_names_new(int host);
/* fn is called by a host's own thread after each load of its table (at
 * the start, and when the host comes back), outside any lock. */
void domtab_on_load(void (*fn)(int host));
/* Whether a row's state counts as running (for quotas). */
bool domtab_active(const struct domrow *r);
/* The owner recorded in the domain: 0 and *uid, OWNER_NONE if there is no
 * (valid) record, OWNER_ERROR if libvirt failed. */
int domain_owner(virDomainPtr dom, uid_t *uid);

#endif

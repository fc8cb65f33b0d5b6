/* The broker's libvirt connections: a few per host, shared by every client
 * thread, opened by each host's own thread, watched by keepalive and
 * replaced when the host comes back. */
#ifndef IEVS_VIRT_H
#define IEVS_VIRT_H

#include <stdbool.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "conf.h"

/* What the broker knows of a host's libvirtd. */
enum virt_state {
	VIRT_UNKNOWN,		/* no attempt to connect has ended yet */
	VIRT_UP,
	VIRT_DOWN
};

/* Starts a thread per host of cfg (hosts are numbered in cfg's order),
 * which connects at once.  Returns -1 only if libvirt cannot start. */
int virt_init(const struct config *cfg);
void virt_shutdown(void);
/* How long virt_get waits for a connection to open (default 5 s; an
 * admin's --check may wait longer). */
void virt_set_open_wait(int seconds);
int virt_nhosts(void);
const char *virt_host_name(int host);
/* The host's state, and since when (unix time) it is so. */
enum virt_state virt_host_state(int host, gint64 *since);
/* What virNodeGetInfo said at the last connect: 0, or -1 if the host has
 * not been reached since the broker started. */
int virt_host_node(int host, unsigned *cpus, unsigned long long *mem_kib);
/* A number that changes whenever the host's connections are dropped (it
 * went down, or libvirtd went away): before the table's watcher hears of
 * it, and before any new connection to it is handed out. */
guint64 virt_host_gen(int host);
/* fn is called, from the host's thread, whenever a host comes up (the
 * first connection opened) or goes down (a connection closed). */
void virt_watch(void (*fn)(int host, bool up));
/* Returns a reference to a live connection to host: the one for requests
 * that change nothing (and the table's events) if readonly, else the
 * least busy of the others (more are opened as they fill).  A connection
 * not yet open is asked of the host's thread and waited for a few seconds
 * at most: a host that does not answer never holds the caller for a TCP
 * timeout.  The caller gives it back with virt_put.  NULL and *err on
 * failure. */
virConnectPtr virt_get(int host, bool readonly, char **err);
/* Gives back what virt_get returned (NULL: nothing). */
void virt_put(virConnectPtr conn);
/* The caller saw conn fail: if it is dead, its host is taken for down and
 * reconnected by its thread.  Returns 1 if it was dead. */
int virt_failed(virConnectPtr conn);
/* The message of the calling thread's last libvirt error. */
const char *virt_error(void);

#endif

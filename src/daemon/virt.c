/* libvirt connection handling.  libvirtd serves at most
 * max_client_requests (default 5) calls of one connection at a time, with
 * max_workers (default 20) threads in all, and reads no more of a
 * connection that has that many calls in flight, not even a destroy, which
 * its high-priority workers would otherwise take at once.  So the client
 * threads share a pool: one connection kept for requests that change
 * nothing (and the table's events), the others taken in turn, enough of
 * them that a class's sessions, one call each, rarely find one full.  The
 * lock only guards opening and replacing them. */
#include "config.h"

#include <glib.h>
#include <libvirt/virterror.h>

#include "log.h"
#include "virt.h"

/* Slot 0: read-only requests; 1..POOL-1 the rest, opened as the turn
 * first comes to them.  31 of them take 155 calls at once; 7 (before)
 * left 60 students starting and stopping VMs queueing in the broker. */
#define POOL 32

static GMutex lock;
static virConnectPtr pool[POOL];
static unsigned turn, slots;
static char *uri;
/* libvirt's event loop: streams (the console) and keepalives need one. */
static GThread *events;
static volatile gint events_quit;

static void *
events_main(void *arg)
{
	while (!g_atomic_int_get(&events_quit))
		if (virEventRunDefaultImpl() < 0)
			g_usleep(100000);
	return NULL;
}

static void
events_wake(int timer, void *opaque)
{
	virEventRemoveTimeout(timer);
}

static void
quiet(void *opaque, virErrorPtr e)
{
	/* Errors are reported to the client that caused them, not stderr. */
}

int
virt_init(const char *u)
{
	char *err = NULL;
	virConnectPtr c;

	uri = g_strdup(u);
	/* The test driver lives in this process, and each connection to a
	 * node file has a state of its own: one connection there. */
	slots = g_str_has_prefix(u, "test:") ? 1 : POOL;
	virSetErrorFunc(NULL, quiet);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return -1;
	events = g_thread_new("libvirt-events", events_main, NULL);
	if ((c = virt_get(true, &err)) == NULL) {
		/* Not fatal: libvirtd may start after us. */
		log_msg(LOG_WARNING, "%s; will retry on the next request", err);
		g_free(err);
		return 0;
	}
	virConnectClose(c);
	return 0;
}

void
virt_shutdown(void)
{
	int i;

	g_mutex_lock(&lock);
	for (i = 0; i < POOL; i++) {
		if (pool[i] != NULL)
			virConnectClose(pool[i]);
		pool[i] = NULL;
	}
	g_mutex_unlock(&lock);
	g_free(uri);
	uri = NULL;
	if (events != NULL) {
		g_atomic_int_set(&events_quit, 1);
		virEventAddTimeout(0, events_wake, NULL, NULL);
		g_thread_join(events);
		events = NULL;
	}
}

const char *
virt_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

/* Forgets conn if it is still slot's (it was found dead). */
static void
forget(unsigned slot, virConnectPtr conn)
{
	g_mutex_lock(&lock);
	if (pool[slot] == conn) {
		log_msg(LOG_WARNING, "lost the connection to %s (%u); "
		    "reconnecting", uri, slot);
		virConnectClose(pool[slot]);
		pool[slot] = NULL;
	}
	g_mutex_unlock(&lock);
}

virConnectPtr
virt_get(bool readonly, char **err)
{
	virConnectPtr c;
	unsigned slot;

	*err = NULL;
	g_mutex_lock(&lock);
	slot = readonly || slots == 1 ? 0 : 1 + turn++ % (slots - 1);
	if ((c = pool[slot]) != NULL)
		virConnectRef(c);
	g_mutex_unlock(&lock);
	/* Checked outside the lock: the check waits for the connection's
	 * own lock, and one busy connection must not hold up the others.
	 * One found dead (libvirtd restarted) is replaced now, not after a
	 * request has failed on it. */
	if (c != NULL && virConnectIsAlive(c) == 1)
		return c;
	if (c != NULL) {
		forget(slot, c);
		virConnectClose(c);
	}
	g_mutex_lock(&lock);
	if (pool[slot] == NULL) {
		/* Opening under the lock: the other threads would only queue
		 * up to open the same connection. */
		pool[slot] = virConnectOpen(uri);
		if (pool[slot] == NULL) {
			*err = g_strdup_printf("cannot connect to libvirt "
			    "(%s): %s", uri, virt_error());
			g_mutex_unlock(&lock);
			return NULL;
		}
		log_msg(LOG_INFO, "connected to %s (%u)", uri, slot);
	}
	c = pool[slot];
	virConnectRef(c);
	g_mutex_unlock(&lock);
	return c;
}

int
virt_failed(virConnectPtr conn)
{
	int dead = virConnectIsAlive(conn) == 0, i;

	if (!dead)
		return 0;
	for (i = 0; i < POOL; i++)
		forget(i, conn);
	return 1;
}

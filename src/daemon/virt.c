/* libvirt connection handling.  libvirt connections are thread safe, so
 * every client thread shares one; the lock only guards replacing it. */
#include "config.h"

#include <glib.h>
#include <libvirt/virterror.h>

#include "log.h"
#include "virt.h"

static GMutex lock;
static virConnectPtr current;
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
	virSetErrorFunc(NULL, quiet);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return -1;
	events = g_thread_new("libvirt-events", events_main, NULL);
	if ((c = virt_get(&err)) == NULL) {
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
	g_mutex_lock(&lock);
	if (current != NULL)
		virConnectClose(current);
	current = NULL;
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

virConnectPtr
virt_get(char **err)
{
	virConnectPtr c;

	*err = NULL;
	g_mutex_lock(&lock);
	if (current == NULL) {
		/* Opening under the lock: the other threads would only queue
		 * up to open the same connection. */
		current = virConnectOpen(uri);
		if (current == NULL) {
			*err = g_strdup_printf("cannot connect to libvirt "
			    "(%s): %s", uri, virt_error());
			g_mutex_unlock(&lock);
			return NULL;
		}
		log_msg(LOG_INFO, "connected to %s", uri);
	}
	c = current;
	virConnectRef(c);
	g_mutex_unlock(&lock);
	return c;
}

int
virt_failed(virConnectPtr conn)
{
	int dead = virConnectIsAlive(conn) == 0;

	if (!dead)
		return 0;
	g_mutex_lock(&lock);
	if (current == conn) {
		log_msg(LOG_WARNING, "lost the connection to %s; reconnecting",
		    uri);
		virConnectClose(current);
		current = NULL;
	}
	g_mutex_unlock(&lock);
	return 1;
}

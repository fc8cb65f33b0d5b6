/* libvirt connection handling.  libvirtd serves at most
 * max_client_requests (default 5) calls of one connection at a time, with
 * max_workers (default 20) threads in all, and reads no more of a
 * connection that has that many calls in flight, not even a destroy, which
 * its high-priority workers would otherwise take at once.  So the client
 * threads share a pool per host: one connection kept for requests that
 * change nothing (and the table's events), and for the others the least
 * busy of the rest.  A host gets one more only when every one it has
 * carries SHARE calls: a host the class is busy on grows to what its
 * sessions need (60 sessions starting VMs at once, 30), a quiet one keeps
 * one or two, and one unused for IDLE s is closed again.
 *
 * Each host has a thread of its own that opens its connections: a client
 * thread asks it for one and waits a few seconds at most, so a host whose
 * network has gone silent holds nobody for a TCP timeout.  Keepalive closes
 * a connection whose peer stopped answering, even in the middle of a call;
 * the close callback then takes the host for down, and its thread connects
 * again, at growing intervals, until it answers.  The locks guard memory
 * only, never a libvirt call. */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <libintl.h>
#include <libvirt/virterror.h>

#include "log.h"
#include "virt.h"

/* Slot 0: read-only requests; 1..POOL-1 the rest, opened as needed. */
#define POOL 32
/* Calls in flight on each connection before another is opened: under
 * libvirtd's 5, so that a destroy never waits to be read behind starts;
 * 2 is what 60 sessions had with a fixed pool of 32, where the measured
 * start and destroy latencies matched direct libvirt's. */
#define SHARE 2
/* A connection of slot 2 or above unused this long (s) is closed. */
#define IDLE 120
/* A peer that misses KA_COUNT pings KA_INTERVAL s apart is dead: a call
 * to a host gone silent fails after about KA_INTERVAL * (KA_COUNT + 1) s. */
#define KA_INTERVAL 3
#define KA_COUNT 2
/* How long a client thread waits for a connection to open. */
#define OPEN_WAIT 5
/* Reconnecting to a host that is down: after 1 s, then twice as long each
 * time, up to RETRY_MAX s. */
#define RETRY_MAX 5

struct vhost {
	int index;
	char *name, *uri;
	GMutex lock;
	GCond cond;
	virConnectPtr pool[POOL];
	unsigned busy[POOL];	/* callers holding each (virt_get, virt_put) */
	gint64 used[POOL];	/* monotonic time of its last taking or return */
	unsigned slots;
	unsigned want;		/* slots a client thread waits for */
	bool lost;		/* a connection closed: drop them all */
	guint64 gen;		/* how many times they were all dropped */
	enum virt_state state;
	gint64 since;		/* unix time of the last change of state */
	gint64 attempt;		/* monotonic start of an open, or 0 */
	gint64 attempt_real;	/* its start in unix time */
	guint64 attempts;	/* opens ended */
	gint64 retry_at;	/* monotonic: next reconnect while down */
	int backoff;
	char *why;		/* the last failure to connect */
	unsigned cpus;		/* virNodeGetInfo at the last connect */
	unsigned long long mem_kib;
	bool quit;
	GThread *thread;
};

static struct vhost **hosts;
static int nhosts;
static int open_wait = OPEN_WAIT;
static gpointer watcher;	/* void (*)(int host, bool up) */
/* libvirt's event loop: streams (the console), keepalives and close
 * callbacks need one. */
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

const char *
virt_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

int
virt_nhosts(void)
{
	return nhosts;
}

const char *
virt_host_name(int host)
{
	return hosts[host]->name;
}

void
virt_set_open_wait(int seconds)
{
	open_wait = seconds;
}

void
virt_watch(void (*fn)(int host, bool up))
{
	g_atomic_pointer_set(&watcher, (gpointer)fn);
}

enum virt_state
virt_host_state(int host, gint64 *since)
{
	struct vhost *h = hosts[host];
	enum virt_state s;

	g_mutex_lock(&h->lock);
	s = h->state;
	if (since != NULL)
		*since = h->since;
	/* An open that has not ended within the wait (a host that accepts
	 * the connection and says nothing): down since it began. */
	if (s != VIRT_DOWN && h->attempt != 0 && g_get_monotonic_time() -
	    h->attempt > open_wait * G_USEC_PER_SEC) {
		s = VIRT_DOWN;
		if (since != NULL)
			*since = h->attempt_real;
	}
	g_mutex_unlock(&h->lock);
	return s;
}

int
virt_host_node(int host, unsigned *cpus, unsigned long long *mem_kib)
{
	struct vhost *h = hosts[host];
	int r;

	g_mutex_lock(&h->lock);
	r = h->cpus > 0 ? 0 : -1;
	*cpus = h->cpus;
	*mem_kib = h->mem_kib;
	g_mutex_unlock(&h->lock);
	return r;
}

guint64
virt_host_gen(int host)
{
	struct vhost *h = hosts[host];
	guint64 g;

	g_mutex_lock(&h->lock);
	g = h->gen;
	g_mutex_unlock(&h->lock);
	return g;
}

static int
slot_of(struct vhost *h, virConnectPtr conn)
{
	unsigned i;

	for (i = 0; i < POOL; i++)
		if (h->pool[i] == conn)
			return (int)i;
	return -1;
}

/* libvirt closed one of the host's connections (its peer went away, or
 * stopped answering keepalives): the host's thread drops them all. */
static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
	struct vhost *h = opaque;

	g_mutex_lock(&h->lock);
	if (slot_of(h, conn) >= 0) {
		h->lost = true;
		g_cond_broadcast(&h->cond);
	}
	g_mutex_unlock(&h->lock);
}

static void
conn_drop(virConnectPtr c)
{
	/* Fails on a connection already dead; nothing to undo then. */
	virConnectUnregisterCloseCallback(c, on_close);
	virConnectClose(c);
}

/* Opens a connection to h, with keepalive and the close callback.  The
 * test driver has neither, and never closes. */
static virConnectPtr
conn_open(struct vhost *h, char **why)
{
	virConnectPtr c = virConnectOpen(h->uri);

	if (c == NULL) {
		*why = g_strdup(virt_error());
		return NULL;
	}
	if (virConnectSetKeepAlive(c, KA_INTERVAL, KA_COUNT) < 0 &&
	    virGetLastErrorCode() != VIR_ERR_NO_SUPPORT)
		log_msg(LOG_WARNING, "host %s: no keepalive: %s", h->name,
		    virt_error());
	if (virConnectRegisterCloseCallback(c, on_close, h, NULL) < 0 &&
	    virGetLastErrorCode() != VIR_ERR_NO_SUPPORT)
		log_msg(LOG_WARNING, "host %s: no close callback: %s",
		    h->name, virt_error());
	return c;
}

/* Called with the lock held: the host is down from now on, its
 * connections taken out of the pool (into gone, to be closed unlocked).
 * Returns whether it was up. */
static bool
go_down(struct vhost *h, GPtrArray *gone)
{
	bool was_up = h->state == VIRT_UP;
	unsigned i;

	for (i = 0; i < POOL; i++) {
		if (h->pool[i] != NULL) {
			g_ptr_array_add(gone, h->pool[i]);
			h->pool[i] = NULL;
		}
		h->busy[i] = 0;
	}
	h->lost = false;
	h->gen++;
	if (h->state != VIRT_DOWN) {
		h->state = VIRT_DOWN;
		h->since = g_get_real_time() / G_USEC_PER_SEC;
		h->backoff = 1;
		h->retry_at = g_get_monotonic_time();
	}
	return was_up;
}

static void
notify(struct vhost *h, bool up)
{
	void (*fn)(int, bool) = (void (*)(int, bool))
	    g_atomic_pointer_get(&watcher);

	if (fn != NULL)
		fn(h->index, up);
}

/* One open, of slot (the lock held, and released meanwhile). */
static void
attempt(struct vhost *h, unsigned slot)
{
	GPtrArray *gone = g_ptr_array_new_with_free_func((GDestroyNotify)
	    conn_drop);
	virNodeInfo info;
	virConnectPtr c;
	char *why = NULL;
	bool first = h->state != VIRT_UP, change = false;

	h->attempt = g_get_monotonic_time();
	h->attempt_real = g_get_real_time() / G_USEC_PER_SEC;
	g_mutex_unlock(&h->lock);
	c = conn_open(h, &why);
	if (c != NULL && first && virNodeGetInfo(c, &info) < 0)
		memset(&info, 0, sizeof(info));
	g_mutex_lock(&h->lock);
	h->attempt = 0;
	h->attempts++;
	if (c != NULL && !h->lost) {
		h->pool[slot] = c;
		h->busy[slot] = 0;
		h->used[slot] = g_get_monotonic_time();
		h->want &= ~(1u << slot);
		if (first && info.cpus > 0) {
			h->cpus = info.cpus;
			h->mem_kib = info.memory;
		}
		if (h->state != VIRT_UP) {
			h->state = VIRT_UP;
			h->since = g_get_real_time() / G_USEC_PER_SEC;
			log_msg(LOG_INFO, "host %s: connected to %s",
			    h->name, h->uri);
			change = true;
		}
	} else {
		if (c != NULL)
			g_ptr_array_add(gone, c);
		/* The clients waiting learn of it, and give up. */
		h->want = 0;
		g_free(h->why);
		h->why = why != NULL ? why :
		    g_strdup("the connection closed at once");
		why = NULL;
		if (h->state != VIRT_DOWN)
			log_msg(LOG_WARNING, "host %s: cannot connect to %s: "
			    "%s; will retry", h->name, h->uri, h->why);
		change = go_down(h, gone);
		h->retry_at = g_get_monotonic_time() + h->backoff *
		    G_USEC_PER_SEC;
		h->backoff = MIN(h->backoff * 2, RETRY_MAX);
	}
	g_cond_broadcast(&h->cond);
	g_mutex_unlock(&h->lock);
	g_free(why);
	/* The watcher first: closing a connection to a libvirtd that stopped
	 * answering waits for keepalive to give up on it. */
	if (change)
		notify(h, c != NULL);
	g_ptr_array_free(gone, TRUE);
	g_mutex_lock(&h->lock);
}

/* A connection closed: the host is down until its thread reaches it
 * again (at once: most often libvirtd restarted). */
static void
lose(struct vhost *h)
{
	GPtrArray *gone = g_ptr_array_new_with_free_func((GDestroyNotify)
	    conn_drop);
	bool was_up = go_down(h, gone);

	log_msg(LOG_WARNING, "host %s: lost the connection to %s; "
	    "reconnecting", h->name, h->uri);
	g_mutex_unlock(&h->lock);
	if (was_up)
		notify(h, false);
	g_ptr_array_free(gone, TRUE);
	g_mutex_lock(&h->lock);
}

/* Closes the connections beyond the first two that nobody has used for
 * IDLE s (the lock held, and released meanwhile). */
static void
shrink(struct vhost *h, gint64 now)
{
	GPtrArray *gone = NULL;
	unsigned i;

	for (i = 2; i < POOL; i++)
		if (h->pool[i] != NULL && h->busy[i] == 0 &&
		    now - h->used[i] > IDLE * G_USEC_PER_SEC) {
			if (gone == NULL)
				gone = g_ptr_array_new_with_free_func(
				    (GDestroyNotify)conn_drop);
			g_ptr_array_add(gone, h->pool[i]);
			h->pool[i] = NULL;
		}
	if (gone == NULL)
		return;
	g_mutex_unlock(&h->lock);
	g_ptr_array_free(gone, TRUE);
	g_mutex_lock(&h->lock);
}

static void *
host_main(void *arg)
{
	struct vhost *h = arg;

	g_mutex_lock(&h->lock);
	h->want |= 1;
	while (!h->quit) {
		gint64 now = g_get_monotonic_time();

		if (h->lost) {
			lose(h);
			continue;
		}
		if (h->state != VIRT_UP && now >= h->retry_at)
			h->want |= 1;
		if (h->want == 0 && h->state == VIRT_UP)
			shrink(h, now);
		if (h->want == 0) {
			g_cond_wait_until(&h->cond, &h->lock,
			    h->state == VIRT_UP ? now + G_USEC_PER_SEC :
			    MAX(h->retry_at, now + G_USEC_PER_SEC / 10));
			continue;
		}
		/* While down, slot 0 first: it says whether the host is
		 * back. */
		attempt(h, h->state != VIRT_UP ? 0 :
		    (unsigned)g_bit_nth_lsf(h->want, -1));
	}
	g_mutex_unlock(&h->lock);
	return NULL;
}

int
virt_init(const struct config *cfg)
{
	int i;

	virSetErrorFunc(NULL, quiet);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return -1;
	/* Each client's thread takes the client's locale (server.c), but
	 * libvirt's own words stay English, in every thread: virterr.c
	 * reads them, and the audit log keeps them.  virInitialize() has
	 * bound libvirt's catalogues; this binds them to none. */
	bindtextdomain("libvirt", "/nonexistent");
	events = g_thread_new("libvirt-events", events_main, NULL);
	nhosts = cfg->nhosts;
	hosts = g_new0(struct vhost *, nhosts);
	for (i = 0; i < nhosts; i++) {
		struct vhost *h = g_new0(struct vhost, 1);

		h->index = i;
		h->name = g_strdup(cfg->hosts[i].name);
		h->uri = g_strdup(cfg->hosts[i].uri);
		/* The test driver lives in this process, and each
		 * connection to a node file has a state of its own: one
		 * connection there. */
		h->slots = g_str_has_prefix(h->uri, "test:") ? 1 : POOL;
		h->backoff = 1;
		g_mutex_init(&h->lock);
		g_cond_init(&h->cond);
		hosts[i] = h;
		h->thread = g_thread_new("libvirt-host", host_main, h);
	}
	return 0;
}

void
virt_shutdown(void)
{
	int i;
	unsigned s;

	for (i = 0; i < nhosts; i++) {
		struct vhost *h = hosts[i];
		bool busy;

		g_mutex_lock(&h->lock);
		h->quit = true;
		busy = h->attempt != 0;
		g_cond_broadcast(&h->cond);
		g_mutex_unlock(&h->lock);
		/* A thread inside an open to a silent host may stay there
		 * for a TCP timeout: the process ends without it. */
		if (busy) {
			g_thread_unref(h->thread);
			hosts[i] = NULL;
			continue;
		}
		g_thread_join(h->thread);
		for (s = 0; s < POOL; s++)
			if (h->pool[s] != NULL)
				conn_drop(h->pool[s]);
		g_mutex_clear(&h->lock);
		g_cond_clear(&h->cond);
		g_free(h->name);
		g_free(h->uri);
		g_free(h->why);
		g_free(h);
	}
	g_free(hosts);
	hosts = NULL;
	nhosts = 0;
	if (events != NULL) {
		g_atomic_int_set(&events_quit, 1);
		virEventAddTimeout(0, events_wake, NULL, NULL);
		g_thread_join(events);
		events = NULL;
	}
}

/* Waits, the lock held, until slot is open or the open failed or took
 * too long.  An open under way for OPEN_WAIT already fails at once. */
static virConnectPtr
wait_open(struct vhost *h, unsigned slot, char **err)
{
	gint64 end = (h->attempt ? h->attempt : g_get_monotonic_time()) +
	    open_wait * G_USEC_PER_SEC;
	guint64 seen = h->attempts;

	h->want |= 1u << slot;
	g_cond_broadcast(&h->cond);
	while (h->pool[slot] == NULL && !h->quit) {
		/* An open ended, and nobody waits for this slot any more:
		 * it failed. */
		if (h->attempts != seen && !(h->want & (1u << slot)))
			break;
		if (!g_cond_wait_until(&h->cond, &h->lock, end))
			break;
	}
	if (h->pool[slot] != NULL)
		return virConnectRef(h->pool[slot]) == 0 ? h->pool[slot] :
		    NULL;
	if (h->attempts != seen && h->why != NULL)
		*err = g_strdup_printf("cannot connect to libvirt on host %s "
		    "(%s): %s", h->name, h->uri, h->why);
	else
		*err = g_strdup_printf("cannot connect to libvirt on host %s "
		    "(%s): no answer within %d s", h->name, h->uri,
		    open_wait);
	return NULL;
}

/* The slot for a request (the lock held): 0 if readonly, else the least
 * busy open one of the rest, or the first if none is open.  When even
 * that one carries SHARE calls, the host's thread opens one more, and
 * the caller shares meanwhile rather than wait (an open over ssh takes
 * half a second). */
static unsigned
pick(struct vhost *h, bool readonly)
{
	unsigned i, best = 0, spare = 0;

	if (readonly || h->slots == 1)
		return 0;
	for (i = 1; i < h->slots; i++) {
		if (h->pool[i] == NULL) {
			if (spare == 0)
				spare = i;
		} else if (best == 0 || h->busy[i] < h->busy[best])
			best = i;
	}
	if (best == 0)
		return 1;
	if (h->busy[best] >= SHARE && spare != 0 && !h->lost &&
	    h->state == VIRT_UP && !(h->want & (1u << spare))) {
		h->want |= 1u << spare;
		g_cond_broadcast(&h->cond);
	}
	return best;
}

/* The caller holds c, of slot (the lock held).  Slot 0 is shared by
 * every read and not counted: its takers may give it back with
 * virConnectClose. */
static virConnectPtr
take(struct vhost *h, unsigned slot, virConnectPtr c)
{
	if (slot > 0)
		h->busy[slot]++;
	h->used[slot] = g_get_monotonic_time();
	return c;
}

virConnectPtr
virt_get(int host, bool readonly, char **err)
{
	struct vhost *h = hosts[host];
	virConnectPtr c;
	unsigned slot;

	*err = NULL;
	g_mutex_lock(&h->lock);
	slot = pick(h, readonly);
	c = h->lost ? NULL : h->pool[slot];
	if (c != NULL && virConnectRef(c) == 0)
		take(h, slot, c);
	else
		c = NULL;
	g_mutex_unlock(&h->lock);
	/* Checked outside the lock: the check waits for the connection's
	 * own lock, and one busy connection must not hold up the others.
	 * One found dead (libvirtd restarted) is replaced now, not after a
	 * request has failed on it. */
	if (c != NULL && virConnectIsAlive(c) == 1)
		return c;
	if (c != NULL) {
		virt_failed(c);
		virt_put(c);
	}
	g_mutex_lock(&h->lock);
	/* Wait for the host's thread to drop what was lost first. */
	while (h->lost && !h->quit)
		g_cond_wait_until(&h->cond, &h->lock, g_get_monotonic_time() +
		    G_USEC_PER_SEC / 10);
	if (h->pool[slot] != NULL && virConnectRef(h->pool[slot]) == 0)
		c = h->pool[slot];
	else
		c = wait_open(h, slot, err);
	if (c != NULL)
		take(h, slot, c);
	g_mutex_unlock(&h->lock);
	return c;
}

void
virt_put(virConnectPtr conn)
{
	int i, s;

	if (conn == NULL)
		return;
	for (i = 0; i < nhosts; i++) {
		struct vhost *h = hosts[i];

		g_mutex_lock(&h->lock);
		/* Not found: the host's connections were replaced since. */
		if ((s = slot_of(h, conn)) > 0 && h->busy[s] > 0) {
			h->busy[s]--;
			h->used[s] = g_get_monotonic_time();
		}
		g_mutex_unlock(&h->lock);
	}
	virConnectClose(conn);
}

int
virt_failed(virConnectPtr conn)
{
	int i;

	if (conn == NULL || virConnectIsAlive(conn) != 0)
		return 0;
	for (i = 0; i < nhosts; i++) {
		struct vhost *h = hosts[i];

		g_mutex_lock(&h->lock);
		if (slot_of(h, conn) >= 0) {
			h->lost = true;
			g_cond_broadcast(&h->cond);
		}
		g_mutex_unlock(&h->lock);
	}
	return 1;
}

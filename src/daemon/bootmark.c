/* When a domain was last booted through us (see bootmark.h).  A start
 * answers as soon as the domain runs: the live metadata that keeps the
 * time is written afterwards by one thread, as libvirtd answers
 * virDomainSetMetadata only after the starts queued before it, and a
 * class starting its VMs at once would each wait for the others'.  Until
 * it is written, the time is read from here.  A mark is kept per host and
 * UUID; one for a host that is down is dropped, not waited for: the
 * domain's run there is not known any more. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "bootmark.h"
#include "log.h"
#include "virt.h"

/* Kept in live-only metadata that disappears when the domain stops. */
#define BOOT_NS_URI "urn:ie-vshell:boot:1"

struct mark {
	int host;
	char uuid[VIR_UUID_STRING_BUFLEN];
	unsigned id;		/* the domain's ID in that run, or -1 if the
				 * handle did not know it */
	gint64 t;		/* unix time of the boot */
};

static struct {
	GMutex lock;
	GCond wake;
	GHashTable *pending;	/* "HOST/UUID" -> struct mark, to write */
	GThread *thread;
	bool quit;
} bm;

static char *
mark_key_new(int host, const char *uuid)
{
	return g_strdup_printf("%d/%s", host, uuid);
}

/* Writes one mark; the domain may have stopped meanwhile, or be in
 * another run (a new ID): then there is nothing to keep, and a write
 * would wait for that start to end. */
static void
write_mark(const struct mark *m)
{
	virDomainPtr dom;
	virConnectPtr conn;
	char *xml, *err = NULL;

	if (virt_host_state(m->host, NULL) == VIRT_DOWN)
		return;
	if ((conn = virt_get(m->host, false, &err)) == NULL) {
		log_msg(LOG_DEBUG, "cannot record the boot time: %s", err);
		g_free(err);
		return;
	}
	if ((dom = virDomainLookupByUUIDString(conn, m->uuid)) != NULL &&
	    (m->id == (unsigned)-1 || virDomainGetID(dom) == m->id)) {
		xml = g_strdup_printf("<boot time='%lld'/>", (long long)m->t);
		if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml,
		    "ievsboot", BOOT_NS_URI, VIR_DOMAIN_AFFECT_LIVE) < 0)
			log_msg(LOG_DEBUG, "cannot record the boot time: %s",
			    virt_error());
		g_free(xml);
	}
	if (dom != NULL)
		virDomainFree(dom);
	virt_put(conn);
}

static void *
writer(void *arg)
{
	g_mutex_lock(&bm.lock);
	while (!bm.quit) {
		GHashTableIter it;
		gpointer k, v;
		struct mark m;
		char *key;

		g_hash_table_iter_init(&it, bm.pending);
		if (!g_hash_table_iter_next(&it, &k, &v)) {
			g_cond_wait(&bm.wake, &bm.lock);
			continue;
		}
		key = g_strdup(k);
		m = *(struct mark *)v;
		g_mutex_unlock(&bm.lock);
		write_mark(&m);
		g_mutex_lock(&bm.lock);
		/* Done, unless a later boot came meanwhile. */
		v = g_hash_table_lookup(bm.pending, key);
		if (v != NULL && ((struct mark *)v)->t == m.t)
			g_hash_table_remove(bm.pending, key);
		g_free(key);
	}
	g_mutex_unlock(&bm.lock);
	return NULL;
}

void
bootmark_set(int host, virDomainPtr dom)
{
	struct mark *m = g_new0(struct mark, 1);

	if (virDomainGetUUIDString(dom, m->uuid) < 0) {
		g_free(m);
		return;
	}
	m->host = host;
	m->id = virDomainGetID(dom);
	m->t = g_get_real_time() / G_USEC_PER_SEC;
	g_mutex_lock(&bm.lock);
	if (bm.pending == NULL)
		bm.pending = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, g_free);
	if (bm.thread == NULL && !bm.quit)
		bm.thread = g_thread_new("bootmark", writer, NULL);
	g_hash_table_insert(bm.pending, mark_key_new(host, m->uuid), m);
	g_cond_signal(&bm.wake);
	g_mutex_unlock(&bm.lock);
}

long long
bootmark_uptime(int host, virDomainPtr dom)
{
	char uuid[VIR_UUID_STRING_BUFLEN], *md, *p, *key;
	long long t = -1, now = g_get_real_time() / G_USEC_PER_SEC;
	struct mark *m;

	if (virDomainIsActive(dom) != 1)
		return -1;
	if (virDomainGetUUIDString(dom, uuid) == 0) {
		key = mark_key_new(host, uuid);
		g_mutex_lock(&bm.lock);
		if (bm.pending != NULL &&
		    (m = g_hash_table_lookup(bm.pending, key)) != NULL)
			t = m->t;
		g_mutex_unlock(&bm.lock);
		g_free(key);
	}
	if (t < 0) {
		md = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
		    BOOT_NS_URI, VIR_DOMAIN_AFFECT_LIVE);
		if (md != NULL && (p = strstr(md, "time=")) != NULL)
			t = g_ascii_strtoll(p + 6, NULL, 10);
		free(md);
	}
	return t > 0 && t <= now ? now - t : -1;
}

void
bootmark_shutdown(void)
{
	GThread *th;

	g_mutex_lock(&bm.lock);
	bm.quit = true;
	th = bm.thread;
	bm.thread = NULL;
	g_cond_signal(&bm.wake);
	g_mutex_unlock(&bm.lock);
	/* A mark being written is finished; those still pending are lost
	 * (their VMs' uptime is unknown to the next broker). */
	if (th != NULL)
		g_thread_join(th);
	if (bm.pending != NULL)
		g_hash_table_destroy(bm.pending);
	bm.pending = NULL;
}

/* When a domain was last booted through us (see bootmark.h).  A start
 * answers as soon as the domain runs: the live metadata that keeps the
 * time is written afterwards by one thread, as libvirtd answers
 * virDomainSetMetadata only after the starts queued before it, and a
 * class starting its VMs at once would each wait for the others' twice.
 * Until it is written, the time is read from here. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "bootmark.h"
#include "log.h"
#include "virt.h"

/* Kept in live-only metadata that disappears when the domain stops:
 * uptime without a guest agent. */
#define BOOT_NS_URI "urn:ie-vshell:boot:1"

static struct {
	GMutex lock;
	GCond wake;
	GHashTable *pending;	/* UUID string -> boot time (s), to write */
	GThread *thread;
	bool quit;
} bm;

/* Writes one mark; the domain may have stopped meanwhile (then there is
 * nothing to keep). */
static void
write_mark(virConnectPtr conn, const char *uuid, gint64 t)
{
	virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
	char *xml;

	if (dom == NULL)
		return;
	xml = g_strdup_printf("<boot time='%lld'/>", (long long)t);
	if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml,
	    "ievsboot", BOOT_NS_URI, VIR_DOMAIN_AFFECT_LIVE) < 0)
		log_msg(LOG_DEBUG, "cannot record the boot time: %s",
		    virt_error());
	g_free(xml);
	virDomainFree(dom);
}

static void *
writer(void *arg)
{
	g_mutex_lock(&bm.lock);
	while (!bm.quit) {
		GHashTableIter it;
		gpointer k, v;
		char *uuid, *err = NULL;
		gint64 t;
		virConnectPtr conn;

		g_hash_table_iter_init(&it, bm.pending);
		if (!g_hash_table_iter_next(&it, &k, &v)) {
			g_cond_wait(&bm.wake, &bm.lock);
			continue;
		}
		uuid = g_strdup(k);
		t = *(gint64 *)v;
		g_mutex_unlock(&bm.lock);
		if ((conn = virt_get(false, &err)) != NULL) {
			write_mark(conn, uuid, t);
			virConnectClose(conn);
		} else {
			log_msg(LOG_DEBUG, "cannot record the boot time: %s",
			    err);
			g_free(err);
		}
		g_mutex_lock(&bm.lock);
		/* Done, unless a later boot came meanwhile. */
		v = g_hash_table_lookup(bm.pending, uuid);
		if (v != NULL && *(gint64 *)v == t)
			g_hash_table_remove(bm.pending, uuid);
		g_free(uuid);
	}
	g_mutex_unlock(&bm.lock);
	return NULL;
}

void
bootmark_set(virDomainPtr dom)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	gint64 *t;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return;
	t = g_new(gint64, 1);
	*t = g_get_real_time() / G_USEC_PER_SEC;
	g_mutex_lock(&bm.lock);
	if (bm.pending == NULL)
		bm.pending = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, g_free);
	if (bm.thread == NULL && !bm.quit)
		bm.thread = g_thread_new("bootmark", writer, NULL);
	g_hash_table_insert(bm.pending, g_strdup(uuid), t);
	g_cond_signal(&bm.wake);
	g_mutex_unlock(&bm.lock);
}

long long
bootmark_uptime(virDomainPtr dom)
{
	char uuid[VIR_UUID_STRING_BUFLEN], *md, *p;
	long long t = -1, now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 *pt;

	if (virDomainIsActive(dom) != 1)
		return -1;
	if (virDomainGetUUIDString(dom, uuid) == 0) {
		g_mutex_lock(&bm.lock);
		if (bm.pending != NULL &&
		    (pt = g_hash_table_lookup(bm.pending, uuid)) != NULL)
			t = *pt;
		g_mutex_unlock(&bm.lock);
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

/* The broker's table of domains (see domtab.h).  One thread applies
 * libvirt's events: the callback only notes which domain changed, and the
 * thread reads that domain again, so an event never stalls libvirt's event
 * loop and the table never trusts what an event implies.  Each read takes a
 * sequence number before it asks libvirt, and a row is only replaced by a
 * read that began later: a slow read cannot overwrite a newer one, and the
 * read that an event causes begins after the change it reports.  The lock
 * guards memory only, never a libvirt call. */
#include "config.h"

#include <string.h>

#include <libvirt/virterror.h>

#include "addrs.h"
#include "domtab.h"
#include "log.h"
#include "template.h"
#include "virt.h"

/* A running VM's address: looked for as soon as it runs, then every
 * IP_SOON seconds while it boots (IP_BOOT seconds), then at doubling
 * intervals up to IP_MAX until one is known, then every IP_MAX.  `ip NAME`
 * always asks at once, and what it finds is kept. */
#define IP_SOON		2
#define IP_BOOT		120
#define IP_MAX		60

struct entry {
	struct domrow row;
	guint64 seq;		/* of the read the row came from */
	guint64 size_seq;	/* of the read its size came from */
	guint64 whole_seq;	/* of the read its owner record came from */
	guint64 changed_seq;	/* of the last event that may change it */
	gint64 up_since;	/* monotonic time it was first seen running */
	gint64 ip_next;		/* monotonic time of the next look */
	int ip_wait;		/* seconds from that look to the one after */
};

static struct {
	GMutex lock;
	GCond wake;
	GHashTable *rows;	/* UUID string -> struct entry */
	GHashTable *dirty;	/* UUID string -> WHOLE or STATE, from events */
	guint64 seq;
	bool loaded, quit;
	virConnectPtr conn;	/* the events come on it */
	int cb_life, cb_meta;
	GMutex load_lock;	/* one load at a time; the others wait */
	GThread *thread;
} tab;

int
domain_owner(virDomainPtr dom, uid_t *uid)
{
	char *md = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
	    OWNER_NS_URI, 0);
	int r;

	/* No record (or a domain gone meanwhile) means not ours; any other
	 * error is libvirt's, and must not pass for "not owned". */
	if (md == NULL) {
		int code = virGetLastErrorCode();

		return code == VIR_ERR_NO_DOMAIN_METADATA ||
		    code == VIR_ERR_NO_DOMAIN ? OWNER_NONE : OWNER_ERROR;
	}
	r = owner_parse(md, uid);
	free(md);
	return r < 0 ? OWNER_NONE : 0;
}

bool
domtab_active(const struct domrow *r)
{
	return r->state != VIR_DOMAIN_SHUTOFF;
}

static void
row_clear(struct domrow *r)
{
	g_free(r->name);
	g_free(r->ip);
	r->name = r->ip = NULL;
}

static void
entry_free(gpointer p)
{
	struct entry *e = p;

	row_clear(&e->row);
	g_free(e);
}

static guint64
seq_take(void)
{
	guint64 s;

	g_mutex_lock(&tab.lock);
	s = ++tab.seq;
	g_mutex_unlock(&tab.lock);
	return s;
}

/* What a read asks: the whole row (name, owner record, state and size),
 * the state and size (INFO: virDomainGetInfo), or the state alone (what a
 * start or stop changes: virDomainGetState).  libvirtd answers GetState
 * on its high-priority workers, and GetInfo and GetMetadata only after
 * the starts queued before them: the broker's read-back after a start or
 * destroy does not wait behind other students' starts. */
enum { STATE = 1, INFO = 2, WHOLE = 3 };

/* 0 and the row, 1 if the domain is gone, -1 on another libvirt error. */
static int
read_row(virDomainPtr dom, struct domrow *r, int what)
{
	virDomainInfo info;
	uid_t uid, owner;
	int o = OWNER_NONE, state, reason;

	memset(r, 0, sizeof(*r));
	r->name = g_strdup(virDomainGetName(dom));
	if (what != WHOLE)
		;
	else if (domain_name_parse(r->name, &uid, r->vm) == 0 &&
	    (o = domain_owner(dom, &owner)) == 0 && owner == uid) {
		r->owned = true;
		r->uid = uid;
	} else
		r->vm[0] = '\0';
	if (o == OWNER_ERROR || (what == STATE ? virDomainGetState(dom, &state,
	    &reason, 0) : virDomainGetInfo(dom, &info)) < 0) {
		row_clear(r);
		return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? 1 : -1;
	}
	if (what == STATE)
		r->state = state;
	else {
		r->state = info.state;
		r->vcpus = info.nrVirtCpu;
		r->mem_kib = info.maxMem;
	}
	return 0;
}

/* Takes r unless the row there came from a later read.  A read of the
 * STATE keeps the name and owner there; returns -1 if there is no row yet
 * to keep them from. */
static int
store(const char *uuid, struct domrow *r, guint64 seq, int what)
{
	struct entry *e;
	bool was_up;

	g_mutex_lock(&tab.lock);
	e = g_hash_table_lookup(tab.rows, uuid);
	if ((e != NULL && e->seq > seq) || (e == NULL && what != WHOLE)) {
		g_mutex_unlock(&tab.lock);
		row_clear(r);
		return e != NULL ? 0 : -1;
	}
	if (what != WHOLE) {
		g_free(r->name);
		r->name = g_strdup(e->row.name);
		r->owned = e->row.owned;
		r->uid = e->row.uid;
		memcpy(r->vm, e->row.vm, sizeof(r->vm));
	}
	if (what == STATE) {
		r->vcpus = e->row.vcpus;
		r->mem_kib = e->row.mem_kib;
	}
	if (e == NULL) {
		e = g_new0(struct entry, 1);
		g_hash_table_insert(tab.rows, g_strdup(uuid), e);
	}
	if (what != STATE)
		e->size_seq = seq;
	if (what == WHOLE)
		e->whole_seq = seq;
	was_up = e->row.owned && domtab_active(&e->row);
	if (was_up && r->owned && domtab_active(r))
		r->ip = g_steal_pointer(&e->row.ip);	/* still up */
	else {
		e->up_since = e->ip_next = g_get_monotonic_time();
		e->ip_wait = IP_SOON;
	}
	row_clear(&e->row);
	e->row = *r;
	e->seq = seq;
	g_mutex_unlock(&tab.lock);
	return 0;
}

/* The domain is gone, unless a later read found it (under its name). */
static void
drop(const char *uuid, const char *name, guint64 seq)
{
	GHashTableIter it;
	gpointer k, v;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct entry *e = v;

		if (e->seq < seq && (uuid != NULL ? strcmp(k, uuid) == 0 :
		    strcmp(e->row.name, name) == 0))
			g_hash_table_iter_remove(&it);
	}
	g_mutex_unlock(&tab.lock);
}

/* A read failed for another reason than a missing domain: the table is
 * not to be trusted until it is loaded again. */
static void
distrust(const char *what)
{
	log_msg(LOG_WARNING, "cannot read a VM for the table (%s): %s",
	    what, virt_error());
	g_mutex_lock(&tab.lock);
	tab.loaded = false;
	g_mutex_unlock(&tab.lock);
}

/* Reads what of dom; the whole row after all if there is none yet. */
static void
refresh_dom(virDomainPtr dom, guint64 seq, int what)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct domrow r;
	int st;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return distrust(virDomainGetName(dom));
	if ((st = read_row(dom, &r, what)) == 0 &&
	    store(uuid, &r, seq, what) < 0)
		return refresh_dom(dom, seq_take(), WHOLE);
	if (st == 1)
		drop(uuid, NULL, seq);
	else if (st < 0)
		distrust(virDomainGetName(dom));
}

/* Reads the domain a lookup found (dom), or drops it if the lookup found
 * none; the seq was taken before the lookup. */
static void
refresh_found(virDomainPtr dom, const char *uuid, const char *name,
    guint64 seq, int what)
{
	if (dom == NULL && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
		drop(uuid, name, seq);
	else if (dom == NULL)
		distrust(uuid != NULL ? uuid : name);
	else {
		refresh_dom(dom, seq, what);
		virDomainFree(dom);
	}
}

/* The broker's own changes leave name and owner as they were, but for a
 * define (no row yet: read whole) and an undefine (gone). */
void
domtab_refresh(virConnectPtr conn, const char *name)
{
	guint64 seq = seq_take();

	refresh_found(virDomainLookupByName(conn, name), NULL, name, seq,
	    INFO);
}

void
domtab_refresh_state(virDomainPtr dom)
{
	refresh_dom(dom, seq_take(), STATE);
}

static void mark_dirty(virDomainPtr dom, int what);

void
domtab_note_state(virDomainPtr dom, int state)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct domrow r;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return;
	memset(&r, 0, sizeof(r));
	r.name = g_strdup(virDomainGetName(dom));
	r.state = state;
	if (store(uuid, &r, seq_take(), STATE) < 0)
		refresh_dom(dom, seq_take(), WHOLE);	/* no row yet */
	else
		mark_dirty(dom, STATE);
}

int
domtab_state(const char *uuid, int *state)
{
	struct entry *e;
	int r = -1;

	g_mutex_lock(&tab.lock);
	e = tab.loaded ? g_hash_table_lookup(tab.rows, uuid) : NULL;
	if (e != NULL) {
		*state = e->row.state;
		r = 0;
	}
	g_mutex_unlock(&tab.lock);
	return r;
}

int
domtab_owner(const char *uuid, const char *name, uid_t *uid)
{
	struct entry *e;
	int r = OWNER_ERROR;

	g_mutex_lock(&tab.lock);
	e = tab.loaded ? g_hash_table_lookup(tab.rows, uuid) : NULL;
	if (e != NULL && e->whole_seq != 0 && e->whole_seq > e->changed_seq &&
	    strcmp(e->row.name, name) == 0) {
		r = e->row.owned ? 0 : OWNER_NONE;
		*uid = e->row.uid;
	}
	g_mutex_unlock(&tab.lock);
	return r;
}

int
domtab_size(const char *name, unsigned *vcpus, unsigned long long *mem_kib)
{
	GHashTableIter it;
	gpointer v;
	int r = -1;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (tab.loaded && r < 0 && g_hash_table_iter_next(&it, NULL, &v)) {
		struct entry *e = v;

		if (strcmp(e->row.name, name) != 0)
			continue;
		if (e->size_seq != 0 && e->size_seq > e->changed_seq) {
			*vcpus = e->row.vcpus;
			*mem_kib = e->row.mem_kib;
			r = 0;
		}
		break;
	}
	g_mutex_unlock(&tab.lock);
	return r;
}

static void
refresh_uuid(virConnectPtr conn, const char *uuid, int what)
{
	guint64 seq = seq_take();

	refresh_found(virDomainLookupByUUIDString(conn, uuid), uuid, NULL,
	    seq, what);
}

/* An event named dom: the updater reads it again (all of it, or only its
 * state). */
static void
mark_dirty(virDomainPtr dom, int what)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct entry *e;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return;
	g_mutex_lock(&tab.lock);
	if (what == WHOLE && (e = g_hash_table_lookup(tab.rows, uuid)) != NULL)
		e->changed_seq = ++tab.seq;
	what = MAX(what, GPOINTER_TO_INT(g_hash_table_lookup(tab.dirty,
	    uuid)));
	g_hash_table_insert(tab.dirty, g_strdup(uuid), GINT_TO_POINTER(what));
	g_cond_signal(&tab.wake);
	g_mutex_unlock(&tab.lock);
}

/* A define can change the name (a rename) or the owner record. */
static void
on_life(virConnectPtr c, virDomainPtr dom, int event, int detail, void *o)
{
	mark_dirty(dom, event == VIR_DOMAIN_EVENT_DEFINED ||
	    event == VIR_DOMAIN_EVENT_UNDEFINED ? WHOLE : STATE);
}

static void
on_meta(virConnectPtr c, virDomainPtr dom, int type, const char *ns,
    void *o)
{
	if (ns == NULL || strcmp(ns, OWNER_NS_URI) == 0)
		mark_dirty(dom, WHOLE);
}

/* libvirtd went away: the events stopped, so the table is read again
 * (on a fresh connection) before it answers. */
static void
on_close(virConnectPtr conn, int reason, void *o)
{
	g_mutex_lock(&tab.lock);
	if (tab.conn == conn)
		tab.loaded = false;
	g_mutex_unlock(&tab.lock);
}

static void
unfollow(virConnectPtr conn, int life, int meta)
{
	if (conn == NULL)
		return;
	/* On a dead connection these fail; there is nothing to undo then. */
	virConnectUnregisterCloseCallback(conn, on_close);
	if (life >= 0)
		virConnectDomainEventDeregisterAny(conn, life);
	if (meta >= 0)
		virConnectDomainEventDeregisterAny(conn, meta);
	virConnectClose(conn);
}

/* Follows the events of a fresh connection, then reads every domain:
 * a change during the scan comes as an event, read after it.  What the
 * table followed before is dropped first: after a reload the connection
 * may be the same one, with the same close callback. */
static int
follow(char **err)
{
	virConnectPtr conn, old;
	int life, meta, old_life, old_meta;

	if ((conn = virt_get(true, err)) == NULL)
		return -1;
	g_mutex_lock(&tab.lock);
	old = tab.conn;
	old_life = tab.cb_life;
	old_meta = tab.cb_meta;
	tab.conn = NULL;
	tab.cb_life = tab.cb_meta = -1;
	g_mutex_unlock(&tab.lock);
	unfollow(old, old_life, old_meta);
	life = virConnectDomainEventRegisterAny(conn, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_life),
	    NULL, NULL);
	meta = life < 0 ? -1 : virConnectDomainEventRegisterAny(conn, NULL,
	    VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
	    VIR_DOMAIN_EVENT_CALLBACK(on_meta), NULL, NULL);
	/* The test driver never closes, and has no close callbacks. */
	if (meta >= 0 && virConnectRegisterCloseCallback(conn, on_close, NULL,
	    NULL) < 0 && virGetLastErrorCode() != VIR_ERR_NO_SUPPORT) {
		virConnectDomainEventDeregisterAny(conn, meta);
		meta = -1;
	}
	if (meta < 0) {
		*err = g_strdup_printf("cannot follow libvirt's events: %s",
		    virt_error());
		unfollow(conn, life, meta);
		return -1;
	}
	g_mutex_lock(&tab.lock);
	tab.conn = conn;
	tab.cb_life = life;
	tab.cb_meta = meta;
	g_mutex_unlock(&tab.lock);
	return 0;
}

static int
load(char **err)
{
	virDomainPtr *doms = NULL;
	virConnectPtr conn;
	guint64 start;
	int n, i, st = 0;

	if (follow(err) < 0)
		return -1;
	start = seq_take();
	g_mutex_lock(&tab.lock);
	conn = virConnectRef(tab.conn) == 0 ? tab.conn : NULL;
	g_mutex_unlock(&tab.lock);
	if ((n = virConnectListAllDomains(conn, &doms, 0)) < 0) {
		*err = g_strdup_printf("cannot list VMs: %s", virt_error());
		virConnectClose(conn);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char uuid[VIR_UUID_STRING_BUFLEN];
		guint64 seq = seq_take();
		struct domrow r;

		if (st >= 0 && virDomainGetUUIDString(doms[i], uuid) == 0 &&
		    (st = read_row(doms[i], &r, WHOLE)) == 0)
			store(uuid, &r, seq, WHOLE);
		virDomainFree(doms[i]);
	}
	free(doms);
	virConnectClose(conn);
	if (st < 0) {
		*err = g_strdup_printf("cannot read the VMs: %s",
		    virt_error());
		return -1;
	}
	g_mutex_lock(&tab.lock);
	{
		GHashTableIter it;
		gpointer v;

		/* Not in the scan and not read since: gone. */
		g_hash_table_iter_init(&it, tab.rows);
		while (g_hash_table_iter_next(&it, NULL, &v))
			if (((struct entry *)v)->seq < start)
				g_hash_table_iter_remove(&it);
	}
	tab.loaded = true;
	g_mutex_unlock(&tab.lock);
	log_msg(LOG_INFO, "following %d VMs", n);
	return 0;
}

/* Whether the table answers as it is.  No libvirt call: a read never
 * waits for a busy connection (its close callback says when it died). */
static bool
current(void)
{
	bool ok;

	g_mutex_lock(&tab.lock);
	ok = tab.loaded && tab.conn != NULL;
	g_mutex_unlock(&tab.lock);
	return ok;
}

static int
ensure(char **err)
{
	int r = 0;

	if (current())
		return 0;
	g_mutex_lock(&tab.load_lock);
	if (!current())
		r = load(err);
	g_mutex_unlock(&tab.load_lock);
	return r;
}

GArray *
domtab_rows_new(uid_t only, bool others, char **err)
{
	GArray *rows;
	GHashTableIter it;
	gpointer v;

	*err = NULL;
	if (ensure(err) < 0)
		return NULL;
	rows = g_array_new(FALSE, TRUE, sizeof(struct domrow));
	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct domrow r = ((struct entry *)v)->row;

		if (!(r.owned && (only == (uid_t)-1 || r.uid == only)) &&
		    !others)
			continue;
		r.name = g_strdup(r.name);
		r.ip = g_strdup(r.ip);
		g_array_append_val(rows, r);
	}
	g_mutex_unlock(&tab.lock);
	return rows;
}

void
domtab_rows_free(GArray *rows)
{
	guint i;

	for (i = 0; rows != NULL && i < rows->len; i++)
		row_clear(&g_array_index(rows, struct domrow, i));
	if (rows != NULL)
		g_array_free(rows, TRUE);
}

/* The running VMs whose address is due for a look. */
static GPtrArray *
ip_due_new(gint64 now)
{
	GPtrArray *due = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct entry *e = v;

		if (e->row.owned && domtab_active(&e->row) &&
		    e->ip_next <= now)
			g_ptr_array_add(due, g_strdup(k));
	}
	return due;
}

/* Keeps what a look at the addresses found, and when to look next.
 * Called with the lock held. */
static void
ip_keep(struct entry *e, const char *ip)
{
	gint64 now = g_get_monotonic_time();
	int wait = IP_MAX;

	g_free(e->row.ip);
	e->row.ip = g_strdup(ip);
	if (ip == NULL && now - e->up_since < IP_BOOT * G_USEC_PER_SEC)
		wait = IP_SOON;
	else if (ip == NULL) {
		wait = e->ip_wait;
		e->ip_wait = MIN(e->ip_wait * 2, IP_MAX);
	}
	e->ip_next = now + wait * G_USEC_PER_SEC;
}

static void
ip_look(virConnectPtr conn, const char *uuid)
{
	virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
	GArray *a = dom != NULL ? addrs_new(dom, ADDRS_QUICK) : NULL;
	struct entry *e;

	g_mutex_lock(&tab.lock);
	if (a != NULL && (e = g_hash_table_lookup(tab.rows, uuid)) != NULL &&
	    domtab_active(&e->row))
		ip_keep(e, addrs_main(a));
	g_mutex_unlock(&tab.lock);
	addrs_free(a);
	if (dom != NULL)
		virDomainFree(dom);
}

void
domtab_set_ip(const char *name, const char *ip)
{
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct entry *e = v;

		if (strcmp(e->row.name, name) == 0 && e->row.owned &&
		    domtab_active(&e->row))
			ip_keep(e, ip);
	}
	g_mutex_unlock(&tab.lock);
}

/* Reads what the events named, then looks for the addresses that are
 * due.  Called and returns with the lock held. */
static void
read_dirty(void)
{
	GHashTable *dirty = tab.dirty;
	GPtrArray *due = ip_due_new(g_get_monotonic_time());
	virConnectPtr conn = NULL;
	GHashTableIter it;
	gpointer k, v;
	guint i;

	tab.dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	if (tab.loaded && tab.conn != NULL && virConnectRef(tab.conn) == 0)
		conn = tab.conn;
	g_mutex_unlock(&tab.lock);
	if (conn != NULL) {
		g_hash_table_iter_init(&it, dirty);
		while (g_hash_table_iter_next(&it, &k, &v))
			refresh_uuid(conn, k, GPOINTER_TO_INT(v));
		for (i = 0; i < due->len; i++)
			ip_look(conn, due->pdata[i]);
		virConnectClose(conn);
	}
	g_hash_table_destroy(dirty);
	g_ptr_array_free(due, TRUE);
	g_mutex_lock(&tab.lock);
}

/* The updater thread: applies what the events named, as they come. */
static void *
updater(void *arg)
{
	char *err = NULL;

	/* Loaded now, the first request does not wait for it. */
	if (ensure(&err) < 0) {
		log_msg(LOG_WARNING, "%s; will retry on the next request",
		    err);
		g_free(err);
	}
	g_mutex_lock(&tab.lock);
	while (!tab.quit) {
		if (g_hash_table_size(tab.dirty) == 0)
			g_cond_wait_until(&tab.wake, &tab.lock,
			    g_get_monotonic_time() + G_USEC_PER_SEC);
		if (!tab.quit)
			read_dirty();
	}
	g_mutex_unlock(&tab.lock);
	return NULL;
}

void
domtab_init(void)
{
	tab.rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    entry_free);
	tab.dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	tab.cb_life = tab.cb_meta = -1;
	tab.thread = g_thread_new("domtab", updater, NULL);
}

void
domtab_shutdown(void)
{
	if (tab.thread == NULL)
		return;
	g_mutex_lock(&tab.lock);
	tab.quit = true;
	g_cond_signal(&tab.wake);
	g_mutex_unlock(&tab.lock);
	g_thread_join(tab.thread);
	tab.thread = NULL;
	unfollow(tab.conn, tab.cb_life, tab.cb_meta);
	tab.conn = NULL;
	g_hash_table_destroy(tab.rows);
	g_hash_table_destroy(tab.dirty);
}

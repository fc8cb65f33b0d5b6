/* The broker's table of domains (see domtab.h).  One thread applies
 * libvirt's events: the callback only notes which domain changed, and the
 * thread reads that domain again, so an event never stalls libvirt's event
 * loop and the table never trusts what an event implies.  Each read takes a
 * sequence number before it asks libvirt, and a row is only replaced by a
 * read that began later: a slow read cannot overwrite a newer one, and the
 * read that an event causes begins after the change it reports.  The lock
 * guards memory only, never a libvirt call.
 *
 * Each host has its own events, connection and thread, so a host that
 * stops answering delays no other's rows.  A row's key is the host's
 * number and the domain's UUID: with shared storage the same domain may be
 * defined on two hosts.  When a host goes down its rows stay (the quota
 * counts them as last seen); when it comes back its thread loads it again,
 * and what changed meanwhile replaces them. */
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
	guint64 changed_seq;	/* of the last event that may have changed
				 * the definition (owner record, size) */
	gint64 up_since;	/* monotonic time it was first seen running */
	gint64 ip_next;		/* monotonic time of the next look */
	int ip_wait;		/* seconds from that look to the one after */
};

/* What the table keeps of one host. */
struct dhost {
	GHashTable *dirty;	/* UUID string -> WHOLE or STATE, from events */
	bool loaded;		/* following its events, rows current */
	bool ever;		/* loaded once since the start */
	guint64 gen;		/* virt_host_gen when the load began */
	virConnectPtr conn;	/* the events come on it */
	int cb_life, cb_meta;
	GMutex load_lock;	/* one load at a time; the others wait */
	unsigned loads;		/* loads done */
	unsigned hooked;	/* loads the on_load function has seen */
	GThread *thread;
};

static struct {
	GMutex lock;
	GCond wake;
	GHashTable *rows;	/* "HOST/UUID" -> struct entry */
	guint64 seq;
	bool quit, several;
	struct dhost *hosts;
	int nhosts;
	void (*on_load)(int host);
} tab;

static bool current_locked(int host);

static char *
key_new(int host, const char *uuid)
{
	return g_strdup_printf("%d/%s", host, uuid);
}

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
 * start or stop changes: virDomainGetState).  libvirtd answers GetState on
 * its high-priority workers, GetInfo and GetMetadata only after the
 * starts queued before them. */
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

/* Takes r unless the row there came from a later read.  A read of less
 * than the WHOLE keeps the name and owner there (and one of the STATE,
 * the size); returns -1 if there is no row yet to keep them from. */
static int
store(int host, const char *uuid, struct domrow *r, guint64 seq, int what)
{
	char *key = key_new(host, uuid);
	struct entry *e;
	bool was_up;

	r->host = host;
	g_mutex_lock(&tab.lock);
	e = g_hash_table_lookup(tab.rows, key);
	/* A later read kept the owner record of an earlier one: this one's
	 * is newer still. */
	if (e != NULL && e->seq > seq && what == WHOLE &&
	    seq > e->whole_seq && strcmp(e->row.name, r->name) == 0) {
		e->row.owned = r->owned;
		e->row.uid = r->uid;
		memcpy(e->row.vm, r->vm, sizeof(r->vm));
		e->whole_seq = seq;
	}
	if ((e != NULL && e->seq > seq) || (e == NULL && what != WHOLE)) {
		g_mutex_unlock(&tab.lock);
		row_clear(r);
		g_free(key);
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
		g_hash_table_insert(tab.rows, g_steal_pointer(&key), e);
	}
	g_free(key);
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
drop(int host, const char *uuid, const char *name, guint64 seq)
{
	char *key = uuid != NULL ? key_new(host, uuid) : NULL;
	GHashTableIter it;
	gpointer k, v;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct entry *e = v;

		if (e->seq < seq && e->row.host == host && (key != NULL ?
		    strcmp(k, key) == 0 : strcmp(e->row.name, name) == 0))
			g_hash_table_iter_remove(&it);
	}
	g_mutex_unlock(&tab.lock);
	g_free(key);
}

/* A read failed for another reason than a missing domain: the table is
 * not to be trusted until it is loaded again. */
static void
distrust(int host, const char *what)
{
	log_msg(LOG_WARNING, "host %s: cannot read a VM for the table (%s): "
	    "%s", virt_host_name(host), what, virt_error());
	g_mutex_lock(&tab.lock);
	tab.hosts[host].loaded = false;
	g_cond_broadcast(&tab.wake);
	g_mutex_unlock(&tab.lock);
}

/* Reads what of dom; the whole row after all if there is none yet. */
static void
refresh_dom(int host, virDomainPtr dom, guint64 seq, int what)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct domrow r;
	int st;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return distrust(host, virDomainGetName(dom));
	if ((st = read_row(dom, &r, what)) == 0 &&
	    store(host, uuid, &r, seq, what) < 0)
		return refresh_dom(host, dom, seq_take(), WHOLE);
	if (st == 1)
		drop(host, uuid, NULL, seq);
	else if (st < 0)
		distrust(host, virDomainGetName(dom));
}

/* Reads the domain a lookup found (dom), or drops it if the lookup found
 * none; the seq was taken before the lookup. */
static void
refresh_found(int host, virDomainPtr dom, const char *uuid, const char *name,
    guint64 seq, int what)
{
	if (dom == NULL && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
		drop(host, uuid, name, seq);
	else if (dom == NULL)
		distrust(host, uuid != NULL ? uuid : name);
	else {
		refresh_dom(host, dom, seq, what);
		virDomainFree(dom);
	}
}

/* Read whole: the owner record the checks take from the table is then
 * the one the change left, whatever it was (a revert to a snapshot
 * brings back the definition of that time). */
void
domtab_refresh(int host, virConnectPtr conn, const char *name)
{
	guint64 seq = seq_take();

	refresh_found(host, virDomainLookupByName(conn, name), NULL, name,
	    seq, WHOLE);
}

void
domtab_refresh_state(int host, virDomainPtr dom)
{
	refresh_dom(host, dom, seq_take(), STATE);
}

static void mark_dirty(int host, virDomainPtr dom, int what);

void
domtab_note_state(int host, virDomainPtr dom, int state)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct domrow r;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return;
	memset(&r, 0, sizeof(r));
	r.name = g_strdup(virDomainGetName(dom));
	r.state = state;
	if (store(host, uuid, &r, seq_take(), STATE) < 0)
		refresh_dom(host, dom, seq_take(), WHOLE);	/* no row yet */
	else
		mark_dirty(host, dom, INFO);
}

/* The row of host's domain uuid, if the host's rows are current.  Called
 * with the lock held. */
static struct entry *
entry_current(int host, const char *uuid)
{
	struct entry *e;
	char *key;

	if (tab.hosts == NULL || host < 0 || host >= tab.nhosts ||
	    !current_locked(host))
		return NULL;
	key = key_new(host, uuid);
	e = g_hash_table_lookup(tab.rows, key);
	g_free(key);
	return e;
}

int
domtab_state(int host, const char *uuid, int *state)
{
	struct entry *e;
	int r = -1;

	g_mutex_lock(&tab.lock);
	if ((e = entry_current(host, uuid)) != NULL) {
		*state = e->row.state;
		r = 0;
	}
	g_mutex_unlock(&tab.lock);
	return r;
}

int
domtab_owner(int host, const char *uuid, const char *name, uid_t *uid)
{
	struct entry *e;
	int r = OWNER_ERROR;

	g_mutex_lock(&tab.lock);
	e = entry_current(host, uuid);
	if (e != NULL && e->whole_seq != 0 && e->whole_seq > e->changed_seq &&
	    strcmp(e->row.name, name) == 0) {
		r = e->row.owned ? 0 : OWNER_NONE;
		*uid = e->row.uid;
	}
	g_mutex_unlock(&tab.lock);
	return r;
}

int
domtab_size(int host, const char *uuid, unsigned *vcpus,
    unsigned long long *mem_kib)
{
	struct entry *e;
	int r = -1;

	g_mutex_lock(&tab.lock);
	e = entry_current(host, uuid);
	if (e != NULL && e->size_seq != 0 && e->size_seq > e->changed_seq) {
		*vcpus = e->row.vcpus;
		*mem_kib = e->row.mem_kib;
		r = 0;
	}
	g_mutex_unlock(&tab.lock);
	return r;
}

static void
refresh_uuid(int host, virConnectPtr conn, const char *uuid, int what)
{
	guint64 seq = seq_take();

	refresh_found(host, virDomainLookupByUUIDString(conn, uuid), uuid,
	    NULL, seq, what);
}

/* An event named dom on host: the host's updater reads it again (all of
 * it, or only its state). */
static void
mark_dirty(int host, virDomainPtr dom, int what)
{
	char uuid[VIR_UUID_STRING_BUFLEN], *key;
	GHashTable *dirty;
	struct entry *e;

	if (virDomainGetUUIDString(dom, uuid) < 0)
		return;
	g_mutex_lock(&tab.lock);
	/* An event may come while the table shuts down. */
	if (tab.hosts == NULL) {
		g_mutex_unlock(&tab.lock);
		return;
	}
	/* The owner record and size of this host's row are not to be
	 * trusted until a read that begins after this. */
	key = key_new(host, uuid);
	if (what == WHOLE && (e = g_hash_table_lookup(tab.rows, key)) != NULL)
		e->changed_seq = ++tab.seq;
	g_free(key);
	dirty = tab.hosts[host].dirty;
	what = MAX(what, GPOINTER_TO_INT(g_hash_table_lookup(dirty, uuid)));
	g_hash_table_insert(dirty, g_strdup(uuid), GINT_TO_POINTER(what));
	g_cond_broadcast(&tab.wake);
	g_mutex_unlock(&tab.lock);
}

/* A define can change the name (a rename), the owner record or the
 * size; a start or stop, the state and the size in use. */
static void
on_life(virConnectPtr c, virDomainPtr dom, int event, int detail, void *o)
{
	mark_dirty(GPOINTER_TO_INT(o), dom, event ==
	    VIR_DOMAIN_EVENT_DEFINED || event == VIR_DOMAIN_EVENT_UNDEFINED ?
	    WHOLE : INFO);
}

static void
on_meta(virConnectPtr c, virDomainPtr dom, int type, const char *ns,
    void *o)
{
	if (ns == NULL || strcmp(ns, OWNER_NS_URI) == 0)
		mark_dirty(GPOINTER_TO_INT(o), dom, WHOLE);
}

/* A host went down (its events stopped: its table is read again, on a
 * fresh connection, before it is current) or came up (its updater loads
 * it).  Called by virt.c. */
static void
on_host(int host, bool up)
{
	g_mutex_lock(&tab.lock);
	if (tab.hosts != NULL && !up)
		tab.hosts[host].loaded = false;
	g_cond_broadcast(&tab.wake);
	g_mutex_unlock(&tab.lock);
}

static void
unfollow(virConnectPtr conn, int life, int meta)
{
	if (conn == NULL)
		return;
	/* On a dead connection these fail; there is nothing to undo then. */
	if (life >= 0)
		virConnectDomainEventDeregisterAny(conn, life);
	if (meta >= 0)
		virConnectDomainEventDeregisterAny(conn, meta);
	virConnectClose(conn);
}

/* Follows the events of a fresh connection to host, then reads every
 * domain: a change during the scan comes as an event, read after it.
 * What the table followed before is dropped first: after a reload the
 * connection may be the same one. */
static int
follow(int host, char **err)
{
	struct dhost *d = &tab.hosts[host];
	virConnectPtr conn, old;
	int life, meta, old_life, old_meta;

	if ((conn = virt_get(host, true, err)) == NULL)
		return -1;
	g_mutex_lock(&tab.lock);
	old = d->conn;
	old_life = d->cb_life;
	old_meta = d->cb_meta;
	d->conn = NULL;
	d->cb_life = d->cb_meta = -1;
	g_mutex_unlock(&tab.lock);
	unfollow(old, old_life, old_meta);
	life = virConnectDomainEventRegisterAny(conn, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_life),
	    GINT_TO_POINTER(host), NULL);
	meta = life < 0 ? -1 : virConnectDomainEventRegisterAny(conn, NULL,
	    VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
	    VIR_DOMAIN_EVENT_CALLBACK(on_meta), GINT_TO_POINTER(host), NULL);
	if (meta < 0) {
		*err = g_strdup_printf("host %s: cannot follow libvirt's "
		    "events: %s", virt_host_name(host), virt_error());
		virt_failed(conn);
		unfollow(conn, life, meta);
		return -1;
	}
	g_mutex_lock(&tab.lock);
	d->conn = conn;
	d->cb_life = life;
	d->cb_meta = meta;
	g_mutex_unlock(&tab.lock);
	return 0;
}

static int
load(int host, char **err)
{
	struct dhost *d = &tab.hosts[host];
	virDomainPtr *doms = NULL;
	virConnectPtr conn;
	guint64 start;
	int n, i, st = 0;
	guint64 gen = virt_host_gen(host);

	if (follow(host, err) < 0)
		return -1;
	start = seq_take();
	g_mutex_lock(&tab.lock);
	conn = virConnectRef(d->conn) == 0 ? d->conn : NULL;
	g_mutex_unlock(&tab.lock);
	if ((n = virConnectListAllDomains(conn, &doms, 0)) < 0) {
		*err = g_strdup_printf("host %s: cannot list VMs: %s",
		    virt_host_name(host), virt_error());
		virt_failed(conn);
		virConnectClose(conn);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char uuid[VIR_UUID_STRING_BUFLEN];
		guint64 seq = seq_take();
		struct domrow r;

		if (st >= 0 && virDomainGetUUIDString(doms[i], uuid) == 0 &&
		    (st = read_row(doms[i], &r, WHOLE)) == 0)
			store(host, uuid, &r, seq, WHOLE);
		virDomainFree(doms[i]);
	}
	free(doms);
	if (st < 0) {
		*err = g_strdup_printf("host %s: cannot read the VMs: %s",
		    virt_host_name(host), virt_error());
		virt_failed(conn);
		virConnectClose(conn);
		return -1;
	}
	virConnectClose(conn);
	g_mutex_lock(&tab.lock);
	{
		GHashTableIter it;
		gpointer v;

		/* Not in the scan and not read since: gone. */
		g_hash_table_iter_init(&it, tab.rows);
		while (g_hash_table_iter_next(&it, NULL, &v))
			if (((struct entry *)v)->row.host == host &&
			    ((struct entry *)v)->seq < start)
				g_hash_table_iter_remove(&it);
	}
	d->loaded = d->ever = true;
	d->gen = gen;
	d->loads++;
	g_cond_broadcast(&tab.wake);
	g_mutex_unlock(&tab.lock);
	log_msg(LOG_INFO, "host %s: following %d VMs", virt_host_name(host),
	    n);
	return 0;
}

/* Whether the host's rows are current: loaded, and the host's
 * connections not dropped since (virt.c counts that before the watcher,
 * on_host, hears of it: events may have been lost meanwhile).  No libvirt
 * call: a read never waits for a busy connection.  Called with the lock
 * held. */
static bool
current_locked(int host)
{
	struct dhost *d = &tab.hosts[host];

	return d->loaded && d->conn != NULL && virt_host_gen(host) == d->gen;
}

static bool
current(int host)
{
	bool ok;

	g_mutex_lock(&tab.lock);
	ok = current_locked(host);
	g_mutex_unlock(&tab.lock);
	return ok;
}

/* Loads host's table if it is not current; with wait false, not if a
 * load is under way already (its host may have stopped answering in the
 * middle of it: the reader goes on with the rows as last seen). */
static int
ensure_wait(int host, bool wait, char **err)
{
	GMutex *l = &tab.hosts[host].load_lock;
	int r = 0;

	if (current(host))
		return 0;
	if (wait)
		g_mutex_lock(l);
	else if (!g_mutex_trylock(l))
		return 0;
	if (!current(host))
		r = load(host, err);
	g_mutex_unlock(l);
	return r;
}

static int
ensure(int host, char **err)
{
	return ensure_wait(host, true, err);
}

static bool
ever(int host)
{
	bool e;

	g_mutex_lock(&tab.lock);
	e = tab.hosts[host].ever;
	g_mutex_unlock(&tab.lock);
	return e;
}

/* Before a read: with one host, its table loaded (or the error); with
 * several, each host that is not known to be down loaded if it is not:
 * waiting for a load under way only if the host has never been loaded
 * (an open waits a few seconds at most, virt.c; a load on a host that
 * stops answering, until keepalive gives up), else going on with the rows
 * as last seen.  If complete, an error for a host never loaded. */
static int
ensure_all(bool complete, char **err)
{
	enum virt_state st;
	int h;

	if (!tab.several)
		return ensure(0, err);
	for (h = 0; h < tab.nhosts; h++) {
		char *why = NULL;

		if ((st = virt_host_state(h, NULL)) != VIRT_DOWN &&
		    ensure_wait(h, !ever(h), &why) < 0) {
			log_msg(LOG_WARNING, "%s", why);
			g_free(why);
		}
	}
	g_mutex_lock(&tab.lock);
	for (h = 0; h < tab.nhosts && !(complete && !tab.hosts[h].ever); h++)
		;
	g_mutex_unlock(&tab.lock);
	if (h == tab.nhosts)
		return 0;
	*err = g_strdup_printf("host %s has not been reached since the "
	    "broker started: its VMs are not known", virt_host_name(h));
	return -1;
}

GArray *
domtab_rows_new(uid_t only, bool others, bool complete, char **err)
{
	GArray *rows;
	GHashTableIter it;
	gpointer v;

	*err = NULL;
	if (ensure_all(complete, err) < 0)
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
		r.unreachable = !current_locked(r.host);
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

int
domtab_locate(const char *name)
{
	GHashTableIter it;
	gpointer v;
	int best = -1, rank = 0;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct domrow *r = &((struct entry *)v)->row;
		int k = 1 + (current_locked(r->host) ? 1 : 0) +
		    (domtab_active(r) ? 2 : 0);

		if (strcmp(r->name, name) == 0 && (k > rank ||
		    (k == rank && r->host < best))) {
			best = r->host;
			rank = k;
		}
	}
	g_mutex_unlock(&tab.lock);
	return best;
}

int
domtab_hosts_of(const char *name, int *hosts, int max)
{
	GHashTableIter it;
	gpointer v;
	guint64 seen = 0;	/* bit h: host h counted (h < 64) */
	int n = 0;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct domrow *r = &((struct entry *)v)->row;

		if (strcmp(r->name, name) != 0 || r->host >= 64 ||
		    (seen & (G_GUINT64_CONSTANT(1) << r->host)))
			continue;
		seen |= G_GUINT64_CONSTANT(1) << r->host;
		if (n < max)
			hosts[n] = r->host;
		n++;
	}
	g_mutex_unlock(&tab.lock);
	return n;
}

bool
domtab_row_of(int host, const char *name, struct domrow *out)
{
	GHashTableIter it;
	gpointer v;
	bool found = false;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (!found && g_hash_table_iter_next(&it, NULL, &v)) {
		struct domrow *r = &((struct entry *)v)->row;

		if (r->host != host || strcmp(r->name, name) != 0)
			continue;
		*out = *r;
		out->name = g_strdup(r->name);
		out->ip = g_strdup(r->ip);
		out->unreachable = !current_locked(host);
		found = true;
	}
	g_mutex_unlock(&tab.lock);
	return found;
}

void
domtab_row_clear(struct domrow *r)
{
	row_clear(r);
}

void
domtab_forget(int host, const char *name)
{
	drop(host, NULL, name, seq_take());
}

char **
domtab_owned_names_new(int host)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct domrow *r = &((struct entry *)v)->row;

		if (r->host == host && r->owned)
			g_ptr_array_add(a, g_strdup(r->name));
	}
	g_mutex_unlock(&tab.lock);
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

void
domtab_on_load(void (*fn)(int host))
{
	g_mutex_lock(&tab.lock);
	tab.on_load = fn;
	g_cond_broadcast(&tab.wake);
	g_mutex_unlock(&tab.lock);
}

/* The running VMs of host whose address is due for a look. */
static GPtrArray *
ip_due_new(int host, gint64 now)
{
	GPtrArray *due = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct entry *e = v;

		if (e->row.host == host && e->row.owned &&
		    domtab_active(&e->row) && e->ip_next <= now)
			g_ptr_array_add(due, g_strdup(e->row.name));
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

void
domtab_set_ip(int host, const char *name, const char *ip)
{
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&tab.lock);
	g_hash_table_iter_init(&it, tab.rows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct entry *e = v;

		if (e->row.host == host && strcmp(e->row.name, name) == 0 &&
		    e->row.owned && domtab_active(&e->row))
			ip_keep(e, ip);
	}
	g_mutex_unlock(&tab.lock);
}

static void
ip_look(int host, virConnectPtr conn, const char *name)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);
	GArray *a = dom != NULL ? addrs_new(dom, ADDRS_QUICK) : NULL;

	if (a != NULL)
		domtab_set_ip(host, name, addrs_main(a));
	addrs_free(a);
	if (dom != NULL)
		virDomainFree(dom);
}

/* Reads what the events of host named, then looks for the addresses that
 * are due.  Called and returns with the lock held. */
static void
read_dirty(int host)
{
	struct dhost *d = &tab.hosts[host];
	GHashTable *dirty = d->dirty;
	GPtrArray *due = ip_due_new(host, g_get_monotonic_time());
	virConnectPtr conn = NULL;
	GHashTableIter it;
	gpointer k, v;
	guint i;

	d->dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	if (d->loaded && d->conn != NULL && virConnectRef(d->conn) == 0)
		conn = d->conn;
	g_mutex_unlock(&tab.lock);
	if (conn != NULL) {
		g_hash_table_iter_init(&it, dirty);
		while (g_hash_table_iter_next(&it, &k, &v))
			refresh_uuid(host, conn, k, GPOINTER_TO_INT(v));
		for (i = 0; i < due->len; i++)
			ip_look(host, conn, due->pdata[i]);
		virConnectClose(conn);
	}
	g_hash_table_destroy(dirty);
	g_ptr_array_free(due, TRUE);
	g_mutex_lock(&tab.lock);
}

/* A host's updater thread: loads its table when it is up and not loaded
 * (at the start, and when it comes back), then applies what its events
 * name, as they come. */
static void *
updater(void *arg)
{
	int host = GPOINTER_TO_INT(arg);
	struct dhost *d = &tab.hosts[host];
	bool said = false;

	g_mutex_lock(&tab.lock);
	while (!tab.quit) {
		if (!current_locked(host) && virt_host_state(host, NULL) !=
		    VIRT_DOWN) {
			char *err = NULL;

			g_mutex_unlock(&tab.lock);
			if (ensure(host, &err) < 0 && !said)
				log_msg(LOG_WARNING, "%s; will retry", err);
			said = err != NULL;
			g_free(err);
			g_mutex_lock(&tab.lock);
		}
		if (d->hooked != d->loads && tab.on_load != NULL &&
		    current_locked(host)) {
			void (*fn)(int) = tab.on_load;

			d->hooked = d->loads;
			g_mutex_unlock(&tab.lock);
			fn(host);
			g_mutex_lock(&tab.lock);
		}
		if (g_hash_table_size(d->dirty) == 0 && !tab.quit)
			g_cond_wait_until(&tab.wake, &tab.lock,
			    g_get_monotonic_time() + G_USEC_PER_SEC);
		if (!tab.quit)
			read_dirty(host);
	}
	g_mutex_unlock(&tab.lock);
	return NULL;
}

void
domtab_init(bool several)
{
	int h;

	tab.rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    entry_free);
	tab.several = several;
	tab.nhosts = virt_nhosts();
	tab.hosts = g_new0(struct dhost, tab.nhosts);
	for (h = 0; h < tab.nhosts; h++) {
		tab.hosts[h].dirty = g_hash_table_new_full(g_str_hash,
		    g_str_equal, g_free, NULL);
		tab.hosts[h].cb_life = tab.hosts[h].cb_meta = -1;
		g_mutex_init(&tab.hosts[h].load_lock);
	}
	virt_watch(on_host);
	for (h = 0; h < tab.nhosts; h++)
		tab.hosts[h].thread = g_thread_new("domtab", updater,
		    GINT_TO_POINTER(h));
}

void
domtab_shutdown(void)
{
	struct dhost *hosts;
	int h;

	if (tab.hosts == NULL)
		return;
	virt_watch(NULL);
	g_mutex_lock(&tab.lock);
	tab.quit = true;
	g_cond_broadcast(&tab.wake);
	g_mutex_unlock(&tab.lock);
	for (h = 0; h < tab.nhosts; h++) {
		struct dhost *d = &tab.hosts[h];

		g_thread_join(d->thread);
		unfollow(d->conn, d->cb_life, d->cb_meta);
	}
	/* What libvirt's event thread or a host's thread may still call
	 * finds no table from now on. */
	g_mutex_lock(&tab.lock);
	hosts = tab.hosts;
	tab.hosts = NULL;
	g_mutex_unlock(&tab.lock);
	for (h = 0; h < tab.nhosts; h++) {
		g_hash_table_destroy(hosts[h].dirty);
		g_mutex_clear(&hosts[h].load_lock);
	}
	g_free(hosts);
	g_hash_table_destroy(tab.rows);
}

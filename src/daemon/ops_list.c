/* list, quota and users: answered from the broker's table of domains and
 * the pool, without a libvirt connection; and the quota check of the
 * commands that add to what a user uses. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

#include "areausage.h"
#include "conf.h"
#include "domtab.h"
#include "i18n.h"
#include "log.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "storage.h"
#include "virt.h"

struct row {
	char *owner, *name, *ip;
	const char *state, *host;
};

static gint
uid_cmp(gconstpointer a, gconstpointer b)
{
	guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

	return x < y ? -1 : x > y;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *r = a, *s = b;
	int c = g_strcmp0(r->owner, s->owner);

	return c ? c : strcmp(r->name, s->name);
}

static void
owner_label(uid_t uid, char *buf, size_t len)
{
	char *name = NULL;

	if (policy_user_by_uid(uid, &name, NULL) == 0)
		g_strlcpy(buf, name, len);
	else
		g_snprintf(buf, len, "%lu", (unsigned long)uid);
	g_free(name);
}

/* The rows of the broker's table owned by `only` (every owner if
 * (uid_t)-1) and, with others, every other domain too.  The metadata, not
 * the name, says who owns a domain.  With complete (a quota), fails rather
 * than return a partial table: a quota must never read an error, or a
 * host not reached yet, as "not owned". */
static GArray *
scan_domains(struct request *rq, uid_t only, bool others, bool complete)
{
	char *err = NULL;
	GArray *rows = domtab_rows_new(only, others, complete, &err);

	if (rows != NULL)
		return rows;
	if (!rq->c->srv->cfg->several)
		reply_unreachable(rq, err);
	else {
		log_msg(LOG_ERR, "%s", err);
		g_free(err);
		reply_fail(rq, _("cannot count your VMs: a host has not been "
		    "reached since the VM service started; try again later "
		    "or ask an admin"));
	}
	return NULL;
}

/* uid -> user name, one lookup per owner. */
static const char *
label_of(GHashTable *labels, uid_t uid)
{
	char *label = g_hash_table_lookup(labels, GUINT_TO_POINTER(uid));
	char buf[256];

	if (label == NULL) {
		owner_label(uid, buf, sizeof(buf));
		label = g_strdup(buf);
		g_hash_table_insert(labels, GUINT_TO_POINTER(uid), label);
	}
	return label;
}

/* labels NULL: no owner column (no user lookups either). */
static struct row
list_row(const struct domrow *d, GHashTable *labels)
{
	struct row r = { 0 };

	r.state = d->unreachable ? "unreachable" : state_name(d->state);
	r.host = virt_host_name(d->host);
	r.name = g_strdup(d->owned ? d->vm : d->name);
	r.ip = g_strdup(d->owned ? d->ip : NULL);
	if (labels != NULL)
		r.owner = g_strdup(d->owned ? label_of(labels, d->uid) : "-");
	return r;
}

static void
list_json(struct request *rq, GArray *rows, bool all)
{
	JsonBuilder *b = json_list_new("vms");
	guint i;

	for (i = 0; i < rows->len; i++) {
		struct row *row = &g_array_index(rows, struct row, i);

		json_builder_begin_object(b);
		if (all)
			json_member_str(b, "owner", row->owner);
		json_member_str(b, "name", row->name);
		if (rq->c->srv->cfg->several)
			json_member_str(b, "host", row->host);
		json_member_str(b, "state", row->state);
		json_member_str(b, "ip", row->ip);
		json_builder_end_object(b);
	}
	reply_json_list(rq, b);
}

/* A host column only where there are several hosts. */
static void
list_table(struct request *rq, GArray *rows, bool all)
{
	bool several = rq->c->srv->cfg->several;
	guint i;

	rq->resp->ncols = (all ? 4 : 3) + several;
	if (all)
		proto_msg_add(rq->resp, "owner");
	proto_msg_add(rq->resp, "name");
	if (several)
		proto_msg_add(rq->resp, "host");
	proto_msg_add(rq->resp, "state");
	proto_msg_add(rq->resp, "ip");
	for (i = 0; i < rows->len; i++) {
		struct row *row = &g_array_index(rows, struct row, i);

		if (all)
			proto_msg_add(rq->resp, row->owner);
		proto_msg_add(rq->resp, row->name);
		if (several)
			proto_msg_add(rq->resp, row->host);
		proto_msg_add(rq->resp, row->state);
		proto_msg_add(rq->resp, row->ip ? row->ip : "-");
	}
}

static int
do_list(struct request *rq, virConnectPtr conn)
{
	bool all = cmd_opt_set(rq->call, "--all");
	GArray *d = scan_domains(rq, all ? (uid_t)-1 : rq->c->uid, all,
	    false);
	GArray *rows = g_array_new(FALSE, TRUE, sizeof(struct row));
	GHashTable *labels = all ? g_hash_table_new_full(g_direct_hash,
	    g_direct_equal, NULL, g_free) : NULL;
	guint i;

	for (i = 0; d != NULL && i < d->len; i++) {
		struct row r = list_row(&g_array_index(d, struct domrow, i),
		    labels);

		g_array_append_val(rows, r);
	}
	g_array_sort(rows, row_cmp);
	if (d != NULL && wants_json(rq))
		list_json(rq, rows, all);
	else if (d != NULL)
		list_table(rq, rows, all);
	for (i = 0; i < rows->len; i++) {
		g_free(g_array_index(rows, struct row, i).owner);
		g_free(g_array_index(rows, struct row, i).name);
		g_free(g_array_index(rows, struct row, i).ip);
	}
	g_array_free(rows, TRUE);
	if (labels != NULL)
		g_hash_table_destroy(labels);
	domtab_rows_free(d);
	return d != NULL ? 0 : -1;
}

static struct usage *
usage_slot(GHashTable *h, uid_t uid)
{
	struct usage *u = g_hash_table_lookup(h, GUINT_TO_POINTER(uid));

	if (u == NULL) {
		u = g_new0(struct usage, 1);
		g_hash_table_insert(h, GUINT_TO_POINTER(uid), u);
	}
	return u;
}

/* What each owner's VMs use (only `only`'s, unless it is (uid_t)-1), on
 * every host: a VM of a host that is down counts as last seen. */
static GHashTable *
usage_scan(struct request *rq, uid_t only, bool complete)
{
	GArray *d = scan_domains(rq, only, false, complete);
	GHashTable *h;
	guint i;

	if (d == NULL)
		return NULL;
	h = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	    g_free);
	for (i = 0; i < d->len; i++) {
		struct domrow *r = &g_array_index(d, struct domrow, i);
		struct usage *u = usage_slot(h, r->uid);

		u->v[Q_VMS]++;
		if (domtab_active(r)) {
			u->v[Q_RUNNING]++;
			u->v[Q_VCPUS] += r->vcpus;
			u->v[Q_MEMORY] += r->mem_kib / 1024;
		}
	}
	if (only != (uid_t)-1)
		usage_slot(h, only);
	domtab_rows_free(d);
	return h;
}

/* The disk quota counts the pool's disks and the upload area together:
 * both fill the same storage.  An unreadable area counts as empty; the
 * shell's upload relay measures it again anyway. */
static void
disk_use(const struct config *cfg, uid_t uid, const char *user,
    struct usage *u)
{
	struct area_usage a = { 0, 0 };

	if (storage_area_usage(cfg, user, &a) < 0)
		log_msg(LOG_WARNING, "uid %lu: cannot measure the upload "
		    "area: %s", (unsigned long)uid, g_strerror(errno));
	u->uploads = a.bytes;
	u->v[Q_DISK] = storage_disk_bytes(cfg, uid) + a.bytes;
	u->v[Q_FILES] = a.files;
}

/* The caller's own use. */
static int
usage_of(struct request *rq, struct usage *out, bool complete)
{
	uid_t uid = rq->c->uid;
	GHashTable *h = usage_scan(rq, uid, complete);

	if (h == NULL)
		return -1;
	*out = *(struct usage *)g_hash_table_lookup(h, GUINT_TO_POINTER(uid));
	disk_use(rq->c->srv->cfg, uid, rq->c->user, out);
	g_hash_table_destroy(h);
	return 0;
}

/* The client's limits, or -1 with the answer made. */
static int
quota_of(struct request *rq, struct quota *q)
{
	if (quota_for(rq->c->srv->cfg, rq->c->user, rq->c->gid, q) == 0)
		return 0;
	reply_fail(rq, _("cannot check your quota: %s"),
	    policy_directory_down());
	return -1;
}

/* Quotas bind a user's own VMs; an admin acting on another user's VM is
 * not held to that user's quota. */
int
request_quota_check(struct request *rq, const struct usage *add,
    const char *hint)
{
	struct usage u;
	struct quota q;
	char *msg;

	if (rq->t->other)
		return 0;
	if (usage_of(rq, &u, true) < 0 || quota_of(rq, &q) < 0)
		return -1;
	if ((msg = quota_exceeded(&q, &u, add, hint)) == NULL)
		return 0;
	reply_fail(rq, "%s", msg);
	rq->denied = 1;
	g_free(msg);
	return -1;
}

/* Stable keys and units for scripts: memory in MiB, disk in bytes;
 * limit null where there is none. */
static int
quota_json(struct request *rq, const struct usage *u, const struct quota *q)
{
	JsonBuilder *b = json_list_new("quota");
	int r;

	for (r = 0; r < Q__COUNT; r++) {
		long long lim = q->limit[r];

		if (r == Q_DISK && lim >= 0)
			lim *= 1024LL * 1024 * 1024;
		json_builder_begin_object(b);
		json_member_str(b, "resource", quota_key(r));
		json_member_int(b, "used", u->v[r]);
		json_member_int(b, "limit", lim);
		json_builder_end_object(b);
		if (r != Q_DISK)
			continue;
		/* The uploads' part of the disk: no limit of its own. */
		json_builder_begin_object(b);
		json_member_str(b, "resource", QUOTA_UPLOADS_KEY);
		json_member_int(b, "used", u->uploads);
		json_member_int(b, "limit", -1);
		json_builder_end_object(b);
	}
	return reply_json_list(rq, b);
}

static int
do_quota(struct request *rq, virConnectPtr conn)
{
	struct usage u;
	struct quota q;
	int r;

	if (usage_of(rq, &u, false) < 0 || quota_of(rq, &q) < 0)
		return -1;
	if (wants_json(rq))
		return quota_json(rq, &u, &q);
	/* The key column is for the shell (its banner), which does not
	 * show it. */
	rq->resp->ncols = 4;
	proto_msg_add(rq->resp, "key");
	proto_msg_add(rq->resp, "resource");
	proto_msg_add(rq->resp, "used");
	proto_msg_add(rq->resp, "limit");
	for (r = 0; r < Q__COUNT; r++) {
		char *used = quota_used_str(r, u.v[r]);
		char *lim = quota_limit_str(r, q.limit[r]);

		proto_msg_add(rq->resp, quota_key(r));
		proto_msg_add(rq->resp, quota_label(r));
		proto_msg_add(rq->resp, used);
		proto_msg_add(rq->resp, lim);
		g_free(used);
		g_free(lim);
		if (r != Q_DISK)
			continue;
		used = quota_used_str(Q_DISK, u.uploads);
		proto_msg_add(rq->resp, QUOTA_UPLOADS_KEY);
		proto_msg_add(rq->resp, _("  of it uploads"));
		proto_msg_add(rq->resp, used);
		proto_msg_add(rq->resp, "");
		g_free(used);
	}
	return 0;
}

static int
do_users(struct request *rq, virConnectPtr conn)
{
	GHashTable *h = usage_scan(rq, (uid_t)-1, false);
	GList *uids, *l;

	if (h == NULL)
		return -1;
	rq->resp->ncols = 6;
	proto_msg_add(rq->resp, "user");
	proto_msg_add(rq->resp, "vms");
	proto_msg_add(rq->resp, "running");
	proto_msg_add(rq->resp, "vcpus");
	proto_msg_add(rq->resp, "memory");
	proto_msg_add(rq->resp, "disk");
	uids = g_list_sort(g_hash_table_get_keys(h), uid_cmp);
	for (l = uids; l != NULL; l = l->next) {
		uid_t uid = GPOINTER_TO_UINT(l->data);
		struct usage *u = g_hash_table_lookup(h, l->data);
		char label[256];

		owner_label(uid, label, sizeof(label));
		proto_msg_add(rq->resp, label);
		proto_msg_addf(rq->resp, "%lld", u->v[Q_VMS]);
		proto_msg_addf(rq->resp, "%lld", u->v[Q_RUNNING]);
		proto_msg_addf(rq->resp, "%lld", u->v[Q_VCPUS]);
		proto_msg_addf(rq->resp, "%lld MiB", u->v[Q_MEMORY]);
		disk_use(rq->c->srv->cfg, uid, label, u);
		proto_msg_addf(rq->resp, "%.1f GiB",
		    u->v[Q_DISK] / (1024.0 * 1024 * 1024));
	}
	g_list_free(uids);
	g_hash_table_destroy(h);
	return 0;
}

const struct ops_handler ops_list_handlers[] = {
	{ .cmd = "list", .run = do_list },
	{ .cmd = "quota", .run = do_quota },
	{ .cmd = "users", .run = do_users },
	{ .cmd = NULL },
};

/* snapshot NAME create|list|revert|delete: internal snapshots, kept inside
 * the VM's qcow2 disk and counted against the disk quota. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "i18n.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "storage.h"
#include "template.h"

static virDomainSnapshotPtr
snap_lookup(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    const char *name)
{
	virDomainSnapshotPtr sn = virDomainSnapshotLookupByName(dom, name, 0);

	if (sn == NULL && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_SNAPSHOT)
		reply_fail(rq, _("%s has no snapshot %s; 'snapshot %s list' "
		    "shows them"), rq->t->vm, name, rq->t->vm);
	else if (sn == NULL)
		reply_fail_virt(rq, conn, _("cannot look up the snapshot"));
	return sn;
}

/* A first snapshot makes the disk charged its allocation on top of its
 * virtual size (see import_disk_charge); later ones at least a byte, so
 * that none is made once the disk quota is used up. */
static int
snap_quota(struct request *rq, virConnectPtr conn)
{
	int64_t vsize, used, add = 1;
	uint32_t nsnap;

	if (storage_disk_sizes(rq->c->srv->cfg, rq->t->uid, rq->t->vm, &vsize,
	    &used, &nsnap) == 0 && nsnap == 0 && vsize > 0)
		add = MAX(1, MIN(vsize, used));
	/* quota_exceeded words the disk's hint itself. */
	return request_quota_check(rq, &(struct usage){ .v[Q_DISK] = add },
	    "");
}

static int
snap_create(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    const char *name)
{
	virDomainSnapshotPtr sn = virDomainSnapshotLookupByName(dom, name, 0);
	char *xml;

	if (sn != NULL) {
		virDomainSnapshotFree(sn);
		return reply_fail(rq, _("%s already has a snapshot %s; choose "
		    "another name or delete it first"), rq->t->vm, name);
	}
	if (snap_quota(rq, conn) < 0)
		return -1;
	/* The name follows the VM name rule: nothing in it needs escaping. */
	xml = g_strdup_printf("<domainsnapshot><name>%s</name>"
	    "</domainsnapshot>", name);
	rq->mutated = 1;
	sn = virDomainSnapshotCreateXML(dom, xml, 0);
	g_free(xml);
	if (sn == NULL)
		return reply_fail_virt(rq, conn,
		    _("cannot create the snapshot of %s"), rq->t->vm);
	virDomainSnapshotFree(sn);
	return reply_ok(rq, _("created snapshot %s of %s"), name, rq->t->vm);
}

struct snap_row {
	char *name, *created, *state;	/* created: seconds since 1970 */
};

static int
snap_cmp(const void *a, const void *b)
{
	return g_strcmp0(((const struct snap_row *)a)->created,
	    ((const struct snap_row *)b)->created);
}

static GArray *
snap_rows_new(virDomainSnapshotPtr *snaps, int n)
{
	GArray *rows = g_array_new(FALSE, TRUE, sizeof(struct snap_row));
	int i;

	for (i = 0; i < n; i++) {
		char *xml = virDomainSnapshotGetXMLDesc(snaps[i], 0);
		struct snap_row r = {
			g_strdup(virDomainSnapshotGetName(snaps[i])),
			xml_string_new(xml,
			    "string(/domainsnapshot/creationTime)"),
			xml_string_new(xml, "string(/domainsnapshot/state)"),
		};

		g_array_append_val(rows, r);
		free(xml);
	}
	g_array_sort(rows, snap_cmp);
	return rows;
}

static char *
unix_time_new(const char *secs)
{
	GDateTime *t = secs ? g_date_time_new_from_unix_utc(
	    g_ascii_strtoll(secs, NULL, 10)) : NULL;
	char *s = t ? g_date_time_format(t, "%F %T UTC") : g_strdup("-");

	if (t != NULL)
		g_date_time_unref(t);
	return s;
}

/* Rows of name, creation time, state; oldest first. */
static int
snap_list(struct request *rq, virConnectPtr conn, virDomainPtr dom)
{
	virDomainSnapshotPtr *snaps = NULL;
	GArray *rows;
	int n, i;

	if ((n = virDomainListAllSnapshots(dom, &snaps, 0)) < 0)
		return reply_fail_virt(rq, conn,
		    _("cannot list the snapshots"));
	rows = snap_rows_new(snaps, n);
	for (i = 0; i < n; i++)
		virDomainSnapshotFree(snaps[i]);
	free(snaps);
	rq->resp->ncols = 3;
	proto_msg_add(rq->resp, "snapshot");
	proto_msg_add(rq->resp, "created");
	proto_msg_add(rq->resp, "state");
	for (i = 0; i < (int)rows->len; i++) {
		struct snap_row *r = &g_array_index(rows, struct snap_row, i);
		char *when = unix_time_new(r->created);

		proto_msg_add(rq->resp, r->name ? r->name : "-");
		proto_msg_add(rq->resp, when);
		proto_msg_add(rq->resp, r->state ? r->state : "-");
		g_free(when);
		g_free(r->name);
		g_free(r->created);
		g_free(r->state);
	}
	g_array_free(rows, TRUE);
	return 0;
}

/* Going back to a snapshot of a running VM starts it: the same quota as
 * a start applies. */
static int
snap_revert(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    const char *name)
{
	virDomainSnapshotPtr sn = snap_lookup(rq, conn, dom, name);
	char *xml, *state;
	bool starts;
	int r = -1;

	if (sn == NULL)
		return -1;
	xml = virDomainSnapshotGetXMLDesc(sn, 0);
	state = xml_string_new(xml, "string(/domainsnapshot/state)");
	starts = state != NULL && strcmp(state, "shutoff") != 0 &&
	    virDomainIsActive(dom) == 0;
	if (starts && power_start_quota(rq, conn, dom) < 0)
		goto out;
	rq->mutated = 1;
	if (virDomainRevertToSnapshot(sn, 0) < 0)
		reply_fail_virt(rq, conn, _("cannot revert %s to the snapshot"),
		    rq->t->vm);
	else if (!starts || power_firewall(rq, conn, dom) == 0) {
		if (starts)
			power_mark_boot(rq->host, dom);
		r = reply_ok(rq, _("reverted %s to snapshot %s"), rq->t->vm,
		    name);
	}
out:
	free(xml);
	g_free(state);
	virDomainSnapshotFree(sn);
	return r;
}

static int
snap_delete(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    const char *name)
{
	virDomainSnapshotPtr sn = snap_lookup(rq, conn, dom, name);
	int r = -1;

	if (sn == NULL)
		return -1;
	rq->mutated = 1;
	if (virDomainSnapshotDelete(sn, 0) < 0)
		reply_fail_virt(rq, conn, _("cannot delete the snapshot"));
	else
		r = reply_ok(rq, _("deleted snapshot %s of %s"), name,
		    rq->t->vm);
	virDomainSnapshotFree(sn);
	return r;
}

static int
do_snapshot(struct request *rq, virConnectPtr conn)
{
	const char *act = rq->call->pos[1];
	const char *name = rq->call->npos > 2 ? rq->call->pos[2] : NULL;
	bool list = strcmp(act, "list") == 0;
	virDomainPtr dom;
	int r;

	if (list && name != NULL)
		return reply_usage(rq, _("snapshot list takes no snapshot "
		    "name; usage: snapshot NAME list"));
	if (!list && name == NULL)
		return reply_usage(rq, _("snapshot %s needs a snapshot name; "
		    "usage: snapshot NAME %s SNAP"), act, act);
	if ((dom = lookup_owned(rq, conn)) == NULL)
		return -1;
	if (list)
		r = snap_list(rq, conn, dom);
	else if (strcmp(act, "create") == 0)
		r = snap_create(rq, conn, dom, name);
	else if (strcmp(act, "revert") == 0)
		r = snap_revert(rq, conn, dom, name);
	else
		r = snap_delete(rq, conn, dom, name);
	virDomainFree(dom);
	return r;
}

const struct ops_handler ops_snapshot_handlers[] = {
	{ .cmd = "snapshot", .run = do_snapshot },
	{ .cmd = NULL },
};

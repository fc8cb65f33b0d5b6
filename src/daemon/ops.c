/* The broker's command handlers.  Each runs after policy_check has decided
 * the client may name the target; each checks ownership recorded in the
 * domain itself before touching it. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdarg.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "addrs.h"
#include "areausage.h"
#include "base.h"
#include "conf.h"
#include "console.h"
#include "domtab.h"
#include "i18n.h"
#include "import.h"
#include "log.h"
#include "names.h"
#include "ops.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "sanitize.h"
#include "server.h"
#include "storage.h"
#include "template.h"
#include "users.h"
#include "virt.h"
#include "virterr.h"

void
ops_shutdown(void)
{
	users_shutdown();
}

/* Snapshots: internal ones, kept inside the VM's qcow2 disk. */
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
		;	/* reported */
	else if ((rq->mutated = 1) && virDomainRevertToSnapshot(sn, 0) < 0)
		reply_fail_virt(rq, conn, _("cannot revert %s to the snapshot"),
		    rq->t->vm);
	else {
		if (starts)
			power_mark_boot(dom);
		r = reply_ok(rq, _("reverted %s to snapshot %s"), rq->t->vm,
		    name);
	}
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

/* One disk of the user's: what it allocates, what it is charged. */
struct disk_row {
	char *vm;
	int64_t allocated, charged;
	bool defined;
};

/* "19.0 MiB", "2.0 GiB": a small disk does not show as 0.0 GiB. */
static void
add_size(struct proto_msg *m, int64_t bytes)
{
	char *s = g_format_size_full(MAX(bytes, 0), G_FORMAT_SIZE_IEC_UNITS);

	proto_msg_add(m, s);
	g_free(s);
}

static void
images_table(struct request *rq, GArray *rows)
{
	guint i;

	rq->resp->ncols = 4;
	proto_msg_add(rq->resp, "disk");
	proto_msg_add(rq->resp, "allocated");
	proto_msg_add(rq->resp, "virtual");
	proto_msg_add(rq->resp, "vm");
	for (i = 0; i < rows->len; i++) {
		struct disk_row *d = &g_array_index(rows, struct disk_row, i);

		proto_msg_add(rq->resp, d->vm);
		add_size(rq->resp, d->allocated);
		add_size(rq->resp, d->charged);
		proto_msg_add(rq->resp, d->defined ? _("defined") : "-");
	}
}

static void
images_json(struct request *rq, GArray *rows)
{
	JsonBuilder *b = json_builder_new();
	guint i;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "disks");
	json_builder_begin_array(b);
	for (i = 0; i < rows->len; i++) {
		struct disk_row *d = &g_array_index(rows, struct disk_row, i);

		json_builder_begin_object(b);
		json_member_str(b, "name", d->vm);
		json_member_int(b, "allocated_bytes", d->allocated);
		json_member_int(b, "charged_bytes", d->charged);
		json_member_str(b, "vm", d->defined ? d->vm : NULL);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	reply_json(rq, b);
}

static void
disk_row_add(struct request *rq, virConnectPtr conn, DIR *d, const char *file,
    GArray *rows)
{
	struct disk_row r = { .vm = g_strndup(file, strlen(file) - 6) };
	char *domain = domain_name_new(rq->c->uid, r.vm);
	virDomainPtr dom = virDomainLookupByName(conn, domain);
	struct stat st;

	if (fstatat(dirfd(d), file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r.allocated = (int64_t)st.st_blocks * 512;
		r.charged = storage_file_charge(dirfd(d), file);
		r.defined = dom != NULL;
		g_array_append_val(rows, r);
	} else
		g_free(r.vm);
	if (dom != NULL)
		virDomainFree(dom);
	g_free(domain);
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static gint
name_cmp(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void
bases_json(struct request *rq, GPtrArray *a)
{
	JsonBuilder *b = json_builder_new();
	guint i;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "bases");
	json_builder_begin_array(b);
	for (i = 0; i < a->len; i++) {
		const struct base *base = g_ptr_array_index(a, i);

		json_builder_begin_object(b);
		json_member_str(b, "name", base->name);
		json_member_str(b, "format", base->format);
		json_member_int(b, "virtual_bytes", base->vsize);
		json_member_str(b, "description", base->description);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	reply_json(rq, b);
}

static void
bases_table(struct request *rq, GPtrArray *a)
{
	guint i;

	if (a->len == 0) {
		reply_ok(rq, "%s", _("no base images here; upload an image "
		    "with sftp or scp and use 'define NAME IMAGE'"));
		return;
	}
	rq->resp->ncols = 4;
	proto_msg_add(rq->resp, "base");
	proto_msg_add(rq->resp, "format");
	proto_msg_add(rq->resp, "virtual");
	proto_msg_add(rq->resp, "description");
	for (i = 0; i < a->len; i++) {
		const struct base *base = g_ptr_array_index(a, i);

		proto_msg_add(rq->resp, base->name);
		proto_msg_add(rq->resp, base->format);
		add_size(rq->resp, base->vsize);
		proto_msg_add(rq->resp, base->description ? base->description :
		    "-");
	}
}

/* images --base: the admin's catalogue, as inspected at start. */
static int
images_base(struct request *rq)
{
	GPtrArray *a = base_sorted_new(rq->c->srv->bases);

	if (wants_json(rq))
		bases_json(rq, a);
	else
		bases_table(rq, a);
	g_ptr_array_free(a, TRUE);
	return 0;
}

/* The user's disks in the pool, and whether a VM of theirs has each. */
static int
do_images(struct request *rq, virConnectPtr conn)
{
	GPtrArray *names;
	GArray *rows;
	struct dirent *de;
	guint i;
	DIR *d;

	if (cmd_opt_set(rq->call, "--base"))
		return images_base(rq);
	names = g_ptr_array_new_with_free_func(g_free);
	rows = g_array_new(FALSE, TRUE, sizeof(struct disk_row));
	d = storage_pool_opendir(rq->c->srv->cfg, rq->c->uid);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (g_str_has_suffix(de->d_name, ".qcow2") &&
		    strlen(de->d_name) > 6)
			g_ptr_array_add(names, g_strdup(de->d_name));
	g_ptr_array_sort(names, name_cmp);
	for (i = 0; i < names->len; i++)
		disk_row_add(rq, conn, d, g_ptr_array_index(names, i), rows);
	if (wants_json(rq))
		images_json(rq, rows);
	else
		images_table(rq, rows);
	for (i = 0; i < rows->len; i++)
		g_free(g_array_index(rows, struct disk_row, i).vm);
	g_array_free(rows, TRUE);
	if (d != NULL)
		closedir(d);
	g_ptr_array_free(names, TRUE);
	return 0;
}

/* The handlers still in this file. */
static const struct ops_handler ops_handlers[] = {
	{ .cmd = "images", .run = do_images },
	{ .cmd = "snapshot", .run = do_snapshot },
	{ .cmd = NULL },
};

/* Each handler file's list (ops_priv.h). */
static const struct ops_handler *const handler_lists[] = {
	ops_list_handlers,
	ops_define_handlers,
	ops_power_handlers,
	ops_info_handlers,
	ops_handlers,
};

static const struct ops_handler *
handler_of(const struct cmd_def *def)
{
	const struct ops_handler *h;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(handler_lists); i++)
		for (h = handler_lists[i]; h->cmd != NULL; h++)
			if (strcmp(h->cmd, def->name) == 0)
				return h;
	return NULL;
}

/* Every command the broker answers has one handler (the first found for
 * it is the only one), and a local command none. */
int
ops_init(char **err)
{
	const char *bad = cmd_table_check();
	const struct ops_handler *h;
	const struct cmd_def *d;
	size_t i;

	for (i = 0; bad == NULL && i < cmd_table_len; i++)
		if (!(cmd_table[i].flags & CMD_LOCAL) !=
		    (handler_of(&cmd_table[i]) != NULL))
			bad = cmd_table[i].name;
	for (i = 0; bad == NULL && i < G_N_ELEMENTS(handler_lists); i++)
		for (h = handler_lists[i]; bad == NULL && h->cmd != NULL; h++)
			if ((d = cmd_find(h->cmd)) == NULL ||
			    handler_of(d) != h)
				bad = h->cmd;
	if (bad == NULL)
		return 0;
	*err = g_strdup_printf("command table: %s has no handler, or a "
	    "handler no command", bad);
	return -1;
}

/* Runs the handler, once more on a fresh connection if libvirtd went away
 * (restarted) during the first try. */
static void
run_handler(struct request *rq)
{
	const struct ops_handler *h = handler_of(rq->call->def);
	GMutex *m = NULL;
	int attempt;

	if (h->prepare != NULL) {
		rq->resp = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
		if (h->prepare(rq) < 0)
			return;
	}
	if (rq->call->def->flags & CMD_MUTATES) {
		m = users_lock(rq->t->uid);
		g_mutex_lock(m);
	}
	rq->lock = m;
	for (attempt = 0; attempt < 2; attempt++) {
		char *err = NULL;
		virConnectPtr conn = NULL;

		proto_msg_free(rq->resp);
		rq->resp = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
		rq->retry = rq->denied = 0;
		if (!(rq->call->def->flags & CMD_NOCONN) &&
		    (conn = virt_get(!(rq->call->def->flags & CMD_MUTATES),
		    &err)) == NULL) {
			reply_unreachable(rq, err);
			break;
		}
		rq->mutated = 0;
		h->run(rq, conn);
		/* In the table before the user's lock is released: the next
		 * quota check counts it. */
		if (rq->mutated && rq->t->domain != NULL)
			domtab_refresh(conn, rq->t->domain);
		if (conn != NULL)
			virConnectClose(conn);
		if (!rq->retry)
			break;
		if (rq->mutated) {
			/* It may have taken effect before the answer was lost:
			 * trying again would report a misleading failure. */
			reply_fail(rq, _("libvirt restarted during '%s %s'; "
			    "run 'list' to see whether it took effect"),
			    rq->call->def->name, rq->t->vm);
			break;
		}
	}
	if (m != NULL)
		g_mutex_unlock(m);
	if (rq->staged != NULL) {
		unlink(rq->staged);
		g_free(rq->staged);
		rq->staged = NULL;
	}
	g_free(rq->made);
	rq->made = NULL;
}

static struct proto_msg *
reply(int status, const char *msg)
{
	struct proto_msg *r = proto_msg_new(PROTO_RESPONSE, status, 1);

	proto_msg_add(r, msg);
	return r;
}

void
ops_note(struct client *c, const struct proto_msg *note)
{
	/* The shell refused this itself; the broker only records it, as
	 * long as the client keeps within its rate (a modified client must
	 * not flood the log). */
	if (users_rate_take(c->uid, c->srv->cfg->requests_per_minute) !=
	    RATE_OK)
		return;
	log_audit(c->uid, c->user, "(refused by the shell)", note->str,
	    note->nstr, "refused", NULL, NULL);
}

/* What an upload may still add: the disk limit in bytes and what the
 * pool's disks take of it, and the limit of files ("unlimited" where
 * there is none).  The shell's relay measures the area itself as it
 * goes, so that the numbers stay true while bytes arrive. */
struct proto_msg *
ops_upload_budget(struct client *c)
{
	const struct config *cfg = c->srv->cfg;
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
	struct quota q;

	if (users_rate_take(c->uid, cfg->requests_per_minute) != RATE_OK) {
		m->status = ST_FAILED;
		proto_msg_addf(m, _("too many requests: the limit is %d a "
		    "minute; wait a moment"), cfg->requests_per_minute);
		return m;
	}
	quota_for(cfg, c->user, c->gid, &q);
	if (q.limit[Q_DISK] == QUOTA_UNLIMITED)
		proto_msg_add(m, "unlimited");
	else
		proto_msg_addf(m, "%lld", q.limit[Q_DISK] * 1024LL * 1024 *
		    1024);
	proto_msg_addf(m, "%lld", storage_disk_bytes(cfg, c->uid));
	if (q.limit[Q_FILES] == QUOTA_UNLIMITED)
		proto_msg_add(m, "unlimited");
	else
		proto_msg_addf(m, "%lld", q.limit[Q_FILES]);
	log_audit(c->uid, c->user, "(upload)", NULL, 0, "granted", NULL,
	    NULL);
	return m;
}

static struct proto_msg *
dispatch(struct client *c, const struct proto_msg *req, int upload_fd)
{
	struct cmd_call call;
	struct target t;
	struct request rq = { .c = c, .call = &call, .t = &t, .upload_fd = -1 };
	const char *cmd = req->nstr ? req->str[0] : "";
	char err[512], *msg = NULL;
	int st;

	memset(&t, 0, sizeof(t));
	if ((st = users_rate_take(c->uid,
	    c->srv->cfg->requests_per_minute)) != RATE_OK) {
		g_snprintf(err, sizeof(err), _("too many requests: the limit is "
		    "%d a minute; wait a moment"),
		    c->srv->cfg->requests_per_minute);
		if (st == RATE_REFUSED)
			log_audit(c->uid, c->user, cmd, req->str + 1,
			    req->nstr ? req->nstr - 1 : 0, "denied",
			    "too many requests (further refusals in this run "
			    "are not logged)", NULL);
		return reply(ST_FAILED, err);
	}
	if (req->nstr == 0 || (st = cmd_parse(req->nstr, req->str, &call, err,
	    sizeof(err))) != ST_OK) {
		if (req->nstr == 0)
			g_strlcpy(err, _("empty request"), sizeof(err));
		log_audit(c->uid, c->user, cmd, req->str + 1,
		    req->nstr ? req->nstr - 1 : 0, "usage", err, NULL);
		return reply(ST_USAGE, err);
	}
	if ((st = policy_check(c, &call, &t, &msg)) != ST_OK) {
		log_audit(c->uid, c->user, cmd, req->str + 1, req->nstr - 1,
		    "denied", msg, NULL);
		rq.resp = reply(st, msg);
		g_free(msg);
		target_clear(&t);
		return rq.resp;
	}
	if (handler_of(call.def) == NULL) {
		target_clear(&t);
		return reply(ST_USAGE, _("command not handled by the broker"));
	}
	/* An upload comes as a descriptor the shell opened, and only with
	 * a command that takes one. */
	if ((upload_fd >= 0) != ((call.def->flags & CMD_UPLOADARG) &&
	    call.npos >= 2)) {
		g_strlcpy(err, upload_fd >= 0 ? _("a file came with a command "
		    "that takes none") : _("the image must come as an open "
		    "file from ie-vshell"), sizeof(err));
		log_audit(c->uid, c->user, cmd, req->str + 1, req->nstr - 1,
		    "usage", err, NULL);
		target_clear(&t);
		return reply(ST_USAGE, err);
	}
	rq.upload_fd = upload_fd;
	run_handler(&rq);
	log_audit(c->uid, c->user, cmd, req->str + 1, req->nstr - 1,
	    rq.resp->status == ST_OK ? "ok" : rq.denied ? "denied" : "failed",
	    rq.resp->status == ST_OK ? NULL : rq.resp->str[0], rq.cause);
	g_free(rq.cause);
	target_clear(&t);
	return rq.resp;
}

struct proto_msg *
ops_dispatch(struct client *c, const struct proto_msg *req, int upload_fd)
{
	struct proto_msg *resp = dispatch(c, req, upload_fd);

	if (upload_fd >= 0)
		close(upload_fd);
	return resp;
}

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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "conf.h"
#include "console.h"
#include "i18n.h"
#include "import.h"
#include "log.h"
#include "ops.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "template.h"
#include "users.h"
#include "virt.h"

struct ctx {
	struct client *c;
	const struct cmd_call *call;
	struct target *t;
	int upload_fd;		/* define NAME IMAGE: the upload, else -1 */
	char *staged;		/* the imported disk, not yet in place */
	int64_t staged_size;	/* its virtual size */
	struct proto_msg *resp;
	int retry;		/* set by a handler when the connection died */
	int denied;		/* refused by policy (a quota), not failed */
	int mutated;		/* a changing libvirt call was made */
};

typedef int (*handler_fn)(struct ctx *x, virConnectPtr conn);

void
ops_shutdown(void)
{
	users_shutdown();
}

static int
fail(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	proto_msg_free(x->resp);
	x->resp = proto_msg_new(PROTO_RESPONSE, ST_FAILED, 1);
	proto_msg_add(x->resp, s);
	g_free(s);
	return -1;
}

/* A libvirt call failed: report it, or ask for a retry on a fresh
 * connection if this one died under us. */
static int
fail_virt(struct ctx *x, virConnectPtr conn, const char *what)
{
	char *msg = g_strdup(virt_error());

	if (virt_failed(conn))
		x->retry = 1;
	fail(x, "%s: %s", what, msg);
	g_free(msg);
	return -1;
}

static const char *
state_name(int state)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING: return "running";
	case VIR_DOMAIN_BLOCKED: return "blocked";
	case VIR_DOMAIN_PAUSED: return "paused";
	case VIR_DOMAIN_SHUTDOWN: return "shutting down";
	case VIR_DOMAIN_SHUTOFF: return "shut off";
	case VIR_DOMAIN_CRASHED: return "crashed";
	case VIR_DOMAIN_PMSUSPENDED: return "suspended";
	default: return "unknown";
	}
}

enum { OWNER_NONE = -1, OWNER_ERROR = -2 };

static int
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

/* Looks up the target and checks the ownership record.  A domain that
 * exists but belongs to someone else is reported exactly like a missing
 * one: students must not learn what others have. */
static virDomainPtr
lookup_owned(struct ctx *x, virConnectPtr conn)
{
	virDomainPtr dom = virDomainLookupByName(conn, x->t->domain);
	uid_t owner;
	int r;

	if (dom == NULL) {
		virErrorPtr e = virGetLastError();

		if (e != NULL && e->code == VIR_ERR_NO_DOMAIN)
			fail(x, _("no such VM: %s"), x->t->vm);
		else
			fail_virt(x, conn, _("cannot look up the VM"));
		return NULL;
	}
	if ((r = domain_owner(dom, &owner)) == OWNER_ERROR) {
		fail_virt(x, conn, _("cannot read the VM's owner"));
		virDomainFree(dom);
		return NULL;
	}
	if (r < 0 || owner != x->t->uid) {
		virDomainFree(dom);
		fail(x, _("no such VM: %s"), x->t->vm);
		return NULL;
	}
	return dom;
}

static int
ok(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
ok(struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	proto_msg_add(x->resp, s);
	g_free(s);
	return 0;
}

struct row {
	char *owner, *name;
	const char *state;
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

/* Calls fn for each domain owned by `only` (every owner if (uid_t)-1) and,
 * with others, for every other domain too (owned 0, vm its raw name).
 * The name prefix is only a cheap filter; the metadata says who owns a
 * domain.  A libvirt error fails the scan: a quota must never read it as
 * "not owned". */
typedef void (*domain_fn)(virDomainPtr dom, bool owned, uid_t uid,
    const char *vm, void *data);

static int
scan_domains(struct ctx *x, virConnectPtr conn, uid_t only, bool others,
    domain_fn fn, void *data)
{
	virDomainPtr *doms = NULL;
	int n, i, o = 0;

	if ((n = virConnectListAllDomains(conn, &doms, 0)) < 0)
		return fail_virt(x, conn, _("cannot list VMs"));
	for (i = 0; i < n; i++) {
		const char *dname = virDomainGetName(doms[i]);
		char vm[VM_NAME_MAX + 1];
		uid_t uid, owner;
		bool mine;

		if (o != OWNER_ERROR) {
			mine = domain_name_parse(dname, &uid, vm) == 0 &&
			    (only == (uid_t)-1 || uid == only) &&
			    (o = domain_owner(doms[i], &owner)) == 0 &&
			    owner == uid;
			if (mine || (others && o != OWNER_ERROR))
				fn(doms[i], mine, uid, mine ? vm : dname,
				    data);
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	if (o == OWNER_ERROR)
		return fail_virt(x, conn, _("cannot read the VMs' owners"));
	return 0;
}

struct list_scan {
	GArray *rows;
	GHashTable *labels;	/* uid -> user name: one lookup per owner */
};

static void
list_row(virDomainPtr dom, bool owned, uid_t uid, const char *vm,
    void *data)
{
	struct list_scan *ls = data;
	struct row r = { 0 };
	int st = VIR_DOMAIN_NOSTATE;
	char *label;

	virDomainGetState(dom, &st, NULL, 0);
	r.state = state_name(st);
	r.name = g_strdup(vm);
	if (!owned)
		r.owner = g_strdup("-");
	else if ((label = g_hash_table_lookup(ls->labels,
	    GUINT_TO_POINTER(uid))) != NULL)
		r.owner = g_strdup(label);
	else {
		char buf[256];

		owner_label(uid, buf, sizeof(buf));
		r.owner = g_strdup(buf);
		g_hash_table_insert(ls->labels, GUINT_TO_POINTER(uid),
		    g_strdup(buf));
	}
	g_array_append_val(ls->rows, r);
}

static int
do_list(struct ctx *x, virConnectPtr conn)
{
	bool all = cmd_opt_set(x->call, "--all");
	struct list_scan ls = {
		g_array_new(FALSE, TRUE, sizeof(struct row)),
		g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
		    g_free),
	};
	guint i;
	int r;

	r = scan_domains(x, conn, all ? (uid_t)-1 : x->c->uid, all, list_row,
	    &ls);
	g_array_sort(ls.rows, row_cmp);
	if (r == 0 && all)
		proto_msg_add(x->resp, "owner");
	if (r == 0) {
		x->resp->ncols = all ? 3 : 2;
		proto_msg_add(x->resp, "name");
		proto_msg_add(x->resp, "state");
	}
	for (i = 0; i < ls.rows->len && r == 0; i++) {
		struct row *row = &g_array_index(ls.rows, struct row, i);

		if (all)
			proto_msg_add(x->resp, row->owner);
		proto_msg_add(x->resp, row->name);
		proto_msg_add(x->resp, row->state);
	}
	for (i = 0; i < ls.rows->len; i++) {
		g_free(g_array_index(ls.rows, struct row, i).owner);
		g_free(g_array_index(ls.rows, struct row, i).name);
	}
	g_array_free(ls.rows, TRUE);
	g_hash_table_destroy(ls.labels);
	return r;
}

/* The user's directory in the pool, for reading; NULL if there is none. */
static DIR *
pool_user_opendir(const struct config *cfg, uid_t uid)
{
	char *dir = g_strdup_printf("%s/%lu", cfg->pool_dir, (unsigned long)uid);
	DIR *d = opendir(dir);

	g_free(dir);
	return d;
}

/* The disks in the user's pool directory: each charged its virtual size
 * (what it may grow to), or what it allocates if that is more. */
static long long
disk_bytes(const struct config *cfg, uid_t uid)
{
	DIR *d = pool_user_opendir(cfg, uid);
	struct dirent *de;
	long long sum = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			sum += import_disk_charge(dirfd(d), de->d_name);
	if (d != NULL)
		closedir(d);
	return sum;
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

static void
usage_add(virDomainPtr dom, bool owned, uid_t uid, const char *vm,
    void *data)
{
	struct usage *u = usage_slot(data, uid);
	virDomainInfo info;

	u->v[Q_VMS]++;
	if (virDomainIsActive(dom) == 1 && virDomainGetInfo(dom, &info) == 0) {
		u->v[Q_RUNNING]++;
		u->v[Q_VCPUS] += info.nrVirtCpu;
		u->v[Q_MEMORY] += info.maxMem / 1024;
	}
}

/* What each owner uses (only `only`'s, unless it is (uid_t)-1). */
static GHashTable *
usage_scan(struct ctx *x, virConnectPtr conn, uid_t only)
{
	GHashTable *h = g_hash_table_new_full(g_direct_hash, g_direct_equal,
	    NULL, g_free);

	if (scan_domains(x, conn, only, false, usage_add, h) < 0) {
		g_hash_table_destroy(h);
		return NULL;
	}
	if (only != (uid_t)-1)
		usage_slot(h, only);
	return h;
}

static int
usage_of(struct ctx *x, virConnectPtr conn, uid_t uid, struct usage *out)
{
	GHashTable *h = usage_scan(x, conn, uid);

	if (h == NULL)
		return -1;
	*out = *(struct usage *)g_hash_table_lookup(h, GUINT_TO_POINTER(uid));
	out->v[Q_DISK] = disk_bytes(x->c->srv->cfg, uid);
	g_hash_table_destroy(h);
	return 0;
}

/* Quotas bind a user's own VMs; an admin acting on another user's VM is
 * not held to that user's quota. */
static int
quota_check(struct ctx *x, virConnectPtr conn, const struct usage *add,
    const char *hint)
{
	struct usage u;
	struct quota q;
	char *msg;

	if (x->t->other)
		return 0;
	if (usage_of(x, conn, x->t->uid, &u) < 0)
		return -1;
	quota_for(x->c->srv->cfg, x->c->user, x->c->gid, &q);
	if ((msg = quota_exceeded(&q, &u, add, hint)) == NULL)
		return 0;
	fail(x, "%s", msg);
	x->denied = 1;
	g_free(msg);
	return -1;
}

static int
do_quota(struct ctx *x, virConnectPtr conn)
{
	struct usage u;
	struct quota q;
	int r;

	if (usage_of(x, conn, x->c->uid, &u) < 0)
		return -1;
	quota_for(x->c->srv->cfg, x->c->user, x->c->gid, &q);
	x->resp->ncols = 3;
	proto_msg_add(x->resp, "resource");
	proto_msg_add(x->resp, "used");
	proto_msg_add(x->resp, "limit");
	for (r = 0; r < Q__COUNT; r++) {
		char *used = quota_used_str(r, u.v[r]);
		char *lim = quota_limit_str(r, q.limit[r]);

		proto_msg_add(x->resp, quota_label(r));
		proto_msg_add(x->resp, used);
		proto_msg_add(x->resp, lim);
		g_free(used);
		g_free(lim);
	}
	return 0;
}

static int
do_users(struct ctx *x, virConnectPtr conn)
{
	GHashTable *h = usage_scan(x, conn, (uid_t)-1);
	GList *uids, *l;

	if (h == NULL)
		return -1;
	x->resp->ncols = 6;
	proto_msg_add(x->resp, "user");
	proto_msg_add(x->resp, "vms");
	proto_msg_add(x->resp, "running");
	proto_msg_add(x->resp, "vcpus");
	proto_msg_add(x->resp, "memory");
	proto_msg_add(x->resp, "disk");
	uids = g_list_sort(g_hash_table_get_keys(h), uid_cmp);
	for (l = uids; l != NULL; l = l->next) {
		uid_t uid = GPOINTER_TO_UINT(l->data);
		struct usage *u = g_hash_table_lookup(h, l->data);
		char label[256];

		owner_label(uid, label, sizeof(label));
		proto_msg_add(x->resp, label);
		proto_msg_addf(x->resp, "%lld", u->v[Q_VMS]);
		proto_msg_addf(x->resp, "%lld", u->v[Q_RUNNING]);
		proto_msg_addf(x->resp, "%lld", u->v[Q_VCPUS]);
		proto_msg_addf(x->resp, "%lld MiB", u->v[Q_MEMORY]);
		proto_msg_addf(x->resp, "%.1f GiB",
		    disk_bytes(x->c->srv->cfg, uid) / (1024.0 * 1024 * 1024));
	}
	g_list_free(uids);
	g_hash_table_destroy(h);
	return 0;
}

static char *
disk_path_new(struct ctx *x)
{
	return g_strdup_printf("%s/%lu/%s.qcow2", x->c->srv->cfg->pool_dir,
	    (unsigned long)x->t->uid, x->t->vm);
}

static const struct template *
find_template(struct ctx *x)
{
	const char *name = cmd_opt_value(x->call, "--template");
	const struct template *tp;
	GString *names;
	GList *keys, *l;

	if (name == NULL)
		name = x->c->srv->cfg->default_template;
	tp = g_hash_table_lookup(x->c->srv->templates, name);
	if (tp != NULL)
		return tp;
	names = g_string_new(NULL);
	keys = g_list_sort(g_hash_table_get_keys(x->c->srv->templates),
	    (GCompareFunc)strcmp);
	for (l = keys; l != NULL; l = l->next)
		g_string_append_printf(names, "%s%s", l == keys ? "" : ", ",
		    (char *)l->data);
	g_list_free(keys);
	fail(x, _("no such template: %s; available: %s"), name, names->str);
	g_string_free(names, TRUE);
	return NULL;
}

/* The user's directory in the pool: root's, searchable so that QEMU can
 * reach the disks libvirt hands it. */
static int
pool_user_dir(struct ctx *x)
{
	char *dir = g_strdup_printf("%s/%lu", x->c->srv->cfg->pool_dir,
	    (unsigned long)x->t->uid);
	struct stat st;
	int r = 0;

	if ((mkdir(dir, 0711) < 0 && errno != EEXIST) || lstat(dir, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "pool directory %s: %s", dir,
		    g_strerror(errno));
		r = fail(x, _("the VM service cannot store disks; tell the "
		    "admin"));
	}
	g_free(dir);
	return r;
}

/* Moves the staged import to the VM's disk path; never over a file. */
static int
place_disk(struct ctx *x, const char *disk)
{
	if (pool_user_dir(x) < 0)
		return -1;
	if (renameat2(AT_FDCWD, x->staged, AT_FDCWD, disk,
	    RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			return fail(x, _("%s already has a disk; 'define %s' "
			    "without an image uses it, 'undefine %s --disk' "
			    "deletes it"), x->t->vm, x->t->vm, x->t->vm);
		log_msg(LOG_ERR, "rename %s: %s", x->staged, g_strerror(errno));
		return fail(x, _("cannot move the image into the pool: %s"),
		    g_strerror(errno));
	}
	g_free(x->staged);
	x->staged = NULL;
	return 0;
}

static int
define_xml(struct ctx *x, virConnectPtr conn, const struct template *tp,
    const char *disk)
{
	struct render_args a = { x->t->domain, x->t->vm, x->t->uid,
	    x->t->user, disk, "qcow2" };
	virDomainPtr dom;
	char *xml, *err = NULL;

	if ((xml = template_render(tp, &a, &err)) == NULL) {
		fail(x, _("cannot render template %s: %s"), template_name(tp),
		    err);
		g_free(err);
		return -1;
	}
	x->mutated = 1;
	dom = virDomainDefineXML(conn, xml);
	g_free(xml);
	if (dom == NULL)
		return fail_virt(x, conn, _("cannot define the VM"));
	virDomainFree(dom);
	return 0;
}

static int
do_define(struct ctx *x, virConnectPtr conn)
{
	const struct template *tp;
	virDomainPtr dom;
	char *disk;
	int r = -1;

	if ((tp = find_template(x)) == NULL)
		return -1;
	if ((dom = virDomainLookupByName(conn, x->t->domain)) != NULL) {
		virDomainFree(dom);
		return fail(x, _("a VM named %s already exists; choose another "
		    "name or undefine it first"), x->t->vm);
	}
	/* Without an image the disk is not there yet: a define is refused
	 * once the disk quota is used up (one byte more would exceed it). */
	if (quota_check(x, conn, &(struct usage){ .v[Q_VMS] = 1,
	    .v[Q_DISK] = x->staged ? x->staged_size : 1 },
	    x->staged ? _("undefine a VM with --disk first") :
	    _("undefine a VM first")) < 0)
		return -1;
	disk = disk_path_new(x);
	if (x->staged != NULL && place_disk(x, disk) < 0)
		goto out;
	if (define_xml(x, conn, tp, disk) < 0) {
		/* No disk is left without the VM it was imported for. */
		if (x->staged == NULL && x->upload_fd >= 0)
			unlink(disk);
		goto out;
	}
	r = ok(x, _("defined %s (template %s%s)"), x->t->vm,
	    template_name(tp), x->upload_fd >= 0 ? _(", disk imported") : "");
out:
	g_free(disk);
	return r;
}

static bool
unsupported_flags(void)
{
	int code = virGetLastErrorCode();

	return code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_INVALID_ARG;
}

static int
do_undefine(struct ctx *x, virConnectPtr conn)
{
	unsigned int flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
	    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
	    VIR_DOMAIN_UNDEFINE_NVRAM;
	virDomainPtr dom = lookup_owned(x, conn);
	int r;

	if (dom == NULL)
		return -1;
	if (virDomainIsActive(dom) == 1) {
		virDomainFree(dom);
		return fail(x, _("%s is running; destroy it first"), x->t->vm);
	}
	/* Drivers differ in the flags they know (the test driver has no
	 * NVRAM): fall back to fewer. */
	x->mutated = 1;
	r = virDomainUndefineFlags(dom, flags);
	if (r < 0 && unsupported_flags())
		r = virDomainUndefineFlags(dom, flags &
		    ~VIR_DOMAIN_UNDEFINE_NVRAM);
	if (r < 0 && unsupported_flags())
		r = virDomainUndefine(dom);
	if (r < 0) {
		fail_virt(x, conn, _("cannot undefine the VM"));
		virDomainFree(dom);
		return -1;
	}
	virDomainFree(dom);
	if (cmd_opt_set(x->call, "--disk")) {
		char *disk = disk_path_new(x);

		if (unlink(disk) < 0 && errno != ENOENT) {
			log_msg(LOG_ERR, "%s: %s", disk, g_strerror(errno));
			fail(x, _("undefined %s, but cannot delete its disk: "
			    "%s"), x->t->vm, g_strerror(errno));
			g_free(disk);
			return -1;
		}
		g_free(disk);
		return ok(x, _("undefined %s and deleted its disk"), x->t->vm);
	}
	return ok(x, _("undefined %s"), x->t->vm);
}

static int
start_quota(struct ctx *x, virConnectPtr conn, virDomainPtr dom)
{
	virDomainInfo info;
	struct usage add = { .v[Q_RUNNING] = 1 };

	if (virDomainGetInfo(dom, &info) < 0)
		return fail_virt(x, conn, _("cannot read the VM's size"));
	add.v[Q_VCPUS] = info.nrVirtCpu;
	add.v[Q_MEMORY] = info.maxMem / 1024;
	return quota_check(x, conn, &add, _("stop a VM first"));
}

static int
do_start(struct ctx *x, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(x, conn);
	int r = -1;

	if (dom == NULL)
		return -1;
	if (virDomainIsActive(dom) == 1)
		fail(x, _("%s is already running"), x->t->vm);
	else if (start_quota(x, conn, dom) < 0)
		;	/* reported */
	else if ((x->mutated = 1) && virDomainCreate(dom) < 0)
		fail_virt(x, conn, _("cannot start the VM"));
	else
		r = ok(x, _("started %s"), x->t->vm);
	virDomainFree(dom);
	return r;
}

static int
do_destroy(struct ctx *x, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(x, conn);
	int r = -1;

	if (dom == NULL)
		return -1;
	if (virDomainIsActive(dom) != 1)
		fail(x, _("%s is not running"), x->t->vm);
	else if ((x->mutated = 1) && virDomainDestroy(dom) < 0)
		fail_virt(x, conn, _("cannot destroy the VM"));
	else
		r = ok(x, _("destroyed %s"), x->t->vm);
	virDomainFree(dom);
	return r;
}

static int
do_dumpxml(struct ctx *x, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(x, conn);
	char *xml;
	int r = -1;

	if (dom == NULL)
		return -1;
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL)
		fail_virt(x, conn, _("cannot read the VM's XML"));
	else
		r = ok(x, "%s", xml);
	free(xml);
	virDomainFree(dom);
	return r;
}

/* The relay takes over the client's socket until the student leaves. */
static int
do_console(struct ctx *x, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(x, conn);
	char *msg = NULL;
	int r = -1;

	if (dom == NULL)
		return -1;
	if (virDomainIsActive(dom) != 1)
		fail(x, _("%s is not running; 'start %s' first"), x->t->vm,
		    x->t->vm);
	else if (console_run(conn, dom, x->c->fd,
	    cmd_opt_set(x->call, "--force"), &msg) < 0)
		fail(x, "%s", msg);
	else
		r = ok(x, "%s", msg);
	g_free(msg);
	virDomainFree(dom);
	return r;
}

/* The user's disks in the pool, and whether a VM of theirs has each. */
static int
do_images(struct ctx *x, virConnectPtr conn)
{
	DIR *d = pool_user_opendir(x->c->srv->cfg, x->c->uid);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	struct dirent *de;
	guint i;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (g_str_has_suffix(de->d_name, ".qcow2") &&
		    strlen(de->d_name) > 6)
			g_ptr_array_add(names, g_strdup(de->d_name));
	g_ptr_array_sort(names, (GCompareFunc)g_ascii_strcasecmp);
	x->resp->ncols = 4;
	proto_msg_add(x->resp, "disk");
	proto_msg_add(x->resp, "allocated");
	proto_msg_add(x->resp, "virtual");
	proto_msg_add(x->resp, "vm");
	for (i = 0; i < names->len; i++) {
		char *file = g_ptr_array_index(names, i);
		char *vm = g_strndup(file, strlen(file) - 6);
		char *domain = domain_name_new(x->c->uid, vm);
		virDomainPtr dom = virDomainLookupByName(conn, domain);
		struct stat st;

		if (fstatat(dirfd(d), file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			proto_msg_add(x->resp, vm);
			proto_msg_addf(x->resp, "%.1f GiB", st.st_blocks * 512.0 /
			    (1 << 30));
			proto_msg_addf(x->resp, "%.1f GiB",
			    import_disk_charge(dirfd(d), file) /
			    (double)(1 << 30));
			proto_msg_add(x->resp, dom ? _("defined") : "-");
		}
		if (dom != NULL)
			virDomainFree(dom);
		g_free(domain);
		g_free(vm);
	}
	if (d != NULL)
		closedir(d);
	g_ptr_array_free(names, TRUE);
	return 0;
}

static const handler_fn handlers[CMD__COUNT] = {
	[CMD_LIST] = do_list,
	[CMD_DEFINE] = do_define,
	[CMD_UNDEFINE] = do_undefine,
	[CMD_START] = do_start,
	[CMD_DESTROY] = do_destroy,
	[CMD_DUMPXML] = do_dumpxml,
	[CMD_QUOTA] = do_quota,
	[CMD_USERS] = do_users,
	[CMD_IMAGES] = do_images,
	[CMD_CONSOLE] = do_console,
};

/* Progress of an import, to the shell: at most a frame per percent. */
struct progress_state {
	struct ctx *x;
	char what[16];
	int last;
};

static void
send_progress(void *arg, const char *what, int percent)
{
	struct progress_state *p = arg;
	struct proto_msg *m;

	if (percent == p->last && strcmp(what, p->what) == 0)
		return;
	p->last = percent;
	g_strlcpy(p->what, what, sizeof(p->what));
	m = proto_msg_new(PROTO_PROGRESS, 0, 1);
	proto_msg_add(m, what);
	proto_msg_addf(m, "%d", percent);
	/* A lost shell is noticed by the import itself. */
	(void)proto_send(p->x->c->fd, m);
	proto_msg_free(m);
}

/* define NAME IMAGE, first half: the import, without the user's lock (it
 * may take minutes).  What it checks first is checked again, locked, by
 * do_define. */
static int
import_upload(struct ctx *x)
{
	struct progress_state ps = { x, "", -1 };
	struct import_ctl ctl = { x->c->fd, send_progress, &ps };
	char *disk, *err = NULL;
	virConnectPtr conn;
	virDomainPtr dom;
	struct stat st;
	int r;

	if (find_template(x) == NULL)
		return -1;
	if ((conn = virt_get(&err)) != NULL) {
		dom = virDomainLookupByName(conn, x->t->domain);
		virConnectClose(conn);
		if (dom != NULL) {
			virDomainFree(dom);
			return fail(x, _("a VM named %s already exists; choose "
			    "another name or undefine it first"), x->t->vm);
		}
	}
	g_free(err);
	err = NULL;
	disk = disk_path_new(x);
	r = lstat(disk, &st);
	g_free(disk);
	if (r == 0)
		return fail(x, _("%s already has a disk; 'define %s' without an "
		    "image uses it, 'undefine %s --disk' deletes it"), x->t->vm,
		    x->t->vm, x->t->vm);
	if (import_image(x->c->srv->cfg, x->t->uid, x->upload_fd, &ctl,
	    &x->staged, &x->staged_size, &err) < 0) {
		fail(x, "%s: %s", x->call->pos[1], err);
		g_free(err);
		return -1;
	}
	return 0;
}

/* Runs the handler, once more on a fresh connection if libvirtd went away
 * (restarted) during the first try. */
static void
run_handler(struct ctx *x)
{
	handler_fn fn = handlers[x->call->def->id];
	GMutex *m = NULL;
	int attempt;

	if (x->upload_fd >= 0) {
		x->resp = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
		if (import_upload(x) < 0)
			return;
	}
	if (x->call->def->flags & CMD_MUTATES) {
		m = users_lock(x->t->uid);
		g_mutex_lock(m);
	}
	for (attempt = 0; attempt < 2; attempt++) {
		char *err = NULL;
		virConnectPtr conn = virt_get(&err);

		proto_msg_free(x->resp);
		x->resp = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
		x->retry = x->denied = 0;
		if (conn == NULL) {
			log_msg(LOG_ERR, "%s", err);
			fail(x, _("the VM service cannot reach libvirt; try "
			    "again in a minute, or tell the admin"));
			g_free(err);
			break;
		}
		x->mutated = 0;
		fn(x, conn);
		virConnectClose(conn);
		if (!x->retry)
			break;
		if (x->mutated) {
			/* It may have taken effect before the answer was lost:
			 * trying again would report a misleading failure. */
			fail(x, _("libvirt restarted during '%s %s'; run 'list' "
			    "to see whether it took effect"),
			    x->call->def->name, x->t->vm);
			break;
		}
	}
	if (m != NULL)
		g_mutex_unlock(m);
	if (x->staged != NULL) {
		unlink(x->staged);
		g_free(x->staged);
		x->staged = NULL;
	}
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
	    note->nstr, "refused", NULL);
}

static struct proto_msg *
dispatch(struct client *c, const struct proto_msg *req, int upload_fd)
{
	struct cmd_call call;
	struct target t;
	struct ctx x = { .c = c, .call = &call, .t = &t, .upload_fd = -1 };
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
			    "are not logged)");
		return reply(ST_FAILED, err);
	}
	if (req->nstr == 0 || (st = cmd_parse(req->nstr, req->str, &call, err,
	    sizeof(err))) != ST_OK) {
		if (req->nstr == 0)
			g_strlcpy(err, _("empty request"), sizeof(err));
		log_audit(c->uid, c->user, cmd, req->str + 1,
		    req->nstr ? req->nstr - 1 : 0, "usage", err);
		return reply(ST_USAGE, err);
	}
	if ((st = policy_check(c, &call, &t, &msg)) != ST_OK) {
		log_audit(c->uid, c->user, cmd, req->str + 1, req->nstr - 1,
		    "denied", msg);
		x.resp = reply(st, msg);
		g_free(msg);
		target_clear(&t);
		return x.resp;
	}
	if (handlers[call.def->id] == NULL) {
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
		    "usage", err);
		target_clear(&t);
		return reply(ST_USAGE, err);
	}
	x.upload_fd = upload_fd;
	run_handler(&x);
	log_audit(c->uid, c->user, cmd, req->str + 1, req->nstr - 1,
	    x.resp->status == ST_OK ? "ok" : x.denied ? "denied" : "failed",
	    x.resp->status == ST_OK ? NULL : x.resp->str[0]);
	target_clear(&t);
	return x.resp;
}

struct proto_msg *
ops_dispatch(struct client *c, const struct proto_msg *req, int upload_fd)
{
	struct proto_msg *resp = dispatch(c, req, upload_fd);

	if (upload_fd >= 0)
		close(upload_fd);
	return resp;
}

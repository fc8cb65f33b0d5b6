/* define and undefine.  define makes the new VM's disk first, without the
 * user's lock (an import or a copy may take minutes), then defines the
 * domain on it from the template, locked, after the quota check. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "base.h"
#include "conf.h"
#include "domtab.h"
#include "hosts.h"
#include "i18n.h"
#include "import.h"
#include "keep.h"
#include "log.h"
#include "names.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "storage.h"
#include "template.h"
#include "virt.h"

static const struct template *
find_template(struct request *rq)
{
	const char *name = cmd_opt_value(rq->call, "--template");
	const struct template *tp;
	GString *names;
	GList *keys, *l;

	if (name == NULL)
		name = rq->c->srv->cfg->default_template;
	tp = g_hash_table_lookup(rq->c->srv->templates, name);
	if (tp != NULL)
		return tp;
	names = g_string_new(NULL);
	keys = g_list_sort(g_hash_table_get_keys(rq->c->srv->templates),
	    (GCompareFunc)strcmp);
	for (l = keys; l != NULL; l = l->next)
		g_string_append_printf(names, "%s%s", l == keys ? "" : ", ",
		    (char *)l->data);
	g_list_free(keys);
	reply_fail(rq, _("no such template: %s; available: %s"), name,
	    names->str);
	g_string_free(names, TRUE);
	return NULL;
}

/* The target VM has a disk already, kept from an earlier VM of its name. */
static int
disk_taken(struct request *rq)
{
	return reply_fail(rq, _("%s already has a disk; 'define %s' without an "
	    "image uses it, 'undefine %s --disk' deletes it"), rq->t->vm,
	    rq->t->vm, rq->t->vm);
}

/* Progress of an import, to the shell: at most a frame per percent. */
struct progress_state {
	struct request *rq;
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
	(void)proto_send(p->rq->c->fd, m);
	proto_msg_free(m);
}

/* define NAME IMAGE: the upload imported (inspected, converted or
 * copied, checked, synced). */
static int
import_upload(struct request *rq, struct import_ctl *ctl)
{
	char *err = NULL;

	if (import_image(rq->c->srv->cfg, rq->t->uid, rq->upload_fd, ctl,
	    &rq->staged, &rq->staged_size, &rq->note, &err) < 0) {
		reply_fail(rq, "%s: %s", rq->call->pos[1], err);
		g_free(err);
		return -1;
	}
	rq->made = g_strdup(_(", disk imported"));
	return 0;
}

/* define NAME --base B: the student's own copy of base image B. */
static int
copy_base(struct request *rq, struct import_ctl *ctl, const char *name)
{
	const struct base *b = g_hash_table_lookup(rq->c->srv->bases, name);
	char *err = NULL;
	int fd, r = -1;

	if (b == NULL)
		return reply_fail(rq, _("no base image %s; 'images --base' "
		    "lists them"), name);
	/* Refused before a copy of gigabytes, not after. */
	if (request_quota_check(rq, &(struct usage){ .v[Q_VMS] = 1,
	    .v[Q_DISK] = b->vsize }, _("undefine a VM first")) < 0)
		return -1;
	if ((fd = base_open(b, &err)) < 0)
		reply_fail(rq, "%s", err);
	else if (import_copy(rq->c->srv->cfg, rq->t->uid, fd, ctl, &rq->staged,
	    &rq->staged_size, &err) < 0)
		reply_fail(rq, _("cannot copy base image %s: %s"), name, err);
	else {
		rq->made = g_strdup_printf(_(", disk copied from base %s"),
		    name);
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	g_free(err);
	return r;
}

/* define NAME, with no image or base image to take: a blank disk of the
 * size the admin chose. */
static int
make_blank(struct request *rq, struct import_ctl *ctl, int gib)
{
	int64_t size = (int64_t)gib << 30;
	char *err = NULL;

	if (request_quota_check(rq, &(struct usage){ .v[Q_VMS] = 1,
	    .v[Q_DISK] = size }, _("undefine a VM first")) < 0)
		return -1;
	if (import_blank(rq->c->srv->cfg, rq->t->uid, size, ctl, &rq->staged,
	    &err) < 0) {
		reply_fail(rq, "%s", err);
		g_free(err);
		return -1;
	}
	rq->staged_size = size;
	rq->made = g_strdup_printf(_(", blank disk of %d GiB"), gib);
	return 0;
}

/* Where define without a disk sends the student. */
static int
no_disk(struct request *rq)
{
	const char *vm = rq->t->vm;

	if (g_hash_table_size(rq->c->srv->bases) == 0)
		return reply_fail(rq, _("cannot define %s without a disk: "
		    "upload an image with sftp or scp and use 'define %s "
		    "IMAGE'"), vm, vm);
	return reply_fail(rq, _("cannot define %s without a disk: upload an "
	    "image and use 'define %s IMAGE', or pick a base image: 'define "
	    "%s --base B' ('images --base' lists them)"), vm, vm, vm);
}

/* Is there a VM of that name, or a disk kept for it?  Reported if so,
 * unless a kept disk is what define NAME alone is for. */
static int
name_taken(struct request *rq, bool new_disk)
{
	char *disk, *err = NULL;
	virConnectPtr conn;
	virDomainPtr dom;
	struct stat st;
	int r;

	/* The table knows every host's; with one host, libvirt is asked
	 * too, as the table may be loading.  A host that does not answer
	 * is never waited for here: the check is made again, locked. */
	dom = NULL;
	if (!rq->c->srv->cfg->several &&
	    (conn = virt_get(0, true, &err)) != NULL) {
		dom = virDomainLookupByName(conn, rq->t->domain);
		virConnectClose(conn);
	}
	g_free(err);
	if (dom != NULL)
		virDomainFree(dom);
	if (dom != NULL || domtab_locate(rq->t->domain) >= 0)
		return reply_fail(rq, _("a VM named %s already exists; choose "
		    "another name or undefine it first"), rq->t->vm);
	disk = request_disk_path_new(rq);
	r = lstat(disk, &st);
	g_free(disk);
	if (r == 0 && new_disk)
		return disk_taken(rq);
	return r == 0 ? 1 : 0;
}

/* define, first half: the new VM's disk, made without the user's lock
 * (an import or a copy may take minutes).  In order: the upload or base
 * image named, a disk kept from an earlier VM of that name, the
 * template's base image, a blank disk.  What it checks first is checked
 * again, locked, by do_define. */
static int
prepare_disk(struct request *rq)
{
	struct progress_state ps = { rq, "", -1 };
	struct import_ctl ctl = { rq->c->fd, send_progress, &ps };
	const char *base = cmd_opt_value(rq->call, "--base");
	bool named = base != NULL || rq->upload_fd >= 0;
	const struct template *tp;
	int kept, gib = 0;

	if (base != NULL && rq->upload_fd >= 0)
		return reply_usage(rq, _("define takes an IMAGE or --base B, "
		    "not both; usage: define NAME [IMAGE | --base B] "
		    "[--template T]"));
	if (base != NULL && !vm_name_valid(base))
		return reply_usage(rq, _("invalid base image name '%s': %s"),
		    base, _(VM_NAME_RULE));
	if ((tp = find_template(rq)) == NULL ||
	    (kept = name_taken(rq, named)) < 0)
		return -1;
	if (kept)
		return 0;
	if (rq->upload_fd >= 0)
		return import_upload(rq, &ctl);
	if (base == NULL)
		base = config_new_disk(rq->c->srv->cfg, template_name(tp),
		    &gib);
	if (base != NULL)
		return copy_base(rq, &ctl, base);
	return gib > 0 ? make_blank(rq, &ctl, gib) : no_disk(rq);
}

/* Moves the staged disk to the VM's disk path; never over a file. */
static int
place_disk(struct request *rq, const char *disk)
{
	char *err = NULL;
	int r = storage_disk_place(rq->c->srv->cfg, rq->t->uid, &rq->staged,
	    disk, &err);

	if (r > 0)
		return disk_taken(rq);
	if (r < 0)
		reply_fail(rq, "%s", err);
	g_free(err);
	return r;
}

static int
define_xml(struct request *rq, virConnectPtr conn, const struct template *tp,
    const char *disk)
{
	struct render_args a = { rq->t->domain, rq->t->vm, rq->t->uid,
	    rq->t->user, disk, "qcow2", template_name(tp) };
	virDomainPtr dom;
	char *xml, *err = NULL;

	if ((xml = template_render(tp, &a, &err)) == NULL) {
		reply_fail(rq, _("cannot render template %s: %s"),
		    template_name(tp), err);
		g_free(err);
		return -1;
	}
	rq->mutated = 1;
	dom = virDomainDefineXML(conn, xml);
	g_free(xml);
	if (dom == NULL)
		return reply_fail_virt(rq, conn, _("cannot define %s"),
		    rq->t->vm);
	/* Kept, to define it again elsewhere if its host is lost. */
	keep_domain(virt_host_name(rq->host), dom);
	virDomainFree(dom);
	return 0;
}

static int
do_define(struct request *rq, virConnectPtr conn)
{
	const struct template *tp;
	virDomainPtr dom;
	char *disk;
	int r = -1;

	if ((tp = find_template(rq)) == NULL)
		return -1;
	if ((dom = virDomainLookupByName(conn, rq->t->domain)) != NULL) {
		virDomainFree(dom);
		return reply_fail(rq, _("a VM named %s already exists; choose "
		    "another name or undefine it first"), rq->t->vm);
	}
	/* A kept disk is counted already: a define on it is refused once
	 * the disk quota is used up (one byte more would exceed it). */
	if (request_quota_check(rq, &(struct usage){ .v[Q_VMS] = 1,
	    .v[Q_DISK] = rq->staged ? rq->staged_size : 1 },
	    _("undefine a VM first")) < 0)
		return -1;
	disk = request_disk_path_new(rq);
	if (rq->staged != NULL && place_disk(rq, disk) < 0)
		goto out;
	if (define_xml(rq, conn, tp, disk) < 0) {
		/* No disk is left without the VM it was made for. */
		if (rq->staged == NULL && rq->made != NULL)
			unlink(disk);
		goto out;
	}
	if (rq->c->srv->cfg->several)
		r = reply_ok(rq, _("defined %s on %s (template %s%s)"),
		    rq->t->vm, virt_host_name(rq->host), template_name(tp),
		    rq->made ? rq->made : "");
	else
		r = reply_ok(rq, _("defined %s (template %s%s)"), rq->t->vm,
		    template_name(tp), rq->made ? rq->made : "");
	if (rq->note != NULL) {
		char **l = g_strsplit(rq->note, "\n", -1);

		for (int i = 0; l[i] != NULL; i++)
			reply_ok(rq, "%s", l[i]);
		g_strfreev(l);
	}
out:
	g_free(disk);
	return r;
}

/* define, under the user's lock: the host for the new VM, by the
 * config's policy, from the template's size and what the hosts' running
 * VMs commit. */
static int
place_define(struct request *rq)
{
	const struct template *tp = find_template(rq);
	unsigned long long mib;
	unsigned vcpus;
	char *err = NULL;
	int host;

	if (tp == NULL)
		return -1;
	template_size(tp, &vcpus, &mib);
	if ((host = hosts_place(rq->c->srv->cfg, vcpus, mib, &err)) >= 0)
		return host;
	log_msg(LOG_WARNING, "cannot place %s: %s", rq->t->domain,
	    err != NULL ? err : "");
	g_free(err);
	return reply_fail(rq, _("no host can take %s now (%u vCPUs, %llu "
	    "MiB): every host that takes new VMs is full or unreachable; try "
	    "again later or ask an admin"), rq->t->vm, vcpus, mib);
}

static bool
unsupported_flags(void)
{
	int code = virGetLastErrorCode();

	return code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_INVALID_ARG;
}

static int
do_undefine(struct request *rq, virConnectPtr conn)
{
	unsigned int flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
	    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
	    VIR_DOMAIN_UNDEFINE_NVRAM;
	virDomainPtr dom = lookup_owned(rq, conn);
	int r;

	if (dom == NULL)
		return -1;
	if (virDomainIsActive(dom) == 1) {
		virDomainFree(dom);
		return reply_fail(rq, _("%s is running; destroy it first"),
		    rq->t->vm);
	}
	/* Drivers differ in the flags they know (the test driver has no
	 * NVRAM): fall back to fewer. */
	rq->mutated = 1;
	r = virDomainUndefineFlags(dom, flags);
	if (r < 0 && unsupported_flags())
		r = virDomainUndefineFlags(dom, flags &
		    ~VIR_DOMAIN_UNDEFINE_NVRAM);
	if (r < 0 && unsupported_flags())
		r = virDomainUndefine(dom);
	if (r < 0) {
		reply_fail_virt(rq, conn, _("cannot undefine %s"), rq->t->vm);
		virDomainFree(dom);
		return -1;
	}
	virDomainFree(dom);
	keep_forget(virt_host_name(rq->host), rq->t->domain);
	if (cmd_opt_set(rq->call, "--disk")) {
		char *disk = request_disk_path_new(rq);

		if (unlink(disk) < 0 && errno != ENOENT) {
			log_msg(LOG_ERR, "%s: %s", disk, g_strerror(errno));
			reply_fail(rq, _("undefined %s, but cannot delete its "
			    "disk: %s"), rq->t->vm, g_strerror(errno));
			g_free(disk);
			return -1;
		}
		g_free(disk);
		return reply_ok(rq, _("undefined %s and deleted its disk"),
		    rq->t->vm);
	}
	return reply_ok(rq, _("undefined %s"), rq->t->vm);
}

const struct ops_handler ops_define_handlers[] = {
	{ .cmd = "define", .run = do_define, .prepare = prepare_disk,
	    .place = place_define },
	{ .cmd = "undefine", .run = do_undefine },
	{ .cmd = NULL },
};

/* Moving VMs between hosts (see move.h).
 *
 * A live migration is libvirt's managed one: virDomainMigrate3 with the
 * destination's connection, run in a thread of its own while the
 * request's thread reads the job's progress every half second, and
 * aborts the job (virDomainAbortJob) if the client hangs up or the
 * config's time is up.  libvirt resumes the guest on the source when a
 * migration fails.  The persistent definition goes along
 * (VIR_MIGRATE_PERSIST_DEST, VIR_MIGRATE_UNDEFINE_SOURCE).  libvirt
 * allows a migration only where it can tell the disks are on shared
 * storage (NFS, GFS2, OCFS2, CephFS ...) or not cached by the host;
 * [migration] shared_pool = trust tells it the pool is shared whatever
 * its filesystem, with VIR_MIGRATE_UNSAFE: for a pool libvirt cannot
 * recognise, that --check has seen at the same path on every host.
 *
 * Snapshots are records of libvirt's on each host, over internal
 * snapshots inside the disk, which does not move: their records are
 * carried over (REDEFINE), and QEMU's migration would refuse a domain
 * that has some, so a live move takes them off the source first and
 * puts them back there if it fails. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <libvirt/virterror.h>

#include "domtab.h"
#include "i18n.h"
#include "keep.h"
#include "log.h"
#include "move.h"
#include "virt.h"

#define PROGRESS_MS 500

/* A domain's snapshot records, parents before children, and which one is
 * current. */
struct snaps {
	GPtrArray *xml;
	char *current;
};

static void
snaps_clear(struct snaps *s)
{
	if (s->xml != NULL)
		g_ptr_array_free(s->xml, TRUE);
	g_free(s->current);
	memset(s, 0, sizeof(*s));
}

static int
snaps_take(virDomainPtr dom, struct snaps *s)
{
	virDomainSnapshotPtr *list = NULL, cur;
	int n, i;

	s->xml = g_ptr_array_new_with_free_func(free);
	s->current = NULL;
	n = virDomainListAllSnapshots(dom, &list,
	    VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
	if (n < 0) {
		/* A driver without snapshots has none to carry. */
		if (virGetLastErrorCode() == VIR_ERR_NO_SUPPORT)
			return 0;
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *x = virDomainSnapshotGetXMLDesc(list[i],
		    VIR_DOMAIN_SNAPSHOT_XML_SECURE);

		if (x != NULL)
			g_ptr_array_add(s->xml, x);
		else
			n = -1;
		virDomainSnapshotFree(list[i]);
		if (n < 0)
			break;
	}
	free(list);
	if (n < 0)
		return -1;
	if ((cur = virDomainSnapshotCurrent(dom, 0)) != NULL) {
		s->current = g_strdup(virDomainSnapshotGetName(cur));
		virDomainSnapshotFree(cur);
	}
	return 0;
}

/* The records of s defined on dom (which has none yet). */
static int
snaps_put(virDomainPtr dom, const struct snaps *s)
{
	guint i;

	for (i = 0; s->xml != NULL && i < s->xml->len; i++) {
		virDomainSnapshotPtr sn = virDomainSnapshotCreateXML(dom,
		    s->xml->pdata[i], VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE);

		if (sn == NULL)
			return -1;
		virDomainSnapshotFree(sn);
	}
	if (s->current != NULL) {
		virDomainSnapshotPtr sn = virDomainSnapshotLookupByName(dom,
		    s->current, 0);

		if (sn != NULL) {
			char *x = virDomainSnapshotGetXMLDesc(sn,
			    VIR_DOMAIN_SNAPSHOT_XML_SECURE);
			virDomainSnapshotPtr c = x == NULL ? NULL :
			    virDomainSnapshotCreateXML(dom, x,
			    VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE |
			    VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT);

			if (c != NULL)
				virDomainSnapshotFree(c);
			free(x);
			virDomainSnapshotFree(sn);
		}
	}
	return 0;
}

/* dom's snapshot records removed, the snapshots themselves (in the disk)
 * left as they are: children before parents. */
static int
snaps_unrecord(virDomainPtr dom)
{
	virDomainSnapshotPtr *list = NULL;
	int n, i, r = 0;

	n = virDomainListAllSnapshots(dom, &list,
	    VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
	if (n < 0)
		return virGetLastErrorCode() == VIR_ERR_NO_SUPPORT ? 0 : -1;
	for (i = n - 1; i >= 0; i--) {
		if (r == 0 && virDomainSnapshotDelete(list[i],
		    VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY) < 0)
			r = -1;
		virDomainSnapshotFree(list[i]);
	}
	free(list);
	return r;
}

/* Undefines dom, its snapshot records with it, never its disk; the flags
 * a driver does not know are left off. */
static int
undefine_only(virDomainPtr dom)
{
	static const unsigned tries[] = {
		VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
		    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
		    VIR_DOMAIN_UNDEFINE_KEEP_NVRAM,
		VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
		    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
		0,
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(tries); i++) {
		int code;

		if ((tries[i] ? virDomainUndefineFlags(dom, tries[i]) :
		    virDomainUndefine(dom)) == 0)
			return 0;
		code = virGetLastErrorCode();
		if (code != VIR_ERR_NO_SUPPORT && code != VIR_ERR_INVALID_ARG)
			return -1;
	}
	return -1;
}

/* libvirt's last error as one line (caller frees). */
static char *
cause_new(void)
{
	char *s = g_strdup(virt_error());

	g_strdelimit(s, "\r\n\t", ' ');
	return s;
}

static void
kept_moved(int src, int dst, const char *domain, virDomainPtr ddom)
{
	keep_domain(virt_host_name(dst), ddom);
	keep_forget(virt_host_name(src), domain);
}

static int
move_offline(int src, virDomainPtr dom, int dst, virConnectPtr dconn,
    char **err, char **cause)
{
	const char *name = virDomainGetName(dom);
	char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE |
	    VIR_DOMAIN_XML_SECURE);
	struct snaps s = { 0 };
	virDomainPtr ddom = NULL;
	const char *step = NULL;

	if (xml == NULL)
		step = _("cannot read its definition");
	else if (snaps_take(dom, &s) < 0)
		step = _("cannot read its snapshots");
	else if ((ddom = virDomainDefineXML(dconn, xml)) == NULL)
		step = _("the new host refuses its definition");
	else if (snaps_put(ddom, &s) < 0)
		step = _("the new host refuses its snapshots");
	else if (virDomainIsActive(dom) == 1)
		step = _("it was started meanwhile");
	else if (undefine_only(dom) < 0)
		step = _("cannot remove it from the old host");
	if (step != NULL) {
		*cause = cause_new();
		*err = g_strdup_printf("%s: %s", step, *cause);
		/* Nothing is left half-made: the copy goes again. */
		if (ddom != NULL && undefine_only(ddom) < 0)
			log_msg(LOG_ERR, "host %s: %s is defined there and on "
			    "host %s: cannot undo the copy: %s",
			    virt_host_name(dst), name, virt_host_name(src),
			    virt_error());
	} else
		kept_moved(src, dst, name, ddom);
	if (ddom != NULL)
		virDomainFree(ddom);
	snaps_clear(&s);
	free(xml);
	return step != NULL ? -1 : 0;
}

/* The migration call, in a thread of its own. */
struct mig {
	virDomainPtr dom;
	virConnectPtr dconn;
	virTypedParameterPtr params;
	int nparams;
	unsigned flags;
	virDomainPtr out;	/* the domain on the new host */
	char *error;
	int done_fd;		/* written once the call has returned */
};

static void *
mig_thread(void *arg)
{
	struct mig *m = arg;

	m->out = virDomainMigrate3(m->dom, m->dconn, m->params, m->nparams,
	    m->flags);
	if (m->out == NULL)
		m->error = cause_new();
	(void)!write(m->done_fd, "", 1);
	return NULL;
}

/* Waits for the migration, reporting its progress, aborting it on a
 * hang-up or when its time is up: why it was aborted (static), or NULL. */
static const char *
mig_watch(const struct config *cfg, struct mig *m, int done_r,
    const struct move_ctl *ctl)
{
	gint64 end = g_get_monotonic_time() +
	    (gint64)cfg->migrate_timeout * G_USEC_PER_SEC;
	const char *why = NULL;
	int last = -1;

	for (;;) {
		struct pollfd p[2] = { { done_r, POLLIN, 0 },
		    { ctl->cancel_fd, POLLRDHUP, 0 } };
		virDomainJobInfo job;

		if (poll(p, 2, PROGRESS_MS) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (why == NULL && (p[1].revents & (POLLRDHUP | POLLHUP |
		    POLLERR)))
			why = _("cancelled");
		else if (why == NULL && g_get_monotonic_time() >= end)
			why = _("it took too long");
		if (why != NULL) {
			if (virDomainAbortJob(m->dom) < 0)
				log_msg(LOG_WARNING, "cannot abort the "
				    "migration of %s: %s",
				    virDomainGetName(m->dom), virt_error());
			/* The call returns once libvirt has undone it. */
			(void)poll(p, 1, -1);
			break;
		}
		if (ctl->progress != NULL &&
		    virDomainGetJobInfo(m->dom, &job) == 0 &&
		    job.type != VIR_DOMAIN_JOB_NONE && job.dataTotal > 0) {
			int pc = (int)MIN(99, job.dataProcessed * 100 /
			    job.dataTotal);

			if (pc != last)
				ctl->progress(ctl->arg, pc);
			last = pc;
		}
	}
	return why;
}

static int
move_live(const struct config *cfg, int src, virDomainPtr dom, int dst,
    virConnectPtr dconn, const struct move_ctl *ctl, char **err,
    char **cause)
{
	const char *name = virDomainGetName(dom), *why;
	const char *addr = cfg->hosts[dst].migration;
	struct mig m = { .dom = dom, .dconn = dconn };
	struct snaps s = { 0 };
	int maxp = 0, fds[2];
	GThread *t;
	char *uri = NULL;

	m.flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST |
	    VIR_MIGRATE_UNDEFINE_SOURCE;
	if (cfg->trust_pool)
		m.flags |= VIR_MIGRATE_UNSAFE;
	if (addr != NULL) {
		/* An IPv6 address goes in brackets. */
		uri = g_strdup_printf(strchr(addr, ':') ? "tcp://[%s]" :
		    "tcp://%s", addr);
		virTypedParamsAddString(&m.params, &m.nparams, &maxp,
		    VIR_MIGRATE_PARAM_URI, uri);
	}
	if (snaps_take(dom, &s) < 0 || snaps_unrecord(dom) < 0) {
		*cause = cause_new();
		*err = g_strdup_printf(_("cannot set its snapshots aside: %s"),
		    *cause);
		snaps_put(dom, &s);
		goto out;
	}
	if (!g_unix_open_pipe(fds, FD_CLOEXEC, NULL)) {
		*cause = NULL;
		*err = g_strdup(g_strerror(errno));
		snaps_put(dom, &s);
		goto out;
	}
	m.done_fd = fds[1];
	t = g_thread_new("migrate", mig_thread, &m);
	why = mig_watch(cfg, &m, fds[0], ctl);
	g_thread_join(t);
	close(fds[0]);
	close(fds[1]);
	if (m.out == NULL) {
		*cause = m.error;
		m.error = NULL;
		if (why != NULL)
			*err = g_strdup(why);
		else
			*err = g_strdup(*cause != NULL ? *cause : "");
		/* The records go back where the guest still is. */
		if (snaps_put(dom, &s) < 0)
			log_msg(LOG_ERR, "host %s: cannot restore the snapshot "
			    "records of %s: %s", virt_host_name(src), name,
			    virt_error());
		goto out;
	}
	if (snaps_put(m.out, &s) < 0)
		log_msg(LOG_ERR, "host %s: cannot carry the snapshot records "
		    "of %s over: %s", virt_host_name(dst), name, virt_error());
	kept_moved(src, dst, name, m.out);
	virDomainFree(m.out);
out:
	g_free(m.error);
	g_free(uri);
	virTypedParamsFree(m.params, m.nparams);
	snaps_clear(&s);
	return m.out != NULL ? 0 : -1;
}

int
move_vm(const struct config *cfg, int src, virDomainPtr dom, int dst,
    virConnectPtr dconn, const struct move_ctl *ctl, bool *live,
    char **err, char **cause)
{
	int active = virDomainIsActive(dom);

	*err = *cause = NULL;
	if (active < 0) {
		*cause = cause_new();
		*err = g_strdup_printf(_("cannot read its state: %s"), *cause);
		return -1;
	}
	*live = active == 1;
	if (*live && ctl == NULL) {
		*err = g_strdup(_("it is running"));
		return -1;
	}
	if (*live)
		return move_live(cfg, src, dom, dst, dconn, ctl, err, cause);
	return move_offline(src, dom, dst, dconn, err, cause);
}

int
move_from_kept(int src, const char *domain, int dst, virConnectPtr dconn,
    char **err, char **cause)
{
	char *xml = keep_load_new(virt_host_name(src), domain);
	virDomainPtr ddom;

	*err = *cause = NULL;
	if (xml == NULL) {
		*err = g_strdup_printf(_("the broker has kept no definition "
		    "of it from host %s"), virt_host_name(src));
		return -1;
	}
	ddom = virDomainDefineXML(dconn, xml);
	g_free(xml);
	if (ddom == NULL) {
		*cause = cause_new();
		*err = g_strdup_printf(_("the new host refuses its definition: "
		    "%s"), *cause);
		return -1;
	}
	keep_mark_moved(virt_host_name(src), domain);
	kept_moved(src, dst, domain, ddom);
	virDomainFree(ddom);
	return 0;
}

/* A definition marked as moved away from host: gone from it now if it is
 * shut off there. */
static void
remove_moved(int host, virConnectPtr conn, const char *domain)
{
	const char *hn = virt_host_name(host);
	virDomainPtr dom = virDomainLookupByName(conn, domain);
	int active;

	if (dom == NULL) {
		if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
			keep_unmark_moved(hn, domain);
		return;
	}
	if ((active = virDomainIsActive(dom)) < 0)
		log_msg(LOG_WARNING, "host %s: cannot read the state of %s: %s",
		    hn, domain, virt_error());
	else if (active)
		log_msg(LOG_ERR, "host %s: %s runs there, but it was defined "
		    "on another host while this one was unreachable: the same "
		    "disk may be in use twice; stop one (ie-vmd --check lists "
		    "both)", hn, domain);
	else if (undefine_only(dom) < 0)
		log_msg(LOG_ERR, "host %s: cannot remove %s, which was defined "
		    "elsewhere meanwhile: %s", hn, domain, virt_error());
	else {
		log_msg(LOG_NOTICE, "host %s: removed %s, which was defined "
		    "elsewhere while this host was unreachable", hn, domain);
		keep_unmark_moved(hn, domain);
		domtab_refresh(host, conn, domain);
	}
	virDomainFree(dom);
}

void
move_host_back(int host)
{
	const char *hn = virt_host_name(host);
	char **moved = keep_moved_list_new(hn), **names, *err = NULL;
	virConnectPtr conn = virt_get(host, false, &err);
	guint i;

	if (conn == NULL) {
		log_msg(LOG_WARNING, "host %s: %s", hn, err);
		g_free(err);
		g_strfreev(moved);
		return;
	}
	for (i = 0; moved[i] != NULL; i++)
		remove_moved(host, conn, moved[i]);
	g_strfreev(moved);
	/* The definitions of VMs the broker had not kept yet (defined
	 * before it kept them, or by hand with the owner's record). */
	names = domtab_owned_names_new(host);
	for (i = 0; names[i] != NULL; i++) {
		virDomainPtr dom;

		if (keep_has(hn, names[i]))
			continue;
		if ((dom = virDomainLookupByName(conn, names[i])) != NULL) {
			keep_domain(hn, dom);
			virDomainFree(dom);
		}
	}
	g_strfreev(names);
	g_free(err);
	virt_put(conn);
}

/* Moving VMs between hosts: an admin's migrate, drain, undrain and
 * recover, and the start that finds a host with room.  Every move of a VM
 * happens under its owner's lock, the lock its owner's start, define and
 * quota checks take: no quota is passed and no VM is started while it is
 * on its way. */
#include "config.h"

#include <poll.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "domtab.h"
#include "hosts.h"
#include "i18n.h"
#include "keep.h"
#include "log.h"
#include "move.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "users.h"
#include "virt.h"

/* Progress frames to the shell: the word, and the percent. */
struct progress {
	struct request *rq;
	const char *what;
};

static void
send_progress(void *arg, int percent)
{
	struct progress *p = arg;
	struct proto_msg *m = proto_msg_new(PROTO_PROGRESS, 0, 1);

	proto_msg_add(m, p->what);
	proto_msg_addf(m, "%d", percent);
	(void)proto_send(p->rq->c->fd, m);
	proto_msg_free(m);
}

/* Refuses a VM defined on two hosts: one line, 0 if it is on one. */
static int
refuse_twice(struct request *rq, const char *domain, const char *vm)
{
	int h[2];

	if (domtab_hosts_of(domain, h, 2) < 2)
		return 0;
	return reply_fail(rq, _("%s is defined on two hosts (%s and %s): it "
	    "is not started or moved, so that its disk is never used by two "
	    "VMs at once; tell the admin (ie-vmd --check names both)"), vm,
	    virt_host_name(h[0]), virt_host_name(h[1]));
}

static bool
several(struct request *rq)
{
	if (rq->c->srv->cfg->several)
		return true;
	reply_fail(rq, _("there is one host: VMs move between the hosts of "
	    "[hosts] in the config"));
	return false;
}

/* The host named by the command's argument, or -1 answered. */
static int
host_arg(struct request *rq, const char *name)
{
	int h = hosts_find(rq->c->srv->cfg, name);

	if (h < 0)
		reply_usage(rq, _("no host named '%s'; 'hosts' lists them"),
		    name);
	return h;
}

int
start_relocate(struct request *rq)
{
	const struct config *cfg = rq->c->srv->cfg;
	const char *vm = rq->t->vm, *dom_name = rq->t->domain, *why;
	int src = rq->host, dst;
	struct usage add = { .v[Q_RUNNING] = 1 };
	unsigned long long mib;
	struct domrow row;
	virConnectPtr dconn, sconn;
	virDomainPtr dom;
	char *err = NULL, *cause = NULL;
	bool live;
	int r;

	if (!cfg->several || dom_name == NULL)
		return src;
	if (refuse_twice(rq, dom_name, vm) < 0)
		return -1;
	/* What the table does not know, or knows as running, start itself
	 * answers (a host that cannot be asked, at once). */
	if (!domtab_row_of(src, dom_name, &row))
		return src;
	r = domtab_active(&row) || (!row.unreachable && !row.owned);
	mib = row.mem_kib / 1024;
	add.v[Q_VCPUS] = row.vcpus;
	add.v[Q_MEMORY] = (long long)mib;
	domtab_row_clear(&row);
	if (r || hosts_fits(cfg, src, add.v[Q_VCPUS], mib, &why))
		return src;
	/* Not moved for a start the quota refuses anyway. */
	if (request_quota_check(rq, &add, _("stop a VM first")) < 0)
		return -1;
	if ((dst = hosts_place_except(cfg, add.v[Q_VCPUS], mib, src,
	    &err)) < 0) {
		log_msg(LOG_WARNING, "cannot start %s elsewhere: %s", dom_name,
		    err != NULL ? err : "");
		g_free(err);
		return reply_fail(rq, _("cannot start %s: its host %s: %s, and "
		    "no other host has room for it now (%lld vCPUs, %llu MiB); "
		    "try again later or ask an admin"), vm, virt_host_name(src),
		    why, add.v[Q_VCPUS], mib);
	}
	if ((dconn = virt_get(dst, false, &err)) == NULL)
		return reply_host_down(rq, dst, err);
	rq->mutated = 1;
	if (virt_host_state(src, NULL) != VIRT_UP) {
		r = move_from_kept(src, dom_name, dst, dconn, &err, &cause);
		if (r == 0)
			domtab_forget(src, dom_name);
	} else if ((sconn = virt_get(src, false, &err)) == NULL) {
		r = -1;
	} else {
		if ((dom = lookup_owned(rq, sconn)) == NULL) {
			virt_put(sconn);
			virt_put(dconn);
			return -1;
		}
		/* Started behind the table's back: start says so. */
		if (virDomainIsActive(dom) == 1) {
			virDomainFree(dom);
			virt_put(sconn);
			virt_put(dconn);
			return src;
		}
		r = move_vm(cfg, src, dom, dst, dconn, NULL, &live, &err,
		    &cause);
		virDomainFree(dom);
		domtab_refresh(src, sconn, dom_name);
		virt_put(sconn);
	}
	if (r == 0)
		domtab_refresh(dst, dconn, dom_name);
	virt_put(dconn);
	if (r < 0) {
		reply_fail(rq, _("cannot start %s: its host %s: %s, and moving "
		    "it to %s failed; ask an admin"), vm, virt_host_name(src),
		    why, virt_host_name(dst));
		log_msg(LOG_ERR, "moving %s from %s to %s: %s", dom_name,
		    virt_host_name(src), virt_host_name(dst),
		    err != NULL ? err : "");
		g_free(rq->cause);
		rq->cause = cause;
		g_free(err);
		return -1;
	}
	g_free(cause);
	g_free(err);
	rq->moved = g_strdup_printf(_("moved from %s: %s"),
	    virt_host_name(src), why);
	return dst;
}

/* "user/vm" of a domain of the broker's (caller frees). */
static char *
owner_vm_new(uid_t uid, const char *vm)
{
	char *user = NULL;
	gid_t gid;
	char *s;

	if (policy_user_by_uid(uid, &user, &gid) != 0)
		user = g_strdup_printf("%u", (unsigned)uid);
	s = g_strdup_printf("%s/%s", user, vm);
	g_free(user);
	return s;
}

/* How a move ended, for an admin's answer. */
enum moved { MOVED_LIVE, MOVED_OFF, MOVE_FAILED, MOVE_SKIPPED };

/* Moves the VM domain (of uid) from host src to the host placement
 * chooses among the others, under its owner's lock; *line says what
 * happened (caller frees). */
static enum moved
move_one(struct request *rq, int src, const char *domain, uid_t uid,
    const char *vm, char **line)
{
	const struct config *cfg = rq->c->srv->cfg;
	char *who = owner_vm_new(uid, vm), *err = NULL, *cause = NULL;
	struct progress p = { rq, vm };
	struct move_ctl ctl = { rq->c->fd, send_progress, &p };
	virConnectPtr sconn = NULL, dconn = NULL;
	virDomainPtr dom = NULL;
	virDomainInfo info;
	GMutex *m = users_lock(uid);
	enum moved how = MOVE_FAILED;
	gint64 t0 = g_get_monotonic_time();
	uid_t owner;
	bool live = false;
	int dst = -1, h[2];

	g_mutex_lock(m);
	if (domtab_hosts_of(domain, h, 2) > 1) {
		err = g_strdup(_("it is defined on two hosts; not moved"));
		goto out;
	}
	if ((sconn = virt_get(src, false, &err)) == NULL)
		goto out;
	if ((dom = virDomainLookupByName(sconn, domain)) == NULL ||
	    domain_owner(dom, &owner) != 0 || owner != uid) {
		how = MOVE_SKIPPED;
		err = g_strdup(_("no longer there"));
		goto out;
	}
	if (virDomainGetInfo(dom, &info) < 0) {
		err = g_strdup(virt_error());
		goto out;
	}
	/* A shut-off VM needs a host that takes VMs, not room there. */
	if (info.state == VIR_DOMAIN_SHUTOFF)
		dst = hosts_place_except(cfg, 0, 0, src, &err);
	else
		dst = hosts_place_except(cfg, info.nrVirtCpu,
		    info.maxMem / 1024, src, &err);
	if (dst < 0) {
		log_msg(LOG_WARNING, "cannot place %s: %s", domain,
		    err != NULL ? err : "");
		g_free(err);
		err = g_strdup(_("no other host has room for it"));
		goto out;
	}
	if ((dconn = virt_get(dst, false, &err)) == NULL)
		goto out;
	if (move_vm(cfg, src, dom, dst, dconn, &ctl, &live, &err,
	    &cause) == 0)
		how = live ? MOVED_LIVE : MOVED_OFF;
	domtab_refresh(src, sconn, domain);
	domtab_refresh(dst, dconn, domain);
out:
	g_mutex_unlock(m);
	if (how == MOVED_LIVE)
		*line = g_strdup_printf(_("%s: migrated live to %s (%.1f s)"),
		    who, virt_host_name(dst),
		    (g_get_monotonic_time() - t0) / 1e6);
	else if (how == MOVED_OFF)
		*line = g_strdup_printf(_("%s: moved, shut off, to %s"), who,
		    virt_host_name(dst));
	else
		*line = g_strdup_printf(how == MOVE_SKIPPED ? _("%s: %s") :
		    _("%s: not moved: %s"), who, err != NULL ? err : "");
	if (cause != NULL)
		log_msg(LOG_ERR, "moving %s from %s: %s", domain,
		    virt_host_name(src), cause);
	g_free(cause);
	g_free(err);
	g_free(who);
	if (dom != NULL)
		virDomainFree(dom);
	if (sconn != NULL)
		virt_put(sconn);
	if (dconn != NULL)
		virt_put(dconn);
	return how;
}

static int
do_migrate(struct request *rq, virConnectPtr conn)
{
	const struct config *cfg = rq->c->srv->cfg;
	const char *domain = rq->t->domain, *why;
	char *who, *err = NULL, *cause = NULL;
	struct progress p = { rq, _("migrating") };
	struct move_ctl ctl = { rq->c->fd, send_progress, &p };
	virConnectPtr dconn;
	virDomainPtr dom;
	virDomainInfo info;
	gint64 t0;
	bool live;
	int src = rq->host, dst, r;

	if (!several(rq) || (dst = host_arg(rq, rq->call->pos[1])) < 0)
		return -1;
	who = g_strdup_printf("%s/%s", rq->t->user, rq->t->vm);
	if (refuse_twice(rq, domain, who) < 0 ||
	    (dom = lookup_owned(rq, conn)) == NULL)
		goto fail;
	if (dst == src) {
		reply_fail(rq, _("%s is on %s already"), who,
		    virt_host_name(dst));
		virDomainFree(dom);
		goto fail;
	}
	if (virDomainGetInfo(dom, &info) < 0) {
		reply_fail_virt(rq, conn, _("cannot read the VM's size"));
		virDomainFree(dom);
		goto fail;
	}
	live = info.state != VIR_DOMAIN_SHUTOFF;
	if (!hosts_fits(cfg, dst, live ? info.nrVirtCpu : 0,
	    live ? info.maxMem / 1024 : 0, &why)) {
		reply_fail(rq, _("cannot migrate %s to %s: %s"), who,
		    virt_host_name(dst), why);
		virDomainFree(dom);
		goto fail;
	}
	if ((dconn = virt_get(dst, false, &err)) == NULL) {
		virDomainFree(dom);
		reply_host_down(rq, dst, err);
		goto fail;
	}
	rq->mutated = 1;
	t0 = g_get_monotonic_time();
	r = move_vm(cfg, src, dom, dst, dconn, &ctl, &live, &err, &cause);
	virDomainFree(dom);
	if (r == 0)
		domtab_refresh(dst, dconn, domain);
	virt_put(dconn);
	if (r < 0) {
		reply_fail(rq, _("cannot migrate %s to %s: %s; it is on %s as "
		    "before"), who, virt_host_name(dst), err,
		    virt_host_name(src));
		g_free(rq->cause);
		rq->cause = cause;
		g_free(err);
		goto fail;
	}
	g_free(cause);
	if (live)
		reply_ok(rq, _("migrated %s live from %s to %s in %.1f s"), who,
		    virt_host_name(src), virt_host_name(dst),
		    (g_get_monotonic_time() - t0) / 1e6);
	else
		reply_ok(rq, _("moved %s (shut off) from %s to %s"), who,
		    virt_host_name(src), virt_host_name(dst));
	g_free(who);
	return 0;
fail:
	g_free(who);
	return -1;
}

/* Whether the admin's session has ended (drain stops then: the guests
 * not moved yet stay where they are). */
static bool
client_gone(struct request *rq)
{
	struct pollfd p = { rq->c->fd, POLLRDHUP, 0 };

	return poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* What drain or recover does to one VM of host: how it went, and a line
 * for the answer. */
typedef enum moved (*vm_fn)(struct request *rq, int host, const char *domain,
    uid_t uid, const char *vm, char **line);

/* fn on each VM of names (the domains of the broker's on host), until the
 * admin's session ends: a line a VM, and in n how many had each outcome
 * (by enum moved). */
static GPtrArray *
each_vm(struct request *rq, int host, char **names, vm_fn fn,
    const char *what, int n[4])
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	int i;

	for (i = 0; names[i] != NULL; i++) {
		char vm[VM_NAME_MAX + 1], *line = NULL;
		uid_t uid;

		if (domain_name_parse(names[i], &uid, vm) != 0)
			continue;
		if (client_gone(rq)) {
			log_msg(LOG_NOTICE, "%s %s stopped: the session ended",
			    what, virt_host_name(host));
			break;
		}
		n[fn(rq, host, names[i], uid, vm, &line)]++;
		g_ptr_array_add(lines, line);
	}
	return lines;
}

/* The answer of drain and recover: summary (taken), then lines (freed);
 * failed if a VM could not be moved. */
static int
reply_summary(struct request *rq, char *summary, GPtrArray *lines,
    const int n[4])
{
	guint k;

	reply_ok(rq, "%s", summary);
	for (k = 0; k < lines->len; k++)
		reply_ok(rq, "  %s", (char *)lines->pdata[k]);
	g_ptr_array_free(lines, TRUE);
	g_free(summary);
	if (n[MOVE_FAILED])
		rq->resp->status = ST_FAILED;
	return n[MOVE_FAILED] ? -1 : 0;
}

/* host marked drained (also across restarts): 0, or -1 answered. */
static int
mark_drained(struct request *rq, int host)
{
	char *err = NULL;

	if (hosts_set_drained(rq->c->srv->cfg, host, true, &err) == 0)
		return 0;
	reply_fail(rq, _("cannot record that %s is drained: %s"),
	    virt_host_name(host), err);
	g_free(err);
	return -1;
}

static int
do_drain(struct request *rq, virConnectPtr unused)
{
	GPtrArray *lines;
	char **names;
	int host, n[4] = { 0 };

	(void)unused;
	if (!several(rq) || (host = host_arg(rq, rq->call->pos[0])) < 0 ||
	    mark_drained(rq, host) < 0)
		return -1;
	if (virt_host_state(host, NULL) != VIRT_UP)
		return reply_ok(rq, _("%s takes no new VMs; it is unreachable, "
		    "so its VMs stay there ('recover %s' if it is lost for "
		    "good)"), virt_host_name(host), virt_host_name(host));
	names = domtab_owned_names_new(host);
	lines = each_vm(rq, host, names, move_one, "drain", n);
	g_strfreev(names);
	return reply_summary(rq, g_strdup_printf(_("drained %s: %d migrated "
	    "live, %d moved shut off, %d not moved; it takes no new VMs until "
	    "'undrain %s'"), virt_host_name(host), n[MOVED_LIVE],
	    n[MOVED_OFF], n[MOVE_FAILED], virt_host_name(host)), lines, n);
}

static int
do_undrain(struct request *rq, virConnectPtr unused)
{
	char *err = NULL;
	int host;

	(void)unused;
	if (!several(rq) || (host = host_arg(rq, rq->call->pos[0])) < 0)
		return -1;
	if (!hosts_drained(host))
		return reply_ok(rq, _("%s is not drained"),
		    virt_host_name(host));
	if (hosts_set_drained(rq->c->srv->cfg, host, false, &err) < 0) {
		reply_fail(rq, _("cannot record that %s is no longer drained: "
		    "%s"), virt_host_name(host), err);
		g_free(err);
		return -1;
	}
	return reply_ok(rq, _("%s takes new VMs again"), virt_host_name(host));
}

/* The VMs recover brings back: those the table last saw on host, and
 * those whose definition the broker kept from it. */
static char **
recover_names_new(int host)
{
	char **seen = domtab_owned_names_new(host);
	char **kept = keep_list_new(virt_host_name(host));
	GPtrArray *a = g_ptr_array_new();
	int i;

	for (i = 0; seen[i] != NULL; i++)
		g_ptr_array_add(a, g_strdup(seen[i]));
	for (i = 0; kept[i] != NULL; i++)
		if (!g_strv_contains((const char *const *)seen, kept[i]))
			g_ptr_array_add(a, g_strdup(kept[i]));
	g_ptr_array_add(a, NULL);
	g_strfreev(seen);
	g_strfreev(kept);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* One VM of a lost host defined on another, shut off. */
static enum moved
recover_one(struct request *rq, int host, const char *domain, uid_t uid,
    const char *vm, char **line)
{
	const struct config *cfg = rq->c->srv->cfg;
	char *who = owner_vm_new(uid, vm), *err = NULL, *cause = NULL;
	GMutex *m = users_lock(uid);
	virConnectPtr dconn = NULL;
	enum moved how = MOVE_FAILED;
	struct domrow row;
	bool was_running = false;
	int dst = -1, h[2], n, k;

	g_mutex_lock(m);
	n = domtab_hosts_of(domain, h, 2);
	for (k = 0; k < n && k < 2; k++)
		if (h[k] != host) {
			/* Moved before (a start, an earlier recover): the
			 * lost host's copy is void, and goes if it returns. */
			how = MOVE_SKIPPED;
			err = g_strdup_printf(_("on %s already"),
			    virt_host_name(h[k]));
			if (domtab_row_of(host, domain, &row)) {
				domtab_row_clear(&row);
				keep_mark_moved(virt_host_name(host), domain);
				domtab_forget(host, domain);
			}
			keep_forget(virt_host_name(host), domain);
			goto out;
		}
	if (domtab_row_of(host, domain, &row)) {
		was_running = domtab_active(&row);
		domtab_row_clear(&row);
	}
	if ((dst = hosts_place_except(cfg, 0, 0, host, &err)) < 0) {
		g_free(err);
		err = g_strdup(_("no other host takes VMs now"));
		goto out;
	}
	if ((dconn = virt_get(dst, false, &err)) == NULL)
		goto out;
	if (move_from_kept(host, domain, dst, dconn, &err, &cause) == 0) {
		how = MOVED_OFF;
		domtab_forget(host, domain);
		domtab_refresh(dst, dconn, domain);
	}
out:
	g_mutex_unlock(m);
	if (how == MOVED_OFF)
		*line = g_strdup_printf(was_running ? _("%s: defined on %s, "
		    "shut off (it was running when %s was last seen: the lock "
		    "manager keeps it from starting while it still runs "
		    "there)") : _("%s: defined on %s, shut off"), who,
		    virt_host_name(dst), virt_host_name(host));
	else
		*line = g_strdup_printf(how == MOVE_SKIPPED ? _("%s: %s") :
		    _("%s: not recovered: %s"), who, err != NULL ? err : "");
	if (cause != NULL)
		log_msg(LOG_ERR, "recovering %s from %s: %s", domain,
		    virt_host_name(host), cause);
	g_free(cause);
	g_free(err);
	g_free(who);
	if (dconn != NULL)
		virt_put(dconn);
	return how;
}

static int
do_recover(struct request *rq, virConnectPtr unused)
{
	GPtrArray *lines;
	char **names;
	int host, n[4] = { 0 };

	(void)unused;
	if (!several(rq) || (host = host_arg(rq, rq->call->pos[0])) < 0)
		return -1;
	if (virt_host_state(host, NULL) == VIRT_UP)
		return reply_fail(rq, _("%s is reachable: 'drain %s' moves its "
		    "VMs, running ones live; recover is for a host lost for "
		    "good"), virt_host_name(host), virt_host_name(host));
	/* Back one day, it takes no new VM before an admin says so. */
	if (mark_drained(rq, host) < 0)
		return -1;
	names = recover_names_new(host);
	lines = each_vm(rq, host, names, recover_one, "recover", n);
	g_strfreev(names);
	return reply_summary(rq, g_strdup_printf(_("recovered %s: %d VMs "
	    "defined on other hosts, shut off; %d on another host already; %d "
	    "not recovered; when %s comes back its copies are removed, and it "
	    "takes no new VMs until 'undrain %s'"), virt_host_name(host),
	    n[MOVED_OFF], n[MOVE_SKIPPED], n[MOVE_FAILED],
	    virt_host_name(host), virt_host_name(host)), lines, n);
}

const struct ops_handler ops_migrate_handlers[] = {
	{ .cmd = "migrate", .run = do_migrate },
	{ .cmd = "drain", .run = do_drain },
	{ .cmd = "undrain", .run = do_undrain },
	{ .cmd = "recover", .run = do_recover },
	{ .cmd = NULL },
};

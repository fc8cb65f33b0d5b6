/* The broker's dispatch: a request is rate-limited, parsed against the
 * command table and decided by policy_check, then run by its handler (an
 * ops_*.c file's, bound by the command's name), under the user's lock if
 * it mutates, and audited.  Each handler checks the ownership recorded in
 * the domain itself before it touches one. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "conf.h"
#include "domtab.h"
#include "i18n.h"
#include "log.h"
#include "ops.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "storage.h"
#include "users.h"
#include "virt.h"

void
ops_shutdown(void)
{
	users_shutdown();
}

/* Each handler file's list (ops_priv.h). */
static const struct ops_handler *const handler_lists[] = {
	ops_list_handlers,
	ops_define_handlers,
	ops_power_handlers,
	ops_info_handlers,
	ops_snapshot_handlers,
	ops_images_handlers,
	ops_hosts_handlers,
	ops_migrate_handlers,
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

/* The first host not known to be down, for a request that names no VM
 * the table knows. */
static int
any_host(void)
{
	int i;

	for (i = 0; i < virt_nhosts(); i++)
		if (virt_host_state(i, NULL) != VIRT_DOWN)
			return i;
	return 0;
}

/* The host a request goes to: its VM's (by the table), or where the
 * handler places a new one; -1 with the answer made. */
static int
route(struct request *rq, const struct ops_handler *h)
{
	int host = rq->t->domain != NULL ? domtab_locate(rq->t->domain) : -1;

	if (host >= 0)
		return host;
	if (h->place != NULL)
		return h->place(rq);
	return any_host();
}

/* A connection to the request's host: a host known to be down (several
 * hosts) is answered at once, without a libvirt call. */
static virConnectPtr
host_conn(struct request *rq, bool readonly)
{
	const struct config *cfg = rq->c->srv->cfg;
	virConnectPtr conn;
	char *err = NULL;

	if (cfg->several && virt_host_state(rq->host, NULL) == VIRT_DOWN) {
		reply_host_down(rq, rq->host, NULL);
		return NULL;
	}
	if ((conn = virt_get(rq->host, readonly, &err)) != NULL)
		return conn;
	if (cfg->several)
		reply_host_down(rq, rq->host, err);
	else
		reply_unreachable(rq, err);
	return NULL;
}

/* Runs the handler, once more on a fresh connection if libvirtd went away
 * (restarted) during the first try. */
static void
run_handler(struct request *rq)
{
	const struct ops_handler *h = handler_of(rq->call->def);
	bool noconn = rq->call->def->flags & CMD_NOCONN;
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
	rq->host = -1;
	for (attempt = 0; attempt < 2; attempt++) {
		virConnectPtr conn = NULL;

		proto_msg_free(rq->resp);
		rq->resp = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
		rq->retry = rq->denied = rq->refreshed = 0;
		if (!noconn && rq->host < 0 && ((rq->host = route(rq, h)) < 0 ||
		    (h->relocate != NULL &&
		    (rq->host = h->relocate(rq)) < 0)))
			break;
		if (!noconn && (conn = host_conn(rq,
		    !(rq->call->def->flags & CMD_MUTATES))) == NULL)
			break;
		rq->mutated = 0;
		h->run(rq, conn);
		/* In the table before the user's lock is released: the next
		 * quota check counts it. */
		if (rq->mutated && !rq->refreshed && rq->t->domain != NULL)
			domtab_refresh(rq->host, conn, rq->t->domain);
		virt_put(conn);
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
	g_free(rq->note);
	rq->note = NULL;
	g_free(rq->moved);
	rq->moved = NULL;
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
	if (quota_for(cfg, c->user, c->gid, &q) < 0) {
		m->status = ST_FAILED;
		proto_msg_addf(m, _("cannot check your quota: %s"),
		    policy_directory_down());
		log_audit(c->uid, c->user, "(upload)", NULL, 0, "failed",
		    "group lookup failed", NULL);
		return m;
	}
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
	struct request rq = { .c = c, .call = &call, .t = &t, .upload_fd = -1,
	    .host = -1 };
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

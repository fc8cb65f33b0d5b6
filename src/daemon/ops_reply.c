/* The broker's answers: the lines of a response, a failure in one line
 * for the student, the JSON of --json, and the lookup of the target VM
 * that answers for itself. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domtab.h"
#include "i18n.h"
#include "log.h"
#include "ops_priv.h"
#include "policy.h"
#include "sanitize.h"
#include "server.h"
#include "storage.h"
#include "virt.h"
#include "virterr.h"

/* The response becomes the one message, with the status. */
static int
reply_vfail(struct request *rq, int status, const char *fmt, va_list ap)
{
	char *s = g_strdup_vprintf(fmt, ap);

	proto_msg_free(rq->resp);
	rq->resp = proto_msg_new(PROTO_RESPONSE, status, 1);
	proto_msg_add(rq->resp, s);
	g_free(s);
	return -1;
}

int
reply_ok(struct request *rq, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	proto_msg_add(rq->resp, s);
	g_free(s);
	return 0;
}

int
reply_fail(struct request *rq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vfail(rq, ST_FAILED, fmt, ap);
	va_end(ap);
	return -1;
}

int
reply_usage(struct request *rq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vfail(rq, ST_USAGE, fmt, ap);
	va_end(ap);
	return -1;
}

/* A libvirt call failed: report it in a line for the student (virterr.c)
 * and keep libvirt's own words for the audit log, or ask for a retry on a
 * fresh connection if this one died under us. */
int
reply_fail_virt(struct request *rq, virConnectPtr conn, const char *fmt,
    ...)
{
	struct virterr_about a = { rq->t->domain ? rq->t->vm : NULL,
	    rq->t->domain, NULL, false };
	int code = virGetLastErrorCode();
	char *msg = g_strdup(virt_error()), *what, *line;
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (virt_failed(conn))
		rq->retry = 1;
	if (rq->t->domain != NULL) {
		a.disk = request_disk_path_new(rq);
		a.disk_exists = stat(a.disk, &st) == 0;
	}
	line = virterr_line_new(what, code, msg, &a);
	reply_fail(rq, "%s", line);
	g_free(rq->cause);
	rq->cause = msg;
	g_free((char *)a.disk);
	g_free(line);
	g_free(what);
	return -1;
}

/* libvirt cannot be reached: the reason is the admin's (logged); the
 * student learns what to do.  Takes err. */
int
reply_unreachable(struct request *rq, char *err)
{
	log_msg(LOG_ERR, "%s", err);
	g_free(err);
	return reply_fail(rq, _("the VM service cannot reach libvirt; try "
	    "again in a minute, or tell the admin"));
}

int
reply_host_down(struct request *rq, int host, char *err)
{
	GDateTime *t;
	gint64 since;
	char *when;

	if (err != NULL)
		log_msg(LOG_ERR, "%s", err);
	g_free(err);
	if (virt_host_state(host, &since) != VIRT_DOWN)
		since = g_get_real_time() / G_USEC_PER_SEC;
	t = g_date_time_new_from_unix_local(since);
	when = g_date_time_format(t, "%H:%M:%S");
	g_date_time_unref(t);
	if (rq->t->domain != NULL)
		reply_fail(rq, _("%s: host %s is unreachable (since %s); try "
		    "again later or ask an admin"), rq->t->vm,
		    virt_host_name(host), when);
	else
		reply_fail(rq, _("host %s is unreachable (since %s); try "
		    "again later or ask an admin"), virt_host_name(host), when);
	g_free(when);
	return -1;
}

/* The answer to --json: the builder's document as the one string of the
 * response, in ASCII: what a guest agent or the passwd database says may
 * hold anything. */
int
reply_json(struct request *rq, JsonBuilder *b)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	char *s, *ascii;

	json_generator_set_root(g, root);
	json_generator_set_pretty(g, TRUE);
	s = json_generator_to_data(g, NULL);
	ascii = json_ascii_new(s);
	proto_msg_add(rq->resp, ascii);
	g_free(ascii);
	g_free(s);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
	return 0;
}

JsonBuilder *
json_list_new(const char *key)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	return b;
}

int
reply_json_list(struct request *rq, JsonBuilder *b)
{
	json_builder_end_array(b);
	json_builder_end_object(b);
	return reply_json(rq, b);
}

void
json_member_str(JsonBuilder *b, const char *key, const char *v)
{
	json_builder_set_member_name(b, key);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

/* A number, or null where it is not known (negative). */
void
json_member_int(JsonBuilder *b, const char *key, long long v)
{
	json_builder_set_member_name(b, key);
	if (v >= 0)
		json_builder_add_int_value(b, v);
	else
		json_builder_add_null_value(b);
}

bool
wants_json(const struct request *rq)
{
	return cmd_opt_set(rq->call, "--json");
}

/* English words, the same in a table and in --json; marked for the
 * shell, which translates them in its tables and banner. */
const char *
state_name(int state)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING: return N_("running");
	case VIR_DOMAIN_BLOCKED: return N_("blocked");
	case VIR_DOMAIN_PAUSED: return N_("paused");
	case VIR_DOMAIN_SHUTDOWN: return N_("shutting down");
	case VIR_DOMAIN_SHUTOFF: return N_("shut off");
	case VIR_DOMAIN_CRASHED: return N_("crashed");
	case VIR_DOMAIN_PMSUSPENDED: return N_("suspended");
	default: return N_("unknown");
	}
}

/* Looks up the target and checks the ownership record.  A domain that
 * exists but belongs to someone else is reported exactly like a missing
 * one: students must not learn what others have.  The record is the one
 * in the domain: as the table last read it from the domain of this UUID
 * on this host, while no event since may have changed it (a define, a
 * metadata change; a reconnection to the host distrusts all of its rows),
 * else read now.  libvirtd answers virDomainGetMetadata only after the
 * starts queued before it: a destroy at the end of a lab would wait
 * behind a class's starts. */
virDomainPtr
lookup_owned(struct request *rq, virConnectPtr conn)
{
	virDomainPtr dom = virDomainLookupByName(conn, rq->t->domain);
	char uuid[VIR_UUID_STRING_BUFLEN];
	uid_t owner;
	int r;

	if (dom == NULL) {
		virErrorPtr e = virGetLastError();

		if (e != NULL && e->code == VIR_ERR_NO_DOMAIN)
			reply_fail(rq, _("no such VM: %s"), rq->t->vm);
		else
			reply_fail_virt(rq, conn, _("cannot look up the VM"));
		return NULL;
	}
	r = virDomainGetUUIDString(dom, uuid) == 0 ? domtab_owner(rq->host,
	    uuid, rq->t->domain, &owner) : OWNER_ERROR;
	if (r == OWNER_ERROR && (r = domain_owner(dom, &owner)) ==
	    OWNER_ERROR) {
		reply_fail_virt(rq, conn, _("cannot read the VM's owner"));
		virDomainFree(dom);
		return NULL;
	}
	if (r < 0 || owner != rq->t->uid) {
		virDomainFree(dom);
		reply_fail(rq, _("no such VM: %s"), rq->t->vm);
		return NULL;
	}
	return dom;
}

char *
request_disk_path_new(const struct request *rq)
{
	return storage_disk_path_new(rq->c->srv->cfg, rq->t->uid, rq->t->vm);
}

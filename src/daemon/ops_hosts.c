/* hosts (admins): each hypervisor host, reachable or not, what its VMs
 * commit against what it offers, and whether new VMs go there; from the
 * table and the connection layer, without a libvirt call. */
#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hosts.h"
#include "ops_priv.h"
#include "server.h"

static const char *
state_of(const struct host_view *v, char *buf, size_t len)
{
	GDateTime *t;
	char *when;

	if (v->state == VIRT_UP)
		return "up";
	if (v->state == VIRT_UNKNOWN)
		return "connecting";
	t = g_date_time_new_from_unix_local(v->since);
	when = g_date_time_format(t, "%H:%M:%S");
	g_snprintf(buf, len, "unreachable since %s", when);
	g_free(when);
	g_date_time_unref(t);
	return buf;
}

static void
hosts_json(struct request *rq, const struct host_view *v, int n)
{
	JsonBuilder *b = json_list_new("hosts");
	int i;

	for (i = 0; i < n; i++) {
		json_builder_begin_object(b);
		json_member_str(b, "host", v[i].name);
		json_builder_set_member_name(b, "reachable");
		json_builder_add_boolean_value(b, v[i].state == VIRT_UP);
		json_member_int(b, "since", v[i].state == VIRT_UNKNOWN ? -1 :
		    v[i].since);
		json_builder_set_member_name(b, "schedulable");
		json_builder_add_boolean_value(b, v[i].schedulable);
		json_builder_set_member_name(b, "drained");
		json_builder_add_boolean_value(b, v[i].drained);
		json_member_int(b, "running", v[i].running);
		json_member_int(b, "defined", v[i].defined);
		json_member_int(b, "vcpus_used", v[i].vcpus_used);
		json_member_int(b, "vcpus", v[i].vcpus);
		json_member_int(b, "memory_used_mib", v[i].mem_used_mib);
		json_member_int(b, "memory_mib", v[i].mem_mib);
		json_builder_end_object(b);
	}
	reply_json_list(rq, b);
}

/* "used/offered", the offer "?" while it is not known; memory in GiB. */
static void
add_pair(struct request *rq, bool gib, long long used, long long offered)
{
	char off[32];

	if (offered < 0)
		g_strlcpy(off, "?", sizeof(off));
	else if (gib)
		g_snprintf(off, sizeof(off), "%.1f", offered / 1024.0);
	else
		g_snprintf(off, sizeof(off), "%lld", offered);
	if (gib)
		proto_msg_addf(rq->resp, "%.1f/%s GiB", used / 1024.0, off);
	else
		proto_msg_addf(rq->resp, "%lld/%s", used, off);
}

static void
hosts_table(struct request *rq, const struct host_view *v, int n)
{
	char buf[64];
	int i;

	rq->resp->ncols = 6;
	proto_msg_add(rq->resp, "host");
	proto_msg_add(rq->resp, "state");
	proto_msg_add(rq->resp, "sched");
	proto_msg_add(rq->resp, "running");
	proto_msg_add(rq->resp, "vcpus");
	proto_msg_add(rq->resp, "memory");
	for (i = 0; i < n; i++) {
		proto_msg_add(rq->resp, v[i].name);
		proto_msg_add(rq->resp, state_of(&v[i], buf, sizeof(buf)));
		proto_msg_add(rq->resp, v[i].drained ? "drained" :
		    v[i].schedulable ? "yes" : "no");
		proto_msg_addf(rq->resp, "%d", v[i].running);
		add_pair(rq, false, v[i].vcpus_used, v[i].vcpus);
		add_pair(rq, true, v[i].mem_used_mib, v[i].mem_mib);
	}
}

static int
do_hosts(struct request *rq, virConnectPtr conn)
{
	const struct config *cfg = rq->c->srv->cfg;
	char *err = NULL;
	struct host_view *v = hosts_view_new(cfg, &err);

	if (v == NULL)
		return reply_unreachable(rq, err);
	if (wants_json(rq))
		hosts_json(rq, v, cfg->nhosts);
	else
		hosts_table(rq, v, cfg->nhosts);
	g_free(v);
	return 0;
}

const struct ops_handler ops_hosts_handlers[] = {
	{ .cmd = "hosts", .run = do_hosts },
	{ .cmd = NULL },
};

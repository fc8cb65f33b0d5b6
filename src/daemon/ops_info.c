/* info, ip, dumpxml and console: what one VM is and shows, read from
 * libvirt and the pool; the console relay itself is console.c. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

#include "addrs.h"
#include "console.h"
#include "domtab.h"
#include "i18n.h"
#include "ops_priv.h"
#include "policy.h"
#include "sanitize.h"
#include "server.h"
#include "storage.h"
#include "template.h"
#include "virt.h"

static int
do_dumpxml(struct request *rq, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(rq, conn);
	char *xml;
	int r = -1;

	if (dom == NULL)
		return -1;
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL)
		reply_fail_virt(rq, conn, _("cannot read the VM's XML"));
	else
		r = reply_ok(rq, "%s", xml);
	free(xml);
	virDomainFree(dom);
	return r;
}

/* The hint when no address is known. */
static const char *
no_ip_hint(virDomainPtr dom)
{
	if (virDomainIsActive(dom) != 1)
		return _("no IP address: the VM is not running");
	return _("no IP address known yet; the VM may still be booting, "
	    "ask again in a minute");
}

static bool
addr_of(const struct addr *ad, const char *mac)
{
	return ad->mac != NULL && g_ascii_strcasecmp(ad->mac, mac) == 0;
}

/* Every MAC of the VM with its addresses, or with a hint; then addresses
 * of interfaces the XML does not name (a guest agent reports the guest's
 * own view). */
static void
ip_lines(struct request *rq, virDomainPtr dom, char **macs, GArray *a)
{
	guint i, j, n;

	for (i = 0; macs[i] != NULL; i++) {
		for (j = n = 0; j < a->len; j++) {
			struct addr *ad = &g_array_index(a, struct addr, j);

			if (addr_of(ad, macs[i]) && ++n)
				reply_ok(rq, "MAC %s  IP %s/%d  (%s)", macs[i],
				    ad->ip, ad->prefix, ad->source);
		}
		if (n == 0)
			reply_ok(rq, "MAC %s  %s", macs[i], no_ip_hint(dom));
	}
	for (j = 0; j < a->len; j++) {
		struct addr *ad = &g_array_index(a, struct addr, j);

		for (i = 0; macs[i] != NULL && !addr_of(ad, macs[i]); i++)
			;
		if (macs[i] == NULL)
			reply_ok(rq, "MAC %s  IP %s/%d  (%s)",
			    ad->mac ? ad->mac : "-", ad->ip, ad->prefix,
			    ad->source);
	}
}

static int
do_ip(struct request *rq, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(rq, conn);
	char *xml, **macs;
	GArray *a;

	if (dom == NULL)
		return -1;
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL) {
		virDomainFree(dom);
		return reply_fail_virt(rq, conn, _("cannot read the VM's XML"));
	}
	macs = domain_macs_new(xml);
	a = addrs_new(dom, ADDRS_ALL);
	domtab_set_ip(rq->host, rq->t->domain, addrs_main(a));
	ip_lines(rq, dom, macs, a);
	if (a->len == 0 && macs[0] == NULL)
		reply_ok(rq, "%s", _("the VM has no network interface"));
	addrs_free(a);
	g_strfreev(macs);
	free(xml);
	virDomainFree(dom);
	return 0;
}

/* What info shows of a VM. */
struct vm_info {
	const char *state;
	unsigned vcpus;
	long long memory_mib, uptime;
	int64_t disk_virtual, disk_used;
	int snapshots;
	char *template, **macs;
	GArray *addrs;
	GPtrArray *filters;	/* the nwfilters of its interfaces */
	GPtrArray *tcp_in;	/* the TCP ports they open to it */
	GPtrArray *tcp_out;	/* the TCP ports they let it reach (none: any
				 * its filter allows) */
};

/* Each string of strv added to a once. */
static void
add_new(GPtrArray *a, char **strv)
{
	for (; strv != NULL && *strv != NULL; strv++)
		if (!g_ptr_array_find_with_equal_func(a, *strv, g_str_equal,
		    NULL))
			g_ptr_array_add(a, g_strdup(*strv));
}

/* Its firewall, as its interfaces' <filterref>s ask libvirt for it. */
static void
vm_info_firewall(struct vm_info *v, const char *xml)
{
	GPtrArray *ifaces = domain_ifaces_new(xml);
	guint i;

	v->filters = g_ptr_array_new_with_free_func(g_free);
	v->tcp_in = g_ptr_array_new_with_free_func(g_free);
	v->tcp_out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; ifaces != NULL && i < ifaces->len; i++) {
		struct domain_iface *f = g_ptr_array_index(ifaces, i);
		char *one[] = { f->filter, NULL };

		add_new(v->filters, one);
		add_new(v->tcp_in, f->tcp_in);
		add_new(v->tcp_out, f->tcp_out);
	}
	if (ifaces != NULL)
		g_ptr_array_free(ifaces, TRUE);
}

static void
vm_info_clear(struct vm_info *v)
{
	if (v->filters != NULL) {
		g_ptr_array_free(v->filters, TRUE);
		g_ptr_array_free(v->tcp_in, TRUE);
		g_ptr_array_free(v->tcp_out, TRUE);
	}
	g_free(v->template);
	g_strfreev(v->macs);
	addrs_free(v->addrs);
}

static int
vm_info_read(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    struct vm_info *v)
{
	virDomainInfo di;
	uint32_t nsnap;
	char *md, *xml;

	if (virDomainGetInfo(dom, &di) < 0 ||
	    (xml = virDomainGetXMLDesc(dom, 0)) == NULL)
		return reply_fail_virt(rq, conn,
		    _("cannot read the VM's details"));
	v->state = state_name(di.state);
	v->vcpus = di.nrVirtCpu;
	v->memory_mib = di.maxMem / 1024;
	v->uptime = power_uptime(rq->host, dom);
	v->snapshots = virDomainSnapshotNum(dom, 0);
	v->macs = domain_macs_new(xml);
	vm_info_firewall(v, xml);
	free(xml);
	md = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
	    OWNER_NS_URI, 0);
	v->template = owner_template_new(md);
	free(md);
	v->addrs = addrs_new(dom, ADDRS_ALL);
	storage_disk_sizes(rq->c->srv->cfg, rq->t->uid, rq->t->vm,
	    &v->disk_virtual, &v->disk_used, &nsnap);
	return 0;
}

static void
json_addrs(JsonBuilder *b, GArray *a)
{
	guint i;

	json_builder_set_member_name(b, "addresses");
	json_builder_begin_array(b);
	for (i = 0; i < a->len; i++) {
		struct addr *ad = &g_array_index(a, struct addr, i);

		json_builder_begin_object(b);
		json_member_str(b, "mac", ad->mac);
		json_member_str(b, "ip", ad->ip);
		json_member_int(b, "prefix", ad->prefix);
		json_member_str(b, "type", ad->v4 ? "ipv4" : "ipv6");
		json_member_str(b, "source", ad->source);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_ports(JsonBuilder *b, const char *key, GPtrArray *ports)
{
	guint i;

	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (i = 0; i < ports->len; i++)
		json_builder_add_int_value(b, g_ascii_strtoll(
		    g_ptr_array_index(ports, i), NULL, 10));
	json_builder_end_array(b);
}

static int
info_json(struct request *rq, const struct vm_info *v)
{
	JsonBuilder *b = json_builder_new();
	int i;

	json_builder_begin_object(b);
	json_member_str(b, "name", rq->t->vm);
	if (rq->c->srv->cfg->several)
		json_member_str(b, "host", virt_host_name(rq->host));
	json_member_str(b, "state", v->state);
	json_member_int(b, "vcpus", v->vcpus);
	json_member_int(b, "memory_mib", v->memory_mib);
	json_member_int(b, "disk_virtual_bytes", v->disk_virtual);
	json_member_int(b, "disk_used_bytes", v->disk_used);
	json_member_int(b, "snapshots", v->snapshots);
	json_member_int(b, "uptime_seconds", v->uptime);
	json_builder_set_member_name(b, "macs");
	json_builder_begin_array(b);
	for (i = 0; v->macs[i] != NULL; i++)
		json_builder_add_string_value(b, v->macs[i]);
	json_builder_end_array(b);
	json_addrs(b, v->addrs);
	json_member_str(b, "template", v->template);
	json_member_str(b, "firewall", v->filters->len ?
	    (char *)g_ptr_array_index(v->filters, 0) : NULL);
	json_ports(b, "open_ports", v->tcp_in);
	json_ports(b, "outbound_ports", v->tcp_out);
	json_builder_end_object(b);
	return reply_json(rq, b);
}

static char *
duration_new(long long s)
{
	if (s < 0)
		return g_strdup("-");
	if (s < 3600)
		return g_strdup_printf("%lldm %02llds", s / 60, s % 60);
	return g_strdup_printf("%lldd %lldh %02lldm", s / 86400,
	    s / 3600 % 24, s / 60 % 60);
}

/* The labels of info's lines, which line up the values after them. */
static const char *const info_labels[] = {
	N_("name:"), N_("state:"), N_("vCPUs:"), N_("memory:"), N_("disk:"),
	N_("snapshots:"), N_("uptime:"), N_("MAC:"), N_("IP:"),
	N_("template:"), N_("firewall:"), N_("open ports:"), N_("outbound:"),
	N_("host:"),
};

/* One line: the label, padded to width columns (translated labels may be
 * of double-width characters), then the value. */
static void
info_line(struct request *rq, size_t width, const char *label,
    const char *fmt, ...)
{
	GString *line = g_string_new(_(label));
	size_t w;
	va_list ap;

	for (w = text_width(line->str); w < width; w++)
		g_string_append_c(line, ' ');
	va_start(ap, fmt);
	g_string_append_vprintf(line, fmt, ap);
	va_end(ap);
	reply_ok(rq, "%s", line->str);
	g_string_free(line, TRUE);
}

/* "22/tcp, 80/tcp" (caller frees). */
static char *
ports_new(GPtrArray *ports)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < ports->len; i++)
		g_string_append_printf(s, "%s%s/tcp", i ? ", " : "",
		    (char *)g_ptr_array_index(ports, i));
	return g_string_free(s, FALSE);
}

static void
info_firewall(struct request *rq, size_t width, const struct vm_info *v)
{
	char *names, *in, *out;

	if (v->filters->len == 0) {
		info_line(rq, width, N_("firewall:"), "%s", _("none; every "
		    "port of the VM is open"));
		return;
	}
	g_ptr_array_add(v->filters, NULL);
	names = g_strjoinv(", ", (char **)v->filters->pdata);
	g_ptr_array_remove_index(v->filters, v->filters->len - 1);
	in = ports_new(v->tcp_in);
	out = ports_new(v->tcp_out);
	info_line(rq, width, N_("firewall:"), "%s", names);
	info_line(rq, width, N_("open ports:"), "%s", *in ? in : _("none"));
	if (*out)
		info_line(rq, width, N_("outbound:"), _("%s only"), out);
	g_free(names);
	g_free(in);
	g_free(out);
}

static int
info_text(struct request *rq, struct vm_info *v)
{
	char *up = duration_new(v->uptime);
	const char *ip = addrs_main(v->addrs);
	size_t width = 0, i;

	for (i = 0; i < G_N_ELEMENTS(info_labels); i++)
		width = MAX(width, text_width(_(info_labels[i])) + 1);
	info_line(rq, width, N_("name:"), "%s", rq->t->vm);
	info_line(rq, width, N_("state:"), "%s", _(v->state));
	if (rq->c->srv->cfg->several)
		info_line(rq, width, N_("host:"), "%s",
		    virt_host_name(rq->host));
	info_line(rq, width, N_("vCPUs:"), "%u", v->vcpus);
	info_line(rq, width, N_("memory:"), "%lld MiB", v->memory_mib);
	if (v->disk_virtual >= 0) {
		char *virt = g_format_size_full(v->disk_virtual,
		    G_FORMAT_SIZE_IEC_UNITS);
		char *used = g_format_size_full(MAX(v->disk_used, 0),
		    G_FORMAT_SIZE_IEC_UNITS);

		info_line(rq, width, N_("disk:"), _("%s virtual, %s used"),
		    virt, used);
		g_free(virt);
		g_free(used);
	} else
		info_line(rq, width, N_("disk:"), _("missing; 'undefine %s "
		    "--disk' and define it again"), rq->t->vm);
	info_line(rq, width, N_("snapshots:"), "%d", MAX(v->snapshots, 0));
	info_line(rq, width, N_("uptime:"), "%s", up);
	for (i = 0; v->macs[i] != NULL; i++)
		info_line(rq, width, N_("MAC:"), "%s", v->macs[i]);
	info_line(rq, width, N_("IP:"), "%s", ip ? ip : "-");
	info_line(rq, width, N_("template:"), "%s",
	    v->template ? v->template : "-");
	info_firewall(rq, width, v);
	g_free(up);
	return 0;
}

static int
do_info(struct request *rq, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(rq, conn);
	struct vm_info v = { 0 };
	int r = -1;

	if (dom == NULL)
		return -1;
	if (vm_info_read(rq, conn, dom, &v) == 0)
		r = wants_json(rq) ? info_json(rq, &v) : info_text(rq, &v);
	vm_info_clear(&v);
	virDomainFree(dom);
	return r;
}

/* The relay takes over the client's socket until the student leaves. */
static int
do_console(struct request *rq, virConnectPtr conn)
{
	virDomainPtr dom = lookup_owned(rq, conn);
	char *msg = NULL;
	int r = -1;

	if (dom == NULL)
		return -1;
	if (virDomainIsActive(dom) != 1)
		reply_fail(rq, _("%s is not running; 'start %s' boots it"),
		    rq->t->vm, rq->t->vm);
	else if (console_run(conn, dom, rq->c->fd,
	    cmd_opt_set(rq->call, "--force"), &msg, &rq->cause) < 0)
		reply_fail(rq, "%s", msg);
	else
		r = reply_ok(rq, "%s", msg);
	g_free(msg);
	virDomainFree(dom);
	return r;
}

const struct ops_handler ops_info_handlers[] = {
	{ .cmd = "info", .run = do_info },
	{ .cmd = "ip", .run = do_ip },
	{ .cmd = "dumpxml", .run = do_dumpxml },
	{ .cmd = "console", .run = do_console },
	{ .cmd = NULL },
};

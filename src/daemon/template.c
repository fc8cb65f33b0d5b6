/* Template checking and rendering.  The template is the admin's; what a
 * student contributes (the VM name) is validated before it gets here, and
 * everything else (UUID, disk path, owner) is the broker's. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <uuid/uuid.h>

#include "conf.h"
#include "i18n.h"
#include "names.h"
#include "template.h"

#define TEMPLATE_MAX_BYTES (256 * 1024)
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOBLANKS)

struct template {
	char *name;
	xmlDocPtr doc;
};

const char *
template_name(const struct template *t)
{
	return t->name;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	g_free(t->name);
	xmlFreeDoc(t->doc);
	g_free(t);
}

/* libvirt reads only elements in no namespace: so does the broker, or a
 * decoy such as <x:source> would be filled in while libvirt used the
 * template's own <source>. */
static bool
is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns == NULL &&
	    xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n != NULL; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static int
count_children(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;
	int count = 0;

	for (n = parent->children; n != NULL; n = n->next)
		count += is_elem(n, name);
	return count;
}

static bool
attr_is(xmlNodePtr n, const char *attr, const char *value)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST attr);
	bool r = v != NULL && xmlStrcmp(v, BAD_CAST value) == 0;

	xmlFree(v);
	return r;
}

/* The one disk the broker fills in: <disk type='file' device='disk'>. */
static xmlNodePtr
vm_disk(xmlNodePtr devices, const char **why)
{
	xmlNodePtr n, found = NULL;

	for (n = devices ? devices->children : NULL; n != NULL; n = n->next) {
		if (!is_elem(n, "disk"))
			continue;
		if (!attr_is(n, "device", "disk")) {
			*why = _("only disks with device='disk' are supported");
			return NULL;
		}
		if (found != NULL) {
			*why = _("more than one <disk>");
			return NULL;
		}
		if (!attr_is(n, "type", "file")) {
			*why = _("the disk must have type='file'");
			return NULL;
		}
		if (child(n, "target") == NULL) {
			*why = _("the disk has no <target>");
			return NULL;
		}
		if (child(n, "backingStore") != NULL) {
			*why = _("the disk must not have a <backingStore>");
			return NULL;
		}
		if (count_children(n, "source") > 1 ||
		    count_children(n, "driver") > 1 ||
		    count_children(n, "target") > 1) {
			*why = _("the disk has a repeated <source>, <driver> "
			    "or <target>");
			return NULL;
		}
		found = n;
	}
	if (found == NULL)
		*why = _("no <disk type='file' device='disk'> in <devices>");
	return found;
}

/* libvirt applies an nwfilter to a tap device only: on an interface of
 * another type (user-mode networking, macvtap) it drops the <filterref>
 * without a word, and the VM would run unfiltered. */
static bool
filterable(xmlNodePtr iface)
{
	return attr_is(iface, "type", "bridge") ||
	    attr_is(iface, "type", "network") ||
	    attr_is(iface, "type", "ethernet");
}

static const char *
check_filtered(xmlNodePtr devices)
{
	xmlNodePtr n;

	for (n = devices->children; n != NULL; n = n->next) {
		if (!is_elem(n, "interface") || child(n, "filterref") == NULL)
			continue;
		if (!filterable(n))
			return _("an interface with a <filterref> must have "
			    "type='bridge', 'network' or 'ethernet' (libvirt "
			    "filters no other)");
		if (count_children(n, "filterref") > 1)
			return _("an interface has more than one <filterref>");
	}
	return NULL;
}

static const char *
check_template(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *why = NULL;
	xmlNodePtr devices, n;

	/* Entities would be expanded differently in the copy that is
	 * rendered (and could name files): templates have no DTD. */
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		return _("a <!DOCTYPE> is not allowed in a template");
	if (root == NULL || !is_elem(root, "domain"))
		return _("the root element is not <domain>");
	/* libvirt reads devices from every <devices>, but the checks below
	 * and the rendering see only the first: allow exactly one, and one
	 * of each element the broker fills in. */
	if (count_children(root, "devices") > 1 ||
	    count_children(root, "name") > 1 ||
	    count_children(root, "uuid") > 1 ||
	    count_children(root, "metadata") > 1)
		return _("repeated <devices>, <name>, <uuid> or <metadata>");
	if (!xmlHasProp(root, BAD_CAST "type"))
		return _("<domain> has no type attribute");
	if (child(root, "memory") == NULL)
		return _("no <memory>");
	if ((devices = child(root, "devices")) == NULL)
		return _("no <devices>");
	if (vm_disk(devices, &why) == NULL)
		return why;
	if ((why = check_filtered(devices)) != NULL)
		return why;
	/* Devices that hand a host resource to the guest are not for
	 * students, whatever the template says. */
	if (child(devices, "hostdev") || child(devices, "filesystem") ||
	    child(devices, "smartcard") || child(devices, "redirdev"))
		return _("host devices and shared filesystems are not allowed");
	/* Hypervisor extensions such as <qemu:commandline> pass anything to
	 * QEMU, around every check here. */
	for (n = root->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL)
			return _("elements in a namespace (such as "
			    "<qemu:commandline>) are not allowed");
	return NULL;
}

/* An element's text as a count; 0 if it is not one. */
static unsigned long long
node_count(xmlNodePtr n)
{
	xmlChar *v = n != NULL ? xmlNodeGetContent(n) : NULL;
	guint64 x = 0;

	if (v != NULL && !g_ascii_string_to_unsigned(g_strstrip((char *)v),
	    10, 0, G_MAXUINT32 * 1024ULL, &x, NULL))
		x = 0;
	xmlFree(v);
	return x;
}

/* KiB in one unit of libvirt's (its <memory unit=...> names); 0 if it is
 * none of them.  Decimal units are rounded down to KiB. */
static unsigned long long
unit_bytes(const char *u)
{
	static const struct {
		const char *name;
		unsigned long long bytes;
	} units[] = {
		{ "b", 1 }, { "bytes", 1 },
		{ "KB", 1000 }, { "k", 1024 }, { "KiB", 1024 },
		{ "MB", 1000000 }, { "M", 1 << 20 }, { "MiB", 1 << 20 },
		{ "GB", 1000000000 }, { "G", 1 << 30 }, { "GiB", 1 << 30 },
		{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 },
		{ "TiB", 1ULL << 40 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(units); i++)
		if (strcmp(units[i].name, u) == 0)
			return units[i].bytes;
	return 0;
}

void
template_size(const struct template *t, unsigned *vcpus,
    unsigned long long *mib)
{
	xmlNodePtr root = xmlDocGetRootElement(t->doc);
	xmlNodePtr mem = child(root, "memory");
	xmlChar *unit = mem != NULL ? xmlGetProp(mem, BAD_CAST "unit") : NULL;
	unsigned long long n = node_count(child(root, "vcpu"));
	unsigned long long b = unit_bytes(unit ? (char *)unit : "KiB");

	*vcpus = n > 0 && n <= G_MAXUINT ? (unsigned)n : 1;
	n = node_count(mem);
	*mib = b == 0 || n > G_MAXUINT64 / b ? 0 :
	    (n * b + (1 << 20) - 1) >> 20;
	xmlFree(unit);
}

static struct template *
finish_load(xmlDocPtr doc, const char *name, const char *label, char **err)
{
	struct template *t;
	const char *why;

	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();

		*err = g_strdup_printf(_("template %s: not well-formed "
		    "XML%s%s"), label, e && e->message ? ": " : "",
		    e && e->message ? g_strchomp(e->message) : "");
		return NULL;
	}
	if ((why = check_template(doc)) != NULL) {
		*err = g_strdup_printf(_("template %s: %s"), label, why);
		xmlFreeDoc(doc);
		return NULL;
	}
	t = g_new0(struct template, 1);
	t->name = g_strdup(name);
	t->doc = doc;
	return t;
}

static struct template *
load_mem(const char *xml, size_t len, const char *name, const char *label,
    char **err)
{
	xmlDocPtr doc;

	*err = NULL;
	if (len > TEMPLATE_MAX_BYTES) {
		*err = g_strdup_printf(_("template %s: larger than %d bytes"),
		    label, TEMPLATE_MAX_BYTES);
		return NULL;
	}
	xmlResetLastError();
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_OPTS);
	return finish_load(doc, name, label, err);
}

struct template *
template_load_mem(const char *xml, size_t len, const char *name, char **err)
{
	return load_mem(xml, len, name, name, err);
}

struct template *
template_load(const char *path, const char *name, char **err)
{
	GError *gerr = NULL;
	struct template *t;
	char *text;
	size_t len;

	*err = NULL;
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		*err = g_strdup_printf(_("template %s: %s"), path,
		    gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	t = load_mem(text, len, name, path, err);
	g_free(text);
	return t;
}

struct template *
template_copy_new(const struct template *t, const char *name)
{
	struct template *c = g_new0(struct template, 1);

	c->name = g_strdup(name);
	c->doc = xmlCopyDoc(t->doc, 1);
	return c;
}

static xmlNodePtr
ensure_child(xmlNodePtr parent, const char *name, xmlNodePtr before)
{
	xmlNodePtr n = child(parent, name);

	if (n != NULL)
		return n;
	n = xmlNewNode(NULL, BAD_CAST name);
	if (before != NULL)
		return xmlAddPrevSibling(before, n);
	return xmlAddChild(parent, n);
}

static void
set_text_child(xmlNodePtr parent, const char *name, const char *text,
    xmlNodePtr before)
{
	xmlNodePtr n = ensure_child(parent, name, before);

	xmlNodeSetContent(n, NULL);
	xmlNodeAddContent(n, BAD_CAST text);
}

static void
set_owner(xmlNodePtr root, const struct render_args *a)
{
	xmlNodePtr md = ensure_child(root, "metadata", child(root, "memory"));
	xmlNodePtr n, next, owner;
	xmlNsPtr ns;
	char uid[32];

	/* Drop any owner element the template carried. */
	for (n = md->children; n != NULL; n = next) {
		next = n->next;
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    xmlStrcmp(n->ns->href, BAD_CAST OWNER_NS_URI) == 0) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	owner = xmlNewChild(md, NULL, BAD_CAST "owner", NULL);
	ns = xmlNewNs(owner, BAD_CAST OWNER_NS_URI, BAD_CAST OWNER_NS_PREFIX);
	xmlSetNs(owner, ns);
	g_snprintf(uid, sizeof(uid), "%lu", (unsigned long)a->owner_uid);
	xmlSetProp(owner, BAD_CAST "uid", BAD_CAST uid);
	xmlSetProp(owner, BAD_CAST "user", BAD_CAST a->owner_user);
	xmlSetProp(owner, BAD_CAST "vm", BAD_CAST a->vm_name);
	if (a->template_name != NULL)
		xmlSetProp(owner, BAD_CAST "template",
		    BAD_CAST a->template_name);
}

static int
set_disk(xmlNodePtr root, const struct render_args *a)
{
	const char *why = NULL;
	xmlNodePtr disk = vm_disk(child(root, "devices"), &why);
	xmlNodePtr src, drv;

	/* check_template() found it in the original; the copy must have it
	 * too. */
	if (disk == NULL)
		return -1;
	drv = ensure_child(disk, "driver", disk->children);
	xmlSetProp(drv, BAD_CAST "name", BAD_CAST "qemu");
	xmlSetProp(drv, BAD_CAST "type", BAD_CAST a->disk_format);
	src = ensure_child(disk, "source", NULL);
	xmlSetProp(src, BAD_CAST "file", BAD_CAST a->disk_path);
	/* An empty <backingStore/> tells libvirt the image stands alone: a
	 * backing file named inside a student's qcow2 is never opened. */
	ensure_child(disk, "backingStore", NULL);
	return 0;
}

/* The filterref's parameters named name replaced by one per value. */
static void
set_params(xmlNodePtr ref, const char *name, char **values)
{
	xmlNodePtr n, next, p;

	for (n = ref->children; n != NULL; n = next) {
		next = n->next;
		if (is_elem(n, "parameter") && attr_is(n, "name", name)) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	for (; *values != NULL; values++) {
		p = xmlNewChild(ref, NULL, BAD_CAST "parameter", NULL);
		xmlSetProp(p, BAD_CAST "name", BAD_CAST name);
		xmlSetProp(p, BAD_CAST "value", BAD_CAST *values);
	}
}

int
template_set_firewall(struct template *t, const struct template_conf *tc,
    char **err)
{
	xmlNodePtr root = xmlDocGetRootElement(t->doc);
	xmlNodePtr n, ref;

	*err = NULL;
	for (n = child(child(root, "devices"), "interface"); n != NULL;
	    n = n->next) {
		if (!is_elem(n, "interface"))
			continue;
		/* check_template() allows one <filterref>, on an interface
		 * libvirt filters. */
		ref = child(n, "filterref");
		if (tc->filter != NULL && ref == NULL && !filterable(n)) {
			*err = g_strdup_printf(_("template %s: filter = is set "
			    "in [template:%s], but libvirt filters only "
			    "interfaces of type 'bridge', 'network' or "
			    "'ethernet'"), t->name, t->name);
			return -1;
		}
		if (tc->filter != NULL) {
			if (ref == NULL)
				ref = xmlNewChild(n, NULL, BAD_CAST "filterref",
				    NULL);
			xmlSetProp(ref, BAD_CAST "filter", BAD_CAST tc->filter);
		}
		if (ref == NULL && (tc->inbound || tc->outbound)) {
			*err = g_strdup_printf(_("template %s: inbound or "
			    "outbound ports are set, but an interface has no "
			    "<filterref>; set filter = in [template:%s]"),
			    t->name, t->name);
			return -1;
		}
		if (tc->inbound != NULL)
			set_params(ref, "TCP_IN", tc->inbound);
		if (tc->outbound != NULL)
			set_params(ref, "TCP_OUT", tc->outbound);
	}
	return 0;
}

int
templates_configure(GHashTable *h, const struct config *cfg, char **err)
{
	const struct template_conf *tc;
	const struct template *from;
	struct template *t;
	int i;

	*err = NULL;
	for (i = 0; i < cfg->ntconfs; i++) {
		tc = &cfg->tconfs[i];
		if (tc->from == NULL || g_hash_table_contains(h, tc->name) ||
		    (from = g_hash_table_lookup(h, tc->from)) == NULL)
			continue;
		g_hash_table_insert(h, g_strdup(tc->name),
		    template_copy_new(from, tc->name));
	}
	for (i = 0; i < cfg->ntconfs; i++) {
		tc = &cfg->tconfs[i];
		if ((t = g_hash_table_lookup(h, tc->name)) != NULL &&
		    template_set_firewall(t, tc, err) < 0)
			return -1;
	}
	return 0;
}

char **
template_filters_new(const struct template *t)
{
	GPtrArray *out = g_ptr_array_new();
	xmlNodePtr root = xmlDocGetRootElement(t->doc);
	xmlNodePtr n, ref;
	xmlChar *f;

	for (n = child(child(root, "devices"), "interface"); n != NULL;
	    n = n->next) {
		if (!is_elem(n, "interface") ||
		    (ref = child(n, "filterref")) == NULL ||
		    (f = xmlGetProp(ref, BAD_CAST "filter")) == NULL)
			continue;
		if (!g_ptr_array_find_with_equal_func(out, f, g_str_equal,
		    NULL))
			g_ptr_array_add(out, g_strdup((const char *)f));
		xmlFree(f);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char *
template_render(const struct template *t, const struct render_args *a,
    char **err)
{
	xmlDocPtr doc = xmlCopyDoc(t->doc, 1);
	xmlNodePtr root;
	xmlChar *out = NULL;
	char uuid[37];
	uuid_t u;
	char *ret;
	int len;

	*err = NULL;
	if (doc == NULL) {
		*err = g_strdup(_("out of memory"));
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	uuid_generate_random(u);
	uuid_unparse_lower(u, uuid);
	set_text_child(root, "name", a->domain_name, root->children);
	set_text_child(root, "uuid", uuid, child(root, "name")->next);
	set_owner(root, a);
	if (set_disk(root, a) < 0) {
		xmlFreeDoc(doc);
		*err = g_strdup(_("the template's disk is gone in its copy"));
		return NULL;
	}
	xmlDocDumpFormatMemory(doc, &out, &len, 1);
	xmlFreeDoc(doc);
	if (out == NULL) {
		*err = g_strdup(_("cannot serialise the domain XML"));
		return NULL;
	}
	ret = g_strndup((const char *)out, len);
	xmlFree(out);
	return ret;
}

/* A document libvirt gave us, with no DTD, or NULL. */
static xmlDocPtr
read_doc(const char *xml, size_t max)
{
	xmlDocPtr doc;

	if (xml == NULL || strlen(xml) > max)
		return NULL;
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_OPTS);
	if (doc != NULL && (doc->intSubset != NULL ||
	    doc->extSubset != NULL)) {
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

char *
owner_template_new(const char *xml)
{
	xmlDocPtr doc = read_doc(xml, 4096);
	xmlNodePtr root;
	xmlChar *v = NULL;
	char *ret = NULL;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (root != NULL && xmlStrcmp(root->name, BAD_CAST "owner") == 0 &&
	    (v = xmlGetProp(root, BAD_CAST "template")) != NULL)
		ret = g_strdup((const char *)v);
	xmlFree(v);
	xmlFreeDoc(doc);
	return ret;
}

char *
xml_string_new(const char *xml, const char *xpath)
{
	xmlDocPtr doc = read_doc(xml, 1024 * 1024);
	xmlXPathContextPtr ctx = NULL;
	xmlXPathObjectPtr obj = NULL;
	char *ret = NULL;

	if (doc != NULL && (ctx = xmlXPathNewContext(doc)) != NULL)
		obj = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
	if (obj != NULL && obj->type == XPATH_STRING &&
	    obj->stringval != NULL && obj->stringval[0] != '\0')
		ret = g_strdup((const char *)obj->stringval);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return ret;
}

char **
domain_macs_new(const char *xml)
{
	GPtrArray *out = g_ptr_array_new();
	xmlDocPtr doc = read_doc(xml, 1024 * 1024);
	xmlXPathContextPtr ctx = NULL;
	xmlXPathObjectPtr obj = NULL;
	int i;

	if (doc != NULL && (ctx = xmlXPathNewContext(doc)) != NULL)
		obj = xmlXPathEvalExpression(BAD_CAST
		    "/domain/devices/interface/mac/@address", ctx);
	for (i = 0; obj != NULL && obj->nodesetval != NULL &&
	    i < obj->nodesetval->nodeNr; i++) {
		xmlChar *v = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);

		if (v != NULL)
			g_ptr_array_add(out, g_strdup((const char *)v));
		xmlFree(v);
	}
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

int
owner_parse(const char *xml, uid_t *uid)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlChar *v = NULL;
	char *end;
	unsigned long n;
	int ret = -1;

	if (xml == NULL || strlen(xml) > 4096)
		return -1;
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_OPTS);
	if (doc == NULL)
		return -1;
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || xmlStrcmp(root->name, BAD_CAST "owner") != 0)
		goto out;
	v = xmlGetProp(root, BAD_CAST "uid");
	if (v == NULL || !g_ascii_isdigit(v[0]))
		goto out;
	errno = 0;
	n = strtoul((const char *)v, &end, 10);
	if (errno != 0 || *end != '\0' || n >= (uid_t)-1)
		goto out;
	*uid = (uid_t)n;
	ret = 0;
out:
	xmlFree(v);
	xmlFreeDoc(doc);
	return ret;
}

static void
domain_iface_free(void *p)
{
	struct domain_iface *i = p;

	g_free(i->mac);
	g_free(i->dev);
	g_free(i->filter);
	g_strfreev(i->tcp_in);
	g_strfreev(i->tcp_out);
	g_free(i);
}

/* The values of ref's parameters named name (g_strfreev). */
static char **
params_new(xmlNodePtr ref, const char *name)
{
	GPtrArray *out = g_ptr_array_new();
	xmlNodePtr n;
	xmlChar *v;

	for (n = ref ? ref->children : NULL; n != NULL; n = n->next) {
		if (!is_elem(n, "parameter") || !attr_is(n, "name", name) ||
		    (v = xmlGetProp(n, BAD_CAST "value")) == NULL)
			continue;
		g_ptr_array_add(out, g_strdup((const char *)v));
		xmlFree(v);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static char *
prop_new(xmlNodePtr n, const char *name)
{
	xmlChar *v = n ? xmlGetProp(n, BAD_CAST name) : NULL;
	char *r = v ? g_strdup((const char *)v) : NULL;

	xmlFree(v);
	return r;
}

GPtrArray *
domain_ifaces_new(const char *xml)
{
	xmlDocPtr doc = read_doc(xml, 1024 * 1024);
	xmlNodePtr root, n, ref;
	GPtrArray *out;

	if (doc == NULL)
		return NULL;
	out = g_ptr_array_new_with_free_func(domain_iface_free);
	root = xmlDocGetRootElement(doc);
	if (root != NULL && !is_elem(root, "domain"))
		root = NULL;
	for (n = child(child(root, "devices"), "interface"); n != NULL;
	    n = n->next) {
		struct domain_iface *i;

		if (!is_elem(n, "interface"))
			continue;
		i = g_new0(struct domain_iface, 1);
		ref = child(n, "filterref");
		i->mac = prop_new(child(n, "mac"), "address");
		i->dev = prop_new(child(n, "target"), "dev");
		i->filter = prop_new(ref, "filter");
		i->tcp_in = params_new(ref, "TCP_IN");
		i->tcp_out = params_new(ref, "TCP_OUT");
		g_ptr_array_add(out, i);
	}
	xmlFreeDoc(doc);
	return out;
}

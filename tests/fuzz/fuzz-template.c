/* libFuzzer target: domain templates.  The input is loaded and checked
 * with template_load_mem(), rendered with fixed arguments as do_define()
 * does, and the rendered XML is read back the way libvirt reads it.  The
 * input is also given to owner_parse(), the reader of the ownership
 * record that libvirt hands back, and to domain_ifaces_new(), the reader
 * of a domain's interfaces.  A template that loads is also given a
 * group's firewall (template_set_firewall): every interface libvirt would
 * see then has the group's filter, once, with the group's ports. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "conf.h"
#include "fuzz.h"
#include "names.h"
#include "template.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define UID 1000

static const struct render_args args = {
	.domain_name = "u1000_web",
	.vm_name = "web",
	.owner_uid = UID,
	.owner_user = "student",
	.disk_path = "/var/lib/ie-vshell/pool/1000/web.qcow2",
	.disk_format = "qcow2",
};

static void
quiet(void *ctx, const char *fmt, ...)
{
}

static void
quiet_structured(void *ctx, xmlErrorPtr e)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	xmlInitParser();
	/* Millions of malformed inputs: their messages are noise. */
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	return 0;
}

static char *
xpath_string(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o;
	char *s;

	ctx->node = node;
	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	CHECK(o != NULL);
	s = g_strdup(o->type == XPATH_STRING ? (const char *)o->stringval :
	    "");
	xmlXPathFreeObject(o);
	return s;
}

static bool
xpath_is(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr,
    const char *want)
{
	char *s = xpath_string(ctx, node, expr);
	bool r = strcmp(s, want) == 0;

	g_free(s);
	return r;
}

/* Every disk libvirt would define is the broker's: its image, read as
 * qcow2, with no backing store named by the template. */
static void
check_disks(xmlXPathContextPtr ctx, xmlNodePtr root)
{
	xmlXPathObjectPtr o;
	xmlNodePtr d;
	int i, n;

	ctx->node = root;
	o = xmlXPathEvalExpression(BAD_CAST "./devices/disk", ctx);
	CHECK(o != NULL && o->type == XPATH_NODESET);
	n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	for (i = 0; i < n; i++) {
		d = o->nodesetval->nodeTab[i];
		CHECK(xpath_is(ctx, d, "string(./@type)", "file"));
		CHECK(xpath_is(ctx, d, "string(./@device)", "disk"));
		CHECK(xpath_is(ctx, d, "string(./source[1]/@file)",
		    args.disk_path));
		CHECK(xpath_is(ctx, d, "string(./driver[1]/@type)",
		    args.disk_format));
		/* Exactly one backingStore, and empty: the image stands
		 * alone, whatever its header names. */
		CHECK(xpath_is(ctx, d, "string(count(./backingStore))", "1"));
		CHECK(xpath_is(ctx, d, "string(count(./backingStore/@*))",
		    "0"));
		CHECK(xpath_is(ctx, d, "string(count(./backingStore/node()))",
		    "0"));
	}
	xmlXPathFreeObject(o);
}

/* The owner record libvirt returns is the first element of its namespace
 * in <metadata>; libvirt returns it serialised, and so does this. */
static void
check_owner(xmlXPathContextPtr ctx, xmlNodePtr root)
{
	xmlXPathObjectPtr o;
	xmlBufferPtr buf;
	uid_t uid = (uid_t)-1;

	ctx->node = root;
	o = xmlXPathEvalExpression(BAD_CAST "./metadata[1]/*[namespace-uri()="
	    "'" OWNER_NS_URI "'][1]", ctx);
	CHECK(o != NULL && o->type == XPATH_NODESET);
	if (o->nodesetval != NULL && o->nodesetval->nodeNr > 0) {
		buf = xmlBufferCreate();
		CHECK(xmlNodeDump(buf, root->doc, o->nodesetval->nodeTab[0],
		    0, 0) > 0);
		CHECK(owner_parse((const char *)xmlBufferContent(buf),
		    &uid) == 0);
		CHECK(uid == UID);
		xmlBufferFree(buf);
	}
	xmlXPathFreeObject(o);
}

static char *fw_ports[] = { "22", "80", NULL };
static const struct template_conf fw = { .name = "fuzz", .filter = "fz",
    .inbound = fw_ports };

/* With fw applied, every interface libvirt reads is one it filters, with
 * fw's filter and ports and nothing else in their place. */
static void
check_firewall(xmlXPathContextPtr ctx, xmlNodePtr root)
{
	xmlXPathObjectPtr o;
	xmlNodePtr n;
	int i, count;

	ctx->node = root;
	o = xmlXPathEvalExpression(BAD_CAST "./devices[1]/interface", ctx);
	CHECK(o != NULL && o->type == XPATH_NODESET);
	count = o->nodesetval ? o->nodesetval->nodeNr : 0;
	for (i = 0; i < count; i++) {
		n = o->nodesetval->nodeTab[i];
		CHECK(xpath_is(ctx, n, "string(./@type)", "bridge") ||
		    xpath_is(ctx, n, "string(./@type)", "network") ||
		    xpath_is(ctx, n, "string(./@type)", "ethernet"));
		CHECK(xpath_is(ctx, n, "string(count(./filterref))", "1"));
		CHECK(xpath_is(ctx, n, "string(./filterref/@filter)", "fz"));
		CHECK(xpath_is(ctx, n, "string(count(./filterref/parameter"
		    "[@name='TCP_IN']))", "2"));
		CHECK(xpath_is(ctx, n, "string(./filterref/parameter"
		    "[@name='TCP_IN'][1]/@value)", "22"));
	}
	xmlXPathFreeObject(o);
}

static void
check_rendered(const char *xml, bool firewalled)
{
	xmlXPathContextPtr ctx;
	xmlNodePtr root;
	xmlDocPtr doc;

	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
	    XML_PARSE_NONET);
	CHECK(doc != NULL);
	root = xmlDocGetRootElement(doc);
	CHECK(root != NULL);
	ctx = xmlXPathNewContext(doc);
	CHECK(ctx != NULL);
	/* libvirt's XPath has no namespaces: it sees the unprefixed
	 * elements only. */
	CHECK(xpath_is(ctx, root, "string(count(./name))", "0") ||
	    xpath_is(ctx, root, "string(./name[1])", args.domain_name));
	check_disks(ctx, root);
	check_owner(ctx, root);
	if (firewalled)
		check_firewall(ctx, root);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template *t;
	char *err = NULL, *xml, *s;
	GPtrArray *ifaces;
	bool firewalled;
	uid_t uid;

	t = template_load_mem((const char *)data, size, "fuzz", &err);
	if (t == NULL)
		CHECK(err != NULL);
	else {
		CHECK(err == NULL && strcmp(template_name(t), "fuzz") == 0);
		firewalled = template_set_firewall(t, &fw, &err) == 0;
		CHECK(firewalled == (err == NULL));
		g_free(err);
		err = NULL;
		xml = template_render(t, &args, &err);
		CHECK(xml != NULL && err == NULL);
		check_rendered(xml, firewalled);
		g_free(xml);
		template_free(t);
	}
	g_free(err);
	s = fuzz_str_new(data, size);
	if (owner_parse(s, &uid) == 0)
		CHECK(uid != (uid_t)-1);
	if ((ifaces = domain_ifaces_new(s)) != NULL)
		g_ptr_array_free(ifaces, TRUE);
	free(s);
	return 0;
}

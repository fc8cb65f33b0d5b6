/* Domain templates: the admin's XML, checked at start-up and rendered into
 * a student's domain with libxml2. */
#ifndef IEVS_TEMPLATE_H
#define IEVS_TEMPLATE_H

#include <sys/types.h>

#include <glib.h>

struct template;

/* Parses and checks one template file.  On error returns NULL and a reason
 * naming the file (caller frees). */
struct template *template_load(const char *path, const char *name,
    char **err);
/* Same, from memory (for tests and fuzzing). */
struct template *template_load_mem(const char *xml, size_t len,
    const char *name, char **err);
void template_free(struct template *t);
const char *template_name(const struct template *t);
/* A copy of t offered under another name (a [template:NAME] group with
 * from = ...). */
struct template *template_copy_new(const struct template *t,
    const char *name);

struct template_conf;
/* The firewall a [template:NAME] group asks for, written into every
 * <interface> of t: the <filterref>'s filter, its TCP_IN and TCP_OUT
 * parameters.  Returns -1 and a reason naming the template (caller
 * frees) if ports are set for an interface without a filter. */
int template_set_firewall(struct template *t, const struct template_conf *tc,
    char **err);
/* The [template:NAME] groups of cfg applied to h (name -> struct
 * template): the templates a group's from makes, from the files' XML,
 * then each group's firewall.  A group naming no template is skipped
 * (base_tconf_problem reports it).  -1 and a reason on error. */
struct config;
int templates_configure(GHashTable *h, const struct config *cfg,
    char **err);
/* The nwfilters t's interfaces ask for, each once (g_strfreev). */
char **template_filters_new(const struct template *t);

/* What a VM of the template takes when it runs: its <vcpu> (1 if none)
 * and <memory> in MiB (rounded up), as libvirt reads them. */
void template_size(const struct template *t, unsigned *vcpus,
    unsigned long long *mib);

struct render_args {
	const char *domain_name;
	const char *vm_name;
	uid_t owner_uid;
	const char *owner_user;
	const char *disk_path;
	const char *disk_format;	/* "qcow2" */
	const char *template_name;	/* recorded with the owner, or NULL */
};

/* Returns the domain XML, or NULL and a reason. */
char *template_render(const struct template *t, const struct render_args *a,
    char **err);

/* Reads the owner uid from the metadata element libvirt returns for
 * OWNER_NS_URI.  Returns 0 on success, -1 if absent or malformed. */
int owner_parse(const char *xml, uid_t *uid);
/* The template recorded in that element (caller frees), or NULL. */
char *owner_template_new(const char *xml);
/* The MAC addresses of a domain's interfaces, from its XML
 * (NULL-terminated, g_strfreev). */
char **domain_macs_new(const char *xml);
/* An interface of a domain and the firewall it asks for. */
struct domain_iface {
	char *mac;		/* its MAC address, or NULL */
	char *dev;		/* its host device (a running domain's tap), or
				 * NULL */
	char *filter;		/* the nwfilter of its <filterref>, or NULL */
	char **tcp_in;		/* the filterref's TCP_IN values, maybe empty */
	char **tcp_out;		/* its TCP_OUT values, maybe empty */
};

/* The interfaces of a domain's XML, in order (an array of struct
 * domain_iface that frees them); NULL if the XML cannot be read. */
GPtrArray *domain_ifaces_new(const char *xml);

/* The value of a string XPath expression ("string(/a/b)") over a document
 * libvirt gave us; NULL if empty or unreadable.  Caller frees. */
char *xml_string_new(const char *xml, const char *xpath);

#endif

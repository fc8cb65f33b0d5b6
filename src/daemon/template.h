/* Domain templates: the admin's XML, checked at start-up and rendered into
 * a student's domain with libxml2. */
#ifndef IEVS_TEMPLATE_H
#define IEVS_TEMPLATE_H

#include <sys/types.h>

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
/* The value of a string XPath expression ("string(/a/b)") over a document
 * libvirt gave us; NULL if empty or unreadable.  Caller frees. */
char *xml_string_new(const char *xml, const char *xpath);

#endif

/* The broker's own records (see keep.h).  Each file is written whole to a
 * temporary name and renamed, so a reader sees the old one or the new
 * one; the records are only ever touched under the owner's lock (a VM's)
 * or by one admin command at a time (drained). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "keep.h"
#include "log.h"
#include "virt.h"

static char *state_dir;
static GMutex drained_lock;

int
keep_init(const struct config *cfg, char **err)
{
	g_free(state_dir);
	state_dir = g_strdup(cfg->state_dir);
	if (g_mkdir_with_parents(state_dir, 0700) < 0) {
		*err = g_strdup_printf("cannot make %s: %s", state_dir,
		    g_strerror(errno));
		return -1;
	}
	return 0;
}

/* A host's or a domain's name as one part of a path. */
static bool
part_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && s[0] != '.' &&
	    strchr(s, '/') == NULL && strlen(s) < 256;
}

/* state_dir/kind/host[/file] (caller frees), or NULL for a name that
 * cannot be a file's. */
static char *
path_new(const char *kind, const char *host, const char *file)
{
	if (state_dir == NULL || !part_ok(host) ||
	    (file != NULL && !part_ok(file)))
		return NULL;
	return g_build_filename(state_dir, kind, host, file, NULL);
}

static void
write_file(const char *kind, const char *host, const char *file,
    const char *text)
{
	char *dir = path_new(kind, host, NULL), *path;
	GError *e = NULL;

	if (dir == NULL || !part_ok(file)) {
		log_msg(LOG_ERR, "not kept: bad name %s/%s", host, file);
		g_free(dir);
		return;
	}
	path = g_build_filename(dir, file, NULL);
	if (g_mkdir_with_parents(dir, 0700) < 0 ||
	    !g_file_set_contents_full(path, text, -1,
	    G_FILE_SET_CONTENTS_CONSISTENT, 0600, &e))
		log_msg(LOG_ERR, "cannot keep %s: %s", path,
		    e != NULL ? e->message : g_strerror(errno));
	g_clear_error(&e);
	g_free(path);
	g_free(dir);
}

void
keep_xml(const char *host, const char *domain, const char *xml)
{
	char *file = g_strconcat(domain, ".xml", NULL);

	write_file("vms", host, file, xml);
	g_free(file);
}

void
keep_domain(const char *host, virDomainPtr dom)
{
	char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE |
	    VIR_DOMAIN_XML_SECURE);

	if (xml == NULL) {
		log_msg(LOG_WARNING, "host %s: cannot read the definition of "
		    "%s to keep it: %s", host, virDomainGetName(dom),
		    virt_error());
		return;
	}
	keep_xml(host, virDomainGetName(dom), xml);
	free(xml);
}

static char *
xml_path_new(const char *host, const char *domain)
{
	char *file, *path;

	if (!part_ok(domain))
		return NULL;
	file = g_strconcat(domain, ".xml", NULL);
	path = path_new("vms", host, file);
	g_free(file);
	return path;
}

char *
keep_load_new(const char *host, const char *domain)
{
	char *path = xml_path_new(host, domain), *xml = NULL;

	if (path != NULL && !g_file_get_contents(path, &xml, NULL, NULL))
		xml = NULL;
	g_free(path);
	return xml;
}

bool
keep_has(const char *host, const char *domain)
{
	char *path = xml_path_new(host, domain);
	bool r = path != NULL && access(path, F_OK) == 0;

	g_free(path);
	return r;
}

static void
remove_file(char *path)
{
	if (path != NULL && unlink(path) < 0 && errno != ENOENT)
		log_msg(LOG_ERR, "cannot remove %s: %s", path,
		    g_strerror(errno));
	g_free(path);
}

void
keep_forget(const char *host, const char *domain)
{
	remove_file(xml_path_new(host, domain));
}

static int
by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in state_dir/kind/host, less suffix (files without it are
 * left out), sorted. */
static char **
list_new(const char *kind, const char *host, const char *suffix)
{
	char *dir = path_new(kind, host, NULL);
	GPtrArray *a = g_ptr_array_new();
	GDir *d = dir != NULL ? g_dir_open(dir, 0, NULL) : NULL;
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		if (n[0] == '.' || !g_str_has_suffix(n, suffix))
			continue;
		g_ptr_array_add(a, g_strndup(n, strlen(n) - strlen(suffix)));
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
	g_ptr_array_sort(a, by_name);
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

char **
keep_list_new(const char *host)
{
	return list_new("vms", host, ".xml");
}

void
keep_mark_moved(const char *host, const char *domain)
{
	write_file("moved", host, domain, "");
}

void
keep_unmark_moved(const char *host, const char *domain)
{
	remove_file(part_ok(domain) ? path_new("moved", host, domain) : NULL);
}

char **
keep_moved_list_new(const char *host)
{
	return list_new("moved", host, "");
}

char **
keep_drained_new(void)
{
	char *path, *text = NULL, **lines, **out;
	GPtrArray *a = g_ptr_array_new();
	int i;

	if (state_dir == NULL) {
		g_ptr_array_add(a, NULL);
		return (char **)g_ptr_array_free(a, FALSE);
	}
	path = g_build_filename(state_dir, "drained", NULL);
	g_mutex_lock(&drained_lock);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_mutex_unlock(&drained_lock);
	lines = g_strsplit(text != NULL ? text : "", "\n", -1);
	for (i = 0; lines[i] != NULL; i++)
		if (part_ok(lines[i]))
			g_ptr_array_add(a, g_strdup(lines[i]));
	g_ptr_array_add(a, NULL);
	out = (char **)g_ptr_array_free(a, FALSE);
	g_strfreev(lines);
	g_free(text);
	g_free(path);
	return out;
}

int
keep_drained_save(char **names, char **err)
{
	char *path, *text, *body;
	GError *e = NULL;
	int r = 0;

	if (state_dir == NULL) {
		*err = g_strdup("no state directory");
		return -1;
	}
	path = g_build_filename(state_dir, "drained", NULL);
	body = g_strjoinv("\n", names);
	text = g_strconcat(body, names[0] != NULL ? "\n" : "", NULL);
	g_mutex_lock(&drained_lock);
	if (!g_file_set_contents_full(path, text, -1,
	    G_FILE_SET_CONTENTS_CONSISTENT, 0600, &e)) {
		*err = g_strdup(e->message);
		g_clear_error(&e);
		r = -1;
	}
	g_mutex_unlock(&drained_lock);
	g_free(text);
	g_free(body);
	g_free(path);
	return r;
}

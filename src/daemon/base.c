/* The base image catalogue.  The directory and its files are the admin's:
 * the broker trusts them only while root alone may change them.  Each
 * image is inspected as an upload is (import.c), when the broker starts
 * and by ie-vmd --check; every copy is made and checked again by
 * import_copy, so a base changed meanwhile never reaches a VM unchecked. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>

#include "base.h"
#include "conf.h"
#include "i18n.h"
#include "import.h"
#include "log.h"
#include "names.h"
#include "sanitize.h"

#define DESC_MAX 80		/* bytes of a description shown */
#define DESC_READ 1024		/* bytes of the description file read */

/* File names of images; the format comes from the contents all the same. */
static const char *const suffixes[] = {
	".qcow2", ".img", ".raw", ".vmdk", ".vdi", ".vhdx", ".vhd",
};

static void
base_free(struct base *b)
{
	if (b == NULL)
		return;
	g_free(b->name);
	g_free(b->path);
	g_free(b->description);
	g_free(b);
}

/* Root's (or the broker's own user's, for development) and not writable
 * by group or others: doas's rule for what it trusts. */
static bool
admin_owned(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* B of B.qcow2 and the like; NULL for any other file. */
static char *
image_name_new(const char *file)
{
	size_t i, n = strlen(file);

	for (i = 0; i < G_N_ELEMENTS(suffixes); i++)
		if (g_str_has_suffix(file, suffixes[i]) &&
		    n > strlen(suffixes[i]))
			return g_strndup(file, n - strlen(suffixes[i]));
	return NULL;
}

/* The first line of B.txt, escaped and capped; *why if the file is there
 * but not the admin's. */
static char *
description_new(const char *dir, const char *name, const char **why)
{
	char *path = g_strdup_printf("%s/%s.txt", dir, name), *line = NULL;
	char buf[DESC_READ];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	g_free(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !admin_owned(&st))
		*why = _("its description (.txt) is not a file that only root "
		    "may change");
	else if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		if (*g_strstrip(buf) != '\0')
			line = sanitize_new(buf, false, DESC_MAX);
	}
	close(fd);
	return line;
}

/* Why the open image cannot be a base, or NULL; fills in its format and
 * size. */
static char *
image_refusal(const struct config *cfg, int fd, struct base *b)
{
	struct stat st;
	char *err = NULL, *why;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return g_strdup(_("not a regular file"));
	if (!admin_owned(&st))
		return g_strdup_printf(_("writable by someone other than root; "
		    "run chown root %s && chmod go-w %s"), b->path, b->path);
	if (import_inspect(cfg, fd, &b->format, &b->vsize, &err) == 0)
		return NULL;
	why = g_strdup_printf(_("%s (the checks of an import)"), err);
	g_free(err);
	return why;
}

/* One image of the directory, or NULL after bad(). */
static struct base *
base_load(const struct config *cfg, const char *file, char *name,
    base_bad_fn bad, void *arg)
{
	struct base *b = g_new0(struct base, 1);
	const char *why = NULL;
	char *err = NULL;
	int fd;

	b->name = name;
	b->path = g_build_filename(cfg->base_dir, file, NULL);
	if (!vm_name_valid(name))
		err = g_strdup_printf(_("rename it: the name before the suffix "
		    "must be %s"), _(VM_NAME_RULE));
	else if ((fd = open(b->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		err = g_strdup(g_strerror(errno));
	else {
		err = image_refusal(cfg, fd, b);
		close(fd);
	}
	if (err == NULL) {
		b->description = description_new(cfg->base_dir, name, &why);
		err = why != NULL ? g_strdup(why) : NULL;
	}
	if (err != NULL) {
		bad(arg, b->path, err);
		g_free(err);
		base_free(b);
		return NULL;
	}
	return b;
}

/* The directory, if there is one, only root may change. */
static GDir *
base_dir_open(const struct config *cfg, base_bad_fn bad, void *arg)
{
	struct stat st;
	char *why;

	if (lstat(cfg->base_dir, &st) < 0) {
		if (errno != ENOENT)
			bad(arg, cfg->base_dir, g_strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode) || !admin_owned(&st)) {
		why = g_strdup_printf(_("not a directory that only root may "
		    "change; run chown root %s && chmod go-w %s"),
		    cfg->base_dir, cfg->base_dir);
		bad(arg, cfg->base_dir, why);
		g_free(why);
		return NULL;
	}
	return g_dir_open(cfg->base_dir, 0, NULL);
}

GHashTable *
base_catalogue_new(const struct config *cfg, base_bad_fn bad, void *arg)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
	    (GDestroyNotify)base_free);
	GDir *d = base_dir_open(cfg, bad, arg);
	const char *f;
	struct base *b;
	char *name;

	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		if ((name = image_name_new(f)) == NULL)
			continue;
		if (g_hash_table_contains(h, name)) {
			char *path = g_build_filename(cfg->base_dir, f, NULL);

			bad(arg, path, _("another image has the same name; "
			    "keep one"));
			g_free(path);
			g_free(name);
		} else if ((b = base_load(cfg, f, name, bad, arg)) != NULL)
			g_hash_table_insert(h, b->name, b);
	}
	if (d != NULL)
		g_dir_close(d);
	return h;
}

static gint
base_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp((*(struct base *const *)a)->name,
	    (*(struct base *const *)b)->name);
}

GPtrArray *
base_sorted_new(GHashTable *bases)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, bases);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(a, v);
	g_ptr_array_sort(a, base_cmp);
	return a;
}

int
base_open(const struct base *b, char **err)
{
	int fd = open(b->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	*err = NULL;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    admin_owned(&st))
		return fd;
	log_msg(LOG_ERR, "base image %s: %s", b->path, fd < 0 ?
	    g_strerror(errno) : "no longer a file that only root may change");
	if (fd >= 0)
		close(fd);
	*err = g_strdup_printf(_("the base image %s cannot be read; tell the "
	    "admin"), b->name);
	return -1;
}

char *
base_tconf_problem(const struct config *cfg, const struct template_conf *t,
    GHashTable *bases)
{
	const char *from = t->from != NULL ? t->from : t->name;
	char *file = g_strdup_printf("%s/%s.xml", cfg->template_dir, from);
	char *own = g_strdup_printf("%s/%s.xml", cfg->template_dir, t->name);
	bool found = g_file_test(file, G_FILE_TEST_IS_REGULAR);
	bool clash = t->from != NULL && g_file_test(own, G_FILE_TEST_EXISTS);

	g_free(file);
	g_free(own);
	if (t->from != NULL && strcmp(t->from, t->name) == 0)
		return g_strdup_printf(_("[template:%s]: from names the "
		    "template itself; remove the key"), t->name);
	if (clash)
		return g_strdup_printf(_("[template:%s]: from = %s, but %s.xml "
		    "exists too; remove one of them"), t->name, t->from,
		    t->name);
	if (!found)
		return g_strdup_printf(_("[template:%s]: no template %s.xml in "
		    "%s"), t->name, from, cfg->template_dir);
	if (t->base != NULL && !g_hash_table_contains(bases, t->base))
		return g_strdup_printf(_("[template:%s]: base image %s is not "
		    "in %s (or was refused)"), t->name, t->base, cfg->base_dir);
	return NULL;
}

/* The admin's base images: disk images in [storage] base_dir that students
 * copy into the pool with 'define NAME --base B'. */
#ifndef IEVS_BASE_H
#define IEVS_BASE_H

#include <stdint.h>

#include <glib.h>

struct config;
struct template_conf;

struct base {
	char *name;		/* B: the file is B.qcow2 (or .img, ...) */
	char *path;
	const char *format;	/* from its contents: "qcow2", "raw", ... */
	int64_t vsize;		/* virtual size in bytes */
	char *description;	/* first line of B.txt, escaped; or NULL */
};

/* Called for each file that cannot be a base image, with its path and
 * why; the image is left out of the catalogue. */
typedef void (*base_bad_fn)(void *arg, const char *path, const char *why);

/* Reads the base image directory (none there: an empty catalogue) and
 * inspects each image as an upload is inspected.  Returns name -> struct
 * base; g_hash_table_destroy frees it. */
GHashTable *base_catalogue_new(const struct config *cfg, base_bad_fn bad,
    void *arg);
/* The catalogue's bases sorted by name (the array holds no references). */
GPtrArray *base_sorted_new(GHashTable *bases);
/* Opens the base image for a copy, read-only, checking again that only
 * root may change it.  Returns the descriptor, or -1 with one line for the
 * student in *err (the details are logged). */
int base_open(const struct base *b, char **err);
/* What is wrong with a [template:NAME] group: no template NAME, or a base
 * that is not in the catalogue.  NULL if nothing; else one line naming the
 * group (caller frees). */
char *base_tconf_problem(const struct config *cfg,
    const struct template_conf *t, GHashTable *bases);

#endif

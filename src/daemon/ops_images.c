/* images: the user's disks in the pool and whether a VM has each, or
 * with --base the admin's base images.  The uploads are the shell's to
 * list: only the student may look into their area. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

#include "base.h"
#include "domtab.h"
#include "i18n.h"
#include "names.h"
#include "ops_priv.h"
#include "server.h"
#include "storage.h"

/* One disk of the user's: what it allocates, what it is charged. */
struct disk_row {
	char *vm;
	int64_t allocated, charged;
	bool defined;
};

/* "19.0 MiB", "2.0 GiB": a small disk does not show as 0.0 GiB. */
static void
add_size(struct proto_msg *m, int64_t bytes)
{
	char *s = g_format_size_full(MAX(bytes, 0), G_FORMAT_SIZE_IEC_UNITS);

	proto_msg_add(m, s);
	g_free(s);
}

static void
images_table(struct request *rq, GArray *rows)
{
	guint i;

	rq->resp->ncols = 4;
	proto_msg_add(rq->resp, "disk");
	proto_msg_add(rq->resp, "allocated");
	proto_msg_add(rq->resp, "virtual");
	proto_msg_add(rq->resp, "vm");
	for (i = 0; i < rows->len; i++) {
		struct disk_row *d = &g_array_index(rows, struct disk_row, i);

		proto_msg_add(rq->resp, d->vm);
		add_size(rq->resp, d->allocated);
		add_size(rq->resp, d->charged);
		proto_msg_add(rq->resp, d->defined ? _("defined") : "-");
	}
}

static void
images_json(struct request *rq, GArray *rows)
{
	JsonBuilder *b = json_list_new("disks");
	guint i;

	for (i = 0; i < rows->len; i++) {
		struct disk_row *d = &g_array_index(rows, struct disk_row, i);

		json_builder_begin_object(b);
		json_member_str(b, "name", d->vm);
		json_member_int(b, "allocated_bytes", d->allocated);
		json_member_int(b, "charged_bytes", d->charged);
		json_member_str(b, "vm", d->defined ? d->vm : NULL);
		json_builder_end_object(b);
	}
	reply_json_list(rq, b);
}

static void
disk_row_add(struct request *rq, virConnectPtr conn, DIR *d, const char *file,
    GArray *rows)
{
	struct disk_row r = { .vm = g_strndup(file, strlen(file) - 6) };
	char *domain = domain_name_new(rq->c->uid, r.vm);
	virDomainPtr dom = virDomainLookupByName(conn, domain);
	struct stat st;

	if (fstatat(dirfd(d), file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r.allocated = (int64_t)st.st_blocks * 512;
		r.charged = storage_file_charge(dirfd(d), file);
		/* On any host: the table knows them all. */
		r.defined = dom != NULL || domtab_locate(domain) >= 0;
		g_array_append_val(rows, r);
	} else
		g_free(r.vm);
	if (dom != NULL)
		virDomainFree(dom);
	g_free(domain);
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static gint
name_cmp(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void
bases_json(struct request *rq, GPtrArray *a)
{
	JsonBuilder *b = json_list_new("bases");
	guint i;

	for (i = 0; i < a->len; i++) {
		const struct base *base = g_ptr_array_index(a, i);

		json_builder_begin_object(b);
		json_member_str(b, "name", base->name);
		json_member_str(b, "format", base->format);
		json_member_int(b, "virtual_bytes", base->vsize);
		json_member_str(b, "description", base->description);
		json_builder_end_object(b);
	}
	reply_json_list(rq, b);
}

static void
bases_table(struct request *rq, GPtrArray *a)
{
	guint i;

	if (a->len == 0) {
		reply_ok(rq, "%s", _("no base images here; upload an image "
		    "with sftp or scp and use 'define NAME IMAGE'"));
		return;
	}
	rq->resp->ncols = 4;
	proto_msg_add(rq->resp, "base");
	proto_msg_add(rq->resp, "format");
	proto_msg_add(rq->resp, "virtual");
	proto_msg_add(rq->resp, "description");
	for (i = 0; i < a->len; i++) {
		const struct base *base = g_ptr_array_index(a, i);

		proto_msg_add(rq->resp, base->name);
		proto_msg_add(rq->resp, base->format);
		add_size(rq->resp, base->vsize);
		proto_msg_add(rq->resp, base->description ? base->description :
		    "-");
	}
}

/* images --base: the admin's catalogue, as inspected at start. */
static int
images_base(struct request *rq)
{
	GPtrArray *a = base_sorted_new(rq->c->srv->bases);

	if (wants_json(rq))
		bases_json(rq, a);
	else
		bases_table(rq, a);
	g_ptr_array_free(a, TRUE);
	return 0;
}

/* The user's disks in the pool, and whether a VM of theirs has each. */
static int
do_images(struct request *rq, virConnectPtr conn)
{
	GPtrArray *names;
	GArray *rows;
	struct dirent *de;
	guint i;
	DIR *d;

	if (cmd_opt_set(rq->call, "--base"))
		return images_base(rq);
	names = g_ptr_array_new_with_free_func(g_free);
	rows = g_array_new(FALSE, TRUE, sizeof(struct disk_row));
	d = storage_pool_opendir(rq->c->srv->cfg, rq->c->uid);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (g_str_has_suffix(de->d_name, ".qcow2") &&
		    strlen(de->d_name) > 6)
			g_ptr_array_add(names, g_strdup(de->d_name));
	g_ptr_array_sort(names, name_cmp);
	for (i = 0; i < names->len; i++)
		disk_row_add(rq, conn, d, g_ptr_array_index(names, i), rows);
	if (wants_json(rq))
		images_json(rq, rows);
	else
		images_table(rq, rows);
	for (i = 0; i < rows->len; i++)
		g_free(g_array_index(rows, struct disk_row, i).vm);
	g_array_free(rows, TRUE);
	if (d != NULL)
		closedir(d);
	g_ptr_array_free(names, TRUE);
	return 0;
}

const struct ops_handler ops_images_handlers[] = {
	{ .cmd = "images", .run = do_images },
	{ .cmd = NULL },
};

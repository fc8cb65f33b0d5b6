/* Uploads seen from the shell, which runs as the student: the kernel
 * decides what the student may open, and the broker only ever gets the
 * descriptor. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <glib.h>

#include "commands.h"
#include "conf.h"
#include "i18n.h"
#include "images.h"
#include "imgformat.h"
#include "names.h"
#include "sanitize.h"

int
images_area_open(struct shell *sh, char **area, char **err)
{
	struct config cfg = { .upload_dir = sh->upload_dir };
	struct stat st;
	int dfd;

	*area = NULL;
	if (session_ensure(&sh->sess, err) < 0)
		return -1;
	/* The broker's idea of the user name is the one that counts. */
	if (!user_name_valid(sh->sess.user)) {
		*err = g_strdup(_("uploads unavailable: the VM service gave an "
		    "unusable user name; tell the admin"));
		return -1;
	}
	*area = config_upload_area_new(&cfg, sh->sess.user);
	/* No symbolic link in its place: its parent is root's, so this is
	 * the directory the broker made. */
	dfd = open(*area, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		*err = g_strdup_printf(_("cannot open your upload area %s: %s; "
		    "tell the admin"), *area, g_strerror(errno));
	else if (fstat(dfd, &st) < 0 || st.st_uid != getuid()) {
		*err = g_strdup_printf(_("cannot use your upload area %s: not "
		    "your directory; tell the admin"), *area);
		close(dfd);
		dfd = -1;
	}
	if (dfd < 0) {
		g_free(*area);
		*area = NULL;
	}
	return dfd;
}

/* openat2 keeps the lookup beneath the area and refuses every symbolic
 * link on the way, whatever the name says. */
static int
open_beneath(int dfd, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dfd, name, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS) {
		/* Before Linux 5.6: no directories, no symbolic link. */
		if (strchr(name, '/') != NULL || strcmp(name, "..") == 0) {
			errno = EXDEV;
			return -1;
		}
		fd = openat(dfd, name, how.flags);
	}
	return (int)fd;
}

static char *
open_error(const char *name, int e)
{
	switch (e) {
	case ELOOP:
		return g_strdup_printf(_("%s is a symbolic link (or goes "
		    "through one); upload the file itself"), name);
	case EXDEV:
		return g_strdup_printf(_("%s is outside your upload area"),
		    name);
	case ENOENT:
		return g_strdup_printf(_("no upload named %s; see 'images'"),
		    name);
	default:
		return g_strdup_printf(_("cannot open %s: %s"), name,
		    g_strerror(e));
	}
}

/* Why the broker would refuse this file, or NULL. */
static char *
file_refusal(const char *name, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return g_strdup_printf(_("%s is not a regular file"), name);
	if (st->st_uid != getuid())
		return g_strdup_printf(_("%s is not your own file"), name);
	if (st->st_nlink != 1)
		return g_strdup_printf(_("%s has more than one link (a hard "
		    "link); upload a copy instead"), name);
	return NULL;
}

int
images_open_upload(struct shell *sh, const char *name, char **err)
{
	char *area = NULL;
	const char *rel = name;
	struct stat st;
	int dfd, fd = -1;
	size_t n;

	*err = NULL;
	if ((dfd = images_area_open(sh, &area, err)) < 0)
		return -1;
	n = strlen(area);
	if (name[0] == '/') {
		if (strncmp(name, area, n) != 0 || name[n] != '/') {
			*err = open_error(name, EXDEV);
			goto out;
		}
		rel = name + n + 1;
	}
	if ((fd = open_beneath(dfd, rel)) < 0) {
		*err = open_error(name, errno);
		goto out;
	}
	if (fstat(fd, &st) < 0 || (*err = file_refusal(name, &st)) != NULL) {
		if (*err == NULL)
			*err = open_error(name, errno);
		close(fd);
		fd = -1;
	}
out:
	close(dfd);
	g_free(area);
	return *err ? -1 : fd;
}

/* What the upload area shows of one file; the name as it is (the text
 * output sanitizes it, JSON escapes it). */
struct upload {
	char *name;
	int64_t allocated, vsize;	/* vsize -1: not known */
	const char *format;		/* or why the file is refused */
	bool refused;
};

static void
describe(int dfd, const char *name, struct upload *u)
{
	uint8_t head[4096], tail[512];
	struct stat st;
	ssize_t h, t = 0;
	char *why = NULL;
	int fd;

	u->name = g_strdup(name);
	u->vsize = -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		memset(&st, 0, sizeof(st));
	u->allocated = (int64_t)st.st_blocks * 512;
	fd = open_beneath(dfd, name);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (why = file_refusal(name, &st)) != NULL) {
		u->refused = true;
		u->format = fd < 0 && errno == ELOOP ?
		    N_("symbolic link: refused") : S_ISDIR(st.st_mode) ?
		    N_("directory") : N_("refused");
		if (fd >= 0) {
			g_free(why);
			close(fd);
		}
		return;
	}
	if ((h = pread(fd, head, sizeof(head), 0)) < 0)
		h = 0;
	if (st.st_size >= (off_t)sizeof(tail) && (t = pread(fd, tail,
	    sizeof(tail), st.st_size - sizeof(tail))) < 0)
		t = 0;
	u->format = img_format_name(img_sniff(head, h, t ? tail : NULL, t,
	    st.st_size, &u->vsize));
	close(fd);
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static gint
name_cmp(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The files of the upload area, sorted; NULL after reporting. */
static GArray *
uploads_read(struct shell *sh, char **area)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GArray *out;
	char *err = NULL;
	struct dirent *de;
	DIR *d;
	int dfd;
	guint i;

	if ((dfd = images_area_open(sh, area, &err)) < 0) {
		shell_error("%s", err);
		g_free(err);
		g_ptr_array_free(names, TRUE);
		return NULL;
	}
	d = fdopendir(dup(dfd));
	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			g_ptr_array_add(names, g_strdup(de->d_name));
	if (d != NULL)
		closedir(d);
	g_ptr_array_sort(names, name_cmp);
	out = g_array_new(FALSE, TRUE, sizeof(struct upload));
	g_array_set_size(out, names->len);
	for (i = 0; i < names->len; i++)
		describe(dfd, g_ptr_array_index(names, i),
		    &g_array_index(out, struct upload, i));
	close(dfd);
	g_ptr_array_free(names, TRUE);
	return out;
}

static void
uploads_free(GArray *u)
{
	guint i;

	for (i = 0; u != NULL && i < u->len; i++)
		g_free(g_array_index(u, struct upload, i).name);
	if (u != NULL)
		g_array_free(u, TRUE);
}

static char *
size_new(int64_t bytes)
{
	return bytes < 0 ? g_strdup(bytes == -1 ? "?" : "-") :
	    g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
}

int
images_print_uploads(struct shell *sh)
{
	char *area = NULL;
	GArray *ups = uploads_read(sh, &area);
	GPtrArray *cells;
	guint i;

	if (ups == NULL)
		return -1;
	printf(_("Uploads in %s:\n"), area);
	if (ups->len == 0)
		printf("%s\n", _("  (none; upload with sftp or scp)"));
	/* Name, space used, format, virtual size: columns as wide as their
	 * cells, whatever the names and the translations. */
	cells = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < ups->len; i++) {
		struct upload *u = &g_array_index(ups, struct upload, i);

		g_ptr_array_add(cells, sanitize_new(u->name, false, 64));
		g_ptr_array_add(cells, size_new(u->allocated));
		g_ptr_array_add(cells, g_strdup(_(u->format)));
		g_ptr_array_add(cells, size_new(u->refused ? -2 : u->vsize));
	}
	shell_print_rows((char **)cells->pdata, ups->len, 4, "  ");
	printf("%s\n", _("Disks in the pool:"));
	g_ptr_array_free(cells, TRUE);
	g_free(area);
	uploads_free(ups);
	return 0;
}

static void
json_upload(GString *out, const struct upload *u)
{
	char *name = json_quote_new(u->name);
	char *format = json_quote_new(u->refused ? "refused" : u->format);

	g_string_append_printf(out, "    {\n"
	    "      \"name\" : %s,\n"
	    "      \"allocated_bytes\" : %lld,\n"
	    "      \"format\" : %s,\n", name, (long long)u->allocated, format);
	if (u->vsize >= 0)
		g_string_append_printf(out, "      \"virtual_bytes\" : %lld\n",
		    (long long)u->vsize);
	else
		g_string_append(out, "      \"virtual_bytes\" : null\n");
	g_string_append(out, "    }");
	g_free(format);
	g_free(name);
}

int
images_json_uploads(struct shell *sh, GString *out)
{
	char *area = NULL;
	GArray *ups = uploads_read(sh, &area);
	guint i;

	if (ups == NULL)
		return -1;
	g_string_append(out, "  \"uploads\" : [");
	for (i = 0; i < ups->len; i++) {
		g_string_append(out, i == 0 ? "\n" : ",\n");
		json_upload(out, &g_array_index(ups, struct upload, i));
	}
	g_string_append(out, ups->len > 0 ? "\n  ]" : "]");
	g_free(area);
	uploads_free(ups);
	return 0;
}

/* A name completion may insert as it is: no blank, quote, backslash or
 * control character that the line would then read otherwise. */
static bool
plain_word(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr("\"'\\#", *s) != NULL)
			return false;
	return true;
}

char **
images_upload_names(struct shell *sh)
{
	GPtrArray *out = g_ptr_array_new();
	char *area = NULL, *err = NULL;
	struct dirent *de;
	DIR *d;
	int dfd;

	if ((dfd = images_area_open(sh, &area, &err)) >= 0 &&
	    (d = fdopendir(dfd)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && plain_word(de->d_name))
				g_ptr_array_add(out, g_strdup(de->d_name));
		closedir(d);
	} else if (dfd >= 0)
		close(dfd);
	g_free(area);
	g_free(err);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}


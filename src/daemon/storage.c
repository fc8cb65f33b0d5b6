/* Directories the broker makes and owns.  Their parents are root's and
 * not writable by others, so no student can swap a path under the broker
 * between its check and its use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>

#include "areausage.h"
#include "conf.h"
#include "storage.h"

/* A directory that only root may change. */
static int
root_dir(const char *path, char **err)
{
	struct stat st;

	if (g_mkdir_with_parents(path, 0755) < 0) {
		*err = g_strdup_printf("cannot make %s: %s", path,
		    g_strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022)) {
		*err = g_strdup_printf("%s must be a directory owned by root "
		    "and not writable by others", path);
		return -1;
	}
	return 0;
}

/* Makes path with its parents if it is missing, path itself with mode
 * whatever the umask; an existing one is left as it is. */
static int
make_dir(const char *path, mode_t mode, char **err)
{
	char *parent = g_path_get_dirname(path);
	int r = -1;

	if (g_mkdir_with_parents(parent, 0755) < 0)
		goto out;
	if (mkdir(path, mode) == 0)
		r = chmod(path, mode);
	else
		r = errno == EEXIST ? 0 : -1;
out:
	if (r < 0)
		*err = g_strdup_printf("cannot make %s: %s", path,
		    g_strerror(errno));
	g_free(parent);
	return r;
}

int
storage_init(const struct config *cfg, char **err)
{
	char *parent = g_path_get_dirname(cfg->upload_dir);
	int ret = -1;

	*err = NULL;
	/* QEMU opens the disks by their full path: the pool is searchable,
	 * not readable, by others. */
	if (make_dir(cfg->pool_dir, 0711, err) == 0 &&
	    make_dir(parent, 0755, err) == 0)
		ret = 0;
	g_free(parent);
	return ret;
}

int
storage_area_ensure(const struct config *cfg, uid_t uid, gid_t gid,
    const char *user, char **err)
{
	char *area = config_upload_area_new(cfg, user);
	char *parent = g_path_get_dirname(area);
	struct stat st;
	int r = -1;

	*err = NULL;
	if (root_dir(parent, err) < 0)
		goto out;
	if (mkdir(area, 0700) == 0) {
		if (lchown(area, uid, gid) < 0) {
			*err = g_strdup_printf("cannot give %s to uid %lu: %s",
			    area, (unsigned long)uid, g_strerror(errno));
			rmdir(area);
			goto out;
		}
	} else if (errno != EEXIST) {
		*err = g_strdup_printf("cannot make %s: %s", area,
		    g_strerror(errno));
		goto out;
	}
	if (lstat(area, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid) {
		*err = g_strdup_printf("%s is not a directory owned by uid "
		    "%lu; the admin must move it away", area,
		    (unsigned long)uid);
		goto out;
	}
	r = 0;
out:
	g_free(parent);
	g_free(area);
	return r;
}

int
storage_area_usage(const struct config *cfg, const char *user,
    struct area_usage *u)
{
	char *area = config_upload_area_new(cfg, user);
	int r = area_usage_path(area, u);

	g_free(area);
	return r;
}

/* Directories the broker makes and owns, and the disks in the pool.
 * Their parents are root's and not writable by others, so no student can
 * swap a path under the broker between its check and its use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>

#include "areausage.h"
#include "conf.h"
#include "i18n.h"
#include "imgformat.h"
#include "log.h"
#include "storage.h"

#define STAGING ".staging"

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
		*err = g_strdup_printf(_("cannot make %s: %s"), path,
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

void
storage_staging_clean(const struct config *cfg)
{
	char *dir = g_build_filename(cfg->pool_dir, STAGING, NULL);
	const char *f;
	GDir *d;

	if ((d = g_dir_open(dir, 0, NULL)) != NULL) {
		while ((f = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(dir, f, NULL);

			if (unlink(p) == 0)
				log_msg(LOG_INFO, "removed unfinished import "
				    "%s", p);
			g_free(p);
		}
		g_dir_close(d);
	}
	g_free(dir);
}

static int
staging_dir(const struct config *cfg, char **dir, char **err)
{
	struct stat st;

	*dir = g_build_filename(cfg->pool_dir, STAGING, NULL);
	/* The pool itself must be searchable: QEMU opens disks in it. */
	if ((g_mkdir_with_parents(cfg->pool_dir, 0711) < 0) ||
	    (mkdir(*dir, 0700) < 0 && errno != EEXIST) ||
	    lstat(*dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077)) {
		log_msg(LOG_ERR, "staging directory %s: not a private "
		    "directory of the broker's (%s)", *dir, g_strerror(errno));
		*err = g_strdup(_("the VM service cannot store images; tell "
		    "the admin"));
		g_free(*dir);
		*dir = NULL;
		return -1;
	}
	return 0;
}

int
storage_staging_file(const struct config *cfg, uid_t uid, char **path,
    char **err)
{
	char *dir;
	int fd;

	if (staging_dir(cfg, &dir, err) < 0)
		return -1;
	*path = g_strdup_printf("%s/u%lu-XXXXXX", dir, (unsigned long)uid);
	g_free(dir);
	if ((fd = g_mkstemp_full(*path, O_RDWR | O_CLOEXEC, 0600)) < 0) {
		log_msg(LOG_ERR, "%s: %s", *path, g_strerror(errno));
		*err = g_strdup_printf(_("cannot make a file in the pool: %s"),
		    g_strerror(errno));
		g_free(*path);
		*path = NULL;
	}
	return fd;
}

void
storage_push_out(int fd, off_t off, off_t len)
{
	if (fd >= 0)
		(void)sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
}

static char *
pool_user_path_new(const struct config *cfg, uid_t uid)
{
	return g_strdup_printf("%s/%lu", cfg->pool_dir, (unsigned long)uid);
}

char *
storage_disk_path_new(const struct config *cfg, uid_t uid, const char *vm)
{
	return g_strdup_printf("%s/%lu/%s.qcow2", cfg->pool_dir,
	    (unsigned long)uid, vm);
}

DIR *
storage_pool_opendir(const struct config *cfg, uid_t uid)
{
	char *dir = pool_user_path_new(cfg, uid);
	DIR *d = opendir(dir);

	g_free(dir);
	return d;
}

/* The user's directory in the pool: root's, searchable so that QEMU can
 * reach the disks libvirt hands it. */
static int
pool_user_dir(const struct config *cfg, uid_t uid, char **err)
{
	char *dir = pool_user_path_new(cfg, uid);
	struct stat st;
	int r = 0;

	if ((mkdir(dir, 0711) < 0 && errno != EEXIST) || lstat(dir, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "pool directory %s: %s", dir,
		    g_strerror(errno));
		*err = g_strdup(_("the VM service cannot store disks; tell the "
		    "admin"));
		r = -1;
	}
	g_free(dir);
	return r;
}

/* The move of a disk is on stable storage before a VM is defined on it,
 * as its data is (import.c): a crash never leaves a VM whose disk is
 * missing, or was removed at restart as an unfinished import. */
static int
sync_dir(const char *disk, char **err)
{
	char *dir = g_path_get_dirname(disk);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0 || fsync(fd) < 0) {
		int e = errno;

		log_msg(LOG_ERR, "fsync %s: %s", dir, g_strerror(e));
		unlink(disk);
		*err = g_strdup_printf(_("cannot move the image into the pool: "
		    "%s"), g_strerror(e));
		r = -1;
	}
	if (fd >= 0)
		close(fd);
	g_free(dir);
	return r;
}

int
storage_disk_place(const struct config *cfg, uid_t uid, char **staged,
    const char *disk, char **err)
{
	*err = NULL;
	if (pool_user_dir(cfg, uid, err) < 0)
		return -1;
	if (renameat2(AT_FDCWD, *staged, AT_FDCWD, disk,
	    RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			return 1;
		log_msg(LOG_ERR, "rename %s: %s", *staged, g_strerror(errno));
		*err = g_strdup_printf(_("cannot move the image into the pool: "
		    "%s"), g_strerror(errno));
		return -1;
	}
	g_free(*staged);
	*staged = NULL;
	return sync_dir(disk, err);
}

int
storage_file_sizes(int dirfd, const char *name, int64_t *vsize,
    int64_t *used, uint32_t *nsnap)
{
	uint8_t head[512];
	struct stat st;
	ssize_t n;
	int fd;

	*vsize = -1;
	*used = 0;
	*nsnap = 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n <= 0 || img_sniff(head, n, NULL, 0, st.st_size, vsize) !=
	    IMG_QCOW2)
		*vsize = -1;
	/* The qcow2 header's count of internal snapshots (big-endian, at
	 * byte 60). */
	else if (n >= 64)
		*nsnap = (uint32_t)head[60] << 24 | head[61] << 16 |
		    head[62] << 8 | head[63];
	close(fd);
	*used = (int64_t)st.st_blocks * 512;
	return 0;
}

int
storage_disk_sizes(const struct config *cfg, uid_t uid, const char *vm,
    int64_t *vsize, int64_t *used, uint32_t *nsnap)
{
	char *dir = pool_user_path_new(cfg, uid);
	char *file = g_strdup_printf("%s.qcow2", vm);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = -1;

	*vsize = -1;
	*used = 0;
	*nsnap = 0;
	if (dfd >= 0) {
		r = storage_file_sizes(dfd, file, vsize, used, nsnap);
		close(dfd);
	}
	g_free(file);
	g_free(dir);
	return r;
}

int64_t
storage_file_charge(int dirfd, const char *name)
{
	int64_t v, used;
	uint32_t nsnap;

	if (storage_file_sizes(dirfd, name, &v, &used, &nsnap) < 0)
		return 0;
	/* Internal snapshots pin what the image holds, and the live image
	 * may still grow to its virtual size. */
	if (nsnap > 0 && v > 0)
		return v + used;
	return MAX(v, used);
}

long long
storage_disk_bytes(const struct config *cfg, uid_t uid)
{
	DIR *d = storage_pool_opendir(cfg, uid);
	struct dirent *de;
	long long sum = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			sum += storage_file_charge(dirfd(d), de->d_name);
	if (d != NULL)
		closedir(d);
	return sum;
}

/* The walk behind the upload quota.  Nothing here follows a symbolic
 * link or leaves the tree it was given: the broker runs it as root on a
 * directory its student fills. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "areausage.h"

static void
walk(int dirfd, int depth, struct area_usage *u)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int fd;

	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		u->files++;
		u->bytes += (long long)st.st_blocks * 512;
		if (!S_ISDIR(st.st_mode) || depth >= AREA_MAX_DEPTH)
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			walk(fd, depth + 1, u);
	}
	closedir(d);
}

int
area_usage_at(int dirfd, struct area_usage *u)
{
	int fd;

	u->bytes = u->files = 0;
	/* A fresh descriptor: fdopendir takes it over, and its offset must
	 * not be shared with the caller's. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	walk(fd, 1, u);
	return 0;
}

int
area_usage_path(const char *path, struct area_usage *u)
{
	int fd, r;

	u->bytes = u->files = 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	r = area_usage_at(fd, u);
	close(fd);
	return r;
}

/* ie-vmd --unbox: takes the disk out of a Vagrant box (a tar, maybe
 * gzipped) on fd 3 and writes it to fd 4.  A fresh process, started as
 * nobody by import.c (through sandbox.c), that first gives up every
 * file-system access: libarchive reads a student's bytes here, not in the
 * broker. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

#include "import.h"
#include "landlock.h"

#define NOBODY 65534
#define BLOCK 65536

static int
confine(void)
{
	struct landlock *ll;

	if (geteuid() == 0 && (setgroups(0, NULL) < 0 ||
	    setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0))
		return -1;
	/* No rules: nothing can be opened.  fds 3 and 4 stay usable. */
	if ((ll = landlock_new()) != NULL) {
		if (landlock_enforce(ll) < 0) {
			landlock_free(ll);
			return -1;
		}
		landlock_free(ll);
	}
	return 0;
}

/* Vagrant's libvirt boxes hold box.img; VirtualBox and VMware boxes hold
 * one or more .vmdk. */
static bool
is_disk(const char *path)
{
	const char *base = strrchr(path, '/');
	char *low;
	bool r;

	base = base ? base + 1 : path;
	low = g_ascii_strdown(base, -1);
	r = strcmp(low, "box.img") == 0 || g_str_has_suffix(low, ".vmdk") ||
	    g_str_has_suffix(low, ".qcow2") || g_str_has_suffix(low, ".vdi") ||
	    g_str_has_suffix(low, ".vhd") || g_str_has_suffix(low, ".vhdx");
	g_free(low);
	return r;
}

static bool
all_zero(const char *buf, size_t n)
{
	return n == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, n - 1) == 0);
}

/* Writes the entry's data; zero blocks become holes.  Returns -1 when
 * writing fails (errno), -2 when the archive is bad. */
static int
extract(struct archive *a, int64_t size)
{
	const void *buf;
	size_t n;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &n, &off)) ==
	    ARCHIVE_OK) {
		const char *p = buf;
		size_t done = 0;

		if (off < 0 || off + (int64_t)n > size)
			return -2;
		while (done < n) {
			size_t k = MIN(BLOCK, n - done);

			if (!all_zero(p + done, k) && pwrite(4, p + done, k,
			    off + done) != (ssize_t)k)
				return -1;	/* errno: disk full... */
			done += k;
		}
	}
	if (r != ARCHIVE_EOF)
		return -2;
	return ftruncate(4, size);
}

int
unbox_main(int64_t max)
{
	struct archive *a;
	struct archive_entry *e;
	int r, found = 0;

	if (confine() < 0) {
		fprintf(stderr, "cannot confine the unpacker: %s\n",
		    strerror(errno));
		return 1;
	}
	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, 3, BLOCK) != ARCHIVE_OK)
		goto bad;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		int64_t size = archive_entry_size(e);

		if (archive_entry_filetype(e) != AE_IFREG ||
		    !is_disk(archive_entry_pathname(e)))
			continue;
		if (found++) {
			fprintf(stderr, "the box holds more than one disk\n");
			goto out;
		}
		if (size <= 0 || size > max) {
			fprintf(stderr, "the box's disk is empty or larger "
			    "than the limit\n");
			goto out;
		}
		if ((r = extract(a, size)) == -2)
			goto bad;
		if (r < 0) {
			fprintf(stderr, "cannot write the disk: %s\n",
			    strerror(errno));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		goto bad;
	if (!found) {
		fprintf(stderr, "no disk in the box (box.img or a .vmdk)\n");
		goto out;
	}
	archive_read_free(a);
	return 0;
bad:
	fprintf(stderr, "%s\n", archive_error_string(a) ?
	    archive_error_string(a) : "not a tar or tar.gz archive");
out:
	archive_read_free(a);
	return 1;
}

/* Image import: from a descriptor the student's shell opened, to a checked
 * qcow2 file in the pool's staging directory.  The broker never opens a
 * path a student named; qemu-img runs confined. */
#ifndef IEVS_IMPORT_H
#define IEVS_IMPORT_H

#include <stdint.h>
#include <sys/types.h>

struct config;

struct import_ctl {
	int cancel_fd;		/* the client: readable or hung up = cancel */
	/* "copying", "converting"...; percent 0-100 */
	void (*progress)(void *arg, const char *what, int percent);
	void *arg;
};

/* Called once at start-up, before threads: remembers the broker's own
 * binary (for unpacking boxes) and removes what a killed broker left in
 * the staging directory. */
int import_init(const struct config *cfg, char **err);

/* Imports the upload open on fd, owned by uid.  Returns 0 with the staged
 * qcow2 file (*staged, caller renames it into place or unlinks it), its
 * virtual size and what the student should know of it (default
 * credentials removed or left: creds.h), lines in *note or NULL; or -1
 * with one line for the student in *err.  Nothing is left behind on
 * failure. */
int import_image(const struct config *cfg, uid_t uid, int fd,
    const struct import_ctl *ctl, char **staged, int64_t *vsize,
    char **note, char **err);

/* Copies (or converts) the image open on fd, as import_image does an
 * upload, into a staged qcow2 file: a base image of the admin's, so
 * without the rules on an upload's owner. */
int import_copy(const struct config *cfg, uid_t uid, int fd,
    const struct import_ctl *ctl, char **staged, int64_t *vsize,
    char **err);

/* Inspects the image open on fd as an import inspects an upload (its
 * format from its contents, qemu-img info judged, a qcow2 image checked),
 * without copying it.  *format is a static string. */
int import_inspect(const struct config *cfg, int fd, const char **format,
    int64_t *vsize, char **err);

/* A new blank qcow2 disk of size bytes (sparse: only its metadata is
 * written), synced, in a staged file as import_image leaves one. */
int import_blank(const struct config *cfg, uid_t uid, int64_t size,
    const struct import_ctl *ctl, char **staged, char **err);

/* ie-vmd --unbox: reads a Vagrant box on fd 3, writes its disk to fd 4. */
int unbox_main(int64_t max);

#endif

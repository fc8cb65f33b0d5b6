/* The broker's files: each user's upload area and disk directory in the
 * pool, the disks in it, and the staging directory where imports are
 * made. */
#ifndef IEVS_STORAGE_H
#define IEVS_STORAGE_H

#include <dirent.h>
#include <stdint.h>
#include <sys/types.h>

struct config;

/* Makes the pool (mode 0711) and the parent of the upload areas (0755),
 * and their parents, where they are missing, so that a new deployment
 * passes ie-vmd --check before its first define.  Returns -1 with a
 * reason in *err. */
int storage_init(const struct config *cfg, char **err);

/* Makes the user's upload area if it is missing: root-owned parents
 * (0755), the area owned by the user (0700).  An existing area must be a
 * directory of the user's.  Returns -1 with a reason in *err. */
int storage_area_ensure(const struct config *cfg, uid_t uid, gid_t gid,
    const char *user, char **err);

/* What the user's upload area holds (an area not made yet holds
 * nothing).  Returns -1 if it cannot be read. */
struct area_usage;
int storage_area_usage(const struct config *cfg, const char *user,
    struct area_usage *u);

/* Removes what a broker killed during an import left in the staging
 * directory.  Called once at start-up. */
void storage_staging_clean(const struct config *cfg);
/* A new empty file in the staging directory (private to the broker):
 * its descriptor, and its path in *path (caller frees); or -1 with one
 * line for the student in *err. */
int storage_staging_file(const struct config *cfg, uid_t uid, char **path,
    char **err);

/* Starts writeback of what is written to fd so far (len 0: to the end),
 * without waiting for it: the fsync before a disk is placed then finds
 * little left to write, instead of the whole image dirty in the page
 * cache. */
void storage_push_out(int fd, off_t off, off_t len);

/* The path of uid's disk of VM vm in the pool (caller frees). */
char *storage_disk_path_new(const struct config *cfg, uid_t uid,
    const char *vm);
/* The user's directory in the pool, for reading; NULL if there is none. */
DIR *storage_pool_opendir(const struct config *cfg, uid_t uid);
/* Moves the staged disk *staged to disk, never over a file, in the user's
 * pool directory (made if missing), and puts the move on stable storage.
 * Returns 0 (*staged freed and NULL), 1 if disk is there already
 * (nothing done), or -1 with one line for the student in *err. */
int storage_disk_place(const struct config *cfg, uid_t uid, char **staged,
    const char *disk, char **err);

/* A pool file's virtual size (-1 if it is not a qcow2 image), the bytes
 * it allocates and its count of internal snapshots.  -1 if it cannot be
 * read as a regular file. */
int storage_file_sizes(int dirfd, const char *name, int64_t *vsize,
    int64_t *used, uint32_t *nsnap);
/* The same for uid's disk of VM vm. */
int storage_disk_sizes(const struct config *cfg, uid_t uid, const char *vm,
    int64_t *vsize, int64_t *used, uint32_t *nsnap);
/* The disk charged for a pool file: its virtual size if it is a qcow2
 * image, else what it allocates (whichever is more); a qcow2 image with
 * internal snapshots is charged both, since the snapshots pin what it
 * allocates. */
int64_t storage_file_charge(int dirfd, const char *name);
/* What all the disks in the user's pool directory are charged. */
long long storage_disk_bytes(const struct config *cfg, uid_t uid);

#endif

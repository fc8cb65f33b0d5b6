/* The broker's files: each user's upload area and disk directory in the
 * pool, and the staging directory where imports are made. */
#ifndef IEVS_STORAGE_H
#define IEVS_STORAGE_H

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

#endif

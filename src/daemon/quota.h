/* Quotas: which limits apply to a user, and whether a change fits. */
#ifndef IEVS_QUOTA_H
#define IEVS_QUOTA_H

#include <sys/types.h>

#include "conf.h"

struct usage {
	long long v[Q__COUNT];	/* disk in bytes; the rest as configured */
	long long uploads;	/* the part of v[Q_DISK] in the upload area */
};

/* The user's limits: [quota.user:NAME] over [quota.group:NAME] (the most
 * generous of the user's groups) over [quota], resource by resource.
 * Returns -1 if a group rule's group could not be looked up (the
 * directory is down): no limits are better than wrong ones. */
int quota_for(const struct config *cfg, const char *user, gid_t gid,
    struct quota *q);
/* Would adding add[] to u exceed q?  Returns NULL if it fits, or the
 * message for the user (caller frees). */
char *quota_exceeded(const struct quota *q, const struct usage *u,
    const struct usage *add, const char *hint);
/* "2 of 8", "1.5 of 100 GiB", "3 of unlimited", and its two halves
 * ("1.5", "100 GiB"). */
char *quota_format(enum quota_res r, long long used, long long limit);
char *quota_used_str(enum quota_res r, long long used);
char *quota_limit_str(enum quota_res r, long long limit);
const char *quota_label(enum quota_res r);
/* A resource's stable key, for scripts and the shell ("vms",
 * "memory_mib", ...: the unit of the numbers --json gives); and the key
 * of the uploads' part of the disk, which has no limit of its own. */
const char *quota_key(enum quota_res r);
#define QUOTA_UPLOADS_KEY "upload_bytes"

#endif

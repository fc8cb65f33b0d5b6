/* The upload quota, kept by the shell while it relays a transfer: what
 * the broker allows (disk limit, the VM disks' part of it, file limit)
 * against what the upload area really holds, measured again as it fills.
 * Parallel sessions of one user each measure the same area, so together
 * they pass the limit by at most a write each. */
#ifndef IEVS_BUDGET_H
#define IEVS_BUDGET_H

#include <stdbool.h>

/* Below this much room, one write at a time, each on a fresh measure. */
#define BUDGET_TIGHT (16LL * 1024 * 1024)

struct budget {
	int areafd;		/* the upload area (not owned) */
	long long limit;	/* disk quota in bytes; -1: none */
	long long pool;		/* what the VM disks take of it */
	long long files_limit;	/* entries in the area; -1: none */
	long long used;		/* the area's bytes at the last measure */
	long long files;	/* its entries then */
	long long room;		/* limit - pool - used then */
	long long taken;	/* by this session since then */
};

enum budget_verdict {
	BUDGET_OK,
	BUDGET_WAIT,		/* ask again once nothing is in flight */
	BUDGET_REFUSED,
};

void budget_init(struct budget *b, int areafd, long long limit,
    long long pool, long long files_limit);
/* May n more bytes go to the area?  inflight: what this session has sent
 * on and not yet seen written (a measure cannot see it yet). */
enum budget_verdict budget_bytes(struct budget *b, long long n,
    long long inflight);
/* May one more entry (file or directory) be made? */
bool budget_entry(struct budget *b);
/* The refusal, for the user (caller frees): files or bytes. */
char *budget_refusal_new(const struct budget *b, bool files);

#endif

/* What an upload area holds: the bytes its files allocate and how many
 * entries it has.  The broker counts it in the disk quota; the shell's
 * upload relay measures it again as it goes. */
#ifndef IEVS_AREAUSAGE_H
#define IEVS_AREAUSAGE_H

struct area_usage {
	long long bytes;	/* allocated (st_blocks), all entries */
	long long files;	/* entries: files, directories, links */
};

/* Walks the tree below dirfd without following symbolic links, as far as
 * AREA_MAX_DEPTH levels.  Entries that vanish meanwhile are skipped.
 * Returns 0, or -1 with errno set if dirfd cannot be read. */
int area_usage_at(int dirfd, struct area_usage *u);
/* The same for a path; a missing area is empty. */
int area_usage_path(const char *path, struct area_usage *u);

#define AREA_MAX_DEPTH 32

#endif

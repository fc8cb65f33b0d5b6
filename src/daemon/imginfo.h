/* The broker's reading of `qemu-img info --output=json` on an upload: what
 * the image is, and whether it may become a student's disk.  The output
 * describes a student's file and is read as untrusted. */
#ifndef IEVS_IMGINFO_H
#define IEVS_IMGINFO_H

#include <stddef.h>
#include <stdint.h>

/* Longest output read; QEMU's for an acceptable image is under 2 KiB. */
#define IMGINFO_MAX_JSON (256 * 1024)

struct imginfo {
	char *format;		/* QEMU's driver name, as expected */
	int64_t virtual_size;	/* bytes, 1 .. max_virtual_size */
	int64_t actual_size;	/* bytes allocated on the host, or -1 */
};

/* Parses json (len bytes, no terminator needed) and judges the image.
 * Returns 0 and fills out, or -1, leaves out empty and sets *err to one
 * line a student can act on (caller frees).  The image must be in
 * expect_format, be the file expect_filename (the name qemu-img was given)
 * and nothing else: no backing file, data file, other extent or child
 * node naming another file; not encrypted, not marked corrupt; a virtual
 * size of at most max_virtual_size bytes.  Names quoted in *err are cut
 * to about 100 bytes but not escaped. */
int imginfo_parse(const char *json, size_t len, const char *expect_format,
    const char *expect_filename, int64_t max_virtual_size,
    struct imginfo *out, char **err);
/* Frees what out holds and empties it; out may be NULL. */
void imginfo_clear(struct imginfo *out);

#endif

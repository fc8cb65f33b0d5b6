/* The student's side of imports: opening an upload as the student, and
 * describing the upload area. */
#ifndef IEVS_IMAGES_H
#define IEVS_IMAGES_H

#include <glib.h>

struct shell;

/* Opens the user's upload area (connecting to the broker if need be: its
 * user name decides the area) and returns a descriptor of it, with the
 * path in *area; or -1 and a message in *err (caller frees both). */
int images_area_open(struct shell *sh, char **area, char **err);
/* Opens name (relative to the upload area, or absolute inside it) for the
 * broker: no symbolic link anywhere on the way, a regular file of the
 * user's own with one link.  Returns the descriptor, or -1 and a message
 * (caller frees). */
int images_open_upload(struct shell *sh, const char *name, char **err);
/* Prints the upload area's files: name, size on disk, format, virtual
 * size.  Returns 0, or -1 after reporting. */
int images_print_uploads(struct shell *sh);
/* The same as the member "uploads" of a JSON object, appended to out in
 * printable ASCII and laid out as the broker lays out its JSON (without
 * the comma or newline that would follow it).  Returns 0, or -1 after
 * reporting. */
int images_json_uploads(struct shell *sh, GString *out);
/* The upload area's file names, for completion (NULL-terminated,
 * g_strfreev; empty if the area cannot be read). */
char **images_upload_names(struct shell *sh);

#endif

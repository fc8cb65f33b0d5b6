/* What a student sees of libvirt's errors: one line that says what failed
 * and what to do, never a host path or another internal of the host.  The
 * original goes to the audit log. */
#ifndef IEVS_VIRTERR_H
#define IEVS_VIRTERR_H

#include <stdbool.h>

/* What the broker knows of the VM the failed call was about. */
struct virterr_about {
	const char *vm;		/* the student's name of it, or NULL */
	const char *domain;	/* libvirt's name of it, or NULL */
	const char *disk;	/* the path of its disk, or NULL */
	bool disk_exists;
};

/* The line for the student: what (such as "cannot start web"), then why
 * and what to do, from libvirt's error code and message.  Caller frees. */
char *virterr_line_new(const char *what, int code, const char *msg,
    const struct virterr_about *a);

#endif

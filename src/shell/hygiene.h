/* Start-up hygiene of the shell: file descriptors, environment, signals. */
#ifndef IEVS_HYGIENE_H
#define IEVS_HYGIENE_H

#include <stdbool.h>

#include "i18n.h"

/* Call first in main(), before setlocale() or anything else that reads the
 * environment or opens a file.  Returns -1, after one line on stderr, when
 * the shell must not run (setuid, setgid, AT_SECURE). */
int hygiene_init(void);

/* What may be kept of the caller's TERM (its locale variables: i18n.h). */
bool term_valid(const char *term);

#endif

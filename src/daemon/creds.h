/* Default credentials in an imported disk: Vagrant's published insecure
 * ssh keys and passwords anyone would guess.  The disk is looked at by
 * ie-vmd-creds (guestcreds.c, libguestfs) run confined; per [import]
 * credentials an import is refused, warned about or fixed (the keys
 * removed, the passwords locked and the student's own keys put in). */
#ifndef IEVS_CREDS_H
#define IEVS_CREDS_H

#include <stdbool.h>
#include <sys/types.h>

struct config;
struct import_ctl;

/* Why credentials cannot be checked here (no helper, no kernel for the
 * appliance), or NULL if they can; a static string, untranslated.  Then
 * imports go on as with credentials = off. */
const char *creds_unavailable(const struct config *cfg);

/* Looks at the staged qcow2 disk of uid's import.  Returns 0 with lines
 * for the student in *note (or NULL), or -1 with one line in *err: the
 * import is refused. */
int creds_import(const struct config *cfg, uid_t uid, const char *staged,
    const struct import_ctl *ctl, char **note, char **err);

#endif

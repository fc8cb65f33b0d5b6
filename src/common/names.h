/* VM naming: the one rule for names students choose, and how an owner and
 * a VM name map to a libvirt domain name. */
#ifndef IEVS_NAMES_H
#define IEVS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "i18n.h"

#define VM_NAME_MAX 32
/* Marked for translation; where it is shown, _(VM_NAME_RULE). */
#define VM_NAME_RULE N_("1 to 32 characters: lowercase letters, digits " \
	"and '-', starting with a letter or digit")
#define USER_NAME_MAX 64
/* Marked for translation; where it is shown, _(USER_NAME_RULE). */
#define USER_NAME_RULE N_("letters, digits, '.', '_' and '-', not starting " \
	"with '-', not dots alone")

/* XML namespace of the ownership record kept in each domain's <metadata>. */
#define OWNER_NS_URI "urn:ie-vshell:owner:1"
#define OWNER_NS_PREFIX "ievs"

bool vm_name_valid(const char *name);
bool user_name_valid(const char *name);

/* "u<uid>_<vm>": the '_' cannot occur in a VM name, so the split is
 * unambiguous whatever the user names are.  Display only: ownership is
 * checked against the metadata. */
char *domain_name_new(uid_t uid, const char *vm);
/* Returns 0 and fills *uid and vm (VM_NAME_MAX + 1 bytes) if name has the
 * form above with a valid VM name, -1 otherwise. */
int domain_name_parse(const char *name, uid_t *uid, char *vm);

/* Split "user/vm" or "vm".  user is NULL for the plain form.  Returns -1
 * if the form is wrong; the parts are then not validated. */
int vm_ref_split(const char *ref, char **user, char **vm);

#endif

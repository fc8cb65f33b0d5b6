/* Access decisions of the broker, kept apart from the handlers: who may run
 * which command on which VM.  Reads the table's flags in one place. */
#ifndef IEVS_POLICY_H
#define IEVS_POLICY_H

#include <sys/types.h>

#include "cmdtab.h"
#include "names.h"

struct client;

struct target {
	uid_t uid;		/* owner of the VM the command names */
	char *user;		/* owner's user name */
	char vm[VM_NAME_MAX + 1];
	char *domain;		/* libvirt domain name */
	int other;		/* the owner is not the client (admin acting) */
};

/* Returns ST_OK and fills t (when the command names a VM), or an ST_*
 * status and a message for the client in *err (caller frees). */
int policy_check(const struct client *c, const struct cmd_call *call,
    struct target *t, char **err);
void target_clear(struct target *t);
/* The user name (caller frees) and primary group of uid; -1 if none. */
int policy_user_by_uid(uid_t uid, char **name, gid_t *gid);
/* Is the client a member of group (by name)? */
int policy_in_group(const char *user, gid_t gid, const char *group);
/* The same, but -1 if there is no such group. */
int policy_group_member(const char *user, gid_t gid, const char *group);

#endif

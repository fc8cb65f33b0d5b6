/* Policy: identity comes from SO_PEERCRED (struct client), never from the
 * request; a command's flags and options decide what else is needed. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "i18n.h"
#include "policy.h"
#include "proto.h"
#include "server.h"

void
target_clear(struct target *t)
{
	g_free(t->user);
	g_free(t->domain);
	memset(t, 0, sizeof(*t));
}

/* One entry of the passwd database (by name, or by uid if name is NULL)
 * or, with group, of the group database (by name), with the buffer grown
 * until the entry fits: a class group lists hundreds of members, and
 * every broker thread looks users up this way.  Fills what it is given
 * a place for: the ids, the name (caller frees), and for a group whether
 * member is one of its listed members. */
static int
db_lookup(bool group, const char *name, uid_t uid, uid_t *uid_out,
    gid_t *gid_out, char **name_out, const char *member, bool *listed)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	size_t len = group ? 16384 : 4096;
	size_t max = group ? 16 * 1024 * 1024 : 1024 * 1024;
	char *buf = NULL, **m;
	int r;

	do {
		buf = g_realloc(buf, len);
		if (group)
			r = getgrnam_r(name, &gr, buf, len, &grp);
		else if (name != NULL)
			r = getpwnam_r(name, &pw, buf, len, &pwp);
		else
			r = getpwuid_r(uid, &pw, buf, len, &pwp);
		len *= 2;
	} while (r == ERANGE && len <= max);
	if (r == 0 && grp != NULL) {
		if (gid_out != NULL)
			*gid_out = grp->gr_gid;
		for (m = grp->gr_mem; listed != NULL && m != NULL &&
		    *m != NULL && !*listed; m++)
			*listed = strcmp(*m, member) == 0;
	}
	if (r == 0 && pwp != NULL) {
		if (uid_out != NULL)
			*uid_out = pwp->pw_uid;
		if (name_out != NULL)
			*name_out = g_strdup(pwp->pw_name);
		if (gid_out != NULL)
			*gid_out = pwp->pw_gid;
	}
	g_free(buf);
	return r == 0 && (grp != NULL || pwp != NULL) ? 0 : -1;
}

/* A member is one whose primary group it is, or one the group's entry
 * lists: one lookup of the group, where getgrouplist() would go through
 * every group of every source in nsswitch.conf (with nss_systemd, a call
 * to systemd-userdbd) on every connection. */
int
policy_group_member(const char *user, gid_t gid, const char *group)
{
	gid_t want = 0;
	bool listed = false;

	if (db_lookup(true, group, 0, NULL, &want, NULL, user, &listed) < 0)
		return -1;
	return want == gid || listed;
}

int
policy_in_group(const char *user, gid_t gid, const char *group)
{
	return policy_group_member(user, gid, group) == 1;
}

int
policy_user_by_uid(uid_t uid, char **name, gid_t *gid)
{
	return db_lookup(false, NULL, uid, NULL, gid, name, NULL, NULL);
}

static int
lookup_user(const char *name, uid_t *uid)
{
	return db_lookup(false, name, 0, uid, NULL, NULL, NULL, NULL);
}

static int
resolve(const struct client *c, const char *ref, struct target *t, char **err)
{
	char *user = NULL, *vm = NULL;
	int st = ST_USAGE;

	if (vm_ref_split(ref, &user, &vm) < 0 ||
	    (user != NULL && !user_name_valid(user))) {
		*err = g_strdup_printf(_("invalid VM reference '%s': use NAME, "
		    "or USER/NAME for admins"), ref);
		goto out;
	}
	if (!vm_name_valid(vm)) {
		*err = g_strdup_printf(_("invalid VM name '%s': %s"), vm,
		    _(VM_NAME_RULE));
		goto out;
	}
	if (user == NULL || strcmp(user, c->user) == 0) {
		t->uid = c->uid;
		t->user = g_strdup(c->user);
	} else {
		st = ST_FAILED;
		if (!c->admin) {
			*err = g_strdup(_("permission denied: only admins may "
			    "name another user's VM"));
			goto out;
		}
		if (lookup_user(user, &t->uid) < 0) {
			*err = g_strdup_printf(_("no such user: %s"), user);
			goto out;
		}
		t->user = g_strdup(user);
		t->other = t->uid != c->uid;
	}
	g_strlcpy(t->vm, vm, sizeof(t->vm));
	t->domain = domain_name_new(t->uid, vm);
	st = ST_OK;
out:
	g_free(user);
	g_free(vm);
	return st;
}

int
policy_check(const struct client *c, const struct cmd_call *call,
    struct target *t, char **err)
{
	const struct cmd_def *d = call->def;
	int i;

	memset(t, 0, sizeof(*t));
	*err = NULL;
	if (d->flags & CMD_LOCAL) {
		*err = g_strdup_printf(_("%s is a shell command, not a broker "
		    "request"), d->name);
		return ST_USAGE;
	}
	if ((d->flags & CMD_ADMIN) && !c->admin) {
		*err = g_strdup_printf(_("permission denied: %s is for admins "
		    "only"), d->name);
		return ST_FAILED;
	}
	for (i = 0; i < CMD_MAX_OPTS && d->opts[i].name != NULL; i++) {
		if (call->opt[i] != NULL && (d->opts[i].flags & OPT_ADMIN) &&
		    !c->admin) {
			*err = g_strdup_printf(_("permission denied: %s %s is "
			    "for admins only"), d->name, d->opts[i].name);
			return ST_FAILED;
		}
	}
	if (d->flags & (CMD_VMARG | CMD_NEWVM))
		return resolve(c, call->pos[0], t, err);
	return ST_OK;
}

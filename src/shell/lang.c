/* The config's language for a user whose session names none.  ssh passes
 * LANG and LC_*, but pam_env may set LANG from /etc/default/locale for
 * everyone: the admin's [language] comes before LANG, after what the
 * student set on purpose. */
#include "config.h"

#include <grp.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "conf.h"
#include "lang.h"

#define GROUPS_MAX 1024

struct member_ctx {
	gid_t *groups;
	int ngroups;
};

static bool
member(const char *group, void *arg)
{
	const struct member_ctx *m = arg;
	struct group *gr = getgrnam(group);
	int i;

	for (i = 0; gr != NULL && i < m->ngroups; i++)
		if (m->groups[i] == gr->gr_gid)
			return true;
	return false;
}

/* loc for messages, and for the codeset too where that is not UTF-8 (the
 * translation would come out as '?'); nothing changes if either fails. */
static void
apply(const char *loc)
{
	char *msgs = g_strdup(setlocale(LC_MESSAGES, NULL));

	if (setlocale(LC_MESSAGES, loc) != NULL &&
	    (strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ||
	    setlocale(LC_CTYPE, loc) != NULL))
		setenv("LC_MESSAGES", loc, 1);
	else if (msgs != NULL)
		setlocale(LC_MESSAGES, msgs);
	g_free(msgs);
}

void
lang_apply_config(const struct config *cfg)
{
	gid_t groups[GROUPS_MAX];
	struct member_ctx m = { groups, GROUPS_MAX };
	struct passwd *pw;
	const char *loc;

	if (cfg->nlangs == 0 || getenv("LANGUAGE") != NULL ||
	    getenv("LC_ALL") != NULL || getenv("LC_MESSAGES") != NULL ||
	    (pw = getpwuid(getuid())) == NULL)
		return;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &m.ngroups) < 0)
		m.ngroups = 0;	/* more than GROUPS_MAX: user and default */
	if ((loc = config_language(cfg, pw->pw_name, member, &m)) != NULL)
		apply(loc);
}

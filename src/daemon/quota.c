/* Quota resolution and checks, kept free of libvirt so that they can be
 * tested alone. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "i18n.h"
#include "policy.h"
#include "quota.h"

#define GIB (1024.0 * 1024 * 1024)

static const char *const labels[Q__COUNT] = {
	N_("VMs defined"), N_("VMs running"), N_("running vCPUs"),
	N_("running memory"), N_("disk"), N_("upload files"),
};
static const char *const units[Q__COUNT] = { "", "", "", "MiB", "GiB", "" };
static const char *const keys[Q__COUNT] = { "vms", "running", "vcpus",
	"memory_mib", "disk_bytes", "upload_files",
};

const char *
quota_label(enum quota_res r)
{
	return _(labels[r]);
}

const char *
quota_key(enum quota_res r)
{
	return keys[r];
}

static long long
more_generous(long long a, long long b)
{
	if (a == QUOTA_UNSET)
		return b;
	if (b == QUOTA_UNSET)
		return a;
	if (a == QUOTA_UNLIMITED || b == QUOTA_UNLIMITED)
		return QUOTA_UNLIMITED;
	return a > b ? a : b;
}

int
quota_for(const struct config *cfg, const char *user, gid_t gid,
    struct quota *q)
{
	struct quota grp;
	int i, r, in;

	for (r = 0; r < Q__COUNT; r++)
		grp.limit[r] = QUOTA_UNSET;
	*q = cfg->quota;
	for (i = 0; i < cfg->nrules; i++) {
		const struct quota_rule *rule = &cfg->rules[i];

		if (rule->kind != 'g')
			continue;
		if ((in = policy_in_group(user, gid, rule->name)) < 0)
			return -1;
		if (!in)
			continue;
		for (r = 0; r < Q__COUNT; r++)
			grp.limit[r] = more_generous(grp.limit[r],
			    rule->q.limit[r]);
	}
	for (r = 0; r < Q__COUNT; r++)
		if (grp.limit[r] != QUOTA_UNSET)
			q->limit[r] = grp.limit[r];
	for (i = 0; i < cfg->nrules; i++) {
		const struct quota_rule *rule = &cfg->rules[i];

		if (rule->kind != 'u' || strcmp(rule->name, user) != 0)
			continue;
		for (r = 0; r < Q__COUNT; r++)
			if (rule->q.limit[r] != QUOTA_UNSET)
				q->limit[r] = rule->q.limit[r];
	}
	return 0;
}

/* Usage in the unit of the limit (disk: bytes to GiB). */
static double
in_units(enum quota_res r, long long v)
{
	return r == Q_DISK ? v / GIB : (double)v;
}

char *
quota_used_str(enum quota_res r, long long used)
{
	if (r == Q_DISK)
		return g_strdup_printf("%.1f", in_units(r, used));
	return g_strdup_printf("%lld", used);
}

char *
quota_limit_str(enum quota_res r, long long limit)
{
	const char *unit = units[r];

	if (limit == QUOTA_UNLIMITED)
		return g_strdup_printf(_("unlimited%s%s"), unit[0] ? " " : "",
		    unit);
	return g_strdup_printf("%lld%s%s", limit, unit[0] ? " " : "", unit);
}

char *
quota_format(enum quota_res r, long long used, long long limit)
{
	char *u = quota_used_str(r, used), *l = quota_limit_str(r, limit);
	char *s = g_strdup_printf(_("%s of %s"), u, l);

	g_free(u);
	g_free(l);
	return s;
}

char *
quota_exceeded(const struct quota *q, const struct usage *u,
    const struct usage *add, const char *hint)
{
	int r;

	for (r = 0; r < Q__COUNT; r++) {
		long long lim = q->limit[r];
		char *what, *msg;

		if (lim == QUOTA_UNLIMITED || add->v[r] == 0)
			continue;
		if (in_units(r, u->v[r] + add->v[r]) <= (double)lim)
			continue;
		what = quota_format(r, u->v[r], lim);
		if (r == Q_DISK)
			hint = _("delete a disk you no longer need with "
			    "'undefine NAME --disk', a snapshot with "
			    "'snapshot NAME delete SNAP', or an upload you "
			    "have imported (sftp rm FILE)");
		if (r == Q_DISK || add->v[r] == 1)
			msg = g_strdup_printf(_("quota exceeded: %s %s used; "
			    "%s"), quota_label(r), what, hint);
		else
			msg = g_strdup_printf(_("quota exceeded: %s %s used, "
			    "%lld%s%s more needed; %s"), quota_label(r), what,
			    add->v[r], r == Q_MEMORY ? " " : "",
			    r == Q_MEMORY ? "MiB" : "", hint);
		g_free(what);
		return msg;
	}
	return NULL;
}

/* Config parsing on GKeyFile, strict: unknown groups and keys are errors, so
 * a typo never silently leaves a default in force. */
#include "config.h"
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "i18n.h"
#include "names.h"

enum kind { K_PATH, K_PATTERN, K_STRING, K_INT, K_NAME, K_CHOICE };

struct key {
	const char *group, *key;
	enum kind kind;
	size_t off;
	int min, max;		/* K_CHOICE: min is the list's index */
};

/* The words a K_CHOICE key takes, stored as their index. */
static const char *const choices[] = { "off|check|warn|fix", "auto|tcg",
    "detect|trust" };

#define OFF(f) offsetof(struct config, f)

const char *const quota_keys[Q__COUNT] = {
	"vms", "running", "vcpus", "memory", "disk", "upload_files"
};

/* A class-sized default: a few small VMs each. */
static const struct quota quota_default = { { 8, 2, 4, 4096, 100, 100 } };

#define QUOTA_USER_PREFIX "quota.user:"
#define QUOTA_GROUP_PREFIX "quota.group:"
#define TEMPLATE_PREFIX "template:"
#define HOST_PREFIX "host:"
#define LANGUAGE_GROUP "language"
#define SIZE_MAX_GIB 1048576

static const struct key keys[] = {
	{ "daemon", "socket", K_PATH, OFF(socket_path), 0, 0 },
	{ "daemon", "max_clients", K_INT, OFF(max_clients), 1, 4096 },
	{ "daemon", "admin_group", K_NAME, OFF(admin_group), 0, 0 },
	{ "daemon", "pam_service", K_NAME, OFF(pam_service), 0, 0 },
	{ "daemon", "state_dir", K_PATH, OFF(state_dir), 0, 0 },
	{ "limits", "sessions_per_user", K_INT, OFF(sessions_per_user), 1,
	    1024 },
	{ "limits", "requests_per_minute", K_INT, OFF(requests_per_minute), 1,
	    1000000 },
	{ "libvirt", "uri", K_STRING, OFF(uri), 0, 0 },
	{ "storage", "pool_dir", K_PATH, OFF(pool_dir), 0, 0 },
	{ "storage", "qemu_img", K_PATH, OFF(qemu_img), 0, 0 },
	{ "storage", "max_image_size", K_INT, OFF(max_image_size), 1,
	    SIZE_MAX_GIB },
	{ "storage", "import_timeout", K_INT, OFF(import_timeout), 10,
	    86400 },
	{ "storage", "base_dir", K_PATH, OFF(base_dir), 0, 0 },
	{ "storage", "blank_size", K_INT, OFF(blank_size), 0, SIZE_MAX_GIB },
	{ "upload", "dir", K_PATTERN, OFF(upload_dir), 0, 0 },
	{ "upload", "sftp_server", K_PATH, OFF(sftp_server), 0, 0 },
	{ "upload", "scp", K_PATH, OFF(scp), 0, 0 },
	{ "templates", "dir", K_PATH, OFF(template_dir), 0, 0 },
	{ "templates", "default", K_NAME, OFF(default_template), 0, 0 },
	{ "import", "credentials", K_CHOICE, OFF(credentials), 0, 0 },
	{ "import", "helper", K_PATH, OFF(creds_helper), 0, 0 },
	{ "import", "cache_dir", K_PATH, OFF(guestfs_cache), 0, 0 },
	{ "import", "accel", K_CHOICE, OFF(guestfs_tcg), 1, 0 },
	{ "import", "student_keys", K_STRING, OFF(student_keys), 0, 0 },
	{ "migration", "shared_pool", K_CHOICE, OFF(trust_pool), 2, 0 },
	{ "migration", "timeout", K_INT, OFF(migrate_timeout), 10, 86400 },
};

static struct config *
config_defaults(void)
{
	struct config *c = g_new0(struct config, 1);

	c->socket_path = g_strdup(RUNSTATEDIR "/ie-vshell/ie-vmd.sock");
	c->max_clients = 256;
	c->admin_group = g_strdup("ie-vshell-admin");
	c->pam_service = g_strdup("ie-vshell");
	c->sessions_per_user = 8;
	c->requests_per_minute = 600;
	c->quota = quota_default;
	c->uri = g_strdup("qemu:///system");
	c->pool_dir = g_strdup(LOCALSTATEDIR "/lib/ie-vshell/pool");
	c->qemu_img = g_strdup("/usr/bin/qemu-img");
	c->max_image_size = 64;
	c->import_timeout = 3600;
	c->base_dir = g_strdup(LOCALSTATEDIR "/lib/ie-vshell/base");
	c->blank_size = 0;
	c->upload_dir = g_strdup(LOCALSTATEDIR "/lib/ie-vshell/upload/%u");
	c->sftp_server = g_strdup("/usr/lib/openssh/sftp-server");
	c->scp = g_strdup("/usr/bin/scp");
	c->template_dir = g_strdup(SYSCONFDIR "/ie-vshell/templates");
	c->default_template = g_strdup("default");
	c->placement = PLACE_SPREAD;
	c->reserve = 1;
	c->state_dir = g_strdup(LOCALSTATEDIR "/lib/ie-vshell/state");
	c->migrate_timeout = 600;
	c->credentials = CREDS_FIX;
	c->creds_helper = g_strdup(LIBEXECDIR "/ie-vshell/ie-vmd-creds");
	c->guestfs_cache = g_strdup(LOCALSTATEDIR "/cache/ie-vshell");
	c->student_keys = g_strdup("%h/.ssh/authorized_keys");
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	g_free(c->path);
	g_free(c->socket_path);
	g_free(c->admin_group);
	g_free(c->pam_service);
	g_free(c->state_dir);
	for (int i = 0; i < c->nrules; i++)
		g_free(c->rules[i].name);
	g_free(c->rules);
	for (int i = 0; i < c->ntconfs; i++) {
		g_free(c->tconfs[i].name);
		g_free(c->tconfs[i].base);
		g_free(c->tconfs[i].from);
		g_free(c->tconfs[i].filter);
		g_strfreev(c->tconfs[i].inbound);
		g_strfreev(c->tconfs[i].outbound);
	}
	g_free(c->tconfs);
	for (int i = 0; i < c->nhosts; i++) {
		g_free(c->hosts[i].name);
		g_free(c->hosts[i].uri);
		g_free(c->hosts[i].migration);
	}
	g_free(c->hosts);
	for (int i = 0; i < c->nlangs; i++) {
		g_free(c->langs[i].name);
		g_free(c->langs[i].locale);
	}
	g_free(c->langs);
	g_free(c->uri);
	g_free(c->pool_dir);
	g_free(c->qemu_img);
	g_free(c->base_dir);
	g_free(c->upload_dir);
	g_free(c->sftp_server);
	g_free(c->scp);
	g_free(c->template_dir);
	g_free(c->default_template);
	g_free(c->creds_helper);
	g_free(c->guestfs_cache);
	g_free(c->student_keys);
	g_free(c);
}

/* GKeyFile does not keep line numbers: find the key's line in the text. */
static int
key_line(const char *text, const char *group, const char *key)
{
	char **lines = g_strsplit(text, "\n", -1);
	bool in_group = group == NULL;
	int i, found = 0;

	/* GKeyFile keeps the last of repeated keys: so does this. */
	for (i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(lines[i]);
		size_t n;

		if (l[0] == '[') {
			n = strlen(l);
			in_group = n >= 2 && l[n - 1] == ']' && group &&
			    strncmp(l + 1, group, n - 2) == 0 &&
			    strlen(group) == n - 2;
			if (key == NULL && in_group && !found)
				found = i + 1;
			continue;
		}
		n = key ? strlen(key) : 0;
		if (in_group && key && strncmp(l, key, n) == 0 &&
		    (l[n] == '=' || l[n] == ' ' || l[n] == '\t'))
			found = i + 1;
	}
	g_strfreev(lines);
	return found;
}

static bool
path_ok(const char *v)
{
	return v[0] == '/' && strstr(v, "/../") == NULL &&
	    !g_str_has_suffix(v, "/..");
}

/* The area is the last component, so that its parent (root's) is what
 * keeps a student from replacing it. */
static bool
pattern_ok(const char *v)
{
	return path_ok(v) && g_str_has_suffix(v, "/%u") &&
	    strchr(v, '%') == v + strlen(v) - 2 && strlen(v) > 3;
}

char *
config_upload_area_new(const struct config *cfg, const char *user)
{
	size_t n = strlen(cfg->upload_dir) - 2;

	return g_strdup_printf("%.*s%s", (int)n, cfg->upload_dir, user);
}

static bool
name_ok(const char *s)
{
	return user_name_valid(s);
}

/* One of the words of k->choices, stored as its index. */
static const char *
set_choice(struct config *c, const struct key *k, GKeyFile *kf)
{
	char *v = g_key_file_get_string(kf, k->group, k->key, NULL);
	char **w = g_strsplit(choices[k->min], "|", -1);
	static _Thread_local char why[128];
	int i;

	for (i = 0; w[i] != NULL; i++)
		if (v != NULL && strcmp(v, w[i]) == 0) {
			*(int *)((char *)c + k->off) = i;
			break;
		}
	g_snprintf(why, sizeof(why), _("use one of %s"), choices[k->min]);
	i = w[i] == NULL;
	g_strfreev(w);
	g_free(v);
	return i ? why : NULL;
}

/* %h (the home directory) and %u (the user name), as sshd's
 * AuthorizedKeysFile has them; the result an absolute path. */
static bool
keys_pattern_ok(const char *v)
{
	const char *p;

	if (!g_str_has_prefix(v, "%h/") && !path_ok(v))
		return false;
	for (p = strchr(v, '%'); p != NULL; p = strchr(p + 2, '%'))
		if (p[1] != 'h' && p[1] != 'u')
			return false;
	return strstr(v, "/../") == NULL && !g_str_has_suffix(v, "/..");
}

static const char *
set_value(struct config *c, const struct key *k, GKeyFile *kf)
{
	char *v = g_key_file_get_string(kf, k->group, k->key, NULL);
	char **slot = (char **)((char *)c + k->off);
	const char *why = NULL;
	char *end;
	long n;

	if (v == NULL)
		return _("cannot be read as a string");
	switch (k->kind) {
	case K_PATH:
		if (!path_ok(v))
			why = _("must be an absolute path without '..'");
		break;
	case K_PATTERN:
		if (!pattern_ok(v))
			/* xgettext:no-c-format */
			why = _("must be an absolute path without '..' whose "
			    "last component is %u (the user name)");
		break;
	case K_STRING:
		if (v[0] == '\0')
			why = _("must not be empty");
		else if (k->off == OFF(student_keys) && !keys_pattern_ok(v))
			/* xgettext:no-c-format */
			why = _("must be an absolute path or start with %h/ "
			    "(the home directory); %u is the user name");
		break;
	case K_NAME:
		if (!name_ok(v))
			why = _("must be a name of letters, digits, '-', '_' "
			    "and '.'");
		break;
	case K_CHOICE:
		g_free(v);
		return set_choice(c, k, kf);
	case K_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end != '\0' || n < k->min ||
		    n > k->max)
			why = _("out of range");
		else
			*(int *)((char *)c + k->off) = (int)n;
		g_free(v);
		return why;
	}
	if (why == NULL) {
		g_free(*slot);
		*slot = v;
	} else
		g_free(v);
	return why;
}

/* 'd' for [quota], 'g'/'u' for a valid rule, '?' for a malformed one
 * such as [quota.user:] and 0 for any other group. */
static char
quota_group(const char *g)
{
	if (strcmp(g, "quota") == 0)
		return 'd';
	if (g_str_has_prefix(g, QUOTA_USER_PREFIX))
		return user_name_valid(g + strlen(QUOTA_USER_PREFIX)) ? 'u' :
		    '?';
	if (g_str_has_prefix(g, QUOTA_GROUP_PREFIX))
		return user_name_valid(g + strlen(QUOTA_GROUP_PREFIX)) ? 'g' :
		    '?';
	return g_str_has_prefix(g, "quota") ? '?' : 0;
}

/* Reads one quota group into q; values are counts, or "unlimited". */
static char *
load_quota_group(GKeyFile *kf, const char *path, const char *text,
    const char *group, struct quota *q)
{
	char **ks = g_key_file_get_keys(kf, group, NULL, NULL);
	char *err = NULL;
	int i, r;

	for (i = 0; ks != NULL && ks[i] != NULL && err == NULL; i++) {
		char *v = NULL, *end;
		long long n;

		for (r = 0; r < Q__COUNT; r++)
			if (strcmp(ks[i], quota_keys[r]) == 0)
				break;
		if (r == Q__COUNT) {
			err = g_strdup_printf(_("%s:%d: unknown key '%s' in "
			    "[%s]; known: vms, running, vcpus, memory, disk, "
			    "upload_files"), path,
			    key_line(text, group, ks[i]), ks[i], group);
			break;
		}
		v = g_key_file_get_string(kf, group, ks[i], NULL);
		errno = 0;
		n = v ? strtoll(v, &end, 10) : -1;
		if (v != NULL && strcmp(v, "unlimited") == 0)
			q->limit[r] = QUOTA_UNLIMITED;
		else if (v == NULL || errno || end == v || *end || n < 0 ||
		    n > 1000000000)
			err = g_strdup_printf(_("%s:%d: key '%s' in [%s]: must "
			    "be a number (0 or more) or 'unlimited'"), path,
			    key_line(text, group, ks[i]), ks[i], group);
		else
			q->limit[r] = n;
		g_free(v);
	}
	g_strfreev(ks);
	return err;
}

static char *
load_quotas(struct config *c, GKeyFile *kf, const char *path,
    const char *text)
{
	char **groups = g_key_file_get_groups(kf, NULL);
	char *err = NULL;
	size_t g;
	int r;

	for (g = 0; groups[g] != NULL && err == NULL; g++) {
		char kind = quota_group(groups[g]);
		struct quota_rule *rule;

		if (kind == 0)
			continue;
		if (kind == '?') {
			err = g_strdup_printf(_("%s:%d: bad quota group [%s]; "
			    "use [quota], [quota.group:NAME] or "
			    "[quota.user:NAME]"),
			    path, key_line(text, groups[g], NULL), groups[g]);
			break;
		}
		if (kind == 'd') {
			err = load_quota_group(kf, path, text, groups[g],
			    &c->quota);
			continue;
		}
		c->rules = g_renew(struct quota_rule, c->rules, c->nrules + 1);
		rule = &c->rules[c->nrules++];
		rule->kind = kind;
		rule->name = g_strdup(strchr(groups[g], ':') + 1);
		for (r = 0; r < Q__COUNT; r++)
			rule->q.limit[r] = QUOTA_UNSET;
		err = load_quota_group(kf, path, text, groups[g], &rule->q);
	}
	g_strfreev(groups);
	return err;
}

/* 't' for a valid [template:NAME], '?' for a malformed one, else 0. */
static char
template_group(const char *g)
{
	if (!g_str_has_prefix(g, TEMPLATE_PREFIX))
		return 0;
	return user_name_valid(g + strlen(TEMPLATE_PREFIX)) ? 't' : '?';
}

char **
config_ports_new(const char *list, const char **why)
{
	char **words = g_strsplit_set(list, ", \t", -1);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	guint64 n;
	int i;

	*why = NULL;
	for (i = 0; words[i] != NULL && *why == NULL; i++) {
		if (words[i][0] == '\0')
			continue;
		if (!g_ascii_string_to_unsigned(words[i], 10, 1, 65535, &n,
		    NULL))
			*why = _("a port is a number from 1 to 65535");
		else if (out->len == PORTS_MAX)
			*why = _("more than 32 ports");
		else
			g_ptr_array_add(out, g_strdup_printf("%u",
			    (unsigned)n));
	}
	g_strfreev(words);
	if (*why == NULL && out->len == 0)
		*why = _("no port given");
	if (*why != NULL) {
		g_ptr_array_free(out, TRUE);
		return NULL;
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* A name-valued key of a [template:NAME] group into *slot. */
static char *
template_name_key(const char *v, char **slot, const char *rule)
{
	if (!user_name_valid(v))
		return g_strdup_printf(_("must be a name of letters, digits, "
		    "'-', '_' and '.' (%s)"), rule);
	g_free(*slot);
	*slot = g_strdup(v);
	return NULL;
}

static char *
template_ports_key(const char *v, char ***slot)
{
	const char *why;
	char **ports = config_ports_new(v, &why);

	if (ports == NULL)
		return g_strdup_printf(_("%s; list TCP ports such as 22, 80, "
		    "443"), why);
	g_strfreev(*slot);
	*slot = ports;
	return NULL;
}

/* One key of a [template:NAME] group into t; NULL or the reason (caller
 * frees). */
static char *
template_key(GKeyFile *kf, const char *group, const char *key,
    struct template_conf *t)
{
	char *v = g_key_file_get_string(kf, group, key, NULL), *end;
	char *err = NULL;
	long n;

	if (v == NULL)
		return g_strdup(_("cannot be read as a string"));
	if (strcmp(key, "base") == 0) {
		if (!vm_name_valid(v))
			err = g_strdup_printf(_("must be a base image's name: "
			    "%s"), _(VM_NAME_RULE));
		else {
			g_free(t->base);
			t->base = g_strdup(v);
		}
	} else if (strcmp(key, "from") == 0)
		err = template_name_key(v, &t->from, _("a template's name"));
	else if (strcmp(key, "filter") == 0)
		err = template_name_key(v, &t->filter,
		    _("a libvirt nwfilter's name"));
	else if (strcmp(key, "inbound") == 0)
		err = template_ports_key(v, &t->inbound);
	else if (strcmp(key, "outbound") == 0)
		err = template_ports_key(v, &t->outbound);
	else {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end != '\0' || n < 0 ||
		    n > SIZE_MAX_GIB)
			err = g_strdup(_("out of range; use a number from 0 "
			    "to 1048576"));
		else
			t->blank_size = (int)n;
	}
	g_free(v);
	return err;
}

static const char *const template_keys[] = { "base", "blank_size", "from",
    "filter", "inbound", "outbound", NULL };

static char *
load_template_group(GKeyFile *kf, const char *path, const char *text,
    const char *group, struct template_conf *t)
{
	char **ks = g_key_file_get_keys(kf, group, NULL, NULL);
	char *err = NULL, *why;
	int i;

	for (i = 0; ks != NULL && ks[i] != NULL && err == NULL; i++) {
		if (!g_strv_contains(template_keys, ks[i]))
			err = g_strdup_printf(_("%s:%d: unknown key '%s' in "
			    "[%s]; known: base, blank_size, from, filter, "
			    "inbound, outbound"), path,
			    key_line(text, group, ks[i]), ks[i], group);
		else if ((why = template_key(kf, group, ks[i], t)) != NULL) {
			err = g_strdup_printf(_("%s:%d: key '%s' in [%s]: %s"),
			    path, key_line(text, group, ks[i]), ks[i], group,
			    why);
			g_free(why);
		}
	}
	g_strfreev(ks);
	return err;
}

static char *
load_templates(struct config *c, GKeyFile *kf, const char *path,
    const char *text)
{
	char **groups = g_key_file_get_groups(kf, NULL);
	char *err = NULL;
	size_t g;

	for (g = 0; groups[g] != NULL && err == NULL; g++) {
		char kind = template_group(groups[g]);
		struct template_conf *t;

		if (kind == 0)
			continue;
		if (kind == '?') {
			err = g_strdup_printf(_("%s:%d: bad template group "
			    "[%s]; use [template:NAME], NAME a template's"),
			    path, key_line(text, groups[g], NULL), groups[g]);
			break;
		}
		c->tconfs = g_renew(struct template_conf, c->tconfs,
		    c->ntconfs + 1);
		t = &c->tconfs[c->ntconfs++];
		memset(t, 0, sizeof(*t));
		t->name = g_strdup(groups[g] + strlen(TEMPLATE_PREFIX));
		t->blank_size = -1;
		err = load_template_group(kf, path, text, groups[g], t);
	}
	g_strfreev(groups);
	return err;
}

bool
host_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > IEVS_HOST_NAME_MAX || name[0] == '-' ||
	    name[0] == '_')
		return false;
	for (i = 0; i < n; i++)
		if (!g_ascii_islower(name[i]) && !g_ascii_isdigit(name[i]) &&
		    name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

/* 'h' for [hosts], 'p' for [placement], 'n' for a valid [host:NAME], '?'
 * for a malformed one, else 0. */
static char
host_group(const char *g)
{
	if (strcmp(g, "hosts") == 0)
		return 'h';
	if (strcmp(g, "placement") == 0)
		return 'p';
	if (!g_str_has_prefix(g, HOST_PREFIX))
		return 0;
	return host_name_valid(g + strlen(HOST_PREFIX)) ? 'n' : '?';
}

static struct host_conf *
host_named(struct config *c, const char *name)
{
	int i;

	for (i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i].name, name) == 0)
			return &c->hosts[i];
	return NULL;
}

static void
host_add(struct config *c, const char *name, const char *uri)
{
	struct host_conf *h;

	c->hosts = g_renew(struct host_conf, c->hosts, c->nhosts + 1);
	h = &c->hosts[c->nhosts++];
	h->name = g_strdup(name);
	h->uri = g_strdup(uri);
	h->vcpus = h->memory = -1;
	h->migration = NULL;
	h->schedulable = true;
}

/* A whole number from min to max; NULL or why not. */
static const char *
int_value(const char *v, int min, int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < min || n > max)
		return _("out of range");
	*out = (int)n;
	return NULL;
}

/* A host name or an IPv4 or IPv6 address (no port): what goes into
 * libvirt's migration URI tcp://ADDRESS. */
static bool
address_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 253)
		return false;
	if (g_hostname_is_ip_address(v))
		return true;
	return strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n && v[0] != '-' &&
	    v[0] != '.';
}

/* One key of [host:NAME]; NULL or why it is wrong. */
static const char *
host_key(struct host_conf *h, const char *key, const char *v)
{
	if (strcmp(key, "vcpus") == 0)
		return int_value(v, 1, 1000000, &h->vcpus) ?
		    _("must be a number of vCPUs from 1 to 1000000") : NULL;
	if (strcmp(key, "memory") == 0)
		return int_value(v, 1, SIZE_MAX_GIB, &h->memory) ?
		    _("must be GiB from 1 to 1048576") : NULL;
	if (strcmp(key, "migration") == 0) {
		if (!address_ok(v))
			return _("must be a host name or an IP address");
		g_free(h->migration);
		h->migration = g_strdup(v);
		return NULL;
	}
	if (strcmp(key, "schedulable") != 0)
		return _("unknown key; known: vcpus, memory, schedulable, "
		    "migration");
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
		h->schedulable = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
		h->schedulable = false;
	else
		return _("must be true or false");
	return NULL;
}

static const char *
placement_key(struct config *c, const char *key, const char *v)
{
	if (strcmp(key, "reserve") == 0)
		return int_value(v, 0, SIZE_MAX_GIB, &c->reserve) ?
		    _("must be GiB from 0 to 1048576") : NULL;
	if (strcmp(key, "policy") != 0)
		return _("unknown key; known: policy, reserve");
	if (strcmp(v, "spread") == 0)
		c->placement = PLACE_SPREAD;
	else if (strcmp(v, "pack") == 0)
		c->placement = PLACE_PACK;
	else
		return _("must be spread or pack");
	return NULL;
}

/* Every key of one of the groups host_group knows, in file order. */
static char *
load_host_group(struct config *c, GKeyFile *kf, const char *path,
    const char *text, const char *group, char kind)
{
	char **ks = g_key_file_get_keys(kf, group, NULL, NULL);
	struct host_conf *h = NULL;
	char *err = NULL;
	int i;

	if (kind == 'n' && (h = host_named(c, group +
	    strlen(HOST_PREFIX))) == NULL)
		err = g_strdup_printf(_("%s:%d: [%s] names no host of "
		    "[hosts]; add it there or remove the group"), path,
		    key_line(text, group, NULL), group);
	for (i = 0; err == NULL && ks != NULL && ks[i] != NULL; i++) {
		char *v = g_key_file_get_string(kf, group, ks[i], NULL);
		const char *why = NULL;

		if (v == NULL || v[0] == '\0')
			why = _("must not be empty");
		else if (kind == 'h' && !host_name_valid(ks[i]))
			why = _("a host's name must be 1 to 32 lowercase "
			    "letters, digits, '-' and '_'");
		else if (kind == 'h' && host_named(c, ks[i]) != NULL)
			why = _("the host is named twice");
		else if (kind == 'h')
			host_add(c, ks[i], v);
		else if (kind == 'n')
			why = host_key(h, ks[i], v);
		else
			why = placement_key(c, ks[i], v);
		if (why != NULL)
			err = g_strdup_printf(_("%s:%d: key '%s' in [%s]: %s"),
			    path, key_line(text, group, ks[i]), ks[i], group,
			    why);
		g_free(v);
	}
	g_strfreev(ks);
	return err;
}

/* [hosts] first (the [host:NAME] groups refer to it), then the rest; no
 * [hosts]: the one host of [libvirt] uri, named HOST_LOCAL. */
static char *
load_hosts(struct config *c, GKeyFile *kf, const char *path,
    const char *text)
{
	char **groups = g_key_file_get_groups(kf, NULL);
	char *err = NULL;
	size_t g;

	if (g_key_file_has_group(kf, "hosts")) {
		c->several = true;
		err = load_host_group(c, kf, path, text, "hosts", 'h');
		if (err == NULL && c->nhosts == 0)
			err = g_strdup_printf(_("%s:%d: [hosts] names no "
			    "host; add NAME = URI lines or remove it"), path,
			    key_line(text, "hosts", NULL));
		if (err == NULL && g_key_file_has_key(kf, "libvirt", "uri",
		    NULL))
			err = g_strdup_printf(_("%s:%d: key 'uri' in "
			    "[libvirt]: not used with [hosts]; name every host "
			    "there instead"), path, key_line(text, "libvirt",
			    "uri"));
	}
	for (g = 0; groups[g] != NULL && err == NULL; g++) {
		char kind = host_group(groups[g]);

		if (kind == '?')
			err = g_strdup_printf(_("%s:%d: bad host group [%s]; "
			    "use [host:NAME], NAME a host of [hosts]"), path,
			    key_line(text, groups[g], NULL), groups[g]);
		else if (kind == 'n' || kind == 'p')
			err = load_host_group(c, kf, path, text, groups[g],
			    kind);
	}
	g_strfreev(groups);
	return err;
}

const struct template_conf *
config_template(const struct config *cfg, const char *name)
{
	int i;

	for (i = 0; i < cfg->ntconfs; i++)
		if (strcmp(cfg->tconfs[i].name, name) == 0)
			return &cfg->tconfs[i];
	return NULL;
}

const char *
config_new_disk(const struct config *cfg, const char *name, int *blank_gib)
{
	const struct template_conf *t = config_template(cfg, name);

	*blank_gib = t != NULL && t->blank_size >= 0 ? t->blank_size :
	    cfg->blank_size;
	return t != NULL ? t->base : NULL;
}

/* One key of [language]: default, user:NAME or group:NAME, whose value is
 * a locale name. */
static char *
load_language_key(struct config *c, GKeyFile *kf, const char *path,
    const char *text, const char *key)
{
	const char *name = NULL;
	char kind = 0, *v;
	struct lang_rule *r;

	if (strcmp(key, "default") == 0)
		kind = 'd';
	else if (g_str_has_prefix(key, "user:"))
		kind = 'u', name = key + strlen("user:");
	else if (g_str_has_prefix(key, "group:"))
		kind = 'g', name = key + strlen("group:");
	if (kind == 0 || (name != NULL && !user_name_valid(name)))
		return g_strdup_printf(_("%s:%d: unknown key '%s' in [%s]; "
		    "use default, user:NAME or group:NAME"), path,
		    key_line(text, LANGUAGE_GROUP, key), key, LANGUAGE_GROUP);
	v = g_key_file_get_string(kf, LANGUAGE_GROUP, key, NULL);
	if (v == NULL || !locale_valid(v)) {
		g_free(v);
		return g_strdup_printf(_("%s:%d: key '%s' in [%s]: not a "
		    "locale name such as ja_JP.UTF-8"), path,
		    key_line(text, LANGUAGE_GROUP, key), key, LANGUAGE_GROUP);
	}
	c->langs = g_renew(struct lang_rule, c->langs, c->nlangs + 1);
	r = &c->langs[c->nlangs++];
	r->kind = kind;
	r->name = g_strdup(name);
	r->locale = v;
	return NULL;
}

static char *
load_languages(struct config *c, GKeyFile *kf, const char *path,
    const char *text)
{
	char **ks = g_key_file_get_keys(kf, LANGUAGE_GROUP, NULL, NULL);
	char *err = NULL;
	size_t i;

	for (i = 0; ks != NULL && ks[i] != NULL && err == NULL; i++)
		err = load_language_key(c, kf, path, text, ks[i]);
	g_strfreev(ks);
	return err;
}

const char *
config_language(const struct config *cfg, const char *user,
    bool (*member)(const char *group, void *arg), void *arg)
{
	const struct lang_rule *group = NULL, *dflt = NULL;
	int i;

	for (i = 0; i < cfg->nlangs; i++) {
		const struct lang_rule *r = &cfg->langs[i];

		if (r->kind == 'u' && strcmp(r->name, user) == 0)
			return r->locale;
		if (r->kind == 'd')
			dflt = r;
		else if (r->kind == 'g' && group == NULL &&
		    member(r->name, arg))
			group = r;
	}
	return group != NULL ? group->locale : dflt != NULL ? dflt->locale :
	    NULL;
}

static char *
check_unknown(GKeyFile *kf, const char *path, const char *text)
{
	char **groups = g_key_file_get_groups(kf, NULL), **ks;
	char *err = NULL;
	size_t g, i, j;

	for (g = 0; groups[g] != NULL && err == NULL; g++) {
		bool known = false;

		for (j = 0; j < G_N_ELEMENTS(keys); j++)
			known |= strcmp(keys[j].group, groups[g]) == 0;
		if (quota_group(groups[g]) != 0 ||
		    template_group(groups[g]) != 0 ||
		    host_group(groups[g]) != 0 ||
		    strcmp(groups[g], LANGUAGE_GROUP) == 0)
			continue;	/* checked by load_quotas,
					 * load_templates, load_hosts,
					 * load_languages */
		if (!known) {
			err = g_strdup_printf(_("%s:%d: unknown group [%s]"),
			    path, key_line(text, groups[g], NULL), groups[g]);
			break;
		}
		ks = g_key_file_get_keys(kf, groups[g], NULL, NULL);
		for (i = 0; ks != NULL && ks[i] != NULL && err == NULL; i++) {
			known = false;
			for (j = 0; j < G_N_ELEMENTS(keys); j++)
				known |= strcmp(keys[j].group, groups[g]) == 0
				    && strcmp(keys[j].key, ks[i]) == 0;
			if (!known)
				err = g_strdup_printf(_("%s:%d: unknown key "
				    "'%s' in [%s]"), path, key_line(text,
				    groups[g], ks[i]), ks[i], groups[g]);
		}
		g_strfreev(ks);
	}
	g_strfreev(groups);
	return err;
}

struct config *
config_load(const char *path, int missing_ok, char **err)
{
	struct config *c = config_defaults();
	GKeyFile *kf = NULL;
	GError *gerr = NULL;
	char *text = NULL;
	size_t i;

	*err = NULL;
	if (path == NULL) {
		host_add(c, HOST_LOCAL, c->uri);
		return c;
	}
	c->path = g_strdup(path);
	if (!g_file_get_contents(path, &text, NULL, &gerr)) {
		if (missing_ok && g_error_matches(gerr, G_FILE_ERROR,
		    G_FILE_ERROR_NOENT)) {
			g_error_free(gerr);
			host_add(c, HOST_LOCAL, c->uri);
			return c;
		}
		*err = g_strdup_printf("%s: %s", path, gerr->message);
		goto fail;
	}
	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, &gerr)) {
		*err = g_strdup_printf("%s: %s", path, gerr->message);
		goto fail;
	}
	if ((*err = check_unknown(kf, path, text)) != NULL ||
	    (*err = load_quotas(c, kf, path, text)) != NULL ||
	    (*err = load_templates(c, kf, path, text)) != NULL ||
	    (*err = load_hosts(c, kf, path, text)) != NULL ||
	    (*err = load_languages(c, kf, path, text)) != NULL)
		goto fail;
	for (i = 0; i < G_N_ELEMENTS(keys); i++) {
		const char *why;

		if (!g_key_file_has_key(kf, keys[i].group, keys[i].key, NULL))
			continue;
		if ((why = set_value(c, &keys[i], kf)) != NULL) {
			char *range = keys[i].kind == K_INT ?
			    g_strdup_printf(_("; use a number from %d to %d"),
			    keys[i].min, keys[i].max) : g_strdup("");

			*err = g_strdup_printf(_("%s:%d: key '%s' in [%s]: "
			    "%s%s"), path, key_line(text, keys[i].group,
			    keys[i].key), keys[i].key, keys[i].group, why,
			    range);
			g_free(range);
			goto fail;
		}
	}
	g_key_file_free(kf);
	g_free(text);
	if (c->nhosts == 0)
		host_add(c, HOST_LOCAL, c->uri);
	return c;
fail:
	g_clear_error(&gerr);
	if (kf != NULL)
		g_key_file_free(kf);
	g_free(text);
	config_free(c);
	return NULL;
}

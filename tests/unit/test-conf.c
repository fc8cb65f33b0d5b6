/* Unit tests of the configuration loader: defaults, every key, and that a
 * mistake is refused with the file, the line and the key named. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "conf.h"

struct fixture {
	char *dir;
	char *path;		/* dir/ie-vshell.conf, written by a test */
};

static void
setup(struct fixture *f, gconstpointer data)
{
	GError *gerr = NULL;

	f->dir = g_dir_make_tmp("ievs-conf-XXXXXX", &gerr);
	g_assert_no_error(gerr);
	f->path = g_build_filename(f->dir, "ie-vshell.conf", NULL);
}

static void
teardown(struct fixture *f, gconstpointer data)
{
	g_remove(f->path);
	g_assert_cmpint(g_rmdir(f->dir), ==, 0);
	g_free(f->path);
	g_free(f->dir);
}

static struct config *
load_text(struct fixture *f, const char *text, char **err)
{
	GError *gerr = NULL;

	g_file_set_contents(f->path, text, -1, &gerr);
	g_assert_no_error(gerr);
	return config_load(f->path, 0, err);
}

/* Loads text, which must be refused with a message that starts with
 * "path:line: " and contains each of the strings that follow (a
 * NULL-terminated list).  A wrong message fails the test but lets it go
 * on, so that the temporary directory is still removed. */
static void
expect_error(struct fixture *f, const char *text, int line, ...)
{
	char *err = NULL, *prefix;
	struct config *c;
	const char *want;
	va_list ap;

	c = load_text(f, text, &err);
	g_assert_null(c);
	g_assert_nonnull(err);
	prefix = g_strdup_printf("%s:%d: ", f->path, line);
	if (!g_str_has_prefix(err, prefix)) {
		g_test_message("want \"%s...\", got \"%s\"", prefix, err);
		g_test_fail();
	}
	va_start(ap, line);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(err, want) == NULL) {
			g_test_message("\"%s\" not in \"%s\"", want, err);
			g_test_fail();
		}
	}
	va_end(ap);
	g_free(prefix);
	g_free(err);
}

static void
assert_defaults(const struct config *c)
{
	g_assert_cmpstr(c->socket_path, ==,
	    RUNSTATEDIR "/ie-vshell/ie-vmd.sock");
	g_assert_cmpint(c->max_clients, ==, 256);
	g_assert_cmpstr(c->admin_group, ==, "ie-vshell-admin");
	g_assert_cmpstr(c->uri, ==, "qemu:///system");
	g_assert_cmpstr(c->pool_dir, ==,
	    LOCALSTATEDIR "/lib/ie-vshell/pool");
	g_assert_cmpstr(c->template_dir, ==,
	    SYSCONFDIR "/ie-vshell/templates");
	g_assert_cmpstr(c->default_template, ==, "default");
	g_assert_cmpstr(c->base_dir, ==, LOCALSTATEDIR "/lib/ie-vshell/base");
	g_assert_cmpint(c->blank_size, ==, 0);
	g_assert_cmpint(c->ntconfs, ==, 0);
}

static void
test_defaults(void)
{
	char *err = (char *)"unset";
	struct config *c = config_load(NULL, 0, &err);

	g_assert_nonnull(c);
	g_assert_null(err);
	g_assert_null(c->path);
	assert_defaults(c);
	/* Paths the daemon uses must be absolute whatever configure got. */
	g_assert_true(g_path_is_absolute(c->socket_path));
	g_assert_true(g_path_is_absolute(c->pool_dir));
	g_assert_true(g_path_is_absolute(c->template_dir));
	config_free(c);
	config_free(NULL);
}

static void
test_full(struct fixture *f, gconstpointer data)
{
	static const char text[] =
	    "# ie-vshell.conf for the tests\n"
	    "[daemon]\n"
	    "socket = /run/test/ie-vmd.sock\n"
	    "max_clients = 12\n"
	    "admin_group = vm-admins\n"
	    "\n"
	    "[libvirt]\n"
	    "uri = test:///default\n"
	    "\n"
	    "[storage]\n"
	    "pool_dir = /srv/pool\n"
	    "\n"
	    "[templates]\n"
	    "dir = /srv/templates\n"
	    "default = small\n";
	char *err = NULL;
	struct config *c = load_text(f, text, &err);

	g_assert_null(err);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->path, ==, f->path);
	g_assert_cmpstr(c->socket_path, ==, "/run/test/ie-vmd.sock");
	g_assert_cmpint(c->max_clients, ==, 12);
	g_assert_cmpstr(c->admin_group, ==, "vm-admins");
	g_assert_cmpstr(c->uri, ==, "test:///default");
	g_assert_cmpstr(c->pool_dir, ==, "/srv/pool");
	g_assert_cmpstr(c->template_dir, ==, "/srv/templates");
	g_assert_cmpstr(c->default_template, ==, "small");
	config_free(c);
}

/* What a file leaves out keeps its default. */
static void
test_partial(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;

	c = load_text(f, "[libvirt]\nuri = test:///default\n", &err);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->uri, ==, "test:///default");
	g_assert_cmpint(c->max_clients, ==, 256);
	g_assert_cmpstr(c->socket_path, ==,
	    RUNSTATEDIR "/ie-vshell/ie-vmd.sock");
	config_free(c);

	c = load_text(f, "", &err);
	g_assert_nonnull(c);
	assert_defaults(c);
	config_free(c);

	c = load_text(f, "# nothing but comments\n\n# here\n", &err);
	g_assert_nonnull(c);
	assert_defaults(c);
	config_free(c);

	/* A known group may be empty. */
	c = load_text(f, "[storage]\n[daemon]\n", &err);
	g_assert_nonnull(c);
	assert_defaults(c);
	config_free(c);
}

static void
test_limits(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;

	c = load_text(f, "[daemon]\nmax_clients = 1\n", &err);
	g_assert_nonnull(c);
	g_assert_cmpint(c->max_clients, ==, 1);
	config_free(c);
	c = load_text(f, "[daemon]\nmax_clients = 4096\n", &err);
	g_assert_nonnull(c);
	g_assert_cmpint(c->max_clients, ==, 4096);
	config_free(c);
}

static void
test_missing(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;

	c = config_load(f->path, 1, &err);
	g_assert_nonnull(c);
	g_assert_null(err);
	assert_defaults(c);
	config_free(c);

	c = config_load(f->path, 0, &err);
	g_assert_null(c);
	g_assert_nonnull(err);
	g_assert_true(g_str_has_prefix(err, f->path));
	g_free(err);
}

/* missing_ok is for a file that is not there, not for one that cannot be
 * read: a directory in its place is an error. */
static void
test_unreadable(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;

	g_assert_cmpint(g_mkdir(f->path, 0700), ==, 0);
	c = config_load(f->path, 1, &err);
	g_rmdir(f->path);
	g_assert_null(c);
	g_assert_nonnull(err);
	g_assert_true(g_str_has_prefix(err, f->path));
	g_free(err);
}

static void
test_unknown_key(struct fixture *f, gconstpointer data)
{
	expect_error(f, "[daemon]\nsocket = /run/x.sock\n\nmax_client = 5\n",
	    4, "unknown key", "max_client", NULL);
	/* A key in the wrong group. */
	expect_error(f, "[daemon]\nmax_clients = 5\n[libvirt]\n"
	    "socket = /run/x.sock\n", 4, "unknown key", "socket", "libvirt",
	    NULL);
	/* The same name known in another group earlier in the file does
	 * not confuse the line number. */
	expect_error(f, "[libvirt]\nuri = test:///default\n[storage]\n"
	    "pool_dir = /p\nuri = x\n", 5, "unknown key", "uri", "storage",
	    NULL);
	/* Nor does a key whose name starts the same. */
	expect_error(f, "[daemon]\nsocket = /run/x\n# socketx\n"
	    "socketx = /run/y\n", 4, "socketx", NULL);
	/* Indentation and no blanks around '='. */
	expect_error(f, "\n\n[templates]\n   dir=/t\n   Default=small\n", 5,
	    "Default", NULL);
}

static void
test_unknown_group(struct fixture *f, gconstpointer data)
{
	char *err = NULL, *prefix1, *prefix2;
	struct config *c;

	expect_error(f, "[daemon]\nmax_clients = 3\n\n[bogus]\n", 4,
	    "unknown group", "bogus", NULL);
	expect_error(f, "[Daemon]\n", 1, "Daemon", NULL);

	/* With a key in it, the error may point at the group or the key. */
	c = load_text(f, "[bogus]\nkey = 1\n", &err);
	g_assert_null(c);
	prefix1 = g_strdup_printf("%s:1: ", f->path);
	prefix2 = g_strdup_printf("%s:2: ", f->path);
	g_assert_true(g_str_has_prefix(err, prefix1) ||
	    g_str_has_prefix(err, prefix2));
	g_assert_nonnull(strstr(err, "bogus"));
	g_free(prefix1);
	g_free(prefix2);
	g_free(err);
}

static void
test_bad_int(struct fixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"0", "-1", "abc", "99999", "4097", "12abc", "1.5", "0x10",
		"", "99999999999999999999", "5 # five",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *text = g_strdup_printf("[daemon]\nsocket = /run/s\n"
		    "max_clients = %s\n", bad[i]);

		expect_error(f, text, 3, "max_clients", NULL);
		g_free(text);
	}
}

static void
test_relative_path(struct fixture *f, gconstpointer data)
{
	expect_error(f, "[daemon]\nsocket = run/ie-vmd.sock\n", 2, "socket",
	    "absolute", NULL);
	expect_error(f, "[storage]\npool_dir = pool\n", 2, "pool_dir", NULL);
	expect_error(f, "[templates]\ndir = ./templates\n", 2, "dir", NULL);
	expect_error(f, "[templates]\ndir =\n", 2, "dir", NULL);
	expect_error(f, "[storage]\npool_dir = ~/pool\n", 2, "pool_dir",
	    NULL);
}

static void
test_dotdot(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;

	expect_error(f, "[storage]\npool_dir = /var/lib/../../etc\n", 2,
	    "pool_dir", "..", NULL);
	expect_error(f, "[storage]\npool_dir = /var/lib/ie-vshell/..\n", 2,
	    "pool_dir", NULL);
	expect_error(f, "[templates]\ndir = /..\n", 2, "dir", NULL);
	expect_error(f, "[daemon]\nsocket = /run/../tmp/s\n", 2, "socket",
	    NULL);
	/* ".." only matters as a whole path component. */
	c = load_text(f, "[storage]\npool_dir = /srv/..pool\n", &err);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->pool_dir, ==, "/srv/..pool");
	config_free(c);
}

static void
test_bad_name(struct fixture *f, gconstpointer data)
{
	expect_error(f, "[daemon]\nadmin_group = vm admins\n", 2,
	    "admin_group", NULL);
	expect_error(f, "[daemon]\nadmin_group = -x\n", 2, "admin_group",
	    NULL);
	expect_error(f, "[daemon]\nadmin_group =\n", 2, "admin_group", NULL);
	expect_error(f, "[templates]\ndefault = ../etc/x\n", 2, "default",
	    NULL);
	expect_error(f, "[templates]\ndefault = a/b\n", 2, "default", NULL);
	expect_error(f, "[libvirt]\nuri =\n", 2, "uri", NULL);
}

/* GKeyFile's own errors: the message names the file. */
static void
test_syntax(struct fixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"[daemon]\nthis is not a key\n",
		"max_clients = 3\n",		/* before any group */
		"[daemon\nmax_clients = 3\n",
		"[daemon]\nmax_clients = 3\n\xff\xfe\n",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *err = NULL;
		struct config *c = load_text(f, bad[i], &err);

		g_assert_null(c);
		g_assert_nonnull(err);
		if (!g_str_has_prefix(err, f->path))
			g_test_message("%s", err);
		g_assert_true(g_str_has_prefix(err, f->path));
		g_free(err);
	}
}

/* When a key is given twice the last one counts, and an error in it must
 * point at that line, not at the first. */
static void
test_duplicate_key_line(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;

	c = load_text(f, "[daemon]\nmax_clients = 5\nmax_clients = 7\n", &err);
	g_assert_nonnull(c);
	g_assert_cmpint(c->max_clients, ==, 7);
	config_free(c);
	expect_error(f, "[daemon]\nmax_clients = 5\nmax_clients = 0\n", 3,
	    "max_clients", NULL);
}

/* [storage] base_dir and blank_size, and [template:NAME] groups, which
 * say what define gives a VM for a disk when it names no image. */
static void
test_new_disk(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c;
	int gib = -1;

	c = load_text(f, "[storage]\nbase_dir = /srv/base\nblank_size = 20\n"
	    "[template:default]\nbase = debian-12\n"
	    "[template:small]\nblank_size = 0\n"
	    "[template:big]\nblank_size = 64\n", &err);
	g_assert_null(err);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->base_dir, ==, "/srv/base");
	g_assert_cmpint(c->ntconfs, ==, 3);
	g_assert_cmpstr(config_new_disk(c, "default", &gib), ==, "debian-12");
	g_assert_cmpint(gib, ==, 20);
	g_assert_null(config_new_disk(c, "small", &gib));
	g_assert_cmpint(gib, ==, 0);
	g_assert_null(config_new_disk(c, "big", &gib));
	g_assert_cmpint(gib, ==, 64);
	g_assert_null(config_new_disk(c, "other", &gib));
	g_assert_cmpint(gib, ==, 20);
	g_assert_null(config_template(c, "other"));
	g_assert_cmpint(config_template(c, "big")->blank_size, ==, 64);
	g_assert_cmpint(config_template(c, "default")->blank_size, ==, -1);
	config_free(c);

	expect_error(f, "[storage]\nblank_size = -1\n", 2, "blank_size",
	    "0 to 1048576", NULL);
	expect_error(f, "[storage]\nbase_dir = base\n", 2, "base_dir",
	    NULL);
	expect_error(f, "[daemon]\n[template:small]\nbase = Debian_12\n", 3,
	    "'base' in [template:small]", "base image's name", NULL);
	expect_error(f, "[template:small]\nblank_size = 2G\n", 2,
	    "'blank_size' in [template:small]", "0 to 1048576", NULL);
	expect_error(f, "[template:small]\nbase = a\nmemory = 2\n", 3,
	    "unknown key 'memory' in [template:small]", "base, blank_size",
	    NULL);
	expect_error(f, "[storage]\n[template:]\nbase = a\n", 2,
	    "bad template group [template:]", NULL);
	expect_error(f, "[template:../x]\nbase = a\n", 1,
	    "bad template group", NULL);
	/* [template] alone is no group of this file. */
	expect_error(f, "[template]\nbase = a\n", 1, "unknown group",
	    NULL);
}

/* The groups a test says its user is in: a NULL-terminated list. */
static bool
in_groups(const char *group, void *arg)
{
	const char *const *g;

	for (g = arg; *g != NULL; g++)
		if (strcmp(*g, group) == 0)
			return true;
	return false;
}

static void
test_language(struct fixture *f, gconstpointer data)
{
	static const char *const none[] = { NULL };
	static const char *const staff[] = { "students", "staff", NULL };
	char *err = NULL;
	struct config *c;

	c = load_text(f, "[language]\ngroup:students = ja_JP.UTF-8\n"
	    "user:20xx123 = en_US.UTF-8\ndefault = ja_JP.UTF-8\n"
	    "group:staff = C.UTF-8\n", &err);
	g_assert_null(err);
	g_assert_nonnull(c);
	/* user:NAME before any group, wherever it stands. */
	g_assert_cmpstr(config_language(c, "20xx123", in_groups,
	    (void *)staff), ==, "en_US.UTF-8");
	/* The first group:NAME of the file the user is in. */
	g_assert_cmpstr(config_language(c, "20xx124", in_groups,
	    (void *)staff), ==, "ja_JP.UTF-8");
	g_assert_cmpstr(config_language(c, "20xx124", in_groups,
	    (void *)(const char *const[]){ "staff", NULL }), ==, "C.UTF-8");
	g_assert_cmpstr(config_language(c, "x", in_groups, (void *)none), ==,
	    "ja_JP.UTF-8");
	config_free(c);
	c = load_text(f, "[daemon]\nmax_clients = 5\n", &err);
	g_assert_nonnull(c);
	g_assert_null(config_language(c, "x", in_groups, (void *)none));
	config_free(c);

	expect_error(f, "[language]\ndefault = C\nlang = ja\n", 3,
	    "unknown key", "lang", "language", NULL);
	expect_error(f, "[language]\nuser:a/b = ja_JP.UTF-8\n", 2,
	    "unknown key", "user:a/b", NULL);
	expect_error(f, "[language]\n\ndefault = ../../tmp/x\n", 3,
	    "not a locale name", "default", NULL);
}

/* A template's firewall in its [template:NAME] group: the filter, and
 * lists of TCP ports apart by commas or blanks. */
static void
test_template_firewall(struct fixture *f, gconstpointer data)
{
	const struct template_conf *t;
	char *err = NULL;
	struct config *c;

	c = load_text(f, "[template:web]\nfrom = default\n"
	    "filter = ie-vshell-student\ninbound = 22, 80 443\n"
	    "outbound = 0443,80\n[template:default]\nblank_size = 1\n", &err);
	g_assert_null(err);
	g_assert_nonnull(c);
	t = config_template(c, "web");
	g_assert_cmpstr(t->from, ==, "default");
	g_assert_cmpstr(t->filter, ==, "ie-vshell-student");
	g_assert_cmpuint(g_strv_length(t->inbound), ==, 3);
	g_assert_cmpstr(t->inbound[0], ==, "22");
	g_assert_cmpstr(t->inbound[2], ==, "443");
	/* Written without leading zeros, as libvirt compares them. */
	g_assert_cmpstr(t->outbound[0], ==, "443");
	t = config_template(c, "default");
	g_assert_null(t->from);
	g_assert_null(t->filter);
	g_assert_null(t->inbound);
	g_assert_null(t->outbound);
	config_free(c);

	expect_error(f, "[template:web]\ninbound = 65536\n", 2,
	    "'inbound' in [template:web]", "from 1 to 65535", NULL);
	expect_error(f, "[template:web]\n\ninbound = 22\noutbound = -1\n", 4,
	    "'outbound' in [template:web]", "from 1 to 65535", NULL);
	expect_error(f, "[template:web]\ninbound = 22/tcp\n", 2,
	    "a port is a number", "such as 22, 80, 443", NULL);
	expect_error(f, "[template:web]\ninbound = , ,\n", 2,
	    "no port given", NULL);
	expect_error(f, "[template:web]\ninbound = 1 2 3 4 5 6 7 8 9 10 11 12 "
	    "13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33\n",
	    2, "more than 32 ports", NULL);
	expect_error(f, "[template:web]\nfilter = a b\n", 2,
	    "'filter' in [template:web]", "nwfilter's name", NULL);
	expect_error(f, "[template:web]\nfrom = ../default\n", 2,
	    "'from' in [template:web]", "template's name", NULL);
}

static void
test_ports(void)
{
	const char *why;
	char **p;

	p = config_ports_new("22", &why);
	g_assert_null(why);
	g_assert_cmpuint(g_strv_length(p), ==, 1);
	g_strfreev(p);
	p = config_ports_new("\t1,65535  80,", &why);
	g_assert_null(why);
	g_assert_cmpstr(p[0], ==, "1");
	g_assert_cmpstr(p[1], ==, "65535");
	g_assert_cmpstr(p[2], ==, "80");
	g_assert_null(p[3]);
	g_strfreev(p);
	g_assert_null(config_ports_new("", &why));
	g_assert_nonnull(why);
	g_assert_null(config_ports_new("22-80", &why));
	g_assert_null(config_ports_new("+22", &why));
	g_assert_null(config_ports_new("0x16", &why));
	g_assert_null(config_ports_new("$IP", &why));
}

/* Without [hosts], [libvirt] uri is the one host, named local. */
static void
test_hosts_default(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c = load_text(f, "[libvirt]\nuri = test:///default\n",
	    &err);

	g_assert_nonnull(c);
	g_assert_false(c->several);
	g_assert_cmpint(c->nhosts, ==, 1);
	g_assert_cmpstr(c->hosts[0].name, ==, HOST_LOCAL);
	g_assert_cmpstr(c->hosts[0].uri, ==, "test:///default");
	g_assert_true(c->hosts[0].schedulable);
	g_assert_cmpint(c->hosts[0].vcpus, ==, -1);
	g_assert_cmpint(c->placement, ==, PLACE_SPREAD);
	g_assert_cmpint(c->reserve, ==, 1);
	g_assert_null(c->hosts[0].migration);
	g_assert_false(c->trust_pool);
	g_assert_cmpint(c->migrate_timeout, ==, 600);
	g_assert_true(g_str_has_suffix(c->state_dir, "/lib/ie-vshell/state"));
	config_free(c);
}

static void
test_hosts(struct fixture *f, gconstpointer data)
{
	char *err = NULL;
	struct config *c = load_text(f,
	    "[hosts]\n"
	    "blade2 = qemu+ssh://root@127.0.0.1:2222/system?keyfile=/k&x=1\n"
	    "blade1 = qemu+unix:///system?socket=/t/b1/libvirt-sock\n"
	    "[host:blade1]\nvcpus = 4\nmemory = 8\nschedulable = false\n"
	    "migration = 10.0.9.1\n[host:blade2]\nmigration = fe80::1\n"
	    "[placement]\npolicy = pack\nreserve = 0\n"
	    "[migration]\nshared_pool = trust\ntimeout = 30\n"
	    "[daemon]\nstate_dir = /srv/ievs-state\n", &err);

	g_assert_null(err);
	g_assert_nonnull(c);
	g_assert_true(c->several);
	g_assert_cmpint(c->nhosts, ==, 2);
	/* In the file's order. */
	g_assert_cmpstr(c->hosts[0].name, ==, "blade2");
	g_assert_cmpstr(c->hosts[0].uri, ==,
	    "qemu+ssh://root@127.0.0.1:2222/system?keyfile=/k&x=1");
	g_assert_true(c->hosts[0].schedulable);
	g_assert_cmpint(c->hosts[0].memory, ==, -1);
	g_assert_cmpstr(c->hosts[1].name, ==, "blade1");
	g_assert_cmpint(c->hosts[1].vcpus, ==, 4);
	g_assert_cmpint(c->hosts[1].memory, ==, 8);
	g_assert_false(c->hosts[1].schedulable);
	g_assert_cmpint(c->placement, ==, PLACE_PACK);
	g_assert_cmpint(c->reserve, ==, 0);
	g_assert_cmpstr(c->hosts[1].migration, ==, "10.0.9.1");
	g_assert_cmpstr(c->hosts[0].migration, ==, "fe80::1");
	g_assert_true(c->trust_pool);
	g_assert_cmpint(c->migrate_timeout, ==, 30);
	g_assert_cmpstr(c->state_dir, ==, "/srv/ievs-state");
	config_free(c);
}

static void
test_hosts_bad(struct fixture *f, gconstpointer data)
{
	expect_error(f, "[hosts]\n", 1, "[hosts] names no host", NULL);
	expect_error(f, "[hosts]\nBlade = test:///default\n", 2,
	    "'Blade' in [hosts]", "lowercase", NULL);
	expect_error(f, "[hosts]\na =\n", 2, "'a' in [hosts]", "empty",
	    NULL);
	expect_error(f, "[libvirt]\nuri = test:///default\n[hosts]\n"
	    "a = test:///default\n", 2, "'uri' in [libvirt]", "[hosts]",
	    NULL);
	expect_error(f, "[hosts]\na = test:///default\n[host:b]\nvcpus = 1\n",
	    3, "[host:b] names no host", NULL);
	expect_error(f, "[hosts]\na = test:///default\n[host:a]\nvcpus = 0\n",
	    4, "'vcpus' in [host:a]", "1 to 1000000", NULL);
	expect_error(f, "[hosts]\na = test:///default\n[host:a]\ncpus = 1\n",
	    4, "'cpus' in [host:a]", "unknown key", NULL);
	expect_error(f, "[hosts]\na = test:///default\n[host:a]\n"
	    "schedulable = maybe\n", 4, "true or false", NULL);
	expect_error(f, "[hosts]\na = test:///default\n[host:A]\n", 3,
	    "bad host group [host:A]", NULL);
	expect_error(f, "[placement]\npolicy = random\n", 2,
	    "'policy' in [placement]", "spread or pack", NULL);
	expect_error(f, "[placement]\nreserve = -1\n", 2,
	    "'reserve' in [placement]", NULL);
	/* A URI's words never come from a value that could be more. */
	expect_error(f, "[hosts]\na = test:///default\n[host:a]\n"
	    "migration = 10.0.0.1:4444/x\n", 4, "'migration' in [host:a]",
	    "host name or an IP address", NULL);
	expect_error(f, "[hosts]\na = test:///default\n[host:a]\n"
	    "migration = -oProxy\n", 4, "host name or an IP address", NULL);
	expect_error(f, "[migration]\nshared_pool = yes\n", 2,
	    "'shared_pool' in [migration]", "detect|trust", NULL);
	expect_error(f, "[migration]\ntimeout = 5\n", 2,
	    "'timeout' in [migration]", NULL);
	expect_error(f, "[daemon]\nstate_dir = state\n", 2,
	    "'state_dir' in [daemon]", "absolute", NULL);
}

#define ADD(name, fn) \
	g_test_add(name, struct fixture, NULL, setup, fn, teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/conf/defaults", test_defaults);
	g_test_add_func("/conf/ports", test_ports);
	ADD("/conf/template-firewall", test_template_firewall);
	ADD("/conf/full", test_full);
	ADD("/conf/partial", test_partial);
	ADD("/conf/limits", test_limits);
	ADD("/conf/missing", test_missing);
	ADD("/conf/unreadable", test_unreadable);
	ADD("/conf/unknown-key", test_unknown_key);
	ADD("/conf/unknown-group", test_unknown_group);
	ADD("/conf/bad-int", test_bad_int);
	ADD("/conf/relative-path", test_relative_path);
	ADD("/conf/dotdot", test_dotdot);
	ADD("/conf/bad-name", test_bad_name);
	ADD("/conf/syntax", test_syntax);
	ADD("/conf/duplicate-key-line", test_duplicate_key_line);
	ADD("/conf/new-disk", test_new_disk);
	ADD("/conf/hosts-default", test_hosts_default);
	ADD("/conf/hosts", test_hosts);
	ADD("/conf/hosts-bad", test_hosts_bad);
	ADD("/conf/language", test_language);
	return g_test_run();
}

/* ie-vmd: the VM broker.  Parses options and the config, checks the
 * templates, then hands over to the server. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <libxml/parser.h>

#include "base.h"
#include "bootmark.h"
#include "check.h"
#include "conf.h"
#include "domtab.h"
#include "fds.h"
#include "hosts.h"
#include "i18n.h"
#include "import.h"
#include "keep.h"
#include "log.h"
#include "move.h"
#include "names.h"
#include "sanitize.h"
#include "ops.h"
#include "pamacct.h"
#include "server.h"
#include "storage.h"
#include "template.h"
#include "virt.h"

/* Above the errno values glibc knows (EHWPOISON is 133). */
#define STRERROR_MAX 160

/* Errors quote file names and libxml2's words: escaped for the terminal. */
static void
fprint_clean(const char *msg)
{
	char *clean = sanitize_new(msg, false, 2048);

	fprintf(stderr, "ie-vmd: %s\n", clean);
	g_free(clean);
}

/* What the broker trusts must be changeable by root alone (or by the user
 * it runs as, for development): doas's rule for its config.  A missing
 * file is reported where it is read. */
static int
trusted(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	if ((st.st_uid == 0 || st.st_uid == geteuid()) &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	fprintf(stderr, _("ie-vmd: %s %s: writable by someone other than "
	    "root; run chown root %s && chmod go-w %s\n"), what, path, path,
	    path);
	return -1;
}

/* Loads every *.xml in the template directory; any broken one stops the
 * broker, naming the file and the reason. */
static GHashTable *
load_templates(const struct config *cfg)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)template_free);
	GError *gerr = NULL;
	char *err = NULL;
	GDir *d;
	const char *f;

	if (trusted(_("template directory"), cfg->template_dir) < 0) {
		g_hash_table_destroy(h);
		return NULL;
	}
	d = g_dir_open(cfg->template_dir, 0, &gerr);
	if (d == NULL) {
		fprintf(stderr, _("ie-vmd: template directory %s: %s\n"),
		    cfg->template_dir, gerr->message);
		g_error_free(gerr);
		g_hash_table_destroy(h);
		return NULL;
	}
	while ((f = g_dir_read_name(d)) != NULL) {
		char *name, *path;
		struct template *t = NULL;

		if (!g_str_has_suffix(f, ".xml"))
			continue;
		name = g_strndup(f, strlen(f) - 4);
		path = g_build_filename(cfg->template_dir, f, NULL);
		if (!user_name_valid(name))
			err = g_strdup_printf(_("template %s: the file name "
			    "must be letters, digits, '-', '_' or '.' and end "
			    "in .xml"), path);
		else if (trusted(_("template"), path) < 0)
			err = g_strdup_printf(_("template %s: not trusted"),
			    path);
		else
			t = template_load(path, name, &err);
		g_free(path);
		if (err != NULL) {
			fprint_clean(err);
			g_free(err);
			g_free(name);
			g_dir_close(d);
			g_hash_table_destroy(h);
			return NULL;
		}
		g_hash_table_insert(h, name, t);
	}
	g_dir_close(d);
	if (templates_configure(h, cfg, &err) < 0) {
		fprint_clean(err);
		g_free(err);
		g_hash_table_destroy(h);
		return NULL;
	}
	if (!g_hash_table_contains(h, cfg->default_template)) {
		fprintf(stderr, _("ie-vmd: default template '%s' not found in "
		    "%s\n"), cfg->default_template, cfg->template_dir);
		g_hash_table_destroy(h);
		return NULL;
	}
	return h;
}

/* The pool and the upload areas' parent, made if missing: a student must
 * not be able to change them either. */
static int
storage_ready(const struct config *cfg)
{
	char *err = NULL, *parent;
	int ret = -1;

	if (storage_init(cfg, &err) < 0) {
		fprint_clean(err);
		g_free(err);
		return -1;
	}
	parent = g_path_get_dirname(cfg->upload_dir);
	if (trusted(_("pool directory"), cfg->pool_dir) == 0 &&
	    trusted(_("upload directory"), parent) == 0)
		ret = 0;
	g_free(parent);
	return ret;
}

static void
bad_base(void *arg, const char *path, const char *why)
{
	char *msg = g_strdup_printf(_("base image %s: %s"), path, why);

	fprint_clean(msg);
	g_free(msg);
	(*(int *)arg)++;
}

/* The base images, each inspected, and the [template:NAME] groups that
 * name them: any problem stops the broker, as a broken template does. */
static GHashTable *
load_bases(const struct config *cfg)
{
	int problems = 0, i;
	GHashTable *h = base_catalogue_new(cfg, bad_base, &problems);
	char *why;

	for (i = 0; i < cfg->ntconfs; i++)
		if ((why = base_tconf_problem(cfg, &cfg->tconfs[i], h)) !=
		    NULL) {
			fprint_clean(why);
			g_free(why);
			problems++;
		}
	if (problems == 0)
		return h;
	g_hash_table_destroy(h);
	return NULL;
}

static int
run_check(const struct config *cfg, struct check_opts *co)
{
	struct check_opts o = {
		co->student,
		co->shell ? co->shell : BINDIR "/ie-vshell",
		co->sshd ? co->sshd : "/usr/sbin/sshd",
		co->sshd_config ? co->sshd_config : "/etc/ssh/sshd_config",
		co->pam_dir ? co->pam_dir : "/etc/pam.d",
		co->shells ? co->shells : "/etc/shells",
	};
	int ret;

	xmlInitParser();
	log_init(true);
	ret = check_run(cfg, &o) ? 1 : 0;
	fflush(stdout);
	xmlCleanupParser();
	g_free((char *)co->student);
	g_free((char *)co->shell);
	g_free((char *)co->sshd);
	g_free((char *)co->sshd_config);
	g_free((char *)co->pam_dir);
	g_free((char *)co->shells);
	return ret;
}

int
main(int argc, char **argv)
{
	gboolean foreground = FALSE, version = FALSE, check = FALSE;
	char *config_path = NULL, *locpath = NULL, *err = NULL;
	/* GOption allocates what it is given: these are freed at the end,
	 * the defaults filled in after parsing. */
	struct check_opts co = { NULL };
	GOptionEntry entries[] = {
		{ "config", 'f', 0, G_OPTION_ARG_FILENAME, &config_path,
		    N_("read PATH instead of the default config"), "PATH" },
		{ "foreground", 'F', 0, G_OPTION_ARG_NONE, &foreground,
		    N_("stay in the foreground and log to stderr"), NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version,
		    N_("print the version and exit"), NULL },
		{ "check", 0, 0, G_OPTION_ARG_NONE, &check,
		    N_("check the deployment and exit (run as root)"), NULL },
		{ "student", 0, 0, G_OPTION_ARG_STRING, &co.student,
		    N_("with --check: a student whose sshd settings to check"),
		    "USER" },
		{ "shell", 0, 0, G_OPTION_ARG_FILENAME, &co.shell,
		    N_("with --check: the login shell's path"), "PATH" },
		{ "sshd", 0, 0, G_OPTION_ARG_FILENAME, &co.sshd,
		    N_("with --check: the sshd binary"), "PATH" },
		{ "sshd-config", 0, 0, G_OPTION_ARG_FILENAME, &co.sshd_config,
		    N_("with --check: sshd's configuration"), "PATH" },
		{ "pam-dir", 0, 0, G_OPTION_ARG_FILENAME, &co.pam_dir,
		    N_("with --check: the PAM configuration directory"), "DIR" },
		{ "shells", 0, 0, G_OPTION_ARG_FILENAME, &co.shells,
		    N_("with --check: the list of login shells"), "PATH" },
		{ "localedir", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME,
		    &locpath, "tests: compiled locales and catalogues in DIR "
		    "before the system's", "DIR" },
		{ NULL }
	};
	GOptionContext *ctx;
	struct server srv = { 0 };
	struct config *cfg;
	sigset_t set;
	int i, ret = 1;

	/* Internal: the box unpacker started by import.c, on fds 3 and 4. */
	if (argc == 3 && strcmp(argv[1], "--unbox") == 0)
		return unbox_main(g_ascii_strtoll(argv[2], NULL, 10));
	/* Before anything opens a file: the lock on the socket must not land
	 * on fd 0, which daemon() replaces. */
	fds_sanitize_std();
	fds_close_from(STDERR_FILENO + 1);
	/* One thread per session: glibc would give up to 8 arenas a core,
	 * each keeping what its threads freed.  The threads mostly wait on
	 * their sockets, so two arenas cost no contention worth having. */
	mallopt(M_ARENA_MAX, 2);
	i18n_init(LOCALEDIR, NULL);
	ctx = g_option_context_new(N_("- VM broker for ie-vshell"));
	g_option_context_add_main_entries(ctx, entries, PACKAGE);
	g_option_context_set_translation_domain(ctx, PACKAGE);
	if (!g_option_context_parse(ctx, &argc, &argv, NULL) || argc != 1) {
		fprintf(stderr, _("usage: ie-vmd [-F] [-f CONFIG] [-V] | "
		    "ie-vmd --check [--student USER] [-f CONFIG]\n"));
		g_option_context_free(ctx);
		return 2;
	}
	g_option_context_free(ctx);
	if (locpath != NULL) {
		i18n_init(LOCALEDIR, locpath);
		g_free(locpath);
	}
	if (version) {
		printf("ie-vmd %s\n", PACKAGE_VERSION);
		return 0;
	}
	cfg = config_load(config_path ? config_path : CONFIG_PATH,
	    config_path == NULL, &err);
	g_free(config_path);
	if (cfg == NULL) {
		if (check) {
			char *clean = sanitize_new(err, false, 2048);

			printf("FAIL  config: %s; fix: %s\n", clean,
			    _("correct it"));
			g_free(clean);
		} else
			fprint_clean(err);
		g_free(err);
		return 1;
	}
	if (check) {
		ret = run_check(cfg, &co);
		config_free(cfg);
		return ret;
	}
	/* Each client's thread answers in the client's language; a
	 * LANGUAGE of the broker's own would override that (gettext prefers
	 * it to any locale).  Before any thread starts. */
	unsetenv("LANGUAGE");
	/* GLib keeps g_strerror()'s text of each errno for the whole
	 * process, in the language of the thread that asked first: asked
	 * now, it is the broker's own (English under systemd) for its log
	 * and every client alike, not the first student's. */
	for (i = 1; i < STRERROR_MAX; i++)
		(void)g_strerror(i);
	/* Signals are taken by the main loop's signalfd; no thread gets them
	 * asynchronously.  Set before libvirt starts any thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (cfg->path != NULL && trusted(_("config"), cfg->path) < 0)
		goto out;
	if (ops_init(&err) < 0) {
		fprint_clean(err);
		g_free(err);
		goto out;
	}
	xmlInitParser();
	srv.cfg = cfg;
	if ((srv.templates = load_templates(cfg)) == NULL)
		goto out;
	if (storage_ready(cfg) < 0)
		goto out;
	if (import_init(cfg, &err) < 0) {
		fprint_clean(err);
		g_free(err);
		goto out;
	}
	if ((srv.bases = load_bases(cfg)) == NULL)
		goto out;
	/* The records that let VMs move between hosts; one host has no use
	 * for them. */
	if (cfg->several && keep_init(cfg, &err) < 0) {
		fprint_clean(err);
		g_free(err);
		goto out;
	}
	hosts_init(cfg);
	/* Listen before detaching, so that whoever started us sees the
	 * failure; connect to libvirt after, as its threads do not survive
	 * a fork. */
	log_init(true);
	if (server_listen(&srv) < 0)
		goto close;
	if (!foreground) {
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "ie-vmd: daemon: %s\n",
			    g_strerror(errno));
			goto close;
		}
		log_init(false);
	}
	pamacct_keep(cfg->pam_service);
	if (virt_init(cfg) == 0) {
		domtab_init(cfg->several);
		if (cfg->several)
			domtab_on_load(move_host_back);
		if (server_run(&srv) == 0)
			ret = 0;
	}
close:
	server_close(&srv);
	domtab_shutdown();
	bootmark_shutdown();
	virt_shutdown();
	ops_shutdown();
	pamacct_release();
out:
	if (srv.templates != NULL)
		g_hash_table_destroy(srv.templates);
	if (srv.bases != NULL)
		g_hash_table_destroy(srv.bases);
	config_free(cfg);
	xmlCleanupParser();
	return ret;
}

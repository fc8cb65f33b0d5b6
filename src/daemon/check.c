/* Deployment checks.  Each reports pass or fail with a one-line fix; none
 * changes anything.  sshd is asked for its effective settings (sshd -T)
 * rather than its files parsed here: only sshd knows what it will do. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "base.h"
#include "check.h"
#include "conf.h"
#include "creds.h"
#include "i18n.h"
#include "names.h"
#include "sanitize.h"
#include "template.h"
#include "virt.h"

static int failures;

static void
report(bool ok, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(bool ok, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char *what;

	/* File names, libxml2's and sshd's words: escaped for the terminal. */
	va_start(ap, fmt);
	what = sanitize_vprintf_new(2048, fmt, ap);
	va_end(ap);
	if (ok)
		printf("ok    %s\n", what);
	else {
		printf("FAIL  %s; fix: %s\n", what, fix);
		failures++;
	}
	g_free(what);
}

/* Root-owned and not writable by group or others: what the broker trusts
 * must not be changeable by anyone else. */
static void
check_owned(const char *label, const char *path, bool dir)
{
	struct stat st;
	char *fix;

	if (lstat(path, &st) < 0) {
		fix = dir ? g_strdup_printf("mkdir -p %s && chmod 755 %s",
		    path, path) : g_strdup_printf(_("create %s"), path);
		report(false, fix, "%s %s: %s", label, path, g_strerror(errno));
		g_free(fix);
		return;
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		report(false, _("replace it with a plain file or directory"),
		    _("%s %s: not a %s"), label, path, dir ? _("directory") :
		    _("file"));
		return;
	}
	fix = g_strdup_printf("chown root:root %s && chmod go-w %s", path,
	    path);
	report(st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0, fix,
	    _("%s %s: owned by root, not writable by group or others"),
	    label, path);
	g_free(fix);
}

/* Each template file checked; returns the templates that loaded, with
 * the config's groups applied, for the check of their filters. */
static GHashTable *
check_templates(const struct config *cfg)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)template_free);
	GDir *d = g_dir_open(cfg->template_dir, 0, NULL);
	const char *f;
	char *err = NULL;
	bool have_default = false;

	check_owned(_("template directory"), cfg->template_dir, true);
	while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
		char *path, *name;
		struct template *t;

		if (!g_str_has_suffix(f, ".xml"))
			continue;
		path = g_build_filename(cfg->template_dir, f, NULL);
		name = g_strndup(f, strlen(f) - 4);
		report(user_name_valid(name), _("rename it: letters, digits, "
		    "'-', '_' or '.', ending in .xml"), _("template %s has a "
		    "usable name"), path);
		have_default |= strcmp(name, cfg->default_template) == 0;
		check_owned(_("template"), path, false);
		t = template_load(path, name, &err);
		report(t != NULL, _("correct the template; see ie-vmd(8)"),
		    _("template %s is valid%s%s"), path, err ? ": " : "",
		    err ? err : "");
		if (t != NULL)
			g_hash_table_insert(h, g_strdup(name), t);
		g_free(err);
		err = NULL;
		g_free(name);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	if (templates_configure(h, cfg, &err) < 0)
		report(false, _("correct the group in the config"), "%s", err);
	g_free(err);
	have_default |= config_template(cfg, cfg->default_template) != NULL &&
	    g_hash_table_contains(h, cfg->default_template);
	report(have_default, _("add it, or set [templates] default"),
	    _("default template %s.xml present"), cfg->default_template);
	return h;
}

/* Every filter a template asks for is defined where its VMs run: else
 * libvirt refuses to start them. */
static void
check_filters(virConnectPtr c, const char *host, const char *uri,
    GHashTable *h)
{
	GList *names = g_list_sort(g_hash_table_get_keys(h),
	    (GCompareFunc)strcmp), *l;
	virNWFilterPtr nf;
	char **filters, *fix;
	int i;

	for (l = names; l != NULL; l = l->next) {
		filters = template_filters_new(g_hash_table_lookup(h, l->data));
		for (i = 0; filters[i] != NULL; i++) {
			nf = virNWFilterLookupByName(c, filters[i]);
			fix = g_strdup_printf(_("define it: virsh -c %s "
			    "nwfilter-define %s/%s.xml (ie-vshell ships "
			    "ie-vshell-student)"), uri, SYSCONFDIR "/ie-vshell/nwfilter",
			    filters[i]);
			if (host != NULL)
				report(nf != NULL, fix, _("host %s: template "
				    "%s: filter %s defined in libvirt%s%s"),
				    host, (char *)l->data, filters[i],
				    nf ? "" : ": ", nf ? "" : virt_error());
			else
				report(nf != NULL, fix, _("template %s: filter "
				    "%s defined in libvirt%s%s"),
				    (char *)l->data, filters[i],
				    nf ? "" : ": ", nf ? "" : virt_error());
			g_free(fix);
			if (nf != NULL)
				virNWFilterFree(nf);
		}
		g_strfreev(filters);
	}
	g_list_free(names);
}
static void
bad_base(void *arg, const char *path, const char *why)
{
	report(false, _("fix or remove it; see ie-vmd(8)"),
	    _("base image %s: %s"), path, why);
}

/* Each base image passes the checks of an import, and the templates'
 * settings name what exists. */
static void
check_bases(const struct config *cfg)
{
	GHashTable *h = base_catalogue_new(cfg, bad_base, NULL);
	GPtrArray *a = base_sorted_new(h);
	char *why, *size;
	guint i;
	int t;

	if (!g_file_test(cfg->base_dir, G_FILE_TEST_EXISTS))
		report(true, "", _("no base image directory %s (students "
		    "define VMs from uploads%s)"), cfg->base_dir,
		    cfg->blank_size > 0 ? _(" or blank disks") : "");
	for (i = 0; i < a->len; i++) {
		struct base *b = g_ptr_array_index(a, i);

		size = g_format_size_full(b->vsize, G_FORMAT_SIZE_IEC_UNITS);
		report(true, "", _("base image %s: %s, %s virtual, passes "
		    "the checks of an import"), b->path, b->format, size);
		g_free(size);
	}
	for (t = 0; t < cfg->ntconfs; t++) {
		if ((why = base_tconf_problem(cfg, &cfg->tconfs[t], h)))
			report(false, _("correct the group in the config"),
			    "%s", why);
		else
			report(true, "", _("[template:%s] names a template "
			    "and base images that exist"), cfg->tconfs[t].name);
		g_free(why);
	}
	g_ptr_array_free(a, TRUE);
	g_hash_table_destroy(h);
}

/* The areas' parent keeps students from swapping their area; the
 * programs the shell runs for them must be what the admin installed. */
static void
check_upload(const struct config *cfg)
{
	char *parent = g_path_get_dirname(cfg->upload_dir);

	check_owned(_("upload directory"), parent, true);
	check_owned("sftp-server", cfg->sftp_server, false);
	check_owned("scp", cfg->scp, false);
	g_free(parent);
}

static void
check_shells(const struct check_opts *o)
{
	char *text = NULL, **lines;
	bool found = false;
	char *fix;
	int i;

	if (g_file_get_contents(o->shells, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (i = 0; lines[i] != NULL; i++)
			found |= strcmp(g_strstrip(lines[i]), o->shell) == 0;
		g_strfreev(lines);
		g_free(text);
	}
	fix = g_strdup_printf("echo %s >> %s", o->shell, o->shells);
	report(found, fix, _("%s is listed in %s"), o->shell, o->shells);
	g_free(fix);
}

/* Effective setting -> the value that closes a bypass. */
static const struct {
	const char *key, *want, *what;
	bool forwarding;	/* also closed by DisableForwarding yes */
} sshd_wants[] = {
	{ "allowtcpforwarding", "no", N_("TCP forwarding"), true },
	{ "allowstreamlocalforwarding", "no", N_("Unix socket forwarding"),
	    true },
	{ "allowagentforwarding", "no", N_("agent forwarding"), true },
	{ "x11forwarding", "no", N_("X11 forwarding"), true },
	{ "permittunnel", "no", N_("tunnels"), false },
	{ "permituserrc", "no", "~/.ssh/rc", false },
	{ "permituserenvironment", "no", N_("user environment"), false },
};

static const char *
sshd_value(char **lines, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; lines[i] != NULL; i++)
		if (strncmp(lines[i], key, n) == 0 && lines[i][n] == ' ')
			return lines[i] + n + 1;
	return NULL;
}

/* AcceptEnv may pass only what the shell validates anyway. */
static bool
acceptenv_ok(char **lines)
{
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *v;

		if (!g_str_has_prefix(lines[i], "acceptenv "))
			continue;
		v = lines[i] + strlen("acceptenv ");
		if (strcmp(v, "LANG") != 0 && strcmp(v, "LC_*") != 0 &&
		    !(g_str_has_prefix(v, "LC_") && strchr(v, '*') == NULL))
			return false;
	}
	return true;
}

/* sshd serves internal-sftp itself, as the student, without the login
 * shell and so without confinement; any other command goes through the
 * shell, which runs only the configured sftp-server. */
static void
check_subsystem(const struct config *cfg, const struct check_opts *o,
    char **lines)
{
	const char *key = "subsystem sftp ";
	char *fix;
	int i;

	/* No sftp subsystem at all: nothing to bypass. */
	for (i = 0; lines[i] != NULL; i++) {
		const char *v;

		if (!g_str_has_prefix(lines[i], key))
			continue;
		v = lines[i] + strlen(key);
		fix = g_strdup_printf(_("set Subsystem sftp %s in "
		    "sshd_config"), cfg->sftp_server);
		report(strcmp(v, cfg->sftp_server) == 0, fix, _("sshd for %s: "
		    "sftp runs %s through the shell (subsystem sftp %s)"),
		    o->student, cfg->sftp_server, v);
		g_free(fix);
	}
}

static void
check_sshd(const struct config *cfg, const struct check_opts *o)
{
	char *spec, *out = NULL, *err = NULL, **lines;
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/bin", "LC_ALL=C", NULL };
	GError *gerr = NULL;
	int status = -1;
	bool disabled;
	size_t i;

	if (o->student == NULL) {
		report(false, _("run ie-vmd --check --student USER with a "
		    "student's user name"), "%s",
		    _("sshd settings for students"));
		return;
	}
	spec = g_strdup_printf("user=%s,host=blade.invalid,addr=192.0.2.1",
	    o->student);
	{
		char *argv[] = { (char *)o->sshd, "-T", "-f",
		    (char *)o->sshd_config, "-C", spec, NULL };

		if (!g_spawn_sync("/", argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
		    &out, &err, &status, &gerr) ||
		    !g_spawn_check_wait_status(status, NULL)) {
			report(false, _("make sshd -T work (host keys, "
			    "/run/sshd), then run the check again"),
			    "%s -T for %s: %s", o->sshd, o->student,
			    gerr ? gerr->message :
			    (err && *err ? g_strchomp(err) : _("failed")));
			g_clear_error(&gerr);
			g_free(out);
			g_free(err);
			g_free(spec);
			return;
		}
	}
	lines = g_strsplit(out, "\n", -1);
	/* sshd -T shows the allow* settings as written even where
	 * DisableForwarding overrides them. */
	disabled = g_strcmp0(sshd_value(lines, "disableforwarding"), "yes") == 0;
	for (i = 0; i < G_N_ELEMENTS(sshd_wants); i++) {
		const char *v = sshd_value(lines, sshd_wants[i].key);

		if (sshd_wants[i].forwarding && disabled)
			v = _("no (DisableForwarding yes)");
		char *fix = g_strdup_printf(_("set %s %s for students (see "
		    "contrib/sshd_config.d/ie-vshell.conf)"), sshd_wants[i].key,
		    sshd_wants[i].want);

		report(v != NULL && strncmp(v, sshd_wants[i].want,
		    strlen(sshd_wants[i].want)) == 0 &&
		    (v[strlen(sshd_wants[i].want)] == '\0' ||
		    v[strlen(sshd_wants[i].want)] == ' '), fix,
		    _("sshd for %s: %s off (%s %s)"), o->student,
		    _(sshd_wants[i].what), sshd_wants[i].key,
		    v ? v : _("unset"));
		g_free(fix);
	}
	report(acceptenv_ok(lines), _("accept no more than AcceptEnv LANG "
	    "LC_*"), _("sshd for %s: AcceptEnv passes only LANG and LC_*"),
	    o->student);
	check_subsystem(cfg, o, lines);
	g_strfreev(lines);
	g_free(out);
	g_free(err);
	g_free(spec);
}

/* A locale of [language] the machine lacks gives its users English. */
static void
check_languages(const struct config *cfg)
{
	locale_t loc;
	char *fix;
	int i;

	for (i = 0; i < cfg->nlangs; i++) {
		const char *name = cfg->langs[i].locale;

		loc = newlocale(LC_MESSAGES_MASK, name, (locale_t)0);
		fix = g_strdup_printf(_("add '%s UTF-8' to /etc/locale.gen and "
		    "run locale-gen"), name);
		report(loc != (locale_t)0, fix, _("locale %s of [language] is "
		    "installed"), name);
		g_free(fix);
		if (loc != (locale_t)0)
			freelocale(loc);
	}
}

static void
check_libvirt(const struct config *cfg, GHashTable *templates)
{
	char *err = NULL;
	virConnectPtr c;
	unsigned long v = 0;

	if (virt_init(cfg) < 0 || (c = virt_get(0, true, &err)) == NULL) {
		report(false, _("start libvirtd, or correct [libvirt] uri"),
		    _("libvirt reachable at %s: %s"), cfg->uri,
		    err ? err : _("cannot initialise libvirt"));
		g_free(err);
		virt_shutdown();
		return;
	}
	report(virConnectGetLibVersion(c, &v) == 0, _("check libvirtd's logs"),
	    _("libvirt reachable at %s"), cfg->uri);
	check_filters(c, NULL, cfg->uri, templates);
	virConnectClose(c);
	virt_shutdown();
}

/* Several hosts: each reachable, each its own (libvirt's host UUID), each
 * seeing the pool at the same path, each with a clock close to this one's.
 * The pool is tested with a probe file written here and looked up through
 * a storage pool of type dir on pool_dir on each host (one the host has,
 * or a transient one, gone afterwards).  libvirt has no call that reads a
 * host's clock: each host makes an empty volume in that pool, and the time
 * its filesystem gave the file (the host's own clock on OCFS2, GFS2 and
 * CephFS; the server's on NFS) is compared with this one's. */
#define SKEW_MAX 2	/* seconds */

static virStoragePoolPtr
dir_pool(virConnectPtr c, const char *dir, bool *made)
{
	virStoragePoolPtr *pools = NULL, found = NULL;
	char *xml, *path, *esc;
	int n, i;

	*made = false;
	/* Inactive ones too: libvirt refuses a second pool on one path. */
	n = virConnectListAllStoragePools(c, &pools, 0);
	for (i = 0; i < n; i++) {
		xml = found ? NULL : virStoragePoolGetXMLDesc(pools[i], 0);
		path = xml_string_new(xml, "string(/pool/target/path)");
		if (path != NULL && strcmp(path, dir) == 0)
			found = pools[i];
		else
			virStoragePoolFree(pools[i]);
		g_free(path);
		free(xml);
	}
	free(pools);
	if (found != NULL)
		return found;
	esc = g_markup_escape_text(dir, -1);
	xml = g_strdup_printf("<pool type='dir'><name>ievs-check-%d</name>"
	    "<target><path>%s</path></target></pool>", (int)getpid(), esc);
	found = virStoragePoolCreateXML(c, xml, 0);
	*made = found != NULL;
	g_free(xml);
	g_free(esc);
	return found;
}

/* The host's clock less this one's, in seconds, from a volume the host
 * makes; G_MAXDOUBLE if it cannot be told. */
static double
host_skew(virStoragePoolPtr pool, const char *name)
{
	char *xml = g_strdup_printf("<volume><name>%s</name><capacity>0"
	    "</capacity><target><format type='raw'/></target></volume>",
	    name), *desc, *t;
	double before = g_get_real_time() / 1e6, after, skew = G_MAXDOUBLE;
	virStorageVolPtr vol = virStorageVolCreateXML(pool, xml, 0);

	after = g_get_real_time() / 1e6;
	g_free(xml);
	if (vol == NULL)
		return skew;
	desc = virStorageVolGetXMLDesc(vol, 0);
	t = xml_string_new(desc, "string(/volume/target/timestamps/mtime)");
	if (t != NULL)
		skew = g_ascii_strtod(t, NULL) - (before + after) / 2;
	/* Within the time the call took, there is no skew to speak of. */
	if (t != NULL && ABS(skew) <= (after - before) / 2)
		skew = 0;
	g_free(t);
	free(desc);
	virStorageVolDelete(vol, 0);
	virStorageVolFree(vol);
	return skew;
}

static void
check_host_pool(const struct config *cfg, int h, virConnectPtr c,
    const char *probe)
{
	const char *name = cfg->hosts[h].name;
	char *fix, *clock;
	bool made;
	virStoragePoolPtr pool = dir_pool(c, cfg->pool_dir, &made);
	virStorageVolPtr vol = NULL;
	double skew;

	if (pool != NULL && !made && virStoragePoolIsActive(pool) != 1) {
		fix = g_strdup_printf("virsh -c %s pool-start %s",
		    cfg->hosts[h].uri, virStoragePoolGetName(pool));
		report(false, fix, _("host %s: its storage pool %s on %s is not "
		    "active"), name, virStoragePoolGetName(pool),
		    cfg->pool_dir);
		g_free(fix);
		virStoragePoolFree(pool);
		return;
	}
	fix = g_strdup_printf(_("mount the shared filesystem at %s on host "
	    "%s"), cfg->pool_dir, name);
	if (pool != NULL && virStoragePoolRefresh(pool, 0) == 0)
		vol = virStorageVolLookupByName(pool, probe);
	report(vol != NULL, fix, _("host %s sees the pool at %s (probe file "
	    "%s)%s%s"), name, cfg->pool_dir, probe, vol ? "" : ": ",
	    vol ? "" : virt_error());
	g_free(fix);
	if (vol != NULL) {
		virStorageVolFree(vol);
		clock = g_strdup_printf("%s.clock", probe);
		skew = host_skew(pool, clock);
		g_free(clock);
		if (skew == G_MAXDOUBLE)
			report(false, _("check the host's storage driver"),
			    _("host %s: cannot tell its clock: %s"), name,
			    virt_error());
		else
			report(ABS(skew) <= SKEW_MAX, _("run an NTP client "
			    "(chrony) on every host and the shared storage"),
			    _("host %s: clock %+.1f s from this one's (at most "
			    "%d s)"), name, skew, SKEW_MAX);
	}
	if (made)
		virStoragePoolDestroy(pool);
	if (pool != NULL)
		virStoragePoolFree(pool);
}

/* libvirt's lock manager on a host: a throw-away guest (transient,
 * destroyed with the connection if we die) on a probe disk in the pool,
 * and whether its disk is then locked where every host's lock manager
 * looks: lockd's lease is a POSIX lock on the disk's first byte (QEMU's
 * own image locks lie further on).  Only QEMU hosts run guests. */
static void
check_host_lock(const struct config *cfg, int h, virConnectPtr c)
{
	const char *name = cfg->hosts[h].name, *type = virConnectGetType(c);
	char *path, *xml, *fix;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
	    .l_start = 0, .l_len = 1 };
	virDomainPtr dom;
	int fd;

	if (type == NULL || strcmp(type, "QEMU") != 0)
		return;
	path = g_strdup_printf("%s/ievs-lockprobe-%s", cfg->pool_dir, name);
	unlink(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0
	    || ftruncate(fd, 1 << 20) < 0) {
		report(false, _("check the pool directory"), _("cannot write "
		    "%s: %s"), path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		g_free(path);
		return;
	}
	xml = g_markup_printf_escaped("<domain type='qemu'>"
	    "<name>ievs-lockprobe-%s</name><memory unit='MiB'>32</memory>"
	    "<os><type>hvm</type></os><devices><disk type='file' "
	    "device='disk'><driver name='qemu' type='raw'/><source file='%s'/>"
	    "<target dev='vda' bus='virtio'/></disk></devices></domain>",
	    name, path);
	fix = g_strdup_printf(_("set lock_manager = \"lockd\" in qemu.conf on "
	    "%s, start virtlockd there and restart libvirtd (see the "
	    "README)"), name);
	if ((dom = virDomainCreateXML(c, xml, VIR_DOMAIN_START_AUTODESTROY))
	    == NULL)
		report(false, _("check that the host can run a guest"),
		    _("host %s: cannot start a probe guest to test its lock "
		    "manager: %s"), name, virt_error());
	else {
		bool locked = fcntl(fd, F_GETLK, &fl) == 0 &&
		    fl.l_type != F_UNLCK;

		report(locked, fix, _("host %s: a running guest's disk is "
		    "locked against any other host (libvirt's lock manager)"),
		    name);
		virDomainDestroy(dom);
		virDomainFree(dom);
	}
	close(fd);
	unlink(path);
	g_free(fix);
	g_free(xml);
	g_free(path);
}

/* Each VM of the broker's on one host only: two definitions of one disk
 * on two hosts may run it twice. */
static void
check_twice(const struct config *cfg, virConnectPtr *conns)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	int h, n, i, dup = 0;

	for (h = 0; h < cfg->nhosts; h++) {
		virDomainPtr *doms = NULL;

		if (conns[h] == NULL ||
		    (n = virConnectListAllDomains(conns[h], &doms, 0)) < 0)
			continue;
		for (i = 0; i < n; i++) {
			const char *dn = virDomainGetName(doms[i]);
			char vm[VM_NAME_MAX + 1];
			gpointer other;
			uid_t uid;

			if (domain_name_parse(dn, &uid, vm) == 0 &&
			    g_hash_table_lookup_extended(seen, dn, NULL,
			    &other)) {
				char *fix = g_strdup_printf(_("undefine one: "
				    "virsh -c %s undefine %s"), cfg->hosts[h].uri,
				    dn);

				report(false, fix, _("VM %s (user %u) is "
				    "defined on host %s and on host %s: its disk "
				    "could run twice"), vm, (unsigned)uid,
				    cfg->hosts[GPOINTER_TO_INT(other)].name,
				    cfg->hosts[h].name);
				g_free(fix);
				dup++;
			} else if (domain_name_parse(dn, &uid, vm) == 0)
				g_hash_table_insert(seen, g_strdup(dn),
				    GINT_TO_POINTER(h));
			virDomainFree(doms[i]);
		}
		free(doms);
	}
	if (dup == 0)
		report(true, "", "%s", _("each VM is defined on one host "
		    "only"));
	g_hash_table_destroy(seen);
}

/* The probe file, in pool_dir: its name (caller frees), or NULL.  Empty,
 * and readable by all: a host whose root is squashed on NFS must still be
 * able to open it. */
static char *
probe_new(const struct config *cfg)
{
	char *path = g_build_filename(cfg->pool_dir, "ievs-probe-XXXXXX",
	    NULL), *name = NULL;
	int fd = g_mkstemp_full(path, O_WRONLY | O_CLOEXEC, 0644);

	if (fd >= 0) {
		name = g_path_get_basename(path);
		close(fd);
	} else
		report(false, _("check the pool directory"), _("cannot write "
		    "a probe file in %s: %s"), cfg->pool_dir,
		    g_strerror(errno));
	g_free(path);
	return name;
}

static void
check_hosts(const struct config *cfg, GHashTable *templates)
{
	char **uuids = g_new0(char *, cfg->nhosts + 1), *probe, *path;
	virConnectPtr *conns = g_new0(virConnectPtr, cfg->nhosts);
	int h, k, dup = 0;

	/* An admin waits for a slow host rather than read it as down. */
	virt_set_open_wait(30);
	if (virt_init(cfg) < 0) {
		report(false, _("check the libvirt installation"), "%s",
		    _("cannot initialise libvirt"));
		g_free(uuids);
		return;
	}
	probe = probe_new(cfg);
	for (h = 0; h < cfg->nhosts; h++) {
		const struct host_conf *hc = &cfg->hosts[h];
		char *err = NULL, *caps, *fix;
		virConnectPtr c = virt_get(h, false, &err);

		fix = g_strdup_printf(_("start libvirtd on %s, or correct its "
		    "URI in [hosts]"), hc->name);
		report(c != NULL, fix, _("host %s: libvirt reachable at "
		    "%s%s%s"), hc->name, hc->uri, err ? ": " : "",
		    err ? err : "");
		g_free(fix);
		g_free(err);
		if (c == NULL)
			continue;
		caps = virConnectGetCapabilities(c);
		uuids[h] = xml_string_new(caps,
		    "string(/capabilities/host/uuid)");
		free(caps);
		if (probe != NULL)
			check_host_pool(cfg, h, c, probe);
		check_filters(c, hc->name, hc->uri, templates);
		check_host_lock(cfg, h, c);
		conns[h] = c;
	}
	check_twice(cfg, conns);
	for (h = 0; h < cfg->nhosts; h++)
		if (conns[h] != NULL)
			virt_put(conns[h]);
	g_free(conns);
	for (h = 0; h < cfg->nhosts; h++)
		for (k = 0; k < h; k++)
			if (uuids[h] != NULL && uuids[k] != NULL &&
			    strcmp(uuids[h], uuids[k]) == 0) {
				report(false, _("give each host its own "
				    "host_uuid in its libvirtd.conf"),
				    _("host %s has the same host UUID as host "
				    "%s (%s): the same machine twice, or a "
				    "copied libvirtd.conf"), cfg->hosts[h].name,
				    cfg->hosts[k].name, uuids[h]);
				dup++;
				break;
			}
	if (dup == 0)
		report(true, "", "%s", _("the hosts have distinct host UUIDs"));
	if (probe != NULL) {
		path = g_build_filename(cfg->pool_dir, probe, NULL);
		unlink(path);
		g_free(path);
	}
	g_free(probe);
	for (h = 0; h < cfg->nhosts; h++)
		g_free(uuids[h]);
	g_free(uuids);
	virt_shutdown();
}

/* Not a failure: imports work without it, as they did before. */
static void
check_creds(const struct config *cfg)
{
	static const char *const mode[] = { "off", "check", "warn", "fix" };
	const char *why = creds_unavailable(cfg);

	if (cfg->credentials == CREDS_OFF)
		printf(_("note  imports are not checked for default "
		    "credentials ([import] credentials = off)\n"));
	else if (why != NULL)
		printf(_("note  imports are not checked for default "
		    "credentials, as with credentials = off: %s\n"), _(why));
	else
		report(true, "", _("imports are checked for default "
		    "credentials (%s) with %s"), mode[cfg->credentials],
		    cfg->creds_helper);
}

int
check_run(const struct config *cfg, const struct check_opts *o)
{
	GHashTable *templates;
	char *pam, *fix;

	failures = 0;
	if (cfg->path != NULL)
		check_owned(_("config"), cfg->path, false);
	else {
		fix = g_strdup_printf(_("write %s"), CONFIG_PATH);
		report(false, fix, "%s", _("config file present"));
		g_free(fix);
	}
	templates = check_templates(cfg);
	check_bases(cfg);
	check_owned(_("pool directory"), cfg->pool_dir, true);
	check_upload(cfg);
	check_creds(cfg);
	check_shells(o);
	check_sshd(cfg, o);
	check_languages(cfg);
	pam = g_build_filename(o->pam_dir, cfg->pam_service, NULL);
	check_owned(_("PAM service"), pam, false);
	g_free(pam);
	if (cfg->several)
		check_hosts(cfg, templates);
	else
		check_libvirt(cfg, templates);
	g_hash_table_destroy(templates);
	if (failures)
		printf(ngettext("ie-vmd --check: %d problem\n",
		    "ie-vmd --check: %d problems\n", failures), failures);
	else
		printf("%s\n", _("ie-vmd --check: all checks passed"));
	return failures;
}

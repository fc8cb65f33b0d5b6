/* Default credentials in an imported disk (creds.h).  The broker reads
 * nothing of the guest itself: ie-vmd-creds does, in its sandbox, and
 * answers in lines of plain words.  The student's own keys are read as
 * the student, by the request's thread with the student's file-system
 * identity for the open: the kernel decides what the student may read,
 * and no link the student made leads root anywhere. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>

#include <glib.h>

#include "conf.h"
#include "creds.h"
#include "i18n.h"
#include "import.h"
#include "log.h"
#include "sandbox.h"
#include "sshkeys.h"

#define KEYS_MAX (64 << 10)	/* bytes of the student's keys read */
#define KEYS_COUNT 100		/* keys installed at most */
#define NGROUPS 64

const char *
creds_unavailable(const struct config *cfg)
{
	GDir *boot;
	const char *e;
	bool kernel = false;

	if (access(cfg->creds_helper, X_OK) < 0)
		return N_("the helper ie-vmd-creds is not installed (it is "
		    "built where libguestfs is: Debian libguestfs-dev)");
	/* libguestfs builds its appliance from the host's kernel. */
	if ((boot = g_dir_open("/boot", 0, NULL)) != NULL) {
		while ((e = g_dir_read_name(boot)) != NULL)
			kernel |= g_str_has_prefix(e, "vmlinuz-");
		g_dir_close(boot);
	}
	if (!kernel)
		return N_("no kernel in /boot for libguestfs's appliance "
		    "(Debian: linux-image-amd64)");
	return NULL;
}

static char *
keys_path_new(const char *pattern, const struct passwd *pw)
{
	GString *s = g_string_new(NULL);
	const char *p;

	for (p = pattern; *p != '\0'; p++)
		if (p[0] == '%' && p[1] == 'h')
			g_string_append(s, pw->pw_dir), p++;
		else if (p[0] == '%' && p[1] == 'u')
			g_string_append(s, pw->pw_name), p++;
		else
			g_string_append_c(s, *p);
	return g_string_free(s, FALSE);
}

/* The path as the student reads it: ~ for the home directory. */
static char *
keys_shown_new(const char *path, const struct passwd *pw)
{
	size_t n = strlen(pw->pw_dir);

	if (n > 1 && strncmp(path, pw->pw_dir, n) == 0 && path[n] == '/')
		return g_strconcat("~", path + n, NULL);
	return g_strdup(path);
}

/* Opens path with the student's file-system identity, in this thread
 * alone: setfsuid, setfsgid and the raw setgroups call change the calling
 * thread's credentials (glibc's setgroups would change every thread's).
 * The kernel then decides as for the student, links and all; the
 * thread is root again before it returns, or the broker stops. */
static int
open_as(const struct passwd *pw, const gid_t *groups, int ngroups,
    const char *path)
{
	gid_t saved[NGROUPS];
	int nsaved = getgroups(NGROUPS, saved), fd = -1, e = EPERM;
	uid_t fsuid = setfsuid(-1);
	gid_t fsgid = setfsgid(-1);

	if (nsaved < 0)
		return -1;
	if (syscall(SYS_setgroups, ngroups, groups) == 0) {
		setfsgid(pw->pw_gid);
		setfsuid(pw->pw_uid);
		/* setfsuid tells the old value: asked again, the new one. */
		if ((uid_t)setfsuid(-1) == pw->pw_uid &&
		    (gid_t)setfsgid(-1) == pw->pw_gid) {
			fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
			    O_CLOEXEC);
			e = errno;
		}
	}
	setfsuid(fsuid);
	setfsgid(fsgid);
	if (syscall(SYS_setgroups, nsaved, saved) < 0 ||
	    (uid_t)setfsuid(-1) != fsuid || (gid_t)setfsgid(-1) != fsgid) {
		log_msg(LOG_CRIT, "cannot become root again after reading "
		    "uid %u's keys: stopping", (unsigned)pw->pw_uid);
		abort();
	}
	errno = e;
	return fd;
}

/* The student's keys as "TYPE BLOB" lines ("" if none), and where they
 * were read in *shown (caller frees); or NULL with a reason in *err. */
static char *
student_keys_new(const struct config *cfg, uid_t uid, char **shown,
    char **err)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096], *path = NULL, *keys = NULL, *buf = NULL;
	gid_t groups[NGROUPS];
	int ngroups = NGROUPS, fd = -1, n;
	struct stat st;
	ssize_t r;
	size_t len = 0;

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 ||
	    pwp == NULL) {
		*err = g_strdup(_("cannot read your ssh keys: no account"));
		return NULL;
	}
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ngroups) < 0)
		ngroups = 0;
	path = keys_path_new(cfg->student_keys, &pw);
	*shown = keys_shown_new(path, &pw);
	if ((fd = open_as(&pw, groups, ngroups, path)) < 0 && errno == ENOENT)
		keys = g_strdup("");	/* no keys: the caller decides */
	else if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* Not a FIFO, not a device: a file that ends. */
		log_msg(LOG_NOTICE, "uid %u: %s not read (as the user): %s",
		    (unsigned)uid, path, fd < 0 ? g_strerror(errno) :
		    "not a regular file");
		*err = g_strdup_printf(_("cannot read your ssh keys in %s"),
		    *shown);
	} else {
		buf = g_malloc(KEYS_MAX);
		while (len < KEYS_MAX &&
		    (r = read(fd, buf + len, KEYS_MAX - len)) > 0)
			len += r;
		keys = sshkey_clean_new(buf, len, KEYS_COUNT, &n);
	}
	if (fd >= 0)
		close(fd);
	g_free(buf);
	g_free(path);
	return keys;
}

/* The keys on a descriptor for the helper (its fd 3). */
static int
keys_fd(const char *keys)
{
	size_t len = strlen(keys);
	int fd = memfd_create("ie-vmd-keys", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, keys, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the helper found, from its lines. */
struct found {
	bool noos, nokeys;
	GString *what;		/* the findings, for a refusal or warning */
	GString *done;		/* the changes, a line each */
};

static void
found_line(struct found *f, char **w, bool fix, const char *from)
{
	int n = g_strv_length(w);

	if (n == 1 && strcmp(w[0], "noos") == 0)
		f->noos = true;
	else if (n == 1 && strcmp(w[0], "nokeys") == 0)
		f->nokeys = true;
	else if (n == 3 && strcmp(w[0], "key") == 0) {
		const char *t = strcmp(w[2], "rsa") == 0 ? "RSA" : "ED25519";

		g_string_append_printf(f->what, _("%sVagrant's insecure %s "
		    "ssh key in %s"), f->what->len ? ", " : "", t, w[1]);
		if (fix)
			g_string_append_printf(f->done, _("removed Vagrant's "
			    "insecure %s ssh key from %s\n"), t, w[1]);
	} else if (n == 3 && strcmp(w[0], "password") == 0) {
		if (strcmp(w[2], "empty") == 0)
			g_string_append_printf(f->what, _("%sno password for "
			    "%s"), f->what->len ? ", " : "", w[1]);
		else
			g_string_append_printf(f->what, _("%spassword '%s' "
			    "for %s"), f->what->len ? ", " : "", w[2], w[1]);
		if (fix)
			g_string_append_printf(f->done, _("locked the "
			    "password of %s\n"), w[1]);
	} else if (n == 3 && strcmp(w[0], "installed") == 0)
		g_string_append_printf(f->done, _("installed your ssh keys "
		    "(%s) for %s\n"), from, w[1]);
}

static void
found_parse(struct found *f, const GString *out, bool fix, const char *from)
{
	char **lines = g_strsplit(out->str, "\n", -1);
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		char **w;

		if (lines[i][0] == '(' || lines[i][0] == '\0')
			continue;	/* progress */
		w = g_strsplit(lines[i], " ", -1);
		found_line(f, w, fix, from);
		g_strfreev(w);
	}
	g_strfreev(lines);
}

/* Runs the helper on the staged disk. */
static int
run_helper(const struct config *cfg, const struct import_ctl *ctl,
    const char *staged, int keys, GString **out, char **err)
{
	char *argv[] = { "ie-vmd-creds", keys >= 0 ? "fix" : "check",
	    cfg->guestfs_cache, (char *)staged, cfg->guestfs_tcg ? "tcg" :
	    "auto", NULL };
	struct sandbox sb = { .prog = cfg->creds_helper, .argv = argv,
	    .in_fd = keys, .out_fd = -1, .push_fd = -1,
	    .timeout = MIN(cfg->import_timeout, 1800), .vm = true,
	    .cancel_fd = ctl->cancel_fd, .progress = ctl->progress,
	    .arg = ctl->arg, .what = "checking", .rw_path = staged };
	int st;

	st = sandbox_run(&sb, err);
	if (st > 0) {
		char **l = g_strsplit(g_strstrip(sb.err->str), "\n", -1);
		int n = g_strv_length(l);

		log_msg(LOG_ERR, "ie-vmd-creds on %s: %s", staged,
		    n ? l[n - 1] : "(nothing said)");
		*err = g_strdup(_("cannot look for default credentials in the "
		    "image; tell the admin"));
		g_strfreev(l);
	}
	if (st == 0) {
		*out = sb.out;
		sb.out = NULL;
	}
	sandbox_clear(&sb);
	return st == 0 ? 0 : -1;
}

int
creds_import(const struct config *cfg, uid_t uid, const char *staged,
    const struct import_ctl *ctl, char **note, char **err)
{
	struct found f = { false, false, NULL, NULL };
	bool fix = cfg->credentials == CREDS_FIX;
	char *keys = NULL, *from = NULL;
	GString *out = NULL;
	int kfd = -1, r = -1;

	*note = NULL;
	if (cfg->credentials == CREDS_OFF || creds_unavailable(cfg) != NULL)
		return 0;
	f.what = g_string_new(NULL);
	f.done = g_string_new(NULL);
	/* The appliance is built there once, by the first import. */
	if (g_mkdir_with_parents(cfg->guestfs_cache, 0700) < 0) {
		log_msg(LOG_ERR, "%s: %s", cfg->guestfs_cache,
		    g_strerror(errno));
		*err = g_strdup(_("cannot look for default credentials in the "
		    "image; tell the admin"));
		goto out;
	}
	if (fix && (keys = student_keys_new(cfg, uid, &from, err)) == NULL)
		goto out;
	if (fix && (kfd = keys_fd(keys)) < 0) {
		*err = g_strdup_printf(_("cannot pass your ssh keys on: %s"),
		    g_strerror(errno));
		goto out;
	}
	if (run_helper(cfg, ctl, staged, kfd, &out, err) < 0)
		goto out;
	found_parse(&f, out, fix, from);
	r = 0;
	if (f.what->len > 0)
		log_msg(LOG_NOTICE, "uid %u: default credentials in an import "
		    "(%s): %s", (unsigned)uid, fix && !f.nokeys ? "fixed" :
		    "not fixed", f.what->str);
	if (f.noos)
		*note = g_strdup(_("no operating system recognised in the "
		    "image: not checked for default credentials"));
	else if (f.what->len == 0)
		;
	else if (cfg->credentials == CREDS_WARN)
		*note = g_strdup_printf(_("warning: the image has default "
		    "credentials: %s; anyone can log in to this VM: change "
		    "them"), f.what->str);
	else if (cfg->credentials == CREDS_CHECK || f.nokeys) {
		*err = g_strdup_printf(f.nokeys ? _("the image has default "
		    "credentials: %s; they were left since you have no ssh key "
		    "to put instead: add your public key to %s and define "
		    "again") : _("the image has default credentials: %s; "
		    "remove them and upload the image again"), f.what->str,
		    from);
		r = -1;
	} else {
		g_string_truncate(f.done, f.done->len - 1);
		*note = g_string_free(f.done, FALSE);
		f.done = NULL;
	}
out:
	if (kfd >= 0)
		close(kfd);
	if (out != NULL)
		g_string_free(out, TRUE);
	if (f.what != NULL)
		g_string_free(f.what, TRUE);
	if (f.done != NULL)
		g_string_free(f.done, TRUE);
	g_free(keys);
	g_free(from);
	return r;
}

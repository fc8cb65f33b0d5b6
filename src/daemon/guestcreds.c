/* ie-vmd-creds: looks for default credentials in an imported disk, and in
 * fix mode removes them.  Started by the broker (creds.c) through
 * sandbox.c on the broker's own new copy of an upload, never on the
 * upload.  libguestfs reads the guest's file systems inside its own
 * appliance VM: the host kernel never mounts what a student made.  One
 * launch does the inspection and the changes.
 *
 *   ie-vmd-creds check|fix CACHEDIR DISK auto|tcg
 *
 * (fix: the student's keys on fd 3, "TYPE BLOB" lines; tcg: no KVM for
 * the appliance, where nested KVM does not work.)
 *
 * It answers on stdout, a line each, words made of [A-Za-z0-9._/-]:
 *   os NAME...           the operating system found
 *   noos                 none recognised: nothing was looked at
 *   key PATH rsa|ed25519 a published insecure key in PATH
 *   password USER vagrant|root|empty
 *   nokeys               fix mode, but no key to install: nothing changed
 *   installed USER N     fix mode: N keys of the student's for USER
 * and "(P/100%)" as it goes.  Exit 0 when it could look, 1 with the reason
 * on stderr when not. */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <guestfs.h>

#include "sshkeys.h"

#define FILE_MAX (1 << 20)	/* bytes of a file read from the guest */
#define KEYS_MAX (64 << 10)	/* bytes of the student's keys */
#define MEMSIZE 768		/* MiB of the appliance */
#define ROUNDS_MAX 1000000	/* sha-crypt rounds worth trying */
#define BCRYPT_MAX 14		/* bcrypt cost worth trying */

struct account {
	char *name, *home;
	int uid, gid;
	bool found;		/* a finding: gets the student's keys */
};

struct guest {
	guestfs_h *g;
	bool fix;
	char *keys;		/* the student's, "TYPE BLOB\n" lines */
	GPtrArray *accounts;	/* struct account, from /etc/passwd */
	GPtrArray *findings;	/* lines for stdout */
	GHashTable *shadow_fix;	/* user -> true: password to lock */
};

static void
account_free(gpointer p)
{
	struct account *a = p;

	g_free(a->name);
	g_free(a->home);
	g_free(a);
}

/* Guest names on our stdout: only the characters of a plain path. */
static char *
word_new(const char *s)
{
	char *w = g_strndup(s, 200), *p;

	for (p = w; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("._/-", *p) == NULL)
			*p = '?';
	return w[0] != '\0' ? w : (g_free(w), g_strdup("?"));
}

static void
progress(int p)
{
	printf("(%d/100%%)\n", p);
	fflush(stdout);
}

/* A guest file's text, or NULL if it is not a regular file (a symbolic
 * link is not followed) or is too large. */
static char *
read_small(guestfs_h *g, const char *path, size_t *len)
{
	int64_t size;

	if (guestfs_is_file_opts(g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS,
	    0, -1) != 1 || (size = guestfs_filesize(g, path)) < 0 ||
	    size > FILE_MAX)
		return NULL;
	return guestfs_read_file(g, path, len);
}

static struct account *
account_by_name(struct guest *gu, const char *name)
{
	guint i;

	for (i = 0; i < gu->accounts->len; i++) {
		struct account *a = g_ptr_array_index(gu->accounts, i);

		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

static struct account *
account_by_home(struct guest *gu, const char *home)
{
	guint i;

	for (i = 0; i < gu->accounts->len; i++) {
		struct account *a = g_ptr_array_index(gu->accounts, i);

		if (strcmp(a->home, home) == 0)
			return a;
	}
	return NULL;
}

static void
read_passwd(struct guest *gu)
{
	size_t len;
	char *text = read_small(gu->g, "/etc/passwd", &len), **lines;
	int i;

	if (text == NULL)
		return;
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], ":", 8);
		struct account *a;

		if (g_strv_length(f) >= 7 && f[0][0] != '\0' &&
		    f[5][0] == '/') {
			a = g_new0(struct account, 1);
			a->name = g_strdup(f[0]);
			a->home = g_strdup(f[5]);
			a->uid = atoi(f[2]);
			a->gid = atoi(f[3]);
			g_ptr_array_add(gu->accounts, a);
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
}

/* Whether trying a password against this hash costs a bounded time: the
 * hash comes from the student's image. */
static bool
cost_ok(const char *hash)
{
	const char *r;

	if ((g_str_has_prefix(hash, "$5$") || g_str_has_prefix(hash, "$6$")) &&
	    (r = strstr(hash, "rounds=")) != NULL)
		return atol(r + 7) <= ROUNDS_MAX;
	if (g_str_has_prefix(hash, "$2") && strlen(hash) > 7)
		return atoi(hash + 4) <= BCRYPT_MAX;
	return true;
}

/* Which known default the hash is of: "vagrant", "root", "empty"; NULL
 * for none (or a locked account). */
static const char *
default_password(const char *hash, struct crypt_data *cd)
{
	static const char *const cand[] = { "vagrant", "root", "" };
	const char *out;
	size_t i;

	if (hash[0] == '\0')
		return "empty";		/* no password at all */
	if (hash[0] == '!' || hash[0] == '*' || !cost_ok(hash))
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(cand); i++) {
		memset(cd, 0, sizeof(*cd));
		out = crypt_r(cand[i], hash, cd);
		if (out != NULL && out[0] != '*' && strcmp(out, hash) == 0)
			return cand[i][0] ? cand[i] : "empty";
	}
	return NULL;
}

/* /etc/shadow: accounts with a default password; in fix mode each is
 * locked as passwd -l does, with a '!' before its hash. */
static int
check_shadow(struct guest *gu)
{
	struct crypt_data *cd = g_new0(struct crypt_data, 1);
	GString *out = g_string_new(NULL);
	size_t len;
	char *text = read_small(gu->g, "/etc/shadow", &len), **lines;
	bool changed = false;
	int i, r = 0;

	if (text == NULL)
		goto out;
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char **f = g_strsplit(lines[i], ":", 3);
		const char *what = NULL;
		struct account *a;

		if (g_strv_length(f) == 3 && f[0][0] != '\0')
			what = default_password(f[1], cd);
		if (what != NULL) {
			char *w = word_new(f[0]);

			g_ptr_array_add(gu->findings, g_strdup_printf(
			    "password %s %s", w, what));
			g_free(w);
			if ((a = account_by_name(gu, f[0])) != NULL)
				a->found = true;
			g_string_append_printf(out, "%s:!%s:%s", f[0], f[1],
			    f[2]);
			changed = true;
		} else
			g_string_append(out, lines[i]);
		if (lines[i + 1] != NULL)
			g_string_append_c(out, '\n');
		g_strfreev(f);
	}
	g_strfreev(lines);
	if (gu->fix && changed && gu->keys[0] != '\0' &&
	    guestfs_write(gu->g, "/etc/shadow", out->str, out->len) < 0)
		r = -1;
out:
	g_string_free(out, TRUE);
	g_free(text);
	g_free(cd);
	return r;
}

/* One authorized_keys file: the insecure keys in it reported, and in fix
 * mode removed. */
static int
check_keys_file(struct guest *gu, const char *home, const char *path)
{
	GString *out = g_string_new(NULL);
	size_t len;
	char *text = read_small(gu->g, path, &len), **lines;
	bool changed = false;
	struct account *a;
	int i, r = 0;

	if (text == NULL) {
		g_string_free(out, TRUE);
		return 0;
	}
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		const char *name = sshkey_insecure(lines[i]);

		if (name == NULL) {
			g_string_append(out, lines[i]);
			if (lines[i + 1] != NULL)
				g_string_append_c(out, '\n');
			continue;
		}
		char *w = word_new(path);
		g_ptr_array_add(gu->findings, g_strdup_printf("key %s %s", w,
		    strstr(name, "RSA") ? "rsa" : "ed25519"));
		g_free(w);
		changed = true;
	}
	if (changed && (a = account_by_home(gu, home)) != NULL)
		a->found = true;
	if (gu->fix && changed && gu->keys[0] != '\0' &&
	    guestfs_write(gu->g, path, out->str, out->len) < 0)
		r = -1;
	g_strfreev(lines);
	g_string_free(out, TRUE);
	g_free(text);
	return r;
}

/* The homes to look in: root's, every account's, and every directory in
 * /home (an account may be missing from /etc/passwd, e.g. in LDAP). */
static GPtrArray *
homes_new(struct guest *gu)
{
	GPtrArray *h = g_ptr_array_new_with_free_func(g_free);
	char **ls;
	guint i;

	g_ptr_array_add(h, g_strdup("/root"));
	for (i = 0; i < gu->accounts->len; i++) {
		struct account *a = g_ptr_array_index(gu->accounts, i);

		if (!g_ptr_array_find_with_equal_func(h, a->home, g_str_equal,
		    NULL) && strcmp(a->home, "/") != 0)
			g_ptr_array_add(h, g_strdup(a->home));
	}
	if (guestfs_is_dir(gu->g, "/home") == 1 &&
	    (ls = guestfs_ls(gu->g, "/home")) != NULL) {
		for (i = 0; ls[i] != NULL; i++) {
			char *p = g_strconcat("/home/", ls[i], NULL);

			if (g_ptr_array_find_with_equal_func(h, p,
			    g_str_equal, NULL))
				g_free(p);
			else
				g_ptr_array_add(h, p);
			free(ls[i]);
		}
		free(ls);
	}
	return h;
}

static int
check_all_keys(struct guest *gu)
{
	static const char *const files[] = { ".ssh/authorized_keys",
	    ".ssh/authorized_keys2" };
	GPtrArray *homes = homes_new(gu);
	guint i;
	size_t f;
	int r = 0;

	for (i = 0; i < homes->len && r == 0; i++)
		for (f = 0; f < G_N_ELEMENTS(files) && r == 0; f++) {
			const char *home = g_ptr_array_index(homes, i);
			char *p = g_build_filename(home, files[f], NULL);

			r = check_keys_file(gu, home, p);
			g_free(p);
		}
	g_ptr_array_free(homes, TRUE);
	return r;
}

/* The student's keys added to the account's authorized_keys (those not in
 * it already), ~/.ssh made if need be, both the account's own. */
static int
install_keys(struct guest *gu, const struct account *a)
{
	char *dir = g_build_filename(a->home, ".ssh", NULL);
	char *path = g_build_filename(dir, "authorized_keys", NULL);
	char *old = NULL, **keys = g_strsplit(gu->keys, "\n", -1), *w;
	GString *out = g_string_new(NULL);
	size_t len = 0;
	int i, n = 0, r = -1;

	if (guestfs_is_dir(gu->g, a->home) != 1) {
		r = 0;		/* no home: nowhere to log in to */
		goto out;
	}
	if (guestfs_is_dir(gu->g, dir) != 1 && (guestfs_mkdir_mode(gu->g, dir,
	    0700) < 0 || guestfs_lchown(gu->g, a->uid, a->gid, dir) < 0))
		goto out;
	if (guestfs_exists(gu->g, path) == 1 &&
	    (old = read_small(gu->g, path, &len)) == NULL) {
		r = 0;		/* not a file we would write */
		goto out;
	}
	g_string_append_len(out, old ? old : "", len);
	if (out->len > 0 && out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
	for (i = 0; keys[i] != NULL; i++)
		if (keys[i][0] != '\0' && strstr(out->str, keys[i]) == NULL) {
			g_string_append_printf(out, "%s\n", keys[i]);
			n++;
		}
	if (guestfs_write(gu->g, path, out->str, out->len) < 0 ||
	    guestfs_chmod(gu->g, 0600, path) < 0 ||
	    guestfs_lchown(gu->g, a->uid, a->gid, path) < 0)
		goto out;
	w = word_new(a->name);
	g_ptr_array_add(gu->findings, g_strdup_printf("installed %s %d", w,
	    n));
	g_free(w);
	r = 0;
out:
	g_string_free(out, TRUE);
	g_strfreev(keys);
	g_free(old);
	g_free(path);
	g_free(dir);
	return r;
}

static int
mount_root(guestfs_h *g, const char *root, bool rw)
{
	char **mp = guestfs_inspect_get_mountpoints(g, root);
	int i, n, r = 0;

	if (mp == NULL)
		return -1;
	/* Pairs of mount point and device; the shortest mount point
	 * first, so that / is mounted before /home. */
	for (n = 0; mp[n] != NULL; n += 2)
		;
	for (size_t want = 1; want < 4096 && r == 0; want++) {
		bool more = false;

		for (i = 0; i < n; i += 2) {
			if (strlen(mp[i]) != want) {
				more |= strlen(mp[i]) > want;
				continue;
			}
			/* A file system that will not mount (swap, a
			 * broken one) is left out, as a guest would. */
			if ((rw ? guestfs_mount(g, mp[i + 1], mp[i]) :
			    guestfs_mount_ro(g, mp[i + 1], mp[i])) < 0 &&
			    strcmp(mp[i], "/") == 0)
				r = -1;
		}
		if (!more)
			break;
	}
	for (i = 0; mp[i] != NULL; i++)
		free(mp[i]);
	free(mp);
	return r;
}

static int
one_root(struct guest *gu, const char *root)
{
	char *name = guestfs_inspect_get_product_name(gu->g, root), *w;
	guint i;

	w = word_new(name ? name : "unknown");
	g_strdelimit(w, "?", '-');
	printf("os %s\n", w);
	g_free(w);
	free(name);
	if (mount_root(gu->g, root, gu->fix) < 0)
		return -1;
	read_passwd(gu);
	if (check_shadow(gu) < 0 || check_all_keys(gu) < 0)
		return -1;
	if (gu->fix && gu->findings->len > 0 && gu->keys[0] == '\0')
		g_ptr_array_add(gu->findings, g_strdup("nokeys"));
	else if (gu->fix)
		for (i = 0; i < gu->accounts->len; i++) {
			struct account *a = g_ptr_array_index(gu->accounts, i);

			if (a->found && install_keys(gu, a) < 0)
				return -1;
		}
	return guestfs_umount_all(gu->g);
}

static char *
read_keys(void)
{
	char *buf = g_malloc0(KEYS_MAX + 1), *clean;
	ssize_t n;
	size_t len = 0;
	int k;

	while (len < KEYS_MAX && (n = read(3, buf + len, KEYS_MAX - len)) > 0)
		len += n;
	/* The broker checked them; checked again, as cheap. */
	clean = sshkey_clean_new(buf, len, 100, &k);
	g_free(buf);
	return clean;
}

static int
run(struct guest *gu, const char *cachedir, const char *disk, bool tcg)
{
	char **roots;
	int i, r = -1;

	if (guestfs_set_backend(gu->g, "direct") < 0 ||
	    guestfs_set_cachedir(gu->g, cachedir) < 0 ||
	    guestfs_set_memsize(gu->g, MEMSIZE) < 0 ||
	    (tcg && guestfs_set_backend_setting(gu->g, "force_tcg", "1") < 0) ||
	    guestfs_add_drive_opts(gu->g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT,
	    "qcow2", GUESTFS_ADD_DRIVE_OPTS_READONLY, !gu->fix, -1) < 0)
		return -1;
	progress(5);
	if (guestfs_launch(gu->g) < 0)
		return -1;
	progress(70);
	if ((roots = guestfs_inspect_os(gu->g)) == NULL)
		return -1;
	progress(85);
	if (roots[0] == NULL)
		printf("noos\n");
	for (i = 0, r = 0; roots[i] != NULL && r == 0; i++)
		r = one_root(gu, roots[i]);
	for (i = 0; roots[i] != NULL; i++)
		free(roots[i]);
	free(roots);
	/* Nothing written counts until the appliance has synced it. */
	if (r == 0 && gu->fix && guestfs_shutdown(gu->g) < 0)
		r = -1;
	return r;
}

int
main(int argc, char **argv)
{
	struct guest gu = { 0 };
	guint i;
	int r;

	if (argc != 5 || (strcmp(argv[1], "check") != 0 &&
	    strcmp(argv[1], "fix") != 0) || argv[3][0] != '/') {
		fprintf(stderr, "usage: ie-vmd-creds check|fix CACHEDIR DISK "
		    "auto|tcg\n");
		return 2;
	}
	gu.fix = strcmp(argv[1], "fix") == 0;
	gu.keys = gu.fix ? read_keys() : g_strdup("");
	gu.accounts = g_ptr_array_new_with_free_func(account_free);
	gu.findings = g_ptr_array_new_with_free_func(g_free);
	/* What the environment says of libguestfs is not ours to follow. */
	if ((gu.g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT)) ==
	    NULL) {
		fprintf(stderr, "cannot start libguestfs: %s\n",
		    g_strerror(errno));
		return 1;
	}
	r = run(&gu, argv[2], argv[3], strcmp(argv[4], "tcg") == 0);
	if (r < 0)
		fprintf(stderr, "%s\n", guestfs_last_error(gu.g) ?
		    guestfs_last_error(gu.g) : "libguestfs failed");
	else {
		for (i = 0; i < gu.findings->len; i++)
			printf("%s\n", (char *)g_ptr_array_index(gu.findings,
			    i));
		progress(100);
	}
	guestfs_close(gu.g);
	g_ptr_array_free(gu.findings, TRUE);
	g_ptr_array_free(gu.accounts, TRUE);
	g_free(gu.keys);
	return r < 0 ? 1 : 0;
}

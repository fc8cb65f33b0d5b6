/* Upload confinement.  sshd runs "ie-vshell -c COMMAND" for sftp (the
 * Subsystem line) and for legacy scp; only those exact forms start a
 * program, as the student, in the upload area, under Landlock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib.h>

#include "fds.h"
#include "images.h"
#include "budget.h"
#include "i18n.h"
#include "landlock.h"
#include "names.h"
#include "proto.h"
#include "relay.h"
#include "tokenize.h"
#include "upload.h"

#define SAFE_PATH	"/usr/bin:/bin"

/* Every request OpenSSH 9.2's sftp-server knows (-Q requests) but symlink
 * and hardlink: a link could name a file outside the area, and without
 * Landlock nothing else would stop one; and copy-data, a copy made inside
 * the server that no WRITE shows to the quota's relay. */
#define SFTP_REQUESTS "open,close,read,write,lstat,fstat,setstat," \
	"fsetstat,opendir,readdir,remove,mkdir,rmdir,realpath,stat,rename," \
	"readlink,posix-rename,statvfs,fstatvfs,fsync,lsetstat,limits," \
	"expand-path,home-directory,users-groups-by-id"

/* The options of scp's legacy server side, as OpenSSH's client sends
 * them; -t and -f must come last. */
#define SCP_OPTS	"vrpdtf"

struct transfer {
	bool sftp;
	const char *program;	/* absolute, from the config */
	char **opts;		/* scp: its option words, -t or -f last */
	int nopts;
	char **paths;		/* scp: the paths after them */
	int npaths;
	bool sink;		/* scp -t: files come in */
};

extern char **environ;

static int
refuse(struct shell *sh, const char *why, char **words, int n)
{
	shell_error("%s", _(why));
	session_note(&sh->sess, why, words, n);
	return ST_USAGE;
}

/* scp [-v] [-r] [-p] [-d] -t|-f [--] PATH..., each option a word of its
 * own.  Anything more (-S, -o, -F, a cluster such as -vS) could make scp
 * run a program or reach another host.  Returns NULL or why not. */
static const char *
scp_parse(char **words, int n, struct transfer *t)
{
	char mode = 0, seen[sizeof(SCP_OPTS)] = "";
	bool dashdash;
	int i, j;

	for (i = 1; i < n && mode == 0; i++) {
		const char *w = words[i];

		if (w[0] != '-' || strlen(w) != 2 ||
		    strchr(SCP_OPTS, w[1]) == NULL)
			return N_("scp: only -v, -r, -p, -d, then -t or -f "
			    "are allowed");
		if (strchr(seen, w[1]) != NULL)
			return N_("scp: an option is repeated");
		seen[strlen(seen)] = w[1];
		if (w[1] == 't' || w[1] == 'f')
			mode = w[1];
	}
	if (mode == 0)
		return N_("scp: -t or -f is required");
	t->opts = words + 1;
	t->nopts = i - 1;
	t->sink = mode == 't';
	if ((dashdash = i < n && strcmp(words[i], "--") == 0))
		i++;
	t->paths = words + i;
	t->npaths = n - i;
	if (t->npaths == 0 || (mode == 't' && t->npaths != 1))
		return N_("scp: -t takes one path, -f one or more");
	for (j = 0; j < t->npaths && !dashdash; j++)
		if (t->paths[j][0] == '-')
			return N_("scp: options must come before -t or -f");
	return NULL;
}

/* Relative (to the area, the working directory) or absolute beneath the
 * area, and never through "..".  Landlock holds the same line; this is
 * what holds without it, and it makes a refusal say so. */
static bool
path_inside(const char *path, const char *area)
{
	size_t n = strlen(area);
	char **parts;
	bool ok = true;
	int i;

	if (path[0] == '\0')
		return false;
	if (path[0] == '/' && (strncmp(path, area, n) != 0 ||
	    (path[n] != '\0' && path[n] != '/')))
		return false;
	parts = g_strsplit(path, "/", -1);
	for (i = 0; parts[i] != NULL; i++)
		ok &= strcmp(parts[i], "..") != 0;
	g_strfreev(parts);
	return ok;
}

static char **
argv_new(const struct transfer *t, const char *area)
{
	GPtrArray *a = g_ptr_array_new();
	int i;

	if (t->sftp) {
		const char *v[] = { "sftp-server", "-d", area, "-f",
		    "AUTHPRIV", "-l", "INFO", "-u", "077", "-p",
		    SFTP_REQUESTS };

		for (i = 0; i < (int)G_N_ELEMENTS(v); i++)
			g_ptr_array_add(a, g_strdup(v[i]));
	} else {
		g_ptr_array_add(a, g_strdup("scp"));
		for (i = 0; i < t->nopts; i++)
			g_ptr_array_add(a, g_strdup(t->opts[i]));
		g_ptr_array_add(a, g_strdup("--"));
		for (i = 0; i < t->npaths; i++)
			g_ptr_array_add(a, g_strdup(t->paths[i]));
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* From scratch, as for any child: what the shell's hygiene kept of the
 * user's identity and locale, the area as home, a fixed PATH. */
static char **
env_new(const char *area)
{
	static const char *const ids[] = { "USER", "LOGNAME", "SHELL" };
	GPtrArray *env = g_ptr_array_new();
	const char *v;
	char **e;
	size_t i;

	g_ptr_array_add(env, g_strdup("PATH=" SAFE_PATH));
	g_ptr_array_add(env, g_strconcat("HOME=", area, NULL));
	for (i = 0; i < G_N_ELEMENTS(ids); i++)
		if ((v = getenv(ids[i])) != NULL)
			g_ptr_array_add(env, g_strconcat(ids[i], "=", v, NULL));
	/* hygiene_init() left only valid locale names. */
	for (e = environ; *e != NULL; e++)
		if (g_str_has_prefix(*e, "LANG=") ||
		    g_str_has_prefix(*e, "LC_"))
			g_ptr_array_add(env, g_strdup(*e));
	g_ptr_array_add(env, NULL);
	return (char **)g_ptr_array_free(env, FALSE);
}

/* The program may execute itself and its loader, read the system's
 * libraries and a few files, and use the area; nothing else.  A kernel
 * without Landlock is logged once and tolerated: file permissions, the
 * fixed argv and the sftp request list still hold (see ie-vshell(1)). */
static int
confine(const char *program, int areafd, char **err)
{
	struct landlock *ll;
	int e;

	if ((ll = landlock_new()) == NULL) {
		if (errno != EOPNOTSUPP && errno != ENOSYS) {
			*err = g_strdup_printf(_("cannot confine %s: %s"),
			    program, g_strerror(errno));
			return -1;
		}
		openlog("ie-vshell", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_WARNING, "uid %lu: no landlock in this kernel: %s "
		    "runs with file permissions only", (unsigned long)getuid(),
		    program);
		closelog();
		return 0;
	}
	if (landlock_allow_runtime(ll, program) < 0 ||
	    landlock_allow_etc(ll) < 0 ||
	    landlock_allow_fd(ll, areafd, LL_READ | LL_WRITE | LL_CREATE) < 0 ||
	    landlock_enforce(ll) < 0) {
		e = errno;
		*err = g_strdup_printf(_("cannot confine %s: %s"), program,
		    g_strerror(e));
		landlock_free(ll);
		return -1;
	}
	landlock_free(ll);
	return 0;
}

/* In the area (fd, the working directory).  Returns only on failure,
 * with *err set. */
static void
exec_confined(const char *program, char **argv, int fd, const char *area,
    char **err)
{
	char **envp;
	int e;

	if (fchdir(fd) < 0) {
		*err = g_strdup_printf(_("cannot enter your upload area %s: %s"),
		    area, g_strerror(errno));
		close(fd);
		return;
	}
	envp = env_new(area);
	if (confine(program, fd, err) < 0) {
		close(fd);
		g_strfreev(envp);
		return;
	}
	close(fd);
	/* The shell's own dispositions are not the program's. */
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	umask(077);
	fds_close_from(STDERR_FILENO + 1);
	execve(program, argv, envp);
	e = errno;
	*err = g_strdup_printf(_("cannot run %s: %s"), program, g_strerror(e));
	g_strfreev(envp);
}

/* "unlimited" or a count. */
static bool
budget_number(const char *s, long long *v)
{
	char *end;

	if (strcmp(s, "unlimited") == 0) {
		*v = -1;
		return true;
	}
	*v = g_ascii_strtoll(s, &end, 10);
	return end != s && *end == '\0' && *v >= 0;
}

/* The broker's word on what uploads may add.  Returns -1 with a message
 * on stderr. */
static int
budget_ask(struct shell *sh, int areafd, struct budget *b)
{
	struct proto_msg *m = NULL;
	long long limit, pool, files;
	char *err = NULL;
	int r = -1;

	if (session_budget(&sh->sess, &m, &err) < 0) {
		shell_error("%s", err);
		g_free(err);
		return -1;
	}
	if (m->status != ST_OK)
		shell_error("%s", m->nstr ? m->str[0] : _("refused"));
	else if (m->nstr != 3 || !budget_number(m->str[0], &limit) ||
	    !budget_number(m->str[1], &pool) ||
	    !budget_number(m->str[2], &files))
		shell_error("%s", _("uploads unavailable: the VM service's "
		    "answer about your quota is not understood; tell the "
		    "admin"));
	else {
		budget_init(b, areafd, limit, pool, files);
		r = 0;
	}
	proto_msg_free(m);
	return r;
}

/* The relay itself needs the area only: to measure it, and to remove an
 * upload the quota cut short. */
static void
confine_relay(int areafd)
{
	struct landlock *ll = landlock_new();

	if (ll == NULL)
		return;
	if (landlock_allow_fd(ll, areafd, LL_READ | LL_CREATE) == 0 &&
	    (!SANITIZED || landlock_allow(ll, "/proc", LL_READ) == 0))
		landlock_enforce(ll);
	landlock_free(ll);
}

/* The program runs in a child, its stdin and stdout pipes to the shell,
 * which relays them to sshd's and keeps the quota. */
static int
relay_transfer(struct shell *sh, const struct transfer *t, char **argv,
    int fd, const char *area, struct budget *b)
{
	int up[2], down[2], st, r;
	char *err = NULL, *refusal = NULL;
	struct stat sb;
	pid_t pid;
	void *state;

	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
		shell_error(_("cannot start %s: %s"), t->program,
		    g_strerror(errno));
		return ST_FAILED;
	}
	if ((pid = fork()) < 0) {
		shell_error(_("cannot start %s: %s"), t->program,
		    g_strerror(errno));
		return ST_FAILED;
	}
	if (pid == 0) {
		if (dup2(up[0], STDIN_FILENO) < 0 ||
		    dup2(down[1], STDOUT_FILENO) < 0)
			_exit(ST_FAILED);
		exec_confined(t->program, argv, fd, area, &err);
		shell_error("%s", err);
		_exit(ST_FAILED);
	}
	close(up[0]);
	close(down[1]);
	confine_relay(fd);
	if (t->sftp)
		state = relay_sftp_new();
	else
		state = relay_scp_new(t->paths[0], fstatat(fd,
		    relay_area_name(area, t->paths[0]), &sb, 0) == 0 &&
		    S_ISDIR(sb.st_mode));
	r = relay_run(t->sftp ? &relay_sftp : &relay_scp, state, b, area,
	    up[1], down[0], &refusal);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (refusal != NULL) {
		char *why = g_strconcat("upload refused: ", refusal, NULL);

		session_note(&sh->sess, why, t->sftp ? NULL : t->paths,
		    t->sftp ? 0 : 1);
		session_close(&sh->sess);
		g_free(why);
		g_free(refusal);
	}
	if (r < 0)
		return ST_FAILED;
	return WIFEXITED(st) ? WEXITSTATUS(st) : ST_FAILED;
}

static int
transfer_run(struct shell *sh, const struct transfer *t, char **words,
    int n)
{
	char *area, *err = NULL, **argv;
	struct budget b;
	int i, fd, st = ST_FAILED;

	if ((fd = images_area_open(sh, &area, &err)) < 0) {
		shell_error("%s", err);
		g_free(err);
		return ST_FAILED;
	}
	for (i = 0; i < t->npaths; i++)
		if (!path_inside(t->paths[i], area)) {
			shell_error(_("scp: %s is outside your upload area %s"),
			    t->paths[i], area);
			session_note(&sh->sess, "scp: path outside the upload "
			    "area", words, n);
			close(fd);
			g_free(area);
			return ST_USAGE;
		}
	if ((t->sftp || t->sink) && budget_ask(sh, fd, &b) < 0) {
		close(fd);
		g_free(area);
		return ST_FAILED;
	}
	/* The transfer holds no broker session. */
	session_close(&sh->sess);
	argv = argv_new(t, area);
	if ((t->sftp || t->sink) && (b.limit >= 0 || b.files_limit >= 0))
		st = relay_transfer(sh, t, argv, fd, area, &b);
	else {
		/* Closes fd on every path; returns only on failure. */
		exec_confined(t->program, argv, fd, area, &err);
		shell_error("%s", err);
		g_free(err);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	g_strfreev(argv);
	g_free(area);
	return st;
}

int
upload_run(struct shell *sh, const struct config *cfg, const char *command)
{
	struct transfer t = { .program = cfg->scp };
	const char *why;
	char **words;
	int n, st = UPLOAD_NOT_MINE;

	/* sshd passes the Subsystem line as it is written. */
	if (strcmp(command, cfg->sftp_server) == 0) {
		t.sftp = true;
		t.program = cfg->sftp_server;
		return transfer_run(sh, &t, NULL, 0);
	}
	/* Broken quoting is the shell's to refuse, as for any line. */
	if (tokenize(command, &words, &n, &why) < 0)
		return UPLOAD_NOT_MINE;
	if (n > 0 && strcmp(words[0], cfg->sftp_server) == 0)
		st = refuse(sh, N_("sftp-server: no arguments are allowed"),
		    words, n);
	else if (n > 0 && strcmp(words[0], "scp") == 0) {
		if ((why = scp_parse(words, n, &t)) != NULL)
			st = refuse(sh, why, words, n);
		else
			st = transfer_run(sh, &t, words, n);
	}
	g_strfreev(words);
	return st;
}

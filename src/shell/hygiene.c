/* Start-up hygiene of the shell.  Descriptors, environment and signal
 * dispositions come from sshd, PAM and the student: none is trusted. */
#include "config.h"

#include <sys/auxv.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fds.h"
#include "hygiene.h"

#define TERM_MAX	64
#define SAFE_PATH	"/usr/bin:/bin"
#define DEFAULT_LANG	"C.UTF-8"

/* The only variables taken from the caller, and only when valid. */
static const char *const locale_vars[] = {
	"LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LANGUAGE"
};
#define NLOCALE_VARS (sizeof(locale_vars) / sizeof(locale_vars[0]))

/* Nothing in the shell is written to resist its caller, so it must not be
 * installed setuid, setgid or with file capabilities (AT_SECURE). */
static bool
privileged(void)
{
	return getuid() != geteuid() || getgid() != getegid() ||
	    getauxval(AT_SECURE) != 0;
}

static bool
is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static bool
is_term_char(int c)
{
	return is_alnum(c) || c == '.' || c == '+' || c == '_' || c == '-';
}

/* Length of the run of class characters at s if it is min to max long,
 * else -1.  ASCII classes by hand: no locale is set yet, and none must
 * change what is accepted. */
static int
span(const char *s, bool (*in)(int), int min, int max)
{
	int n = 0;

	while (n <= max && s[n] != '\0' && in((unsigned char)s[n]))
		n++;
	return n >= min && n <= max ? n : -1;
}

/* ^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$: no '/', so never a path to a
 * terminfo file, and nothing that could be an escape sequence. */
bool
term_valid(const char *term)
{
	int n;

	if (!is_alnum((unsigned char)term[0]))
		return false;
	n = span(term + 1, is_term_char, 0, TERM_MAX - 1);
	return n >= 0 && term[1 + n] == '\0';
}

static int
env_set(const char *name, const char *value)
{
	return value == NULL ? 0 : setenv(name, value, 1);
}

/* A new environment, as doas builds one for its command.  By now the
 * dynamic loader has already honoured LD_PRELOAD and LD_LIBRARY_PATH: that
 * is harmless, since the shell runs as the student with nothing to gain
 * (and refuses to run otherwise).  What matters is that nothing the student
 * set reaches setlocale(), gettext, libedit, NSS, the broker or a child. */
static int
env_rebuild(void)
{
	char *term, *keep[NLOCALE_VARS];
	struct passwd *pw;
	const char *v;
	size_t i;
	int r = 0;

	v = getenv("TERM");
	term = strdup(v != NULL && term_valid(v) ? v : "dumb");
	for (i = 0; i < NLOCALE_VARS; i++) {
		v = getenv(locale_vars[i]);
		keep[i] = v != NULL && (strcmp(locale_vars[i], "LANGUAGE") == 0 ?
		    language_valid(v) : locale_valid(v)) ? strdup(v) : NULL;
	}
	if (clearenv() != 0 || term == NULL)
		r = -1;
	r |= env_set("PATH", SAFE_PATH);
	r |= env_set("TERM", term);
	for (i = 0; i < NLOCALE_VARS; i++)
		r |= env_set(locale_vars[i], keep[i]);
	if (keep[0] == NULL)
		r |= env_set("LANG", DEFAULT_LANG);
	/* Only after clearenv(): an NSS module (libldap) may read LDAPRC,
	 * LDAPCONF or HOME.  Without an entry, the variables stay unset;
	 * the broker knows the user from SO_PEERCRED anyway. */
	if ((pw = getpwuid(getuid())) != NULL) {
		r |= env_set("HOME", pw->pw_dir);
		r |= env_set("USER", pw->pw_name);
		r |= env_set("LOGNAME", pw->pw_name);
		r |= env_set("SHELL", pw->pw_shell);
	}
	free(term);
	for (i = 0; i < NLOCALE_VARS; i++)
		free(keep[i]);
	return r == 0 ? 0 : -1;
}

/* SIGQUIT (Ctrl-\) would dump core, SIGTSTP (Ctrl-Z) would stop a login
 * shell that nothing resumes.  The broker's socket is written with
 * MSG_NOSIGNAL, but stdout may be a pipe whose reader has gone: an error
 * on write is better than a silent death.  A blocked mask inherited from
 * the caller would hold back SIGWINCH, SIGHUP and SIGTERM. */
static void
signals_reset(void)
{
	sigset_t none;

	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int
hygiene_init(void)
{
	fds_sanitize_std();
	fds_close_from(STDERR_FILENO + 1);
	if (privileged()) {
		/* _exit: with privilege, not even exit handlers run. */
		fprintf(stderr, "ie-vshell: refusing to run setuid or "
		    "setgid\n");
		_exit(1);
	}
	signals_reset();
	if (env_rebuild() < 0) {
		fprintf(stderr, "ie-vshell: cannot set up the environment\n");
		return -1;
	}
	return 0;
}

/* Confined children of the broker (sandbox.h).  Everything between fork
 * and exec is async-signal-safe: the broker has threads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <glib.h>

#include "i18n.h"
#include "landlock.h"
#include "log.h"
#include "sandbox.h"
#include "storage.h"

#define PROG_AS (4LL << 30)	/* address space of a program */
#define VM_AS (16LL << 30)	/* of one running a small VM: QEMU maps
				 * its RAM and TCG's code buffer */
#define OUT_CAP (1 << 20)	/* bytes of its output kept */
#define PUSH_MS 25		/* writeback is started this often */
#define NOBODY 65534

static int self_exe = -1;	/* ie-vmd itself, for --unbox */
static int cap_last = 40;

void
sandbox_init(void)
{
	char *s;

	self_exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (g_file_get_contents("/proc/sys/kernel/cap_last_cap", &s, NULL,
	    NULL)) {
		cap_last = atoi(s);
		g_free(s);
	}
}

bool
sandbox_self_ok(void)
{
	return self_exe >= 0;
}

/* After fork, in the child: only async-signal-safe calls. */
static void __attribute__((noreturn))
child_fail(const char *what)
{
	char num[16];
	int e = errno, i = sizeof(num);

	num[--i] = '\n';
	do
		num[--i] = '0' + e % 10;
	while ((e /= 10) > 0 && i > 0);
	if (write(2, what, strlen(what)) < 0 || write(2, ": errno ", 8) < 0 ||
	    write(2, num + i, sizeof(num) - i) < 0)
		_exit(127);
	_exit(127);
}

/* Puts each descriptor in its place: first all out of the way (any may
 * sit where another one goes), then 0-2, the input on 3, the output on 4
 * and ie-vmd itself on 5; everything else closed. */
static void
child_fds(const struct sandbox *sb, int devnull, int out_w, int err_w)
{
	int src[6] = { devnull, out_w, err_w, sb->in_fd, sb->out_fd,
	    sb->prog == NULL ? self_exe : -1 };
	int i;

	for (i = 0; i < 6; i++)
		if (src[i] >= 0 && (src[i] = fcntl(src[i], F_DUPFD, 16)) < 0)
			child_fail("cannot move a descriptor");
	for (i = 0; i < 6; i++)
		if (src[i] >= 0 ? dup2(src[i], i) < 0 : i > 2 && close(i) < 0 &&
		    errno != EBADF)
			child_fail("cannot place a descriptor");
	syscall(SYS_close_range, 6, ~0U, 0);
}

/* CAP_DAC_OVERRIDE, to open the files given; for libguestfs also what
 * supermin needs to build the appliance from the host's files as root,
 * keeping their owners: CAP_CHOWN, CAP_FOWNER, CAP_FSETID. */
static bool
cap_kept(const struct sandbox *sb, int c)
{
	return c == 1 || (sb->vm && (c == 0 || c == 3 || c == 4));
}

static void __attribute__((noreturn))
child_exec(const struct sandbox *sb, const struct landlock *ll, int devnull,
    int out_w, int err_w)
{
	/* LeakSanitizer cannot stop the world inside the sandbox. */
	static char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C",
	    SANITIZED ? "ASAN_OPTIONS=detect_leaks=0" : NULL, NULL };
	struct rlimit as = { sb->vm ? VM_AS : PROG_AS, sb->vm ? VM_AS :
	    PROG_AS };
	struct rlimit cpu = { sb->timeout, sb->timeout };
	struct rlimit core = { 0, 0 };
	sigset_t none;
	int c;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sb->vm && setpgid(0, 0) < 0)
		child_fail("cannot make a process group");
	/* Not for ie-vmd (see unbox.c), nor for our own helper where it is
	 * built with ASan, whose shadow memory is terabytes of addresses. */
	if (sb->prog != NULL && !(sb->vm && SANITIZED))
		setrlimit(RLIMIT_AS, &as);
	setrlimit(RLIMIT_CPU, &cpu);
	setrlimit(RLIMIT_CORE, &core);
	/* No network at all: a reference to nbd: or http: goes nowhere. */
	if (geteuid() == 0 && unshare(CLONE_NEWNET) < 0)
		child_fail("cannot make a network namespace");
	/* The unpacker needs no file but fds 3 and 4: it runs as nobody.
	 * qemu-img, as root, keeps only the right to open the two files it
	 * is given (Landlock says which). */
	if (sb->prog == NULL && geteuid() == 0 && (setgroups(0, NULL) < 0 ||
	    setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0))
		child_fail("cannot become nobody");
	for (c = 0; geteuid() == 0 && c <= cap_last; c++)
		if (!cap_kept(sb, c) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			child_fail("cannot drop capabilities");
	if (ll != NULL && landlock_enforce(ll) < 0)
		child_fail("cannot enter the sandbox");
	child_fds(sb, devnull, out_w, err_w);
	if (sb->prog != NULL)
		execve(sb->prog, sb->argv, env);
	else
		fexecve(5, sb->argv, env);
	child_fail("cannot execute the program");
}

static struct landlock *
child_ruleset(const struct sandbox *sb)
{
	struct landlock *ll = landlock_new();
	static bool told;

	if (ll == NULL) {
		if (!told)
			log_msg(LOG_WARNING, "no Landlock in this kernel: "
			    "qemu-img and the box unpacker run without their "
			    "file-system sandbox");
		told = true;
		return NULL;
	}
	if ((sb->prog ? landlock_allow_runtime(ll, sb->prog) :
	    landlock_allow_fd(ll, self_exe, LL_READ | LL_EXEC)) < 0 ||
	    (sb->prog == NULL && landlock_allow_runtime(ll, "/proc/self/exe")
	    < 0) ||
	    (sb->prog == NULL && SANITIZED && landlock_allow(ll, "/proc",
	    LL_READ) < 0) ||
	    (sb->in_fd >= 0 &&
	    landlock_allow_fd(ll, sb->in_fd, LL_READ) < 0) ||
	    (sb->rw_path != NULL && landlock_allow(ll, sb->rw_path,
	    LL_READ | LL_WRITE) < 0)) {
		log_msg(LOG_ERR, "landlock rules: %s", g_strerror(errno));
		landlock_free(ll);
		return NULL;
	}
	return ll;
}

/* qemu-img -p writes "    (12.34/100%)\r". */
static void
child_progress(const struct sandbox *sb, const char *buf, size_t n)
{
	const char *p = g_strrstr_len(buf, n, "(");

	if (sb->what != NULL && sb->progress != NULL && p != NULL &&
	    g_ascii_isdigit(p[1]))
		sb->progress(sb->arg, sb->what, atoi(p + 1));
}

static bool
child_read(const struct sandbox *sb, int fd, GString *into)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return false;
	if (into == sb->out)
		child_progress(sb, buf, n);
	if (into != NULL && into->len < OUT_CAP)
		g_string_append_len(into, buf, MIN((size_t)n,
		    OUT_CAP - into->len));
	return true;
}

/* Waits for the child, feeding its output, until it exits, the client
 * goes away or time is up.  Returns its exit status, or -1 with *err. */
static int
child_wait(const struct sandbox *sb, pid_t pid, int out_r, int err_r,
    char **err)
{
	int64_t deadline = g_get_monotonic_time() +
	    sb->timeout * G_USEC_PER_SEC;
	int64_t push = 0;
	int tick = sb->push_fd >= 0 ? PUSH_MS : 1000, status;
	bool out_open = true, err_open = true;

	while (out_open || err_open) {
		struct pollfd p[3] = {
			{ out_open ? out_r : -1, POLLIN, 0 },
			{ err_open ? err_r : -1, POLLIN, 0 },
			{ sb->cancel_fd, POLLIN | POLLRDHUP, 0 },
		};
		int64_t left = deadline - g_get_monotonic_time();

		if (left <= 0) {
			*err = g_strdup_printf(_("%s took more than %u s and "
			    "was stopped"), sb->argv[0], sb->timeout);
			break;
		}
		if (poll(p, 3, MIN(left / 1000 + 1, tick)) < 0 &&
		    errno != EINTR)
			break;
		if (sb->push_fd >= 0 && g_get_monotonic_time() >= push) {
			storage_push_out(sb->push_fd, 0, 0);
			push = g_get_monotonic_time() + PUSH_MS * 1000;
		}
		if (p[2].revents) {
			*err = g_strdup(_("cancelled"));
			break;
		}
		if (p[0].revents && !child_read(sb, out_r, sb->out))
			out_open = false;
		if (p[1].revents && !child_read(sb, err_r, sb->err))
			err_open = false;
	}
	if (out_open || err_open)
		kill(sb->vm ? -pid : pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (*err != NULL)
		return -1;
	if (WIFSIGNALED(status)) {
		*err = g_strdup_printf(_("%s was killed (signal %d)"),
		    sb->argv[0], WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

int
sandbox_run(struct sandbox *sb, char **err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, devnull, r = -1;
	struct landlock *ll;
	pid_t pid;

	*err = NULL;
	if (sb->out == NULL)
		sb->out = g_string_new(NULL);
	if (sb->err == NULL)
		sb->err = g_string_new(NULL);
	ll = sb->vm ? NULL : child_ruleset(sb);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		*err = g_strdup_printf(_("cannot run %s: %s"), sb->argv[0],
		    g_strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(sb, ll, devnull, out[1], errp[1]);
	/* Here too, so that the group exists before it may be killed. */
	if (sb->vm)
		(void)setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	r = child_wait(sb, pid, out[0], errp[0], err);
out:
	landlock_free(ll);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	return r;
}

void
sandbox_clear(struct sandbox *sb)
{
	if (sb->out)
		g_string_free(sb->out, TRUE);
	if (sb->err)
		g_string_free(sb->err, TRUE);
	sb->out = sb->err = NULL;
}

/* Image import.  The upload is read only through the descriptor the shell
 * passed.  qcow2 uploads are copied first (in-kernel, holes kept) and the
 * copy is checked, so that nothing the student changes afterwards reaches
 * the pool; other formats are converted by qemu-img straight from the
 * descriptor into a fresh qcow2 file, which is then checked.  qemu-img runs
 * with -f always (QEMU's prober never sees an upload), in an empty network
 * namespace, under Landlock, with no capability but to read and write the
 * two files it is given, and under time and memory limits. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <glib.h>

#include "conf.h"
#include "i18n.h"
#include "imgformat.h"
#include "imginfo.h"
#include "import.h"
#include "landlock.h"
#include "log.h"
#include "storage.h"

#define INFO_TIMEOUT 60		/* seconds for qemu-img info and check */
#define QEMU_IMG_AS (4LL << 30)	/* address space of qemu-img */
#define OUT_CAP (1 << 20)	/* bytes of qemu-img output kept */
#define COPY_CHUNK (16 << 20)	/* also how often writeback is started */
#define PUSH_MS 25		/* writeback is started this often */
#define GiB (1LL << 30)
#define FD_PATH "/proc/self/fd/3"
#define NOBODY 65534


static int self_exe = -1;	/* ie-vmd itself, for --unbox */
static int cap_last = 40;

int
import_init(const struct config *cfg, char **err)
{
	char *s;

	*err = NULL;
	self_exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (g_file_get_contents("/proc/sys/kernel/cap_last_cap", &s, NULL,
	    NULL)) {
		cap_last = atoi(s);
		g_free(s);
	}
	/* Leftovers of a broker that was killed during an import. */
	storage_staging_clean(cfg);
	return 0;
}

static bool
cancelled(const struct import_ctl *ctl)
{
	struct pollfd p = { ctl->cancel_fd, POLLIN | POLLRDHUP, 0 };

	return ctl->cancel_fd >= 0 && poll(&p, 1, 0) > 0;
}

static void
progress(const struct import_ctl *ctl, const char *what, int64_t done,
    int64_t total)
{
	if (ctl->progress != NULL && total > 0)
		ctl->progress(ctl->arg, what, (int)(done * 100 / total));
}

/* A child confined as described at the top; runs prog (or the broker's
 * own binary when prog is NULL) with in_fd as fd 3 and out_fd as fd 4. */
struct child {
	const char *prog;
	char **argv;
	int in_fd, out_fd;
	int push_fd;		/* what it writes, pushed to disk; or -1 */
	const char *rw_path;	/* the one file it may write, or NULL */
	unsigned timeout;
	const struct import_ctl *ctl;
	const char *what;	/* progress label, for qemu-img -p */
	GString *out, *err;
};

/* Starts writeback of what is written so far (len 0: to the end), without
 * waiting for it: the fsync before a disk is placed then finds little left
 * to write, instead of the whole image dirty in the page cache. */
static void
push_out(int fd, off_t off, off_t len)
{
	if (fd >= 0)
		(void)sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
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
child_fds(const struct child *ch, int devnull, int out_w, int err_w)
{
	int src[6] = { devnull, out_w, err_w, ch->in_fd, ch->out_fd,
	    ch->prog == NULL ? self_exe : -1 };
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


static void __attribute__((noreturn))
child_exec(const struct child *ch, const struct landlock *ll, int devnull,
    int out_w, int err_w)
{
	/* LeakSanitizer cannot stop the world inside the sandbox. */
	static char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C",
	    SANITIZED ? "ASAN_OPTIONS=detect_leaks=0" : NULL, NULL };
	struct rlimit as = { QEMU_IMG_AS, QEMU_IMG_AS };
	struct rlimit cpu = { ch->timeout, ch->timeout };
	struct rlimit core = { 0, 0 };
	sigset_t none;
	int c;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (ch->prog != NULL)
		setrlimit(RLIMIT_AS, &as);	/* not for ie-vmd: see unbox.c */
	setrlimit(RLIMIT_CPU, &cpu);
	setrlimit(RLIMIT_CORE, &core);
	/* No network at all: a reference to nbd: or http: goes nowhere. */
	if (geteuid() == 0 && unshare(CLONE_NEWNET) < 0)
		child_fail("cannot make a network namespace");
	/* The unpacker needs no file but fds 3 and 4: it runs as nobody.
	 * qemu-img, as root, keeps only the right to open the two files it
	 * is given (Landlock says which). */
	if (ch->prog == NULL && geteuid() == 0 && (setgroups(0, NULL) < 0 ||
	    setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0))
		child_fail("cannot become nobody");
	for (c = 0; geteuid() == 0 && c <= cap_last; c++)
		if (c != 1 /* CAP_DAC_OVERRIDE */ &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			child_fail("cannot drop capabilities");
	if (ll != NULL && landlock_enforce(ll) < 0)
		child_fail("cannot enter the sandbox");
	child_fds(ch, devnull, out_w, err_w);
	if (ch->prog != NULL)
		execve(ch->prog, ch->argv, env);
	else
		fexecve(5, ch->argv, env);
	child_fail("cannot execute the program");
}

static struct landlock *
child_ruleset(const struct child *ch)
{
	struct landlock *ll = landlock_new();
	static bool told;

	if (ll == NULL) {
		if (!told)
			log_msg(LOG_WARNING, "no Landlock in this kernel: "
			    "qemu-img runs without its file-system sandbox");
		told = true;
		return NULL;
	}
	if ((ch->prog ? landlock_allow_runtime(ll, ch->prog) :
	    landlock_allow_fd(ll, self_exe, LL_READ | LL_EXEC)) < 0 ||
	    (ch->prog == NULL && landlock_allow_runtime(ll, "/proc/self/exe")
	    < 0) ||
	    (ch->prog == NULL && SANITIZED && landlock_allow(ll, "/proc",
	    LL_READ) < 0) ||
	    (ch->in_fd >= 0 && landlock_allow_fd(ll, ch->in_fd, LL_READ) < 0) ||
	    (ch->rw_path != NULL && landlock_allow(ll, ch->rw_path,
	    LL_READ | LL_WRITE) < 0)) {
		log_msg(LOG_ERR, "landlock rules: %s", g_strerror(errno));
		landlock_free(ll);
		return NULL;
	}
	return ll;
}

/* qemu-img -p writes "    (12.34/100%)\r". */
static void
child_progress(const struct child *ch, const char *buf, size_t n)
{
	const char *p = g_strrstr_len(buf, n, "(");

	if (ch->what != NULL && p != NULL && g_ascii_isdigit(p[1]))
		progress(ch->ctl, ch->what, atoi(p + 1), 100);
}

static bool
child_read(const struct child *ch, int fd, GString *into)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return false;
	if (into == ch->out)
		child_progress(ch, buf, n);
	if (into != NULL && into->len < OUT_CAP)
		g_string_append_len(into, buf, MIN((size_t)n,
		    OUT_CAP - into->len));
	return true;
}

/* Waits for the child, feeding its output, until it exits, the client
 * goes away or time is up.  Returns its exit status, or -1 with *err. */
static int
child_wait(const struct child *ch, pid_t pid, int out_r, int err_r,
    char **err)
{
	int64_t deadline = g_get_monotonic_time() + ch->timeout * G_USEC_PER_SEC;
	int64_t push = 0;
	int tick = ch->push_fd >= 0 ? PUSH_MS : 1000, status;
	bool out_open = true, err_open = true;

	while (out_open || err_open) {
		struct pollfd p[3] = {
			{ out_open ? out_r : -1, POLLIN, 0 },
			{ err_open ? err_r : -1, POLLIN, 0 },
			{ ch->ctl->cancel_fd, POLLIN | POLLRDHUP, 0 },
		};
		int64_t left = deadline - g_get_monotonic_time();

		if (left <= 0) {
			*err = g_strdup_printf(_("qemu-img took more than %u s "
			    "and was stopped"), ch->timeout);
			break;
		}
		if (poll(p, 3, MIN(left / 1000 + 1, tick)) < 0 &&
		    errno != EINTR)
			break;
		if (ch->push_fd >= 0 && g_get_monotonic_time() >= push) {
			push_out(ch->push_fd, 0, 0);
			push = g_get_monotonic_time() + PUSH_MS * 1000;
		}
		if (p[2].revents) {
			*err = g_strdup(_("cancelled"));
			break;
		}
		if (p[0].revents && !child_read(ch, out_r, ch->out))
			out_open = false;
		if (p[1].revents && !child_read(ch, err_r, ch->err))
			err_open = false;
	}
	if (out_open || err_open)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (*err != NULL)
		return -1;
	if (WIFSIGNALED(status)) {
		*err = g_strdup_printf(_("qemu-img was killed (signal %d)"),
		    WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

static int
child_run(struct child *ch, char **err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, devnull, r = -1;
	struct landlock *ll;
	pid_t pid;

	*err = NULL;
	if (ch->out == NULL)
		ch->out = g_string_new(NULL);
	if (ch->err == NULL)
		ch->err = g_string_new(NULL);
	ll = child_ruleset(ch);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		*err = g_strdup_printf(_("cannot run qemu-img: %s"),
		    g_strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(ch, ll, devnull, out[1], errp[1]);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	r = child_wait(ch, pid, out[0], errp[0], err);
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

static void
child_clear(struct child *ch)
{
	if (ch->out)
		g_string_free(ch->out, TRUE);
	if (ch->err)
		g_string_free(ch->err, TRUE);
	ch->out = ch->err = NULL;
}

/* qemu-img's own words on failure: its last line, without "qemu-img: ". */
static char *
qemu_img_words(const GString *s, int status)
{
	char **lines = g_strsplit(s->str, "\n", -1), *w = NULL;
	int i;

	for (i = 0; lines[i] != NULL; i++)
		if (lines[i][0] != '\0') {
			g_free(w);
			w = g_strdup(g_str_has_prefix(lines[i], "qemu-img: ") ?
			    lines[i] + 10 : lines[i]);
		}
	g_strfreev(lines);
	if (w != NULL && strlen(w) > 200)
		w[200] = '\0';
	return w ? w : g_strdup_printf(_("exit status %d"), status);
}

/* qemu-img info on the image open on fd, judged. */
static int
inspect(const struct config *cfg, const struct import_ctl *ctl, int fd,
    const char *fmt, int64_t *vsize, char **err)
{
	char *argv[] = { "qemu-img", "info", "--output=json", "-f",
	    (char *)fmt, FD_PATH, NULL };
	struct child ch = { cfg->qemu_img, argv, fd, -1, -1, NULL,
	    INFO_TIMEOUT, ctl, NULL, NULL, NULL };
	struct imginfo info = { 0 };
	char *why = NULL;
	int st, r = -1;

	if ((st = child_run(&ch, err)) < 0)
		goto out;
	if (st != 0) {
		why = qemu_img_words(ch.err, st);
		*err = g_strdup_printf(_("not a valid %s image: %s"), fmt, why);
		goto out;
	}
	if (imginfo_parse(ch.out->str, ch.out->len, fmt, FD_PATH,
	    (int64_t)cfg->max_image_size * GiB, &info, &why) < 0) {
		*err = g_strdup_printf(_("image refused: %s"), why);
		goto out;
	}
	*vsize = info.virtual_size;
	r = 0;
out:
	g_free(why);
	imginfo_clear(&info);
	child_clear(&ch);
	return r;
}

/* qemu-img check: a qcow2 whose tables are corrupt is refused; leaked
 * clusters (status 3) are harmless. */
static int
check_qcow2(const struct config *cfg, const struct import_ctl *ctl, int fd,
    char **err)
{
	char *argv[] = { "qemu-img", "check", "-f", "qcow2", FD_PATH, NULL };
	struct child ch = { cfg->qemu_img, argv, fd, -1, -1, NULL,
	    INFO_TIMEOUT, ctl, NULL, NULL, NULL };
	char *why;
	int st = child_run(&ch, err);

	if (st == 0 || st == 3) {
		child_clear(&ch);
		return 0;
	}
	if (st > 0) {
		why = qemu_img_words(st == 2 ? ch.out : ch.err, st);
		*err = g_strdup_printf(_("the qcow2 image is corrupt: %s; "
		    "repair it with 'qemu-img check -r all' and upload it "
		    "again"), why);
		g_free(why);
	}
	child_clear(&ch);
	return -1;
}

/* Converts the image open on fd into a new qcow2 file at dst, open on
 * out_fd. */
static int
convert(const struct config *cfg, const struct import_ctl *ctl, int fd,
    const char *fmt, const char *dst, int out_fd, char **err)
{
	char *argv[] = { "qemu-img", "convert", "-p", "-f", (char *)fmt,
	    "-O", "qcow2", FD_PATH, (char *)dst, NULL };
	struct child ch = { cfg->qemu_img, argv, fd, -1, out_fd, dst,
	    cfg->import_timeout, ctl, "converting", NULL, NULL };
	char *why;
	int st;

	st = child_run(&ch, err);
	if (st > 0) {
		why = qemu_img_words(ch.err, st);
		*err = g_strdup_printf(_("cannot convert the image: %s"), why);
		g_free(why);
	}
	child_clear(&ch);
	return st == 0 ? 0 : -1;
}

/* Copies in the kernel: a reflink where the file system shares blocks,
 * else copy_file_range over the data extents only, so holes stay holes. */
static int
copy_sparse(int in, int out, off_t size, const struct import_ctl *ctl,
    char **err)
{
	off_t off = 0, data, hole;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while (off < size) {
		if ((data = lseek(in, off, SEEK_DATA)) < 0) {
			if (errno == ENXIO)
				break;	/* a hole to the end */
			goto fail;
		}
		if ((hole = lseek(in, data, SEEK_HOLE)) < 0)
			goto fail;
		hole = MIN(hole, size);
		while (data < hole) {
			off_t o = data;
			ssize_t n;

			if (cancelled(ctl)) {
				*err = g_strdup(_("cancelled"));
				return -1;
			}
			n = copy_file_range(in, &data, out, &o,
			    MIN(hole - data, COPY_CHUNK), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto fail;
			push_out(out, o - n, n);
			progress(ctl, "copying", data, size);
		}
		off = hole;
	}
	if (ftruncate(out, size) < 0)
		goto fail;
	return 0;
fail:
	*err = g_strdup_printf(_("cannot copy the image: %s"),
	    errno ? g_strerror(errno) : _("it changed while being copied"));
	return -1;
}

/* Runs ie-vmd --unbox: the box on in_fd, its disk written to out_fd. */
static int
unbox(const struct config *cfg, const struct import_ctl *ctl, int in_fd,
    int out_fd, char **err)
{
	char *max = g_strdup_printf("%lld", (long long)cfg->max_image_size *
	    GiB * 2);
	char *argv[] = { "ie-vmd", "--unbox", max, NULL };
	struct child ch = { NULL, argv, in_fd, out_fd, out_fd, NULL,
	    cfg->import_timeout, ctl, NULL, NULL, NULL };
	int st;

	if (self_exe < 0) {
		*err = g_strdup(_("cannot unpack boxes here; tell the admin"));
		g_free(max);
		return -1;
	}
	st = child_run(&ch, err);
	if (st > 0) {
		char *why = qemu_img_words(ch.err, st);

		*err = g_strdup_printf(_("cannot unpack the box: %s"), why);
		g_free(why);
	}
	g_free(max);
	child_clear(&ch);
	return st == 0 ? 0 : -1;
}

static enum img_format
sniff_fd(int fd, off_t size, int64_t *vsize)
{
	uint8_t head[4096], tail[512];
	ssize_t h, t = 0;

	if ((h = pread(fd, head, sizeof(head), 0)) < 0)
		h = 0;
	if (size >= (off_t)sizeof(tail) && (t = pread(fd, tail, sizeof(tail),
	    size - sizeof(tail))) < 0)
		t = 0;
	return img_sniff(head, h, t ? tail : NULL, t, size, vsize);
}

/* The upload must be the student's own regular file with one link (the
 * shell checked this too, but the shell is the student's). */
static int
upload_ok(int fd, uid_t uid, struct stat *st, char **err)
{
	int fl = fcntl(fd, F_GETFL);

	if (fstat(fd, st) < 0 || fl < 0 || (fl & O_PATH) ||
	    (fl & O_ACCMODE) == O_WRONLY) {
		*err = g_strdup(_("the upload cannot be read"));
		return -1;
	}
	if (!S_ISREG(st->st_mode))
		*err = g_strdup(_("the upload is not a regular file"));
	else if (st->st_uid != uid)
		*err = g_strdup(_("the upload is not your own file"));
	else if (st->st_nlink != 1)
		*err = g_strdup(_("the upload has more than one link (a hard "
		    "link); upload a copy instead"));
	return *err ? -1 : 0;
}

/* A format qemu-img may read, or why not. */
static int
format_ok(enum img_format f, char **err)
{
	switch (f) {
	case IMG_UNKNOWN_RAW:
	case IMG_QCOW2:
	case IMG_VMDK:
	case IMG_VDI:
	case IMG_VHDX:
	case IMG_VPC:
		return 0;
	case IMG_VMDK_DESCRIPTOR:
		*err = g_strdup(_("a VMDK descriptor refers to other files; "
		    "upload a single-file .vmdk (monolithicSparse or "
		    "streamOptimized)"));
		return -1;
	default:
		*err = g_strdup_printf(_("unsupported format (%s); use raw, "
		    "qcow2, vmdk, vdi, vhdx, vpc or a Vagrant .box"),
		    img_format_name(f));
		return -1;
	}
}

/* A disk is on stable storage before it is placed in the pool: a crash
 * never leaves a VM on a half-written disk. */
static int
write_out(int fd, char **err)
{
	if (fsync(fd) == 0)
		return 0;
	*err = g_strdup_printf(_("cannot write the image: %s"),
	    g_strerror(errno));
	return -1;
}

/* The image on src_fd into a staged qcow2 file.  *own is set when src_fd
 * is a staged file already (a box's disk): a qcow2 one is then adopted. */
static int
import_disk(const struct config *cfg, uid_t uid, int src_fd, char **own,
    off_t size, const struct import_ctl *ctl, char **staged, int64_t *vsize,
    char **err)
{
	enum img_format f = sniff_fd(src_fd, size, vsize);
	const char *fmt = f == IMG_UNKNOWN_RAW ? "raw" : img_format_name(f);
	char *path = NULL;
	int out = -1, r = -1;

	if (format_ok(f, err) < 0)
		return -1;
	if (f == IMG_QCOW2 && size > (off_t)cfg->max_image_size * GiB * 2) {
		*err = g_strdup_printf(_("the file is larger than twice the "
		    "limit of %d GiB"), cfg->max_image_size);
		return -1;
	}
	if (f == IMG_QCOW2 && *own != NULL) {
		if (inspect(cfg, ctl, src_fd, "qcow2", vsize, err) < 0 ||
		    check_qcow2(cfg, ctl, src_fd, err) < 0 ||
		    write_out(src_fd, err) < 0)
			return -1;
		*staged = *own;
		*own = NULL;
		return 0;
	}
	if ((out = storage_staging_file(cfg, uid, &path, err)) < 0)
		return -1;
	if (f == IMG_QCOW2) {
		/* Checked after the copy: the copy is what will run. */
		if (copy_sparse(src_fd, out, size, ctl, err) < 0 ||
		    inspect(cfg, ctl, out, "qcow2", vsize, err) < 0 ||
		    check_qcow2(cfg, ctl, out, err) < 0)
			goto out;
	} else {
		/* The source may change after it was inspected: what was
		 * made is judged too. */
		if (inspect(cfg, ctl, src_fd, fmt, vsize, err) < 0 ||
		    convert(cfg, ctl, src_fd, fmt, path, out, err) < 0 ||
		    inspect(cfg, ctl, out, "qcow2", vsize, err) < 0)
			goto out;
	}
	if (write_out(out, err) < 0)
		goto out;
	*staged = path;
	path = NULL;
	r = 0;
out:
	close(out);
	if (path != NULL) {
		unlink(path);
		g_free(path);
	}
	return r;
}

int
import_image(const struct config *cfg, uid_t uid, int fd,
    const struct import_ctl *ctl, char **staged, int64_t *vsize,
    char **err)
{
	char *boxdisk = NULL, *none = NULL;
	struct stat st;
	int64_t v;
	int bfd = -1, r = -1;
	enum img_format f;

	*staged = NULL;
	*err = NULL;
	if (upload_ok(fd, uid, &st, err) < 0)
		return -1;
	f = sniff_fd(fd, st.st_size, &v);
	if (f != IMG_TAR && f != IMG_GZIP)
		return import_disk(cfg, uid, fd, &none, st.st_size, ctl,
		    staged, vsize, err);
	/* A Vagrant box: its disk is unpacked into staging first. */
	if ((bfd = storage_staging_file(cfg, uid, &boxdisk, err)) < 0)
		return -1;
	if (ctl->progress)
		ctl->progress(ctl->arg, "unpacking", 0);
	if (unbox(cfg, ctl, fd, bfd, err) == 0 && fstat(bfd, &st) == 0) {
		f = sniff_fd(bfd, st.st_size, &v);
		if (f == IMG_TAR || f == IMG_GZIP)
			*err = g_strdup(_("the box holds another archive, "
			    "not a disk"));
		else
			r = import_disk(cfg, uid, bfd, &boxdisk, st.st_size,
			    ctl, staged, vsize, err);
	}
	close(bfd);
	if (boxdisk != NULL) {
		unlink(boxdisk);
		g_free(boxdisk);
	}
	return r;
}

int
import_copy(const struct config *cfg, uid_t uid, int fd,
    const struct import_ctl *ctl, char **staged, int64_t *vsize,
    char **err)
{
	char *none = NULL;
	struct stat st;

	*staged = NULL;
	*err = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = g_strdup(_("the image is not a regular file"));
		return -1;
	}
	return import_disk(cfg, uid, fd, &none, st.st_size, ctl, staged,
	    vsize, err);
}

int
import_inspect(const struct config *cfg, int fd, const char **format,
    int64_t *vsize, char **err)
{
	struct import_ctl ctl = { -1, NULL, NULL };
	enum img_format f;
	struct stat st;

	*err = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = g_strdup(_("not a regular file"));
		return -1;
	}
	f = sniff_fd(fd, st.st_size, vsize);
	*format = f == IMG_UNKNOWN_RAW ? "raw" : img_format_name(f);
	if (format_ok(f, err) < 0 ||
	    inspect(cfg, &ctl, fd, *format, vsize, err) < 0 ||
	    (f == IMG_QCOW2 && check_qcow2(cfg, &ctl, fd, err) < 0))
		return -1;
	return 0;
}

/* qemu-img create of a qcow2 file at path, open on fd: nothing allocated
 * but its metadata. */
static int
create_blank(const struct config *cfg, const struct import_ctl *ctl,
    const char *path, int fd, int64_t size, char **err)
{
	char *sz = g_strdup_printf("%lld", (long long)size);
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
	    (char *)path, sz, NULL };
	struct child ch = { cfg->qemu_img, argv, -1, fd, -1, path,
	    INFO_TIMEOUT, ctl, NULL, NULL, NULL };
	char *why;
	int st = child_run(&ch, err);

	if (st > 0) {
		why = qemu_img_words(ch.err, st);
		*err = g_strdup_printf(_("cannot make a blank disk: %s"), why);
		g_free(why);
	}
	child_clear(&ch);
	g_free(sz);
	return st == 0 ? 0 : -1;
}

int
import_blank(const struct config *cfg, uid_t uid, int64_t size,
    const struct import_ctl *ctl, char **staged, char **err)
{
	char *path = NULL;
	int out, r = -1;

	*staged = NULL;
	*err = NULL;
	if ((out = storage_staging_file(cfg, uid, &path, err)) < 0)
		return -1;
	if (create_blank(cfg, ctl, path, out, size, err) == 0 &&
	    write_out(out, err) == 0) {
		*staged = path;
		path = NULL;
		r = 0;
	}
	close(out);
	if (path != NULL) {
		unlink(path);
		g_free(path);
	}
	return r;
}

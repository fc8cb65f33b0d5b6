/* Image import.  The upload is read only through the descriptor the shell
 * passed.  qcow2 uploads are copied first (in-kernel, holes kept) and the
 * copy is checked, so that nothing the student changes afterwards reaches
 * the pool; other formats are converted by qemu-img straight from the
 * descriptor into a fresh qcow2 file, which is then checked.  qemu-img runs
 * with -f always (QEMU's prober never sees an upload), confined as
 * sandbox.h says: no network, Landlock, no capability but to read and
 * write the two files it is given, time and memory limits. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <glib.h>

#include "conf.h"
#include "creds.h"
#include "i18n.h"
#include "imgformat.h"
#include "imginfo.h"
#include "import.h"
#include "log.h"
#include "sandbox.h"
#include "storage.h"

#define INFO_TIMEOUT 60		/* seconds for qemu-img info and check */
#define COPY_CHUNK (16 << 20)	/* also how often writeback is started */
#define GiB (1LL << 30)
#define FD_PATH "/proc/self/fd/3"

int
import_init(const struct config *cfg, char **err)
{
	*err = NULL;
	sandbox_init();
	if (cfg->credentials != CREDS_OFF && creds_unavailable(cfg) != NULL)
		log_msg(LOG_WARNING, "imports are not checked for default "
		    "credentials: %s", creds_unavailable(cfg));
	/* Leftovers of a broker that was killed during an import. */
	storage_staging_clean(cfg);
	return 0;
}

/* A qemu-img run on in_fd (its fd 3), stopped with the import. */
static void
qemu_img_init(struct sandbox *sb, const struct config *cfg,
    const struct import_ctl *ctl, char **argv, int in_fd, unsigned timeout)
{
	*sb = (struct sandbox){ .prog = cfg->qemu_img, .argv = argv,
	    .in_fd = in_fd, .out_fd = -1, .push_fd = -1, .timeout = timeout,
	    .cancel_fd = ctl->cancel_fd, .progress = ctl->progress,
	    .arg = ctl->arg };
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
	struct imginfo info = { 0 };
	struct sandbox sb;
	char *why = NULL;
	int st, r = -1;

	qemu_img_init(&sb, cfg, ctl, argv, fd, INFO_TIMEOUT);
	if ((st = sandbox_run(&sb, err)) < 0)
		goto out;
	if (st != 0) {
		why = qemu_img_words(sb.err, st);
		*err = g_strdup_printf(_("not a valid %s image: %s"), fmt, why);
		goto out;
	}
	if (imginfo_parse(sb.out->str, sb.out->len, fmt, FD_PATH,
	    (int64_t)cfg->max_image_size * GiB, &info, &why) < 0) {
		*err = g_strdup_printf(_("image refused: %s"), why);
		goto out;
	}
	*vsize = info.virtual_size;
	r = 0;
out:
	g_free(why);
	imginfo_clear(&info);
	sandbox_clear(&sb);
	return r;
}

/* qemu-img check: a qcow2 whose tables are corrupt is refused; leaked
 * clusters (status 3) are harmless. */
static int
check_qcow2(const struct config *cfg, const struct import_ctl *ctl, int fd,
    char **err)
{
	char *argv[] = { "qemu-img", "check", "-f", "qcow2", FD_PATH, NULL };
	struct sandbox sb;
	char *why;
	int st;

	qemu_img_init(&sb, cfg, ctl, argv, fd, INFO_TIMEOUT);
	st = sandbox_run(&sb, err);
	if (st == 0 || st == 3) {
		sandbox_clear(&sb);
		return 0;
	}
	if (st > 0) {
		why = qemu_img_words(st == 2 ? sb.out : sb.err, st);
		*err = g_strdup_printf(_("the qcow2 image is corrupt: %s; "
		    "repair it with 'qemu-img check -r all' and upload it "
		    "again"), why);
		g_free(why);
	}
	sandbox_clear(&sb);
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
	struct sandbox sb;
	char *why;
	int st;

	qemu_img_init(&sb, cfg, ctl, argv, fd, cfg->import_timeout);
	sb.push_fd = out_fd;
	sb.rw_path = dst;
	sb.what = "converting";
	st = sandbox_run(&sb, err);
	if (st > 0) {
		why = qemu_img_words(sb.err, st);
		*err = g_strdup_printf(_("cannot convert the image: %s"), why);
		g_free(why);
	}
	sandbox_clear(&sb);
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
			storage_push_out(out, o - n, n);
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
	struct sandbox sb = { .prog = NULL, .argv = argv, .in_fd = in_fd,
	    .out_fd = out_fd, .push_fd = out_fd,
	    .timeout = cfg->import_timeout, .cancel_fd = ctl->cancel_fd };
	int st;

	if (!sandbox_self_ok()) {
		*err = g_strdup(_("cannot unpack boxes here; tell the admin"));
		g_free(max);
		return -1;
	}
	st = sandbox_run(&sb, err);
	if (st > 0) {
		char *why = qemu_img_words(sb.err, st);

		*err = g_strdup_printf(_("cannot unpack the box: %s"), why);
		g_free(why);
	}
	g_free(max);
	sandbox_clear(&sb);
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

/* The staged disk of an upload, looked at for default credentials; it is
 * removed if the import is refused. */
static int
import_creds(const struct config *cfg, uid_t uid,
    const struct import_ctl *ctl, char **staged, char **note, char **err)
{
	if (creds_import(cfg, uid, *staged, ctl, note, err) == 0)
		return 0;
	unlink(*staged);
	g_free(*staged);
	*staged = NULL;
	return -1;
}

int
import_image(const struct config *cfg, uid_t uid, int fd,
    const struct import_ctl *ctl, char **staged, int64_t *vsize,
    char **note, char **err)
{
	char *boxdisk = NULL, *none = NULL;
	struct stat st;
	int64_t v;
	int bfd = -1, r = -1;
	enum img_format f;

	*staged = NULL;
	*note = NULL;
	*err = NULL;
	if (upload_ok(fd, uid, &st, err) < 0)
		return -1;
	f = sniff_fd(fd, st.st_size, &v);
	if (f != IMG_TAR && f != IMG_GZIP)
		return import_disk(cfg, uid, fd, &none, st.st_size, ctl,
		    staged, vsize, err) < 0 ? -1 :
		    import_creds(cfg, uid, ctl, staged, note, err);
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
	return r < 0 ? -1 : import_creds(cfg, uid, ctl, staged, note, err);
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
	struct sandbox sb;
	char *why;
	int st;

	qemu_img_init(&sb, cfg, ctl, argv, -1, INFO_TIMEOUT);
	sb.out_fd = fd;
	sb.rw_path = path;
	st = sandbox_run(&sb, err);
	if (st > 0) {
		why = qemu_img_words(sb.err, st);
		*err = g_strdup_printf(_("cannot make a blank disk: %s"), why);
		g_free(why);
	}
	sandbox_clear(&sb);
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

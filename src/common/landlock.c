/* Landlock rulesets through the raw syscalls.  The headers of older
 * distributions lack the newer ABI's constants, so they are spelled out
 * here with the kernel's values. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <glib.h>

#include "landlock.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define CREATE_RULESET_VERSION (1U << 0)
#define RULE_PATH_BENEATH 1

#define FS_EXECUTE	(1ULL << 0)
#define FS_WRITE_FILE	(1ULL << 1)
#define FS_READ_FILE	(1ULL << 2)
#define FS_READ_DIR	(1ULL << 3)
#define FS_REMOVE_DIR	(1ULL << 4)
#define FS_REMOVE_FILE	(1ULL << 5)
#define FS_MAKE_CHAR	(1ULL << 6)
#define FS_MAKE_DIR	(1ULL << 7)
#define FS_MAKE_REG	(1ULL << 8)
#define FS_MAKE_SOCK	(1ULL << 9)
#define FS_MAKE_FIFO	(1ULL << 10)
#define FS_MAKE_BLOCK	(1ULL << 11)
#define FS_MAKE_SYM	(1ULL << 12)
#define FS_REFER	(1ULL << 13)	/* ABI 2 */
#define FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#define FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#define NET_BIND_TCP	(1ULL << 0)	/* ABI 4 */
#define NET_CONNECT_TCP	(1ULL << 1)
#define SCOPE_ABSTRACT_UNIX (1ULL << 0)	/* ABI 6 */
#define SCOPE_SIGNAL	(1ULL << 1)

/* Rights that may be granted on a file (the rest apply to directories). */
#define FS_FILE_RIGHTS (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | \
	FS_TRUNCATE | FS_IOCTL_DEV)

struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct landlock {
	int fd;
	uint64_t handled;	/* file-system rights this kernel controls */
};

int
landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

struct landlock *
landlock_new(void)
{
	struct ruleset_attr attr = { 0 };
	struct landlock *ll;
	size_t size = sizeof(attr.handled_access_fs);
	int abi = landlock_abi();

	if (abi <= 0) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	attr.handled_access_fs = (FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		attr.handled_access_fs |= FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= FS_IOCTL_DEV;
	if (abi >= 4) {
		attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
		size = offsetof(struct ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	ll = g_new0(struct landlock, 1);
	ll->handled = attr.handled_access_fs;
	ll->fd = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ll->fd < 0) {
		int e = errno;

		g_free(ll);
		errno = e;
		return NULL;
	}
	return ll;
}

static uint64_t
fs_rights(unsigned rights, bool is_dir)
{
	uint64_t a = 0;

	if (rights & LL_READ)
		a |= FS_READ_FILE | FS_READ_DIR;
	if (rights & LL_EXEC)
		a |= FS_EXECUTE;
	if (rights & LL_WRITE)
		a |= FS_WRITE_FILE | FS_TRUNCATE;
	if (rights & LL_CREATE)
		a |= FS_MAKE_REG | FS_MAKE_DIR | FS_REMOVE_FILE |
		    FS_REMOVE_DIR | FS_REFER;
	return is_dir ? a : a & FS_FILE_RIGHTS;
}

int
landlock_allow_fd(struct landlock *ll, int fd, unsigned rights)
{
	struct path_beneath_attr pb;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	pb.parent_fd = fd;
	pb.allowed_access = fs_rights(rights, S_ISDIR(st.st_mode)) &
	    ll->handled;
	if (pb.allowed_access == 0)
		return 0;
	return syscall(SYS_landlock_add_rule, ll->fd, RULE_PATH_BENEATH, &pb,
	    0) < 0 ? -1 : 0;
}

int
landlock_allow(struct landlock *ll, const char *path, unsigned rights)
{
	int fd = open(path, O_PATH | O_CLOEXEC), r, e;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	r = landlock_allow_fd(ll, fd, rights);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

int
landlock_enforce(const struct landlock *ll)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_landlock_restrict_self, ll->fd, 0) < 0 ? -1 : 0;
}

void
landlock_free(struct landlock *ll)
{
	if (ll == NULL)
		return;
	close(ll->fd);
	g_free(ll);
}

/* The ELF interpreter named by program (the dynamic loader), into buf. */
static int
elf_interp(const char *program, char *buf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, r = -1;

	if ((fd = open(program, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i *
		    sizeof(ph)) != sizeof(ph))
			goto out;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz > len ||
		    pread(fd, buf, ph.p_filesz, ph.p_offset) !=
		    (ssize_t)ph.p_filesz || buf[ph.p_filesz - 1] != '\0')
			goto out;
		r = 0;
		break;
	}
out:
	close(fd);
	return r;
}

int
landlock_allow_runtime(struct landlock *ll, const char *program)
{
	static const char *const libdirs[] = {
		"/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64",
		"/lib32",
	};
	static const char *const files[] = {
		"/etc/ld.so.cache", "/etc/localtime",
	};
	char interp[256];
	size_t i;

	/* Libraries are mapped, not executed: reading them is enough.  Only
	 * the program and its loader may be executed. */
	for (i = 0; i < G_N_ELEMENTS(libdirs); i++)
		if (landlock_allow(ll, libdirs[i], LL_READ) < 0)
			return -1;
	for (i = 0; i < G_N_ELEMENTS(files); i++)
		if (landlock_allow(ll, files[i], LL_READ) < 0)
			return -1;
	if (landlock_allow(ll, "/dev/null", LL_READ | LL_WRITE) < 0 ||
	    landlock_allow(ll, program, LL_READ | LL_EXEC) < 0)
		return -1;
	if (elf_interp(program, interp, sizeof(interp)) == 0 &&
	    landlock_allow(ll, interp, LL_READ | LL_EXEC) < 0)
		return -1;
	return 0;
}

int
landlock_allow_etc(struct landlock *ll)
{
	return landlock_allow(ll, "/etc", LL_READ);
}

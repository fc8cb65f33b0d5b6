/* Landlock, the kernel's unprivileged file-system sandbox: confines the
 * programs started for a student (sftp-server, scp) and for an import
 * (qemu-img) to the files they need.  Plain syscalls; no library. */
#ifndef IEVS_LANDLOCK_H
#define IEVS_LANDLOCK_H

/* The sanitizers' runtime reads /proc (its maps before main(), its
 * threads when LeakSanitizer runs at exit): in such a build a sandbox of
 * the project's own code may read /proc. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* What a rule allows beneath a directory (or on one file). */
#define LL_READ		0x01	/* read files, list directories */
#define LL_EXEC		0x02	/* execute files */
#define LL_WRITE	0x04	/* write and truncate existing files */
#define LL_CREATE	0x08	/* make and remove regular files and
				 * directories, rename within; never links,
				 * devices, FIFOs or sockets */

struct landlock;

/* The Landlock ABI version of the running kernel; 0 if it has none. */
int landlock_abi(void);

/* A ruleset that denies every file-system access the kernel can control,
 * and TCP (ABI 4), abstract Unix sockets and signals beyond the sandbox
 * (ABI 6).  Returns NULL with errno ENOSYS/EOPNOTSUPP when the kernel has
 * no Landlock, or another errno on failure. */
struct landlock *landlock_new(void);
/* Allows rights beneath path (a directory) or on path (a file).  A path
 * that does not exist is skipped: the program does not need it then. */
int landlock_allow(struct landlock *ll, const char *path, unsigned rights);
/* The same on an open file or directory (O_PATH will do). */
int landlock_allow_fd(struct landlock *ll, int fd, unsigned rights);
/* Sets no_new_privs and confines the calling thread (and what it
 * executes).  Only syscalls: safe between fork() and execve(). */
int landlock_enforce(const struct landlock *ll);
void landlock_free(struct landlock *ll);

/* Allows what a dynamically linked program from /usr needs to start:
 * reading and executing the system's libraries and the program itself,
 * and reading the loader's cache. */
int landlock_allow_runtime(struct landlock *ll, const char *program);
/* Reading /etc, for the name service (scp needs the user's passwd entry).
 * Only for programs that run as the student, whom file permissions keep
 * from /etc/shadow; rules on single files there would go stale when
 * useradd or an upgrade replaces them. */
int landlock_allow_etc(struct landlock *ll);

#endif

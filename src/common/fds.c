/* Descriptor hygiene at start-up, for the shell and the broker alike. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "fds.h"

/* fds 0-2 must be open, or a later open() would take their place and a
 * socket could receive what was meant for stdout, or a lock land on fd 0
 * and be lost when stdin is replaced. */
void
fds_sanitize_std(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* sshd and PAM modules have leaked descriptors into login shells before;
 * none of them is ours to use or to hand on. */
void
fds_close_from(int lowfd)
{
	struct dirent *de;
	long fd, max;
	DIR *d;
	char *end;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
#endif
	/* Kernels before 5.9. */
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			fd = strtol(de->d_name, &end, 10);
			if (end != de->d_name && *end == '\0' &&
			    fd >= lowfd && fd != dirfd(d))
				close((int)fd);
		}
		closedir(d);
		return;
	}
	if ((max = sysconf(_SC_OPEN_MAX)) < 0)
		max = 1024;
	for (fd = lowfd; fd < max; fd++)
		close((int)fd);
}

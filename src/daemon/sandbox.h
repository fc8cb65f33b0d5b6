/* The broker's confined children: a program that reads what a student
 * sent (qemu-img on an upload, the broker's own box unpacker) runs with
 * an absolute path, a fixed argv and a new environment, in an empty
 * network namespace, with no capability but to read and write the files
 * it is given (the unpacker as nobody), under Landlock, under time, CPU
 * and memory limits, with its input on fd 3 and its output on fd 4. */
#ifndef IEVS_SANDBOX_H
#define IEVS_SANDBOX_H

#include <stdbool.h>

#include <glib.h>

struct sandbox {
	const char *prog;	/* absolute path; NULL: the broker's own
				 * binary, as nobody (ie-vmd --unbox) */
	char **argv;		/* argv[0] names it in messages */
	int in_fd, out_fd;	/* its fds 3 and 4, or -1 */
	int push_fd;		/* what it writes, pushed to disk as it
				 * goes; or -1 */
	const char *rw_path;	/* the one file it may write, or NULL */
	unsigned timeout;	/* seconds, of CPU time and of the clock */
	int cancel_fd;		/* readable or hung up: it is stopped */
	/* What it says of its progress (qemu-img -p), as percent. */
	void (*progress)(void *arg, const char *what, int percent);
	void *arg;
	const char *what;	/* progress label; NULL: none read */
	bool vm;		/* it runs a VM of its own (libguestfs's
				 * appliance): more memory, no Landlock (it
				 * makes sockets and runs QEMU from many
				 * paths; the VM is its confinement), and
				 * its process group stopped as a whole */
	GString *out, *err;	/* what it wrote (the first MiB of each) */
};

/* Called once at start-up, before threads: remembers the broker's own
 * binary, for the unpacker, and the capabilities the kernel knows. */
void sandbox_init(void);
/* Whether the broker can run its own binary (sandbox_init found it). */
bool sandbox_self_ok(void);
/* Runs the child and waits for it, reading its output, until it exits,
 * the client goes away or time is up.  Returns its exit status, or -1
 * with one line for the student in *err.  sandbox_clear frees what it
 * kept of the output. */
int sandbox_run(struct sandbox *sb, char **err);
void sandbox_clear(struct sandbox *sb);

#endif

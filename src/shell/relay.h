/* The shell between sshd and a confined transfer program (sftp-server, or
 * scp's legacy sink): every byte passes through it, so that what would
 * fill the upload area is weighed against the quota first. */
#ifndef IEVS_RELAY_H
#define IEVS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"

/* A byte queue: data from start to start + len. */
struct rbuf {
	uint8_t *p;
	size_t start, len, cap;
};

struct relay;

/* A protocol: up moves what it can from r->in to r->to_prog (or answers
 * itself into r->to_user); down moves from r->from_prog to r->to_user.
 * They return -1 to end the transfer (a malformed message). */
struct relay_proto {
	int (*up)(struct relay *r);
	int (*down)(struct relay *r);
	void (*free)(void *state);
};

struct relay {
	const struct relay_proto *proto;
	void *state;
	struct budget *budget;
	const char *area;	/* its path, for names the client sends */
	struct rbuf in, to_prog, from_prog, to_user;
	bool hold;		/* up waits for in-flight writes to settle */
	bool in_ready;		/* up left a whole message in in */
	char *refusal;		/* the first thing refused, for the audit */
};

/* Relays fds 0 and 1 to and from the program's (to_prog, from_prog)
 * until both directions have ended; closes them.  Returns 0, or -1 if
 * the transfer was cut short; *refusal is what the quota refused first,
 * or NULL (caller frees). */
int relay_run(const struct relay_proto *proto, void *state,
    struct budget *b, const char *area, int to_prog, int from_prog,
    char **refusal);

/* Queue helpers for the protocols. */
static inline uint8_t *
rbuf_data(const struct rbuf *q)
{
	return q->p + q->start;
}
void rbuf_put(struct rbuf *q, const void *p, size_t n);
void rbuf_drop(struct rbuf *q, size_t n);
size_t rbuf_space(const struct rbuf *q);
/* Moves n bytes from one queue to another. */
void rbuf_move(struct rbuf *to, struct rbuf *from, size_t n);

/* The name a client gave, relative to the area (a descriptor's), or NULL
 * if it lies outside (the program's confinement will refuse it).  Points
 * into name. */
const char *relay_area_name(const char *area, const char *name);

extern const struct relay_proto relay_sftp;
extern const struct relay_proto relay_scp;
void *relay_sftp_new(void);
/* scp -t TARGET: is_dir says whether TARGET is a directory now. */
void *relay_scp_new(const char *target, bool is_dir);

/* Says why an upload was refused, on stderr (sshd passes it to the
 * client for scp, and drops it for the sftp subsystem), and keeps the
 * first such message for the audit log.  Once per file. */
void relay_tell(struct relay *r, const char *msg);

#endif

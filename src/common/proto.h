/* Wire protocol between ie-vshell and ie-vmd: length-prefixed frames holding
 * a small header and a bounded vector of strings.  Every size is checked. */
#ifndef IEVS_PROTO_H
#define IEVS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_VERSION 1

/* Hard limits.  A peer that exceeds one is cut off. */
#define PROTO_MAX_FRAME (1024 * 1024)	/* bytes after the length word */
#define PROTO_MAX_STRINGS 16384
#define PROTO_MAX_REQ_FRAME (64 * 1024)	/* requests are small */
#define PROTO_MAX_REQ_STRINGS 32
#define PROTO_MAX_REQ_STRING 4096

enum proto_type {
	PROTO_REQUEST = 1,
	PROTO_RESPONSE = 2,
	PROTO_HELLO = 3,	/* shell -> broker first: the locale of its
				 * messages; then broker -> shell: the
				 * greeting (who, or why not) */
	PROTO_NOTE = 4,		/* shell -> broker: a refusal to audit; no reply */
	PROTO_PROGRESS = 5,	/* broker -> shell during a long request */
	PROTO_DATA = 6,		/* console bytes, either way; see proto_data_new */
	PROTO_DETACH = 7,	/* shell -> broker: leave the console */
	PROTO_BUDGET = 8,	/* shell -> broker: what uploads may add; a
				 * RESPONSE answers (ops_upload_budget) */
};

/* Response status; also the shell's exit status for the command. */
enum proto_status {
	ST_OK = 0,
	ST_FAILED = 1,
	ST_USAGE = 2,
};

struct proto_msg {
	uint8_t type;
	uint8_t status;
	uint16_t ncols;		/* >1: strings form a table of ncols columns */
	uint32_t nstr;
	char **str;		/* nstr NUL-terminated strings */
};

struct proto_msg *proto_msg_new(uint8_t type, uint8_t status, uint16_t ncols);
void proto_msg_free(struct proto_msg *m);
int proto_msg_add(struct proto_msg *m, const char *s);
int proto_msg_addf(struct proto_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A DATA message carrying len bytes of buf, which may hold NULs: the
 * strings are the pieces between them.  At most max_nul NULs are taken;
 * *used says how many bytes went in (all, unless the cap was reached). */
struct proto_msg *proto_data_new(const char *buf, size_t len, size_t max_nul,
    size_t *used);
/* Joins a DATA message's pieces back into buf (cap bytes).  Returns the
 * length, or -1 if it does not fit. */
ssize_t proto_data_join(const struct proto_msg *m, char *buf, size_t cap);

/* Encode into a freshly allocated frame (length word included). */
int proto_encode(const struct proto_msg *m, uint8_t **buf, size_t *len);
/* Decode a frame body (without the length word).  max_nstr/max_str bound
 * the message; 0 means the protocol-wide limits. */
struct proto_msg *proto_decode(const uint8_t *body, size_t len,
    uint32_t max_nstr, size_t max_str, const char **why);

/* Blocking I/O on a stream socket.  Returns 0, or -1 with errno set
 * (ECONNRESET for EOF, EPROTO for a malformed frame, EMSGSIZE for oversize). */
int proto_send(int fd, const struct proto_msg *m);
int proto_recv(int fd, size_t max_frame, uint32_t max_nstr, size_t max_str,
    struct proto_msg **out, const char **why);
/* The same, with a file descriptor passed alongside (SCM_RIGHTS): sent if
 * passfd >= 0; received into *passfd (-1 if none came; close-on-exec).
 * proto_recv() closes any descriptor a peer sends unasked. */
int proto_send_fd(int fd, const struct proto_msg *m, int passfd);
int proto_recv_fd(int fd, size_t max_frame, uint32_t max_nstr,
    size_t max_str, struct proto_msg **out, const char **why, int *passfd);

#endif

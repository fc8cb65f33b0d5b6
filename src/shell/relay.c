/* The relay's loop: four descriptors, four queues, poll.  The protocols
 * (relay_sftp.c, relay_scp.c) decide what passes; this file only moves
 * bytes, and ends when both directions have ended. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "relay.h"

/* What one queue takes before its reader is stopped: a few of the
 * largest SFTP packets (sftp-server's limit is 256 KiB). */
#define QUEUE_MAX (1024 * 1024)

void
rbuf_put(struct rbuf *q, const void *p, size_t n)
{
	if (q->start + q->len + n > q->cap && q->start > 0) {
		memmove(q->p, q->p + q->start, q->len);
		q->start = 0;
	}
	if (q->len + n > q->cap) {
		q->cap = MAX(q->len + n, QUEUE_MAX);
		q->p = g_realloc(q->p, q->cap);
	}
	memcpy(q->p + q->start + q->len, p, n);
	q->len += n;
}

void
rbuf_drop(struct rbuf *q, size_t n)
{
	q->start += n;
	q->len -= n;
	if (q->len == 0)
		q->start = 0;
}

size_t
rbuf_space(const struct rbuf *q)
{
	return q->len >= QUEUE_MAX ? 0 : QUEUE_MAX - q->len;
}

void
rbuf_move(struct rbuf *to, struct rbuf *from, size_t n)
{
	rbuf_put(to, rbuf_data(from), n);
	rbuf_drop(from, n);
}

/* Reads what fits; 0 at end of file or on an error. */
static ssize_t
rbuf_read(struct rbuf *q, int fd)
{
	size_t want = rbuf_space(q);
	ssize_t n;

	if (q->cap < QUEUE_MAX || q->start + q->len + want > q->cap) {
		if (q->start > 0 && q->len > 0)
			memmove(q->p, q->p + q->start, q->len);
		q->start = 0;
		if (q->cap < QUEUE_MAX) {
			q->cap = QUEUE_MAX;
			q->p = g_realloc(q->p, q->cap);
		}
	}
	n = read(fd, q->p + q->start + q->len, want);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	q->len += n;
	return n;
}

/* Writes what it can; -1 when the reader has gone. */
static int
rbuf_write(struct rbuf *q, int fd)
{
	ssize_t n = write(fd, rbuf_data(q), q->len);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	rbuf_drop(q, n);
	return 0;
}

const char *
relay_area_name(const char *area, const char *name)
{
	size_t n = strlen(area);

	if (name[0] != '/')
		return name[0] == '\0' ? "." : name;
	if (strncmp(name, area, n) != 0)
		return NULL;
	if (name[n] == '\0')
		return ".";
	return name[n] == '/' ? name + n + 1 : NULL;
}

void
relay_tell(struct relay *r, const char *msg)
{
	fprintf(stderr, "ie-vshell: %s\n", msg);
	fflush(stderr);
	if (r->refusal == NULL)
		r->refusal = g_strdup(msg);
}

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

enum { P_USER_IN, P_TO_PROG, P_FROM_PROG, P_USER_OUT };

/* One round of poll: which ends want what. */
static int
wait_io(struct relay *r, struct pollfd *p, int to_prog, int from_prog,
    bool user_eof)
{
	p[P_USER_IN] = (struct pollfd){ user_eof ? -1 : STDIN_FILENO,
	    POLLIN, 0 };
	if (rbuf_space(&r->in) == 0)
		p[P_USER_IN].fd = -1;
	p[P_TO_PROG] = (struct pollfd){ r->to_prog.len ? to_prog : -1,
	    POLLOUT, 0 };
	p[P_FROM_PROG] = (struct pollfd){ rbuf_space(&r->from_prog) ?
	    from_prog : -1, POLLIN, 0 };
	p[P_USER_OUT] = (struct pollfd){ r->to_user.len ? STDOUT_FILENO : -1,
	    POLLOUT, 0 };
	while (poll(p, 4, -1) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int
pump(struct relay *r)
{
	if (r->proto->up(r) < 0 || r->proto->down(r) < 0)
		return -1;
	/* An answer from the program may release a held request. */
	return r->hold ? 0 : r->proto->up(r);
}

int
relay_run(const struct relay_proto *proto, void *state, struct budget *b,
    const char *area, int to_prog, int from_prog, char **refusal)
{
	struct relay r = { .proto = proto, .state = state, .budget = b,
	    .area = area };
	struct pollfd p[4];
	bool user_eof = false, prog_eof = false;
	int ret = -1;

	signal(SIGPIPE, SIG_IGN);
	nonblock(STDIN_FILENO);
	nonblock(STDOUT_FILENO);
	nonblock(to_prog);
	nonblock(from_prog);
	for (;;) {
		if (pump(&r) < 0)
			break;
		if (user_eof && r.to_prog.len == 0 && !r.in_ready &&
		    to_prog >= 0) {
			close(to_prog);
			to_prog = -1;
		}
		if (prog_eof && r.to_user.len == 0) {
			ret = 0;
			break;
		}
		if (wait_io(&r, p, to_prog, from_prog, user_eof) < 0)
			break;
		if ((p[P_USER_IN].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rbuf_read(&r.in, STDIN_FILENO) == 0)
			user_eof = true;
		if ((p[P_TO_PROG].revents & (POLLOUT | POLLERR | POLLHUP)) &&
		    rbuf_write(&r.to_prog, to_prog) < 0) {
			/* The program has gone; what it left is still read. */
			rbuf_drop(&r.to_prog, r.to_prog.len);
			user_eof = true;
		}
		if ((p[P_FROM_PROG].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rbuf_read(&r.from_prog, from_prog) == 0)
			prog_eof = true;
		if ((p[P_USER_OUT].revents & (POLLOUT | POLLERR | POLLHUP)) &&
		    rbuf_write(&r.to_user, STDOUT_FILENO) < 0)
			break;
	}
	if (to_prog >= 0)
		close(to_prog);
	close(from_prog);
	if (proto->free != NULL)
		proto->free(state);
	g_free(r.in.p);
	g_free(r.to_prog.p);
	g_free(r.from_prog.p);
	g_free(r.to_user.p);
	*refusal = r.refusal;
	return ret;
}

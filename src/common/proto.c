/* Frame codec and socket I/O for the ie-vshell <-> ie-vmd protocol.
 * Frame: u32 length (big endian) | u8 version | u8 type | u8 status | u8 0 |
 *        u16 ncols | u16 pad | u32 nstr | nstr x (u32 len | bytes). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <glib.h>

#include "proto.h"

#define BODY_FIXED 12	/* header bytes before the strings */

struct proto_msg *
proto_msg_new(uint8_t type, uint8_t status, uint16_t ncols)
{
	struct proto_msg *m = g_new0(struct proto_msg, 1);

	m->type = type;
	m->status = status;
	m->ncols = ncols ? ncols : 1;
	return m;
}

void
proto_msg_free(struct proto_msg *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nstr; i++)
		g_free(m->str[i]);
	g_free(m->str);
	g_free(m);
}

int
proto_msg_add(struct proto_msg *m, const char *s)
{
	if (m->nstr >= PROTO_MAX_STRINGS)
		return -1;
	m->str = g_renew(char *, m->str, m->nstr + 1);
	m->str[m->nstr++] = g_strdup(s ? s : "");
	return 0;
}

struct proto_msg *
proto_data_new(const char *buf, size_t len, size_t max_nul, size_t *used)
{
	struct proto_msg *m = proto_msg_new(PROTO_DATA, 0, 1);
	size_t off = 0, nul = 0;

	for (;;) {
		const char *z = memchr(buf + off, '\0', len - off);
		size_t n = z ? (size_t)(z - (buf + off)) : len - off;
		char *piece = g_strndup(buf + off, n);

		proto_msg_add(m, piece);
		g_free(piece);
		off += n;
		if (z == NULL || nul == max_nul)
			break;
		off++;		/* the NUL: between this piece and the next */
		nul++;
	}
	*used = off;
	return m;
}

ssize_t
proto_data_join(const struct proto_msg *m, char *buf, size_t cap)
{
	size_t off = 0;
	uint32_t i;

	for (i = 0; i < m->nstr; i++) {
		size_t n = strlen(m->str[i]);

		if (off + n + (i > 0) > cap)
			return -1;
		if (i > 0)
			buf[off++] = '\0';
		memcpy(buf + off, m->str[i], n);
		off += n;
	}
	return off;
}

int
proto_msg_addf(struct proto_msg *m, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r = proto_msg_add(m, s);
	g_free(s);
	return r;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
proto_encode(const struct proto_msg *m, uint8_t **bufp, size_t *lenp)
{
	size_t body = BODY_FIXED, off;
	uint8_t *buf;
	uint32_t i;

	if (m->nstr > PROTO_MAX_STRINGS)
		return -1;
	for (i = 0; i < m->nstr; i++) {
		body += 4 + strlen(m->str[i]);
		if (body > PROTO_MAX_FRAME)
			return -1;
	}
	buf = g_malloc(4 + body);
	put32(buf, body);
	buf[4] = PROTO_VERSION;
	buf[5] = m->type;
	buf[6] = m->status;
	buf[7] = 0;
	buf[8] = m->ncols >> 8;
	buf[9] = m->ncols & 0xff;
	buf[10] = buf[11] = 0;
	put32(buf + 12, m->nstr);
	off = 4 + BODY_FIXED;
	for (i = 0; i < m->nstr; i++) {
		size_t n = strlen(m->str[i]);

		put32(buf + off, n);
		memcpy(buf + off + 4, m->str[i], n);
		off += 4 + n;
	}
	*bufp = buf;
	*lenp = off;
	return 0;
}

struct proto_msg *
proto_decode(const uint8_t *p, size_t len, uint32_t max_nstr, size_t max_str,
    const char **why)
{
	struct proto_msg *m = NULL;
	uint32_t nstr, i;
	size_t off;

	if (max_nstr == 0 || max_nstr > PROTO_MAX_STRINGS)
		max_nstr = PROTO_MAX_STRINGS;
	if (max_str == 0 || max_str > PROTO_MAX_FRAME)
		max_str = PROTO_MAX_FRAME;
	*why = "truncated header";
	if (len < BODY_FIXED)
		return NULL;
	*why = "unsupported protocol version";
	if (p[0] != PROTO_VERSION)
		return NULL;
	*why = "bad message type";
	if (p[1] < PROTO_REQUEST || p[1] > PROTO_BUDGET)
		return NULL;
	*why = "bad header";
	if (p[2] > ST_USAGE || p[3] != 0 || p[6] != 0 || p[7] != 0)
		return NULL;
	nstr = get32(p + 8);
	*why = "too many strings";
	/* Each string needs at least its length word: cheap early bound. */
	if (nstr > max_nstr || nstr > (len - BODY_FIXED) / 4)
		return NULL;
	m = proto_msg_new(p[1], p[2], (uint16_t)(p[4] << 8 | p[5]));
	m->str = g_new0(char *, nstr ? nstr : 1);
	off = BODY_FIXED;
	for (i = 0; i < nstr; i++) {
		uint32_t n;

		*why = "truncated string";
		if (len - off < 4)
			goto fail;
		n = get32(p + off);
		off += 4;
		if (n > len - off)
			goto fail;
		*why = "string too long";
		if (n > max_str)
			goto fail;
		*why = "NUL byte in string";
		if (memchr(p + off, '\0', n) != NULL)
			goto fail;
		m->str[i] = g_strndup((const char *)p + off, n);
		m->nstr++;
		off += n;
	}
	*why = "trailing bytes";
	if (off != len)
		goto fail;
	*why = NULL;
	return m;
fail:
	proto_msg_free(m);
	return NULL;
}

int
proto_send(int fd, const struct proto_msg *m)
{
	return proto_send_fd(fd, m, -1);
}

/* The descriptor rides on the first byte of the frame. */
static ssize_t
send_first(int fd, const uint8_t *buf, size_t len, int passfd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (passfd < 0)
		return send(fd, buf, len, MSG_NOSIGNAL);
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

int
proto_send_fd(int fd, const struct proto_msg *m, int passfd)
{
	uint8_t *buf;
	size_t len, off = 0;

	if (proto_encode(m, &buf, &len) < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	while (off < len) {
		ssize_t n = off == 0 ? send_first(fd, buf, len, passfd) :
		    send(fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_free(buf);
			return -1;
		}
		off += n;
	}
	g_free(buf);
	return 0;
}

/* One recvmsg into buf, keeping a descriptor that comes with the bytes in
 * *passfd.  More than one, or a truncated control message, is a protocol
 * error (EPROTO).  Returns what read() would. */
static ssize_t
recv_fd(int fd, uint8_t *buf, size_t len, int *passfd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

	if (n < 0 && errno == ENOTSOCK) {
		/* Any stream will do (the fuzzer reads a file). */
		n = read(fd, buf, len);
		msg.msg_controllen = 0;
		msg.msg_flags = 0;
	}
	if (n < 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		int k, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + k * sizeof(int),
			    sizeof(int));
			if (*passfd < 0)
				*passfd = got;
			else {
				close(got);
				msg.msg_flags |= MSG_CTRUNC;
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		if (*passfd >= 0)
			close(*passfd);
		*passfd = -1;
		errno = EPROTO;
		return -1;
	}
	return n;
}

/* Reads len bytes; with passfd, also whatever descriptor came with them
 * (recv_fd).  The end of the stream before len is ECONNRESET. */
static int
read_full(int fd, uint8_t *buf, size_t len, int *passfd)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = passfd ? recv_fd(fd, buf + off, len - off, passfd) :
		    read(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		off += n;
	}
	return 0;
}

int
proto_recv(int fd, size_t max_frame, uint32_t max_nstr, size_t max_str,
    struct proto_msg **out, const char **why)
{
	int passfd, r;

	r = proto_recv_fd(fd, max_frame, max_nstr, max_str, out, why,
	    &passfd);
	if (passfd >= 0) {
		close(passfd);
		if (r == 0) {
			proto_msg_free(*out);
			*out = NULL;
			*why = "unexpected file descriptor";
			errno = EPROTO;
			return -1;
		}
	}
	return r;
}

int
proto_recv_fd(int fd, size_t max_frame, uint32_t max_nstr, size_t max_str,
    struct proto_msg **out, const char **why, int *passfd)
{
	uint8_t hdr[4], *body;
	uint32_t len;

	*out = NULL;
	*why = "connection closed";
	*passfd = -1;
	/* The length word, and a descriptor if one came with it. */
	if (read_full(fd, hdr, sizeof(hdr), passfd) < 0) {
		if (errno == EPROTO)
			*why = "more than one file descriptor";
		goto fail;
	}
	len = get32(hdr);
	if (max_frame == 0 || max_frame > PROTO_MAX_FRAME)
		max_frame = PROTO_MAX_FRAME;
	if (len > max_frame) {
		*why = "message too large";
		errno = EMSGSIZE;
		goto fail;
	}
	body = g_malloc(len ? len : 1);
	if (read_full(fd, body, len, NULL) < 0) {
		*why = "connection closed inside a message";
		g_free(body);
		goto fail;
	}
	*out = proto_decode(body, len, max_nstr, max_str, why);
	g_free(body);
	if (*out == NULL) {
		errno = EPROTO;
		goto fail;
	}
	return 0;
fail:
	if (*passfd >= 0) {
		int e = errno;

		close(*passfd);
		errno = e;
	}
	*passfd = -1;
	return -1;
}

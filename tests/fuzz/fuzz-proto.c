/* libFuzzer target: the wire protocol.  The input is a frame body for
 * proto_decode() under the broker's request limits and the shell's
 * response limits, and also a byte stream for proto_recv() as each side
 * reads its socket.  What decodes must encode back to the same message. */
#include "config.h"	/* first: _GNU_SOURCE for memfd_create() */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <glib.h>

#include "fuzz.h"
#include "proto.h"
#include "sanitize.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int stream_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* A file read to its end behaves as a peer that sent the input and
	 * hung up; unlike a pipe it never blocks the writer. */
	if ((stream_fd = memfd_create("fuzz-proto", 0)) < 0)
		abort();
	return 0;
}

static bool
msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
	uint32_t i;

	if (a->type != b->type || a->status != b->status ||
	    a->ncols != b->ncols || a->nstr != b->nstr)
		return false;
	for (i = 0; i < a->nstr; i++)
		if (strcmp(a->str[i], b->str[i]) != 0)
			return false;
	return true;
}

/* decode(encode(m)) == m, and encode(decode(x)) == x except that a zero
 * column count is read as one. */
static void
check_round_trip(const uint8_t *body, size_t len, const struct proto_msg *m,
    uint32_t max_nstr, size_t max_str)
{
	struct proto_msg *again;
	const char *why;
	uint8_t *buf;
	size_t n;

	CHECK(m->ncols != 0 && m->nstr <= PROTO_MAX_STRINGS);
	if (proto_encode(m, &buf, &n) < 0) {
		/* Only a body past the frame limit may fail to encode. */
		CHECK(len > PROTO_MAX_FRAME);
		return;
	}
	CHECK(n == len + 4);
	CHECK(((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3]) == len);
	if (body[4] != 0 || body[5] != 0)
		CHECK(memcmp(buf + 4, body, len) == 0);
	again = proto_decode(buf + 4, n - 4, max_nstr, max_str, &why);
	CHECK(again != NULL && msg_equal(m, again));
	proto_msg_free(again);
	g_free(buf);
}

/* What each side does with a message it accepted: the broker audits the
 * strings (log_audit()) and parses a request; the shell prints them. */
static void
use_msg(const struct proto_msg *m, bool broker)
{
	uint32_t i;
	char *clean;

	if (broker && m->type == PROTO_REQUEST)
		fuzz_check_request((int)m->nstr, m->str);
	/* 256 is AUDIT_FIELD_MAX in src/daemon/log.c. */
	for (i = 0; i < m->nstr; i++) {
		clean = sanitize_new(m->str[i], !broker, broker ? 256 : 0);
		g_free(clean);
	}
}

static void
decode(const uint8_t *data, size_t size, uint32_t max_nstr, size_t max_str,
    bool broker)
{
	struct proto_msg *m;
	const char *why = NULL;
	uint32_t i;

	m = proto_decode(data, size, max_nstr, max_str, &why);
	if (m == NULL) {
		CHECK(why != NULL);
		return;
	}
	CHECK(why == NULL);
	CHECK(m->type == data[1] && m->status == data[2]);
	CHECK(m->status <= ST_USAGE);
	if (max_nstr != 0)
		CHECK(m->nstr <= max_nstr);
	for (i = 0; i < m->nstr; i++)
		CHECK(max_str == 0 || strlen(m->str[i]) <= max_str);
	check_round_trip(data, size, m, max_nstr, max_str);
	use_msg(m, broker);
	proto_msg_free(m);
}

/* Frames back to back until the stream ends or goes bad, as serve() and
 * session_request() read them. */
static void
recv_all(size_t max_frame, uint32_t max_nstr, size_t max_str, bool broker)
{
	struct proto_msg *m;
	const char *why;

	if (lseek(stream_fd, 0, SEEK_SET) < 0)
		abort();
	while (proto_recv(stream_fd, max_frame, max_nstr, max_str, &m,
	    &why) == 0) {
		CHECK(m != NULL);
		use_msg(m, broker);
		proto_msg_free(m);
	}
	CHECK(m == NULL && why != NULL);
	CHECK(errno == ECONNRESET || errno == EPROTO || errno == EMSGSIZE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(data, size, PROTO_MAX_REQ_STRINGS, PROTO_MAX_REQ_STRING, true);
	decode(data, size, 0, 0, false);
	if (ftruncate(stream_fd, 0) < 0 ||
	    pwrite(stream_fd, data, size, 0) != (ssize_t)size)
		abort();
	recv_all(PROTO_MAX_REQ_FRAME, PROTO_MAX_REQ_STRINGS,
	    PROTO_MAX_REQ_STRING, true);
	recv_all(0, 0, 0, false);
	return 0;
}

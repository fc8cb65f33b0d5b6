/* Unit tests of the frame codec and of the socket I/O.  The broker decodes
 * whatever a logged-in student sends, so most cases here are bad frames. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <glib.h>

#include "proto.h"

#define HDR 12		/* body bytes before the strings */

/* Frame bodies built by hand, to say exactly what is wrong with them. */
static void
put8(GByteArray *b, uint8_t v)
{
	g_byte_array_append(b, &v, 1);
}

static void
put32(GByteArray *b, uint32_t v)
{
	uint8_t p[4] = { v >> 24, v >> 16, v >> 8, v };

	g_byte_array_append(b, p, 4);
}

static GByteArray *
body_new(uint8_t version, uint8_t type, uint8_t status, uint16_t ncols,
    uint32_t nstr)
{
	GByteArray *b = g_byte_array_new();

	put8(b, version);
	put8(b, type);
	put8(b, status);
	put8(b, 0);
	put8(b, ncols >> 8);
	put8(b, ncols & 0xff);
	put8(b, 0);
	put8(b, 0);
	put32(b, nstr);
	return b;
}

static void
put_str(GByteArray *b, const char *s, size_t n)
{
	put32(b, n);
	g_byte_array_append(b, (const uint8_t *)s, n);
}

/* Decodes from a heap copy of exactly len bytes, so that a read past the
 * end shows up under valgrind. */
static struct proto_msg *
decode(const uint8_t *p, size_t len, uint32_t max_nstr, size_t max_str,
    const char **why)
{
	uint8_t *copy = g_malloc(len ? len : 1);
	struct proto_msg *m;

	if (len > 0)
		memcpy(copy, p, len);
	*why = "unset";
	m = proto_decode(copy, len, max_nstr, max_str, why);
	g_free(copy);
	return m;
}

static void
expect_reject(const GByteArray *b, uint32_t max_nstr, size_t max_str,
    const char *reason)
{
	const char *why;
	struct proto_msg *m = decode(b->data, b->len, max_nstr, max_str, &why);

	g_assert_null(m);
	g_assert_cmpstr(why, ==, reason);
}

static void
assert_msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
	uint32_t i;

	g_assert_cmpuint(a->type, ==, b->type);
	g_assert_cmpuint(a->status, ==, b->status);
	g_assert_cmpuint(a->ncols, ==, b->ncols);
	g_assert_cmpuint(a->nstr, ==, b->nstr);
	for (i = 0; i < a->nstr; i++)
		g_assert_cmpstr(a->str[i], ==, b->str[i]);
}

/* Encodes m, checks the length word, decodes the body and compares. */
static void
roundtrip(const struct proto_msg *m)
{
	struct proto_msg *d;
	const char *why;
	uint8_t *buf;
	size_t len;
	uint32_t word;

	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	g_assert_cmpuint(len, >=, 4 + HDR);
	word = (uint32_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
	g_assert_cmpuint(word, ==, len - 4);
	d = decode(buf + 4, len - 4, 0, 0, &why);
	g_assert_null(why);
	g_assert_nonnull(d);
	assert_msg_equal(m, d);
	proto_msg_free(d);
	g_free(buf);
}

static struct proto_msg *
sample_msg(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_REQUEST, ST_OK, 1);

	proto_msg_add(m, "define");
	proto_msg_add(m, "web");
	proto_msg_add(m, "--template");
	proto_msg_add(m, "small");
	return m;
}

static void
test_roundtrip_basic(void)
{
	struct proto_msg *m = sample_msg();

	roundtrip(m);
	proto_msg_free(m);
}

static void
test_roundtrip_types(void)
{
	static const uint8_t types[] = { PROTO_REQUEST, PROTO_RESPONSE,
	    PROTO_HELLO };
	static const uint8_t statuses[] = { ST_OK, ST_FAILED, ST_USAGE };
	static const uint16_t ncols[] = { 1, 2, 3, 255, 256, 65535 };
	size_t i, j, k;

	for (i = 0; i < G_N_ELEMENTS(types); i++)
		for (j = 0; j < G_N_ELEMENTS(statuses); j++)
			for (k = 0; k < G_N_ELEMENTS(ncols); k++) {
				struct proto_msg *m = proto_msg_new(types[i],
				    statuses[j], ncols[k]);

				proto_msg_addf(m, "%zu/%zu/%zu", i, j, k);
				roundtrip(m);
				proto_msg_free(m);
			}
}

static void
test_roundtrip_empty(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 0);

	/* ncols 0 means a plain list, stored as 1. */
	g_assert_cmpuint(m->ncols, ==, 1);
	roundtrip(m);
	proto_msg_add(m, "");
	proto_msg_add(m, "");
	proto_msg_add(m, "x");
	proto_msg_add(m, NULL);
	g_assert_cmpuint(m->nstr, ==, 4);
	g_assert_cmpstr(m->str[3], ==, "");
	roundtrip(m);
	proto_msg_free(m);
}

static void
test_roundtrip_many(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 3);
	uint32_t i;

	for (i = 0; i < 3000; i++)
		proto_msg_addf(m, "%u:%.*s", i, (int)(i % 50),
		    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
	roundtrip(m);
	proto_msg_free(m);
}

/* Every byte but NUL survives the trip unchanged, UTF-8 or not. */
static void
test_roundtrip_bytes(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
	char all[256];
	int c;

	for (c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	proto_msg_add(m, all);
	proto_msg_add(m, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	proto_msg_add(m, "\x1b[2J\xff\xfe");
	roundtrip(m);
	proto_msg_free(m);
}

static void
test_msg_add_limit(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
	uint32_t i;

	for (i = 0; i < PROTO_MAX_STRINGS; i++)
		g_assert_cmpint(proto_msg_add(m, ""), ==, 0);
	g_assert_cmpint(proto_msg_add(m, "one too many"), ==, -1);
	g_assert_cmpint(proto_msg_addf(m, "%d", 1), ==, -1);
	g_assert_cmpuint(m->nstr, ==, PROTO_MAX_STRINGS);
	/* The most strings the protocol allows still decode. */
	roundtrip(m);
	proto_msg_free(m);
	proto_msg_free(NULL);
}

/* The wire format is shared by two programs that may be upgraded apart:
 * pin it byte by byte. */
static void
test_encode_layout(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 22,		/* length of what follows */
		PROTO_VERSION, PROTO_RESPONSE, ST_FAILED, 0,
		0x02, 0x03, 0, 0,	/* ncols, pad */
		0, 0, 0, 2,		/* nstr */
		0, 0, 0, 2, 'a', 'b',
		0, 0, 0, 0,
	};
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_FAILED, 0x0203);
	uint8_t *buf;
	size_t len;

	proto_msg_add(m, "ab");
	proto_msg_add(m, "");
	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	g_assert_cmpmem(buf, len, want, sizeof(want));
	g_free(buf);
	proto_msg_free(m);
}

static void
test_encode_too_large(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
	size_t n = PROTO_MAX_FRAME - HDR - 4;
	char *big = g_malloc(n + 2);
	uint8_t *buf;
	size_t len;
	int sv[2];

	/* Exactly the largest body. */
	memset(big, 'x', n);
	big[n] = '\0';
	proto_msg_add(m, big);
	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	g_assert_cmpuint(len, ==, 4 + PROTO_MAX_FRAME);
	g_free(buf);
	roundtrip(m);
	proto_msg_free(m);

	/* One byte more. */
	m = proto_msg_new(PROTO_RESPONSE, ST_OK, 1);
	big[n] = 'x';
	big[n + 1] = '\0';
	proto_msg_add(m, big);
	buf = NULL;
	g_assert_cmpint(proto_encode(m, &buf, &len), ==, -1);
	g_assert_null(buf);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	errno = 0;
	g_assert_cmpint(proto_send(sv[0], m), ==, -1);
	g_assert_cmpint(errno, ==, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
	proto_msg_free(m);
	g_free(big);
}

static void
test_decode_truncated_header(void)
{
	GByteArray *b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 0);
	struct proto_msg *m;
	const char *why;
	size_t len;

	for (len = 0; len < HDR; len++) {
		m = decode(b->data, len, 0, 0, &why);
		g_assert_null(m);
		g_assert_cmpstr(why, ==, "truncated header");
	}
	m = decode(b->data, HDR, 0, 0, &why);
	g_assert_nonnull(m);
	g_assert_cmpuint(m->nstr, ==, 0);
	proto_msg_free(m);
	g_byte_array_unref(b);
}

/* Cutting a valid body anywhere must give a clean refusal. */
static void
test_decode_every_truncation(void)
{
	struct proto_msg *m = sample_msg(), *d;
	const char *why;
	uint8_t *buf;
	size_t len, cut;

	proto_msg_add(m, "");
	proto_msg_add(m, "\xe6\x97\xa5\xe6\x9c\xac");
	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	for (cut = 0; cut < len - 4; cut++) {
		d = decode(buf + 4, cut, 0, 0, &why);
		if (d != NULL)
			g_test_message("decoded a body cut at %zu", cut);
		g_assert_null(d);
		g_assert_nonnull(why);
	}
	d = decode(buf + 4, len - 4, 0, 0, &why);
	g_assert_nonnull(d);
	assert_msg_equal(m, d);
	proto_msg_free(d);
	g_free(buf);
	proto_msg_free(m);
}

static void
test_decode_version(void)
{
	static const uint8_t bad[] = { 0, PROTO_VERSION + 1, 0x80, 0xff };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		GByteArray *b = body_new(bad[i], PROTO_REQUEST, ST_OK, 1, 0);

		expect_reject(b, 0, 0, "unsupported protocol version");
		g_byte_array_unref(b);
	}
}

static void
test_decode_type(void)
{
	static const uint8_t bad[] = { 0, PROTO_BUDGET + 1, 0x7f, 0xff };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		GByteArray *b = body_new(PROTO_VERSION, bad[i], ST_OK, 1, 0);

		expect_reject(b, 0, 0, "bad message type");
		g_byte_array_unref(b);
	}
}

static void
test_decode_status(void)
{
	GByteArray *b = body_new(PROTO_VERSION, PROTO_RESPONSE, ST_USAGE + 1,
	    1, 0);

	expect_reject(b, 0, 0, "bad header");
	b->data[2] = 0xff;
	expect_reject(b, 0, 0, "bad header");
	g_byte_array_unref(b);
}

static void
test_decode_pad(void)
{
	static const size_t pads[] = { 3, 6, 7 };
	static const uint8_t vals[] = { 1, 0x80, 0xff };
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(pads); i++)
		for (j = 0; j < G_N_ELEMENTS(vals); j++) {
			GByteArray *b = body_new(PROTO_VERSION, PROTO_REQUEST,
			    ST_OK, 1, 1);

			put_str(b, "list", 4);
			b->data[pads[i]] = vals[j];
			expect_reject(b, 0, 0, "bad header");
			g_byte_array_unref(b);
		}
}

static void
test_decode_nstr_too_large(void)
{
	GByteArray *b;

	/* Claims strings there are no bytes for. */
	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 1);
	expect_reject(b, 0, 0, "too many strings");
	g_byte_array_unref(b);

	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 0xffffffff);
	put_str(b, "a", 1);
	expect_reject(b, 0, 0, "too many strings");
	g_byte_array_unref(b);

	/* Three claimed, two present: enough bytes for the early bound, so
	 * the loop must notice. */
	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 3);
	put_str(b, "abcd", 4);
	put_str(b, "efgh", 4);
	expect_reject(b, 0, 0, "truncated string");
	g_byte_array_unref(b);
}

static void
test_decode_string_past_end(void)
{
	GByteArray *b;

	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 1);
	put32(b, 100);
	g_byte_array_append(b, (const uint8_t *)"short", 5);
	expect_reject(b, 0, 0, "truncated string");
	g_byte_array_unref(b);

	/* A length that would wrap a 32-bit offset. */
	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 2);
	put_str(b, "ab", 2);
	put32(b, 0xffffffff);
	put32(b, 0);
	expect_reject(b, 0, 0, "truncated string");
	g_byte_array_unref(b);

	/* One byte short. */
	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 1);
	put32(b, 4);
	g_byte_array_append(b, (const uint8_t *)"abc", 3);
	expect_reject(b, 0, 0, "truncated string");
	g_byte_array_unref(b);
}

static void
test_decode_nul(void)
{
	GByteArray *b;

	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 2);
	put_str(b, "start", 5);
	put_str(b, "web\0evil", 8);
	expect_reject(b, 0, 0, "NUL byte in string");
	g_byte_array_unref(b);

	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 1);
	put_str(b, "\0", 1);
	expect_reject(b, 0, 0, "NUL byte in string");
	g_byte_array_unref(b);
}

static void
test_decode_trailing(void)
{
	GByteArray *b;

	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 1);
	put_str(b, "list", 4);
	put8(b, 0);
	expect_reject(b, 0, 0, "trailing bytes");
	g_byte_array_unref(b);

	/* A whole string more than nstr says. */
	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 1);
	put_str(b, "list", 4);
	put_str(b, "--all", 5);
	expect_reject(b, 0, 0, "trailing bytes");
	g_byte_array_unref(b);

	b = body_new(PROTO_VERSION, PROTO_HELLO, ST_OK, 1, 0);
	put32(b, 0);
	expect_reject(b, 0, 0, "trailing bytes");
	g_byte_array_unref(b);
}

static void
test_decode_limits(void)
{
	GByteArray *b;
	struct proto_msg *m;
	const char *why;
	uint32_t i;

	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1, 3);
	put_str(b, "define", 6);
	put_str(b, "0123456789", 10);
	put_str(b, "", 0);
	expect_reject(b, 2, 0, "too many strings");
	expect_reject(b, 0, 9, "string too long");
	m = decode(b->data, b->len, 3, 10, &why);
	g_assert_nonnull(m);
	g_assert_cmpstr(m->str[1], ==, "0123456789");
	proto_msg_free(m);
	g_byte_array_unref(b);

	/* The request limits as the broker uses them. */
	b = body_new(PROTO_VERSION, PROTO_REQUEST, ST_OK, 1,
	    PROTO_MAX_REQ_STRINGS + 1);
	for (i = 0; i <= PROTO_MAX_REQ_STRINGS; i++)
		put_str(b, "x", 1);
	expect_reject(b, PROTO_MAX_REQ_STRINGS, PROTO_MAX_REQ_STRING,
	    "too many strings");
	g_byte_array_unref(b);

	/* 0, or anything above the protocol-wide limit, means that limit. */
	b = body_new(PROTO_VERSION, PROTO_RESPONSE, ST_OK, 1,
	    PROTO_MAX_STRINGS + 1);
	for (i = 0; i <= PROTO_MAX_STRINGS; i++)
		put32(b, 0);
	expect_reject(b, 0, 0, "too many strings");
	expect_reject(b, PROTO_MAX_STRINGS * 4, 0, "too many strings");
	g_byte_array_unref(b);
}

/* Checks a successful decode of garbage: re-encoding must give the same
 * bytes back (but for ncols 0, which is stored as 1). */
static void
check_reencode(const struct proto_msg *m, const uint8_t *body, size_t len)
{
	uint8_t *buf;
	size_t n;

	g_assert_cmpint(proto_encode(m, &buf, &n), ==, 0);
	g_assert_cmpuint(n, ==, len + 4);
	if (body[4] == 0 && body[5] == 0) {
		g_assert_cmpuint(m->ncols, ==, 1);
		buf[4 + 4] = 0;
		buf[4 + 5] = 0;
	}
	g_assert_cmpmem(buf + 4, n - 4, body, len);
	g_free(buf);
}

/* Makes body a near-valid frame: a good header and string lengths that
 * fit, usually cut at a string boundary with nstr to match, sometimes not.
 * Returns the new length. */
static size_t
plausible(GRand *r, uint8_t *body, size_t len)
{
	gboolean clean = g_rand_boolean(r), exact = g_rand_int_range(r, 0, 4);
	size_t i, j, end = HDR;
	uint32_t nstr = 0, n;

	body[0] = PROTO_VERSION;
	body[1] = g_rand_int_range(r, PROTO_REQUEST, PROTO_PROGRESS + 1);
	body[2] = g_rand_int_range(r, ST_OK, ST_USAGE + 1);
	body[3] = body[6] = body[7] = 0;
	for (i = HDR; i + 4 <= len; i += 4 + n) {
		n = g_rand_int_range(r, 0, 12);
		body[i] = body[i + 1] = body[i + 2] = 0;
		body[i + 3] = n;
		if (i + 4 + n > len)
			break;
		for (j = i + 4; clean && j < i + 4 + n; j++)
			if (body[j] == 0)
				body[j] = 'x';
		nstr++;
		end = i + 4 + n;
	}
	if (!exact)
		nstr = g_rand_int_range(r, 0, nstr + 2);
	else
		len = end;
	body[8] = nstr >> 24;
	body[9] = nstr >> 16;
	body[10] = nstr >> 8;
	body[11] = nstr;
	return len;
}

/* Random bodies, half of them near-valid so that the string loop gets
 * exercised.  The seed is fixed so that a failure can be replayed. */
static void
test_decode_garbage(void)
{
	GRand *r = g_rand_new_with_seed(0x1e75e11);
	uint8_t body[300];
	int iter, decoded = 0, refused = 0;

	for (iter = 0; iter < 20000; iter++) {
		size_t len = g_rand_int_range(r, 0, sizeof(body) + 1), i;
		struct proto_msg *m;
		const char *why;

		for (i = 0; i < len; i++)
			body[i] = g_rand_int_range(r, 0, 256);
		if (len >= HDR && g_rand_boolean(r))
			len = plausible(r, body, len);
		m = decode(body, len, 0, 0, &why);
		if (m == NULL) {
			g_assert_nonnull(why);
			refused++;
			continue;
		}
		g_assert_null(why);
		check_reencode(m, body, len);
		decoded++;
		proto_msg_free(m);
	}
	g_test_message("%d decoded, %d refused", decoded, refused);
	g_assert_cmpint(decoded, >, 1000);
	g_assert_cmpint(refused, >, 1000);
	g_rand_free(r);
}

/* Single-bit flips of a valid body: each decodes to something that
 * re-encodes to the same bytes, or is refused. */
static void
test_decode_bitflips(void)
{
	struct proto_msg *m = sample_msg(), *d;
	const char *why;
	uint8_t *buf;
	size_t len, i;
	int bit;

	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	for (i = 4; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= 1 << bit;
			d = decode(buf + 4, len - 4, 0, 0, &why);
			if (d != NULL) {
				check_reencode(d, buf + 4, len - 4);
				proto_msg_free(d);
			} else
				g_assert_nonnull(why);
			buf[i] ^= 1 << bit;
		}
	g_free(buf);
	proto_msg_free(m);
}

static void
pair(int sv[2])
{
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
}

static void
write_all(int fd, const void *p, size_t n)
{
	g_assert_cmpint(write(fd, p, n), ==, (ssize_t)n);
}

static void
test_socket_roundtrip(void)
{
	struct proto_msg *m = sample_msg(), *r1 = NULL, *r2 = NULL;
	struct proto_msg *e = proto_msg_new(PROTO_HELLO, ST_OK, 1);
	const char *why;
	int sv[2];

	pair(sv);
	g_assert_cmpint(proto_send(sv[0], m), ==, 0);
	g_assert_cmpint(proto_send(sv[0], e), ==, 0);
	g_assert_cmpint(proto_recv(sv[1], PROTO_MAX_REQ_FRAME,
	    PROTO_MAX_REQ_STRINGS, PROTO_MAX_REQ_STRING, &r1, &why), ==, 0);
	g_assert_nonnull(r1);
	assert_msg_equal(m, r1);
	/* Frames do not run into each other. */
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r2, &why), ==, 0);
	assert_msg_equal(e, r2);
	close(sv[0]);
	close(sv[1]);
	proto_msg_free(m);
	proto_msg_free(e);
	proto_msg_free(r1);
	proto_msg_free(r2);
}

struct sender {
	int fd;
	const struct proto_msg *m;
};

static gpointer
send_thread(gpointer data)
{
	struct sender *s = data;

	return GINT_TO_POINTER(proto_send(s->fd, s->m));
}

/* A frame larger than the socket buffer arrives in pieces. */
static void
test_socket_large(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, ST_OK, 2), *r;
	char *s = g_malloc(200001);
	struct sender snd;
	const char *why;
	GThread *t;
	int sv[2], i;

	memset(s, 'y', 200000);
	s[200000] = '\0';
	for (i = 0; i < 4; i++) {
		s[0] = 'a' + i;
		proto_msg_add(m, s);
	}
	pair(sv);
	snd.fd = sv[0];
	snd.m = m;
	t = g_thread_new("sender", send_thread, &snd);
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, 0);
	g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t)), ==, 0);
	assert_msg_equal(m, r);
	proto_msg_free(r);
	proto_msg_free(m);
	g_free(s);
	close(sv[0]);
	close(sv[1]);
}

/* An oversized length word is refused before a byte of the body is read
 * (or allocated). */
static void
test_socket_oversize(void)
{
	static const uint8_t big[4] = { 0, 0, 0x03, 0xe9 };	/* 1001 */
	static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	struct proto_msg *r = (struct proto_msg *)&r;
	const char *why = NULL;
	char rest[16];
	int sv[2];

	pair(sv);
	write_all(sv[0], big, 4);
	write_all(sv[0], "ABCDEFGH", 8);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 1000, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, EMSGSIZE);
	g_assert_null(r);
	g_assert_nonnull(why);
	g_assert_cmpint(recv(sv[1], rest, sizeof(rest), MSG_DONTWAIT), ==, 8);
	g_assert_cmpmem(rest, 8, "ABCDEFGH", 8);

	/* max_frame 0 means the protocol's own limit. */
	write_all(sv[0], huge, 4);
	write_all(sv[0], "ABCDEFGH", 8);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, EMSGSIZE);
	g_assert_cmpint(recv(sv[1], rest, sizeof(rest), MSG_DONTWAIT), ==, 8);
	close(sv[0]);
	close(sv[1]);
}

/* max_frame is inclusive. */
static void
test_socket_frame_limit(void)
{
	struct proto_msg *m = sample_msg(), *r;
	const char *why;
	uint8_t *buf;
	size_t len;
	int sv[2];

	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	pair(sv);
	write_all(sv[0], buf, len);
	g_assert_cmpint(proto_recv(sv[1], len - 4, 0, 0, &r, &why), ==, 0);
	assert_msg_equal(m, r);
	proto_msg_free(r);
	write_all(sv[0], buf, len);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], len - 5, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
	g_free(buf);
	proto_msg_free(m);
}

static void
test_socket_eof(void)
{
	static const uint8_t len20[4] = { 0, 0, 0, 20 };
	struct proto_msg *r;
	const char *why;
	int sv[2];

	/* Inside the body. */
	pair(sv);
	write_all(sv[0], len20, 4);
	write_all(sv[0], "\x01\x01\x00\x00\x00", 5);
	shutdown(sv[0], SHUT_WR);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, ECONNRESET);
	g_assert_null(r);
	g_assert_nonnull(why);
	close(sv[0]);
	close(sv[1]);

	/* Inside the length word. */
	pair(sv);
	write_all(sv[0], len20, 2);
	shutdown(sv[0], SHUT_WR);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, ECONNRESET);
	close(sv[0]);
	close(sv[1]);

	/* Between frames. */
	pair(sv);
	close(sv[0]);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, ECONNRESET);
	close(sv[1]);
}

static void
test_socket_malformed(void)
{
	GByteArray *b = body_new(PROTO_VERSION + 1, PROTO_REQUEST, ST_OK, 1,
	    0);
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	struct proto_msg *r;
	const char *why;
	uint8_t word[4];
	int sv[2];

	word[0] = word[1] = word[2] = 0;
	word[3] = b->len;
	pair(sv);
	write_all(sv[0], word, 4);
	write_all(sv[0], b->data, b->len);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, EPROTO);
	g_assert_null(r);
	g_assert_cmpstr(why, ==, "unsupported protocol version");

	/* An empty frame. */
	write_all(sv[0], zero, 4);
	errno = 0;
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &r, &why), ==, -1);
	g_assert_cmpint(errno, ==, EPROTO);
	g_assert_cmpstr(why, ==, "truncated header");
	close(sv[0]);
	close(sv[1]);
	g_byte_array_unref(b);
}

/* A client that went away must cost the broker an error, not SIGPIPE. */
static void
test_socket_send_closed(void)
{
	struct proto_msg *m = sample_msg();
	int sv[2];

	pair(sv);
	close(sv[1]);
	errno = 0;
	g_assert_cmpint(proto_send(sv[0], m), ==, -1);
	g_assert_cmpint(errno, ==, EPIPE);
	close(sv[0]);
	proto_msg_free(m);
}

/* Console bytes, NULs included, survive a DATA message; with a cap on
 * NULs, the rest is left for the next message and nothing is lost. */
static void
test_data_bytes(void)
{
	static const char *cases[] = { "", "abc", "\0", "a\0b", "\0\0x\0",
	    "tail\0" };
	static const size_t lens[] = { 0, 3, 1, 3, 4, 5 };
	char all[256], out[512];
	size_t i, used, off;
	ssize_t n;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct proto_msg *m = proto_data_new(cases[i], lens[i], 100,
		    &used);

		g_assert_cmpint(m->type, ==, PROTO_DATA);
		g_assert_cmpuint(used, ==, lens[i]);
		n = proto_data_join(m, out, sizeof(out));
		g_assert_cmpint(n, ==, (ssize_t)lens[i]);
		g_assert_true(memcmp(out, cases[i], lens[i]) == 0);
		proto_msg_free(m);
	}
	for (i = 0; i < sizeof(all); i++)
		all[i] = i % 3 == 0 ? '\0' : (char)i;
	for (off = 0, n = 0; off < sizeof(all); off += used) {
		struct proto_msg *m = proto_data_new(all + off,
		    sizeof(all) - off, 7, &used);
		ssize_t k;

		g_assert_cmpuint(m->nstr, <=, 8);
		g_assert_cmpuint(used, >, 0);
		k = proto_data_join(m, out + n, sizeof(out) - n);
		g_assert_cmpint(k, ==, (ssize_t)used);
		n += k;
		proto_msg_free(m);
	}
	g_assert_cmpint(n, ==, sizeof(all));
	g_assert_true(memcmp(out, all, sizeof(all)) == 0);
	/* Too small a buffer: refused, not overrun. */
	{
		struct proto_msg *m = proto_data_new("abc\0def", 7, 10, &used);

		g_assert_cmpint(proto_data_join(m, out, 6), ==, -1);
		g_assert_cmpint(proto_data_join(m, out, 7), ==, 7);
		proto_msg_free(m);
	}
}

/* A descriptor sent with a request arrives, open on the same file. */
static void
test_fd_passed(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_REQUEST, 0, 1), *got;
	const char *why;
	struct stat a, b;
	int sv[2], fd = open("/dev/null", O_RDONLY), passfd;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	proto_msg_add(m, "define");
	g_assert_cmpint(proto_send_fd(sv[0], m, fd), ==, 0);
	g_assert_cmpint(proto_recv_fd(sv[1], 0, 0, 0, &got, &why, &passfd), ==,
	    0);
	g_assert_cmpint(passfd, >=, 0);
	g_assert_cmpint(fstat(fd, &a), ==, 0);
	g_assert_cmpint(fstat(passfd, &b), ==, 0);
	g_assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	g_assert_cmpint(fcntl(passfd, F_GETFD) & FD_CLOEXEC, !=, 0);
	g_assert_cmpstr(got->str[0], ==, "define");
	/* Without one, none comes. */
	g_assert_cmpint(proto_send(sv[0], m), ==, 0);
	proto_msg_free(got);
	close(passfd);
	g_assert_cmpint(proto_recv_fd(sv[1], 0, 0, 0, &got, &why, &passfd), ==,
	    0);
	g_assert_cmpint(passfd, ==, -1);
	proto_msg_free(got);
	proto_msg_free(m);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* A reader that takes no descriptor refuses a message that has one. */
static void
test_fd_unasked(void)
{
	struct proto_msg *m = proto_msg_new(PROTO_RESPONSE, 0, 1), *got;
	const char *why;
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	proto_msg_add(m, "x");
	g_assert_cmpint(proto_send_fd(sv[0], m, 0), ==, 0);
	g_assert_cmpint(proto_recv(sv[1], 0, 0, 0, &got, &why), ==, -1);
	g_assert_null(got);
	g_assert_cmpstr(why, ==, "unexpected file descriptor");
	proto_msg_free(m);
	close(sv[0]);
	close(sv[1]);
}

/* Two descriptors on one message: a protocol error, both closed. */
static void
test_fd_two(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct proto_msg *m = proto_msg_new(PROTO_REQUEST, 0, 1), *got;
	struct msghdr msg = { 0 };
	struct iovec iov;
	struct cmsghdr *c;
	const char *why;
	int sv[2], fds[2] = { 0, 1 }, passfd;
	uint8_t *buf;
	size_t len;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	proto_msg_add(m, "define");
	g_assert_cmpint(proto_encode(m, &buf, &len), ==, 0);
	iov = (struct iovec){ buf, len };
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	g_assert_cmpint(sendmsg(sv[0], &msg, 0), ==, (ssize_t)len);
	g_assert_cmpint(proto_recv_fd(sv[1], 0, 0, 0, &got, &why, &passfd), ==,
	    -1);
	g_assert_cmpint(passfd, ==, -1);
	g_assert_null(got);
	g_free(buf);
	proto_msg_free(m);
	close(sv[0]);
	close(sv[1]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/proto/roundtrip/basic", test_roundtrip_basic);
	g_test_add_func("/proto/roundtrip/types", test_roundtrip_types);
	g_test_add_func("/proto/roundtrip/empty", test_roundtrip_empty);
	g_test_add_func("/proto/roundtrip/many", test_roundtrip_many);
	g_test_add_func("/proto/roundtrip/bytes", test_roundtrip_bytes);
	g_test_add_func("/proto/msg/add-limit", test_msg_add_limit);
	g_test_add_func("/proto/encode/layout", test_encode_layout);
	g_test_add_func("/proto/encode/too-large", test_encode_too_large);
	g_test_add_func("/proto/decode/truncated-header",
	    test_decode_truncated_header);
	g_test_add_func("/proto/decode/every-truncation",
	    test_decode_every_truncation);
	g_test_add_func("/proto/decode/version", test_decode_version);
	g_test_add_func("/proto/decode/type", test_decode_type);
	g_test_add_func("/proto/fd/passed", test_fd_passed);
	g_test_add_func("/proto/fd/unasked", test_fd_unasked);
	g_test_add_func("/proto/fd/two", test_fd_two);
	g_test_add_func("/proto/decode/status", test_decode_status);
	g_test_add_func("/proto/decode/pad", test_decode_pad);
	g_test_add_func("/proto/decode/nstr-too-large",
	    test_decode_nstr_too_large);
	g_test_add_func("/proto/decode/string-past-end",
	    test_decode_string_past_end);
	g_test_add_func("/proto/decode/nul", test_decode_nul);
	g_test_add_func("/proto/decode/trailing", test_decode_trailing);
	g_test_add_func("/proto/decode/limits", test_decode_limits);
	g_test_add_func("/proto/decode/garbage", test_decode_garbage);
	g_test_add_func("/proto/decode/bitflips", test_decode_bitflips);
	g_test_add_func("/proto/socket/roundtrip", test_socket_roundtrip);
	g_test_add_func("/proto/socket/large", test_socket_large);
	g_test_add_func("/proto/socket/oversize", test_socket_oversize);
	g_test_add_func("/proto/socket/frame-limit", test_socket_frame_limit);
	g_test_add_func("/proto/socket/eof", test_socket_eof);
	g_test_add_func("/proto/socket/malformed", test_socket_malformed);
	g_test_add_func("/proto/socket/send-closed", test_socket_send_closed);
	g_test_add_func("/proto/data/bytes", test_data_bytes);
	return g_test_run();
}

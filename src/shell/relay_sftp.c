/* SFTP version 3 through the relay.  Packets are length-prefixed; those
 * that can fill the area are read before they pass: OPEN with O_CREAT
 * and MKDIR make an entry, WRITE adds its bytes.  One that would pass the
 * quota is answered here with SSH_FX_FAILURE and never reaches
 * sftp-server; a file that lost a write that way, and was made or
 * truncated by this session, is removed when the client closes it, so no
 * half upload is left behind.  The answers are read only to learn the
 * handles of opened files and which writes have been done. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>

#include "i18n.h"
#include "relay.h"
#include "sanitize.h"

#define FXP_OPEN	3
#define FXP_CLOSE	4
#define FXP_WRITE	6
#define FXP_MKDIR	14
#define FXP_STATUS	101
#define FXP_HANDLE	102
#define FXF_WRITE	0x02
#define FXF_CREAT	0x08
#define FXF_TRUNC	0x10
#define FX_FAILURE	4

/* sftp-server's own bound on a packet (SFTP_MAX_MSG_LENGTH). */
#define MAX_REQUEST	(256 * 1024)
/* Answers carry at most a read's data and a little more. */
#define MAX_ANSWER	(512 * 1024)

struct file {
	char *name;		/* relative to the area; NULL if outside */
	bool made;		/* created or truncated by this session */
	bool refused;		/* a write to it was refused */
	dev_t dev;
	ino_t ino;
};

struct sftp {
	GHashTable *opens;	/* request id -> struct file: OPEN sent */
	GHashTable *files;	/* handle (GBytes) -> struct file */
	GHashTable *writes;	/* request id -> bytes of a WRITE sent */
	long long inflight;	/* their sum */
	bool told;		/* a refusal without a known file was told */
};

struct cursor {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static uint32_t
get32(struct cursor *c)
{
	uint32_t v;

	if (c->n < 4) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, 4);
	v = GUINT32_FROM_BE(v);
	c->p += 4;
	c->n -= 4;
	return v;
}

static const uint8_t *
get_string(struct cursor *c, size_t *len)
{
	const uint8_t *s;

	*len = get32(c);
	if (c->bad || *len > c->n) {
		c->bad = true;
		return NULL;
	}
	s = c->p;
	c->p += *len;
	c->n -= *len;
	return s;
}

/* A path: no NUL inside (sftp-server refuses those as well). */
static char *
get_path(struct cursor *c)
{
	size_t len;
	const uint8_t *s = get_string(c, &len);

	if (s == NULL || memchr(s, '\0', len) != NULL) {
		c->bad = true;
		return NULL;
	}
	return g_strndup((const char *)s, len);
}

static void
append32(GByteArray *b, uint32_t v)
{
	v = GUINT32_TO_BE(v);
	g_byte_array_append(b, (const uint8_t *)&v, 4);
}

/* SSH_FXP_STATUS id FAILURE msg "" into the user's queue. */
static void
answer_failure(struct relay *r, uint32_t id, const char *msg)
{
	GByteArray *b = g_byte_array_new();
	uint8_t type = FXP_STATUS;
	uint32_t len;

	append32(b, 0);			/* the length, set below */
	g_byte_array_append(b, &type, 1);
	append32(b, id);
	append32(b, FX_FAILURE);
	append32(b, strlen(msg));
	g_byte_array_append(b, (const uint8_t *)msg, strlen(msg));
	append32(b, 0);			/* no language tag */
	len = GUINT32_TO_BE(b->len - 4);
	memcpy(b->data, &len, 4);
	rbuf_put(&r->to_user, b->data, b->len);
	g_byte_array_unref(b);
}

static void
file_free(void *p)
{
	struct file *f = p;

	if (f != NULL)
		g_free(f->name);
	g_free(f);
}

void *
relay_sftp_new(void)
{
	struct sftp *s = g_new0(struct sftp, 1);

	s->opens = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	    file_free);
	s->files = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
	    (GDestroyNotify)g_bytes_unref, file_free);
	s->writes = g_hash_table_new(g_direct_hash, g_direct_equal);
	return s;
}

static void
sftp_free(void *p)
{
	struct sftp *s = p;

	g_hash_table_destroy(s->opens);
	g_hash_table_destroy(s->files);
	g_hash_table_destroy(s->writes);
	g_free(s);
}

static bool
exists(const struct relay *r, const char *name)
{
	struct stat st;

	return name != NULL &&
	    fstatat(r->budget->areafd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* An entry more: refused (answered) if the file quota is full. */
static bool
entry_refused(struct relay *r, uint32_t id)
{
	char *msg;

	if (budget_entry(r->budget))
		return false;
	msg = budget_refusal_new(r->budget, true);
	relay_tell(r, msg);
	answer_failure(r, id, msg);
	g_free(msg);
	return true;
}

enum verdict { PASS, ANSWERED, HOLD, BAD = -1 };

static enum verdict
on_open(struct relay *r, struct cursor *c, uint32_t id)
{
	struct sftp *s = r->state;
	char *path = get_path(c);
	uint32_t flags = get32(c);
	const char *name;
	struct file *f;
	bool there;

	if (c->bad) {
		g_free(path);
		return BAD;
	}
	name = relay_area_name(r->area, path);
	there = exists(r, name);
	if ((flags & FXF_CREAT) && !there && entry_refused(r, id)) {
		g_free(path);
		return ANSWERED;
	}
	if (flags & FXF_WRITE) {
		f = g_new0(struct file, 1);
		f->name = g_strdup(name);
		f->made = !there || (flags & FXF_TRUNC);
		g_hash_table_replace(s->opens, GUINT_TO_POINTER(id), f);
	}
	g_free(path);
	return PASS;
}

static enum verdict
on_mkdir(struct relay *r, struct cursor *c, uint32_t id)
{
	char *path = get_path(c);
	bool there;

	if (c->bad) {
		g_free(path);
		return BAD;
	}
	there = exists(r, relay_area_name(r->area, path));
	g_free(path);
	return !there && entry_refused(r, id) ? ANSWERED : PASS;
}

static void
refuse_write(struct relay *r, struct file *f, uint32_t id)
{
	struct sftp *s = r->state;
	char *msg = budget_refusal_new(r->budget, false);

	if (f != NULL ? !f->refused : !s->told) {
		char *name = f && f->name ? sanitize_new(f->name, false, 256) :
		    NULL;
		char *line = name ? g_strdup_printf("%s: %s", name, msg) :
		    g_strdup(msg);

		relay_tell(r, line);
		g_free(line);
		g_free(name);
	}
	if (f != NULL)
		f->refused = true;
	else
		s->told = true;
	answer_failure(r, id, msg);
	g_free(msg);
}

static enum verdict
on_write(struct relay *r, struct cursor *c, uint32_t id)
{
	struct sftp *s = r->state;
	const uint8_t *h;
	size_t hlen, dlen;
	GBytes *key;
	struct file *f;
	gpointer old;

	h = get_string(c, &hlen);
	get32(c);
	get32(c);		/* the offset: a write counts in full */
	if (get_string(c, &dlen) == NULL || c->bad)
		return BAD;
	switch (budget_bytes(r->budget, dlen, s->inflight)) {
	case BUDGET_WAIT:
		return HOLD;
	case BUDGET_REFUSED:
		key = g_bytes_new(h, hlen);
		f = g_hash_table_lookup(s->files, key);
		g_bytes_unref(key);
		refuse_write(r, f, id);
		return ANSWERED;
	case BUDGET_OK:
		break;
	}
	/* A client that reuses an id in flight still gets every byte
	 * counted back when its answers come. */
	old = g_hash_table_lookup(s->writes, GUINT_TO_POINTER(id));
	g_hash_table_replace(s->writes, GUINT_TO_POINTER(id),
	    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + dlen));
	s->inflight += dlen;
	return PASS;
}

/* Removes a file this session made whose upload the quota cut short,
 * if it is still the file that was opened. */
static void
remove_cut(struct relay *r, const struct file *f)
{
	struct stat st;
	char *name, *line;

	if (!f->refused || !f->made || f->name == NULL ||
	    fstatat(r->budget->areafd, f->name, &st,
	    AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != f->dev ||
	    st.st_ino != f->ino || !S_ISREG(st.st_mode))
		return;
	if (unlinkat(r->budget->areafd, f->name, 0) < 0)
		return;
	name = sanitize_new(f->name, false, 256);
	line = g_strdup_printf(_("%s: the incomplete upload was removed"),
	    name);
	relay_tell(r, line);
	g_free(line);
	g_free(name);
}

static enum verdict
on_close(struct relay *r, struct cursor *c)
{
	struct sftp *s = r->state;
	const uint8_t *h;
	size_t hlen;
	GBytes *key;
	struct file *f;

	if ((h = get_string(c, &hlen)) == NULL)
		return BAD;
	key = g_bytes_new(h, hlen);
	if ((f = g_hash_table_lookup(s->files, key)) != NULL) {
		remove_cut(r, f);
		g_hash_table_remove(s->files, key);
	}
	g_bytes_unref(key);
	return PASS;
}

static enum verdict
request(struct relay *r, const uint8_t *p, size_t len)
{
	struct cursor c = { p + 1, len - 1, false };
	uint32_t id;

	switch (p[0]) {
	case FXP_OPEN:
	case FXP_MKDIR:
	case FXP_WRITE:
	case FXP_CLOSE:
		break;
	default:
		return PASS;
	}
	id = get32(&c);
	if (c.bad)
		return BAD;
	switch (p[0]) {
	case FXP_OPEN:
		return on_open(r, &c, id);
	case FXP_MKDIR:
		return on_mkdir(r, &c, id);
	case FXP_WRITE:
		return on_write(r, &c, id);
	default:
		return on_close(r, &c);
	}
}

static uint32_t
length_at(const struct rbuf *q)
{
	uint32_t v;

	memcpy(&v, rbuf_data(q), 4);
	return GUINT32_FROM_BE(v);
}

static int
sftp_up(struct relay *r)
{
	r->in_ready = false;
	while (!r->hold && r->in.len >= 4) {
		uint32_t len = length_at(&r->in);
		enum verdict v;

		if (len < 1 || len > MAX_REQUEST)
			return -1;
		if (r->in.len < 4 + (size_t)len)
			break;
		if (rbuf_space(&r->to_prog) < 4 + (size_t)len ||
		    rbuf_space(&r->to_user) == 0) {
			r->in_ready = true;
			break;
		}
		switch ((v = request(r, rbuf_data(&r->in) + 4, len))) {
		case BAD:
			return -1;
		case HOLD:
			r->hold = r->in_ready = true;
			break;
		case PASS:
			rbuf_move(&r->to_prog, &r->in, 4 + len);
			break;
		case ANSWERED:
			rbuf_drop(&r->in, 4 + len);
			break;
		}
	}
	return 0;
}

static void
answer(struct relay *r, const uint8_t *p, size_t len)
{
	struct sftp *s = r->state;
	struct cursor c = { p + 1, len - 1, false };
	uint32_t id = get32(&c);
	gpointer k = GUINT_TO_POINTER(id), n;
	const uint8_t *h;
	struct file *f;
	struct stat st;
	size_t hlen;

	if (c.bad)
		return;
	if (p[0] == FXP_STATUS) {
		if (g_hash_table_lookup_extended(s->writes, k, NULL, &n)) {
			s->inflight -= GPOINTER_TO_SIZE(n);
			g_hash_table_remove(s->writes, k);
			if (s->inflight == 0)
				r->hold = false;
		}
		g_hash_table_remove(s->opens, k);
	} else if (p[0] == FXP_HANDLE &&
	    g_hash_table_steal_extended(s->opens, k, NULL, (gpointer *)&f)) {
		if ((h = get_string(&c, &hlen)) == NULL) {
			file_free(f);
			return;
		}
		if (f->name != NULL && fstatat(r->budget->areafd, f->name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			f->dev = st.st_dev;
			f->ino = st.st_ino;
		} else
			f->made = false;	/* nothing we could remove */
		g_hash_table_replace(s->files, g_bytes_new(h, hlen), f);
	}
}

static int
sftp_down(struct relay *r)
{
	while (r->from_prog.len >= 4 && rbuf_space(&r->to_user) > 0) {
		uint32_t len = length_at(&r->from_prog);

		if (len < 1 || len > MAX_ANSWER)
			return -1;
		if (r->from_prog.len < 4 + (size_t)len)
			break;
		answer(r, rbuf_data(&r->from_prog) + 4, len);
		rbuf_move(&r->to_user, &r->from_prog, 4 + len);
	}
	return 0;
}

const struct relay_proto relay_sftp = { sftp_up, sftp_down, sftp_free };

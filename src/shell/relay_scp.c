/* scp's legacy protocol (scp -O) through the relay, sink side.  The
 * client announces each file ("C0644 SIZE NAME") and directory ("D...")
 * and waits for the sink's answer before sending more, so a file that
 * would pass the quota is refused before a byte of it is written: the
 * relay answers "\1scp: NAME: why" itself, which the client prints before
 * it goes on with the next file.  The data that follows an accepted
 * announcement passes untouched. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "relay.h"
#include "sanitize.h"

/* scp's sink reads a line into 2048 bytes. */
#define LINE_MAX_LEN 4096

struct scp {
	GPtrArray *dirs;	/* where the next file goes: the target, then
				 * the directories "D" opened */
	bool dir;		/* is the last of them a directory? */
	unsigned long long data; /* bytes of an accepted file to pass */
};

void *
relay_scp_new(const char *target, bool is_dir)
{
	struct scp *s = g_new0(struct scp, 1);

	s->dir = is_dir;
	s->dirs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(s->dirs, g_strdup(target));
	return s;
}

static void
scp_free(void *p)
{
	struct scp *s = p;

	g_ptr_array_free(s->dirs, TRUE);
	g_free(s);
}

/* Where the sink puts an entry called name (the sink's own rule). */
static char *
place_new(const struct scp *s, const char *name)
{
	const char *cur = g_ptr_array_index(s->dirs, s->dirs->len - 1);

	return s->dir ? g_build_filename(cur, name, NULL) : g_strdup(cur);
}

/* What the sink would replace there: the bytes it allocates now. */
static long long
existing(const struct relay *r, const char *path, bool *there)
{
	const char *name = relay_area_name(r->area, path);
	struct stat st;

	*there = name != NULL && fstatat(r->budget->areafd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0;
	return *there && S_ISREG(st.st_mode) ? (long long)st.st_blocks * 512 :
	    0;
}

static void
refuse(struct relay *r, const char *name, bool files)
{
	char *msg = budget_refusal_new(r->budget, files);
	char *clean = sanitize_new(name, false, 256);
	char *line = g_strdup_printf("\001scp: %s: %s\n", clean, msg);

	/* The client prints it; the audit gets it too. */
	if (r->refusal == NULL)
		r->refusal = g_strdup_printf("%s: %s", clean, msg);
	rbuf_put(&r->to_user, line, strlen(line));
	g_free(line);
	g_free(clean);
	g_free(msg);
}

/* "C0644 SIZE NAME" or "D0755 0 NAME": the size and the name.  Anything
 * else passes to scp, which judges it. */
static bool
announcement(const char *line, unsigned long long *size, const char **name)
{
	const char *p = line + 1;
	char *end;

	while (*p >= '0' && *p <= '7')
		p++;
	if (p == line + 1 || *p++ != ' ' || !g_ascii_isdigit(*p))
		return false;
	*size = g_ascii_strtoull(p, &end, 10);
	if (*end != ' ' || end[1] == '\0')
		return false;
	*name = end + 1;
	return true;
}

/* Returns true if the line may pass. */
static bool
on_line(struct relay *r, char *line)
{
	struct scp *s = r->state;
	unsigned long long size;
	const char *name;
	char *path;
	long long have;
	bool there, pass = true;

	if (line[0] == 'E' && s->dirs->len > 1) {
		g_ptr_array_remove_index(s->dirs, s->dirs->len - 1);
		s->dir = true;
	}
	if ((line[0] != 'C' && line[0] != 'D') ||
	    !announcement(line, &size, &name))
		return true;
	path = place_new(s, name);
	have = existing(r, path, &there);
	if (!there && !budget_entry(r->budget)) {
		refuse(r, name, true);
		pass = false;
	} else if (line[0] == 'C' && budget_bytes(r->budget,
	    MAX((long long)size - have, 0), 0) != BUDGET_OK) {
		refuse(r, name, false);
		pass = false;
	}
	if (pass && line[0] == 'C')
		s->data = size;
	else if (pass) {
		g_ptr_array_add(s->dirs, path);
		s->dir = true;
		path = NULL;
	}
	g_free(path);
	return pass;
}

static int
scp_up(struct relay *r)
{
	struct scp *s = r->state;

	r->in_ready = false;
	while (r->in.len > 0) {
		const uint8_t *p = rbuf_data(&r->in), *nl;
		size_t n;
		char *line;
		bool pass;

		if ((n = MIN(r->in.len, rbuf_space(&r->to_prog))) == 0) {
			r->in_ready = true;
			break;
		}
		if (s->data > 0 || p[0] == '\0') {
			/* File data, or the client's "done" after it. */
			if (s->data > 0)
				n = MIN(n, s->data);
			else
				n = 1;
			s->data -= s->data > 0 ? n : 0;
			rbuf_move(&r->to_prog, &r->in, n);
			continue;
		}
		nl = memchr(p, '\n', MIN(r->in.len, LINE_MAX_LEN));
		if (nl == NULL)
			return r->in.len >= LINE_MAX_LEN ? -1 : 0;
		n = nl - p + 1;
		if (rbuf_space(&r->to_prog) < n) {
			r->in_ready = true;
			break;
		}
		line = g_strndup((const char *)p, n - 1);
		pass = memchr(p, '\0', n) != NULL || on_line(r, line);
		g_free(line);
		if (pass)
			rbuf_move(&r->to_prog, &r->in, n);
		else
			rbuf_drop(&r->in, n);
	}
	return 0;
}

static int
scp_down(struct relay *r)
{
	size_t n = MIN(r->from_prog.len, rbuf_space(&r->to_user));

	if (n > 0)
		rbuf_move(&r->to_user, &r->from_prog, n);
	return 0;
}

const struct relay_proto relay_scp = { scp_up, scp_down, scp_free };

/* console NAME: the terminal attached to a VM's serial console, through the
 * broker.  Raw while attached, so Ctrl-C and the like reach the guest;
 * Ctrl-] leaves and the terminal is restored on every way out. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <glib.h>

#include "commands.h"
#include "console.h"
#include "i18n.h"
#include "proto.h"
#include "sanitize.h"

#define ESCAPE 0x1d		/* Ctrl-] */
#define IN_CHUNK 1024
#define IN_MAX_NUL (PROTO_MAX_REQ_STRINGS - 1)

struct term {
	bool raw;
	struct termios saved;
};

static void
term_raw(struct term *t, const char *vm)
{
	struct winsize ws;
	struct termios raw;

	fprintf(stderr, _("connected to %s; Ctrl-] leaves"), vm);
	if (strchr(vm, '/') != NULL)
		fprintf(stderr, "%s", _(" (another user's VM: its control "
		    "characters are shown escaped)"));
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		/* A serial line carries no window size. */
		fprintf(stderr, _(" (in the guest, 'stty rows %u cols %u' "
		    "fits this terminal)"), ws.ws_row, ws.ws_col);
	fputs("\r\n", stderr);
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
		t->raw = true;
}

static void
term_restore(struct term *t)
{
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->saved);
	t->raw = false;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static int
send_bytes(int fd, const char *buf, size_t len)
{
	size_t off = 0, used;
	int r = 0;

	while (r == 0 && off < len) {
		struct proto_msg *m = proto_data_new(buf + off, len - off,
		    IN_MAX_NUL, &used);

		r = proto_send(fd, m);
		proto_msg_free(m);
		off += used;
	}
	return r;
}

/* Keyboard to guest.  Returns 1 to go on, 0 once the student has left
 * (Ctrl-], or the end of input), -1 if the broker is gone. */
static int
from_keyboard(int sock)
{
	struct proto_msg *detach;
	char buf[IN_CHUNK], *esc;
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	int r;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	esc = n > 0 ? memchr(buf, ESCAPE, n) : NULL;
	if (send_bytes(sock, buf, esc ? (size_t)(esc - buf) : (size_t)n) < 0)
		return -1;
	if (n > 0 && esc == NULL)
		return 1;
	detach = proto_msg_new(PROTO_DETACH, 0, 1);
	r = proto_send(sock, detach);
	proto_msg_free(detach);
	return r < 0 ? -1 : 0;
}

/* Another user's guest (an admin attached as USER/NAME) must not reach
 * the admin's terminal with its escape sequences: each piece escaped, its
 * line ends made CR LF for the raw terminal. */
static int
write_escaped(const struct proto_msg *m)
{
	uint32_t i;
	int r = 0;

	for (i = 0; i < m->nstr && r == 0; i++) {
		char **lines = g_strsplit(m->str[i], "\n", -1), *clean;
		guint j;

		for (j = 0; lines[j] != NULL && r == 0; j++) {
			char *src, *dst;

			for (src = dst = lines[j]; *src != '\0'; src++)
				if (*src != '\r')	/* line ends are ours */
					*dst++ = *src;
			*dst = '\0';
			clean = sanitize_new(lines[j], false, 0);
			r = write_all(STDOUT_FILENO, clean, strlen(clean));
			if (r == 0 && lines[j + 1] != NULL)
				r = write_all(STDOUT_FILENO, "\r\n", 2);
			g_free(clean);
		}
		g_strfreev(lines);
	}
	return r;
}

/* Guest to screen, as it is when it is the student's own VM.  Returns 1
 * to go on, 0 with *end at the broker's final answer, -1 if the broker is
 * gone. */
static int
from_broker(int sock, bool escape, struct proto_msg **end)
{
	struct proto_msg *m = NULL;
	const char *why;
	char *buf;
	ssize_t len;
	int r = -1;

	if (proto_recv(sock, 0, 0, 0, &m, &why) < 0)
		return -1;
	if (m->type == PROTO_RESPONSE) {
		*end = m;
		return 0;
	}
	if (m->type == PROTO_DATA && escape)
		r = write_escaped(m) == 0 ? 1 : -1;
	else if (m->type == PROTO_DATA) {
		buf = g_malloc(PROTO_MAX_FRAME);
		if ((len = proto_data_join(m, buf, PROTO_MAX_FRAME)) >= 0 &&
		    write_all(STDOUT_FILENO, buf, len) == 0)
			r = 1;
		g_free(buf);
	}
	proto_msg_free(m);
	return r;
}

/* Relays until the broker's answer.  Input ended or left: keep reading the
 * broker, which answers the detach. */
static struct proto_msg *
relay(int sock, bool escape)
{
	struct proto_msg *end = NULL;
	bool typing = true;
	int r = 1;

	while (r != -1 && end == NULL) {
		struct pollfd p[2] = {
			{ sock, POLLIN, 0 },
			{ typing ? STDIN_FILENO : -1, POLLIN, 0 },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			r = from_broker(sock, escape, &end);
		/* Both each round: a flood from the guest must not hide
		 * the student's Ctrl-]. */
		if (r == 1 && end == NULL && p[1].revents &&
		    (r = from_keyboard(sock)) == 0) {
			typing = false;
			r = 1;
		}
	}
	return end;
}

int
console_attach(struct shell *sh, const char *vm, int argc, char **argv,
    struct proto_msg **resp)
{
	struct proto_msg *first = NULL;
	struct term t = { false };
	const char *why = NULL;
	char *err = NULL;

	*resp = NULL;
	if (session_send(&sh->sess, argv, argc, -1, &err) < 0) {
		shell_error("%s", err);
		g_free(err);
		return ST_FAILED;
	}
	if (proto_recv(sh->sess.fd, 0, 0, 0, &first, &why) < 0 ||
	    (first->type != PROTO_RESPONSE && first->type != PROTO_DATA)) {
		proto_msg_free(first);
		session_close(&sh->sess);
		shell_error(_("lost the VM service; try again"));
		return ST_FAILED;
	}
	if (first->type == PROTO_RESPONSE) {
		*resp = first;		/* refused: not running, not yours */
		return ST_OK;
	}
	proto_msg_free(first);
	term_raw(&t, vm);
	*resp = relay(sh->sess.fd, strchr(vm, '/') != NULL);
	term_restore(&t);
	fputs("\n", stderr);
	if (*resp == NULL) {
		session_close(&sh->sess);
		shell_error(_("lost the VM service while attached to the "
		    "console"));
		return ST_FAILED;
	}
	return ST_OK;
}

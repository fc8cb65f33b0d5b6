/* Broker connection of the shell.  Identity is not sent: the broker learns
 * it from the kernel (SO_PEERCRED). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>

#include "client.h"
#include "i18n.h"

/* How long to wait for a broker that is (re)starting. */
#define CONNECT_WAIT_MS 5000
#define CONNECT_STEP_MS 100
/* A refused word is recorded only up to this length. */
#define NOTE_WORD_MAX 256

static bool session_alive(const struct session *s);

void
session_init(struct session *s, const char *socket_path)
{
	memset(s, 0, sizeof(*s));
	s->socket_path = g_strdup(socket_path);
	s->fd = -1;
}

void
session_close(struct session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	g_free(s->user);
	s->user = NULL;
}

static int
connect_once(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The shell speaks first: the locale its messages are in, so that the
 * broker's (the greeting's refusal included) come in the same language.
 * Then the broker's greeting: who we are, or why not. */
static int
hello(struct session *s, char **err)
{
	struct proto_msg *m = proto_msg_new(PROTO_HELLO, ST_OK, 1);
	const char *why;
	int r, e;

	proto_msg_add(m, i18n_messages_locale());
	/* A broker that refuses at once (busy) may have closed before the
	 * hello arrived: its answer is still there to read. */
	r = proto_send(s->fd, m);
	e = errno;
	proto_msg_free(m);
	m = NULL;
	if (proto_recv(s->fd, 0, 16, 4096, &m, &why) < 0) {
		*err = g_strdup_printf(_("the VM service closed the connection: "
		    "%s"), r < 0 ? g_strerror(e) : why);
		return -1;
	}
	if (m->type != PROTO_HELLO || m->nstr < 1) {
		*err = g_strdup(_("the VM service sent an unexpected greeting"));
		proto_msg_free(m);
		return -1;
	}
	if (m->status != ST_OK && m->nstr == 2 &&
	    strcmp(m->str[1], "busy") == 0) {
		/* Refused before the broker could read our locale. */
		*err = g_strdup(_("the VM service is busy (too many sessions); "
		    "try again in a minute"));
		proto_msg_free(m);
		return -1;
	}
	if (m->status != ST_OK || m->nstr < 3) {
		/* Refused (not allowed): say why, as the broker put it. */
		*err = g_strdup(m->str[0]);
		proto_msg_free(m);
		return -1;
	}
	g_free(s->user);
	s->user = g_strdup(m->str[1]);
	s->admin = strcmp(m->str[2], "admin") == 0;
	proto_msg_free(m);
	return 0;
}

static int
session_connect(struct session *s, int wait_ms, char **err)
{
	struct timespec step = { 0, CONNECT_STEP_MS * 1000000L };
	int waited = 0;

	*err = NULL;
	session_close(s);
	for (;;) {
		s->fd = connect_once(s->socket_path);
		if (s->fd >= 0)
			break;
		if ((errno != ECONNREFUSED && errno != ENOENT) ||
		    waited >= wait_ms) {
			*err = g_strdup_printf(_("cannot reach the VM service "
			    "at %s: %s; try again in a minute, or tell the "
			    "admin"), s->socket_path, g_strerror(errno));
			return -1;
		}
		nanosleep(&step, NULL);
		waited += CONNECT_STEP_MS;
	}
	if (hello(s, err) < 0) {
		session_close(s);
		return -1;
	}
	return 0;
}

int
session_open(struct session *s, char **err)
{
	return session_connect(s, CONNECT_WAIT_MS, err);
}

void
session_note(struct session *s, const char *reason, char **words, int n)
{
	struct proto_msg *m;
	char *err = NULL;
	int i;

	if (!session_alive(s) && session_connect(s, 0, &err) < 0) {
		g_free(err);
		return;		/* best effort: the user was told already */
	}
	m = proto_msg_new(PROTO_NOTE, 0, 1);
	proto_msg_add(m, reason);
	for (i = 0; i < n && i < PROTO_MAX_REQ_STRINGS - 1; i++) {
		char *w = g_strndup(words[i], NOTE_WORD_MAX);

		proto_msg_add(m, w);
		g_free(w);
	}
	if (proto_send(s->fd, m) < 0)
		session_close(s);
	proto_msg_free(m);
}

/* Between requests the broker never writes, so a readable socket means it
 * has gone (restarted): reconnect before sending anything. */
static bool
session_alive(const struct session *s)
{
	struct pollfd p = { s->fd, POLLIN, 0 };

	if (s->fd < 0)
		return false;
	return poll(&p, 1, 0) == 0;
}

int
session_ensure(struct session *s, char **err)
{
	*err = NULL;
	if (session_alive(s))
		return 0;
	return session_open(s, err);
}

int
session_request(struct session *s, char **argv, int argc,
    struct proto_msg **resp, char **err)
{
	return session_request_fd(s, argv, argc, -1, NULL, resp, err);
}

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Waits for the next frame.  Ctrl-C (SIGINT, without SA_RESTART) ends the
 * wait, and so does the loss of whoever reads our output: when ssh dies,
 * sshd closes a session's pipes but signals nothing unless there is a
 * terminal.  Asked for no event, stdout shows only an error (a pipe
 * without reader), a hangup (a terminal or socket) or a bad descriptor.
 * stdin is not watched: at its end from the start is ordinary (ssh -n,
 * scripts), and an ended stdin would wake poll without end. */
static int
wait_frame(int fd, bool *gone)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { STDOUT_FILENO, 0, 0 } };

	while (poll(p, 2, -1) < 0)
		if (errno != EINTR || interrupted)
			return -1;
	if (p[1].revents != 0) {
		*gone = true;
		return -1;
	}
	return 0;
}

static int
receive(struct session *s, void (*progress)(const struct proto_msg *m),
    struct proto_msg **resp, char **err)
{
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	const char *why = NULL;

	interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	for (;;) {
		if (wait_frame(s->fd, &s->orphaned) < 0) {
			why = "poll failed";
			break;
		}
		if (proto_recv(s->fd, 0, 0, 0, resp, &why) < 0)
			break;
		if ((*resp)->type == PROTO_RESPONSE) {
			why = NULL;
			break;
		}
		if ((*resp)->type != PROTO_PROGRESS) {
			why = "unexpected message";
			break;
		}
		if (progress != NULL)
			progress(*resp);
		proto_msg_free(*resp);
		*resp = NULL;
	}
	sigaction(SIGINT, &old, NULL);
	if (why == NULL)
		return 0;
	proto_msg_free(*resp);
	*resp = NULL;
	if (s->orphaned)
		*err = g_strdup(_("cancelled: the output was closed; run "
		    "'list' to see what happened"));
	else if (interrupted)
		*err = g_strdup(_("cancelled; run 'list' to see what happened"));
	else
		*err = g_strdup_printf(_("lost the VM service during the "
		    "request (%s); run 'list' to see what happened"), why);
	session_close(s);
	return -1;
}

int
session_send(struct session *s, char **argv, int argc, int passfd,
    char **err)
{
	struct proto_msg *req;
	int i, r;

	*err = NULL;
	if (!session_alive(s) && session_open(s, err) < 0)
		return -1;
	req = proto_msg_new(PROTO_REQUEST, 0, 1);
	for (i = 0; i < argc; i++)
		proto_msg_add(req, argv[i]);
	r = proto_send_fd(s->fd, req, passfd);
	proto_msg_free(req);
	if (r < 0) {
		*err = g_strdup_printf(_("cannot send the request: %s"),
		    g_strerror(errno));
		session_close(s);
		return -1;
	}
	return 0;
}

int
session_request_fd(struct session *s, char **argv, int argc, int passfd,
    void (*progress)(const struct proto_msg *m), struct proto_msg **resp,
    char **err)
{
	*resp = NULL;
	if (session_send(s, argv, argc, passfd, err) < 0)
		return -1;
	return receive(s, progress, resp, err);
}

int
session_budget(struct session *s, struct proto_msg **resp, char **err)
{
	struct proto_msg *req = proto_msg_new(PROTO_BUDGET, 0, 1);
	int r;

	*resp = NULL;
	if (session_ensure(s, err) < 0) {
		proto_msg_free(req);
		return -1;
	}
	r = proto_send(s->fd, req);
	proto_msg_free(req);
	if (r < 0) {
		*err = g_strdup_printf(_("cannot send the request: %s"),
		    g_strerror(errno));
		session_close(s);
		return -1;
	}
	return receive(s, NULL, resp, err);
}

/* Socket server: accepts clients, learns who they are from SO_PEERCRED,
 * and serves each on its own thread so that a slow libvirt call for one
 * student never delays another. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <glib.h>

#include "conf.h"
#include "i18n.h"
#include "log.h"
#include "ops.h"
#include "pamacct.h"
#include "policy.h"
#include "proto.h"
#include "server.h"
#include "storage.h"
#include "users.h"

/* A client that has started a message must finish it this quickly. */
#define MSG_TIMEOUT_SEC 10
/* The shell's hello: one locale name. */
#define HELLO_MAX 64

/* The locale a client's thread answers in: the messages of the locale the
 * shell named (C, English, if it names none or one not installed here),
 * text in UTF-8 whatever its codeset, everything else C (numbers in
 * messages do not follow the broker's environment).  A name is checked
 * before use: newlocale() takes one with '/' as a path. */
static locale_t
client_locale_new(const char *name)
{
	locale_t msgs = (locale_t)0, loc;

	if (name != NULL && locale_valid(name))
		msgs = newlocale(LC_MESSAGES_MASK, name, (locale_t)0);
	if (msgs == (locale_t)0)
		return newlocale(LC_MESSAGES_MASK, "C", (locale_t)0);
	if ((loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", msgs)) != (locale_t)0 ||
	    (loc = newlocale(LC_CTYPE_MASK, name, msgs)) != (locale_t)0)
		return loc;
	/* Without a UTF-8 codeset gettext would turn the text into '?'. */
	freelocale(msgs);
	return newlocale(LC_MESSAGES_MASK, "C", (locale_t)0);
}

static void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->locale != (locale_t)0)
		freelocale(c->locale);
	g_free(c->user);
	g_free(c);
}

static int
send_hello(struct client *c, int status, const char *msg)
{
	struct proto_msg *m = proto_msg_new(PROTO_HELLO, status, 1);
	int r;

	if (status == ST_OK) {
		proto_msg_add(m, "ie-vmd " PACKAGE_VERSION);
		proto_msg_add(m, c->user);
		proto_msg_add(m, c->admin ? "admin" : "user");
	} else
		proto_msg_add(m, msg);
	r = proto_send(c->fd, m);
	proto_msg_free(m);
	return r;
}

static void
serve(struct client *c)
{
	for (;;) {
		struct pollfd p = { c->fd, POLLIN, 0 };
		struct proto_msg *req = NULL, *resp;
		const char *why;
		int passfd;

		/* Idle clients may wait as long as they like. */
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (proto_recv_fd(c->fd, PROTO_MAX_REQ_FRAME,
		    PROTO_MAX_REQ_STRINGS, PROTO_MAX_REQ_STRING, &req,
		    &why, &passfd) < 0) {
			if (errno != ECONNRESET)
				log_msg(LOG_WARNING, "uid %lu (%s): %s; "
				    "disconnecting", (unsigned long)c->uid,
				    c->user, errno == EAGAIN ?
				    "timed out inside a message" : why);
			break;
		}
		if (req->type != PROTO_REQUEST && passfd >= 0) {
			close(passfd);
			passfd = -1;
		}
		if (req->type == PROTO_NOTE) {
			ops_note(c, req);
			proto_msg_free(req);
			continue;
		}
		if (req->type != PROTO_REQUEST && req->type != PROTO_BUDGET) {
			log_msg(LOG_WARNING, "uid %lu (%s): unexpected message "
			    "type; disconnecting", (unsigned long)c->uid,
			    c->user);
			proto_msg_free(req);
			break;
		}
		if (req->type == PROTO_BUDGET)
			resp = ops_upload_budget(c);
		else
			resp = ops_dispatch(c, req, passfd);
		proto_msg_free(req);
		if (proto_send(c->fd, resp) < 0) {
			proto_msg_free(resp);
			break;
		}
		proto_msg_free(resp);
	}
}

/* A missing admin group is looked for again at most this often: a name
 * that no source has goes through every source of nsswitch.conf (with
 * nss_systemd, a call to systemd-userdbd), and most sites have no admins
 * in a group of that name. */
#define ADMIN_ABSENT_RECHECK_SEC 60

/* Whether user (primary group gid) is in the admin group. */
static bool
is_admin(const struct config *cfg, const char *user, gid_t gid)
{
	static GMutex lock;
	static gint64 absent_since;	/* monotonic; 0: not known absent */
	gint64 now = g_get_monotonic_time(), since;
	int r;

	g_mutex_lock(&lock);
	since = absent_since;
	g_mutex_unlock(&lock);
	if (since != 0 && now - since < ADMIN_ABSENT_RECHECK_SEC *
	    G_USEC_PER_SEC)
		return false;
	r = policy_group_member(user, gid, cfg->admin_group);
	g_mutex_lock(&lock);
	absent_since = r < 0 ? now : 0;
	g_mutex_unlock(&lock);
	return r == 1;
}

static int
identify(struct client *c)
{
	if (policy_user_by_uid(c->uid, &c->user, &c->gid) < 0) {
		log_msg(LOG_WARNING, "uid %lu has no passwd entry; refused",
		    (unsigned long)c->uid);
		return -1;
	}
	c->admin = is_admin(c->srv->cfg, c->user, c->gid);
	log_msg(LOG_INFO, "uid %lu (%s%s) connected, pid %ld",
	    (unsigned long)c->uid, c->user, c->admin ? ", admin" : "",
	    (long)c->pid);
	return 0;
}

/* Admission: the user's session bound, then the PAM account and session
 * stacks.  Each decision is audited; a refusal is the hello's message. */
static struct pamacct *
admit(struct client *c)
{
	const struct config *cfg = c->srv->cfg;
	struct pamacct *pam;
	char *msg = NULL;
	int rate;

	/* A connection costs a request: a connect loop neither floods the
	 * log nor keeps PAM busy for everyone else. */
	if ((rate = users_rate_take(c->uid, cfg->requests_per_minute)) !=
	    RATE_OK) {
		msg = g_strdup_printf(_("too many requests: the limit is %d a "
		    "minute; wait a moment"), cfg->requests_per_minute);
		if (rate == RATE_REFUSED_AGAIN) {
			send_hello(c, ST_FAILED, msg);
			g_free(msg);
			return NULL;
		}
	} else if (users_session_begin(c->uid, cfg->sessions_per_user) < 0) {
		msg = g_strdup_printf(_("too many sessions: you have %d open "
		    "already; close one first"), cfg->sessions_per_user);
	} else if ((pam = pamacct_open(cfg->pam_service, c->user,
	    &msg)) == NULL) {
		users_session_end(c->uid);
	} else {
		log_audit(c->uid, c->user, "(connect)", NULL, 0, "ok", NULL,
		    NULL);
		/* First use makes the upload area; sftp needs it before
		 * any command.  A failure is the admin's to fix, and costs
		 * the student only the uploads. */
		if (storage_area_ensure(cfg, c->uid, c->gid, c->user,
		    &msg) < 0) {
			log_msg(LOG_ERR, "upload area of %s: %s", c->user, msg);
			g_free(msg);
		}
		return pam;
	}
	log_audit(c->uid, c->user, "(connect)", NULL, 0, "denied", msg, NULL);
	send_hello(c, ST_FAILED, msg);
	g_free(msg);
	return NULL;
}

/* The shell's hello comes first, before it reads ours: the locale of its
 * messages, which this thread takes for the client's.  A shell that says
 * nothing within the time a message may take is answered in English; one
 * that says something else is cut off. */
static int
client_hello(struct client *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	struct proto_msg *m = NULL;
	const char *why, *name = NULL;
	int r = 0;

	if (poll(&p, 1, MSG_TIMEOUT_SEC * 1000) == 1) {
		if (proto_recv(c->fd, PROTO_MAX_REQ_FRAME, 1, HELLO_MAX, &m,
		    &why) < 0)
			r = -1;
		else if (m->type != PROTO_HELLO || m->nstr != 1) {
			log_msg(LOG_WARNING, "uid %lu: unexpected message "
			    "instead of a hello; disconnecting",
			    (unsigned long)c->uid);
			r = -1;
		} else
			name = m->str[0];
	}
	if (r == 0 && (c->locale = client_locale_new(name)) != (locale_t)0)
		uselocale(c->locale);
	proto_msg_free(m);
	return r;
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	struct pamacct *pam;
	uint64_t one = 1;

	if (client_hello(c) == 0 && identify(c) == 0 &&
	    (pam = admit(c)) != NULL) {
		if (send_hello(c, ST_OK, NULL) == 0)
			serve(c);
		pamacct_close(pam);
		users_session_end(c->uid);
	}
	log_msg(LOG_INFO, "uid %lu (%s) disconnected", (unsigned long)c->uid,
	    c->user ? c->user : "?");
	/* c->locale is freed with c, by the main thread. */
	uselocale(LC_GLOBAL_LOCALE);
	g_mutex_lock(&c->srv->lock);
	c->finished = true;
	g_mutex_unlock(&c->srv->lock);
	if (write(c->srv->wake_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_ERR, "cannot wake the main loop: %s",
		    g_strerror(errno));
	return NULL;
}

/* Identity is what the kernel says about the peer, and nothing else.
 * Only that is read on the accepting thread; name lookups (LDAP, slow)
 * happen on the client's own thread, see identify(). */
static struct client *
client_new(struct server *srv, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = { MSG_TIMEOUT_SEC, 0 };
	struct client *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_msg(LOG_ERR, "SO_PEERCRED: %s", g_strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = g_new0(struct client, 1);
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->srv = srv;
	return c;
}


static void
refuse_busy(struct server *srv, int fd)
{
	struct proto_msg *m = proto_msg_new(PROTO_HELLO, ST_FAILED, 1);
	uint8_t *buf;
	size_t len;

	/* The accepting thread must not wait for the client's hello: the
	 * key "busy" lets the shell say it in its own language. */
	proto_msg_add(m, _("the VM service is busy (too many sessions); try "
	    "again in a minute"));
	proto_msg_add(m, "busy");
	if (proto_encode(m, &buf, &len) == 0) {
		if (send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_msg(LOG_DEBUG, "busy notice not sent");
		g_free(buf);
	}
	proto_msg_free(m);
	close(fd);
	log_msg(LOG_WARNING, "client refused: %d clients already",
	    srv->cfg->max_clients);
}

static void
accept_one(struct server *srv)
{
	struct client *c;
	int fd;

	fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			log_msg(LOG_ERR, "accept: %s", g_strerror(errno));
		return;
	}
	g_mutex_lock(&srv->lock);
	if ((int)srv->clients->len >= srv->cfg->max_clients) {
		g_mutex_unlock(&srv->lock);
		refuse_busy(srv, fd);
		return;
	}
	g_mutex_unlock(&srv->lock);
	if ((c = client_new(srv, fd)) == NULL) {
		close(fd);
		return;
	}
	g_mutex_lock(&srv->lock);
	if (pthread_create(&c->thread, NULL, client_main, c) != 0) {
		g_mutex_unlock(&srv->lock);
		log_msg(LOG_ERR, "cannot start a client thread");
		client_free(c);
		return;
	}
	g_ptr_array_add(srv->clients, c);
	g_mutex_unlock(&srv->lock);
}

/* Joins the threads of clients that have gone. */
static void
reap(struct server *srv, bool all)
{
	guint i = 0;

	g_mutex_lock(&srv->lock);
	while (i < srv->clients->len) {
		struct client *c = g_ptr_array_index(srv->clients, i);

		if (!c->finished && !all) {
			i++;
			continue;
		}
		g_ptr_array_remove_index_fast(srv->clients, i);
		g_mutex_unlock(&srv->lock);
		pthread_join(c->thread, NULL);
		client_free(c);
		g_mutex_lock(&srv->lock);
	}
	g_mutex_unlock(&srv->lock);
}

static int
prepare_dir(const char *path)
{
	char *dir = g_path_get_dirname(path);
	int r = g_mkdir_with_parents(dir, 0755);

	if (r < 0)
		log_msg(LOG_ERR, "cannot create %s: %s", dir,
		    g_strerror(errno));
	g_free(dir);
	return r;
}

/* One broker per socket: a lock on "SOCKET.lock", held for the broker's
 * life, so that a second one neither steals the socket nor has to connect
 * to the first to find out. */
static int
lock_socket(const char *path)
{
	char *lock = g_strconcat(path, ".lock", NULL);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		log_msg(LOG_ERR, "cannot open %s: %s", lock, g_strerror(errno));
	else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_msg(LOG_ERR, "another ie-vmd is listening on %s", path);
		close(fd);
		fd = -1;
	}
	g_free(lock);
	return fd;
}

int
server_listen(struct server *srv)
{
	const char *path = srv->cfg->socket_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	srv->clients = g_ptr_array_new();
	g_mutex_init(&srv->lock);
	srv->listen_fd = srv->wake_fd = srv->lock_fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_msg(LOG_ERR, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (prepare_dir(path) < 0 || (srv->lock_fd = lock_socket(path)) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_msg(LOG_ERR, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, 128) < 0) {
		log_msg(LOG_ERR, "cannot listen on %s: %s", path,
		    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	srv->listen_fd = fd;
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->wake_fd < 0) {
		log_msg(LOG_ERR, "eventfd: %s", g_strerror(errno));
		return -1;
	}
	log_msg(LOG_INFO, "listening on %s", path);
	return 0;
}

int
server_run(struct server *srv)
{
	sigset_t set;
	int sfd, ret = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		log_msg(LOG_ERR, "signalfd: %s", g_strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd p[3] = {
			{ srv->listen_fd, POLLIN, 0 },
			{ srv->wake_fd, POLLIN, 0 },
			{ sfd, POLLIN, 0 },
		};
		uint64_t v;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "poll: %s", g_strerror(errno));
			ret = -1;
			break;
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				log_msg(LOG_INFO, "signal %u: shutting down",
				    si.ssi_signo);
			break;
		}
		if (p[1].revents) {
			if (read(srv->wake_fd, &v, sizeof(v)) < 0)
				log_msg(LOG_DEBUG, "eventfd read failed");
			reap(srv, false);
		}
		if (p[0].revents)
			accept_one(srv);
	}
	close(sfd);
	return ret;
}

void
server_close(struct server *srv)
{
	guint i;

	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->cfg->socket_path);
	}
	if (srv->clients != NULL) {
		/* Wake every client thread out of poll(); a thread inside a
		 * request finishes it and can still send the answer. */
		g_mutex_lock(&srv->lock);
		for (i = 0; i < srv->clients->len; i++)
			shutdown(((struct client *)g_ptr_array_index(
			    srv->clients, i))->fd, SHUT_RD);
		g_mutex_unlock(&srv->lock);
		reap(srv, true);
		g_ptr_array_free(srv->clients, TRUE);
	}
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	if (srv->lock_fd >= 0)
		close(srv->lock_fd);
	g_mutex_clear(&srv->lock);
}

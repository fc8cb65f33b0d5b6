/* console NAME: relays a VM's serial console between libvirt and the
 * student's shell.  The stream is non-blocking; libvirt's event thread only
 * says "readable" (it must never wait on one student's socket), and all
 * reading and writing happens here, on the client's own thread. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <glib.h>
#include <libvirt/virterror.h>

#include "console.h"
#include "i18n.h"
#include "log.h"
#include "proto.h"
#include "virt.h"
#include "virterr.h"

#define CHUNK 4096
#define DRAIN_CHUNKS 16
#define STREAM_EVENTS (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | \
	VIR_STREAM_EVENT_HANGUP)

/* The relays' wake-up descriptors by id.  libvirt's remote driver never
 * calls a stream callback's free function, and may still be inside the
 * callback when the callback is removed: so the callback gets only an id,
 * and finds nothing once its relay has ended. */
static GMutex wake_lock;
static GHashTable *wakes;	/* id -> eventfd */
static guint64 wake_next;

static void
stream_ready(virStreamPtr st, int events, void *opaque)
{
	guint64 id = GPOINTER_TO_SIZE(opaque), one = 1;
	gpointer fd;

	virStreamEventUpdateCallback(st, 0);
	g_mutex_lock(&wake_lock);
	if (wakes != NULL && g_hash_table_lookup_extended(wakes, &id, NULL,
	    &fd) && write(GPOINTER_TO_INT(fd), &one, sizeof(one)) < 0)
		log_msg(LOG_DEBUG, "console wake-up lost");
	g_mutex_unlock(&wake_lock);
}

static guint64
wake_register(int fd)
{
	guint64 *id = g_new(guint64, 1);

	g_mutex_lock(&wake_lock);
	if (wakes == NULL)
		wakes = g_hash_table_new_full(g_int64_hash, g_int64_equal,
		    g_free, NULL);
	*id = ++wake_next;
	g_hash_table_insert(wakes, id, GINT_TO_POINTER(fd));
	g_mutex_unlock(&wake_lock);
	return *id;
}

static void
wake_unregister(guint64 id)
{
	g_mutex_lock(&wake_lock);
	g_hash_table_remove(wakes, &id);
	g_mutex_unlock(&wake_lock);
}

static int
send_data(int fd, const char *buf, size_t len)
{
	size_t used = 0, off = 0;
	int r = 0;

	/* With len 0, one empty message: the "attached" mark. */
	do {
		struct proto_msg *m = proto_data_new(buf + off, len - off,
		    PROTO_MAX_STRINGS - 1, &used);

		r = proto_send(fd, m);
		proto_msg_free(m);
		off += used;
	} while (r == 0 && off < len);
	return r;
}

/* Guest to student, until libvirt has nothing more now, or for a few
 * chunks: a guest that prints without end must not keep the student's
 * Ctrl-] waiting.  Returns 1 while the console stays open, 0 at its end
 * (with what ended it in *ended), -1 if the client went away. */
static int
drain(virStreamPtr st, int fd, int wake, char **ended)
{
	uint64_t one = 1;
	char buf[CHUNK];
	int i;

	for (i = 0;; i++) {
		int n;

		if (i == DRAIN_CHUNKS)	/* more next round, input first */
			return write(wake, &one, sizeof(one)) < 0 ? -1 : 1;
		if ((n = virStreamRecv(st, buf, sizeof(buf))) == -2)
			break;
		if (n <= 0) {
			*ended = g_strdup(n == 0 ? _("the console closed: the "
			    "VM stopped") : _("the console closed: the VM "
			    "stopped, or another session took it over"));
			return 0;
		}
		if (send_data(fd, buf, n) < 0)
			return -1;
	}
	virStreamEventUpdateCallback(st, STREAM_EVENTS);
	return 1;
}

/* Student to guest.  Keystrokes are small; a full stream buffer is waited
 * out briefly rather than queued here. */
static int
feed(virStreamPtr st, const char *buf, size_t len)
{
	size_t off = 0;
	int tries = 0;

	while (off < len) {
		int n = virStreamSend(st, buf + off, len - off);

		if (n == -2 && tries++ < 100) {
			g_usleep(10000);
			continue;
		}
		if (n < 0)
			return -1;
		off += n;
		tries = 0;
	}
	return 0;
}

/* One message from the shell.  Returns 1 to go on, 0 when the student
 * left, -1 on a broken or misbehaving client. */
static int
from_client(virStreamPtr st, int fd, char **ended)
{
	struct proto_msg *m = NULL;
	const char *perr = NULL;
	char buf[PROTO_MAX_REQ_FRAME];
	ssize_t len;
	int r = -1;

	if (proto_recv(fd, PROTO_MAX_REQ_FRAME, PROTO_MAX_REQ_STRINGS,
	    PROTO_MAX_REQ_STRING, &m, &perr) < 0)
		return -1;
	if (m->type == PROTO_DETACH) {
		*ended = g_strdup(_("left the console"));
		r = 0;
	} else if (m->type == PROTO_DATA &&
	    (len = proto_data_join(m, buf, sizeof(buf))) >= 0) {
		if (feed(st, buf, len) == 0)
			r = 1;
		else {
			*ended = g_strdup(_("the console closed: the VM "
			    "stopped"));
			r = 0;
		}
	}
	proto_msg_free(m);
	return r;
}

static int
relay(virStreamPtr st, int fd, int wake, char **ended)
{
	int r = 1;

	while (r > 0) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { wake, POLLIN, 0 } };
		uint64_t v;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents) {
			if (read(wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return -1;
			r = drain(st, fd, wake, ended);
		}
		if (r > 0 && p[0].revents)
			r = from_client(st, fd, ended);
	}
	return r;
}

/* libvirt failed to give the console: one line for the student
 * (virterr.c), libvirt's words for the audit log. */
static void
console_failed(char **msg, char **cause)
{
	static const struct virterr_about none = { NULL, NULL, NULL, false };

	*cause = g_strdup(virt_error());
	*msg = virterr_line_new(_("cannot open the console"),
	    virGetLastErrorCode(), *cause, &none);
}

int
console_run(virConnectPtr conn, virDomainPtr dom, int fd, bool force,
    char **msg, char **cause)
{
	virStreamPtr st = virStreamNew(conn, VIR_STREAM_NONBLOCK);
	int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ret = -1;
	guint64 id;
	char *ended = NULL;

	*msg = *cause = NULL;
	if (st == NULL) {
		console_failed(msg, cause);
		goto out;
	}
	if (wake < 0) {
		*msg = g_strdup_printf(_("cannot open the console: %s"),
		    g_strerror(errno));
		goto out;
	}
	if (virDomainOpenConsole(dom, NULL, st, force ?
	    VIR_DOMAIN_CONSOLE_FORCE : VIR_DOMAIN_CONSOLE_SAFE) < 0) {
		virErrorPtr e = virGetLastError();

		if (e != NULL && e->code == VIR_ERR_OPERATION_FAILED)
			*msg = g_strdup(_("the console is in use by another "
			    "session; 'console NAME --force' takes it over"));
		else
			console_failed(msg, cause);
		goto out;
	}
	id = wake_register(wake);
	if (virStreamEventAddCallback(st, STREAM_EVENTS, stream_ready,
	    GSIZE_TO_POINTER(id), NULL) < 0) {
		console_failed(msg, cause);
		wake_unregister(id);
		virStreamAbort(st);
		goto out;
	}
	if (send_data(fd, "", 0) == 0 && relay(st, fd, wake, &ended) == 0) {
		*msg = ended;
		ended = NULL;
		ret = 0;
	} else
		*msg = g_strdup(_("the session closed"));
	virStreamEventRemoveCallback(st);
	wake_unregister(id);
	virStreamAbort(st);
out:
	g_free(ended);
	if (st != NULL)
		virStreamFree(st);
	if (wake >= 0)
		close(wake);
	return ret;
}

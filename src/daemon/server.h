/* The broker's socket server: one thread per client, bounded. */
#ifndef IEVS_SERVER_H
#define IEVS_SERVER_H

#include <locale.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/types.h>

#include <glib.h>

struct config;

struct client {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char *user;
	bool admin;
	locale_t locale;	/* of the messages to the client (its thread's) */
	pthread_t thread;
	bool finished;
	struct server *srv;
};

struct server {
	const struct config *cfg;
	GHashTable *templates;	/* name -> struct template */
	GHashTable *bases;	/* name -> struct base (base.h) */
	int listen_fd;
	int wake_fd;		/* eventfd: a client thread finished */
	int lock_fd;		/* flock on SOCKET.lock: one broker per socket */
	GMutex lock;
	GPtrArray *clients;
};

int server_listen(struct server *srv);
/* Serves until SIGTERM, SIGINT or SIGHUP; then closes every client. */
int server_run(struct server *srv);
void server_close(struct server *srv);

#endif

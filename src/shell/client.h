/* The shell's side of the broker connection: connect, say hello, send a
 * request, and reconnect transparently when the broker was restarted. */
#ifndef IEVS_CLIENT_H
#define IEVS_CLIENT_H

#include <stdbool.h>

#include "proto.h"

struct session {
	char *socket_path;
	int fd;
	char *user;		/* as the broker knows us */
	bool admin;
	bool orphaned;		/* stdout's reader has gone (ssh died) */
};

void session_init(struct session *s, const char *socket_path);
/* Connects (waiting a few seconds for a broker that is restarting).
 * Returns -1 and a message (caller frees) on failure. */
int session_open(struct session *s, char **err);
/* Sends argv and waits for the response.  Returns -1 and a message if the
 * broker cannot be reached or the connection broke mid-request. */
int session_request(struct session *s, char **argv, int argc,
    struct proto_msg **resp, char **err);
/* Sends argv as a request (connecting first if needed), with passfd
 * (-1: none), and does not wait.  Returns -1 and a message on failure. */
int session_send(struct session *s, char **argv, int argc, int passfd,
    char **err);
/* The same with a descriptor passed along (-1: none).  Progress frames go
 * to progress (may be NULL).  Ctrl-C while waiting cancels the request:
 * the connection is dropped, which the broker takes as a cancel.  So does
 * the loss of stdout's reader, which also sets orphaned. */
int session_request_fd(struct session *s, char **argv, int argc,
    int passfd, void (*progress)(const struct proto_msg *m),
    struct proto_msg **resp, char **err);
/* Connects unless connected. */
int session_ensure(struct session *s, char **err);
/* Tells the broker, for its audit log, that the shell refused something
 * (reason, then the words).  Best effort, never waits, never reports. */
void session_note(struct session *s, const char *reason, char **words,
    int n);
void session_close(struct session *s);
/* Asks the broker what uploads may still add (PROTO_BUDGET); the answer
 * is a RESPONSE of three strings, see ops_upload_budget(). */
int session_budget(struct session *s, struct proto_msg **resp, char **err);

#endif

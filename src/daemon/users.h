/* Per-user state of the broker, shared by all of a user's sessions: the
 * lock that makes a quota check and its mutation atomic, the session count
 * and the request-rate bucket. */
#ifndef IEVS_USERS_H
#define IEVS_USERS_H

#include <sys/types.h>

#include <glib.h>

/* The user's mutation lock (never freed before users_shutdown). */
GMutex *users_lock(uid_t uid);
/* Counts a new session; -1 (and nothing counted) if max are open. */
int users_session_begin(uid_t uid, int max);
void users_session_end(uid_t uid);
/* Takes one request (or connection) from the user's bucket of per_minute
 * (it refills continuously).  Returns RATE_OK, RATE_REFUSED for the first
 * refusal of a run, RATE_REFUSED_AGAIN for the rest of it: only the first
 * is worth an audit line, or a loop could flood the log. */
enum { RATE_OK, RATE_REFUSED, RATE_REFUSED_AGAIN };
int users_rate_take(uid_t uid, int per_minute);
void users_shutdown(void);

#endif

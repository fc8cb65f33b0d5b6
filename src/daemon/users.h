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
/* Takes one request from the user's bucket of per_minute requests (it
 * refills continuously); -1 if empty. */
int users_rate_take(uid_t uid, int per_minute);
void users_shutdown(void);

#endif

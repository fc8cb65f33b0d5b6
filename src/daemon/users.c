/* Per-user state.  Entries live until shutdown: one small struct for each
 * user who ever connected. */
#include "config.h"

#include <stdbool.h>

#include <glib.h>

#include "users.h"

struct user {
	GMutex lock;		/* held across check + mutation */
	int sessions;		/* under table_lock */
	double tokens;		/* under table_lock */
	bool refusing;		/* under table_lock: in a run of refusals */
	gint64 refilled;	/* monotonic µs of the last refill */
};

static GMutex table_lock;
static GHashTable *table;

static void
user_free(struct user *u)
{
	g_mutex_clear(&u->lock);
	g_free(u);
}

/* Called with table_lock held. */
static struct user *
lookup(uid_t uid)
{
	struct user *u;

	if (table == NULL)
		table = g_hash_table_new_full(g_direct_hash, g_direct_equal,
		    NULL, (GDestroyNotify)user_free);
	u = g_hash_table_lookup(table, GUINT_TO_POINTER(uid));
	if (u == NULL) {
		u = g_new0(struct user, 1);
		g_mutex_init(&u->lock);
		u->tokens = -1;		/* full on first use */
		g_hash_table_insert(table, GUINT_TO_POINTER(uid), u);
	}
	return u;
}

GMutex *
users_lock(uid_t uid)
{
	struct user *u;

	g_mutex_lock(&table_lock);
	u = lookup(uid);
	g_mutex_unlock(&table_lock);
	return &u->lock;
}

int
users_session_begin(uid_t uid, int max)
{
	struct user *u;
	int r = -1;

	g_mutex_lock(&table_lock);
	u = lookup(uid);
	if (u->sessions < max) {
		u->sessions++;
		r = 0;
	}
	g_mutex_unlock(&table_lock);
	return r;
}

void
users_session_end(uid_t uid)
{
	g_mutex_lock(&table_lock);
	lookup(uid)->sessions--;
	g_mutex_unlock(&table_lock);
}

int
users_rate_take(uid_t uid, int per_minute)
{
	gint64 now = g_get_monotonic_time();
	struct user *u;
	int r;

	g_mutex_lock(&table_lock);
	u = lookup(uid);
	if (u->tokens < 0) {
		u->tokens = per_minute;
	} else {
		u->tokens += (now - u->refilled) / 60e6 * per_minute;
		if (u->tokens > per_minute)
			u->tokens = per_minute;
	}
	u->refilled = now;
	if (u->tokens >= 1) {
		u->tokens -= 1;
		u->refusing = false;
		r = RATE_OK;
	} else {
		r = u->refusing ? RATE_REFUSED_AGAIN : RATE_REFUSED;
		u->refusing = true;
	}
	g_mutex_unlock(&table_lock);
	return r;
}

void
users_shutdown(void)
{
	g_mutex_lock(&table_lock);
	if (table != NULL)
		g_hash_table_destroy(table);
	table = NULL;
	g_mutex_unlock(&table_lock);
}

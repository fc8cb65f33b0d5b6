/* The upload quota's arithmetic and its measures.  A measure walks the
 * area (areausage.c); between measures a session spends at most a
 * quarter of the room that is left beyond BUDGET_TIGHT, so up to four
 * sessions at once cannot pass the limit before one of them measures
 * again, and near the limit every write waits for a measure of its own. */
#include "config.h"

#include <glib.h>

#include "areausage.h"
#include "budget.h"
#include "i18n.h"

#define GIB (1024.0 * 1024 * 1024)

void
budget_init(struct budget *b, int areafd, long long limit, long long pool,
    long long files_limit)
{
	*b = (struct budget){ .areafd = areafd, .limit = limit, .pool = pool,
	    .files_limit = files_limit };
}

/* Fails closed: an area that cannot be read has no room. */
static void
measure(struct budget *b)
{
	struct area_usage u;

	if (area_usage_at(b->areafd, &u) < 0) {
		b->room = 0;
		b->files = b->files_limit;
		return;
	}
	b->used = u.bytes;
	b->files = u.files;
	b->room = b->limit < 0 ? 0 : b->limit - b->pool - u.bytes;
	b->taken = 0;
}

static bool
loose(const struct budget *b, long long n)
{
	return b->taken + n <= (b->room - BUDGET_TIGHT) / 4;
}

enum budget_verdict
budget_bytes(struct budget *b, long long n, long long inflight)
{
	if (b->limit < 0)
		return BUDGET_OK;
	if (!loose(b, n)) {
		measure(b);
		b->taken = inflight;
	}
	if (loose(b, n)) {
		b->taken += n;
		return BUDGET_OK;
	}
	if (inflight > 0)
		return BUDGET_WAIT;
	if (n > b->room)
		return BUDGET_REFUSED;
	b->taken = n;
	return BUDGET_OK;
}

bool
budget_entry(struct budget *b)
{
	long long taken = b->taken;

	if (b->files_limit < 0)
		return true;
	measure(b);
	b->taken = taken;
	return b->files < b->files_limit;
}

char *
budget_refusal_new(const struct budget *b, bool files)
{
	if (files)
		return g_strdup_printf(_("quota exceeded: upload files %lld of "
		    "%lld; delete files you no longer need (sftp rm FILE)"),
		    b->files, b->files_limit);
	return g_strdup_printf(_("quota exceeded: disk %.1f of %.0f GiB used "
	    "(uploads %.1f GiB); delete uploads you have imported "
	    "(sftp rm FILE) or a disk ('undefine NAME --disk')"),
	    (b->pool + b->used) / GIB, b->limit / GIB, b->used / GIB);
}

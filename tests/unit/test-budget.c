/* Unit tests of the upload quota's arithmetic (budget.c) and of the walk
 * that measures an area (areausage.c), on a scratch directory. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "areausage.h"
#include "budget.h"

#define MIB (1024LL * 1024)

struct area {
	char *dir;
	int fd;
};

static void
area_new(struct area *a)
{
	a->dir = g_dir_make_tmp("test-budget-XXXXXX", NULL);
	g_assert_nonnull(a->dir);
	a->fd = open(a->dir, O_RDONLY | O_DIRECTORY);
	g_assert_cmpint(a->fd, >=, 0);
}

/* A file that allocates n bytes (written, not sparse). */
static void
area_put(struct area *a, const char *name, long long n)
{
	char *buf = g_malloc0(MIB), *path = g_build_filename(a->dir, name,
	    NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	g_assert_cmpint(fd, >=, 0);
	for (; n > 0; n -= MIB) {
		memset(buf, 1, MIB);
		g_assert_cmpint(write(fd, buf, MIN(n, MIB)), ==, MIN(n, MIB));
	}
	g_assert_cmpint(fsync(fd), ==, 0);
	close(fd);
	g_free(path);
	g_free(buf);
}

static long long
area_bytes(struct area *a)
{
	struct area_usage u;

	g_assert_cmpint(area_usage_at(a->fd, &u), ==, 0);
	return u.bytes;
}

static void
area_free(struct area *a)
{
	char *argv[] = { "rm", "-rf", a->dir, NULL };

	close(a->fd);
	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH,
	    NULL, NULL, NULL, NULL, NULL, NULL));
	g_free(a->dir);
}

static void
test_usage_counts(void)
{
	struct area a;
	struct area_usage u;
	char *sub;

	area_new(&a);
	area_put(&a, "one", 2 * MIB);
	sub = g_build_filename(a.dir, "sub", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	area_put(&a, "sub/two", 3 * MIB);
	g_assert_cmpint(area_usage_at(a.fd, &u), ==, 0);
	g_assert_cmpint(u.files, ==, 3);
	g_assert_cmpint(u.bytes, >=, 5 * MIB);
	g_assert_cmpint(u.bytes, <, 5 * MIB + 64 * 1024);
	g_free(sub);
	area_free(&a);
}

/* A symbolic link counts as an entry; what it points at does not. */
static void
test_usage_no_follow(void)
{
	struct area a, b;
	struct area_usage u;
	char *link;

	area_new(&a);
	area_new(&b);
	area_put(&b, "big", 4 * MIB);
	link = g_build_filename(a.dir, "l", NULL);
	g_assert_cmpint(symlink(b.dir, link), ==, 0);
	g_assert_cmpint(area_usage_at(a.fd, &u), ==, 0);
	g_assert_cmpint(u.files, ==, 1);
	g_assert_cmpint(u.bytes, <, MIB);
	g_free(link);
	area_free(&a);
	area_free(&b);
}

static void
test_usage_missing(void)
{
	struct area_usage u = { 7, 7 };

	g_assert_cmpint(area_usage_path("/nonexistent/area", &u), ==, 0);
	g_assert_cmpint(u.bytes, ==, 0);
	g_assert_cmpint(u.files, ==, 0);
}

static void
test_unlimited(void)
{
	struct area a;
	struct budget b;

	area_new(&a);
	budget_init(&b, a.fd, -1, 0, -1);
	g_assert_cmpint(budget_bytes(&b, 1LL << 40, 0), ==, BUDGET_OK);
	g_assert_true(budget_entry(&b));
	area_free(&a);
}

/* Far from the limit, writes pass without a measure of their own; the
 * sum a session passes before it measures again stays a quarter of the
 * room beyond the tight zone. */
static void
test_loose(void)
{
	struct area a;
	struct budget b;
	long long quarter, sent = 0;

	area_new(&a);
	budget_init(&b, a.fd, 1024 * MIB, 0, -1);
	g_assert_cmpint(budget_bytes(&b, MIB, 0), ==, BUDGET_OK);
	quarter = (1024 * MIB - BUDGET_TIGHT) / 4;
	g_assert_cmpint(b.taken, ==, MIB);
	while (b.taken + MIB <= quarter) {
		g_assert_cmpint(budget_bytes(&b, MIB, sent += MIB), ==,
		    BUDGET_OK);
	}
	/* Past the quarter it measures again, counting what is in flight. */
	g_assert_cmpint(budget_bytes(&b, MIB, 5 * MIB), ==, BUDGET_OK);
	g_assert_cmpint(b.taken, ==, 6 * MIB);
	area_free(&a);
}

/* Near the limit: one write at a time, on a fresh measure, refused once
 * it would pass. */
static void
test_tight(void)
{
	struct area a;
	struct budget b;

	area_new(&a);
	area_put(&a, "full", 4 * MIB);
	budget_init(&b, a.fd, area_bytes(&a) + 2 * MIB, 0, -1);
	g_assert_cmpint(budget_bytes(&b, MIB, 0), ==, BUDGET_OK);
	g_assert_cmpint(budget_bytes(&b, MIB, MIB), ==, BUDGET_WAIT);
	area_put(&a, "w1", MIB);	/* the first write lands */
	g_assert_cmpint(budget_bytes(&b, MIB, 0), ==, BUDGET_OK);
	area_put(&a, "w2", MIB);
	g_assert_cmpint(budget_bytes(&b, 1, 0), ==, BUDGET_REFUSED);
	/* Room made elsewhere (another session removed a file) is seen. */
	g_assert_cmpint(unlinkat(a.fd, "w2", 0), ==, 0);
	g_assert_cmpint(budget_bytes(&b, MIB, 0), ==, BUDGET_OK);
	area_free(&a);
}

/* The VM disks' part of the limit leaves that much less to uploads. */
static void
test_pool(void)
{
	struct area a;
	struct budget b;

	area_new(&a);
	budget_init(&b, a.fd, 10 * MIB, 9 * MIB, -1);
	g_assert_cmpint(budget_bytes(&b, 2 * MIB, 0), ==, BUDGET_REFUSED);
	g_assert_cmpint(budget_bytes(&b, MIB / 2, 0), ==, BUDGET_OK);
	area_free(&a);
}

static void
test_entries(void)
{
	struct area a;
	struct budget b;
	char *msg;

	area_new(&a);
	budget_init(&b, a.fd, -1, 0, 2);
	g_assert_true(budget_entry(&b));
	area_put(&a, "one", 1);
	g_assert_true(budget_entry(&b));
	area_put(&a, "two", 1);
	g_assert_false(budget_entry(&b));
	msg = budget_refusal_new(&b, true);
	g_assert_cmpstr(msg, ==, "quota exceeded: upload files 2 of 2; "
	    "delete files you no longer need (sftp rm FILE)");
	g_free(msg);
	area_free(&a);
}

static void
test_refusal_message(void)
{
	struct area a;
	struct budget b;
	char *msg;

	area_new(&a);
	budget_init(&b, a.fd, 6LL * 1024 * MIB, 2LL * 1024 * MIB, -1);
	b.used = 4LL * 1024 * MIB;
	msg = budget_refusal_new(&b, false);
	g_assert_cmpstr(msg, ==, "quota exceeded: disk 6.0 of 6 GiB used "
	    "(uploads 4.0 GiB); delete uploads you have imported (sftp rm "
	    "FILE) or a disk ('undefine NAME --disk')");
	g_free(msg);
	area_free(&a);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/areausage/counts", test_usage_counts);
	g_test_add_func("/areausage/no-follow", test_usage_no_follow);
	g_test_add_func("/areausage/missing", test_usage_missing);
	g_test_add_func("/budget/unlimited", test_unlimited);
	g_test_add_func("/budget/loose", test_loose);
	g_test_add_func("/budget/tight", test_tight);
	g_test_add_func("/budget/pool", test_pool);
	g_test_add_func("/budget/entries", test_entries);
	g_test_add_func("/budget/refusal-message", test_refusal_message);
	return g_test_run();
}

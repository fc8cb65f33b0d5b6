/* Unit tests of the name rules and of the domain name scheme, whose one
 * job is that two owners can never end up with the same libvirt name. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "names.h"

static char *
repeat(char c, size_t n)
{
	char *s = g_malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_vm_valid(void)
{
	static const char *const good[] = {
		"a", "0", "web", "web-1", "9lives", "a-", "a--b", "db-01",
		"abcdefghijklmnopqrstuvwxyz", "0123456789",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		if (!vm_name_valid(good[i]))
			g_test_message("refused: \"%s\"", good[i]);
		g_assert_true(vm_name_valid(good[i]));
	}
}

static void
test_vm_invalid(void)
{
	static const char *const bad[] = {
		"", "-", "-web", "--", "Web", "WEB", "wEb", "web_1", "_web",
		"a/b", "/web", "web/", "a.b", ".", "..", ".web", "a b", " web",
		"web ", "a\tb", "web\n", "a:b", "a;b", "$(id)", "`id`", "a\\b",
		"*", "a@b", "a+b", "w\xc3\xa9" "b", "\xe6\x97\xa5\xe6\x9c\xac",
		"web\xc2\xa0", "\xef\xbd\x97\xef\xbd\x85\xef\xbd\x82",
	};
	size_t i;

	g_assert_false(vm_name_valid(NULL));
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (vm_name_valid(bad[i]))
			g_test_message("accepted: \"%s\"", bad[i]);
		g_assert_false(vm_name_valid(bad[i]));
	}
}

static void
test_vm_length(void)
{
	char *s;

	s = repeat('a', VM_NAME_MAX);
	g_assert_cmpint(VM_NAME_MAX, ==, 32);
	g_assert_true(vm_name_valid(s));
	g_free(s);
	s = repeat('a', VM_NAME_MAX + 1);
	g_assert_false(vm_name_valid(s));
	g_free(s);
	s = repeat('7', VM_NAME_MAX + 1);
	g_assert_false(vm_name_valid(s));
	g_free(s);
}

/* Every byte outside the rule, in every position, is refused. */
static void
test_vm_every_byte(void)
{
	char s[4] = "a_b";
	int c;

	for (c = 1; c < 256; c++) {
		bool allowed = (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-';

		s[1] = (char)c;
		g_assert_cmpint(vm_name_valid(s), ==, allowed);
	}
}

static void
test_user_valid(void)
{
	static const char *const good[] = {
		"alice", "ab", "ab-c", "a_b", "john.doe", "Alice", "u1001",
		"_svc", "1abc", "a-b_c.d", "20b.123", "20xx123", "b1.2.3",
		"a..b",
	};
	static const char *const bad[] = {
		"", "-x", "-", "a b", "a/b", "a:b", "a;b", "a@b", "a$b",
		"a\nb", "\xc3\xa9", "alice\x1b", "a\\b", "a*", ".", "..",
		"...",
	};
	size_t i;
	char *s;

	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		if (!user_name_valid(good[i]))
			g_test_message("refused: \"%s\"", good[i]);
		g_assert_true(user_name_valid(good[i]));
	}
	g_assert_false(user_name_valid(NULL));
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (user_name_valid(bad[i]))
			g_test_message("accepted: \"%s\"", bad[i]);
		g_assert_false(user_name_valid(bad[i]));
	}
	s = repeat('u', USER_NAME_MAX);
	g_assert_true(user_name_valid(s));
	g_free(s);
	s = repeat('u', USER_NAME_MAX + 1);
	g_assert_false(user_name_valid(s));
	g_free(s);
}

static void
test_domain_format(void)
{
	char *d;

	d = domain_name_new(1001, "web");
	g_assert_cmpstr(d, ==, "u1001_web");
	g_free(d);
	d = domain_name_new(0, "a");
	g_assert_cmpstr(d, ==, "u0_a");
	g_free(d);
	d = domain_name_new((uid_t)-2, "web-1");
	g_assert_cmpstr(d, ==, "u4294967294_web-1");
	g_free(d);
}

static void
test_domain_roundtrip(void)
{
	static const uid_t uids[] = { 0, 1, 10, 1000, 1001, 65534,
	    (uid_t)-2 };
	char *longest = repeat('z', VM_NAME_MAX);
	const char *vms[] = { "a", "0", "web", "web-1", "a-", longest };
	char vm[VM_NAME_MAX + 1];
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(uids); i++) {
		for (j = 0; j < G_N_ELEMENTS(vms); j++) {
			char *d = domain_name_new(uids[i], vms[j]);
			uid_t uid = 12345;

			memset(vm, 'X', sizeof(vm));
			g_assert_cmpint(domain_name_parse(d, &uid, vm), ==, 0);
			g_assert_cmpuint(uid, ==, uids[i]);
			g_assert_cmpstr(vm, ==, vms[j]);
			g_free(d);
		}
	}
	g_free(longest);
}

/* Adds the domain name of (uid, vm) to seen, failing on a collision, and
 * checks that it parses back to the same pair. */
static void
add_unique(GHashTable *seen, uid_t uid, const char *vm)
{
	char *d = domain_name_new(uid, vm);
	char back[VM_NAME_MAX + 1];
	uid_t u;

	if (g_hash_table_contains(seen, d))
		g_test_message("collision: %s", d);
	g_assert_false(g_hash_table_contains(seen, d));
	g_assert_cmpint(domain_name_parse(d, &u, back), ==, 0);
	g_assert_cmpuint(u, ==, uid);
	g_assert_cmpstr(back, ==, vm);
	g_hash_table_add(seen, d);
}

/* Users "ab", "ab-c" and "a_b": a scheme built on user names would give
 * "ab" + "c-web" and "ab-c" + "web" the same domain. */
static void
test_domain_no_collision(void)
{
	/* The uids of ab, ab-c and a_b. */
	static const uid_t uids[] = { 1001, 1002, 1003 };
	static const char *const vms[] = {
		"web", "c-web", "b", "c", "b-c", "c-b", "b-web", "1", "11",
		"1-web", "web-1", "b1", "0",
	};
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(uids); i++)
		for (j = 0; j < G_N_ELEMENTS(vms); j++)
			add_unique(seen, uids[i], vms[j]);
	g_hash_table_destroy(seen);
}

/* Exhaustively over short names: uids whose digits run into VM names that
 * start with digits ("u1_1a" against "u11_a") stay apart. */
static void
test_domain_no_collision_exhaustive(void)
{
	static const uid_t uids[] = { 0, 1, 10, 11, 101, 110, 1001, 1011 };
	static const char alpha[] = "a1-";
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	char vm[5];
	size_t i, len, k, total;

	for (i = 0; i < G_N_ELEMENTS(uids); i++) {
		for (len = 1; len <= 4; len++) {
			total = 1;
			for (k = 0; k < len; k++)
				total *= 3;
			for (k = 0; k < total; k++) {
				size_t v = k, p;

				for (p = 0; p < len; p++, v /= 3)
					vm[p] = alpha[v % 3];
				vm[len] = '\0';
				if (vm_name_valid(vm))
					add_unique(seen, uids[i], vm);
			}
		}
	}
	g_assert_cmpuint(g_hash_table_size(seen), >, 500);
	g_hash_table_destroy(seen);
}

static void
test_domain_parse_reject(void)
{
	static const char *const bad[] = {
		"", "u", "u_", "u_x", "u12", "ux_web", "u01_web", "u00_web",
		"u1_Web", "u1_", "u1_a_b", "u1__web", "u1_-web", "u1_web/x",
		"u99999999999999999999_web", "u18446744073709551616_web",
		"u4294967296_web", "u4294967295_web", "U1_web", "x1_web",
		"1_web", "u-1_web", "u+1_web", " u1_web", "u1 _web",
		"u1_web ", "u 1_web", "u0x1_web", "u1a_web", "u1.0_web",
		"u1_web\n", "web",
	};
	char vm[VM_NAME_MAX + 1], *tail, *d;
	uid_t uid;
	size_t i;

	g_assert_cmpint(domain_name_parse(NULL, &uid, vm), ==, -1);
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (domain_name_parse(bad[i], &uid, vm) != -1)
			g_test_message("accepted: \"%s\"", bad[i]);
		g_assert_cmpint(domain_name_parse(bad[i], &uid, vm), ==, -1);
	}
	/* A VM part one over the limit must not be cut to fit vm[]. */
	tail = repeat('a', VM_NAME_MAX + 1);
	d = g_strconcat("u1_", tail, NULL);
	g_assert_cmpint(domain_name_parse(d, &uid, vm), ==, -1);
	g_free(d);
	g_free(tail);
}

static void
test_domain_parse_accept(void)
{
	char vm[VM_NAME_MAX + 1], *tail, *d;
	uid_t uid;

	g_assert_cmpint(domain_name_parse("u0_web", &uid, vm), ==, 0);
	g_assert_cmpuint(uid, ==, 0);
	g_assert_cmpstr(vm, ==, "web");
	g_assert_cmpint(domain_name_parse("u4294967294_a", &uid, vm), ==, 0);
	g_assert_cmpuint(uid, ==, 4294967294u);
	g_assert_cmpstr(vm, ==, "a");
	tail = repeat('a', VM_NAME_MAX);
	d = g_strconcat("u7_", tail, NULL);
	g_assert_cmpint(domain_name_parse(d, &uid, vm), ==, 0);
	g_assert_cmpuint(uid, ==, 7);
	g_assert_cmpstr(vm, ==, tail);
	g_free(d);
	g_free(tail);
}

/* Splits ref and compares with the expected parts (NULL: absent). */
static void
expect_split(const char *ref, int ret, const char *user, const char *vm)
{
	char *u = (char *)ref, *v = (char *)ref;
	int r;

	r = vm_ref_split(ref, &u, &v);
	if (r != ret || g_strcmp0(u, user) != 0 || g_strcmp0(v, vm) != 0)
		g_test_message("ref \"%s\"", ref);
	g_assert_cmpint(r, ==, ret);
	g_assert_cmpstr(u, ==, user);
	g_assert_cmpstr(v, ==, vm);
	g_free(u);
	g_free(v);
}

static void
test_ref_split(void)
{
	expect_split("web", 0, NULL, "web");
	expect_split("alice/web", 0, "alice", "web");
	expect_split("ab-c/web", 0, "ab-c", "web");
	expect_split("/web", -1, NULL, NULL);
	expect_split("a/b/c", -1, NULL, NULL);
	expect_split("//", -1, NULL, NULL);
	expect_split("a//b", -1, NULL, NULL);
	/* The form is right; the empty VM name is for the name rule to
	 * refuse. */
	expect_split("alice/", 0, "alice", "");
	expect_split("", 0, NULL, "");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/names/vm/valid", test_vm_valid);
	g_test_add_func("/names/vm/invalid", test_vm_invalid);
	g_test_add_func("/names/vm/length", test_vm_length);
	g_test_add_func("/names/vm/every-byte", test_vm_every_byte);
	g_test_add_func("/names/user", test_user_valid);
	g_test_add_func("/names/domain/format", test_domain_format);
	g_test_add_func("/names/domain/roundtrip", test_domain_roundtrip);
	g_test_add_func("/names/domain/no-collision", test_domain_no_collision);
	g_test_add_func("/names/domain/no-collision-exhaustive",
	    test_domain_no_collision_exhaustive);
	g_test_add_func("/names/domain/parse-reject", test_domain_parse_reject);
	g_test_add_func("/names/domain/parse-accept", test_domain_parse_accept);
	g_test_add_func("/names/ref-split", test_ref_split);
	return g_test_run();
}

/* Unit tests of the output escaping: nothing that came from outside may
 * reach a terminal or a log as a control sequence. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "sanitize.h"

static void
expect(const char *in, bool keep, size_t max, const char *want)
{
	char *out = sanitize_new(in, keep, max);

	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

/* Is c something the escaping must never let through? */
static bool
dangerous(gunichar c, bool keep)
{
	if (keep && (c == '\n' || c == '\t'))
		return false;
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c;
}

/* The output is valid UTF-8 and holds nothing dangerous. */
static void
assert_safe(const char *out, bool keep)
{
	const char *p;

	g_assert_true(g_utf8_validate(out, -1, NULL));
	for (p = out; *p != '\0'; p = g_utf8_next_char(p))
		g_assert_false(dangerous(g_utf8_get_char(p), keep));
}

static void
test_plain(void)
{
	expect("", false, 0, "");
	expect(NULL, false, 0, "");
	expect("hello world", false, 0, "hello world");
	expect(" !\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`{|}~", false, 0,
	    " !\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`{|}~");
	expect("ABCxyz", true, 0, "ABCxyz");
}

static void
test_japanese(void)
{
	static const char *const ok[] = {
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		"\xe4\xbb\xae\xe6\x83\xb3\xe3\x83\x9e\xe3\x82\xb7\xe3\x83\xb3"
		    "\xe3\x80\x8c\xe3\x82\xa6\xe3\x82\xa7\xe3\x83\x96"
		    "\xe3\x80\x8d",
		"caf\xc3\xa9",
		"\xc2\xa0",			/* U+00A0, just above C1 */
		"\xf0\x9f\x98\x80",		/* a 4-byte emoji */
		"\xef\xbf\xbd",			/* U+FFFD */
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		expect(ok[i], false, 0, ok[i]);
		expect(ok[i], true, 0, ok[i]);
	}
	expect("VM \xe3\x82\xa6\xe3\x82\xa7\xe3\x83\x96\x1b[0m", false, 0,
	    "VM \xe3\x82\xa6\xe3\x82\xa7\xe3\x83\x96\\x1b[0m");
}

static void
test_c0(void)
{
	char in[2] = { 0, 0 }, want[8];
	int c;

	for (c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		g_snprintf(want, sizeof(want), "\\x%02x", c);
		expect(in, false, 0, want);
		if (c != '\n' && c != '\t')
			expect(in, true, 0, want);
	}
	expect("\x1b[31mred\x1b[0m", false, 0, "\\x1b[31mred\\x1b[0m");
	expect("\x1b]0;title\a", false, 0, "\\x1b]0;title\\x07");
	expect("ok\rfake", false, 0, "ok\\x0dfake");
	expect("a\x7f" "b", false, 0, "a\\x7fb");
	expect("a\x7f" "b", true, 0, "a\\x7fb");
	expect("\b\b\bxyz", false, 0, "\\x08\\x08\\x08xyz");
}

static void
test_keep_newlines(void)
{
	expect("a\nb\tc", true, 0, "a\nb\tc");
	expect("a\nb\tc", false, 0, "a\\x0ab\\x09c");
	/* Only those two. */
	expect("a\r\nb", true, 0, "a\\x0d\nb");
	expect("\x1b\n\x0b\x0c", true, 0, "\\x1b\n\\x0b\\x0c");
}

static void
test_c1(void)
{
	char in[3], want[16];
	gunichar c;

	expect("\xc2\x9b" "31m", false, 0, "\\u{009b}31m");
	for (c = 0x80; c <= 0x9f; c++) {
		g_unichar_to_utf8(c, in);
		in[2] = '\0';
		g_snprintf(want, sizeof(want), "\\u{%04x}", c);
		expect(in, false, 0, want);
		expect(in, true, 0, want);
	}
}

static void
test_bidi(void)
{
	static const gunichar bidi[] = {
		0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c,
	};
	char in[16], want[32];
	size_t i;
	int n;

	/* "web" shown as "bew" to whoever lists the VMs. */
	expect("\xe2\x80\xae" "bew", false, 0, "\\u{202e}bew");
	expect("a\xe2\x81\xa6" "b", false, 0, "a\\u{2066}b");
	for (i = 0; i < G_N_ELEMENTS(bidi); i++) {
		n = g_unichar_to_utf8(bidi[i], in);
		in[n] = '\0';
		g_snprintf(want, sizeof(want), "\\u{%04x}", bidi[i]);
		expect(in, false, 0, want);
		expect(in, true, 0, want);
	}
}

static void
test_invalid_utf8(void)
{
	expect("\xff", false, 0, "\\xff");
	expect("a\x80" "b", false, 0, "a\\x80b");
	expect("\xc3", false, 0, "\\xc3");
	expect("\xc3(", false, 0, "\\xc3(");
	expect("\xe6\x97", false, 0, "\\xe6\\x97");
	/* Overlong forms, which a careless decoder reads as '/' and ESC. */
	expect("\xc0\xaf", false, 0, "\\xc0\\xaf");
	expect("\xc0\x9b", false, 0, "\\xc0\\x9b");
	expect("\xe0\x80\x9b", false, 0, "\\xe0\\x80\\x9b");
	/* A UTF-16 surrogate, and a code point past U+10FFFF. */
	expect("\xed\xa0\x80", false, 0, "\\xed\\xa0\\x80");
	expect("\xf4\x90\x80\x80", false, 0, "\\xf4\\x90\\x80\\x80");
	/* Resynchronises on the next good character. */
	expect("\xff\xe6\x97\xa5", false, 0, "\\xff\xe6\x97\xa5");
}

static void
test_max(void)
{
	expect("abcdefghij", false, 5, "abcde...");
	expect("abcdefghij", false, 10, "abcdefghij");
	expect("abcdefghij", false, 11, "abcdefghij");
	expect("abcdefghij", false, 0, "abcdefghij");
	expect("abcdefghij", false, 1, "a...");
	/* Never half a character... */
	expect("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", false, 4,
	    "\xe6\x97\xa5\xe6\x9c\xac...");
	/* ...nor half an escape. */
	expect("\x1b\x1b\x1b", false, 5, "\\x1b\\x1b...");
	expect("ab\xe2\x80\xae" "cd", false, 3, "ab\\u{202e}...");
}

/* A capped result is either the whole escaped string (when the last
 * character only crossed max) or a prefix of at least max bytes, cut
 * between characters, plus "...".  Either way it overshoots max by less
 * than one escape. */
static void
test_max_property(void)
{
	GRand *r = g_rand_new_with_seed(4711);
	static const char *const pieces[] = {
		"a", "\x1b", "\xe6\x97\xa5", "\xe2\x80\xae", "\xff", "\n",
		"\xc2\x9b", "xyz",
	};
	const size_t longest = strlen("\\u{202e}");
	int iter, cut = 0;

	for (iter = 0; iter < 2000; iter++) {
		GString *in = g_string_new(NULL);
		size_t max = g_rand_int_range(r, 1, 40), flen, clen;
		char *full, *capped;
		int k, n = g_rand_int_range(r, 0, 30);

		for (k = 0; k < n; k++)
			g_string_append(in, pieces[g_rand_int_range(r, 0,
			    G_N_ELEMENTS(pieces))]);
		full = sanitize_new(in->str, false, 0);
		capped = sanitize_new(in->str, false, max);
		flen = strlen(full);
		clen = strlen(capped);
		if (flen <= max)
			g_assert_cmpstr(capped, ==, full);
		else if (strcmp(capped, full) == 0)
			g_assert_cmpuint(flen, <, max + longest);
		else {
			cut++;
			g_assert_true(g_str_has_suffix(capped, "..."));
			g_assert_cmpuint(clen - 3, >=, max);
			g_assert_cmpuint(clen - 3, <, max + longest);
			g_assert_cmpuint(clen - 3, <, flen);
			g_assert_cmpint(strncmp(capped, full, clen - 3), ==, 0);
		}
		assert_safe(capped, false);
		g_free(full);
		g_free(capped);
		g_string_free(in, TRUE);
	}
	g_assert_cmpint(cut, >, 100);
	g_rand_free(r);
}

/* Random bytes: the output is always valid UTF-8 with nothing dangerous,
 * and already-safe output passes a second time unchanged. */
static void
test_random(void)
{
	GRand *r = g_rand_new_with_seed(20240607);
	char in[64];
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		int n = g_rand_int_range(r, 0, sizeof(in)), i;
		bool keep = g_rand_boolean(r);
		char *once, *twice;

		for (i = 0; i < n; i++)
			in[i] = (char)g_rand_int_range(r, 1, 256);
		in[n] = '\0';
		once = sanitize_new(in, keep, 0);
		assert_safe(once, keep);
		twice = sanitize_new(once, keep, 0);
		g_assert_cmpstr(twice, ==, once);
		g_free(once);
		g_free(twice);
	}
	g_rand_free(r);
}

static void
expect_json(const char *in, const char *want)
{
	char *out = json_ascii_new(in);

	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

/* JSON text comes out in printable ASCII, meaning the same. */
static void
test_json_ascii(void)
{
	expect_json("{\"a\" : \"b\"}", "{\"a\" : \"b\"}");
	expect_json("{\n  \"a\" : 1\n}", "{\n  \"a\" : 1\n}");
	expect_json("\"caf\xc3\xa9\"", "\"caf\\u00e9\"");
	/* C1 CSI and a bidi override: never raw on a terminal. */
	expect_json("\"\xc2\x9b" "2J\"", "\"\\u009b2J\"");
	expect_json("\"\xe2\x80\xae\"", "\"\\u202e\"");
	expect_json("\"\x7f\"", "\"\\u007f\"");
	/* Beyond the BMP: a surrogate pair. */
	expect_json("\"\xf0\x9f\x98\x80\"", "\"\\ud83d\\ude00\"");
	/* Invalid UTF-8 becomes U+FFFD. */
	expect_json("\"a\xff" "b\"", "\"a\\ufffdb\"");
	expect_json("", "");
}

static void
expect_quote(const char *in, const char *want)
{
	char *out = json_quote_new(in);

	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

static void
test_json_quote(void)
{
	expect_quote("", "\"\"");
	expect_quote("plain.img", "\"plain.img\"");
	expect_quote("we\"ird\\name", "\"we\\\"ird\\\\name\"");
	expect_quote("a\x01\n\tb\x7f", "\"a\\u0001\\u000a\\u0009b\\u007f\"");
	expect_quote("caf\xc3\xa9", "\"caf\\u00e9\"");
	expect_quote("\xc2\x9b\xe2\x80\xae", "\"\\u009b\\u202e\"");
	expect_quote("\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\"");
	expect_quote("a\xff" "b", "\"a\\ufffdb\"");
}

static gunichar
hex4(const char *p)
{
	gunichar c = 0;
	int i;

	for (i = 0; i < 4; i++) {
		g_assert_true(g_ascii_isxdigit(p[i]));
		c = c << 4 | g_ascii_xdigit_value(p[i]);
	}
	return c;
}

/* What a JSON parser reads in a string json_quote_new wrote (only the
 * escapes it writes): printable ASCII, one string and nothing after it. */
static char *
unquote_new(const char *q)
{
	GString *out = g_string_new(NULL);
	const char *p;
	gunichar c;

	g_assert_cmpint(*q, ==, '"');
	for (p = q + 1; *p != '"'; p++) {
		g_assert_true(*p >= 0x20 && *p < 0x7f);
		if (*p != '\\') {
			g_string_append_c(out, *p);
			continue;
		}
		if (*++p == '"' || *p == '\\') {
			g_string_append_c(out, *p);
			continue;
		}
		g_assert_cmpint(*p, ==, 'u');
		c = hex4(p + 1);
		p += 4;
		if (c >= 0xd800 && c < 0xdc00) {
			g_assert_true(p[1] == '\\' && p[2] == 'u');
			c = 0x10000 + ((c - 0xd800) << 10) +
			    (hex4(p + 3) - 0xdc00);
			p += 6;
		}
		g_string_append_unichar(out, c);
	}
	g_assert_cmpint(p[1], ==, '\0');
	return g_string_free(out, FALSE);
}

/* Random bytes (file names may hold any): read back, the same text. */
static void
test_json_quote_random(void)
{
	GRand *r = g_rand_new_with_seed(20261126);
	char in[64];
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		int n = g_rand_int_range(r, 0, sizeof(in)), i;
		char *q, *back, *valid;

		for (i = 0; i < n; i++)
			in[i] = (char)g_rand_int_range(r, 1, 256);
		in[n] = '\0';
		q = json_quote_new(in);
		back = unquote_new(q);
		valid = g_utf8_make_valid(in, -1);
		g_assert_cmpstr(back, ==, valid);
		g_free(valid);
		g_free(back);
		g_free(q);
	}
	g_rand_free(r);
}

/* Columns on a terminal, which tables are aligned by. */
static void
test_width(void)
{
	g_assert_cmpuint(text_width(""), ==, 0);
	g_assert_cmpuint(text_width("vmdk descriptor"), ==, 15);
	/* A size as GLib writes it: a no-break space, one column. */
	g_assert_cmpuint(text_width("4.0\xc2\xa0KiB"), ==, 7);
	/* "日本語.img": wide characters take two. */
	g_assert_cmpuint(text_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
	    "\x9e.img"), ==, 10);
	/* "é" as e and a combining acute accent: one. */
	g_assert_cmpuint(text_width("e\xcc\x81"), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sanitize/plain", test_plain);
	g_test_add_func("/sanitize/japanese", test_japanese);
	g_test_add_func("/sanitize/c0", test_c0);
	g_test_add_func("/sanitize/keep-newlines", test_keep_newlines);
	g_test_add_func("/sanitize/c1", test_c1);
	g_test_add_func("/sanitize/bidi", test_bidi);
	g_test_add_func("/sanitize/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/sanitize/max", test_max);
	g_test_add_func("/sanitize/max-property", test_max_property);
	g_test_add_func("/sanitize/random", test_random);
	g_test_add_func("/sanitize/json-ascii", test_json_ascii);
	g_test_add_func("/sanitize/json-quote", test_json_quote);
	g_test_add_func("/sanitize/json-quote-random", test_json_quote_random);
	g_test_add_func("/sanitize/width", test_width);
	return g_test_run();
}

/* Unit tests of the tokenizer: the quoting rules, the limits, and that
 * nothing a shell would interpret is interpreted. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "tokenize.h"

/* Asserts that line splits into exactly the words given after it (a
 * NULL-terminated list), in order. */
static void
expect_words(const char *line, ...)
{
	char **words = NULL;
	const char *why = "unset", *w;
	va_list ap;
	int n = -1, i = 0, r;

	r = tokenize(line, &words, &n, &why);
	if (r != 0)
		g_test_message("tokenize(\"%s\"): %s", line, why);
	g_assert_cmpint(r, ==, 0);
	g_assert_null(why);
	g_assert_nonnull(words);
	va_start(ap, line);
	while ((w = va_arg(ap, const char *)) != NULL) {
		g_assert_cmpint(i, <, n);
		g_assert_cmpstr(words[i], ==, w);
		i++;
	}
	va_end(ap);
	g_assert_cmpint(n, ==, i);
	g_assert_null(words[n]);
	g_strfreev(words);
}

/* Asserts that line is refused with exactly the given reason, and that
 * nothing is handed back that the caller would have to free. */
static void
expect_error(const char *line, const char *reason)
{
	char **words = (char **)&words;
	const char *why = NULL;
	int n = -1;

	g_assert_cmpint(tokenize(line, &words, &n, &why), ==, -1);
	g_assert_null(words);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpstr(why, ==, reason);
}

static int
count_words(const char *line)
{
	char **words;
	const char *why;
	int n;

	g_assert_cmpint(tokenize(line, &words, &n, &why), ==, 0);
	g_assert_cmpuint(g_strv_length(words), ==, (guint)n);
	g_strfreev(words);
	return n;
}

static void
test_empty(void)
{
	expect_words("", NULL);
	expect_words(" ", NULL);
	expect_words(" \t \t  ", NULL);
}

static void
test_plain(void)
{
	expect_words("list", "list", NULL);
	expect_words("define web --template small", "define", "web",
	    "--template", "small", NULL);
	expect_words("start web-1", "start", "web-1", NULL);
}

static void
test_blanks(void)
{
	expect_words("  start   web  ", "start", "web", NULL);
	expect_words("\tstart\t\tweb\t", "start", "web", NULL);
	expect_words("start \t web", "start", "web", NULL);
}

static void
test_single_quotes(void)
{
	expect_words("'a b'", "a b", NULL);
	expect_words("x'y z'w", "xy zw", NULL);
	/* Nothing is special between single quotes, not even a backslash. */
	expect_words("'a\\b'", "a\\b", NULL);
	expect_words("'a\\'", "a\\", NULL);
	expect_words("'a\"b'", "a\"b", NULL);
	expect_words("'$(id) `id` ; | &&'", "$(id) `id` ; | &&", NULL);
	expect_words("'a' 'b'", "a", "b", NULL);
}

static void
test_double_quotes(void)
{
	expect_words("\"a b\"", "a b", NULL);
	expect_words("\"a\\\"b\"", "a\"b", NULL);
	expect_words("\"a\\\\b\"", "a\\b", NULL);
	expect_words("\"\\\\\"", "\\", NULL);
	/* Only \" and \\ are escapes; any other backslash stays. */
	expect_words("\"a\\nb\"", "a\\nb", NULL);
	expect_words("\"a\\ b\"", "a\\ b", NULL);
	expect_words("\"it's\"", "it's", NULL);
	expect_words("\"$(id)\" \"$HOME\"", "$(id)", "$HOME", NULL);
	expect_words("x\"y z\"w", "xy zw", NULL);
	expect_words("\"a\"'b'c", "abc", NULL);
}

static void
test_backslash(void)
{
	expect_words("a\\ b", "a b", NULL);
	expect_words("\\'", "'", NULL);
	expect_words("\\\"x", "\"x", NULL);
	expect_words("\\\\", "\\", NULL);
	expect_words("\\a\\b", "ab", NULL);
	expect_words("a\\;b", "a;b", NULL);
	expect_words("\\ ", " ", NULL);
}

static void
test_empty_word(void)
{
	expect_words("''", "", NULL);
	expect_words("\"\"", "", NULL);
	expect_words("a '' b", "a", "", "b", NULL);
	expect_words("start \"\"", "start", "", NULL);
	/* Adjacent to other text an empty pair adds nothing. */
	expect_words("a''b", "ab", NULL);
	expect_words("''\"\"", "", NULL);
}

static void
test_unterminated(void)
{
	expect_error("'", "unterminated quote");
	expect_error("\"", "unterminated quote");
	expect_error("'abc", "unterminated quote");
	expect_error("\"abc", "unterminated quote");
	expect_error("start 'web", "unterminated quote");
	expect_error("a \"b' c", "unterminated quote");
	/* An escaped quote does not close the string. */
	expect_error("\"a\\\"", "unterminated quote");
	/* Inside double quotes a final backslash is just a character. */
	expect_error("\"a\\", "unterminated quote");
}

static void
test_backslash_at_end(void)
{
	expect_error("\\", "backslash at end of line");
	expect_error("abc\\", "backslash at end of line");
	expect_error("start web \\", "backslash at end of line");
	expect_error("a\\\\\\", "backslash at end of line");
}

/* Every C0 control except the tab used as a blank, and DEL, is refused
 * wherever it appears: bare, quoted or escaped. */
static void
test_control(void)
{
	char line[16];
	int c;

	for (c = 1; c < 0x80; c++) {
		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c != '\t') {
			g_snprintf(line, sizeof(line), "a%cb", c);
			expect_error(line, "control character in input");
			g_snprintf(line, sizeof(line), "%c", c);
			expect_error(line, "control character in input");
		}
		g_snprintf(line, sizeof(line), "'a%cb'", c);
		expect_error(line, "control character in input");
		g_snprintf(line, sizeof(line), "\"a%cb\"", c);
		expect_error(line, "control character in input");
		g_snprintf(line, sizeof(line), "a\\%cb", c);
		expect_error(line, "control character in input");
		g_snprintf(line, sizeof(line), "\"a\\%c\"", c);
		expect_error(line, "control character in input");
	}
	expect_error("list\n", "control character in input");
	expect_error("list\r", "control character in input");
	expect_error("start \x1b[2Jweb", "control character in input");
	expect_error("start web\x7f", "control character in input");
	/* A control character after an open quote is reported as such, not
	 * as the quote left open. */
	expect_error("'web\n", "control character in input");
}

static void
test_metachars(void)
{
	expect_words("list; id", "list;", "id", NULL);
	expect_words("list;id", "list;id", NULL);
	expect_words("a|b", "a|b", NULL);
	expect_words("a | b", "a", "|", "b", NULL);
	expect_words("$(id)", "$(id)", NULL);
	expect_words("`id`", "`id`", NULL);
	expect_words("a && b || c", "a", "&&", "b", "||", "c", NULL);
	expect_words("a >x <y 2>&1", "a", ">x", "<y", "2>&1", NULL);
	expect_words("$HOME ~ * ?", "$HOME", "~", "*", "?", NULL);
	expect_words("#comment", "#comment", NULL);
	expect_words("a # b", "a", "#", "b", NULL);
	expect_words("{a,b} !! a=b &", "{a,b}", "!!", "a=b", "&", NULL);
}

static void
test_line_limit(void)
{
	char *line = g_malloc(LINE_MAX_LEN + 2);
	char **words;
	const char *why;
	int n;

	memset(line, 'a', LINE_MAX_LEN);
	line[LINE_MAX_LEN] = '\0';
	g_assert_cmpint(tokenize(line, &words, &n, &why), ==, 0);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpuint(strlen(words[0]), ==, LINE_MAX_LEN);
	g_strfreev(words);

	line[LINE_MAX_LEN] = 'a';
	line[LINE_MAX_LEN + 1] = '\0';
	expect_error(line, "line too long");

	/* The limit is on the line, not on what the words add up to. */
	memset(line, ' ', LINE_MAX_LEN + 1);
	expect_error(line, "line too long");
	line[LINE_MAX_LEN] = '\0';
	g_assert_cmpint(count_words(line), ==, 0);
	g_free(line);
}

static void
test_word_limit(void)
{
	GString *s = g_string_new(NULL);
	int i;

	for (i = 0; i < WORDS_MAX; i++)
		g_string_append_printf(s, "w%d ", i);
	g_assert_cmpint(count_words(s->str), ==, WORDS_MAX);
	g_string_append(s, "   \t");
	g_assert_cmpint(count_words(s->str), ==, WORDS_MAX);
	g_string_append(s, "x");
	expect_error(s->str, "too many words");

	/* Empty words count too. */
	g_string_truncate(s, 0);
	for (i = 0; i <= WORDS_MAX; i++)
		g_string_append(s, "'' ");
	expect_error(s->str, "too many words");
	g_string_free(s, TRUE);
}

static void
test_utf8(void)
{
	expect_words("define \xe6\x97\xa5\xe6\x9c\xac",
	    "define", "\xe6\x97\xa5\xe6\x9c\xac", NULL);
	expect_words("'caf\xc3\xa9 au lait'", "caf\xc3\xa9 au lait", NULL);
	expect_words("\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80", NULL);
	/* An escaped multibyte character comes out whole. */
	expect_words("\\\xc3\xa9", "\xc3\xa9", NULL);
	/* Bytes from 0x80 up are not controls here; the name rules and the
	 * output escaping deal with them. */
	expect_words("a\xc2\x9b" "b", "a\xc2\x9b" "b", NULL);
}

/* The tab is a separator only; quoted or escaped it would end up inside a
 * name, and is refused like the other controls. */
static void
test_tab_only_separates(void)
{
	expect_error("'a\tb'", "control character in input");
	expect_error("\"a\tb\"", "control character in input");
	expect_error("a\\\tb", "control character in input");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tokenize/empty", test_empty);
	g_test_add_func("/tokenize/plain", test_plain);
	g_test_add_func("/tokenize/blanks", test_blanks);
	g_test_add_func("/tokenize/single-quotes", test_single_quotes);
	g_test_add_func("/tokenize/double-quotes", test_double_quotes);
	g_test_add_func("/tokenize/backslash", test_backslash);
	g_test_add_func("/tokenize/empty-word", test_empty_word);
	g_test_add_func("/tokenize/unterminated", test_unterminated);
	g_test_add_func("/tokenize/backslash-at-end", test_backslash_at_end);
	g_test_add_func("/tokenize/control", test_control);
	g_test_add_func("/tokenize/tab-only-separates",
	    test_tab_only_separates);
	g_test_add_func("/tokenize/metachars", test_metachars);
	g_test_add_func("/tokenize/line-limit", test_line_limit);
	g_test_add_func("/tokenize/word-limit", test_word_limit);
	g_test_add_func("/tokenize/utf8", test_utf8);
	return g_test_run();
}

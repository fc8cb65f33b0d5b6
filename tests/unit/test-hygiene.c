/* Unit tests of what the shell keeps of its caller's TERM and locale. */
#include "config.h"

#include <glib.h>

#include "hygiene.h"

static void
test_term(void)
{
	static const char *const good[] = {
		"xterm", "xterm-256color", "screen.xterm-256color", "vt100",
		"rxvt-unicode+x", "a", "dumb", "0x",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const bad[] = {
		"", "-x", ".x", "../../tmp/evil", "x/y", "xterm ",
		"xterm\033]0;x\007", "\303\251",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(term_valid(good[i]));
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(term_valid(bad[i]));
}

static void
test_locale(void)
{
	static const char *const good[] = {
		"C", "POSIX", "C.UTF-8", "C.utf8", "en_US.UTF-8", "de_DE@euro",
		"ca_ES.UTF-8@valencia", "es", "ast_ES", "en_US",
	};
	static const char *const bad[] = {
		"", "../../..", "/usr/lib/locale/x", "e", "abcd", "en_us",
		"en_USA", "en_US.", "en_US.UTF-8@", "en_US@Euro", "\033[31m",
		"C.", "C@x", "en_US.UTF/8", "en_US.UTF-8 ",
		"en_US.aaaaaaaaaaaaaaaaa", "en_US.UTF-8@aaaaaaaaaaaaaaaaa",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(locale_valid(good[i]));
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(locale_valid(bad[i]));
}

/* LANGUAGE: a list of names gettext looks catalogues up by. */
static void
test_language(void)
{
	static const char *const good[] = {
		"ja", "ja:en", "ja_JP:ja:en_US.UTF-8", "de@euro",
		"aa:ab:ac:ad:ae:af:ag:ah",
	};
	static const char *const bad[] = {
		"", ":", "ja:", ":ja", "ja::en", "C", "ja:POSIX",
		"ja:../../tmp/x", "/usr/share/locale", "ja:en\033[31m",
		"aa:ab:ac:ad:ae:af:ag:ah:ai",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(language_valid(good[i]));
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(language_valid(bad[i]));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hygiene/term", test_term);
	g_test_add_func("/hygiene/locale", test_locale);
	g_test_add_func("/hygiene/language", test_language);
	return g_test_run();
}

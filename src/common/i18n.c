/* The language of messages: what is kept of a caller's locale variables,
 * the process's locale, and the name of it passed to the broker. */
#include "config.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "i18n.h"

#define LOCALE_PART_MAX	16
#define LANGUAGE_MAX	8

/* Length of the run of characters at s that in() accepts if it is min to
 * max long, else -1.  g_ascii_*: no locale must change what is accepted. */
static int
span(const char *s, gboolean (*in)(gchar), int min, int max)
{
	int n = 0;

	while (n <= max && s[n] != '\0' && in(s[n]))
		n++;
	return n >= min && n <= max ? n : -1;
}

static gboolean
is_alpha(gchar c)
{
	return g_ascii_isalpha(c);
}

static gboolean
is_upper(gchar c)
{
	return g_ascii_isupper(c);
}

static gboolean
is_lower(gchar c)
{
	return g_ascii_islower(c);
}

static gboolean
is_codeset_char(gchar c)
{
	return g_ascii_isalnum(c) || c == '-';
}

/* glibc takes a name with '/' as a path, so anything looser would let the
 * caller choose which files setlocale() and gettext read. */
bool
locale_valid(const char *name)
{
	const char *s = name;
	int n;

	if (strcmp(s, "C") == 0 || strcmp(s, "POSIX") == 0)
		return true;
	if (s[0] == 'C' && s[1] == '.')
		s++;
	else {
		if ((n = span(s, is_alpha, 2, 3)) < 0)
			return false;
		s += n;
		if (*s == '_') {
			if ((n = span(s + 1, is_upper, 2, 2)) < 0)
				return false;
			s += 1 + n;
		}
	}
	if (*s == '.') {
		if ((n = span(s + 1, is_codeset_char, 1, LOCALE_PART_MAX)) < 0)
			return false;
		s += 1 + n;
	}
	if (*s == '@') {
		if ((n = span(s + 1, is_lower, 1, LOCALE_PART_MAX)) < 0)
			return false;
		s += 1 + n;
	}
	return *s == '\0';
}

bool
language_valid(const char *list)
{
	char **parts = g_strsplit(list, ":", LANGUAGE_MAX + 1);
	bool ok = parts[0] != NULL;
	int i;

	for (i = 0; ok && parts[i] != NULL; i++)
		ok = i < LANGUAGE_MAX && locale_valid(parts[i]) &&
		    strcmp(parts[i], "C") != 0 && strcmp(parts[i], "POSIX") != 0;
	g_strfreev(parts);
	return ok;
}

void
i18n_init(const char *localedir, const char *locpath)
{
	if (locpath != NULL) {
		setenv("LOCPATH", locpath, 1);
		localedir = locpath;
	}
	/* A category whose locale is not installed stays C.UTF-8: LANG may
	 * be pam_env's, naming a locale this machine lacks, and LC_MESSAGES
	 * the student's, naming one it has. */
	if (setlocale(LC_ALL, "") == NULL) {
		setlocale(LC_ALL, "C.UTF-8");
		setlocale(LC_CTYPE, "");
		setlocale(LC_MESSAGES, "");
	}
	bindtextdomain(PACKAGE, localedir);
	textdomain(PACKAGE);
}

/* The language part of a locale name or of a catalogue's Language: "ja"
 * of "ja_JP.UTF-8". */
static size_t
language_len(const char *s)
{
	return strcspn(s, "_.@\n");
}

const char *
i18n_messages_locale(void)
{
	const char *header = gettext(""), *lang, *name;

	/* The header of the catalogue in use; msgid "" itself without one. */
	if ((lang = strstr(header, "Language: ")) == NULL)
		return "C";
	lang += strlen("Language: ");
	name = setlocale(LC_MESSAGES, NULL);
	if (name == NULL || language_len(lang) == 0 ||
	    language_len(lang) != language_len(name) ||
	    strncmp(lang, name, language_len(lang)) != 0 ||
	    strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		return "C";
	return name;
}

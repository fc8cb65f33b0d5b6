/* gettext wrappers (every user-facing message goes through _()) and the
 * choice of the language messages are in. */
#ifndef IEVS_I18N_H
#define IEVS_I18N_H

#include <libintl.h>
#include <stdbool.h>

#define _(s) gettext(s)
#define N_(s) (s)

/* "C", "POSIX", "C.<codeset>", or
 * ^[A-Za-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]{1,16})?(@[a-z]{1,16})?$:
 * a locale name that is never a path. */
bool locale_valid(const char *name);
/* LANGUAGE's value: one to eight such names (not "C"), joined by ':'. */
bool language_valid(const char *list);

/* The locale of the environment (setlocale(LC_ALL, "")), or C.UTF-8 where
 * that locale is not installed: English then, never mangled text.  The
 * catalogues come from localedir.  locpath, if not NULL (tests only), is
 * searched for compiled locales and catalogues before the system's. */
void i18n_init(const char *localedir, const char *locpath);
/* The name of the locale for messages, for a peer that translates its own
 * (the broker): this process's LC_MESSAGES locale if a catalogue of its
 * language is in use and text is UTF-8; "C" (English) otherwise.  Valid
 * until the next setlocale(). */
const char *i18n_messages_locale(void);

#endif

/* Escaping of strings that came from outside before they reach a terminal
 * or a log. */
#ifndef IEVS_SANITIZE_H
#define IEVS_SANITIZE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Returns a new string in which C0 controls (except '\n' and '\t' when
 * keep_newlines), DEL, C1 controls, invisible format characters (bidi
 * overrides, zero-width spaces, ...) and invalid UTF-8 are written as
 * \xNN or \u{NNNN}.  max (0: unlimited) caps the
 * output length; a capped string ends in "...". */
char *sanitize_new(const char *s, bool keep_newlines, size_t max);
/* The message fmt makes of ap, escaped as sanitize_new does (on one line):
 * a message that quotes what came from outside. */
char *sanitize_vprintf_new(size_t max, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* JSON text with every character outside printable ASCII written as a
 * \uNNNN escape (a pair of them beyond U+FFFF), invalid UTF-8 first made
 * valid with U+FFFD: still the same JSON, and safe on a terminal.  Only
 * for JSON text, whose strings already escape '"', '\\' and C0 controls. */
char *json_ascii_new(const char *json);
/* s as a JSON string literal, quotes included, in the same printable
 * ASCII: '"' and '\\' escaped, every other character outside printable
 * ASCII as \uNNNN; invalid UTF-8 first made valid with U+FFFD. */
char *json_quote_new(const char *s);
/* The columns s takes on a terminal: two for a wide character (CJK), none
 * for a combining or zero-width one, one for the rest.  s is valid UTF-8,
 * as sanitize_new() returns it. */
size_t text_width(const char *s);
/* s, then spaces up to width columns (as text_width() counts them): printf's
 * "%-*s" counts bytes, which a translated word in Japanese is not. */
void text_pad(FILE *out, const char *s, size_t width);

#endif

/* libFuzzer target: sanitize_new(), the last filter between outside text
 * and a terminal or log, and the JSON escapers beside it.  The first input byte chooses keep_newlines and
 * the cap; the rest is the string.  The output is checked byte by byte
 * against what the header promises. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Small caps reach the cut-off with short inputs; the rest are the
 * callers' (audit fields, audit lines, table cells, error messages). */
static const size_t caps[] = { 0, 1, 2, 3, 4, 5, 7, 8, 16, 256, 1024, 2048,
    0, 0, 0, 0 };

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF.  Returns the length of the sequence at p and its code
 * point in *cp, or 0 if it is not valid.  Written out rather than taken
 * from GLib so that the check does not share the code it checks. */
static size_t
utf8_next(const unsigned char *p, uint32_t *cp)
{
	size_t n, i;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		n = 2, c = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3, c = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static bool
is_bidi(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* What sanitize_new() may escape: the header's list, and the other
 * invisible format characters (Unicode category Cf, such as U+200B or
 * U+206E) that it also escapes so that they cannot disguise a name. */
static bool
may_escape(uint32_t c, bool keep_newlines)
{
	if (c == '\n' || c == '\t')
		return !keep_newlines;
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    is_bidi(c) || g_unichar_type(c) == G_UNICODE_FORMAT;
}

static void
check_output(const char *out, bool keep_newlines)
{
	const unsigned char *p = (const unsigned char *)out;
	uint32_t c;
	size_t n;

	while (*p != '\0') {
		CHECK((n = utf8_next(p, &c)) != 0);
		if (c == '\n' || c == '\t')
			CHECK(keep_newlines);
		else
			CHECK(c >= 0x20 && c != 0x7f);
		CHECK(!(c >= 0x80 && c <= 0x9f));
		CHECK(!is_bidi(c));
		p += n;
	}
}

/* Returns whether s is text that needs no escaping at all. */
static bool
is_clean(const char *s, bool keep_newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	while (*p != '\0') {
		if ((n = utf8_next(p, &c)) == 0 || may_escape(c, keep_newlines))
			return false;
		p += n;
	}
	return true;
}

/* json_ascii_new: printable ASCII (and layout) only, and text that was
 * printable ASCII already is left alone. */
static void
check_json_ascii(const char *s)
{
	char *out = json_ascii_new(s);
	const unsigned char *p;
	bool ascii = true;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		ascii = ascii && ((*p >= 0x20 && *p < 0x7f) || *p == '\n' ||
		    *p == '\t');
	for (p = (const unsigned char *)out; *p != '\0'; p++)
		CHECK((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t');
	if (ascii)
		CHECK(strcmp(out, s) == 0);
	g_free(out);
}

/* json_quote_new: one JSON string of printable ASCII, every escape one
 * it promises, and printable ASCII without '"' or '\\' only quoted. */
static void
check_json_quote(const char *s)
{
	char *out = json_quote_new(s);
	const char *p;
	size_t n = strlen(out);
	bool plain = true;
	int i;

	CHECK(n >= 2 && out[0] == '"' && out[n - 1] == '"');
	for (p = out + 1; p < out + n - 1; p++) {
		CHECK(*p >= 0x20 && *p < 0x7f && *p != '"');
		if (*p != '\\')
			continue;
		p++;
		if (*p == '"' || *p == '\\')
			continue;
		CHECK(*p == 'u');
		for (i = 1; i <= 4; i++)
			CHECK(g_ascii_isxdigit(p[i]));
		p += 4;
	}
	for (p = s; *p != '\0'; p++)
		plain = plain && *p >= 0x20 && *p < 0x7f && *p != '"' &&
		    *p != '\\';
	if (plain)
		CHECK(n == strlen(s) + 2 && strncmp(out + 1, s, n - 2) == 0);
	g_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool keep_newlines;
	size_t max;
	char *s, *out;

	if (size < 1) {
		out = sanitize_new(NULL, false, 0);
		CHECK(out != NULL && out[0] == '\0');
		g_free(out);
		return 0;
	}
	keep_newlines = data[0] & 0x80;
	max = caps[data[0] & 0x0f];
	s = fuzz_str_new(data + 1, size - 1);
	out = sanitize_new(s, keep_newlines, max);
	CHECK(out != NULL);
	check_output(out, keep_newlines);
	if (max > 0)
		CHECK(strlen(out) <= max + 16);
	/* Harmless text goes through untouched. */
	else if (is_clean(s, keep_newlines))
		CHECK(strcmp(out, s) == 0);
	check_json_ascii(s);
	check_json_quote(s);
	g_free(out);
	free(s);
	return 0;
}

/* Terminal-safe escaping: nothing from outside may move the cursor, change
 * colours, set the window title or reorder text on anyone's screen. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sanitize.h"

static bool
is_bidi_control(gunichar c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c;
}

char *
sanitize_new(const char *s, bool keep_newlines, size_t max)
{
	GString *out = g_string_sized_new(s ? strlen(s) : 0);
	const char *p = s ? s : "";

	while (*p != '\0') {
		unsigned char c = *p;
		gunichar u;
		const char *next;

		if (max != 0 && out->len >= max) {
			g_string_append(out, "...");
			break;
		}
		if (c < 0x80) {
			if ((c < 0x20 && !(keep_newlines &&
			    (c == '\n' || c == '\t'))) || c == 0x7f)
				g_string_append_printf(out, "\\x%02x", c);
			else
				g_string_append_c(out, c);
			p++;
			continue;
		}
		u = g_utf8_get_char_validated(p, -1);
		if (u == (gunichar)-1 || u == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", c);
			p++;
			continue;
		}
		next = g_utf8_next_char(p);
		/* Format characters (zero-width, bidi, ...) are invisible
		 * and could disguise a name. */
		if ((u >= 0x80 && u <= 0x9f) || is_bidi_control(u) ||
		    g_unichar_type(u) == G_UNICODE_FORMAT)
			g_string_append_printf(out, "\\u{%04x}", u);
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	return g_string_free(out, FALSE);
}

char *
sanitize_vprintf_new(size_t max, const char *fmt, va_list ap)
{
	char *raw = g_strdup_vprintf(fmt, ap);
	char *clean = sanitize_new(raw, false, max);

	g_free(raw);
	return clean;
}

static void
json_escape_unit(GString *out, gunichar c)
{
	g_string_append_printf(out, "\\u%04x", (unsigned)c);
}

/* JSON escapes name UTF-16 units: beyond U+FFFF, a surrogate pair. */
static void
json_escape_char(GString *out, gunichar c)
{
	if (c > 0xffff) {
		c -= 0x10000;
		json_escape_unit(out, 0xd800 + (c >> 10));
		json_escape_unit(out, 0xdc00 + (c & 0x3ff));
	} else
		json_escape_unit(out, c);
}

char *
json_ascii_new(const char *json)
{
	char *valid = g_utf8_make_valid(json, -1);
	GString *out = g_string_sized_new(strlen(valid) + 16);
	const char *p;

	for (p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c >= 0x20 && c < 0x7f)
			g_string_append_c(out, (char)c);
		else if (c == '\n' || c == '\t')
			g_string_append_c(out, (char)c);	/* layout */
		else
			json_escape_char(out, c);
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

char *
json_quote_new(const char *s)
{
	char *valid = g_utf8_make_valid(s, -1);
	GString *out = g_string_sized_new(strlen(valid) + 2);
	const char *p;

	g_string_append_c(out, '"');
	for (p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '"' || c == '\\')
			g_string_append_c(out, '\\');
		if (c >= 0x20 && c < 0x7f)
			g_string_append_c(out, (char)c);
		else
			json_escape_char(out, c);
	}
	g_string_append_c(out, '"');
	g_free(valid);
	return g_string_free(out, FALSE);
}

size_t
text_width(const char *s)
{
	const char *p;
	size_t w = 0;

	for (p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iswide(c))
			w += 2;
		else if (!g_unichar_iszerowidth(c))
			w++;
	}
	return w;
}

void
text_pad(FILE *out, const char *s, size_t width)
{
	size_t w = text_width(s);

	fputs(s, out);
	for (; w < width; w++)
		putc(' ', out);
}

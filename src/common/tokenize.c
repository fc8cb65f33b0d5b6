/* Quoting rules: blanks (space, tab) separate words; '...' is literal;
 * "..." is literal except that \" and \\ stand for " and \; outside quotes
 * a backslash takes the next character literally.  Any other control
 * character, anywhere, is an error rather than something to interpret. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "i18n.h"
#include "tokenize.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int
tokenize(const char *line, char ***wordsp, int *nwordsp, const char **why)
{
	GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
	GString *cur = NULL;
	const char *p;
	char quote = 0;

	*wordsp = NULL;
	*nwordsp = 0;
	if (strlen(line) > LINE_MAX_LEN) {
		*why = N_("line too long");
		goto fail;
	}
	for (p = line; *p != '\0'; p++) {
		if (is_control(*p) && !(quote == 0 && *p == '\t')) {
			*why = N_("control character in input");
			goto fail;
		}
		if (quote == 0 && is_blank(*p)) {
			if (cur != NULL) {
				g_ptr_array_add(words, g_string_free(cur, FALSE));
				cur = NULL;
			}
			continue;
		}
		if (cur == NULL) {
			if (words->len >= WORDS_MAX) {
				*why = N_("too many words");
				goto fail;
			}
			cur = g_string_new(NULL);
		}
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			else
				g_string_append_c(cur, *p);
		} else if (quote == '"') {
			if (*p == '"')
				quote = 0;
			else if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				g_string_append_c(cur, *++p);
			else
				g_string_append_c(cur, *p);
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				*why = N_("backslash at end of line");
				goto fail;
			}
			if (is_control(p[1])) {
				*why = N_("control character in input");
				goto fail;
			}
			g_string_append_c(cur, *++p);
		} else {
			g_string_append_c(cur, *p);
		}
	}
	if (quote != 0) {
		*why = N_("unterminated quote");
		goto fail;
	}
	if (cur != NULL)
		g_ptr_array_add(words, g_string_free(cur, FALSE));
	*nwordsp = words->len;
	g_ptr_array_add(words, NULL);
	*wordsp = (char **)g_ptr_array_free(words, FALSE);
	*why = NULL;
	return 0;
fail:
	if (cur != NULL)
		g_string_free(cur, TRUE);
	g_ptr_array_free(words, TRUE);
	return -1;
}

/* libFuzzer target: a command line as the shell gets it (a typed line or
 * ssh's -c), through tokenize() and cmd_parse() as shell_run_line() does,
 * then sent and decoded as the broker would. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cmdtab.h"
#include "fuzz.h"
#include "proto.h"
#include "tokenize.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check_call() trusts the table's own promises (max_pos within pos[],
 * one definition per name): hold it to them first. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *bad = cmd_table_check();

	if (bad != NULL) {
		fprintf(stderr, "command table: %s\n", bad);
		abort();
	}
	return 0;
}

/* Whatever the quoting, no word may carry a control character (a tab
 * included) on to the broker, its log or a terminal. */
static void
check_words(char **words, int n)
{
	int i;
	const char *p;

	CHECK(n >= 0 && n <= WORDS_MAX && words[n] == NULL);
	for (i = 0; i < n; i++) {
		CHECK(words[i] != NULL && strlen(words[i]) <= LINE_MAX_LEN);
		for (p = words[i]; *p != '\0'; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
}

/* Each word quoted by the documented rules must come back as itself:
 * the rules are the whole contract with users who quote names. */
static char *
requote(char **words, int n, bool dquote)
{
	GString *s = g_string_new(NULL);
	const char *p;
	int i;

	for (i = 0; i < n; i++) {
		g_string_append(s, i ? " " : "");
		g_string_append_c(s, dquote ? '"' : '\'');
		for (p = words[i]; *p != '\0'; p++) {
			if (dquote && (*p == '"' || *p == '\\'))
				g_string_append_c(s, '\\');
			if (!dquote && *p == '\'')
				g_string_append(s, "'\\'");
			g_string_append_c(s, *p);
		}
		g_string_append_c(s, dquote ? '"' : '\'');
	}
	return g_string_free(s, FALSE);
}

static void
check_requote(char **words, int n, bool dquote)
{
	char *line = requote(words, n, dquote), **again;
	const char *why;
	int m, i;

	if (strlen(line) <= LINE_MAX_LEN) {
		CHECK(tokenize(line, &again, &m, &why) == 0);
		CHECK(m == n);
		for (i = 0; i < n; i++)
			CHECK(strcmp(again[i], words[i]) == 0);
		g_strfreev(again);
	}
	g_free(line);
}

/* session_request() sends the words as they are; a line the shell
 * accepts must be a request the broker accepts, word for word. */
static void
check_sent(char **words, int n)
{
	struct proto_msg *req, *got;
	const char *why;
	uint8_t *buf;
	size_t len;
	int i;

	req = proto_msg_new(PROTO_REQUEST, 0, 1);
	for (i = 0; i < n; i++)
		CHECK(proto_msg_add(req, words[i]) == 0);
	CHECK(proto_encode(req, &buf, &len) == 0);
	CHECK(len - 4 <= PROTO_MAX_REQ_FRAME);
	got = proto_decode(buf + 4, len - 4, PROTO_MAX_REQ_STRINGS,
	    PROTO_MAX_REQ_STRING, &why);
	CHECK(got != NULL && got->type == PROTO_REQUEST);
	CHECK(got->nstr == (uint32_t)n);
	for (i = 0; i < n; i++)
		CHECK(strcmp(got->str[i], words[i]) == 0);
	fuzz_check_request((int)got->nstr, got->str);
	proto_msg_free(got);
	proto_msg_free(req);
	g_free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_str_new(data, size), **words;
	struct cmd_call call;
	const char *why;
	char err[512];
	int n;

	if (tokenize(line, &words, &n, &why) < 0) {
		CHECK(words == NULL && n == 0 && why != NULL);
		free(line);
		return 0;
	}
	CHECK(why == NULL);
	check_words(words, n);
	check_requote(words, n, false);
	check_requote(words, n, true);
	fuzz_check_request(n, words);
	if (n > 0 && cmd_parse(n, words, &call, err, sizeof(err)) == ST_OK &&
	    !(call.def->flags & CMD_LOCAL))
		check_sent(words, n);
	g_strfreev(words);
	free(line);
	return 0;
}

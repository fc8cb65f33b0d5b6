/* libFuzzer target: the authorized_keys reader (sshkeys.c), which reads
 * a student's keys in the broker and a guest's files in ie-vmd-creds.
 * The whole input is one file's text.  What comes out must be lines of
 * "TYPE BLOB" that the reader finds again as the same key, and no
 * insecure key among them. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz.h"
#include "sshkeys.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str_new(data, size), *clean, **lines, *t, *b, *fp;
	int n, i;

	clean = sshkey_clean_new(text, strlen(text), 8, &n);
	CHECK(n >= 0 && n <= 8);
	lines = g_strsplit(clean, "\n", -1);
	/* GLib splits "" into no pieces at all. */
	CHECK((int)g_strv_length(lines) == (n ? n + 1 : 0));
	for (i = 0; i < n; i++) {
		CHECK(sshkey_find(lines[i], &t, &b));
		CHECK(strlen(t) + 1 + strlen(b) == strlen(lines[i]));
		CHECK(sshkey_insecure(lines[i]) == NULL);
		CHECK((fp = sshkey_fingerprint_new(b)) != NULL);
		CHECK(strlen(fp) == 50);	/* "SHA256:" and 43 */
		g_free(fp);
		g_free(t);
		g_free(b);
	}
	(void)sshkey_insecure(text);
	g_strfreev(lines);
	g_free(clean);
	free(text);
	return 0;
}

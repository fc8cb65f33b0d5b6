/* OpenSSH public keys in authorized_keys lines (sshkeys.h).  A line is
 * "[options] type base64 [comment]" where options may hold quoted
 * blanks: rather than parse the options, every pair of adjacent words is
 * tried, and a pair is a key when the second decodes to a blob that names
 * the first as its type (the blob's first field, as ssh-keygen checks). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "sshkeys.h"

#define KEY_MAX 16384	/* bytes of base64: RSA 16384 bits is ~2.8 KB */

/* Vagrant's published insecure keys (keys/vagrant.pub in its source),
 * known by fingerprint: the key text may be wrapped or commented. */
static const struct {
	const char *fp, *name;
} insecure[] = {
	{ "SHA256:1M4RzhMyWuFS/86uPY/ce2prh/dVTHW7iD2RhpquOZA",
	    "Vagrant's insecure RSA key" },
	{ "SHA256:WkvqjnyPAeC0cbPErYiGP9vqHdgL1MqqvPdIe3lvHgI",
	    "Vagrant's insecure ED25519 key" },
};

static bool
b64_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 4 != 0 || n > KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/' &&
		    !(s[i] == '=' && i >= n - 2))
			return false;
	return true;
}

/* Whether the blob's first field, a string, is type. */
static bool
blob_names(const guchar *blob, gsize len, const char *type)
{
	guint32 n;

	if (len < 4)
		return false;
	n = (guint32)blob[0] << 24 | blob[1] << 16 | blob[2] << 8 | blob[3];
	return n == strlen(type) && n <= len - 4 &&
	    memcmp(blob + 4, type, n) == 0;
}

static bool
is_key(const char *type, const char *b64)
{
	guchar *blob;
	gsize len;
	bool r;

	if (!b64_valid(b64) || strlen(type) > 64)
		return false;
	blob = g_base64_decode(b64, &len);
	r = blob_names(blob, len, type);
	g_free(blob);
	return r;
}

static char **
words_new(const char *line, const char *seps)
{
	char **w = g_strsplit_set(line, seps, -1), **o = w, **i;

	/* Runs of blanks make empty words: drop them in place. */
	for (i = w; *i != NULL; i++)
		if (**i != '\0')
			*o++ = *i;
		else
			g_free(*i);
	*o = NULL;
	return w;
}

bool
sshkey_find(const char *line, char **type, char **b64)
{
	char **w;
	int i;

	*type = *b64 = NULL;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '#')
		return false;
	w = words_new(line, " \t\r\n");
	for (i = 0; w[i] != NULL && w[i + 1] != NULL; i++)
		if (is_key(w[i], w[i + 1])) {
			*type = g_strdup(w[i]);
			*b64 = g_strdup(w[i + 1]);
			break;
		}
	g_strfreev(w);
	return *type != NULL;
}

char *
sshkey_fingerprint_new(const char *b64)
{
	guint8 digest[32];
	gsize dlen = sizeof(digest), len;
	GChecksum *ck;
	guchar *blob;
	char *enc, *fp;

	if (!b64_valid(b64))
		return NULL;
	blob = g_base64_decode(b64, &len);
	ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, blob, len);
	g_checksum_get_digest(ck, digest, &dlen);
	g_checksum_free(ck);
	g_free(blob);
	enc = g_base64_encode(digest, dlen);
	/* ssh-keygen leaves out the padding. */
	enc[strcspn(enc, "=")] = '\0';
	fp = g_strconcat("SHA256:", enc, NULL);
	g_free(enc);
	return fp;
}

static const char *
known(const char *b64)
{
	char *fp = sshkey_fingerprint_new(b64);
	const char *name = NULL;
	size_t k;

	for (k = 0; fp != NULL && k < G_N_ELEMENTS(insecure); k++)
		if (strcmp(fp, insecure[k].fp) == 0)
			name = insecure[k].name;
	g_free(fp);
	return name;
}

const char *
sshkey_insecure(const char *line)
{
	const char *name = NULL;
	char **w = words_new(line, " \t\r\n\"");
	int i;

	/* Every pair, so that a key in an option (a quoted command=)
	 * counts too: a line is removed rather than kept by mistake. */
	for (i = 0; name == NULL && w[i] != NULL && w[i + 1] != NULL; i++)
		if (is_key(w[i], w[i + 1]))
			name = known(w[i + 1]);
	g_strfreev(w);
	return name;
}

char *
sshkey_clean_new(const char *text, size_t len, int max, int *n)
{
	char *copy = g_strndup(text, len), **lines, *type, *b64;
	GString *out = g_string_new(NULL);
	int i;

	*n = 0;
	lines = g_strsplit(copy, "\n", -1);
	for (i = 0; lines[i] != NULL && *n < max; i++) {
		if (!sshkey_find(lines[i], &type, &b64))
			continue;
		if (known(b64) == NULL) {
			g_string_append_printf(out, "%s %s\n", type, b64);
			(*n)++;
		}
		g_free(type);
		g_free(b64);
	}
	g_strfreev(lines);
	g_free(copy);
	return g_string_free(out, FALSE);
}

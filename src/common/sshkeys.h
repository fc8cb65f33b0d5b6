/* OpenSSH public keys in authorized_keys lines: found, fingerprinted
 * (SHA256, as ssh-keygen -l prints them) and compared with the keys known
 * to be public, whose private halves anyone can download. */
#ifndef IEVS_SSHKEYS_H
#define IEVS_SSHKEYS_H

#include <stdbool.h>

/* The key of an authorized_keys line: its type and its base64 blob, the
 * blob's own type name matching the first (caller frees both); false for a
 * comment, a blank line or a line without a key. */
bool sshkey_find(const char *line, char **type, char **b64);
/* "SHA256:..." of a base64 key blob, or NULL if it is not base64. */
char *sshkey_fingerprint_new(const char *b64);
/* The name of a published insecure key in the line (any key in it,
 * options included), or NULL. */
const char *sshkey_insecure(const char *line);
/* The keys of an authorized_keys file (text of len bytes) as lines
 * "TYPE BLOB\n", without options or comments, leaving out the insecure
 * ones; at most max keys.  *n is how many. */
char *sshkey_clean_new(const char *text, size_t len, int max, int *n);

#endif

/* Split a command line into words by quoting rules only.  No expansion of
 * any kind: ';', '|', '$(...)', '`' and '&&' are ordinary characters. */
#ifndef IEVS_TOKENIZE_H
#define IEVS_TOKENIZE_H

#include <stddef.h>

#define LINE_MAX_LEN 4096
#define WORDS_MAX 16

/* On success returns 0 and a NULL-terminated vector (free with
 * g_strfreev).  On error returns -1 and a static, translatable reason. */
int tokenize(const char *line, char ***words, int *nwords, const char **why);

#endif

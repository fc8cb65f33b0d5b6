/* Helpers linked into every fuzz target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void
fuzz_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: property broken: %s\n", file, line, expr);
	abort();
}

char *
fuzz_str_new(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

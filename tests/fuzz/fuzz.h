/* Shared by the fuzz targets: a check that NDEBUG cannot remove, and the
 * checks of the command and name rules that more than one target reaches. */
#ifndef IEVS_FUZZ_H
#define IEVS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A broken property must end the run with a report however the target
 * was built, so not assert(). */
#define CHECK(e) do {							\
	if (!(e))							\
		fuzz_fail(__FILE__, __LINE__, #e);			\
} while (0)

void fuzz_fail(const char *file, int line, const char *expr)
    __attribute__((noreturn));
/* The input as a C string in a buffer of exactly size + 1 bytes, so that
 * AddressSanitizer sees any read past the terminator.  Caller frees. */
char *fuzz_str_new(const uint8_t *data, size_t size);

/* Every name rule applied to s, with their round trips (fuzz-names.c). */
void fuzz_check_names(const char *s);
/* argv as the broker receives it: cmd_parse(), then what the policy does
 * with a VM argument (fuzz-names.c). */
void fuzz_check_request(int argc, char **argv);

#endif

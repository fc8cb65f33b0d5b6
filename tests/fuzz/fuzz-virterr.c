/* libFuzzer target: virterr_line_new(), what a student is shown of a
 * libvirt error.  The first input byte picks libvirt's error code and what
 * the broker knows of the VM; the rest is libvirt's message.  The line
 * must say what failed first, be valid UTF-8 on one line, show no host
 * path (no '/' that could begin one) and, where the broker knows them,
 * neither the VM's disk nor libvirt's name of the VM, and be capped. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libvirt/virterror.h>

#include "fuzz.h"
#include "virterr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define WHAT "cannot start web"
#define DISK "/var/lib/ie-vshell/pool/1001/web.qcow2"

static const int codes[] = { VIR_ERR_OK, VIR_ERR_INTERNAL_ERROR,
    VIR_ERR_NO_MEMORY, VIR_ERR_OPERATION_FAILED, VIR_ERR_SYSTEM_ERROR,
    VIR_ERR_NO_NETWORK, VIR_ERR_OPERATION_INVALID, VIR_ERR_CPU_INCOMPATIBLE };

/* A '/' may only follow what the scrubber takes for part of a word. */
static bool
slash_ok(const char *line, const char *p)
{
	return p > line && (g_ascii_isalnum(p[-1]) || strchr("_.~-", p[-1]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virterr_about a = { 0 };
	char *msg, *line;
	const char *p;

	if (size < 1)
		return 0;
	if (data[0] & 0x08)
		a = (struct virterr_about){ "web", "u1001_web", DISK,
		    (data[0] & 0x10) != 0 };
	msg = fuzz_str_new(data + 1, size - 1);
	line = virterr_line_new(WHAT, codes[data[0] & 0x07],
	    (data[0] & 0x20) ? NULL : msg, &a);
	CHECK(line != NULL);
	CHECK(g_str_has_prefix(line, WHAT ": "));
	CHECK(g_utf8_validate(line, -1, NULL));
	CHECK(strpbrk(line, "\r\n") == NULL);
	CHECK(a.disk == NULL || strstr(line, DISK) == NULL);
	CHECK(a.domain == NULL || strstr(line, "u1001_web") == NULL);
	for (p = strchr(line, '/'); p != NULL; p = strchr(p + 1, '/'))
		CHECK(slash_ok(line, p));
	CHECK(strlen(line) <= strlen(WHAT) + 2 + 240 + 3 + 200);
	g_free(line);
	free(msg);
	return 0;
}

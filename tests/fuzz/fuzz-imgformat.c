/* libFuzzer target: img_sniff(), format detection by magic bytes.  The
 * input is a whole file: its head and tail are taken as the broker reads
 * them, each in a buffer of exactly its length, and then again with the
 * head cut short and with sizes the input does not have.  Whatever is
 * found must carry its magic where the format has it, and a virtual size
 * only where the header gives one. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imgformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t *
copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);

	CHECK(c != NULL);
	if (n > 0)
		memcpy(c, p, n);
	return c;
}

static bool
at(const uint8_t *b, size_t len, size_t off, const char *magic, size_t n)
{
	return off + n <= len && memcmp(b + off, magic, n) == 0;
}

static void
check(const uint8_t *head, size_t headlen, const uint8_t *tail,
    size_t taillen, uint64_t size)
{
	bool footer = tail != NULL && taillen >= IMG_TAIL_LEN &&
	    size >= IMG_TAIL_LEN;
	const uint8_t *f = footer ? tail + taillen - IMG_TAIL_LEN : NULL;
	enum img_format r;
	int64_t v = 12345;
	const char *name;

	r = img_sniff(head, headlen, tail, taillen, size, &v);
	CHECK(r >= IMG_UNKNOWN_RAW && r <= IMG_OTHER);
	name = img_format_name(r);
	CHECK(name != NULL);
	CHECK((strcmp(name, "unsupported") == 0) == (r == IMG_OTHER));
	CHECK(v >= -1);
	switch (r) {
	case IMG_UNKNOWN_RAW:
		CHECK(v == (size <= INT64_MAX ? (int64_t)size : -1));
		break;
	case IMG_QCOW2:
		CHECK(at(head, headlen, 0, "QFI\xfb\0\0\0", 7) &&
		    (head[7] == 2 || head[7] == 3));
		break;
	case IMG_VMDK:
		CHECK(at(head, headlen, 0, "KDMV", 4));
		break;
	case IMG_VDI:
		CHECK(at(head, headlen, 0x40, "\x7f\x10\xda\xbe", 4));
		break;
	case IMG_VPC:
		CHECK(at(head, headlen, 0, "conectix", 8) ||
		    (f != NULL && memcmp(f, "conectix", 8) == 0));
		break;
	case IMG_VHDX:
		CHECK(at(head, headlen, 0, "vhdxfile", 8));
		break;
	case IMG_GZIP:
		CHECK(at(head, headlen, 0, "\x1f\x8b", 2));
		break;
	case IMG_TAR:
		CHECK(at(head, headlen, 257, "ustar", 5));
		break;
	case IMG_VMDK_DESCRIPTOR:
		CHECK(headlen >= 10);
		break;
	case IMG_OTHER:
		CHECK(headlen >= 4 || f != NULL);
		break;
	}
	/* Sizes from headers are whole sectors, and only theirs. */
	switch (r) {
	case IMG_QCOW2:
	case IMG_VMDK:
	case IMG_VDI:
	case IMG_VPC:
		CHECK(v == -1 || v % 512 == 0);
		break;
	case IMG_UNKNOWN_RAW:
		break;
	default:
		CHECK(v == -1);
	}
	/* The same without the size asked for, and again: no state. */
	CHECK(img_sniff(head, headlen, tail, taillen, size, NULL) == r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t headlen = size < IMG_HEAD_MAX ? size : IMG_HEAD_MAX;
	size_t taillen = size < IMG_TAIL_LEN ? size : IMG_TAIL_LEN;
	uint8_t *head = copy(data, headlen);
	uint8_t *tail = copy(data + size - taillen, taillen);

	/* As the broker reads a file. */
	check(head, headlen, tail, taillen, size);
	check(head, headlen, NULL, 0, size);
	/* A head cut short, with the same tail. */
	check(head, headlen / 2, tail, taillen, size);
	/* A file larger than the input says. */
	check(head, headlen, tail, taillen, (uint64_t)size << 20);
	check(head, headlen, tail, taillen, UINT64_MAX - size);
	free(head);
	free(tail);
	return 0;
}

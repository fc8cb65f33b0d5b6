/* Unit tests of format detection.  The headers are the first bytes of
 * images made with qemu-img 7.2.22 (Debian 12's qemu-utils), e.g.
 * `qemu-img create -f vmdk -o subformat=streamOptimized x.vmdk 1G`, and
 * the same headers cut short or made to lie. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "imgformat.h"

#define GIB (1024LL * 1024 * 1024)

/* qemu-img create -f qcow2 x.qcow2 1G (compat 1.1: version 3). */
static const uint8_t qcow2_v3[] = {
	0x51, 0x46, 0x49, 0xfb, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
};

/* -o compat=0.10: version 2. */
static const uint8_t qcow2_v2[] = {
	0x51, 0x46, 0x49, 0xfb, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
};

/* qemu-img create -f qcow: QEMU's first format, version 1. */
static const uint8_t qcow_v1[] = {
	0x51, 0x46, 0x49, 0xfb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
};

/* qemu-img create -f vmdk x.vmdk 1G (monolithicSparse). */
static const uint8_t vmdk_sparse[] = {
	0x4b, 0x44, 0x4d, 0x56, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* -o subformat=streamOptimized. */
static const uint8_t vmdk_stream[] = {
	0x4b, 0x44, 0x4d, 0x56, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00, 0x03, 0x00,
	0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* qemu-img create -f vpc x.vpc 1G (dynamic): the footer's copy at 0.
 * Created by "qemu", so sized by its geometry: 2081 * 16 * 63 sectors. */
static const uint8_t vpc_dynamic[] = {
	0x63, 0x6f, 0x6e, 0x65, 0x63, 0x74, 0x69, 0x78, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
	0x32, 0x9a, 0xa1, 0x4a, 0x71, 0x65, 0x6d, 0x75, 0x00, 0x05, 0x00, 0x03,
	0x57, 0x69, 0x32, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x40, 0x03, 0xe0, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x40, 0x03, 0xe0, 0x00, 0x08, 0x21, 0x10, 0x3f,
	0x00, 0x00, 0x00, 0x03, 0xff, 0xff, 0xec, 0xba, 0x95, 0xd6, 0xbb, 0x91,
	0xdf, 0x17, 0x44, 0x15, 0xb0, 0xb9, 0xb9, 0x08, 0xb9, 0xc2, 0x60, 0x43,
	0x00, 0x00, 0x00, 0x00,
};
#define VPC_DYNAMIC_VSIZE 1073995776LL	/* what qemu-img info says */

/* -o subformat=fixed, 1M: the footer, the file's last 512 bytes. */
static const uint8_t vpc_fixed[] = {
	0x63, 0x6f, 0x6e, 0x65, 0x63, 0x74, 0x69, 0x78, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x32, 0x9a, 0xa1, 0x4a, 0x71, 0x65, 0x6d, 0x75, 0x00, 0x05, 0x00, 0x03,
	0x57, 0x69, 0x32, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x78, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x78, 0x00, 0x00, 0x1f, 0x04, 0x11,
	0x00, 0x00, 0x00, 0x02, 0xff, 0xff, 0xe6, 0x49, 0xb4, 0xb5, 0x12, 0x60,
	0xf5, 0x12, 0x4f, 0xd8, 0xb2, 0x5c, 0x60, 0xe8, 0xa5, 0x9f, 0x22, 0x7f,
	0x00, 0x00, 0x00, 0x00,
};
#define VPC_FIXED_VSIZE 1079296LL
#define VPC_FIXED_SIZE (VPC_FIXED_VSIZE + 512)

/* qemu-img create -f vdi x.vdi 1G: the signature and what follows it
 * (0x40..0x53), and disk_size (0x170). */
static const uint8_t vdi_sig[] = {
	0x7f, 0x10, 0xda, 0xbe, 0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t vdi_size[] = {
	0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
};

/* The start of the text file `qemu-img create -f vmdk -o
 * subformat=twoGbMaxExtentSparse` writes. */
static const char descriptor[] = "# Disk DescriptorFile\nversion=1\n"
    "CID=26446079\nparentCID=ffffffff\n"
    "createType=\"twoGbMaxExtentSparse\"\n\n# Extent description\n"
    "RW 4194304 SPARSE \"split-s001.vmdk\"\n";

static uint8_t head[IMG_HEAD_MAX];
static uint8_t tail[IMG_TAIL_LEN];

static const uint8_t *
put(const void *bytes, size_t n)
{
	memset(head, 0, sizeof(head));
	memcpy(head, bytes, n);
	return head;
}

static void
vdi_head(void)
{
	memset(head, 0, sizeof(head));
	memcpy(head, "<<< QEMU VM Virtual Disk Image >>>\n", 35);
	memcpy(head + 0x40, vdi_sig, sizeof(vdi_sig));
	memcpy(head + 0x170, vdi_size, sizeof(vdi_size));
}

static enum img_format
sniff(size_t headlen, uint64_t size, int64_t *vsize)
{
	return img_sniff(head, headlen, NULL, 0, size, vsize);
}

static void
test_names(void)
{
	g_assert_cmpstr(img_format_name(IMG_UNKNOWN_RAW), ==, "raw");
	g_assert_cmpstr(img_format_name(IMG_QCOW2), ==, "qcow2");
	g_assert_cmpstr(img_format_name(IMG_VMDK), ==, "vmdk");
	g_assert_cmpstr(img_format_name(IMG_VDI), ==, "vdi");
	g_assert_cmpstr(img_format_name(IMG_VHDX), ==, "vhdx");
	g_assert_cmpstr(img_format_name(IMG_VPC), ==, "vpc");
	g_assert_cmpstr(img_format_name(IMG_VMDK_DESCRIPTOR), ==,
	    "vmdk descriptor");
	g_assert_cmpstr(img_format_name(IMG_TAR), ==, "tar");
	g_assert_cmpstr(img_format_name(IMG_GZIP), ==, "gzip");
	g_assert_cmpstr(img_format_name(IMG_OTHER), ==, "unsupported");
	g_assert_cmpstr(img_format_name((enum img_format)99), ==,
	    "unsupported");
}

static void
test_qcow2(void)
{
	int64_t v;

	put(qcow2_v3, sizeof(qcow2_v3));
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, GIB);
	put(qcow2_v2, sizeof(qcow2_v2));
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, GIB);
	/* Cut before the size: still qcow2 (qemu-img decides), size
	 * unknown. */
	g_assert_cmpint(sniff(31, 31, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(sniff(8, 8, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, -1);
	/* Magic without a version: no qcow2 QEMU would open. */
	g_assert_cmpint(sniff(4, 4, &v), ==, IMG_OTHER);
	g_assert_cmpint(sniff(7, 7, &v), ==, IMG_OTHER);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(sniff(3, 3, &v), ==, IMG_UNKNOWN_RAW);
	g_assert_cmpint(v, ==, 3);
}

static void
test_qcow2_lies(void)
{
	int64_t v;

	put(qcow_v1, sizeof(qcow_v1));
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_OTHER);
	g_assert_cmpint(v, ==, -1);
	put(qcow2_v3, sizeof(qcow2_v3));
	head[7] = 4;
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_OTHER);
	head[7] = 3;
	head[4] = 0x80;
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_OTHER);
	/* A size beyond int64_t. */
	put(qcow2_v3, sizeof(qcow2_v3));
	memset(head + 24, 0xff, 8);
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, -1);
	/* The largest that is one, in whole sectors as QEMU keeps it. */
	head[24] = 0x7f;
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, INT64_MAX - 511);
	/* Not a whole sector: QEMU rounds down. */
	memset(head + 24, 0, 8);
	head[30] = 0x02;
	head[31] = 0x01;
	g_assert_cmpint(sniff(sizeof(head), 196624, &v), ==, IMG_QCOW2);
	g_assert_cmpint(v, ==, 512);
}

static void
test_vmdk(void)
{
	int64_t v;

	put(vmdk_sparse, sizeof(vmdk_sparse));
	g_assert_cmpint(sniff(sizeof(head), 196608, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, GIB);
	put(vmdk_stream, sizeof(vmdk_stream));
	g_assert_cmpint(sniff(sizeof(head), 196608, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, GIB);
	g_assert_cmpint(sniff(19, 19, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(sniff(4, 4, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, -1);
	/* A capacity in sectors whose bytes overflow. */
	memset(head + 12, 0xff, 8);
	g_assert_cmpint(sniff(sizeof(head), 196608, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, -1);
	memset(head + 12, 0, 8);
	head[19] = 0x00;
	head[18] = 0x40;	/* 2^54 sectors = 2^63 bytes */
	g_assert_cmpint(sniff(sizeof(head), 196608, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, -1);
	head[18] = 0x3f;
	memset(head + 12, 0xff, 6);
	g_assert_cmpint(sniff(sizeof(head), 196608, &v), ==, IMG_VMDK);
	g_assert_cmpint(v, ==, INT64_MAX - 511);
}

static void
test_descriptor(void)
{
	static const char *const texts[] = {
		descriptor,
		/* What vmdk_probe() takes without the usual first line. */
		"version=1\n",
		"# a comment\n   \n  \r\nversion=3\r\n",
		"#\nversion=2\nCID=fffffffe\n",
	};
	static const char *const not[] = {
		"version=4\n", "version=1", "version=1\r", " x\nversion=1\n",
		"# Disk Descriptor\n", "Version=1\n", "#",
	};
	int64_t v;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		put(texts[i], strlen(texts[i]));
		g_assert_cmpint(sniff(strlen(texts[i]), strlen(texts[i]), &v),
		    ==, IMG_VMDK_DESCRIPTOR);
		g_assert_cmpint(v, ==, -1);
	}
	for (i = 0; i < G_N_ELEMENTS(not); i++) {
		put(not[i], strlen(not[i]));
		g_assert_cmpint(sniff(strlen(not[i]), 1000, &v), ==,
		    IMG_UNKNOWN_RAW);
		g_assert_cmpint(v, ==, 1000);
	}
	/* The first line alone says it, cut anywhere after. */
	put(descriptor, sizeof(descriptor) - 1);
	g_assert_cmpint(sniff(21, 389, &v), ==, IMG_VMDK_DESCRIPTOR);
	g_assert_cmpint(sniff(20, 389, &v), ==, IMG_UNKNOWN_RAW);
}

static void
test_vdi(void)
{
	int64_t v;

	vdi_head();
	g_assert_cmpint(sniff(sizeof(head), 4608, &v), ==, IMG_VDI);
	g_assert_cmpint(v, ==, GIB);
	g_assert_cmpint(sniff(0x178, 0x178, &v), ==, IMG_VDI);
	g_assert_cmpint(v, ==, GIB);
	g_assert_cmpint(sniff(0x177, 0x177, &v), ==, IMG_VDI);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(sniff(0x44, 0x44, &v), ==, IMG_VDI);
	g_assert_cmpint(sniff(0x43, 0x43, &v), ==, IMG_UNKNOWN_RAW);
	/* An odd size is rounded up to a sector, as QEMU does. */
	head[0x170] = 1;
	g_assert_cmpint(sniff(sizeof(head), 4608, &v), ==, IMG_VDI);
	g_assert_cmpint(v, ==, GIB + 512);
	memset(head + 0x170, 0xff, 8);
	g_assert_cmpint(sniff(sizeof(head), 4608, &v), ==, IMG_VDI);
	g_assert_cmpint(v, ==, -1);
	memset(head + 0x170, 0xff, 7);
	head[0x177] = 0x7f;
	g_assert_cmpint(sniff(sizeof(head), 4608, &v), ==, IMG_VDI);
	g_assert_cmpint(v, ==, -1);
}

static void
test_vhdx(void)
{
	int64_t v;

	put("vhdxfileQ\0E\0M\0U\0", 16);
	g_assert_cmpint(sniff(sizeof(head), 8388608, &v), ==, IMG_VHDX);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(sniff(8, 8, &v), ==, IMG_VHDX);
	g_assert_cmpint(sniff(7, 7, &v), ==, IMG_UNKNOWN_RAW);
}

static void
test_vpc(void)
{
	int64_t v;

	put(vpc_dynamic, sizeof(vpc_dynamic));
	g_assert_cmpint(sniff(sizeof(head), 4608, &v), ==, IMG_VPC);
	g_assert_cmpint(v, ==, VPC_DYNAMIC_VSIZE);
	/* Too short for a footer: vpc, size unknown. */
	g_assert_cmpint(sniff(511, 511, &v), ==, IMG_VPC);
	g_assert_cmpint(v, ==, -1);

	/* A fixed disk: raw data, then the footer. */
	memset(head, 0, sizeof(head));
	memset(tail, 0, sizeof(tail));
	memcpy(tail, vpc_fixed, sizeof(vpc_fixed));
	g_assert_cmpint(img_sniff(head, sizeof(head), tail, sizeof(tail),
	    VPC_FIXED_SIZE, &v), ==, IMG_VPC);
	g_assert_cmpint(v, ==, VPC_FIXED_VSIZE);
	/* No tail, or one too short: raw. */
	g_assert_cmpint(img_sniff(head, sizeof(head), NULL, 0,
	    VPC_FIXED_SIZE, &v), ==, IMG_UNKNOWN_RAW);
	g_assert_cmpint(v, ==, VPC_FIXED_SIZE);
	g_assert_cmpint(img_sniff(head, sizeof(head), tail, 511,
	    VPC_FIXED_SIZE, &v), ==, IMG_UNKNOWN_RAW);
	g_assert_cmpint(img_sniff(head, sizeof(head), tail, sizeof(tail),
	    511, &v), ==, IMG_UNKNOWN_RAW);
	g_assert_cmpint(v, ==, 511);
	/* A longer tail: the footer is its last 512 bytes. */
	{
		uint8_t longer[600] = { 0 };

		memcpy(longer + 88, vpc_fixed, sizeof(vpc_fixed));
		g_assert_cmpint(img_sniff(head, sizeof(head), longer,
		    sizeof(longer), VPC_FIXED_SIZE, &v), ==, IMG_VPC);
		g_assert_cmpint(v, ==, VPC_FIXED_VSIZE);
	}
}

static void
test_vpc_sizes(void)
{
	int64_t v;

	memset(tail, 0, sizeof(tail));
	memcpy(tail, vpc_fixed, sizeof(vpc_fixed));
	/* Hyper-V's images are sized by current_size (checked against
	 * qemu-img info on such a footer). */
	memcpy(tail + 28, "win ", 4);
	memcpy(tail + 48, "\0\0\0\0\0\x10\x10\0", 8);
	g_assert_cmpint(img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v),
	    ==, IMG_VPC);
	g_assert_cmpint(v, ==, 1052672);
	memcpy(tail + 28, "tap\0", 4);
	img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v);
	g_assert_cmpint(v, ==, 1052672);
	/* Other creators by geometry... */
	memcpy(tail + 28, "vpc ", 4);
	img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v);
	g_assert_cmpint(v, ==, VPC_FIXED_VSIZE);
	/* ...unless it is at its maximum. */
	memcpy(tail + 56, "\xff\xff\x10\xff", 4);
	img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v);
	g_assert_cmpint(v, ==, 1052672);
	/* Beyond QEMU's 2040 GiB, either way. */
	memcpy(tail + 48, "\0\0\x01\xfe\0\0\0\0", 8);
	img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v);
	g_assert_cmpint(v, ==, 0xff000000LL * 512);
	memcpy(tail + 48, "\0\0\x01\xfe\0\0\x02\0", 8);
	img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v);
	g_assert_cmpint(v, ==, -1);
	memset(tail + 48, 0xff, 8);
	img_sniff(head, 0, tail, sizeof(tail), 2 << 20, &v);
	g_assert_cmpint(v, ==, -1);
}

static void
test_archives(void)
{
	int64_t v;

	put("\x1f\x8b\x08\x00", 4);
	g_assert_cmpint(sniff(sizeof(head), 1 << 20, &v), ==, IMG_GZIP);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(sniff(2, 2, &v), ==, IMG_GZIP);
	g_assert_cmpint(sniff(1, 1, &v), ==, IMG_UNKNOWN_RAW);
	/* POSIX and GNU tar. */
	put("box.ovf", 7);
	memcpy(head + 257, "ustar\0" "00", 8);
	g_assert_cmpint(sniff(sizeof(head), 10240, &v), ==, IMG_TAR);
	g_assert_cmpint(v, ==, -1);
	memcpy(head + 257, "ustar  \0", 8);
	g_assert_cmpint(sniff(512, 10240, &v), ==, IMG_TAR);
	g_assert_cmpint(sniff(262, 10240, &v), ==, IMG_TAR);
	g_assert_cmpint(sniff(261, 10240, &v), ==, IMG_UNKNOWN_RAW);
}

static void
test_other(void)
{
	static const struct {
		const char *magic;
		size_t len;
	} other[] = {
		{ "QED\0\1\0\0\0", 8 },
		{ "LUKS\xba\xbe\0\1aes", 11 },
		{ "WithouFreSpacExt\2\0\0\0", 20 },
		{ "WithoutFreeSpace\2\0\0\0", 20 },
		{ "COWD\1\0\0\0", 8 },
		{ "Bochs Virtual HD Image\0\0", 24 },
		{ "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0", 44 },
	};
	int64_t v;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(other); i++) {
		put(other[i].magic, other[i].len);
		g_assert_cmpint(sniff(sizeof(head), 1 << 20, &v), ==,
		    IMG_OTHER);
		g_assert_cmpint(v, ==, -1);
	}
	/* A dmg's "koly" trailer. */
	memset(head, 0, sizeof(head));
	memset(tail, 0, sizeof(tail));
	memcpy(tail, "koly\0\0\0\4", 8);
	g_assert_cmpint(img_sniff(head, sizeof(head), tail, sizeof(tail),
	    1 << 20, &v), ==, IMG_OTHER);
	g_assert_cmpint(v, ==, -1);
}

static void
test_raw(void)
{
	int64_t v;

	memset(head, 0, sizeof(head));
	/* An MBR boot sector. */
	head[510] = 0x55;
	head[511] = 0xaa;
	g_assert_cmpint(sniff(sizeof(head), 1 << 20, &v), ==, IMG_UNKNOWN_RAW);
	g_assert_cmpint(v, ==, 1 << 20);
	g_assert_cmpint(img_sniff(NULL, 0, NULL, 0, 0, &v), ==,
	    IMG_UNKNOWN_RAW);
	g_assert_cmpint(v, ==, 0);
	g_assert_cmpint(img_sniff(head, 0, NULL, 0, UINT64_MAX, &v), ==,
	    IMG_UNKNOWN_RAW);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(img_sniff(head, 0, NULL, 0, INT64_MAX, NULL), ==,
	    IMG_UNKNOWN_RAW);
	/* A magic after the start of the file is no magic. */
	memcpy(head + 1, "QFI\xfb\0\0\0\3", 8);
	g_assert_cmpint(sniff(sizeof(head), 1 << 20, &v), ==, IMG_UNKNOWN_RAW);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imgformat/names", test_names);
	g_test_add_func("/imgformat/qcow2", test_qcow2);
	g_test_add_func("/imgformat/qcow2-lies", test_qcow2_lies);
	g_test_add_func("/imgformat/vmdk", test_vmdk);
	g_test_add_func("/imgformat/descriptor", test_descriptor);
	g_test_add_func("/imgformat/vdi", test_vdi);
	g_test_add_func("/imgformat/vhdx", test_vhdx);
	g_test_add_func("/imgformat/vpc", test_vpc);
	g_test_add_func("/imgformat/vpc-sizes", test_vpc_sizes);
	g_test_add_func("/imgformat/archives", test_archives);
	g_test_add_func("/imgformat/other", test_other);
	g_test_add_func("/imgformat/raw", test_raw);
	return g_test_run();
}

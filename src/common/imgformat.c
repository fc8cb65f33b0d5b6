/* Image format detection by magic bytes, following QEMU's block drivers
 * (block/qcow2.c, vmdk.c, vdi.c, vhdx.c, vpc.c and the probes of the
 * formats left out).  Every read is checked against the bytes given. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "imgformat.h"

#define SECTOR 512

#define VDI_SIGNATURE_OFF 0x40
#define VDI_SIGNATURE 0xbeda107fU
#define VDI_DISK_SIZE_OFF 0x170

#define TAR_MAGIC_OFF 257

/* QEMU refuses larger VHDs (VHD_MAX_SECTORS in block/vpc.c); CHS geometry
 * at its maximum means "use current_size" (VHD_MAX_GEOMETRY). */
#define VHD_MAX_SECTORS 0xff000000ULL
#define VHD_MAX_GEOMETRY (65535ULL * 16 * 255)

static const char *const names[] = {
	[IMG_UNKNOWN_RAW] = "raw",
	[IMG_QCOW2] = "qcow2",
	[IMG_VMDK] = "vmdk",
	[IMG_VDI] = "vdi",
	[IMG_VHDX] = "vhdx",
	[IMG_VPC] = "vpc",
	[IMG_VMDK_DESCRIPTOR] = "vmdk descriptor",
	[IMG_TAR] = "tar",
	[IMG_GZIP] = "gzip",
	[IMG_OTHER] = "unsupported",
};

const char *
img_format_name(enum img_format f)
{
	if ((size_t)f >= sizeof(names) / sizeof(names[0]) || names[f] == NULL)
		return "unsupported";
	return names[f];
}

/* Whether n bytes at off lie within len, without overflow. */
static bool
has(size_t len, size_t off, size_t n)
{
	return n <= len && off <= len - n;
}

static bool
match(const uint8_t *b, size_t len, size_t off, const char *magic,
    size_t n)
{
	return has(len, off, n) && memcmp(b + off, magic, n) == 0;
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* A count of sectors as bytes, or -1 if that is no int64_t. */
static int64_t
sectors_to_bytes(uint64_t sectors)
{
	if (sectors > (uint64_t)INT64_MAX / SECTOR)
		return -1;
	return (int64_t)(sectors * SECTOR);
}

/* QCowHeader: the size in bytes at 24, of which QEMU keeps whole
 * sectors. */
static int64_t
qcow2_vsize(const uint8_t *h, size_t len)
{
	if (!has(len, 24, 8))
		return -1;
	return sectors_to_bytes(get_be(h + 24, 8) / SECTOR);
}

/* VMDK4Header: the capacity in sectors at 12. */
static int64_t
vmdk_vsize(const uint8_t *h, size_t len)
{
	if (!has(len, 12, 8))
		return -1;
	return sectors_to_bytes(get_le(h + 12, 8));
}

/* VdiHeader: disk_size at 0x170, which QEMU rounds up to a sector
 * (VBoxManage convertfromraw writes odd sizes). */
static int64_t
vdi_vsize(const uint8_t *h, size_t len)
{
	uint64_t size;

	if (!has(len, VDI_DISK_SIZE_OFF, 8))
		return -1;
	size = get_le(h + VDI_DISK_SIZE_OFF, 8);
	return sectors_to_bytes(size / SECTOR + (size % SECTOR != 0));
}

/* The VHD footer (512 bytes, big-endian): creator_app at 28, current_size
 * at 48, cylinders, heads and sectors per track at 56, 58 and 59.  Virtual
 * PC and QEMU's old images size a disk by its geometry, the other creators
 * by current_size; vpc_open() makes the same choice. */
static int64_t
vpc_vsize(const uint8_t *f)
{
	static const char *const by_size[] = {
		"win ", "qem2", "d2v ", "CTXS", "tap\0",
	};
	uint64_t sectors;
	bool use_chs = true;
	size_t i;

	for (i = 0; i < sizeof(by_size) / sizeof(by_size[0]); i++)
		if (memcmp(f + 28, by_size[i], 4) == 0)
			use_chs = false;
	sectors = get_be(f + 56, 2) * f[58] * f[59];
	if (!use_chs || sectors == VHD_MAX_GEOMETRY)
		sectors = get_be(f + 48, 8) / SECTOR;
	if (sectors > VHD_MAX_SECTORS)
		return -1;
	return sectors_to_bytes(sectors);
}

/* What vmdk_probe() takes for a text descriptor: comment and blank lines,
 * then "version=1", 2 or 3.  Most start with "# Disk DescriptorFile". */
static bool
is_vmdk_descriptor(const uint8_t *h, size_t len)
{
	size_t p = 0, n;

	if (match(h, len, 0, "# Disk DescriptorFile", 21))
		return true;
	while (p < len) {
		if (h[p] == '#') {
			while (p < len && h[p] != '\n')
				p++;
			p++;
			continue;
		}
		if (h[p] == ' ') {
			while (p < len && h[p] == ' ')
				p++;
			if (p < len && h[p] == '\r')
				p++;
			if (p == len || h[p] != '\n')
				return false;
			p++;
			continue;
		}
		n = len - p;
		return n >= 10 && memcmp(h + p, "version=", 8) == 0 &&
		    h[p + 8] >= '1' && h[p + 8] <= '3' &&
		    (h[p + 9] == '\n' ||
		    (n >= 11 && h[p + 9] == '\r' && h[p + 10] == '\n'));
	}
	return false;
}

/* Magic numbers of the formats QEMU knows but the broker does not take.
 * bochs, cloop and parallels are matched on a prefix of their magic. */
static bool
is_other(const uint8_t *h, size_t len)
{
	static const struct {
		const char *magic;
		size_t len;
	} other[] = {
		{ "QED\0", 4 },
		{ "LUKS\xba\xbe", 6 },
		{ "COWD", 4 },			/* vmdk version 3 */
		{ "WithoutFreeSpace", 16 },	/* parallels */
		{ "WithouFreSpacExt", 16 },
		{ "Bochs Virtual HD Image", 22 },
		{ "#!/bin/sh\n#V2.0 Format\n", 23 },	/* cloop */
	};
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (match(h, len, 0, other[i].magic, other[i].len))
			return true;
	return false;
}

static enum img_format
sniff_head(const uint8_t *h, size_t len, int64_t *vsize)
{
	uint32_t version;

	if (match(h, len, 0, "QFI\xfb", 4)) {
		if (!has(len, 4, 4))
			return IMG_OTHER;
		version = (uint32_t)get_be(h + 4, 4);
		if (version != 2 && version != 3)
			return IMG_OTHER;
		*vsize = qcow2_vsize(h, len);
		return IMG_QCOW2;
	}
	if (match(h, len, 0, "KDMV", 4)) {
		*vsize = vmdk_vsize(h, len);
		return IMG_VMDK;
	}
	if (match(h, len, 0, "vhdxfile", 8))
		return IMG_VHDX;
	if (match(h, len, 0, "conectix", 8)) {
		if (has(len, 0, IMG_TAIL_LEN))
			*vsize = vpc_vsize(h);
		return IMG_VPC;
	}
	if (is_other(h, len))
		return IMG_OTHER;
	if (has(len, VDI_SIGNATURE_OFF, 4) &&
	    get_le(h + VDI_SIGNATURE_OFF, 4) == VDI_SIGNATURE) {
		*vsize = vdi_vsize(h, len);
		return IMG_VDI;
	}
	if (is_vmdk_descriptor(h, len))
		return IMG_VMDK_DESCRIPTOR;
	if (match(h, len, 0, "\x1f\x8b", 2))
		return IMG_GZIP;
	if (match(h, len, TAR_MAGIC_OFF, "ustar", 5))
		return IMG_TAR;
	return IMG_UNKNOWN_RAW;
}

enum img_format
img_sniff(const uint8_t *head, size_t headlen, const uint8_t *tail,
    size_t taillen, uint64_t size, int64_t *vsize)
{
	enum img_format f;
	const uint8_t *footer;
	int64_t dummy;

	if (vsize == NULL)
		vsize = &dummy;
	*vsize = -1;
	if (head == NULL)
		headlen = 0;
	if ((f = sniff_head(head, headlen, vsize)) != IMG_UNKNOWN_RAW)
		return f;
	/* A fixed VHD is a raw disk with a footer; a dmg has its "koly"
	 * trailer at the same place.  QEMU wants the footer in a file larger
	 * than one. */
	if (tail != NULL && taillen >= IMG_TAIL_LEN && size >= IMG_TAIL_LEN) {
		footer = tail + taillen - IMG_TAIL_LEN;
		if (memcmp(footer, "conectix", 8) == 0) {
			*vsize = vpc_vsize(footer);
			return IMG_VPC;
		}
		if (memcmp(footer, "koly", 4) == 0)
			return IMG_OTHER;
	}
	if (size <= INT64_MAX)
		*vsize = (int64_t)size;
	return IMG_UNKNOWN_RAW;
}

/* Disk image formats told apart by their magic bytes: the -f the broker
 * gives qemu-img, so that QEMU's own prober never reads an upload, and
 * what the shell calls a student's files. */
#ifndef IEVS_IMGFORMAT_H
#define IEVS_IMGFORMAT_H

#include <stddef.h>
#include <stdint.h>

enum img_format {
	IMG_UNKNOWN_RAW,	/* no magic: raw */
	IMG_QCOW2,
	IMG_VMDK,		/* a sparse extent: monolithicSparse or
				 * streamOptimized */
	IMG_VDI,
	IMG_VHDX,
	IMG_VPC,		/* VHD, dynamic or fixed */
	IMG_VMDK_DESCRIPTOR,	/* text descriptor: refers to other files,
				 * refused */
	IMG_TAR,
	IMG_GZIP,		/* a Vagrant .box, maybe */
	IMG_OTHER,		/* a known format outside the allowlist (qed,
				 * luks, dmg, parallels, bochs, cloop, qcow
				 * version 1, vmdk version 3): refused */
};

/* The bytes the broker reads before it runs qemu-img. */
#define IMG_HEAD_MAX 4096
#define IMG_TAIL_LEN 512

/* head: the first bytes of the file (up to IMG_HEAD_MAX; fewer for a
 * shorter file), tail: its last IMG_TAIL_LEN bytes, or NULL (a fixed VHD
 * has only a footer there), size: the file's size.  Sets *vsize to the
 * virtual size in bytes where the header gives it (qcow2, vmdk, vdi, vpc;
 * raw: size), as QEMU would read it, and to -1 otherwise or when the
 * header is implausible.  vsize may be NULL. */
enum img_format img_sniff(const uint8_t *head, size_t headlen,
    const uint8_t *tail, size_t taillen, uint64_t size, int64_t *vsize);

/* QEMU's driver name for the allowed formats ("raw", "qcow2", "vmdk",
 * "vdi", "vhdx", "vpc"); "vmdk descriptor", "tar", "gzip" or "unsupported"
 * for the others. */
const char *img_format_name(enum img_format f);

#endif

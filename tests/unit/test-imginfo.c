/* Unit tests of the reader of `qemu-img info --output=json`.  The samples
 * are the output of qemu-img 7.2.22 (Debian 12's qemu-utils, `qemu-img info
 * --output=json -f FORMAT FILE`) on images made with qemu-img create, with
 * the whitespace taken out, the image's own name replaced by FILE and the
 * directory of backing files by /home/student.  QEMU 8 and later add
 * "children"; those samples are written by hand after its schema
 * (BlockGraphInfo). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "imginfo.h"

#define FILE "/var/lib/ie-vshell/import/upload"
#define GIB (1024LL * 1024 * 1024)
#define LIMIT (4096 * GIB)

/* -f qcow2 1G */
static const char qcow2[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,\"corrupt\":false,"
    "\"extended-l2\":false}},\"dirty-flag\":false}";

/* -f qcow2 -F qcow2 -b /home/student/disk.qcow2 */
static const char qcow2_backing[] =
    "{\"backing-filename-format\":\"qcow2\",\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,\"corrupt\":false,"
    "\"extended-l2\":false}},"
    "\"full-backing-filename\":\"/home/student/disk.qcow2\","
    "\"backing-filename\":\"/home/student/disk.qcow2\","
    "\"dirty-flag\":false}";

/* -f qcow2 -u -b 'json:{"driver":"file","filename":"/etc/shadow"}'
 * -F raw */
static const char qcow2_backing_json[] =
    "{\"backing-filename-format\":\"raw\",\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,\"corrupt\":false,"
    "\"extended-l2\":false}},"
    "\"full-backing-filename\":\"json:{\\\"driver\\\":\\\"file\\\",\\\"fi"
    "lename\\\":\\\"/etc/shadow\\\"}\","
    "\"backing-filename\":\"json:{\\\"driver\\\":\\\"file\\\",\\\"filenam"
    "e\\\":\\\"/etc/shadow\\\"}\",\"dirty-flag\":false}";

/* -f qcow2 64M, then the corrupt bit (incompatible_features
 * bit 1) set */
static const char qcow2_corrupt[] =
    "{\"virtual-size\":67108864,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,\"corrupt\":true,"
    "\"extended-l2\":false}},\"dirty-flag\":false}";

/* -f qcow2 -o data_file=data.raw */
static const char qcow2_data_file[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,"
    "\"data-file\":\"data.raw\",\"data-file-raw\":false,"
    "\"corrupt\":false,\"extended-l2\":false}},\"dirty-flag\":false}";

/* -f qcow2 -o data_file=data.raw,data_file_raw=on */
static const char qcow2_data_file_raw[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":331776,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,"
    "\"data-file\":\"data.raw\",\"data-file-raw\":true,\"corrupt\":false,"
    "\"extended-l2\":false}},\"dirty-flag\":false}";

/* -f qcow2 --object secret,id=sec0,data=pw
 * -o encrypt.format=luks,encrypt.key-secret=sec0 */
static const char qcow2_luks[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":2297856,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,\"encrypt\":{"
    "\"ivgen-alg\":\"plain64\",\"hash-alg\":\"sha256\","
    "\"cipher-alg\":\"aes-256\","
    "\"uuid\":\"25c086e9-f791-4c9b-93d1-475762dab640\","
    "\"format\":\"luks\",\"cipher-mode\":\"xts\",\"slots\":[{"
    "\"active\":true,\"iters\":6478960,\"key-offset\":4096,"
    "\"stripes\":4000},{\"active\":false,\"key-offset\":262144},{"
    "\"active\":false,\"key-offset\":520192},{\"active\":false,"
    "\"key-offset\":778240},{\"active\":false,\"key-offset\":1036288},{"
    "\"active\":false,\"key-offset\":1294336},{\"active\":false,"
    "\"key-offset\":1552384},{\"active\":false,\"key-offset\":1810432}],"
    "\"payload-offset\":2068480,\"master-key-iters\":1763024},"
    "\"corrupt\":false,\"extended-l2\":false}},\"encrypted\":true,"
    "\"dirty-flag\":false}";

/* -f qcow2 -o compat=0.10 */
static const char qcow2_v2[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"0.10\",\"compression-type\":\"zlib\","
    "\"refcount-bits\":16}},\"dirty-flag\":false}";

/* -f raw 1M */
static const char raw[] =
    "{\"virtual-size\":1048576,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"format\":\"raw\",\"actual-size\":4096,\"dirty-flag\":false}";

/* -f raw 3T */
static const char raw_big[] =
    "{\"virtual-size\":3298534883328,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"format\":\"raw\",\"actual-size\":4096,\"dirty-flag\":false}";

/* -f vdi 1G */
static const char vdi[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":1048576,\"format\":\"vdi\",\"actual-size\":8192,"
    "\"dirty-flag\":false}";

/* -f vhdx 1G */
static const char vhdx[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":8388608,\"format\":\"vhdx\","
    "\"actual-size\":1265664,\"dirty-flag\":false}";

/* -f vmdk -o subformat=monolithicFlat 1M (the descriptor) */
static const char vmdk_flat[] =
    "{\"virtual-size\":1048576,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"format\":\"vmdk\",\"actual-size\":8192,\"format-specific\":{"
    "\"type\":\"vmdk\",\"data\":{\"cid\":3918949736,"
    "\"parent-cid\":4294967295,\"create-type\":\"monolithicFlat\","
    "\"extents\":[{\"virtual-size\":1048576,"
    "\"filename\":\"flat-flat.vmdk\",\"format\":\"FLAT\"}]}},"
    "\"dirty-flag\":false}";

/* -f vmdk -F vmdk -b disk.vmdk (a snapshot) */
static const char vmdk_parent[] =
    "{\"backing-filename-format\":\"vmdk\",\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"vmdk\",\"actual-size\":12288,"
    "\"format-specific\":{\"type\":\"vmdk\",\"data\":{\"cid\":889006046,"
    "\"parent-cid\":3848924371,\"create-type\":\"monolithicSparse\","
    "\"extents\":[{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"\"}]}},"
    "\"full-backing-filename\":\"disk.vmdk\","
    "\"backing-filename\":\"disk.vmdk\",\"dirty-flag\":false}";

/* -f vmdk 1G (monolithicSparse) */
static const char vmdk_sparse[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"vmdk\",\"actual-size\":12288,"
    "\"format-specific\":{\"type\":\"vmdk\",\"data\":{\"cid\":3848924371,"
    "\"parent-cid\":4294967295,\"create-type\":\"monolithicSparse\","
    "\"extents\":[{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"\"}]}},\"dirty-flag\":false}";

/* -f vmdk -o subformat=twoGbMaxExtentSparse 3G (the
 * descriptor) */
static const char vmdk_split[] =
    "{\"virtual-size\":3221225472,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"vmdk\",\"actual-size\":28672,"
    "\"format-specific\":{\"type\":\"vmdk\",\"data\":{\"cid\":642015353,"
    "\"parent-cid\":4294967295,\"create-type\":\"twoGbMaxExtentSparse\","
    "\"extents\":[{\"virtual-size\":2147483648,"
    "\"filename\":\"split-s001.vmdk\",\"cluster-size\":65536,"
    "\"format\":\"SPARSE\"},{\"virtual-size\":1073741824,"
    "\"filename\":\"split-s002.vmdk\",\"cluster-size\":65536,"
    "\"format\":\"SPARSE\"}]}},\"dirty-flag\":false}";

/* -f vmdk -o subformat=streamOptimized 1G */
static const char vmdk_stream[] =
    "{\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"vmdk\",\"actual-size\":12288,"
    "\"format-specific\":{\"type\":\"vmdk\",\"data\":{\"cid\":873851905,"
    "\"parent-cid\":4294967295,\"create-type\":\"streamOptimized\","
    "\"extents\":[{\"compressed\":true,\"virtual-size\":1073741824,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":65536,\"format\":\"\"}]}},\"dirty-flag\":false}";

/* -f vpc 1G (dynamic) */
static const char vpc[] =
    "{\"virtual-size\":1073995776,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"cluster-size\":2097152,\"format\":\"vpc\",\"actual-size\":8192,"
    "\"dirty-flag\":false}";

/* -f vpc -o subformat=fixed 1M */
static const char vpc_fixed[] =
    "{\"virtual-size\":1079296,"
    "\"filename\":\"/var/lib/ie-vshell/import/upload\","
    "\"format\":\"vpc\",\"actual-size\":8192,\"dirty-flag\":false}";

/* Written after QEMU 8's schema: a qcow2 whose protocol node is the
 * upload, and one with a data file that only "children" names. */
static const char children_ok[] =
    "{\"children\":[{\"name\":\"file\",\"info\":{\"children\":[],"
    "\"virtual-size\":197120,\"filename\":\"" FILE "\","
    "\"format\":\"file\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"file\",\"data\":{}},"
    "\"dirty-flag\":false}}],"
    "\"virtual-size\":1073741824,\"filename\":\"" FILE "\","
    "\"cluster-size\":65536,\"format\":\"qcow2\",\"actual-size\":200704,"
    "\"format-specific\":{\"type\":\"qcow2\",\"data\":{"
    "\"compat\":\"1.1\",\"compression-type\":\"zlib\","
    "\"lazy-refcounts\":false,\"refcount-bits\":16,\"corrupt\":false,"
    "\"extended-l2\":false}},\"dirty-flag\":false}";

static const char children_data_file[] =
    "{\"children\":[{\"name\":\"file\",\"info\":{"
    "\"virtual-size\":197120,\"filename\":\"" FILE "\","
    "\"format\":\"file\",\"dirty-flag\":false}},"
    "{\"name\":\"data-file\",\"info\":{"
    "\"virtual-size\":1073741824,\"filename\":\"/dev/sda\","
    "\"format\":\"host_device\",\"dirty-flag\":false}}],"
    "\"virtual-size\":1073741824,\"filename\":\"" FILE "\","
    "\"format\":\"qcow2\",\"format-specific\":{\"type\":\"qcow2\","
    "\"data\":{\"compat\":\"1.1\",\"corrupt\":false}},"
    "\"dirty-flag\":false}";

/* The smallest output of each kind that is accepted, for edits. */
#define RAW_MIN "{\"virtual-size\":1048576,\"filename\":\"" FILE "\"," \
	"\"format\":\"raw\"}"
#define QCOW2_MIN "{\"virtual-size\":1048576,\"filename\":\"" FILE "\"," \
	"\"format\":\"qcow2\",\"format-specific\":{\"type\":\"qcow2\"," \
	"\"data\":{\"corrupt\":false}}}"
#define VMDK_MIN_HEAD "{\"virtual-size\":1048576,\"filename\":\"" FILE \
	"\",\"format\":\"vmdk\",\"format-specific\":{\"type\":\"vmdk\"," \
	"\"data\":{\"create-type\":\"monolithicSparse\",\"extents\":["
#define EXTENT "{\"filename\":\"" FILE "\",\"format\":\"\"}"
#define VMDK_MIN_TAIL "]}}}"

static int
parse(const char *json, const char *format, int64_t max, struct imginfo *out,
    char **why)
{
	int r = imginfo_parse(json, strlen(json), format, FILE, max, out,
	    why);
	size_t i;

	if (r == 0) {
		g_assert_null(*why);
		g_assert_cmpstr(out->format, ==, format);
		g_assert_cmpint(out->virtual_size, >, 0);
		g_assert_cmpint(out->virtual_size, <=, max);
		return 0;
	}
	g_assert_cmpint(r, ==, -1);
	g_assert_nonnull(*why);
	g_assert_null(out->format);
	g_assert_cmpint(out->virtual_size, ==, -1);
	/* One line, nothing a terminal would act on. */
	for (i = 0; (*why)[i] != '\0'; i++)
		g_assert_cmpint((unsigned char)(*why)[i], >=, 0x20);
	g_assert_true(g_utf8_validate(*why, -1, NULL));
	g_test_message("refused: %s", *why);
	return -1;
}

static void
accept(const char *json, const char *format, int64_t vsize, int64_t asize)
{
	struct imginfo out;
	char *why = NULL;

	if (parse(json, format, LIMIT, &out, &why) != 0)
		g_test_message("refused: %s", why);
	g_assert_null(why);
	g_assert_cmpint(out.virtual_size, ==, vsize);
	g_assert_cmpint(out.actual_size, ==, asize);
	imginfo_clear(&out);
	g_assert_null(out.format);
	imginfo_clear(&out);
}

/* Refused, with a reason that contains each of the NULL-terminated
 * strings that follow. */
static void
refuse_max(const char *json, const char *format, int64_t max, ...)
{
	struct imginfo out;
	char *why = NULL;
	const char *want;
	va_list ap;

	g_assert_cmpint(parse(json, format, max, &out, &why), ==, -1);
	va_start(ap, max);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(why, want) == NULL)
			g_test_message("\"%s\" not in: %s", want, why);
		g_assert_nonnull(strstr(why, want));
	}
	va_end(ap);
	g_free(why);
	imginfo_clear(&out);
}

#define refuse(json, format, ...) \
	refuse_max(json, format, LIMIT, __VA_ARGS__, (const char *)NULL)

/* json with its first "from" replaced by "to".  Caller frees. */
static char *
edit(const char *json, const char *from, const char *to)
{
	const char *p = strstr(json, from);

	g_assert_nonnull(p);
	return g_strdup_printf("%.*s%s%s", (int)(p - json), json, to,
	    p + strlen(from));
}

static void
refuse_edit(const char *json, const char *format, const char *from,
    const char *to, const char *want)
{
	char *e = edit(json, from, to);

	refuse(e, format, want);
	g_free(e);
}

static void
accept_edit(const char *json, const char *format, const char *from,
    const char *to)
{
	char *e = edit(json, from, to);

	accept(e, format, 1048576, -1);
	g_free(e);
}

static void
test_accept(void)
{
	accept(raw, "raw", 1048576, 4096);
	accept(raw_big, "raw", 3072 * GIB, 4096);
	accept(qcow2, "qcow2", GIB, 200704);
	accept(qcow2_v2, "qcow2", GIB, 200704);
	accept(vmdk_sparse, "vmdk", GIB, 12288);
	accept(vmdk_stream, "vmdk", GIB, 12288);
	accept(vdi, "vdi", GIB, 8192);
	accept(vhdx, "vhdx", GIB, 1265664);
	accept(vpc, "vpc", 1073995776, 8192);
	accept(vpc_fixed, "vpc", 1079296, 8192);
	accept(children_ok, "qcow2", GIB, 200704);
	accept(RAW_MIN, "raw", 1048576, -1);
	accept(QCOW2_MIN, "qcow2", 1048576, -1);
	accept(VMDK_MIN_HEAD EXTENT VMDK_MIN_TAIL, "vmdk", 1048576, -1);
}

static void
test_backing(void)
{
	refuse(qcow2_backing, "qcow2", "another file",
	    "backing file '/home/student/disk.qcow2'",
	    "qemu-img convert -O qcow2 in.qcow2 out.qcow2");
	/* A json: name is a name like any other. */
	refuse(qcow2_backing_json, "qcow2",
	    "backing file 'json:{\"driver\":\"file\",\"filename\":"
	    "\"/etc/shadow\"}'");
	refuse(vmdk_parent, "vmdk", "backing file 'disk.vmdk'",
	    "in.vmdk out.qcow2");
	/* Each key alone, whatever its value. */
	refuse_edit(RAW_MIN, "raw", "{", "{\"backing-filename\":\"x\",",
	    "backing file 'x'");
	refuse_edit(RAW_MIN, "raw", "{", "{\"full-backing-filename\":\"x\",",
	    "backing file 'x'");
	refuse_edit(RAW_MIN, "raw", "{", "{\"backing-filename\":5,",
	    "another file (a backing file)");
	refuse_edit(RAW_MIN, "raw", "{", "{\"backing-filename\":null,",
	    "another file");
	refuse_edit(RAW_MIN, "raw", "{",
	    "{\"backing-filename-format\":\"raw\",",
	    "another file (a backing file)");
	refuse_edit(RAW_MIN, "raw", "{", "{\"backing-image\":{},",
	    "another file (a backing image)");
	refuse_edit(RAW_MIN, "raw", "{", "{\"backing-filename\":\"\",",
	    "backing file ''");
	/* Spelt another way by the JSON, the same key. */
	refuse_edit(RAW_MIN, "raw", "{", "{\"backing\\u002dfilename\":\"x\",",
	    "backing file 'x'");
}

static void
test_data_file(void)
{
	refuse(qcow2_data_file, "qcow2", "data file 'data.raw'",
	    "qemu-img convert");
	refuse(qcow2_data_file_raw, "qcow2", "data file 'data.raw'");
	refuse_edit(QCOW2_MIN, "qcow2", "\"corrupt\"",
	    "\"data-file-raw\":false,\"corrupt\"", "data in another file");
	refuse_edit(QCOW2_MIN, "qcow2", "\"corrupt\"",
	    "\"data-file\":{},\"corrupt\"", "data in another file");
	refuse(children_data_file, "qcow2", "another file ('/dev/sda')");
}

static void
test_encrypted(void)
{
	refuse(qcow2_luks, "qcow2", "encrypted");
	refuse_edit(QCOW2_MIN, "qcow2", "\"corrupt\"",
	    "\"encrypt\":{\"format\":\"aes\"},\"corrupt\"", "encrypted");
	refuse_edit(RAW_MIN, "raw", "{", "{\"encrypted\":true,", "encrypted");
	refuse_edit(RAW_MIN, "raw", "{", "{\"encrypted\":1,",
	    "unexpected qemu-img output (encrypted)");
	accept_edit(RAW_MIN, "raw", "{", "{\"encrypted\":false,");
}

static void
test_corrupt(void)
{
	refuse(qcow2_corrupt, "qcow2", "marked corrupt",
	    "qemu-img check -r all");
	refuse_edit(QCOW2_MIN, "qcow2", "\"corrupt\":false",
	    "\"corrupt\":\"no\"", "(corrupt)");
	/* Version 2 images have no such bit, and QEMU says nothing. */
	accept_edit(QCOW2_MIN, "qcow2", "\"corrupt\":false", "\"x\":1");
}

static void
test_vmdk(void)
{
	refuse(vmdk_flat, "vmdk", "of type 'monolithicFlat'");
	refuse(vmdk_split, "vmdk", "of type 'twoGbMaxExtentSparse'");
	refuse_edit(vmdk_sparse, "vmdk", "monolithicSparse", "vmfsSparse",
	    "of type 'vmfsSparse'");
	refuse_edit(vmdk_sparse, "vmdk", "\"create-type\"", "\"x\"",
	    "(create-type)");
	refuse(VMDK_MIN_HEAD VMDK_MIN_TAIL, "vmdk", "(extents)");
	refuse(VMDK_MIN_HEAD "1" VMDK_MIN_TAIL, "vmdk", "(extents)");
	refuse_edit(VMDK_MIN_HEAD VMDK_MIN_TAIL, "vmdk", "\"extents\":[]",
	    "\"extents\":{}", "(extents)");
	/* A sparse vmdk with a second extent elsewhere, or an extent with a
	 * parent of its own. */
	refuse(VMDK_MIN_HEAD EXTENT ",{\"filename\":\"/etc/shadow\"}"
	    VMDK_MIN_TAIL, "vmdk", "another file ('/etc/shadow')");
	refuse(VMDK_MIN_HEAD "{\"format\":\"\"}" VMDK_MIN_TAIL, "vmdk",
	    "(filename)");
	refuse(VMDK_MIN_HEAD "{\"filename\":\"" FILE "\","
	    "\"backing-filename\":\"base.vmdk\"}" VMDK_MIN_TAIL, "vmdk",
	    "backing file 'base.vmdk'");
	refuse(VMDK_MIN_HEAD "{\"filename\":\"" FILE "\",\"children\":[{"
	    "\"name\":\"file\",\"info\":{\"filename\":\"x\"}}]}"
	    VMDK_MIN_TAIL, "vmdk", "another file ('x')");
}

static void
test_format(void)
{
	refuse(qcow2, "raw", "read it as 'qcow2'");
	refuse(vpc, "vmdk", "read it as 'vpc'");
	refuse(raw, "qcow2", "read it as 'raw'");
	refuse_edit(RAW_MIN, "raw", "\"format\":\"raw\"", "\"x\":1",
	    "(format)");
	refuse_edit(RAW_MIN, "raw", "\"format\":\"raw\"", "\"format\":[]",
	    "(format)");
	/* qcow2 and vmdk are judged by what they say of themselves. */
	refuse_edit(QCOW2_MIN, "qcow2", "\"type\":\"qcow2\"",
	    "\"type\":\"raw\"", "(format-specific)");
	refuse_edit(QCOW2_MIN, "qcow2", "\"data\":{", "\"x\":{",
	    "(format-specific)");
	refuse_edit(QCOW2_MIN, "qcow2", "\"format-specific\"", "\"x\"",
	    "(format-specific)");
	refuse_edit(vmdk_sparse, "vmdk", "\"format-specific\"", "\"x\"",
	    "(format-specific)");
	refuse_edit(vmdk_sparse, "vmdk", "\"type\":\"vmdk\"",
	    "\"type\":\"qcow2\"", "(format-specific)");
	refuse_edit(RAW_MIN, "raw", "}", ",\"format-specific\":1}",
	    "(format-specific)");
	refuse_edit(RAW_MIN, "raw", "}", ",\"format-specific\":{"
	    "\"type\":\"qcow2\",\"data\":{}}}", "(format-specific)");
	/* Others may describe themselves in later versions. */
	accept_edit(RAW_MIN, "raw", "}", ",\"format-specific\":{"
	    "\"type\":\"raw\",\"data\":{\"x\":1}}}");
}

static void
test_filename(void)
{
	struct imginfo out;
	char *why = NULL;

	g_assert_cmpint(imginfo_parse(raw, strlen(raw), "raw", FILE "2", LIMIT,
	    &out, &why), ==, -1);
	g_assert_nonnull(strstr(why, "another file ('" FILE "')"));
	g_free(why);
	refuse_edit(RAW_MIN, "raw", "\"filename\"", "\"x\"", "(filename)");
	refuse_edit(RAW_MIN, "raw", "\"" FILE "\"", "1", "(filename)");
	refuse_edit(RAW_MIN, "raw", "\"" FILE "\"", "\"json:{}\"",
	    "another file ('json:{}')");
	/* json-glib passes an octal escape on as a lone byte: the message
	 * stays valid UTF-8 (parse() checks). */
	refuse_edit(RAW_MIN, "raw", "\"" FILE "\"", "\"/x\\705\"",
	    "another file ('/x\xef\xbf\xbd')");
	refuse_edit(children_ok, "qcow2", "\"filename\":\"" FILE,
	    "\"filename\":\"" FILE "x", "another file ('" FILE "x')");
	refuse_edit(children_ok, "qcow2", "\"info\":{", "\"x\":{",
	    "(children)");
	refuse_edit(children_ok, "qcow2", "\"children\":[{",
	    "\"children\":[1,{",
	    "(children)");
	refuse_edit(RAW_MIN, "raw", "}", ",\"children\":{}}", "(children)");
	/* Deeper down. */
	refuse_edit(children_ok, "qcow2", "\"children\":[]",
	    "\"children\":[{\"name\":\"x\",\"info\":{"
	    "\"filename\":\"/etc/a\"}}]",
	    "another file ('/etc/a')");
	refuse_edit(children_ok, "qcow2", "\"children\":[]",
	    "\"backing-image\":{}", "a backing image");
	/* Wherever a later QEMU might put them. */
	refuse_edit(RAW_MIN, "raw", "}", ",\"x\":[{\"y\":{\"filename\":"
	    "\"/etc/shadow\"}}]}", "another file ('/etc/shadow')");
	refuse_edit(RAW_MIN, "raw", "}", ",\"x\":{\"filename\":null}}",
	    "(filename)");
	refuse_edit(RAW_MIN, "raw", "}", ",\"x\":[[{\"data-file\":1}]]}",
	    "another file (data-file)");
	refuse_edit(RAW_MIN, "raw", "}", ",\"x\":{\"backing-image\":1}}",
	    "another file (backing-image)");
	accept_edit(RAW_MIN, "raw", "}", ",\"x\":[{\"y\":{\"filename\":"
	    "\"" FILE "\",\"z\":\"/etc/shadow\"}}]}");
}

static void
test_size(void)
{
	refuse_max(raw_big, "raw", 100 * GIB, "too large", "3072 GiB",
	    "at most 100 GiB", (const char *)NULL);
	refuse_max(qcow2, "qcow2", GIB - 1, "1 GiB, at most 0.9 GiB",
	    (const char *)NULL);
	refuse_max(vpc, "vpc", GIB, "1.1 GiB, at most 1 GiB",
	    (const char *)NULL);
	refuse_max(qcow2, "qcow2", 0, "1 GiB, at most 0 GiB",
	    (const char *)NULL);
	refuse_max(qcow2, "qcow2", -5, "at most 0 GiB", (const char *)NULL);
	{
		struct imginfo out;
		char *why = NULL;

		g_assert_cmpint(parse(qcow2, "qcow2", GIB, &out, &why), ==, 0);
		imginfo_clear(&out);
	}
	refuse_edit(RAW_MIN, "raw", "1048576", "0", "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "1048576", "-1048576", "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "1048576", "1048576.0", "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "1048576", "\"1048576\"",
	    "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "\"virtual-size\"", "\"x\"",
	    "(virtual-size)");
	/* json-glib wraps what does not fit an int64_t. */
	refuse_edit(RAW_MIN, "raw", "1048576", "9223372036854775808",
	    "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "1048576", "18446744073709551617",
	    "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "1048576", "99999999999999999999999",
	    "(virtual-size)");
	refuse_edit(RAW_MIN, "raw", "1048576", "9223372036854775807",
	    "8589934592.0 GiB, at most 4096 GiB");
}

static void
test_malformed(void)
{
	static const char *const bad[] = {
		"", " ", "[]", "1", "\"x\"", "null", "{", "{}}",
		/* json-glib takes these; QEMU never writes them. */
		"/* \" */ " RAW_MIN,
		"{'virtual-size':1048576,'filename':'" FILE "','format':'raw'}",
		"// x\n" RAW_MIN,
		"# x\n" RAW_MIN,
		"\xef\xbb\xbf" RAW_MIN,
	};
	struct imginfo out;
	char *why = NULL, *s;
	GString *deep;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		refuse(bad[i], "raw", "the image could not be examined");
	/* Nested beyond json-glib's stack, and just within the limit. */
	deep = g_string_new("{\"x\":");
	for (i = 0; i < 200000; i++)
		g_string_append_c(deep, '[');
	refuse(deep->str, "raw", "(nested too deeply)");
	g_string_free(deep, TRUE);
	deep = g_string_new(RAW_MIN);
	g_string_truncate(deep, deep->len - 1);
	g_string_append(deep, ",\"x\":");
	for (i = 0; i < 31; i++)
		g_string_append_c(deep, '[');
	for (i = 0; i < 31; i++)
		g_string_append_c(deep, ']');
	g_string_append_c(deep, '}');
	accept(deep->str, "raw", 1048576, -1);
	g_string_free(deep, TRUE);
	/* Brackets in strings are text. */
	accept_edit(RAW_MIN, "raw", "{", "{\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[\\\"\\\\[[[[[[[[[[[[[[[[[[[[[[\",");
	/* A NUL would cut the name short in json-glib. */
	refuse_edit(RAW_MIN, "raw", FILE, FILE "\\u0000x", "(a NUL character)");
	refuse_edit(RAW_MIN, "raw", FILE, FILE "\\\\u0000x",
	    "another file ('" FILE "\\u0000x')");
	g_assert_cmpint(imginfo_parse(RAW_MIN "\0", sizeof(RAW_MIN), "raw",
	    FILE, LIMIT, &out, &why), ==, -1);
	g_assert_nonnull(strstr(why, "(a NUL character)"));
	g_free(why);
	/* Only len bytes are read. */
	g_assert_cmpint(imginfo_parse(RAW_MIN "xyz", strlen(RAW_MIN), "raw",
	    FILE, LIMIT, &out, &why), ==, 0);
	imginfo_clear(&out);
	g_assert_cmpint(imginfo_parse(RAW_MIN, strlen(RAW_MIN) - 1, "raw",
	    FILE, LIMIT, &out, &why), ==, -1);
	g_free(why);
	/* Too long, however well-formed. */
	s = g_strnfill(IMGINFO_MAX_JSON + 1, ' ');
	memcpy(s, RAW_MIN, strlen(RAW_MIN));
	refuse(s, "raw", "(too long)");
	s[IMGINFO_MAX_JSON] = '\0';
	accept(s, "raw", 1048576, -1);
	g_free(s);
}

static void
test_long_names(void)
{
	char *name, *json, *why = NULL;
	struct imginfo out;
	size_t i;

	/* Cut at 100 bytes... */
	name = g_strnfill(300, 'a');
	json = g_strdup_printf("{\"backing-filename\":\"%s\"," "%s", name,
	    RAW_MIN + 1);
	g_assert_cmpint(parse(json, "raw", LIMIT, &out, &why), ==, -1);
	g_assert_nonnull(strstr(why, "'aaa"));
	g_assert_null(strstr(why, name + 199));
	g_assert_nonnull(strstr(why, "...'"));
	g_assert_cmpuint(strlen(why), <, 300);
	g_free(why);
	g_free(json);
	g_free(name);
	/* ...never inside a character. */
	for (i = 0; i < 4; i++) {
		GString *g = g_string_new(NULL);

		g_string_append_len(g, "xyz", i);
		while (g->len < 300)
			g_string_append(g, "\xc3\xa9\xe2\x82\xac");
		json = g_strdup_printf("{\"backing-filename\":\"%s\",%s",
		    g->str, RAW_MIN + 1);
		g_assert_cmpint(parse(json, "raw", LIMIT, &out, &why), ==, -1);
		g_assert_nonnull(strstr(why, "...'"));
		g_free(why);
		g_free(json);
		g_string_free(g, TRUE);
	}
	/* Control characters are left for the caller to escape. */
	json = edit(RAW_MIN, FILE, "\\u001b[2J");
	g_assert_cmpint(imginfo_parse(json, strlen(json), "raw", FILE, LIMIT,
	    &out, &why), ==, -1);
	g_assert_nonnull(strstr(why, "('\x1b[2J')"));
	g_free(why);
	g_free(json);
}

static void
test_all_samples_refuse_other_names(void)
{
	static const struct {
		const char *json, *format;
	} ok[] = {
		{ raw, "raw" }, { qcow2, "qcow2" }, { qcow2_v2, "qcow2" },
		{ vmdk_sparse, "vmdk" }, { vmdk_stream, "vmdk" },
		{ vdi, "vdi" }, { vhdx, "vhdx" }, { vpc, "vpc" },
		{ vpc_fixed, "vpc" }, { children_ok, "qcow2" },
	};
	struct imginfo out;
	char *why;
	size_t i;

	/* The accepted samples, given another name: every one refused. */
	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		why = NULL;
		g_assert_cmpint(imginfo_parse(ok[i].json, strlen(ok[i].json),
		    ok[i].format, "/var/lib/ie-vshell/import/other", LIMIT,
		    &out, &why), ==, -1);
		g_assert_nonnull(why);
		g_free(why);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imginfo/accept", test_accept);
	g_test_add_func("/imginfo/backing", test_backing);
	g_test_add_func("/imginfo/data-file", test_data_file);
	g_test_add_func("/imginfo/encrypted", test_encrypted);
	g_test_add_func("/imginfo/corrupt", test_corrupt);
	g_test_add_func("/imginfo/vmdk", test_vmdk);
	g_test_add_func("/imginfo/format", test_format);
	g_test_add_func("/imginfo/filename", test_filename);
	g_test_add_func("/imginfo/size", test_size);
	g_test_add_func("/imginfo/malformed", test_malformed);
	g_test_add_func("/imginfo/long-names", test_long_names);
	g_test_add_func("/imginfo/other-names",
	    test_all_samples_refuse_other_names);
	return g_test_run();
}

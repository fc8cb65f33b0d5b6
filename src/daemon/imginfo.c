/* Reading and judging `qemu-img info --output=json` for an upload.  The
 * JSON is QEMU's, but the names and numbers in it come from a student's
 * file: every key is checked for its type, every name is compared, and an
 * image that names any file but itself is refused. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "i18n.h"
#include "imginfo.h"

/* QEMU nests "children" and the qcow2 encryption slots a few levels deep;
 * a backing chain, the only deep nesting, is refused anyway. */
#define DEPTH_MAX 32
#define QUOTE_MAX 100
#define GIB ((int64_t)1 << 30)

/* Present under any of these names, in any spelling, the image has a
 * backing file: a "json:{...}" name is just a string, and so is
 * "/etc/shadow". */
static const char *const backing_keys[] = {
	"backing-filename", "full-backing-filename",
	"backing-filename-format", "backing-image",
};

struct judge {
	const char *format;	/* expected */
	const char *filename;	/* expected */
	char *standalone;	/* what to do about another file */
	JsonNode *root;
	char quoted[QUOTE_MAX + 4];
	char *why;
};

static int
refuse(struct judge *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
refuse(struct judge *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_free(j->why);
	j->why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* name made valid UTF-8 (json-glib passes an escape such as "\\705" on
 * as a lone byte) and cut to about QUOTE_MAX bytes at a character
 * boundary, for a message; valid until the next call. */
static const char *
quote(struct judge *j, const char *name)
{
	char *valid = g_utf8_make_valid(name, -1);
	size_t n = strlen(valid);

	if (n > QUOTE_MAX) {
		/* Stop before a partial character. */
		n = QUOTE_MAX;
		while (n > 0 && ((unsigned char)valid[n] & 0xc0) == 0x80)
			n--;
	}
	g_snprintf(j->quoted, sizeof(j->quoted), "%.*s%s", (int)n, valid,
	    valid[n] != '\0' ? "..." : "");
	g_free(valid);
	return j->quoted;
}

static int
malformed(struct judge *j, const char *key)
{
	return refuse(j, _("the image could not be examined: unexpected "
	    "qemu-img output (%s)"), key);
}

/* The member's string, or NULL if it is absent or not a string. */
static const char *
get_string(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static JsonObject *
get_object(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);

	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ?
	    json_node_get_object(n) : NULL;
}

/* -1 if the member is absent, 0 or 1 for a boolean, -2 for anything
 * else. */
static int
get_bool(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);

	if (n == NULL)
		return -1;
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return -2;
	return json_node_get_boolean(n) ? 1 : 0;
}

static bool
get_int(JsonObject *o, const char *key, int64_t *v)
{
	JsonNode *n = json_object_get_member(o, key);

	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	*v = json_node_get_int(n);
	return true;
}

/* json-glib 1.6 nests without limit (some 100000 '[' overflow the stack),
 * takes comments and single-quoted strings (in which a depth count would
 * go wrong), and ends a string at "\u0000", so that "x.qcow2\u0000..."
 * would pass for x.qcow2.  QEMU writes none of these: refuse them before
 * json-glib sees them. */
static const char *
prescan(const char *s, size_t len)
{
	bool in_string = false;
	int depth = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\0')
			return _("a NUL character");
		if (in_string) {
			if (c == '"')
				in_string = false;
			else if (c == '\\') {
				if (i + 5 < len && s[i + 1] == 'u' &&
				    memcmp(s + i + 2, "0000", 4) == 0)
					return _("a NUL character");
				i++;
			}
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '[' || c == '{') {
			if (++depth > DEPTH_MAX)
				return _("nested too deeply");
		} else if (c == ']' || c == '}')
			depth--;
		else if (!g_ascii_isalnum(c) &&
		    strchr(" \t\r\n,:+-.", c) == NULL)
			return _("not plain JSON");
	}
	return NULL;
}

static const char *
what_backing(const char *key)
{
	if (strcmp(key, "backing-image") == 0)
		return _("a backing image");
	return _("a backing file");
}

/* The node names no file but the upload: no backing file, its own name is
 * the upload's, and so are those of the nodes below it (QEMU 8 and later
 * list the protocol, data file and extent nodes as "children"). */
static int
check_node(struct judge *j, JsonObject *o, bool top)
{
	JsonArray *a;
	JsonNode *n;
	JsonObject *c, *info;
	const char *s;
	size_t i;
	guint k;

	for (i = 0; i < G_N_ELEMENTS(backing_keys); i++) {
		if (!json_object_has_member(o, backing_keys[i]))
			continue;
		if ((s = get_string(o, "backing-filename")) != NULL ||
		    (s = get_string(o, "full-backing-filename")) != NULL)
			return refuse(j, _("the image refers to another file "
			    "(backing file '%s'); %s"), quote(j, s),
			    j->standalone);
		return refuse(j, _("the image refers to another file (%s); %s"),
		    what_backing(backing_keys[i]), j->standalone);
	}
	if ((s = get_string(o, "filename")) == NULL)
		return malformed(j, "filename");
	if (strcmp(s, j->filename) != 0) {
		if (top)
			return refuse(j, _("the image could not be examined: "
			    "qemu-img described another file ('%s')"),
			    quote(j, s));
		return refuse(j, _("the image refers to another file ('%s'); "
		    "%s"), quote(j, s), j->standalone);
	}
	if ((n = json_object_get_member(o, "children")) == NULL)
		return 0;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return malformed(j, "children");
	a = json_node_get_array(n);
	for (k = 0; k < json_array_get_length(a); k++) {
		n = json_array_get_element(a, k);
		if (!JSON_NODE_HOLDS_OBJECT(n) ||
		    (c = json_node_get_object(n)) == NULL ||
		    (info = get_object(c, "info")) == NULL)
			return malformed(j, "children");
		if (check_node(j, info, false) == -1)
			return -1;
	}
	return 0;
}

static int
refuse_encrypted(struct judge *j)
{
	return refuse(j, _("the image is encrypted; upload an unencrypted copy "
	    "(qemu-img convert -O qcow2, with the key for the input only)"));
}

static int
check_qcow2(struct judge *j, JsonObject *d)
{
	const char *s;

	if (json_object_has_member(d, "data-file") ||
	    json_object_has_member(d, "data-file-raw")) {
		if ((s = get_string(d, "data-file")) != NULL)
			return refuse(j, _("the image keeps its data in "
			    "another file (data file '%s'); %s"), quote(j, s),
			    j->standalone);
		return refuse(j, _("the image keeps its data in another file; "
		    "%s"), j->standalone);
	}
	if (json_object_has_member(d, "encrypt"))
		return refuse_encrypted(j);
	switch (get_bool(d, "corrupt")) {
	case -2:
		return malformed(j, "corrupt");
	case 1:
		return refuse(j, _("the image is marked corrupt; repair it "
		    "(qemu-img check -r all in.qcow2) or upload another"));
	}
	return 0;
}

static int
check_vmdk(struct judge *j, JsonObject *d)
{
	const char *type;
	JsonNode *n;
	JsonArray *a;
	guint k;

	if ((type = get_string(d, "create-type")) == NULL)
		return malformed(j, "create-type");
	/* The other types are descriptors with extents in other files, or
	 * flat extents QEMU takes from wherever the descriptor says. */
	if (strcmp(type, "monolithicSparse") != 0 &&
	    strcmp(type, "streamOptimized") != 0)
		return refuse(j, _("the vmdk image is of type '%s'; upload a "
		    "monolithicSparse or streamOptimized vmdk, or a qcow2 "
		    "(qemu-img convert -O qcow2 in.vmdk out.qcow2)"),
		    quote(j, type));
	if ((n = json_object_get_member(d, "extents")) == NULL ||
	    !JSON_NODE_HOLDS_ARRAY(n) ||
	    json_array_get_length(a = json_node_get_array(n)) == 0)
		return malformed(j, "extents");
	for (k = 0; k < json_array_get_length(a); k++) {
		n = json_array_get_element(a, k);
		if (!JSON_NODE_HOLDS_OBJECT(n))
			return malformed(j, "extents");
		if (check_node(j, json_node_get_object(n), false) == -1)
			return -1;
	}
	return 0;
}

/* qcow2 and vmdk always describe themselves, and only that description
 * names their data files and extents: it must be there, and be theirs. */
static int
check_specific(struct judge *j, JsonObject *root)
{
	bool needed = strcmp(j->format, "qcow2") == 0 ||
	    strcmp(j->format, "vmdk") == 0;
	JsonObject *fs, *data;
	const char *type;

	if (!json_object_has_member(root, "format-specific"))
		return needed ? malformed(j, "format-specific") : 0;
	if ((fs = get_object(root, "format-specific")) == NULL ||
	    (type = get_string(fs, "type")) == NULL ||
	    strcmp(type, j->format) != 0)
		return malformed(j, "format-specific");
	if (!needed)
		return 0;
	if ((data = get_object(fs, "data")) == NULL)
		return malformed(j, "format-specific");
	if (strcmp(j->format, "qcow2") == 0)
		return check_qcow2(j, data);
	return check_vmdk(j, data);
}

/* Whatever QEMU adds in later versions: a "filename" anywhere names
 * another file unless it is the upload's, and the keys of backing and
 * data files mean one wherever they are.  Reached after the checks above,
 * which say more. */
static int
check_tree(struct judge *j, JsonNode *n)
{
	static const char *const keys[] = {
		"backing-filename", "full-backing-filename",
		"backing-filename-format", "backing-image", "data-file",
		"data-file-raw",
	};
	JsonObject *o;
	JsonArray *a;
	GList *members, *m;
	const char *s;
	size_t i;
	guint k;
	int ret = 0;

	if (JSON_NODE_HOLDS_ARRAY(n)) {
		a = json_node_get_array(n);
		for (k = 0; k < json_array_get_length(a) && ret == 0; k++)
			ret = check_tree(j, json_array_get_element(a, k));
		return ret;
	}
	if (!JSON_NODE_HOLDS_OBJECT(n))
		return 0;
	o = json_node_get_object(n);
	for (i = 0; i < G_N_ELEMENTS(keys); i++)
		if (json_object_has_member(o, keys[i]))
			return refuse(j, _("the image refers to another file "
			    "(%s); %s"), keys[i], j->standalone);
	if (json_object_has_member(o, "filename") &&
	    ((s = get_string(o, "filename")) == NULL ||
	    strcmp(s, j->filename) != 0))
		return s == NULL ? malformed(j, "filename") :
		    refuse(j, _("the image refers to another file ('%s'); %s"),
		    quote(j, s), j->standalone);
	members = json_object_get_values(o);
	for (m = members; m != NULL && ret == 0; m = m->next)
		ret = check_tree(j, m->data);
	g_list_free(members);
	return ret;
}

/* A size for people, in GiB with at most one decimal, rounded away from
 * the limit (up for the image, down for the limit) so that a refused size
 * never reads as an allowed one. */
static char *
gib(int64_t v, bool up)
{
	int64_t whole = v / GIB, rem = v % GIB, tenths;

	if (rem == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT " GiB", whole);
	tenths = rem * 10 / GIB;
	if (up && rem * 10 % GIB != 0 && ++tenths == 10) {
		whole++;
		tenths = 0;
	}
	return g_strdup_printf("%" G_GINT64_FORMAT ".%d GiB", whole,
	    (int)tenths);
}

static int
check_size(struct judge *j, JsonObject *root, int64_t max, int64_t *vsize)
{
	char *have, *limit;

	if (!get_int(root, "virtual-size", vsize) || *vsize <= 0)
		return malformed(j, "virtual-size");
	if (*vsize <= max)
		return 0;
	have = gib(*vsize, true);
	limit = gib(max > 0 ? max : 0, false);
	refuse(j, _("the image's disk is too large: %s, at most %s allowed; "
	    "upload a smaller disk"), have, limit);
	g_free(have);
	g_free(limit);
	return -1;
}

static int
judge(struct judge *j, JsonObject *root, int64_t max, struct imginfo *out)
{
	const char *format;
	int64_t vsize, asize;

	if ((format = get_string(root, "format")) == NULL)
		return malformed(j, "format");
	if (strcmp(format, j->format) != 0)
		return refuse(j, _("the image could not be examined: qemu-img "
		    "read it as '%s'"), quote(j, format));
	if (check_node(j, root, true) == -1 || check_specific(j, root) == -1)
		return -1;
	switch (get_bool(root, "encrypted")) {
	case -2:
		return malformed(j, "encrypted");
	case 1:
		return refuse_encrypted(j);
	}
	if (check_size(j, root, max, &vsize) == -1 ||
	    check_tree(j, j->root) == -1)
		return -1;
	/* Only informative, and json-glib wraps what exceeds int64_t. */
	if (!get_int(root, "actual-size", &asize) || asize < 0)
		asize = -1;
	out->format = g_strdup(format);
	out->virtual_size = vsize;
	out->actual_size = asize;
	return 0;
}

int
imginfo_parse(const char *json, size_t len, const char *expect_format,
    const char *expect_filename, int64_t max_virtual_size,
    struct imginfo *out, char **err)
{
	struct judge j = {
		.format = expect_format,
		.filename = expect_filename,
	};
	JsonParser *parser = NULL;
	JsonNode *root;
	const char *bad;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->virtual_size = out->actual_size = -1;
	*err = NULL;
	j.standalone = g_strdup_printf(_("upload a standalone image "
	    "(qemu-img convert -O qcow2 in.%s out.qcow2)"), expect_format);
	if (len > IMGINFO_MAX_JSON) {
		malformed(&j, _("too long"));
		goto out;
	}
	if ((bad = prescan(json, len)) != NULL) {
		malformed(&j, bad);
		goto out;
	}
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, json, (gssize)len, NULL)) {
		malformed(&j, _("not JSON"));
		goto out;
	}
	if ((root = json_parser_get_root(parser)) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(root)) {
		malformed(&j, _("not a JSON object"));
		goto out;
	}
	j.root = root;
	ret = judge(&j, json_node_get_object(root), max_virtual_size, out);
 out:
	if (parser != NULL)
		g_object_unref(parser);
	if (ret == -1) {
		imginfo_clear(out);
		*err = j.why;
	} else
		g_free(j.why);
	g_free(j.standalone);
	return ret;
}

void
imginfo_clear(struct imginfo *out)
{
	if (out == NULL)
		return;
	g_free(out->format);
	out->format = NULL;
	out->virtual_size = out->actual_size = -1;
}

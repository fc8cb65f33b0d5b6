/* libFuzzer target: imginfo_parse(), the broker's reading of qemu-img
 * info --output=json.  The input is the output, judged as each allowed
 * format in turn.  An accepted image is walked again here: it must be
 * what was expected, within the size limit, and name no file but the
 * upload anywhere; a refusal must give one bounded line that adds no
 * control character of its own. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "fuzz.h"
#include "imginfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FILE "/var/lib/ie-vshell/import/upload"
#define LIMIT ((int64_t)100 << 30)

static const char *const formats[] = {
	"raw", "qcow2", "vmdk", "vdi", "vhdx", "vpc",
};

static const char *const other_file[] = {
	"backing-filename", "full-backing-filename",
	"backing-filename-format", "backing-image", "data-file",
	"data-file-raw",
};

/* Every object in the tree: none of the keys that name another file, and
 * every "filename" the upload's. */
static void
check_tree(JsonNode *n)
{
	JsonObject *o;
	JsonArray *a;
	JsonNode *f;
	GList *values, *v;
	size_t i;
	guint k;

	if (JSON_NODE_HOLDS_ARRAY(n)) {
		a = json_node_get_array(n);
		for (k = 0; k < json_array_get_length(a); k++)
			check_tree(json_array_get_element(a, k));
		return;
	}
	if (!JSON_NODE_HOLDS_OBJECT(n))
		return;
	o = json_node_get_object(n);
	for (i = 0; i < G_N_ELEMENTS(other_file); i++)
		CHECK(!json_object_has_member(o, other_file[i]));
	if ((f = json_object_get_member(o, "filename")) != NULL)
		CHECK(JSON_NODE_HOLDS_VALUE(f) &&
		    json_node_get_value_type(f) == G_TYPE_STRING &&
		    strcmp(json_node_get_string(f), FILE) == 0);
	values = json_object_get_values(o);
	for (v = values; v != NULL; v = v->next)
		check_tree(v->data);
	g_list_free(values);
}

static void
check_accepted(const uint8_t *data, size_t size, const char *format,
    const struct imginfo *out)
{
	JsonParser *p = json_parser_new_immutable();
	JsonObject *root, *fs, *d;
	JsonNode *e;

	CHECK(json_parser_load_from_data(p, (const char *)data, (gssize)size,
	    NULL));
	CHECK(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
	root = json_node_get_object(json_parser_get_root(p));
	CHECK(strcmp(json_object_get_string_member(root, "format"),
	    format) == 0);
	CHECK(json_object_get_int_member(root, "virtual-size") ==
	    out->virtual_size);
	e = json_object_get_member(root, "encrypted");
	CHECK(e == NULL || !json_node_get_boolean(e));
	if (strcmp(format, "qcow2") == 0) {
		fs = json_object_get_object_member(root, "format-specific");
		d = json_object_get_object_member(fs, "data");
		CHECK(!json_object_has_member(d, "encrypt"));
		e = json_object_get_member(d, "corrupt");
		CHECK(e == NULL || !json_node_get_boolean(e));
	}
	check_tree(json_parser_get_root(p));
	g_object_unref(p);
}

static bool
has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '\\')
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imginfo out;
	char *why;
	size_t i, n;

	for (i = 0; i < G_N_ELEMENTS(formats); i++) {
		why = (char *)"unset";
		if (imginfo_parse((const char *)data, size, formats[i], FILE,
		    LIMIT, &out, &why) == 0) {
			CHECK(why == NULL);
			CHECK(out.format != NULL &&
			    strcmp(out.format, formats[i]) == 0);
			CHECK(out.virtual_size > 0 &&
			    out.virtual_size <= LIMIT);
			CHECK(out.actual_size >= -1);
			check_accepted(data, size, formats[i], &out);
			imginfo_clear(&out);
			CHECK(out.format == NULL);
			continue;
		}
		CHECK(why != NULL && out.format == NULL);
		CHECK(out.virtual_size == -1 && out.actual_size == -1);
		n = strlen(why);
		CHECK(n > 0 && n < 600);
		CHECK(g_utf8_validate(why, -1, NULL));
		/* Controls in a message can only come from the input, raw or
		 * escaped ("\\u001b"). */
		if (!has_control((const char *)data, size))
			CHECK(!has_control(why, n));
		g_free(why);
	}
	return 0;
}

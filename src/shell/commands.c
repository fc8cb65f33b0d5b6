/* Command execution and output of the shell.  Everything the broker sends
 * back is escaped before it reaches the terminal. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cmdtab.h"
#include "commands.h"
#include "console.h"
#include "i18n.h"
#include "images.h"
#include "proto.h"
#include "sanitize.h"
#include "tokenize.h"

void
shell_error(const char *fmt, ...)
{
	va_list ap;
	char *s, *clean;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	clean = sanitize_new(s, false, 2048);
	fflush(stdout);
	fprintf(stderr, "error: %s\n", clean);
	g_free(clean);
	g_free(s);
}

void
shell_help(FILE *out, const char *cmd)
{
	const struct cmd_def *d;
	char usage[256];
	size_t i;
	int j;

	if (cmd == NULL) {
		fprintf(out, "%s\n", _("Commands:"));
		for (i = 0; i < cmd_table_len; i++) {
			char *head;

			d = &cmd_table[i];
			if (d->flags & CMD_HIDDEN_ALIAS)
				continue;
			head = g_strdup_printf("%s %s", d->name, d->synopsis);
			/* A long synopsis gets a line of its own. */
			if (strlen(head) > 30)
				fprintf(out, "  %s\n  %-30s %s\n", head, "",
				    _(d->help));
			else
				fprintf(out, "  %-30s %s\n", head, _(d->help));
			g_free(head);
		}
		fprintf(out, "%s\n", _("Type 'help COMMAND' for more about one "
		    "command.  VM names: lowercase letters, digits and '-'."));
		return;
	}
	if ((d = cmd_find(cmd)) == NULL) {
		shell_error(_("help: unknown command: %s; type 'help' for the "
		    "list"), cmd);
		return;
	}
	cmd_usage(d, usage, sizeof(usage));
	fprintf(out, "%s\n  %s\n", usage, _(d->help));
	for (j = 0; j < CMD_MAX_OPTS && d->opts[j].name != NULL; j++) {
		char *head = g_strdup_printf("%s%s%s", d->opts[j].name,
		    d->opts[j].metavar ? " " : "",
		    d->opts[j].metavar ? d->opts[j].metavar : "");

		fprintf(out, "  %-20s %s\n", head, _(d->opts[j].help));
		g_free(head);
	}
	if (d->actions != NULL)
		fprintf(out, "  %s %s\n", _("Actions:"), d->actions);
	if (d->flags & CMD_VMARG)
		fprintf(out, "  %s\n", _("Admins may name another user's VM as "
		    "USER/NAME."));
}

/* Column keys from the broker are stable identifiers; titles are ours. */
static const struct {
	const char *key, *title;
} columns[] = {
	{ "name", N_("Name") }, { "state", N_("State") },
	{ "owner", N_("Owner") }, { "resource", N_("Resource") },
	{ "used", N_("Used") }, { "limit", N_("Limit") },
	{ "user", N_("User") }, { "vms", N_("VMs") },
	{ "running", N_("Running") }, { "vcpus", N_("vCPUs") },
	{ "memory", N_("Memory") }, { "disk", N_("Disk") },
	{ "allocated", N_("On disk") }, { "virtual", N_("Virtual") },
	{ "vm", N_("VM") }, { "ip", N_("IP") },
	{ "snapshot", N_("Snapshot") }, { "created", N_("Created") },
};

static const char *
column_title(const char *key)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(columns); i++)
		if (strcmp(columns[i].key, key) == 0)
			return _(columns[i].title);
	return key;
}

static void
print_table(const struct proto_msg *m)
{
	guint ncols = m->ncols, nrows = m->nstr / ncols, r, c;
	char **cells = g_new0(char *, m->nstr + 1);
	size_t *width = g_new0(size_t, ncols);

	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++) {
			guint i = r * ncols + c;
			size_t w;

			cells[i] = sanitize_new(r == 0 ? column_title(m->str[i])
			    : m->str[i], false, 256);
			w = g_utf8_strlen(cells[i], -1);
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *cell = cells[r * ncols + c];
			size_t pad = width[c] - g_utf8_strlen(cell, -1);

			fputs(cell, stdout);
			if (c + 1 < ncols)
				printf("%*s", (int)(pad + 2), "");
		}
		putchar('\n');
	}
	if (nrows <= 1 && strcmp(m->str[ncols - 1], "ip") == 0)
		printf("%s\n", _("(no VMs; create one with 'define NAME')"));
	g_strfreev(cells);
	g_free(width);
}

static void
print_response(const struct proto_msg *m)
{
	uint32_t i;

	if (m->status != ST_OK) {
		shell_error("%s", m->nstr ? m->str[0] : _("command failed"));
		return;
	}
	if (m->ncols > 1 && m->nstr >= m->ncols && m->nstr % m->ncols == 0) {
		print_table(m);
		return;
	}
	for (i = 0; i < m->nstr; i++) {
		char *clean = sanitize_new(m->str[i], true, 0);
		size_t n = strlen(clean);

		fputs(clean, stdout);
		if (n == 0 || clean[n - 1] != '\n')
			putchar('\n');
		g_free(clean);
	}
}

/* In ASCII, as the broker writes JSON: file names may hold anything. */
static void
print_json(JsonNode *root)
{
	JsonGenerator *g = json_generator_new();
	char *s, *ascii;

	json_generator_set_root(g, root);
	json_generator_set_pretty(g, TRUE);
	s = json_generator_to_data(g, NULL);
	ascii = json_ascii_new(s);
	puts(ascii);
	g_free(ascii);
	g_free(s);
	g_object_unref(g);
}

/* "converting  42%", rewritten in place on a terminal. */
static void
show_progress(const struct proto_msg *m)
{
	char *what;

	if (m->nstr < 2 || !isatty(STDERR_FILENO))
		return;
	what = sanitize_new(m->str[0], false, 16);
	fprintf(stderr, "\r%-12s %3d%%", what, atoi(m->str[1]));
	fflush(stderr);
	g_free(what);
}

static void
end_progress(void)
{
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
}

/* Sends the request; an upload named in it goes along as a descriptor. */
static int
request(struct shell *sh, const struct cmd_call *call, int argc, char **argv,
    struct proto_msg **resp)
{
	char *msg = NULL;
	int fd = -1, r;

	if ((call->def->flags & CMD_UPLOADARG) && call->npos >= 2 &&
	    (fd = images_open_upload(sh, call->pos[1], &msg)) < 0) {
		shell_error("%s", msg);
		session_note(&sh->sess, msg, argv, argc);
		g_free(msg);
		return ST_FAILED;
	}
	r = session_request_fd(&sh->sess, argv, argc, fd,
	    fd >= 0 ? show_progress : NULL, resp, &msg);
	if (fd >= 0) {
		close(fd);
		end_progress();
	}
	if (r < 0) {
		shell_error("%s", msg);
		g_free(msg);
		return ST_FAILED;
	}
	return ST_OK;
}

/* A copy of member name of the JSON object in a broker's answer, or a
 * null node. */
static JsonNode *
answer_member_new(const struct proto_msg *resp, const char *name)
{
	JsonParser *p = json_parser_new();
	JsonNode *root, *n = NULL;

	if (resp->nstr == 1 &&
	    json_parser_load_from_data(p, resp->str[0], -1, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(root = json_parser_get_root(p)) &&
	    json_object_has_member(json_node_get_object(root), name))
		n = json_node_copy(json_object_get_member(
		    json_node_get_object(root), name));
	g_object_unref(p);
	return n != NULL ? n : json_node_new(JSON_NODE_NULL);
}

/* images --json: the broker's disks and the uploads only the shell can
 * see, in one document. */
static int
images_json(struct shell *sh, const struct cmd_call *call, int argc,
    char **argv)
{
	struct proto_msg *resp = NULL;
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	int st;

	json_builder_begin_object(b);
	if (images_json_uploads(sh, b) < 0) {
		g_object_unref(b);
		return ST_FAILED;
	}
	if ((st = request(sh, call, argc, argv, &resp)) != ST_OK ||
	    (st = resp->status) != ST_OK) {
		if (resp != NULL)
			print_response(resp);
		proto_msg_free(resp);
		g_object_unref(b);
		return st;
	}
	json_builder_set_member_name(b, "disks");
	json_builder_add_value(b, answer_member_new(resp, "disks"));
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	print_json(root);
	json_node_unref(root);
	g_object_unref(b);
	proto_msg_free(resp);
	return ST_OK;
}

int
shell_run_words(struct shell *sh, int argc, char **argv)
{
	struct proto_msg *resp = NULL;
	struct cmd_call call;
	char err[512];
	int st;

	if (argc == 0)
		return ST_OK;
	if ((st = cmd_parse(argc, argv, &call, err, sizeof(err))) != ST_OK) {
		shell_error("%s", err);
		session_note(&sh->sess, err, argv, argc);
		return st;
	}
	switch (call.def->id) {
	case CMD_HELP:
		shell_help(stdout, call.npos ? call.pos[0] : NULL);
		return call.npos && !cmd_find(call.pos[0]) ? ST_USAGE : ST_OK;
	case CMD_EXIT:
		sh->quit = true;
		return ST_OK;
	case CMD_IMAGES:
		if (cmd_opt_set(&call, "--json"))
			return images_json(sh, &call, argc, argv);
		if (images_print_uploads(sh) < 0)
			return ST_FAILED;
		break;
	default:
		break;
	}
	if (call.def->flags & CMD_STREAM)
		st = console_attach(sh, call.pos[0], argc, argv, &resp);
	else
		st = request(sh, &call, argc, argv, &resp);
	if (st != ST_OK)
		return st;
	print_response(resp);
	st = resp->status;
	proto_msg_free(resp);
	fflush(stdout);
	return st;
}

void
shell_refuse(struct shell *sh, const char *why, const char *line,
    size_t len)
{
	char *size = g_strdup_printf("(%zu bytes)", len);
	char *words[] = { size, (char *)line };

	shell_error("%s", _(why));
	session_note(&sh->sess, why, words, 2);
	g_free(size);
}

int
shell_run_line(struct shell *sh, const char *line)
{
	const char *why;
	char **argv;
	int argc, st;

	if (tokenize(line, &argv, &argc, &why) < 0) {
		shell_refuse(sh, why, line, strlen(line));
		return ST_USAGE;
	}
	st = shell_run_words(sh, argc, argv);
	g_strfreev(argv);
	return st;
}

/* The cells of one column (by its key) of a table the broker answers to
 * argv; empty if it fails.  NULL-terminated, g_strfreev. */
char **
shell_column(struct shell *sh, char **argv, int argc, const char *key)
{
	GPtrArray *cells = g_ptr_array_new();
	struct proto_msg *resp = NULL;
	char *msg = NULL;
	uint32_t i, c = 0;

	if (session_request(&sh->sess, argv, argc, &resp, &msg) == 0 &&
	    resp->status == ST_OK && resp->ncols > 1 &&
	    resp->nstr % resp->ncols == 0) {
		while (c < resp->ncols && strcmp(resp->str[c], key) != 0)
			c++;
		for (i = resp->ncols + c; c < resp->ncols && i < resp->nstr;
		    i += resp->ncols)
			g_ptr_array_add(cells, g_strdup(resp->str[i]));
	}
	g_free(msg);
	proto_msg_free(resp);
	g_ptr_array_add(cells, NULL);
	return (char **)g_ptr_array_free(cells, FALSE);
}

char **
shell_vm_names(struct shell *sh)
{
	char *argv[] = { "list", NULL };

	return shell_column(sh, argv, 1, "name");
}

/* The broker's JSON answer to argv, or NULL (the banner stays quiet about
 * failures: the first command will report them). */
static JsonParser *
request_json(struct shell *sh, char **argv, int argc)
{
	struct proto_msg *resp = NULL;
	JsonParser *p = NULL;
	char *msg = NULL;

	if (session_request(&sh->sess, argv, argc, &resp, &msg) == 0 &&
	    resp->status == ST_OK && resp->nstr == 1) {
		p = json_parser_new();
		if (!json_parser_load_from_data(p, resp->str[0], -1, NULL) ||
		    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
			g_object_unref(p);
			p = NULL;
		}
	}
	g_free(msg);
	proto_msg_free(resp);
	return p;
}

static JsonArray *
member_array(JsonParser *p, const char *name)
{
	JsonObject *o = json_node_get_object(json_parser_get_root(p));
	JsonNode *n = json_object_get_member(o, name);

	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ?
	    json_node_get_array(n) : NULL;
}

static const char *
member_str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n != NULL && json_node_get_value_type(n) == G_TYPE_STRING ?
	    json_node_get_string(n) : "-";
}

#define BANNER_MAX_VMS 8

static void
banner_vms(struct shell *sh)
{
	char *argv[] = { "list", "--json", NULL };
	JsonParser *p = request_json(sh, argv, 2);
	JsonArray *vms = p ? member_array(p, "vms") : NULL;
	guint i, n = vms ? json_array_get_length(vms) : 0;

	if (p != NULL && n == 0)
		printf("%s\n", _("You have no VMs yet: 'define NAME' makes "
		    "one, 'help' lists the commands."));
	for (i = 0; i < n && i < BANNER_MAX_VMS; i++) {
		JsonObject *o = json_array_get_object_element(vms, i);
		char *name = sanitize_new(member_str(o, "name"), false, 40);
		char *ip = sanitize_new(member_str(o, "ip"), false, 64);

		printf("  %-20s %-14s %s\n", name, _(member_str(o, "state")),
		    ip);
		g_free(name);
		g_free(ip);
	}
	if (n > BANNER_MAX_VMS)
		printf(_("  ... and %u more: 'list' shows them all\n"),
		    n - BANNER_MAX_VMS);
	if (p != NULL)
		g_object_unref(p);
}

static const char *
quota_word(const char *key)
{
	if (strcmp(key, "vms") == 0)
		return _("VMs");
	if (strcmp(key, "running") == 0)
		return _("running");
	if (strcmp(key, "vcpus") == 0)
		return _("vCPUs");
	return _("MiB memory");
}

/* One line of quota use, only where a limit is set. */
static void
banner_quota(struct shell *sh)
{
	char *argv[] = { "quota", "--json", NULL };
	JsonParser *p = request_json(sh, argv, 2);
	JsonArray *q = p ? member_array(p, "quota") : NULL;
	GString *line = g_string_new(NULL);
	guint i;

	for (i = 0; q != NULL && i < json_array_get_length(q); i++) {
		JsonObject *o = json_array_get_object_element(q, i);
		JsonNode *lim = json_object_get_member(o, "limit");
		const char *res = member_str(o, "resource");
		gint64 used = json_object_get_int_member(o, "used");

		if (lim == NULL || JSON_NODE_HOLDS_NULL(lim))
			continue;
		if (strcmp(res, "disk_bytes") == 0)
			g_string_append_printf(line, _("%sdisk %.1f of %.0f GiB"),
			    line->len ? ", " : "", used / (double)(1 << 30),
			    json_node_get_int(lim) / (double)(1 << 30));
		else
			g_string_append_printf(line, "%s%" G_GINT64_FORMAT
			    " of %" G_GINT64_FORMAT " %s", line->len ? ", " :
			    "", used, json_node_get_int(lim), quota_word(res));
	}
	if (line->len > 0)
		printf(_("Quota: %s\n"), line->str);
	g_string_free(line, TRUE);
	if (p != NULL)
		g_object_unref(p);
}

void
shell_banner(struct shell *sh)
{
	banner_vms(sh);
	banner_quota(sh);
	fflush(stdout);
}

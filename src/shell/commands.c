/* Command execution and output of the shell.  Everything the broker sends
 * back is escaped before it reaches the terminal. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

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
	char *clean;

	va_start(ap, fmt);
	clean = sanitize_vprintf_new(2048, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, _("error: %s\n"), clean);
	g_free(clean);
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

/* Column keys from the broker are stable identifiers; titles are ours.
 * A column without a title is for the shell alone: not shown. */
static const struct {
	const char *key, *title;
} columns[] = {
	{ "key", NULL },
	{ "name", N_("Name") }, { "state", N_("State") },
	{ "owner", N_("Owner") }, { "resource", N_("Resource") },
	{ "used", N_("Used") }, { "limit", N_("Limit") },
	{ "user", N_("User") }, { "vms", N_("VMs") },
	{ "running", N_("Running") }, { "vcpus", N_("vCPUs") },
	{ "memory", N_("Memory") }, { "disk", N_("Disk") },
	{ "allocated", N_("On disk") }, { "virtual", N_("Virtual") },
	{ "vm", N_("VM") }, { "ip", N_("IP") },
	{ "snapshot", N_("Snapshot") }, { "created", N_("Created") },
	{ "base", N_("Base") }, { "format", N_("Format") },
	{ "description", N_("Description") },
	{ "host", N_("Host") }, { "sched", N_("Sched") },
};

/* The title of the column key; NULL if it is not shown. */
static const char *
column_title(const char *key)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(columns); i++)
		if (strcmp(columns[i].key, key) == 0)
			return columns[i].title ? _(columns[i].title) : NULL;
	return key;
}

/* Whether the cells of the column key are English words from a fixed set
 * (a VM's state, ops_reply.c), translated here: the broker sends them as
 * --json has them. */
static bool
column_words(const char *key)
{
	return strcmp(key, "state") == 0;
}

void
shell_print_rows(char *const *cells, unsigned nrows, unsigned ncols,
    const char *indent)
{
	size_t *width = g_new0(size_t, ncols);
	unsigned i, r, c;

	for (i = 0; i < nrows * ncols; i++)
		width[i % ncols] = MAX(width[i % ncols], text_width(cells[i]));
	for (r = 0; r < nrows; r++) {
		fputs(indent, stdout);
		for (c = 0; c < ncols; c++) {
			const char *cell = cells[r * ncols + c];

			fputs(cell, stdout);
			if (c + 1 < ncols)
				printf("%*s", (int)(width[c] -
				    text_width(cell) + 2), "");
		}
		putchar('\n');
	}
	g_free(width);
}

/* The table's shown columns; empty is what a table without rows says
 * (the command's, or NULL). */
static void
print_table(const struct proto_msg *m, const char *empty)
{
	guint ncols = m->ncols, nrows = m->nstr / ncols, nshown = 0, r, c, k;
	char **cells;

	for (c = 0; c < ncols; c++)
		nshown += column_title(m->str[c]) != NULL;
	cells = g_new0(char *, nrows * nshown + 1);
	for (c = k = 0; c < ncols; c++) {
		const char *title = column_title(m->str[c]);

		if (title == NULL)
			continue;
		for (r = 0; r < nrows; r++) {
			const char *cell = r == 0 ? title :
			    m->str[r * ncols + c];

			/* "" is the catalogue's header, not a word. */
			if (r > 0 && *cell != '\0' && column_words(m->str[c]))
				cell = _(cell);
			cells[r * nshown + k] = sanitize_new(cell, false, 256);
		}
		k++;
	}
	shell_print_rows(cells, nrows, nshown, "");
	if (nrows <= 1 && empty != NULL)
		printf("%s\n", _(empty));
	g_strfreev(cells);
}

static void
print_response(const struct proto_msg *m, const char *empty)
{
	uint32_t i;

	if (m->status != ST_OK) {
		shell_error("%s", m->nstr ? m->str[0] : _("command failed"));
		/* An admin's drain or recover that failed for some VMs: a
		 * line for each VM follows. */
		for (i = 1; i < m->nstr; i++) {
			char *clean = sanitize_new(m->str[i], false, 0);

			puts(clean);
			g_free(clean);
		}
		return;
	}
	if (m->ncols > 1 && m->nstr >= m->ncols && m->nstr % m->ncols == 0) {
		print_table(m, empty);
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

/* "converting  42%", rewritten in place on a terminal. */
static void
show_progress(const struct proto_msg *m)
{
	char *what;

	if (m->nstr < 2 || !isatty(STDERR_FILENO))
		return;
	what = sanitize_new(m->str[0], false, 16);
	fputc('\r', stderr);
	text_pad(stderr, what, 12);
	fprintf(stderr, " %3d%%", atoi(m->str[1]));
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
	bool slow = call->def->flags & (CMD_UPLOADARG | CMD_PROGRESS);
	char *msg = NULL;
	int fd = -1, r;

	if ((call->def->flags & CMD_UPLOADARG) && call->npos >= 2 &&
	    (fd = images_open_upload(sh, call->pos[1], &msg)) < 0) {
		shell_error("%s", msg);
		session_note(&sh->sess, msg, argv, argc);
		g_free(msg);
		return ST_FAILED;
	}
	/* define may import or copy gigabytes, a migration move gigabytes
	 * of memory: their progress is shown. */
	r = session_request_fd(&sh->sess, argv, argc, fd,
	    slow ? show_progress : NULL, resp, &msg);
	if (fd >= 0)
		close(fd);
	if (slow)
		end_progress();
	if (r < 0) {
		shell_error("%s", msg);
		g_free(msg);
		/* Nobody would read what the next line printed. */
		if (sh->sess.orphaned)
			sh->quit = true;
		return ST_FAILED;
	}
	return ST_OK;
}

/* The members of the JSON object that is the broker's one answer: the
 * text after its '{', or NULL if the answer does not look like one. */
static const char *
answer_members(const struct proto_msg *resp)
{
	const char *s, *end;

	if (resp->nstr != 1)
		return NULL;
	s = resp->str[0];
	end = s + strlen(s);
	while (g_ascii_isspace(*s))
		s++;
	while (end > s && g_ascii_isspace(end[-1]))
		end--;
	if (end - s < 2 || *s != '{' || end[-1] != '}')
		return NULL;
	return s + 1;
}

/* images --json: the uploads only the shell can see, then the broker's
 * members (its "disks"), in one object.  The broker's part is its own
 * JSON text, passed on as it is, through the same escaping. */
static int
images_json(struct shell *sh, const struct cmd_call *call, int argc,
    char **argv)
{
	struct proto_msg *resp = NULL;
	GString *doc = g_string_new("{\n");
	const char *rest, *p;
	char *ascii;
	int st;

	if (images_json_uploads(sh, doc) < 0 ||
	    request(sh, call, argc, argv, &resp) != ST_OK)
		st = ST_FAILED;
	else if ((st = resp->status) != ST_OK)
		print_response(resp, NULL);
	else if ((rest = answer_members(resp)) == NULL) {
		shell_error("%s", _("images: the VM service's answer is not a "
		    "JSON object; tell the admin"));
		st = ST_FAILED;
	} else {
		/* A comma after the uploads, unless the object is empty. */
		p = rest + strspn(rest, " \t\r\n");
		g_string_append(doc, *p == '}' ? "\n" : ",");
		g_string_append(doc, *p == '}' ? p : rest);
		ascii = json_ascii_new(doc->str);
		puts(ascii);
		g_free(ascii);
	}
	proto_msg_free(resp);
	g_string_free(doc, TRUE);
	return st;
}

/* A command the broker answers: sent (with the terminal attached, for a
 * console), the answer printed. */
static int
run_broker(struct shell *sh, const struct cmd_call *call, int argc,
    char **argv)
{
	struct proto_msg *resp = NULL;
	int st;

	if (call->def->flags & CMD_STREAM)
		st = console_attach(sh, call->pos[0], argc, argv, &resp);
	else
		st = request(sh, call, argc, argv, &resp);
	if (st != ST_OK)
		return st;
	print_response(resp, call->def->empty);
	st = resp->status;
	proto_msg_free(resp);
	fflush(stdout);
	return st;
}

static int
run_help(struct shell *sh, const struct cmd_call *call, int argc,
    char **argv)
{
	shell_help(stdout, call->npos ? call->pos[0] : NULL);
	return call->npos && !cmd_find(call->pos[0]) ? ST_USAGE : ST_OK;
}

static int
run_exit(struct shell *sh, const struct cmd_call *call, int argc,
    char **argv)
{
	sh->quit = true;
	return ST_OK;
}

/* The uploads, which only the shell can see, come before the broker's
 * disks; the base images are the broker's alone. */
static int
run_images(struct shell *sh, const struct cmd_call *call, int argc,
    char **argv)
{
	if (cmd_opt_set(call, "--base"))
		return run_broker(sh, call, argc, argv);
	if (cmd_opt_set(call, "--json"))
		return images_json(sh, call, argc, argv);
	if (images_print_uploads(sh) < 0)
		return ST_FAILED;
	return run_broker(sh, call, argc, argv);
}

/* The shell's part of a command, by the table's name: all of a local one
 * (CMD_LOCAL), or what it adds to the broker's answer.  Every other
 * command is the broker's alone. */
static const struct {
	const char *name;
	int (*run)(struct shell *sh, const struct cmd_call *call, int argc,
	    char **argv);
} shell_cmds[] = {
	{ "help", run_help },
	{ "exit", run_exit },
	{ "images", run_images },
};

/* The shell's binding of def (an alias's is the command's it names), or
 * -1. */
static int
shell_cmd_index(const struct cmd_def *def)
{
	const char *name = def->alias_of ? def->alias_of : def->name;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(shell_cmds); i++)
		if (strcmp(shell_cmds[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *
shell_table_check(void)
{
	const char *bad = cmd_table_check();
	size_t i;

	for (i = 0; bad == NULL && i < cmd_table_len; i++)
		if ((cmd_table[i].flags & CMD_LOCAL) &&
		    shell_cmd_index(&cmd_table[i]) < 0)
			bad = cmd_table[i].name;
	for (i = 0; bad == NULL && i < G_N_ELEMENTS(shell_cmds); i++)
		if (cmd_find(shell_cmds[i].name) == NULL)
			bad = shell_cmds[i].name;
	return bad;
}

int
shell_run_words(struct shell *sh, int argc, char **argv)
{
	struct cmd_call call;
	char err[512];
	int st, i;

	if (argc == 0)
		return ST_OK;
	if ((st = cmd_parse(argc, argv, &call, err, sizeof(err))) != ST_OK) {
		shell_error("%s", err);
		session_note(&sh->sess, err, argv, argc);
		return st;
	}
	if ((i = shell_cmd_index(call.def)) >= 0)
		return shell_cmds[i].run(sh, &call, argc, argv);
	return run_broker(sh, &call, argc, argv);
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

char **
shell_base_names(struct shell *sh)
{
	char *argv[] = { "images", "--base", NULL };

	return shell_column(sh, argv, 2, "base");
}

/* Whether m is a table whose columns are keys (NULL-terminated). */
static bool
table_is(const struct proto_msg *m, const char *const *keys)
{
	guint c;

	if (m->status != ST_OK || m->ncols == 0 || m->nstr < m->ncols ||
	    m->nstr % m->ncols != 0)
		return false;
	for (c = 0; c < m->ncols && keys[c] != NULL; c++)
		if (strcmp(m->str[c], keys[c]) != 0)
			return false;
	return c == m->ncols && keys[c] == NULL;
}

/* The broker's answer to argv if it is that table, or NULL: the banner
 * stays quiet about failures, the first command will report them. */
static struct proto_msg *
request_table(struct shell *sh, char **argv, int argc,
    const char *const *keys)
{
	struct proto_msg *resp = NULL;
	char *msg = NULL;

	if (session_request(&sh->sess, argv, argc, &resp, &msg) < 0 ||
	    !table_is(resp, keys)) {
		proto_msg_free(resp);
		resp = NULL;
	}
	g_free(msg);
	return resp;
}

#define BANNER_MAX_VMS 8

static void
banner_vms(struct shell *sh)
{
	static const char *const keys[] = { "name", "state", "ip", NULL };
	char *argv[] = { "list", NULL };
	struct proto_msg *t = request_table(sh, argv, 1, keys);
	guint i, n = t != NULL ? t->nstr / 3 - 1 : 0;

	if (t != NULL && n == 0)
		printf("%s\n", _("You have no VMs yet: 'define NAME' makes "
		    "one, 'help' lists the commands."));
	for (i = 0; i < n && i < BANNER_MAX_VMS; i++) {
		char **row = t->str + 3 * (i + 1);
		char *name = sanitize_new(row[0], false, 40);
		char *state = sanitize_new(_(row[1]), false, 40);
		char *ip = sanitize_new(row[2], false, 64);

		fputs("  ", stdout);
		text_pad(stdout, name, 20);
		putchar(' ');
		text_pad(stdout, state, 14);
		printf(" %s\n", ip);
		g_free(name);
		g_free(state);
		g_free(ip);
	}
	if (n > BANNER_MAX_VMS)
		printf(_("  ... and %u more: 'list' shows them all\n"),
		    n - BANNER_MAX_VMS);
	proto_msg_free(t);
}

/* What the banner says of a row of the quota table, by its key (the
 * broker's stable name of the resource); the limit comes with its unit.
 * A row it has no words for is left out. */
static void
quota_phrase(GString *line, const char *key, const char *used,
    const char *limit)
{
	char *s;

	if (strcmp(key, "vms") == 0)
		s = g_strdup_printf(_("%s of %s VMs"), used, limit);
	else if (strcmp(key, "running") == 0)
		s = g_strdup_printf(_("%s of %s running"), used, limit);
	else if (strcmp(key, "vcpus") == 0)
		s = g_strdup_printf(_("%s of %s vCPUs"), used, limit);
	else if (strcmp(key, "memory_mib") == 0)
		s = g_strdup_printf(_("%s of %s memory"), used, limit);
	else if (strcmp(key, "disk_bytes") == 0)
		s = g_strdup_printf(_("disk %s of %s"), used, limit);
	else if (strcmp(key, "upload_files") == 0)
		s = g_strdup_printf(_("%s of %s upload files"), used, limit);
	else
		return;
	/* The separator of the parts is the language's. */
	g_string_append_printf(line, "%s%s", line->len > 0 ? _(", ") : "", s);
	g_free(s);
}

/* One line of quota use, only where a limit is set. */
static void
banner_quota(struct shell *sh)
{
	static const char *const keys[] = { "key", "resource", "used",
	    "limit", NULL };
	char *argv[] = { "quota", NULL };
	struct proto_msg *t = request_table(sh, argv, 1, keys);
	GString *line = g_string_new(NULL);
	guint i, n = t != NULL ? t->nstr / 4 - 1 : 0;

	for (i = 0; i < n; i++) {
		char **row = t->str + 4 * (i + 1);
		char *used, *limit;

		/* Not a number: unlimited (or, for the uploads' part of the
		 * disk, no limit of its own). */
		if (!g_ascii_isdigit(row[3][0]))
			continue;
		used = sanitize_new(row[2], false, 32);
		limit = sanitize_new(row[3], false, 32);
		quota_phrase(line, row[0], used, limit);
		g_free(used);
		g_free(limit);
	}
	if (line->len > 0)
		printf(_("Quota: %s\n"), line->str);
	g_string_free(line, TRUE);
	proto_msg_free(t);
}

void
shell_banner(struct shell *sh)
{
	banner_vms(sh);
	banner_quota(sh);
	fflush(stdout);
}

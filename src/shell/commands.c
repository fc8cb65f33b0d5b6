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
	{ "vm", N_("VM") },
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
	if (nrows <= 1 && strcmp(m->str[ncols - 1], "state") == 0)
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

char **
shell_vm_names(struct shell *sh)
{
	char *argv[] = { "list", NULL };
	GPtrArray *names = g_ptr_array_new();
	struct proto_msg *resp = NULL;
	char *msg = NULL;
	uint32_t i;

	if (session_request(&sh->sess, argv, 1, &resp, &msg) == 0 &&
	    resp->status == ST_OK && resp->ncols == 2)
		for (i = 2; i + 1 < resp->nstr; i += 2)
			g_ptr_array_add(names, g_strdup(resp->str[i]));
	g_free(msg);
	proto_msg_free(resp);
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

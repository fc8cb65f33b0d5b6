/* Unit tests of the command table and its argument parser, and the check
 * that the manual documents every command the table has. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cmdtab.h"
#include "proto.h"

/* Parses the words of line (split on single spaces; '' stands for an
 * empty word).  argv is kept in *argvp because call points into it. */
static int
parse(const char *line, struct cmd_call *call, char *err, size_t errlen,
    char ***argvp)
{
	char **argv = g_strsplit(line, " ", -1);
	int i;

	for (i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], "''") == 0)
			argv[i][0] = '\0';
	*argvp = argv;
	err[0] = '\0';
	return cmd_parse(g_strv_length(argv), argv, call, err, errlen);
}

/* Asserts that line parses, with the positional arguments that follow (a
 * NULL-terminated list). */
static void
expect_ok(const char *line, ...)
{
	struct cmd_call call;
	char err[256], **argv;
	const char *p;
	va_list ap;
	int r, n = 0;

	r = parse(line, &call, err, sizeof(err), &argv);
	if (r != ST_OK)
		g_test_message("\"%s\": %s", line, err);
	g_assert_cmpint(r, ==, ST_OK);
	g_assert_nonnull(call.def);
	g_assert_cmpstr(call.def->name, ==, argv[0]);
	va_start(ap, line);
	while ((p = va_arg(ap, const char *)) != NULL) {
		g_assert_cmpint(n, <, call.npos);
		g_assert_cmpstr(call.pos[n], ==, p);
		n++;
	}
	va_end(ap);
	g_assert_cmpint(call.npos, ==, n);
	g_strfreev(argv);
}

/* Asserts that line is a usage error whose message says what, and shows
 * the command's usage. */
static void
expect_usage(const char *line, const char *what)
{
	struct cmd_call call;
	char err[256], usage[128], **argv;
	int r;

	r = parse(line, &call, err, sizeof(err), &argv);
	if (r != ST_USAGE)
		g_test_message("\"%s\" accepted", line);
	g_assert_cmpint(r, ==, ST_USAGE);
	g_assert_nonnull(call.def);
	cmd_usage(call.def, usage, sizeof(usage));
	if (strstr(err, what) == NULL || strstr(err, usage) == NULL)
		g_test_message("\"%s\": %s", line, err);
	g_assert_nonnull(strstr(err, what));
	g_assert_nonnull(strstr(err, usage));
	g_strfreev(argv);
}

/* Parses line, which must succeed, and returns option name's value. */
static char *
opt_of(const char *line, const char *name)
{
	struct cmd_call call;
	char err[256], **argv;
	char *v;

	g_assert_cmpint(parse(line, &call, err, sizeof(err), &argv), ==,
	    ST_OK);
	v = g_strdup(cmd_opt_value(&call, name));
	g_assert_cmpint(cmd_opt_set(&call, name), ==, v != NULL);
	g_strfreev(argv);
	return v;
}

static void
assert_opt(const char *line, const char *name, const char *want)
{
	char *v = opt_of(line, name);

	g_assert_cmpstr(v, ==, want);
	g_free(v);
}

/* buf (64 bytes) = a b, for building command lines. */
static const char *
cat(char *buf, const char *a, const char *b)
{
	g_snprintf(buf, 64, "%s%s", a, b);
	return buf;
}

static void
test_check(void)
{
	g_assert_null(cmd_table_check());
	g_assert_cmpuint(cmd_table_len, >, 0);
}

static void
test_entries(void)
{
	size_t i, j;

	for (i = 0; i < cmd_table_len; i++) {
		const struct cmd_def *d = &cmd_table[i];

		g_assert_nonnull(d->help);
		g_assert_cmpuint(strlen(d->help), >, 0);
		g_assert_nonnull(d->synopsis);
		/* Names are typed at a prompt: plain lowercase words. */
		for (j = 0; d->name[j] != '\0'; j++)
			g_assert_true(g_ascii_islower(d->name[j]));
		g_assert_true(d->min_pos <= d->max_pos);
		g_assert_cmpint(d->max_pos, <=, CMD_MAX_POS);
		for (j = 0; j < CMD_MAX_OPTS && d->opts[j].name; j++) {
			const struct cmd_opt *o = &d->opts[j];

			g_assert_nonnull(o->help);
			g_assert_cmpuint(strlen(o->help), >, 0);
			g_assert_true(g_str_has_prefix(o->name, "--"));
			if (o->flags & OPT_VALUE) {
				char *s = g_strdup_printf("%s %s", o->name,
				    o->metavar);

				g_assert_nonnull(strstr(d->synopsis, s));
				g_free(s);
			}
		}
	}
}

/* Every alias stands for a visible local command that takes the same
 * arguments, and is local itself. */
static void
test_aliases(void)
{
	const struct cmd_def *to;
	size_t i;

	for (i = 0; i < cmd_table_len; i++) {
		const struct cmd_def *d = &cmd_table[i];

		if (!(d->flags & CMD_HIDDEN_ALIAS)) {
			g_assert_null(d->alias_of);
			continue;
		}
		g_assert_nonnull(d->alias_of);
		to = cmd_find(d->alias_of);
		g_assert_nonnull(to);
		g_assert_false(to->flags & CMD_HIDDEN_ALIAS);
		g_assert_true(d->flags & CMD_LOCAL);
		g_assert_true(to->flags & CMD_LOCAL);
		g_assert_cmpint(d->min_pos, ==, to->min_pos);
		g_assert_cmpint(d->max_pos, ==, to->max_pos);
	}
	g_assert_cmpstr(cmd_find("quit")->alias_of, ==, "exit");
	g_assert_cmpstr(cmd_find("logout")->alias_of, ==, "exit");
}

/* The policy reads these flags; what each entry's arguments say of it
 * must agree with them. */
static void
test_flags(void)
{
	const unsigned broker_only = CMD_MUTATES | CMD_VMARG | CMD_NEWVM |
	    CMD_ADMIN | CMD_UPLOADARG | CMD_STREAM | CMD_NOCONN;
	const struct cmd_def *d;
	size_t i;

	for (i = 0; i < cmd_table_len; i++) {
		unsigned f = cmd_table[i].flags;
		enum arg_kind first = cmd_table[i].args[0];

		/* A VM named first is resolved, and its owner checked. */
		g_assert_cmpint(first == ARG_VM, ==, (f & CMD_VMARG) != 0);
		g_assert_cmpint(first == ARG_NEW, ==, (f & CMD_NEWVM) != 0);
		/* What makes a VM or takes an upload is serialised per
		 * user, as is what attaches a console to none. */
		if (f & (CMD_NEWVM | CMD_UPLOADARG))
			g_assert_true(f & CMD_MUTATES);
		if (f & CMD_STREAM)
			g_assert_true(f & CMD_VMARG);
		/* The shell's own commands send nothing and name no VM. */
		if (f & CMD_LOCAL)
			g_assert_cmphex(f & broker_only, ==, 0);
		/* What the broker answers from its own state changes
		 * nothing. */
		if (f & CMD_NOCONN)
			g_assert_false(f & CMD_MUTATES);
		/* An admin's command is about every user, or moves one
		 * user's VM (migrate) under that user's lock. */
		if (f & CMD_ADMIN)
			g_assert_false(f & CMD_NEWVM);
		if ((f & CMD_ADMIN) && (f & CMD_VMARG))
			g_assert_true(f & CMD_MUTATES);
	}
	g_assert_true(cmd_find("users")->flags & CMD_ADMIN);
	d = cmd_find("list");
	g_assert_cmpstr(d->opts[0].name, ==, "--all");
	g_assert_cmphex(d->opts[0].flags, ==, OPT_ADMIN);
	d = cmd_find("define");
	g_assert_cmpstr(d->opts[0].name, ==, "--base");
	g_assert_cmphex(d->opts[0].flags, ==, OPT_VALUE);
	g_assert_cmpint(d->opts[0].value, ==, ARG_BASE);
	g_assert_cmpstr(d->opts[1].name, ==, "--template");
	g_assert_cmphex(d->opts[1].flags, ==, OPT_VALUE);
	d = cmd_find("images");
	g_assert_cmpstr(d->opts[0].name, ==, "--base");
	g_assert_cmphex(d->opts[0].flags, ==, 0);
}

static void
test_find(void)
{
	size_t i;

	for (i = 0; i < cmd_table_len; i++)
		g_assert_true(cmd_find(cmd_table[i].name) == &cmd_table[i]);
	g_assert_null(cmd_find(""));
	g_assert_null(cmd_find("LIST"));
	g_assert_null(cmd_find("lis"));
	g_assert_null(cmd_find("lists"));
	g_assert_null(cmd_find("list "));
	g_assert_null(cmd_find(" list"));
}

static void
test_unknown(void)
{
	static const char *const bad[] = {
		"sh", "bash", "list;", "/bin/sh", "LIST", "List", "help;id",
		"!", "exec", "$(id)", "start&&sh", "", "-c", "--help",
		"../list", "virsh",
	};
	struct cmd_call call;
	char err[256];
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *argv[] = { (char *)bad[i], (char *)"web", NULL };

		err[0] = '\0';
		g_assert_cmpint(cmd_parse(2, argv, &call, err, sizeof(err)), ==,
		    ST_USAGE);
		g_assert_null(call.def);
		g_assert_nonnull(strstr(err, "unknown command"));
		g_assert_nonnull(strstr(err, bad[i]));
	}
	err[0] = '\0';
	g_assert_cmpint(cmd_parse(0, NULL, &call, err, sizeof(err)), ==,
	    ST_USAGE);
	g_assert_null(call.def);
	g_assert_cmpuint(strlen(err), >, 0);
}

static void
test_help(void)
{
	expect_ok("help", NULL);
	expect_ok("help list", "list", NULL);
	expect_ok("help nosuch", "nosuch", NULL);
	expect_usage("help list start", "too many arguments");
	expect_usage("help --all", "unknown option '--all'");
}

static void
test_exit(void)
{
	expect_ok("exit", NULL);
	expect_ok("quit", NULL);
	expect_ok("logout", NULL);
	expect_usage("exit now", "too many arguments");
	expect_usage("quit 0", "too many arguments");
	expect_usage("logout --force", "unknown option '--force'");
}

static void
test_list(void)
{
	expect_ok("list", NULL);
	expect_ok("list --all", NULL);
	assert_opt("list", "--all", NULL);
	/* A flag's value is "", not the next word. */
	assert_opt("list --all", "--all", "");
	expect_usage("list --all --all", "option given twice '--all'");
	expect_usage("list web", "too many arguments");
	expect_usage("list --template x", "unknown option '--template'");
	expect_usage("list --al", "unknown option '--al'");
	expect_usage("list -a", "unknown option '-a'");
	expect_usage("list --all=yes", "unknown option '--all=yes'");
}

static void
test_define(void)
{
	expect_usage("define", "missing argument");
	expect_ok("define web", "web", NULL);
	assert_opt("define web", "--template", NULL);
	assert_opt("define web --template small", "--template", "small");
	assert_opt("define --template small web", "--template", "small");
	expect_ok("define --template small web", "web", NULL);
	expect_usage("define web --template", "option needs a value "
	    "'--template'");
	expect_usage("define web --template a --template b",
	    "option given twice '--template'");
	expect_ok("define a b", "a", "b", NULL);
	expect_usage("define a b c", "too many arguments");
	expect_usage("define web --all", "unknown option '--all'");
	expect_usage("define --template small", "missing argument");
	expect_usage("define -web", "unknown option '-web'");
	/* After "--" nothing is an option. */
	expect_ok("define -- -web", "-web", NULL);
	expect_ok("define -- --template", "--template", NULL);
	assert_opt("define --template t -- -web", "--template", "t");
	expect_usage("define web -- --template x", "too many arguments");
	expect_usage("define --", "missing argument");
	/* The value of an option is taken as it is, even if it looks like
	 * an option: it is a template name, checked by the broker. */
	assert_opt("define web --template --all", "--template", "--all");
}

/* The commands that take one VM and nothing else. */
static void
test_vm_commands(void)
{
	static const char *const cmds[] = { "undefine", "start", "destroy",
	    "dumpxml", "info", "ip", "shutdown", "reboot", "reset" };
	char l[64];
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cmds); i++) {
		const char *c = cmds[i];

		expect_usage(cat(l, c, ""), "missing argument");
		expect_ok(cat(l, c, " web"), "web", NULL);
		expect_ok(cat(l, c, " alice/web"), "alice/web", NULL);
		expect_usage(cat(l, c, " web db"), "too many arguments");
		expect_usage(cat(l, c, " web --bogus"),
		    "unknown option '--bogus'");
		expect_usage(cat(l, c, " --all web"), "unknown option '--all'");
		expect_usage(cat(l, c, " -web"), "unknown option '-web'");
		expect_ok(cat(l, c, " -- -web"), "-web", NULL);
		expect_ok(cat(l, c, " -- --"), "--", NULL);
		expect_usage(cat(l, c, " --"), "missing argument");
		expect_usage(cat(l, c, " -- a b"), "too many arguments");
		/* A lone "-" and an empty word are arguments, for the name
		 * rules to refuse. */
		expect_ok(cat(l, c, " -"), "-", NULL);
		expect_ok(cat(l, c, " ''"), "", NULL);
	}
}

/* Generic counts from the table itself, so a new command is covered. */
static void
test_counts(void)
{
	size_t i;

	for (i = 0; i < cmd_table_len; i++) {
		const struct cmd_def *d = &cmd_table[i];
		char *argv[CMD_MAX_POS + 3], err[256];
		struct cmd_call call;
		int n;

		argv[0] = (char *)d->name;
		for (n = 1; n < CMD_MAX_POS + 3; n++)
			argv[n] = (char *)(n <= CMD_MAX_POS &&
			    d->args[n - 1] == ARG_ACTION ? "list" : "x");
		for (n = 0; n <= CMD_MAX_POS + 1; n++) {
			int want = n >= d->min_pos && n <= d->max_pos ?
			    ST_OK : ST_USAGE;

			g_assert_cmpint(cmd_parse(n + 1, argv, &call, err,
			    sizeof(err)), ==, want);
			if (want == ST_OK)
				g_assert_cmpint(call.npos, ==, n);
		}
	}
}

/* Every position a command takes has a kind for completion; actions and
 * snapshot names are checked by their form. */
static void
test_arg_kinds(void)
{
	const struct cmd_def *d = cmd_find("snapshot");
	size_t i;
	int j;

	for (i = 0; i < cmd_table_len; i++)
		for (j = 0; j < CMD_MAX_POS; j++)
			g_assert_true((j < cmd_table[i].max_pos) ==
			    (cmd_table[i].args[j] != ARG_NONE));
	g_assert_cmpint(d->args[0], ==, ARG_VM);
	g_assert_cmpint(d->args[1], ==, ARG_ACTION);
	g_assert_cmpint(d->args[2], ==, ARG_SNAPSHOT);
	g_assert_true(cmd_action_valid(d, "create"));
	g_assert_true(cmd_action_valid(d, "delete"));
	g_assert_false(cmd_action_valid(d, "creat"));
	g_assert_false(cmd_action_valid(d, ""));
	g_assert_false(cmd_action_valid(cmd_find("start"), "create"));
	g_assert_cmpint(cmd_find("define")->args[1], ==, ARG_UPLOAD);
	g_assert_cmpint(cmd_find("help")->args[0], ==, ARG_COMMAND);
	expect_ok("snapshot web create s1", "web", "create", "s1", NULL);
	expect_ok("snapshot web list", "web", "list", NULL);
	expect_usage("snapshot web", "missing argument");
	expect_usage("snapshot web rm s1", "unknown action 'rm'");
	expect_usage("snapshot web create s1 s2", "too many arguments");
	expect_usage("snapshot web create Bad_Snap",
	    "invalid snapshot name 'Bad_Snap'");
	expect_usage("snapshot web create ../x", "invalid snapshot name");
	assert_opt("shutdown web --timeout 5 --force", "--timeout", "5");
	assert_opt("shutdown web --timeout 5 --force", "--force", "");
	expect_usage("shutdown web --timeout", "option needs a value");
	assert_opt("info web --json", "--json", "");
	assert_opt("list --json", "--json", "");
	assert_opt("quota --json", "--json", "");
	assert_opt("images --json", "--json", "");
	assert_opt("images --base", "--base", "");
	assert_opt("define web --base deb12", "--base", "deb12");
	assert_opt("define --base deb12 web --template t", "--template", "t");
	expect_ok("define --base deb12 web", "web", NULL);
	expect_usage("define web --base", "option needs a value");
	expect_usage("images --base deb12", "too many arguments");
}

static void
test_messages(void)
{
	struct cmd_call call;
	char err[256], **argv;

	g_assert_cmpint(parse("start", &call, err, sizeof(err), &argv), ==,
	    ST_USAGE);
	g_assert_cmpstr(err, ==, "start: missing argument; usage: start NAME");
	g_strfreev(argv);
	g_assert_cmpint(parse("list --bogus", &call, err, sizeof(err), &argv),
	    ==, ST_USAGE);
	g_assert_cmpstr(err, ==, "list: unknown option '--bogus'; "
	    "usage: list [--all] [--json]");
	g_strfreev(argv);
	g_assert_cmpint(parse("sh -c id", &call, err, sizeof(err), &argv), ==,
	    ST_USAGE);
	g_assert_cmpstr(err, ==, "unknown command 'sh'; type 'help' for the "
	    "list");
	g_strfreev(argv);
}

/* A small buffer is filled and terminated, and nothing past it touched. */
static void
test_message_truncated(void)
{
	struct cmd_call call;
	char buf[32], **argv;

	memset(buf, 'X', sizeof(buf));
	argv = g_strsplit("define web --template", " ", -1);
	g_assert_cmpint(cmd_parse(3, argv, &call, buf, 8), ==, ST_USAGE);
	g_assert_cmpuint(strlen(buf), ==, 7);
	g_assert_cmpint(buf[8], ==, 'X');
	g_assert_cmpint(buf[31], ==, 'X');
	g_strfreev(argv);
}

static void
test_usage(void)
{
	char buf[128];

	cmd_usage(cmd_find("define"), buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "usage: define NAME [IMAGE] [--base B] "
	    "[--template T]");
	cmd_usage(cmd_find("exit"), buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "usage: exit");
	cmd_usage(cmd_find("help"), buf, sizeof(buf));
	g_assert_cmpstr(buf, ==, "usage: help [COMMAND]");
	cmd_usage(cmd_find("define"), buf, 10);
	g_assert_cmpstr(buf, ==, "usage: de");
}

static void
test_opt_lookup(void)
{
	char *v;

	v = opt_of("list --all", "--template");
	g_assert_null(v);
	v = opt_of("define web --template t", "--all");
	g_assert_null(v);
	v = opt_of("define web --template t", "template");
	g_assert_null(v);
}

/* Does the man page's source contain name as a bold entry: "\fBname\fR"
 * (or "\fP") anywhere, or a line ".B name" or ".BR name ..."? */
static bool
man_has_entry(char **lines, const char *name)
{
	char *b1 = g_strdup_printf("\\fB%s\\fR", name);
	char *b2 = g_strdup_printf("\\fB%s\\fP", name);
	char *b3 = g_strdup_printf(".B %s", name);
	char *b4 = g_strdup_printf(".BR %s ", name);
	bool found = false;
	size_t i, n = strlen(b3);

	for (i = 0; lines[i] != NULL && !found; i++) {
		const char *l = lines[i];

		found = strstr(l, b1) != NULL || strstr(l, b2) != NULL ||
		    (strncmp(l, b3, n) == 0 && (l[n] == '\0' || l[n] == ' ')) ||
		    g_str_has_prefix(l, b4);
	}
	g_free(b1);
	g_free(b2);
	g_free(b3);
	g_free(b4);
	return found;
}

static char **
man_lines(void)
{
	const char *top = g_getenv("top_srcdir");
	char *path = g_build_filename(top ? top : ".", "man", "ie-vshell.1",
	    NULL);
	char *text = NULL, **lines;
	GError *gerr = NULL;

	if (!g_file_get_contents(path, &text, NULL, &gerr)) {
		char *msg = g_strdup_printf("cannot read %s: %s", path,
		    gerr->message);

		g_test_skip(msg);
		g_free(msg);
		g_error_free(gerr);
		g_free(path);
		return NULL;
	}
	g_free(path);
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	return lines;
}

static void
test_manpage(void)
{
	char **lines = man_lines();
	size_t i;
	int missing = 0;

	if (lines == NULL)
		return;
	for (i = 0; i < cmd_table_len; i++)
		if (!man_has_entry(lines, cmd_table[i].name)) {
			g_test_message("man/ie-vshell.1 has no entry for "
			    "'%s'", cmd_table[i].name);
			missing++;
		}
	g_strfreev(lines);
	g_assert_cmpint(missing, ==, 0);
}

/* Options, in whichever way groff source spells the dashes. */
static void
test_manpage_options(void)
{
	char **lines = man_lines(), *text;
	size_t i, j;
	int missing = 0;

	if (lines == NULL)
		return;
	text = g_strjoinv("\n", lines);
	for (i = 0; i < cmd_table_len; i++)
		for (j = 0; j < CMD_MAX_OPTS && cmd_table[i].opts[j].name;
		    j++) {
			const char *o = cmd_table[i].opts[j].name;
			char *esc = g_strdup_printf("\\-\\-%s", o + 2);

			if (strstr(text, o) == NULL &&
			    strstr(text, esc) == NULL) {
				g_test_message("man/ie-vshell.1 does not "
				    "mention %s", o);
				missing++;
			}
			g_free(esc);
		}
	g_free(text);
	g_strfreev(lines);
	g_assert_cmpint(missing, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cmdtab/check", test_check);
	g_test_add_func("/cmdtab/entries", test_entries);
	g_test_add_func("/cmdtab/aliases", test_aliases);
	g_test_add_func("/cmdtab/flags", test_flags);
	g_test_add_func("/cmdtab/find", test_find);
	g_test_add_func("/cmdtab/unknown", test_unknown);
	g_test_add_func("/cmdtab/parse/help", test_help);
	g_test_add_func("/cmdtab/parse/exit", test_exit);
	g_test_add_func("/cmdtab/parse/list", test_list);
	g_test_add_func("/cmdtab/parse/define", test_define);
	g_test_add_func("/cmdtab/parse/vm-commands", test_vm_commands);
	g_test_add_func("/cmdtab/parse/counts", test_counts);
	g_test_add_func("/cmdtab/parse/arg-kinds", test_arg_kinds);
	g_test_add_func("/cmdtab/parse/messages", test_messages);
	g_test_add_func("/cmdtab/parse/message-truncated",
	    test_message_truncated);
	g_test_add_func("/cmdtab/parse/opt-lookup", test_opt_lookup);
	g_test_add_func("/cmdtab/usage", test_usage);
	g_test_add_func("/cmdtab/manpage", test_manpage);
	g_test_add_func("/cmdtab/manpage-options", test_manpage_options);
	return g_test_run();
}

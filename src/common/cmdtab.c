/* The command table and its argument parser. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cmdtab.h"
#include "i18n.h"
#include "names.h"
#include "proto.h"

#define JSON_OPT { .name = "--json", \
	.help = N_("print JSON for scripts (its fields are in ie-vshell(1))") }

/* A command's binding in each program is by its name: the shell's local
 * commands in commands.c, the broker's handlers in the ops_*.c files;
 * both check at start that every command has one. */
const struct cmd_def cmd_table[] = {
	{ .name = "help", .flags = CMD_LOCAL, .max_pos = 1,
	    .synopsis = "[COMMAND]",
	    .help = N_("show the commands, or how to use one"),
	    .args = { ARG_COMMAND } },
	{ .name = "exit", .flags = CMD_LOCAL, .synopsis = "",
	    .help = N_("leave the shell (also quit, logout, Ctrl-D)") },
	{ .name = "quit", .flags = CMD_LOCAL | CMD_HIDDEN_ALIAS,
	    .alias_of = "exit", .synopsis = "",
	    .help = N_("leave the shell") },
	{ .name = "logout", .flags = CMD_LOCAL | CMD_HIDDEN_ALIAS,
	    .alias_of = "exit", .synopsis = "",
	    .help = N_("leave the shell") },
	{ .name = "list", .flags = CMD_NOCONN, .synopsis = "[--all] [--json]",
	    .help = N_("list your VMs, their state and address"),
	    .opts = {
		{ .name = "--all", .flags = OPT_ADMIN,
		    .help = N_("every user's VMs, with an owner column "
			"(admins)") },
		JSON_OPT },
	    .empty = N_("(no VMs; create one with 'define NAME')") },
	{ .name = "info", .flags = CMD_VMARG, .min_pos = 1, .max_pos = 1,
	    .synopsis = "NAME [--json]",
	    .help = N_("show a VM's state, size, disk, uptime, address and "
		"template"),
	    .opts = { JSON_OPT }, .args = { ARG_VM } },
	{ .name = "ip", .flags = CMD_VMARG, .min_pos = 1, .max_pos = 1,
	    .synopsis = "NAME", .help = N_("show a VM's MAC and IP addresses"),
	    .args = { ARG_VM } },
	{ .name = "define", .flags = CMD_MUTATES | CMD_NEWVM | CMD_UPLOADARG,
	    .min_pos = 1, .max_pos = 2,
	    .synopsis = "NAME [IMAGE] [--base B] [--template T]",
	    .help = N_("create a VM from the admin's template, its disk "
		"imported from an uploaded IMAGE or copied from a base image"),
	    .opts = {
		{ .name = "--base", .flags = OPT_VALUE, .metavar = "B",
		    .help = N_("copy the admin's base image B ('images "
			"--base' lists them)"), .value = ARG_BASE },
		{ .name = "--template", .flags = OPT_VALUE, .metavar = "T",
		    .help = N_("use template T instead of the default") } },
	    .args = { ARG_NEW, ARG_UPLOAD } },
	{ .name = "undefine", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME [--disk]",
	    .help = N_("delete a VM that is shut off (its disk is kept "
		"unless --disk)"),
	    .opts = {
		{ .name = "--disk",
		    .help = N_("delete its disk image too (it cannot be "
			"undone)") } },
	    .args = { ARG_VM } },
	{ .name = "images", .synopsis = "[--base] [--json]",
	    .help = N_("list your uploads and your VMs' disks, or the base "
		"images"),
	    .opts = {
		{ .name = "--base",
		    .help = N_("list the admin's base images instead, to "
			"copy with 'define NAME --base B'") },
		JSON_OPT } },
	{ .name = "start", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME", .help = N_("boot a VM"),
	    .args = { ARG_VM } },
	{ .name = "shutdown", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME [--timeout S] [--force]",
	    .help = N_("ask a VM to power off (ACPI) and wait until it has"),
	    .opts = {
		{ .name = "--timeout", .flags = OPT_VALUE, .metavar = "S",
		    .help = N_("wait at most S seconds (default 60; 0: do "
			"not wait)") },
		{ .name = "--force",
		    .help = N_("power it off at once if it has not stopped "
			"by then") } },
	    .args = { ARG_VM } },
	{ .name = "reboot", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME",
	    .help = N_("ask a running VM to restart (ACPI)"),
	    .args = { ARG_VM } },
	{ .name = "reset", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME",
	    .help = N_("restart a running VM at once, like the reset button"),
	    .args = { ARG_VM } },
	{ .name = "destroy", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME",
	    .help = N_("power a VM off at once, like pulling the plug"),
	    .args = { ARG_VM } },
	{ .name = "snapshot", .flags = CMD_MUTATES | CMD_VMARG, .min_pos = 2,
	    .max_pos = 3, .synopsis = "NAME create|list|revert|delete [SNAP]",
	    .help = N_("make, list, go back to or delete snapshots of a VM's "
		"disk"),
	    .args = { ARG_VM, ARG_ACTION, ARG_SNAPSHOT },
	    .actions = "create list revert delete" },
	{ .name = "dumpxml", .flags = CMD_VMARG, .min_pos = 1, .max_pos = 1,
	    .synopsis = "NAME", .help = N_("show a VM's libvirt XML"),
	    .args = { ARG_VM } },
	{ .name = "console", .flags = CMD_VMARG | CMD_STREAM, .min_pos = 1,
	    .max_pos = 1, .synopsis = "NAME [--force]",
	    .help = N_("attach to a running VM's serial console (Ctrl-] "
		"leaves)"),
	    .opts = {
		{ .name = "--force",
		    .help = N_("take the console over from another "
			"session") } },
	    .args = { ARG_VM } },
	{ .name = "quota", .flags = CMD_NOCONN, .synopsis = "[--json]",
	    .help = N_("show what you use of your quota"),
	    .opts = { JSON_OPT } },
	{ .name = "users", .flags = CMD_ADMIN | CMD_NOCONN, .synopsis = "",
	    .help = N_("every user's VMs and use of resources (admins)") },
	{ .name = "hosts", .flags = CMD_ADMIN | CMD_NOCONN,
	    .synopsis = "[--json]",
	    .help = N_("each host: reachable, VMs running, vCPUs and memory "
		"committed, whether new VMs go there (admins)"),
	    .opts = { JSON_OPT } },
	{ .name = "migrate", .flags = CMD_ADMIN | CMD_MUTATES | CMD_VMARG |
	    CMD_PROGRESS, .min_pos = 2, .max_pos = 2,
	    .synopsis = "USER/NAME HOST",
	    .help = N_("move a VM to another host, live if it runs "
		"(admins)"),
	    .args = { ARG_VM, ARG_HOST } },
	{ .name = "drain", .flags = CMD_ADMIN | CMD_NOCONN | CMD_PROGRESS,
	    .min_pos = 1, .max_pos = 1, .synopsis = "HOST",
	    .help = N_("take no new VMs on a host and move its VMs to the "
		"others, running ones live (admins)"),
	    .args = { ARG_HOST } },
	{ .name = "undrain", .flags = CMD_ADMIN | CMD_NOCONN, .min_pos = 1,
	    .max_pos = 1, .synopsis = "HOST",
	    .help = N_("let a drained host take new VMs again (admins)"),
	    .args = { ARG_HOST } },
	{ .name = "recover", .flags = CMD_ADMIN | CMD_NOCONN | CMD_PROGRESS,
	    .min_pos = 1, .max_pos = 1, .synopsis = "HOST",
	    .help = N_("define the VMs of a host lost for good on the "
		"others, shut off (admins)"),
	    .args = { ARG_HOST } },
};

const size_t cmd_table_len = G_N_ELEMENTS(cmd_table);

const struct cmd_def *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < cmd_table_len; i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}

static int
opt_index(const struct cmd_def *def, const char *name)
{
	int i;

	for (i = 0; i < CMD_MAX_OPTS && def->opts[i].name != NULL; i++)
		if (strcmp(def->opts[i].name, name) == 0)
			return i;
	return -1;
}

void
cmd_usage(const struct cmd_def *def, char *buf, size_t len)
{
	snprintf(buf, len, _("usage: %s%s%s"), def->name,
	    def->synopsis[0] ? " " : "", def->synopsis);
}

static int
usage_error(const struct cmd_def *def, const char *what, const char *arg,
    char *err, size_t errlen)
{
	char usage[256];

	cmd_usage(def, usage, sizeof(usage));
	snprintf(err, errlen, "%s: %s%s%s%s; %s", def->name, what,
	    arg ? " '" : "", arg ? arg : "", arg ? "'" : "", usage);
	return ST_USAGE;
}

/* Words whose form the table knows are checked before anything is looked
 * up: an action must be one of the entry's, a snapshot name follows the
 * VM name rule. */
static int
check_words(const struct cmd_call *call, char *err, size_t errlen)
{
	const struct cmd_def *def = call->def;
	int i;

	for (i = 0; i < call->npos; i++) {
		const char *a = call->pos[i];

		if (def->args[i] == ARG_ACTION && !cmd_action_valid(def, a))
			return usage_error(def, _("unknown action"), a, err,
			    errlen);
		if (def->args[i] == ARG_SNAPSHOT && !vm_name_valid(a)) {
			char usage[256];

			cmd_usage(def, usage, sizeof(usage));
			snprintf(err, errlen, _("%s: invalid snapshot name "
			    "'%s': %s; %s"), def->name, a, _(VM_NAME_RULE),
			    usage);
			return ST_USAGE;
		}
	}
	return ST_OK;
}

int
cmd_parse(int argc, char **argv, struct cmd_call *call, char *err,
    size_t errlen)
{
	const struct cmd_def *def;
	bool opts_done = false;
	int i;

	memset(call, 0, sizeof(*call));
	if (argc < 1 || (def = cmd_find(argv[0])) == NULL) {
		snprintf(err, errlen, _("unknown command '%s'; type 'help' for "
		    "the list"), argc < 1 ? "" : argv[0]);
		return ST_USAGE;
	}
	call->def = def;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int o;

		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (!opts_done && a[0] == '-' && a[1] != '\0') {
			if ((o = opt_index(def, a)) < 0)
				return usage_error(def, _("unknown option"),
				    a, err, errlen);
			if (call->opt[o] != NULL)
				return usage_error(def, _("option given twice"),
				    a, err, errlen);
			if (def->opts[o].flags & OPT_VALUE) {
				if (i + 1 >= argc)
					return usage_error(def,
					    _("option needs a value"), a, err,
					    errlen);
				call->opt[o] = argv[++i];
			} else
				call->opt[o] = "";
			continue;
		}
		if (call->npos >= def->max_pos)
			return usage_error(def, _("too many arguments"), NULL,
			    err, errlen);
		call->pos[call->npos++] = a;
	}
	if (call->npos < def->min_pos)
		return usage_error(def, _("missing argument"), NULL, err,
		    errlen);
	return check_words(call, err, errlen);
}

bool
cmd_action_valid(const struct cmd_def *def, const char *word)
{
	char **w;
	bool found;

	if (def->actions == NULL)
		return false;
	w = g_strsplit(def->actions, " ", -1);
	found = g_strv_contains((const char *const *)w, word);
	g_strfreev(w);
	return found;
}

bool
cmd_opt_set(const struct cmd_call *call, const char *name)
{
	return cmd_opt_value(call, name) != NULL;
}

const char *
cmd_opt_value(const struct cmd_call *call, const char *name)
{
	int o = opt_index(call->def, name);

	return o < 0 ? NULL : call->opt[o];
}

/* Each action is in the synopsis, where help and usage show it. */
static bool
actions_shown(const struct cmd_def *d)
{
	char **w;
	bool shown = true;
	int i;

	if (d->actions == NULL || d->actions[0] == '\0')
		return false;
	w = g_strsplit(d->actions, " ", -1);
	for (i = 0; w[i] != NULL; i++)
		shown = shown && w[i][0] != '\0' &&
		    strstr(d->synopsis, w[i]) != NULL;
	g_strfreev(w);
	return shown;
}

/* Completion knows every argument: each position a command takes has a
 * kind, and the kinds agree with the flags. */
static bool
args_consistent(const struct cmd_def *d)
{
	int i;

	for (i = 0; i < CMD_MAX_POS; i++) {
		if ((i < d->max_pos) != (d->args[i] != ARG_NONE))
			return false;
		if (d->args[i] == ARG_ACTION && !actions_shown(d))
			return false;
		if (d->args[i] == ARG_SNAPSHOT && (i == 0 ||
		    d->args[0] != ARG_VM))
			return false;
	}
	if ((d->flags & CMD_VMARG) && d->args[0] != ARG_VM)
		return false;
	if ((d->flags & CMD_UPLOADARG) && d->args[1] != ARG_UPLOAD)
		return false;
	return true;
}

/* Flags that go together: an alias is the shell's, as is the command it
 * names, which is no alias; a new VM is named first, by a name the user
 * makes up; what the broker answers from its own state changes nothing. */
static bool
flags_consistent(const struct cmd_def *d)
{
	const struct cmd_def *to = d->alias_of ? cmd_find(d->alias_of) : NULL;

	if (!(d->flags & CMD_HIDDEN_ALIAS) != (d->alias_of == NULL))
		return false;
	if (d->alias_of != NULL && (to == NULL || to->alias_of != NULL ||
	    !(d->flags & CMD_LOCAL) || !(to->flags & CMD_LOCAL) ||
	    to->min_pos != d->min_pos || to->max_pos != d->max_pos))
		return false;
	if ((d->flags & CMD_NEWVM) && ((d->flags & CMD_VMARG) ||
	    d->min_pos < 1 || d->args[0] != ARG_NEW))
		return false;
	if ((d->flags & CMD_NOCONN) &&
	    (d->flags & (CMD_LOCAL | CMD_MUTATES | CMD_STREAM)))
		return false;
	return true;
}

const char *
cmd_table_check(void)
{
	size_t i, j;

	for (i = 0; i < cmd_table_len; i++) {
		const struct cmd_def *d = &cmd_table[i];

		if (d->name == NULL || d->name[0] == '\0')
			return "entry without a name";
		if (d->help == NULL || d->help[0] == '\0' ||
		    d->synopsis == NULL)
			return d->name;
		if (d->min_pos < 0 || d->min_pos > d->max_pos ||
		    d->max_pos > CMD_MAX_POS)
			return d->name;
		if ((d->flags & CMD_VMARG) && d->min_pos < 1)
			return d->name;
		if (!flags_consistent(d) || !args_consistent(d))
			return d->name;
		for (j = 0; j < CMD_MAX_OPTS && d->opts[j].name; j++) {
			const struct cmd_opt *o = &d->opts[j];

			if (strncmp(o->name, "--", 2) != 0 || o->help == NULL ||
			    ((o->flags & OPT_VALUE) && o->metavar == NULL) ||
			    (o->value != ARG_NONE &&
			    !(o->flags & OPT_VALUE)) ||
			    strstr(d->synopsis, o->name) == NULL)
				return d->name;
		}
		for (j = i + 1; j < cmd_table_len; j++)
			if (strcmp(d->name, cmd_table[j].name) == 0)
				return d->name;
	}
	return NULL;
}

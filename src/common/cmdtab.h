/* The one command table: dispatch in the shell and the broker, help, tab
 * completion, argument checks and the man-page check all read it. */
#ifndef IEVS_CMDTAB_H
#define IEVS_CMDTAB_H

#include <stdbool.h>
#include <stddef.h>

/* Flags.  The broker's policy reads them in one place. */
#define CMD_LOCAL	0x01	/* handled by the shell, never sent */
#define CMD_MUTATES	0x02	/* changes state: serialised per user */
#define CMD_VMARG	0x04	/* first argument is a VM (NAME or USER/NAME) */
#define CMD_HIDDEN_ALIAS 0x08	/* another name of alias_of: not listed
				 * separately in help */
#define CMD_ADMIN	0x10	/* only for members of the admin group */
#define CMD_UPLOADARG	0x20	/* second argument, if given, names a file in
				 * the upload area: the shell opens it as the
				 * user and passes the descriptor */
#define CMD_STREAM	0x40	/* attaches the terminal to the VM's console:
				 * DATA frames both ways until a RESPONSE */
#define CMD_NEWVM	0x80	/* first argument names a new VM of the
				 * user's: resolved as CMD_VMARG's is */
#define CMD_NOCONN	0x100	/* answered from the broker's own state (its
				 * table of domains, the pool): takes no
				 * libvirt connection, never waits for one */
#define CMD_PROGRESS	0x200	/* may take minutes: the shell shows the
				 * broker's progress frames */

#define OPT_VALUE	0x01	/* takes a value: --opt VALUE */
#define OPT_ADMIN	0x02	/* only for members of the admin group */

#define CMD_MAX_OPTS 4
#define CMD_MAX_POS 4

/* What a positional argument is: tab completion offers candidates by it,
 * and the table check wants one for every position a command takes. */
enum arg_kind {
	ARG_NONE = 0,	/* no such position */
	ARG_NEW,	/* a name the user makes up: nothing to offer */
	ARG_VM,		/* one of the user's VMs */
	ARG_UPLOAD,	/* a file in the user's upload area */
	ARG_COMMAND,	/* a command of this table */
	ARG_ACTION,	/* one of the entry's actions */
	ARG_SNAPSHOT,	/* a snapshot of the VM named first (a name rule like
			 * a VM's) */
	ARG_BASE,	/* one of the admin's base images */
	ARG_HOST,	/* one of the hosts (the shell does not know them:
			 * nothing to offer) */
};

struct cmd_opt {
	const char *name;	/* "--template" */
	unsigned flags;
	const char *metavar;	/* "T" for OPT_VALUE */
	const char *help;
	enum arg_kind value;	/* what completion offers for the value */
};

struct cmd_def {
	const char *name;
	unsigned flags;
	const char *alias_of;	/* CMD_HIDDEN_ALIAS: the command it names */
	int min_pos, max_pos;	/* positional arguments */
	const char *synopsis;	/* arguments as shown in help and usage */
	const char *help;	/* one line, translatable */
	struct cmd_opt opts[CMD_MAX_OPTS];
	enum arg_kind args[CMD_MAX_POS];
	const char *actions;	/* ARG_ACTION's words, blank-separated */
	const char *empty;	/* what the shell says of a table without
				 * rows, translatable; or NULL */
};

/* A parsed command line.  Strings point into the argv given to cmd_parse. */
struct cmd_call {
	const struct cmd_def *def;
	int npos;
	const char *pos[CMD_MAX_POS];
	const char *opt[CMD_MAX_OPTS];	/* value, or "" for a flag; NULL unset */
};

extern const struct cmd_def cmd_table[];
extern const size_t cmd_table_len;

const struct cmd_def *cmd_find(const char *name);
/* Parses argv (argv[0] is the command).  On error returns the exit status
 * to use (ST_USAGE) and a message in err. */
int cmd_parse(int argc, char **argv, struct cmd_call *call, char *err,
    size_t errlen);
/* Is word one of def's actions? */
bool cmd_action_valid(const struct cmd_def *def, const char *word);
bool cmd_opt_set(const struct cmd_call *call, const char *name);
const char *cmd_opt_value(const struct cmd_call *call, const char *name);
/* Self-check of the table: every entry named, helped, unique, consistent.
 * Returns NULL if fine, or a description of the first problem. */
const char *cmd_table_check(void);
/* "usage: define NAME [--template T]" into buf. */
void cmd_usage(const struct cmd_def *def, char *buf, size_t len);

#endif

/* Running one command line in the shell: parse against the command table,
 * handle the local commands, send the rest to the broker, print. */
#ifndef IEVS_COMMANDS_H
#define IEVS_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "client.h"

struct shell {
	struct session sess;
	bool quit;
	bool interactive;
	char *upload_dir;	/* the config's pattern of upload areas */
};

/* The command table's self-check, and whether each of its local commands
 * has the shell's binding: NULL if fine, else the first entry amiss. */
const char *shell_table_check(void);
/* Returns the command's exit status (0 ok, 1 failed, 2 usage). */
int shell_run_line(struct shell *sh, const char *line);
int shell_run_words(struct shell *sh, int argc, char **argv);
/* The user's VM names for completion (NULL-terminated, g_strfreev). */
char **shell_vm_names(struct shell *sh);
/* The admin's base images, for completion. */
char **shell_base_names(struct shell *sh);
char **shell_column(struct shell *sh, char **argv, int argc,
    const char *key);
/* The login banner: the user's VMs, state and address; quota use if
 * there are quotas. */
void shell_banner(struct shell *sh);
void shell_help(FILE *out, const char *cmd);
/* Prints nrows rows of ncols cells (row by row, terminal-safe text), each
 * row after indent, every column as wide as its widest cell on screen. */
void shell_print_rows(char *const *cells, unsigned nrows, unsigned ncols,
    const char *indent);
/* Reports input the shell refuses (why is untranslated) and notes it in
 * the broker's audit log: the line (or its start) and its full length. */
void shell_refuse(struct shell *sh, const char *why, const char *line,
    size_t len);
void shell_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

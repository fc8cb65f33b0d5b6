/* Interactive mode (libedit) and line mode for scripts. */
#ifndef IEVS_REPL_H
#define IEVS_REPL_H

#include <stdio.h>

#include "commands.h"

/* Both return the exit status of the shell. */
int repl_interactive(struct shell *sh);
int repl_lines(struct shell *sh, FILE *in);

#endif

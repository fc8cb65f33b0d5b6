/* console NAME: the terminal on a VM's serial console, through ie-vmd. */
#ifndef IEVS_SHELL_CONSOLE_H
#define IEVS_SHELL_CONSOLE_H

#include "commands.h"
#include "proto.h"

/* Sends the request (argv) and, once the broker has attached, relays the
 * terminal until the student leaves with Ctrl-] or the console closes.
 * *resp is the broker's final answer.  Returns ST_FAILED if the broker was
 * lost (reported here), else ST_OK. */
int console_attach(struct shell *sh, const char *vm, int argc, char **argv,
    struct proto_msg **resp);

#endif

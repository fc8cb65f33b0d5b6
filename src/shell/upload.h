/* Upload confinement: the two -c forms sshd sends for file transfer, run
 * as the student, inside the upload area, under Landlock. */
#ifndef IEVS_UPLOAD_H
#define IEVS_UPLOAD_H

#include "commands.h"
#include "conf.h"

/* Returned by upload_run() for a command that is not a transfer. */
#define UPLOAD_NOT_MINE (-1)

/* If command is the configured sftp-server path alone, or a legacy
 * "scp [-v] [-r] [-p] [-d] -t|-f [--] PATH...", execs that program
 * confined and does not return; a refused or failed transfer returns its
 * exit status after one line on stderr.  Anything else: UPLOAD_NOT_MINE,
 * untouched.  Never writes to stdout (the sftp protocol's channel). */
int upload_run(struct shell *sh, const struct config *cfg,
    const char *command);

#endif

/* A VM's serial console, relayed to the student's shell. */
#ifndef IEVS_CONSOLE_H
#define IEVS_CONSOLE_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

/* Opens dom's console (taking it from another session if force) and
 * relays it over the client socket fd: an empty DATA frame once attached,
 * then DATA both ways until the student detaches, the console closes or
 * the client goes.  Returns 0 with what ended it in *msg, or -1 with the
 * reason in *msg (and libvirt's own words in *cause, if libvirt failed);
 * the caller answers with a RESPONSE either way. */
int console_run(virConnectPtr conn, virDomainPtr dom, int fd, bool force,
    char **msg, char **cause);

#endif

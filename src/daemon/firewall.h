/* A VM never runs unfiltered where its template asks for a firewall:
 * checked on the host right after a start. */
#ifndef IEVS_FIREWALL_H
#define IEVS_FIREWALL_H

#include <libvirt/libvirt.h>

/* Whether every interface of the running dom whose XML asks for an
 * nwfilter has that filter bound to its host device.  If one has not, dom
 * is destroyed, and -1 returned with a line for the student in *err
 * (caller frees) and libvirt's words, if any, in *cause (for the log). */
int firewall_confirm(virConnectPtr conn, virDomainPtr dom, char **err,
    char **cause);

#endif

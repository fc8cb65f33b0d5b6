/* The broker's libvirt connection: one per URI, shared by every client
 * thread, replaced when libvirtd goes away. */
#ifndef IEVS_VIRT_H
#define IEVS_VIRT_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

int virt_init(const char *uri);
void virt_shutdown(void);
/* Returns a reference to a live connection (opened if needed): the one
 * for requests that change nothing if readonly, else the next of the
 * others.  The caller drops it with virConnectClose.  NULL and *err on
 * failure. */
virConnectPtr virt_get(bool readonly, char **err);
/* The caller saw conn fail: if it is dead and still current, forget it so
 * the next virt_get reconnects.  Returns 1 if it was dead. */
int virt_failed(virConnectPtr conn);
/* The message of the calling thread's last libvirt error. */
const char *virt_error(void);

#endif

/* The broker's own records, in [daemon] state_dir (root's, mode 0700):
 * the definition of each VM as the broker last defined or moved it, per
 * host (vms/HOST/DOMAIN.xml), so that the VMs of a host lost for good can
 * be defined again elsewhere; the definitions left on a host that could
 * not be asked when their VM was defined elsewhere (moved/HOST/DOMAIN),
 * removed from that host when it comes back; and the hosts an admin has
 * drained (drained, a name a line).  A record that cannot be written is
 * logged; the command that made it does not fail for it. */
#ifndef IEVS_KEEP_H
#define IEVS_KEEP_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "conf.h"

/* Makes state_dir if missing; -1 and *err if it cannot be used. */
int keep_init(const struct config *cfg, char **err);
/* dom's persistent definition (with its secrets: the file is root's),
 * as host's. */
void keep_domain(const char *host, virDomainPtr dom);
void keep_xml(const char *host, const char *domain, const char *xml);
/* The definition kept for domain on host, or NULL (caller frees). */
char *keep_load_new(const char *host, const char *domain);
bool keep_has(const char *host, const char *domain);
void keep_forget(const char *host, const char *domain);
/* The domains kept for host (caller frees with g_strfreev). */
char **keep_list_new(const char *host);

/* The definition of domain on host is stale: its VM now lives elsewhere. */
void keep_mark_moved(const char *host, const char *domain);
void keep_unmark_moved(const char *host, const char *domain);
char **keep_moved_list_new(const char *host);

/* The drained hosts: a NULL-terminated list (caller frees), and the new
 * list written (0, or -1 and *err). */
char **keep_drained_new(void);
int keep_drained_save(char **names, char **err);

#endif

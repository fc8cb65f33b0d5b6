/* When a domain was last booted through the broker, kept in live-only
 * metadata that disappears when the domain stops (uptime without a guest
 * agent), written behind the answer. */
#ifndef IEVS_BOOTMARK_H
#define IEVS_BOOTMARK_H

#include <libvirt/libvirt.h>

/* Records that dom, on host, boots now: at once here, in the domain soon
 * after. */
void bootmark_set(int host, virDomainPtr dom);
/* Seconds since the boot recorded; -1 if unknown (not running, or started
 * by someone else). */
long long bootmark_uptime(int host, virDomainPtr dom);
/* Stops the writer (marks not yet written are lost). */
void bootmark_shutdown(void);

#endif

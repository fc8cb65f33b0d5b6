/* A running domain's IP addresses, as libvirt knows them (DHCP leases,
 * the host's ARP table, a guest agent). */
#ifndef IEVS_ADDRS_H
#define IEVS_ADDRS_H

#include <stdbool.h>

#include <glib.h>
#include <libvirt/libvirt.h>

struct addr {
	char *mac, *ip;
	int prefix;
	bool v4;
	const char *source;	/* "lease", "arp" or "agent" */
};

/* Sources asked: all of them, or only the quick ones (no guest agent: one
 * that does not answer holds the call for long). */
enum { ADDRS_ALL, ADDRS_QUICK };

/* The addresses from the first source that knows any.  Never NULL; empty
 * when the domain is not running or nobody knows yet. */
GArray *addrs_new(virDomainPtr dom, int which);
void addrs_free(GArray *a);
/* The address to show first (IPv4 if the guest has one), or NULL. */
const char *addrs_main(GArray *a);

#endif

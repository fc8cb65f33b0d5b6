/* A running domain's IP addresses, as libvirt knows them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addrs.h"

static const struct {
	int src;
	const char *name;
} sources[] = {
	{ VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, "lease" },
	{ VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP, "arp" },
	{ VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, "agent" },
};
#define SOURCES_QUICK 2

void
addrs_free(GArray *a)
{
	guint i;

	for (i = 0; a != NULL && i < a->len; i++) {
		g_free(g_array_index(a, struct addr, i).mac);
		g_free(g_array_index(a, struct addr, i).ip);
	}
	if (a != NULL)
		g_array_free(a, TRUE);
}

static void
take(GArray *out, virDomainInterfacePtr ifc, const char *source)
{
	unsigned int j;

	if (ifc->name != NULL && strcmp(ifc->name, "lo") == 0)
		return;		/* the agent reports the guest's loopback */
	for (j = 0; j < ifc->naddrs; j++) {
		struct addr a = { g_strdup(ifc->hwaddr),
		    g_strdup(ifc->addrs[j].addr), ifc->addrs[j].prefix,
		    ifc->addrs[j].type == VIR_IP_ADDR_TYPE_IPV4, source };

		if (a.ip != NULL)
			g_array_append_val(out, a);
		else
			g_free(a.mac);
	}
}

GArray *
addrs_new(virDomainPtr dom, int which)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct addr));
	size_t s, n = which == ADDRS_QUICK ? SOURCES_QUICK :
	    G_N_ELEMENTS(sources);

	if (virDomainIsActive(dom) != 1)
		return out;
	/* A source the domain lacks (an agent) just fails: try the next. */
	for (s = 0; s < n && out->len == 0; s++) {
		virDomainInterfacePtr *ifs = NULL;
		int k, i;

		k = virDomainInterfaceAddresses(dom, &ifs, sources[s].src, 0);
		for (i = 0; i < k; i++) {
			take(out, ifs[i], sources[s].name);
			virDomainInterfaceFree(ifs[i]);
		}
		free(ifs);
	}
	return out;
}

const char *
addrs_main(GArray *a)
{
	guint i;

	for (i = 0; i < a->len; i++)
		if (g_array_index(a, struct addr, i).v4)
			return g_array_index(a, struct addr, i).ip;
	return a->len ? g_array_index(a, struct addr, 0).ip : NULL;
}

/* The check after a start that the VM's firewall is in place: libvirt
 * binds each interface's <filterref> to its tap device, unless the driver
 * ignores filters (an unprivileged session, a driver without nwfilter) or
 * the interface type has no host device to filter.  A binding not found
 * means the VM runs unfiltered: it is stopped. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "firewall.h"
#include "i18n.h"
#include "log.h"
#include "template.h"
#include "virt.h"

/* NULL if iface's filter is bound to its device; else why not (caller
 * frees), with libvirt's words in *cause. */
static char *
binding_problem(virConnectPtr conn, const struct domain_iface *iface,
    char **cause)
{
	virNWFilterBindingPtr b;
	const char *bound;
	char *why = NULL;

	if (iface->dev == NULL)
		return g_strdup_printf(_("its interface has no host device to "
		    "filter (filter %s)"), iface->filter);
	if ((b = virNWFilterBindingLookupByPortDev(conn, iface->dev)) == NULL) {
		*cause = g_strdup(virt_error());
		return g_strdup_printf(_("filter %s is not bound to its "
		    "interface"), iface->filter);
	}
	bound = virNWFilterBindingGetFilterName(b);
	if (bound == NULL || strcmp(bound, iface->filter) != 0)
		why = g_strdup_printf(_("its interface has filter %s, not %s"),
		    bound ? bound : "-", iface->filter);
	virNWFilterBindingFree(b);
	return why;
}

int
firewall_confirm(virConnectPtr conn, virDomainPtr dom, char **err,
    char **cause)
{
	char *xml = virDomainGetXMLDesc(dom, 0), *why = NULL;
	GPtrArray *ifaces = domain_ifaces_new(xml);
	guint i;

	*err = NULL;
	*cause = NULL;
	if (ifaces == NULL) {
		*cause = g_strdup(xml ? "unreadable XML" : virt_error());
		why = g_strdup(_("its interfaces cannot be read"));
	}
	for (i = 0; why == NULL && ifaces != NULL && i < ifaces->len; i++) {
		const struct domain_iface *iface = g_ptr_array_index(ifaces, i);

		if (iface->filter != NULL)
			why = binding_problem(conn, iface, cause);
	}
	free(xml);
	if (ifaces != NULL)
		g_ptr_array_free(ifaces, TRUE);
	if (why == NULL)
		return 0;
	if (virDomainDestroy(dom) < 0 && virDomainIsActive(dom) != 0) {
		log_msg(LOG_ERR, "%s runs without its firewall and cannot be "
		    "destroyed: %s", virDomainGetName(dom), virt_error());
		*err = g_strdup_printf(_("its firewall is not in place: %s; "
		    "it could not be stopped, tell the admin"), why);
	} else
		*err = g_strdup_printf(_("its firewall is not in place: %s; "
		    "it was stopped, tell the admin"), why);
	g_free(why);
	return -1;
}

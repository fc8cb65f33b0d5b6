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

/* NULL if filter is bound to the host device dev; else why not (caller
 * frees), with libvirt's words in *cause. */
static char *
binding_problem(virConnectPtr conn, const char *dev, const char *filter,
    char **cause)
{
	virNWFilterBindingPtr b;
	const char *bound;
	char *why = NULL;

	if ((b = virNWFilterBindingLookupByPortDev(conn, dev)) == NULL) {
		*cause = g_strdup(virt_error());
		return g_strdup_printf(_("filter %s is not bound to its "
		    "interface"), filter);
	}
	bound = virNWFilterBindingGetFilterName(b);
	if (bound == NULL || strcmp(bound, filter) != 0)
		why = g_strdup_printf(_("its interface has filter %s, not %s"),
		    bound ? bound : "-", filter);
	virNWFilterBindingFree(b);
	return why;
}

/* The interface of live with want's MAC address, or NULL. */
static const struct domain_iface *
live_iface(GPtrArray *live, const struct domain_iface *want)
{
	guint i;

	for (i = 0; want->mac != NULL && i < live->len; i++) {
		const struct domain_iface *l = g_ptr_array_index(live, i);

		if (l->mac != NULL && g_ascii_strcasecmp(l->mac, want->mac) == 0)
			return l;
	}
	return NULL;
}

/* Whether each interface of the running domain has a <filterref>: then
 * they are the definition's, every one applied (the running XML is the
 * definition's copy at the start), and the definition need not be read. */
static bool
all_filtered(GPtrArray *live)
{
	guint i;

	for (i = 0; i < live->len; i++)
		if (((struct domain_iface *)g_ptr_array_index(live, i))->filter ==
		    NULL)
			return false;
	return true;
}

/* NULL if every interface whose definition asks for a filter has it
 * bound; else why not (caller frees).  The filters asked for are read
 * from the definition where the running domain's XML may lack one:
 * libvirt leaves a <filterref> it does not apply (on a user-mode
 * interface) out of it.  libvirtd answers each GetXMLDesc only after the
 * starts queued before it, so the definition is read only then. */
static char *
ifaces_problem(virConnectPtr conn, virDomainPtr dom, char **cause)
{
	char *run = virDomainGetXMLDesc(dom, 0), *def = NULL, *why = NULL;
	GPtrArray *live = domain_ifaces_new(run), *want = NULL;
	guint i;

	if (live != NULL && all_filtered(live))
		want = live;
	else if (live != NULL) {
		def = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
		want = domain_ifaces_new(def);
	}
	if (want == NULL || live == NULL) {
		*cause = g_strdup(run && (live == NULL || def) ?
		    "unreadable XML" : virt_error());
		why = g_strdup(_("its interfaces cannot be read"));
	}
	for (i = 0; why == NULL && i < want->len; i++) {
		const struct domain_iface *w = g_ptr_array_index(want, i);
		const struct domain_iface *l;

		if (w->filter == NULL)
			continue;
		if ((l = live_iface(live, w)) == NULL || l->dev == NULL) {
			why = g_strdup_printf(_("its interface %s has no host "
			    "device to filter (filter %s)"), w->mac ? w->mac :
			    "-", w->filter);
			break;
		}
		why = binding_problem(conn, l->dev, w->filter, cause);
	}
	free(def);
	free(run);
	if (want != NULL && want != live)
		g_ptr_array_free(want, TRUE);
	if (live != NULL)
		g_ptr_array_free(live, TRUE);
	return why;
}

int
firewall_confirm(virConnectPtr conn, virDomainPtr dom, char **err,
    char **cause)
{
	char *why;

	*err = NULL;
	*cause = NULL;
	if ((why = ifaces_problem(conn, dom, cause)) == NULL)
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

/* libvirt's errors, told to a student.  The common causes of a VM that
 * will not start are the host's or the admin's to fix, and libvirt's words
 * for them name host files, bridges and QEMU's command line: each becomes
 * one line on what happened and who can act.  Any other message is shown
 * with host paths and libvirt's names of domains taken out. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <libvirt/virterror.h>

#include "i18n.h"
#include "virterr.h"

#define SHOWN_MAX 240		/* bytes of libvirt's own words shown */

enum cause { C_OTHER, C_DISK_GONE, C_DISK, C_DISK_BUSY, C_MEMORY, C_CPU,
    C_NETWORK, C_FIREWALL, C_INTERNAL };

static bool
has(const char *msg, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strstr(msg, *words) != NULL)
			return true;
	return false;
}

/* The words of libvirt (9.0) and QEMU for each cause, in English: the
 * broker keeps libvirt's messages untranslated whatever the client's
 * locale (virt.c).  The codes come first where libvirt has one of its
 * own. */
static enum cause
cause_of(int code, const char *msg, const struct virterr_about *a)
{
	static const char *const memory[] = { "Cannot allocate memory",
	    "cannot set up guest memory", "Out of memory",
	    "out of memory", NULL };
	static const char *const cpu[] = { "CPU mode", "CPU model",
	    "host CPU", "requested feature", "KVM is not available",
	    "requires KVM", "domaintype=kvm", "/dev/kvm", NULL };
	static const char *const filter[] = { "referenced filter",
	    "nwfilter", NULL };
	static const char *const net[] = { "Cannot get interface MTU",
	    "Unable to add bridge", "tap device", "Network not found",
	    NULL };

	static const char *const busy[] = { "Failed to get \"write\" lock",
	    "Failed to get shared \"write\" lock", "Lockspace resource",
	    "Failed to acquire lock", NULL };

	/* The lock manager's refusal (virtlockd, sanlock) or QEMU's own
	 * image lock: the disk is in use by a guest, here or elsewhere. */
	if (code == VIR_ERR_RESOURCE_BUSY || has(msg, busy))
		return C_DISK_BUSY;
	if (a->disk != NULL && strstr(msg, a->disk) != NULL)
		return a->disk_exists && strstr(msg, "No such file") == NULL ?
		    C_DISK : C_DISK_GONE;
	if (code == VIR_ERR_NO_MEMORY || has(msg, memory))
		return C_MEMORY;
	if (code == VIR_ERR_CPU_INCOMPATIBLE || has(msg, cpu))
		return C_CPU;
	if (code == VIR_ERR_NO_NWFILTER || code == VIR_ERR_INVALID_NWFILTER ||
	    has(msg, filter))
		return C_FIREWALL;
	if (code == VIR_ERR_NO_NETWORK || has(msg, net) ||
	    (strstr(msg, "network '") && strstr(msg, "is not active")))
		return C_NETWORK;
	if (code == VIR_ERR_INTERNAL_ERROR || code == VIR_ERR_OPERATION_FAILED)
		return C_INTERNAL;
	return C_OTHER;
}

/* libvirt's name of the VM made the student's, until none is left (a
 * replacement may make another). */
static char *
rename_domain(char *t, const struct virterr_about *a)
{
	bool shorter;

	if (a->domain == NULL || a->vm == NULL || a->domain[0] == '\0')
		return t;
	shorter = strlen(a->vm) < strlen(a->domain);
	do {
		char **parts = g_strsplit(t, a->domain, -1);

		g_free(t);
		t = g_strjoinv(a->vm, parts);
		g_strfreev(parts);
	} while (shorter && strstr(t, a->domain) != NULL);
	return t;
}

/* msg as valid UTF-8 on one line, without host paths, its uid and gid
 * remarks or libvirt's name of the VM, and capped. */
static char *
scrub_new(const char *msg, const struct virterr_about *a)
{
	static GRegex *path, *ids;
	static gsize once;
	char *s, *t;

	if (g_once_init_enter(&once)) {
		/* A '/' that does not follow a letter, digit or one of _.~-
		 * ("I/O", "1/2"), and what follows it up to a blank, a quote
		 * or a closing bracket. */
		path = g_regex_new("(?<![A-Za-z0-9_.~-])/[^\\s'\"`,;)\\]}]*",
		    0, 0, NULL);
		ids = g_regex_new(" ?\\(as uid:[0-9]+, gid:[0-9]+\\)", 0, 0,
		    NULL);
		g_once_init_leave(&once, 1);
	}
	s = g_utf8_make_valid(msg, -1);
	g_strdelimit(s, "\r\n\t", ' ');
	t = g_regex_replace_literal(path, s, -1, 0, _("(a host path)"), 0,
	    NULL);
	g_free(s);
	s = g_regex_replace_literal(ids, t, -1, 0, "", 0, NULL);
	g_free(t);
	t = rename_domain(s, a);
	if (strlen(t) > SHOWN_MAX) {
		const char *end;

		g_utf8_validate(t, SHOWN_MAX, &end);
		s = g_strdup_printf("%.*s...", (int)(end - t), t);
		g_free(t);
		t = s;
	}
	return t;
}

/* Why, and who can act, for each cause but a missing disk (which names
 * the VM). */
static const char *const told[] = {
	[C_DISK] = N_("its disk cannot be opened on this host; tell the "
	    "admin"),
	[C_DISK_BUSY] = N_("its disk is in use by a VM that runs, on this "
	    "host or another (the disk is locked), so it is not started a "
	    "second time; if it should not be running anywhere, tell the "
	    "admin"),
	[C_MEMORY] = N_("the host has not enough free memory for it now; "
	    "try again later, or tell the admin"),
	[C_CPU] = N_("this host cannot provide the CPU its template asks "
	    "for; tell the admin"),
	[C_NETWORK] = N_("its network (a bridge or libvirt network of the "
	    "host) is not there; tell the admin"),
	[C_FIREWALL] = N_("its firewall (a libvirt nwfilter its template "
	    "names) is not defined on this host; tell the admin (ie-vmd "
	    "--check names it)"),
	[C_INTERNAL] = N_("libvirt or QEMU failed; the reason is in the VM "
	    "service's log, tell the admin if it happens again"),
};

char *
virterr_line_new(const char *what, int code, const char *msg,
    const struct virterr_about *a)
{
	enum cause c;
	char *shown, *line;

	if (msg == NULL || *msg == '\0')
		return g_strdup_printf(_("%s: libvirt gave no reason; tell the "
		    "admin if it happens again"), what);
	c = cause_of(code, msg, a);
	if (c == C_DISK_GONE)
		return g_strdup_printf(_("%s: its disk is missing; undefine it "
		    "with 'undefine %s --disk' and define it again"), what,
		    a->vm ? a->vm : "NAME");
	if (c != C_OTHER)
		return g_strdup_printf("%s: %s", what, _(told[c]));
	shown = scrub_new(msg, a);
	line = g_strdup_printf("%s: %s", what, shown);
	g_free(shown);
	return line;
}

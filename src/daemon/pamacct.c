/* The PAM account and session stacks, run for each client connection.
 * Nothing is asked of the user (no password): the conversation only
 * collects what modules say, to pass it on with a refusal. */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <security/pam_appl.h>

#include "i18n.h"
#include "log.h"
#include "pamacct.h"

struct pamacct {
	pam_handle_t *pamh;
	GString *said;		/* what modules told the user */
};

/* No lock around PAM: each connection has its own handle, which is what
 * Linux-PAM asks of threads, and the modules of the shipped examples
 * (pam_unix, pam_succeed_if, pam_echo, pam_time, pam_listfile) and the
 * directories' (pam_ldap, pam_sss) keep their state per call.  (Rules by
 * @netgroup in pam_access or pam_time go through innetgr(), which is not
 * thread safe; the examples have none.)  A lock would make one student's
 * wait for a directory that does not answer everyone's, in turn. */
/* A transaction that is never used, only kept: while it holds the
 * service's modules (and the libraries they pull in) loaded, each
 * connection's pam_start() finds them loaded, where it would otherwise
 * map, relocate and initialise them again and pam_end() unload them.
 * Made and ended by the main thread, before and after the clients'. */
static pam_handle_t *kept;

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct pamacct *p = data;
	int i;

	*resp = NULL;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			if (msg[i]->msg == NULL || p->said->len > 512)
				break;
			g_string_append_printf(p->said, "%s%s",
			    p->said->len ? "; " : "", msg[i]->msg);
			break;
		default:
			/* A module that wants input has no place here. */
			return PAM_CONV_ERR;
		}
	}
	return PAM_SUCCESS;
}

static int
conv_none(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	*resp = NULL;
	return PAM_CONV_ERR;
}

void
pamacct_keep(const char *service)
{
	static const struct pam_conv pc = { conv_none, NULL };

	if (kept == NULL && pam_start(service, NULL, &pc, &kept) !=
	    PAM_SUCCESS) {
		/* Only slower: each connection loads the modules itself. */
		log_msg(LOG_WARNING, "cannot load the PAM service %s ahead",
		    service);
		kept = NULL;
	}
}

void
pamacct_release(void)
{
	if (kept != NULL)
		pam_end(kept, PAM_SUCCESS);
	kept = NULL;
}

void
pamacct_close(struct pamacct *p)
{
	if (p == NULL)
		return;
	if (p->pamh != NULL) {
		pam_close_session(p->pamh, PAM_SILENT);
		pam_end(p->pamh, PAM_SUCCESS);
	}
	g_string_free(p->said, TRUE);
	g_free(p);
}

struct pamacct *
pamacct_open(const char *service, const char *user, char **err)
{
	struct pamacct *p = g_new0(struct pamacct, 1);
	struct pam_conv pc = { conv, p };
	const char *step = "start";
	int r;

	*err = NULL;
	p->said = g_string_new(NULL);
	r = pam_start(service, user, &pc, &p->pamh);
	if (r == PAM_SUCCESS) {
		step = "account";
		pam_set_item(p->pamh, PAM_RUSER, user);
		pam_set_item(p->pamh, PAM_TTY, "ie-vshell");
		r = pam_acct_mgmt(p->pamh, 0);
	}
	if (r == PAM_SUCCESS) {
		step = "session";
		r = pam_open_session(p->pamh, 0);
	}
	if (r != PAM_SUCCESS) {
		const char *why = p->pamh ? pam_strerror(p->pamh, r) :
		    "cannot start PAM";

		*err = g_strdup_printf(_("access to the VM service denied: %s; "
		    "ask the admin if you should have it"),
		    p->said->len ? p->said->str : why);
		log_msg(LOG_NOTICE, "pam %s for %s failed: %s", step, user,
		    why);
		if (p->pamh != NULL)
			pam_end(p->pamh, r);
		p->pamh = NULL;
		pamacct_close(p);
		return NULL;
	}
	return p;
}

/* PAM for the broker: the account stack decides whether a user may use
 * the VM service now; a session is open for as long as they are connected. */
#ifndef IEVS_PAMACCT_H
#define IEVS_PAMACCT_H

struct pamacct;

/* Runs pam_acct_mgmt and opens a session.  On refusal returns NULL and a
 * message for the user in *err (caller frees): PAM's own words where it
 * gave any. */
struct pamacct *pamacct_open(const char *service, const char *user,
    char **err);
void pamacct_close(struct pamacct *p);
/* Loads the service's modules once and keeps them loaded until
 * pamacct_release(); every connection still runs the stacks itself. */
void pamacct_keep(const char *service);
void pamacct_release(void);

#endif

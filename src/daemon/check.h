/* ie-vmd --check: the admin's one-command review of a deployment. */
#ifndef IEVS_CHECK_H
#define IEVS_CHECK_H

struct config;

struct check_opts {
	const char *student;		/* sample student for sshd -T */
	const char *shell;		/* the login shell's installed path */
	const char *sshd;		/* sshd binary */
	const char *sshd_config;
	const char *pam_dir;
	const char *shells;		/* /etc/shells */
};

/* Prints one line per check, "ok" or "FAIL ...; fix: ...".  Returns the
 * number of failures. */
int check_run(const struct config *cfg, const struct check_opts *o);

#endif

/* The language of a session that names none: the config's [language]. */
#ifndef IEVS_LANG_H
#define IEVS_LANG_H

struct config;

/* Unless the session set LANGUAGE, LC_ALL or LC_MESSAGES (LANG may be
 * pam_env's /etc/default/locale, not the student's), messages take the
 * locale [language] gives the user, where it is installed. */
void lang_apply_config(const struct config *cfg);

#endif

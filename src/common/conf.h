/* ie-vshell.conf: one INI file read by the broker (all of it) and the shell
 * (only where the broker's socket is). */
#ifndef IEVS_CONF_H
#define IEVS_CONF_H

#define CONFIG_PATH SYSCONFDIR "/ie-vshell/ie-vshell.conf"

struct config {
	char *path;
	char *socket_path;
	int max_clients;
	char *admin_group;
	char *uri;
	char *pool_dir;
	char *template_dir;
	char *default_template;
};

/* Loads path (or the defaults alone if path is NULL, or if it does not
 * exist and missing_ok).  On error returns NULL and a message naming file,
 * line and key in *err (caller frees). */
struct config *config_load(const char *path, int missing_ok, char **err);
void config_free(struct config *cfg);

#endif

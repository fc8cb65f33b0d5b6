/* ie-vshell.conf: one INI file read by the broker (all of it) and the shell
 * (only where the broker's socket is). */
#ifndef IEVS_CONF_H
#define IEVS_CONF_H

#include <stdbool.h>

#define CONFIG_PATH SYSCONFDIR "/ie-vshell/ie-vshell.conf"

/* Quota resources.  A limit of QUOTA_UNLIMITED means none; QUOTA_UNSET
 * (only in per-group and per-user rules) inherits. */
enum quota_res {
	Q_VMS,		/* VMs defined */
	Q_RUNNING,	/* VMs running */
	Q_VCPUS,	/* vCPUs of running VMs */
	Q_MEMORY,	/* MiB of running VMs */
	Q_DISK,		/* GiB of disk images in the pool and uploads */
	Q_FILES,	/* entries in the upload area */
	Q__COUNT
};
#define QUOTA_UNLIMITED (-1LL)
#define QUOTA_UNSET (-2LL)

struct quota {
	long long limit[Q__COUNT];
};

/* [quota.group:NAME] or [quota.user:NAME] */
struct quota_rule {
	char kind;		/* 'g' or 'u' */
	char *name;
	struct quota q;
};

/* [template:NAME]: what 'define' gives a VM of template NAME for a disk
 * when it names no image, and its firewall.  A group whose from names
 * another template offers that template's XML under NAME (its own
 * filter and ports). */
struct template_conf {
	char *name;
	char *base;		/* the base image to copy, or NULL */
	int blank_size;		/* GiB of a blank disk; -1: [storage] */
	char *from;		/* the template file NAME is made from, or NULL
				 * (NAME.xml) */
	char *filter;		/* the libvirt nwfilter of every interface, or
				 * NULL (the template's) */
	char **inbound;		/* TCP ports open to the VM (TCP_IN), or NULL
				 * (the template's); g_strfreev */
	char **outbound;	/* TCP ports the VM may reach (TCP_OUT), or
				 * NULL */
};

/* [language]: the locale of messages for a user whose session names none;
 * kind 'u' (user:NAME), 'g' (group:NAME) or 'd' (default). */
struct lang_rule {
	char kind;
	char *name;
	char *locale;
};

#define PORTS_MAX 32	/* ports in an inbound or outbound list */

/* One hypervisor host: [hosts] NAME = URI, and its [host:NAME] group. */
struct host_conf {
	char *name;
	char *uri;
	int vcpus;		/* offered to placement; -1: the node's */
	int memory;		/* GiB offered; -1: the node's less the
				 * reserve */
	bool schedulable;	/* false: no new VM is placed there */
	char *migration;	/* the address other hosts send a live
				 * migration to, or NULL: libvirt's choice
				 * (the host's name) */
};

#define IEVS_HOST_NAME_MAX 32
/* The single host of a config without [hosts]. */
#define HOST_LOCAL "local"

enum placement_policy {
	PLACE_SPREAD,		/* the most memory left */
	PLACE_PACK		/* the least memory left that fits */
};

/* [import] credentials: what an import does about default credentials. */
enum creds_mode { CREDS_OFF, CREDS_CHECK, CREDS_WARN, CREDS_FIX };

struct config {
	char *path;
	char *socket_path;
	int max_clients;
	char *admin_group;
	char *pam_service;
	char *uri;
	char *pool_dir;
	char *qemu_img;
	int max_image_size;		/* GiB of virtual size */
	int import_timeout;		/* seconds */
	char *base_dir;			/* the admin's base images */
	int blank_size;			/* GiB of a blank disk, or 0 */
	char *upload_dir;		/* pattern with %u: the user name */
	char *sftp_server;
	char *scp;
	char *template_dir;
	char *default_template;
	int credentials;		/* enum creds_mode */
	char *creds_helper;		/* ie-vmd-creds */
	char *guestfs_cache;		/* libguestfs's appliance */
	int guestfs_tcg;		/* 1: no KVM for the appliance */
	char *student_keys;		/* pattern: %h home, %u user */
	int sessions_per_user;
	int requests_per_minute;
	struct quota quota;		/* [quota]: everyone's default */
	struct quota_rule *rules;
	int nrules;
	struct template_conf *tconfs;
	int ntconfs;
	/* [hosts] in file order, or the one host HOST_LOCAL at uri. */
	struct host_conf *hosts;
	int nhosts;
	bool several;			/* [hosts] names the hosts */
	enum placement_policy placement;
	int reserve;			/* GiB of each host kept back */
	char *state_dir;		/* the broker's own records: kept
					 * definitions, drained hosts */
	int trust_pool;			/* [migration] shared_pool = trust:
					 * live migration without libvirt's
					 * own test of shared storage */
	int migrate_timeout;		/* seconds a live migration may take */
	struct lang_rule *langs;	/* in the file's order */
	int nlangs;
};

/* Config key of each resource, for messages and the config file. */
extern const char *const quota_keys[Q__COUNT];

/* Loads path (or the defaults alone if path is NULL, or if it does not
 * exist and missing_ok).  On error returns NULL and a message naming file,
 * line and key in *err (caller frees). */
struct config *config_load(const char *path, int missing_ok, char **err);
void config_free(struct config *cfg);

/* Whether name is a host's name: 1 to 32 lowercase letters, digits, '-'
 * and '_', starting with a letter or digit. */
bool host_name_valid(const char *name);

/* The [template:NAME] group of a template, or NULL if there is none. */
const struct template_conf *config_template(const struct config *cfg,
    const char *name);
/* What define without an image gives a VM of template name: the base image
 * to copy (NULL: none), else a blank disk of *blank_gib GiB (0: none). */
const char *config_new_disk(const struct config *cfg, const char *name,
    int *blank_gib);

/* The locale [language] gives user: user:NAME's, else the first
 * group:NAME's that member(NAME, arg) says the user is in, else the
 * default's; NULL if none. */
const char *config_language(const struct config *cfg, const char *user,
    bool (*member)(const char *group, void *arg), void *arg);

/* A list of TCP ports ("22, 80, 443"): NULL and a reason if it is not
 * 1 to PORTS_MAX numbers from 1 to 65535 apart by commas or blanks; else
 * the numbers as written without leading zeros (g_strfreev). */
char **config_ports_new(const char *list, const char **why);

/* The user's upload area: upload_dir with %u replaced by user (a name
 * user_name_valid() accepts).  Caller frees. */
char *config_upload_area_new(const struct config *cfg, const char *user);

#endif

/* What the broker's handler files share, and nothing outside them does:
 * the request a handler answers, the replies it makes (ops_reply.c) and
 * the bindings of each file's handlers to the command table's names. */
#ifndef IEVS_OPS_PRIV_H
#define IEVS_OPS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

#include "cmdtab.h"
#include "proto.h"

struct client;
struct target;

/* One request, from policy_check to the answer. */
struct request {
	struct client *c;
	const struct cmd_call *call;
	struct target *t;
	int upload_fd;		/* define NAME IMAGE: the upload, else -1 */
	char *staged;		/* define's new disk, not yet in place */
	int64_t staged_size;	/* its virtual size */
	char *made;		/* how it was made, for the answer */
	char *note;		/* what the import changed or found, lines
				 * after the answer's first */
	char *cause;		/* libvirt's words for a failure, for the
				 * audit log only */
	struct proto_msg *resp;
	int retry;		/* set by a handler when the connection died */
	int denied;		/* refused by policy (a quota), not failed */
	int mutated;		/* a changing libvirt call was made */
	int refreshed;		/* the handler put its change in the table */
	GMutex *lock;		/* the user's lock, held around the handler
				 * of a command that mutates */
	int host;		/* the host the handler's connection is to */
	char *moved;		/* relocate moved the VM: from where and why,
				 * for the answer */
};

/* A command's handler, by the table's name: run answers it (0, or -1
 * with the answer made), on a connection unless the command is
 * CMD_NOCONN: to the host of the VM it names (the table knows where each
 * is), or, for a VM not yet anywhere, to the host place chooses (under
 * the user's lock; the host's number, or -1 with the answer made).
 * prepare, where there is one, runs first, without the user's lock and
 * without a connection.  Each handler file ends its list with an entry
 * without a name; ops.c knows the lists. */
struct ops_handler {
	const char *cmd;
	int (*run)(struct request *rq, virConnectPtr conn);
	int (*prepare)(struct request *rq);
	int (*place)(struct request *rq);
	/* Where there is one, under the user's lock, after the VM's host is
	 * found: the host to run on (the VM may have been moved there), or
	 * -1 with the answer made. */
	int (*relocate)(struct request *rq);
};

extern const struct ops_handler ops_list_handlers[];
extern const struct ops_handler ops_define_handlers[];
extern const struct ops_handler ops_power_handlers[];
extern const struct ops_handler ops_info_handlers[];
extern const struct ops_handler ops_snapshot_handlers[];
extern const struct ops_handler ops_images_handlers[];
extern const struct ops_handler ops_hosts_handlers[];
extern const struct ops_handler ops_migrate_handlers[];

/* start's relocate (ops_migrate.c): the VM moved, shut off, to a host
 * that can run it when its own is unreachable, drained or full. */
int start_relocate(struct request *rq);

/* Answers (ops_reply.c).  Those that fail make the failure the one line
 * of the response and return -1; reply_ok adds a line and returns 0. */
int reply_ok(struct request *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int reply_fail(struct request *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A usage error found by a handler (the form of a word depends on
 * another): nothing has been done. */
int reply_usage(struct request *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A libvirt call failed: a line for the student (virterr.c), libvirt's
 * own words kept for the audit log, or a retry asked for on a fresh
 * connection if this one died under us. */
int reply_fail_virt(struct request *rq, virConnectPtr conn,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* libvirt cannot be reached: err (taken) is logged for the admin. */
int reply_unreachable(struct request *rq, char *err);
/* The host of the target VM cannot be reached (several hosts): one line
 * naming the host and since when; err (taken, or NULL) is logged. */
int reply_host_down(struct request *rq, int host, char *err);
/* The answer to --json: b's document (taken) as the one string. */
int reply_json(struct request *rq, JsonBuilder *b);
/* A listing's document: an object whose one member, key, is an array of
 * the rows (objects) the caller adds; reply_json_list closes it and
 * answers with it. */
JsonBuilder *json_list_new(const char *key);
int reply_json_list(struct request *rq, JsonBuilder *b);
void json_member_str(JsonBuilder *b, const char *key, const char *v);
/* A number, or null where it is not known (negative). */
void json_member_int(JsonBuilder *b, const char *key, long long v);
bool wants_json(const struct request *rq);
/* A virDomainState as the student reads it. */
const char *state_name(int state);
/* The target's domain, its owner record checked; NULL having answered
 * "no such VM" for one that is someone else's. */
virDomainPtr lookup_owned(struct request *rq, virConnectPtr conn);
/* The path of the target VM's disk (caller frees). */
char *request_disk_path_new(const struct request *rq);

/* Whether what add adds fits the client's quota (ops_list.c); if not,
 * answers with the limit passed and hint (what to do), as denied.  An
 * admin acting on another user's VM is not held to that user's quota. */
struct usage;
int request_quota_check(struct request *rq, const struct usage *add,
    const char *hint);

/* Records that dom, on host, boots now (ops_power.c). */
void power_mark_boot(int host, virDomainPtr dom);
/* Seconds since the boot we recorded; -1 if unknown (not running, or
 * started by someone else). */
long long power_uptime(int host, virDomainPtr dom);
/* After dom started: its firewall is in place, or it is stopped again
 * and the start answered as failed (firewall.c). */
int power_firewall(struct request *rq, virConnectPtr conn,
    virDomainPtr dom);
/* Whether the client's quota has room for dom running, as a start
 * checks it; answers if not. */
int power_start_quota(struct request *rq, virConnectPtr conn,
    virDomainPtr dom);

#endif

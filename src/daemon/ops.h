/* Request handling: decode, decide, act on libvirt, answer, audit. */
#ifndef IEVS_OPS_H
#define IEVS_OPS_H

#include "proto.h"

struct client;

/* Checks, once at start-up, that every command of the table the broker
 * answers has a handler, and every handler a command.  Returns -1 with
 * the first one amiss in *err. */
int ops_init(char **err);
/* Handles one request and returns the response (never NULL).  upload_fd
 * is a descriptor that came with it, or -1; it is closed. */
struct proto_msg *ops_dispatch(struct client *c, const struct proto_msg *req,
    int upload_fd);
/* Records a refusal the shell made on its own (PROTO_NOTE). */
void ops_note(struct client *c, const struct proto_msg *note);
/* The upload budget (PROTO_BUDGET): disk limit and pool use in bytes,
 * file limit. */
struct proto_msg *ops_upload_budget(struct client *c);
void ops_shutdown(void);

#endif

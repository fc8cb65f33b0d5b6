/* Logging for ie-vmd: stderr in foreground mode, syslog otherwise.  Audit
 * lines (one per decision) go to LOG_AUTHPRIV. */
#ifndef IEVS_LOG_H
#define IEVS_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(bool foreground);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* args is the request's words after the command; detail is what the user
 * was told, cause what libvirt said (either may be NULL); every outside
 * string is escaped and the line is capped. */
void log_audit(unsigned long uid, const char *user, const char *cmd,
    char **args, int nargs, const char *result, const char *detail,
    const char *cause);

#endif

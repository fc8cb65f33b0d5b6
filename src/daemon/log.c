/* Log sink of the broker.  Everything that may have come from a client is
 * escaped before it is written. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "log.h"
#include "sanitize.h"

#define AUDIT_FIELD_MAX 256
#define AUDIT_CAUSE_MAX 512	/* libvirt's words: QEMU's line, paths */
#define AUDIT_LINE_MAX 1024

static bool to_stderr;
static GMutex log_lock;

void
log_init(bool foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog("ie-vmd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
emit(int prio, const char *line)
{
	if (!to_stderr) {
		syslog(prio, "%s", line);
		return;
	}
	g_mutex_lock(&log_lock);
	fprintf(stderr, "ie-vmd: %s\n", line);
	fflush(stderr);
	g_mutex_unlock(&log_lock);
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	char *s, *clean;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	clean = sanitize_new(s, false, AUDIT_LINE_MAX);
	emit(prio, clean);
	g_free(clean);
	g_free(s);
}

void
log_audit(unsigned long uid, const char *user, const char *cmd, char **args,
    int nargs, const char *result, const char *detail, const char *cause)
{
	GString *line = g_string_new(NULL);
	char *f;
	int i;

	f = sanitize_new(user, false, AUDIT_FIELD_MAX);
	g_string_append_printf(line, "audit: uid=%lu user=%s", uid, f);
	g_free(f);
	f = sanitize_new(cmd, false, AUDIT_FIELD_MAX);
	g_string_append_printf(line, " cmd=%s args=[", f);
	g_free(f);
	for (i = 0; i < nargs; i++) {
		f = sanitize_new(args[i], false, AUDIT_FIELD_MAX);
		g_string_append_printf(line, "%s\"%s\"", i ? " " : "", f);
		g_free(f);
	}
	g_string_append_printf(line, "] result=%s", result);
	if (detail != NULL) {
		f = sanitize_new(detail, false, AUDIT_FIELD_MAX);
		g_string_append_printf(line, " reason=\"%s\"", f);
		g_free(f);
	}
	if (cause != NULL) {
		f = sanitize_new(cause, false, AUDIT_CAUSE_MAX);
		g_string_append_printf(line, " libvirt=\"%s\"", f);
		g_free(f);
	}
	if (line->len > AUDIT_LINE_MAX) {
		const char *end;

		/* Cut at a character boundary: half a character could leave
		 * a raw C1 byte behind. */
		g_utf8_validate(line->str, AUDIT_LINE_MAX, &end);
		g_string_truncate(line, end - line->str);
		g_string_append(line, "...");
	}
	if (to_stderr)
		emit(LOG_NOTICE, line->str);
	else
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line->str);
	g_string_free(line, TRUE);
}

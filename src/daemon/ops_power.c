/* start, destroy, shutdown, reboot and reset: one table of power
 * operations, each one libvirt call on a VM in the state it needs, and
 * the boot time they record for info's uptime. */
#include "config.h"

#include <poll.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "bootmark.h"
#include "domtab.h"
#include "firewall.h"
#include "i18n.h"
#include "log.h"
#include "ops_priv.h"
#include "policy.h"
#include "quota.h"
#include "server.h"
#include "virt.h"

#define SHUTDOWN_WAIT_DEFAULT 60
#define SHUTDOWN_WAIT_MAX 3600

enum { WAIT_STOPPED, WAIT_RUNNING, WAIT_GONE, WAIT_ERROR };

/* The boot time, for info's uptime, is written behind the answer
 * (bootmark.c). */
void
power_mark_boot(int host, virDomainPtr dom)
{
	bootmark_set(host, dom);
}

long long
power_uptime(int host, virDomainPtr dom)
{
	return bootmark_uptime(host, dom);
}

/* The VM's size comes from the table where it is current (read again on
 * every define, start and stop): libvirtd answers virDomainGetInfo only
 * after the starts queued before it. */
int
power_start_quota(struct request *rq, virConnectPtr conn, virDomainPtr dom)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	virDomainInfo info;
	struct usage add = { .v[Q_RUNNING] = 1 };
	unsigned vcpus;
	unsigned long long mem_kib;

	if (virDomainGetUUIDString(dom, uuid) < 0 ||
	    domtab_size(rq->host, uuid, &vcpus, &mem_kib) < 0) {
		if (virDomainGetInfo(dom, &info) < 0)
			return reply_fail_virt(rq, conn,
			    _("cannot read the VM's size"));
		vcpus = info.nrVirtCpu;
		mem_kib = info.maxMem;
	}
	add.v[Q_VCPUS] = vcpus;
	add.v[Q_MEMORY] = mem_kib / 1024;
	return request_quota_check(rq, &add, _("stop a VM first"));
}

/* --timeout and --force, checked before anything is done. */
static int
shutdown_timeout(struct request *rq, int *secs)
{
	const char *v = cmd_opt_value(rq->call, "--timeout");
	guint64 n = SHUTDOWN_WAIT_DEFAULT;

	if (v != NULL && !g_ascii_string_to_unsigned(v, 10, 0,
	    SHUTDOWN_WAIT_MAX, &n, NULL))
		return reply_usage(rq, _("invalid timeout '%s': give seconds "
		    "from 0 to %d"), v, SHUTDOWN_WAIT_MAX);
	if (n == 0 && cmd_opt_set(rq->call, "--force"))
		return reply_usage(rq, _("--force needs a timeout above 0; "
		    "'destroy %s' powers the VM off at once"), rq->t->vm);
	*secs = (int)n;
	return 0;
}

/* Waits up to secs for dom to stop, without the user's lock: the user's
 * other sessions go on meanwhile (another user's never wait for it).
 * Stops early if the shell hangs up or the broker is closing. */
static int
wait_stopped(struct request *rq, virDomainPtr dom, int secs)
{
	gint64 end = g_get_monotonic_time() + (gint64)secs * G_USEC_PER_SEC;
	struct pollfd p = { rq->c->fd, POLLRDHUP, 0 };
	int active, w = WAIT_RUNNING;

	if (rq->lock != NULL)
		g_mutex_unlock(rq->lock);
	while (virDomainIsActive(dom) == 1 &&
	    g_get_monotonic_time() < end) {
		p.revents = 0;
		if (poll(&p, 1, 250) > 0) {
			if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
				w = WAIT_GONE;
				break;
			}
			g_usleep(250 * 1000);	/* data: not ours to read */
		}
	}
	if (rq->lock != NULL)
		g_mutex_lock(rq->lock);
	if (w == WAIT_GONE)
		return w;
	active = virDomainIsActive(dom);
	return active < 0 ? WAIT_ERROR : active ? WAIT_RUNNING : WAIT_STOPPED;
}

/* The guest did not stop in time: power it off if --force says so. */
static int
shutdown_overdue(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    int secs)
{
	const char *vm = rq->t->vm;

	if (!cmd_opt_set(rq->call, "--force"))
		return reply_fail(rq, _("%s did not stop within %d s (it may "
		    "ignore ACPI); 'shutdown %s --force' or 'destroy %s' "
		    "powers it off"), vm, secs, vm, vm);
	if (virDomainDestroy(dom) < 0 && virDomainIsActive(dom) != 0)
		return reply_fail_virt(rq, conn, _("cannot power the VM off"));
	return reply_ok(rq, _("%s did not stop within %d s; powered it off"),
	    vm, secs);
}

static int
shutdown_wait(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    int secs)
{
	switch (wait_stopped(rq, dom, secs)) {
	case WAIT_STOPPED:
		return reply_ok(rq, _("%s has shut down"), rq->t->vm);
	case WAIT_RUNNING:
		return shutdown_overdue(rq, conn, dom, secs);
	case WAIT_GONE:
		return reply_fail(rq, _("stopped waiting for %s to shut down: "
		    "the connection is closing"), rq->t->vm);
	default:
		return reply_fail_virt(rq, conn,
		    _("cannot read the VM's state"));
	}
}

static int
dom_create(virDomainPtr dom)
{
	return virDomainCreate(dom);
}

static int
dom_reboot(virDomainPtr dom)
{
	return virDomainReboot(dom, 0);
}

static int
dom_reset(virDomainPtr dom)
{
	return virDomainReset(dom, 0);
}

#define POWER_QUOTA	0x01	/* a running VM more: the quota must allow it */
#define POWER_BOOTS	0x02	/* the guest boots: the time is recorded */
#define POWER_WAITS	0x04	/* shutdown: --timeout and --force */
#define POWER_FIREWALL	0x08	/* new tap devices: their filters checked */

/* A power operation: the libvirt call, made on a VM that is running (or,
 * if not running, is not), and what the student is told.  Each message
 * takes the VM's name, at most twice. */
struct power_op {
	const char *cmd;
	bool running;		/* the state the call needs */
	const char *wrong_state;	/* the refusal in the other state */
	int (*act)(virDomainPtr dom);
	const char *cannot;	/* the call failed: for reply_fail_virt */
	const char *done;	/* the answer */
	unsigned flags;
	int after;		/* the state once done, if sure; else 0 */
};

static const struct power_op power_ops[] = {
	{ .cmd = "start", .running = false,
	    .wrong_state = N_("%s is already running"), .act = dom_create,
	    .cannot = N_("cannot start %s"), .done = N_("started %s"),
	    .flags = POWER_QUOTA | POWER_BOOTS | POWER_FIREWALL,
	    .after = VIR_DOMAIN_RUNNING },
	{ .cmd = "destroy", .running = true,
	    .wrong_state = N_("%s is not running"), .act = virDomainDestroy,
	    .cannot = N_("cannot destroy %s"), .done = N_("destroyed %s"),
	    .after = VIR_DOMAIN_SHUTOFF },
	{ .cmd = "shutdown", .running = true,
	    .wrong_state = N_("%s is not running"), .act = virDomainShutdown,
	    .cannot = N_("cannot shut %s down"),
	    .done = N_("asked %s to shut down"), .flags = POWER_WAITS },
	{ .cmd = "reboot", .running = true,
	    .wrong_state = N_("%s is not running; 'start %s' boots it"),
	    .act = dom_reboot, .cannot = N_("cannot reboot the VM"),
	    .done = N_("asked %s to restart"), .flags = POWER_BOOTS },
	{ .cmd = "reset", .running = true,
	    .wrong_state = N_("%s is not running; 'start %s' boots it"),
	    .act = dom_reset, .cannot = N_("cannot reset the VM"),
	    .done = N_("reset %s"), .flags = POWER_BOOTS },
};

/* A message of the table (translated) with the VM's name in it; caller
 * frees.  The compiler cannot check a format from a table: the table's
 * messages take the name, at most twice, and nothing else. */
static char *
power_line_new(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

int
power_firewall(struct request *rq, virConnectPtr conn, virDomainPtr dom)
{
	char *err = NULL, *cause = NULL;

	if (firewall_confirm(conn, dom, &err, &cause) == 0)
		return 0;
	reply_fail(rq, _("cannot start %s: %s"), rq->t->vm, err);
	g_free(err);
	if (cause != NULL) {
		g_free(rq->cause);
		rq->cause = cause;
	}
	return -1;
}

/* The operation's call made and answered: at once, or (shutdown with a
 * timeout) once the guest has stopped or the time is up. */
static int
power_act(struct request *rq, virConnectPtr conn, virDomainPtr dom,
    const struct power_op *op, int secs)
{
	const char *vm = rq->t->vm;
	char *line;
	int r;

	rq->mutated = 1;
	if (op->act(dom) < 0) {
		int code = virGetLastErrorCode();

		line = power_line_new(_(op->cannot), vm, vm);
		r = reply_fail_virt(rq, conn, "%s", line);
		/* The table's state was out of date (in_state): the answer
		 * is the one the state would have had. */
		if (code == VIR_ERR_OPERATION_INVALID &&
		    (virDomainIsActive(dom) == 1) != op->running) {
			g_free(line);
			line = power_line_new(_(op->wrong_state), vm, vm);
			reply_fail(rq, "%s", line);
		}
	} else if ((op->flags & POWER_FIREWALL) &&
	    power_firewall(rq, conn, dom) < 0)
		return -1;
	else if ((op->flags & POWER_WAITS) && secs > 0)
		return shutdown_wait(rq, conn, dom, secs);
	else {
		if (op->flags & POWER_BOOTS)
			power_mark_boot(rq->host, dom);
		if (rq->moved != NULL)
			line = g_strdup_printf(_("started %s on %s (%s)"), vm,
			    virt_host_name(rq->host), rq->moved);
		else
			line = power_line_new(_(op->done), vm, vm);
		r = reply_ok(rq, "%s", line);
	}
	g_free(line);
	return r;
}

static const struct power_op *
power_op_of(const char *cmd)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(power_ops); i++)
		if (strcmp(power_ops[i].cmd, cmd) == 0)
			return &power_ops[i];
	return NULL;
}

/* Whether dom is in the state an operation needs (running or not): the
 * table's word when it says so, as the operation itself refuses a VM in
 * the other state and power_act then answers as here; else libvirt's. */
static bool
in_state(struct request *rq, virDomainPtr dom, bool running)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	int state;

	if (virDomainGetUUIDString(dom, uuid) == 0 &&
	    domtab_state(rq->host, uuid, &state) == 0 &&
	    (state != VIR_DOMAIN_SHUTOFF) == running)
		return true;
	return (virDomainIsActive(dom) == 1) == running;
}

/* In the table before the user's lock is released: the next quota check
 * counts it.  A start or destroy that succeeded says what the state is;
 * else it is read back (GetState, on the handle at hand). */
static void
power_note(struct request *rq, virDomainPtr dom, const struct power_op *op,
    int r)
{
	if (!rq->mutated)
		return;
	if (r == 0 && op->after != 0)
		domtab_note_state(rq->host, dom, op->after);
	else
		domtab_refresh_state(rq->host, dom);
	rq->refreshed = 1;
}

static int
do_power(struct request *rq, virConnectPtr conn)
{
	const struct power_op *op = power_op_of(rq->call->def->name);
	virDomainPtr dom;
	char *line;
	int secs = 0, r = -1;

	if (op == NULL)
		return reply_fail(rq, "%s",
		    _("command not handled by the broker"));
	if ((op->flags & POWER_WAITS) && shutdown_timeout(rq, &secs) < 0)
		return -1;
	if ((dom = lookup_owned(rq, conn)) == NULL)
		return -1;
	if (!in_state(rq, dom, op->running)) {
		line = power_line_new(_(op->wrong_state), rq->t->vm, rq->t->vm);
		reply_fail(rq, "%s", line);
		g_free(line);
	} else if (!(op->flags & POWER_QUOTA) ||
	    power_start_quota(rq, conn, dom) == 0)
		r = power_act(rq, conn, dom, op, secs);
	power_note(rq, dom, op, r);
	virDomainFree(dom);
	return r;
}

const struct ops_handler ops_power_handlers[] = {
	{ .cmd = "start", .run = do_power, .relocate = start_relocate },
	{ .cmd = "destroy", .run = do_power },
	{ .cmd = "shutdown", .run = do_power },
	{ .cmd = "reboot", .run = do_power },
	{ .cmd = "reset", .run = do_power },
	{ .cmd = NULL },
};

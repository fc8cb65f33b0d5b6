/* Unit tests of what a student sees of libvirt's errors: libvirt's and
 * QEMU's own words (as libvirt 9.0 and QEMU 7.2 gave them on Debian 12)
 * become one line that names the cause and who can act, and no host path
 * or other internal of the host is ever shown. */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <libvirt/virterror.h>

#include "virterr.h"

#define DISK "/var/lib/ie-vshell/pool/1001/web.qcow2"

static const struct virterr_about web = { "web", "u1001_web", DISK, true };
static const struct virterr_about web_gone = { "web", "u1001_web", DISK,
    false };

/* The line for (code, msg): it starts with what, holds want, and shows
 * none of the host's paths. */
static void
expect(const struct virterr_about *a, int code, const char *msg,
    const char *want)
{
	char *line = virterr_line_new("cannot start web", code, msg, a);

	if (strstr(line, want) == NULL)
		g_test_message("\"%s\" not in \"%s\"", want, line);
	g_assert_nonnull(strstr(line, want));
	g_assert_true(g_str_has_prefix(line, "cannot start web: "));
	g_assert_null(strstr(line, "/var/"));
	g_assert_null(strstr(line, "/tmp/"));
	g_assert_null(strstr(line, "/etc/"));
	g_assert_null(strstr(line, "u1001_"));
	g_assert_null(strchr(line, '\n'));
	g_free(line);
}

static void
test_disk(void)
{
	expect(&web_gone, VIR_ERR_SYSTEM_ERROR, "Path '" DISK "' is not "
	    "accessible: No such file or directory", "its disk is missing; "
	    "undefine it with 'undefine web --disk' and define it again");
	expect(&web_gone, VIR_ERR_SYSTEM_ERROR, "Cannot access storage file '"
	    DISK "' (as uid:64055, gid:108): No such file or directory",
	    "its disk is missing");
	/* Still there, but QEMU may not open it. */
	expect(&web, VIR_ERR_INTERNAL_ERROR, "internal error: qemu "
	    "unexpectedly closed the monitor: 2026-12-06T20:44:09.598291Z "
	    "qemu-system-x86_64: -blockdev {\"driver\":\"file\",\"filename\":"
	    "\"" DISK "\",\"node-name\":\"libvirt-1-storage\"}: Could not "
	    "open '" DISK "': Permission denied",
	    "its disk cannot be opened on this host; tell the admin");
}

/* The disk locked by a guest that runs, here or on another host: QEMU's
 * own image lock, virtlockd's lease (the words of the experiment in
 * tests/e2e/t-migrate.sh). */
static void
test_disk_busy(void)
{
	expect(&web, VIR_ERR_INTERNAL_ERROR, "internal error: process exited "
	    "while connecting to monitor: 2026-12-07T02:58:01.124753Z "
	    "qemu-system-x86_64: -blockdev {\"node-name\":\"libvirt-1-format\","
	    "\"read-only\":false,\"driver\":\"qcow2\",\"file\":"
	    "\"libvirt-1-storage\",\"backing\":null}: Failed to get \"write\" "
	    "lock Is another process using the image [" DISK "]?",
	    "its disk is in use by a VM that runs");
	expect(&web, VIR_ERR_RESOURCE_BUSY, "resource busy: Lockspace "
	    "resource '" DISK "' is locked", "it is not started a second time");
}

static void
test_memory(void)
{
	expect(&web, VIR_ERR_INTERNAL_ERROR, "internal error: qemu "
	    "unexpectedly closed the monitor: 2026-12-06T20:43:58.481030Z "
	    "qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot "
	    "allocate memory", "the host has not enough free memory");
	expect(&web, VIR_ERR_NO_MEMORY, "out of memory",
	    "try again later, or tell the admin");
}

static void
test_cpu(void)
{
	expect(&web, VIR_ERR_CPU_INCOMPATIBLE, "the CPU is incompatible with "
	    "host CPU: Host CPU does not provide required features: hle, rtm",
	    "this host cannot provide the CPU its template asks for");
	expect(&web, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: "
	    "CPU mode 'host-passthrough' for x86_64 qemu domain on x86_64 "
	    "host is not supported by hypervisor", "the CPU its template");
	expect(&web, VIR_ERR_INTERNAL_ERROR, "internal error: Unknown CPU "
	    "model EPYC-Genoa", "the CPU its template");
	expect(&web, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: "
	    "Domain requires KVM, but it is not available. Check that "
	    "virtualization is enabled in the host BIOS, and host "
	    "configuration is setup to load the kvm modules.",
	    "the CPU its template");
}

static void
test_network(void)
{
	expect(&web, VIR_ERR_SYSTEM_ERROR, "Cannot get interface MTU on 'br0': "
	    "No such device", "its network (a bridge or libvirt network of "
	    "the host) is not there; tell the admin");
	expect(&web, VIR_ERR_NO_NETWORK, "Network not found: no network with "
	    "matching name 'nosuchnet'", "its network");
	expect(&web, VIR_ERR_OPERATION_INVALID, "Requested operation is not "
	    "valid: network 'default' is not active", "its network");
}

/* The template names an nwfilter the host does not have: libvirt (9.0)
 * says so as an internal error. */
static void
test_firewall(void)
{
	expect(&web, VIR_ERR_INTERNAL_ERROR, "internal error: referenced "
	    "filter 'ie-vshell-student' is missing", "its firewall (a libvirt "
	    "nwfilter its template names) is not defined on this host; tell "
	    "the admin");
	expect(&web, VIR_ERR_NO_NWFILTER, "Network filter not found: no "
	    "nwfilter with matching name 'x'", "its firewall");
}

/* Anything else: libvirt's words, with the host's paths and its names of
 * domains taken out; QEMU's internal failures only by their kind. */
static void
test_other(void)
{
	char *line;

	expect(&web, VIR_ERR_INTERNAL_ERROR, "internal error: process exited "
	    "while connecting to monitor: /usr/bin/qemu-system-x86_64: "
	    "oops", "libvirt or QEMU failed; the reason is in the VM "
	    "service's log");
	line = virterr_line_new("cannot destroy web",
	    VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: "
	    "domain 'u1001_web' is not running (see /run/libvirt/qemu/"
	    "u1001_web.xml, /etc/libvirt/qemu.conf)", &web);
	g_assert_cmpstr(line, ==, "cannot destroy web: Requested operation is "
	    "not valid: domain 'web' is not running (see (a host path), "
	    "(a host path))");
	g_free(line);
	/* Slashes that are no paths stay. */
	line = virterr_line_new("x", VIR_ERR_OPERATION_INVALID, "I/O error "
	    "on 1/2 of TCP/IP", &web);
	g_assert_cmpstr(line, ==, "x: I/O error on 1/2 of TCP/IP");
	g_free(line);
	/* QEMU's lines and bytes that are not UTF-8 end up on one line of
	 * text; a name of the VM that a replacement makes is replaced too. */
	line = virterr_line_new("x", VIR_ERR_OPERATION_INVALID, "one\ntwo\r"
	    "\tthree \xff u1001_u1001_webweb", &web);
	g_assert_cmpstr(line, ==, "x: one two  three \xef\xbf\xbd webweb");
	g_free(line);
	/* Long words are capped; no VM known; no words at all. */
	line = virterr_line_new("x", VIR_ERR_OPERATION_INVALID,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    &(struct virterr_about){ 0 });
	g_assert_cmpuint(strlen(line), <=, 3 + 240 + 3);
	g_assert_true(g_str_has_suffix(line, "..."));
	g_free(line);
	line = virterr_line_new("x", VIR_ERR_OPERATION_INVALID, NULL,
	    &(struct virterr_about){ 0 });
	g_assert_cmpstr(line, ==, "x: libvirt gave no reason; tell the admin "
	    "if it happens again");
	g_free(line);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/virterr/disk", test_disk);
	g_test_add_func("/virterr/disk-busy", test_disk_busy);
	g_test_add_func("/virterr/memory", test_memory);
	g_test_add_func("/virterr/cpu", test_cpu);
	g_test_add_func("/virterr/network", test_network);
	g_test_add_func("/virterr/firewall", test_firewall);
	g_test_add_func("/virterr/other", test_other);
	return g_test_run();
}

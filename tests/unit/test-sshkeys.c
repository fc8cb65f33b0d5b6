/* Unit tests of the authorized_keys reader: fingerprints as ssh-keygen -l
 * prints them, Vagrant's insecure keys found wherever they sit in a line,
 * and a student's keys reduced to "TYPE BLOB" lines. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "sshkeys.h"

#define RSA_B64 "AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+" \
	"kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6" \
	"IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn" \
	"5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd" \
	"0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEg" \
	"E98OHlnVYCzRdK8jlqm8tehUc9c9WhQ=="
#define ED_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y"
/* A key of nobody's (ssh-keygen -t ed25519), and its fingerprint. */
#define OK_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIIC/+oPRi8FHWXAkEzDUw5gtNrLODAo5Dkddbpn/5DjK"

static void
test_fingerprint(void)
{
	char *fp = sshkey_fingerprint_new(RSA_B64);

	/* The figures Vagrant's own documentation gives. */
	g_assert_cmpstr(fp, ==, "SHA256:1M4RzhMyWuFS/86uPY/ce2prh/dVTHW7iD2RhpquOZA");
	g_free(fp);
	fp = sshkey_fingerprint_new(ED_B64);
	g_assert_cmpstr(fp, ==, "SHA256:WkvqjnyPAeC0cbPErYiGP9vqHdgL1MqqvPdIe3lvHgI");
	g_free(fp);
	g_assert_null(sshkey_fingerprint_new("not base64!"));
	g_assert_null(sshkey_fingerprint_new(""));
}

static void
test_insecure(void)
{
	static const struct {
		const char *line;
		bool rsa, ed;
	} cases[] = {
		{ "ssh-rsa " RSA_B64 " vagrant insecure public key", true,
		    false },
		{ "ssh-rsa " RSA_B64, true, false },
		{ "  ssh-rsa\t" RSA_B64 "  ", true, false },
		{ "from=\"10.0.0.1\",no-pty ssh-rsa " RSA_B64 " x", true,
		    false },
		{ "command=\"echo a b\" ssh-ed25519 " ED_B64, false, true },
		/* A key in an option still counts. */
		{ "command=\"x ssh-ed25519 " ED_B64 "\" ssh-ed25519 " OK_B64,
		    false, true },
		{ "ssh-ed25519 " OK_B64 " student", false, false },
		/* The blob must name its type. */
		{ "ssh-ed25519 " RSA_B64, false, false },
		/* Harmless: sshd skips it anyway. */
		{ "# ssh-rsa " RSA_B64, true, false },
		{ "", false, false },
		{ "ssh-rsa", false, false },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *n = sshkey_insecure(cases[i].line);

		if (cases[i].rsa)
			g_assert_cmpstr(n, ==, "Vagrant's insecure RSA key");
		else if (cases[i].ed)
			g_assert_cmpstr(n, ==, "Vagrant's insecure ED25519 key");
		else
			g_assert_null(n);
	}
}

static void
test_find(void)
{
	char *t, *b;

	g_assert_true(sshkey_find("restrict ssh-ed25519 " OK_B64 " c", &t,
	    &b));
	g_assert_cmpstr(t, ==, "ssh-ed25519");
	g_assert_cmpstr(b, ==, OK_B64);
	g_free(t);
	g_free(b);
	g_assert_false(sshkey_find("# ssh-ed25519 " OK_B64, &t, &b));
	g_assert_null(t);
	g_assert_false(sshkey_find("ssh-ed25519 AAAA", &t, &b));
	g_assert_false(sshkey_find("ssh-ed25519 " OK_B64 "=", &t, &b));
}

static void
test_clean(void)
{
	const char *text = "# my keys\n"
	    "from=\"*.example\" ssh-ed25519 " OK_B64 " me@laptop\n"
	    "ssh-rsa " RSA_B64 " vagrant\n"
	    "garbage line\n"
	    "ssh-ed25519 " OK_B64 "\r\n";
	char *c;
	int n;

	c = sshkey_clean_new(text, strlen(text), 10, &n);
	g_assert_cmpint(n, ==, 2);
	g_assert_cmpstr(c, ==, "ssh-ed25519 " OK_B64 "\nssh-ed25519 " OK_B64
	    "\n");
	g_free(c);
	c = sshkey_clean_new(text, strlen(text), 1, &n);
	g_assert_cmpint(n, ==, 1);
	g_free(c);
	c = sshkey_clean_new("", 0, 10, &n);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpstr(c, ==, "");
	g_free(c);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sshkeys/fingerprint", test_fingerprint);
	g_test_add_func("/sshkeys/insecure", test_insecure);
	g_test_add_func("/sshkeys/find", test_find);
	g_test_add_func("/sshkeys/clean", test_clean);
	return g_test_run();
}

/* ie-vshell: the students' login shell.  Runs unprivileged; everything it
 * can do goes through the broker, ie-vmd. */
#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>

#include "commands.h"
#include "conf.h"
#include "i18n.h"
#include "repl.h"
#include "tokenize.h"

/* fds 0-2 must be open, or a later open() would take their place. */
static void
sanitize_stdfds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void
usage(void)
{
	fprintf(stderr, "%s\n", _("usage: ie-vshell [-f CONFIG] "
	    "[-c 'COMMAND [ARGS]']"));
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL, *command = NULL;
	struct config *cfg;
	struct shell sh;
	char *err = NULL;
	int i, st;

	sanitize_stdfds();
	if (getuid() != geteuid() || getgid() != getegid()) {
		fprintf(stderr, "ie-vshell: refusing to run setuid or setgid\n");
		return 1;
	}
	umask(077);
	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc && !command)
			config_path = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc &&
		    i + 2 == argc)
			command = argv[++i];
		else {
			usage();
			return 2;
		}
	}
	/* Only the socket path is read.  A config the broker would refuse
	 * still leaves students a working default. */
	cfg = config_load(config_path ? config_path : CONFIG_PATH,
	    config_path == NULL, &err);
	if (cfg == NULL) {
		if (config_path != NULL) {
			fprintf(stderr, "ie-vshell: %s\n", err);
			g_free(err);
			return 2;
		}
		g_free(err);
		cfg = config_load(NULL, 1, &err);
	}
	memset(&sh, 0, sizeof(sh));
	session_init(&sh.sess, cfg->socket_path);
	config_free(cfg);
	if (command != NULL) {
		if (strlen(command) > LINE_MAX_LEN) {
			shell_error("%s", _("command too long"));
			st = 2;
		} else
			st = shell_run_line(&sh, command);
	} else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		sh.interactive = true;
		if (session_open(&sh.sess, &err) < 0) {
			shell_error("%s", err);
			g_free(err);
			st = 1;
		} else
			st = repl_interactive(&sh);
	} else
		st = repl_lines(&sh, stdin);
	session_close(&sh.sess);
	g_free(sh.sess.socket_path);
	return st;
}

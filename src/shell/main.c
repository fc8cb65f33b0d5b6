/* ie-vshell: the students' login shell.  Runs unprivileged; everything it
 * can do goes through the broker, ie-vmd. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib.h>

#include "commands.h"
#include "conf.h"
#include "hygiene.h"
#include "i18n.h"
#include "lang.h"
#include "repl.h"
#include "tokenize.h"
#include "upload.h"

static void
usage(void)
{
	fprintf(stderr, "%s\n", _("usage: ie-vshell [-L DIR] [-f CONFIG] "
	    "[-c 'COMMAND [ARGS]']"));
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL, *command = NULL, *locpath = NULL, *bad;
	struct config *cfg;
	struct shell sh;
	char *err = NULL;
	bool bad_usage = false;
	int i, st;

	/* First: setlocale() below reads the environment. */
	if (hygiene_init() < 0)
		return 1;
	umask(077);
	/* argv is sshd's (-c and the student's words) or the admin's: -L
	 * and -f are never the student's. */
	for (i = 1; i < argc && !bad_usage; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc && !command)
			config_path = argv[++i];
		else if (strcmp(argv[i], "-L") == 0 && i + 1 < argc &&
		    !command)
			locpath = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc &&
		    i + 2 == argc)
			command = argv[++i];
		else
			bad_usage = true;
	}
	i18n_init(LOCALEDIR, locpath);
	if ((bad = shell_table_check()) != NULL) {
		fprintf(stderr, "ie-vshell: command table: %s is amiss\n", bad);
		return 1;
	}
	if (bad_usage) {
		usage();
		return 2;
	}
	/* Only the socket path, the [upload] keys and [language] are read.
	 * A config the broker would refuse still leaves students a working
	 * default. */
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
	lang_apply_config(cfg);
	memset(&sh, 0, sizeof(sh));
	session_init(&sh.sess, cfg->socket_path);
	sh.upload_dir = g_strdup(cfg->upload_dir);
	if (command != NULL) {
		/* A transfer does not come back unless it failed.  Overlong
		 * input is refused (and audited) by the tokenizer. */
		if ((st = upload_run(&sh, cfg, command)) == UPLOAD_NOT_MINE)
			st = shell_run_line(&sh, command);
	} else if (session_open(&sh.sess, &err) < 0) {
		/* A login session, at a terminal or not: the broker's account
		 * check and session limit apply now, not at the first line. */
		shell_error("%s", err);
		g_free(err);
		st = 1;
	} else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		sh.interactive = true;
		st = repl_interactive(&sh);
	} else
		st = repl_lines(&sh, stdin);
	session_close(&sh.sess);
	g_free(sh.sess.socket_path);
	g_free(sh.upload_dir);
	config_free(cfg);
	return st;
}

/* The prompt.  libedit's native API is used without el_source(), so neither
 * ~/.editrc nor $EDITRC is ever read. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <histedit.h>
#include <glib.h>

#include "cmdtab.h"
#include "commands.h"
#include "i18n.h"
#include "images.h"
#include "names.h"
#include "proto.h"
#include "repl.h"
#include "tokenize.h"

#define HISTORY_SIZE 1000
#define HISTORY_FILE ".ie-vshell_history"

static volatile sig_atomic_t got_sigwinch;

static void
on_sigwinch(int sig)
{
	got_sigwinch = 1;
}

static char *
prompt(EditLine *el)
{
	return "ie-vshell> ";
}

/* SIGWINCH is blocked except while waiting for a key, so a resize can
 * never slip in between the check and a blocking read. */
static sigset_t wait_mask;

/* Our own reader: libedit's would need its signal handling, which would
 * re-raise signals at us. */
static int
getc_fn(EditLine *el, wchar_t *wc)
{
	static mbstate_t mbs;
	char ch;

	for (;;) {
		struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
		ssize_t n;
		size_t r;

		if (got_sigwinch) {
			got_sigwinch = 0;
			el_resize(el);
		}
		if (ppoll(&p, 1, NULL, &wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((n = read(STDIN_FILENO, &ch, 1)) == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		r = mbrtowc(wc, &ch, 1, &mbs);
		if (r == (size_t)-2)
			continue;
		if (r == (size_t)-1) {
			memset(&mbs, 0, sizeof(mbs));
			*wc = L'?';
		}
		return 1;
	}
}

static char *
longest_common_prefix(char **v, int n)
{
	size_t len = strlen(v[0]);
	int i;

	for (i = 1; i < n; i++) {
		size_t j = 0;

		while (j < len && v[i][j] == v[0][j])
			j++;
		len = j;
	}
	return g_strndup(v[0], len);
}

/* Which positional argument the word after words[0..nwords-1] is, or -1
 * if it is an option's value (*opt then says which option's). */
static int
position(const struct cmd_def *d, char **words, int nwords, char **pos,
    const struct cmd_opt **opt)
{
	int i, o, n = 0;

	for (i = 1; i < nwords; i++) {
		for (o = 0; o < CMD_MAX_OPTS && d->opts[o].name; o++)
			if (strcmp(words[i], d->opts[o].name) == 0)
				break;
		if (o < CMD_MAX_OPTS && d->opts[o].name) {
			if (d->opts[o].flags & OPT_VALUE && ++i == nwords) {
				*opt = &d->opts[o];
				return -1;
			}
			continue;
		}
		if (n < CMD_MAX_POS)
			pos[n] = words[i];
		n++;
	}
	return n;
}

static void
add_all(GPtrArray *out, char **v)
{
	int i;

	for (i = 0; v[i] != NULL; i++)
		g_ptr_array_add(out, v[i]);
	g_free(v);
}

/* Only names that follow the name rule: one made outside ie-vshell could
 * hold what the line editor would insert or show raw. */
static void
add_valid(GPtrArray *out, char **v)
{
	int i;

	for (i = 0; v[i] != NULL; i++)
		if (vm_name_valid(v[i]))
			g_ptr_array_add(out, v[i]);
		else
			g_free(v[i]);
	g_free(v);
}

/* Candidates for positional argument n of d, by its kind in the table. */
static void
arg_candidates(struct shell *sh, const struct cmd_def *d, int n,
    char **pos, GPtrArray *out)
{
	char *argv[] = { "snapshot", NULL, "list", NULL };
	size_t i;

	switch (n < 0 || n >= d->max_pos ? ARG_NONE : d->args[n]) {
	case ARG_VM:
		add_valid(out, shell_vm_names(sh));
		break;
	case ARG_UPLOAD:
		add_all(out, images_upload_names(sh));
		break;
	case ARG_COMMAND:
		for (i = 0; i < cmd_table_len; i++)
			g_ptr_array_add(out, g_strdup(cmd_table[i].name));
		break;
	case ARG_ACTION:
		add_all(out, g_strsplit(d->actions, " ", -1));
		break;
	case ARG_SNAPSHOT:
		/* A new snapshot's name is the user's to make up. */
		if (strcmp(pos[1], "create") == 0)
			break;
		argv[1] = pos[0];
		add_valid(out, shell_column(sh, argv, 3, "snapshot"));
		break;
	default:
		break;
	}
}

/* Candidates for the value of option o. */
static void
value_candidates(struct shell *sh, const struct cmd_opt *o, GPtrArray *out)
{
	if (o != NULL && o->value == ARG_BASE)
		add_valid(out, shell_base_names(sh));
}

static char **
candidates(struct shell *sh, char **words, int nwords)
{
	const struct cmd_def *d;
	GPtrArray *out = g_ptr_array_new();
	char *pos[CMD_MAX_POS] = { 0 };
	size_t i;
	int j;

	if (nwords == 0) {
		for (i = 0; i < cmd_table_len; i++)
			g_ptr_array_add(out, g_strdup(cmd_table[i].name));
	} else if ((d = cmd_find(words[0])) != NULL) {
		const struct cmd_opt *o = NULL;
		int n = position(d, words, nwords, pos, &o);

		for (j = 0; n >= 0 && j < CMD_MAX_OPTS && d->opts[j].name;
		    j++)
			if (!(d->opts[j].flags & OPT_ADMIN) || sh->sess.admin)
				g_ptr_array_add(out, g_strdup(d->opts[j].name));
		if (n < 0)
			value_candidates(sh, o, out);
		else
			arg_candidates(sh, d, n, pos, out);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void
list_matches(EditLine *el, char **m, int n)
{
	int i;

	fputc('\n', stdout);
	for (i = 0; i < n; i++)
		printf("%s%s", m[i], i + 1 < n ? "  " : "\n");
	fflush(stdout);
}

/* Tab: complete the word before the cursor from the command table or the
 * user's own VM names. */
static unsigned char
complete(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	struct shell *sh = NULL;
	char *before, **words, **cand, **match, *partial, *common;
	int nwords, n = 0, i, ret = CC_ERROR;
	const char *why;
	size_t plen;

	el_get(el, EL_CLIENTDATA, &sh);
	before = g_strndup(li->buffer, li->cursor - li->buffer);
	if (tokenize(before, &words, &nwords, &why) < 0) {
		g_free(before);
		return CC_ERROR;
	}
	/* The last word is the one being completed, unless the cursor
	 * follows a blank. */
	if (nwords > 0 && before[0] != '\0' &&
	    !strchr(" \t", before[strlen(before) - 1])) {
		partial = words[--nwords];
	} else
		partial = "";
	plen = strlen(partial);
	cand = candidates(sh, words, nwords);
	match = g_new0(char *, g_strv_length(cand) + 1);
	for (i = 0; cand[i] != NULL; i++)
		if (strncmp(cand[i], partial, plen) == 0)
			match[n++] = cand[i];
	if (n == 1) {
		char *rest = g_strconcat(match[0] + plen, " ", NULL);

		el_insertstr(el, rest);
		g_free(rest);
		ret = CC_REFRESH;
	} else if (n > 1) {
		common = longest_common_prefix(match, n);
		if (strlen(common) > plen) {
			el_insertstr(el, common + plen);
			ret = CC_REFRESH;
		} else {
			list_matches(el, match, n);
			ret = CC_REDISPLAY;
		}
		g_free(common);
	}
	g_free(match);
	g_strfreev(cand);
	g_strfreev(words);
	g_free(before);
	return ret;
}

static char *
history_path(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL || pw->pw_dir == NULL || pw->pw_dir[0] != '/')
		return NULL;
	return g_build_filename(pw->pw_dir, HISTORY_FILE, NULL);
}

/* Ctrl-C is a key while editing (the line discipline's ISIG is off then,
 * see setty below) and is ignored while a command runs: the broker
 * finishes a request it has started whatever the shell does. */
static void
install_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigwinch;	/* no SA_RESTART: ppoll must stop */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGWINCH);
}

/* Ctrl-C at the prompt: drop what was typed and start a fresh line. */
static bool abandoned;

static unsigned char
abandon(EditLine *el, int ch)
{
	abandoned = true;
	fputs("^C\n", stdout);
	return CC_NEWLINE;
}

static bool
blank(const char *line)
{
	return line[strspn(line, " \t\n")] == '\0';
}

int
repl_interactive(struct shell *sh)
{
	EditLine *el = el_init("ie-vshell", stdin, stdout, stderr);
	History *hist = history_init();
	char *hpath = history_path();
	HistEvent ev;
	int count;

	if (el == NULL || hist == NULL) {
		fprintf(stderr, _("error: %s\n"), _("cannot set up the line "
		    "editor"));
		return 1;
	}
	install_signals();
	history(hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(hist, &ev, H_SETUNIQUE, 1);
	if (hpath != NULL)
		history(hist, &ev, H_LOAD, hpath);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_PROMPT, prompt);
	el_set(el, EL_HIST, history, hist);
	el_set(el, EL_CLIENTDATA, sh);
	el_set(el, EL_GETCFN, getc_fn);
	/* The wide call: libedit's narrow EL_ADDFN leaks its copies. */
	el_wset(el, EL_ADDFN, L"ie-complete", L"complete a command or VM name",
	    complete);
	el_set(el, EL_BIND, "^I", "ie-complete", NULL);
	el_wset(el, EL_ADDFN, L"ie-abandon", L"abandon the line", abandon);
	el_set(el, EL_BIND, "^C", "ie-abandon", NULL);
	el_set(el, EL_SETTY, "-d", "-isig", NULL);
	shell_banner(sh);
	while (!sh->quit) {
		const char *line;
		char *copy;

		abandoned = false;
		line = el_gets(el, &count);
		if (abandoned)
			continue;
		if (line == NULL) {
			fputc('\n', stdout);
			break;		/* Ctrl-D or end of input */
		}
		if (blank(line))
			continue;
		copy = g_strdup(line);
		g_strchomp(copy);
		if (strlen(copy) <= LINE_MAX_LEN)
			history(hist, &ev, H_ENTER, copy);
		shell_run_line(sh, copy);
		g_free(copy);
	}
	if (hpath != NULL)
		history(hist, &ev, H_SAVE, hpath);
	g_free(hpath);
	history_end(hist);
	el_end(el);
	return 0;
}

/* Reads one line, keeping at most LINE_MAX_LEN bytes of it in buf
 * (LINE_MAX_LEN + 1 bytes): a longer line is consumed to its end but not
 * kept, so memory stays bounded whatever arrives on stdin.  *len is the
 * line's full length.  Returns 0, -1 at the end of input, -2 for a line
 * too long, -3 for a NUL inside. */
static int
read_line(FILE *in, char *buf, size_t *len)
{
	size_t n = 0;
	bool any = false;
	int c;

	*len = 0;
	while ((c = getc(in)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (n < LINE_MAX_LEN)
			buf[n++] = c;
		(*len)++;
	}
	buf[n] = '\0';
	if (!any)
		return -1;
	if (*len > n)
		return -2;
	return memchr(buf, '\0', n) != NULL ? -3 : 0;
}

int
repl_lines(struct shell *sh, FILE *in)
{
	char *line = g_malloc(LINE_MAX_LEN + 1);
	size_t len;
	int st = 0, r;

	while (!sh->quit && (r = read_line(in, line, &len)) != -1) {
		if (r == -2 || r == -3) {
			shell_refuse(sh, r == -2 ? N_("line too long") :
			    N_("control character in input"), line, len);
			r = ST_USAGE;
		} else if (blank(line))
			continue;
		else
			r = shell_run_line(sh, line);
		if (r != 0)
			st = r;
	}
	g_free(line);
	return st;
}

/* Checks of the name rules and the command table, shared by the targets
 * for the shell's input (fuzz-tokenize) and the broker's (fuzz-proto). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cmdtab.h"
#include "fuzz.h"
#include "names.h"
#include "proto.h"

/* Root, a student, and the largest uid a domain name may carry ((uid_t)-1
 * is "no user"). */
static const uid_t uids[] = { 0, 1000, (uid_t)-2 };

static bool
all_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGIT "0123456789"

/* A valid VM name is what the rule says, and it maps to exactly one
 * domain name and back, whatever the uid. */
static void
check_vm_name(const char *s)
{
	char vm[VM_NAME_MAX + 1], *dom;
	uid_t uid;
	size_t i;

	if (!vm_name_valid(s))
		return;
	CHECK(s[0] != '\0' && s[0] != '-' && strlen(s) <= VM_NAME_MAX);
	CHECK(all_of(s, LOWER DIGIT "-"));
	for (i = 0; i < G_N_ELEMENTS(uids); i++) {
		dom = domain_name_new(uids[i], s);
		CHECK(domain_name_parse(dom, &uid, vm) == 0);
		CHECK(uid == uids[i] && strcmp(vm, s) == 0);
		g_free(dom);
	}
}

void
fuzz_check_names(const char *s)
{
	char vmbuf[VM_NAME_MAX + 1], *user, *vm, *dom, *joined;
	uid_t uid;

	check_vm_name(s);
	if (user_name_valid(s)) {
		CHECK(s[0] != '\0' && s[0] != '-');
		CHECK(strlen(s) <= USER_NAME_MAX);
		CHECK(all_of(s, LOWER UPPER DIGIT "_-."));
	}
	/* One spelling per domain: "u01_x" must not alias "u1_x". */
	if (domain_name_parse(s, &uid, vmbuf) == 0) {
		CHECK(uid != (uid_t)-1 && vm_name_valid(vmbuf));
		dom = domain_name_new(uid, vmbuf);
		CHECK(strcmp(dom, s) == 0);
		g_free(dom);
	}
	if (vm_ref_split(s, &user, &vm) < 0) {
		CHECK(user == NULL && vm == NULL);
		return;
	}
	CHECK(vm != NULL && strchr(vm, '/') == NULL);
	if (user == NULL)
		CHECK(strcmp(vm, s) == 0);
	else {
		CHECK(user[0] != '\0' && strchr(user, '/') == NULL);
		joined = g_strconcat(user, "/", vm, NULL);
		CHECK(strcmp(joined, s) == 0);
		g_free(joined);
	}
	check_vm_name(vm);
	g_free(user);
	g_free(vm);
}

static bool
is_arg(int argc, char **argv, const char *p)
{
	int i;

	for (i = 1; i < argc; i++)
		if (p == argv[i])
			return true;
	return false;
}

/* What a successful parse promises its callers: the handlers index pos[]
 * and opt[] without further checks. */
static void
check_call(int argc, char **argv, const struct cmd_call *call)
{
	const struct cmd_def *d = call->def;
	int i;

	CHECK(d != NULL && d == cmd_find(argv[0]));
	CHECK(call->npos >= d->min_pos && call->npos <= d->max_pos);
	CHECK(d->max_pos <= CMD_MAX_POS);
	for (i = 0; i < call->npos; i++)
		CHECK(is_arg(argc, argv, call->pos[i]));
	for (i = 0; i < CMD_MAX_OPTS; i++) {
		if (call->opt[i] == NULL)
			continue;
		CHECK(d->opts[i].name != NULL);
		CHECK(cmd_opt_value(call, d->opts[i].name) == call->opt[i]);
		if (d->opts[i].flags & OPT_VALUE)
			CHECK(is_arg(argc, argv, call->opt[i]));
		else
			CHECK(call->opt[i][0] == '\0');
	}
}

void
fuzz_check_request(int argc, char **argv)
{
	struct cmd_call call;
	char err[512], usage[256];
	int i, st;

	for (i = 0; i < argc; i++)
		fuzz_check_names(argv[i]);
	if (argc < 1)
		return;
	/* A marker after the terminator shows an unterminated message. */
	memset(err, 'x', sizeof(err));
	st = cmd_parse(argc, argv, &call, err, sizeof(err));
	if (st != ST_OK) {
		CHECK(st == ST_USAGE && memchr(err, '\0', sizeof(err)));
		CHECK(err[0] != '\0');
		return;
	}
	check_call(argc, argv, &call);
	cmd_usage(call.def, usage, sizeof(usage));
	CHECK(memchr(usage, '\0', sizeof(usage)) != NULL);
	/* The policy's resolve() reads pos[0] without looking at npos. */
	if (call.def->flags & (CMD_VMARG | CMD_NEWVM))
		CHECK(call.npos >= 1 && call.pos[0] != NULL);
}

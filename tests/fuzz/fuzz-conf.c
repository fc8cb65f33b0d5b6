/* libFuzzer target: ie-vshell.conf through config_load(), which reads a
 * path: the input goes into one memory file per process, named through
 * /proc/self/fd. */
#include "config.h"	/* first: _GNU_SOURCE for memfd_create() */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <glib.h>

#include "conf.h"
#include "fuzz.h"
#include "names.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int conf_fd = -1;
static char conf_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((conf_fd = memfd_create("fuzz-conf", 0)) < 0)
		abort();
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static void
check_path(const char *p)
{
	CHECK(p != NULL && p[0] == '/');
	CHECK(strstr(p, "/../") == NULL && !g_str_has_suffix(p, "/.."));
}

/* What the callers rely on without checking again. */
static void
check_config(const struct config *c)
{
	CHECK(c->path != NULL && strcmp(c->path, conf_path) == 0);
	check_path(c->socket_path);
	check_path(c->pool_dir);
	check_path(c->template_dir);
	CHECK(c->max_clients >= 1 && c->max_clients <= 4096);
	CHECK(user_name_valid(c->admin_group));
	CHECK(user_name_valid(c->default_template));
	CHECK(c->uri != NULL && c->uri[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char *err = (char *)"unset";

	if (ftruncate(conf_fd, 0) < 0 ||
	    pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	c = config_load(conf_path, 0, &err);
	if (c == NULL) {
		/* Errors name the file, so the admin knows which. */
		CHECK(err != NULL && g_str_has_prefix(err, conf_path));
	} else {
		CHECK(err == NULL);
		check_config(c);
	}
	g_free(err);
	config_free(c);
	return 0;
}

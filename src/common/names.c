/* Lexical rules for VM and user names, and the libvirt domain name scheme. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "names.h"

bool
vm_name_valid(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return false;
	n = strlen(name);
	if (n == 0 || n > VM_NAME_MAX || name[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return false;
	}
	return true;
}

/* POSIX portable user names plus what LDAP directories commonly use
 * (student numbers such as 20b.123).  The name is the last component of
 * the upload area's path: "." and ".." are not names. */
bool
user_name_valid(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return false;
	n = strlen(name);
	if (n == 0 || n > USER_NAME_MAX || name[0] == '-' ||
	    strspn(name, ".") == n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = name[i];

		if (!(g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

char *
domain_name_new(uid_t uid, const char *vm)
{
	return g_strdup_printf("u%lu_%s", (unsigned long)uid, vm);
}

int
domain_name_parse(const char *name, uid_t *uid, char *vm)
{
	const char *sep;
	char *end;
	unsigned long v;

	if (name == NULL || name[0] != 'u' || !g_ascii_isdigit(name[1]))
		return -1;
	sep = strchr(name, '_');
	if (sep == NULL || !vm_name_valid(sep + 1))
		return -1;
	errno = 0;
	v = strtoul(name + 1, &end, 10);
	if (errno != 0 || end != sep || v > (uid_t)-1 - 1 ||
	    (name[1] == '0' && end - name > 2))
		return -1;
	*uid = (uid_t)v;
	g_strlcpy(vm, sep + 1, VM_NAME_MAX + 1);
	return 0;
}

int
vm_ref_split(const char *ref, char **user, char **vm)
{
	const char *slash = strchr(ref, '/');

	*user = *vm = NULL;
	if (slash == NULL) {
		*vm = g_strdup(ref);
		return 0;
	}
	if (slash == ref || strchr(slash + 1, '/') != NULL)
		return -1;
	*user = g_strndup(ref, slash - ref);
	*vm = g_strdup(slash + 1);
	return 0;
}

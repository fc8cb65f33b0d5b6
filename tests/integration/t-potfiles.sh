#!/bin/bash
# Every source file that marks messages for translation, with _() or N_(),
# is in po/POTFILES.in, where xgettext looks for them; every file listed
# there exists.  i18n.h, which defines the two, is no such file.
. "$(dirname "$0")/lib.sh"

POTFILES="$top_srcdir/po/POTFILES.in"
check "po/POTFILES.in is there" [ -f "$POTFILES" ]
listed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$POTFILES")
marking=$(cd "$top_srcdir" && grep -lE '(^|[^A-Za-z0-9_])N?_\(' \
    src/*/*.c src/*/*.h | grep -v '^src/common/i18n\.h$')
check "some source files mark messages" [ -n "$marking" ]
for f in $marking; do
	check "$f is in po/POTFILES.in" grep -qxF "$f" <<<"$listed"
done
for f in $listed; do
	check "listed $f exists" [ -f "$top_srcdir/$f" ]
done
done_testing

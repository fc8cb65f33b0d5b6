#!/bin/bash
# make install makes the broker's directories at their default paths, as
# ie-vmd --check wants them: the pool 0711, the upload areas' parent 0755
# (root's when root installs), and leaves existing ones as they are; the
# templates and the nwfilters they name go under the config directory.
. "$(dirname "$0")/lib.sh"

[ -f "$top_builddir/Makefile" ] || skip "no Makefile in $top_builddir"
DEST=$TMP/dest
# make_install: a make of its own, not a job of the make check running this.
make_install() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" \
	    install DESTDIR="$DEST" >"$OUT" 2>"$ERR"
	RC=$?
}
make_install
check "make install DESTDIR=... succeeds" rc_is 0
VAR=$(find "$DEST" -type d -path '*/lib/ie-vshell')
check "it makes lib/ie-vshell in the state directory" [ -n "$VAR" ]
me=$(id -un)
check "the pool: the installer's, 0711" \
    [ "$(stat -c '%U %a' "$VAR/pool")" = "$me 711" ]
check "the upload areas' parent: the installer's, 0755" \
    [ "$(stat -c '%U %a' "$VAR/upload")" = "$me 755" ]
ETC=$(find "$DEST" -type d -path '*/etc/ie-vshell')
check "the default template is installed" [ -f "$ETC/templates/default.xml" ]
check "the filter it names is installed beside the templates" \
    [ -f "$ETC/nwfilter/ie-vshell-student.xml" ]
check "and the restricted one" \
    [ -f "$ETC/nwfilter/ie-vshell-student-restricted.xml" ]
check "the template directory holds templates only" \
    [ "$(ls "$ETC/templates")" = default.xml ]
chmod 700 "$VAR/pool"
make_install
check "installed again" rc_is 0
check "an existing pool keeps its mode" [ "$(stat -c %a "$VAR/pool")" = 700 ]
done_testing

#!/bin/bash
# The six original commands through the real shell and the real broker on
# libvirt's test driver, as one user, via -c and via line mode.
. "$(dirname "$0")/lib.sh"

start_vmd || exit 1

vsh -c 'list'
check "list with no VMs succeeds" rc_is 0
check "empty list says how to begin" out_has "define NAME"

vsh -c 'define web'
check "define web" rc_is 0
check "define reports the VM" out_has "defined web"

vsh -c 'define web'
check "define of an existing name fails" rc_is 1
check "and says it exists" err_has "already exists"
check "with one line" err_one_line

vsh -c 'list'
check "list shows web shut off" out_has "^web  *shut off  *-$"

vsh -c 'start web'
check "start web" rc_is 0
vsh -c 'list'
check "list shows web running" out_has "^web  *running  *[-0-9.]*$"
vsh -c 'start web'
check "start of a running VM fails" rc_is 1
check "and says so" err_has "already running"

vsh -c 'dumpxml web'
check "dumpxml web" rc_is 0
check "dumpxml shows the owner record" out_has 'urn:ie-vshell:owner:1'
check "dumpxml shows the disk, qcow2 stated" out_has "type=.qcow2."
check "dumpxml has the pool path" out_has "$TMP/pool/$(id -u)/web.qcow2"

vsh -c 'undefine web'
check "undefine of a running VM fails" rc_is 1
check "and says destroy first" err_has "destroy it first"

vsh -c 'destroy web'
check "destroy web" rc_is 0
vsh -c 'destroy web'
check "destroy of a stopped VM fails" rc_is 1
check "and says it is not running" err_has "not running"

vsh -c 'undefine web'
check "undefine web" rc_is 0
vsh -c 'list'
check "web is gone" out_lacks "web"
vsh -c 'start web'
check "start of a missing VM fails" rc_is 1
check "no such VM" err_has "no such VM: web"

vsh -c 'define small --template nosuch'
check "unknown template fails" rc_is 1
check "and lists the available ones" err_has "available: default"

vsh -c 'define'
check "define without a name is a usage error" rc_is 2
check "with the usage line" err_has "usage: define NAME"

vsh -c 'define Bad_Name'
check "an invalid name is refused" rc_is 2
check "stating the rule" err_has "lowercase letters, digits"

vsh -c "define $(printf 'a%.0s' $(seq 33))"
check "a 33-character name is refused" rc_is 2

vsh -c 'list --all'
check "list --all is refused to non-admins" rc_is 1
check "as admin-only" err_has "admins only"

# Line mode: commands from a pipe, no prompt noise, status of the failures.
printf 'define a\ndefine b\n\nlist\nstart a\n' | "$SH" -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "line mode runs every line" rc_is 0
check "line mode prints no prompt" out_lacks "ie-vshell>"
check "line mode lists a" out_has "^a  *shut off  *-$"
check "line mode runs the last line" out_has "^started a$"
check "line mode lists b" out_has "^b  *shut off  *-$"
printf 'start nosuch\nlist\n' | "$SH" -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "line mode exits non-zero when a command failed" rc_is 1
check "and goes on after the failure" out_has "^a "

vsh -c 'help'
check "help succeeds" rc_is 0
for c in list define undefine start destroy dumpxml help exit; do
	check "help lists $c" out_has "^  $c"
done
vsh -c 'help define'
check "help define shows the option" out_has "--template T"

# The shell links no JSON library and so no GObject or GIO: the broker
# writes the JSON, and the shell's idle memory stays small.
check "the shell links no json-glib, GObject or GIO" sh -c \
    "! ldd '$SH' | grep -E 'libjson-glib|libgobject|libgio'"

done_testing

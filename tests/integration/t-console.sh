#!/bin/bash
# console on libvirt's test driver (which has no consoles: the e2e tier
# attaches to a real one): who may ask, and clean refusals.
. "$(dirname "$0")/lib.sh"

need_root
ADMIN_GROUP=ievs-t-cadmins
make_group "$ADMIN_GROUP" || exit 1
make_user ievcona || exit 1
make_user ievconb || exit 1
make_user ievconadm "$ADMIN_GROUP" || exit 1
A=ievcona B=ievconb ADM=ievconadm
start_vmd || exit 1

vsh -u $A -c "define web"
vsh -u $A -c "console web"
check "console of a shut-off VM is refused" rc_is 1
check "saying how to start it" err_has "web is not running; 'start web' boots it"
check "in one line" err_one_line
vsh -u $A -c "start web"
vsh -u $A -c "console web"
check "the owner's console request reaches libvirt" \
    err_has "cannot open the console"
check "and fails cleanly where the driver has none" rc_is 1
check "in one line" err_one_line
vsh -u $A -c "list"
check "the shell and broker go on" out_has "web.*running"

vsh -u $B -c "console web"
check "another user's console web is refused" rc_is 1
check "as if it did not exist" err_has "no such VM: web"
vsh -u $B -c "console $A/web"
check "USER/NAME is for admins only" rc_is 1
check "and shows nothing of it" out_lacks "web"
vsh -u $ADM -c "console $A/web"
check "an admin's console $A/web passes the ownership check" \
    err_has "cannot open the console"
vsh -u $A -c "console"
check "console without a name is a usage error" rc_is 2
vsh -u $A -c "console web --forc"
check "an unknown option is a usage error" rc_is 2
vsh -u $A -c "help console"
check "help console names Ctrl-]" out_has "Ctrl-]"
check "and --force" out_has "--force"
check "console requests are audited, refusals too" grep -q \
    "audit: uid=$(id -u $B) user=$B cmd=console args=\[\"web\"\] result=failed" \
    "$TMP/vmd.log"

done_testing

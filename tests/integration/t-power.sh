#!/bin/bash
# shutdown, reboot and reset: for the owner, refused for another user as
# if the VM did not exist; a guest that does not stop is reported, or
# powered off with --force after the timeout; the wait holds no lock.
. "$(dirname "$0")/lib.sh"

need_root
make_user ievpw-a || exit 1
make_user ievpw-b || exit 1
A=ievpw-a B=ievpw-b

# A guest that ignores ACPI: the test driver applies <on_poweroff> to a
# shutdown request, and "restart" leaves the guest running, as a guest
# that ignores the request would be.
mkdir -p "$TMP/templates"
cp "$TEST_TEMPLATE" "$TMP/templates/default.xml"
sed 's|<on_poweroff>destroy</on_poweroff>|<on_poweroff>restart</on_poweroff>|' \
    "$TEST_TEMPLATE" > "$TMP/templates/stubborn.xml"
chmod 755 "$TMP/templates"
chmod 644 "$TMP/templates"/*.xml
TEMPLATE_DIR="$TMP/templates"
write_config
start_vmd || exit 1

vsh -u $A -c 'define web'; check "$A defines web" rc_is 0
vsh -u $A -c 'shutdown web'
check "shutdown of a stopped VM fails" rc_is 1
check "saying it is not running" err_has "web is not running"
vsh -u $A -c 'reboot web'
check "reboot of a stopped VM fails" rc_is 1
check "with a hint to start it" err_has "'start web' boots it"
vsh -u $A -c 'reset web'; check "reset of a stopped VM fails" rc_is 1

vsh -u $A -c 'start web'
vsh -u $A -c 'reboot web'
check "reboot web" rc_is 0
check "reports the request" out_has "asked web to restart"
vsh -u $A -c 'reset web'
check "reset web" rc_is 0
check "reports the reset" out_has "^reset web$"
vsh -u $A -c 'list'
check "web still runs after reboot and reset" out_has "^web  *running"

# Another user: refused exactly like a VM that does not exist.
for cmd in "shutdown web" "shutdown web --timeout 1 --force" "reboot web" "reset web"; do
	vsh -u $B -c "$cmd"
	check "$B: $cmd fails" rc_is 1
	check "$B: $cmd says no such VM" err_has "^error: no such VM: web$"
	vsh -u $B -c "${cmd/web/$A/web}"
	check "$B: ${cmd/web/$A/web} is denied" err_has "permission denied"
done
vsh -u $A -c 'list'
check "$A's web still runs after $B's attempts" out_has "^web  *running"

# Bad input: nothing done.
vsh -u $A -c 'shutdown web --timeout soon'
check "a timeout that is no number is a usage error" rc_is 2
check "naming the range" err_has "invalid timeout 'soon'"
vsh -u $A -c 'shutdown web --timeout 0 --force'
check "--force with no wait is a usage error" rc_is 2
check "pointing at destroy" err_has "'destroy web'"
vsh -u $A -c 'shutdown web --timeout 99999'; check "a timeout too long" rc_is 2
vsh -u $A -c 'list'
check "web still runs after the bad requests" out_has "^web  *running"

vsh -u $A -c 'shutdown web --timeout 0'
check "shutdown --timeout 0 asks and returns" out_has "asked web to shut down"
vsh -u $A -c 'list'
check "a guest that honours ACPI is off" out_has "^web  *shut off"
vsh -u $A -c 'start web'
vsh -u $A -c 'shutdown web --timeout 5'
check "shutdown of a guest that honours ACPI" rc_is 0
check "reports it has shut down" out_has "web has shut down"

# The guest that ignores ACPI: reported after the timeout, or forced.
vsh -u $A -c 'define stub --template stubborn'; check "define stub" rc_is 0
vsh -u $A -c 'start stub'
t0=$(date +%s.%N)
vsh -u $A -c 'shutdown stub --timeout 3'
t1=$(date +%s.%N)
check "without --force, a guest that did not stop fails" rc_is 1
check "saying it did not stop" err_has "stub did not stop within 3 s"
check "with the way out" err_has "'shutdown stub --force' or 'destroy stub'"
check "in one line" err_one_line
check "after the timeout (3 s)" python3 -c "import sys; d=$t1-$t0; sys.exit(not 2.9 <= d < 6)"
vsh -u $A -c 'list'
check "stub still runs" out_has "^stub  *running"

# While one session waits, the user's other sessions and other users go on.
start_t=$(date +%s.%N)
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    "$SH" -f "$CONF" -c 'shutdown stub --timeout 5 --force' >"$TMP/force.out" 2>"$TMP/force.err" &
waiter=$!
sleep 1
vsh -u $A -c 'start web'
mid_t=$(date +%s.%N)
check "the same user's start runs during the wait" rc_is 0
check "without waiting for it" python3 -c "import sys; sys.exit(not $mid_t - $start_t < 3.5)"
vsh -u $B -c 'define other'
check "another user is served during the wait" rc_is 0
wait $waiter
RC=$?
end_t=$(date +%s.%N)
cp "$TMP/force.out" "$OUT"; cp "$TMP/force.err" "$ERR"
check "shutdown --timeout 5 --force succeeds" rc_is 0
check "reporting the power-off" out_has "stub did not stop within 5 s; powered it off"
check "after about 5 s" python3 -c "import sys; d=$end_t-$start_t; sys.exit(not 4.9 <= d < 9)"
vsh -u $A -c 'list'
check "stub is shut off" out_has "^stub  *shut off"
check "web was started meanwhile" out_has "^web  *running"

# A shell that goes away during the wait: the broker stops waiting (and
# forces nothing) instead of keeping a thread for the whole timeout.
vsh -u $A -c 'start stub'
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    "$SH" -f "$CONF" -c 'shutdown stub --timeout 60 --force' >/dev/null 2>&1 &
waiter=$!
sleep 1
{ kill -KILL $waiter; wait $waiter; } 2>/dev/null
i=0
while ! grep -q "cmd=shutdown args=\[\"stub\" \"--timeout\" \"60\" \"--force\"\] result=failed reason=\"stopped waiting for stub to shut down: the connection is closing\"" "$TMP/vmd.log" && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the broker stops waiting when the shell goes away" [ $i -lt 30 ]
vsh -u $A -c 'list'
check "and forces nothing" out_has "^stub  *running"

grep -q "audit: uid=$(id -u $A) user=$A cmd=shutdown args=\[\"stub\" \"--timeout\" \"5\" \"--force\"\] result=ok" "$TMP/vmd.log"
check "the forced shutdown is audited" [ $? -eq 0 ]
grep -q "audit: uid=$(id -u $B) user=$B cmd=reboot args=\[\"$A/web\"\] result=denied" "$TMP/vmd.log"
check "the other user's attempt is audited as denied" [ $? -eq 0 ]
done_testing

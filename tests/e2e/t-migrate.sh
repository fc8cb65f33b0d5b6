#!/bin/bash
# VMs that move between blades (blades.sh: three privileged libvirtds on
# this machine, one pool directory, each blade with libvirt's lock
# manager): an admin migrates a running guest live and it goes on
# printing on its console; a blade with four running VMs is drained and
# every one keeps running elsewhere; a student's start on a full blade
# starts the VM on another; the same disk defined on two blades by hand is
# not started twice, and the broker says why; a blade lost for good is
# recovered: its VMs defined on the others, shut off, none started twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blades.sh"

S=ievsmgs	# the guest that prints
D=ievsmgd	# four small VMs, drained
F=ievsmgf	# a start on a full blade; the disk used twice
ADM=ievsmgadm

# blade3 offers 1 GiB: the four small VMs (256 MiB each) fill it, as does
# one big VM (1 GiB).  The pool is a directory of this machine, which
# libvirt cannot tell is shared: shared_pool = trust says it is.
E2E_TEMPLATES="tick small big"
E2E_CONF_EXTRA="[quota]
running = 6
memory = 8192
vms = 10
[placement]
policy = spread
[migration]
shared_pool = trust
timeout = 120"

e2e_prepare() {
	blades_need
	# tick: the guest that prints, its console's log kept across hosts
	# (append: both QEMUs write the one file in turn).
	sed -i "s|<log file='$TMP/serial.log' append='off'/>|<log file='$TMP/tick.log' append='on'/>|" \
	    "$TMP/templates/tick.xml"
	# small and big: no network, no bootable disk (they wait in the
	# firmware, which costs little).
	sed -i -e "s|<memory unit='MiB'>256</memory>|<memory unit='MiB'>1024</memory>|" \
	    -e '/<interface/,/<\/interface>/d' -e '/<serial/,/<\/console>/d' \
	    "$TMP/templates/big.xml"
	sed -i -e '/<interface/,/<\/interface>/d' -e '/<serial/,/<\/console>/d' \
	    "$TMP/templates/small.xml"
	GUEST_TICK=1 "$(dirname "$0")/mkguest.sh" "$TMP/tick.img" \
	    >"$TMP/mkguest-tick.out" 2>&1 ||
		{ sed 's/^/# /' "$TMP/mkguest-tick.out"; return 1; }
	SECONDS=0
	blades_start 3 || return 1
	echo "# three blades up after $SECONDS s"
	sed -i -e '/^\[libvirt\]$/d' -e '/^uri = /d' "$SHELL_CONF"
	cat >> "$SHELL_CONF" <<CONF
[hosts]
blade1 = $BLADE_URI_1
blade2 = $BLADE_URI_2
blade3 = $BLADE_URI_3
[host:blade1]
vcpus = 8
memory = 4
migration = 127.0.0.1
[host:blade2]
vcpus = 8
memory = 4
migration = 127.0.0.1
[host:blade3]
vcpus = 8
memory = 1
migration = 127.0.0.1
CONF
}

eval "$(declare -f e2e_lock | sed '1s/^e2e_lock/e2e_lock_wait/')"
e2e_lock() { e2e_lock_wait; T_START=$(date +%s); }
e2e_setup "+$S" "+$D" "+$F" "@$ADM"
echo "# set up in $(( $(date +%s) - T_START )) s"

vs() {
	local u=$1
	shift
	vsh -u "$u" -c "$*"
}
# where USER VM: the blade (1 to 3) whose libvirtd has the VM's domain;
# fails if none or more than one has it.
where() {
	local i d found=
	d=$(domain_of "$1" "$2")
	for i in 1 2 3; do
		if blade_virsh "$i" list --all --name 2>/dev/null | grep -qx "$d"; then
			[ -z "$found" ] || return 1
			found=$i
		fi
	done
	[ -n "$found" ] && echo "$found"
}
# state_on I USER VM: the domain's state as blade I's libvirtd says.
state_on() { blade_virsh "$1" domstate "$(domain_of "$2" "$3")" 2>/dev/null; }
running_on() { [ "$(state_on "$@")" = running ]; }
# ticks: the highest tick the guest has printed so far.
ticks() { grep -ao '^tick [0-9]*' "$TMP/tick.log" | awk '{n=$2} END {print n+0}'; }
more_ticks() { [ "$(ticks)" -ge "$1" ]; }

# 1. A running guest migrates live, and goes on printing.
vs $S images	# a session makes the student's upload area
cp "$TMP/tick.img" "$TMP/upload/$S/tick.img"
chown $S: "$TMP/upload/$S/tick.img"
vs $S define g tick.img --template tick
check "$S defines g" rc_is 0
: > "$TMP/tick.log"
vs $S start g
check "$S starts g" rc_is 0
check "g boots and prints" within 120 more_ticks 4
from=$(where $S g)
to=$(( from % 3 + 1 ))
before=$(ticks)
echo "# g runs on blade$from, tick $before; migrating to blade$to"
vs $ADM migrate $S/g blade$to
check "the admin migrates $S/g live to blade$to" rc_is 0
check "saying so, with the time it took" \
    out_has "^migrated $S/g live from blade$from to blade$to in [0-9.]* s$"
sed 's/^/# /' "$OUT"
check "blade$to runs it" running_on $to $S g
check "blade$from has it no more" eval '[ "$(where $S g)" = "$to" ]'
check "it goes on printing after the move" within 30 more_ticks $((before + 6))
check "without a new boot: its count began once" \
    eval '[ "$(grep -ac "^tick 1 up" "$TMP/tick.log")" -eq 1 ]'
check "and the boot line is there once" \
    eval '[ "$(grep -acF "$GUEST_LINE" "$TMP/tick.log")" -eq 1 ]'
check "its uptime went on across the move" $PYTHON - "$TMP/tick.log" <<'PY'
import re, sys
ups = [float(m.group(2)) for m in re.finditer(rb"tick (\d+) up ([\d.]+)",
    open(sys.argv[1], "rb").read())]
sys.exit(0 if len(ups) > 8 and all(b >= a for a, b in zip(ups, ups[1:]))
         else 1)
PY
vs $S info g
check "info shows the new host" out_has "^host: *blade$to$"
check "the broker keeps its definition as blade$to's" \
    test -f "$TMP/state/vms/blade$to/$(domain_of $S g).xml"
check "and no longer as blade$from's" \
    test ! -e "$TMP/state/vms/blade$from/$(domain_of $S g).xml"
vs $ADM migrate $S/g blade$to
check "to the host it is on: refused" rc_is 1
check "saying so" err_has "is on blade$to already"
vs $ADM migrate $S/g blade7
check "to a host that does not exist: refused" err_has "no host named 'blade7'"
vs $S migrate $S/g blade$from
check "a student may not migrate" rc_is 1
vs $S destroy g

# 2. Four running VMs on blade3 (moved there shut off by the admin), then
# blade3 drained: each goes on running on another blade.
for v in d1 d2 d3 d4; do
	vs $D define $v --template small
	if [ "$(where $D $v)" != 3 ]; then
		vs $ADM migrate $D/$v blade3
		check "$D/$v (shut off) moves to blade3" out_has "^moved $D/$v (shut off) from blade[12] to blade3$"
	fi
	vs $D start $v
	check "$D starts $v on blade3" running_on 3 $D $v
done
# uptime USER VM: the seconds since the broker booted it (info --json).
uptime() {
	vs "$1" info "$2" --json
	$PYTHON -c 'import json, sys; print(json.load(open(sys.argv[1]))["uptime_seconds"])' "$OUT"
}
sleep 3
up_before=$(uptime $D d1)
vs $ADM drain blade3
check "drain blade3: all four migrate live" rc_is 0
check "the summary says so" \
    out_has "^drained blade3: 4 migrated live, 0 moved shut off, 0 not moved"
check "a line a VM" eval '[ "$(grep -c "^  $D/d[1-4]: migrated live to blade[12]" "$OUT")" -eq 4 ]'
sed 's/^/# /' "$OUT"
for v in d1 d2 d3 d4; do
	h=$(where $D $v)
	check "$v runs on blade$h, not blade3" eval "[ '$h' != 3 ] && running_on '$h' $D $v"
done
up_after=$(uptime $D d1)
echo "# d1 uptime before the drain $up_before s, after $up_after s"
check "d1's uptime went on (it did not boot again)" \
    eval '[ "$up_before" -ge 3 ] && [ "$up_after" -ge "$up_before" ]'
vs $ADM hosts
check "hosts shows blade3 drained" out_has "^blade3  *up.* drained "
vs $D define d5 --template small
check "a new VM does not go to the drained blade" eval '[ "$(where $D d5)" != 3 ]'
vs $ADM undrain blade3
check "undrain blade3" out_has "^blade3 takes new VMs again$"
vs $ADM hosts
check "hosts shows it schedulable again" out_has "^blade3  *up.* yes "
for v in d1 d2 d3 d4; do vs $D destroy $v; done

# 3. A student's start on a full blade: blade3 offers 1 GiB, b1 takes it.
for v in b1 f1; do
	vs $F define $v --template big
	[ "$(where $F $v)" = 3 ] || vs $ADM migrate $F/$v blade3
done
vs $F start b1
check "$F starts b1 on blade3 (1 GiB of 1)" running_on 3 $F b1
vs $F start f1
check "f1's start, blade3 being full, succeeds" rc_is 0
check "on another blade, in one line that says so" \
    out_has "^started f1 on blade[12] (moved from blade3: it has no room for it)$"
sed 's/^/# /' "$OUT"
h=$(where $F f1)
check "it runs there (blade$h)" eval "[ '$h' != 3 ] && running_on '$h' $F f1"
vs $F destroy f1

# 4. One disk, one runner.  b1 (running on blade3) defined by hand on
# blade1 too: the broker starts neither copy, and blade1's libvirt cannot
# start its copy while blade3's guest uses the disk.
B1=$(domain_of $F b1)
blade_virsh 3 dumpxml --inactive --security-info "$B1" > "$TMP/b1.xml"
blade_virsh 1 define "$TMP/b1.xml" >/dev/null
check "b1 is defined on blade1 by hand" blade_virsh 1 dominfo "$B1"
vs $F destroy b1
within 5 eval 'vs $F start b1; grep -q "defined on two hosts" "$ERR"'
check "the broker refuses to start a VM defined on two blades" \
    err_has "^error: b1 is defined on two hosts (blade[13] and blade[13]): it is not started"
check "in one line" err_one_line
blade_virsh 3 start "$B1" >/dev/null
check "(started by hand on blade3)" running_on 3 $F b1
blade_virsh 1 start "$B1" > "$TMP/dup.out" 2>&1
check "a second start of its disk on blade1 fails" eval '! running_on 1 $F b1'
check "for the lock on the disk" grep -q "lock" "$TMP/dup.out"
sed 's/^/# virsh: /' "$TMP/dup.out"
run_check() {
	"$VMD_BIN" --check -f "$1" >"$OUT" 2>"$ERR"
	RC=$?
}
run_check "$CONF"
check "ie-vmd --check names the VM defined on two blades" \
    out_has "^FAIL.*b1.*defined on host blade[13] and on host blade[13]"
check "and passes each blade's lock manager" \
    eval '[ "$(grep -c "^ok.*blade[123]: a running guest.s disk is locked" "$OUT")" -eq 3 ]'
sed 's/^/# /' "$OUT"
blade_virsh 3 destroy "$B1" >/dev/null
blade_virsh 1 undefine "$B1" >/dev/null
# The lock a lock manager holds elsewhere (another machine's virtlockd
# holds it the same way: a POSIX lock on the disk's first byte), held
# here by a process of the test: blade3's lock manager refuses the start.
DISK=$TMP/pool/$(id -u $F)/b1.qcow2
$PYTHON -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
print("held", flush=True)
time.sleep(600)' "$DISK" > "$TMP/holder.out" &
HOLDER=$!
within 10 grep -q held "$TMP/holder.out"
within 5 eval 'vs $F start b1; [ "$RC" -ne 0 ] && ! grep -q "two hosts" "$ERR"'
check "with its disk locked elsewhere, b1's start fails" rc_is 1
check "the student is told the disk is in use" \
    err_has "^error: cannot start b1: its disk is in use by a VM that runs"
check "it is blade3's lock manager that refused (audit log)" \
    grep -q "cmd=start args=\[\"b1\"\] result=failed.*Lockspace resource" "$TMP/vmd.log"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
vs $F start b1
check "released: b1 starts" rc_is 0
# A blade without the lock manager fails the check.
BLADE_NOLOCK_4=1
blade_start 4 && blade_wait 4 || not_ok "blade 4 starts"
sed "s|^\\[hosts\\]\$|[hosts]\\nblade4 = $(blade_uri 4)|" "$CONF" > "$TMP/check.conf"
chmod 644 "$TMP/check.conf"
run_check "$TMP/check.conf"
check "a blade without a lock manager fails the check" rc_is 1
check "naming it" out_has "^FAIL  host blade4: a running guest.s disk is locked.*lock_manager"
blade_stop 4

# 5. blade3 lost: its libvirtd dies, b1's guest goes on running there
# (its QEMU and virtlockd live on); r1 is shut off there.
vs $F define r1 --template small
[ "$(where $F r1)" = 3 ] || vs $ADM migrate $F/r1 blade3
check "r1 is on blade3" eval '[ "$(where $F r1)" = 3 ]'
check "blade3's libvirtd is killed" blade_kill 3
blade3_is() { vs $ADM hosts; grep -q "^blade3  *$1" "$OUT"; }
check "the broker sees blade3 unreachable" within 15 blade3_is unreachable
vs $F start r1
check "$F starts r1 (shut off on the unreachable blade3) elsewhere" \
    out_has "^started r1 on blade[12] (moved from blade3: it is unreachable)$"
h=$(where $F r1)
check "it runs on blade$h" running_on "$h" $F r1
vs $ADM recover blade3
check "recover blade3" rc_is 0
check "says what it did (r1, moved by its start, is no longer blade3's)" \
    out_has "^recovered blade3: 1 VMs defined on other hosts, shut off; 0 on another host already; 0 not recovered"
check "b1 was running when blade3 was last seen" \
    out_has "^  $F/b1: defined on blade[12], shut off (it was running when blade3 was last seen"
sed 's/^/# /' "$OUT"
vs $F list
check "the student's list shows b1 on another blade, shut off" \
    out_has "^b1  *blade[12]  *shut off"
vs $F start b1
check "b1 does not start: its guest still runs on blade3" rc_is 1
check "the student is told its disk is in use" err_has "its disk is in use by a VM that runs"
h=$(where $F b1)
check "b1 is not running on blade$h" eval '! running_on $h $F b1'
# blade3 comes back after all: r1's stale copy there is removed; b1's,
# which runs there, is kept and reported.
blade_restart 3 || not_ok "blade3's libvirtd starts again"
check "blade3 is back in hosts, drained" within 30 blade3_is "up.* drained "
r1_gone() { ! blade_virsh 3 list --all --name | grep -qx "$(domain_of $F r1)"; }
check "the stale copy of r1 is gone from blade3" within 15 r1_gone
check "b1's running copy is left there" running_on 3 $F b1
check "and logged" grep -q "u$(id -u $F)_b1 runs there, but it was defined on another host" "$TMP/vmd.log"
run_check "$CONF"
check "ie-vmd --check names b1 defined twice" \
    out_has "^FAIL.*b1.*defined on host blade[123] and on host blade[123]"
# Lost for good this time: its guest with it.
blade_stop 3
check "the broker sees blade3 unreachable again" within 15 blade3_is unreachable
vs $ADM recover blade3
check "a second recover: b1 is on another blade already" \
    out_has "^recovered blade3: 0 VMs defined on other hosts, shut off; 1 on another host already; 0 not recovered"
vs $F start b1
check "b1 starts on its new blade" rc_is 0
for v in b1 r1; do vs $F destroy $v; done

stop_vmd
blades_stop
check "no process the test started is left" blades_leftovers
echo "# wall time $(( $(date +%s) - T_START )) s"

done_testing

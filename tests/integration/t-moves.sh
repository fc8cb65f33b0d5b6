#!/bin/bash
# VMs moving between hosts, on libvirt's test driver (each host a node
# file of its own): an admin's migrate of a shut-off VM (its snapshots'
# records with it) and of a running one (the test driver cannot migrate:
# the VM stays where it was, running), drain and undrain (kept across a
# restart of the broker), a student's start on a drained or full host,
# the records the broker keeps in its state directory, and recover of a
# host that never answers, from those records.  Bad input gets one line.
# Live migration between real hosts is tests/e2e/t-migrate.sh's.
. "$(dirname "$0")/lib.sh"

need_root
ADMIN_GROUP=ievs-tm-admins
make_group "$ADMIN_GROUP" || exit 1
make_user ievm-a || exit 1
make_user ievm-b || exit 1
make_user ievm-adm "$ADMIN_GROUP" || exit 1
A=ievm-a B=ievm-b ADM=ievm-adm

test_node "$TMP/a.xml" 8 3	# offers 3 - 1 (reserve) = 2 GiB: two VMs of 1 GiB
test_node "$TMP/b.xml" 8 5	# 4 GiB

# moves_config HOSTS-LINES: the config with those hosts.
moves_config() {
	write_config
	cat >> "$CONF" <<CONF
[quota]
running = 3
memory = unlimited
vcpus = unlimited
vms = 20
[placement]
policy = spread
[hosts]
$1
CONF
	sed -i '/^\[libvirt\]$/,/^uri = /d' "$CONF"
}
TWO="a = test://$TMP/a.xml
b = test://$TMP/b.xml"
moves_config "$TWO"
start_vmd || exit 1

vs() {
	local u=$1
	shift
	vsh -u "$u" -c "$*"
}
# host_of USER VM: the host list --all shows the VM on.
host_of() {
	vs $ADM list --all
	awk -v o="$1" -v n="$2" '$1 == o && $2 == n { print $3 }' "$OUT"
}
kept() { test -f "$TMP/state/vms/$1/u$(id -u $2)_$3.xml"; }

# A shut-off VM, with a snapshot, moved by an admin.
vs $A define v1
from=$(host_of $A v1)
[ "$from" = a ] && to=b || to=a
check "the broker keeps v1's definition as $from's" kept $from $A v1
vs $A snapshot v1 create s1
check "v1 has a snapshot" rc_is 0
vs $ADM migrate $A/v1 $to
check "an admin moves v1 (shut off) from $from to $to" \
    out_has "^moved $A/v1 (shut off) from $from to $to$"
check "list --all shows it on $to" eval '[ "$(host_of $A v1)" = $to ]'
check "its kept definition moved with it" kept $to $A v1
check "and is gone from $from's" eval '! kept $from $A v1'
vs $A snapshot v1 list
check "its snapshot came along" out_has "^s1 "
vs $ADM migrate $A/v1 $to
check "to where it is: refused" err_has "^error: $A/v1 is on $to already$"
vs $ADM migrate $A/v1 z9
check "to a host that is not there: a usage error" rc_is 2
check "naming it" err_has "^error: no host named 'z9'; 'hosts' lists them$"
vs $ADM migrate $A/nope a
check "a VM that does not exist" err_has "^error: no such VM: nope$"
vs $A migrate $A/v1 $from
check "a student may not migrate" err_has "permission denied"

# Running: the test driver cannot migrate live; the VM stays, running.
vs $A start v1
vs $ADM migrate $A/v1 $from
check "a live migration the host cannot do fails" rc_is 1
check "saying the VM is where it was" \
    err_has "^error: cannot migrate $A/v1 to $from: .*; it is on $to as before$"
check "in one line" err_one_line
vs $A list
check "and it runs there as before" out_has "^v1  *$to  *running"
vs $A destroy v1

# drain: shut-off VMs move, a running one cannot here (one failure does
# not stop the rest), and the host takes no new VM, also after a restart.
vs $ADM migrate $A/v1 b
vs $A define v2
[ "$(host_of $A v2)" = b ] || vs $ADM migrate $A/v2 b
vs $B define w1
[ "$(host_of $B w1)" = b ] || vs $ADM migrate $B/w1 b
vs $B start w1
vs $ADM drain b
check "drain b with a VM it cannot move fails" rc_is 1
check "the summary says what moved" \
    err_has "^error: drained b: 0 migrated live, 2 moved shut off, 1 not moved; it takes no new VMs until 'undrain b'$"
check "a line a VM" out_has "^  $A/v1: moved, shut off, to a$"
check "the one not moved, and why" out_has "^  $B/w1: not moved: "
check "v2 is on a" eval '[ "$(host_of $A v2)" = a ]'
check "w1 runs on b as before" eval '[ "$(host_of $B w1)" = b ]'
vs $ADM hosts
check "hosts shows b drained" out_has "^b  *up  *drained "
# drained_json HOST: hosts --json says the host is drained.
drained_json() {
	vs $ADM hosts --json
	$PYTHON -c '
import json, sys
h = {x["host"]: x for x in json.load(open(sys.argv[1]))["hosts"]}
sys.exit(0 if h[sys.argv[2]]["drained"] and not h[sys.argv[2]]["schedulable"] else 1)' "$OUT" "$1"
}
check "and so does hosts --json" drained_json b
vs $B define w2
check "a new VM goes to a, not to the drained b" out_has "^defined w2 on a "
vs $B destroy w1
vs $B start w1
check "w1, left on the drained b, starts on a" \
    out_has "^started w1 on a (moved from b: it is drained)$"
vs $B destroy w1
vs $ADM undrain b
check "undrain b" out_has "^b takes new VMs again$"
check "hosts --json agrees" eval '! drained_json b'
vs $ADM undrain b
check "undrain of a host that is not drained says so" out_has "^b is not drained$"

# A drained host takes no VM moved by an admin either.
vs $ADM drain a
check "drain a (all shut off) moves them to b" \
    out_has "^drained a: 0 migrated live, 4 moved shut off, 0 not moved"
vs $ADM migrate $A/v2 a
check "nothing is moved onto a drained host" \
    err_has "^error: cannot migrate $A/v2 to a: it is drained$"
vs $ADM undrain a
vs $ADM migrate $A/v2 a
check "undrained, it is" out_has "^moved $A/v2 (shut off) from b to a$"
# A student's start where the VM's host has no room for it.
# Full: a offers 2 GiB, B's two VMs of 1 GiB run there.
for v in x1 x2; do
	vs $B define $v
	[ "$(host_of $B $v)" = a ] || vs $ADM migrate $B/$v a
	vs $B start $v
done
check "x1 and x2 run on a" eval '[ "$(host_of $B x1)$(host_of $B x2)" = aa ]'
vs $A start v2
check "v2's start on a full a succeeds" rc_is 0
check "on b, saying why in one line" \
    out_has "^started v2 on b (moved from a: it has no room for it)$"
check "list shows v2 running on b" eval '[ "$(host_of $A v2)" = b ]'
check "its definition is kept as b's" kept b $A v2
vs $A destroy v2
vs $ADM recover a
check "recover of a host that answers is refused" \
    err_has "^error: a is reachable: 'drain a' moves its VMs, running ones live; recover is for a host lost for good$"
for v in x1 x2; do vs $B destroy $v; done
# A drained host stays drained across a restart of the broker (whose test
# driver hosts forget their VMs: the state directory does not).
vs $ADM drain b
stop_vmd

# A host that never answers (d), whose VM the broker kept from an earlier
# run: recover defines it on another host, shut off.
UA=$(id -u $A)
mkdir -p "$TMP/state/vms/d"
sed -e "s|<name>u${UA}_v2</name>|<name>u${UA}_lost</name>|" -e '/<uuid>/d' \
    "$(find "$TMP/state/vms" -name "u${UA}_v2.xml" | head -n 1)" \
    > "$TMP/state/vms/d/u${UA}_lost.xml"
moves_config "$TWO
d = test+unix:///default?socket=$TMP/no-such-sock"
start_vmd || exit 1
vs $ADM hosts
check "b is still drained after a restart of the broker" out_has "^b  *up  *drained "
vs $ADM recover d
check "recover d" rc_is 0
check "says what it did" \
    out_has "^recovered d: 1 VMs defined on other hosts, shut off; 0 on another host already; 0 not recovered"
check "a line for the VM, on a (b is drained)" \
    out_has "^  $A/lost: defined on a, shut off$"
vs $A list
check "the student's list shows it, shut off" out_has "^lost  *a  *shut off"
check "its definition is kept as a's" kept a $A lost
check "d's copy is marked to be removed when d comes back" \
    test -f "$TMP/state/moved/d/u${UA}_lost"
vs $ADM hosts
check "d takes no new VM if it comes back" out_has "^d  *unreachable.* drained "
vs $ADM recover d
check "a second recover has nothing left to do" \
    out_has "^recovered d: 0 VMs defined on other hosts, shut off; 0 on another host already; 0 not recovered"

done_testing

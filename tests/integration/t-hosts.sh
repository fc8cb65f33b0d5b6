#!/bin/bash
# Several hosts ([hosts]) on libvirt's test driver: each host a node file
# of its own (its own state, CPUs and memory), one a session libvirtd that
# the test stops and starts again, one that never answers.  Placement
# (spread and pack, the schedulable flag, a VM that fits nowhere), one view
# (list, list --all, hosts, info), one quota across hosts (also two starts
# racing on two hosts), every command going to its VM's host, and a host
# that goes away and comes back.  The real blades are tests/e2e's.
. "$(dirname "$0")/lib.sh"

need_root
ADMIN_GROUP=ievs-th-admins
make_group "$ADMIN_GROUP" || exit 1
make_user ievh-a || exit 1
make_user ievh-b || exit 1
make_user ievh-adm "$ADMIN_GROUP" || exit 1
A=ievh-a B=ievh-b ADM=ievh-adm

test_node "$TMP/a.xml" 6 3	# offers 6 vCPUs and 3 - 1 (reserve) = 2 GiB
test_node "$TMP/b.xml" 4 64	# offers 4 vCPUs, 3 GiB by the config
test_node "$TMP/c.xml" 64 64	# the biggest, but not schedulable

# hosts_config POLICY HOSTS-LINES [EXTRA]
hosts_config() {
	write_config
	cat >> "$CONF" <<CONF
[quota]
running = 2
memory = unlimited
vcpus = unlimited
vms = 20
[placement]
policy = $1
${3:-}
[hosts]
$2
CONF
	sed -i '/^\[libvirt\]$/,/^uri = /d' "$CONF"
}
THREE="a = test://$TMP/a.xml
b = test://$TMP/b.xml
c = test://$TMP/c.xml"
hosts_config spread "$THREE" "[host:b]
memory = 3
[host:c]
schedulable = false"
start_vmd || exit 1

defined_on() {	# defined_on USER VM HOST
	vsh -u "$1" -c "define $2"
	rc_is 0 && out_has "^defined $2 on $3 (template"
}
# Spread: the most memory left, committed by running VMs; ties to the host
# with fewer running.  b has 3 GiB, a 2, c (64) takes no new VM.
check "spread: the first VM goes to the host with most memory" defined_on $A v1 b
vsh -u $A -c 'start v1'
check "v1 starts on b" rc_is 0
check "then a tie of 2 GiB left goes to the host with fewer running" defined_on $A v2 a
vsh -u $A -c 'start v2'
check "then b again (2 GiB left against a's 1)" defined_on $B w1 b
vsh -u $B -c 'start w1'
check "a and b both 1 GiB left: a runs fewer" defined_on $B w2 a
vsh -u $B -c 'start w2'
check "a full: b" defined_on $A v3 b
vsh -u $ADM -c 'start ievh-a/v3'
check "an admin starts a student's VM on b" rc_is 0
vsh -u $A -c 'define v4'
check "no host fits: refused" rc_is 1
check "naming the VM and what to do" err_has "^error: no host can take v4 now (1 vCPUs, 1024 MiB).*try again later or ask an admin$"
check "in one line" err_one_line
check "leaving no disk behind" [ ! -e "$TMP/pool/$(id -u $A)/v4.qcow2" ]

# One view.
vsh -u $A -c 'list'
check "list has a host column" out_has "^Name  *Host  *State  *IP"
check "v1 on b" out_has "^v1  *b  *running"
check "v2 on a" out_has "^v2  *a  *running"
check "v3 on b, started by the admin" out_has "^v3  *b  *running"
check "and nothing of B's" out_lacks "^w"
vsh -u $A -c 'list --json'
check "list --json gives each VM's host" \
    "$PYTHON" -c 'import json,sys; v={x["name"]: x["host"] for x in json.load(open(sys.argv[1]))["vms"]}; sys.exit(v != {"v1": "b", "v2": "a", "v3": "b"})' "$OUT"
vsh -u $ADM -c 'list --all'
check "list --all shows every VM once with its host" \
    [ "$(grep -c -E '^ievh-[ab] +[vw][0-9] +[ab] +running' "$OUT")" -eq 5 ]
vsh -u $ADM -c 'hosts'
check "hosts: a runs 2 VMs, 2 of 6 vCPUs, 2 of 2 GiB" out_has "^a  *up  *yes  *2  *2/6  *2.0/2.0 GiB$"
check "hosts: b runs 3, 3 of 4 vCPUs, 3 of 3 GiB" \
    out_has "^b  *up  *yes  *3  *3/4  *3.0/3.0 GiB$"
check "hosts: c is not schedulable, 63 GiB offered" out_has "^c  *up  *no  *0  *0/64  *0.0/63.0 GiB$"
vsh -u $ADM -c 'hosts --json'
check "hosts --json" "$PYTHON" -c '
import json, sys
h = {x["host"]: x for x in json.load(open(sys.argv[1]))["hosts"]}
b = h["b"]
sys.exit(not (list(h) == ["a", "b", "c"] and b["reachable"] and
    b["schedulable"] and b["running"] == 3 and b["defined"] == 3 and
    b["vcpus"] == 4 and b["memory_mib"] == 3072 and
    b["memory_used_mib"] == 3072 and not h["c"]["schedulable"] and
    "uri" not in b))' "$OUT"
vsh -u $A -c 'hosts'
check "hosts is for admins" err_has "permission denied: hosts is for admins only"
vsh -u $A -c 'info v2'
check "info shows the host" out_has "^host: *a$"

# One quota: A runs v1 (b) and v2 (a); a third start on any host is
# refused.  (v3 was started by an admin: A is over, and refused too.)
vsh -u $A -c 'destroy v3'
check "destroy on b" rc_is 0
vsh -u $A -c 'start v3'
check "a third running VM is refused across hosts" err_has "quota exceeded: VMs running 2 of 2"
# Two sessions race starts on two hosts: one passes.
vsh -u $A -c 'destroy v2'
check "destroy on a" rc_is 0
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- "$SH" -f "$CONF" -c 'start v2' >"$TMP/r1" 2>&1 &
r1=$!
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- "$SH" -f "$CONF" -c 'start v3' >"$TMP/r2" 2>&1 &
r2=$!
wait $r1; s1=$?
wait $r2; s2=$?
check "of two starts racing on a and b, exactly one passes" [ $((s1 + s2)) -eq 1 ]
vsh -u $A -c 'quota --json'
check "and A runs 2 VMs" "$PYTHON" -c 'import json,sys; q={x["resource"]: x["used"] for x in json.load(open(sys.argv[1]))["quota"]}; sys.exit(q["running"] != 2)' "$OUT"

# Every command goes to its VM's host (a host's test driver knows only its
# own VMs).
vsh -u $B -c 'dumpxml w1'
check "dumpxml of a VM on b" out_has "<name>u$(id -u $B)_w1</name>"
vsh -u $B -c 'snapshot w2 create s1'
check "snapshot on a" rc_is 0
vsh -u $B -c 'snapshot w2 list'
check "snapshot list on a" out_has "^s1 "
vsh -u $B -c 'reboot w1'
check "reboot on b" rc_is 0
vsh -u $B -c 'destroy w1'
vsh -u $B -c 'undefine w1'
check "undefine on b" rc_is 0
vsh -u $B -c 'list'
check "gone from the list" out_lacks "^w1 "
vsh -u $B -c 'define w1'
check "its kept disk defines again, where there is room" rc_is 0
vsh -u $B -c 'define w2'
check "a VM of that name on another host is still refused" err_has "a VM named w2 already exists"
stop_vmd

# Pack: the least memory left that fits.
hosts_config pack "$THREE" "[host:b]
memory = 3"
start_vmd || exit 1
check "pack: the first VM goes to the fullest host that fits (a, 2 GiB)" defined_on $A p1 a
vsh -u $A -c 'start p1'
check "then a again (1 GiB left)" defined_on $A p2 a
vsh -u $A -c 'start p2'
check "a full: b, the next fullest (c has 63 GiB)" defined_on $A p3 b
stop_vmd

# A host that goes away: a session libvirtd with the test driver (as in
# t-libvirtd.sh), stopped and started again under the broker.
LIBVIRTD=/usr/sbin/libvirtd
VIRTLOGD=/usr/sbin/virtlogd
if [ -x "$LIBVIRTD" ]; then
	make_user ievh-lvd || exit 1
	XDG="$TMP/xdg"
	mkdir -p "$XDG"
	chown ievh-lvd "$XDG"
	chmod 700 "$XDG"
	LVSOCK="$XDG/libvirt/libvirt-sock"
	start_libvirtd() {
		setpriv --reuid=ievh-lvd --regid="$(id -g ievh-lvd)" --init-groups -- \
		    env -i HOME="$TMP/home/ievh-lvd" XDG_RUNTIME_DIR="$XDG" \
		    PATH=/usr/bin:/bin "$LIBVIRTD" -d -p "$XDG/libvirtd.pid" 8>&- 9>&- || return 1
		wait_pidfile "$XDG/libvirtd.pid" "$LIBVIRTD" >/dev/null || return 1
		for _ in $(seq 100); do
			[ -S "$LVSOCK" ] && virsh -q -c "test+unix:///default?socket=$LVSOCK" \
			    list >/dev/null 2>&1 && return 0
			sleep 0.1
		done
		return 1
	}
	# until_host NAME STATE: hosts shows it so (10 s at most).
	until_host() {
		for _ in $(seq 100); do
			vsh -u $ADM -c 'hosts'
			grep -q "^$1  *$2" "$OUT" && return 0
			sleep 0.1
		done
		return 1
	}
	stop_libvirtd() {
		stop_pidfile "$XDG/libvirtd.pid" "$LIBVIRTD"
		rm -f "$LVSOCK"
	}
	stop_daemons() {
		stop_libvirtd
		stop_pidfile "$XDG/libvirt/virtlogd.pid" "$VIRTLOGD"
		cleanup
	}
	trap stop_daemons EXIT
	start_libvirtd || skip "libvirtd would not start here"
	hosts_config spread "a = test://$TMP/a.xml
l = test+unix:///default?socket=$LVSOCK" "[host:a]
memory = 1
[host:l]
memory = 10"
	# l's test driver runs a VM of its own (not a student's) of 8 GiB:
	# l has 2 GiB left, a 1.
	start_vmd || exit 1
	check "l is up" until_host l up
	check "spread: l has more left" defined_on $A m1 l
	vsh -u $A -c 'start m1'
	check "m1 starts on l" rc_is 0
	check "a tie of 1 GiB left: a runs fewer" defined_on $A n1 a
	check "and again" defined_on $A n2 a
	stop_libvirtd
	# Until list shows l's VMs unreachable (10 s at most).
	for _ in $(seq 100); do
		vsh -u $A -c 'list'
		grep -q "^m1  *l  *unreachable" "$OUT" && break
		sleep 0.1
	done
	check "with l gone, list shows its VMs unreachable, on l" out_has "^m1  *l  *unreachable"
	check "and the VMs of a as they are" out_has "^n1  *a  *shut off"
	vsh -u $A -c 'destroy m1'
	check "a command on a VM of l fails" rc_is 1
	check "saying l is unreachable since when, and what to do" \
	    err_has "^error: m1: host l is unreachable (since [0-9][0-9]:[0-9][0-9]:[0-9][0-9]); try again later or ask an admin$"
	check "in one line" err_one_line
	vsh -u $A -c 'start n1'
	check "a VM on a starts meanwhile" rc_is 0
	vsh -u $A -c 'start n2'
	check "m1 (running when l was last seen) counts: a third start is refused" \
	    err_has "quota exceeded: VMs running 2 of 2"
	vsh -u $A -c 'define n3'
	check "a full and l unreachable: define is refused" err_has "^error: no host can take n3 now"
	vsh -u $ADM -c 'hosts'
	check "hosts says since when l is unreachable, with what it ran then" \
	    out_has "^l  *unreachable since [0-9:]*  *yes  *2  *3/16  *9.0/10.0 GiB$"
	start_libvirtd || exit 1
	# The broker reconnects by itself; l's fresh test driver has none of
	# the VMs of before, and the table catches up with it.
	check "l is back in hosts unaided" until_host l "up "
	# Its table is reloaded after the reconnection (10 s at most).
	for _ in $(seq 100); do
		vsh -u $A -c 'list'
		grep -q "unreachable\|^m1 " "$OUT" || break
		sleep 0.1
	done
	check "and list caught up with it" out_lacks "unreachable\|^m1 "
	vsh -u $A -c 'start n2'
	check "the quota counts what l has now" rc_is 0
	check "n2, which a (running n1) has no room for, starts on l" \
	    out_has "^started n2 on l (moved from a: it has no room for it)$"
	# l's libvirtd stops answering without closing anything (SIGSTOP):
	# keepalive gives up on it; meanwhile a answers.
	check "k1 goes to l (a is full)" defined_on $A k1 l
	# An owner record changed with virsh on l counts at the next command
	# on l's VM; a's VMs are not affected.
	lvl() { virsh -q -c "test+unix:///default?socket=$LVSOCK" "$@" \
	    >/dev/null 2>&1; }
	k1_owner() {
		lvl metadata "u$(id -u $A)_k1" urn:ie-vshell:owner:1 --config \
		    --key ievs --set "<owner uid='$1' user='$2' vm='k1'/>"
	}
	vsh -u $A -c 'info k1'
	check "k1 is A's" rc_is 0
	k1_owner "$(id -u $B)" "$B"
	vsh -u $A -c 'info k1'
	check "given to B with virsh on l, A's next command on k1 is refused" \
	    err_has "no such VM: k1"
	vsh -u $A -c 'info n1'
	check "while A's VM on a answers" rc_is 0
	k1_owner "$(id -u $A)" "$A"
	vsh -u $A -c 'info k1'
	check "given back, A's next command on k1 is allowed" rc_is 0
	LVPID=$(pidfile_pid "$XDG/libvirtd.pid" "$LIBVIRTD")
	kill -STOP "$LVPID"
	vsh -u $A -c 'list'
	check "with l silent, list answers" out_has "^k1  *l "
	vsh -u $A -c 'destroy n1'
	check "and a command on a answers" rc_is 0
	for _ in $(seq 150); do
		vsh -u $ADM -c 'hosts'
		grep -q "^l  *unreachable" "$OUT" && break
		sleep 0.1
	done
	check "keepalive finds l silent: unreachable" out_has "^l  *unreachable since"
	# The table hears of it from the host's thread a moment after.
	for _ in $(seq 20); do
		vsh -u $A -c 'list'
		grep -q "^k1  *l  *unreachable" "$OUT" && break
		sleep 0.1
	done
	check "and list says so of its VMs" out_has "^k1  *l  *unreachable"
	kill -CONT "$LVPID"
	check "l answers again: up" until_host l "up "
	stop_vmd
else
	echo "# libvirtd is not installed: a host going away is not tested here"
fi

# Hosts that never answered since the start: d has no libvirtd, h accepts
# the connection and says nothing (a host hung, or a network that drops
# the answers).  Their VMs are unknown, so the quota cannot be checked,
# but list and the other hosts answer, and the broker still stops.
"$PYTHON" -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])' > "$TMP/mute.port" &
MUTE_PID=$!
for _ in $(seq 50); do [ -s "$TMP/mute.port" ] && break; sleep 0.1; done
hosts_config spread "a = test://$TMP/a.xml
d = test+unix:///default?socket=$TMP/no-such-sock
h = qemu+tcp://127.0.0.1:$(cat "$TMP/mute.port")/system"
start_vmd || exit 1
vsh -u $A -c 'list'
check "list answers with hosts that never did" rc_is 0
vsh -u $A -c 'define q1'
check "define is refused: A's VMs on d and h are unknown" \
    err_has "^error: cannot count your VMs: a host has not been reached since the VM service started; try again later or ask an admin$"
vsh -u $ADM -c 'hosts'
check "hosts shows d unreachable" out_has "^d  *unreachable since "
check "the broker names d's problem in its log" grep -q "host d: cannot connect" "$TMP/vmd.log"
for _ in $(seq 100); do
	vsh -u $ADM -c 'hosts'
	grep -q "^h  *unreachable since" "$OUT" && break
	sleep 0.1
done
check "a host that does not answer its connection is shown unreachable" out_has "^h  *unreachable since "
vsh -u $A -c 'list'
check "list still answers" rc_is 0
kill "$VMD_PID"
for _ in $(seq 100); do [ -e "/proc/$VMD_PID/exe" ] || break; sleep 0.1; done
check "the broker stops though a connection to h never ended" [ ! -e "/proc/$VMD_PID/exe" ]
[ -e "/proc/$VMD_PID/exe" ] && kill -9 "$VMD_PID"
stop_vmd
kill "$MUTE_PID"
wait "$MUTE_PID" 2>/dev/null

# ie-vmd --check, per host.  The machine's own libvirtd (if it runs) twice,
# as s1 and s2: it sees the pool (the same directory, for real) with a
# clock of its own, and the two have one host UUID.  The test driver (a)
# has no pool on disk, d no libvirtd.
if virsh -q -c qemu:///system uri >/dev/null 2>&1; then
	SYS="s1 = qemu:///system
s2 = qemu:///system"
else
	SYS=
	echo "# no system libvirtd: --check's positive case is left to tests/e2e"
fi
hosts_config spread "a = test://$TMP/a.xml
d = test+unix:///default?socket=$TMP/no-such-sock
$SYS"
"$VMD_BIN" --check -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "--check fails" rc_is 1
check "naming the host that is unreachable" \
    out_has "^FAIL  host d: libvirt reachable at test+unix:///default?socket=$TMP/no-such-sock: .*; fix: start libvirtd on d"
check "and the host that cannot see the pool" \
    out_has "^FAIL  host a sees the pool at $TMP/pool (probe file ievs-probe-[A-Za-z0-9]*): .*; fix: mount the shared filesystem at $TMP/pool on host a$"
check "the probe file is removed" [ -z "$(ls "$TMP/pool" | grep probe)" ]
if [ -n "$SYS" ]; then
	check "a host that sees the pool passes" \
	    out_has "^ok    host s1 sees the pool at $TMP/pool (probe file"
	check "its clock is compared" out_has "^ok    host s1: clock [-+][0-9.]* s from this one's (at most 2 s)$"
	check "two hosts with one host UUID are named" \
	    out_has "^FAIL  host s2 has the same host UUID as host s1 ([0-9a-f-]*): .*; fix: give each host its own host_uuid"
	check "and no transient pool is left on the system's libvirtd" \
	    sh -c "! virsh -q -c qemu:///system pool-list --all | grep -q ievs-check"
fi
done_testing

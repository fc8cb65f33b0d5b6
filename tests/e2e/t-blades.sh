#!/bin/bash
# One broker, three hypervisor hosts: three privileged libvirtd "blades" on
# this machine (blades.sh), one of them reached through qemu+ssh:// with a
# key only root reads, the others through their sockets, one pool
# directory that all of them see.  Placement by the spread policy, one
# view (list, list --all, hosts), one quota across the hosts (also under
# racing starts), a console on a remote blade, a blade's libvirtd killed
# and restarted, and ie-vmd --check on every host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blades.sh"

A=ievsbla	# running = 2: one VM started on each of two blades
B=ievsblb
C=ievsblc	# boots the guest on a remote blade
R=ievsblr	# running = 1: races starts on two blades
ADM=ievsbladm
GIB=1024

# Each blade offers the same node (all run on this machine): what each
# offers to placement is set here, distinct, so that the policy's choice
# is known.  Memory in GiB, committed by running VMs.
MEM1=3 MEM2=4 MEM3=2
E2E_TEMPLATES=big
E2E_CONF_EXTRA="[quota]
running = 2
memory = 8192
vms = 8
[quota.user:$R]
running = 1
[placement]
policy = spread"

# Before the broker starts: the blades, blade 1 through ssh, their hosts
# in the config, and the big template (1 GiB, no network: its VMs sit in
# the firmware without a bootable disk, which costs little).
e2e_prepare() {
	sed -i -e "s|<memory unit='MiB'>256</memory>|<memory unit='MiB'>$GIB</memory>|" \
	    -e '/<interface/,/<\/interface>/d' "$TMP/templates/big.xml"
	blades_need
	SECONDS=0
	blades_start 3 || return 1
	blades_sshd || return 1
	BLADE_URI_1=$(blade_ssh_uri 1) || return 1
	echo "# three blades up after $SECONDS s"
	# [hosts] replaces [libvirt] uri.
	sed -i -e '/^\[libvirt\]$/d' -e '/^uri = /d' "$SHELL_CONF"
	cat >> "$SHELL_CONF" <<CONF
[hosts]
blade1 = $BLADE_URI_1
blade2 = $BLADE_URI_2
blade3 = $BLADE_URI_3
[host:blade1]
vcpus = 4
memory = $MEM1
[host:blade2]
vcpus = 4
memory = $MEM2
[host:blade3]
vcpus = 4
memory = $MEM3
CONF
}

# The test's own wall time starts once it holds the e2e lock.
eval "$(declare -f e2e_lock | sed '1s/^e2e_lock/e2e_lock_wait/')"
e2e_lock() { e2e_lock_wait; T_START=$(date +%s); }
e2e_setup "+$A" "+$B" "+$C" "+$R" "@$ADM"
echo "# set up in $(( $(date +%s) - T_START )) s"

# vs USER WORDS...: the command WORDS as USER.
vs() {
	local u=$1
	shift
	vsh -u "$u" -c "$*"
}

# vmjson USER ARGS...: `list --json` (ARGS: --all) as USER, as lines
# "owner name host state", sorted.
vmjson() {
	local u=$1
	shift
	vsh -u "$u" -c "list --json $*"
	$PYTHON - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vms = d["vms"] if isinstance(d, dict) else d
for v in sorted(vms, key=lambda v: (v.get("owner") or "", v["name"])):
    print(v.get("owner") or "-", v["name"], v.get("host"), v["state"])
PY
}

# on_blade I USER VM: the domain of USER's VM is defined on blade I, as its
# own libvirtd says.
on_blade() {
	blade_virsh "$1" list --all --name | grep -qx "$(domain_of "$2" "$3")"
}

# Where each VM is, as this test expects it: WHERE[user/vm]=host.
declare -A WHERE
# define_on USER VM TEMPLATE HOST: define places the VM on HOST, says so,
# and it is there.
define_on() {
	vs "$1" define "$2" --template "$3"
	check "$1 defines $2: placed on $4" out_has "^defined $2 on $4 "
	local i=${4#blade}
	check "and blade $i's libvirtd has it" on_blade "$i" "$1" "$2"
	WHERE[$1/$2]=$4
}
start_ok() {
	vs "$1" start "$2"
	check "$1 starts $2 (on ${WHERE[$1/$2]})" rc_is 0
}

# Placement, spread: the host with the most memory left of what it offers
# (less its running VMs'), ties to the one running fewest VMs.  Offered:
# blade1 3 GiB, blade2 4, blade3 2; every VM here has 1 GiB.
define_on $A a1 big blade2		# left 3, 4, 2
start_ok $A a1				# left 3, 3, 2; running 0, 1, 0
define_on $A a2 big blade1		# a tie: blade1 runs fewer
start_ok $A a2				# left 2, 3, 2; running 1, 1, 0
define_on $B b1 big blade2
start_ok $B b1				# left 2, 2, 2; running 1, 2, 0
define_on $A a3 big blade3		# a three-way tie: blade3 runs none

# One quota across hosts: a1 runs on blade2, a2 on blade1; a3 on blade3
# would be a third.
vs $A start a3
check "$A's third start (on blade3) is refused: running = 2 across hosts" \
    rc_is 1
check "in one line" err_one_line
check "naming the quota" err_has "quota exceeded"
check "a3 stays shut off on blade3" eval \
    "blade_virsh 3 domstate $(domain_of $A a3) | grep -qx 'shut off'"

define_on $R r1 big blade3
define_on $C c1 big blade3
start_ok $C c1				# left 2, 2, 1; running 1, 2, 1
define_on $R r2 big blade1		# a tie: blade1 runs fewer than blade2
define_on $C c2 big blade1
define_on $C c3 big blade1
define_on $B b2 big blade1
# Ten VMs: blade1 a2 r2 c2 c3 b2, blade2 a1 b1, blade3 a3 r1 c1.

# One view.  expect_rows USER [--all]: the lines vmjson should print.
declare -A RUNNING=([$A/a1]=1 [$A/a2]=1 [$B/b1]=1 [$C/c1]=1)
expect_rows() {
	local k u
	for k in "${!WHERE[@]}"; do
		u=${k%%/*}
		[ "$1" = --all ] || [ "$u" = "$1" ] || continue
		if [ "$1" = --all ]; then printf '%s ' "$u"; else printf -- '- '; fi
		printf '%s %s %s\n' "${k#*/}" "${WHERE[$k]}" \
		    "$([ -n "${RUNNING[$k]:-}" ] && echo running || echo 'shut off')"
	done | sort
}
same_rows() {
	if [ "$1" = "$2" ]; then return 0; fi
	echo "# expected:"; echo "$1" | sed 's/^/#   /'
	echo "# listed:"; echo "$2" | sed 's/^/#   /'
	return 1
}
for u in $A $B $C $R; do
	rows=$(vmjson $u)
	check "list --json for $u: each of its VMs once, with its host and state" \
	    same_rows "$(expect_rows $u)" "$rows"
done
vs $C list
check "list has a Host column" out_has "[Hh]ost"
check "showing each VM's host" out_has "c1 .*blade3"
check "and the columns are aligned" aligned "[Hh]ost" "^$"
rows=$(vmjson $ADM --all | grep -E "^($A|$B|$C|$R) ")
check "list --all --json: every VM once, with owner, host and state" \
    same_rows "$(expect_rows --all)" "$rows"
# And what the blades themselves hold: each domain on one blade only.
truth=$(for i in 1 2 3; do
	blade_virsh $i list --all --name | sed "s/\$/ blade$i/"
done | grep -v '^ blade' | sort)
mine=$(for k in "${!WHERE[@]}"; do
	echo "$(domain_of "${k%%/*}" "${k#*/}") ${WHERE[$k]}"
done | sort)
check "the blades' own libvirtds hold exactly these domains, each on one" \
    same_rows "$mine" "$truth"

# hosts: per host, running VMs and committed memory against what it offers.
vs $ADM hosts --json
check "hosts --json" rc_is 0
hosts_rows() {
	$PYTHON - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
hs = d["hosts"] if isinstance(d, dict) else d
for h in sorted(hs, key=lambda h: h["host"]):
    print(h["host"], "up" if h["reachable"] else "down", h["running"],
          h["defined"], h["memory_used_mib"], h["memory_mib"],
          h["vcpus_used"], h["vcpus"])
PY
}
check "each host: reachable, its running and defined VMs, memory and vCPUs committed against offered" \
    same_rows "blade1 up 1 5 $GIB $((MEM1 * GIB)) 1 4
blade2 up 2 2 $((2 * GIB)) $((MEM2 * GIB)) 2 4
blade3 up 1 3 $GIB $((MEM3 * GIB)) 1 4" "$(hosts_rows)"
vs $ADM hosts
check "hosts shows every host up" out_has "^blade3  *up "
check "hosts is for admins" eval "vs $B hosts; [ \$RC -ne 0 ]"

# Only the broker can use its key to blade1: a student who tries it with
# ssh cannot even load it.
check "the broker's key to blade1 is root's, mode 600" \
    [ "$(stat -c %U:%a "$TMP/blades-ssh/b1.key")" = root:600 ]
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    env HOME="$TMP/home/$A" ssh -F /dev/null -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -i "$TMP/blades-ssh/b1.key" -p "$BLADES_SSH_PORT" root@127.0.0.1 true \
    >"$OUT" 2>"$ERR" </dev/null
RC=$?
check "a student's ssh with the broker's key to blade1 is refused" rc_is 255
check "as the key cannot be read" \
    err_has "\\(Load key\\|Identity file\\) .*b1.key.*Permission denied"

# Two sessions of R race starts of r1 (blade3) and r2 (blade1), running =
# 1: one start wins, the other is refused, whichever it is.
race_ok=0
ROUNDS=4
for round in $(seq 1 $ROUNDS); do
	for v in r1 r2; do
		setpriv --reuid=$R --regid="$(id -g $R)" --init-groups -- \
		    "$SH" -f "$CONF" -c "start $v" >"$TMP/race-$v.out" \
		    2>"$TMP/race-$v.err" </dev/null &
		eval "pid_$v=\$!"
	done
	wait "$pid_r1"; rc1=$?
	wait "$pid_r2"; rc2=$?
	n=0
	for i in 1 3; do
		n=$((n + $(blade_virsh $i list --name | grep -c "^$(domain_of $R r)")))
	done
	if [ $((rc1 + rc2)) -eq 1 ] && [ "$n" -eq 1 ] &&
	    grep -q "quota exceeded" "$TMP/race-r1.err" "$TMP/race-r2.err"; then
		race_ok=$((race_ok + 1))
	else
		echo "# round $round: start r1 $rc1, start r2 $rc2, $n running"
		cat "$TMP"/race-*.err | sed 's/^/# /'
	fi
	for v in r1 r2; do vs $R destroy $v; done
done
check "racing starts on two blades never pass running = 1 ($race_ok of $ROUNDS rounds)" \
    [ "$race_ok" -eq "$ROUNDS" ]

# A booted guest's console on a remote blade, through ssh to the blade:
# C's guest, imported from an upload into the shared pool, lands on blade1
# (left 2, 2, 1; running 1, 2, 1), the one reached through qemu+ssh://.
cp "$GUEST" "$TMP/upload/$C/guest.img"
chown $C: "$TMP/upload/$C/guest.img"
vs $C define g guest.img
check "$C defines g from an upload: placed on blade1" out_has "^defined g on blade1 "
check "blade1 (qemu+ssh://) has it" on_blade 1 $C g
WHERE[$C/g]=blade1
: > "$TMP/serial.log"
vs $C start g
check "$C starts g on blade1" rc_is 0 && SECONDS=0 &&
	check "it boots: the boot line on its serial console" \
	    wait_for "$TMP/serial.log" "$GUEST_LINE" 120
echo "# boot line after $SECONDS s"
MARK="ievs-blades-written-by-$C-$$"
pty_run "the console of g on blade1 (ssh to the blade) reaches its guest's shell, which writes to its disk" \
    $C sshpty.py SCENARIO=disk-write VM=g MARK="$MARK"
vs $C destroy g
has_mark() {
	qemu-img convert -O raw "$1" "$TMP/mark.raw" &&
	grep -qaF "$MARK" "$TMP/mark.raw"
	local r=$?
	rm -f "$TMP/mark.raw"
	return $r
}
check "and the guest's write is in its disk in the shared pool" \
    has_mark "$TMP/pool/$(id -u $C)/g.qcow2"

# A blade's libvirtd dies.  Before: how fast commands on the others answer
# (info asks the VM's host; list reads the broker's table).
# times_ms N USER ARGS...: N runs, the median in ms.
times_ms() {
	local n=$1 u=$2 t i xs=()
	shift 2
	for ((i = 0; i < n; i++)); do
		t=$(date +%s%N)
		vs "$u" "$@"
		xs+=($(( ($(date +%s%N) - t) / 1000000 )))
		[ "$RC" -eq 0 ] || { echo "# $* failed"; show; }
	done
	printf '%s\n' "${xs[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p"
}
before_info1=$(times_ms 5 $A info a2)	# blade1
before_info2=$(times_ms 5 $A info a1)	# blade2
before_list=$(times_ms 5 $A list)
echo "# before: info on blade1 $before_info1 ms, on blade2 $before_info2 ms, list $before_list ms"

check "blade3's libvirtd is killed" blade_kill 3
check "its guest's QEMU runs on" eval 'blade_daemon_pid 3 "$QEMU" >/dev/null'
t0=$(date +%s%N)
seen=
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000 ]; do
	vmjson $C | grep -q "^- c1 blade3 unreachable$" && { seen=1; break; }
	sleep 0.2
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "within 10 s list shows blade3's VMs unreachable (after $ms ms)" [ -n "$seen" ]
rows=$(vmjson $A)
check "every one of them, and only them" same_rows "- a1 blade2 running
- a2 blade1 running
- a3 blade3 unreachable" "$rows"
vs $C start c2
check "a VM on a live blade still starts" rc_is 0
vs $C destroy c2
vs $C destroy c1
check "a command on a VM of the dead blade fails" rc_is 1
check "in one line" err_one_line
check "naming the host" \
    err_has "c1: host blade3 is unreachable (since [0-9:]*); try again later or ask an admin"
vs $ADM hosts
check "hosts shows blade3 unreachable since a time" \
    out_has "^blade3  *unreachable since [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
after_info1=$(times_ms 5 $A info a2)
after_info2=$(times_ms 5 $A info a1)
after_list=$(times_ms 5 $A list)
echo "# after: info on blade1 $after_info1 ms, on blade2 $after_info2 ms, list $after_list ms"
# No constant: as fast as before, within the noise of a shared machine
# (3 times, plus 200 ms).
as_fast() { [ "$2" -le $(( 3 * $1 + 200 )) ] || { echo "# $2 ms after, $1 ms before"; return 1; }; }
check "info on blade1 answers as fast as before the kill" as_fast "$before_info1" "$after_info1"
check "info on blade2 answers as fast as before the kill" as_fast "$before_info2" "$after_info2"
check "list answers as fast as before the kill" as_fast "$before_list" "$after_list"

blade_restart 3 || not_ok "blade3's libvirtd restarts"
t0=$(date +%s%N)
seen=
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 30000 ]; do
	vmjson $C | grep -q "^- c1 blade3 running$" && { seen=1; break; }
	sleep 0.2
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "after blade3's libvirtd restarts, its VMs are back in list unaided (after $ms ms)" \
    [ -n "$seen" ]
rows=$(vmjson $R)
check "as they were" same_rows "- r1 blade3 shut off
- r2 blade1 shut off" "$rows"
vs $C destroy c1
check "and commands on them work again" rc_is 0

# A blade whose libvirtd hangs (stopped: it accepts nothing more and
# answers nothing, as a host whose network went silent): a request for
# one of its VMs waits, but requests on the other blades do not wait
# behind it, the same user's list neither.
blade_freeze 2
setpriv --reuid=$B --regid="$(id -g $B)" --init-groups -- \
    "$SH" -f "$CONF" -c "info b1" >"$TMP/hung.out" 2>"$TMP/hung.err" </dev/null &
hung=$!
sleep 0.5
frozen_info1=$(times_ms 5 $A info a2)
frozen_list=$(times_ms 5 $B list)
echo "# blade2 hung: info on blade1 $frozen_info1 ms, list $frozen_list ms"
check "with blade2 hung, info on blade1 answers as fast as before" \
    as_fast "$before_info1" "$frozen_info1"
check "and list too, also for the user whose request waits on blade2" \
    as_fast "$before_list" "$frozen_list"
blade_thaw 2
t0=$(date +%s%N)
wait "$hung"
echo "# the request on blade2 ended $(( ($(date +%s%N) - t0) / 1000000 )) ms after the thaw"

# ie-vmd --check on the three blades, then with a fourth host that is
# unreachable, that has blade2's host UUID, or that cannot see the pool.
run_check() {
	"$VMD_BIN" --check -f "$1" --student $A --shell "$SH" \
	    --sshd-config "$SSHD_CONFIG" >"$OUT" 2>"$ERR"
	RC=$?
}
run_check "$CONF"
check "ie-vmd --check passes on the three blades" rc_is 0
for h in blade1 blade2 blade3; do
	check "its line on $h is ok" out_has "^ok.*$h"
done
sed 's/^/# /' "$OUT"
BLADE_UUID_4=$(blade_uuid 2)
BLADE_HIDE_POOL_5=$TMP/pool
blade_start 4 && blade_start 5 && blade_wait 4 && blade_wait 5 ||
	not_ok "blades 4 and 5 start"
# with_host NAME URI: the config with one more host, in $TMP/check.conf.
with_host() {
	sed "s|^\\[hosts\\]\$|[hosts]\\n$1 = $2|" "$CONF" > "$TMP/check.conf"
	chmod 644 "$TMP/check.conf"
}
with_host blade9 "qemu+unix:///system?socket=$TMP/nowhere/libvirt-sock"
run_check "$TMP/check.conf"
check "a host that does not answer fails the check" rc_is 1
check "naming it, and that it cannot be reached" \
    out_has "^FAIL.*blade9.*\\(unreachable\\|cannot connect\\)"
sed 's/^/# /' "$OUT"
with_host blade4 "$(blade_uri 4)"
run_check "$TMP/check.conf"
check "a host with another's host UUID fails the check" rc_is 1
check "naming both" out_has "^FAIL.*blade4.*blade2\|^FAIL.*blade2.*blade4"
sed 's/^/# /' "$OUT"
with_host blade5 "$(blade_uri 5)"
run_check "$TMP/check.conf"
check "a host that cannot see the pool fails the check" rc_is 1
check "naming it and the pool" out_has "^FAIL.*blade5.*$TMP/pool"
sed 's/^/# /' "$OUT"
check "and the other hosts pass" out_has "^ok.*blade2"

# Everything stopped by its pid; nothing left.
stop_vmd
blades_stop
check "no process the test started is left" blades_leftovers
echo "# wall time $(( $(date +%s) - T_START )) s"

done_testing

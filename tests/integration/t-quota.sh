#!/bin/bash
# Quotas hold under races: two users' worth of parallel sessions hammer
# define and start, and the limits are never exceeded; refusals and the
# quota command name resource, usage and limit; per-group and per-user
# rules; admins are held to quotas for their own VMs only.
. "$(dirname "$0")/lib.sh"

need_root
ADMIN_GROUP=ievs-t-qadm
make_group "$ADMIN_GROUP" || exit 1
make_group ievs-t-rich || exit 1
make_user ievq-a || exit 1
make_user ievq-b || exit 1
make_user ievq-rich ievs-t-rich || exit 1
make_user ievq-solo || exit 1
make_user ievq-two || exit 1
make_user ievq-full || exit 1
make_user ievq-adm "$ADMIN_GROUP" || exit 1
mkdir -p "$TMP/tpl"
cp "$TEST_TEMPLATE" "$TMP/tpl/"
sed 's|<memory unit=.MiB.>1024</memory>|<memory unit="MiB">2048</memory>|' \
    "$TEST_TEMPLATE" > "$TMP/tpl/big.xml"
TEMPLATE_DIR="$TMP/tpl"
write_config
cat >> "$CONF" <<'Q'

[limits]
sessions_per_user = 200
requests_per_minute = 100000

[quota]
vms = 5
running = 2
vcpus = 8
memory = 3000
disk = 10

[quota.group:ievs-t-rich]
vms = 12

[quota.user:ievq-full]
disk = 0

[quota.user:ievq-solo]
running = unlimited
memory = unlimited
Q
start_vmd || exit 1

# 60 parallel sessions of ievq-a race to define 60 VMs while ievq-b works
# normally; then 60 parallel starts race for 2 running slots.
race() {	# USER CMD-PREFIX COUNT: run COUNT parallel `CMD-PREFIX vN`
	local user=$1 cmd=$2 n=$3 i pids=
	for i in $(seq "$n"); do
		setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- \
		    "$SH" -f "$CONF" -c "$cmd v$((i % ${MOD:-1000}))" \
		    >"$TMP/race.$i.out" 2>"$TMP/race.$i.err" </dev/null &
		pids="$pids $!"
	done
	# meanwhile the other user goes about their business
	for i in 1 2 3 4 5; do
		vsh -u ievq-b -c "define b$i$cmd" >/dev/null
		[ "$RC" -eq 0 ] || b_failed=1
		vsh -u ievq-b -c "list"
		[ "$RC" -eq 0 ] || b_failed=1
		vsh -u ievq-b -c "undefine b$i$cmd"
		[ "$RC" -eq 0 ] || b_failed=1
	done
	wait $pids
}
b_failed=0
race ievq-a define 60
ok_def=$(cat "$TMP"/race.*.out | grep -c "^defined ")
check "exactly 5 of 60 racing defines succeed ($ok_def)" [ "$ok_def" -eq 5 ]
check "the others are refused naming resource, usage and limit" \
    [ "$(cat "$TMP"/race.*.err | grep -c "quota exceeded: VMs defined 5 of 5 used; undefine a VM first")" -eq 55 ]
vsh -u ievq-a -c list
check "ievq-a has 5 VMs" [ "$(grep -c 'shut off' "$OUT")" -eq 5 ]
mapfile -t vms < <(sed -n 's/^\(v[0-9]*\) .*/\1/p' "$OUT")
rm -f "$TMP"/race.*
for i in $(seq 60); do echo "start ${vms[$((i % 5))]}"; done > "$TMP/starts"
pids=
for i in $(seq 60); do
	setpriv --reuid=ievq-a --regid="$(id -g ievq-a)" --init-groups -- \
	    "$SH" -f "$CONF" -c "$(sed -n "${i}p" "$TMP/starts")" \
	    >"$TMP/race.$i.out" 2>"$TMP/race.$i.err" </dev/null &
	pids="$pids $!"
done
vsh -u ievq-b -c "define bb"; [ "$RC" -eq 0 ] || b_failed=1
vsh -u ievq-b -c "start bb"; [ "$RC" -eq 0 ] || b_failed=1
wait $pids
ok_start=$(cat "$TMP"/race.*.out | grep -c "^started ")
check "exactly 2 of 60 racing starts succeed ($ok_start)" [ "$ok_start" -eq 2 ]
vsh -u ievq-a -c list
check "ievq-a has exactly 2 running" [ "$(grep -c ' running  *[-0-9.]*$' "$OUT")" -eq 2 ]
check "the other user was never refused meanwhile" [ "$b_failed" -eq 0 ]
check "the other user's VM runs" sh -c "grep -q 'result=ok' '$TMP/vmd.log'"

# The same race from two long sessions of one user, 120 requests each:
# define and start interleaved, on the same names.
for i in $(seq 60); do echo "define t$i"; echo "start t$(( (i + 1) / 2 ))"; done > "$TMP/two"
for s in 1 2; do
	setpriv --reuid=ievq-two --regid="$(id -g ievq-two)" --init-groups -- \
	    "$SH" -f "$CONF" < "$TMP/two" >"$TMP/two.$s.out" 2>"$TMP/two.$s.err" &
	eval "two$s=\$!"
done
wait "$two1" "$two2"
check "two sessions: 240 requests made" [ "$(cat "$TMP"/two.?.out "$TMP"/two.?.err | grep -c .)" -eq 240 ]
check "two sessions: exactly 5 defines succeed" [ "$(cat "$TMP"/two.?.out | grep -c '^defined ')" -eq 5 ]
check "two sessions: exactly 2 starts succeed" [ "$(cat "$TMP"/two.?.out | grep -c '^started ')" -eq 2 ]
vsh -u ievq-two -c list
check "two sessions: 5 VMs, 2 running" [ "$(grep -c ' running  *[-0-9.]*$' "$OUT")" -eq 2 ] && [ "$(grep -c '^t' "$OUT")" -eq 5 ]

vsh -u ievq-a -c quota
check "quota works" rc_is 0
check "quota: VMs defined 5 of 5" out_has "^VMs defined  *5  *5$"
check "quota: VMs running 2 of 2" out_has "^VMs running  *2  *2$"
check "quota: vCPUs 2 of 8" out_has "^running vCPUs  *2  *8$"
check "quota: memory 2048 of 3000 MiB" out_has "^running memory  *2048  *3000 MiB$"
check "quota: disk 5 of 10 GiB (five blank disks of 1 GiB)" \
    out_has "^disk  *5.0  *10 GiB$"

# Memory: the limit names how much more is needed.
vsh -u ievq-a -c list
running=$(sed -n 's/^\(v[0-9]*\) .*running  .*$/\1/p' "$OUT")
stopped=$(sed -n 's/^\(v[0-9]*\) .*shut off  .*$/\1/p' "$OUT" | head -n 1)
for v in $running; do vsh -u ievq-a -c "destroy $v"; done
vsh -u ievq-a -c "undefine $stopped"
vsh -u ievq-a -c "define huge --template big"
check "define from the big template" rc_is 0
small=$(printf '%s\n' "${vms[@]}" | grep -vx "$stopped" | head -n 1)
vsh -u ievq-a -c "start $small"
check "a small VM starts" rc_is 0
vsh -u ievq-a -c "start huge"
check "memory over the limit is refused" rc_is 1
check "naming memory, usage, limit and need" err_has "quota exceeded: running memory 1024 of 3000 MiB used, 2048 MiB more needed; stop a VM first"

check "quota refusals are audited as denied" grep -q 'user=ievq-a cmd=start args=\["huge"\] result=denied reason="quota exceeded: running memory' "$TMP/vmd.log"

# Disk: a user whose disk quota is used up cannot define more.
vsh -u ievq-full -c "define d1"
check "define with the disk quota used up is refused" err_has "quota exceeded: disk 0.0 of 0 GiB used; delete a disk you no longer need"

# Group and user rules.
for i in $(seq 7); do vsh -u ievq-rich -c "define r$i"; done
check "a member of a richer group defines 7 (group rule: 12)" rc_is 0
vsh -u ievq-rich -c quota
check "and quota shows the group's limit" out_has "^VMs defined  *7  *12$"
for i in 1 2 3; do vsh -u ievq-solo -c "define s$i"; vsh -u ievq-solo -c "start s$i"; done
check "a user rule lifts the running limit" rc_is 0
vsh -u ievq-solo -c quota
check "shown as unlimited" out_has "^VMs running  *3  *unlimited$"

# Admins: another user's quota does not bind them; their own does.
vsh -u ievq-a -c "start huge"
vsh -u ievq-adm -c "start ievq-a/huge"
check "admin may start a student's VM beyond the student's quota" rc_is 0
for i in 1 2 3 4 5 6; do vsh -u ievq-adm -c "define mine$i"; done
check "admin's own VMs are held to the quota" err_has "quota exceeded: VMs defined 5 of 5"
vsh -u ievq-adm -c users
check "users: admin summary" rc_is 0
check "users: ievq-a has 5 VMs, 2 running, 3072 MiB" out_has "^ievq-a  *5  *2  *2  *3072 MiB "
check "users: ievq-b shown" out_has "^ievq-b "
vsh -u ievq-a -c users
check "users is refused to students" err_has "permission denied: users is for admins only"
done_testing

#!/bin/bash
# snapshot NAME create|list|revert|delete [SNAP]: for the owner; refused
# for another user as if the VM did not exist; names checked by the VM
# name rule before anything is looked up; internal snapshots of the qcow2
# disk counted against the disk quota.
. "$(dirname "$0")/lib.sh"

need_root
make_user ievsn-a || exit 1
make_user ievsn-b || exit 1
make_user ievsn-full || exit 1
make_user ievsn-one || exit 1
A=ievsn-a B=ievsn-b FULL=ievsn-full ONE=ievsn-one
UA=$(id -u $A)
write_config
printf '[quota]\nvms = 10\nrunning = 5\ndisk = 4\n[quota.user:%s]\nrunning = 1\n[quota.user:%s]\ndisk = 1\n' \
    $ONE $FULL >> "$CONF"
start_vmd || exit 1

vsh -u $A -c 'define web'
vsh -u $A -c 'snapshot web list'
check "snapshot list of a VM without snapshots" rc_is 0
check "shows the columns" out_has "^Snapshot  *Created  *State$"
vsh -u $A -c 'snapshot web create clean'
check "snapshot create of a stopped VM" rc_is 0
check "reports it" out_has "^created snapshot clean of web$"
vsh -u $A -c 'start web'
vsh -u $A -c 'snapshot web create booted'
check "snapshot create of a running VM" rc_is 0
vsh -u $A -c 'snapshot web list'
check "list shows the stopped snapshot" out_has "^clean  *[0-9-]* [0-9:]* UTC  *shutoff$"
check "list shows the running one" out_has "^booted  *[0-9-]* [0-9:]* UTC  *running$"
vsh -u $A -c 'info web --json'
check "info counts the snapshots" $PYTHON -c "import json; exit(json.load(open('$OUT'))['snapshots'] != 2)"

vsh -u $A -c 'snapshot web create clean'
check "a snapshot name taken is refused" rc_is 1
check "saying so" err_has "web already has a snapshot clean"
vsh -u $A -c 'snapshot web revert clean'
check "revert to the stopped snapshot" rc_is 0
check "reports it" out_has "^reverted web to snapshot clean$"
vsh -u $A -c 'list'
check "web is shut off again" out_has "^web  *shut off"
vsh -u $A -c 'snapshot web revert booted'
check "revert to the running snapshot" rc_is 0
vsh -u $A -c 'list'
check "web runs again" out_has "^web  *running"
vsh -u $A -c 'snapshot web revert nosuch'
check "revert to a missing snapshot fails" rc_is 1
check "naming the way to list them" err_has "web has no snapshot nosuch; 'snapshot web list' shows them"
vsh -u $A -c 'snapshot web delete booted'
check "delete a snapshot" rc_is 0
check "reports it" out_has "^deleted snapshot booted of web$"
vsh -u $A -c 'snapshot web list'
check "it is gone" out_lacks "booted"
check "the other is kept" out_has "^clean "

# Bad input: refused before any lookup, nothing made.
for bad in "Bad_Name" "../x" "a/b" "$(printf 'a%.0s' $(seq 33))" "-x"; do
	vsh -u $A -c "snapshot web create -- '$bad'"
	check "snapshot name '$bad' is refused as usage" rc_is 2
done
vsh -u $A -c 'snapshot web create Bad_Name'
check "naming the rule" err_has "invalid snapshot name 'Bad_Name': 1 to 32 characters"
vsh -u $A -c 'snapshot web rollback clean'
check "an unknown action is a usage error" rc_is 2
check "with the usage line" err_has "usage: snapshot NAME create|list|revert|delete \[SNAP\]"
vsh -u $A -c 'snapshot web create'
check "create without a name is a usage error" rc_is 2
vsh -u $A -c 'snapshot web list clean'
check "list with a name is a usage error" rc_is 2
vsh -u $A -c 'snapshot nosuch list'
check "a missing VM" err_has "^error: no such VM: nosuch$"
vsh -u $A -c 'snapshot web list'
check "nothing was made by the bad requests" [ "$(grep -c UTC "$OUT")" -eq 1 ]

# Going back to a snapshot of a running VM starts it: within the quota.
vsh -u $ONE -c 'define v1'; vsh -u $ONE -c 'define v2'
vsh -u $ONE -c 'start v1'
vsh -u $ONE -c 'snapshot v1 create up'
vsh -u $ONE -c 'destroy v1'
vsh -u $ONE -c 'start v2'
vsh -u $ONE -c 'snapshot v1 revert up'
check "revert that would start a VM past the quota is refused" rc_is 1
check "as a quota refusal" err_has "quota exceeded: VMs running 1 of 1 used"
vsh -u $ONE -c 'list'
check "v1 stays shut off" out_has "^v1  *shut off"
vsh -u $ONE -c 'destroy v2'
vsh -u $ONE -c 'snapshot v1 revert up'
check "within the quota it is allowed" rc_is 0
vsh -u $ONE -c 'list'
check "and v1 runs" out_has "^v1  *running"

# Another user: refused exactly like a VM that does not exist.
for act in "list" "create mine" "revert clean" "delete clean"; do
	vsh -u $B -c "snapshot web $act"
	check "$B: snapshot web $act says no such VM" err_has "^error: no such VM: web$"
	vsh -u $B -c "snapshot $A/web $act"
	check "$B: snapshot $A/web $act is denied" err_has "permission denied"
done
vsh -u $A -c 'snapshot web list'
check "$A's snapshot survives $B's attempts" out_has "^clean "
check "and $B made none" out_lacks "mine"

# What a qcow2 disk with an internal snapshot is charged: the snapshot
# pins what the image allocates, and the live image may still grow to its
# virtual size.  (The test driver leaves disks alone: the snapshot is
# written by qemu-img, as QEMU would.)
if command -v qemu-img >/dev/null; then
	AREA=$TMP/upload/$A
	mkdir -p "$AREA" && chown $A "$AREA"
	qemu-img create -f qcow2 "$AREA/d.qcow2" 512M >/dev/null
	! command -v qemu-io >/dev/null ||
		qemu-io -c 'write -P 7 0 128M' "$AREA/d.qcow2" >/dev/null
	chown $A "$AREA/d.qcow2"
	vsh -u $A -c 'define db d.qcow2'
	check "define db from a qcow2 upload" rc_is 0
	vsh -u $A -c 'images --json'
	before=$($PYTHON -c "import json; print([d['charged_bytes'] for d in json.load(open('$OUT'))['disks'] if d['name'] == 'db'][0])")
	check "a disk without snapshots is charged its virtual size" [ "$before" -eq $((512 * 1024 * 1024)) ]
	qemu-img snapshot -c s1 "$TMP/pool/$UA/db.qcow2"
	vsh -u $A -c 'images --json'
	after=$($PYTHON -c "import json; print([d['charged_bytes'] - d['allocated_bytes'] for d in json.load(open('$OUT'))['disks'] if d['name'] == 'db'][0])")
	check "with a snapshot, its virtual size and its allocation" [ "$after" -eq $((512 * 1024 * 1024)) ]
	vsh -u $A -c 'quota --json'
	check "the quota counts the same" $PYTHON -c "import json; q = {r['resource']: r['used'] for r in json.load(open('$OUT'))['quota']}; exit(q['disk_bytes'] <= 512 * 2**20)"

	# A user whose disk quota (1 GiB) is used up makes no snapshot.
	FAREA=$TMP/upload/$FULL
	mkdir -p "$FAREA" && chown $FULL "$FAREA"
	# 1 MiB short of it: the upload counts too until it is deleted.
	qemu-img create -f qcow2 "$FAREA/big.qcow2" 1023M >/dev/null
	chown $FULL "$FAREA/big.qcow2"
	vsh -u $FULL -c 'define full big.qcow2'
	check "$FULL defines a VM whose disk takes the whole quota" rc_is 0
	head -c $((1024 * 1024)) /dev/zero > "$FAREA/more.raw"	# the last MiB
	chown $FULL "$FAREA/more.raw"
	vsh -u $FULL -c 'snapshot full create s1'
	check "snapshot with the disk quota used up is refused" rc_is 1
	check "as a quota refusal" err_has "quota exceeded: disk 1.0 of 1 GiB used; delete a disk you no longer need with 'undefine NAME --disk', a snapshot with 'snapshot NAME delete SNAP', or an upload you have imported (sftp rm FILE)"
	grep -q "user=$FULL cmd=snapshot args=\[\"full\" \"create\" \"s1\"\] result=denied" "$TMP/vmd.log"
	check "and audited as denied" [ $? -eq 0 ]
	vsh -u $FULL -c 'snapshot full list'
	check "no snapshot was made" out_lacks "s1"
else
	echo "# qemu-img missing: the charge of a disk with snapshots is not checked"
fi
done_testing

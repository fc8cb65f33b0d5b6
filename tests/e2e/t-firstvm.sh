#!/bin/bash
# A student's first VM on the real stack (qemu:///system), without an
# upload: define gives a blank disk that starts, or, for a template
# without a blank size, a refusal that says what to do and defines
# nothing; define --base copies the admin's bootable base image (the test
# guest), which boots; two students' copies are independent (what one
# guest writes to its disk is not in the other copy); the disk quota counts
# the copies.  A VM whose disk was removed behind the broker's back fails
# to start with one line and no host path, and the audit log has
# libvirt's own words.
. "$(dirname "$0")/lib.sh"

A=ievse2ea
B=ievse2eb
E2E_STORAGE="base_dir = $TMP/base"
E2E_TEMPLATES=bare
E2E_CONF_EXTRA="[template:bare]
blank_size = 0"
e2e_prepare() {
	mkdir -p "$TMP/base" &&
	qemu-img convert -O qcow2 "$GUEST" "$TMP/base/guest.qcow2" &&
	echo "the e2e test guest: busybox on Debian's kernel" > \
	    "$TMP/base/guest.txt"
}
e2e_setup "+$A" "+$B"
UA=$(id -u $A) UB=$(id -u $B)
state() { virsh -q -c qemu:///system domstate "$(domain_of "$1" "$2")" | head -n 1; }
defined() { virsh -q -c qemu:///system list --all --name | grep -qx "$(domain_of "$1" "$2")"; }

# No image: a blank disk of the admin's size, and the VM starts.
ssh_key $A define a
check "define a, no image" rc_is 0
check "with a blank disk" out_has "^defined a (template default, blank disk of 1 GiB)$"
ssh_key $A start a
check "start a" rc_is 0
check "says so" out_has "^started a$"
check "a runs" test "$(state $A a)" = running
ssh_key $A destroy a
check "destroy a" rc_is 0

# A template without a blank size: refused at define, nothing defined.
ssh_key $A define c --template bare
check "define c of a template without a blank size is refused" rc_is 1
check "in one line" err_one_line
check "saying what to do" err_has "^error: cannot define c without a disk: upload an image and use 'define c IMAGE', or pick a base image: 'define c --base B' ('images --base' lists them)$"
check "c is not defined" eval "! defined $A c"
check "and has no disk" [ ! -e "$TMP/pool/$UA/c.qcow2" ]

# A copy of the admin's base image, which boots.
ssh_key $A images --base
check "images --base lists the base" out_has "^guest  *qcow2  .*  the e2e test guest"
ssh_key $A define b --base guest
check "define b --base guest" rc_is 0
check "says where its disk came from" out_has "^defined b (template default, disk copied from base guest)$"
: > "$TMP/serial.log"
ssh_key $A start b
check "start b" rc_is 0 && SECONDS=0 &&
	check "the copy boots: its line on the serial console" \
	    wait_for "$TMP/serial.log" "$GUEST_LINE" 120
echo "# boot line after $SECONDS s"

# Another student's copy; A's guest writes to its own disk.
ssh_key $B define b --base guest
check "$B defines b from the same base" rc_is 0
MARK="ievs-e2e-written-by-$A-$$"
pty_run "$A's guest writes to its disk through the console" $A sshpty.py \
    SCENARIO=disk-write VM=b MARK="$MARK"
ssh_key $A destroy b
has_mark() {
	qemu-img convert -O raw "$1" "$TMP/mark.raw" &&
	grep -qaF "$MARK" "$TMP/mark.raw"
	local r=$?
	rm -f "$TMP/mark.raw"
	return $r
}
check "$A's copy holds what $A's guest wrote" has_mark "$TMP/pool/$UA/b.qcow2"
check "$B's copy does not" eval "! has_mark '$TMP/pool/$UB/b.qcow2'"
check "nor does the base" eval "! has_mark '$TMP/base/guest.qcow2'"
: > "$TMP/serial.log"
ssh_key $B start b
check "$B's copy boots too" wait_for "$TMP/serial.log" "$GUEST_LINE" 120
ssh_key $B destroy b

# The disk quota counts each copy and blank disk at its virtual size.
vsize=$(qemu-img info --output=json "$TMP/base/guest.qcow2" |
    $PYTHON -c 'import json, sys; print(json.load(sys.stdin)["virtual-size"])')
quota_disk() {
	ssh_key "$1" quota --json
	$PYTHON -c "import json; print([r['used'] for r in json.load(open('$OUT'))['quota'] if r['resource'] == 'disk_bytes'][0])"
}
check "$A's disk quota counts the blank disk and the copy" \
    [ "$(quota_disk $A)" -eq $(( (1 << 30) + vsize )) ]
check "$B's counts B's copy" [ "$(quota_disk $B)" -eq "$vsize" ]

# A disk removed behind the broker's back.
ssh_key $A define m --base guest
rm -f "$TMP/pool/$UA/m.qcow2"
ssh_key $A start m
check "start of a VM whose disk is gone fails" rc_is 1
check "in one line" err_one_line
check "saying what to do" err_has "^error: cannot start m: its disk is missing; undefine it with 'undefine m --disk' and define it again$"
check "without a host path" eval "! grep -q / '$ERR'"
check "the audit log has libvirt's words, with the path" \
    grep -q "user=$A cmd=start args=\[\"m\"\] result=failed reason=\"cannot start m: its disk is missing.*\" libvirt=\".*$TMP/pool/$UA/m.qcow2" "$TMP/vmd.log"
ssh_key $A info m
check "info says the disk is missing, and what to do" \
    out_has "^disk: *missing; 'undefine m --disk' and define it again$"
ssh_key $A undefine m --disk
check "undefine m --disk" rc_is 0

for vm in a b; do
	ssh_key $A undefine $vm --disk
	check "$A: undefine $vm --disk" rc_is 0
done
ssh_key $B undefine b --disk
check "$B: undefine b --disk" rc_is 0
check "no domain of theirs is left" eval "! defined $A a && ! defined $A b && ! defined $B b"
check "no disk is left in the pool" \
    bash -c "[ -z \"\$(find '$TMP/pool' -type f)\" ]"
done_testing

#!/bin/bash
# The student's commands on a real guest under QEMU: shutdown of a guest
# that ignores ACPI (the test guest runs no acpid), with and without
# --force; reset; info and ip; internal snapshots of the qcow2 disk.
. "$(dirname "$0")/lib.sh"

A=ievse2ea
ADM=ievse2ed
e2e_setup "+$A" "@$ADM"
scp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$GUEST" \
    "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
ssh_key $A define web guest.img
check "define web" rc_is 0
dom=$(domain_of $A web)
state() { virsh -q -c qemu:///system domstate "$dom" | head -n 1; }
boots() { grep -cF "$GUEST_LINE" "$TMP/serial.log" 2>/dev/null; }

: > "$TMP/serial.log"
ssh_key $A start web
check "start web" rc_is 0
check "the guest boots" wait_for "$TMP/serial.log" "$GUEST_LINE" 120

ssh_key $A shutdown web --timeout 3
check "shutdown without --force fails on a guest that ignores ACPI" rc_is 1
check "saying it did not stop, and what to do" \
    err_has "web did not stop within 3 s.*--force"
check "in one line" err_one_line
check "and the guest still runs" test "$(state)" = running

SECONDS=0
ssh_key $A shutdown web --timeout 5 --force
took=$SECONDS
check "shutdown --timeout 5 --force succeeds" rc_is 0
check "saying it powered the VM off" out_has "powered it off"
check "after waiting the 5 s (took $took s)" test "$took" -ge 5
check "and not much longer (took $took s)" test "$took" -le 30
check "the VM is shut off" test "$(state)" = "shut off"

: > "$TMP/serial.log"
ssh_key $A start web
wait_for "$TMP/serial.log" "$GUEST_LINE" 120
ssh_key $A reset web
check "reset web" rc_is 0
check "the guest boots again" \
    bash -c "for i in \$(seq 1 600); do [ \"\$(grep -cF '$GUEST_LINE' '$TMP/serial.log')\" -ge 2 ] && exit 0; sleep 0.1; done; exit 1"

# An admin on the student's console sees the guest's escape sequences
# escaped; the student destroys the VM under it, and the console ends.
stop_argv=$($PYTHON -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
    ssh "${SSH_OPTS[@]}" -p "$PORT" -i "$TMP/keys/$A" "$A@127.0.0.1" destroy web)
pty_run "an admin on a student's console" $ADM sshpty.py \
    SCENARIO=admin-console VM="$A/web" STOP_ARGV="$stop_argv"

check "web is shut off" test "$(state)" = "shut off"
: > "$TMP/serial.log"
ssh_key $A start web
wait_for "$TMP/serial.log" "$GUEST_LINE" 120
ssh_key $A info web
check "info web" rc_is 0
check "info: running" out_has "state: *running"
check "info: 256 MiB, from the template" out_has "memory: *256 MiB"
check "info: the disk's virtual size" out_has "disk:.*MiB"
check "info: the MAC" out_has "MAC: *52:54:00:"
ssh_key $A ip web
check "ip web" rc_is 0
check "ip: the MAC, with a hint while no address is known" \
    out_has "52:54:00:.*"
ssh_key $A info web --json
check "info --json parses" $PYTHON -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["state"] == "running", d' "$OUT"

ssh_key $A destroy web
ssh_key $A snapshot web create clean
check "snapshot create (qcow2, shut off)" rc_is 0
disk=$(virsh -c qemu:///system domblklist "$dom" | awk '$1 == "vda" { print $2 }')
check "the snapshot is inside the disk" \
    bash -c "qemu-img snapshot -l '$disk' | grep -q clean"
ssh_key $A snapshot web list
check "snapshot list shows it" out_has "clean"
ssh_key $A snapshot web revert clean
check "snapshot revert" rc_is 0
: > "$TMP/serial.log"
ssh_key $A start web
check "the reverted guest boots" wait_for "$TMP/serial.log" "$GUEST_LINE" 120
ssh_key $A destroy web
ssh_key $A snapshot web delete clean
check "snapshot delete" rc_is 0
check "the snapshot is gone from the disk" \
    bash -c "! qemu-img snapshot -l '$disk' | grep -q clean"
ssh_key $A undefine web --disk
check "undefine web --disk" rc_is 0

done_testing

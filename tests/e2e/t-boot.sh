#!/bin/bash
# A student's day, end to end: logs in with a password and with a key,
# uploads the test guest with every client (sftp, scp, legacy scp, curl),
# defines a VM from each upload, starts one, sees its boot line, destroys
# and undefines it.
. "$(dirname "$0")/lib.sh"

A=ievse2ea
e2e_setup "+$A"
echo "# sshd on 127.0.0.1:$PORT; guest $(stat -c %s "$GUEST") bytes"

ssh_pass $A list
check "password login: list runs" rc_is 0
ssh_key $A list
check "key login: list runs" rc_is 0
ssh_pass $A nosuchcommand
check "a failing command's exit status reaches ssh" rc_is 2
ssh_key $A start nosuchvm
check "a refused start's exit status reaches ssh" rc_is 1
check "with its one-line reason" err_has "nosuchvm"

# Uploads, each with another client.
cp "$GUEST" "$TMP/g-sftp.img"
printf 'put %s\nls -l\n' "$TMP/g-sftp.img" > "$TMP/batch"
sftp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" -b "$TMP/batch" \
    "$A@127.0.0.1" >"$OUT" 2>"$ERR"
RC=$?
check "sftp: put" rc_is 0
cp "$GUEST" "$TMP/g-scp.img"
scp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$TMP/g-scp.img" \
    "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
RC=$?
check "scp (sftp protocol): upload" rc_is 0
cp "$GUEST" "$TMP/g-legacy.img"
scp -O "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$TMP/g-legacy.img" \
    "$A@127.0.0.1:g-legacy.img" >"$OUT" 2>"$ERR"
RC=$?
check "scp -O (legacy protocol): upload" rc_is 0
curl -sS --insecure -u "$A:$PASS" -T "$GUEST" \
    "sftp://127.0.0.1:$PORT/~/g-curl.img" >"$OUT" 2>"$ERR"
RC=$?
check "curl sftp:// (libssh2, password): upload" rc_is 0
for c in sftp scp legacy curl; do
	check "the $c upload arrived intact" \
	    cmp "$GUEST" "$TMP/upload/$A/g-$c.img"
done
ssh_key $A images
check "images lists the uploads" out_has "g-curl.img"

# A VM from each upload; each disk is the guest, converted.
for c in sftp scp legacy curl; do
	ssh_key $A define "vm-$c" "g-$c.img"
	check "define vm-$c from the $c upload" rc_is 0
done
for c in sftp scp legacy curl; do
	disk=$(virsh -c qemu:///system domblklist "$(domain_of $A vm-$c)" |
	    awk '$1 == "vda" { print $2 }')
	check "vm-$c's disk holds the guest" \
	    qemu-img compare -q "$GUEST" "$disk"
done

# Boot one, watch its serial console, stop it.
: > "$TMP/serial.log"
ssh_pass $A start vm-curl
check "start vm-curl" rc_is 0 && SECONDS=0 &&
	check "the guest's boot line appears on its serial console" \
	    wait_for "$TMP/serial.log" "$GUEST_LINE" 120
echo "# boot line after $SECONDS s"
ssh_key $A list
check "list shows it running" out_has "vm-curl.*running"

# At a terminal, through ssh -tt: web is started there and its boot line
# read on its console (the guests share one serial log, so vm-curl stops
# first).
ssh_key $A destroy vm-curl
check "destroy vm-curl" rc_is 0
ssh_key $A define web g-sftp.img
check "define web" rc_is 0
pty_run "an interactive session over ssh" $A sshpty.py
ssh_key $A destroy web
ssh_key $A undefine web --disk
check "web is gone" rc_is 0
ssh_key $A list
check "list shows vm-curl shut off" out_has "vm-curl.*shut off"
for c in sftp scp legacy curl; do
	ssh_key $A undefine "vm-$c" --disk
	check "undefine vm-$c --disk" rc_is 0
done
ssh_key $A list
check "no VM is left" out_lacks "vm-"
check "no domain is left in libvirt" \
    bash -c "! virsh -q -c qemu:///system list --all --name | grep -q '^$(domain_of $A '')'"
check "no disk is left in the pool" \
    bash -c "[ -z \"\$(find '$TMP/pool' -type f)\" ]"

done_testing

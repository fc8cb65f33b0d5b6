#!/bin/bash
# The broker's side of [import] credentials, with a stand-in for
# ie-vmd-creds that answers as told (the real one, with libguestfs, is
# tests/e2e/t-creds.sh): what the student reads for each answer and mode,
# the keys the broker passes on (read as the student, options, comments,
# junk and insecure keys left out), a helper that fails, and one stopped
# with its children when the student goes away.  Nothing is left in the
# pool after a refusal.
. "$(dirname "$0")/lib.sh"
need_root
command -v qemu-img >/dev/null || skip "qemu-img is not installed"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no kernel in /boot: the broker would not check imports"

A=ievs-crd-a
make_user $A || skip "cannot create users"
UA=$(id -u $A)
mkdir -m 755 "$TMP/keys"
FAKE=$TMP/fake-creds
cat > "$FAKE" <<EOF
#!/bin/sh
# ie-vmd-creds MODE CACHEDIR DISK ACCEL, answering what $TMP/answer says.
echo "\$1 \$4" > $TMP/args
[ "\$1" = fix ] && cat <&3 > $TMP/keys-got
case \$(head -n 1 $TMP/answer) in
fail) echo "libguestfs: error: no appliance" >&2; exit 1 ;;
hang) sleep 600 & echo \$! > $TMP/child; wait ;;
esac
echo "(70/100%)"
cat $TMP/answer
EOF
chmod 755 "$FAKE"
write_config
cat >> "$CONF" <<EOF
[import]
credentials = check
helper = $FAKE
cache_dir = $TMP/cache
student_keys = $TMP/keys/%u
EOF
mode() {
	stop_vmd
	sed -i "s/^credentials = .*/credentials = $1/" "$CONF"
	start_vmd || exit 1
}
start_vmd || exit 1
vsh -u $A -c list
AREA=$TMP/upload/$A
qemu-img create -q -f qcow2 "$AREA/box.qcow2" 16M
chown $A: "$AREA/box.qcow2"
chmod 600 "$AREA/box.qcow2"
nothing_left() { [ -z "$(find "$TMP/pool" -type f)" ]; }
FOUND='os Debian
key /home/vagrant/.ssh/authorized_keys rsa
key /root/.ssh/authorized_keys ed25519
password vagrant vagrant
password root empty'

echo noos > "$TMP/answer"
vsh -u $A -c "define n box.qcow2"
check "no OS recognised: imported" rc_is 0
check "with a one-line note" out_has "^no operating system recognised in the image: not checked for default credentials$"
check "the helper checked the disk (no KVM asked for)" grep -qx "check auto" "$TMP/args"
check "the appliance's cache was made, root's, 0700" \
    [ "$(stat -c '%U %a' "$TMP/cache")" = "root 700" ]
vsh -u $A -c "undefine n --disk"

echo "$FOUND" > "$TMP/answer"
vsh -u $A -c "define c box.qcow2"
check "check: refused" rc_is 1
check "in one line" err_one_line
check "naming every finding" err_has "the image has default credentials: Vagrant's insecure RSA ssh key in /home/vagrant/.ssh/authorized_keys, Vagrant's insecure ED25519 ssh key in /root/.ssh/authorized_keys, password 'vagrant' for vagrant, no password for root; remove them and upload the image again$"
check "nothing left" nothing_left
check "the audit log has it" grep -q "uid $UA: default credentials in an import (not fixed): Vagrant's insecure RSA" "$TMP/vmd.log"

mode warn
vsh -u $A -c "define w box.qcow2"
check "warn: imported" rc_is 0
check "with a warning naming them" out_has "^warning: the image has default credentials: Vagrant's insecure RSA ssh key in /home/vagrant/.ssh/authorized_keys, .*; anyone can log in to this VM: change them$"
vsh -u $A -c "undefine w --disk"

mode fix
ED=AAAAC3NzaC1lZDI1NTE5AAAAIIC/+oPRi8FHWXAkEzDUw5gtNrLODAo5Dkddbpn/5DjK
printf '# mine\nno-pty,command="x y" ssh-ed25519 %s me@laptop\nssh-ed25519 %s vagrant\nnonsense\n' \
    "$ED" AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y \
    > "$TMP/keys/$A"
chmod 600 "$TMP/keys/$A"
vsh -u $A -c "define f box.qcow2"
check "keys the student cannot read are not read: refused" rc_is 1
check "saying where" err_has "cannot read your ssh keys in $TMP/keys/$A$"
check "nothing left" nothing_left
chmod 644 "$TMP/keys/$A"
printf '%s\ninstalled vagrant 1\ninstalled root 1\n' "$FOUND" > "$TMP/answer"
vsh -u $A -c "define f box.qcow2"
check "fix: imported" rc_is 0
check "the helper was asked to fix" grep -qx "fix auto" "$TMP/args"
check "and got the student's key alone, without options or comment" \
    [ "$(cat "$TMP/keys-got")" = "ssh-ed25519 $ED" ]
check "the student reads each change" out_has "^removed Vagrant's insecure ED25519 ssh key from /root/.ssh/authorized_keys$"
check "passwords locked" out_has "^locked the password of root$"
check "keys installed, and from where" out_has "^installed your ssh keys ($TMP/keys/$A) for vagrant$"
check "after the first line" eval "head -n 1 '$OUT' | grep -qx 'defined f (template default, disk imported)'"
vsh -u $A -c "undefine f --disk"

printf '%s\nnokeys\n' "$FOUND" > "$TMP/answer"
vsh -u $A -c "define k box.qcow2"
check "fix without a key to install: refused" rc_is 1
check "saying what to do" err_has "; they were left since you have no ssh key to put instead: add your public key to $TMP/keys/$A and define again$"
check "nothing left" nothing_left

echo fail > "$TMP/answer"
vsh -u $A -c "define e box.qcow2"
check "a helper that fails: refused" rc_is 1
check "telling the student to tell the admin" err_has "cannot look for default credentials in the image; tell the admin$"
check "the admin's log has the helper's words" grep -q "ie-vmd-creds on .*: libguestfs: error: no appliance" "$TMP/vmd.log"
check "nothing left" nothing_left

echo hang > "$TMP/answer"
rm -f "$TMP/child"
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    "$SH" -f "$CONF" -c "define h box.qcow2" >/dev/null 2>&1 </dev/null &
SHPID=$!
for _ in $(seq 1 100); do [ -s "$TMP/child" ] && break; sleep 0.1; done
CHILD=$(cat "$TMP/child" 2>/dev/null)
check "the hanging helper started a child" test -n "$CHILD"
kill "$SHPID"; wait "$SHPID" 2>/dev/null
stopped() {
	for _ in $(seq 1 50); do
		kill -0 "$CHILD" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
check "the student gone, the helper's children are stopped too" stopped
check "nothing left" nothing_left

stop_vmd
done_testing

#!/bin/bash
# Default credentials in an upload, as a Vagrant box has them: an image
# made here (mkfs.ext4 -d from a small root tree) with Vagrant's insecure
# RSA key for vagrant, its ED25519 key for root, and the password
# 'vagrant'.  With [import] credentials = check, define refuses it naming
# each finding and leaves nothing; with fix, define imports it with the
# keys removed, the password locked and the student's own key installed
# (read back with guestfish), says so, and the upload itself is untouched;
# a student who hangs up meanwhile stops the appliance.
# libguestfs runs its appliance under TCG here (nested KVM may hang); its
# cache is kept in /var/tmp, where libguestfs keeps it by default, so that
# later runs do not build it again.
. "$(dirname "$0")/lib.sh"

A=ievse2ec
HELPER=$top_builddir/src/daemon/ie-vmd-creds
GCACHE=/var/tmp/ie-vshell-test-guestfs
[ -x "$HELPER" ] || skip "ie-vmd-creds not built (no libguestfs-dev at configure)"
command -v guestfish >/dev/null ||
	skip "guestfish is not installed (Debian: libguestfs-tools)"
ls /boot/vmlinuz-* >/dev/null 2>&1 ||
	skip "no kernel in /boot for libguestfs (Debian: linux-image-cloud-amd64)"
E2E_CONF_EXTRA="[import]
credentials = check
helper = $HELPER
cache_dir = $GCACHE
accel = tcg"
T_START=$(date +%s)
e2e_setup "+$A"
T_SETUP=$(date +%s)
UA=$(id -u $A)

RSA='ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ=='
ED='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN1YdxBpNlzxDqfJyw/QKow1F+wvG9hXGoqiysfJOn5Y'
STUDENT=$(cut -d' ' -f1,2 "$TMP/keys/$A.pub")
ssh-keygen -q -t ed25519 -N '' -f "$TMP/other" || exit 1
OTHER=$(cut -d' ' -f1,2 "$TMP/other.pub")	# root's own, which stays

# The image: what Vagrant's boxes have, on one ext4 file system.
R=$TMP/root
mkdir -p "$R/etc" "$R/bin" "$R/root/.ssh" "$R/home/vagrant/.ssh" "$R/tmp"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
    > "$R/etc/os-release"
echo 12.0 > "$R/etc/debian_version"
echo '# <file system> <mount point> <type> <options> <dump> <pass>' > "$R/etc/fstab"
printf 'root:x:0:0:root:/root:/bin/sh\nvagrant:x:1000:1000::/home/vagrant:/bin/sh\n' \
    > "$R/etc/passwd"
HASH=$($PYTHON -c 'import crypt; print(crypt.crypt("vagrant", crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null)
printf 'root:*:19000:0:99999:7:::\nvagrant:%s:19000:0:99999:7:::\n' "$HASH" \
    > "$R/etc/shadow"
chmod 640 "$R/etc/shadow"
printf '%s vagrant insecure public key\n' "$RSA" > "$R/home/vagrant/.ssh/authorized_keys"
printf '%s\nfrom="10.0.0.1" %s vagrant\n' "$OTHER" "$ED" > "$R/root/.ssh/authorized_keys"
chmod 700 "$R/home/vagrant/.ssh" "$R/root/.ssh"
chown -R 1000:1000 "$R/home/vagrant"
truncate -s 32M "$TMP/vagrant.raw"
mkfs.ext4 -q -F -d "$R" "$TMP/vagrant.raw" ||
	skip "this mkfs.ext4 cannot populate a file system (-d)"
qemu-img convert -f raw -O qcow2 "$TMP/vagrant.raw" "$TMP/vagrant.qcow2"
ssh_key $A images	# makes the upload area
install -o $A -m 600 "$TMP/vagrant.qcow2" "$TMP/upload/$A/vagrant.qcow2"
check "the hash is the password 'vagrant'" test -n "$HASH"

# check: refused, each finding named, nothing left.
SECONDS=0
ssh_key $A define v vagrant.qcow2
echo "# check mode: $SECONDS s"
check "check: define is refused" rc_is 1
check "in one line" err_one_line
check "naming the RSA key and where" err_has "Vagrant's insecure RSA ssh key in /home/vagrant/.ssh/authorized_keys"
check "naming the ED25519 key and where" err_has "Vagrant's insecure ED25519 ssh key in /root/.ssh/authorized_keys"
check "naming the password" err_has "password 'vagrant' for vagrant"
check "saying what to do" err_has "remove them and upload the image again$"
check "no VM" eval "! virsh -q -c qemu:///system list --all --name | grep -qx u${UA}_v"
check "no disk is left in the pool" \
    bash -c "[ -z \"\$(find '$TMP/pool' -type f)\" ]"

# fix: imported, changed, and the student told.
stop_vmd
sed -i 's/^credentials = check$/credentials = fix/' "$CONF"
start_vmd || exit 1
# A student who hangs up during the check stops it: the helper, its
# appliance and the staged copy are gone at once.
ssh "${SSH_OPTS[@]}" -p "$PORT" -i "$TMP/keys/$A" -o PasswordAuthentication=no \
    "$A@127.0.0.1" define w vagrant.qcow2 >/dev/null 2>&1 </dev/null &
SSH_PID=$!
HELPER= QEMU=
for _ in $(seq 1 600); do
	HELPER=$(pgrep -P "$VMD_PID" -x ie-vmd-creds | head -n 1)
	[ -n "$HELPER" ] && QEMU=$(pgrep -g "$HELPER" qemu-system | head -n 1)
	[ -n "$QEMU" ] && break
	sleep 0.1
done
check "the helper runs its appliance" test -n "$QEMU"
kill "$SSH_PID"; wait "$SSH_PID" 2>/dev/null
gone() {
	for _ in $(seq 1 100); do
		[ -z "$(pgrep -g "$HELPER")" ] && return 0
		sleep 0.1
	done
	ps -o pid,cmd -g "$HELPER" | sed 's/^/# left: /'
	return 1
}
[ -n "$QEMU" ] && check "hanging up stops the helper and its appliance" gone
check "w is not defined" eval "! virsh -q -c qemu:///system list --all --name | grep -qx u${UA}_w"
check "nothing is left in the pool" \
    bash -c "[ -z \"\$(find '$TMP/pool' -type f)\" ]"

SECONDS=0
ssh_key $A define v vagrant.qcow2
echo "# fix mode: $SECONDS s"
check "fix: define succeeds" rc_is 0
check "says the disk was imported" out_has "^defined v (template default, disk imported)$"
check "says the RSA key was removed" out_has "^removed Vagrant's insecure RSA ssh key from /home/vagrant/.ssh/authorized_keys$"
check "says the ED25519 key was removed" out_has "^removed Vagrant's insecure ED25519 ssh key from /root/.ssh/authorized_keys$"
check "says the password was locked" out_has "^locked the password of vagrant$"
check "says the student's keys were installed for vagrant" out_has "^installed your ssh keys (~/.ssh/authorized_keys) for vagrant$"
check "the upload is untouched" cmp "$TMP/vagrant.qcow2" "$TMP/upload/$A/vagrant.qcow2"

# What the VM's disk holds now, read by libguestfs (one launch).
LIBGUESTFS_BACKEND=direct LIBGUESTFS_CACHEDIR=$GCACHE \
LIBGUESTFS_BACKEND_SETTINGS=force_tcg guestfish --ro \
    -a "$TMP/pool/$UA/v.qcow2" -i > "$TMP/after" 2>&1 <<'G'
echo ==shadow
cat /etc/shadow
echo ==vagrant
cat /home/vagrant/.ssh/authorized_keys
echo ==root
cat /root/.ssh/authorized_keys
echo ==end
G
section() { sed -n "/^==$1\$/,/^==/p" "$TMP/after" | grep -v '^=='; }
check "guestfish read the disk" grep -qx '==end' "$TMP/after"
check "vagrant's password is locked" eval "section shadow | grep -qxF 'vagrant:!$HASH:19000:0:99999:7:::'"
check "root's entry is unchanged" eval "section shadow | grep -qxF 'root:*:19000:0:99999:7:::'"
check "no insecure key for vagrant" eval "! section vagrant | grep -qF '${RSA#ssh-rsa }'"
check "the student's key for vagrant" eval "section vagrant | grep -qxF '$STUDENT'"
check "no insecure key for root" eval "! section root | grep -qF '${ED#ssh-ed25519 }'"
check "root's other key stays" eval "section root | grep -qxF '$OTHER'"
check "and the student's key for root" eval "section root | grep -qxF '$STUDENT'"
[ $fails -eq 0 ] || sed 's/^/# /' "$TMP/after"
echo "# setup (with the wait for the e2e lock) $((T_SETUP - T_START)) s, the rest $(($(date +%s) - T_SETUP)) s"
done_testing

#!/bin/bash
# ie-vmd --check on a deployment built here (root-owned config and
# templates, pool, /etc/shells entry, sshd with the shipped snippet, PAM
# file, libvirt): it passes, and fails naming the problem when one thing at
# a time is broken.
. "$(dirname "$0")/lib.sh"

need_root
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || skip "sshd is not installed (Debian: openssh-server)"
command -v ssh-keygen >/dev/null || skip "ssh-keygen is not installed"
make_group ievs-t-students || exit 1
make_user ievchk ievs-t-students || exit 1
make_user ievchk-other || exit 1

D="$TMP/deploy"
mkdir -p "$D/templates" "$D/pam.d" "$D/ssh/sshd_config.d"
cp "$TEST_TEMPLATE" "$D/templates/"
cp "$top_srcdir/pam.d/ie-vshell" "$D/pam.d/"
echo "$SH" > "$D/shells"
cat > "$D/ie-vshell.conf" <<C
[daemon]
socket = $SOCK
[libvirt]
uri = test:///default
[storage]
pool_dir = $D/var/pool
[upload]
dir = $D/var/upload/%u
[templates]
dir = $D/templates
C
ssh-keygen -q -t ed25519 -N '' -f "$D/ssh/host_key"
sed 's/ie-vshell-students/ievs-t-students/' \
    "$top_srcdir/contrib/sshd_config.d/ie-vshell.conf" \
    > "$D/ssh/sshd_config.d/ie-vshell.conf"
cat > "$D/ssh/sshd_config" <<S
Include $D/ssh/sshd_config.d/*.conf
HostKey $D/ssh/host_key
PermitUserEnvironment no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
S
chown -R root:root "$D"
chmod -R go-w "$D"
mkdir -p /run/sshd	# sshd -T wants its privilege separation directory

# The pool and the upload areas' parent (in $D/var, not made yet): the
# broker makes them at start, as --check wants them, so a new deployment
# passes before its first define.
CONF=$D/ie-vshell.conf
start_vmd || exit 1
stop_vmd
check "the broker made the pool: root's, 0711" \
    [ "$(stat -c '%U %a' "$D/var/pool")" = "root 711" ]
check "and the upload areas' parent: root's, 0755" \
    [ "$(stat -c '%U %a' "$D/var/upload")" = "root 755" ]

run_check() {
	"$VMD_BIN" --check -f "$D/ie-vshell.conf" --student "${STUDENT:-ievchk}" \
	    --shell "$SH" --sshd "$SSHD" --sshd-config "$D/ssh/sshd_config" \
	    --pam-dir "$D/pam.d" --shells "$D/shells" >"$OUT" 2>"$ERR"
	RC=$?
}

run_check
check "the deployment passes" rc_is 0
check "and says so" out_has "all checks passed"
check "no line fails" out_lacks "^FAIL"
check "sshd's forwarding was checked" out_has "^ok .*TCP forwarding off"
check "~/.ssh/rc was checked" out_has "^ok .*~/.ssh/rc off"
check "libvirt was checked" out_has "^ok .*libvirt reachable"
check "the template was validated" out_has "^ok .*default.xml is valid"
check "the pool was checked" out_has "^ok    pool directory $D/var/pool: owned by root"
check "the upload areas' parent was checked" out_has "^ok    upload directory $D/var/upload: owned by root"
check "sftp-server was checked" out_has "^ok    sftp-server /usr/lib/openssh/sftp-server: owned by root"
check "scp was checked" out_has "^ok    scp /usr/bin/scp: owned by root"
check "sshd's sftp subsystem was checked" out_has "^ok    sshd for ievchk: sftp runs /usr/lib/openssh/sftp-server through the shell"

# breaks DESCRIPTION PATTERN: the check fails, naming the problem, and
# prints a fix on that line.
breaks() {
	run_check
	check "$1: --check fails" rc_is 1
	check "$1: names the problem" out_has "^FAIL  $2"
	check "$1: with a fix" out_has "^FAIL  $2.*; fix: "
	check "$1: one problem only" out_has "1 problem$"
}

chmod o+w "$D/templates/default.xml"
breaks "world-writable template" "template $D/templates/default.xml: owned by root, not writable"
chmod o-w "$D/templates/default.xml"

chmod g+w "$D/ie-vshell.conf"
breaks "group-writable config" "config $D/ie-vshell.conf"
chmod g-w "$D/ie-vshell.conf"

chmod o+w "$D/var/upload"
breaks "world-writable upload directory" "upload directory $D/var/upload: owned by root, not writable"
chmod o-w "$D/var/upload"

# An scp the student could replace would run as the student unconfined
# by anything the student did not choose.
install -m 755 -o ievchk /usr/bin/scp "$D/scp"
sed -i "s|^\[upload\]|[upload]\nscp = $D/scp|" "$D/ie-vshell.conf"
breaks "scp owned by a student" "scp $D/scp: owned by root, not writable"
sed -i "\|^scp = |d" "$D/ie-vshell.conf"
rm "$D/scp"

sed -i 's|^Subsystem .*|Subsystem sftp internal-sftp|' "$D/ssh/sshd_config"
breaks "sftp served by sshd itself" "sshd for ievchk: sftp runs /usr/lib/openssh/sftp-server through the shell (subsystem sftp internal-sftp)"
sed -i 's|^Subsystem .*|Subsystem sftp /usr/lib/openssh/sftp-server|' "$D/ssh/sshd_config"

sed -i '/DisableForwarding\|AllowTcpForwarding/d' "$D/ssh/sshd_config.d/ie-vshell.conf"
breaks "TCP forwarding left on" "sshd for ievchk: TCP forwarding off (allowtcpforwarding yes)"
sed 's/ie-vshell-students/ievs-t-students/' \
    "$top_srcdir/contrib/sshd_config.d/ie-vshell.conf" \
    > "$D/ssh/sshd_config.d/ie-vshell.conf"

sed -i 's/PermitUserRC no/PermitUserRC yes/' "$D/ssh/sshd_config.d/ie-vshell.conf"
breaks "~/.ssh/rc allowed" "sshd for ievchk: ~/.ssh/rc off"
sed -i 's/PermitUserRC yes/PermitUserRC no/' "$D/ssh/sshd_config.d/ie-vshell.conf"

sed -i 's/^AcceptEnv .*/AcceptEnv LANG LC_* LD_PRELOAD/' "$D/ssh/sshd_config"
breaks "AcceptEnv too wide" "sshd for ievchk: AcceptEnv passes only LANG"
sed -i 's/^AcceptEnv .*/AcceptEnv LANG LC_*/' "$D/ssh/sshd_config"

: > "$D/shells"
breaks "shell missing from /etc/shells" "$SH is listed in $D/shells"
echo "$SH" > "$D/shells"

mv "$D/pam.d/ie-vshell" "$TMP/pam-saved"
breaks "PAM service file missing" "PAM service $D/pam.d/ie-vshell"
mv "$TMP/pam-saved" "$D/pam.d/ie-vshell"

echo '<domain>' > "$D/templates/broken.xml"
run_check
check "a broken template fails the check" rc_is 1
check "naming the template" out_has "^FAIL  template $D/templates/broken.xml is valid: "
rm "$D/templates/broken.xml"

# A user outside the students' group is not covered by the snippet.
STUDENT=ievchk-other run_check
check "a user outside the group: forwarding is open" out_has "^FAIL  sshd for ievchk-other: TCP forwarding off"

sed -i 's|test:///default|qemu+unix:///system?socket=/nonexistent/sock|' "$D/ie-vshell.conf"
breaks "libvirt unreachable" "libvirt reachable at"
sed -i 's|qemu+unix:///system?socket=/nonexistent/sock|test:///default|' "$D/ie-vshell.conf"

run_check
check "all mended: passes again" rc_is 0
"$VMD_BIN" --check -f "$D/ie-vshell.conf" --shell "$SH" --sshd-config \
    "$D/ssh/sshd_config" --pam-dir "$D/pam.d" --shells "$D/shells" >"$OUT" 2>&1
check "without --student: says how to give one" out_has "^FAIL  sshd settings for students; fix: run ie-vmd --check --student USER"
done_testing

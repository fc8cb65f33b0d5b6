#!/bin/bash
# scp through the shell: the real OpenSSH scp client, legacy (-O, which
# runs "scp -t|-f PATH" remotely) and sftp-based, with an ssh stand-in
# that hands the remote command to the login shell as sshd would.  Inside
# the area transfers work; every other -c form, and every scp form that
# could reach outside it, is refused with one line and an audit entry, and
# starts no program.
. "$(dirname "$0")/lib.sh"

[ -x /usr/bin/scp ] || skip "scp is not installed (Debian: openssh-client)"
A=ievs-scpa
B=ievs-scpb
upload_setup $A $B

scp_standin $A
scp_standin $B

LC="$TMP/local"
mkdir -p "$LC/dir/deeper"
echo "one" > "$LC/one.txt"
head -c 200000 /dev/urandom > "$LC/disk.vmdk"
echo "two" > "$LC/dir/two.txt"
echo "three" > "$LC/dir/deeper/three.txt"

# scp_as USER ARGS...: the scp client with USER's ssh stand-in.
scp_as() {
	local u=$1

	shift
	scp -q -S "$TMP/ssh-$u" "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
fails() { [ "$RC" -ne 0 ] || { echo "# succeeded"; show; return 1; }; }
absent() { [ ! -e "$1" ] || { echo "# $1 exists"; return 1; }; }
owner_mode() {
	[ "$(stat -c '%U %a' "$1")" = "$2" ] ||
	    { echo "# $1: $(stat -c '%U %a' "$1"), expected $2"; return 1; }
}

# --- Legacy scp (-O): scp -t and scp -f on the server side.
scp_as $A -O "$LC/one.txt" host:one.txt
check "scp -O upload: works" rc_is 0
check "scp -O upload: in A's area" cmp -s "$LC/one.txt" "$AREA/one.txt"
check "scp -O upload: A's file, mode 600 (umask 077)" owner_mode "$AREA/one.txt" "$A 600"
scp_as $A -O "$LC/disk.vmdk" host:
check "scp -O upload to the area itself (host:)" cmp -s "$LC/disk.vmdk" "$AREA/disk.vmdk"
scp_as $A -O "$LC/one.txt" "host:$AREA/abs.txt"
check "scp -O upload to an absolute path inside the area" cmp -s "$LC/one.txt" "$AREA/abs.txt"
scp_as $A -O -r -p "$LC/dir" host:
check "scp -O -r -p upload: works" rc_is 0
check "scp -O -r -p upload: the tree arrives" cmp -s "$LC/dir/deeper/three.txt" "$AREA/dir/deeper/three.txt"
scp_as $A -O "$LC/one.txt" "$LC/disk.vmdk" host:dir
check "scp -O, two files into a directory (-d): works" cmp -s "$LC/one.txt" "$AREA/dir/one.txt"
scp_as $A -O host:one.txt "$LC/back.txt"
check "scp -O download: works" cmp -s "$LC/one.txt" "$LC/back.txt"
scp_as $A -O -r host:dir "$LC/back-dir"
check "scp -O -r download: works" cmp -s "$LC/dir/deeper/three.txt" "$LC/back-dir/deeper/three.txt"
scp_as $B -O "$LC/one.txt" host:secret.txt
check "B uploads into B's area" [ -f "$BAREA/secret.txt" ]

OUTSIDE="/tmp/ievs-scp-$$"
rm -f "$OUTSIDE"
scp_as $A -O "$LC/one.txt" "host:$OUTSIDE"
check "scp -O to /tmp: fails" fails
check "scp -O to /tmp: nothing written" absent "$OUTSIDE"
check "scp -O to /tmp: says why" err_has "outside your upload area"
scp_as $A -O "$LC/one.txt" "host:$TMP/home/$A/x"
check "scp -O into A's home: fails" fails
check "scp -O into A's home: nothing written" absent "$TMP/home/$A/x"
scp_as $A -O "$LC/one.txt" "host:../x"
check "scp -O to ../x: fails" fails
check "scp -O to ../x: nothing written" absent "$TMP/upload/x"
scp_as $A -O host:/etc/hostname "$LC/h"
check "scp -O from /etc/hostname: fails" fails
check "scp -O from /etc/hostname: nothing fetched" absent "$LC/h"
scp_as $A -O "host:$BAREA/secret.txt" "$LC/stolen"
check "scp -O of B's upload: fails" fails
check "scp -O of B's upload: nothing fetched" absent "$LC/stolen"

# --- scp over sftp (the default since OpenSSH 9.0).
scp_as $A "$LC/one.txt" host:s.txt
check "scp (sftp) upload: works" cmp -s "$LC/one.txt" "$AREA/s.txt"
check "scp (sftp) upload: A's file, mode 600" owner_mode "$AREA/s.txt" "$A 600"
scp_as $A host:s.txt "$LC/s-back.txt"
check "scp (sftp) download: works" cmp -s "$LC/one.txt" "$LC/s-back.txt"
scp_as $A -r "$LC/dir" host:dir2
check "scp (sftp) -r upload: works" cmp -s "$LC/dir/two.txt" "$AREA/dir2/two.txt"
scp_as $A "host:$BAREA/secret.txt" "$LC/stolen"
check "scp (sftp) of B's upload: fails" fails
check "scp (sftp) of B's upload: nothing fetched" absent "$LC/stolen"
if [ "$LL" -gt 0 ]; then
	scp_as $A "$LC/one.txt" "host:$OUTSIDE"
	check "scp (sftp) to /tmp: fails" fails
	check "scp (sftp) to /tmp: nothing written" absent "$OUTSIDE"
	scp_as $A host:$TMP/public.txt "$LC/h"
	check "scp (sftp) from a world-readable file elsewhere: fails" fails
	check "scp (sftp) from a world-readable file elsewhere: nothing fetched" absent "$LC/h"
else
	echo "# no Landlock: sftp outside the area's permissions not checked"
fi
rm -f "$OUTSIDE"

# --- scp -t runs confined like sftp-server: the fixed argv, "--" before
# the path, nothing else executed.
strace -f -qq -v -s 500 -o "$TRACE" -u $A -e trace=execve \
    "$SH" -f "$CONF" -c "scp -v -p -t one.txt" >"$OUT" 2>"$ERR" </dev/null
check "scp -t under strace: two programs, the shell and scp" \
    [ "$(grep -c 'execve(' "$TRACE")" -eq 2 ]
check "scp -t: argv rebuilt with --" \
    grep -qF 'execve("/usr/bin/scp", ["scp", "-v", "-p", "-t", "--", "one.txt"], ["PATH=/usr/bin:/bin", "HOME='"$AREA"'"' "$TRACE"

# --- Every other -c, and every scp form but the confined one: refused.
notes() { grep -c "user=$A cmd=(refused by the shell)" "$TMP/vmd.log"; }
# noted N: a note beyond the N there were arrives (notes get no answer,
# so the line may land a moment after the shell has gone).
noted() {
	for _ in $(seq 100); do
		[ "$(notes)" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "# no audit line"
	return 1
}
stdout_empty() { [ ! -s "$OUT" ] || { echo "# stdout not empty"; show; false; }; }

# refused_c STRING: -c STRING as user A: status 2, one line on stderr,
# nothing on stdout, an audit line, and no program but the shell.
refused_c() {
	local what n0

	what="-c $(printf '%q' "$1")"
	n0=$(notes)
	strace -f -qq -o "$TRACE" -u $A \
	    -e trace=execve,fork,vfork,clone,clone3 \
	    "$SH" -f "$CONF" -c "$1" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	check "$what: status 2" rc_is 2
	check "$what: one line on stderr" err_one_line
	check "$what: nothing on stdout" stdout_empty
	check "$what: audited" noted "$n0"
	check "$what: no program started" only_shell
}

for s in '/bin/sh .ssh/rc' 'sh' 'sh -c id' 'bash -i' '/usr/bin/scp -t .' \
    "$SFTP_SERVER -e" "$SFTP_SERVER -d /" "$SFTP_SERVER -P symlink" \
    " $SFTP_SERVER" "'$SFTP_SERVER'" 'sftp-server' 'internal-sftp' \
    'rsync --server -vlogDtpre.iLsfxC . .' "git-upload-pack 'repo.git'" \
    "git-receive-pack 'repo.git'" \
    'scp -t /etc' 'scp -f ../../etc/passwd' 'scp -f /etc/hostname' \
    'scp -t ..' 'scp -t -- ../x' 'scp -t sub/../../x' "scp -t $BAREA" \
    "scp -f $AREA/../$B/secret.txt" "scp -t ${AREA}x" "scp -t $TMP/upload" \
    "scp -f one.txt /etc/hostname" "scp -t ''" \
    'scp -vS /bin/sh -t .' 'scp -pr -t .' 'scp -tv .' \
    'scp -S /bin/sh -t .' 'scp -o ProxyCommand=id -t .' \
    "scp -F $TMP/cfg -t ." 'scp -i key -t .' 'scp -P 22 -t .' \
    'scp -3 -t .' 'scp -T -t .' 'scp -t a b' 'scp -t' 'scp -f' \
    'scp -t -f .' 'scp -r -r -t .' 'scp -t -v .' 'scp -- -t .' 'scp .' \
    'scp' 'SCP -t .' 'scp; -t .'; do
	refused_c "$s"
done
check "nothing was written outside the area" absent "$TMP/upload/x"
check "the broker is still running" kill -0 "$VMD_PID"
done_testing

#!/bin/bash
# sftp through the shell: the real OpenSSH sftp client, talking to what
# sshd would start for the Subsystem line ("ie-vshell -c SFTP_SERVER").
# Uploads and downloads work inside the user's area; nothing outside it
# can be written, read, listed or linked to.
. "$(dirname "$0")/lib.sh"

command -v sftp >/dev/null || skip "sftp is not installed (Debian: openssh-client)"
A=ievs-upa
B=ievs-upb
# Without Landlock, only file permissions keep sftp-server in the area:
# the checks that only Landlock can pass are skipped then.
upload_setup $A $B

# The client's side: a directory of A's with files to upload.
L="$TMP/local-$A"
mkdir -p "$L" "$TMP/local-$B"
echo "hello from A" > "$L/hello.txt"
head -c 300000 /dev/urandom > "$L/disk.vmdk"
echo "B's secret" > "$TMP/local-$B/secret.txt"
chown -R $A: "$L"
chown -R $B: "$TMP/local-$B"

fails() { [ "$RC" -ne 0 ] || { echo "# succeeded"; show; return 1; }; }
absent() { [ ! -e "$1" ] && [ ! -L "$1" ] || { echo "# $1 exists"; return 1; }; }
owner_mode() {
	[ "$(stat -c '%U %a' "$1")" = "$2" ] ||
	    { echo "# $1: $(stat -c '%U %a' "$1"), expected $2"; return 1; }
}

# --- Uploads and downloads inside the area.
sftp_as $A "put hello.txt" "put disk.vmdk" "mkdir sub" "put hello.txt sub/h2"
check "put: works" rc_is 0
check "put: the file is in A's area" cmp -s "$L/hello.txt" "$AREA/hello.txt"
check "put: a binary file arrives intact" cmp -s "$L/disk.vmdk" "$AREA/disk.vmdk"
check "put: A's file, mode 600 (umask 077)" owner_mode "$AREA/hello.txt" "$A 600"
check "mkdir: A's directory, mode 700" owner_mode "$AREA/sub" "$A 700"
check "put into a subdirectory" cmp -s "$L/hello.txt" "$AREA/sub/h2"
sftp_as $A "ls -1" "pwd"
check "ls: works" rc_is 0
check "ls: lists the upload" out_has "hello.txt"
check "pwd: the area" out_has "$AREA"
sftp_as $A "get hello.txt back.txt" "get $AREA/sub/h2 back2.txt"
check "get: works" rc_is 0
check "get: the content" cmp -s "$L/hello.txt" "$L/back.txt"
check "get by absolute path inside the area" cmp -s "$L/hello.txt" "$L/back2.txt"
sftp_as $A "rename sub/h2 sub/h3" "rm sub/h3" "rmdir sub"
check "rename, rm and rmdir inside the area" rc_is 0
check "the directory is gone" absent "$AREA/sub"
sftp_as $B "put secret.txt"
check "B uploads into B's area" cmp -s "$TMP/local-$B/secret.txt" "$BAREA/secret.txt"

# --- The process: sftp-server with the fixed argv and a new environment,
# nothing else started.
: > "$TRACE"
chown $A "$TRACE"
printf 'ls\n' > "$TMP/batch"
(cd "$L" && env -i PATH=/usr/bin:/bin LANG=C.UTF-8 ASAN_OPTIONS="$ASAN_OPTIONS" \
    setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    sftp -b "$TMP/batch" -D "strace -f -qq -v -s 1000 -o $TRACE \
    -e trace=execve $SH -f $CONF -c $SFTP_SERVER") >"$OUT" 2>"$ERR" </dev/null
RC=$?
check "under strace: works" rc_is 0
check "two programs: the shell, then sftp-server" \
    [ "$(grep -c 'execve(' "$TRACE")" -eq 2 ]
REQUESTS=open,close,read,write,lstat,fstat,setstat,fsetstat,opendir,\
readdir,remove,mkdir,rmdir,realpath,stat,rename,readlink,posix-rename,\
statvfs,fstatvfs,fsync,lsetstat,limits,expand-path,\
home-directory,users-groups-by-id
want="execve(\"$SFTP_SERVER\", [\"sftp-server\", \"-d\", \"$AREA\", \"-f\",\
 \"AUTHPRIV\", \"-l\", \"INFO\", \"-u\", \"077\", \"-p\", \"$REQUESTS\"]"
check "sftp-server's argv is fixed" grep -qF "$want" "$TRACE"
check "no symlink, hardlink or copy-data request allowed" \
    sh -c "! grep \"$SFTP_SERVER\" '$TRACE' | grep -qE 'symlink|hardlink|copy-data'"
envs=$(grep "execve(\"$SFTP_SERVER\"" "$TRACE" | sed 's/.*\], \[\(.*\)\]) .*/\1/')
env_is() {
	[ "$envs" = "$1" ] || { echo "# environment: $envs"; return 1; }
}
check "environment: PATH, HOME=area, USER, LOGNAME, SHELL, LANG only" \
    env_is "\"PATH=/usr/bin:/bin\", \"HOME=$AREA\", \"USER=$A\",\
 \"LOGNAME=$A\", \"SHELL=/bin/false\", \"LANG=C.UTF-8\""
check "the connection was audited" grep -q "audit: uid=$(id -u $A) user=$A cmd=(connect) .*result=ok" "$TMP/vmd.log"

# --- Nothing outside the area.  Each attempt in a batch of its own (sftp
# -b stops at the first failure).
OUTSIDE="/tmp/ievs-sftp-$$"
rm -f "$OUTSIDE"
if [ "$LL" -gt 0 ]; then
	sftp_as $A "put hello.txt $OUTSIDE"
	check "put to /tmp: fails" fails
	check "put to /tmp: nothing written" absent "$OUTSIDE"
	sftp_as $A "put hello.txt $TMP/home/$A/x"
	check "put into A's home: fails" fails
	check "put into A's home: nothing written" absent "$TMP/home/$A/x"
	sftp_as $A "rename hello.txt $TMP/home/$A/moved"
	check "rename out of the area: fails" fails
	check "rename out of the area: the file stays" [ -f "$AREA/hello.txt" ]
	check "rename out of the area: nothing arrived" absent "$TMP/home/$A/moved"
	sftp_as $A "get $TMP/public.txt h"
	check "get of a world-readable file elsewhere: fails" fails
	check "get of a world-readable file elsewhere: nothing fetched" absent "$L/h"
	sftp_as $A "ls /"
	check "ls /: fails" fails
	check "ls /: lists nothing" out_lacks "etc"
	sftp_as $A "ls $TMP/home/$A"
	check "ls of A's home: fails" fails
else
	echo "# no Landlock: the checks outside the area's permissions skipped"
fi
sftp_as $A "put hello.txt ../x"
check "put to ../x: fails" fails
check "put to ../x: nothing written" absent "$TMP/upload/x"
sftp_as $A "symlink hello.txt link"
check "symlink: fails" fails
check "symlink: no link made" absent "$AREA/link"
sftp_as $A "ln -s /etc/shadow shadow"
check "ln -s: fails" fails
check "ln -s: no link made" absent "$AREA/shadow"
sftp_as $A "ln hello.txt hard"
check "ln (hard link): fails" fails
check "ln: no link made" absent "$AREA/hard"
check "ln: the file has one link" [ "$(stat -c %h "$AREA/hello.txt")" -eq 1 ]
sftp_as $A "get $BAREA/secret.txt stolen"
check "get of B's upload: fails" fails
check "get of B's upload: nothing fetched" absent "$L/stolen"
sftp_as $A "ls $BAREA"
check "ls of B's area: fails" fails
sftp_as $A "put hello.txt $BAREA/planted"
check "put into B's area: fails" fails
check "put into B's area: nothing written" absent "$BAREA/planted"
check "A's area holds only what A put there" \
    [ "$(cd "$AREA" && ls -A | sort | tr '\n' ' ')" = "disk.vmdk hello.txt " ]
rm -f "$OUTSIDE"

# --- No session, no sftp: the broker's refusal ends it before any program.
if [ -z "$PAM_WRAPPER_LIB" ]; then
	echo "# pam_wrapper not installed: the refused session is not checked"
	done_testing
fi
stop_vmd
pam_stack "account required $PAM_MODDIR/pam_deny.so" \
    "session required $PAM_MODDIR/pam_permit.so"
start_vmd || exit 1
strace -f -qq -o "$TRACE" -u $A -e trace=execve,fork,vfork,clone,clone3 \
    "$SH" -f "$CONF" -c "$SFTP_SERVER" >"$OUT" 2>"$ERR" </dev/null
RC=$?
check "access denied: status 1" rc_is 1
check "access denied: one line on stderr" err_one_line
check "access denied: nothing on stdout (the protocol's channel)" [ ! -s "$OUT" ]
check "access denied: no program started" only_shell
check "access denied: says so" err_has "access to the VM service denied"
done_testing

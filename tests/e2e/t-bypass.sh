#!/bin/bash
# The ways around a login shell, over real ssh: commands for /bin/sh, port
# and socket forwarding (local, remote, dynamic; to a port and to the
# libvirt socket), X11 forwarding and a planted ~/.ssh/rc.  For a student
# each is refused and, under strace, sshd runs nothing but itself and the
# shell.  A user outside the students' group, with the same login shell,
# gets each forwarding: that is the shipped snippet at work, and shows the
# checks can fail.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || skip "strace is not installed"
A=ievse2ea
C=ievse2ec
# LeakSanitizer cannot run under ptrace: in a sanitizer build, the shell
# gets this one setting from sshd (its own hygiene drops it after start).
if ldd "$SHELL_BIN" | grep -q libasan; then
	SSHD_EXTRA="SetEnv ASAN_OPTIONS=detect_leaks=0"
fi
e2e_setup "+$A" "$C"

# Targets a forwarding would reach: a web server and a Unix socket that
# answer with a token.
TOKEN=token-$RANDOM$RANDOM
mkdir -p "$TMP/www"
echo "$TOKEN" > "$TMP/www/secret"
TPORT=$(free_port)
$PYTHON -m http.server --bind 127.0.0.1 --directory "$TMP/www" "$TPORT" \
    >/dev/null 2>&1 &
undo kill $!
$PYTHON -c 'import socket, sys, os
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[2].encode() + b"\n"); c.close()' \
    "$TMP/target.sock" "$TOKEN" &
undo kill $!
for _ in $(seq 1 50); do
	curl -s "http://127.0.0.1:$TPORT/secret" | grep -q "$TOKEN" &&
	    [ -S "$TMP/target.sock" ] && break
	sleep 0.1
done
check "the targets answer directly" \
    bash -c "curl -s http://127.0.0.1:$TPORT/secret | grep -q $TOKEN"

# sock_read PATH: what the Unix socket at PATH says.
sock_read() {
	$PYTHON -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5)
s.connect(sys.argv[1]); print(s.recv(100).decode())' "$1" 2>/dev/null
}
# bg_ssh USER ARGS...: ssh in the background (pid in $BG), waiting a
# moment for it to log in and set up what it asked for.
bg_ssh() {
	local u=$1
	shift
	ssh "${SSH_OPTS[@]}" -p "$PORT" -i "$TMP/keys/$u" "$@" \
	    "$u@127.0.0.1" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
	BG=$!
	sleep 1.5
}
bg_stop() { kill "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; }

# Each forwarding, for USER; sets $GOT to what reached the client's side.
try_local() {
	local lport
	lport=$(free_port)
	bg_ssh "$1" -N -L "$lport:127.0.0.1:$TPORT"
	GOT=$(curl -s -m 5 "http://127.0.0.1:$lport/secret")
	bg_stop
}
try_unix() {
	rm -f "$TMP/fwd.sock"
	bg_ssh "$1" -N -L "$TMP/fwd.sock:$TMP/target.sock"
	GOT=$(sock_read "$TMP/fwd.sock")
	bg_stop
}
try_remote() {
	local rport
	rport=$(free_port)
	bg_ssh "$1" -N -o ExitOnForwardFailure=yes -R "$rport:127.0.0.1:$TPORT"
	GOT=$(curl -s -m 5 "http://127.0.0.1:$rport/secret")
	bg_stop
}
try_dynamic() {
	local lport
	lport=$(free_port)
	bg_ssh "$1" -N -D "127.0.0.1:$lport"
	GOT=$(curl -s -m 5 --socks5-hostname "127.0.0.1:$lport" \
	    "http://127.0.0.1:$TPORT/secret")
	bg_stop
}
# X11: sshd listens on a display port (6010 and up) for a granted request.
try_x11() {
	(sleep 3; echo exit) | DISPLAY=:42 ssh "${SSH_OPTS[@]}" -p "$PORT" \
	    -i "$TMP/keys/$1" -X -tt "$1@127.0.0.1" >/dev/null 2>&1 &
	BG=$!
	sleep 2
	GOT=$(ss -Hltnp 2>/dev/null | awk '$4 ~ /:60[1-9][0-9]$/' | grep sshd)
	bg_stop
}

# --- The student, with sshd under strace. ---------------------------------
strace -f -qq -e trace=execve,clone,clone3,fork,vfork,setresuid,setreuid,setuid -o "$TMP/sshd.trace" -p "$SSHD_PID" &
STRACE=$!
undo kill $STRACE
sleep 0.5

ssh_key $A sh
check "ssh host sh is refused" bash -c "[ $RC -ne 0 ]"
check "with one line" err_one_line
ssh_key $A 'list; sh'
check "ssh host 'list; sh' is refused" bash -c "[ $RC -ne 0 ]"
ssh_key $A "$(printf 'list\nsh')"
check "ssh host 'list<newline>sh' is refused" bash -c "[ $RC -ne 0 ]"
ssh_key $A 'sh -c id'
check "ssh host 'sh -c id' is refused" bash -c "[ $RC -ne 0 ]"
check "and id did not run" out_lacks "uid="

try_local $A
check "ssh -N -L to a port: nothing comes through" test -z "$GOT"
try_unix $A
check "ssh -N -L to a Unix socket: nothing comes through" test -z "$GOT"
rm -f "$TMP/fwd.sock"
bg_ssh $A -N -L "$TMP/fwd.sock:/run/libvirt/libvirt-sock"
check "ssh -N -L to the libvirt socket: virsh gets nowhere" \
    bash -c "! timeout 20 virsh -c 'qemu+unix:///system?socket=$TMP/fwd.sock' list --all >/dev/null 2>&1"
bg_stop
try_remote $A
check "ssh -R: nothing comes through" test -z "$GOT"
try_dynamic $A
check "ssh -D: nothing comes through" test -z "$GOT"
try_x11 $A
check "ssh -X: sshd opens no X11 display" test -z "$GOT"

mkdir -p "$TMP/home/$A/.ssh"
printf '#!/bin/sh\ntouch "$HOME/rc-ran"\n' > "$TMP/home/$A/.ssh/rc"
chmod 755 "$TMP/home/$A/.ssh/rc"
ssh_key $A list
check "with a planted ~/.ssh/rc, list still works" rc_is 0
check "and ~/.ssh/rc did not run" test ! -e "$TMP/home/$A/rc-ran"

kill $STRACE
wait $STRACE 2>/dev/null
# What ran as the student: the shell only.  (What ran as root, sshd's own
# PAM session for instance, goes to the log.)
"$(dirname "$0")/execs.py" "$TMP/sshd.trace" "$(id -u $A)" \
    >"$TMP/execs" 2>"$TMP/execs.root"
sort "$TMP/execs" | uniq -c | sed 's/^/# as the student: /'
sort "$TMP/execs.root" | uniq -c | sed 's/^/# as root: /'
check "as the student, sshd ran nothing but the shell" \
    bash -c "! grep -vxF '$SH' '$TMP/execs' | grep -q ."
check "the shell was run as the student" grep -qxF "$SH" "$TMP/execs"

# --- The same for a user outside the students' group. ---------------------
try_local $C
check "control: $C's -L forwarding works" test "$GOT" = "$TOKEN"
try_unix $C
check "control: $C's Unix socket forwarding works" test "$GOT" = "$TOKEN"
try_remote $C
check "control: $C's -R forwarding works" test "$GOT" = "$TOKEN"
try_dynamic $C
check "control: $C's -D forwarding works" test "$GOT" = "$TOKEN"
if [ -x /usr/bin/xauth ]; then
	try_x11 $C
	check "control: $C gets an X11 display" test -n "$GOT"
else
	echo "# no /usr/bin/xauth: sshd forwards X11 for nobody; control skipped"
fi
# sshd runs ~/.ssh/rc through the login shell, which ie-vshell refuses as
# it refuses any other command; PermitUserRC no stops it before that.  With
# /bin/sh as login shell, the planted file does run:
mkdir -p "$TMP/home/$C/.ssh"
cp "$TMP/home/$A/.ssh/rc" "$TMP/home/$C/.ssh/rc"
usermod -s /bin/sh $C
ssh_key $C true
check "control: with /bin/sh as $C's shell, ~/.ssh/rc runs" \
    test -e "$TMP/home/$C/rc-ran"

done_testing

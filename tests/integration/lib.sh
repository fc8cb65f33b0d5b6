# Shared helpers of the integration tests: a private broker on libvirt's
# test driver, a scratch directory, users made for the test, assertions.
# Sourced by tests/integration/t-*.sh; exit 77 means "skipped".

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# VPATH builds hand us "build/.."; the broker wants paths without "..".
top_srcdir=$(cd "$top_srcdir" && pwd -P)
top_builddir=$(cd "$top_builddir" && pwd -P)
SHELL_BIN="$top_builddir/src/shell/ie-vshell"
VMD_BIN="$top_builddir/src/daemon/ie-vmd"
PYTHON=${PYTHON:-/usr/bin/python3}
T=$(basename "$0" .sh)

fails=0
passes=0
TMP=$(mktemp -d "/tmp/ievs-$T.XXXXXX")
chmod 755 "$TMP"
VMD_PID=
CREATED_USERS=
CREATED_GROUPS=

cleanup() {
	stop_vmd
	for u in $CREATED_USERS; do userdel -r "$u" >/dev/null 2>&1; done
	for g in $CREATED_GROUPS; do groupdel "$g" >/dev/null 2>&1; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

skip() {
	echo "SKIP: $T: $*"
	exit 77
}

ok() {
	passes=$((passes + 1))
	echo "ok - $*"
}

not_ok() {
	fails=$((fails + 1))
	echo "not ok - $*"
}

# check DESCRIPTION COMMAND...: passes if the command succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

done_testing() {
	stop_vmd
	echo "# $T: $passes passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit $?
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to create test users"
}

# The shell is copied where test users can run it (the build tree may be
# under a home directory they cannot enter).
SH="$TMP/ie-vshell"
cp "$SHELL_BIN" "$SH"
chmod 755 "$SH"

# The shipped default template without its <filterref>: libvirt's test
# driver has no nwfilter, so a VM that asks for a filter never runs there
# (t-firewall.sh tests that; tests/e2e/t-nwfilter.sh the filter itself).
TEST_TEMPLATE="$TMP/test-templates/default.xml"
mkdir -p "$TMP/test-templates"
sed '/^[[:space:]]*<filterref/,/<\/filterref>/d' "$top_srcdir/templates/default.xml" \
    > "$TEST_TEMPLATE"

# write_config [EXTRA-LINES]: the broker's config for this test.
CONF="$TMP/ie-vshell.conf"
SOCK="$TMP/run/ie-vmd.sock"
write_config() {
	cat > "$CONF" <<CONF
[daemon]
socket = $SOCK
admin_group = ${ADMIN_GROUP:-ievs-test-admins}
max_clients = ${MAX_CLIENTS:-64}
state_dir = $TMP/state

[libvirt]
uri = ${URI:-test:///default}

[storage]
pool_dir = $TMP/pool
blank_size = ${BLANK_SIZE:-1}

[upload]
dir = $TMP/upload/%u

[templates]
dir = ${TEMPLATE_DIR:-$TMP/test-templates}
CONF
	chmod 644 "$CONF"
}

# The broker's PAM stack: pam_wrapper points libpam at $TMP/pam, so tests
# never touch /etc/pam.d.  The default stack allows everyone; a test writes
# its own with pam_stack before start_vmd.
PAM_WRAPPER_LIB=$(ls /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so 2>/dev/null | head -n 1)
PAM_MODDIR=$(dirname "$(ls /lib/*/security/pam_permit.so /usr/lib/*/security/pam_permit.so 2>/dev/null | head -n 1)")
mkdir -p "$TMP/pam"
pam_stack() {
	printf '%s\n' "$@" > "$TMP/pam/ie-vshell"
}
pam_stack "account required $PAM_MODDIR/pam_permit.so" \
    "session required $PAM_MODDIR/pam_permit.so"
VMD_ENV=()
if [ -n "$PAM_WRAPPER_LIB" ]; then
	# The sanitizer runtime must otherwise come first in the list of
	# libraries; deep binding breaks sanitizers and valgrind (pam_wrapper
	# 1.1.4 reads the variable under uid_wrapper's name).
	VMD_ENV=(LD_PRELOAD="$PAM_WRAPPER_LIB" PAM_WRAPPER=1
	    PAM_WRAPPER_SERVICE_DIR="$TMP/pam" PAM_WRAPPER_DISABLE_DEEPBIND=1
	    UID_WRAPPER_DISABLE_DEEPBIND=1
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
fi
# The same settings as a file, for scripts that restart the broker.
for v in "${VMD_ENV[@]}"; do printf 'export %q\n' "$v"; done > "$TMP/vmd-env.sh"

# start_vmd: start the broker in the foreground mode, logging to $TMP/vmd.log,
# and wait for its socket.  $VMD_ARGS: more options (words split at spaces).
start_vmd() {
	[ -f "$CONF" ] || write_config
	# A simple command, not a function, so that $! is the broker itself.
	case "${VMD_WRAPPER:-}" in
	valgrind_vmd)
		env "${VMD_ENV[@]}" valgrind -q --leak-check=full \
		    --errors-for-leak-kinds=definite --error-exitcode=99 \
		    --suppressions="$top_srcdir/tests/valgrind.supp" \
		    --log-file="$TMP/valgrind.%p" \
		    "$VMD_BIN" -F -f "$CONF" ${VMD_ARGS:-} >>"$TMP/vmd.log" 2>&1 &
		;;
	*)
		env "${VMD_ENV[@]}" "$VMD_BIN" -F -f "$CONF" ${VMD_ARGS:-} \
		    >>"$TMP/vmd.log" 2>&1 &
		;;
	esac
	VMD_PID=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 600 ]; do
		kill -0 "$VMD_PID" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	chmod 755 "$TMP/run"
	[ -S "$SOCK" ] || { echo "# broker did not start:"; sed 's/^/# /' "$TMP/vmd.log"; return 1; }
}

VMD_STATUS=0
stop_vmd() {
	if [ -n "$VMD_PID" ]; then
		kill "$VMD_PID" 2>/dev/null
		wait "$VMD_PID" 2>/dev/null
		VMD_STATUS=$?
		# A broker that a script of the test restarted is no child
		# of this shell: wait tells nothing of it.
		while [ -e "/proc/$VMD_PID/exe" ]; do sleep 0.05; done
		VMD_PID=
		if [ "$VMD_STATUS" -eq 99 ]; then
			not_ok "valgrind found errors or leaks in the broker"
			cat "$TMP"/valgrind.* 2>/dev/null | sed 's/^/# /'
		fi
	fi
}

# Daemons a test starts are stopped by their pid, never by name: a name
# also matches the machine's own daemons and other users' session daemons.

# proc_exe PID: the program PID runs; nothing once it has exited (a zombie
# has no program any more).
proc_exe() {
	readlink "/proc/$1/exe" 2>/dev/null
}

# pidfile_pid FILE EXE: the pid in FILE, a pid file in the test's own
# directories, if that process is alive and runs EXE (not a later process
# given the same pid); fails otherwise.
pidfile_pid() {
	local pid

	pid=$(cat "$1" 2>/dev/null) || return 1	# maybe without a newline
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	[ "$(proc_exe "$pid")" = "$2" ] || return 1
	echo "$pid"
}

# wait_pidfile FILE EXE: until pidfile_pid finds the daemon (10 s at most).
wait_pidfile() {
	local i
	for ((i = 0; i < 100; i++)); do
		pidfile_pid "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# stop_pid PID EXE: SIGTERM to the daemon PID, which the test started and
# which runs EXE, then wait until it is gone (SIGKILL after 20 s): the next
# test must not find it still answering.  A daemon is no child of the
# test: init reaps it, and userdel refuses a user as long as it has not.
stop_pid() {
	local i

	[ -n "$1" ] && [ "$(proc_exe "$1")" = "$2" ] || return 0
	kill "$1" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		[ "$(proc_exe "$1")" = "$2" ] || break
		sleep 0.1
	done
	if [ "$(proc_exe "$1")" = "$2" ]; then
		echo "# $2 (pid $1) did not stop on SIGTERM; killed"
		kill -KILL "$1" 2>/dev/null
	fi
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$1" ] || return 0
		sleep 0.1
	done
	[ "$(proc_exe "$1")" != "$2" ]
}

# stop_pidfile FILE EXE: stop_pid on the daemon FILE names, if it runs.
stop_pidfile() {
	local pid

	pid=$(pidfile_pid "$1" "$2") || return 0
	stop_pid "$pid" "$2"
}

# child_pids PID: the pids of PID's children (read from every process's
# stat: not every kernel has /proc/PID/task/TID/children).
child_pids() {
	local parent=$1 f s

	for f in /proc/[0-9]*/stat; do
		read -r s < "$f" 2>/dev/null || continue
		s=${s##*) }	# past the command's name, which may hold anything
		set -- $s	# state, ppid, ...
		[ "${2:-}" = "$parent" ] && echo "${f//[!0-9]/}"
	done
}

# socket_answers PATH: something accepts connections on the Unix socket
# PATH; how to tell whether a daemon runs, whoever started it.
socket_answers() {
	$PYTHON -c 'import socket, sys
socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1" 2>/dev/null
}

# socket_pids PATH: the pids of the processes that hold the listening
# Unix socket PATH open (ss finds them by the socket's inode).
socket_pids() {
	ss -Hxlp src "$1" | grep -o 'pid=[0-9]*' | cut -d= -f2
}

# vsh [-u USER] ARGS...: run the shell (as USER), output in $OUT/$ERR, status in $RC.
OUT="$TMP/out"
ERR="$TMP/err"
vsh() {
	as=
	if [ "$1" = "-u" ]; then
		as=$2
		shift 2
	fi
	if [ -n "$as" ]; then
		setpriv --reuid="$as" --regid="$(id -g "$as")" --init-groups -- \
		    "$SH" -f "$CONF" "$@" >"$OUT" 2>"$ERR" </dev/null
	else
		"$SH" -f "$CONF" "$@" >"$OUT" 2>"$ERR" </dev/null
	fi
	RC=$?
}

# The users and groups a script makes have fixed names of its own, which
# no other script uses; a lock per script (fd 8) keeps two runs of the
# same script apart (two build trees on one machine).
names_lock() {
	[ -n "${NAMES_LOCKED:-}" ] && return 0
	exec 8>"/run/lock/ie-vshell-$T.lock" &&
		flock -w 900 8 ||
		skip "another run of $T holds /run/lock/ie-vshell-$T.lock"
	NAMES_LOCKED=1
}

# make_user NAME [GROUP]: a local account removed when the test ends.
make_user() {
	names_lock
	userdel -r "$1" >/dev/null 2>&1
	useradd -m -d "$TMP/home/$1" -s /bin/false ${2:+-G "$2"} "$1" || return 1
	CREATED_USERS="$CREATED_USERS $1"
}

make_group() {
	names_lock
	groupdel "$1" >/dev/null 2>&1
	groupadd "$1" || return 1
	CREATED_GROUPS="$CREATED_GROUPS $1"
}

# Assertions on the last vsh run.
rc_is() { [ "$RC" -eq "$1" ] || { echo "# exit status $RC, expected $1"; show; return 1; }; }
out_has() { grep -q -- "$1" "$OUT" || { echo "# stdout lacks: $1"; show; return 1; }; }
out_lacks() { ! grep -q -- "$1" "$OUT" || { echo "# stdout has: $1"; show; return 1; }; }
err_has() { grep -q -- "$1" "$ERR" || { echo "# stderr lacks: $1"; show; return 1; }; }
err_one_line() { [ "$(wc -l < "$ERR")" -eq 1 ] || { echo "# stderr is not one line"; show; return 1; }; }
show() { sed 's/^/# out: /' "$OUT"; sed 's/^/# err: /' "$ERR"; }

# aligned FROM TO: in $OUT, the lines after the one matching FROM and
# before the one matching TO are a table whose columns (cells apart by two
# spaces or more) start at the same place on screen in every row, wide
# characters counted twice.
aligned() {
	$PYTHON - "$1" "$2" "$OUT" <<'PY' || { show; return 1; }
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)
rows, inside = [], False
for line in open(sys.argv[3], encoding="utf-8"):
    line = line.rstrip()
    if inside and re.search(sys.argv[2], line):
        break
    if inside:
        starts = [width(line[:m.end()]) for m in re.finditer(r"  +", line)]
        rows.append((starts, line))
    elif re.search(sys.argv[1], line):
        inside = True
for starts, line in rows:
    if starts != rows[0][0]:
        print("# columns start at %s, not %s: %s" % (starts, rows[0][0], line))
        sys.exit(1)
sys.exit(0 if len(rows) > 1 else 1)
PY
}

# table_aligned: $OUT is a table whose first line holds the titles; in
# every row (one at least), each column after the first starts at the
# screen column of its title, after a space (display width: wide
# characters count two).
table_aligned() {
	$PYTHON - "$OUT" <<'PY' || { show; return 1; }
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
starts = [width(lines[0][:m.start()]) for m in re.finditer(r"(?<=  )\S", lines[0])]
for line in lines[1:]:
    cells = {}
    col = 0
    prev = " "
    for ch in line:
        if ch != " " and prev == " ":
            cells[col] = True
        col += width(ch)
        prev = ch
    for s in starts:
        if s < col and s not in cells:
            print("# no cell starts at column %d: %s" % (s, line))
            sys.exit(1)
sys.exit(0 if len(lines) >= 2 and starts else 1)
PY
}

# only_shell: in $TRACE (strace -f -e trace=execve,fork,vfork,clone,clone3
# -o), the only execve is the shell's own, and it never forks.
TRACE="$TMP/strace"
only_shell() {
	local n s c

	n=$(grep -c 'execve(' "$TRACE")
	s=$(grep -c "execve(\"$SH\"" "$TRACE")
	c=$(grep -cE '(v?fork|clone3?)\(' "$TRACE")
	[ "$n" -eq 1 ] && [ "$s" -eq 1 ] && [ "$c" -eq 0 ] && return 0
	echo "# $n execve, $c fork/clone:"
	grep -E 'execve|fork|clone' "$TRACE" | sed 's/^/# strace: /'
	return 1
}

# landlock_abi: the kernel's Landlock ABI version, 0 without Landlock.
landlock_abi() {
	$PYTHON -c 'import ctypes
r = ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1)
print(max(r, 0))'
}

mkdir -p "$TMP/home"
chmod 755 "$TMP/home"

# upload_setup A B: for the file-transfer tests (root, strace, sftp-server
# needed, else skipped): users A and B, the broker, $AREA and $BAREA,
# $TMP/public.txt (world-readable, outside every area: only Landlock keeps
# it out) and $LL, the kernel's Landlock ABI (0: none).
SFTP_SERVER=/usr/lib/openssh/sftp-server
upload_setup() {
	need_root
	[ -x "$SFTP_SERVER" ] || skip "$SFTP_SERVER is not installed (Debian: openssh-sftp-server)"
	command -v strace >/dev/null || skip "strace is not installed"
	# LeakSanitizer would clone a tracer thread under strace.
	export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
	echo public > "$TMP/public.txt"
	chmod 644 "$TMP/public.txt"
	make_user "$1" || exit 1
	make_user "$2" || exit 1
	start_vmd || exit 1
	AREA="$TMP/upload/$1"
	BAREA="$TMP/upload/$2"
	LL=$(landlock_abi)
	echo "# Landlock ABI of this kernel: $LL"
}

# sftp_as USER LINE...: one sftp batch, each LINE a command, as USER, from
# $TMP/local-USER (or $SFTP_DIR), with the server started as sshd would:
# the login shell with -c and the Subsystem command.  sftp -D splits its
# argument into words.
sftp_as() {
	local u=$1

	shift
	printf '%s\n' "$@" > "$TMP/batch-$u"
	chmod 644 "$TMP/batch-$u"
	(cd "${SFTP_DIR:-$TMP/local-$u}" && setpriv --reuid="$u" \
	    --regid="$(id -g "$u")" --init-groups -- sftp -b "$TMP/batch-$u" \
	    -D "$SH -f $CONF -c $SFTP_SERVER") >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}

# scp_standin USER: $TMP/ssh-USER, a program for scp -S.  It gets ssh's
# options, the host and the remote command (the last argument; "-s ...
# sftp" for the sftp subsystem), ignores all but the command and runs the
# shell as USER, as sshd would.
scp_standin() {
	cat > "$TMP/ssh-$1" <<W
#!/bin/sh
sftp=
for a; do
	[ "\$a" = -s ] && sftp=1
	cmd=\$a
done
[ -n "\$sftp" ] && [ "\$cmd" = sftp ] && cmd=$SFTP_SERVER
exec setpriv --reuid=$1 --regid=$(id -g $1) --init-groups -- \\
    "$SH" -f "$CONF" -c "\$cmd"
W
	chmod 755 "$TMP/ssh-$1"
}

# within SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	return 1
}

# test_node FILE CPUS GIB: a node file for libvirt's test driver
# (test://FILE): a host of its own with that many CPUs and that memory.
test_node() {
	cat > "$1" <<XML
<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>$2</cores><threads>1</threads>
    <active>$2</active><mhz>2000</mhz></cpu>
  <memory>$(($3 * 1024 * 1024))</memory>
</node>
XML
}

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

# write_config [EXTRA-LINES]: the broker's config for this test.
CONF="$TMP/ie-vshell.conf"
SOCK="$TMP/run/ie-vmd.sock"
write_config() {
	cat > "$CONF" <<CONF
[daemon]
socket = $SOCK
admin_group = ${ADMIN_GROUP:-ievs-test-admins}
max_clients = ${MAX_CLIENTS:-64}

[libvirt]
uri = ${URI:-test:///default}

[storage]
pool_dir = $TMP/pool
blank_size = ${BLANK_SIZE:-1}

[upload]
dir = $TMP/upload/%u

[templates]
dir = ${TEMPLATE_DIR:-$top_srcdir/templates}
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
# and wait for its socket.
start_vmd() {
	[ -f "$CONF" ] || write_config
	# A simple command, not a function, so that $! is the broker itself.
	case "${VMD_WRAPPER:-}" in
	valgrind_vmd)
		env "${VMD_ENV[@]}" valgrind -q --leak-check=full \
		    --errors-for-leak-kinds=definite --error-exitcode=99 \
		    --log-file="$TMP/valgrind.%p" \
		    "$VMD_BIN" -F -f "$CONF" >>"$TMP/vmd.log" 2>&1 &
		;;
	*)
		env "${VMD_ENV[@]}" "$VMD_BIN" -F -f "$CONF" >>"$TMP/vmd.log" 2>&1 &
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
		VMD_PID=
		if [ "$VMD_STATUS" -eq 99 ]; then
			not_ok "valgrind found errors or leaks in the broker"
			cat "$TMP"/valgrind.* 2>/dev/null | sed 's/^/# /'
		fi
	fi
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

# make_user NAME [GROUP]: a local account removed when the test ends.
make_user() {
	userdel -r "$1" >/dev/null 2>&1
	useradd -m -d "$TMP/home/$1" -s /bin/false ${2:+-G "$2"} "$1" || return 1
	CREATED_USERS="$CREATED_USERS $1"
}

make_group() {
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

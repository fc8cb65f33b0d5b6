#!/bin/bash
# A session that ends while the broker works for it cancels that work:
# ssh killed during the import of a large upload, without a terminal
# (sshd then closes the shell's pipes and sends no signal) and with one
# (the terminal hangs up), and Ctrl-C at the prompt.  Each time no VM is
# defined, no disk or staging file is left, qemu-img is gone, and the
# broker goes on serving the student.
. "$(dirname "$0")/lib.sh"

A=ievse2ea
e2e_setup "+$A"
UA=$(id -u $A)
STAGING=$TMP/pool/.staging

# 2 GiB that are not zeros: qemu-img has to convert every byte (some
# seconds), and cannot skip any of it as a hole.
$PYTHON - "$TMP/big.raw" <<'PY'
import sys
chunk = (b"ie-vshell hangup test data\n" * 700000)[:16 << 20]
with open(sys.argv[1], "wb") as f:
    for _ in range(128):
        f.write(chunk)
PY
SECONDS=0
scp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$TMP/big.raw" \
    "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
RC=$?
check "a 2 GiB raw image is uploaded" rc_is 0
echo "# uploaded in $SECONDS s"

# Any child of the broker: during an import, qemu-img.
broker_children() { ps -o pid= --ppid "$VMD_PID"; }
converting() { [ -n "$(find "$STAGING" -type f -size +1M 2>/dev/null)" ]; }
# The student's processes (sshd's, the shell) but zombies: init may
# take its time to reap what sshd left.
student_procs() { ps -o stat= -u "$UA" | grep -v '^Z'; }
# The import has ended, one way or another, and the session with it.
settled() {
	[ -z "$(ls -A "$STAGING" 2>/dev/null)" ] &&
	    [ -z "$(broker_children)" ] && [ -z "$(student_procs)" ]
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# no_domain VM: libvirt knows no domain of that VM.
no_domain() {
	! virsh -q -c qemu:///system list --all --name |
	    grep -qx "$(domain_of $A "$1")"
}

# left_nothing VM WHAT: the import for VM was cancelled, without a trace.
left_nothing() {
	local t0=$(now_ms)

	check "$2: the import ends, and the session" within 120 settled
	echo "# $2: settled $(($(now_ms) - t0)) ms after"
	check "$2: no VM is defined" no_domain "$1"
	check "$2: no disk in the pool" [ ! -e "$TMP/pool/$UA/$1.qcow2" ]
	check "$2: nothing staged" [ -z "$(ls -A "$STAGING" 2>/dev/null)" ]
	check "$2: no qemu-img left" [ -z "$(broker_children)" ]
	local audit="cmd=define args=\[\"$1\" \"big.raw\"\] result=failed"
	# The broker logs a request once its clean-up is done: a moment
	# after the checks above can see the clean-up (longer under valgrind).
	if within 30 grep -q "$audit reason=\"big.raw: cancelled\"" \
	    "$TMP/vmd.log"; then
		ok "$2: the broker logged the cancel"
	else
		not_ok "$2: the broker logged the cancel"
		grep "cmd=define args=\[\"$1\"" "$TMP/vmd.log" |
		    sed 's/^/# logged: /'
	fi
}

# Without a terminal, as `ssh blade define NAME IMAGE` runs it.
ssh "${SSH_OPTS[@]}" -p "$PORT" -i "$TMP/keys/$A" -o PasswordAuthentication=no \
    "$A@127.0.0.1" define nopty big.raw >"$OUT" 2>"$ERR" </dev/null &
spid=$!
check "no terminal: the conversion starts" within 60 converting
kill -KILL "$spid"
wait "$spid" 2>/dev/null
left_nothing nopty "no terminal, ssh killed"

# At the prompt, through ssh -tt: Ctrl-C, then a hang-up.
pty() {
	SCENARIO=$1 VM=$2 IMAGE=big.raw TMP=$TMP "$PYTHON" \
	    "$(dirname "$0")/sshpty.py" ssh "${SSH_OPTS[@]}" -tt -p "$PORT" \
	    -i "$TMP/keys/$A" "$A@127.0.0.1" ||
	    { sed 's/^/# pty: /' "$TMP/sshpty.log" | tail -20; return 1; }
}
check "at the prompt: Ctrl-C during define" pty import-ctrl-c ctrlc
left_nothing ctrlc "Ctrl-C at the prompt"
check "at the prompt: ssh killed during define" pty import-drop drop
left_nothing drop "terminal hung up"

# The broker still serves the student, and an import that nobody
# cancels (stdin at its end from the start, as with ssh -n) completes.
ssh_key $A list
check "afterwards: list works" rc_is 0
check "afterwards: no VM is listed" out_lacks "nopty\|ctrlc\|drop"
ssh_key $A define done big.raw
check "afterwards: the same import completes" rc_is 0
check "and defines the VM" out_has "defined done"
ssh_key $A undefine done --disk
check "undefine done --disk" rc_is 0

done_testing

#!/bin/bash
# Restarting the broker under an open interactive session: the student's
# next command reconnects and succeeds.
. "$(dirname "$0")/lib.sh"

"$PYTHON" -c 'import pexpect' 2>/dev/null ||
	skip "python3-pexpect is not installed"
start_vmd || exit 1
cat > "$TMP/restart" <<RS
pid=\$(cat "$TMP/vmd.pid")
# Gone once it has no program: the broker started here last is no child of
# the test, and a zombie is reaped when init gets to it.
kill \$pid && while [ -e /proc/\$pid/exe ]; do sleep 0.05; done
. "$TMP/vmd-env.sh"
"$VMD_BIN" -F -f "$CONF" >>"$TMP/vmd.log" 2>&1 &
echo \$! > "$TMP/vmd.pid"
RS
echo "$VMD_PID" > "$TMP/vmd.pid"
export SH CONF TMP VMD_RESTART="/bin/sh $TMP/restart"
if "$PYTHON" "$top_srcdir/tests/integration/ptydrive.py" restart; then
	ok "session survives a broker restart"
else
	not_ok "session survives a broker restart"
	sed 's/^/# pty: /' "$TMP"/pty-*.log | tail -40
fi
VMD_PID=$(cat "$TMP/vmd.pid")
# Line mode too: a long-lived script session.
{ echo "define one"; sleep 0.3; /bin/sh "$TMP/restart"; sleep 0.3; echo "define two"; } |
	"$SH" -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
VMD_PID=$(cat "$TMP/vmd.pid")
check "line mode survives a broker restart" rc_is 0
check "and runs the command after it" out_has "defined two"
done_testing

#!/bin/bash
# The interactive shell through a pseudo-terminal: prompt, completion,
# Ctrl-C, Ctrl-D, emacs keys, history, and ~/.editrc / $EDITRC ignored.
. "$(dirname "$0")/lib.sh"

"$PYTHON" -c 'import pexpect' 2>/dev/null ||
	skip "python3-pexpect is not installed"
start_vmd || exit 1

# A hostile editrc would switch to vi mode and rebind keys; it must never
# be read.
cat > "$TMP/editrc" <<'RC'
bind -v
bind ^A ed-insert
bind ^I ed-insert
RC
export EDITRC="$TMP/editrc"
export SH CONF TMP
if [ "$(id -u)" -eq 0 ]; then
	make_user ievs-pty || exit 1
	cp "$TMP/editrc" "$TMP/home/ievs-pty/.editrc"
	export USER_A=ievs-pty HISTHOME="$TMP/home/ievs-pty"
fi
if "$PYTHON" "$top_srcdir/tests/integration/ptydrive.py" interactive; then
	ok "interactive session"
else
	not_ok "interactive session"
	sed 's/^/# pty: /' "$TMP"/pty-*.log | tail -40
fi
done_testing

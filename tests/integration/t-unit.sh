#!/bin/bash
# The broker's systemd unit: systemd accepts it, and the broker keeps the
# promise of Type=forking (the command returns once the socket listens, and
# the broker goes on in the background).
. "$(dirname "$0")/lib.sh"

UNIT="$top_builddir/contrib/systemd/ie-vmd.service"
check "the unit is built" [ -f "$UNIT" ]
check "it starts the broker by its absolute installed path" grep -q "^ExecStart=/.*/sbin/ie-vmd$" "$UNIT"
check "as Type=forking" grep -q "^Type=forking$" "$UNIT"

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the binary it names: the built one, in a copy (and
	# the man pages are not installed yet).
	sed "s|^ExecStart=.*|ExecStart=$VMD_BIN -f $CONF|" "$UNIT" > "$TMP/ie-vmd.service"
	systemd-analyze verify --man=no "$TMP/ie-vmd.service" >"$OUT" 2>"$ERR"
	RC=$?
	check "systemd-analyze verify accepts it" rc_is 0
	check "without a warning" [ ! -s "$ERR" ]
else
	echo "# systemd-analyze not installed: the unit's syntax is not verified"
fi

write_config
env "${VMD_ENV[@]}" "$VMD_BIN" -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "started without -F, the broker returns 0" rc_is 0
check "by then its socket listens" [ -S "$SOCK" ]
# The broker that listens on this test's socket, whatever its name.
pid=$(socket_pids "$SOCK")
check "and it runs on in the background" [ "$(proc_exe "$pid")" = "$VMD_BIN" ]
vsh -c 'list'
check "it answers" rc_is 0
gone() { [ -n "$1" ] && [ -z "$(proc_exe "$1")" ]; }
[ -n "$pid" ] && kill "$pid"
for _ in $(seq 50); do gone "$pid" && break; sleep 0.1; done
check "it stops on SIGTERM" gone "$pid"
done_testing

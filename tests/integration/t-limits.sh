#!/bin/bash
# Abuse limits: one user's loop or pile of sessions gets a clear error, not
# a hang, and other users are not affected.
. "$(dirname "$0")/lib.sh"

need_root
make_user ievl-loop || exit 1
make_user ievl-calm || exit 1
write_config
cat >> "$CONF" <<'L'

[limits]
sessions_per_user = 3
requests_per_minute = 20
L
start_vmd || exit 1

# 30 requests in one session: the bucket of 20 (one taken by the
# connection itself) runs dry.
for i in $(seq 30); do echo list; done > "$TMP/loop"
setpriv --reuid=ievl-loop --regid="$(id -g ievl-loop)" --init-groups -- \
    "$SH" -f "$CONF" < "$TMP/loop" >"$OUT" 2>"$ERR"
RC=$?
served=$(grep -c '^Name' "$OUT")
check "a looping user is served about the limit ($served of 30)" [ "$served" -ge 19 ] && [ "$served" -le 21 ]
check "then refused with a message" err_has "too many requests: the limit is 20 a minute; wait a moment"
check "the session ends non-zero" [ "$RC" -ne 0 ]
vsh -u ievl-calm -c list
check "another user is served meanwhile" rc_is 0
check "the refusals are audited" grep -q "user=ievl-loop cmd=list args=\[\] result=denied reason=\"too many requests" "$TMP/vmd.log"
check "once per run of refusals, not once each (no log flood)" \
    [ "$(grep -c 'user=ievl-loop .*result=denied' "$TMP/vmd.log")" -eq 1 ]

# A connection loop: refused at the greeting, without PAM, logged once.
for i in $(seq 15); do vsh -u ievl-loop -c quota; done
check "a connect loop is refused" err_has "too many requests: the limit is 20 a minute"
check "and logged once" \
    [ "$(grep -c 'user=ievl-loop cmd=(connect).*result=denied' "$TMP/vmd.log")" -le 1 ]

# Sessions: three idle sessions are the most; a fourth is told why.
pids=
for i in 1 2 3; do
	sleep 4 | setpriv --reuid=ievl-calm --regid="$(id -g ievl-calm)" \
	    --init-groups -- "$SH" -f "$CONF" >/dev/null 2>&1 &
	pids="$pids $!"
done
sleep 1
vsh -u ievl-calm -c quota
check "a fourth session is refused" rc_is 1
check "saying there are too many" err_has "too many sessions: you have 3 open already; close one first"
vsh -u ievl-loop -c quota
check "other users are not refused for sessions" sh -c "! grep -q 'too many sessions' '$ERR'"
wait $pids
vsh -u ievl-calm -c quota
check "once they are closed, the user connects again" rc_is 0
done_testing

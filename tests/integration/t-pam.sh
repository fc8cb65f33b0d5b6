#!/bin/bash
# Who may use the VM service: the real PAM library runs the policies of the
# shipped pam.d/ie-vshell examples (group, time window, deny list) through
# pam_wrapper; refusals are one clear line, a non-zero exit, and an audit
# entry.
. "$(dirname "$0")/lib.sh"

need_root
[ -n "$PAM_WRAPPER_LIB" ] || skip "pam_wrapper is not installed (Debian: libpam-wrapper)"
make_group ievs-t-class || exit 1
make_user ievpam-ok ievs-t-class || exit 1
make_user ievpam-out || exit 1
make_user ievpam-deny ievs-t-class || exit 1
make_user ievpam-late ievs-t-class || exit 1

# The stack: the shipped file's examples, uncommented and pointed at this
# test's group and files, with the modules by absolute path.
echo ievpam-deny > "$TMP/deny"
echo "ie-vshell;*;ievpam-late;!Al0000-2400" > "$TMP/time.conf"
sed -n 's/^#\(account \+\)/\1/p; s/^\(session .*\)/\1/p' \
    "$top_srcdir/pam.d/ie-vshell" |
	sed -e "s|ie-vshell-students|ievs-t-class|g" \
	    -e "s|/etc/ie-vshell/time.conf|$TMP/time.conf|" \
	    -e "s|/etc/ie-vshell/deny|$TMP/deny|" \
	    -e "s|\\(pam_[a-z_]*\\.so\\)|$PAM_MODDIR/\\1|" \
	    -e "/pam_access/d" > "$TMP/pam/ie-vshell"
# The system's account check (expiry), as common-account has it.
echo "account    required   $PAM_MODDIR/pam_unix.so" >> "$TMP/pam/ie-vshell"
sed 's/^/# stack: /' "$TMP/pam/ie-vshell"
check "the stack has the group, time and deny-list rules" \
    [ "$(grep -cE 'pam_(succeed_if|time|listfile)' "$TMP/pam/ie-vshell")" -eq 3 ]
start_vmd || exit 1

vsh -u ievpam-ok -c 'define web'
check "a class member in the window may use it" rc_is 0

denied() {
	user=$1 what=$2
	vsh -u "$user" -c 'list'
	check "$what: refused (status 1)" rc_is 1
	check "$what: one line" err_one_line
	check "$what: says access is denied" err_has "access to the VM service denied"
	check "$what: nothing on stdout" [ ! -s "$OUT" ]
	check "$what: audited" grep -q "audit: uid=$(id -u "$user") user=$user cmd=(connect) args=\[\] result=denied" "$TMP/vmd.log"
	check "$what: nothing run" sh -c "! grep -q 'user=$user cmd=list' '$TMP/vmd.log'"
}
denied ievpam-out "a user outside the group"
check "with the module's own words" err_has "not in this term's class"
denied ievpam-late "a user outside the time window"
denied ievpam-deny "a user on the deny list"

# An interactive login is refused the same way: one line, exit non-zero.
setpriv --reuid=ievpam-out --regid="$(id -g ievpam-out)" --init-groups -- \
    "$SH" -f "$CONF" </dev/null >"$OUT" 2>"$ERR"
RC=$?
check "line-mode session of a refused user exits non-zero" [ "$RC" -ne 0 ]
check "after one line" err_one_line

# A uid without a passwd entry (gone from the directory, say) is told so.
nobody_uid=61999
while getent passwd $nobody_uid >/dev/null; do nobody_uid=$((nobody_uid + 1)); done
"$PYTHON" -c 'import os, sys
os.setgroups([]); os.setgid(int(sys.argv[1])); os.setuid(int(sys.argv[1]))
os.execv(sys.argv[2], sys.argv[2:])' $nobody_uid "$SH" -f "$CONF" -c list \
    </dev/null >"$OUT" 2>"$ERR"
RC=$?
check "a uid without an account: refused" rc_is 1
check "in one line that says so" \
    err_has "^error: your account (uid $nobody_uid) is unknown on this server; tell the admin$"
check "audited" grep -q "audit: uid=$nobody_uid user=? cmd=(connect) args=\[\] result=denied reason=\"no passwd entry\"" "$TMP/vmd.log"

vsh -u ievpam-ok -c 'list'
check "the allowed user is still served" out_has "^web "
check "the allowed connection is audited" grep -q "user=ievpam-ok cmd=(connect) args=\[\] result=ok" "$TMP/vmd.log"

# The broker keeps the modules loaded between connections, never a
# decision: each connection runs the account stack anew, so a change is
# refused at the very next connection, and lifting it lets the user in.
refused_now() {
	vsh -u ievpam-ok -c 'list'
	check "$1: refused at the next connection" err_has "access to the VM service denied"
}
echo ievpam-ok >> "$TMP/deny"
refused_now "put on the deny list"
sed -i '/^ievpam-ok$/d' "$TMP/deny"
gpasswd -d ievpam-ok ievs-t-class >/dev/null
refused_now "removed from the class group"
gpasswd -a ievpam-ok ievs-t-class >/dev/null
chage -E 0 ievpam-ok
refused_now "account expired"
check "with pam_unix's words" err_has "expired"
chage -E -1 ievpam-ok
vsh -u ievpam-ok -c 'list'
check "served again once all three are lifted" out_has "^web "
# One student's account check that does not end (a directory that does not
# answer) holds up nobody else's: ievpam-late's waits at a gate (pam_exec)
# while ievpam-ok connects and is served.
cat > "$TMP/gate" <<G
#!/bin/sh
touch "$TMP/gated"
i=0
while [ ! -e "$TMP/open" ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i + 1)); done
G
chmod 755 "$TMP/gate"
stop_vmd
pam_stack "account [success=1 default=ignore] $PAM_MODDIR/pam_succeed_if.so quiet user notin ievpam-late" \
    "account required $PAM_MODDIR/pam_exec.so quiet $TMP/gate" \
    "account required $PAM_MODDIR/pam_permit.so" \
    "session required $PAM_MODDIR/pam_permit.so"
start_vmd || exit 1
setpriv --reuid=ievpam-late --regid="$(id -g ievpam-late)" --init-groups -- \
    "$SH" -f "$CONF" -c list </dev/null >"$TMP/late.out" 2>&1 &
late=$!
wait_gated() {
	for _ in $(seq 1 400); do
		[ -e "$TMP/gated" ] && return 0
		sleep 0.05
	done
	return 1
}
check "ievpam-late's account check is at the gate" wait_gated
vsh -u ievpam-ok -c 'list'
check "meanwhile ievpam-ok is served" rc_is 0
check "while ievpam-late's check still waits" \
    bash -c "[ ! -e '$TMP/open' ] && kill -0 $late"
touch "$TMP/open"
wait $late
RC=$?
check "the gate open, ievpam-late is served too" rc_is 0
done_testing

#!/bin/bash
# The broker survives its surroundings: when libvirtd restarts under it,
# the next request reconnects and succeeds.  libvirtd runs unprivileged (a
# session daemon of a test user) with the test driver, so nothing on the
# host is touched.
. "$(dirname "$0")/lib.sh"

LIBVIRTD=/usr/sbin/libvirtd
VIRTLOGD=/usr/sbin/virtlogd
[ -x "$LIBVIRTD" ] || skip "libvirtd is not installed (Debian: libvirt-daemon)"
XDG="$TMP/xdg"
mkdir -p "$XDG"
if [ "$(id -u)" -eq 0 ]; then
	make_user ievs-lvd || exit 1
	chown ievs-lvd "$XDG"
	as_lv() { setpriv --reuid=ievs-lvd --regid="$(id -g ievs-lvd)" \
	    --init-groups -- "$@"; }
	LVHOME="$TMP/home/ievs-lvd"
else
	as_lv() { "$@"; }
	LVHOME="$TMP/home/self"
	mkdir -p "$LVHOME"
fi
chmod 700 "$XDG"
LVSOCK="$XDG/libvirt/libvirt-sock"

# The session daemons keep their pid files in $XDG (read each time: the
# restart below runs in a subshell); libvirtd may start a session virtlogd
# of its own ($XDG/libvirt/virtlogd.pid), which is stopped at the end too.
start_libvirtd() {
	as_lv env -i HOME="$LVHOME" XDG_RUNTIME_DIR="$XDG" PATH=/usr/bin:/bin \
	    "$LIBVIRTD" -d -p "$XDG/libvirtd.pid" 8>&- 9>&- || return 1
	wait_pidfile "$XDG/libvirtd.pid" "$LIBVIRTD" >/dev/null || return 1
	for _ in $(seq 100); do
		[ -S "$LVSOCK" ] && virsh -q -c "test+unix:///default?socket=$LVSOCK" \
		    list >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
stop_libvirtd() {
	stop_pidfile "$XDG/libvirtd.pid" "$LIBVIRTD"
	rm -f "$LVSOCK"
}
stop_daemons() {
	stop_libvirtd
	stop_pidfile "$XDG/libvirt/virtlogd.pid" "$VIRTLOGD"
	cleanup
}
trap stop_daemons EXIT

start_libvirtd || skip "libvirtd would not start here"
URI="test+unix:///default?socket=$LVSOCK"
write_config
start_vmd || exit 1

vsh -c 'define web'
check "define through libvirtd" rc_is 0
vsh -c 'start web'
check "start through libvirtd" rc_is 0

# Changes made beside the broker (an admin's virsh, a guest that powers
# itself off) reach list through libvirt's events, within 3 s.
DOM="u$(id -u)_web"
lv() { virsh -q -c "$URI" "$@" >/dev/null 2>&1; }
list_shows() {
	for _ in $(seq 30); do
		vsh -c 'list'
		grep -q -- "$1" "$OUT" && return 0
		sleep 0.1
	done
	show
	return 1
}
list_lacks() {
	for _ in $(seq 30); do
		vsh -c 'list'
		grep -q -- "$1" "$OUT" || return 0
		sleep 0.1
	done
	show
	return 1
}
lv destroy "$DOM"
check "a VM destroyed with virsh shows shut off" list_shows "^web  *shut off  *-$"
lv start "$DOM"
check "started with virsh, it shows running" list_shows "^web  *running "
virsh -q -c "$URI" dumpxml --inactive "$DOM" > "$TMP/web.xml"
lv destroy "$DOM"
lv undefine "$DOM"
check "undefined with virsh, it is gone from list" list_lacks "^web "
lv define "$TMP/web.xml"
check "defined again with its owner record, it is back" list_shows "^web  *shut off "
sed -e "s/<name>$DOM</<name>u$(id -u)_forged</" -e '/<uuid>/d' \
    -e '/<metadata>/,/<\/metadata>/d' "$TMP/web.xml" > "$TMP/forged.xml"
virsh -q -c "$URI" define "$TMP/forged.xml" >/dev/null
check "a VM named like the user's but without an owner record" \
    lv dominfo "u$(id -u)_forged"
list_lacks "^forged " >/dev/null
check "is not listed as theirs" out_lacks "^forged "
lv metadata "$DOM" urn:ie-vshell:owner:1 --remove --config
check "the owner record removed with virsh, the VM is no longer listed" \
    list_lacks "^web "
vsh -c 'start web'
check "nor can its former owner start it" err_has "no such VM: web"
lv metadata "$DOM" urn:ie-vshell:owner:1 --config --key ievs \
    --set "<owner uid='$(id -u)' user='$(id -un)' vm='web'/>"
check "the record put back with virsh, it is listed again" \
    list_shows "^web  *shut off "
vsh -c 'start web'
check "and its owner may start it" rc_is 0
# The broker keeps the owner record as it last read it from the domain,
# and trusts it only while libvirt has said nothing of a change: a record
# changed or removed with virsh counts at the very next command, with no
# list in between to wait for the table.
OWNER="<owner uid='$(id -u)' user='$(id -un)' vm='web'/>"
set_owner() {	# set_owner XML: live and persistent, as the VM runs
	lv metadata "$DOM" urn:ie-vshell:owner:1 --live --config --key ievs \
	    --set "$1"
}
vsh -c 'info web'
check "the running VM is its owner's" rc_is 0
set_owner "<owner uid='$(($(id -u) + 1))' user='other' vm='web'/>"
vsh -c 'destroy web'
check "given to another uid with virsh, its former owner's next command is refused" \
    err_has "no such VM: web"
check "and it still runs" lv domstate "$DOM" --reason
set_owner "$OWNER"
vsh -c 'destroy web'
check "given back, the next command is its owner's again" rc_is 0
lv metadata "$DOM" urn:ie-vshell:owner:1 --config --remove
vsh -c 'start web'
check "removed from the stopped VM, the next start is refused" \
    err_has "no such VM: web"
lv metadata "$DOM" urn:ie-vshell:owner:1 --config --key ievs --set "$OWNER"
vsh -c 'start web'
check "put back, the next start is allowed" rc_is 0
virsh -q -c "$URI" dumpxml --inactive "$DOM" > "$TMP/web2.xml"
lv destroy "$DOM"
sed "s/uid=[\"']$(id -u)[\"']/uid='$(($(id -u) + 1))'/" "$TMP/web2.xml" \
    > "$TMP/web3.xml"
check "(the record names another uid)" sh -c "! cmp -s '$TMP/web2.xml' '$TMP/web3.xml'"
lv define "$TMP/web3.xml"
vsh -c 'start web'
check "defined again with virsh with another owner, the next start is refused" \
    err_has "no such VM: web"
lv define "$TMP/web2.xml"
vsh -c 'start web'
check "defined again with its owner, the next start is allowed" rc_is 0
lv destroy "$DOM"
lv undefine "$DOM"
lv undefine "u$(id -u)_forged"

# Restart libvirtd between two requests of one open session, and between
# two sessions.  The test driver starts afresh, without `old`: the broker's
# table must be read again, not answer from before.
vsh -c 'define old'
{
	echo "list"
	sleep 0.5
	stop_libvirtd >/dev/null
	start_libvirtd >/dev/null
	echo "define after"
	echo "list"
} | "$SH" -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "the open session's next request succeeds after libvirtd restarted" rc_is 0
check "define after the restart worked" out_has "defined after"
check "list shows what libvirtd has after the restart" out_has "^after  *shut off"
check "and nothing from before it" \
    sh -c "! sed -n '/^defined after/,\$p' '$OUT' | grep -q '^old '"
check "the broker reconnected" grep -q "lost the connection" "$TMP/vmd.log"

stop_libvirtd
vsh -c 'list'
check "with libvirtd down, a request fails cleanly" rc_is 1
check "saying the service cannot reach libvirt" err_has "cannot reach libvirt"
check "with one line" err_one_line
start_libvirtd || exit 1
vsh -c 'list'
check "once libvirtd is back, requests succeed again" rc_is 0
check "the broker is still the same process" kill -0 "$VMD_PID"
done_testing

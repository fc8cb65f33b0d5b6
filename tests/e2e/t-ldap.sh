#!/bin/bash
# Students from an LDAP directory, end to end.  A real slapd on 127.0.0.1
# (its own config, port and ldapi socket) and nslcd as the NSS and PAM
# client, in a mount namespace of this test with its own nslcd.conf,
# nsswitch.conf and PAM files: the machine's own never change, which the
# test checks by their checksums.  The students exist only in LDAP
# (posixAccount and shadowAccount, loginShell the built shell); the class,
# admin and quota groups are posixGroups.  Shown: a password login over
# ssh through pam_ldap, list, define, an upload and its import, a group's
# quota, the admin group, a student taken out of the class group refused
# with the PAM message at the next login, a user name of digits and a dot,
# and a directory that hangs or is gone: one clear line, within nslcd's
# time limits, and everything works again once it is back.

SLAPD=/usr/sbin/slapd
NSLCD=/usr/sbin/nslcd
DEPS="contrib/debian-deps.sh installs slapd, ldap-utils, nslcd, libnss-ldapd and libpam-ldapd"

# What must be byte-identical afterwards: every PAM file, the NSS ones.
guarded_sums() {
	sha256sum /etc/nsswitch.conf /etc/pam.d/* /etc/nslcd.conf \
	    /etc/shells 2>&1
}

# Outside: the lock of the e2e tier, the checksums, then this script again
# in its own mount and pid namespaces (every daemon it starts dies with
# it), then the checksums again.
if [ -z "${IEVS_LDAP_NS:-}" ]; then
	T=$(basename "$0" .sh)
	nope() { echo "SKIP: $T: $*"; exit 77; }
	[ "$(id -u)" -eq 0 ] || nope "needs root"
	for p in $SLAPD $NSLCD /usr/sbin/slapadd /usr/sbin/slappasswd \
	    /usr/bin/ldapmodify; do
		[ -x "$p" ] || nope "$p is missing ($DEPS)"
	done
	ls /lib/*/security/pam_ldap.so /usr/lib/*/security/pam_ldap.so \
	    >/dev/null 2>&1 || nope "pam_ldap is missing ($DEPS)"
	ls /lib/*/libnss_ldap.so.2 /usr/lib/*/libnss_ldap.so.2 \
	    >/dev/null 2>&1 || nope "libnss_ldap is missing ($DEPS)"
	[ -e /etc/nslcd.conf ] || nope "/etc/nslcd.conf is missing (reinstall nslcd)"
	command -v unshare >/dev/null || nope "unshare is missing (util-linux)"
	exec 9>/run/lock/ie-vshell-e2e.lock
	flock -w 900 9 || nope "another e2e run holds /run/lock/ie-vshell-e2e.lock"
	before=$(guarded_sums)
	# nslcd's socket directory is fixed: the namespace mounts its own
	# over it, so it has to exist.
	made_run=
	if [ ! -d /run/nslcd ]; then
		mkdir /run/nslcd && made_run=1
	fi
	SECONDS=0
	IEVS_LDAP_NS=1 E2E_LOCKED=1 unshare --mount --propagation private \
	    --pid --fork --mount-proc -- "$0" "$@"
	rc=$?
	echo "# $T took $SECONDS s (after the lock)"
	[ -n "$made_run" ] && rmdir /run/nslcd
	if [ "$(guarded_sums)" = "$before" ]; then
		echo "ok - the machine's PAM and NSS files are as they were (sha256)"
	else
		echo "not ok - the machine's PAM or NSS files changed:"
		diff <(echo "$before") <(guarded_sums) | sed 's/^/# /'
		rc=1
	fi
	exit $rc
fi

. "$(dirname "$0")/lib.sh"
e2e_need
e2e_lock

BASE=dc=ievs,dc=test
U1=20b.123		# a student number: digits and a dot
U2=ievsl-b		# leaves the class
ADM=ievsl-adm
CLASS=ievsl-class
ADMINS=ievsl-admins
BIG=ievsl-big		# a quota group
ID0=61000		# uids and gids from here on
D=$TMP/ldap
N=$TMP/ns
mkdir -p "$D/slapd.d" "$D/db" "$N"
for id in $(seq $ID0 $((ID0 + 12))); do
	getent -s files passwd $id >/dev/null &&
		skip "uid $id is taken by a local user"
	getent -s files group $id >/dev/null &&
		skip "gid $id is taken by a local group"
done
for n in $U1 $U2 $ADM; do
	getent -s files passwd $n >/dev/null && skip "$n is a local user"
done
for n in $CLASS $ADMINS $BIG ievsl-users; do
	getent -s files group $n >/dev/null && skip "$n is a local group"
done

# --- The directory: slapd with its own config (cn=config in $D), root
# managing it over ldapi (SASL EXTERNAL), anonymous reads of everything
# but passwords, which only bind.
ROOT_DN="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"
LDAPI="ldapi://$(echo "$D/ldapi" | sed 's|/|%2F|g')"
LPORT=$(free_port)
cat > "$D/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=$ROOT_DN manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $BASE
olcDbDirectory: $D/db
olcRootDN: $ROOT_DN
olcDbIndex: objectClass eq
olcDbIndex: uid,uidNumber,gidNumber,memberUid eq
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by * read
LDIF
HASH=$(/usr/sbin/slappasswd -s "$PASS") || exit 1
# ldap_user NAME UID GID: a posixAccount and shadowAccount.
ldap_user() {
	cat <<LDIF

dn: uid=$1,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: shadowAccount
uid: $1
cn: $1
sn: $1
uidNumber: $2
gidNumber: $3
homeDirectory: $TMP/home/$1
loginShell: $SH
userPassword: $HASH
LDIF
}
# ldap_group NAME GID MEMBERS...: a posixGroup.
ldap_group() {
	local m

	printf '\ndn: cn=%s,ou=groups,%s\nobjectClass: posixGroup\ncn: %s\ngidNumber: %s\n' \
	    "$1" "$BASE" "$1" "$2"
	for m in "${@:3}"; do echo "memberUid: $m"; done
}
{
	printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: ievs\no: ievs\n' "$BASE"
	printf '\ndn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n' "$BASE"
	printf '\ndn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n' "$BASE"
	ldap_user $U1 $((ID0 + 1)) $ID0
	ldap_user $U2 $((ID0 + 2)) $ID0
	ldap_user $ADM $((ID0 + 3)) $ID0
	ldap_group ievsl-users $ID0
	ldap_group $CLASS $((ID0 + 10)) $U1 $U2 $ADM
	ldap_group $ADMINS $((ID0 + 11)) $ADM
	ldap_group $BIG $((ID0 + 12)) $U1
} > "$D/data.ldif"
/usr/sbin/slapadd -q -n0 -F "$D/slapd.d" -l "$D/config.ldif" >"$D/slapadd.log" 2>&1 &&
    /usr/sbin/slapadd -q -n1 -F "$D/slapd.d" -l "$D/data.ldif" >>"$D/slapadd.log" 2>&1 ||
    { sed 's/^/# /' "$D/slapadd.log"; not_ok "the directory's data"; done_testing; }

SLAPD_PID=
# slapd_start: in the foreground (-d 0: no fork), stopped by its pid.
slapd_start() {
	"$SLAPD" -d 0 -h "ldap://127.0.0.1:$LPORT/ $LDAPI" -F "$D/slapd.d" \
	    >>"$D/slapd.log" 2>&1 8>&- 9>&- &
	SLAPD_PID=$!
	for _ in $(seq 1 100); do
		ldapwhoami -x -H "ldap://127.0.0.1:$LPORT/" >/dev/null 2>&1 &&
			return 0
		sleep 0.05
	done
	sed 's/^/# slapd: /' "$D/slapd.log"
	return 1
}
undo 'kill -CONT $SLAPD_PID; stop_pid $SLAPD_PID $SLAPD'
slapd_start || { not_ok "slapd starts"; done_testing; }

# --- This namespace's view of the machine: nslcd's config and socket
# directory, NSS with LDAP, PAM with pam_ldap, /etc/shells with the shell.
mount -t tmpfs -o mode=0755 tmpfs /run/nslcd && chown nslcd:nslcd /run/nslcd ||
    exit 1
# The machine's nscd (if any) would answer from outside.
[ -d /run/nscd ] && { mount -t tmpfs tmpfs /run/nscd || exit 1; }
cat > "$N/nslcd.conf" <<C
uid nslcd
gid nslcd
uri ldap://127.0.0.1:$LPORT/
base $BASE
bind_timelimit 1
timelimit 1
reconnect_sleeptime 1
reconnect_retrytime 2
nss_initgroups_ignoreusers ALLLOCAL
C
chown root:nslcd "$N/nslcd.conf" && chmod 640 "$N/nslcd.conf"
awk '/^(passwd|group|shadow):/ { print $1 " files ldap"; next } { print }' \
    /etc/nsswitch.conf > "$N/nsswitch.conf"
cp -a /etc/pam.d "$N/pam.d"
# What pam-auth-update writes with the unix and ldap (libpam-ldapd)
# profiles enabled.
cat > "$N/pam.d/common-auth" <<P
auth	[success=2 default=ignore]	pam_unix.so nullok
auth	[success=1 default=ignore]	pam_ldap.so minimum_uid=1000 use_first_pass
auth	requisite			pam_deny.so
auth	required			pam_permit.so
P
cat > "$N/pam.d/common-account" <<P
account	[success=1 new_authtok_reqd=done default=ignore]	pam_unix.so
account	requisite			pam_deny.so
account	required			pam_permit.so
account	[success=ok new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=bad]	pam_ldap.so minimum_uid=1000
P
{ cat /etc/shells; echo "$SH"; } > "$N/shells"
mount --bind "$N/nslcd.conf" /etc/nslcd.conf &&
    mount --bind "$N/nsswitch.conf" /etc/nsswitch.conf &&
    mount --bind "$N/pam.d" /etc/pam.d &&
    mount --bind "$N/shells" /etc/shells || exit 1

"$NSLCD" -n >"$N/nslcd.log" 2>&1 8>&- 9>&- &
NSLCD_PID=$!
undo stop_pid $NSLCD_PID $NSLCD
for _ in $(seq 1 100); do
	socket_answers /run/nslcd/socket && break
	sleep 0.05
done

getent passwd $U1 > "$OUT"
check "NSS: $U1 comes from LDAP, the built shell as login shell" \
    grep -qx "$U1:.:$((ID0 + 1)):$ID0:$U1:$TMP/home/$U1:$SH" "$OUT"
check "NSS: not a local user" bash -c "! getent -s files passwd $U1"
check "NSS: its groups are LDAP's" \
    bash -c "id -Gn $U1 | tr ' ' '\n' | sort | tr '\n' ' ' |
	grep -qx 'ievsl-big ievsl-class ievsl-users '"

# Homes (sshd starts there) and keys, as e2e_user makes them.
E2E_UIDS=
for u in $U1 $U2 $ADM; do
	mkdir -p "$TMP/home/$u/.ssh" "$TMP/keys"
	ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$TMP/keys/$u" || exit 1
	cp "$TMP/keys/$u.pub" "$TMP/home/$u/.ssh/authorized_keys"
	chmod 644 "$TMP/home/$u/.ssh/authorized_keys"
	chown "$(id -u $u):$ID0" "$TMP/home/$u"
	E2E_UIDS="$E2E_UIDS $(id -u $u)"
done

# --- The service: the class group through the shipped PAM file's example,
# the admin group and a quota group from LDAP.
E2E_CONF_EXTRA="[quota]
vms = 1
[quota.group:$BIG]
vms = 3"
e2e_config || exit 1
sed -E -e "/this term's class group/,/pam_deny/ s/^#account/account/" \
    -e "s/ie-vshell-students/$CLASS/g" "$top_srcdir/pam.d/ie-vshell" \
    > /etc/pam.d/ie-vshell-e2e
check "the broker's PAM file has the class group rule" \
    grep -q "^account.*pam_succeed_if.so quiet user ingroup $CLASS" \
    /etc/pam.d/ie-vshell-e2e
e2e_libvirtd || skip "libvirtd would not start here"
VMD_ENV=()	# the namespace's PAM, not pam_wrapper
start_vmd || exit 1
e2e_sshd || exit 1

# --- A student's day.
ssh_pass $U1 list
check "$U1 logs in with the LDAP password (pam_ldap) and lists" rc_is 0
check "sshd took the password" \
    grep -q "Accepted password for $U1 from 127.0.0.1" "$TMP/ssh/sshd.log"
PASS_RIGHT=$PASS
PASS=wrong-$PASS
ssh_pass $U1 list
check "a wrong password is refused" bash -c "[ $RC -eq 255 ]"
PASS=$PASS_RIGHT

qemu-img create -q -f qcow2 "$TMP/small.qcow2" 64M || exit 1
printf 'put %s\n' "$TMP/small.qcow2" > "$TMP/batch"
sftp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$U1" -b "$TMP/batch" \
    "$U1@127.0.0.1" >"$OUT" 2>"$ERR"
RC=$?
check "$U1 uploads an image with sftp" rc_is 0
check "into $U1's area, as $U1" \
    test "$(stat -c %u "$TMP/upload/$U1/small.qcow2" 2>&1)" = $((ID0 + 1))
ssh_key $U1 define web small.qcow2
check "$U1 imports it: define web small.qcow2" rc_is 0
dom=$(domain_of $U1 web)
check "the domain is $U1's by uid" \
    bash -c "virsh -c qemu:///system metadata '$dom' urn:ie-vshell:owner:1 |
	grep -q \"uid=.$((ID0 + 1)).\""
ssh_key $U1 define web2
check "$U1 defines a second VM (quota group $BIG: 3 VMs)" rc_is 0
ssh_key $U1 quota
check "quota shows the group's limit" out_has "^VMs defined  *2  *3 *$"
ssh_key $U1 list
check "list shows both" bash -c "grep -q '^web ' '$OUT' && grep -q '^web2 ' '$OUT'"

ssh_key $U2 define one
check "$U2 defines a VM" rc_is 0
ssh_key $U2 define two
check "$U2, not in $BIG, is held to [quota]: refused" rc_is 1
check "with the quota's line" err_has "quota exceeded: VMs defined 1 of 1 used"
check "in one line" err_one_line

# --- The admin group from LDAP.
ssh_key $ADM list --all
check "$ADM (group $ADMINS) lists every VM" rc_is 0
check "with owners' names from LDAP" \
    bash -c "grep -q '^$U1 *web ' '$OUT' && grep -q '^$U2 *one ' '$OUT'"
ssh_key $ADM dumpxml $U1/web
check "$ADM names $U1's VM as $U1/web" rc_is 0
ssh_key $U2 list --all
check "$U2 is no admin" rc_is 1
check "and is told so" err_has "admins only"

# --- Out of the class: refused at the next login, with PAM's words.
ldapmodify -Q -Y EXTERNAL -H "$LDAPI" >"$D/modify.log" 2>&1 <<LDIF
dn: cn=$CLASS,ou=groups,$BASE
changetype: modify
delete: memberUid
memberUid: $U2
LDIF
check "$U2 leaves $CLASS in LDAP" bash -c "! id -Gn $U2 | grep -qw $CLASS"
ssh_pass $U2
check "$U2's next login is refused" rc_is 1
check "with the PAM file's message" \
    err_has "access to the VM service denied: you are not in this term's class (group $CLASS)"
check "in one line" err_one_line
check "audited" grep -q "user=$U2 cmd=(connect) args=\[\] result=denied" "$TMP/vmd.log"
ssh_key $U1 list
check "$U1 is still served" rc_is 0

# --- The directory hangs (slapd stopped: connections are accepted, never
# answered), then is gone.  secs CMD...: runs CMD, its time in $SECS.
secs() {
	local t0=$EPOCHREALTIME
	"$@"
	SECS=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }")
}
BOUND=60	# far above nslcd's limits: reaching it means a hang
# as_u1 ARGS...: the shell as U1, started as sshd starts it (an entry
# that sshd had, from a cache say), with no lookup of its own (setpriv
# makes some).
as_u1() {
	timeout $BOUND "$PYTHON" -c 'import os, sys
os.setgroups([]); os.setgid(int(sys.argv[2])); os.setuid(int(sys.argv[1]))
os.execv(sys.argv[3], sys.argv[3:])' $((ID0 + 1)) $ID0 "$SH" "$@" \
	    >"$OUT" 2>"$ERR"
	RC=$?
}
# back: waits until NSS answers again (nslcd retries every
# reconnect_retrytime), in $SECS.
back() {
	secs wait_until_getent
	echo "# NSS answered again after $SECS s"
}
wait_until_getent() {
	for _ in $(seq 1 100); do
		getent passwd $U1 >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A session open when the directory stops: what needs a group (the quota
# rules) fails with one line, the session goes on.
secs as_u1 < <(
	echo list
	wait_for "$OUT" "web" 20 >/dev/null
	kill -STOP $SLAPD_PID
	echo define web3
	echo quota
	echo list
)
echo "# an open session, the directory hung: $SECS s"
check "directory hung, open session: define is refused" \
    err_has "^error: cannot check your quota: the user directory does not answer; try again in a few minutes, or tell the admin$"
check "as is quota, each in one line" \
    bash -c "[ \$(grep -c 'cannot check your quota' '$ERR') -eq 2 ] &&
	[ \$(wc -l < '$ERR') -eq 2 ]"
check "nothing was made" bash -c "! virsh -c qemu:///system dominfo \
	$(domain_of $U1 web3) >/dev/null 2>&1"
check "and list still works" bash -c "[ \$(grep -c '^web ' '$OUT') -eq 2 ]"

secs as_u1 -c list </dev/null
echo "# a new session, the directory hung: $SECS s"
check "directory hung: the shell fails, within nslcd's limits" rc_is 1
check "in one line" err_one_line
check "that says the directory does not answer" \
    err_has "^error: cannot look up your account (uid $((ID0 + 1))): the user directory does not answer"
secs ssh_key $U1 list
echo "# an ssh login, the directory hung: $SECS s"
check "directory hung: an ssh login fails and does not hang" \
    bash -c "[ $RC -eq 255 ]"
kill -CONT $SLAPD_PID
back
secs ssh_pass $U1 list
echo "# a login once the directory answers again: $SECS s"
check "the directory back: $U1 logs in again" rc_is 0

stop_pid $SLAPD_PID $SLAPD
secs as_u1 -c list </dev/null
echo "# a new session, the directory gone: $SECS s"
check "directory gone: the shell fails" rc_is 1
check "with the same line" \
    err_has "^error: cannot look up your account (uid $((ID0 + 1))): the user directory does not answer"
check "in one line" err_one_line
slapd_start || not_ok "slapd starts again"
back
ssh_key $U1 list
check "the directory back: $U1 is served" rc_is 0

ssh_key $U1 undefine web --disk
check "$U1 undefines web" rc_is 0

done_testing

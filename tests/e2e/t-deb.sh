#!/bin/bash
# The Debian package as an admin installs it: apt-get install ./*.deb on
# this machine, ie-vmd --check passes on its defaults, the installed broker
# (started by its pid here; no systemd) serves a student whose login shell
# is the installed /usr/bin/ie-vshell over ssh, and a purge leaves the
# machine as it found it but for what students left (their uploads, a
# group with members), which purge keeps on purpose.
#
# Takes the package from $IE_VSHELL_DEB (.ci/run builds it once), else
# builds it with contrib/build-deb.sh.  Skips where ie-vshell is installed
# already, as a package or by make install into /usr and /etc.
. "$(dirname "$0")/lib.sh"

S=ievsdeb
GROUPS_PKG="ie-vshell-admin ie-vshell-students"
ETC=/etc/ie-vshell
STATE=/var/lib/ie-vshell
RUNDIR=/run/ie-vshell
APT=(apt-get -q -y -o DPkg::Lock::Timeout=600 --no-install-recommends)

e2e_need
command -v apt-get >/dev/null || skip "apt-get is not installed"
if [ -z "${IE_VSHELL_DEB:-}" ]; then
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
		skip "debhelper is not installed (see contrib/debian-deps.sh)"
fi

elapsed() { echo $(($(date +%s%N) / 1000000 - $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

DEB=${IE_VSHELL_DEB:-}
if [ -z "$DEB" ]; then
	t0=$(now_ms)
	DEB=$("$top_srcdir/contrib/build-deb.sh" "$TMP/deb") ||
		{ not_ok "contrib/build-deb.sh builds the package"; done_testing; }
	echo "# package built in $(elapsed "$t0") ms"
fi
[ -f "$DEB" ] || { not_ok "the package $DEB exists"; done_testing; }
DEB=$(cd "$(dirname "$DEB")" && pwd -P)/$(basename "$DEB")
# The build touches nothing shared: the machine is taken from here on.
e2e_lock

# What the package holds, as absolute paths ("./usr/bin/x" -> "/usr/bin/x").
mapfile -t PKG_PATHS < <(dpkg-deb --fsys-tarfile "$DEB" | tar -t |
    sed -e 's|^\.||' -e 's|/$||' -e '/^$/d')

# Never over an ie-vshell that is not this test's.
st=$(dpkg-query -W -f='${db:Status-Abbrev}' ie-vshell 2>/dev/null)
case $st in
'' | 'un ' | 'pn ') ;;
*) skip "the package ie-vshell is installed here (dpkg: $st); this test would replace it" ;;
esac
for p in "${PKG_PATHS[@]}" $ETC $STATE $RUNDIR; do
	[ -d "$p" ] && [ "$p" != $ETC ] && [ "$p" != $STATE ] &&
	    [ "$p" != $RUNDIR ] && continue
	[ -e "$p" ] || [ -L "$p" ] || continue
	skip "$p exists (ie-vshell installed by make install?); this test would replace it"
done

# What the package and a student can change, as a listing to compare:
# each path of the package and the state and run directories (type, mode,
# owner), systemd's links and deb-systemd-helper's records, /etc/shells,
# the groups and users of the package's and this test's names, dpkg's and
# apt's records of the package.
snapshot() {
	local p
	for p in "${PKG_PATHS[@]}" $ETC $STATE $RUNDIR; do
		stat -c '%n %F %a %U:%G' "$p" 2>/dev/null || echo "$p absent"
	done | sort -u
	find /etc/systemd /var/lib/systemd \( -name '*ie-vmd*' -o \
	    -name '*.wants' \) 2>/dev/null | sort
	echo "/etc/shells $(md5sum < /etc/shells)"
	grep -E "^(ie-vshell|$S)" /etc/passwd /etc/shadow /etc/group \
	    /etc/gshadow
	ls /var/lib/dpkg/info/ie-vshell.* 2>/dev/null
	dpkg-query -W -f='${db:Status-Abbrev}\n' ie-vshell 2>/dev/null
	grep -A2 -x 'Package: ie-vshell' /var/lib/apt/extended_states \
	    2>/dev/null
}
snapshot > "$TMP/before"
had_group() { grep -q "^/etc/group:$1:" "$TMP/before"; }
gone() {
	local p
	for p; do [ ! -e "$p" ] || { echo "# $p is still there"; return 1; }; done
}
no_group() { ! grep -q "^$1:" /etc/group; }
has_group() { getent group "$1" >/dev/null; }
man_finds() { man -w "$@" >/dev/null; }
no_line() { ! grep -qx -- "$2" "$1"; }

# Whatever happens, the machine is left as it was: the broker stopped, the
# package purged, the student and the groups and directories that did not
# exist before removed.
undo_all() {
	local g
	stop_vmd
	case $(dpkg-query -W -f='${db:Status-Abbrev}' ie-vshell 2>/dev/null) in
	'' | 'un ' | 'pn ') ;;
	*) "${APT[@]}" purge ie-vshell ;;
	esac
	userdel -r $S
	for g in $GROUPS_PKG; do had_group $g || groupdel $g; done
	rm -rf $STATE $RUNDIR
}
undo undo_all

t0=$(now_ms)
"${APT[@]}" install "$DEB" >"$TMP/install.out" 2>&1
RC=$?
echo "# installed in $(elapsed "$t0") ms"
check "apt-get install ./ie-vshell_*.deb succeeds" rc_is 0 ||
	{ sed 's/^/# /' "$TMP/install.out"; done_testing; }
check "the package is installed" [ "$(dpkg-query -W \
    -f='${db:Status-Abbrev}' ie-vshell)" = "ii " ]
check "/usr/bin/ie-vshell is listed in /etc/shells" \
    grep -qx /usr/bin/ie-vshell /etc/shells
conffiles=$(dpkg-query -W -f='${Conffiles}' ie-vshell)
for f in $ETC/ie-vshell.conf $ETC/templates/default.xml /etc/pam.d/ie-vshell; do
	check "$f is a conffile" grep -q " $f " <<<"$conffiles"
done
check "the pool is root's, 0711" \
    [ "$(stat -c '%U:%G %a' $STATE/pool)" = "root:root 711" ]
check "the upload areas' parent is root's, 0755" \
    [ "$(stat -c '%U:%G %a' $STATE/upload)" = "root:root 755" ]
for g in $GROUPS_PKG; do
	check "the group $g exists" has_group $g
done
check "the broker's unit is enabled" [ "$(readlink \
    /etc/systemd/system/multi-user.target.wants/ie-vmd.service)" = \
    /lib/systemd/system/ie-vmd.service ]
check "man finds ie-vshell(1), ie-vmd(8) and ie-vshell.conf(5)" \
    man_finds ie-vshell ie-vmd ie-vshell.conf

# Installed again (an upgrade does the same): the admin's changes stay (an
# edited conffile, the pool's mode) and nothing is made twice.
echo "# edited by the admin" >> $ETC/ie-vshell.conf
chmod 700 $STATE/pool
t0=$(now_ms)
"${APT[@]}" install --reinstall "$DEB" >"$TMP/install.out" 2>&1
RC=$?
echo "# installed again in $(elapsed "$t0") ms"
check "installed again" rc_is 0 || sed 's/^/# /' "$TMP/install.out"
check "the edited config is kept" \
    [ "$(tail -n 1 $ETC/ie-vshell.conf)" = "# edited by the admin" ]
check "the pool keeps its mode" [ "$(stat -c %a $STATE/pool)" = 700 ]
check "/etc/shells lists the shell once" \
    [ "$(grep -cx /usr/bin/ie-vshell /etc/shells)" = 1 ]
check "each group once" [ "$(grep -cE '^ie-vshell-(admin|students):' /etc/group)" = 2 ]
chmod 711 $STATE/pool

# A student of the installed shell, in the group of the installed sshd
# snippet; sshd includes the snippet from the package's examples.
SH=/usr/bin/ie-vshell
e2e_user $S ie-vshell-students || exit 1
SSHD_SNIPPET=/usr/share/doc/ie-vshell/examples/sshd_config.d/ie-vshell.conf
e2e_libvirtd || skip "libvirtd would not start here"
e2e_sshd || exit 1

# The admin's step 4 of README.md: the default template's firewall
# defined in libvirt from the package's file (undefined at the end if it
# was not there before).
VIRSH=(virsh -q -c qemu:///system)
if ! "${VIRSH[@]}" nwfilter-dumpxml ie-vshell-student >/dev/null 2>&1; then
	"${VIRSH[@]}" nwfilter-define $ETC/nwfilter/ie-vshell-student.xml \
	    >/dev/null || { not_ok "the package's nwfilter defines"; done_testing; }
	undo "${VIRSH[@]}" nwfilter-undefine ie-vshell-student
fi

/usr/sbin/ie-vmd --check --student $S --sshd-config "$SSHD_CONFIG" \
    >"$OUT" 2>"$ERR"
RC=$?
check "ie-vmd --check passes on the package's defaults" rc_is 0
check "it says so" out_has "all checks passed"

# The installed broker with the installed config, as the unit starts it
# but in the foreground (under valgrind with VMD_WRAPPER=valgrind_vmd),
# stopped by its pid; the system's PAM.
VMD_BIN=/usr/sbin/ie-vmd
CONF=$ETC/ie-vshell.conf
SOCK=$RUNDIR/ie-vmd.sock
VMD_ENV=()
mkdir -p "$TMP/run"	# start_vmd's socket directory, not used here
start_vmd
check "the installed broker listens on $SOCK" [ -S $SOCK ] ||
	{ sed 's/^/# vmd: /' "$TMP/vmd.log"; done_testing; }

ssh_key $S quota
check "a student logs in over ssh: quota" rc_is 0
check "quota shows the package's default limits" \
    grep -qE '^VMs defined +0 +8$' "$OUT"
ssh_key $S define web
check "define without an image is refused on the defaults (blank_size 0)" \
    rc_is 1
check "with one line" err_one_line
echo "notes for the VM" > "$TMP/notes.txt"
chmod 644 "$TMP/notes.txt"
printf 'put %s notes.txt\n' "$TMP/notes.txt" > "$TMP/batch"
sftp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$S" -b "$TMP/batch" \
    $S@127.0.0.1 >"$OUT" 2>"$ERR" </dev/null
RC=$?
check "an upload with sftp through the installed shell" rc_is 0
check "it lands in the student's area" \
    cmp -s "$TMP/notes.txt" $STATE/upload/$S/notes.txt
ssh_key $S images
check "images lists it" out_has notes.txt
stop_vmd

# Purge, as an admin would at the end of the course, with the student's
# account and upload still there.
t0=$(now_ms)
"${APT[@]}" purge ie-vshell >"$TMP/purge.out" 2>&1
RC=$?
echo "# purged in $(elapsed "$t0") ms"
check "apt-get purge ie-vshell succeeds" rc_is 0 ||
	sed 's/^/# /' "$TMP/purge.out"
check "dpkg forgets the package" [ -z "$(dpkg-query -W \
    -f='${db:Status-Abbrev}' ie-vshell 2>/dev/null | grep -v '^[pu]n')" ]
check "the conffiles are gone" gone $ETC /etc/pam.d/ie-vshell
check "/usr/bin/ie-vshell is out of /etc/shells" \
    no_line /etc/shells /usr/bin/ie-vshell
check "the student's upload is kept" \
    cmp -s "$TMP/notes.txt" $STATE/upload/$S/notes.txt
check "and nothing else of the state directory" [ "$(find $STATE | sort |
    tr '\n' ' ')" = "$STATE $STATE/upload $STATE/upload/$S $STATE/upload/$S/notes.txt " ]
check "purge says what it kept" grep -q "kept $STATE" "$TMP/purge.out"
check "the run directory is gone" gone $RUNDIR
had_group ie-vshell-admin ||
	check "the admin group the package made is gone" \
	    no_group ie-vshell-admin
if ! had_group ie-vshell-students; then
	check "the students' group, with a member, is kept" \
	    has_group ie-vshell-students
	check "purge says so" grep -q "kept the group ie-vshell-students" \
	    "$TMP/purge.out"
fi

# What purge kept on purpose goes with the student; then nothing differs.
userdel -r $S >/dev/null 2>&1
had_group ie-vshell-students || groupdel ie-vshell-students
rm -rf $STATE
snapshot > "$TMP/after"
check "nothing else is left behind" diff "$TMP/before" "$TMP/after"
done_testing

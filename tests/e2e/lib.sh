# The end-to-end tier: the whole stack as deployed.  OpenSSH's sshd on
# 127.0.0.1 with PAM and the shipped snippet, real accounts whose login
# shell is the built ie-vshell, the broker on qemu:///system (libvirtd
# started here if none runs), guests under QEMU (TCG), and programs we did
# not write as clients.  Sourced by tests/e2e/t-*.sh after
# tests/integration/lib.sh's helpers; exit 77 means "skipped".
#
# The scripts share system-wide things (the shell's config file, the
# /etc/shells entry, the students' group), so they run one at a time under
# a lock.  Everything set up here is undone when the script exits.

# This directory, also for a script elsewhere that sources this file
# (bench/migrate.sh).
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_DIR/../integration/lib.sh"

: "${sysconfdir:=/usr/local/etc}"
SSHD=/usr/sbin/sshd
LIBVIRTD=/usr/sbin/libvirtd
VIRTLOGD=/usr/sbin/virtlogd
QEMU=/usr/bin/qemu-system-x86_64
STUDENTS=ie-vshell-students
ADMINS=ievs-e2e-admins
GUEST_LINE="ie-vshell test guest: up"
E2E_MARK="# written by ie-vshell's e2e tests"

e2e_need() {
	need_root
	[ -x "$SSHD" ] || skip "sshd is not installed (Debian: openssh-server)"
	for p in ssh sftp scp ssh-keygen curl virsh; do
		command -v $p >/dev/null ||
			skip "$p is not installed (see contrib/debian-deps.sh)"
	done
	[ -x "$LIBVIRTD" ] || skip "libvirtd is not installed (Debian: libvirt-daemon-system)"
	[ -x "$QEMU" ] || skip "$QEMU is not installed (Debian: qemu-system-x86)"
	id libvirt-qemu >/dev/null 2>&1 ||
		skip "no libvirt-qemu user (Debian: libvirt-daemon-system)"
	curl -V | grep -q '^Protocols:.* sftp' ||
		skip "this curl has no sftp:// (Debian's links libssh2)"
}

# The lock: one e2e script at a time on this machine.  A script that runs
# itself again in a namespace takes it first and sets E2E_LOCKED: the new
# open would wait for the lock its own parent holds.
e2e_lock() {
	local t=$SECONDS
	if [ -z "${E2E_LOCKED:-}" ]; then
		exec 9>/run/lock/ie-vshell-e2e.lock
		flock -w 900 9 ||
			skip "another e2e run holds /run/lock/ie-vshell-e2e.lock"
	fi
	# What a script's wall time owes to others, not to itself.
	echo "# waited $((SECONDS - t)) s for the e2e lock"
	# Checked under the lock: an earlier run's file is gone by then.
	SHELL_CONF="$sysconfdir/ie-vshell/ie-vshell.conf"
	if [ -e "$SHELL_CONF" ] && ! grep -qF "$E2E_MARK" "$SHELL_CONF"; then
		skip "$SHELL_CONF exists; these tests would replace it"
	fi
}

E2E_UNDO=()	# commands run at exit, last first
undo() { E2E_UNDO+=("$*"); }
e2e_cleanup() {
	local i
	e2e_vms_destroy
	for ((i = ${#E2E_UNDO[@]} - 1; i >= 0; i--)); do
		eval "${E2E_UNDO[$i]}" >/dev/null 2>&1
	done
	cleanup
}
trap e2e_cleanup EXIT

# Domains left by a failed run of this test's users: destroyed, undefined.
E2E_UIDS=
e2e_vms_destroy() {
	local u d
	[ -n "$E2E_UIDS" ] || return 0
	for u in $E2E_UIDS; do
		for d in $(virsh -q -c qemu:///system list --all --name 2>/dev/null |
		    grep "^u${u}_"); do
			virsh -c qemu:///system destroy "$d" >/dev/null 2>&1
			virsh -c qemu:///system undefine "$d" >/dev/null 2>&1
		done
	done
}

# e2e_user NAME [GROUP]: an account with the built shell as login shell, a
# password ($PASS) and a key ($TMP/keys/NAME).
PASS=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
e2e_user() {
	userdel -r "$1" >/dev/null 2>&1
	useradd -m -d "$TMP/home/$1" -s "$SH" ${2:+-G "$2"} "$1" || return 1
	CREATED_USERS="$CREATED_USERS $1"
	E2E_UIDS="$E2E_UIDS $(id -u "$1")"
	echo "$1:$PASS" | chpasswd || return 1
	mkdir -p "$TMP/keys" "$TMP/home/$1/.ssh"
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$TMP/keys/$1" || return 1
	# Root's, as the snippet advises: students cannot add options to it.
	cp "$TMP/keys/$1.pub" "$TMP/home/$1/.ssh/authorized_keys"
	chmod 644 "$TMP/home/$1/.ssh/authorized_keys"
}

# The shell's config at its compiled-in path (what sshd's shell reads), also
# used by the broker: blank disks of 1 GiB for define without an image.  A
# script may set E2E_STORAGE (more [storage] lines), E2E_CONF_EXTRA (more
# groups) and E2E_TEMPLATES (names of more templates, copies of
# default.xml).
e2e_config() {
	local t
	mkdir -p "$TMP/templates" "$TMP/pool" "$TMP/upload"
	cat > "$TMP/templates/default.xml" <<XML
<domain type='qemu'>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='$TMP/serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>
XML
	for t in ${E2E_TEMPLATES:-}; do
		cp "$TMP/templates/default.xml" "$TMP/templates/$t.xml"
	done
	if [ ! -d "$sysconfdir/ie-vshell" ]; then
		mkdir -p "$sysconfdir/ie-vshell" || return 1
		undo rmdir "$sysconfdir/ie-vshell"
	fi
	cat > "$SHELL_CONF" <<CONF
$E2E_MARK
[daemon]
socket = $SOCK
state_dir = $TMP/state
pam_service = ie-vshell-e2e
admin_group = $ADMINS
[libvirt]
uri = qemu:///system
[storage]
pool_dir = $TMP/pool
blank_size = 1
${E2E_STORAGE:-}
[upload]
dir = $TMP/upload/%u
[templates]
dir = $TMP/templates
${E2E_CONF_EXTRA:-}
CONF
	chmod 644 "$SHELL_CONF"
	undo rm -f "$SHELL_CONF"
	CONF=$SHELL_CONF
	cp "$top_srcdir/pam.d/ie-vshell" /etc/pam.d/ie-vshell-e2e
	undo rm -f /etc/pam.d/ie-vshell-e2e
	grep -qxF "$SH" /etc/shells || { echo "$SH" >> /etc/shells; undo e2e_unshell; }
}
e2e_unshell() { sed -i "\\|^$SH\$|d" /etc/shells; }

# libvirtd and virtlogd (domains' serial logs), each started here when its
# socket does not answer, with its pid file in $TMP, and stopped by that
# pid at the end.  Whether one runs is told by its socket, never by a
# process name: another user's session virtlogd has the system one's name.
e2e_libvirtd() {
	virsh -c qemu:///system version >/dev/null 2>&1 && return 0
	if ! socket_answers /run/libvirt/virtlogd-sock; then
		e2e_daemon "$VIRTLOGD" || return 1
		for _ in $(seq 1 100); do
			socket_answers /run/libvirt/virtlogd-sock && break
			sleep 0.1
		done
	fi
	e2e_daemon "$LIBVIRTD" || return 1
	for _ in $(seq 1 100); do
		virsh -c qemu:///system version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# e2e_daemon PROGRAM: PROGRAM -d with its pid file in $TMP, without the
# locks' descriptors; stopped by that pid, and waited for, when the script
# ends.
e2e_daemon() {
	local pidfile pid

	pidfile="$TMP/$(basename "$1").pid"
	"$1" -d -p "$pidfile" 8>&- 9>&- || return 1
	pid=$(wait_pidfile "$pidfile" "$1") || return 1
	echo "# started $1 (pid $pid)"
	undo stop_pid "$pid" "$1"
}

free_port() {
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sshd on 127.0.0.1:$PORT with PAM and the shipped snippet ($SSHD_SNIPPET,
# the source tree's unless a script sets it), included as Debian's
# sshd_config includes sshd_config.d: first.  The rest is Debian's
# defaults, X11 forwarding on included: the snippet has to turn it off.
e2e_sshd() {
	local d=$TMP/ssh
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || return 1
	PORT=$(free_port)
	cat > "$d/sshd_config" <<S
Include ${SSHD_SNIPPET:-$top_srcdir/contrib/sshd_config.d/ie-vshell.conf}
Port $PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
PermitUserEnvironment no
AcceptEnv LANG LC_*
PrintMotd no
X11Forwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server
${SSHD_EXTRA:-}
S
	SSHD_CONFIG=$d/sshd_config
	"$SSHD" -f "$SSHD_CONFIG" -E "$d/sshd.log" 8>&- 9>&- ||
		{ cat "$d/sshd.log"; return 1; }
	SSHD_PID=$(wait_pidfile "$d/sshd.pid" "$SSHD") || return 1
	undo stop_pid "$SSHD_PID" "$SSHD"
}

# e2e_setup USERS...: everything above; USERS with a leading + are
# students (in $STUDENTS), with @ students and admins, others neither.
e2e_setup() {
	local u
	e2e_need
	e2e_lock
	if ! getent group "$STUDENTS" >/dev/null; then
		groupadd "$STUDENTS" || exit 1
		undo groupdel "$STUDENTS"
	fi
	groupdel "$ADMINS" >/dev/null 2>&1
	groupadd "$ADMINS" || exit 1
	undo groupdel "$ADMINS"
	for u in "$@"; do
		case $u in
		+*) e2e_user "${u#+}" "$STUDENTS" || exit 1 ;;
		@*) e2e_user "${u#@}" "$STUDENTS,$ADMINS" || exit 1 ;;
		*) e2e_user "$u" || exit 1 ;;
		esac
	done
	e2e_config || exit 1
	e2e_libvirtd || skip "libvirtd would not start here"
	mkguest
	# A script's own preparation that the broker reads at start (base
	# images made from the guest).
	if declare -F e2e_prepare >/dev/null; then e2e_prepare || exit 1; fi
	VMD_ENV=()	# the system's PAM, not pam_wrapper
	start_vmd || exit 1
	e2e_sshd || exit 1
}

mkguest() {
	GUEST="$TMP/guest.img"
	"$E2E_DIR/mkguest.sh" "$GUEST" > "$TMP/mkguest.out" 2>&1
	case $? in
	0) ;;
	77) skip "no test guest: $(tail -n 1 "$TMP/mkguest.out")" ;;
	*) sed 's/^/# /' "$TMP/mkguest.out"; exit 1 ;;
	esac
}

SSH_OPTS=(-F /dev/null -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20
    -o BatchMode=yes)
# ssh_key USER ARGS...: ssh as USER with their key; output in $OUT/$ERR,
# status in $RC.
ssh_key() {
	local u=$1
	shift
	ssh "${SSH_OPTS[@]}" -p "$PORT" -i "$TMP/keys/$u" \
	    -o PasswordAuthentication=no "$u@127.0.0.1" "$@" \
	    >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
# ssh_pass USER ARGS...: the same with the password, through SSH_ASKPASS.
ssh_pass() {
	local u=$1
	shift
	printf '#!/bin/sh\necho %s\n' "$PASS" > "$TMP/askpass"
	chmod 700 "$TMP/askpass"
	SSH_ASKPASS="$TMP/askpass" SSH_ASKPASS_REQUIRE=force \
	    ssh "${SSH_OPTS[@]/BatchMode=yes/BatchMode=no}" -p "$PORT" \
	    -o PubkeyAuthentication=no -o PreferredAuthentications=password \
	    -o NumberOfPasswordPrompts=1 "$u@127.0.0.1" "$@" \
	    >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}

# pty_run DESC USER SCRIPT [VAR=VALUE...]: SCRIPT of this directory
# (sshpty.py, readme.py) drives ssh -tt as USER, with TMP, GUEST_LINE and
# the variables given; one ok or not ok, with the end of the script's log
# on failure.
pty_run() {
	local desc=$1 u=$2 script=$3
	shift 3
	if env TMP="$TMP" GUEST_LINE="$GUEST_LINE" "$@" "$PYTHON" \
	    "$E2E_DIR/$script" ssh "${SSH_OPTS[@]}" -tt -p "$PORT" \
	    -i "$TMP/keys/$u" "$u@127.0.0.1"; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/# pty: /' "$TMP/${script%.py}.log" | tail -40
	fi
}

# wait_for FILE TEXT SECONDS: until FILE contains TEXT.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# $2 not in $1 after $3 s"
	return 1
}

domain_of() { echo "u$(id -u "$1")_$2"; }

# e2e_japanese: the ja_JP.UTF-8 locale and the Japanese catalogue where the
# system's programs find them (/usr/lib/locale, $localedir), each only if
# missing, and removed at exit: sshd and the broker run outside any
# namespace of the test.
e2e_japanese() {
	local mo=${localedir:-/usr/local/share/locale}/ja/LC_MESSAGES/ie-vshell.mo
	local top
	command -v localedef >/dev/null && command -v msgfmt >/dev/null ||
		skip "no localedef or msgfmt (Debian: libc-bin, gettext)"
	if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf-\?8'; then
		[ ! -e /usr/lib/locale/ja_JP.UTF-8 ] || return 1
		undo rm -rf /usr/lib/locale/ja_JP.UTF-8
		localedef -i ja_JP -f UTF-8 /usr/lib/locale/ja_JP.UTF-8 \
		    >/dev/null 2>&1 || return 1
	fi
	if [ ! -e "$mo" ]; then
		top=$(dirname "$mo")
		while [ ! -e "$(dirname "$top")" ]; do top=$(dirname "$top"); done
		[ -e "$top" ] && top=$mo
		undo rm -rf "$top"
		mkdir -p "$(dirname "$mo")" &&
			msgfmt -o "$mo" "$top_srcdir/po/ja.po" || return 1
		chmod 644 "$mo"
	fi
}

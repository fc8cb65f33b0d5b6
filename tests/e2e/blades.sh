# Several hypervisor hosts ("blades") on one machine, for the tests of a
# broker that drives more than one libvirt.  Sourced after lib.sh.
#
# Blade I is a privileged libvirtd (and its virtlogd) in a mount and PID
# namespace of its own, made by unshare: a tmpfs on /run, and its own
# /etc/libvirt (a copy of the system's, with a host_uuid of its own),
# /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt
# bind-mounted from $TMP/bI.  Its socket is $TMP/bI/run/libvirt-sock, its
# URI $BLADE_URI_I.  Every blade sees the same directories of this machine
# elsewhere, the pool among them: shared storage for real.
#
# The namespace's first process (pid 1 inside, $BLADE_PID_I outside) is a
# shell that sets up the mounts, starts the daemons and waits; when it
# ends, the kernel kills whatever is left in its PID namespace (libvirtd,
# virtlogd, the guests' QEMUs).  It is stopped by its pid when the test
# ends, and killed with the namespace if the test dies without its
# clean-up.  The system's libvirtd is never touched: each blade's daemons find
# their sockets, pid files and state in their own namespace.
#
# Before blades_start (or blade_start I), a script may set
#   BLADE_UUID_I        another host_uuid for blade I (the same as another
#                       blade's, to test that this is noticed)
#   BLADE_HIDE_POOL_I   a directory that blade I sees as an empty tmpfs
#                       (the pool: a host that cannot see the shared
#                       storage)
#   BLADE_NOLOCK_I      1: blade I runs without libvirt's lock manager
#
# Every other blade runs libvirt's lock manager, lockd: its own virtlockd,
# which locks each disk a guest of the blade uses, the disk file itself in
# the shared pool; one blade's lock keeps any other's QEMU off that disk.
# Guests migrate between blades over loopback (migration_address and
# the broker's migration address), each blade in ports of its own.

LIBVIRTD=${LIBVIRTD:-/usr/sbin/libvirtd}
VIRTLOGD=${VIRTLOGD:-/usr/sbin/virtlogd}
VIRTLOCKD=${VIRTLOCKD:-/usr/sbin/virtlockd}
BLADES=		# the blades started, by number

# blades_need: skips the test where blades cannot run.
blades_need() {
	unshare --mount --pid --fork --mount-proc --propagation private true \
	    2>/dev/null || skip "cannot make mount and PID namespaces here (unshare)"
	[ -x /usr/bin/virt-ssh-helper ] ||
		skip "no /usr/bin/virt-ssh-helper (Debian: libvirt-daemon)"
	[ -x /usr/bin/nsenter ] || skip "no /usr/bin/nsenter (Debian: util-linux)"
	[ -x "$VIRTLOCKD" ] ||
		skip "no $VIRTLOCKD (Debian: libvirt-daemon-system)"
}

blade_uuid() { printf '00000000-0000-4000-8000-%012d' "$1"; }

# blade_uri I: the URI the broker and virsh reach blade I by.
blade_uri() { echo "qemu+unix:///system?socket=$TMP/b$1/run/libvirt-sock"; }

# blade_virsh I ARGS...: virsh on blade I.
blade_virsh() {
	local i=$1
	shift
	virsh -q -c "$(blade_uri "$i")" "$@"
}

# blade_setup I: blade I's directories and its copy of /etc/libvirt.
blade_setup() {
	local d=$TMP/b$1 uuid
	eval "uuid=\${BLADE_UUID_$1:-\$(blade_uuid $1)}"
	rm -rf "$d"
	mkdir -p "$d/run" "$d/lib" "$d/cache" "$d/log" || return 1
	cp -a /etc/libvirt "$d/etc" || return 1
	# The system's configuration only: not its domains, pools or secrets
	# (other tests' among them), and no network that starts by itself
	# (the default network is the system libvirtd's).
	rm -rf "$d"/etc/qemu/*.xml "$d"/etc/qemu/autostart "$d"/etc/storage \
	    "$d"/etc/secrets/* "$d"/etc/qemu/networks/autostart/*
	cat >> "$d/etc/libvirtd.conf" <<C

$E2E_MARK
host_uuid = "$uuid"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
C
	# No cgroups, no AppArmor or SELinux labels: several daemons on one
	# machine would fight over them.  The guests' output goes to files
	# (no virtlogd needed for it).
	cat >> "$d/etc/qemu.conf" <<C

$E2E_MARK
cgroup_controllers = [ ]
security_driver = "none"
stdio_handler = "file"
migration_port_min = $((49152 + 16 * $1))
migration_port_max = $((49152 + 16 * $1 + 15))
C
	eval "nolock=\${BLADE_NOLOCK_$1:-}"
	[ -n "$nolock" ] || echo 'lock_manager = "lockd"' >> "$d/etc/qemu.conf"
	# What runs inside the namespaces: the mounts, the daemons, then a
	# wait.  As PID 1 of its namespace the shell ignores signals it has no
	# handler for, hence the trap.
	cat > "$d/init.sh" <<INIT
#!/bin/bash
set -e
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/libvirt /run/lock
mount --bind $d/etc /etc/libvirt
mount --bind $d/run /run/libvirt
mount --bind $d/lib /var/lib/libvirt
mount --bind $d/cache /var/cache/libvirt
mount --bind $d/log /var/log/libvirt
INIT
	eval "hide=\${BLADE_HIDE_POOL_$1:-}"
	if [ -n "$hide" ]; then
		echo "mount -t tmpfs -o mode=755 tmpfs $hide" >> "$d/init.sh"
	fi
	cat >> "$d/init.sh" <<INIT
$VIRTLOGD -d
$VIRTLOCKD -d
$LIBVIRTD -d
set +e
trap 'exit 0' TERM
while :; do sleep 3600 & wait \$!; done
INIT
	chmod 755 "$d/init.sh"
}

# blade_start I: blade I (set up anew), without waiting for its socket;
# BLADE_PID_I is its namespace's first process.
blade_start() {
	local i=$1 u pid
	blade_setup "$i" || return 1
	# If the test dies without its clean-up, unshare is killed (parent
	# death signal) and so is the namespace's first process (--kill-child).
	setpriv --pdeathsig KILL -- unshare --kill-child --mount --pid --fork \
	    --mount-proc --propagation private "$TMP/b$i/init.sh" </dev/null \
	    >"$TMP/b$i/init.log" 2>&1 8>&- 9>&- &
	u=$!
	# unshare forks the namespace's first process and waits for it.
	for _ in $(seq 1 100); do
		pid=$(child_pids "$u" 2>/dev/null)
		[ -n "$pid" ] && break
		sleep 0.02
	done
	[ -n "$pid" ] || { echo "# blade $i: no namespace"; return 1; }
	eval "BLADE_PID_$i=$pid BLADE_UNSHARE_$i=$u"
	eval "BLADE_URI_$i=\$(blade_uri $i)"
	eval "BLADE_NS_$i=\$(readlink /proc/$pid/ns/pid)"
	BLADES="$BLADES $i"
	echo "# blade $i: namespace pid $pid, $(blade_uri "$i")"
}

# blade_wait I: until blade I's libvirtd answers (30 s at most).
blade_wait() {
	local i
	for ((i = 0; i < 300; i++)); do
		blade_virsh "$1" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# blade $1's libvirtd did not answer; its log:"
	sed 's/^/# /' "$TMP/b$1/init.log" "$TMP/b$1/log/libvirtd.log" 2>/dev/null |
	    tail -20
	return 1
}

# blades_start N: blades 1 to N, started side by side, then waited for.
blades_start() {
	local i
	for ((i = 1; i <= $1; i++)); do
		blade_start "$i" || return 1
	done
	for ((i = 1; i <= $1; i++)); do
		blade_wait "$i" || return 1
	done
}

# blade_daemon_pid I EXE: the pid (outside) of blade I's daemon EXE; the
# daemons are children of the namespace's first process.
blade_daemon_pid() {
	local p ns
	eval "ns=\$BLADE_PID_$1"
	for p in $(child_pids "$ns" 2>/dev/null); do
		[ "$(proc_exe "$p")" = "$2" ] && { echo "$p"; return 0; }
	done
	return 1
}

# blade_kill I: SIGKILL to blade I's libvirtd, as a crash would do; its
# guests' QEMUs keep running.  Returns once it is gone.
blade_kill() {
	local pid
	pid=$(blade_daemon_pid "$1" "$LIBVIRTD") ||
		{ echo "# blade $1 has no libvirtd"; return 1; }
	kill -KILL "$pid"
	for _ in $(seq 1 100); do
		[ "$(proc_exe "$pid")" = "$LIBVIRTD" ] || return 0
		sleep 0.05
	done
	return 1
}

# blade_freeze I / blade_thaw I: blade I's libvirtd stopped (SIGSTOP: its
# socket still accepts, nothing answers, as a host whose network went
# silent) and continued.
blade_freeze() {
	local pid
	pid=$(blade_daemon_pid "$1" "$LIBVIRTD") || return 1
	kill -STOP "$pid"
}
blade_thaw() {
	local pid
	pid=$(blade_daemon_pid "$1" "$LIBVIRTD") || return 1
	kill -CONT "$pid"
}

# blade_restart I: blade I's libvirtd started again in its namespaces,
# once it answers.
blade_restart() {
	local ns
	eval "ns=\$BLADE_PID_$1"
	nsenter --target "$ns" --mount --pid -- "$LIBVIRTD" -d </dev/null \
	    >>"$TMP/b$1/init.log" 2>&1 8>&- 9>&- || return 1
	blade_wait "$1"
}

# blade_stop I: blade I's namespace ended by its first process's pid, and
# waited for; the kernel kills what was left in it.
blade_stop() {
	local pid u
	eval "pid=\${BLADE_PID_$1:-} u=\${BLADE_UNSHARE_$1:-}"
	[ -n "$pid" ] || return 0
	stop_pid "$pid" /usr/bin/bash
	wait "$u" 2>/dev/null
	eval "BLADE_PID_$1="
}

# blades_stop: every blade started, and blades_sshd, stopped.
BLADES_SSHD_PID=
blades_stop() {
	local i
	stop_pid "$BLADES_SSHD_PID" "$SSHD"
	BLADES_SSHD_PID=
	for i in $BLADES; do blade_stop "$i"; done
}

# blades_leftovers: the processes a blade left behind (still in a blade's
# PID namespace, or naming the test's directory on their command line);
# prints them, fails if there is one.
blades_leftovers() {
	local f p ns i mine found=
	for f in /proc/[0-9]*; do
		p=${f#/proc/}
		[ "$p" = "$$" ] && continue
		ns=$(readlink "$f/ns/pid" 2>/dev/null) || continue
		mine=
		for i in $BLADES; do
			eval "[ \"\$ns\" = \"\$BLADE_NS_$i\" ]" && mine=1
		done
		if [ -z "$mine" ] &&
		    tr '\0' ' ' < "$f/cmdline" 2>/dev/null | grep -qF "$TMP/b"; then
			mine=1
		fi
		[ -n "$mine" ] || continue
		echo "# left behind: $p $(tr '\0' ' ' < "$f/cmdline" 2>/dev/null)"
		found=1
	done
	[ -z "$found" ]
}

# blades_sshd: an sshd on 127.0.0.1:$BLADES_SSH_PORT through which the
# broker reaches blades as root, each with a key of its own that only root
# reads and that can do nothing but speak to that blade's libvirtd (a
# forced command: virt-ssh-helper in the blade's mount namespace, where
# qemu:///system is that blade's).  The client's host keys are checked
# against $TMP/blades-ssh/known_hosts (libvirt's ssh transport runs
# $TMP/blades-ssh/ssh, which points ssh there; root's own known_hosts is
# never written).
blades_sshd() {
	local d=$TMP/blades-ssh
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || return 1
	BLADES_SSH_PORT=$(free_port)
	: > "$d/authorized_keys"
	cat > "$d/sshd_config" <<S
Port $BLADES_SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin forced-commands-only
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
S
	echo "[127.0.0.1]:$BLADES_SSH_PORT $(cut -d' ' -f1-2 "$d/host_key.pub")" \
	    > "$d/known_hosts"
	cat > "$d/ssh" <<W
#!/bin/sh
exec /usr/bin/ssh -F /dev/null -o UserKnownHostsFile=$d/known_hosts \\
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes "\$@"
W
	chmod 755 "$d/ssh"
	"$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" 8>&- 9>&- ||
		{ sed 's/^/# /' "$d/sshd.log"; return 1; }
	BLADES_SSHD_PID=$(wait_pidfile "$d/sshd.pid" "$SSHD") || return 1
}

# blade_ssh_uri I: a qemu+ssh:// URI of blade I through blades_sshd, with a
# key made for it.
blade_ssh_uri() {
	local d=$TMP/blades-ssh ns
	eval "ns=\$BLADE_PID_$1"
	if [ ! -f "$d/b$1.key" ]; then
		ssh-keygen -q -t ed25519 -N '' -C "blade $1" -f "$d/b$1.key" ||
			return 1
		echo "restrict,command=\"/usr/bin/nsenter --target $ns --mount" \
		    "/usr/bin/virt-ssh-helper qemu:///system\" $(cat "$d/b$1.key.pub")" \
		    >> "$d/authorized_keys"
	fi
	echo "qemu+ssh://root@127.0.0.1:$BLADES_SSH_PORT/system?keyfile=$d/b$1.key&command=$d/ssh&no_tty=1"
}

undo blades_stop

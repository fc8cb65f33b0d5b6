#!/bin/bash
# Runs bench/run.sh (or, after --bench-py, bench.py with its options) as on
# a machine without /dev/kvm, on this one: in a private mount and pid
# namespace where /dev/kvm is a device node no one may open (not
# /dev/null: libvirt finds that one accessible, expects KVM, and as its
# probe of QEMU finds none, probes QEMU again on every define, 5 s each;
# not a plain file: libvirt cannot move that mount into a guest's /dev),
# with a libvirtd of its own started
# there (by the benchmark, as no libvirtd answers on the namespace's
# /run/libvirt), which therefore offers no KVM.  Its state (config, domains,
# logs) lives in a scratch directory and goes with the namespace; the
# system's libvirtd and its domains are not touched.  The e2e lock and
# everything else the benchmark shares with the tests stay the system's.
# As root: bench/nokvm.sh [bench.py options]
set -eu
cd "$(dirname "$0")/.."
if [ "${IEVS_NOKVM_INSIDE:-}" != 1 ]; then
	exec unshare --mount --pid --fork --mount-proc --propagation private \
	    env IEVS_NOKVM_INSIDE=1 "$0" "$@"
fi
D=$(mktemp -d /tmp/ievs-nokvm.XXXXXX)
mkdir -p "$D/run" "$D/lib" "$D/cache" "$D/log"
cp -a /etc/libvirt "$D/etc"
# No default network (the system's has its bridge), no cgroups or security
# labels of the same names as the system libvirtd's guests.
rm -f "$D"/etc/qemu/networks/autostart/* "$D"/etc/qemu/*.xml
printf 'cgroup_controllers = [ ]\nsecurity_driver = "none"\n' \
    >> "$D/etc/qemu.conf"
mknod "$D/kvm" c 1 3
chmod 000 "$D/kvm"
mount --bind "$D/kvm" /dev/kvm
mount --bind "$D/etc" /etc/libvirt
mount --bind "$D/run" /run/libvirt
mount --bind "$D/lib" /var/lib/libvirt
mount --bind "$D/cache" /var/cache/libvirt
mount --bind "$D/log" /var/log/libvirt
status=0
if [ "${1:-}" = --bench-py ]; then
	shift
	/usr/bin/python3 bench/bench.py "$@" || status=$?
else
	bench/run.sh "$@" || status=$?
fi
umount /var/log/libvirt /var/cache/libvirt /var/lib/libvirt /run/libvirt \
    /etc/libvirt /dev/kvm
rm -rf "$D"
exit $status

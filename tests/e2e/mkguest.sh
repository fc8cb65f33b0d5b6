#!/bin/bash
# mkguest.sh OUT: a tiny bootable disk for the end-to-end tests, built
# from Debian packages without loop devices or root: syslinux on a FAT
# image (mtools), the host's kernel from /boot (linux-image-cloud-amd64
# does) and an initramfs around busybox-static and the kernel's virtio
# block driver (the guest sees its disk as /dev/vda).  On the serial
# console the guest prints GUEST_LINE below, then runs a shell there (for
# `console`).
# With GUEST_NET=ADDR/PREFIX in the environment the guest also loads
# virtio_net, gives its first interface that address and sends from it (a
# few pings to the first address of its net, the neighbour's MAC written
# in, as no one answers ARP there): the traffic of a guest on a bridge
# once DHCP has answered, from which libvirt learns its address.
# With GUEST_TICK=1 the guest also prints "tick N up SECONDS" on its
# console every half second (N counts from 1 at boot): a guest whose work
# goes on, for the migration tests.
# Exit status 77: a needed part is missing here (the reason is printed).
set -eu
out=$1
net=${GUEST_NET:-}
tick=${GUEST_TICK:-}
GUEST_LINE="ie-vshell test guest: up"

kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$kernel" ] && [ -r "$kernel" ] ||
	{ echo "no readable kernel in /boot (Debian: linux-image-cloud-amd64)"; exit 77; }
for f in /bin/busybox /usr/bin/syslinux /usr/bin/mformat /usr/bin/mcopy /usr/bin/cpio \
    /usr/lib/syslinux/modules/bios/ldlinux.c32; do
	[ -e "$f" ] || { echo "$f is missing (Debian: busybox-static syslinux" \
	    "syslinux-common mtools cpio)"; exit 77; }
done
file -L /bin/busybox 2>/dev/null | grep -q 'dynamically linked' &&
	{ echo "/bin/busybox is not static (Debian: busybox-static)"; exit 77; }
# The virtio block driver and what it needs, in the order they load.
mods=/lib/modules/${kernel#/boot/vmlinuz-}/kernel/drivers
modules="virtio/virtio_ring virtio/virtio virtio/virtio_pci_legacy_dev
virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk"
[ -z "$net" ] || modules="$modules ../net/core/failover net/net_failover
net/virtio_net"
for m in $modules; do
	[ -r "$mods/$m.ko" ] || { echo "$mods/$m.ko is missing" \
	    "(it comes with the kernel's package)"; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
    "$root/modules"
cp /bin/busybox "$root/bin/busybox"
for m in $modules; do cp "$mods/$m.ko" "$root/modules/"; done
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(for m in $modules; do printf '%s ' "${m##*/}"; done); do
	insmod /modules/\$m.ko
done
$([ -z "$net" ] || printf '%s\n' "ip link set eth0 up" \
    "ip addr add $net dev eth0" \
    "arp -i eth0 -s ${net%.*}.1 52:54:00:00:00:01" \
    "ping -c 3 ${net%.*}.1 >/dev/null 2>&1 &")
echo "$GUEST_LINE"
$([ -z "$tick" ] || printf '%s\n' \
    "(n=1; while :; do echo \"tick \$n up \$(cut -d' ' -f1 /proc/uptime)\";" \
    " n=\$((n + 1)); sleep 0.5; done) &")
# No acpid: this guest ignores the ACPI power button, as a hung one would.
export PS1='guest# '
while :; do setsid cttyhack sh; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/initrd.gz"

cat > "$work/syslinux.cfg" <<CFG
DEFAULT guest
PROMPT 0
TIMEOUT 0
LABEL guest
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0,115200 quiet panic=-1 mitigations=off
CFG
# A FAT disk without a partition table: SeaBIOS boots its first sector,
# which syslinux makes its own.
size_k=$(( ($(stat -c %s "$kernel") + $(stat -c %s "$work/initrd.gz")) / 1024 + 4096 ))
truncate -s "$((size_k / 1024 + 1))M" "$work/disk"
mformat -i "$work/disk" -v GUEST ::
mcopy -i "$work/disk" "$kernel" ::vmlinuz
mcopy -i "$work/disk" "$work/initrd.gz" ::initrd.gz
mcopy -i "$work/disk" "$work/syslinux.cfg" ::syslinux.cfg
syslinux --install "$work/disk"
mv "$work/disk" "$out"

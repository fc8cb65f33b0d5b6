#!/bin/bash
# Installs what ie-vshell needs to build and test on Debian 12 (as root).
# Does nothing when everything is already there.
set -e
pkgs="autoconf automake autopoint gettext pkg-config make gcc binutils
libglib2.0-dev libvirt-dev libxml2-dev libedit-dev uuid-dev libpam0g-dev
libjson-glib-dev
libarchive-dev locales
qemu-utils
libvirt-clients python3 python3-pexpect python3-paramiko strace valgrind groff-base
util-linux passwd iproute2 libvirt-daemon libpam-wrapper openssh-server
openssh-client clang libclang-rt-14-dev
libvirt-daemon-system qemu-system-x86 curl xauth
libvirt-daemon-config-nwfilter iptables
busybox-static syslinux syslinux-common mtools cpio linux-image-cloud-amd64
libguestfs-dev libguestfs-tools libcrypt-dev
debhelper build-essential fakeroot adduser
slapd ldap-utils nslcd libnss-ldapd libpam-ldapd"
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $pkgs 2>/dev/null |
	awk '$1 == "ii" { print $2 }' | sort | comm -13 - <(printf '%s\n' $pkgs | sort))
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages (install them as root):" $missing >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Installing daemons (sshd, libvirtd) must not start them: the tests start
# their own, on their own sockets and ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# The LDAP test runs its own slapd and nslcd with their own configs: the
# packages must neither make a directory nor point the machine's NSS at
# LDAP (an empty list leaves /etc/nsswitch.conf as it is).
debconf-set-selections <<'SEL'
slapd slapd/no_configuration boolean true
nslcd nslcd/ldap-uris string ldap://127.0.0.1/
nslcd nslcd/ldap-base string dc=ievs,dc=test
libnss-ldapd libnss-ldapd/nsswitch multiselect
SEL
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
# libpam-ldapd's postinst adds pam_ldap to /etc/pam.d/common-*; every other
# test needs the machine's PAM as it was, and the LDAP test uses pam_ldap
# only in its own mount namespace.  --disable rewrites the files as they
# were and records the choice, so that later package installs keep it.
case " $(echo $missing) " in
*" libpam-ldapd "*) pam-auth-update --package --disable ldap ;;
esac

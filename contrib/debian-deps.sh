#!/bin/bash
# Installs what ie-vshell needs to build and test on Debian 12 (as root).
# Does nothing when everything is already there.
set -e
pkgs="autoconf automake autopoint gettext pkg-config make gcc
libglib2.0-dev libvirt-dev libxml2-dev libedit-dev uuid-dev libpam0g-dev
libvirt-clients python3 python3-pexpect strace valgrind groff-base
util-linux passwd libvirt-daemon"
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $pkgs 2>/dev/null |
	awk '$1 == "ii" { print $2 }' | sort | comm -13 - <(printf '%s\n' $pkgs | sort))
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages (install them as root):" $missing >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing

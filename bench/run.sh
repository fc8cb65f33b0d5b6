#!/bin/bash
# Runs the benchmarks and writes bench/RESULTS.md.  As root on Debian 12:
# installs what it needs, builds, then runs bench.py.  See bench/README.md.
set -eu
cd "$(dirname "$0")/.."
contrib/debian-deps.sh
# The benchmark's direct-libvirt baselines alone need the Python binding.
if ! dpkg-query -W -f='${db:Status-Abbrev}' python3-libvirt 2>/dev/null |
    grep -q '^ii'; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q python3-libvirt >/dev/null ||
		{ apt-get update -q && apt-get install -y -q python3-libvirt; }
fi
if [ -f Makefile ]; then
	make -s -j"$(nproc)" >/dev/null
	build=$PWD
else
	[ -x configure ] || ./autogen.sh >/dev/null
	mkdir -p build
	(cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)" >/dev/null)
	build=$PWD/build
fi
exec /usr/bin/python3 bench/bench.py --build "$build" --out bench/RESULTS.md "$@"

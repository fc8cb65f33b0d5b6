#!/bin/bash
# Builds ie-vshell and opens an ie-vshell> prompt on libvirt's test driver:
# a private broker (ie-vmd) with a throw-away config, no KVM, no libvirtd.
set -e
cd "$(dirname "$0")"
contrib/debian-deps.sh
if [ ! -x build/src/shell/ie-vshell ] || [ ! -x build/src/daemon/ie-vmd ]; then
	[ -x configure ] || ./autogen.sh
	mkdir -p build
	(cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)")
else
	make -s -C build >/dev/null
fi

demo=$(mktemp -d /tmp/ie-vshell-demo.XXXXXX)
trap 'kill "$vmd" 2>/dev/null; wait "$vmd" 2>/dev/null; rm -rf "$demo"' EXIT
# The test driver has no nwfilter: the demo's template asks for no
# firewall, or ie-vmd would stop every VM it starts.
mkdir -p "$demo/templates"
sed '/^[[:space:]]*<filterref/,/<\/filterref>/d' templates/default.xml > "$demo/templates/default.xml"
cat > "$demo/ie-vshell.conf" <<CONF
[daemon]
socket = $demo/ie-vmd.sock
[libvirt]
uri = test:///default
[storage]
pool_dir = $demo/pool
blank_size = 8
[templates]
dir = $demo/templates
CONF
build/src/daemon/ie-vmd -F -f "$demo/ie-vshell.conf" 2>"$demo/ie-vmd.log" &
vmd=$!
for _ in $(seq 50); do [ -S "$demo/ie-vmd.sock" ] && break; sleep 0.1; done
echo "ie-vshell demo on libvirt's test driver; broker log: $demo/ie-vmd.log"
echo "try: help, define web, list, start web, dumpxml web, destroy web, undefine web"
build/src/shell/ie-vshell -f "$demo/ie-vshell.conf" "$@"

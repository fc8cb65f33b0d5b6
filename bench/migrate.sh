#!/bin/bash
# The time of an admin's `migrate USER/NAME HOST` through ie-vshell and the
# broker against `virsh migrate --live` of the same running guest, in one
# run: two blades on this machine (tests/e2e/blades.sh: privileged
# libvirtds in their own namespaces, one pool, libvirt's lock manager), a
# TCG guest of 256 MiB that prints on its console, moved back and forth,
# the two tools taking turns.  Each time is the whole command, process
# start to exit, as an admin at a terminal sees it.  As root on Debian 12,
# from the source tree: bench/migrate.sh [ROUNDS] (default 10); writes
# bench/RESULTS-migrate.md.  See bench/README.md.
set -u
ROUNDS=${1:-10}
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 1
if [ -z "${top_builddir:-}" ]; then
	if [ -f Makefile ]; then
		top_builddir=$SRC
	else
		[ -x configure ] || ./autogen.sh >/dev/null
		mkdir -p build
		(cd build && { [ -f Makefile ] || ../configure -q; }) || exit 1
		top_builddir=$SRC/build
	fi
	make -s -C "$top_builddir" -j"$(nproc)" >/dev/null || exit 1
fi
top_srcdir=$SRC
export top_srcdir top_builddir
RESULTS=${RESULTS:-$SRC/bench/RESULTS-migrate.md}

. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/blades.sh"

S=ievsbms
ADM=ievsbmadm
E2E_TEMPLATES=tick
E2E_CONF_EXTRA="[migration]
shared_pool = trust"
e2e_prepare() {
	blades_need
	sed -i "s|<log file='$TMP/serial.log' append='off'/>|<log file='$TMP/tick.log' append='on'/>|" \
	    "$TMP/templates/tick.xml"
	GUEST_TICK=1 "$E2E_DIR/mkguest.sh" "$TMP/tick.img" >/dev/null 2>&1 ||
		return 1
	blades_start 2 || return 1
	sed -i -e '/^\[libvirt\]$/d' -e '/^uri = /d' "$SHELL_CONF"
	cat >> "$SHELL_CONF" <<CONF
[hosts]
blade1 = $BLADE_URI_1
blade2 = $BLADE_URI_2
[host:blade1]
migration = 127.0.0.1
[host:blade2]
migration = 127.0.0.1
CONF
}
e2e_setup "+$S" "@$ADM"

vs() {
	local u=$1
	shift
	vsh -u "$u" -c "$*"
}
die() { echo "bench/migrate.sh: $*" >&2; exit 1; }
# where: the blade (1 or 2) that runs the guest, by its own libvirtd.
where() {
	local i
	for i in 1 2; do
		[ "$(blade_virsh $i domstate "$DOM" 2>/dev/null)" = running ] &&
			{ echo $i; return 0; }
	done
	return 1
}
# settled I: the broker's table has the guest on blade I (after a move
# made behind its back, by virsh).
settled() {
	local n
	for n in $(seq 100); do
		vs $ADM list --all
		grep -q "^$S  *g  *blade$1  *running" "$OUT" && return 0
		sleep 0.05
	done
	return 1
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

vs $S images
cp "$TMP/tick.img" "$TMP/upload/$S/tick.img" && chown $S: "$TMP/upload/$S/tick.img"
vs $S define g tick.img --template tick
[ "$RC" -eq 0 ] || die "define: $(cat "$ERR")"
vs $S start g
[ "$RC" -eq 0 ] || die "start: $(cat "$ERR")"
DOM=$(domain_of $S g)
wait_for "$TMP/tick.log" "tick 4 " 120 || die "the guest does not boot"
broker=() direct=()
for ((r = 0; r < ROUNDS; r++)); do
	h=$(where) || die "the guest runs nowhere"
	o=$((3 - h))
	t=$(date +%s%N)
	vs $ADM migrate $S/g blade$o
	[ "$RC" -eq 0 ] || die "migrate: $(cat "$ERR")"
	broker+=($(ms "$t"))
	[ "$(where)" = $o ] || die "after migrate the guest is not on blade$o"
	t=$(date +%s%N)
	virsh -q -c "$(blade_uri $o)" migrate --live --persistent \
	    --undefinesource --unsafe "$DOM" "$(blade_uri $h)" \
	    --migrateuri tcp://127.0.0.1 >/dev/null 2>"$ERR" ||
		die "virsh migrate: $(cat "$ERR")"
	direct+=($(ms "$t"))
	settled $h || die "the broker did not see the guest on blade$h"
done
TICKS=$(grep -ac '^tick ' "$TMP/tick.log")
REBOOTS=$(( $(grep -ac '^tick 1 up' "$TMP/tick.log") - 1 ))
vs $S destroy g

p50() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
minv() { printf '%s\n' "$@" | sort -n | head -n 1; }
maxv() { printf '%s\n' "$@" | sort -n | tail -n 1; }
b50=$(p50 "${broker[@]}") d50=$(p50 "${direct[@]}")
{
	echo "# Live migration: ie-vshell's migrate against virsh migrate --live"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), bench/migrate.sh $ROUNDS rounds;"
	echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
	echo "/dev/kvm $([ -e /dev/kvm ] && echo present || echo absent) (the guest is TCG either way),"
	echo "a guest of 256 MiB between two blades of this machine, over loopback."
	echo
	echo "| | p50 ms | min ms | max ms |"
	echo "|---|---|---|---|"
	echo "| \`ie-vshell -c 'migrate USER/NAME HOST'\` | $b50 | $(minv "${broker[@]}") | $(maxv "${broker[@]}") |"
	echo "| \`virsh migrate --live --persistent --undefinesource\` | $d50 | $(minv "${direct[@]}") | $(maxv "${direct[@]}") |"
	echo
	echo "p50 ratio broker / virsh: $(awk -v a="$b50" -v b="$d50" 'BEGIN { printf "%.2f", a / b }')."
	echo "Each time: from the command's start to its exit."
	echo "The guest printed $TICKS ticks on its console across $((2 * ROUNDS)) moves,"
	echo "and booted again $REBOOTS times."
	echo
	echo "broker: ${broker[*]}"
	echo
	echo "virsh: ${direct[*]}"
} > "$RESULTS"
cat "$RESULTS"
stop_vmd
blades_stop

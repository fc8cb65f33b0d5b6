#!/bin/bash
# The upload quota: the shell relays sftp and legacy scp and counts what
# each would add to the area against the user's disk quota (VM disks and
# uploads together) and file limit.  An upload that would pass it fails
# with a clear message, the earlier uploads stay intact, the cut file is
# removed, two sessions at once end within a write each of the limit, and
# another user goes on as before.  Run through the real sftp and scp
# clients, with the shell started as sshd would (tests/e2e/t-upquota.sh
# does the same through sshd).
. "$(dirname "$0")/lib.sh"

command -v sftp >/dev/null || skip "sftp is not installed (Debian: openssh-client)"
[ -x /usr/bin/scp ] || skip "scp is not installed (Debian: openssh-client)"
command -v fallocate >/dev/null || skip "fallocate is not installed (Debian: util-linux)"
A=ievs-uqa
B=ievs-uqb
MIB=$((1024 * 1024))
GIB=$((1024 * MIB))
write_config
cat >> "$CONF" <<CONF

[quota]
disk = 1
upload_files = 8
CONF
upload_setup $A $B
unset ASAN_OPTIONS	# no strace here: LeakSanitizer may run
# The broker makes each area at the first connection.
vsh -u $A -c list
vsh -u $B -c list

L="$TMP/local"
mkdir -p "$L"
for n in 1 2 3; do head -c $((3 * MIB)) /dev/urandom > "$L/small$n.bin"; done
head -c $((40 * MIB)) /dev/urandom > "$L/big.bin"
head -c $((30 * MIB)) /dev/urandom > "$L/half.bin"
chmod -R a+rX "$L"

# Fills A's area up to ROOM MiB below the limit with a file of A's that
# allocates what it says (fallocate), so that the tests move MiB, not GiB.
fill() {
	rm -f "$AREA/filler"
	touch "$AREA/filler" && chown $A: "$AREA/filler" &&
	    fallocate -l $(( GIB - $1 * MIB - $(area_bytes) )) "$AREA/filler" ||
	    { not_ok "the area could not be filled"; done_testing; }
}
area_bytes() { du -s -B1 "$AREA" | cut -f1; }

SFTP_DIR=$L
scp_standin $A
scp_as() {
	scp -q -S "$TMP/ssh-$A" "$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
fails() { [ "$RC" -ne 0 ] || { echo "# succeeded"; show; return 1; }; }
absent() { [ ! -e "$1" ] || { echo "# $1 exists"; return 1; }; }
# within BYTES: the area is at most BYTES past the 1 GiB limit.
within() {
	local over=$(( $(area_bytes) - GIB ))
	[ "$over" -le "$1" ] || { echo "# $over bytes over the limit"; return 1; }
}

# --- sftp: several files, then one that does not fit.
fill 20
sftp_as $A "put small1.bin" "put small2.bin" "put small3.bin"
check "sftp: files that fit arrive" rc_is 0
check "sftp: intact" cmp -s "$L/small3.bin" "$AREA/small3.bin"
sftp_as $A "put big.bin"
check "sftp: a file past the quota fails" fails
check "sftp: the user is told why" err_has "quota exceeded: disk"
check "sftp: the incomplete upload is removed" absent "$AREA/big.bin"
check "sftp: the user is told so" err_has "big.bin: the incomplete upload was removed"
check "sftp: earlier uploads intact" cmp -s "$L/small1.bin" "$AREA/small1.bin"
check "sftp: the area stays within the limit" within 0
check "sftp: the refusal is audited" \
    grep -q "uid=$(id -u $A) user=$A cmd=(refused by the shell) args=\[\"upload refused: big.bin: quota exceeded: disk" "$TMP/vmd.log"

# --- quota shows the uploads, counted in the disk row.
vsh -u $A -c "quota"
check "quota: an uploads row" out_has "of it uploads  *1\.0"
check "quota: the disk row counts them" out_has "^disk  *1\.0  *1 GiB"
check "quota: upload files" out_has "^upload files  *4  *8"
vsh -u $A -c "quota --json"
check "quota --json: upload_bytes" out_has '"resource" : "upload_bytes"'

# --- Legacy scp: refused before a byte is written; the others go on.
fill 5
scp_as -O "$L/big.bin" "$L/small1.bin" host:
check "scp -O: a file past the quota fails" fails
check "scp -O: the client prints why" err_has "scp: big.bin: quota exceeded: disk"
check "scp -O: nothing of it was written" absent "$AREA/big.bin"
check "scp -O: the refusal is audited with the path" \
    grep -q "upload refused: big.bin: quota exceeded.*refused" "$TMP/vmd.log"
check "scp -O: the next file still arrives" cmp -s "$L/small1.bin" "$AREA/small1.bin"

# --- sftp through scp's default (SFTP) protocol.
scp_as "$L/big.bin" host:
check "scp (sftp protocol): fails" fails
check "scp (sftp protocol): says why" err_has "quota exceeded: disk"
check "scp (sftp protocol): nothing left" absent "$AREA/big.bin"

# --- The file limit.
rm -f "$AREA"/small* "$AREA"/sub-*
fill 100
for n in 1 2 3 4 5 6; do touch "$AREA/f$n"; done
chown $A: "$AREA"/f*
sftp_as $A "put small1.bin" "put small2.bin"
check "files: the 9th entry is refused" fails
check "files: says why" err_has "quota exceeded: upload files 8 of 8"
check "files: the 8th arrived" cmp -s "$L/small1.bin" "$AREA/small1.bin"
sftp_as $A "mkdir d"
check "files: mkdir past the limit fails" fails
sftp_as $A "put small1.bin"
check "files: overwriting an upload is no new entry" rc_is 0
rm -f "$AREA"/f* "$AREA/small1.bin"

# --- Two sessions at once, each resuming into a file of its own (kept
# when cut): together they end within a write or two of the limit.
fill 24
touch "$AREA/one.bin" "$AREA/two.bin"
chown $A: "$AREA/one.bin" "$AREA/two.bin"
# sftp_bg N FILE: a session in the background, resuming into FILE.
sftp_bg() {
	printf 'reput half.bin %s\n' "$2" > "$TMP/batch$1"
	chmod 644 "$TMP/batch$1"
	(cd "$L" && exec setpriv --reuid=$A --regid="$(id -g $A)" \
	    --init-groups -- sftp -b "$TMP/batch$1" \
	    -D "$SH -f $CONF -c $SFTP_SERVER") >"$TMP/out$1" 2>"$TMP/err$1" \
	    </dev/null &
}
sftp_bg 1 one.bin
p1=$!
sftp_bg 2 two.bin
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
check "two sessions: at least one is refused" [ $rc1 -ne 0 -o $rc2 -ne 0 ]
# sftp-server accepts writes of up to 256 KiB.
check "two sessions: within two writes of the limit" within $((512 * 1024))
check "two sessions: what was written stays (resumed files are kept)" \
    [ $(( $(stat -c %s "$AREA/one.bin") + $(stat -c %s "$AREA/two.bin") )) -gt $((20 * MIB)) ]

# --- Another user is not affected.
sftp_as $B "put big.bin"
check "B uploads as before" cmp -s "$L/big.bin" "$BAREA/big.bin"
vsh -u $B -c quota
check "B's quota counts B's upload only" out_has "of it uploads  *0\.0"

# --- Imports count the uploads too.
vsh -u $A -c "define vm1 one.bin"
check "define with an image past the quota fails" rc_is 1
check "define: says so" err_has "quota exceeded: disk"

done_testing

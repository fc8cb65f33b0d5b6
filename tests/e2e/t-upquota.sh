#!/bin/bash
# The upload quota through sshd, with every client a student uses: sftp
# (several files, then one past the quota), scp, scp -O and curl each fail
# with a clear message and leave the earlier uploads intact and nothing
# half made; two sftp sessions at once end within a write or two of the
# limit; another student uploads and imports as before; quota shows the
# uploads.
. "$(dirname "$0")/lib.sh"

command -v fallocate >/dev/null || skip "fallocate is not installed (Debian: util-linux)"
A=ievse2eqa
B=ievse2eqb
MIB=$((1024 * 1024))
GIB=$((1024 * MIB))
E2E_CONF_EXTRA="[quota.user:$A]
disk = 1
upload_files = 10"
e2e_setup "+$A" "+$B"
ssh_key $A list		# the broker makes the areas at the first login
ssh_key $B list
AREA=$TMP/upload/$A
L=$TMP/local
mkdir -p "$L"
for n in 1 2; do head -c $((3 * MIB)) /dev/urandom > "$L/small$n.bin"; done
head -c $((40 * MIB)) /dev/urandom > "$L/big.bin"
head -c $((30 * MIB)) /dev/urandom > "$L/half.bin"

area_bytes() { du -s -B1 "$AREA" | cut -f1; }
# fill ROOM: A's area ROOM MiB short of A's 1 GiB, with a file of A's.
fill() {
	rm -f "$AREA/filler"
	touch "$AREA/filler" && chown $A: "$AREA/filler" &&
	    fallocate -l $(( GIB - $1 * MIB - $(area_bytes) )) "$AREA/filler" ||
	    { not_ok "the area could not be filled"; done_testing; }
}
within() {
	local over=$(( $(area_bytes) - GIB ))
	[ "$over" -le "$1" ] || { echo "# $over bytes over the limit"; return 1; }
}
fails() { [ "$RC" -ne 0 ] || { echo "# succeeded"; show; return 1; }; }
absent() { [ ! -e "$1" ] || { echo "# $1 exists"; return 1; }; }
sftp_key() {
	local u=$1

	printf '%s\n' "${@:2}" > "$TMP/batch-$u"
	(cd "$L" && sftp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$u" \
	    -b "$TMP/batch-$u" "$u@127.0.0.1") >"$OUT" 2>"$ERR"
	RC=$?
}

fill 20
sftp_key $A "put small1.bin" "put small2.bin"
check "sftp: files that fit arrive" rc_is 0
sftp_key $A "put big.bin"
check "sftp: an upload past the quota fails" fails
# OpenSSH's clients print only the status code of a refusal ("Failure"),
# never the server's words; clients that do print them (paramiko,
# WinSCP, FileZilla) show the reason.
check "sftp: OpenSSH's client says the write failed" \
    err_has 'write remote ".*big.bin": Failure'
paramiko_put() {
	$PYTHON - "$PORT" "$1" "$TMP/keys/$1" "$2" >"$OUT" 2>"$ERR" <<'PY'
import sys, paramiko
port, user, key, path = sys.argv[1:]
c = paramiko.SSHClient()
c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect("127.0.0.1", int(port), user, key_filename=key,
          allow_agent=False, look_for_keys=False)
try:
    c.open_sftp().put(path, path.rsplit("/", 1)[1])
except IOError as e:
    print("upload failed:", e, file=sys.stderr)
    sys.exit(1)
PY
	RC=$?
}
paramiko_put $A "$L/big.bin"
check "sftp (paramiko): fails" fails
check "sftp (paramiko): the student reads why" \
    err_has "upload failed: quota exceeded: disk 1.0 of 1 GiB"
check "sftp (paramiko): nothing left" absent "$AREA/big.bin"
check "sftp: the incomplete file is removed" absent "$AREA/big.bin"
check "sftp: earlier uploads intact" cmp -s "$L/small1.bin" "$AREA/small1.bin"
check "sftp: the area is within the limit" within 0

scp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$L/big.bin" \
    "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
RC=$?
check "scp (sftp protocol): fails" fails
check "scp (sftp protocol): says the write failed" err_has 'write remote .*: Failure'
check "scp (sftp protocol): nothing left" absent "$AREA/big.bin"

scp -O "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$L/big.bin" \
    "$L/small1.bin" "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
RC=$?
check "scp -O: fails" fails
check "scp -O: the client prints why" err_has "scp: big.bin: quota exceeded: disk"
check "scp -O: nothing of it written" absent "$AREA/big.bin"
check "scp -O: the next file still arrives" cmp -s "$L/small1.bin" "$AREA/small1.bin"

curl -sS --insecure -u "$A:$PASS" -T "$L/big.bin" \
    "sftp://127.0.0.1:$PORT/~/big.bin" >"$OUT" 2>"$ERR"
RC=$?
check "curl sftp://: fails" fails
check "curl sftp://: reports the failure" err_has "^curl: ([0-9]*) "
check "curl sftp://: nothing left" absent "$AREA/big.bin"
check "earlier uploads still intact" cmp -s "$L/small2.bin" "$AREA/small2.bin"

ssh_key $A quota
check "quota: the disk row counts the uploads" out_has "^disk  *1\.0  *1 GiB"
check "quota: the uploads row" out_has "of it uploads  *1\.0"
check "quota: upload files" out_has "^upload files  *3  *10"

# Two sessions at once, each resuming into a file of its own (a resumed
# file is kept when cut), each pushing 30 MiB into 24 MiB of room.
rm -f "$AREA"/small*
fill 24
touch "$AREA/one.bin" "$AREA/two.bin"
chown $A: "$AREA/one.bin" "$AREA/two.bin"
for n in 1 2; do
	printf 'reput half.bin %s\n' "$([ $n = 1 ] && echo one || echo two).bin" \
	    > "$TMP/batch$n"
	(cd "$L" && exec sftp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" \
	    -b "$TMP/batch$n" "$A@127.0.0.1") >"$TMP/out$n" 2>"$TMP/err$n" &
	pids[$n]=$!
done
wait "${pids[1]}"; rc1=$?
wait "${pids[2]}"; rc2=$?
check "two sessions: at least one is refused" [ $rc1 -ne 0 -o $rc2 -ne 0 ]
check "two sessions: within two writes (256 KiB each) of the limit" \
    within $((512 * 1024))
check "two sessions: both wrote" [ -s "$AREA/one.bin" -a -s "$AREA/two.bin" ]

# Another student: uploads and imports as before.
cp "$GUEST" "$L/guest.img"
sftp_key $B "put big.bin" "put guest.img"
check "B: uploads as before" rc_is 0
check "B: intact" cmp -s "$L/big.bin" "$TMP/upload/$B/big.bin"
ssh_key $B define vm1 guest.img
check "B: imports as before" rc_is 0
ssh_key $B quota
check "B: quota shows B's uploads" out_has "of it uploads  *0\.1"

done_testing

#!/bin/bash
# Two students over ssh: the second can neither see, start, destroy, dump
# nor undefine the first one's VM, by any spelling of its name, nor read
# the first one's uploads with sftp, scp or curl.
. "$(dirname "$0")/lib.sh"

A=ievse2ea
B=ievse2eb
e2e_setup "+$A" "+$B"

key_opts=("${SSH_OPTS[@]}" -i "$TMP/keys/$B")
cp "$GUEST" "$TMP/secret.img"
scp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$TMP/secret.img" \
    "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
RC=$?
check "$A uploads an image" rc_is 0
ssh_key $A define web secret.img
check "$A defines web from it" rc_is 0
ssh_key $A start web
check "$A starts web" rc_is 0
dom=$(domain_of $A web)
running() { virsh -q -c qemu:///system domstate "$dom" | grep -q running; }
check "web runs" running

ssh_key $B list
check "$B's list works" rc_is 0
check "and does not show $A's VM" out_lacks "web"
ssh_key $B list --all
check "list --all is for admins only" rc_is 1
check "and shows nothing of $A's" out_lacks "web"
for cmd in start destroy dumpxml undefine; do
	for name in web "$A/web" "$dom"; do
		ssh_key $B $cmd "$name"
		check "$B: $cmd $name is refused" bash -c "[ $RC -ne 0 ]"
		check "$B: $cmd $name shows nothing of $A's VM" out_lacks "<domain"
	done
done
ssh_key $B define web secret.img
check "$B cannot define a VM from $A's upload" rc_is 1
ssh_key $B define web "../$A/secret.img"
check "nor by a path into $A's area" rc_is 1
ssh_key $B images
check "$B's images does not list $A's upload" out_lacks "secret.img"
check "web still runs" running
check "and is still $A's" \
    bash -c "virsh -c qemu:///system metadata '$dom' urn:ie-vshell:owner:1 |
	grep -q \"uid=.$(id -u $A).\""

# Transfers: B's clients cannot read A's area.
area_a="$TMP/upload/$A"
printf 'get %s/secret.img %s/b1\n' "$area_a" "$TMP" > "$TMP/batch1"
printf 'get ../%s/secret.img %s/b2\n' "$A" "$TMP" > "$TMP/batch2"
printf 'ls -l %s\n' "$area_a" > "$TMP/batch3"
for b in 1 2 3; do
	sftp "${key_opts[@]}" -P "$PORT" -b "$TMP/batch$b" "$B@127.0.0.1" \
	    >"$OUT" 2>"$ERR"
	RC=$?
	check "$B: sftp $(cat "$TMP/batch$b") fails" \
	    bash -c "[ $RC -ne 0 ] && ! grep -q '^-r' '$OUT'"
done
scp "${key_opts[@]}" -P "$PORT" "$B@127.0.0.1:$area_a/secret.img" \
    "$TMP/b4" >"$OUT" 2>"$ERR"
RC=$?
check "$B: scp of $A's upload fails" rc_is 1
scp -O "${key_opts[@]}" -P "$PORT" "$B@127.0.0.1:$area_a/secret.img" \
    "$TMP/b5" >"$OUT" 2>"$ERR"
RC=$?
check "$B: scp -O of $A's upload fails" rc_is 1
curl -sS --insecure -u "$B:$PASS" -o "$TMP/b6" \
    "sftp://127.0.0.1:$PORT$area_a/secret.img" >"$OUT" 2>"$ERR"
RC=$?
check "$B: curl sftp:// of $A's upload fails" bash -c "[ $RC -ne 0 ]"
check "nothing of $A's reached $B" \
    bash -c "! ls '$TMP'/b[1-6] 2>/dev/null | grep -q ."

ssh_key $A destroy web
check "$A destroys web" rc_is 0
ssh_key $A undefine web --disk
check "$A undefines web" rc_is 0

done_testing

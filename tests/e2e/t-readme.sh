#!/bin/bash
# README.md's student example, run as written on the real stack: a student
# logs in with ssh -tt and types each command of the example at the
# prompt; readme.py compares each answer with the README.  The admin's
# setup is the README's: the default template's base image is debian-12
# (here the test guest, under that name).
. "$(dirname "$0")/lib.sh"

A=ievse2ea
E2E_STORAGE="base_dir = $TMP/base"
E2E_CONF_EXTRA="[template:default]
base = debian-12"
e2e_prepare() {
	mkdir -p "$TMP/base" &&
	qemu-img convert -O qcow2 "$GUEST" "$TMP/base/debian-12.qcow2" &&
	echo "the e2e test guest, under the README's name" > \
	    "$TMP/base/debian-12.txt"
}
"$PYTHON" -c 'import pexpect' 2>/dev/null ||
	skip "python3-pexpect is not installed"
e2e_setup "+$A"

pty_run "the README's student example runs as written" $A readme.py \
    README="$top_srcdir/README.md"
check "undefine web kept its disk, as the README says" \
    [ -e "$TMP/pool/$(id -u $A)/web.qcow2" ]
done_testing

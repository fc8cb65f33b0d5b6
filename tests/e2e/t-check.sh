#!/bin/bash
# ie-vmd --check on the deployment the e2e tier runs (sshd with the shipped
# snippet, the system's PAM, /etc/shells, libvirtd): it passes, and fails
# naming the problem when one thing at a time is broken.
. "$(dirname "$0")/lib.sh"

A=ievse2ea
e2e_setup "+$A"

run_check() {
	"$VMD_BIN" --check --student $A --shell "$SH" \
	    --sshd-config "${1:-$SSHD_CONFIG}" >"$OUT" 2>"$ERR"
	RC=$?
}

run_check
check "the e2e deployment passes the check" rc_is 0
check "and it says so" out_has "all checks passed"
check "it checked the student's sshd settings" out_has "^ok .*TCP forwarding off"
check "and libvirt" out_has "^ok .*libvirt"
sed 's/^/# /' "$OUT"

chmod o+w "$TMP/templates/default.xml"
run_check
check "a world-writable template fails" rc_is 1
check "naming it" out_has "^FAIL.*$TMP/templates/default.xml"
chmod o-w "$TMP/templates/default.xml"

grep -v '^Include' "$SSHD_CONFIG" > "$TMP/ssh/sshd_config.nosnippet"
run_check "$TMP/ssh/sshd_config.nosnippet"
check "sshd without the snippet fails" rc_is 1
check "naming forwarding, with a fix" out_has "^FAIL.*TCP forwarding.*fix"
check "and X11" out_has "^FAIL.*X11"

e2e_unshell
run_check
check "the shell missing from /etc/shells fails" rc_is 1
check "naming it" out_has "^FAIL.*$SH.*/etc/shells"
echo "$SH" >> /etc/shells

mv /etc/pam.d/ie-vshell-e2e "$TMP/pam-saved"
run_check
check "a missing PAM service file fails" rc_is 1
check "naming it" out_has "^FAIL.*ie-vshell-e2e"
mv "$TMP/pam-saved" /etc/pam.d/ie-vshell-e2e

run_check
check "repaired, the deployment passes again" rc_is 0

done_testing

#!/bin/bash
# ie-vmd --check on the deployment the e2e tier runs (sshd with the shipped
# snippet, the system's PAM, /etc/shells, libvirtd): it passes, and fails
# naming the problem when one thing at a time is broken.  In Japanese: the
# check for an admin in ja_JP.UTF-8, and a student's session over ssh with
# LANG=ja_JP.UTF-8 passed through AcceptEnv.
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

e2e_japanese || { not_ok "the ja_JP.UTF-8 locale and catalogue install"; done_testing; }
LANG=ja_JP.UTF-8 run_check
check "the check in Japanese" out_has "^ie-vmd --check: すべての検査に合格しました$"
check "its lines in Japanese, their fixed words not" out_has "^ok .*TCP 転送"
# ja_ssh LANG ARGS...: ssh_key as the student, sending LANG.
ja_ssh() {
	LANG=$1 ssh "${SSH_OPTS[@]}" -o SendEnv=LANG -p "$PORT" \
	    -i "$TMP/keys/$A" -o PasswordAuthentication=no "$A@127.0.0.1" \
	    "${@:2}" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
ja_ssh ja_JP.UTF-8 help
check "ssh with LANG=ja_JP.UTF-8: help in Japanese" out_has '^コマンド:$'
ja_ssh ja_JP.UTF-8 start nosuch
check "ssh: the broker's error in Japanese" err_has '^エラー: VM がありません: nosuch$'
check "ssh: the error's status" rc_is 1
ja_ssh ja_JP.UTF-8 define web
ja_ssh ja_JP.UTF-8 list
check "ssh: list in Japanese" eval "out_has '^名前  *状態  *IP$' && out_has '^web  *停止 '"
check "ssh: list's columns line up" table_aligned
ja_ssh ja_JP.UTF-8 quota
check "ssh: quota in Japanese" out_has '^作成済みの VM  *1 '
check "ssh: quota's columns line up" table_aligned
ja_ssh ja_JP.UTF-8 undefine web --disk
ja_ssh xx_YY.UTF-8 help
check "ssh with an unknown locale: English" out_has '^Commands:$'

done_testing

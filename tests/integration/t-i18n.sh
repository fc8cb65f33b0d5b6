#!/bin/bash
# Japanese: a session in ja_JP.UTF-8 reads help, errors (the shell's and
# the broker's), list, quota and info in Japanese, with columns that line
# up on screen (wide characters count twice); a locale the machine lacks
# gives English, never mangled text; --json is the same in every language.
# The locale is compiled into the test's directory (LOCPATH, through the
# programs' -L / --localedir), with the catalogue of po/ja.po.
. "$(dirname "$0")/lib.sh"

need_root
command -v localedef >/dev/null || skip "no localedef (Debian: libc-bin)"
command -v msgfmt >/dev/null || skip "no msgfmt (Debian: gettext)"
[ -d /usr/share/i18n/locales ] && [ -f /usr/share/i18n/locales/ja_JP ] ||
	skip "no ja_JP locale source (Debian: locales)"
LOC=$TMP/loc
mkdir -p "$LOC/ja/LC_MESSAGES" "$TMP/catonly/ja/LC_MESSAGES"
localedef -i ja_JP -f UTF-8 "$LOC/ja_JP.UTF-8" >/dev/null 2>&1 ||
	skip "localedef cannot compile ja_JP.UTF-8"
msgfmt -c -o "$LOC/ja/LC_MESSAGES/ie-vshell.mo" "$top_srcdir/po/ja.po" ||
	{ not_ok "po/ja.po compiles"; done_testing; }
cp "$LOC/ja/LC_MESSAGES/ie-vshell.mo" "$TMP/catonly/ja/LC_MESSAGES/"
chmod -R a+rX "$LOC" "$TMP/catonly"

make_user ievi-ja || exit 1
make_group ievi-jag || exit 1
make_user ievi-jb ievi-jag || exit 1
MAX_CLIENTS=3 write_config
printf '\n[language]\ngroup:ievi-jag = ja_JP.UTF-8\n' >> "$CONF"
VMD_ARGS="--localedir $LOC"
start_vmd || exit 1
unset LC_ALL LC_MESSAGES LC_CTYPE LANGUAGE

# jsh [-u USER] LOCPATH-DIR ENV... -- ARGS: the shell as the student
# (ievi-ja unless USER), in that environment, with locales and catalogues
# from DIR.
jsh() {
	local u=ievi-ja
	[ "$1" = -u ] && { u=$2; shift 2; }
	local dir=$1
	shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	setpriv --reuid=$u --regid="$(id -g $u)" --init-groups -- \
	    env -i "${envs[@]}" "$SH" -f "$CONF" -L "$dir" "$@" \
	    >"$OUT" 2>"$ERR" </dev/null
	RC=$?
}
ja() { jsh "$LOC" LANG=ja_JP.UTF-8 -- "$@"; }

# The same check fails on a table padded by bytes, as printf's %-*s does.
printf '%-12s%-10s%s\n' 名前 状態 IP web 実行中 - > "$OUT"
not_aligned() { ! table_aligned >/dev/null 2>&1; }
check "the check of alignment catches padding by bytes" not_aligned

ja -c help
check "help: exit 0" rc_is 0
check "help: its title in Japanese" out_has '^コマンド:$'
check "help: a command's text in Japanese" out_has '^  start NAME  *VM を起動$'
check "help: the note on VM names in Japanese" out_has 'VM 名に使えるのは英小文字'

ja -c 'frobnicate'
check "the shell's error: in Japanese, on one line" \
    err_has "^エラー: 'frobnicate' というコマンドはありません。'help' で一覧を表示できます$"
check "the shell's error: exit 2" rc_is 2
ja -c 'start nosuch'
check "the broker's error: in Japanese" err_has '^エラー: VM がありません: nosuch$'
check "the broker's error: one line, exit 1" eval 'err_one_line && rc_is 1'

ja -c 'define web'
check "define: answered in Japanese" out_has '^web を作成しました (テンプレート default、1 GiB の空ディスク)$'
ja -c 'define a-much-longer-name'
# --json: the same bytes whatever the language (while nothing runs, so
# that no uptime or address changes between the two).
for cmd in 'list --json' 'quota --json' 'info web --json' 'images --json'; do
	ja -c "$cmd"
	cp "$OUT" "$TMP/json.ja"
	jsh "$LOC" LANG=C.UTF-8 -- -c "$cmd"
	check "$cmd: the same in Japanese and English" cmp -s "$TMP/json.ja" "$OUT"
done
ja -c 'list --json'
check "list --json: states are English words" out_has '"state" : "shut off"'

ja -c 'start web'
check "start: answered in Japanese" out_has '^web を起動しました$'

# The banner of an interactive session: its VM lines lined up on screen,
# its quota line in Japanese.
$PYTHON - "$SH" "$CONF" "$LOC" "$(id -u ievi-ja)" "$(id -g ievi-ja)" \
    >"$OUT" 2>"$ERR" <<'PY'
import os, pty, select, sys, time
sh, conf, loc, uid, gid = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.setgid(int(gid)); os.setgroups([]); os.setuid(int(uid))
    os.execve(sh, [sh, "-L", loc, "-f", conf],
              {"LANG": "ja_JP.UTF-8", "TERM": "dumb"})
out, end, sent = b"", time.time() + 20, False
while time.time() < end:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
    if not sent and b"ie-vshell> " in out:
        os.write(fd, b"exit\r")
        sent = True
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
PY
check "banner: the quota line in Japanese" out_has '^クォータ: VM 2/8 台、実行中 1/2 台、'
grep '^  [a-z]' "$OUT" > "$TMP/banner"
check "banner: the VM lines line up on screen" $PYTHON - "$TMP/banner" <<'PY'
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
rows = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
# name (20 columns), state (14 columns), address: the address at 38.
starts = {width(r[:len(r) - len(r.split()[-1])]) for r in rows}
sys.exit(0 if len(rows) == 2 and starts == {38} and
         any("実行中" in r for r in rows) else 1)
PY

ja -c list
check "list: titles in Japanese" out_has '^名前  *状態  *IP$'
check "list: states in Japanese" eval "out_has '^web  *実行中 ' && out_has '^a-much-longer-name  *停止 '"
check "list: columns line up on screen" table_aligned

ja -c quota
check "quota: resources in Japanese" eval "out_has '^作成済みの VM  *2 ' && out_has '^  うちアップロード '"
check "quota: columns line up on screen" table_aligned

ja -c 'info web'
check "info: labels in Japanese" out_has '^状態:  *実行中$'
check "info: the values line up after the labels" $PYTHON - "$OUT" <<'PY'
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
cols = {width(m.group(1)) for m in
        (re.match(r"(\S+\s+)\S", l) for l in open(sys.argv[1], encoding="utf-8"))}
sys.exit(0 if len(cols) == 1 else 1)
PY

# LC_MESSAGES survives pam_env's LANG from /etc/default/locale (here a
# locale the machine lacks: the other categories fall back alone).
jsh "$LOC" LANG=en_US.UTF-8 LC_MESSAGES=ja_JP.UTF-8 -- -c 'start nosuch'
check "LC_MESSAGES=ja_JP.UTF-8 under another LANG: Japanese" \
    err_has '^エラー: VM がありません: nosuch$'

# The broker's refusal on its accepting thread, when it serves as many
# clients as it may (3 held open here), is in Japanese too.
held=
for i in 1 2 3; do
	$PYTHON -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print("held", flush=True); time.sleep(60)' "$SOCK" >>"$TMP/held" &
	held="$held $!"
done
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c held "$TMP/held" 2>/dev/null)" = 3 ] && break
	sleep 0.1
done
ja -c list
check "busy: the refusal in Japanese" \
    err_has '^エラー: VM サービスが混み合っています (セッション数が上限)。'
kill $held
wait $held 2>/dev/null

# [language] group:ievi-jag: Japanese for its members whose session sets
# only LANG (as pam_env's /etc/default/locale does), not for the others,
# and not when the session asks for English.
jsh -u ievi-jb "$LOC" LANG=C.UTF-8 -- -c 'start nosuch'
check "[language]: Japanese for a member of the group" \
    err_has '^エラー: VM がありません: nosuch$'
jsh -u ievi-jb "$LOC" LANG=C.UTF-8 -- -c help
check "[language]: the shell's own text too" out_has '^コマンド:$'
jsh -u ievi-jb "$LOC" LANG=C.UTF-8 LC_MESSAGES=C.UTF-8 -- -c 'start nosuch'
check "[language]: LC_MESSAGES of the session comes first" \
    err_has '^error: no such VM: nosuch$'
jsh "$LOC" LANG=C.UTF-8 -- -c 'start nosuch'
check "[language]: English for a user outside the group" \
    err_has '^error: no such VM: nosuch$'

# What the admin reads: ie-vmd --check in Japanese (its count through
# ngettext), its fixed words (ok, FAIL, fix) not.
LANG=ja_JP.UTF-8 "$VMD_BIN" --localedir "$LOC" --check -f "$CONF" \
    >"$OUT" 2>"$ERR"
check "--check: a line in Japanese" out_has "  テンプレートディレクトリ .*: root の所有"
check "--check: a failure in Japanese, with its fix" out_has "^FAIL  学生向けの sshd の設定; fix: 学生のユーザー名で"
check "--check: the count in Japanese" out_has '^ie-vmd --check: 問題が [0-9]* 件あります$'

# The catalogue is there, the locale is not: English, UTF-8 intact.
jsh "$TMP/catonly" LANG=ja_JP.UTF-8 -- -c help
check "a locale missing on the server: help in English" out_has '^Commands:$'
jsh "$TMP/catonly" LANG=ja_JP.UTF-8 -- -c 'start nosuch'
check "a locale missing on the server: the broker's error in English" \
    err_has '^error: no such VM: nosuch$'
jsh "$LOC" LANG=xx_YY.UTF-8 -- -c list
check "an unknown locale: list in English" eval "out_has '^Name  *State  *IP$' && out_has '^web  *running '"
check "an unknown locale: nothing but ASCII" eval '! LC_ALL=C grep -q "[^ -~]" "$OUT" "$ERR"'
done_testing

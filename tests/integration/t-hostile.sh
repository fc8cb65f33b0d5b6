#!/bin/bash
# Hostile input: shell syntax, control and format characters, look-alikes,
# oversized lines, a hostile environment, leaked descriptors and a setgid
# install.  Each is refused with one line or neutralised, nothing reaches a
# terminal or the audit log raw, and no program but the shell is started.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null 2>&1 || skip "strace not installed"
# LeakSanitizer would clone a tracer thread at exit; an LD_PRELOAD library
# of our own must not make ASan refuse to start.
export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0

start_vmd || exit 1
vsh -c 'define web'
check "setup: define web" rc_is 0
# An unprivileged user for the set-id cases and the terminal sessions
# (whose history file must not land in root's home).
TUSER=
if [ "$(id -u)" -eq 0 ] && make_user ievs-hostile; then
	TUSER=ievs-hostile
fi

LOG="$TMP/vmd.log"
IN=/dev/null

# hsh [-E VAR=VALUE]... ARGS...: the shell under strace, VARs added to its
# environment only (strace -E: an env(1) would be a second execve), stdin
# from $IN.  Status in $RC, processes and file syscalls in $TRACE.
hsh() {
	local envs=()

	while [ "${1:-}" = "-E" ]; do
		envs+=(-E "$2")
		shift 2
	done
	strace -f -qq -o "$TRACE" \
	    -e trace=execve,fork,vfork,clone,clone3,%file "${envs[@]}" \
	    "$SH" -f "$CONF" "$@" <"$IN" >"$OUT" 2>"$ERR"
	RC=$?
}

# No file syscall of the shell named PATTERN (a fixed string).
no_file_access() {
	! grep -F -- "$1" "$TRACE" | grep -v 'execve(' | sed 's/^/# strace: /' |
	    grep -q .
}

# Nothing in FILE can drive a terminal: no raw ESC (asked for by name),
# no other C0 control but tab and newline, no DEL, no C1 control, no bidi
# control, and valid UTF-8 (a stray 0x9b byte is an 8-bit CSI).
clean() {
	local f=$1

	[ "$(LC_ALL=C grep -c $'\x1b' "$f")" -eq 0 ] ||
	    { echo "# raw ESC in $f"; return 1; }
	! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|'\
'\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c' "$f" ||
	    { echo "# raw control in $f:"; cat -v "$f" | sed 's/^/# /' |
	    head -5; return 1; }
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 ||
	    { echo "# invalid UTF-8 in $f"; return 1; }
}

clean_out_err() { clean "$OUT" && clean "$ERR"; }
err_lacks() { ! grep -q -- "$1" "$ERR" || { echo "# stderr has it"; false; }; }
stdout_empty() { [ ! -s "$OUT" ] || { echo "# stdout not empty"; show; false; }; }
stderr_empty() { [ ! -s "$ERR" ] || { echo "# stderr not empty"; show; false; }; }
not_crashed() { [ "$RC" -lt 128 ] || { echo "# signal $((RC - 128))"; false; }; }
log_lines() { grep -c . "$LOG"; }
# longest_line FILE [FIRST-LINE]: the length of its longest line.
longest_line() {
	tail -n "+${2:-1}" "$1" |
	    awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'
}

# refused DESC: the last run was a refusal: usage status, one line on
# stderr and nothing on stdout, nothing raw on either, no program started.
refused() {
	local what=$1

	check "$what: status 2" rc_is 2
	check "$what: one line on stderr" err_one_line
	check "$what: nothing on stdout" stdout_empty
	check "$what: stdout and stderr clean" clean_out_err
	check "$what: no program started" only_shell
}

# refused_c STRING: -c STRING is refused.
refused_c() {
	hsh -c "$1"
	refused "-c $(printf '%q' "$1")"
}

# refused_line STRING: STRING as one line on stdin (line mode) is refused.
refused_line() {
	printf '%s\n' "$1" > "$TMP/in"
	IN="$TMP/in" hsh
	refused "line $(printf '%q' "$1")"
}

# --- Shell syntax is no syntax: every one is an unknown command or an
# argument count error, in -c and in line mode.
for s in 'list; id' 'list && id' 'list || id' 'list | id' 'list & id' \
    '$(id)' 'start $(id)' '`id`' 'start `id`' "list >$TMP/x" \
    ">$TMP/x" "list 2>$TMP/x" '<(id)' 'list <(id)' 'list $((1+1))' \
    '${IFS}id' 'list #; id'; do
	refused_c "$s"
	refused_line "$s"
done
check "no redirection created a file" [ ! -e "$TMP/x" ]

# --- Newline and carriage return inside -c, and CR in a line (a script
# saved with CRLF): refused, never split into two commands.
refused_c $'list\nid'
refused_c $'list\rid'
refused_c $'list\r'
refused_c $'start web\nstart web'
printf 'list\r\n' > "$TMP/in"
IN="$TMP/in" hsh
refused "line with CRLF"
check "line with CRLF: says why" err_has "control character"
IN=/dev/null

# --- NUL.  A -c string cannot hold one; a line on stdin can.  What reaches
# the broker must be what was typed or nothing: never a prefix of it.
n0=$(log_lines)
printf 'define ab\0cd\n' > "$TMP/in"
IN="$TMP/in" hsh
IN=/dev/null
check "line with NUL: no program started" only_shell
check "line with NUL: not crashed" not_crashed
check "line with NUL: the broker never saw the rest" [ "$(tail -n \
    +$((n0 + 1)) "$LOG" | grep 'audit:' | grep -c 'cd')" -eq 0 ]
check "audit log: no NUL arrived" [ "$(grep -c '\\x00' "$LOG")" -eq 0 ]
# A NUL would silently cut the line ("define ab<NUL>cd" defining "ab"):
# the line is refused instead.
check "line with NUL: refused with one line" err_one_line
vsh -c 'list'
check "line with NUL: nothing was defined" out_lacks '^ab '
vsh -c 'undefine ab'

# --- Format strings: printed literally, never interpreted.
for s in 'start %n%n%n%s%s' 'define %x%x' 'help %n%s%p'; do
	refused_c "$s"
	check "-c '$s': shown literally" err_has "${s##* }"
done
# A template name is checked by the broker against what exists: a failure.
hsh -c 'define fmt --template %s%n%n'
check "template %s%n%n: status 1" rc_is 1
check "template %s%n%n: shown literally" err_has "%s%n%n"
check "template %s%n%n: one line" err_one_line
check "template %s%n%n: no program started" only_shell
check "audit log has the format string literally" grep -qF '%x%x' "$LOG"

# --- Overlong names and lines.
refused_c "define $(printf 'a%.0s' $(seq 33))"
check "33-character name: the rule is stated" err_has "1 to 32 characters"
long=$(head -c 5000 /dev/zero | tr '\0' a)
refused_c "define $long"
check "5000-character -c: too long" err_has "too long"
refused_line "define $long"
check "5000-character line: too long" err_has "too long"
refused_c "start $(head -c 4000 /dev/zero | tr '\0' b)"
check "4000-character name: the error is capped" \
    [ "$(wc -c < "$ERR")" -lt 2100 ]
check "audit log lines are capped" [ "$(longest_line "$LOG")" -lt 1200 ]

# --- Look-alikes: not the command or the VM they resemble.
refused_c 'stаrt web'		# Cyrillic а
refused_c 'ｌｉｓｔ'		# fullwidth
refused_c $'start web\u200b'	# zero-width space after the name
# Invisible format characters (zero-width, bidi) are escaped, so the
# message cannot read "invalid VM name 'web'".
check "zero-width space escaped in the message" err_lacks $'\u200b'
refused_c $'define w\u0435b'	# Cyrillic е in a new name
refused_c $'start web\u202egpj'	# right-to-left override
refused_c $'start \u202e'
vsh -c 'list'
check "look-alikes defined nothing" [ "$(grep -c '^[^ ]' "$OUT")" -eq 2 ]

# --- Escape sequences in arguments: refused by the tokenizer (C0) or the
# name rule (C1, 8-bit CSI), and escaped wherever they are shown or logged.
refused_c $'start \e]0;pwned\a'
refused_c $'define \e[2J'
refused_c $'start web\e[8m'
refused_c $'start \u009b2J'
refused_c $'start \x9b2J'
refused_c $'\e[2Jlist'
refused_line $'start \e]0;pwned\a'
refused_line $'define \e[2J'
refused_line $'start \x9b2J'
check "audit log: no raw ESC" [ "$(LC_ALL=C grep -c $'\x1b' "$LOG")" -eq 0 ]
check "audit log: nothing raw" clean "$LOG"
check "audit log recorded the 8-bit CSI, escaped" grep -qF '\x9b2J' "$LOG"

# --- Programs and shell options smuggled through -c.  The confined
# sftp-server and scp forms, and their refusals, are in t-sftp and t-scp.
for s in '/bin/sh' 'sh -c id' 'internal-sftp' 'exec id' '--help' \
    '-c list' '-f /dev/null list' '-- list' '- list'; do
	refused_c "$s"
done

# An empty or blank command does what sh -c '' does: nothing, status 0,
# silently, without even contacting the broker.
for s in '' '   ' $'\t'; do
	n0=$(log_lines)
	hsh -c "$s"
	what="-c $(printf '%q' "$s")"
	check "$what: status 0" rc_is 0
	check "$what: nothing on stdout" stdout_empty
	check "$what: nothing on stderr" stderr_empty
	check "$what: the broker was not contacted" [ "$(log_lines)" -eq "$n0" ]
	check "$what: no program started" only_shell
done

# Options of the shell itself: only -f FILE and one -c STRING.
for args in "-c list -c id" "-c" "-x" "-- -c list" "-c list extra" \
    "-i" "-l"; do
	# shellcheck disable=SC2086
	hsh $args
	check "ie-vshell $args: usage status" rc_is 2
	check "ie-vshell $args: one line" err_one_line
	check "ie-vshell $args: no program started" only_shell
done

# --- A 10 MB line on stdin: refused with one line, no crash, no hang, the
# line after it still runs.  Peak memory is measured without strace.
cat > "$TMP/run.py" <<'PY'
import os, signal, subprocess, sys, time

def reset():
    # What a login shell might inherit; the shell must set its own.
    for s in (signal.SIGQUIT, signal.SIGTSTP, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [signal.SIGTERM])

def status(st):
    return 128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)

what, args = sys.argv[1], sys.argv[2:]
if what == "rss":               # rss IN OUT ERR CMD...: status, peak KiB
    with open(args[0], "rb") as i, open(args[1], "wb") as o, \
            open(args[2], "wb") as e:
        p = subprocess.Popen(args[3:], stdin=i, stdout=o, stderr=e)
    deadline = time.time() + 60
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            p.kill()
            pid, st, ru = os.wait4(p.pid, 0)
            print("hang", ru.ru_maxrss)
            sys.exit(0)
        time.sleep(0.02)
    print(status(st), ru.ru_maxrss)
elif what == "signals":         # signals CMD...: SigIgn and SigBlk in hex
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, preexec_fn=reset)
    if args[0] != "/bin/cat":
        # Past start-up once it has answered a line (help is not
        # flushed, list is).
        p.stdin.write(b"list\n")
        p.stdin.flush()
        p.stdout.readline()
    f = dict(l.split(":", 1) for l in open("/proc/%d/status" % p.pid))
    print(f["SigIgn"].strip(), f["SigBlk"].strip())
    p.stdin.close()
    p.stdout.read()
    p.wait()
elif what == "epipe":           # epipe CMD...: status with stdout unread
    r, w = os.pipe()
    os.close(r)
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=w,
                         stderr=subprocess.DEVNULL, preexec_fn=reset)
    os.close(w)
    rc = p.wait()
    print(128 - rc if rc < 0 else rc)
elif what == "pty":             # pty CMD...: a prompt, "list", Ctrl-D
    import pexpect
    env = {"PATH": "/usr/bin:/bin",
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
    # Under strace, with a sanitizer build on a loaded machine, start-up
    # alone has taken over 10 s.
    p = pexpect.spawn(args[0], args[1:], env=env,
                      timeout=60, dimensions=(24, 80))
    try:
        p.expect_exact("ie-vshell> ")
        p.sendline("list")
        p.expect_exact("ie-vshell> ")
        p.sendcontrol("d")
        p.expect(pexpect.EOF)
        print("ok")
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        print("failed (%s after %r)" % (type(e).__name__, p.before[-200:]))
PY

{
	printf 'start '
	head -c 10000000 /dev/zero | tr '\0' a
	printf '\nlist\n'
} > "$TMP/big"
printf "list 'x\nlist\n" > "$TMP/small"
n0=$(log_lines)
read -r st rss <<< "$($PYTHON "$TMP/run.py" rss "$TMP/big" "$OUT" "$ERR" \
    "$SH" -f "$CONF")"
RC=$st
check "10 MB line: no hang" [ "$st" != hang ]
check "10 MB line: not crashed" not_crashed
check "10 MB line: status 2" rc_is 2
check "10 MB line: one line on stderr" err_one_line
check "10 MB line: too long" err_has "too long"
check "10 MB line: not run, the next line is" out_has "^web "
check "10 MB line: stderr clean" clean "$ERR"
check "10 MB line: its audit record is capped" \
    [ "$(longest_line "$LOG" $((n0 + 1)))" -lt 1200 ]
read -r st0 rss0 <<< "$($PYTHON "$TMP/run.py" rss "$TMP/small" "$OUT" \
    "$ERR" "$SH" -f "$CONF")"
echo "# peak RSS: $rss KiB with the 10 MB line, $rss0 KiB without"
# Lines are read into a fixed buffer: an endless line (cat /dev/zero |
# ssh blade) costs no memory.
check "10 MB line: memory bounded (peak within 4 MiB of a short line)" \
    [ "$((rss - rss0))" -lt 4096 ]
IN="$TMP/big" hsh
IN=/dev/null
check "10 MB line: no program started" only_shell

# --- The environment a client can send (ssh SendEnv, PAM, a wrapper).  A
# small library, preloaded, records at exit what the shell's environment
# and descriptors had become; its constructor marks that it was loaded.
cat > "$TMP/evil.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

extern char **environ;

__attribute__((constructor)) static void
loaded(void)
{
	close(open(MARK, O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

__attribute__((destructor)) static void
record(void)
{
	char path[64], target[256];
	int fds[64], n = 0, fd, i;
	ssize_t len;
	char **e;
	FILE *f;

	for (fd = 3; fd < 4096 && n < 64; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			fds[n++] = fd;
	if ((f = fopen(DUMP, "w")) == NULL)
		return;
	for (e = environ; e != NULL && *e != NULL; e++)
		fprintf(f, "env %s\n", *e);
	for (i = 0; i < n; i++)
		fprintf(f, "fd %d\n", fds[i]);
	for (fd = 0; fd <= 2; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		fprintf(f, "std %d %s\n", fd, len < 0 ? "closed" : target);
	}
	fclose(f);
}
C
EVIL="$TMP/evil.so"
MARK="$TMP/evil-loaded"
DUMP="$TMP/evil-dump"
HAVE_CC=
if cc -shared -fPIC -DMARK="\"$MARK\"" -DDUMP="\"$DUMP\"" \
    -o "$EVIL" "$TMP/evil.c" 2>"$TMP/cc.err"; then
	HAVE_CC=1
else
	echo "# no C compiler: environment read-back skipped"
fi
PW_HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
PW_NAME=$(id -un)
PW_SHELL=$(getent passwd "$(id -u)" | cut -d: -f7)

# env_is VAR VALUE / env_unset VAR: in the shell's environment at exit.
env_is() {
	grep -qxF "env $1=$2" "$DUMP" && return 0
	echo "# $1 is not '$2':"
	grep "^env $1=" "$DUMP" | cat -v | sed 's/^/# /'
	return 1
}
env_unset() {
	grep -q "^env $1=" "$DUMP" || return 0
	echo "# $1 is set:"
	grep "^env $1=" "$DUMP" | cat -v | sed 's/^/# /'
	return 1
}
# Only the variables the shell sets itself, and the valid ones it keeps.
env_only() {
	local extra

	extra=$(sed -n 's/^env \([^=]*\)=.*/\1/p' "$DUMP" |
	    grep -vxE 'PATH|TERM|LANG|LANGUAGE|LC_(ALL|CTYPE|MESSAGES)|HOME|'\
'USER|LOGNAME|SHELL')
	[ -z "$extra" ] || { echo "# also set:" $extra; return 1; }
}

# works DESC: the shell still does its job, quietly, alone.
works() {
	check "$1: list works" rc_is 0
	check "$1: list shows web" out_has '^web '
	check "$1: nothing on stderr" stderr_empty
	check "$1: stdout clean" clean "$OUT"
	check "$1: no program started" only_shell
}

# henv DESC VAR=VALUE...: "list" with the VARs (and the recorder) set.
henv() {
	local what=$1 e=()

	shift
	for v in "$@"; do
		e+=(-E "$v")
	done
	rm -f "$DUMP" "$MARK"
	[ -n "$HAVE_CC" ] && e+=(-E "LD_PRELOAD=$EVIL")
	hsh "${e[@]}" -c list
	works "$what"
	if [ -n "$HAVE_CC" ]; then
		check "$what: environment recorded" [ -s "$DUMP" ]
		check "$what: nothing else in the environment" env_only
		check "$what: PATH fixed" env_is PATH /usr/bin:/bin
	fi
}

henv "LC_ALL=../../.." 'LC_ALL=../../..'
[ -n "$HAVE_CC" ] && check "LC_ALL=../../..: dropped" env_unset LC_ALL
check "LC_ALL=../../..: no file named by it" no_file_access '../../..'
henv "LC_ALL=path" "LC_ALL=$TMP/locale" "LOCPATH=$TMP/locpath"
[ -n "$HAVE_CC" ] && check "LC_ALL=path: dropped" env_unset LC_ALL
check "LC_ALL=path: not read" no_file_access "$TMP/locale"
check "LOCPATH: not read" no_file_access "$TMP/locpath"
henv "LANG=ESC[31m" $'LANG=\e[31m'
[ -n "$HAVE_CC" ] && check "LANG=ESC[31m: C.UTF-8 instead" env_is LANG C.UTF-8
henv "TERM=xterm ESC]0;x BEL" $'TERM=xterm\e]0;x\a'
[ -n "$HAVE_CC" ] && check "TERM with OSC: dumb instead" env_is TERM dumb
henv "TERM=../../../../tmp/evil" 'TERM=../../../../tmp/evil'
[ -n "$HAVE_CC" ] && check "TERM=path: dumb instead" env_is TERM dumb
henv "USER, HOME, LOGNAME, SHELL, PATH" USER=admin LOGNAME=admin \
    "HOME=$TMP/fakehome" SHELL=/bin/sh "PATH=$TMP/bin:/usr/bin"
if [ -n "$HAVE_CC" ]; then
	check "HOME from the passwd entry" env_is HOME "$PW_HOME"
	check "USER from the passwd entry" env_is USER "$PW_NAME"
	check "LOGNAME from the passwd entry" env_is LOGNAME "$PW_NAME"
	check "SHELL from the passwd entry" env_is SHELL "$PW_SHELL"
fi
check "HOME: not used" no_file_access "$TMP/fakehome"
henv "loader, glibc, GLib, libedit, ncurses variables" \
    "GCONV_PATH=$TMP/gconv" "NLSPATH=$TMP/nls/%N" \
    "LANGUAGE=de:../../../..$TMP/nls" \
    "EDITRC=$TMP/editrc" "INPUTRC=$TMP/inputrc" "TERMINFO=$TMP/terminfo" \
    "TERMINFO_DIRS=$TMP/terminfo" "TERMCAP=$TMP/termcap" \
    "BASH_ENV=$TMP/bashenv" "ENV=$TMP/env" 'IFS=/' TZ=../../etc/shadow \
    G_MESSAGES_DEBUG=all G_DEBUG=fatal-warnings MALLOC_CHECK_=3 \
    "LD_LIBRARY_PATH=$TMP/lib" \
    'IEVS_ADMIN=1' 'SSH_ORIGINAL_COMMAND=sh'
for p in gconv nls editrc inputrc terminfo termcap bashenv; do
	check "variables: nothing read from $p" no_file_access "$TMP/$p"
done
[ -n "$HAVE_CC" ] && check "LANGUAGE with a path: dropped" env_unset LANGUAGE
# Valid values are kept: the validators do not simply drop everything.
henv "valid TERM and locale kept" TERM=xterm-256color LANG=C.UTF-8 \
    LC_MESSAGES=POSIX LC_CTYPE=en_US.UTF-8 LANGUAGE=de:en_GB
if [ -n "$HAVE_CC" ]; then
	check "valid TERM kept" env_is TERM xterm-256color
	check "valid LC_MESSAGES kept" env_is LC_MESSAGES POSIX
	check "valid LC_CTYPE kept" env_is LC_CTYPE en_US.UTF-8
	check "valid LANGUAGE kept" env_is LANGUAGE de:en_GB
fi

# LD_PRELOAD itself.  What this shows: the loader did honour it (the shell
# is not privileged, so the constructor ran before main(): expected, and
# harmless, as the student gains nothing by running code as the student);
# from main() on, LD_PRELOAD and LD_LIBRARY_PATH are gone from the shell's
# environment, no program is started that could inherit them, and the
# broker, a separate process started apart from any shell, is unaffected.
# What it does not show: that a preloaded library cannot do as it likes
# inside the shell -- it can; the broker's checks on SO_PEERCRED are what
# hold then.
if [ -n "$HAVE_CC" ]; then
	henv "LD_PRELOAD" "LD_LIBRARY_PATH=$TMP/lib"
	check "LD_PRELOAD: the loader honoured it (unprivileged)" [ -e "$MARK" ]
	check "LD_PRELOAD: gone from the shell's environment" \
	    env_unset LD_PRELOAD
	check "LD_LIBRARY_PATH: gone from the shell's environment" \
	    env_unset LD_LIBRARY_PATH
	check "LD_PRELOAD: not in the broker's environment" \
	    eval "! tr '\\0' '\\n' < /proc/$VMD_PID/environ | grep -qF \"$EVIL\""
fi

# TERM and TERMINFO at a terminal, where libedit reads terminfo; as the
# test user (strace -u), so that no history file is written for root.
for t in 'TERM=evil' $'TERM=xterm\e]0;x\a' 'TERM=../../../../tmp/evil'; do
	[ -n "$TUSER" ] || { echo "# not root: terminal cases skipped"; break; }
	r=$($PYTHON "$TMP/run.py" pty strace -f -qq -o "$TRACE" -u "$TUSER" \
	    -e trace=execve,fork,vfork,clone,clone3,%file \
	    -E "$t" -E "TERMINFO=$TMP/terminfo" -E "HOME=$TMP/fakehome" \
	    "$SH" -f "$CONF")
	what="at a terminal with $(printf '%q' "$t")"
	[ "$r" = ok ] || echo "# $r"
	check "$what: prompt, list, Ctrl-D" [ "$r" = ok ]
	check "$what: no terminfo of ours read" no_file_access "$TMP/terminfo"
	check "$what: no program started" only_shell
done

# --- Descriptors: leaked ones closed, closed standard ones reopened.
if [ -n "$HAVE_CC" ]; then
	rm -f "$DUMP"
	LD_PRELOAD=$EVIL "$SH" -f "$CONF" -c list 3</etc/passwd \
	    7>"$TMP/leak" 200<"$CONF" 1023<&0 >"$OUT" 2>"$ERR"
	RC=$?
	check "leaked descriptors: list works" rc_is 0
	check "leaked descriptors: all closed" \
	    [ "$(grep -c '^fd ' "$DUMP")" -eq 0 ]
	for fds in '<&-' '>&-' '2>&-' '<&- >&- 2>&-'; do
		rm -f "$DUMP"
		eval "LD_PRELOAD=\$EVIL \"\$SH\" -f \"\$CONF\" -c list" \
		    "</dev/null >\"\$OUT\" 2>\"\$ERR\" $fds"
		RC=$?
		check "started with $fds: list works" rc_is 0
		check "started with $fds: 0-2 open" \
		    [ "$(grep -c '^std [012] /' "$DUMP")" -eq 3 ]
		check "started with $fds: no socket on 0-2" \
		    [ "$(grep -c '^std .*socket' "$DUMP")" -eq 0 ]
	done
fi

# --- Signals: SIGQUIT, SIGTSTP and SIGPIPE ignored, nothing blocked, even
# when the caller left them default and blocked SIGTERM.
read -r ign blk <<< "$($PYTHON "$TMP/run.py" signals /bin/cat)"
check "control: the caller's SIGQUIT is default" \
    [ $((0x$ign & (1 << 2))) -eq 0 ]
check "control: the caller blocks SIGTERM" [ $((0x$blk & (1 << 14))) -ne 0 ]
read -r ign blk <<< "$($PYTHON "$TMP/run.py" signals "$SH" -f "$CONF")"
check "SIGQUIT ignored" [ $((0x$ign & (1 << 2))) -ne 0 ]
check "SIGTSTP ignored" [ $((0x$ign & (1 << 19))) -ne 0 ]
check "SIGPIPE ignored" [ $((0x$ign & (1 << 12))) -ne 0 ]
check "no signal blocked" [ $((0x$blk)) -eq 0 ]
st=$($PYTHON "$TMP/run.py" epipe "$SH" -f "$CONF" -c help)
check "stdout a pipe nobody reads: not killed by SIGPIPE" [ "$st" -lt 128 ]

# --- Installed setuid, setgid or with file capabilities: refused.
if [ -n "$TUSER" ] && make_group ievs-hsg; then
	mkdir -p "$TMP/sg"
	chmod 755 "$TMP/sg"
	# as_user BINARY: -c help as the test user.
	as_user() {
		setpriv --reuid="$TUSER" --regid="$(id -g "$TUSER")" \
		    --init-groups -- "$1" -f "$CONF" -c help \
		    >"$OUT" 2>"$ERR" </dev/null
		RC=$?
	}
	cp "$SHELL_BIN" "$TMP/sg/plain"
	chmod 755 "$TMP/sg/plain"
	as_user "$TMP/sg/plain"
	check "control: the copy runs as the test user" rc_is 0
	if findmnt -no OPTIONS -T "$TMP" | grep -qw nosuid; then
		echo "# $TMP is mounted nosuid: set-id cases skipped"
	else
		cp "$SHELL_BIN" "$TMP/sg/setgid"
		chgrp ievs-hsg "$TMP/sg/setgid"
		chmod 2755 "$TMP/sg/setgid"
		cp "$SHELL_BIN" "$TMP/sg/setuid"
		chown nobody "$TMP/sg/setuid"
		chmod 4755 "$TMP/sg/setuid"
		for b in setgid setuid; do
			as_user "$TMP/sg/$b"
			check "$b: status 1" rc_is 1
			check "$b: refused" \
			    err_has "refusing to run setuid or setgid"
			check "$b: one line" err_one_line
			check "$b: nothing on stdout" stdout_empty
		done
	fi
	cp "$SHELL_BIN" "$TMP/sg/fcaps"
	chmod 755 "$TMP/sg/fcaps"
	if command -v setcap >/dev/null 2>&1 &&
	    setcap cap_net_bind_service+ep "$TMP/sg/fcaps" 2>/dev/null; then
		# Same uid and gid as the caller: only AT_SECURE tells.
		as_user "$TMP/sg/fcaps"
		check "file capabilities: status 1" rc_is 1
		check "file capabilities: refused" err_has "refusing to run"
		check "file capabilities: one line" err_one_line
	else
		echo "# setcap unavailable: file-capability case skipped"
	fi
else
	echo "# not root: set-id cases skipped"
fi

# --- The broker lived through all of it.
check "the broker is still running" kill -0 "$VMD_PID"
vsh -c 'list'
check "and still answers" out_has '^web '
check "audit log: nothing raw at the end" clean "$LOG"

done_testing

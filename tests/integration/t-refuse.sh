#!/bin/bash
# Shell syntax means nothing: each of these is refused with one line, a
# non-zero status, and no program but the shell itself is ever started.
. "$(dirname "$0")/lib.sh"

start_vmd || exit 1
vsh -c 'define web'

refused() {
	vsh -c "$1"
	check "refused: $1 (status)" [ "$RC" -ne 0 ]
	check "refused: $1 (one line on stderr)" err_one_line
	check "refused: $1 (nothing on stdout)" [ ! -s "$OUT" ]
}

refused 'list; sh'
refused 'list $(id)'
refused 'sh'
refused '/bin/sh -i'
refused 'bash'
refused 'frobnicate web'
refused 'start web && sh'
refused 'start `id`'
refused 'start web | sh'
refused 'start ../../etc/passwd'
refused 'dumpxml web;id'
refused "list 'unterminated"
# A file of this test's own: one left elsewhere by anyone cannot fail it.
refused "start \"\$(touch $TMP/pwned)\""

# Options outside -c are refused too.
"$SH" -f "$CONF" -x >"$OUT" 2>"$ERR"; RC=$?
check "unknown shell option refused" rc_is 2
"$SH" -f "$CONF" -c list extra >"$OUT" 2>"$ERR"; RC=$?
check "-c with two arguments refused" rc_is 2
"$SH" -f "$CONF" -c "$(head -c 5000 /dev/zero | tr '\0' a)" >"$OUT" 2>"$ERR"; RC=$?
check "an overlong -c string is refused" rc_is 2
check "as too long" err_has "too long"

# Under strace, none of these start any program: the only execve is the
# shell's own.  (LeakSanitizer would clone a tracer thread at exit.)
export ASAN_OPTIONS=detect_leaks=0
if command -v strace >/dev/null 2>&1; then
	for cmd in 'list; sh' 'list $(id)' 'sh' 'frobnicate' 'start web | sh' \
	    'start `touch x`'; do
		strace -f -qq -e trace=execve -o "$TMP/strace" \
		    "$SH" -f "$CONF" -c "$cmd" >/dev/null 2>&1
		n=$(grep -c 'execve(' "$TMP/strace")
		check "no program started for: $cmd ($n execve)" [ "$n" -eq 1 ]
	done
	strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$TMP/strace" \
	    "$SH" -f "$CONF" -c 'list; sh' >/dev/null 2>&1
	check "the shell does not even fork" [ "$(grep -cE 'fork|clone' "$TMP/strace")" -eq 0 ]
else
	echo "# strace not installed: process checks skipped"
fi
check "no file was created by a substitution" [ ! -e "$TMP/pwned" ]

done_testing

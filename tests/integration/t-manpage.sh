#!/bin/bash
# The command table, `help` and ie-vshell(1) agree: every command the shell
# lists is documented, every documented command exists, and the pages
# render without warnings.
. "$(dirname "$0")/lib.sh"

MAN="$top_srcdir/man/ie-vshell.1"
"$SH" -f /dev/null -c help >"$OUT" 2>"$ERR"
RC=$?
check "help works without a broker" rc_is 0
cmds=$(sed -n 's/^  \([a-z]\+\).*/\1/p' "$OUT")
check "help lists commands" [ -n "$cmds" ]
for c in $cmds; do
	check "$c is in ie-vshell.1" grep -q "^\.B $c\$" "$MAN"
	"$SH" -f /dev/null -c "help $c" >"$OUT" 2>"$ERR"; RC=$?
	check "help $c works" rc_is 0
done
# The COMMANDS section documents nothing the shell does not have.
documented=$(sed -n '/^\.SH COMMANDS/,/^\.SH /s/^\.B \([a-z]\+\)$/\1/p' "$MAN")
check "the COMMANDS section is found" [ -n "$documented" ]
for c in $documented; do
	"$SH" -f /dev/null -c "help $c" >"$OUT" 2>"$ERR"; RC=$?
	check "documented $c is a real command" rc_is 0
done
if command -v groff >/dev/null 2>&1; then
	for m in "$top_srcdir"/man/*.[158]; do
		w=$(groff -man -ww -z "$m" 2>&1)
		check "$(basename "$m") renders without warnings" [ -z "$w" ]
	done
else
	echo "# groff not installed: rendering not checked"
fi
done_testing

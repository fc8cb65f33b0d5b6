#!/bin/bash
# The audit log: one line per decision of the broker (granted, failed,
# denied, refused by the shell), with outside strings escaped and capped.
. "$(dirname "$0")/lib.sh"

start_vmd || exit 1
audit() { grep -c ' audit: ' "$TMP/vmd.log"; }
# settled N: the shell's notes get no answer, so their lines may land a
# moment after the shell has gone: wait (up to 10 s) for N new lines, and
# a little longer for any extra one.
settled() {
	for _ in $(seq 100); do
		[ $(( $(audit) - before )) -ge "$1" ] && break
		sleep 0.1
	done
	sleep 0.3
	[ $(( $(audit) - before )) -eq "$1" ]
}

before=$(audit)
n=0
for cmd in 'define web' 'start web' 'start web' 'list' 'start nosuch' \
    'define Bad' 'list --all' 'dumpxml web' 'destroy web' 'undefine web' \
    'frobnicate' 'list; sh' 'quota'; do
	vsh -c "$cmd"
	n=$((n + 2))	# the connection, then the command
done
check "one audit line per decision ($n expected)" settled $n
check "granted: result=ok" grep -q 'cmd=define args=\["web"\] result=ok' "$TMP/vmd.log"
check "failed: result=failed with the reason" grep -q 'cmd=start args=\["web"\] result=failed reason="web is already running"' "$TMP/vmd.log"
check "denied: result=denied" grep -q 'cmd=list args=\["--all"\] result=denied' "$TMP/vmd.log"
check "usage: result=usage" grep -q 'cmd=frobnicate args=\[\] result=usage\|cmd=(refused by the shell) args=\["unknown command .frobnicate' "$TMP/vmd.log"
check "refused by the shell: recorded" grep -q 'cmd=(refused by the shell).*"list;" "sh"\] result=refused' "$TMP/vmd.log"
check "every line names uid and user" sh -c "! grep ' audit: ' '$TMP/vmd.log' | grep -v 'audit: uid=$(id -u) user=$(id -un) '"

# Escape sequences, format directives and 100 KB of text: one line,
# escaped, capped.
big=$(head -c 100000 /dev/zero | tr '\0' A)
before=$(audit)
vsh -c "start $(printf 'x\033]0;owned\007')%n%n%s$big"
check "the huge command is refused" [ "$RC" -ne 0 ]
check "it produced one audit line (after the connection's)" settled 2
last=$(grep ' audit: ' "$TMP/vmd.log" | tail -n 1)
check "no raw escape character in the log" sh -c "! grep -q \$'\\x1b' '$TMP/vmd.log'"
check "no raw BEL in the log" sh -c "! grep -q \$'\\x07' '$TMP/vmd.log'"
check "the escape is written visibly" grep -q 'x\\x1b]0;owned\\x07%n%n%s' <<<"$last"
check "the line is capped (${#last} bytes)" [ "${#last}" -lt 1200 ]
check "and says how long the input was" grep -q '(100[0-9]* bytes)' <<<"$last"

# The same through the broker's own path: a 3 KB word with escapes.
word=$(printf '\033[2J%%n%.0s' $(seq 500))
before=$(audit)
vsh -c "start $word"
check "a long escaped word: one line" settled 2
last=$(grep ' audit: ' "$TMP/vmd.log" | tail -n 1)
check "capped (${#last} bytes)" [ "${#last}" -lt 1200 ]
check "escaped" grep -q '\\x1b\[2J%n' <<<"$last"
done_testing

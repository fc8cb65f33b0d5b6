#!/usr/bin/python3
"""The student example of README.md ("For students"), run as written: each
command after an "ie-vshell> " prompt of its first block is typed at the
prompt of a real ssh session, in order, and the first line of each answer
(every line, for the tables in WHOLE) is compared with the README's,
numbers aside.  A few answers depend on the guest or on the host rather
than on ie-vshell: DEPENDS says what is checked of those instead, and
why.

usage: readme.py SSH-COMMAND...   (environment: README, TMP)"""

import os
import re
import sys

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import ptydrive as pd  # noqa: E402  the shared prompt helpers

PROMPT = "ie-vshell> "
WHOLE = ("list", "quota")
DEPENDS = {
    "ip": (r"MAC 52:54:00:[0-9a-f:]+ .*",
           "the e2e guests' network (QEMU's user mode) hands out addresses "
           "that libvirt does not see"),
    "dumpxml": (r"<domain type='(kvm|qemu)' id='[0-9]+'>",
                "the e2e template's domain type is qemu (TCG)"),
    "shutdown": (r"web (has shut down|did not stop within 30 s; powered "
                 r"it off)",
                 "the test guest ignores ACPI, so --force powers it off"),
}


def steps(path):
    """[(command, [lines of its answer])] of the example."""
    text = open(path).read()
    block = text.split("\n## For students\n", 1)[1].split("```\n", 2)[1]
    out = []
    for line in block.splitlines():
        if line.startswith(PROMPT):
            out.append((line[len(PROMPT):], []))
        elif out:
            out[-1][1].append(line)
    return out


def pattern(line):
    """The README's line as a pattern: any number for a number, any run of
    blanks for a run of blanks."""
    return r"\s+".join(re.sub(r"[0-9]+", "[0-9]+", re.escape(w))
                       for w in line.split())


def screen_lines(text):
    """What a terminal shows of text: escape sequences out, and of a line
    rewritten with CR (progress) only its last state."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    lines = []
    for line in text.split("\n"):
        parts = [p for p in line.split("\r") if p.strip()]
        if parts:
            lines.append(parts[-1].strip())
    return lines


def answer(p, cmd, timeout):
    pd.drain(p)
    p.sendline(cmd)
    try:
        p.expect_exact(PROMPT, timeout=timeout)
    except (pexpect.TIMEOUT, pexpect.EOF):
        return None
    return screen_lines(p.before)[1:]   # the echoed command first


def console(p, cmd, want):
    """The console attaches with the README's line, the test guest's shell
    answers (the README shows a Debian guest's login), Ctrl-] leaves with
    the README's last line."""
    pd.drain(p)
    p.sendline(cmd)
    try:
        p.expect(pattern(want[0]), timeout=20)
        attached = True
    except (pexpect.TIMEOUT, pexpect.EOF):
        attached = False
    pd.ok(attached, "%s: %s" % (cmd, want[0]))
    p.send("\r")
    try:
        p.expect_exact("guest# ", timeout=60)
        pd.ok(True, "%s: the guest answers on its console" % cmd)
    except (pexpect.TIMEOUT, pexpect.EOF):
        pd.ok(False, "%s: the guest answers on its console" % cmd)
    p.sendcontrol("]")
    try:
        p.expect_exact(want[-1], timeout=20)
        p.expect_exact(PROMPT, timeout=20)
        left = True
    except (pexpect.TIMEOUT, pexpect.EOF):
        left = False
    pd.ok(left, "%s: %s, back at the prompt" % (cmd, want[-1]))


def check(p, cmd, want):
    word = cmd.split()[0]
    got = answer(p, cmd, 120) or [None]
    if word in DEPENDS:
        pat, why = DEPENDS[word]
        pats, what = [pat], "%s (%s)" % (pat, why)
    else:
        n = len(want) if word in WHOLE else 1
        pats, what = [pattern(w) for w in want[:n]], " | ".join(want[:n])
    same = len(got) >= len(pats) and all(
        g is not None and re.fullmatch(w, g) is not None
        for w, g in zip(pats, got))
    pd.ok(same and not (got[0] or "error:").startswith("error:"),
          "%s: %s (got %r)" % (cmd, what, got[:len(pats)]))


def main():
    env = {"TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    p = pexpect.spawn(sys.argv[1], sys.argv[2:], env=env, encoding="utf-8",
                      timeout=30, dimensions=(24, 80))
    p.logfile_read = open(os.path.join(os.environ["TMP"], "readme.log"), "a")
    pd.ok(pd.prompt(p), "over ssh, the prompt appears")
    example = steps(os.environ["README"])
    pd.ok(len(example) >= 10, "the README's example has %d commands"
          % len(example))
    for cmd, want in example:
        if cmd.split()[0] == "console":
            console(p, cmd, want)
        else:
            check(p, cmd, want)
    st = pd.finish(p)
    pd.ok(st == 0, "Ctrl-D logs out (%r)" % st)
    print("# readme: %d passed, %d failed" % (pd.passes, pd.failures))
    sys.exit(1 if pd.failures else 0)


main()

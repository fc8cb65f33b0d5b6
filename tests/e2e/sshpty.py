#!/usr/bin/python3
"""A student at a terminal, through OpenSSH's ssh: the prompt, tab
completion, Ctrl-C and Ctrl-D, with the login shell on the far side of a
real sshd.  The VM `web` is running when this starts.  Other scenarios
(SCENARIO=...): admin-console; import-ctrl-c and import-drop, which start
`define NAME IMAGE` (environment: VM, IMAGE) and cancel its import with
Ctrl-C or by killing ssh.

usage: sshpty.py SSH-COMMAND...   (environment: TMP; SCENARIO=admin-console
with VM and STOP_ARGV, or SCENARIO=disk-write with VM and MARK, runs that
scenario instead)"""

import os
import json
import re
import signal
import subprocess
import sys
import time

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import ptydrive as pd  # noqa: E402  the shared prompt helpers


def console(p):
    """start web, then console web: the boot line, the guest's shell
    answers, Ctrl-C reaches the guest, Ctrl-] comes back to a restored
    terminal."""
    out = pd.run(p, "start web")
    pd.ok(out is not None and "started web" in out, "start web")
    p.sendline("console web")
    pd.ok(expect(p, "connected to web; Ctrl-] leaves"), "console web attaches")
    p.expect_exact(os.environ["GUEST_LINE"], timeout=120)
    pd.ok(True, "the guest's boot line appears on the console")
    p.send("\r")
    pd.ok(expect(p, "guest# "), "the guest's shell prompt appears")
    p.send("echo $((6 * 7))\r")
    pd.ok(expect(p, "\n42"), "a typed command runs in the guest")
    p.send("echo sleeping; sleep 60 && echo slept\r")
    expect(p, "\nsleeping")
    time.sleep(1)       # sleep has started, even under TCG
    p.sendcontrol("c")
    p.send("echo after-ctrl-c\r")
    pd.ok(expect(p, "\nafter-ctrl-c") and "slept" not in p.before,
          "Ctrl-C reaches the guest and stops its sleep")
    p.sendcontrol("]")
    pd.ok(expect(p, "left the console"), "Ctrl-] leaves the console")
    pd.ok(pd.prompt(p), "back at the ie-vshell> prompt")
    out = pd.run(p, "list")
    pd.ok(out is not None and "\r\n" in out and
          re.search(r"web\s+running", out),
          "the terminal is restored (output ends lines with CR LF): %r"
          % out)


def takeover(p):
    """One console user per VM: a second session is refused, unless it
    says --force, which takes the console from the first."""
    pd.drain(p)
    p.sendline("console web")
    expect(p, "Ctrl-] leaves")
    q = spawn(["console", "web"])
    q.expect(pexpect.EOF)
    q.close()
    pd.ok(q.exitstatus == 1 and "in use by another session" in q.before,
          "a second console session is refused: %r" % q.before)
    q = spawn(["console", "web", "--force"])
    pd.ok(expect(q, "connected to web"), "console --force attaches")
    pd.ok(expect(p, "the console closed"),
          "and the first session is told its console closed")
    pd.ok(pd.prompt(p), "and is back at its prompt")
    q.send("\r")
    pd.ok(expect(q, "guest# "), "the new session has the guest's shell")
    # A guest that prints without end does not keep Ctrl-] waiting.
    q.send("yes flood\r")
    expect(q, "flood\r\nflood")
    time.sleep(1)
    q.sendcontrol("]")
    try:
        q.expect(pexpect.EOF, timeout=30)
    except pexpect.TIMEOUT:
        pass
    q.close(force=True)
    pd.ok(q.exitstatus == 0, "Ctrl-] leaves during a flood of output, "
          "ssh host console web exits 0 (%r)" % q.exitstatus)


def spawn(extra):
    env = {"TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    p = pexpect.spawn(sys.argv[1], sys.argv[2:] + extra, env=env,
                      encoding="utf-8", timeout=20, dimensions=(24, 100))
    p.logfile_read = open(os.path.join(os.environ["TMP"], "sshpty.log"), "a")
    return p


def expect(p, text):
    try:
        p.expect_exact(text)
        return True
    except (pexpect.TIMEOUT, pexpect.EOF):
        return False


def admin_console():
    """An admin on a student's console (USER/NAME): what the student's
    guest prints reaches the admin's terminal with its escape sequences
    shown, not obeyed."""
    p = spawn(["console", os.environ["VM"]])
    pd.ok(expect(p, "shown escaped"), "the admin is told output is escaped")
    p.send("\r")
    pd.ok(expect(p, "guest#"), "the guest's shell answers")
    p.send("printf 'A\\033]0;pwned\\007B\\033[2JC\\n'\r")
    pd.ok(expect(p, "A\\x1b]0;pwned\\x07B\\x1b[2JC"),
          "the guest's escape sequences are shown escaped")
    pd.ok("\x1b]0;pwned" not in p.before and "\x1b[2J" not in p.before,
          "and none reaches the terminal raw")
    # The VM stops under the console: the console says so and ends.
    subprocess.run(json.loads(os.environ["STOP_ARGV"]), check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pd.ok(expect(p, "the console closed: the VM stopped"),
          "when the VM stops, the console says so")
    p.expect(pexpect.EOF)
    p.close()
    pd.ok(p.exitstatus == 0, "and ends (%r)" % p.exitstatus)


def import_started():
    """At the prompt, define VM from IMAGE, until its conversion shows."""
    p = spawn([])
    pd.ok(pd.prompt(p), "over ssh, the prompt appears")
    p.sendline("define %s %s" % (os.environ["VM"], os.environ["IMAGE"]))
    pd.ok(expect(p, "converting"), "define shows the conversion's progress")
    return p


def import_ctrl_c():
    """Ctrl-C while define imports: cancelled, said so, back at the
    prompt."""
    p = import_started()
    p.sendcontrol("c")
    pd.ok(expect(p, "cancelled"), "Ctrl-C cancels the import, and says so")
    pd.ok(pd.prompt(p), "back at the prompt")
    out = pd.run(p, "list")
    pd.ok(out is not None and os.environ["VM"] not in out,
          "list shows no VM of that name (%r)" % out)
    st = pd.finish(p)
    pd.ok(st == 0, "Ctrl-D logs out (got %r)" % st)


def import_drop():
    """ssh killed while define imports: the terminal hangs up."""
    p = import_started()
    p.kill(signal.SIGKILL)
    p.close(force=True)


def disk_write():
    """On VM's console, the guest writes MARK near the end of its disk
    (/dev/vda) and flushes it; Ctrl-] leaves."""
    p = spawn(["console", os.environ["VM"]])
    pd.ok(expect(p, "connected to"), "the console attaches")
    p.send("\r")
    pd.ok(expect(p, "guest# "), "the guest's shell answers")
    p.send("[ -b /dev/vda ] && echo %s | dd of=/dev/vda bs=512 "
           "seek=$(( $(cat /sys/block/vda/size) - 8 )) 2>/dev/null && "
           "sync && echo wrote-$((6 * 7))\r" % os.environ["MARK"])
    pd.ok(expect(p, "wrote-42"), "the guest wrote to its disk")
    p.sendcontrol("]")
    p.expect(pexpect.EOF)
    p.close()
    pd.ok(p.exitstatus == 0, "Ctrl-] leaves (%r)" % p.exitstatus)


def main():
    scenario = {"admin-console": admin_console,
                "import-ctrl-c": import_ctrl_c,
                "import-drop": import_drop,
                "disk-write": disk_write}.get(os.environ.get("SCENARIO"))
    if scenario is not None:
        scenario()
        print("# sshpty: %d passed, %d failed" % (pd.passes, pd.failures))
        sys.exit(1 if pd.failures else 0)
    p = spawn([])
    pd.ok(pd.prompt(p), "over ssh, the prompt appears")
    console(p)
    p.send("def\t")
    out = pd.run(p, "www")
    pd.ok(out is not None and "defined www" in out,
          "Tab completes 'def' to 'define ' (%r)" % out)
    p.send("start w\t")
    try:
        p.expect(r"web\s+www")
        p.expect_exact(pd.PROMPT + "start w")
        listed = True
    except (pexpect.TIMEOUT, pexpect.EOF):
        listed = False
    pd.ok(listed, "Tab lists the VM names, then redraws the line")
    p.sendcontrol("c")
    pd.ok(pd.prompt(p), "Ctrl-C abandons the line")
    p.send("destroy web")
    p.sendcontrol("c")
    pd.ok(pd.prompt(p), "Ctrl-C again gives a fresh prompt")
    out = pd.run(p, "list")
    pd.ok(out is not None and re.search(r"web\s+running", out),
          "the abandoned destroy did not run (%r)" % out)
    takeover(p)
    out = pd.run(p, "undefine www --disk")
    pd.ok(out is not None and "undefined www and deleted its disk" in out,
          "undefine www --disk")
    out = pd.run(p, "sh")
    pd.ok(out is not None and "unknown command" in out,
          "sh at the prompt is an unknown command")
    st = pd.finish(p)
    pd.ok(st == 0, "Ctrl-D logs out, ssh exits with status 0 (got %r)" % st)
    print("# sshpty: %d passed, %d failed" % (pd.passes, pd.failures))
    sys.exit(1 if pd.failures else 0)


main()

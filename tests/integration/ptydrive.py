#!/usr/bin/python3
"""Drives ie-vshell through a pseudo-terminal, as a student at a terminal
would: prompt, tab completion, Ctrl-C, Ctrl-D, history.  Scenarios are
called by the t-*.sh scripts, which set up the broker (see lib.sh).

usage: ptydrive.py SCENARIO   (environment: SH, CONF, TMP, and for some
scenarios VMD_RESTART, USER_A, USER_B)"""

import os
import pwd
import re
import subprocess
import sys

import pexpect

PROMPT = "ie-vshell> "
# An answer may take longer with the broker under valgrind (CI's valgrind
# tier), more so on a loaded machine.
TIMEOUT = 30 if os.environ.get("VMD_WRAPPER") else 10
failures = 0
passes = 0


def ok(cond, what):
    global failures, passes
    if cond:
        passes += 1
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - " + what)


def spawn(user=None, argv0=None):
    """The shell as a login shell would run it, optionally as another user."""
    sh, conf = os.environ["SH"], os.environ["CONF"]
    cmd, args = sh, ["-f", conf]
    if user is not None:
        pw = pwd.getpwnam(user)
        cmd = "/usr/bin/setpriv"
        args = ["--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                "--init-groups", "--", sh, "-f", conf]
    env = {"TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    if "EDITRC" in os.environ:
        env["EDITRC"] = os.environ["EDITRC"]
    if user is not None:
        env["HOME"] = pwd.getpwnam(user).pw_dir
    p = pexpect.spawn(cmd, args, env=env, encoding="utf-8",
                      timeout=TIMEOUT, dimensions=(24, 100))
    p.logfile_read = open(os.path.join(os.environ["TMP"], "pty-%s.log" %
                                       (user or "self")), "a")
    return p


def prompt(p):
    try:
        p.expect_exact(PROMPT)
        return True
    except (pexpect.TIMEOUT, pexpect.EOF):
        return False


def drain(p):
    """Discards output not yet read (a prompt redrawn after a listing)."""
    try:
        while True:
            p.read_nonblocking(4096, timeout=0.3)
    except (pexpect.TIMEOUT, pexpect.EOF):
        pass
    p.buffer = ""


def tab(p, typed, shows):
    """Types a partial line and Tab, then waits until the completion
    (shows) is on the screen, so that the Enter that follows cannot
    overtake a slow answer from the broker."""
    p.send(typed + "\t")
    try:
        p.expect_exact(shows)
    except (pexpect.TIMEOUT, pexpect.EOF):
        pass


def run(p, line):
    """Types a line, returns what the shell printed before the next prompt."""
    drain(p)
    p.sendline(line)
    if not prompt(p):
        return None
    out = p.before
    # Drop the echoed command line itself.
    return out.split("\n", 1)[1] if "\n" in out else ""


def finish(p):
    p.sendcontrol("d")
    try:
        p.expect(pexpect.EOF)
    except pexpect.TIMEOUT:
        p.terminate(force=True)
    p.close()
    return p.exitstatus


def scenario_interactive():
    p = spawn(os.environ.get("USER_A"))
    ok(prompt(p), "the prompt appears")
    # Tab completes a command name; a second Tab lists choices.
    # The screen shows cursor moves, so completion is judged by effect.
    tab(p, "def", "ine ")
    out = run(p, "web")
    ok(out is not None and "defined web" in out,
       "Tab completes 'def' to 'define '")
    run(p, "define www")
    p.send("start w\t")
    try:
        p.expect(r"web\s+www")
        p.expect_exact(PROMPT + "start w")
        listed = True
    except (pexpect.TIMEOUT, pexpect.EOF):
        listed = False
    ok(listed, "Tab lists both VM names, then redraws the line")
    tab(p, "e", "b ")
    out = run(p, "")
    ok(out is not None and "started web" in out,
       "Tab completes the user's own VM name (%r)" % out)
    # Ctrl-C abandons the line: the VM keeps running.
    p.send("destroy web")
    p.sendcontrol("c")
    ok(prompt(p), "Ctrl-C gives a fresh prompt")
    out = run(p, "list")
    ok(out is not None and re.search(r"web\s+running", out),
       "the abandoned destroy did not run")
    # Emacs bindings: Ctrl-A moves to the start of the line.
    p.send("ist")
    p.sendcontrol("a")
    out = run(p, "l")
    ok(out is not None and re.search(r"www\s+shut off", out),
       "emacs keys: Ctrl-A then 'l' makes 'list'")
    # History: Up recalls the last command.
    p.send("\x1b[A")
    out = run(p, "")
    ok(out is not None and re.search(r"www\s+shut off", out),
       "Up arrow recalls 'list'")
    out = run(p, "help")
    ok(out is not None and "dumpxml" in out, "help lists the commands")
    out = run(p, "sh -c id")
    ok(out is not None and "unknown command" in out and "uid=" not in out,
       "sh is refused at the prompt")
    out = run(p, "list; id")
    ok(out is not None and "uid=" not in out, "list; id is refused")
    out = run(p, "define 'bad name'")
    ok(out is not None and "invalid VM name" in out, "bad name refused")
    ok(run(p, "list") is not None, "the shell goes on after errors")
    st = finish(p)
    ok(st == 0, "Ctrl-D leaves with status 0 (got %r)" % st)
    home = os.environ.get("HISTHOME")
    if home:
        hist = os.path.join(home, ".ie-vshell_history")
        # libedit writes history vis(3)-encoded: a blank is \\040.
        ok(os.path.exists(hist) and
           re.search(r"define(\\040| )web", open(hist).read()),
           "history is kept in ~/.ie-vshell_history")
    # exit, quit, logout all leave.
    for word in ("exit", "quit", "logout"):
        p = spawn(os.environ.get("USER_A"))
        prompt(p)
        p.sendline(word)
        try:
            p.expect(pexpect.EOF)
            left = True
        except pexpect.TIMEOUT:
            left = False
        p.close()
        ok(left and p.exitstatus == 0, "'%s' leaves with status 0" % word)


def scenario_restart():
    p = spawn()
    ok(prompt(p), "the prompt appears")
    out = run(p, "define before")
    ok(out is not None and "defined before" in out, "a command works")
    subprocess.run(["/bin/sh", "-c", os.environ["VMD_RESTART"]], check=True)
    out = run(p, "define after")
    ok(out is not None and "defined after" in out,
       "after the broker restarted, the next command succeeds")
    out = run(p, "list")
    ok(out is not None and "after" in out, "and the session goes on")
    ok(finish(p) == 0, "Ctrl-D leaves")


def scenario_two_users():
    a, b = os.environ["USER_A"], os.environ["USER_B"]
    pa, pb = spawn(a), spawn(b)
    ok(prompt(pa) and prompt(pb), "both users get a prompt")
    oa = run(pa, "define web")
    ob = run(pb, "define web")
    ok(oa is not None and "defined web" in oa and
       ob is not None and "defined web" in ob,
       "both define a VM named web at once")
    run(pa, "start web")
    oa, ob = run(pa, "list"), run(pb, "list")
    ok(oa is not None and re.search(r"web\s+running", oa),
       "%s sees their web running" % a)
    ok(ob is not None and re.search(r"web\s+shut off", ob),
       "%s sees their own web, shut off" % b)
    ob = run(pb, "destroy %s/web" % a)
    ok(ob is not None and "permission denied" in ob,
       "%s cannot destroy %s/web" % (b, a))
    oa = run(pa, "list")
    ok(oa is not None and re.search(r"web\s+running", oa),
       "%s's web still runs" % a)
    tab(pb, "start w", "eb ")
    ob = run(pb, "")
    ok(ob is not None and "started web" in ob,
       "completion offers only %s's own names" % b)
    ok(finish(pa) == 0 and finish(pb) == 0, "both leave with Ctrl-D")


def complete(p, typed):
    """Types a partial line and Tab, Tab; returns what the shell showed."""
    drain(p)
    p.send(typed + "\t\t")
    try:
        p.expect_exact(PROMPT, timeout=3)
    except (pexpect.TIMEOUT, pexpect.EOF):
        pass
    shown = p.before
    p.sendcontrol("c")
    prompt(p)
    return shown


def scenario_banner():
    """USER_A has a running VM web with a snapshot 'before', an upload,
    and a quota; USER_B has nothing."""
    a, b = os.environ["USER_A"], os.environ["USER_B"]
    pa = spawn(a)
    ok(prompt(pa), "the prompt appears")
    banner = pa.before
    ok(re.search(r"web\s+running\s+[0-9.]+", banner),
       "the banner lists web, running, with its address (%r)" % banner)
    ok("Quota:" in banner and "1 of 5 VMs" in banner,
       "the banner shows quota use")
    pb = spawn(b)
    ok(prompt(pb), "the other user's prompt appears")
    ok("no VMs yet" in pb.before and "web" not in pb.before,
       "the other user's banner shows none of %s's VMs" % a)
    finish(pb)
    out = complete(pa, "snapshot web ")
    ok(all(w in out for w in ("create", "list", "revert", "delete")),
       "Tab offers the snapshot actions (%r)" % out)
    tab(pa, "snapshot web revert bef", "ore ")
    out = run(pa, "")
    ok(out is not None and "reverted web to snapshot before" in out,
       "Tab completes the snapshot name (%r)" % out)
    out = complete(pa, "shutdown web --")
    ok("--timeout" in out and "--force" in out,
       "Tab offers shutdown's options")
    tab(pa, "info w", "eb ")
    out = run(pa, "")
    ok(out is not None and "state:" in out, "Tab completes a VM for info")
    out = complete(pa, "define x pl")
    ok("ain.img" in out, "Tab offers an upload for define's IMAGE")
    out = complete(pa, "define x we")
    ok("ird" not in out, "but not a name that would need quoting")
    out = complete(pa, "help sn")
    ok("apshot" in out, "Tab completes a command name after help")
    ok(finish(pa) == 0, "Ctrl-D leaves")


def scenario_bases():
    """USER_A may copy the base images deb and tiny; Tab offers them."""
    pa = spawn(os.environ["USER_A"])
    ok(prompt(pa), "the prompt appears")
    out = complete(pa, "define x --base ")
    ok("deb" in out and "tiny" in out,
       "Tab offers the base images for define's --base (%r)" % out)
    out = complete(pa, "images --")
    ok("--base" in out, "Tab offers images --base (%r)" % out)
    tab(pa, "define tabbed --base d", "eb ")
    out = run(pa, "")
    ok(out is not None and "disk copied from base deb" in out,
       "Tab completes a base image's name (%r)" % out)
    ok(finish(pa) == 0, "Ctrl-D leaves")


if __name__ == "__main__":
    globals()["scenario_" + sys.argv[1]]()
    print("# pty %s: %d passed, %d failed" % (sys.argv[1], passes, failures))
    sys.exit(1 if failures else 0)

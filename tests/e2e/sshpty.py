#!/usr/bin/python3
"""A student at a terminal, through OpenSSH's ssh: the prompt, tab
completion, Ctrl-C and Ctrl-D, with the login shell on the far side of a
real sshd.  The VM `web` is running when this starts.

usage: sshpty.py SSH-COMMAND...   (environment: TMP)"""

import os
import re
import sys

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import ptydrive as pd  # noqa: E402  the shared prompt helpers


def main():
    env = {"TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    p = pexpect.spawn(sys.argv[1], sys.argv[2:], env=env, encoding="utf-8",
                      timeout=20, dimensions=(24, 100))
    p.logfile_read = open(os.path.join(os.environ["TMP"], "sshpty.log"), "a")
    pd.ok(pd.prompt(p), "over ssh, the prompt appears")
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
    out = pd.run(p, "undefine www")
    pd.ok(out is not None and "undefined www" in out, "undefine www")
    out = pd.run(p, "sh")
    pd.ok(out is not None and "unknown command" in out,
          "sh at the prompt is an unknown command")
    st = pd.finish(p)
    pd.ok(st == 0, "Ctrl-D logs out, ssh exits with status 0 (got %r)" % st)
    print("# sshpty: %d passed, %d failed" % (pd.passes, pd.failures))
    sys.exit(1 if pd.failures else 0)


main()

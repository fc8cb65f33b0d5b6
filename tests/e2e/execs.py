#!/usr/bin/python3
"""execs.py TRACE UID: the programs executed with effective uid UID, one per
line, from an `strace -f -e trace=execve,clone,clone3,fork,vfork,setresuid,
setreuid,setuid` log (pid-prefixed).  A process starts with its parent's
uid at the fork; sshd's children start as root.  Other uids' programs go to
stderr, for the test's log."""

import re
import sys

uid = {}
pending = {}    # pid: the program of an execve strace split in two lines
want = int(sys.argv[2])
call = re.compile(r"^(\d+) +(?:<\.\.\. )?(\w+)(?: resumed>|\()(.*)= (-?\d+)")
for line in open(sys.argv[1], errors="replace"):
    u = re.match(r'^(\d+) +execve\("([^"]*)".*<unfinished \.\.\.>', line)
    if u:
        pending[int(u[1])] = u[2]
        continue
    m = call.match(line)
    if not m:
        continue
    pid, name, args, ret = int(m[1]), m[2], m[3], int(m[4])
    if ret < 0:
        continue
    if name in ("clone", "clone3", "fork", "vfork") and ret > 0:
        uid[ret] = uid.get(pid, 0)
    elif name == "setresuid" or name == "setreuid":
        e = re.match(r"-?\d+, (-?\d+)", args)
        if e and int(e[1]) != -1:
            uid[pid] = int(e[1])
    elif name == "setuid":
        uid[pid] = int(args.split(")")[0])
    elif name == "execve":
        prog = re.match(r'"([^"]*)"', args)
        prog = prog[1] if prog else pending.pop(pid, "?")
        out = sys.stdout if uid.get(pid, 0) == want else sys.stderr
        print(prog, file=out)

#!/usr/bin/python3
"""Profiles one student's `list` on the real stack (bench/system.py's
setup: 300 domains on qemu:///system, under the e2e lock): the syscalls of
the broker per request (strace -c), where the broker and libvirtd spend
their CPU (perf), and the broker's instructions by function (callgrind).
Summaries go to stdout; see README.md for what they showed.

usage: profile.py --build DIR [--lists N] [--keep FILE]
                  [--tool strace|connect|perf|callgrind|memcheck|massif]
                  [--windows N] [--secs S]"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import system  # noqa: E402


def lists(st, n):
    """n list requests in one session of the first student; seconds."""
    s = system.Session(st.users[0], st.sock)
    s.send({"op": "list", "n": 20})         # warm up
    s.result()
    t = time.perf_counter()
    s.send({"op": "list", "n": n})
    r = s.result()
    dt = time.perf_counter() - t
    s.close()
    print("profile: %d lists in %.2f s, errors %s" % (
        n, dt, r.get("errors", [])))
    return dt


def connect(st, n):
    """Whole `ie-vshell -c list` processes: the shell's own CPU and
    syscalls, then the CPU the broker and libvirtd spend on each."""
    pw = st.users[0]
    env = {"PATH": "/usr/bin:/bin", "HOME": pw.pw_dir, "LANG": "C.UTF-8"}
    cmd = [st.shell, "-c", "list"]
    kw = dict(env=env, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
    subprocess.run(["perf", "stat", "-r", str(n), "-e",
                    "task-clock,context-switches"] + cmd,
                   stdout=subprocess.DEVNULL, **kw)
    subprocess.run(["strace", "-c", "-f"] + cmd,
                   stdout=subprocess.DEVNULL, **kw)
    p = subprocess.Popen(["perf", "stat", "-e", "task-clock", "-p",
                          "%d,%d" % (st.vmd.pid, libvirtd_pid())])
    time.sleep(1)
    t = time.perf_counter()
    for _ in range(n):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, **kw)
    print("profile: %d whole lists in %.3f s (perf stat below counts %d)"
          % (n, time.perf_counter() - t, n))
    p.send_signal(2)
    p.wait()
    s = system.Session(pw, st.sock)
    p = subprocess.Popen(["perf", "stat", "-e", "task-clock", "-p",
                          "%d,%d" % (st.vmd.pid, libvirtd_pid())])
    time.sleep(1)
    s.send({"op": "list", "n": n})
    s.result()
    p.send_signal(2)
    p.wait()
    s.close()
    print("profile: the last perf stat: %d lists in one session" % n)


def mix(st, windows, secs):
    """The broker under valgrind through windows of the 60-session mix
    (bench.py's scenario 2), for leaks and the heap over time."""
    sessions = [system.Session(pw, st.sock) for pw in st.users]
    for w in range(windows):
        t = time.monotonic()
        for s in sessions:
            s.send({"op": "mix", "secs": secs})
        outs = [s.result() for s in sessions]
        r = system.merge(outs, time.monotonic() - t)
        print("profile: window %d: %.2f starts + destroys/s, %d errors, "
              "RSS %d KiB" % (w + 1, r["ops_per_s"], len(r["errors"]),
                              system.rss_kib(st.vmd.pid)))
    for s in sessions:
        s.close()


def libvirtd_pid():
    """The libvirtd on the system socket, whoever started it: found by its
    socket, not by a pid file it may not have written."""
    # systemd may hold the socket too.
    for pid in system.socket_pids("/run/libvirt/libvirt-sock"):
        if system.alive(pid, system.LIBVIRTD):
            return pid
    raise RuntimeError("no libvirtd holds /run/libvirt/libvirt-sock")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--lists", type=int, default=1000)
    ap.add_argument("--keep", help="copy the raw profile here")
    ap.add_argument("--tool", default="strace",
                    choices=("strace", "perf", "callgrind", "connect",
                             "memcheck", "massif"))
    ap.add_argument("--windows", type=int, default=3,
                    help="memcheck, massif: windows of the 60-session mix")
    ap.add_argument("--secs", type=int, default=60,
                    help="memcheck, massif: seconds of each window")
    a = ap.parse_args()
    a.users = 60
    tmp = tempfile.mkdtemp(prefix="ievs-profile.")
    out = os.path.join(tmp, "out")
    wrap = ()
    if a.tool == "callgrind":
        wrap = ("valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                out)
    elif a.tool == "memcheck":
        wrap = ("valgrind", "-q", "--leak-check=full", "--show-leak-kinds="
                "definite,indirect,possible", "--num-callers=30",
                "--log-file=" + out)
    elif a.tool == "massif":
        wrap = ("valgrind", "--tool=massif", "--time-unit=ms",
                "--massif-out-file=" + out)
    res = {}
    st = system.Stack(a, tmp, res, wrap)
    try:
        if a.tool == "callgrind":
            lists(st, a.lists)
        elif a.tool in ("memcheck", "massif"):
            mix(st, a.windows, a.secs)
        elif a.tool == "connect":
            connect(st, a.lists // 20)
        elif a.tool == "strace":
            p = subprocess.Popen(["strace", "-f", "-c", "-o", out, "-p",
                                  str(st.vmd.pid)])
            time.sleep(1)
            lists(st, a.lists)
            p.terminate()
            p.wait()
        else:
            p = subprocess.Popen(["perf", "record", "-g", "-o", out, "-p",
                                  "%d,%d" % (st.vmd.pid, libvirtd_pid())],
                                 stderr=subprocess.DEVNULL)
            time.sleep(1)
            lists(st, a.lists)
            p.send_signal(2)
            p.wait()
    finally:
        st.close()
    if a.tool == "callgrind":
        subprocess.run(["callgrind_annotate", "--inclusive=yes", out])
        subprocess.run(["callgrind_annotate", out])
    elif a.tool == "connect":
        pass
    elif a.tool == "memcheck":
        with open(out) as f:
            text = f.read()
        sys.stdout.write(text or "profile: memcheck reported nothing\n")
    elif a.tool == "massif":
        subprocess.run(["ms_print", out])
    elif a.tool == "strace":
        with open(out) as f:
            sys.stdout.write(f.read())
    else:
        subprocess.run(["perf", "report", "-i", out, "--stdio",
                        "--no-children", "--sort", "comm,dso,sym",
                        "--percent-limit", "1", "-g", "none"])
    if a.keep and os.path.exists(out):
        subprocess.run(["cp", out, a.keep])
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()

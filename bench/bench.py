#!/usr/bin/python3
"""ie-vshell benchmarks, each compared with a baseline measured in the same
run (see README.md).  Machines here are noisy: every figure is a median
with its spread over repeated runs, and every comparison is a ratio of two
figures measured side by side.

usage: bench.py --build DIR [--out FILE] [--runs N] [--import-runs N]
                [--soak SECONDS] [--windows N] [--base-windows N]
                [--min-window SECONDS] [--only-mix] [--base-shared]
                [--libvirtd-conf FILE] [--vmd-nice N]
                [--login-runs N] [--users N] [--no-system]
                [--only-import] [--base-runs N] [--only-base]
                [--tmpdir DIR] [--upload-runs N] [--only-upload]
                [--only-hosts] [--only-creds] [--creds-runs N]
                [--creds-accel auto|tcg]"""

import argparse
import datetime
import os
import platform
import pty
import select
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USERS, PER_USER = 60, 5


T0 = time.monotonic()


def clock():
    """Time since the start, for progress lines."""
    return "[%4.0f s]" % (time.monotonic() - T0)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def fmt_ms(xs):
    return "%.2f ms (p10 %.2f, p90 %.2f, n=%d)" % (
        statistics.median(xs) * 1e3, pct(xs, 10) * 1e3, pct(xs, 90) * 1e3,
        len(xs))


def node_xml(path, me):
    """300 domains: 60 owners x 5, the first owner being the benchmark's
    own uid; every tenth one running."""
    owners = [me] + [20000 + i for i in range(1, USERS)]
    with open(path, "w") as f:
        f.write("<node><cpu><mhz>2000</mhz></cpu>\n")
        n = 0
        for uid in owners:
            for k in range(PER_USER):
                n += 1
                f.write(
                    "<domain type='test'><name>u%d_vm%d</name>"
                    "<metadata><ievs:owner xmlns:ievs='urn:ie-vshell:owner:1'"
                    " uid='%d' user='u%d' vm='vm%d'/></metadata>"
                    "<memory>65536</memory><os><type>hvm</type></os>"
                    "</domain>\n" % (uid, k, uid, uid, k))
        f.write("</node>\n")


class Broker:
    def __init__(self, build, tmp, uri, extra=""):
        self.sock = os.path.join(tmp, "ie-vmd.sock")
        self.conf = os.path.join(tmp, "ie-vshell.conf")
        with open(self.conf, "w") as f:
            f.write("[daemon]\nsocket = %s\n[libvirt]\nuri = %s\n"
                    "[storage]\npool_dir = %s/pool\nbase_dir = %s/base\n"
                    "[templates]\ndir = %s\n"
                    "[upload]\ndir = %s/upload/%%u\n"
                    "[limits]\nrequests_per_minute = 1000000\n"
                    "sessions_per_user = 1024\n[quota]\nvms = unlimited\n"
                    % (self.sock, uri, tmp, tmp,
                       os.path.join(TOP, "templates"), tmp) + extra)
        self.log = open(os.path.join(tmp, "ie-vmd.log"), "w")
        self.p = subprocess.Popen(
            [os.path.join(build, "src/daemon/ie-vmd"), "-F", "-f",
             self.conf], stderr=self.log)
        for _ in range(100):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)

    def stop(self):
        self.p.terminate()
        self.p.wait()
        self.log.close()


def frame(words):
    body = struct.pack(">BBBBHHI", 1, 1, 0, 0, 1, 0, len(words))
    for w in words:
        w = w.encode()
        body += struct.pack(">I", len(w)) + w
    return struct.pack(">I", len(body)) + body


def hello_frame(locale="C"):
    """What the shell says first on a connection: its messages' locale."""
    body = struct.pack(">BBBBHHI", 1, 3, 0, 0, 1, 0, 1)
    w = locale.encode()
    body += struct.pack(">I", len(w)) + w
    return struct.pack(">I", len(body)) + body


def recv_frame(s):
    def full(n):
        b = b""
        while len(b) < n:
            d = s.recv(n - len(b))
            if not d:
                raise EOFError
            b += d
        return b
    (n,) = struct.unpack(">I", full(4))
    return full(n)


def timed(cmd, runs, env=None):
    xs = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, env=env)
        xs.append(time.perf_counter() - t)
    return xs


def in_session(sock, runs):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(hello_frame())            # the shell's hello, then ours
    recv_frame(s)
    req = frame(["list"])
    xs = []
    for _ in range(runs):
        t = time.perf_counter()
        s.sendall(req)
        recv_frame(s)
        xs.append(time.perf_counter() - t)
    s.close()
    return xs


def idle_rss(argv, prompt, env, more=None):
    """RSS in KiB of an interactive program idle at its prompt; more, if
    given, gets its PSS and private KiB, and its RSS by mapping."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    buf, t0 = b"", time.time()
    while prompt not in buf and time.time() - t0 < 10:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    time.sleep(0.5)
    rss = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    if more is not None:
        more.append(smaps(pid))
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    os.close(fd)
    return rss


def smaps(pid):
    """PSS and private KiB of a process, and its RSS by mapped file."""
    r = {"pss": 0, "private": 0, "maps": {}}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, v = line.split()[:2]
            if k == "Pss:":
                r["pss"] = int(v)
            elif k in ("Private_Clean:", "Private_Dirty:"):
                r["private"] += int(v)
    cur = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            w = line.split()
            if not w[0].endswith(":"):
                cur = os.path.basename(w[5]) if len(w) > 5 else "[anon]"
            elif w[0] == "Rss:":
                r["maps"][cur] = r["maps"].get(cur, 0) + int(w[1])
    return r


def wall(cmd, env=None):
    t = time.monotonic()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def warm(path):
    """Reads a file into the page cache (again): this machine pages out
    cold page cache (a DAMON pageout scheme), so "warm" is made so."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def make_images(raw, qcow):
    """raw: 2 GiB, 1 GiB of random data then a hole; qcow: the same as
    qcow2."""
    subprocess.run("head -c 1G /dev/urandom > %s && truncate -s 2G %s"
                   % (raw, raw), shell=True, check=True)
    subprocess.run(["qemu-img", "convert", "-O", "qcow2", raw, qcow],
                   check=True)


def import_bench(shell, b, tmp, env, runs):
    """2 GiB images (1 GiB of data, then a hole) imported by the broker,
    against qemu-img convert and cp --sparse=always on the same file.
    Every run starts alike: the output of the one before is deleted (the
    broker's import undefined with its disk, as the tools' files are
    removed), the file system synced (no run pays for the writeback or the
    discards of another) and the source read into the page cache.  Page
    cache freed a moment ago is reused at once, while memory idle for a
    few seconds has gone back to the host (free page reporting) and costs
    about 1 s per GiB to fault in again here: before, the two runs after a
    broker's import met idle memory and the others freed memory.  The
    order of the six also rotates from run to run (a burst of writes
    slows the disk for what follows it)."""
    import pwd
    area = os.path.join(tmp, "upload", pwd.getpwuid(os.getuid()).pw_name)
    subprocess.run([shell, "-f", b.conf, "-c", "images"], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    raw = os.path.join(area, "bench.img")
    qcow = os.path.join(area, "bench.qcow2")
    make_images(raw, qcow)
    out = os.path.join(tmp, "out")
    conv = ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, out]
    # The broker syncs a disk before it moves it into place.
    steps = [
        ("qemu_img", raw, conv, None),
        ("qemu_img_sync", raw, ["sh", "-c", '"$@" && sync "$0"', out] +
         conv, None),
        ("ours_raw", raw, [shell, "-f", b.conf, "-c",
                           "define raw bench.img"], "raw"),
        ("ours_qcow2", qcow, [shell, "-f", b.conf, "-c",
                              "define q bench.qcow2"], "q"),
        ("cp", qcow, ["cp", "--sparse=always", qcow, out], None),
        ("cp_sync", qcow, ["sh", "-c", 'cp --sparse=always "$1" "$0" && '
                           'sync "$0"', out, qcow], None)]
    subprocess.run(["cp", qcow, out], check=True)  # the first finds it freed
    os.unlink(out)
    r = rotate(steps, runs, shell, b, tmp, env, out)
    os.unlink(raw)
    os.unlink(qcow)
    return r


def rotate(steps, runs, shell, b, tmp, env, out):
    """Runs each step (name, source, command, VM or None) runs times, the
    order rotating by two from run to run; before each, the file system
    synced and the source read into the page cache; after each, its
    output deleted (the VM undefined with its disk, or the file out)."""
    r = {k: [] for k, _, _, _ in steps}
    for i in range(runs):
        k = i * 2 % len(steps)
        for name, src, cmd, vm in steps[k:] + steps[:k]:
            warm(src)
            subprocess.run(["sync", "-f", tmp], check=True)
            r[name].append(wall(cmd, env if vm else None))
            if vm is None:
                os.unlink(out)
            else:
                subprocess.run([shell, "-f", b.conf, "-c", "undefine %s "
                                "--disk" % vm], env=env,
                               stdout=subprocess.DEVNULL, check=True)
    return r


def make_base(tmp):
    """The base image of scenario 6, made before the broker starts (it
    reads its base images at start): 2 GiB, qcow2, 1 GiB of data then a
    hole, in a directory only root may change."""
    d = os.path.join(tmp, "base")
    os.mkdir(d, 0o755)
    raw = os.path.join(tmp, "base-source.img")
    base = os.path.join(d, "bench.qcow2")
    make_images(raw, base)
    os.unlink(raw)
    return base


def base_bench(shell, b, tmp, env, runs, base):
    """define --base against cp --reflink=auto --sparse=always of the
    same base image, with and without a sync of the copy; run as the
    imports are (rotate)."""
    out = os.path.join(tmp, "out")
    cp = ["cp", "--reflink=auto", "--sparse=always", base, out]
    steps = [
        ("ours_base", base, [shell, "-f", b.conf, "-c",
                             "define cb --base bench"], "cb"),
        ("cp_base", base, cp, None),
        ("cp_base_sync", base, ["sh", "-c", '"$@" && sync "$0"', out] + cp,
         None)]
    subprocess.run(cp, check=True)     # the first finds the space freed
    os.unlink(out)
    r = rotate(steps, runs, shell, b, tmp, env, out)
    r["fs"] = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", tmp],
                             capture_output=True, text=True).stdout.strip()
    return r


def verdict(ok):
    return "met" if ok else "**missed**"


def fmt_s(xs):
    if max(xs) < 0.1:       # a reflink: milliseconds
        return "%.1f ms (%.1f-%.1f)" % (statistics.median(xs) * 1e3,
                                        min(xs) * 1e3, max(xs) * 1e3)
    return "%.2f s (%.2f-%.2f)" % (statistics.median(xs), min(xs), max(xs))


def import_section(im):
    """Section 4 of the results, and the ratios it reports."""
    med = {k: statistics.median(v) for k, v in im.items()}
    q = {"raw": med["qemu_img"] / med["ours_raw"],
         "qcow2": med["cp"] / med["ours_qcow2"],
         "raw_sync": med["qemu_img_sync"] / med["ours_raw"],
         "qcow2_sync": med["cp_sync"] / med["ours_qcow2"]}
    return """## 4. Import, 2 GiB images (1 GiB of data, then a hole), warm page cache

Whole `ie-vshell -c "define NAME IMAGE"` (broker on the test driver:
inspection, conversion or copy and check, all confined, then the define)
against the one tool doing the same data work, on the same file, in the
same run; %d runs each, median (min-max).  Before each run the file
system is synced and the source read into the page cache; the order of
the six rotates from run to run.

| what | time |
|---|---|
| raw: `define` (inspect, `qemu-img convert` confined, inspect, fsync) | %s |
| raw: `qemu-img convert -f raw -O qcow2` | %s |
| raw: the same, then `sync FILE` (fsync, as the broker does) | %s |
| ratio qemu-img / ie-vshell | %.2f (target >= 0.9: %s) |
| ratio qemu-img + fsync / ie-vshell | %.2f |
| qcow2: `define` (in-kernel sparse copy, inspect, `qemu-img check`, fsync) | %s |
| qcow2: `cp --sparse=always` | %s |
| qcow2: the same, then `sync FILE` | %s |
| ratio cp / ie-vshell | %.2f (target >= 0.9: %s) |
| ratio cp + fsync / ie-vshell | %.2f |

The broker writes each imported disk to stable storage (fsync) before it
moves it into the pool and defines a VM on it, so that a crash never leaves
a VM on a half-written disk; `qemu-img convert` and `cp` do not.  The rows
with `sync` give the tools the same guarantee.
""" % (
        len(im["cp"]), fmt_s(im["ours_raw"]), fmt_s(im["qemu_img"]),
        fmt_s(im["qemu_img_sync"]), q["raw"], verdict(q["raw"] >= 0.9),
        q["raw_sync"], fmt_s(im["ours_qcow2"]), fmt_s(im["cp"]),
        fmt_s(im["cp_sync"]), q["qcow2"], verdict(q["qcow2"] >= 0.9),
        q["qcow2_sync"]), q


def import_note(raw_sync, q_sync):
    """The closing note on imports, with this run's figures."""
    return """- **Import** (profiled: bench/README.md).  The broker fsyncs an
  imported disk before it defines a VM on it; `qemu-img convert` and `cp`
  stop when the data is in the page cache.  Most of an import is the disk
  writing the image: before the broker started writeback while the image
  is written, its final fsync alone took 1.2-1.4 s of a 1 GiB import.
  With the same guarantee (the rows with `sync`) the tools took %.2f
  (raw) and %.2f (qcow2) of the broker's time in this run.  Against the
  tools without it the target cannot be met while the fsync stays: they
  put 1 GiB into the page cache in about 0.5 s here, and the disk needs
  1.3 s or more to write it.
""" % (raw_sync, q_sync)


def base_section(bm):
    """Section 6 of the results."""
    med = {k: statistics.median(v) for k, v in bm.items() if k != "fs"}
    return """## 6. `define NAME --base B`, a 2 GiB base image (1 GiB of data, then a hole)

Whole `ie-vshell -c "define NAME --base B"` (broker on the test driver:
the quota checked, the base opened, copied in the kernel with holes kept,
the copy inspected and checked by `qemu-img`, confined, then synced and
renamed into the pool, and the define) against `cp --reflink=auto
--sparse=always` of the same file, in the same run; %d runs each, median
(min-max), prepared and rotated as the imports are.  The pool and the
base are on %s (a reflink where it can share blocks).

| what | time |
|---|---|
| `define NAME --base B` | %s |
| `cp --reflink=auto --sparse=always` | %s |
| the same, then `sync FILE` (fsync, as the broker does) | %s |
| ratio cp / ie-vshell | %.2f |
| ratio cp + fsync / ie-vshell | %.2f |
""" % (len(bm["ours_base"]), bm["fs"], fmt_s(bm["ours_base"]),
       fmt_s(bm["cp_base"]), fmt_s(bm["cp_base_sync"]),
       med["cp_base"] / med["ours_base"],
       med["cp_base_sync"] / med["ours_base"])


def shell_memory(sm):
    """What the idle shell's RSS is made of."""
    pss = statistics.median(m["pss"] for m in sm)
    priv = statistics.median(m["private"] for m in sm)
    maps = sm[0]["maps"]
    libs = sorted(maps.items(), key=lambda kv: -kv[1])[:9]
    return ("\nOf the idle `ie-vshell`'s RSS, most is pages of shared "
            "libraries, which every process using them shares: its PSS "
            "is %d KiB and its private pages %d KiB (median of 3).  RSS "
            "by mapping: %s.\n" % (pss, priv, ", ".join(
                "%s %d KiB" % kv for kv in libs)))


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    lv = subprocess.run(["virsh", "--version"], capture_output=True,
                        text=True).stdout.strip()
    try:
        st = os.stat("/dev/kvm")
        kvm = ("present" if (os.major(st.st_rdev), os.minor(st.st_rdev)) ==
               (10, 232) else "not the KVM device (a stand-in)")
    except FileNotFoundError:
        kvm = "absent"
    return ("%s, %d cores, kernel %s; libvirt %s; Python %s; /dev/kvm %s" % (
        model, os.cpu_count(), platform.release(), lv,
        platform.python_version(), kvm))


def test_driver(res, shell, b, uri, env, runs):
    """Scenarios 1 and 3 on the test driver, into res."""
    res["shell"] = timed([shell, "-f", b.conf, "-c", "list"], runs, env)
    res["virsh"] = timed(["/usr/bin/virsh", "-c", uri, "list", "--all"],
                         runs, env)
    res["session"] = in_session(b.sock, 20 * runs)
    res["smaps_shell"] = []
    res["rss_shell"] = [idle_rss([shell, "-f", b.conf], b"ie-vshell> ",
                                 env, res["smaps_shell"])
                        for _ in range(3)]
    res["rss_virsh"] = [idle_rss(["/usr/bin/virsh", "-c", uri],
                                 b"virsh # ", env) for _ in range(3)]
    res["rss_bash"] = [idle_rss(["/bin/bash", "--norc", "-i"], b"$ ",
                                dict(env, PS1="$ ")) for _ in range(3)]
    print("bench: %s test-driver scenarios done" % clock())


def test_driver_report(res):
    """Sections 1 and 3, and their targets."""
    ratio = statistics.median(res["shell"]) / statistics.median(res["virsh"])
    p50 = pct(res["session"], 50) * 1e3
    p99 = pct(res["session"], 99) * 1e3
    rs, rv, rb = (statistics.median(res[k]) for k in
                  ("rss_shell", "rss_virsh", "rss_bash"))
    text = """## 1. `list` latency, 300 domains (60 users x 5), test driver

Domains come from one node file that both sides load (`test://%s`-style
URI), so both list the same 300 domains.

| what | median (spread) |
|---|---|
| whole process: `ie-vshell -c list` (the user's 5 VMs) | %s |
| whole process: `virsh -c URI list --all` (all 300) | %s |
| ratio ie-vshell / virsh | %.3f (target <= 0.10: %s) |
| in one session: `list` request to answer, p50 | %.3f ms (target <= 1 ms: %s) |
| in one session: `list` request to answer, p99 | %.3f ms (n=%d) |

## 3. Memory

| idle at its prompt | RSS, median of 3 |
|---|---|
| `ie-vshell` (interactive, connected) | %d KiB (target <= 3072 KiB: %s) |
| `virsh` (interactive, connected to the test driver) | %d KiB |
| `bash --norc -i` | %d KiB |
| ratio ie-vshell / virsh | %.2f |
| ratio ie-vshell / bash | %.2f |
%%(shellmem)s
""" % ("/path/node.xml",
        fmt_ms(res["shell"]), fmt_ms(res["virsh"]), ratio,
        verdict(ratio <= 0.10), p50, verdict(p50 <= 1.0), p99,
        len(res["session"]), rs, verdict(rs <= 3072), rv, rb, rs / rv,
        rs / rb)
    text = text.replace("%(shellmem)s", shell_memory(res["smaps_shell"]))
    tg = [("whole-process `list` <= 1/10 of `virsh list --all` (test "
           "driver)", "%.3f" % ratio, ratio <= 0.10),
          ("in-session `list` p50 <= 1 ms at 300 domains (test driver)",
           "%.3f ms" % p50, p50 <= 1.0),
          ("idle session RSS <= 3 MiB", "%d KiB" % rs, rs <= 3072)]
    return text, tg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=os.path.join(TOP, "bench/RESULTS.md"))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--import-runs", type=int, default=3)
    ap.add_argument("--soak", type=int, default=600,
                    help="seconds of the 60-session mix (issue 8: 10 min)")
    ap.add_argument("--windows", type=int, default=4,
                    help="the soak is measured in this many windows")
    ap.add_argument("--base-windows", type=int, default=2,
                    help="windows of direct libvirt, one after each of "
                    "the first windows of the soak")
    ap.add_argument("--min-window", type=int, default=45,
                    help="the shortest window of the mix, in seconds "
                    "before the drain (a direct window is as long as the "
                    "broker's window before it)")
    ap.add_argument("--power-windows", type=int, default=1,
                    help="pairs of windows of starts and destroys alone "
                    "(broker, then direct), after the mix")
    ap.add_argument("--power-window", type=int, default=60,
                    help="seconds of each of them, before the drain")
    ap.add_argument("--only-mix", action="store_true",
                    help="only scenario 2, the 60-session mix (for "
                    "profiling); its report is printed, and written to "
                    "--out only if that is given")
    ap.add_argument("--base-shared", action="store_true",
                    help="the direct threads share one connection")
    ap.add_argument("--libvirtd-conf",
                    help="start libvirtd with this config (an experiment; "
                    "fails if one runs already)")
    ap.add_argument("--vmd-nice", type=int,
                    help="run the broker on qemu:///system at this nice "
                    "value (an experiment)")
    ap.add_argument("--login-runs", type=int, default=20)
    ap.add_argument("--users", type=int, default=USERS)
    ap.add_argument("--no-system", action="store_true",
                    help="only the test-driver scenarios")
    ap.add_argument("--only-import", action="store_true",
                    help="only scenario 4, the import (implies "
                    "--no-system)")
    ap.add_argument("--base-runs", type=int, default=3)
    ap.add_argument("--only-base", action="store_true",
                    help="only scenario 6, define --base (implies "
                    "--no-system)")
    ap.add_argument("--tmpdir",
                    help="where the test-driver scenarios keep their "
                    "files, the pool among them (a file system to try)")
    ap.add_argument("--upload-runs", type=int, default=5,
                    help="1 GiB sftp uploads of each side in scenario 7")
    ap.add_argument("--only-upload", action="store_true",
                    help="only scenario 7, the upload relay; its section "
                    "of the results file is replaced, the rest kept")
    ap.add_argument("--only-hosts", action="store_true",
                    help="only scenario 8, several hosts; its section of "
                    "the results file is replaced, the rest kept")
    ap.add_argument("--only-creds", action="store_true",
                    help="only scenario 9, imports with and without the "
                    "check for default credentials; its section of the "
                    "results file is replaced, the rest kept")
    ap.add_argument("--creds-runs", type=int, default=3)
    ap.add_argument("--creds-accel", choices=("auto", "tcg"), default="tcg",
                    help="libguestfs's appliance without KVM (tcg, the "
                    "default: nested KVM hangs it on the machines here)")
    out_given = "--out" in sys.argv[1:] or any(
        w.startswith("--out=") for w in sys.argv[1:])
    a = ap.parse_args()
    if a.only_upload:
        return only_upload(a)
    if a.only_mix:
        return only_mix(a, out_given)
    if a.only_hosts:
        return only_hosts(a)
    if a.only_creds:
        return only_creds(a)
    a.no_system = a.no_system or a.only_import or a.only_base
    t_start = time.monotonic()
    shell = os.path.join(a.build, "src/shell/ie-vshell")
    tmp = tempfile.mkdtemp(prefix="ievs-bench.", dir=a.tmpdir)
    node = os.path.join(tmp, "node.xml")
    node_xml(node, os.getuid())
    uri = "test://" + node
    base = make_base(tmp) if not a.only_import else None
    b = Broker(a.build, tmp, uri)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "xterm",
           "HOME": tmp}
    res = {}
    try:
        if not a.only_import and not a.only_base:
            test_driver(res, shell, b, uri, env, a.runs)
        if not a.only_base:
            res["import"] = import_bench(shell, b, tmp, env, a.import_runs)
            print("bench: %s import done" % clock())
        if base is not None:
            res["base"] = base_bench(shell, b, tmp, env, a.base_runs, base)
            print("bench: %s define --base done" % clock())
    finally:
        b.stop()
    sysres = None
    if not a.no_system:
        sys.modules["bench"] = sys.modules[__name__]   # one T0, one TOP
        import system
        systmp = tempfile.mkdtemp(prefix="ievs-bench-system.")
        try:
            sysres = system.run(a, systmp, env)
        finally:
            subprocess.run(["rm", "-rf", systmp])
    upres = hostres = None
    if not a.no_system:
        upres = upload_run(a)
        hostres = hosts_run(a)
    imtext, iq, tg = "", None, []
    if "import" in res:
        imtext, iq = import_section(res["import"])
        tg = [("import >= 0.9x its baseline (raw: qemu-img convert)",
               "%.2f" % iq["raw"], iq["raw"] >= 0.9),
              ("import >= 0.9x its baseline (qcow2: cp --sparse)",
               "%.2f" % iq["qcow2"], iq["qcow2"] >= 0.9)]
    if "base" in res:
        imtext += "\n" + base_section(res["base"])
    out = """# Benchmark results

Written by `bench/run.sh` on %s.
Machine: %s.
%%(summary)s
""" % (datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"), machine())
    if not a.only_import and not a.only_base:
        text, more = test_driver_report(res)
        out += text
        tg[0:0] = more
    out += imtext
    if sysres is not None:
        text, more = system.report(sysres, a)
        out += "\n" + text + "\n" + system.closing_note(sysres) + import_note(
            iq["raw_sync"], iq["qcow2_sync"])
        tg[2:2] = more
        text, more = upload_section(upres)
        out += "\n" + text
        tg += more
        text, more = hosts_section(hostres)
        out += "\n" + text
        tg += more
    elif a.only_import or a.only_base:
        out += "\nOnly the %s scenario was run (%s).\n" % (
            ("import", "--only-import") if a.only_import else
            ("define --base", "--only-base"))
    else:
        out += ("\nThe scenarios on the real stack (qemu:///system, the "
                "60-session mix, broker memory, ssh login) were left out "
                "(--no-system).\n")
    opts = [w for i, w in enumerate(sys.argv[1:]) if w not in (
        "--build", "--out") and sys.argv[i] not in ("--build", "--out")]
    summary = ["", "bench.py ran %.1f minutes%s, options: %s." % (
        (time.monotonic() - t_start) / 60,
        " (%.0f s of it waiting for the e2e lock)" % sysres["lock_wait_s"]
        if sysres and sysres["lock_wait_s"] >= 1 else "",
        " ".join(opts) or "the defaults"),
               ""]
    if tg:
        summary += ["| target | measured | |", "|---|---|---|"]
    summary += ["| %s | %s | %s |" % (w, m, verdict(ok)) for w, m, ok in tg]
    out = out.replace("%(summary)s", "\n".join(summary) + "\n")
    with open(a.out, "w") as f:
        f.write(out)
    print(out)
    subprocess.run(["rm", "-rf", tmp])


def only_mix(a, out_given):
    sys.modules["bench"] = sys.modules[__name__]   # one T0, one TOP
    import system
    t_start = time.monotonic()
    load = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="ievs-bench-system.")
    try:
        res = system.run_mix(a, tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    text, tg = system.mix_report(res, a)
    out = """# Benchmark: the 60-session mix only (bench.py --only-mix)

Written on %s.  Machine: %s.
bench.py ran %.1f minutes; load average before (1, 5, 15 min): %s.

| target | measured | |
|---|---|---|
%s

%s""" % (datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"), machine(), (time.monotonic() - t_start) / 60,
        ", ".join("%.2f" % x for x in load),
        "\n".join("| %s | %s | %s |" % (w, m, verdict(ok))
                   for w, m, ok in tg), text)
    if out_given:
        with open(a.out, "w") as f:
            f.write(out)
    print(out)


UPLOAD_BEGIN = "<!-- scenario 7: bench.py --only-upload rewrites this -->"
UPLOAD_END = "<!-- end of scenario 7 -->"


def upload_run(a):
    sys.modules["bench"] = sys.modules[__name__]   # one T0, one TOP
    import upload
    tmp = tempfile.mkdtemp(prefix="ievs-bench-upload.")
    try:
        res = upload.run(a, tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    print("bench: %s upload done" % clock())
    return res


def upload_section(res):
    import upload
    text, tg = upload.report(res)
    return "%s\n%s%s\n" % (UPLOAD_BEGIN, text, UPLOAD_END), tg


def only_upload(a):
    """Scenario 7 alone: its section of the results file (and its line in
    the targets' table) is replaced or added; the rest stays as it was."""
    text, tg = upload_section(upload_run(a))
    replace_section(a.out, text, tg, UPLOAD_BEGIN, UPLOAD_END,
                    "--only-upload")


HOSTS_BEGIN = "<!-- scenario 8: bench.py --only-hosts rewrites this -->"
HOSTS_END = "<!-- end of scenario 8 -->"


def hosts_run(a):
    sys.modules["bench"] = sys.modules[__name__]   # one T0, one TOP
    import hosts
    tmp = tempfile.mkdtemp(prefix="ievs-bench-hosts.")
    os.chmod(tmp, 0o755)
    try:
        return hosts.run(a, tmp, {"PATH": "/usr/bin:/bin",
                                  "LANG": "C.UTF-8", "HOME": tmp})
    finally:
        subprocess.run(["rm", "-rf", tmp])


def hosts_section(res):
    import hosts
    text, tg = hosts.report(res)
    return "%s\n%s%s\n" % (HOSTS_BEGIN, text, HOSTS_END), tg


def only_hosts(a):
    """Scenario 8 alone, written into the results file as only_upload
    does."""
    text, tg = hosts_section(hosts_run(a))
    replace_section(a.out, text, tg, HOSTS_BEGIN, HOSTS_END, "--only-hosts")


def replace_section(out, text, tg, begin, end, flag):
    """The section between begin and end of the results file out replaced
    by text (or added at its end), and the targets' rows of tg replaced or
    added to the end of the targets' table."""
    text = text.replace(
        end, "Measured %s by `bench/run.sh %s`.\n%s" % (
            datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"), flag, end))
    old = open(out).read() if os.path.exists(out) else "# Benchmark results\n"
    if begin in old:
        head, rest = old.split(begin, 1)
        old = head.rstrip("\n") + "\n\n" + text + rest.split(end, 1)[1]
    else:
        old = old.rstrip("\n") + "\n\n" + text
    lines = old.split("\n")
    for name, measured, ok in tg:
        row = "| %s | %s | %s |" % (name, measured, verdict(ok))
        lines = [ln for ln in lines if not ln.startswith("| " + name + " |")]
        for i, ln in enumerate(lines):
            if ln == "|---|---|---|":
                while i + 1 < len(lines) and lines[i + 1].startswith("| "):
                    i += 1
                lines.insert(i + 1, row)
                break
    with open(out, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    print(text)


CREDS_BEGIN = "<!-- scenario 9: bench.py --only-creds rewrites this -->"
CREDS_END = "<!-- end of scenario 9 -->"


def only_creds(a):
    """Scenario 8 alone, its section of the results file replaced or
    added, the rest as it was."""
    sys.modules["bench"] = sys.modules[__name__]   # one T0, one TOP
    import creds
    tmp = tempfile.mkdtemp(prefix="ievs-bench-creds.", dir=a.tmpdir)
    try:
        res = creds.run(a, tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    res["accel"] = a.creds_accel
    text = "%s\n%sMeasured %s by `bench/run.sh --only-creds`.\n%s\n" % (
        CREDS_BEGIN, creds.report(res),
        datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"), CREDS_END)
    old = open(a.out).read() if os.path.exists(a.out) else "# Benchmark results\n"
    if CREDS_BEGIN in old:
        head, rest = old.split(CREDS_BEGIN, 1)
        old = head.rstrip("\n") + "\n\n" + text + rest.split(CREDS_END, 1)[1]
    else:
        old = old.rstrip("\n") + "\n\n" + text
    with open(a.out, "w") as f:
        f.write(old)
    print(text)


if __name__ == "__main__":
    main()

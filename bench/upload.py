"""Scenario 7: what the upload quota's relay costs.  A 1 GiB sftp upload
through sshd on 127.0.0.1, by a student (sshd runs the Subsystem through
the login shell, ie-vshell, which relays to sftp-server and weighs every
write against the quota) against a user whose login shell is bash (sshd
runs sftp-server alone).  Same sshd, same key type, same file, the two
interleaved.  Set up and undone here under the e2e tests' lock; the
broker runs on libvirt's test driver, which an upload does not touch."""

import os
import shutil
import statistics
import subprocess
import time

import bench as B
import system as S

STUDENT = "ievbup"
DIRECT = "ievbupsh"
SIZE = 1 << 30


def upload(port, keys, user, src, dst):
    batch = src + ".batch-" + user
    with open(batch, "w") as f:
        f.write("put %s %s\n" % (src, dst))
    t = time.monotonic()
    subprocess.run(["sftp", "-F", "/dev/null", "-o", "BatchMode=yes",
                    "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "LogLevel=ERROR", "-P", str(port),
                    "-i", os.path.join(keys, user), "-b", batch,
                    "%s@127.0.0.1" % user], check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def run(a, tmp):
    res = {"ours": [], "direct": []}
    undo = S.Undo()
    lockf = S.lock()
    try:
        S.SYSCONF = S.sysconf(a.build)
        S.URI = "test:///default"
        os.chmod(tmp, 0o755)
        for sub in ("run", "upload", "home", "keys"):
            os.makedirs(os.path.join(tmp, sub), mode=0o755)
        keys = os.path.join(tmp, "keys")
        os.chmod(keys, 0o700)
        shell = os.path.join(tmp, "ie-vshell")
        shutil.copy(os.path.join(a.build, "src/shell/ie-vshell"), shell)
        os.chmod(shell, 0o755)
        S.add_shell(shell, undo)
        if subprocess.run(["getent", "group", S.STUDENTS],
                          stdout=subprocess.DEVNULL).returncode != 0:
            S.sh("groupadd", S.STUDENTS)
            undo.add("group", S.sh, "groupdel", S.STUDENTS)
        st = S.make_user(STUDENT, shell, os.path.join(tmp, "home", STUDENT),
                         undo, S.STUDENTS)
        di = S.make_user(DIRECT, "/bin/bash",
                         os.path.join(tmp, "home", DIRECT), undo)
        for pw in (st, di):
            S.user_keys(pw, keys)
        sock = os.path.join(tmp, "run", "ie-vmd.sock")
        S.put_config(tmp, sock, undo)
        with open(S.SYSCONF) as f:
            conf = f.read()
        # The relay runs only for users with a limit: the default disk
        # quota (100 GiB) and file limit apply.
        assert "disk" not in conf and "upload_files" not in conf
        vmd = subprocess.Popen([os.path.join(a.build, "src/daemon/ie-vmd"),
                                "-F", "-f", S.SYSCONF],
                               stderr=open(os.path.join(tmp, "vmd.log"), "w"))
        undo.add("broker", lambda: (vmd.terminate(), vmd.wait()))
        for _ in range(600):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        port = S.start_sshd(tmp, undo)
        src = os.path.join(tmp, "data.bin")
        with open(src, "wb") as f:
            for _ in range(SIZE >> 20):
                f.write(os.urandom(1 << 20))
        B.warm(src)
        area = os.path.join(tmp, "upload", STUDENT)
        home = di.pw_dir
        for i in range(a.upload_runs + 1):
            order = [("ours", STUDENT, area), ("direct", DIRECT, home)]
            if i % 2:
                order.reverse()
            for side, user, where in order:
                s = upload(port, keys, user, src, "up.bin")
                got = os.path.getsize(os.path.join(where, "up.bin"))
                if got != SIZE:
                    raise RuntimeError("%s: %d bytes arrived" % (user, got))
                os.unlink(os.path.join(where, "up.bin"))
                if i > 0:      # the first round warms both paths
                    res[side].append(s)
        res["cipher"] = subprocess.run(
            ["ssh", "-G", "127.0.0.1"], capture_output=True,
            text=True).stdout.split("\nciphers ")[1].split("\n")[0]
    finally:
        undo.run()
        lockf.close()
    return res


def report(r):
    ours, direct = statistics.median(r["ours"]), statistics.median(
        r["direct"])
    ratio = direct / ours
    text = """## 7. Upload through the quota's relay

A 1 GiB file of random data (in the page cache) put with `sftp -b`
through sshd on 127.0.0.1, %d runs of each side, interleaved, after one
round that warms both: as a student, whose login shell relays to
sftp-server and weighs every write against the quota (100 GiB, the
default), against a bash user, for whom sshd runs sftp-server alone.
Ciphers offered: %s.

| side | time per 1 GiB (median, min-max) | MiB/s (median) |
|---|---|---|
| ie-vshell relay + sftp-server | %s | %.0f |
| sftp-server alone | %s | %.0f |

Throughput of the relay against sftp-server alone: **%.2f** (target
>= 0.9: %s).
""" % (len(r["ours"]), r["cipher"],
       B.fmt_s(r["ours"]), 1024 / ours,
       B.fmt_s(r["direct"]), 1024 / direct, ratio, B.verdict(ratio >= 0.9))
    return text, [("sftp upload through the relay >= 0.9x sftp-server alone",
                   "%.2f" % ratio, ratio >= 0.9)]

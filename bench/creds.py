"""Scenario 8: what looking for default credentials costs an import.  One
image as a Vagrant box has it (Vagrant's insecure key, the password
'vagrant'; a 2 GiB ext4 file system with 512 MiB of random data), raw,
imported by `define` through three brokers on libvirt's test driver,
interleaved: [import] credentials = off, = check (the same tree without
the findings, so that the import passes) and = fix (the findings
removed, the student's key installed).  The first import with the
helper builds libguestfs's appliance in the broker's cache: it is timed
apart, as the warm-up, and not counted."""

import os
import statistics
import subprocess
import time

import bench as B

RSA = ("ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YV"
       "r+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdO"
       "KLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7P"
       "tixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAm"
       "CP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzc"
       "WyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ==")
HASH = ("$6$KItGoQI/SOEyo1uj$uINz6Q0m9jXKooWLFpye6IBtRDKlqT4amGaOCvtIoRSnsfTq"
        "DLPhXwgeiBk3ib8VvIcJDJQS5bS2zLnmdTLO2/")   # crypt("vagrant")


def tree(root, vagrant):
    for d in ("etc", "bin", "root", "home/vagrant/.ssh", "var"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    files = {
        "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\n',
        "etc/debian_version": "12.0\n",
        "etc/fstab": "# nothing\n",
        "etc/passwd": "root:x:0:0::/root:/bin/sh\n"
                      "vagrant:x:1000:1000::/home/vagrant:/bin/sh\n",
        "etc/shadow": "root:*:19000::::::\nvagrant:%s:19000::::::\n" % (
            HASH if vagrant else "*"),
        "home/vagrant/.ssh/authorized_keys":
            RSA + " vagrant\n" if vagrant else "",
    }
    for p, text in files.items():
        with open(os.path.join(root, p), "w") as f:
            f.write(text)
    subprocess.run("head -c 512M /dev/urandom > %s/var/blob" % root,
                   shell=True, check=True)


def image(tmp, name, vagrant):
    root = os.path.join(tmp, "tree-" + name)
    tree(root, vagrant)
    img = os.path.join(tmp, name + ".img")
    subprocess.run(["truncate", "-s", "2G", img], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", root, img], check=True)
    subprocess.run(["rm", "-rf", root], check=True)
    return img


def run(a, tmp):
    import pwd
    me = pwd.getpwuid(os.getuid()).pw_name
    keys = os.path.join(tmp, "keys")
    os.makedirs(keys)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    os.path.join(keys, me)], check=True)
    os.rename(os.path.join(keys, me + ".pub"), os.path.join(keys, me))
    helper = os.path.join(a.build, "src/daemon/ie-vmd-creds")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp}
    shell = os.path.join(a.build, "src/shell/ie-vshell")
    node = os.path.join(tmp, "node.xml")
    B.node_xml(node, os.getuid())
    brokers, res = {}, {"off": [], "check": [], "fix": []}
    try:
        for mode in res:
            d = os.path.join(tmp, mode)
            os.makedirs(d)
            brokers[mode] = B.Broker(
                a.build, d, "test://" + node,
                "[import]\ncredentials = %s\nhelper = %s\n"
                "cache_dir = %s/guestfs\naccel = %s\n"
                "student_keys = %s/%%u\n" % (mode, helper, tmp,
                                              a.creds_accel, keys))
            subprocess.run([shell, "-f", brokers[mode].conf, "-c",
                            "images"], env=env, stdout=subprocess.DEVNULL,
                           check=True)
        src = {"vagrant": image(tmp, "vagrant", True),
               "clean": image(tmp, "clean", False)}

        def define(mode, which):
            area = os.path.join(tmp, mode, "upload", me)
            dst = os.path.join(area, which + ".img")
            if not os.path.exists(dst):
                subprocess.run(["cp", "--sparse=always", src[which], dst],
                               check=True)
            B.warm(dst)
            subprocess.run(["sync", "-f", tmp], check=True)
            t = time.monotonic()
            p = subprocess.run([shell, "-f", brokers[mode].conf, "-c",
                                "define v %s.img" % which], env=env,
                               capture_output=True, text=True)
            dt = time.monotonic() - t
            if p.returncode != 0:
                raise RuntimeError("define (%s): %s" % (mode, p.stderr))
            subprocess.run([shell, "-f", brokers[mode].conf, "-c",
                            "undefine v --disk"], env=env,
                           stdout=subprocess.DEVNULL, check=True)
            return dt, p.stdout

        res["warmup"], _ = define("check", "clean")
        print("bench: %s creds warm-up (appliance built) %.1f s" % (
            B.clock(), res["warmup"]))
        plan = [("off", "vagrant"), ("check", "clean"), ("fix", "vagrant")]
        for i in range(a.creds_runs):
            for mode, which in plan[i % 3:] + plan[:i % 3]:
                dt, out = define(mode, which)
                res[mode].append(dt)
                if mode == "fix":
                    if "locked the password" not in out:
                        raise RuntimeError("fix changed nothing: %s" % out)
                    res["fix_out"] = out
    finally:
        for b in brokers.values():
            b.stop()
    print("bench: %s creds done" % B.clock())
    return res


def report(r):
    med = {k: statistics.median(r[k]) for k in ("off", "check", "fix")}
    text = """## 9. Import with the check for default credentials

A raw 2 GiB image (ext4, 512 MiB of random data, a small Debian-like
tree) imported by `define`, %d runs of each, interleaved, through three
brokers on libvirt's test driver: `[import] credentials = off`; `check`
(an image without default credentials, which passes); and `fix` (the
image with Vagrant's insecure RSA key for vagrant and the password
'vagrant': both removed, the student's key installed).  One libguestfs
appliance launch per import, under %s.  The broker's first
import with the helper built the appliance in its cache: %.1f s (not
counted).

| credentials | time per import (median, min-max) | ratio to off |
|---|---|---|
| off | %s | 1.00 |
| check | %s | %.1f |
| fix | %s | %.1f |

The cost is one appliance launch (boot, inspection, the reads and
writes, the shutdown), whatever the size of the image: %.1f s for check
and %.1f s for fix over the import alone, here, under TCG.  Under KVM a
launch takes a few seconds, but that was not measured here (this
machine's nested KVM hangs the appliance).

What fix told the student:

```
%s```
""" % (len(r["off"]), "TCG (`accel =\ntcg`)" if r["accel"] == "tcg" else "KVM where it works",
       r["warmup"], B.fmt_s(r["off"]), B.fmt_s(r["check"]),
       med["check"] / med["off"], B.fmt_s(r["fix"]),
       med["fix"] / med["off"], med["check"] - med["off"],
       med["fix"] - med["off"], r["fix_out"])
    return text

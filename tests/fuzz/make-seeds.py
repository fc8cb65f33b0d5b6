#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/.

The seeds are committed; run this again (from anywhere) after changing it,
and commit what it writes.  Each seed is a small, readable case: real use,
the hostile forms the parsers exist to refuse, and the edges of each limit.
"""

import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

# Limits from src/common/tokenize.h and src/common/proto.h.
LINE_MAX_LEN = 4096
WORDS_MAX = 16
PROTO_MAX_REQ_STRINGS = 32
PROTO_MAX_REQ_STRING = 4096

REQUEST, RESPONSE, HELLO, NOTE = 1, 2, 3, 4
OK, FAILED, USAGE = 0, 1, 2


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    path = os.path.join(HERE, "corpus", target, name)
    with open(path, "wb") as f:
        f.write(data)


def reset(target):
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)


def read_top(path):
    with open(os.path.join(TOP, path), "rb") as f:
        return f.read()


def tokenize_seeds():
    t = "tokenize"
    reset(t)
    lines = {
        # What students type.
        "help": "help",
        "help-define": "help define",
        "exit": "exit",
        "quit": "quit",
        "list": "list",
        "list-all": "list --all",
        "define": "define web",
        "define-template": "define web --template t",
        "define-template-first": "define --template debian web",
        "start": "start web",
        "destroy": "destroy web",
        "undefine": "undefine web",
        "dumpxml": "dumpxml web",
        "admin-ref": "start ab-c/web",
        "quota": "quota",
        "users": "users",
        "blanks": " \tlist\t --all  ",
        "double-dash": "define -- -web",
        # Quoting.
        "single-quotes": "define 'my vm'",
        "double-quotes": 'define "a \\" b \\\\ c"',
        "quote-in-word": "define it'\\''s",
        "backslash-blank": "start web\\ 2",
        "empty-words": "help '' \"\"",
        "adjacent-quotes": "st'a'\"r\"t w\\eb",
        # Refused by the tokenizer.
        "backslash-end": "define \\",
        "unterminated-single": "define 'web",
        "unterminated-double": 'define "web',
        "escape-sequence": "start web\x1b[2J",
        "bell": "list\x07",
        "del": "start \x7f",
        "quoted-tab": "define 'a\tb'",
        "escaped-newline": "start web\\\n",
        # Shell syntax is text.
        "semicolon": "list; sh",
        "command-subst": "start $(id)",
        "backticks": "start `id`",
        "and-and": "list && sh",
        "pipe": "list | sh",
        "redirect": "start web > /etc/passwd",
        "glob": "undefine *",
        "dotdot": "define ../../etc/passwd",
        "slashes": "start a/b/c",
        "leading-slash": "start /web",
        "domain-name": "start u1000_web",
        "domain-name-root": "start u0_web",
        "domain-name-zero": "start u01_web",
        "domain-name-max": "start u4294967294_web",
        "domain-name-nobody": "start u4294967295_web",
        "domain-name-huge": "start u99999999999999999999_web",
        "utf8": "define w\u00e9b",
        "bidi": "start \u202eweb",
        # Argument errors.
        "unknown-option": "list --every",
        "option-twice": "list --all --all",
        "option-no-value": "define web --template",
        "too-many-args": "start web db",
        "missing-arg": "start",
        "unknown-command": "reboot",
    }
    for name, line in lines.items():
        write(t, name, line)
    write(t, "words-max", " ".join(["help"] + ["x"] * (WORDS_MAX - 1)))
    write(t, "words-over", " ".join(["help"] + ["x"] * WORDS_MAX))
    write(t, "line-max", "define " + "a" * (LINE_MAX_LEN - 7))
    write(t, "line-over", "define " + "a" * (LINE_MAX_LEN - 6))


def body(mtype, status, strings, ncols=1):
    out = struct.pack(">BBBBHHI", 1, mtype, status, 0, ncols, 0,
                      len(strings))
    for s in strings:
        if isinstance(s, str):
            s = s.encode()
        out += struct.pack(">I", len(s)) + s
    return out


def frame(b):
    return struct.pack(">I", len(b)) + b


def proto_seeds():
    t = "proto"
    reset(t)
    bodies = {
        "req-list": body(REQUEST, 0, ["list"]),
        "req-list-all": body(REQUEST, 0, ["list", "--all"]),
        "req-define": body(REQUEST, 0, ["define", "web", "--template", "t"]),
        "req-start-ref": body(REQUEST, 0, ["start", "alice/web"]),
        "req-domain-name": body(REQUEST, 0, ["start", "u4294967294_web"]),
        "req-empty": body(REQUEST, 0, []),
        "req-empty-string": body(REQUEST, 0, [""]),
        "req-local": body(REQUEST, 0, ["exit"]),
        "req-hostile": body(REQUEST, 0, ["start", "$(id)", "\x1b]0;x\x07"]),
        "req-max-strings": body(REQUEST, 0,
                                ["help"] * PROTO_MAX_REQ_STRINGS),
        "req-over-strings": body(REQUEST, 0,
                                 ["help"] * (PROTO_MAX_REQ_STRINGS + 1)),
        "req-max-string": body(REQUEST, 0,
                               ["define", "a" * PROTO_MAX_REQ_STRING]),
        "req-over-string": body(REQUEST, 0,
                                ["define", "a" * (PROTO_MAX_REQ_STRING + 1)]),
        "hello": body(HELLO, OK, ["ie-vmd 0.1.0"]),
        "hello-refused": body(HELLO, FAILED, ["too many sessions"]),
        "note": body(NOTE, 0, ["sh", "-i"]),
        "resp-ok": body(RESPONSE, OK, ["started web"]),
        "resp-failed": body(RESPONSE, FAILED, ["no such VM: web"]),
        "resp-usage": body(RESPONSE, USAGE, ["usage: start NAME"]),
        "resp-table": body(RESPONSE, OK, ["name", "state", "web",
                                          "running", "db", "shut off"], 2),
        "resp-table-empty": body(RESPONSE, OK, ["name", "state"], 2),
        "resp-table-ragged": body(RESPONSE, OK, ["name", "state", "web"], 2),
        "resp-ncols-zero": body(RESPONSE, OK, ["x"], 0),
        "resp-xml": body(RESPONSE, OK, ["<domain type='kvm'>\n  <name>"
                                        "u1000_web</name>\n</domain>\n"]),
        "resp-escapes": body(RESPONSE, OK, ["\x1b[31mred\x1b[0m\r\n\u202e"]),
        # Malformed.
        "bad-version": b"\x02" + body(REQUEST, 0, ["list"])[1:],
        "bad-type": body(9, 0, ["list"]),
        "bad-status": body(RESPONSE, 7, ["x"]),
        "bad-pad": body(REQUEST, 0, ["list"])[:7] + b"\x01" +
        body(REQUEST, 0, ["list"])[8:],
        "truncated-header": body(REQUEST, 0, [])[:11],
        "truncated-string": body(REQUEST, 0, ["list"])[:-1],
        "trailing": body(REQUEST, 0, ["list"]) + b"\x00",
        "nul-in-string": body(REQUEST, 0, ["li\x00st"]),
        "huge-count": body(REQUEST, 0, [])[:8] + b"\xff\xff\xff\xff",
        "huge-length": body(REQUEST, 0, [])[:8] + b"\x00\x00\x00\x01" +
        b"\xff\xff\xff\xf0",
    }
    for name, b in bodies.items():
        write(t, name, b)
    # Streams, as proto_recv() reads them from the socket.
    write(t, "stream-two", frame(bodies["req-list"]) +
          frame(bodies["req-define"]))
    write(t, "stream-note-then-req", frame(bodies["note"]) +
          frame(bodies["req-start-ref"]))
    write(t, "stream-table", frame(bodies["hello"]) +
          frame(bodies["resp-table"]))
    write(t, "stream-cut", frame(bodies["req-list"])[:-2])
    write(t, "stream-oversize", struct.pack(">I", 64 * 1024 + 1) +
          bodies["req-list"])
    write(t, "stream-empty-frame", frame(b""))


MINIMAL = ("<domain type='kvm'><memory unit='MiB'>512</memory><devices>"
           "<disk type='file' device='disk'><target dev='vda' bus='virtio'/>"
           "</disk></devices></domain>")


def template_seeds():
    t = "template"
    reset(t)
    default = read_top("templates/default.xml")
    write(t, "default.xml", default)
    seeds = {
        "minimal.xml": MINIMAL,
        "named.xml": MINIMAL.replace(
            "<memory", "<name>x</name><uuid>00000000-0000-0000-0000-"
            "000000000000</uuid><memory"),
        "owner-in-template.xml": MINIMAL.replace(
            "<memory", "<metadata><ievs:owner xmlns:ievs='urn:ie-vshell:"
            "owner:1' uid='0'/><other xmlns='urn:x'/></metadata><memory"),
        "source-in-template.xml": MINIMAL.replace(
            "<target", "<source file='/etc/shadow'/><driver type='raw'/>"
            "<target"),
        # Entities and namespaces: crashes/ had the two that got past
        # check() before 2f9166d.
        "entities.xml": "<!DOCTYPE domain [<!ENTITY e 'text'>]>" +
        MINIMAL.replace("<devices>", "<description>&e;</description>"
                        "<devices>"),
        "entity-in-disk-type.xml": "<!DOCTYPE domain [<!ENTITY f 'file'>]>" +
        MINIMAL.replace("type='file'", "type='&f;'"),
        "namespaced.xml": MINIMAL.replace(
            "<devices>", "<x:devices xmlns:x='urn:x'/><devices>"),
        "namespaced-decoys.xml": MINIMAL.replace(
            "<target", "<x:driver xmlns:x='urn:x'/><x:source xmlns:x='urn:x'/>"
            "<source file='/etc/shadow'/><driver name='qemu' type='raw'/>"
            "<target"),
        "repeated-source.xml": MINIMAL.replace(
            "<target", "<source file='/a'/><source file='/etc/shadow'/>"
            "<target"),
        "comments-cdata.xml": MINIMAL.replace(
            "<devices>", "<!-- c --><description><![CDATA[<x>]]>"
            "</description><devices>"),
        # Refused by check().
        "two-disks.xml": MINIMAL.replace(
            "</devices>", "<disk type='file' device='disk'><target dev='vdb'"
            "/></disk></devices>"),
        "cdrom.xml": MINIMAL.replace("</devices>",
                                     "<disk type='file' device='cdrom'>"
                                     "<target dev='sda'/></disk></devices>"),
        "block-disk.xml": MINIMAL.replace("type='file'", "type='block'"),
        "backing-store.xml": MINIMAL.replace(
            "<target", "<backingStore type='file'><source file='/etc/"
            "shadow'/></backingStore><target"),
        "no-target.xml": MINIMAL.replace("<target dev='vda' bus='virtio'/>",
                                         ""),
        "hostdev.xml": MINIMAL.replace("</devices>", "<hostdev mode='"
                                       "subsystem' type='pci'/></devices>"),
        "filesystem.xml": MINIMAL.replace(
            "</devices>", "<filesystem type='mount'><source dir='/'/>"
            "</filesystem></devices>"),
        "two-devices.xml": MINIMAL.replace("</domain>",
                                           "<devices/></domain>"),
        "no-memory.xml": MINIMAL.replace("<memory unit='MiB'>512</memory>",
                                         ""),
        "no-type.xml": MINIMAL.replace("<domain type='kvm'>", "<domain>"),
        "wrong-root.xml": "<network><name>x</name></network>",
        # Firewalls: a filter libvirt would drop (user-mode networking),
        # two on one interface, and interfaces with and without one.
        "filter-user-iface.xml": MINIMAL.replace(
            "</devices>", "<interface type='user'><filterref filter='f'/>"
            "</interface></devices>"),
        "filter-twice.xml": MINIMAL.replace(
            "</devices>", "<interface type='bridge'><filterref filter='a'/>"
            "<filterref filter='b'/></interface></devices>"),
        "filter-ifaces.xml": MINIMAL.replace(
            "</devices>", "<interface type='network'><source network='n'/>"
            "<filterref filter='a'><parameter name='TCP_IN' value='1'/>"
            "<parameter name='IP' value='10.0.0.1'/></filterref></interface>"
            "<interface type='user'/><x:interface xmlns:x='urn:x' "
            "type='user'/></devices>"),
        "not-well-formed.xml": MINIMAL[:-4],
        "empty.xml": "",
        # owner_parse() input: what libvirt returns for the metadata.
        "owner.xml": "<owner xmlns='urn:ie-vshell:owner:1' uid='1000' "
        "user='alice' vm='web'/>",
        "owner-prefixed.xml": "<ievs:owner xmlns:ievs='urn:ie-vshell:owner:"
        "1' uid='0'/>",
        "owner-minus.xml": "<owner uid='-1'/>",
        "owner-max.xml": "<owner uid='4294967295'/>",
        "owner-huge.xml": "<owner uid='99999999999999999999'/>",
        "owner-space.xml": "<owner uid=' 1'/>",
        "owner-missing.xml": "<owner user='alice'/>",
    }
    for name, xml in seeds.items():
        write(t, name, xml)


def conf_seeds():
    t = "conf"
    reset(t)
    write(t, "example.conf", read_top("contrib/ie-vshell.conf.example"))
    seeds = {
        "empty.conf": "",
        "comment.conf": "# nothing\n",
        "socket.conf": "[daemon]\nsocket = /tmp/ie-vmd.sock\n",
        "test-uri.conf": "[libvirt]\nuri = test:///default\n",
        "limits.conf": "[limits]\nsessions_per_user = 4\n"
        "requests_per_minute = 120\n",
        "pam.conf": "[daemon]\npam_service = ie-vshell\n",
        "quota.conf": "[quota]\nvms = 4\nrunning = 1\nvcpus = 2\n"
        "memory = 2048\ndisk = unlimited\n"
        "[quota.group:staff]\nvms = unlimited\n"
        "[quota.user:alice]\nrunning = 3\n",
        "quota-bad-group.conf": "[quota.user:]\nvms = 1\n",
        "quota-bad-key.conf": "[quota]\ncpus = 1\n",
        "quota-negative.conf": "[quota]\nvms = -1\n",
        "new-disk.conf": "[storage]\nbase_dir = /srv/base\nblank_size = 20\n"
        "[template:default]\nbase = debian-12\n"
        "[template:small]\nblank_size = 0\n",
        "template-bad-group.conf": "[template:]\nbase = x\n",
        "template-bad-base.conf": "[template:default]\nbase = Deb_12\n",
        "template-bad-key.conf": "[template:default]\nmemory = 1\n",
        # Refused.
        "unknown-group.conf": "[deamon]\nsocket = /x\n",
        "unknown-key.conf": "[daemon]\nsockt = /x\n",
        "relative-path.conf": "[storage]\npool_dir = pool\n",
        "dotdot.conf": "[templates]\ndir = /etc/../tmp\n",
        "dotdot-end.conf": "[templates]\ndir = /etc/..\n",
        "clients-zero.conf": "[daemon]\nmax_clients = 0\n",
        "clients-over.conf": "[daemon]\nmax_clients = 4097\n",
        "clients-text.conf": "[daemon]\nmax_clients = 1e3\n",
        "clients-space.conf": "[daemon]\nmax_clients = 12 \n",
        "bad-name.conf": "[templates]\ndefault = ../x\n",
        "empty-uri.conf": "[libvirt]\nuri =\n",
        "no-group.conf": "socket = /x\n",
        "unclosed-group.conf": "[daemon\nsocket = /x\n",
        # GKeyFile's own syntax.
        "repeated.conf": "[daemon]\nsocket = /a\n[libvirt]\nuri = x\n"
        "[daemon]\nsocket = /b\n",
        "escapes.conf": "[libvirt]\nuri = \\s\\tx\\n\\\\\n",
        "locale-key.conf": "[libvirt]\nuri[fr] = x\n",
        "list-value.conf": "[libvirt]\nuri = a;b;\n",
        "crlf.conf": "[daemon]\r\nsocket = /x\r\n",
        "utf8.conf": "[libvirt]\nuri = qemu:///syst\u00e8me\n",
        "binary.conf": b"[daemon]\nsocket = /\xff\x00x\n",
    }
    for name, text in seeds.items():
        write(t, name, text)


def sanitize_seeds():
    t = "sanitize"
    reset(t)
    # First byte: 0x80 keeps newlines; the low four bits pick the cap
    # (see caps[] in fuzz-sanitize.c: 0 none, 9 256, 11 2048).
    keep, cap8, cap256 = 0x80, 0x07, 0x09
    seeds = {
        "plain": (0, "web running"),
        "newlines-kept": (keep, "line 1\n\tline 2\n"),
        "newlines-escaped": (0, "line 1\n\tline 2\r\n"),
        "csi": (0, "\x1b[2J\x1b[H"),
        "osc-title": (0, "\x1b]0;pwned\x07"),
        "c1-csi": (0, "\u009b2J"),
        "del": (0, "a\x7fb"),
        "bidi-rlo": (0, "abc\u202edef"),
        "bidi-isolates": (0, "\u2066x\u2069\u2067y\u2068"),
        "marks": (0, "\u200e\u200f\u061c"),
        "format-chars": (0, "a\u200bb\u206ec\ufeffd\U000e0041"),
        "cjk-emoji": (0, "\u65e5\u672c \U0001f600"),
        "invalid": (0, b"\xff\xfe\x80"),
        "overlong": (0, b"\xc0\xaf\xe0\x80\xaf"),
        "surrogate": (0, b"\xed\xa0\x80"),
        "above-max": (0, b"\xf4\x90\x80\x80"),
        "truncated-end": (0, b"abc\xe2\x80"),
        "cap-cut": (cap8, "abcdefghijklmnop"),
        "cap-escape": (cap8, "abcdefg\u202e"),
        "cap-multibyte": (cap8, "abcdefg\U0001f600"),
        "cap-256": (cap256, "x" * 300),
        "backslash": (0, "\\x1b is text"),
    }
    for name, (mode, s) in seeds.items():
        if isinstance(s, str):
            s = s.encode()
        write(t, name, bytes([mode]) + s)


def virterr_seeds():
    t = "virterr"
    reset(t)
    # First byte: the low three bits pick libvirt's error code (see
    # codes[] in fuzz-virterr.c), 0x08 says the VM is known, 0x10 that
    # its disk is there, 0x20 that libvirt gave no message.
    internal, system, net, invalid, cpu = 1, 4, 5, 6, 7
    vm, disk = 0x08, 0x10
    disk_path = "/var/lib/ie-vshell/pool/1001/web.qcow2"
    seeds = {
        "disk-gone": (system | vm, "Path '%s' is not accessible: No such "
                      "file or directory" % disk_path),
        "storage-file": (system | vm, "Cannot access storage file '%s' "
                         "(as uid:64055, gid:108): No such file or "
                         "directory" % disk_path),
        "disk-denied": (internal | vm | disk, "internal error: qemu "
                        "unexpectedly closed the monitor: qemu-system-x86_64:"
                        " -blockdev {\"driver\":\"file\",\"filename\":\"%s\""
                        "}: Could not open '%s': Permission denied"
                        % (disk_path, disk_path)),
        "memory": (internal | vm | disk, "internal error: qemu unexpectedly "
                   "closed the monitor: 2026-12-06T20:43:58.481030Z "
                   "qemu-system-x86_64: cannot set up guest memory "
                   "'pc.ram': Cannot allocate memory"),
        "cpu": (cpu | vm | disk, "the CPU is incompatible with host CPU: "
                "Host CPU does not provide required features: hle, rtm"),
        "bridge": (system | vm | disk, "Cannot get interface MTU on 'br0': "
                   "No such device"),
        "network": (net | vm | disk, "Network not found: no network with "
                    "matching name 'nosuchnet'"),
        "other": (invalid | vm | disk, "Requested operation is not valid: "
                  "domain 'u1001_web' is not running (see /run/libvirt/"
                  "qemu/u1001_web.xml)"),
        "slashes": (invalid, "I/O error on 1/2 of TCP/IP, x/var 'y'/z "
                    "(/a)/b \u00e9/c"),
        "lines": (invalid | vm, "one\ntwo\r\tthree u1001_u1001_webweb"),
        "invalid-utf8": (invalid, b"\xff\xfe /etc/\xc0\xaf"),
        "none": (invalid | 0x20, ""),
        "long": (invalid, "/x" * 300),
    }
    for name, (mode, s) in seeds.items():
        if isinstance(s, str):
            s = s.encode()
        write(t, name, bytes([mode]) + s)


def main():
    tokenize_seeds()
    proto_seeds()
    template_seeds()
    conf_seeds()
    sanitize_seeds()
    virterr_seeds()


if __name__ == "__main__":
    main()

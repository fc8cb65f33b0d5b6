#!/bin/bash
# Writes the seed corpora of the imginfo and imgformat targets from real
# images: each is made with qemu-img create, described with qemu-img info
# --output=json (its own name replaced by the name fuzz-imginfo.c
# expects), and cut to what img_sniff() reads.  A few seeds are edited
# copies (see the end).  Needs qemu-img (Debian: qemu-utils) and python3;
# run it again after changing it, and commit what it writes.  The
# committed seeds were made with qemu-img 7.2.22 (Debian 12).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
file=/var/lib/ie-vshell/import/upload	# FILE in fuzz-imginfo.c
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ie-vshell-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

info=$here/corpus/imginfo
sniff=$here/corpus/imgformat
rm -rf "$info" "$sniff"
mkdir -p "$info" "$sniff"

# head FILE OUT: the file as img_sniff() sees it, at most its first 4096
# and last 512 bytes.
head_tail() {
	python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
if len(data) > 4096 + 512:
    data = data[:4096] + data[-512:]
open(sys.argv[2], "wb").write(data)' "$1" "$2"
}

# name, format, described (1) or only sniffed (0), size, options ('|'
# between arguments, '-' for none).
while IFS=' ' read -r name fmt described size opts; do
	args=()
	[ "$opts" = - ] || IFS='|' read -r -a args <<< "$opts"
	qemu-img create -q -f "$fmt" "${args[@]}" "$name" "$size"
	head_tail "$name" "$sniff/$name"
	[ "$described" = 1 ] || continue
	qemu-img info --output=json -f "$fmt" "$name" |
	    sed -e "s|\"filename\": \"$name\"|\"filename\": \"$file\"|" \
	    -e "s|$tmp/|/home/student/|g" > "$info/$name.json"
done <<EOF
raw.raw raw 1 1M -
base.qcow2 qcow2 1 1G -
v2.qcow2 qcow2 1 1G -o|compat=0.10
backing.qcow2 qcow2 1 1G -F|qcow2|-b|$tmp/base.qcow2
backing-json.qcow2 qcow2 1 1G -u|-F|raw|-b|json:{"driver":"file","filename":"/etc/shadow"}
data-file.qcow2 qcow2 1 1G -o|data_file=data.raw
luks.qcow2 qcow2 1 1G --object|secret,id=sec0,data=pw|-o|encrypt.format=luks,encrypt.key-secret=sec0
sparse.vmdk vmdk 1 1G -
stream.vmdk vmdk 1 1G -o|subformat=streamOptimized
flat.vmdk vmdk 1 1M -o|subformat=monolithicFlat
split.vmdk vmdk 1 3G -o|subformat=twoGbMaxExtentSparse
parent.vmdk vmdk 1 1G -F|vmdk|-b|sparse.vmdk
disk.vdi vdi 1 1G -
disk.vhdx vhdx 1 1G -
dynamic.vpc vpc 1 1G -
fixed.vpc vpc 1 1M -o|subformat=fixed
disk.qcow qcow 0 1G -
disk.qed qed 0 1G -
disk.parallels parallels 0 1G -
disk.luks luks 0 1M --object|secret,id=sec0,data=pw|-o|key-secret=sec0
EOF

# Edited copies: headers that lie or stop short, what the broker must
# refuse to read as an image, and QEMU 8's "children" (by hand, after its
# schema).
python3 - "$sniff" "$info" "$file" <<'EOF'
import json, os, sys
sniff, info, name = sys.argv[1:4]
def read(p):
    return open(os.path.join(sniff, p), "rb").read()
def put(p, data):
    open(os.path.join(sniff, p), "wb").write(data)
q = bytearray(read("base.qcow2"))
put("qcow2-short", bytes(q[:28]))
q[24:32] = b"\xff" * 8
put("qcow2-huge", bytes(q))
v = bytearray(read("sparse.vmdk"))
v[12:20] = b"\xff" * 8
put("vmdk-huge", bytes(v))
d = bytearray(read("disk.vdi"))
put("vdi-short", bytes(d[:0x100]))
f = bytearray(read("fixed.vpc"))
f[-512 + 28:-512 + 32] = b"win "
f[-512 + 48:-512 + 56] = b"\xff" * 8
put("vpc-fixed-huge", bytes(f))
put("gzip", b"\x1f\x8b\x08\x00" + bytes(60))
put("tar", b"box.ovf".ljust(257, b"\0") + b"ustar\x0000" + bytes(246))
put("dmg", bytes(1024) + b"koly" + bytes(508))
put("descriptor-bare", b"# comment\n  \r\nversion=1\r\nRW 1 FLAT \"x\"\n")

src = json.load(open(os.path.join(info, "base.qcow2.json")))
child = {"name": "file", "info": {"children": [], "virtual-size": 197120,
         "filename": name, "format": "file", "actual-size": 200704,
         "format-specific": {"type": "file", "data": {}},
         "dirty-flag": False}}
ok = {"children": [child], **src}
json.dump(ok, open(os.path.join(info, "children.json"), "w"), indent=4)
data = {"name": "data-file", "info": {"children": [], "virtual-size":
        1073741824, "filename": "/dev/sda", "format": "host_device",
        "dirty-flag": False}}
bad = {"children": [child, data], **src}
json.dump(bad, open(os.path.join(info, "children-data-file.json"), "w"),
          indent=4)
EOF

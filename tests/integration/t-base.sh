#!/bin/bash
# A VM's first disk without an upload: the admin's base images (listed,
# copied for each student in the kernel with holes kept, independent,
# counted against the disk quota, a template's default), blank disks of
# the size the admin chose, and a refusal that says what to do when there
# is neither.  A base image that an import would refuse, or that others
# may change, stops the broker at start and fails ie-vmd --check.
. "$(dirname "$0")/lib.sh"
need_root
command -v qemu-img >/dev/null || skip "qemu-img is not installed"
command -v qemu-io >/dev/null || skip "qemu-io is not installed"

A=ievs-base-a
B=ievs-base-b
Q=ievs-base-q
make_user $A || skip "cannot create users"
make_user $B
make_user $Q
UA=$(id -u $A) UB=$(id -u $B) UQ=$(id -u $Q)

BASE=$TMP/base
mkdir -p "$BASE" "$TMP/templates"
for t in default small blank; do
	cp "$TEST_TEMPLATE" "$TMP/templates/$t.xml"
done
qemu-img create -q -f qcow2 "$BASE/deb.qcow2" 64M
qemu-io -c 'write -q -P 0x61 1M 4M' "$BASE/deb.qcow2" >/dev/null
echo "Test base, 4 MiB of data; log in as root" > "$BASE/deb.txt"
qemu-img create -q -f raw "$BASE/tiny.img" 32M
printf 'tiny base marker' | dd of="$BASE/tiny.img" bs=1 seek=3000000 \
    conv=notrunc 2>/dev/null
echo "not an image: ignored" > "$BASE/README"
BLANK_SIZE=0 TEMPLATE_DIR=$TMP/templates write_config
sed -i "s|^pool_dir = .*|&\nbase_dir = $BASE|" "$CONF"
cat >> "$CONF" <<CONF
[template:small]
base = deb
[template:blank]
blank_size = 1
[quota]
vms = 20
[quota.user:$Q]
disk = 0
CONF
cp "$CONF" "$TMP/good.conf"
start_vmd || exit 1

pool_has() { [ -e "$TMP/pool/$1/$2.qcow2" ]; }
no_leftovers() {
	[ -z "$(ls -A "$TMP/pool/.staging" 2>/dev/null)" ] || {
		echo "# staging holds: $(ls "$TMP/pool/.staging")"; return 1; }
}
allocated() { echo $(( $(stat -c '%b * %B' "$1") )); }
disk_json() {
	vsh -u "$1" -c 'quota --json'
	$PYTHON -c "import json; print([r['used'] for r in json.load(open('$OUT'))['quota'] if r['resource'] == 'disk_bytes'][0])"
}

# No image, no base image, no blank size: refused, with what to do.
vsh -u $A -c 'define a'
check "define without a disk to start from is refused" rc_is 1
check "in one line" err_one_line
check "saying what to do" err_has "cannot define a without a disk: upload an image and use 'define a IMAGE', or pick a base image: 'define a --base B' ('images --base' lists them)"
vsh -u $A -c 'list'
check "nothing is defined" out_lacks "^a "
check "no disk is made" eval "! pool_has $UA a"
check "no leftovers" no_leftovers
check "audited as failed" grep -q "user=$A cmd=define args=\[\"a\"\] result=failed reason=\"cannot define a without a disk" "$TMP/vmd.log"

# The catalogue.
vsh -u $A -c 'images --base'
check "images --base" rc_is 0
check "has the columns" out_has "^Base  *Format  *Virtual  *Description$"
check "lists a qcow2 base, its size and description" \
    out_has "^deb  *qcow2  *64.0.MiB  *Test base, 4 MiB of data; log in as root$"
check "lists a raw base, without a description" out_has "^tiny  *raw  *32.0.MiB  *-$"
check "and nothing else" [ "$(wc -l < "$OUT")" -eq 3 ]
vsh -u $A -c 'images --base --json'
check "images --base --json parses" $PYTHON -c "import json
d = json.load(open('$OUT'))['bases']
assert [(b['name'], b['format'], b['virtual_bytes']) for b in d] == [('deb', 'qcow2', 64 << 20), ('tiny', 'raw', 32 << 20)], d
assert d[1]['description'] is None, d"
vsh -u $A -c 'images'
check "images without --base still lists uploads" out_has "^Uploads in "

# A copy for each student, in the kernel, holes kept.
vsh -u $A -c 'define b --base deb'
check "define --base" rc_is 0
check "says where the disk came from" out_has "^defined b (template default, disk copied from base deb)$"
check "the copy is root's, 0600" [ "$(stat -c '%U %a' "$TMP/pool/$UA/b.qcow2")" = "root 600" ]
check "with the base's content" qemu-img compare -q "$BASE/deb.qcow2" "$TMP/pool/$UA/b.qcow2"
check "and its holes (allocated: $(allocated "$TMP/pool/$UA/b.qcow2") bytes)" \
    [ "$(allocated "$TMP/pool/$UA/b.qcow2")" -lt $((12 << 20)) ]
check "no leftovers" no_leftovers
vsh -u $B -c 'define b --base deb'
check "another student's copy" rc_is 0
qemu-io -c 'write -q -P 0x7a 2M 64k' "$TMP/pool/$UA/b.qcow2" >/dev/null
check "a write to one copy changes it" \
    eval "! qemu-img compare -q '$BASE/deb.qcow2' '$TMP/pool/$UA/b.qcow2'"
check "but not the other copy" \
    qemu-img compare -q "$BASE/deb.qcow2" "$TMP/pool/$UB/b.qcow2"
check "nor the base" eval "qemu-io -c 'read -q -P 0x61 2M 64k' '$BASE/deb.qcow2' >/dev/null"
vsh -u $A -c 'define c --base tiny'
check "a raw base is converted" rc_is 0
check "into a qcow2 disk with its content" \
    qemu-img compare -q -f raw -F qcow2 "$BASE/tiny.img" "$TMP/pool/$UA/c.qcow2"
vsh -u $A -c 'start b'
check "a VM of a copied base starts" rc_is 0
vsh -u $A -c 'destroy b'

# The disk quota counts each copy at its virtual size, before it is made.
check "the quota counts both copies at their virtual size" \
    [ "$(disk_json $A)" -eq $(( (64 + 32) << 20 )) ]
vsh -u $Q -c 'define q --base deb'
check "over the disk quota: refused" rc_is 1
check "naming the disk quota" err_has "quota exceeded: disk 0.0 of 0 GiB used"
check "audited as denied" grep -q "user=$Q cmd=define args=\[\"q\" \"--base\" \"deb\"\] result=denied" "$TMP/vmd.log"
check "nothing copied" eval "! pool_has $UQ q"
check "no leftovers" no_leftovers

# What a template gives without --base: its base image, or a blank disk.
vsh -u $A -c 'define d --template small'
check "a template's default base image" out_has "^defined d (template small, disk copied from base deb)$"
vsh -u $A -c 'define e --template blank'
check "a template's blank disk" out_has "^defined e (template blank, blank disk of 1 GiB)$"
check "is qcow2 of 1 GiB" eval "qemu-img info '$TMP/pool/$UA/e.qcow2' | grep -q 'virtual size: 1 GiB'"
check "sparse (allocated: $(allocated "$TMP/pool/$UA/e.qcow2") bytes)" \
    [ "$(allocated "$TMP/pool/$UA/e.qcow2")" -lt $((1 << 20)) ]
check "and counted at its virtual size" \
    [ "$(disk_json $A)" -eq $(( (2 * 64 + 32 + 1024) << 20 )) ]
vsh -u $A -c 'start e'
check "a VM of a blank disk starts" rc_is 0
vsh -u $A -c 'destroy e'
vsh -u $A -c 'undefine e'
vsh -u $A -c 'define e'
check "a kept disk is taken again without --template" out_has "^defined e (template default)$"

# Mistakes.
vsh -u $A -c 'define f --base nosuch'
check "an unknown base image" err_has "^error: no base image nosuch; 'images --base' lists them$"
vsh -u $A -c 'define f --base Deb_12'
check "a base name against the rule is a usage error" rc_is 2
check "naming the rule" err_has "invalid base image name 'Deb_12': 1 to 32 characters"
touch "$TMP/upload/$A/x.img"
chown $A "$TMP/upload/$A/x.img"
vsh -u $A -c 'define f x.img --base deb'
check "an image and a base image together are a usage error" rc_is 2
check "saying so" err_has "define takes an IMAGE or --base B, not both"
vsh -u $A -c 'define b --base tiny'
check "an existing VM's name" err_has "a VM named b already exists"
vsh -u $A -c 'undefine b'
vsh -u $A -c 'define b --base tiny'
check "a kept disk is not replaced by a base" err_has "b already has a disk"
check "which keeps what was written to it" \
    eval "qemu-io -c 'read -q -P 0x7a 2M 64k' '$TMP/pool/$UA/b.qcow2' >/dev/null"

if "$PYTHON" -c 'import pexpect' 2>/dev/null; then
	export SH CONF TMP USER_A=$A
	if "$PYTHON" "$top_srcdir/tests/integration/ptydrive.py" bases; then
		ok "completion of base images at the prompt"
	else
		not_ok "completion of base images at the prompt"
		sed 's/^/# pty: /' "$TMP"/pty-*.log | tail -20
	fi
else
	echo "# python3-pexpect missing: completion not checked"
fi
stop_vmd

# Without a base image directory (nor a template that names one): the
# hint names uploads only.
sed -i -e "s|^base_dir = .*|base_dir = $TMP/nobase|" -e '/^base = deb$/d' \
    "$CONF"
start_vmd || exit 1
vsh -u $A -c 'images --base'
check "no base images: says so" out_has "^no base images here; upload an image"
vsh -u $A -c 'define z'
check "and define without a disk points to uploads" err_has "cannot define z without a disk: upload an image with sftp or scp and use 'define z IMAGE'$"
stop_vmd

# What stops the broker at start: each with the file and the reason.
refuses_start() {
	local what=$1 want=$2
	"$VMD_BIN" -F -f "$TMP/bad.conf" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	check "$what: the broker does not start" rc_is 1
	check "$what: saying why" err_has "$want"
	check "$what: ie-vmd --check fails on it" eval "'$VMD_BIN' --check -f '$TMP/bad.conf' 2>/dev/null | grep -q '^FAIL .*$want'"
}
sed "s|^socket = .*|socket = $TMP/bad.sock|" "$TMP/good.conf" > "$TMP/bad.conf"
"$VMD_BIN" --check -f "$TMP/bad.conf" >"$OUT" 2>&1
check "ie-vmd --check passes the good bases" out_has "^ok    base image $BASE/deb.qcow2: qcow2, 64.0.MiB virtual, passes the checks of an import$"
check "and the templates' settings" out_has "^ok    \[template:small\] names a template and base images that exist$"
qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw "$BASE/evil.qcow2" 64M
refuses_start "a base with a backing file" "base image $BASE/evil.qcow2: image refused: .*backing file"
rm "$BASE/evil.qcow2"
chmod 666 "$BASE/tiny.img"
refuses_start "a base others may write" "base image $BASE/tiny.img: writable by someone other than root"
chmod 644 "$BASE/tiny.img"
cp "$BASE/tiny.img" "$BASE/Tiny.img"
refuses_start "a base whose name breaks the rule" "base image $BASE/Tiny.img: rename it"
rm "$BASE/Tiny.img"
echo '[template:default]' >> "$TMP/bad.conf"
echo 'base = nosuch' >> "$TMP/bad.conf"
refuses_start "a template's base that is not there" "\[template:default\]: base image nosuch is not in $BASE"
sed -i 's/^\[template:default\]$/[template:nosuch]/' "$TMP/bad.conf"
refuses_start "settings for a template that is not there" "\[template:nosuch\]: no template nosuch.xml"
done_testing

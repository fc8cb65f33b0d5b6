#!/bin/bash
# Import of uploads: each accepted format becomes a VM's qcow2 disk with
# the same content; every refused image is refused with its reason, and
# the pool holds no leftovers, also after an import killed half-way.
. "$(dirname "$0")/lib.sh"
need_root
command -v qemu-img >/dev/null || skip "qemu-img is not installed"

A=ievs-imp-a
B=ievs-imp-b
make_user $A || skip "cannot create users"
make_user $B
UA=$(id -u $A)
write_config
sed -i "s|^pool_dir = .*|&\nmax_image_size = 1|" "$CONF"
printf '[quota]\nvms = 30\n[quota.user:%s]\ndisk = 0\n' $B >> "$CONF"
start_vmd || exit 1
vsh -u $A -c list
vsh -u $B -c list
AREA=$TMP/upload/$A
POOL=$TMP/pool/$UA
check "the upload area is made on first use, the user's, 0700" \
    [ "$(stat -c '%U %a' "$AREA")" = "$A 700" ]

# up NAME: the file is the student's, as an upload would be.
up() { chown $A: "$AREA/$1"; chmod 600 "$AREA/$1"; }
img() { qemu-img "$@" >/dev/null; }

img create -f raw "$AREA/disk.img" 64M
printf 'ie-vshell import test' | dd of="$AREA/disk.img" bs=1 seek=5000000 \
    conv=notrunc 2>/dev/null
up disk.img
img convert -O qcow2 "$AREA/disk.img" "$AREA/disk.qcow2"
img convert -O vmdk "$AREA/disk.img" "$AREA/disk.vmdk"
img convert -O vmdk -o subformat=streamOptimized "$AREA/disk.img" \
    "$AREA/stream.vmdk"
img convert -O vdi "$AREA/disk.img" "$AREA/disk.vdi"
img convert -O vhdx "$AREA/disk.img" "$AREA/disk.vhdx"
img convert -O vpc "$AREA/disk.img" "$AREA/disk.vhd"
mkdir "$TMP/box"
cp "$AREA/disk.qcow2" "$TMP/box/box.img"
echo '{"provider":"libvirt","format":"qcow2"}' > "$TMP/box/metadata.json"
tar -C "$TMP/box" -czf "$AREA/libvirt.box" metadata.json box.img
rm "$TMP/box/box.img"
cp "$AREA/disk.vmdk" "$TMP/box/box-disk001.vmdk"
tar -C "$TMP/box" -cf "$AREA/virtualbox.box" metadata.json box-disk001.vmdk
for f in disk.qcow2 disk.vmdk stream.vmdk disk.vdi disk.vhdx disk.vhd \
    libvirt.box virtualbox.box; do up $f; done

no_leftovers() {
	[ -z "$(ls -A "$TMP/pool/.staging" 2>/dev/null)" ] || {
		echo "# staging holds: $(ls "$TMP/pool/.staging")"; return 1; }
}
same_disk() {
	qemu-img compare -q -f raw -F qcow2 "$AREA/disk.img" "$POOL/$1.qcow2"
}

# Boxes are unpacked by the broker run again from /proc/self/exe, which
# under valgrind is valgrind's own tool: not what a deployment runs.
BOXES="libvirt.box virtualbox.box"
if [ "${VMD_WRAPPER:-}" = valgrind_vmd ]; then
	echo "# boxes not imported: under valgrind /proc/self/exe is valgrind's tool"
	BOXES=
fi
n=0
for f in disk.img disk.qcow2 disk.vmdk stream.vmdk disk.vdi disk.vhdx \
    disk.vhd $BOXES; do
	n=$((n + 1))
	vm=vm$n
	vsh -u $A -c "define $vm $f"
	check "$f: imported and defined" rc_is 0
	check "$f: says so" out_has "defined $vm (template default, disk imported)"
	check "$f: the disk is qcow2, root's, 0600" [ "$(stat -c '%U %a' \
	    "$POOL/$vm.qcow2" 2>/dev/null)" = "root 600" ]
	check "$f: same content as the original" same_disk $vm
	check "$f: no leftovers" no_leftovers
done
vsh -u $A -c list
check "the VMs are listed" out_has "^vm$n "
vsh -u $A -c "start vm1"
check "an imported VM starts" rc_is 0
vsh -u $A -c "destroy vm1"

# A refusal: exit status 1, the reason, nothing in the pool.
refused() {
	desc=$1 file=$2 reason=$3
	before=$(ls "$POOL" | wc -l)
	vsh -u ${AS:-$A} -c "define bad $file"
	check "$desc: refused" rc_is 1
	check "$desc: says why" err_has "$reason"
	check "$desc: one line" err_one_line
	check "$desc: no VM" eval "! virsh -q -c test:///default list --all 2>/dev/null | grep -q u${UA}_bad"
	check "$desc: nothing in the pool" [ "$(ls "$POOL" | wc -l)" -eq "$before" ] 
	check "$desc: no leftovers" no_leftovers
}

img create -f qcow2 -u -b /etc/shadow -F raw "$AREA/backing.qcow2" 64M
up backing.qcow2
refused "qcow2 backed by a host file" backing.qcow2 "backing file"
img create -f raw "$TMP/upload/$B/theirs.img" 64M
chown $B: "$TMP/upload/$B/theirs.img"
img create -f qcow2 -u -b "$TMP/upload/$B/theirs.img" -F raw \
    "$AREA/other.qcow2" 64M
up other.qcow2
refused "qcow2 backed by another user's upload" other.qcow2 "backing file"
img create -f qcow2 -u \
    -b 'json:{"driver":"file","filename":"/etc/shadow"}' -F raw \
    "$AREA/json.qcow2" 64M
up json.qcow2
refused "qcow2 with a json: backing file" json.qcow2 "backing file"
img create -f qcow2 -o data_file="$TMP/datafile" "$AREA/data.qcow2" 64M
up data.qcow2
refused "qcow2 with an external data file" data.qcow2 "data file"
cp "$AREA/disk.qcow2" "$AREA/corrupt.qcow2"
printf '\x00\x00\x00\x3f' | dd of="$AREA/corrupt.qcow2" bs=1 seek=20 \
    conv=notrunc 2>/dev/null	# cluster_bits 63
up corrupt.qcow2
refused "qcow2 with a corrupt header" corrupt.qcow2 "not a valid qcow2 image"
cp "$AREA/disk.qcow2" "$AREA/lies.qcow2"
printf '\x00\x10\x00\x00\x00\x00\x00\x00' | dd of="$AREA/lies.qcow2" bs=1 \
    seek=24 conv=notrunc 2>/dev/null	# virtual size 4 PiB
up lies.qcow2
refused "qcow2 lying about its size" lies.qcow2 "image refused\|not a valid"
img create -f qcow2 "$AREA/big.qcow2" 2G
up big.qcow2
refused "an image over the size limit" big.qcow2 "too large"
truncate -s 2G "$AREA/big.img"
up big.img
refused "a raw image over the size limit" big.img "too large"
ln -s disk.img "$AREA/link.img"
chown -h $A: "$AREA/link.img"
refused "a symbolic link" link.img "symbolic link"
ln "$AREA/disk.img" "$AREA/hard.img"
refused "a hard link" hard.img "more than one link"
rm "$AREA/hard.img"
mkfifo "$AREA/fifo.img"
chown $A: "$AREA/fifo.img"
refused "a FIFO" fifo.img "not a regular file"
img create -f raw "$AREA/roots.img" 64M
refused "a file the user does not own" roots.img "not your own file"
refused "a path out of the area" ../$B/theirs.img "outside your upload area"
refused "an absolute path elsewhere" /etc/passwd "outside your upload area"
img create -f vmdk -o subformat=monolithicFlat "$AREA/flat.vmdk" 64M
chown $A: "$AREA"/flat*.vmdk
refused "a VMDK descriptor" flat.vmdk "VMDK descriptor"
if [ -n "$BOXES" ]; then
	echo 'not a tar' | gzip > "$AREA/notes.txt.gz"
	up notes.txt.gz
	refused "a gzip that is no box" notes.txt.gz "cannot unpack the box"
	tar -C "$TMP/box" -cf "$AREA/empty.box" metadata.json
	up empty.box
	refused "a box without a disk" empty.box "no disk in the box"
fi
AS=$B refused "another user cannot take A's upload" "$AREA/disk.img" \
    "outside your upload area"

# The disk quota counts the new disk's virtual size, before it is placed.
qemu-img create -q -f raw "$TMP/upload/$B/small.img" 64M
chown $B: "$TMP/upload/$B/small.img"
vsh -u $B -c "define mine small.img"
check "over the disk quota: refused" rc_is 1
check "over the disk quota: says so" err_has "quota exceeded: disk"
check "over the disk quota: tells how to free space" err_has "undefine NAME --disk"
check "over the disk quota: no disk" [ -z "$(ls -A "$TMP/pool/$(id -u $B)" 2>/dev/null)" ]
check "over the disk quota: no leftovers" no_leftovers

# A disk in place is never overwritten.
vsh -u $A -c "define vm1 disk.img"
check "an existing VM's name is refused" err_has "already exists"
vsh -u $A -c "undefine vm2"
vsh -u $A -c "define vm2 disk.img"
check "a kept disk is not overwritten" err_has "already has a disk"
vsh -u $A -c "define vm2"
check "define without an image reuses the kept disk" rc_is 0
vsh -u $A -c "undefine vm2 --disk"
check "undefine --disk deletes the disk" [ ! -e "$POOL/vm2.qcow2" ]
vsh -u $A -c images
check "images lists uploads with their format" out_has "disk.vdi .* vdi"
check "images lists pool disks" out_has "vm3 .* defined"

# Killed half-way: qemu-img killed, and the session cut.
head -c 700M /dev/urandom > "$AREA/random.img"
up random.img
wait_staging() {
	i=0
	while [ $i -lt 400 ]; do
		[ -n "$(find "$TMP/pool/.staging" -type f -size +1M)" ] && return 0
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}
setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    "$SH" -f "$CONF" -c "define slow1 random.img" >"$OUT" 2>"$ERR" &
vpid=$!
sleep 0.2
# kill_convert: SIGKILL to this broker's own qemu-img convert, if it runs
# (other qemu-img runs on the machine are not ours).
kill_convert() {
	local p argv

	for p in $(child_pids "$VMD_PID"); do
		argv=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)
		case $argv in
		"qemu-img convert "*) kill -KILL "$p" && return 0 ;;
		esac
	done
	return 1
}
i=0
until kill_convert || [ $i -gt 1000 ]; do
	sleep 0.01
	i=$((i + 1))
done
wait $vpid
RC=$?
check "qemu-img killed: the import fails" rc_is 1
check "qemu-img killed: says so" err_has "killed"
check "qemu-img killed: no disk" [ ! -e "$POOL/slow1.qcow2" ]
check "qemu-img killed: no leftovers" no_leftovers

setpriv --reuid=$A --regid="$(id -g $A)" --init-groups -- \
    "$SH" -f "$CONF" -c "define slow2 random.img" >/dev/null 2>&1 &
vpid=$!
wait_staging
kill -KILL $vpid
wait $vpid 2>/dev/null || :
i=0
while ! no_leftovers >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "session cut: no leftovers" no_leftovers
check "session cut: no disk" [ ! -e "$POOL/slow2.qcow2" ]
vsh -u $A -c list
check "session cut: no VM" out_lacks slow2
check "session cut: the broker is fine" rc_is 0
check "the broker logged the imports" grep -q 'cmd=define args=\["vm1" "disk.img"\] result=ok' "$TMP/vmd.log"
check "and the refusals" grep -q 'cmd=define args=\["bad" "backing.qcow2"\] result=failed reason="backing.qcow2: image refused' "$TMP/vmd.log"
done_testing

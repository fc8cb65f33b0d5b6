#!/bin/bash
. "$(dirname "$0")/lib.sh"
. /work/wt-bladetest/tests/e2e/blades.sh
blades_start 2 || exit 1
blades_sshd || exit 1
U=$(blade_ssh_uri 2); echo "$U"
time virsh -c "$U" capabilities | grep -m1 uuid
time virsh -c "$U" list --all
ls -l ~/.ssh/known_hosts 2>/dev/null
cat $TMP/blades-ssh/sshd.log
mkguest
cat > $TMP/g.xml <<X
<domain type='qemu'><name>g1</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$GUEST'/><target dev='vda' bus='virtio'/></disk>
<serial type='pty'><log file='$TMP/serial.log' append='off'/><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console></devices></domain>
X
blade_virsh 1 define $TMP/g.xml
SECONDS=0
blade_virsh 1 start g1 && wait_for $TMP/serial.log "$GUEST_LINE" 60 && echo "booted in $SECONDS s"
blade_kill 1; blade_restart 1; blade_virsh 1 list --all
blades_stop
blades_leftovers && echo "nothing left"

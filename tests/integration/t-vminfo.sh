#!/bin/bash
# ip, info, the IP column of list, --json of list, info, images and quota
# (parsed as JSON), the login banner and completion of each argument; for
# the owner, and refused for another user as if the VM did not exist.
. "$(dirname "$0")/lib.sh"

need_root
make_user ievin-a || exit 1
make_user ievin-b || exit 1
A=ievin-a B=ievin-b
cat > "$CONF.quota" <<QUOTA

[quota]
vms = 5
disk = 10
QUOTA
write_config
cat "$CONF.quota" >> "$CONF"
start_vmd || exit 1

# json_has EXPR: the last output parses as JSON and the Python expression
# over it (d) holds.
json_has() {
	$PYTHON -c "import json, sys; d = json.load(open('$OUT')); sys.exit(not ($1))" ||
		{ echo "# JSON check failed: $1"; show; return 1; }
}

vsh -u $A -c 'define web'
vsh -u $A -c 'ip web'
check "ip of a stopped VM succeeds" rc_is 0
check "it shows the MAC" out_has "^MAC 52:54:00:[0-9a-f:]*  "
check "and says why there is no address" out_has "no IP address: the VM is not running"
vsh -u $A -c 'list'
check "list has an IP column" out_has "^Name  *State  *IP$"
check "a stopped VM has no address" out_has "^web  *shut off  *-$"

vsh -u $A -c 'info web --json'
check "info --json of a stopped VM: no uptime, no address" json_has "d['state'] == 'shut off' and d['uptime_seconds'] is None and d['addresses'] == [] and len(d['macs']) == 1"
vsh -u $A -c 'info web'
check "info of a stopped VM shows uptime -" out_has "^uptime:  *-$"
vsh -u $A -c 'start web'
vsh -u $A -c 'ip web'
check "ip of a running VM" rc_is 0
check "shows MAC and IP with its source" out_has "^MAC 52:54:00:[0-9a-f:]*  IP [0-9.]*/[0-9]*  ([a-z]*)$"
ip=$(sed -n 's/.*IP \([0-9.]*\)\/.*/\1/p' "$OUT")
vsh -u $A -c 'list'
check "list shows the address ip found" out_has "^web  *running  *$ip$"
# Without asking: the broker looks for a started VM's address itself.
vsh -u $A -c 'define web2'
vsh -u $A -c 'start web2'
for i in $(seq 50); do
	vsh -u $A -c 'list'
	grep -q '^web2  *running  *[0-9]' "$OUT" && break
	sleep 0.1
done
check "list shows a started VM's address within 5 s" out_has "^web2  *running  *[0-9][0-9.]*$"
vsh -u $A -c 'destroy web2'
check "destroy web2" rc_is 0
vsh -u $A -c 'list'
check "list shows no address of a stopped VM" out_has "^web2  *shut off  *-$"
vsh -u $A -c 'undefine web2 --disk'
check "undefine web2" rc_is 0

vsh -u $A -c 'info web'
check "info web" rc_is 0
for f in "state:  *running" "vCPUs:  *1" "memory:  *1024 MiB" "disk:" "uptime:  *[0-9]" "MAC:  *52:54:00" "IP:  *$ip" "template:  *default"; do
	check "info shows $f" out_has "^$f"
done

vsh -u $A -c 'list --json'
check "list --json" rc_is 0
check "list --json parses, with name, state and ip" json_has "d['vms'] == [{'name': 'web', 'state': 'running', 'ip': '$ip'}]"
vsh -u $A -c 'info web --json'
check "info --json" rc_is 0
check "info --json parses, with its fields" json_has "d['name'] == 'web' and d['state'] == 'running' and d['vcpus'] == 1 and d['memory_mib'] == 1024 and d['template'] == 'default' and d['uptime_seconds'] >= 0 and d['snapshots'] == 0 and 'disk_virtual_bytes' in d and 'disk_used_bytes' in d"
check "info --json lists MACs and addresses" json_has "d['addresses'][0]['ip'] == '$ip' and d['addresses'][0]['mac'] in d['macs'] and d['addresses'][0]['source'] in ('lease', 'arp', 'agent')"
vsh -u $A -c 'quota --json'
check "quota --json" rc_is 0
check "quota --json parses, limits in stable units" json_has "{q['resource']: (q['used'], q['limit']) for q in d['quota']} == {'vms': (1, 5), 'running': (1, 2), 'vcpus': (1, 4), 'memory_mib': (1024, 4096), 'disk_bytes': (2**30, 10 * 2**30), 'upload_bytes': (0, None), 'upload_files': (0, 100)}"

# A file name that needs escaping, in the upload area.
mkdir -p "$TMP/upload/$A"
chown $A "$TMP/upload/$A"
name=$(printf 'we"ird\\\x01name.img')
printf 'x%.0s' $(seq 100) > "$TMP/upload/$A/$name"
chown $A "$TMP/upload/$A/$name"
printf 'x%.0s' $(seq 100) > "$TMP/upload/$A/plain.img"
chown $A "$TMP/upload/$A/plain.img"
vsh -u $A -c 'images --json'
check "images --json" rc_is 0
check "images --json parses, escaping the odd name" json_has "[u['name'] for u in d['uploads']] == ['plain.img', 'we\"ird\\\\\\x01name.img'] and d['uploads'][1]['format'] == 'raw' and [x['name'] for x in d['disks']] == ['web']"
check "images --json is plain ASCII" $PYTHON -c "exit(any(b > 0x7e for b in open('$OUT', 'rb').read()))"
# A name with a C1 control and a bidi override: escaped, never raw.
odd=$(printf 'a\xc2\x9b\xe2\x80\xaez.img')
cp "$TMP/upload/$A/plain.img" "$TMP/upload/$A/$odd"
chown $A "$TMP/upload/$A/$odd"
vsh -u $A -c 'images --json'
check "non-ASCII names are escaped" json_has "'a\\x9b\\u202ez.img' in [u['name'] for u in d['uploads']]"
check "and the output stays ASCII" $PYTHON -c "exit(any(b > 0x7e for b in open('$OUT', 'rb').read()))"
rm -f "$TMP/upload/$A/$odd"
# Plain UTF-8 in a name: escaped too, and read back the same.
utf=$(printf 'd\xc3\xa9j\xc3\xa0 vu.img')
cp "$TMP/upload/$A/plain.img" "$TMP/upload/$A/$utf"
chown $A "$TMP/upload/$A/$utf"
vsh -u $A -c 'images --json'
check "a UTF-8 name reads back the same" json_has "'d\u00e9j\u00e0 vu.img' in [u['name'] for u in d['uploads']]"
check "and stays ASCII" $PYTHON -c "exit(any(b > 0x7e for b in open('$OUT', 'rb').read()))"
check "python3 -m json.tool takes the whole output" $PYTHON -m json.tool "$OUT" /dev/null
rm -f "$TMP/upload/$A/$utf"
vsh -u $A -c 'images'
check "images as text still works" out_has "Uploads in"
# Columns line up whatever their widths: a long name, a wide (Japanese)
# one, a format name longer than the others, a refused entry.
upload_file() { cp "$TMP/upload/$A/plain.img" "$TMP/upload/$A/$1"; chown $A "$TMP/upload/$A/$1"; }
upload_file "a-long-name-of-an-upload-past-24-columns.img"
upload_file "$(printf '\xe4\xbb\xae\xe6\x83\xb3\xe3\x83\x87\xe3\x82\xa3\xe3\x82\xb9\xe3\x82\xaf.img')"
printf '# Disk DescriptorFile\nversion=1\nRW 1 FLAT "plain.img" 0\n' > "$TMP/upload/$A/desc.vmdk"
chown $A "$TMP/upload/$A/desc.vmdk"
mkdir "$TMP/upload/$A/folder"
vsh -u $A -c 'images'
check "images names the VMDK descriptor" out_has "desc.vmdk .* vmdk descriptor"
check "images lines up its columns" aligned "^Uploads in" "^Disks in the pool"

# Another user: refused like a missing VM, and never in their lists.
for cmd in "ip web" "info web" "info web --json"; do
	vsh -u $B -c "$cmd"
	check "$B: $cmd fails" rc_is 1
	check "$B: $cmd says no such VM" err_has "^error: no such VM: web$"
	vsh -u $B -c "${cmd/web/$A/web}"
	check "$B: ${cmd/web/$A/web} is denied" err_has "permission denied"
done
vsh -u $B -c 'info nosuch'
check "the message for a missing VM is the same" err_has "^error: no such VM: nosuch$"
vsh -u $B -c 'list --json'
check "$B's list --json is empty" json_has "d == {'vms': []}"
vsh -u $A -c 'info Bad_Name'
check "an invalid name is a usage error" rc_is 2

# -c prints no banner.
vsh -u $A -c 'quota'
check "-c mode has no banner" out_lacks "Quota:"

if "$PYTHON" -c 'import pexpect' 2>/dev/null; then
	vsh -u $A -c 'snapshot web create before'
	export SH CONF TMP USER_A=$A USER_B=$B
	if "$PYTHON" "$top_srcdir/tests/integration/ptydrive.py" banner; then
		ok "banner and completion at the prompt"
	else
		not_ok "banner and completion at the prompt"
		sed 's/^/# pty: /' "$TMP"/pty-*.log | tail -40
	fi
else
	echo "# python3-pexpect missing: interactive part skipped"
fi
done_testing

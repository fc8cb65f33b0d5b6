#!/bin/bash
# The firewall of the shipped default template on a real guest: the VM's
# tap device gets its nwfilter binding and the iptables and ebtables rules
# of ie-vshell-student (ssh open), info shows them, and they go when the
# VM is destroyed; with the filter removed from the host, --check names
# it and start refuses in one line, the VM left shut off.
# The guest sits on a libvirt network of its own (an isolated bridge, made
# and destroyed here); it sends from a fixed address, from which libvirt
# learns its IP and writes the IP-level rules.
. "$(dirname "$0")/lib.sh"

A=ievse2nf
NET=ievs-e2e-nf
BR=ievsnf0
FILTER=ie-vshell-student
V="virsh -q -c qemu:///system"
export GUEST_NET=192.0.2.10/24

e2e_prepare() {
	command -v iptables >/dev/null && command -v ebtables >/dev/null ||
		skip "no iptables or ebtables (Debian: iptables)"
	$V nwfilter-list >/dev/null 2>&1 ||
		skip "this libvirtd has no nwfilter driver"
	$V nwfilter-dumpxml clean-traffic >/dev/null 2>&1 ||
		skip "no clean-traffic filter (Debian: libvirt-daemon-config-nwfilter)"
	# The filter as shipped; one already defined is kept aside and put
	# back at the end.
	if $V nwfilter-dumpxml $FILTER > "$TMP/filter.saved" 2>/dev/null; then
		undo "$V nwfilter-undefine $FILTER; $V nwfilter-define $TMP/filter.saved"
		$V nwfilter-undefine $FILTER >/dev/null || return 1
	else
		undo "$V nwfilter-undefine $FILTER"
	fi
	$V nwfilter-define "$top_srcdir/templates/nwfilter/$FILTER.xml" \
	    >/dev/null || return 1
	printf "<network><name>%s</name><bridge name='%s' stp='off'/></network>\n" \
	    $NET $BR > "$TMP/net.xml"
	$V net-destroy $NET >/dev/null 2>&1
	$V net-create "$TMP/net.xml" >/dev/null || return 1
	undo "$V net-destroy $NET"
	# The shipped template, on this bridge, under TCG, small.
	sed -e "s|<domain type='kvm'>|<domain type='qemu'>|" \
	    -e "s|<memory unit='MiB'>1024</memory>|<memory unit='MiB'>256</memory>|" \
	    -e "s|<source bridge='br0'/>|<source bridge='$BR'/>|" \
	    "$top_srcdir/templates/default.xml" > "$TMP/templates/default.xml"
	grep -q "bridge='$BR'" "$TMP/templates/default.xml" &&
	    grep -q "filter='$FILTER'" "$TMP/templates/default.xml" || return 1
}
e2e_setup "+$A"
SECONDS=0

scp "${SSH_OPTS[@]}" -P "$PORT" -i "$TMP/keys/$A" "$GUEST" \
    "$A@127.0.0.1:" >"$OUT" 2>"$ERR"
ssh_key $A define web guest.img
check "define web from the default template" rc_is 0
dom=$(domain_of $A web)

started=$SECONDS
ssh_key $A start web
check "start web" rc_is 0
dev=$($V domiflist "$dom" | awk '$2 == "bridge" { print $1 }')
check "its interface has a tap device ($dev)" test -n "$dev"
check "the tap device has its binding to $FILTER" \
    bash -c "$V nwfilter-binding-list | grep -qE '^ *$dev +$FILTER *\$'"
check "ebtables: the tap device's chain" \
    bash -c "ebtables -t nat -L | grep -qF 'libvirt-I-$dev'"
rules() {
	local i
	for ((i = 0; i < 600; i++)); do
		iptables -S 2>/dev/null | grep -q -- "-A FO-$dev " && return 0
		sleep 0.1
	done
	return 1
}
check "iptables: the tap device's chains once the guest's IP is learnt" rules
echo "# rules in place $((SECONDS - started)) s after start"
iptables -S > "$TMP/iptables"
check "ssh is open to the VM" grep -q -- \
    "-A FO-$dev -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT" "$TMP/iptables"
check "and nothing else that is new" grep -q -- "-A FO-$dev -j DROP" "$TMP/iptables"
ssh_key $A info web
check "info shows the firewall" out_has "^firewall:  *$FILTER$"
check "and the open ports" out_has "^open ports:  *22/tcp$"

ssh_key $A destroy web
check "destroy web" rc_is 0
check "the binding is gone" \
    bash -c "! $V nwfilter-binding-list | grep -q '$dev '"
check "the iptables rules are gone" bash -c "! iptables -S | grep -q -- '-$dev '"
check "the ebtables rules are gone" bash -c "! ebtables -t nat -L | grep -q -- '-$dev'"

# The filter removed from the host.
$V nwfilter-undefine $FILTER >/dev/null
"$VMD_BIN" --check --student $A --shell "$SH" --sshd-config "$SSHD_CONFIG" \
    >"$OUT" 2>"$ERR"
RC=$?
check "--check fails" rc_is 1
check "naming the template and its missing filter" \
    out_has "^FAIL  template default: filter $FILTER defined in libvirt: .*; fix: define it: virsh -c qemu:///system nwfilter-define .*/$FILTER.xml"
ssh_key $A start web
check "start refuses" rc_is 1
check "in one line" err_one_line
check "saying the firewall is not on this host and who can act" \
    err_has "^error: cannot start web: its firewall (a libvirt nwfilter its template names) is not defined on this host; tell the admin (ie-vmd --check names it)$"
check "the VM is not running" test "$($V domstate "$dom" | head -n 1)" = "shut off"
$V nwfilter-define "$top_srcdir/templates/nwfilter/$FILTER.xml" >/dev/null

ssh_key $A undefine web --disk
echo "# the test took $SECONDS s after its setup"
done_testing

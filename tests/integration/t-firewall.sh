#!/bin/bash
# The firewall a template asks for, on libvirt's test driver (which has no
# nwfilter): [template:NAME] from, filter, inbound and outbound make the
# interfaces' <filterref>; info shows the firewall and the open ports; a
# VM whose filter is not bound after start is stopped again with one line;
# a template without a filter starts; bad groups stop the broker with the
# file, line and key; ie-vmd --check names a filter libvirt does not have.
. "$(dirname "$0")/lib.sh"

need_root
make_user ievfw-a || exit 1
A=ievfw-a

mkdir -p "$TMP/tpl"
TEMPLATE_DIR="$TMP/tpl"
cp "$top_srcdir/templates/default.xml" "$TMP/tpl/default.xml"
cp "$TEST_TEMPLATE" "$TMP/tpl/open.xml"
GROUPS_OK='
[template:web]
from = default
inbound = 22, 80 443
[template:lab]
from = open
filter = ie-vshell-student-restricted
inbound = 2222
outbound = 80,443'

# vmd_fails DESC TEXT: the broker refuses the config, saying TEXT.
vmd_fails() {
	timeout 10 "$VMD_BIN" -F -f "$CONF" >"$OUT" 2>"$ERR"
	RC=$?
	check "$1: the broker does not start" [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]
	check "$1: says why" err_has "$2"
}
for bad in "inbound = 0|'inbound' in \[template:web\]: a port is a number from 1 to 65535" \
    "inbound = ssh|a port is a number" \
    "inbound =|no port given" \
    "filter = ../x|'filter' in \[template:web\]: must be a name" \
    "from = nosuch|\[template:web\]: no template nosuch.xml" \
    "from = web|from names the template itself"; do
	write_config
	printf '[template:web]\n%s\n' "${bad%%|*}" >> "$CONF"
	[ "${bad%%|*}" = "from = web" ] || grep -q '^from' "$CONF" ||
	    printf 'from = default\n' >> "$CONF"
	vmd_fails "[template:web] ${bad%%|*}" "${bad#*|}"
done
write_config
printf '[template:open]\ninbound = 22\n' >> "$CONF"
vmd_fails "ports for a template without a filter" "inbound or outbound ports are set, but an interface has no <filterref>; set filter = in \[template:open\]"
write_config
printf '[template:default]\nport = 22\n' >> "$CONF"
vmd_fails "an unknown key" "unknown key 'port' in \[template:default\]; known: base, blank_size, from, filter, inbound, outbound"

write_config
echo "$GROUPS_OK" >> "$CONF"
start_vmd || exit 1

vsh -u $A -c 'define a'
check "define from the default template" rc_is 0
vsh -u $A -c 'define w --template web'
check "define --template web (a group made from default.xml)" rc_is 0
vsh -u $A -c 'define l --template lab'
check "define --template lab (a filter added to a template without one)" rc_is 0
vsh -u $A -c 'define o --template open'
check "define --template open" rc_is 0

vsh -u $A -c 'info a'
check "info a: the default template's filter" out_has "^firewall:  *ie-vshell-student$"
check "info a: ssh is open" out_has "^open ports:  *22/tcp$"
check "info a: outbound is not limited by port" out_lacks "^outbound:"
vsh -u $A -c 'info w'
check "info w: web's ports" out_has "^open ports:  *22/tcp, 80/tcp, 443/tcp$"
vsh -u $A -c 'info w --json'
check "info --json: firewall and open_ports" $PYTHON -c "
import json, sys
d = json.load(open('$OUT'))
sys.exit(not (d['firewall'] == 'ie-vshell-student' and
    d['open_ports'] == [22, 80, 443] and d['outbound_ports'] == []))"
vsh -u $A -c 'dumpxml w'
check "the domain's filterref has one TCP_IN per port" \
    [ "$(grep -c "<parameter name=.TCP_IN. value=.\(22\|80\|443\)./>" "$OUT")" -eq 3 ]
vsh -u $A -c 'dumpxml a'
check "default keeps its own ports (web's group is web's only)" \
    [ "$(grep -c 'name=.TCP_IN.' "$OUT")" -eq 1 ]
vsh -u $A -c 'info l'
check "info l: the group's filter" out_has "^firewall:  *ie-vshell-student-restricted$"
check "info l: its inbound port" out_has "^open ports:  *2222/tcp$"
check "info l: its outbound ports" out_has "^outbound:  *80/tcp, 443/tcp only$"
vsh -u $A -c 'info o'
check "info o: no firewall, said plainly" out_has "^firewall:  *none; every port of the VM is open$"

# The test driver binds no filter: a VM that asks for one must not run.
vsh -u $A -c 'start a'
check "start of a filtered VM where no filter binds: refused" rc_is 1
check "with one line" err_one_line
check "saying the firewall is not in place and the VM was stopped" \
    err_has "^error: cannot start a: its firewall is not in place: .*filter ie-vshell-student.*; it was stopped, tell the admin$"
vsh -u $A -c 'list'
check "the VM is not running" out_has "^a  *shut off"
vsh -u $A -c 'start o'
check "a VM whose template asks for no filter starts" rc_is 0
vsh -u $A -c 'destroy o'
check "the refusal is in the audit log with libvirt's words" \
    grep -q 'cmd=start args=\["a"\] result=failed reason="cannot start a: its firewall is not in place.* libvirt="' "$TMP/vmd.log"
stop_vmd

# --check: a template whose filter libvirt lacks (the test driver has none).
"$VMD_BIN" --check -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "--check fails" [ "$RC" -eq 1 ]
check "--check names the template and its missing filter" \
    out_has "^FAIL  template web: filter ie-vshell-student defined in libvirt: .*; fix: define it: virsh -c test:///default nwfilter-define .*/nwfilter/ie-vshell-student.xml"
check "--check names the group's own filter" \
    out_has "^FAIL  template lab: filter ie-vshell-student-restricted defined in libvirt"
check "--check says nothing of a template without a filter" \
    out_lacks "template open: filter"

done_testing

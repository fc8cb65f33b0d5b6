#!/bin/bash
# A bad config or template stops the broker at start-up with one message
# naming the file, the line and the key (or the template and the reason).
. "$(dirname "$0")/lib.sh"

# vmd_fails DESCRIPTION PATTERN: the broker must exit non-zero, saying PATTERN.
vmd_fails() {
	timeout 10 "$VMD_BIN" -F -f "$CONF" >"$OUT" 2>"$ERR"
	RC=$?
	check "$1: does not start" [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]
	check "$1: says why" err_has "$2"
	check "$1: no socket left" [ ! -S "$SOCK" ]
}

write_config
printf '\n[daemon]\nmax_clientz = 3\n' >> "$CONF"
vmd_fails "unknown key" "ie-vshell.conf:$(grep -n max_clientz "$CONF" | cut -d: -f1): unknown key 'max_clientz' in \[daemon\]"

write_config
sed -i 's/^max_clients = .*/max_clients = lots/' "$CONF"
vmd_fails "bad number" "ie-vshell.conf:4: key 'max_clients' in \[daemon\]: out of range"

write_config
sed -i 's|^pool_dir = .*|pool_dir = relative/pool|' "$CONF"
vmd_fails "relative path" "key 'pool_dir' in \[storage\]: must be an absolute path"

write_config
printf '[frobnicate]\nvms = 3\n' >> "$CONF"
vmd_fails "unknown group" "unknown group \[frobnicate\]"

write_config
printf '[quotas]\nvms = 3\n' >> "$CONF"
vmd_fails "misspelt quota group" "bad quota group \[quotas\]"

write_config
printf '[quota.user:]\nvms = 3\n' >> "$CONF"
vmd_fails "quota rule without a name" "bad quota group"

write_config
printf '[quota]\nvms = -1\n' >> "$CONF"
vmd_fails "negative quota" "key 'vms' in \[quota\]: must be a number"

write_config
printf '[quota.group:class]\ncpus = 3\n' >> "$CONF"
vmd_fails "unknown quota key" "unknown key 'cpus' in \[quota.group:class\]"

write_config
printf 'this is not ini\n' >> "$CONF"
vmd_fails "syntax error" "ie-vshell.conf"

"$VMD_BIN" -F -f "$TMP/nonexistent.conf" >"$OUT" 2>"$ERR"
RC=$?
check "a missing -f file is an error" [ "$RC" -ne 0 ]
check "naming the file" err_has "nonexistent.conf"

# Files the broker trusts must be writable by root alone.
write_config
chmod g+w "$CONF"
vmd_fails "group-writable config" "config $CONF: writable by someone other than root"
chmod 644 "$CONF"

# Templates.
mkdir -p "$TMP/tpl"
TEMPLATE_DIR="$TMP/tpl"
write_config
vmd_fails "no default template" "default template 'default' not found"
cp "$TEST_TEMPLATE" "$TMP/tpl/default.xml"
echo '<domain type="kvm"><memory>1</memory><devices>' > "$TMP/tpl/broken.xml"
vmd_fails "broken template" "template $TMP/tpl/broken.xml: not well-formed XML"
sed 's|</devices>|<disk type="block" device="disk"><target dev="vdb"/></disk></devices>|' \
    "$TEST_TEMPLATE" > "$TMP/tpl/broken.xml"
vmd_fails "template with two disks" "template $TMP/tpl/broken.xml: "
sed 's|<devices>|<devices><hostdev mode="subsystem" type="pci"/>|' \
    "$TEST_TEMPLATE" > "$TMP/tpl/broken.xml"
vmd_fails "template with a host device" "host devices"
rm "$TMP/tpl/broken.xml"
chmod o+w "$TMP/tpl/default.xml"
vmd_fails "world-writable template" "template $TMP/tpl/default.xml: writable by someone other than root"
chmod 644 "$TMP/tpl/default.xml"

# So must the pool and the upload areas' parent, which it makes if missing.
mkdir -p "$TMP/pool" "$TMP/upload"
chmod g+w "$TMP/pool"
vmd_fails "group-writable pool" "pool directory $TMP/pool: writable by someone other than root"
chmod g-w "$TMP/pool"
chmod o+w "$TMP/upload"
vmd_fails "world-writable upload directory" "upload directory $TMP/upload: writable by someone other than root"
chmod o-w "$TMP/upload"

# A second template can be chosen; the default is used otherwise.
sed 's|<vcpu>1</vcpu>|<vcpu>2</vcpu>|' "$TEST_TEMPLATE" > "$TMP/tpl/big.xml"
start_vmd || exit 1
vsh -c 'define b --template big'
check "define --template big" rc_is 0
vsh -c 'dumpxml b'
check "the big template was used" out_has "<vcpu[^>]*>2</vcpu>"
vsh -c 'define d'
vsh -c 'dumpxml d'
check "the default template is used otherwise" out_has "<vcpu[^>]*>1</vcpu>"

# A second broker on the same socket refuses to steal it.
timeout 10 "$VMD_BIN" -F -f "$CONF" >"$OUT" 2>"$ERR"
RC=$?
check "a second broker refuses a live socket" [ "$RC" -ne 0 ]
check "saying another one listens" err_has "another ie-vmd is listening"
vsh -c 'list'
check "the first broker still serves" out_has "^b "

# The shell with a bad -f: one line, status 2.
"$SH" -f "$TMP/nonexistent.conf" -c list >"$OUT" 2>"$ERR"
RC=$?
check "shell with a missing -f config fails" rc_is 2
check "with one line" err_one_line
done_testing

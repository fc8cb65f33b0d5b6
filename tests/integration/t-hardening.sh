#!/bin/bash
# Both programs are built hardened, as checksec would report it: a
# position-independent executable, full RELRO (the relocations made
# read-only after loading, every symbol bound at start) and the stack
# protector; _FORTIFY_SOURCE too where configure found that it takes
# effect (an optimising build without sanitizers).
. "$(dirname "$0")/lib.sh"

[ "${hardening:-yes}" = yes ] || skip "configured with --disable-hardening"
command -v readelf >/dev/null || skip "readelf (binutils) is not installed"

for bin in "$SHELL_BIN" "$VMD_BIN"; do
	b=$(basename "$bin")
	hdr=$(readelf -h -l -W "$bin")
	dyn=$(readelf -d -W "$bin")
	syms=$(readelf --dyn-syms -W "$bin")
	check "$b is position-independent (PIE)" eval \
	    'grep -q "Type: *DYN" <<<"$hdr" && grep -q "INTERP" <<<"$hdr" &&
	    grep -Eq "FLAGS_1.*\bPIE\b" <<<"$dyn"'
	check "$b has a read-only relocation segment (RELRO)" \
	    grep -q "GNU_RELRO" <<<"$hdr"
	check "$b binds every symbol at start (full RELRO)" \
	    grep -Eq "\(FLAGS\).*\bBIND_NOW\b|\(FLAGS_1\).*\bNOW\b" <<<"$dyn"
	check "$b has the stack protector" \
	    grep -q "__stack_chk_fail" <<<"$syms"
	if grep -q -- "-D_FORTIFY_SOURCE=2" "$top_builddir/Makefile"; then
		check "$b calls the fortified functions" \
		    grep -Eq "__[a-z]+_chk\b" <<<"$(grep -v __stack_chk <<<"$syms")"
	else
		echo "# no _FORTIFY_SOURCE in this build (it does not" \
		    "optimise, or has sanitizers): not checked"
	fi
done
done_testing

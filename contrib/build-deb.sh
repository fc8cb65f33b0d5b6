#!/bin/bash
# Builds the Debian package from a copy of this source tree, leaving the
# tree itself as it is (dpkg-buildpackage regenerates the build system in
# the tree it builds).  Usage: contrib/build-deb.sh OUTDIR; prints the
# path of the .deb it puts in OUTDIR.  Admins can run dpkg-buildpackage
# -us -uc -b in the tree instead (README.md).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$1"
out=$(cd "$1" && pwd -P)
work=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/ie-vshell"
# The tracked files (and new ones not ignored) of a git checkout; else the
# tree without its build directories.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
	    tar -C "$src" --null --verbatim-files-from -T - \
	    --ignore-failed-read -cf - | tar -C "$work/ie-vshell" -xf -
else
	tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . |
	    tar -C "$work/ie-vshell" -xf -
fi
# Not a job of a make that runs this (make check): a make of its own.
unset MAKEFLAGS MFLAGS MAKELEVEL
(cd "$work/ie-vshell" && dpkg-buildpackage -us -uc -b -Jauto) \
    >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
deb=$(ls "$work"/ie-vshell_*.deb)
mv "$deb" "$out/"
echo "$out/$(basename "$deb")"

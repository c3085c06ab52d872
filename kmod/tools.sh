#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the kernel tools kfaas.ko needs that no Debian binary package ships,
# from Debian's linux-source-6.1 tarball (tools/deps.sh installs it):
#   resolve_btfids   resolves the BTF ids of the module's kfunc set
#   checkpatch.pl    Linux coding style check (with its data files)
# Only the few directories needed are extracted; everything is cached in
# OUT and rebuilt only when the tarball changes.
#
#   kmod/tools.sh OUT     -> OUT/resolve_btfids, OUT/checkpatch/checkpatch.pl
set -eu

out=${1:?usage: kmod/tools.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tarball=${LINUX_SOURCE_TARBALL:-$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)}
if [ -z "$tarball" ] || [ ! -r "$tarball" ]; then
	echo "kmod: no /usr/src/linux-source-*.tar.xz: install linux-source-6.1" \
	     "(tools/deps.sh) or set LINUX_SOURCE_TARBALL" >&2
	exit 1
fi
stamp="$out/.stamp"
want="$(stat -c '%n %s %Y' "$tarball")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -x "$out/resolve_btfids" ] && [ -f "$out/checkpatch/checkpatch.pl" ]; then
	exit 0
fi

rm -rf "${out:?}"/*
mkdir -p "$out/src"
top=$(tar -tJf "$tarball" 2>/dev/null | head -1 | cut -d/ -f1)
echo "kmod: extracting resolve_btfids and checkpatch sources from $tarball"
tar -xJf "$tarball" -C "$out/src" \
	"$top/tools/bpf/resolve_btfids" "$top/tools/lib" "$top/tools/include" \
	"$top/tools/build" "$top/tools/scripts" "$top/tools/arch" \
	"$top/scripts/bpf_doc.py" "$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" "$top/scripts/const_structs.checkpatch"
echo "kmod: building resolve_btfids"
mkdir -p "$out/rb"
make -s -C "$out/src/$top/tools/bpf/resolve_btfids" OUTPUT="$out/rb/" \
	>"$out/rb.log" 2>&1 || {
	cat "$out/rb.log" >&2
	echo "kmod: building resolve_btfids failed (log above)" >&2
	exit 1
}
cp "$out/rb/resolve_btfids" "$out/resolve_btfids"
mkdir -p "$out/checkpatch"
cp "$out/src/$top/scripts/checkpatch.pl" "$out/src/$top/scripts/spelling.txt" \
   "$out/src/$top/scripts/const_structs.checkpatch" "$out/checkpatch/"
rm -rf "$out/src" "$out/rb" "$out/rb.log"
echo "$want" >"$stamp"

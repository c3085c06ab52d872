#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build kfaas.ko for one kernel, with the module BTF its kfuncs need:
#   kmod/build.sh OUTDIR [make args, e.g. C=2]
# Environment:
#   KVER       kernel release (default: the newest Debian linux-headers-*)
#   KDIR       its build tree (default /lib/modules/$KVER/build)
#   BTF_BASE   the kernel's BTF: raw BTF, vmlinux or bzImage (default:
#              KDIR/vmlinux, else /sys/kernel/btf/vmlinux when KVER is the
#              running kernel, else /boot/vmlinuz-$KVER)
#   KTOOLS     directory with resolve_btfids (default: KDIR's own, else
#              built by kmod/tools.sh under OUTDIR/../tools)
# The module is OUTDIR/kfaas.ko.  The build fails, saying why, when the
# module BTF cannot be produced: a module without it would load but its
# kfuncs would not exist.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: kmod/build.sh OUTDIR [make args]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
die() { echo "kmod: $*" >&2; exit 1; }

if [ -z "${KVER:-}" ]; then
	KVER=$(ls -d /usr/src/linux-headers-*-amd64 /usr/src/linux-headers-*-arm64 \
		2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -1)
	[ -n "$KVER" ] || die "no kernel headers found: install linux-headers-amd64 (tools/deps.sh) or set KVER/KDIR"
fi
KDIR=${KDIR:-/lib/modules/$KVER/build}
[ -f "$KDIR/Makefile" ] || die "no kernel build tree at $KDIR: install linux-headers-$KVER or set KDIR"
grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KDIR/.config" 2>/dev/null ||
	die "kernel $KVER lacks CONFIG_DEBUG_INFO_BTF_MODULES: kfuncs cannot work there"

# a shadow source tree, so that every output stays in $out
src=$out/src
mkdir -p "$src/kmod"
ln -sfn "$here/Kbuild" "$src/Kbuild"
ln -sfn "$here/include" "$src/include"
for f in "$here"/kmod/*.c "$here"/kmod/*.h; do
	ln -sfn "$f" "$src/kmod/$(basename "$f")"
done

make -C "$KDIR" M="$src" "$@" modules >"$out/build.log" 2>&1 || {
	cat "$out/build.log" >&2
	die "building kfaas.ko for $KVER failed (log above)"
}
grep -E 'warning:|error:' "$out/build.log" >&2 || true
ko=$out/kfaas.ko.tmp
cp "$src/kfaas.ko" "$ko"

if [ ! -f "$KDIR/vmlinux" ]; then
	# the headers package has no vmlinux: add the BTF ourselves
	# resolve_btfids: the build tree's (some distributions ship it),
	# else built from linux-source (kmod/tools.sh)
	rb=$KDIR/tools/bpf/resolve_btfids/resolve_btfids
	if [ ! -x "$rb" ]; then
		rb=${KTOOLS:-$out/../tools}/resolve_btfids
		[ -x "$rb" ] || "$here/kmod/tools.sh" "$(dirname "$rb")" ||
			die "no resolve_btfids: cannot produce module BTF (install linux-source-6.1 or a kernel build tree that has tools/bpf/resolve_btfids)"
	fi
	base=${BTF_BASE:-}
	if [ -z "$base" ]; then
		if [ "$KVER" = "$(uname -r)" ] && [ -r /sys/kernel/btf/vmlinux ]; then
			base=/sys/kernel/btf/vmlinux
		elif [ -r "/boot/vmlinuz-$KVER" ]; then
			base=/boot/vmlinuz-$KVER
		else
			die "no BTF for kernel $KVER: install linux-image-$KVER or set BTF_BASE"
		fi
	fi
	if [ ! -s "$out/vmlinux.btf" ] || [ "$base" -nt "$out/vmlinux.btf" ]; then
		"$here/kmod/vmlinux-btf.sh" "$base" "$out/vmlinux.btf" ||
			die "cannot get the BTF of kernel $KVER from $base"
	fi
	LLVM_OBJCOPY=objcopy pahole -J --btf_gen_floats --lang_exclude=rust \
		--btf_base "$out/vmlinux.btf" "$ko" >"$out/btf.log" 2>&1 ||
		{ cat "$out/btf.log" >&2; die "pahole could not add BTF to kfaas.ko"; }
	"$rb" -b "$out/vmlinux.btf" "$ko" >>"$out/btf.log" 2>&1 ||
		{ cat "$out/btf.log" >&2; die "resolve_btfids failed on kfaas.ko"; }
	if grep -qi 'unresolved' "$out/btf.log"; then
		cat "$out/btf.log" >&2
		die "resolve_btfids left kfunc ids unresolved"
	fi
	btfbase=$out/vmlinux.btf
else
	btfbase=${BTF_BASE:-$KDIR/vmlinux}
fi

readelf -S "$ko" | grep -q ' \.BTF ' ||
	die "kfaas.ko has no .BTF section: its kfuncs would not register"
for k in kfaas_kf_admit kfaas_kf_charge; do
	bpftool -B "$btfbase" btf dump file "$ko" 2>/dev/null |
		grep -q "FUNC '$k'" ||
		die "kfaas.ko's BTF lacks $k: the kfunc would not exist"
done
# the kfunc set's ids must be resolved (non-zero) in .BTF_ids
objcopy --dump-section .BTF_ids="$out/btf_ids.bin" "$ko" "$out/.dump.ko"
ids=$(od -An -tu4 -v "$out/btf_ids.bin" | tr -s ' \n' ' ')
rm -f "$out/.dump.ko" "$out/btf_ids.bin"
set -- $ids
[ $# -ge 6 ] && [ "$3" != 0 ] && [ "$5" != 0 ] ||
	die "kfaas.ko's kfunc BTF ids are not resolved ($ids)"
mv "$ko" "$out/kfaas.ko"
echo "$KVER" >"$out/kver"

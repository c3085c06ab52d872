#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The raw BTF of a kernel, for building module BTF against it:
#   kmod/vmlinux-btf.sh VMLINUZ|VMLINUX|BTF OUT
# A raw BTF file (like /sys/kernel/btf/vmlinux) is copied; an ELF vmlinux
# gives its .BTF section; a bzImage is decompressed first (xz, zstd, gzip).
set -eu

in=${1:?usage: vmlinux-btf.sh KERNEL OUT}
out=${2:?usage: vmlinux-btf.sh KERNEL OUT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() { echo "kmod: $*" >&2; exit 1; }

magic=$(od -An -tx1 -N4 "$in" | tr -d ' \n')
case "$magic" in
9feb0100) cp "$in" "$tmp/btf" ;;		# raw BTF, little endian
7f454c46) objcopy -O binary --only-section=.BTF "$in" "$tmp/btf" ;;
*)
	# a bzImage: find the compressed kernel and unpack it
	for fmt in 'xz:\xfd\x37\x7a\x58\x5a\x00' 'zstd:\x28\xb5\x2f\xfd' \
		   'gzip:\x1f\x8b\x08'; do
		name=${fmt%%:*}
		off=$(LC_ALL=C grep -obUaP "${fmt#*:}" "$in" 2>/dev/null |
			head -1 | cut -d: -f1) || true
		[ -n "$off" ] || continue
		tail -c +$((off + 1)) "$in" | $name -dc 2>/dev/null \
			>"$tmp/vmlinux" || true
		[ -s "$tmp/vmlinux" ] && break
	done
	[ -s "$tmp/vmlinux" ] || die "cannot decompress $in (not an xz, zstd or gzip bzImage)"
	objcopy -O binary --only-section=.BTF "$tmp/vmlinux" "$tmp/btf" ||
		die "$in: no ELF vmlinux inside"
	;;
esac
[ -s "$tmp/btf" ] || die "$in has no BTF: the kernel needs CONFIG_DEBUG_INFO_BTF"
mv "$tmp/btf" "$out"

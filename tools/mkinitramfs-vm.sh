#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the base initramfs of kfaas VM-tier guests: an uncompressed newc
# cpio holding the static guest agent as /init and the virtio modules the
# guest kernel needs (in load order, listed in /etc/kfaas/modules).  kfaasd
# appends each function's executable (/fn) as a second archive.
#
#   tools/mkinitramfs-vm.sh -a AGENT -o OUT.cpio [-k KVER] [-l] [-i INIT]
#
# -l: the agent is dynamically linked (the sanitizer build, make asan):
# its shared libraries go into the image at the paths ldd gives.
# -i INIT: a static /init that execs the agent as /kfaas-agent
# (user/agent/asan-init.c: /proc mounted before the sanitizer starts).
#
# KVER is the guest kernel's version (default: the newest kernel under
# /lib/modules that has virtio_mmio); OUT.kver receives it, so kfaasd can
# pick the matching /boot/vmlinuz-KVER.
set -eu

agent= out= kver= libs= init=
while getopts a:o:k:li: opt; do
	case $opt in
	l) libs=1 ;;
	i) init=$OPTARG ;;
	a) agent=$OPTARG ;;
	o) out=$OPTARG ;;
	k) kver=$OPTARG ;;
	*) echo "usage: $0 -a AGENT -o OUT.cpio [-k KVER] [-l] [-i INIT]" >&2; exit 2 ;;
	esac
done
[ -n "$agent" ] && [ -n "$out" ] || {
	echo "usage: $0 -a AGENT -o OUT.cpio [-k KVER]" >&2; exit 2; }
[ -x "$agent" ] || { echo "$0: agent $agent is not an executable" >&2; exit 1; }

if [ -z "$kver" ]; then
	# newest kernel with modules for the microvm devices (or built-in ones)
	for d in $(ls -1d /lib/modules/* 2>/dev/null | sort -rV); do
		k=$(basename "$d")
		if [ -e "/boot/vmlinuz-$k" ] &&
		   modprobe -S "$k" --show-depends virtio_mmio >/dev/null 2>&1; then
			kver=$k
			break
		fi
	done
fi
[ -n "$kver" ] || {
	echo "$0: no guest kernel: install linux-image-amd64 (tools/deps.sh)" >&2
	exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/etc/kfaas" "$stage/lib/modules" "$stage/dev" "$stage/proc" \
	"$stage/sys" "$stage/tmp"
chmod 1777 "$stage/tmp"
if [ -n "$init" ]; then
	cp "$init" "$stage/init"
	cp "$agent" "$stage/kfaas-agent"
	chmod 0755 "$stage/init" "$stage/kfaas-agent"
else
	cp "$agent" "$stage/init"
	chmod 0755 "$stage/init"
fi
if [ -n "$libs" ]; then
	for lib in $(ldd "$agent" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
	# usrmerge: /lib is /usr/lib on the host
	[ -e "$stage/lib64" ] || ln -s lib "$stage/lib64"
fi

# insmod lines in dependency order; "builtin X" lines need nothing
: > "$stage/etc/kfaas/modules"
for m in virtio_mmio virtio_console; do
	modprobe -S "$kver" --show-depends "$m" 2>/dev/null | while read -r w p _; do
		[ "$w" = insmod ] || continue
		b=$(basename "$p")
		case "$b" in
		*.ko) cp "$p" "$stage/lib/modules/$b" ;;
		*.ko.xz) b=${b%.xz}; xz -dc "$p" > "$stage/lib/modules/$b" ;;
		*.ko.zst) b=${b%.zst}; zstd -qdc "$p" > "$stage/lib/modules/$b" ;;
		*.ko.gz) b=${b%.gz}; gzip -dc "$p" > "$stage/lib/modules/$b" ;;
		*) echo "$0: unknown module file $p" >&2; exit 1 ;;
		esac
		grep -qx "/lib/modules/$b" "$stage/etc/kfaas/modules" ||
			echo "/lib/modules/$b" >> "$stage/etc/kfaas/modules"
	done
done
echo "$kver" > "$stage/etc/kfaas/kver"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$kver" > "$out.kver"

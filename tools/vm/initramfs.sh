#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the test guest's initramfs: busybox-static, tools/vm/init, the
# kernel modules a Debian kernel needs for virtio/9p (insmod order from
# modprobe --show-depends), the shared libraries of the host programs
# the guest runs from the 9p tree, and memcached with its libraries.
#   tools/vm/initramfs.sh OUT.cpio KVER|none BINARY...
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: initramfs.sh OUT KVER BINARY...}
kver=${2:?usage: initramfs.sh OUT KVER BINARY...}
shift 2
die() { echo "vm: $*" >&2; exit 1; }

bb=$(command -v busybox 2>/dev/null || true)
[ -x /bin/busybox ] && bb=/bin/busybox
file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
	die "needs busybox-static (tools/deps.sh installs it)"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/modules" \
	"$root/etc" "$root/lib64" "$root/root"
cp "$bb" "$root/bin/busybox"
for app in $("$bb" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# kernel modules: virtio over PCI, 9p, the console, veth
if [ "$kver" != none ]; then
	: >"$root/modules/order"
	for m in virtio_pci 9pnet_virtio 9p virtio_console veth; do
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null
	done | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
		name=$(basename "$ko")
		grep -qx "$name" "$root/modules/order" && continue
		case "$ko" in
		*.ko)	 cp "$ko" "$root/modules/$name" ;;
		*.ko.xz) xz -dc "$ko" >"$root/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$ko" >"$root/modules/${name%.zst}"; name=${name%.zst} ;;
		esac
		echo "$name" >>"$root/modules/order"
	done
	[ -s "$root/modules/order" ] ||
		die "no modules for kernel $kver: install linux-image-$kver"
fi

# host programs the guest tests run that are not in the tree: memcached
# (tests/kmod/guest/kv.sh), when installed (tools/deps.sh installs it)
extra=""
for p in memcached; do
	b=$(command -v "$p" 2>/dev/null) || continue
	cp "$b" "$root/usr/bin/$p"
	extra="$extra $b"
done

# shared libraries of the programs run from the host tree and of those
for b in "$@"; do
	[ -x "$b" ] || die "$b: no such program"
done
for b in "$@" $extra; do
	ldd "$b" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

(cd "$root" && find . | cpio -o -H newc --quiet) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"

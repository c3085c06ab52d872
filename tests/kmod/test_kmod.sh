#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfaas.ko in a QEMU guest (tools/vm/run.sh): boots Debian's 6.1 kernel
# (or KERNEL=... with KVER=...), loads the module built by 'make kmod',
# runs tests/kmod/guest/suite.sh inside and passes its KTAP through.  The
# run fails on any WARNING/BUG/KASAN/lockdep/kmemleak report of the guest.
#
# The sizes of the reliability runs (smoke by default; 'make check-debug'
# and 'make soak-kmod' set the full ones): KMOD_IOCTLS (random ioctls),
# KMOD_INVOCATIONS (through the kfunc dispatcher), KMOD_CYCLES and
# KMOD_FULL_EVERY (module load/unload cycles), KMOD_FAILSLAB (% of failing
# allocations in a second random-ioctl run), KMOD_SEED, KMOD_PROG_TIMEOUT.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
require_root

KVER=${KVER:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
	sed 's|.*/linux-headers-||' | sort -V | tail -1)}
case "$B/" in
"$top"/*) ;;
*) echo "Bail out! the build directory $B must be inside $top (the guest sees only the tree)"
   exit 1 ;;
esac
if [ ! -f "$B/kmod/$KVER/kfaas.ko" ]; then
	echo "Bail out! no $B/kmod/$KVER/kfaas.ko: run 'make kmod' first"
	exit 1
fi
for v in IOCTLS INVOCATIONS CYCLES FULL_EVERY FAILSLAB SEED PROG_TIMEOUT; do
	eval "val=\${KMOD_$v:-}"
	[ -n "$val" ] && VM_APPEND="${VM_APPEND:-} kfaas_$(echo "$v" | tr 'A-Z' 'a-z')=$val"
done
export B KVER VM_APPEND
exec "$top/tools/vm/run.sh" tests/kmod/guest/suite.sh "$B"

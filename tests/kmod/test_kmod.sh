#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfaas.ko in a QEMU guest (tools/vm/run.sh): boots Debian's 6.1 kernel
# (or KERNEL=... with KVER=...), loads the module built by 'make kmod',
# runs tests/kmod/guest/suite.sh inside and passes its KTAP through.  The
# run fails on any WARNING/BUG/KASAN/lockdep/kmemleak report of the guest.
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
export B KVER
exec "$top/tools/vm/run.sh" tests/kmod/guest/suite.sh "$B"

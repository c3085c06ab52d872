#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every example and the socket tier on Debian 12's kernel 6.1, in the QEMU
# guest of this group (tools/vm/run.sh): tests/kmod/guest/sk_tier.sh loads
# each example object and has busybox nc and wget answered in the kernel
# by lineecho, http and kvtcp over loopback.  A guest of its own, beside
# kfaas.ko's suite (which it does not need): each stays well within its
# boot's VM_TIMEOUT.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
require_root
require_tools qemu-system-x86_64
case "$B/" in
"$top"/*) ;;
*) echo "Bail out! the build directory $B must be inside $top (the guest sees only the tree)"
   exit 1 ;;
esac
export B
exec "$top/tools/vm/run.sh" tests/kmod/guest/sk_tier.sh "$B"

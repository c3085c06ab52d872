#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A function chain with kfaas.ko in Debian 12's 6.1, in the QEMU guest of
# this group (tools/vm/run.sh): tests/kmod/guest/chain.sh has each hop
# admitted and charged by the module through the kfunc dispatcher and
# the SDK, a hop over its module budget throttled as the maps throttle
# it without the module.  A guest of its own, beside the module's suite.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
require_tools qemu-system-x86_64
# the guest sees only the tree: the build directory must be in it
ko=$(ls "$B"/kmod/*/kfaas.ko 2>/dev/null | head -n 1)
case "$B/" in "$top"/*) ;; *) ko= ;; esac
[ -n "$ko" ] || { echo "Bail out! no kfaas.ko in $B/kmod inside $top: run 'make kmod' (B in the tree)"; exit 1; }
require_root
export B
exec "$top/tools/vm/run.sh" tests/kmod/guest/chain.sh "$B"

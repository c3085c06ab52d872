#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian 12's kernel 6.1, in one QEMU guest of this group (tools/vm/run.sh)
# beside kfaas.ko's suite: tests/kmod/guest/stock61.sh has every example
# load and the socket tier answer busybox nc and wget in the kernel
# (sk_tier.sh), and a function chain's hops admitted and charged by
# kfaas.ko, a hop over its module budget throttled as the maps throttle
# it without the module (chain.sh), and the kv cache's hooks loaded by
# 'kfaas-kv attach' keeping it coherent with a real memcached (kv.sh).
# One boot for all three: each boot of a TCG guest is most of a case
# set's time.
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
exec "$top/tools/vm/run.sh" tests/kmod/guest/stock61.sh "$B"

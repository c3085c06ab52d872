#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian 12's stock 6.1 kernel beside kfaas.ko's suite, run INSIDE the
# test guest by tests/kmod/test_stock61.sh (tools/vm/run.sh): busybox sh,
# the tree read-only at its host path.  One boot for three case sets:
# sk_tier.sh (every example loads, the socket tier answers real TCP
# clients), chain.sh (a chain's hops admitted by kfaas.ko, then by the
# maps) and kv.sh (the kv cache's hooks load and keep it coherent with a
# real memcached).
#   stock61.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
B=${1:-$top/build}
. "$top/tests/lib.sh"
K="$B/kfaas"
exec 2>&1

jnum() {	# KEY JSON: a number field (no jq in the guest)
	printf '%s' "$2" | sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p"
}
. "$top/tests/kmod/guest/sk_tier.sh"
. "$top/tests/kmod/guest/chain.sh"
. "$top/tests/kmod/guest/kv.sh"

ktap_plan 63
sk_tier_run
chain_run
kv_run
ktap_finish

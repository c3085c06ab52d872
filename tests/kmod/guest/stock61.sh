#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian 12's stock 6.1 kernel beside kfaas.ko's suite, run INSIDE the
# test guest by tests/kmod/test_stock61.sh (tools/vm/run.sh): busybox sh,
# the tree read-only at its host path.  One boot for two case sets:
# sk_tier.sh (every example loads, the socket tier answers real TCP
# clients) and chain.sh (a chain's hops admitted by kfaas.ko, then by
# the maps).
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

ktap_plan 43
sk_tier_run
chain_run
ktap_finish

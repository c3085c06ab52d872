#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A chain that ends in a VM-tier function, end to end on the host: two XDP
# links (tests/bpf/chain_tag.bpf.c) run in the XDP tier, the last one's
# kfaas_next() passes the request up as a well-formed datagram (lengths
# and checksums of what the links made of it), and kfaasd serves it with
# the VM-tier function (real QEMU, TCG here), as it serves a fallback.
# "echo ping" becomes "echo pinga1b2" in the XDP tier; the VM function
# (tests/vm/fn/kfn.c) answers its echo with "pinga1b2".
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq python3 nsenter
ktap_plan 8

PORT=7400
K() { "$KFAAS" "$@"; }
CACHE=/var/cache/kfaasd-test
LOG=$(mktemp /tmp/kfaasd-chain.XXXXXX)
export KFAAS_RUN_DIR=/run/kfaasd-c$$
RUN=$KFAAS_RUN_DIR
use_pin_root vmchain
sandbox_up vmc 82 || { echo "Bail out! no sandbox"; exit 1; }
cleanup_add "daemon_stop; kill_qemus; rm -rf $RUN; rm -f $LOG"
stat_of() { K -j stats "$1" | jq -r "$2"; }

nsenter --net=/run/netns/"$NS_SRV" "$B/kfaasd" --cache-dir "$CACHE" \
	--refresh 500 --config none >>"$LOG" 2>&1 &
DPID=$!
daemon_wait_ready 100
check "kfaasd runs in the server namespace" test $? = 0
check "the VM-tier function (one warm VM)" \
	K fn create kfn --vm "$B/tests/vm/fn/kfn" --min-warm 1 --max 2 --timeout 20000
for t in a b; do K fn load "$B/tests/bpf/tag_$t.bpf.o" tag_$t >/dev/null; done
check "route add udp $PORT chain tag_a,tag_b,kfn; the dispatcher attached" sh -c \
	"'$KFAAS' route add udp $PORT chain tag_a,tag_b,kfn guard off >/dev/null &&
	 nsenter --net=/run/netns/$NS_SRV '$KFAAS' net attach $SRV_IF native >/dev/null"
check_eq "kfaasd listens on the chain's route for its VM-tier end" true \
	"$(st | jq -r ".routes[] | select(.route==\"udp $PORT\") | .listening")"

check_eq "a UDP client: the XDP links' work, finished by the VM function" "pinga1b2" \
	"$(in_cli python3 "$here/udp.py" -t 20 "$SRV4" $PORT "echo ping" | cut -d' ' -f2-)"
check_eq "each XDP hop accounted: tag_a handed on, tag_b passed up" "1 0 1 1" \
	"$(stat_of tag_a .invocations) $(stat_of tag_a .passed) $(stat_of tag_b .invocations) $(stat_of tag_b .passed)"
check_eq "... and the VM function ran once on what they made (13 bytes)" "1 13" \
	"$(stat_of kfn .invocations) $(stat_of kfn .bytes_in)"
check_eq "invoke shows the XDP hops, the last one passing up" "tag_a:next tag_b:pass" \
	"$(K -j invoke tag_a --data "echo ping" | jq -r '[.hops[] | "\(.fn):\(.outcome)"] | join(" ")')"
ktap_finish

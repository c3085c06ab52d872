#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A chain that ends in a VM-tier function, end to end on the host: two XDP
# links (tests/bpf/chain_tag.bpf.c) run in the XDP tier, the last one's
# kfaas_next() passes the request up as a well-formed datagram (lengths
# and checksums of what the links made of it), and kfaasd serves it with
# the VM-tier function (real QEMU, TCG here), as it serves a fallback.
# "echo ping" becomes "echo pinga1b2" in the XDP tier; the VM function
# (tests/vm/fn/kfn.c) answers its echo with "pinga1b2".  Over a link's
# budget the request is dropped (policy pass is refused for such a chain).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq python3 nsenter
ktap_plan 12

PORT=7400
K() { "$KFAAS" "$@"; }
vm_sandbox_daemon vmchain vmc 82
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
	"$(stats_get tag_a .invocations) $(stats_get tag_a .passed) $(stats_get tag_b .invocations) $(stats_get tag_b .passed)"
check_eq "... and the VM function ran once on what they made (13 bytes)" "1 13" \
	"$(stats_get kfn .invocations) $(stats_get kfn .bytes_in)"
check_eq "invoke shows the XDP hops, the last one passing up" "tag_a:next tag_b:pass" \
	"$(K -j invoke tag_a --data "echo ping" | jq -r '[.hops[] | "\(.fn):\(.outcome)"] | join(" ")')"

# over a link's budget the request is dropped: passed up, it would reach
# the VM-tier function without the links before it
check_eq "the chain's route takes policy drop" drop \
	"$(K -j route list | jq -r ".[] | select(.port == $PORT) | .policy")"
out=$(K route add udp $((PORT + 1)) chain tag_a,tag_b,kfn policy pass 2>&1); rc=$?
check_eq "policy pass for a chain ending at the VM tier is refused, and says why" "1 1" \
	"$rc $(printf '%s' "$out" | grep -c "takes 'policy drop'")"
K budget set tag_b --rps 1 --burst 1 >/dev/null
v=$(K invoke tag_a --data "echo ping" --repeat 3 2>&1 | sed -n 's/^[^:]*: \(XDP_[A-Z]*\) in .*/\1/p')
check_eq "tag_b over its budget: the request is dropped, not passed up" XDP_DROP "$v"
check_eq "... and the VM function did not run" 1 "$(stats_get kfn .invocations)"
ktap_finish

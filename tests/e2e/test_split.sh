#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic split at the XDP tier, over a veth pair with the dispatcher in
# native mode: a 90/10 route over many flows lands near 90/10 and a flow
# never changes version; each version's accounting is its own; weights
# changed while a client sends lose no request.
#
# The versions are echo (v1: the request back) and upper (v2: upper
# case), so every reply says which version sent it.
#
# Tolerance: the dispatcher maps each flow to a version by a hash of its
# addresses and ports (bpf/kfaas_split.h).  Taking the hash as a uniform
# random function of the flow, the number of v2 flows out of N = 2000 is
# binomial(N, 0.1): mean 200, standard deviation sqrt(N * 0.1 * 0.9) =
# 13.4.  The test accepts 200 +- 60 (4.5 standard deviations: a correct
# dispatcher fails it with probability below 1e-5); a split that ignored
# the weights (50/50) or one version (0 or 2000) is far outside.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/split_lib.sh"
require_root
require_tools python3 jq
ktap_plan 13

use_pin_root split
K() { "$KFAAS" "$@"; }
sandbox_up split 65 || ktap_skip_all "cannot build the veth/netns sandbox"
CL="$(dirname "$0")/split_client.py"
T=$(mktemp -d)
cleanup_add "rm -rf $T"

K fn load "$B/bpf/echo.bpf.o" v1 >/dev/null
K fn load "$B/bpf/upper.bpf.o" v2 >/dev/null
check "route add udp 7 fn v1 90 fn v2 10" K route add udp 7 fn v1 90 fn v2 10
check "attach the dispatcher (native)" in_srv "$KFAAS" net attach "$SRV_IF" native

N=2000; R=3
out=$(in_cli python3 "$CL" udp $SRV4 7 $N $R --a get)
diag "$N flows x $R requests: $out"
j() { printf '%s' "$out" | jq -r "$1"; }
check_eq "every request answered" "$((N * R))" "$(j .answered)"
check_eq "no flow switched version" 0 "$(j .switched)"
b=$(j .flows_b)
check "v2 served $b of $N flows: within 200 +- 60 (binomial, 4.5 sd)" \
	test "$b" -ge 140 -a "$b" -le 260
check_eq "... and v1 the others" $((N - b)) "$(j .flows_a)"
check_eq "v1's invocations are its replies" "$(j .replies_a)" \
	"$(K -j stats v1 | jq .invocations)"
check_eq "v2's invocations are its replies" "$(j .replies_b)" \
	"$(K -j stats v2 | jq .invocations)"

# ---- weights changed while a client sends ----
rm -f "$T/stop"
in_cli python3 "$CL" udp $SRV4 7 50 4 --a get --until "$T/stop" > "$T/out" &
cpid=$!
cleanup_add "kill $cpid"
SPLIT_ROUTE="udp 7" SPLIT_A=v1 SPLIT_B=v2
split_changes 150 20 "50 50" "0 100" "100 0" "10 90" "90 10"
ok=$?
touch "$T/stop"
wait $cpid
out=$(cat "$T/out")
diag "under weight changes: $out"
check_eq "5 weight changes, each after 150 requests served: all made" 0 $ok
check "... the client sent requests" test "$(j .sent)" -gt 0
check_eq "... and every one was answered" "$(j .sent)" "$(j .answered)"
check "... by both versions" test "$(j .replies_a)" -gt 0 -a "$(j .replies_b)" -gt 0

K route set udp 7 weights v1 1 v2 0 >/dev/null
out=$(in_cli python3 "$CL" udp $SRV4 7 200 1 --a get)
check_eq "weight 0 takes v2 out: 200 flows all to v1" 200 "$(j .flows_a)"
ktap_finish

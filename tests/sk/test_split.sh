#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic split at the socket tier: the version is picked per connection
# (by a hash of its cookie, bpf/sk_dispatch.bpf.c), so every request of a
# connection goes to one version; the shares follow the weights; each
# version's accounting is its own; weights changed while clients connect
# lose no request.
#
# The versions: lineecho (a: the line back) and kvtcp (b: "END", a miss).
# Tolerance: with the cookie hash taken as uniform, the b connections out
# of N = 300 at 50/50 are binomial(300, 0.5): mean 150, standard
# deviation 8.7; the test accepts 150 +- 40 (4.6 standard deviations,
# failing a correct split with probability below 1e-5).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/sk_lib.sh"
. "$here/../e2e/split_lib.sh"
require_root
require_tools jq python3
ktap_plan 10

use_pin_root sk-split
sandbox_up sks 68 || { echo "# sandbox failed"; exit 1; }
CL="$here/../e2e/split_client.py"
K() { "$KFAAS" "$@"; }
T=$(mktemp -d)
cleanup_add "rm -rf $T"

K fn load "$B/bpf/lineecho.bpf.o" le >/dev/null
K fn load "$B/bpf/kvtcp.bpf.o" kv >/dev/null
check "route add tcp 7100 fn le 50 fn kv 50" K route add tcp 7100 fn le 50 fn kv 50
sk_serve
check "the listener starts" test -n "$SK_PID"

N=300; R=3
out=$(in_cli python3 "$CL" tcp $SRV4 7100 $N $R --a get)
diag "$N connections x $R requests: $out"
j() { printf '%s' "$out" | jq -r "$1"; }
check_eq "every request answered" "$((N * R))" "$(j .answered)"
check_eq "no connection switched version" 0 "$(j .switched)"
b=$(j .flows_b)
check "kv served $b of $N connections: within 150 +- 40 (binomial, 4.6 sd)" \
	test "$b" -ge 110 -a "$b" -le 190
check_eq "le's invocations are its replies" "$(j .replies_a)" "$(fn_stat le invocations)"
check_eq "kv's invocations are its replies" "$(j .replies_b)" "$(fn_stat kv invocations)"

# ---- weights changed while clients connect ----
in_cli python3 "$CL" tcp $SRV4 7100 20 3 --a get --until "$T/stop" > "$T/out" &
cpid=$!
cleanup_add "kill $cpid"
SPLIT_ROUTE="tcp 7100" SPLIT_A=le SPLIT_B=kv
split_changes 60 20 "90 10" "0 100" "100 0" "50 50"
ok=$?
touch "$T/stop"
wait $cpid
out=$(cat "$T/out")
diag "under weight changes: $out"
check_eq "4 weight changes, each after 60 requests served: all made" 0 $ok
check "... the clients sent requests" test "$(j .sent)" -gt 0
check_eq "... and every one was answered" "$(j .sent)" "$(j .answered)"
ktap_finish
